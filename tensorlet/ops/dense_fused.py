"""Fused dense layers: GEMM + bias + relu [+ dropout] in one op, and its gradient in one pass.

A plan-level fusion rule (`tensorlet.runtime.passes.register_fusion`) rewrites the chain that a
Keras `Dense` layer (and `tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w), b))`) leaves in a plan:

- Relu([BiasAdd(]MatMul(x, w)[, b)]) -> FusedDense(x, w[, b]): the GEMM, then bias + relu in
  one pass in place on the GEMM's fresh output; with `activation="linear"` the same for a
  plain BiasAdd(MatMul) (the logits of a softmax);
- when that relu output is only read by a dropout (DropoutMask + Mul, `tf.nn.dropout`, the
  Keras Dropout layer) and its gradient chain: DenseDropoutKeep(x, w, rate) draws the kept
  elements (the same random stream as the DropoutMask it replaces: it shares its attrs) and
  FusedDenseReluDropout(x, w, keep, rate[, b]) also applies the mask in that pass; the float
  mask is never built;
- ReluGrad(dy, y) (after the dropout's Mul by the mask and SumTo) and the BiasAddGrad reading
  it -> FusedDenseReluGrad(dy, y[, rate]) -> (dz, db) in one pass: y > 0 holds exactly where
  relu and mask both pass, so the gradient needs neither the mask nor the pre-dropout value.

Fused nodes take the names (and creation lines) of the MatMul, DropoutMask and ReluGrad they
replace, so errors and check_numerics still name the layer (`dense_1/MatMul_1`).

The passes run in small numba kernels when numba is available (imported lazily;
TENSORLET_DISABLE_NUMBA=1 forces the NumPy versions, which give the same numbers but for the
summation order of db, and which the tests also run).
"""
import types

import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.shapes import TensorShape
from tensorlet.runtime import passes
from tensorlet.runtime.passes import (fetched_ids, is_output, new_node, replace_uses,
                                      rewritable, spec_of)
from tensorlet.runtime.jit import compiled, njit, worth_compiling
from . import nn as _nn
from .base import apply, declare
from .math import add, matmul

_rng = np.random.default_rng(10)
_COMPILED = {}


# -- The passes over the GEMM output: numba kernels and their NumPy versions --------------------


def _build():
    jit = njit()

    @jit
    def bias_relu(z, b, zero):
        n, m = z.shape
        for i in range(n):
            row = z[i]
            for j in range(m):
                v = row[j] + b[j]
                row[j] = zero if v < zero else v

    @jit
    def bias_relu_keep(z, b, keep, scale, zero):
        n, m = z.shape
        for i in range(n):
            row, kept = z[i], keep[i]
            for j in range(m):
                v = row[j] + b[j]
                row[j] = (zero if v < zero else v) * (scale if kept[j] else zero)

    @jit
    def relu_grad_bias(dy, y, scale, zero, dz, db):
        # db accumulates each row while it is in cache: two short loops vectorise, one
        # loop doing both measured twice as slow.
        n, m = dy.shape
        for j in range(m):
            db[j] = zero
        for i in range(n):
            g, out, row = dy[i], y[i], dz[i]
            for j in range(m):
                row[j] = g[j] * scale if out[j] > zero else zero
            for j in range(m):
                db[j] += row[j]

    return types.SimpleNamespace(bias_relu=bias_relu, bias_relu_keep=bias_relu_keep,
                                 relu_grad_bias=relu_grad_bias)


def _kernels(size):
    """The compiled kernels for an array of `size` elements, or None (NumPy fallback)."""
    return compiled(_build, _COMPILED) if worth_compiling(size) else None


def _bias_relu(z, b, keep, scale):
    """z = relu(z + b) [* keep * scale], in place (z is the GEMM's fresh output)."""
    k = _kernels(z.size)
    zero = z.dtype.type(0)
    if b is None:
        b = np.zeros(z.shape[1], z.dtype)
    if k is not None and keep is None:
        k.bias_relu(z, b, zero)
    elif k is not None:
        k.bias_relu_keep(z, b, np.ascontiguousarray(keep), scale, zero)
    else:
        z += b
        np.maximum(z, zero, out=z)
        if keep is not None:  # the same products as relu * mask, mask = keep * scale
            np.multiply(z, keep, out=z)
            z *= scale
    return z


def _relu_grad_bias(dy, y, scale):
    """(dz, db): dz = dy * scale where y > 0, else 0; db = dz summed over rows."""
    dz = np.empty(dy.shape, dy.dtype)
    db = np.empty(dy.shape[1], dy.dtype)
    k = _kernels(dy.size)
    if k is not None:
        k.relu_grad_bias(np.ascontiguousarray(dy), np.ascontiguousarray(y), scale,
                         dy.dtype.type(0), dz, db)
        return dz, db
    np.multiply(dy, y > 0, out=dz)
    if scale != 1:
        dz *= scale
    np.matmul(np.ones(dz.shape[0], dz.dtype), dz, out=db)  # a GEMV, as BiasAddGrad
    return dz, db


# -- Kernels ----------------------------------------------------------------------------------


def _gemm(x, w):
    if x.shape[1] != w.shape[0]:
        raise ValueError(f"matrix size-incompatible: {list(x.shape)} times {list(w.shape)}")
    return np.matmul(x, w)


def _dense_kernel(attrs, x, w, b=None):
    z = _gemm(x, w)
    if attrs["activation"] == "relu":
        return _bias_relu(z, b, None, None)
    if b is not None:
        z += b
    return z


def _dense_dropout_kernel(attrs, x, w, keep, rate, b=None):
    return _bias_relu(_gemm(x, w), b, keep, _nn.dropout_scale(rate, x.dtype))


def _relu_grad_kernel(attrs, dy, y, rate=None):
    if dy.shape != y.shape:
        raise ValueError(f"gradient shape {list(dy.shape)} differs from the output's "
                         f"{list(y.shape)}")
    scale = dy.dtype.type(1) if rate is None else _nn.dropout_scale(rate, dy.dtype)
    return _relu_grad_bias(dy, y, scale)


def _keep_kernel(ctx, attrs, x, w, rate):
    return _nn.dropout_keep(ctx, attrs, (x.shape[0], w.shape[1]), rate)


# -- Shape rules ------------------------------------------------------------------------------


def _operands(x, w, b=None):
    """(output shape, dtype) of x @ w [+ b] for 2-D float operands of one dtype."""
    ts = [x, w] + ([b] if b is not None else [])
    dt = x.dtype
    if dt not in (_dt.float32, _dt.float64) or any(t.dtype is not dt for t in ts):
        raise TypeError(f"expected float32 or float64 operands of one dtype, got "
                        f"{[t.dtype.name for t in ts]}")
    if x.shape.ndims != 2 or w.shape.ndims != 2:
        raise ValueError(f"expected a 2-D input and a 2-D kernel, got shapes {x.shape} and "
                         f"{w.shape}")
    if None not in (x.shape[1], w.shape[0]) and x.shape[1] != w.shape[0]:
        raise ValueError(f"inner dimensions differ: shapes {x.shape} and {w.shape}")
    if b is not None and (b.shape.ndims != 1 or b.shape[0] not in (None, w.shape[1])):
        raise ValueError(f"bias must have shape ({w.shape[1]},), got {b.shape}")
    return TensorShape((x.shape[0], w.shape[1])), dt


def _scalar_rate(rate, dt):
    if rate.dtype is not dt or rate.shape.ndims not in (None, 0):
        raise TypeError(f"rate must be a {dt.name} scalar, got {rate.dtype.name} of shape "
                        f"{rate.shape}")


def _dense_spec(inputs, attrs):
    if attrs["activation"] not in ("relu", "linear"):
        raise ValueError(f"activation must be 'relu' or 'linear', got {attrs['activation']!r}")
    if len(inputs) not in (2, 3):
        raise ValueError(f"expected inputs (x, w[, b]), got {len(inputs)} inputs")
    return [_operands(*inputs)]


def _dense_dropout_spec(inputs, attrs):
    if len(inputs) not in (4, 5):
        raise ValueError(f"expected inputs (x, w, keep, rate[, b]), got {len(inputs)} inputs")
    x, w, keep, rate = inputs[:4]
    shape, dt = _operands(x, w, *inputs[4:])
    _scalar_rate(rate, dt)
    if keep.dtype is not _dt.bool_ or not keep.shape.is_compatible_with(shape):
        raise TypeError(f"keep must be a bool mask of shape {shape}, got {keep.dtype.name} of "
                        f"shape {keep.shape}")
    return [(shape, dt)]


def _relu_grad_spec(inputs, attrs):
    if len(inputs) not in (2, 3):
        raise ValueError(f"expected inputs (dy, y[, rate]), got {len(inputs)} inputs")
    dy, y = inputs[:2]
    dt = dy.dtype
    if dt not in (_dt.float32, _dt.float64) or y.dtype is not dt:
        raise TypeError(f"expected float32 or float64 dy and y of one dtype, got {dt.name} and "
                        f"{y.dtype.name}")
    if dy.shape.ndims != 2 or not dy.shape.is_compatible_with(y.shape):
        raise ValueError(f"expected 2-D dy and y of one shape, got {dy.shape} and {y.shape}")
    if len(inputs) == 3:
        _scalar_rate(inputs[2], dt)
    shape = dy.shape.merge_with(y.shape)
    return [(shape, dt), (TensorShape((shape[1],)), dt)]


def _keep_spec(inputs, attrs):
    x, w, rate = inputs
    shape, dt = _operands(x, w)
    _scalar_rate(rate, dt)
    return [(shape, _dt.bool_)]


# -- Gradient rules (DenseDropoutKeep draws random numbers: no gradient, like DropoutMask) ----


def _dense_grad(op, g, n):
    if op.attrs["activation"] == "relu":
        dz, db = apply("FusedDenseReluGrad", [g[0], op.outputs[0]], {})
    else:
        dz, db = g[0], apply("BiasAddGrad", [g[0]], {"data_format": "N...C"})
    return _input_grads(op, dz, db)


def _dense_dropout_grad(op, g, n):
    dz, db = apply("FusedDenseReluGrad", [g[0], op.outputs[0], op.inputs[3]], {})
    return _input_grads(op, dz, db)


def _input_grads(op, dz, db):
    """[dx, dw, None per keep/rate input, db when the op has a bias]."""
    x, w = op.inputs[:2]
    grads = [matmul(dz, w, transpose_b=True), matmul(x, dz, transpose_a=True)]
    grads += [None] * (2 if op.type == "FusedDenseReluDropout" else 0)
    return grads + [db] * (len(op.inputs) - len(grads))


def _relu_grad_grad(op, g, n):
    total = add(g[0], g[1])  # db sums dz's rows: its gradient reaches every row of dz
    d = apply("FusedDenseReluGrad", [total] + list(op.inputs[1:]), {})[0]
    return [d, None] + [None] * (len(op.inputs) - 2)


# -- Samples: pre-activations at least 0.1 away from relu's kink -------------------------------


def _away(*shape):
    x = _rng.uniform(-2, 2, shape)
    return np.where(np.abs(x) < 0.1, np.sign(x + 1e-9) * 0.3, x)


def _dense_operands(bias=True):
    """(x, w, b) with x @ w + b away from 0 (redrawn until it is)."""
    while True:
        x, w, b = _rng.standard_normal((3, 4)), _rng.standard_normal((4, 5)), _away(5)
        z = x @ w + (b if bias else 0)
        if np.min(np.abs(z)) > 0.05:
            return x, w, b


def _dense_samples():
    x, w, b = _dense_operands()
    x2, w2, _ = _dense_operands(bias=False)
    return [([x, w, b], {"activation": "relu"}), ([x2, w2], {"activation": "relu"}),
            ([x, w, b], {"activation": "linear"}), ([x2, w2], {"activation": "linear"})]


def _dense_dropout_samples():
    x, w, b = _dense_operands()
    x2, w2, _ = _dense_operands(bias=False)
    keep = _rng.random((3, 5)) < 0.6
    return [([x, w, keep, np.array(0.5), b], {}), ([x2, w2, keep, np.array(0.25)], {})]


def _relu_grad_samples():
    return [([_rng.standard_normal((3, 5)), _away(3, 5)], {}),
            ([_rng.standard_normal((4, 2)), _away(4, 2), np.array(0.3)], {})]


declare("FusedDense", _dense_spec, _dense_kernel, grad=_dense_grad, samples=_dense_samples)
declare("FusedDenseReluDropout", _dense_dropout_spec, _dense_dropout_kernel,
        grad=_dense_dropout_grad, samples=_dense_dropout_samples, nondiff_inputs=(3,))
declare("FusedDenseReluGrad", _relu_grad_spec, _relu_grad_kernel, grad=_relu_grad_grad,
        samples=_relu_grad_samples, nondiff_inputs=(2,))
declare("DenseDropoutKeep", _keep_spec, _keep_kernel, stateful=True)


# -- The fusion rule (plan level) -------------------------------------------------------------


def _matmul_of(ref, reader, consumers, fetched):
    """The MatMul(x, w) of 2-D float operands that `ref` is, when only `reader` reads it."""
    if not is_output(ref, "MatMul") or consumers.get(ref) != [reader]:
        return None
    mm = ref[0]
    (xs, dt), (ws, wdt) = spec_of(mm.inputs[0]), spec_of(mm.inputs[1])
    if mm.attrs["transpose_a"] or mm.attrs["transpose_b"] or xs.ndims != 2 or \
            ws.ndims != 2 or dt not in (_dt.float32, _dt.float64) or wdt is not dt or \
            not rewritable([mm], fetched):
        return None
    return mm


def _dropout_chain(relu, consumers, fetched):
    """(mask, mul, [(dy, nodes, relu_grad)]) when the relu's only readers are one DropoutMask
    (no noise_shape), the Mul applying it, and that Mul's gradient chains (dy * mask [-> SumTo]
    -> ReluGrad(., relu)), `nodes` being the chain's Mul [and SumTo]; else None."""
    out = (relu, 0)
    users = consumers.get(out, [])
    masks = [n for n in users if n.type == "DropoutMask"]
    if len(masks) != 1 or masks[0].inputs[0] != out or masks[0].attrs["noise_shape"] is not None:
        return None
    mask = masks[0]
    mref = (mask, 0)
    fwd, chains = None, []
    for mul in consumers.get(mref, []):
        if mul.type != "Mul":
            return None
        other = mul.inputs[0] if mul.inputs[1] == mref else mul.inputs[1]
        if other == out:
            if fwd is not None:
                return None
            fwd = mul
            continue
        chain, reader = [mul], consumers.get((mul, 0), [])
        if len(reader) == 1 and reader[0].type == "SumTo" and reader[0].inputs[1] == out:
            chain.append(reader[0])
            reader = consumers.get((reader[0], 0), [])
        if len(reader) != 1 or reader[0].type != "ReluGrad" or \
                reader[0].inputs != [(chain[-1], 0), out]:
            return None
        chains.append((other, chain, reader[0]))
    expected = [mask, fwd] + [n for _, chain, rg in chains for n in chain[1:] + [rg]]
    if fwd is None or sorted(map(id, users)) != sorted(map(id, expected)) or \
            not rewritable([mask] + [n for _, chain, _ in chains for n in chain], fetched) or \
            not rewritable([fwd]):
        return None
    return mask, fwd, chains


def _bias_grads(rg, consumers):
    return [n for n in consumers.get((rg, 0), [])
            if n.type == "BiasAddGrad" and n.attrs["data_format"] == "N...C"]


def _fuse_relu(nodes, consumers, roots, relu, fetched):
    """Rewrite Relu([BiasAdd(]MatMul[)]) [+ dropout] and its gradients; False if no match."""
    ref = relu.inputs[0]
    bias = ref[0] if is_output(ref, "BiasAdd") and consumers.get(ref) == [relu] else None
    if bias is not None and (bias.attrs["data_format"] != "N...C" or
                             not rewritable([bias], fetched)):
        return False
    mm = _matmul_of(bias.inputs[0] if bias else ref, bias or relu, consumers, fetched)
    if mm is None or not rewritable([relu]):
        return False
    drop = None if id(relu) in fetched else _dropout_chain(relu, consumers, fetched)
    if drop:
        grads = drop[2]
    else:
        grads = [(rg.inputs[0], [], rg) for rg in consumers.get((relu, 0), [])
                 if rg.type == "ReluGrad" and rg.inputs[1] == (relu, 0) != rg.inputs[0]]
    bags = [_bias_grads(rg, consumers) for _, _, rg in grads]
    if not rewritable([rg for _, _, rg in grads] + [n for b in bags for n in b]):
        return False
    x, w = mm.inputs
    b = [bias.inputs[1]] if bias else []
    dead = [mm] + ([bias] if bias else [])
    if drop:
        mask, fwd, _ = drop
        rate = [mask.inputs[1]]
        keep = new_node("DenseDropoutKeep", [x, w] + rate, mask.attrs, mask.name, mask)
        fused = new_node("FusedDenseReluDropout", [x, w, (keep, 0)] + rate + b, {}, mm.name, mm)
        nodes[nodes.index(fwd):nodes.index(fwd) + 1] = [keep, fused]
        replace_uses(nodes, roots, (fwd, 0), (fused, 0))
        dead += [relu, mask] + [n for _, chain, _ in grads for n in chain]
    else:
        rate = []
        fused = new_node("FusedDense", [x, w] + b, {"activation": "relu"}, mm.name, mm)
        nodes[nodes.index(relu)] = fused
        replace_uses(nodes, roots, (relu, 0), (fused, 0))
    for (dy, _, rg), bag in zip(grads, bags):
        g = new_node("FusedDenseReluGrad", [dy, (fused, 0)] + rate, {}, rg.name, rg)
        nodes[nodes.index(rg)] = g
        replace_uses(nodes, roots, (rg, 0), (g, 0))
        for n in bag:
            replace_uses(nodes, roots, (n, 0), (g, 1))
        dead += bag
    for n in dead:
        nodes.remove(n)
    return True


def _fuse_linear(nodes, consumers, roots, bias, fetched):
    """Rewrite BiasAdd(MatMul(x, w), b) into a linear FusedDense (the relu chains, tried
    first, have taken those a relu reads)."""
    if bias.attrs["data_format"] != "N...C" or not rewritable([bias]):
        return False
    mm = _matmul_of(bias.inputs[0], bias, consumers, fetched)
    if mm is None:
        return False
    fused = new_node("FusedDense", list(mm.inputs) + [bias.inputs[1]], {"activation": "linear"},
                  mm.name, mm)
    nodes[nodes.index(bias)] = fused
    replace_uses(nodes, roots, (bias, 0), (fused, 0))
    nodes.remove(mm)
    return True


def _fuse_dense(nodes, consumers, roots):
    """Rewrite the first matching dense chain (relu chains first, then plain BiasAdd(MatMul))."""
    fetched = fetched_ids(roots)
    for kind, rewrite in (("Relu", _fuse_relu), ("BiasAdd", _fuse_linear)):
        for n in nodes:
            if n.type == kind and rewrite(nodes, consumers, roots, n, fetched):
                return True
    return False


passes.register_fusion(_fuse_dense)
