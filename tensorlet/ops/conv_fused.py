"""Fused conv + bias + relu + max-pool (PERF-NOTES.md, "Conv -> pool fusion").

A plan-level fusion rule (registered with `tensorlet.runtime.passes.register_fusion`) rewrites
MaxPool(Relu(BiasAdd(Conv2D(x, w), b))) — with non-overlapping VALID pooling, NHWC, one group —
and, in a training plan, its gradient chain (MaxPoolGrad -> ReluGrad -> BiasAddGrad,
Conv2DBackpropFilter, Conv2DBackpropInput) into ordinary registered ops:

- PoolOrderedPatches(x) -> cols (B, P, K): im2col rows ordered (pool offset, n, hp, wp), so the
  B = ph * pw convolution outputs that one pooling window reads are B contiguous blocks; the
  conv outputs that floor pooling drops are never extracted;
- PatchConvBiasReluMaxPool(cols, w, b) -> y (N, Hp, Wp, O) [, argmax]: one GEMM, a max over
  the B blocks, then bias and relu after the pool (the same numbers: bias is constant over a
  window and relu is monotonic; 1/B of the work);
- PatchConvBiasReluMaxPoolGrad(cols, w, y, argmax, dy) -> ([dx | dcols,] dw, db): the relu
  mask, a scatter to the window maxima, the filter-gradient GEMM and, with attr in_hwc (the
  input's H, W, C), the input gradient: the patch-gradient GEMM into a scratch buffer and
  col2im (one strided add per pool offset and tap), so a plan never holds patch gradients;
  with cols_grad instead, the patch gradients (PatchConvBiasReluMaxPool's own gradient);
- PoolOrderedPatchesGrad(dcols) -> dx: col2im (PoolOrderedPatches' gradient).

A layer of 9 filter taps under 4-element pooling windows (a 3x3 filter over one channel: the
first layer of an image network) whose input gradient is not needed takes two other ops, which
read x itself (numba's direct kernels in conv_kernels.py: no patches, no GEMM with K = 9):
- ConvBiasReluMaxPool(x, w, b) -> y [, argmax]: the same numbers as the two forward ops above;
- ConvBiasReluMaxPoolFilterGrad(x, w, y, argmax, dy) -> (dw, db).
Without numba (or for other shapes) they run through the patch ops' kernels.

The loops over pooling blocks run in small numba kernels when numba is available (imported
lazily; TENSORLET_DISABLE_NUMBA=1 forces the NumPy versions, which the tests also run).
A gradient that ties two window elements may pick a different (equally valid) maximum than
the unfused MaxPoolGrad, because the fused op compares before adding the bias.
"""
import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.shapes import TensorShape
from tensorlet.runtime import passes
from tensorlet.runtime.passes import (fetched_ids, is_output, new_node, replace_uses,
                                      rewritable, spec_of)
from . import conv_kernels as _k
from . import windows as _win
from .base import apply, declare

_rng = np.random.default_rng(9)
_local = threading.local()


# -- Geometry -------------------------------------------------------------------------------------


def _pooled(attrs, hw):
    """((Ho, Wo), pads, (Hp, Wp)) of the convolution and of the pooling that follows it."""
    out_hw, pads = _win.geometry(hw, attrs["ksize"], attrs)
    ph, pw = attrs["pool"]
    return out_hw, pads, (out_hw[0] // ph, out_hw[1] // pw)


def _patch_view(xp, attrs, pooled_hw):
    """A read-only (ph, pw, N, Hp, Wp, kh, kw, C) view: entry [dy, dx, n, i, j, a, b] is tap
    (a, b) of the convolution output (i * ph + dy, j * pw + dx) of image n."""
    (sh, sw), (dh, dw) = attrs["strides"], attrs["dilations"]
    (ph, pw), (kh, kw) = attrs["pool"], attrs["ksize"]
    n, _, _, c = xp.shape
    s0, s1, s2, s3 = xp.strides
    return as_strided(xp, (ph, pw, n, pooled_hw[0], pooled_hw[1], kh, kw, c),
                      (s1 * sh, s2 * sw, s0, s1 * sh * ph, s2 * sw * pw, s1 * dh, s2 * dw, s3),
                      writeable=False)


# -- Kernels --------------------------------------------------------------------------------------


def _patches_kernel(attrs, x):
    _, pads, pooled_hw = _pooled(attrs, x.shape[1:3])
    view = _patch_view(_win.padded(x, pads), attrs, pooled_hw)
    cols = np.empty(view.shape, x.dtype)
    np.copyto(cols, view)  # one strided copy (a numba gather measured slower)
    ph, pw = attrs["pool"]
    return cols.reshape(ph * pw, -1, cols[0, 0, 0, 0, 0].size)


def _padded_zeros(n, attrs, dtype):
    """(zeros (n, Hpad, Wpad, C) for the input gradient, its unpadded view, pooled (Hp, Wp))."""
    h, w, c = attrs["in_hwc"]
    _, ((pt, pb), (pl, pr)), pooled_hw = _pooled(attrs, (h, w))
    dxp = np.zeros((n, h + pt + pb, w + pl + pr, c), dtype)
    return dxp, dxp[:, pt:pt + h, pl:pl + w], pooled_hw


def _col2im(attrs, dcols, dxp, pooled_hw):
    """dxp (n, Hpad, Wpad, C) += col2im of the pool-ordered patch gradients dcols
    (B, n * Hp * Wp, K), a C-contiguous array."""
    (ph, pw), (kh, kw) = attrs["pool"], attrs["ksize"]
    d = dcols.reshape((ph, pw, dxp.shape[0]) + tuple(pooled_hw) + (kh, kw, dxp.shape[3]))
    view = _patch_view(dxp, attrs, pooled_hw)
    target = np.ndarray(view.shape, dxp.dtype, dxp, 0, view.strides)  # writable, same memory
    _k.col2im_add(dxp, d, target, attrs)


def _patches_grad_kernel(attrs, dcols):
    """col2im of pool-ordered patch gradients into (N, H, W, C)."""
    hp, wp = _pooled(attrs, attrs["in_hwc"][:2])[2]
    dxp, dx, pooled_hw = _padded_zeros(dcols.shape[1] // (hp * wp), attrs, dcols.dtype)
    _col2im(attrs, np.ascontiguousarray(dcols), dxp, pooled_hw)
    return dx


def _scratch(name, shape, dtype):
    """A reused per-thread temporary (never returned from a kernel): steady-state steps then
    allocate no large blocks for it (PERF-NOTES.md, "Memory and allocation")."""
    bufs = _local.__dict__.setdefault("bufs", {})
    size = int(np.prod(shape))
    buf = bufs.get((name, dtype))
    if buf is None or buf.size < size:
        buf = bufs[(name, dtype)] = np.empty(size, dtype)
    return buf[:size].reshape(shape)


def _conv_pool_kernel(attrs, cols, w, b):
    bsz, p, k = cols.shape
    o = w.shape[3]
    z = _scratch("z", (bsz, p, o), cols.dtype)
    np.matmul(cols.reshape(bsz * p, k), w.reshape(k, o), out=z.reshape(bsz * p, o))
    y = np.empty((p, o), z.dtype)
    idx = np.empty((p, o), np.uint8) if attrs["argmax"] else None
    _k.block_max_bias_relu(z, b, y, idx)
    hp, wp = attrs["pooled_hw"]
    y = y.reshape(p // (hp * wp), hp, wp, o)
    return (y, idx.reshape(y.shape)) if idx is not None else y


def _input_grad(attrs, g, w):
    """dx = col2im(g @ w.T), the patch gradients in a scratch buffer (one GEMM: per-chunk
    GEMMs small enough to stay in cache measured slower on two BLAS threads)."""
    bsz, p, o = g.shape
    k = w.size // o
    dcols = _scratch("dcols", (bsz, p, k), g.dtype)
    np.matmul(g.reshape(bsz * p, o), w.reshape(k, o).T, out=dcols.reshape(bsz * p, k))
    hp, wp = attrs["pooled_hw"]
    dxp, dx, pooled_hw = _padded_zeros(p // (hp * wp), attrs, g.dtype)
    _col2im(attrs, dcols, dxp, pooled_hw)
    return dx


def _conv_pool_grad_kernel(attrs, cols, w, y, idx, dy):
    bsz, p, k = cols.shape
    o = w.shape[3]
    g = _scratch("g", (bsz, p, o), dy.dtype)
    db = np.empty(o, dy.dtype)
    _k.relu_scatter_blocks(dy.reshape(p, o), y.reshape(p, o), idx.reshape(p, o), g, db)
    g2 = g.reshape(bsz * p, o)
    dw = (cols.reshape(bsz * p, k).T @ g2).reshape(w.shape)
    if attrs.get("in_hwc"):
        return _input_grad(attrs, g, w), dw, db
    if not attrs["cols_grad"]:
        return dw, db
    return (g2 @ w.reshape(k, o).T).reshape(cols.shape), dw, db


def _direct_ok(attrs, x, w):
    return x.dtype in (np.float32, np.float64) and _k.direct_supported(
        w.shape[:2], x.shape[3], attrs["pool"])


def _direct_kernel(attrs, x, w, b):
    _, pads, (hp, wp) = _pooled(attrs, x.shape[1:3])
    n, o = x.shape[0], w.shape[3]
    y = np.empty((n * hp * wp, o), x.dtype)
    idx = np.empty(y.shape, np.uint8) if attrs["argmax"] else _scratch("idx", y.shape, np.uint8)
    if not (_direct_ok(attrs, x, w) and
            _k.direct_conv_pool(_win.padded(x, pads), w, b, y, idx, attrs, (hp, wp))):
        return _conv_pool_kernel(attrs, _patches_kernel(attrs, x), w, b)
    y = y.reshape(n, hp, wp, o)
    return (y, idx.reshape(y.shape)) if attrs["argmax"] else y


def _direct_filter_grad_kernel(attrs, x, w, y, idx, dy):
    _, pads, pooled_hw = _pooled(attrs, x.shape[1:3])
    o = w.shape[3]
    dw = np.empty((w.size // o, o), dy.dtype)
    db = np.empty(o, dy.dtype)
    flat = [np.ascontiguousarray(a).reshape(-1, o) for a in (y, idx, dy)]
    if not (_direct_ok(attrs, x, w) and
            _k.direct_filter_grad(_win.padded(x, pads), *flat, dw, db, attrs, pooled_hw)):
        return _conv_pool_grad_kernel({**attrs, "cols_grad": False}, _patches_kernel(attrs, x),
                                      w, y, idx, dy)
    return dw.reshape(w.shape), db


# -- Shape rules ----------------------------------------------------------------------------------


def _float(*ts):
    dt = ts[0].dtype
    if not dt.is_floating or any(t.dtype is not dt for t in ts):
        raise TypeError(f"expected floating-point inputs of one dtype, got "
                        f"{[t.dtype.name for t in ts]}")
    return dt


def _batch(p, attrs):
    hp, wp = attrs["pooled_hw"]
    return None if p is None else p // (hp * wp)


def _input_pooled(x, attrs):
    """The pooled (Hp, Wp) of NHWC input x; ValueError for an unknown or too small input."""
    dims = x.shape.dims
    if dims is None or len(dims) != 4 or None in dims[1:]:
        raise ValueError(f"input must be NHWC with known height, width and channels, got "
                         f"{x.shape}")
    _, _, (hp, wp) = _pooled(attrs, dims[1:3])
    if min(hp, wp) < 1:
        raise ValueError(f"pooling {attrs['pool']} leaves no output for input {x.shape}")
    return hp, wp


def _patches_spec(inputs, attrs):
    x = inputs[0]
    hp, wp = _input_pooled(x, attrs)
    (kh, kw), (ph, pw) = attrs["ksize"], attrs["pool"]
    p = None if x.shape[0] is None else x.shape[0] * hp * wp
    return [(TensorShape((ph * pw, p, kh * kw * x.shape[3])), x.dtype)]


def _patches_grad_spec(inputs, attrs):
    d = inputs[0]
    p = d.shape[1] if d.shape.ndims == 3 else None
    hp, wp = _pooled(attrs, attrs["in_hwc"][:2])[2]
    n = None if p is None else p // (hp * wp)
    return [(TensorShape((n,) + tuple(attrs["in_hwc"])), d.dtype)]


def _conv_pool_spec(inputs, attrs):
    cols, w, b = inputs
    dt = _float(cols, w, b)
    p, o = cols.shape[1] if cols.shape.ndims == 3 else None, w.shape[3]
    y = (TensorShape((_batch(p, attrs),) + tuple(attrs["pooled_hw"]) + (o,)), dt)
    return [y, (y[0], _dt.uint8)] if attrs["argmax"] else [y]


def _conv_pool_grad_spec(inputs, attrs):
    cols, w, y, idx, dy = inputs
    dt = _float(cols, w, y, dy)
    outs = [(w.shape, dt), (TensorShape((w.shape[3],)), dt)]
    if attrs.get("in_hwc"):
        p = cols.shape[1] if cols.shape.ndims == 3 else None
        return [(TensorShape((_batch(p, attrs),) + tuple(attrs["in_hwc"])), dt)] + outs
    return [(cols.shape, dt)] + outs if attrs["cols_grad"] else outs


def _direct_filter(x, w):
    if w.shape.ndims != 4 or w.shape[2] not in (None, x.shape[3]):
        raise ValueError(f"filter must be (kh, kw, {x.shape[3]}, out), got {w.shape}")


def _direct_spec(inputs, attrs):
    x, w, b = inputs
    dt = _float(x, w, b)
    hp, wp = _input_pooled(x, attrs)
    _direct_filter(x, w)
    y = (TensorShape((x.shape[0], hp, wp, w.shape[3])), dt)
    return [y, (y[0], _dt.uint8)] if attrs["argmax"] else [y]


def _direct_filter_grad_spec(inputs, attrs):
    x, w, y, idx, dy = inputs
    dt = _float(x, w, y, dy)
    _input_pooled(x, attrs)
    _direct_filter(x, w)
    return [(w.shape, dt), (TensorShape((w.shape[3],)), dt)]


# -- Gradient rules (the forward ops are differentiable; the grad ops are first order) --------


def _patches_grad(op, g, n):
    hwc = tuple(op.inputs[0].shape.dims[1:])
    return [apply("PoolOrderedPatchesGrad", [g[0]], {**op.attrs, "in_hwc": hwc})]


def _patches_grad_grad(op, g, n):
    return [apply("PoolOrderedPatches", [g[0]],
                  {k: v for k, v in op.attrs.items() if k != "in_hwc"})]


def _conv_pool_grad(op, g, n):
    cols, w, _ = op.inputs
    outs = op.outputs
    if not op.attrs["argmax"]:
        outs = apply("PatchConvBiasReluMaxPool", list(op.inputs), {**op.attrs, "argmax": True})
    dcols, dw, db = apply("PatchConvBiasReluMaxPoolGrad", [cols, w, outs[0], outs[1], g[0]],
                          {**op.attrs, "cols_grad": True})
    return [dcols if n[0] else None, dw if n[1] else None, db if n[2] else None]


def _direct_grad(op, g, n):
    """dw, db by the direct filter gradient; with dx wanted, all three through the patch ops."""
    x, w, _ = op.inputs
    outs = op.outputs
    if not op.attrs["argmax"]:
        outs = apply("ConvBiasReluMaxPool", list(op.inputs), {**op.attrs, "argmax": True})
    if n[0]:
        cols = apply("PoolOrderedPatches", [x], {k: op.attrs[k] for k in _FUSED_KEYS})
        dx, dw, db = apply("PatchConvBiasReluMaxPoolGrad", [cols, w, outs[0], outs[1], g[0]],
                           {**op.attrs, "cols_grad": False, "in_hwc": tuple(x.shape.dims[1:])})
    else:
        dx = None
        dw, db = apply("ConvBiasReluMaxPoolFilterGrad", [x, w, outs[0], outs[1], g[0]],
                       op.attrs)
    return [dx, dw if n[1] else None, db if n[2] else None]


# -- Samples: pool-ordered patches of several convolutions -----------------------------------------


_FUSED_KEYS = ("strides", "padding", "dilations", "data_format", "ksize", "pool")


def fused_attrs(conv_attrs, ksize, pool):
    """Attrs of the fused ops for a Conv2D's attrs, its filter size and the pooling size."""
    return {"strides": tuple(conv_attrs["strides"]), "padding": conv_attrs["padding"],
            "dilations": tuple(conv_attrs["dilations"]), "data_format": "NHWC",
            "ksize": tuple(ksize), "pool": tuple(pool)}


_CASES = [  # (x NHWC, filter, conv attrs, pool)
    ((2, 6, 6, 2), (3, 3, 2, 3), {"strides": (1, 1), "padding": "VALID", "dilations": (1, 1)},
     (2, 2)),
    ((1, 7, 6, 2), (2, 3, 2, 2), {"strides": (1, 2), "padding": "SAME", "dilations": (1, 1)},
     (2, 1)),
    ((1, 8, 7, 1), (2, 2, 1, 2), {"strides": (1, 1), "padding": ((1, 0), (0, 2)),
                                  "dilations": (2, 1)}, (3, 2)),
]


def _case(xs, fs, ca, pool):
    attrs = fused_attrs(ca, fs[:2], pool)
    x = _rng.standard_normal(xs)
    cols = _patches_kernel(attrs, x)
    _, _, phw = _pooled(attrs, xs[1:3])
    return attrs, x, cols, phw


def _patches_samples():
    return [([x], a) for xs, fs, ca, pool in _CASES for a, x, _, _ in [_case(xs, fs, ca, pool)]]


def _patches_grad_samples():
    return [([_rng.standard_normal(cols.shape)], {**a, "in_hwc": x.shape[1:]})
            for xs, fs, ca, pool in _CASES for a, x, cols, _ in [_case(xs, fs, ca, pool)]]


def _clear(cols, w, b):
    """Whether every window maximum is unique and away from relu's kink (margins >> the
    numeric check's step)."""
    z = np.sort(cols @ w.reshape(-1, w.shape[3]), axis=0)
    return np.min(z[-1] - z[-2]) > 1e-3 and np.min(np.abs(z[-1] + b)) > 1e-3


def _conv_pool_samples():
    """Inputs redrawn until _clear."""
    out = []
    for xs, fs, ca, pool in _CASES:
        a, _, cols, phw = _case(xs, fs, ca, pool)
        attrs = {**a, "pooled_hw": phw, "argmax": True}
        while True:
            cols = _rng.standard_normal(cols.shape)
            w, b = _rng.standard_normal(fs), _rng.uniform(-0.5, 0.5, fs[3])
            if _clear(cols, w, b):
                break
        out.append(([cols, w, b], attrs))
    return out


_DIRECT_CASES = [  # 9 taps under 4-element windows (direct kernels), and one other shape
    ((2, 6, 6, 1), (3, 3, 1, 3), {"strides": (1, 1), "padding": "VALID", "dilations": (1, 1)},
     (2, 2)),
    ((1, 5, 10, 3), (1, 3, 3, 2), {"strides": (1, 1), "padding": "SAME", "dilations": (1, 1)},
     (1, 4)),
    ((1, 9, 7, 1), (3, 3, 1, 2), {"strides": (2, 1), "padding": ((1, 0), (0, 2)),
                                  "dilations": (1, 2)}, (2, 2)),
    ((1, 6, 7, 2), (2, 2, 2, 2), {"strides": (1, 1), "padding": "VALID", "dilations": (1, 1)},
     (3, 2)),
]


def _direct_samples():
    """Inputs x, w, b redrawn until _clear; with and without the argmax output."""
    out = []
    for i, (xs, fs, ca, pool) in enumerate(_DIRECT_CASES):
        a, _, _, phw = _case(xs, fs, ca, pool)
        while True:
            x = _rng.standard_normal(xs)
            w, b = _rng.standard_normal(fs), _rng.uniform(-0.5, 0.5, fs[3])
            if _clear(_patches_kernel(a, x), w, b):
                break
        out.append(([x, w, b], {**a, "pooled_hw": phw, "argmax": i % 2 == 0}))
    return out


declare("PoolOrderedPatches", _patches_spec, _patches_kernel, grad=_patches_grad,
        samples=_patches_samples)
declare("PoolOrderedPatchesGrad", _patches_grad_spec, _patches_grad_kernel,
        grad=_patches_grad_grad, samples=_patches_grad_samples)
declare("PatchConvBiasReluMaxPool", _conv_pool_spec, _conv_pool_kernel, grad=_conv_pool_grad,
        samples=_conv_pool_samples)
declare("PatchConvBiasReluMaxPoolGrad", _conv_pool_grad_spec, _conv_pool_grad_kernel)
declare("ConvBiasReluMaxPool", _direct_spec, _direct_kernel, grad=_direct_grad,
        samples=_direct_samples)
declare("ConvBiasReluMaxPoolFilterGrad", _direct_filter_grad_spec, _direct_filter_grad_kernel)


# -- The fusion rule (plan level) -----------------------------------------------------------------


_CONV_KEYS = ("strides", "padding", "dilations", "data_format")


def _same_conv(node, conv):
    return all(node.attrs.get(k) == conv.attrs.get(k) for k in _CONV_KEYS)


def _forward_chain(pool):
    """(conv, bias, relu) under a non-overlapping VALID NHWC MaxPool, or None."""
    a = pool.attrs
    if a["data_format"] != "NHWC" or a["padding"] != "VALID" or \
            tuple(a["ksize"]) != tuple(a["strides"]) or not is_output(pool.inputs[0], "Relu"):
        return None
    relu = pool.inputs[0][0]
    if not is_output(relu.inputs[0], "BiasAdd") or \
            relu.inputs[0][0].attrs["data_format"] != "N...C":
        return None
    bias = relu.inputs[0][0]
    if not is_output(bias.inputs[0], "Conv2D") or bias.inputs[0][0].attrs["data_format"] != "NHWC":
        return None
    conv = bias.inputs[0][0]
    xs, dt = spec_of(conv.inputs[0])
    ws = spec_of(conv.inputs[1])[0]
    if dt.name not in ("float32", "float64") or xs.ndims != 4 or None in xs.dims[1:] or \
            not ws.is_fully_defined() or ws[2] != xs[3]:
        return None
    return conv, bias, relu


def _backward_chain(pool, conv, bias, relu, consumers):
    """(mpg, rg, {type: node}) of the gradient chain, (None, None, {}) for a forward-only
    plan, or None when the intermediates have other readers."""
    if consumers.get((conv, 0)) != [bias] or consumers.get((bias, 0)) != [relu]:
        return None
    users = [n for n in consumers.get((relu, 0), []) if n is not pool]
    mpgs = [n for n in users if n.type == "MaxPoolGrad"]
    if not users:
        return None, None, {}
    if len(mpgs) != 1 or len(users) != 2:
        return None
    mpg = mpgs[0]
    rg = next(n for n in users if n is not mpg)
    if mpg.inputs[:2] != [(relu, 0), (pool, 0)] or mpg.attrs != pool.attrs or \
            rg.type != "ReluGrad" or rg.inputs != [(mpg, 0), (relu, 0)] or \
            consumers.get((mpg, 0)) != [rg]:
        return None
    x, w = conv.inputs
    grads = {}
    for n in consumers.get((rg, 0), []):
        if n.type == "BiasAddGrad":
            ok = n.inputs == [(rg, 0)] and n.attrs == bias.attrs
        elif n.type == "Conv2DBackpropFilter":
            ok = n.inputs[0] == x and n.inputs[2] == (rg, 0) and _same_conv(n, conv)
        elif n.type == "Conv2DBackpropInput":
            ok = n.inputs[1] == w and n.inputs[2] == (rg, 0) and _same_conv(n, conv)
        else:
            ok = False
        if not ok or n.type in grads:
            return None
        grads[n.type] = n
    return mpg, rg, grads


def _fuse_conv_bias_relu_pool(nodes, consumers, roots):
    """Rewrite the first matching conv + bias + relu + max-pool chain (and its gradients)."""
    for pool in nodes:
        if pool.type != "MaxPool":
            continue
        fwd = _forward_chain(pool)
        bwd = fwd and _backward_chain(pool, *fwd, consumers)
        if bwd is None or not rewritable(list(fwd) + [n for n in bwd[:2] if n], fetched_ids(roots)):
            continue
        _rewrite(nodes, roots, pool, fwd, bwd)
        return True
    return False


def _rewrite(nodes, roots, pool, fwd, bwd):
    conv, bias, relu = fwd
    mpg, rg, grads = bwd
    x, w = conv.inputs
    xs, ws = spec_of(x)[0], spec_of(w)[0]
    fa = fused_attrs(conv.attrs, ws.dims[:2], pool.attrs["ksize"])
    _, _, phw = _pooled(fa, xs.dims[1:3])
    ca = {**fa, "pooled_hw": phw, "argmax": mpg is not None}
    cbi = grads.get("Conv2DBackpropInput")
    fused_name = pool.name + "/fused_conv_pool"
    if cbi is None and _k.direct_available(ws.dims[:2], xs.dims[3], fa["pool"]):
        fused = new_node("ConvBiasReluMaxPool", [x, w, bias.inputs[1]], ca, fused_name, pool)
        new_fwd, src, grad_type, ga = [fused], x, "ConvBiasReluMaxPoolFilterGrad", ca
    else:
        patches = new_node("PoolOrderedPatches", [x], fa, conv.name + "/fused_patches", conv)
        fused = new_node("PatchConvBiasReluMaxPool", [(patches, 0), w, bias.inputs[1]], ca,
                      fused_name, pool)
        new_fwd, src = [patches, fused], (patches, 0)
        grad_type, ga = "PatchConvBiasReluMaxPoolGrad", {**ca, "cols_grad": False}
        if cbi is not None:  # the grad op's first output: dx (col2im inside the op)
            ga["in_hwc"] = tuple(xs.dims[1:])
    nodes[nodes.index(pool):nodes.index(pool) + 1] = new_fwd
    replace_uses(nodes, roots, (pool, 0), (fused, 0))
    dead = [conv, bias, relu]
    if mpg is not None:
        grad = new_node(grad_type, [src, w, (fused, 0), (fused, 1), mpg.inputs[2]], ga,
                     mpg.name + "/fused_conv_pool_grad", mpg)
        off = 1 if cbi is not None else 0
        if cbi is not None:
            replace_uses(nodes, roots, (cbi, 0), (grad, 0))
        for op_type, index in (("Conv2DBackpropFilter", off), ("BiasAddGrad", off + 1)):
            if op_type in grads:
                replace_uses(nodes, roots, (grads[op_type], 0), (grad, index))
        nodes[nodes.index(mpg):nodes.index(mpg) + 1] = [grad]
        dead += [rg] + list(grads.values())
    for n in dead:
        nodes.remove(n)


passes.register_fusion(_fuse_conv_bias_relu_pool)
