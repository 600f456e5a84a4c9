"""Neural-network ops (tf.nn): activations, softmax, bias_add, normalisation, dropout and
embedding lookup. Kinked activations have their own ops with TF's gradient conventions
(relu'(0) = 0); smooth ones are composites of math ops. Cross-entropies: cross_entropy.py."""
import math as _pymath

import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.graph import TensorLike, name_scope
from tensorlet.framework.shapes import TensorShape

from .array import broadcast_like, constant, reshape, stop_gradient, zeros_like
from .base import apply, as_tensor, binary_operands, declare, float_unary_spec
from .math import (
    abs,
    add,
    cast,
    erf,
    maximum,
    multiply,
    rsqrt,
    sigmoid,
    sqrt,
    square,
    tanh,
    where,
)
from .random import op_seeds
from .reduction import _norm_axis as _reduction_axes
from .reduction import reduce_mean, reduce_sum

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_rng = np.random.default_rng(2)


def _away(*shape, kinks=(0.0,), margin=0.1):
    """Sample values in [-3, 8] at least `margin` away from every kink (for the gradcheck)."""
    x = _rng.uniform(-3, 8, shape)
    for k in kinks:
        near = np.abs(x - k) < margin
        x[near] = k + np.where(x[near] >= k, margin, -margin) * 2
    return x


def _norm_axis(axis, ndims, what="axis"):
    if ndims is None:
        raise ValueError(f"{what} needs an input of known rank")
    if not -ndims <= axis < ndims:
        raise ValueError(f"{what} {axis} is out of range for a tensor of rank {ndims}")
    return axis % ndims


def _np_zero(g):
    return g.dtype.type(0)


# -- Kinked activations: own ops, TF's gradient ops -------------------------------------------


def _numeric_spec(inputs, attrs):
    x = inputs[0]
    if not x.dtype.is_numeric:
        raise TypeError(f"expected a numeric input, got {x.dtype.name}")
    return [(x.shape, x.dtype)]


def _grad_pair_spec(inputs, attrs):
    g, x = inputs
    if g.dtype is not x.dtype:
        raise TypeError(f"gradient and features must have one dtype, got {g.dtype.name} and "
                        f"{x.dtype.name}")
    return [(g.shape.merge_with(x.shape), g.dtype)]


def _pair_samples(kinks):
    return lambda: [([_rng.standard_normal((3, 4)), _away(3, 4, kinks=kinks)], {})]


declare("Relu", _numeric_spec, lambda attrs, x: np.maximum(x, _np_zero(x)),
        grad=lambda op, g, n: [apply("ReluGrad", [g[0], op.outputs[0]])],
        samples=lambda: [([_away(3, 4)], {}), ([_away(5)], {})])
# Masks multiply instead of np.where: np.where on a random mask is about 15x slower here.
declare("ReluGrad", _grad_pair_spec, lambda attrs, g, y: g * (y > 0),
        grad=lambda op, g, n: [apply("ReluGrad", [g[0], op.inputs[1]]), None],
        samples=_pair_samples((0.0,)))

declare("Relu6", _numeric_spec, lambda attrs, x: np.clip(x, _np_zero(x), x.dtype.type(6)),
        grad=lambda op, g, n: [apply("Relu6Grad", [g[0], op.inputs[0]])],
        samples=lambda: [([_away(3, 4, kinks=(0.0, 6.0))], {})])
declare("Relu6Grad", _grad_pair_spec, lambda attrs, g, x: g * ((x > 0) & (x < 6)),
        grad=lambda op, g, n: [apply("Relu6Grad", [g[0], op.inputs[1]]), None],
        samples=_pair_samples((0.0, 6.0)))


def _leaky_kernel(attrs, x):
    alpha = attrs["alpha"]
    pick = np.maximum if alpha <= 1 else np.minimum  # x where x > 0, alpha * x elsewhere
    return pick(x, x * x.dtype.type(alpha))


def _leaky_grad_kernel(attrs, g, x):
    pos = x > 0
    return g * pos + (g * g.dtype.type(attrs["alpha"])) * ~pos  # exact: one term is 0


declare("LeakyRelu", float_unary_spec, _leaky_kernel,
        grad=lambda op, g, n: [apply("LeakyReluGrad", [g[0], op.inputs[0]], op.attrs)],
        samples=lambda: [([_away(3, 4)], {"alpha": 0.2}), ([_away(5)], {"alpha": 1.5})])
declare("LeakyReluGrad", _grad_pair_spec, _leaky_grad_kernel,
        grad=lambda op, g, n: [apply("LeakyReluGrad", [g[0], op.inputs[1]], op.attrs), None],
        samples=lambda: [([_rng.standard_normal((3, 4)), _away(3, 4)], {"alpha": 0.2})])


def _elu_kernel(attrs, x):  # max(x, 0) + expm1(min(x, 0)): one of the two terms is 0
    zero = _np_zero(x)
    return np.maximum(x, zero) + np.expm1(np.minimum(x, zero))


def _selu_kernel(attrs, x):
    dt = x.dtype.type
    neg = np.expm1(np.minimum(x, dt(0))) * dt(_SELU_ALPHA)
    return (np.maximum(x, dt(0)) + neg) * dt(_SELU_SCALE)


def _elu_grad_kernel(attrs, g, y):  # from the output: y < 0 exactly where x < 0
    return g * (np.minimum(y, _np_zero(y)) + y.dtype.type(1))


def _selu_grad_kernel(attrs, g, y):
    dt = y.dtype.type
    neg = y < 0
    return g * ((y + dt(_SELU_SCALE * _SELU_ALPHA)) * neg + dt(_SELU_SCALE) * ~neg)


def _neg_part_grad(op_type):
    """Gradient of EluGrad/SeluGrad: linear in g; in y only where y < 0 (slope g)."""
    def grad(op, g, n):
        gg, y = op.inputs
        zero = zeros_like(g[0])
        return [apply(op_type, [g[0], y]) if n[0] else None,
                where(y < 0, g[0] * gg, zero) if n[1] else None]
    return grad


declare("Elu", float_unary_spec, _elu_kernel,
        grad=lambda op, g, n: [apply("EluGrad", [g[0], op.outputs[0]])],
        samples=lambda: [([_away(3, 4)], {})])
declare("EluGrad", _grad_pair_spec, _elu_grad_kernel, grad=_neg_part_grad("EluGrad"),
        samples=lambda: [([_rng.standard_normal((3, 4)), _away(3, 4, kinks=(0.0,)) / 4], {})])
declare("Selu", float_unary_spec, _selu_kernel,
        grad=lambda op, g, n: [apply("SeluGrad", [g[0], op.outputs[0]])],
        samples=lambda: [([_away(3, 4)], {})])
declare("SeluGrad", _grad_pair_spec, _selu_grad_kernel, grad=_neg_part_grad("SeluGrad"),
        samples=lambda: [([_rng.standard_normal((3, 4)), _away(3, 4, kinks=(0.0,)) / 4], {})])
declare("Softplus", float_unary_spec, lambda attrs, x: np.logaddexp(_np_zero(x), x),
        grad=lambda op, g, n: [g[0] * sigmoid(op.inputs[0])],
        samples=lambda: [([_rng.standard_normal((3, 4)) * 3], {})])


def _unary_public(op_type, doc):
    def fn(features, name=None):
        return apply(op_type, [as_tensor(features)], name=name)
    fn.__name__ = op_type.lower()
    fn.__doc__ = doc
    return fn


relu = _unary_public("Relu", "max(features, 0); the gradient at 0 is 0.")
relu6 = _unary_public("Relu6", "min(max(features, 0), 6).")
elu = _unary_public("Elu", "features if > 0, else exp(features) - 1.")
selu = _unary_public("Selu", "Scaled ELU with the self-normalising constants.")
softplus = _unary_public("Softplus", "log(1 + exp(features)), computed without overflow.")


def _as_float(features):
    x = as_tensor(features)
    return x if x.dtype.is_floating else cast(x, _dt.float32)


def leaky_relu(features, alpha=0.2, name=None):
    """features if > 0, else alpha * features (integers become float32, as TF)."""
    return apply("LeakyRelu", [_as_float(features)], {"alpha": float(alpha)}, name=name)


# -- Smooth activations: composites -----------------------------------------------------------


def softsign(features, name=None):
    """features / (1 + |features|)."""
    x = _as_float(features)
    return multiply(x, 1 / (1 + abs(x)), name=name)


def gelu(features, approximate=False, name=None):
    """Gaussian error linear unit: the exact erf form, or the tanh approximation."""
    x = _as_float(features)
    if approximate:
        inner = (x + 0.044715 * x * x * x) * _pymath.sqrt(2 / _pymath.pi)
        return multiply(0.5 * x, 1 + tanh(inner), name=name)
    return multiply(0.5 * x, 1 + erf(x * (1 / _pymath.sqrt(2))), name=name)


def silu(features, beta=1.0, name=None):
    """features * sigmoid(beta * features) (swish)."""
    x = _as_float(features)
    return multiply(x, sigmoid(x if beta == 1.0 else x * beta), name=name)


swish = silu


# -- Softmax / LogSoftmax ---------------------------------------------------------------------


def _softmax_spec(inputs, attrs):
    x = inputs[0]
    out = float_unary_spec(inputs, attrs)
    if x.shape.ndims == 0:
        raise ValueError("softmax needs an input of rank >= 1, got a scalar")
    if x.shape.ndims is not None:  # unknown rank: NumPy takes the axis as given
        attrs["axis"] = _norm_axis(attrs["axis"], x.shape.ndims)
    return out


def _softmax_kernel(attrs, x):
    ax = attrs["axis"]
    e = np.exp(x - x.max(axis=ax, keepdims=True))
    e /= e.sum(axis=ax, keepdims=True)
    return e


def _log_softmax_kernel(attrs, x):
    ax = attrs["axis"]
    shifted = x - x.max(axis=ax, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=ax, keepdims=True))


def _softmax_grad(op, g, n):
    y, ax = op.outputs[0], op.attrs["axis"]
    return [(g[0] - reduce_sum(g[0] * y, ax, keepdims=True)) * y]


def _log_softmax_grad(op, g, n):
    y, ax = op.outputs[0], op.attrs["axis"]
    return [g[0] - apply("Exp", [y]) * reduce_sum(g[0], ax, keepdims=True)]


def _axis_samples():
    return [([_rng.standard_normal((3, 4))], {"axis": -1}),
            ([_rng.standard_normal((2, 3, 4))], {"axis": 1})]


declare("Softmax", _softmax_spec, _softmax_kernel, grad=_softmax_grad, samples=_axis_samples)
declare("LogSoftmax", _softmax_spec, _log_softmax_kernel, grad=_log_softmax_grad,
        samples=_axis_samples)


def _axis_arg(axis, dim):
    if dim is not None:
        if axis is not None and axis != dim:
            raise ValueError(f"give axis or dim (its old name), not both: {axis} and {dim}")
        axis = dim
    return -1 if axis is None else int(axis)


def softmax(logits, axis=None, name=None, dim=None):
    """exp(logits) / sum(exp(logits)) along `axis` (default -1), shifted by the max."""
    return apply("Softmax", [as_tensor(logits)], {"axis": _axis_arg(axis, dim)}, name=name)


def log_softmax(logits, axis=None, name=None, dim=None):
    """logits - log(sum(exp(logits))) along `axis` (default -1), computed stably."""
    return apply("LogSoftmax", [as_tensor(logits)], {"axis": _axis_arg(axis, dim)}, name=name)


# -- BiasAdd ----------------------------------------------------------------------------------


def _channel_axis(attrs, ndims):
    return 1 if attrs["data_format"] == "NC..." else ndims - 1


def _bias_add_spec(inputs, attrs):
    x, b = inputs
    if x.dtype is not b.dtype:
        raise TypeError(f"value and bias must have one dtype, got {x.dtype.name} and "
                        f"{b.dtype.name}")
    if b.shape.ndims not in (None, 1):
        raise ValueError(f"bias must be 1-D, got shape {b.shape}")
    nd = x.shape.ndims
    if nd is not None:
        if nd < 2:
            raise ValueError(f"value must have rank >= 2, got shape {x.shape}")
        c = x.shape[_channel_axis(attrs, nd)]
        if c is not None and b.shape.ndims == 1 and b.shape[0] not in (None, c):
            raise ValueError(f"bias of shape {b.shape} does not match the {c} channels of "
                             f"value {x.shape} ({attrs['data_format']} layout)")
    return [(x.shape, x.dtype)]


def _bias_add_kernel(attrs, x, b):
    if attrs["data_format"] == "NC...":
        b = b.reshape((-1,) + (1,) * (x.ndim - 2))
    return x + b


def _bias_add_grad(op, g, n):
    return [g[0] if n[0] else None,
            apply("BiasAddGrad", [g[0]], op.attrs) if n[1] else None]


def _bias_grad_spec(inputs, attrs):
    g = inputs[0]
    nd = g.shape.ndims
    if nd is not None and nd < 2:
        raise ValueError(f"gradient must have rank >= 2, got shape {g.shape}")
    return [((None if nd is None else g.shape[_channel_axis(attrs, nd)],), g.dtype)]


def _bias_grad_kernel(attrs, g):
    if attrs["data_format"] == "NC...":
        return np.sum(g, axis=(0,) + tuple(range(2, g.ndim)), dtype=g.dtype)
    flat = g.reshape(-1, g.shape[-1])
    return np.ones(flat.shape[0], g.dtype) @ flat  # a GEMV beats sum(axis=0) severalfold


def _bias_grad_grad(op, g, n):
    x = op.inputs[0]
    gb = g[0]
    if op.attrs["data_format"] == "NC...":
        gb = reshape(gb, [-1] + [1] * (x.shape.ndims - 2))
    return [broadcast_like(gb, x)]


_FORMATS = [{"data_format": "N...C"}, {"data_format": "NC..."}]
declare("BiasAdd", _bias_add_spec, _bias_add_kernel, grad=_bias_add_grad,
        samples=lambda: [([_rng.standard_normal((2, 3, 4)), _rng.standard_normal(4)], _FORMATS[0]),
                         ([_rng.standard_normal((2, 3, 4)), _rng.standard_normal(3)], _FORMATS[1])])
declare("BiasAddGrad", _bias_grad_spec, _bias_grad_kernel, grad=_bias_grad_grad,
        samples=lambda: [([_rng.standard_normal((2, 3, 4))], f) for f in _FORMATS])


def bias_add(value, bias, data_format=None, name=None):
    """value + bias along the channel axis: the last (N...C, default) or axis 1 (NC...)."""
    if data_format is None or (data_format.startswith("N") and data_format.endswith("C")):
        fmt = "N...C"
    elif data_format.startswith("NC"):
        fmt = "NC..."
    else:
        raise ValueError(f"data_format must look like 'N...C' or 'NC...', got {data_format!r}")
    value, bias = binary_operands(value, bias, "bias_add")
    return apply("BiasAdd", [value, bias], {"data_format": fmt}, name=name)


def xw_plus_b(x, weights, biases, name=None):
    """matmul(x, weights) + biases."""
    from .math import matmul
    return bias_add(matmul(x, weights), biases, name=name)


# -- Normalisation and norms (composites) -----------------------------------------------------


def l2_loss(t, name=None):
    """sum(t ** 2) / 2."""
    return multiply(reduce_sum(square(as_tensor(t))), 0.5, name=name)


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """x / sqrt(max(sum(x ** 2, axis), epsilon)); all axes when axis is None."""
    if dim is not None:
        axis = dim
    x = as_tensor(x)
    sq = reduce_sum(square(x), axis, keepdims=True)
    return multiply(x, rsqrt(maximum(sq, epsilon)), name=name)


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    """(mean, variance) of `x` over `axes`; the variance is the biased (population) one."""
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with name_scope(name, "moments"):
        x = as_tensor(x)
        mean = reduce_mean(x, axes, keepdims=True)
        var = reduce_mean(square(x - stop_gradient(mean)), axes, keepdims=True)
        if keep:
            return mean, var
        drop = _reduction_axes(axes, x.shape.ndims)
        return (apply("SqueezeReduced", [mean], {"axis": drop}, name="mean"),
                apply("SqueezeReduced", [var], {"axis": drop}, name="variance"))


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """(x - mean) * scale / sqrt(variance + epsilon) + offset (offset/scale may be None)."""
    with name_scope(name, "batchnorm"):
        x = as_tensor(x)

        def like_x(v):  # NumPy/Python statistics take x's dtype; tensors are cast at the end
            return v if isinstance(v, TensorLike) else as_tensor(np.asarray(v, x.dtype.np))

        inv = rsqrt(add(like_x(variance), variance_epsilon))
        if scale is not None:
            inv = inv * like_x(scale)
        shift = -like_x(mean) * inv
        if offset is not None:
            shift = like_x(offset) + shift
        return add(x * _cast_to(inv, x.dtype), _cast_to(shift, x.dtype))


def _cast_to(t, dtype):
    return t if t.dtype is dtype else cast(t, dtype)


# -- Dropout ----------------------------------------------------------------------------------


def _noise_dims(noise_shape, x_shape):
    return tuple(x_shape[i] if d is None else d for i, d in enumerate(noise_shape))


def _dropout_mask_spec(inputs, attrs):
    x, rate = inputs
    if rate.shape.ndims not in (None, 0):
        raise ValueError(f"rate must be a scalar, got shape {rate.shape}")
    ns = attrs["noise_shape"]
    if ns is None:
        return [(x.shape, x.dtype)]
    if x.shape.ndims is not None:
        if len(ns) != x.shape.ndims:
            raise ValueError(f"noise_shape {list(ns)} must have the rank of x {x.shape}")
        for d, xd in zip(ns, x.shape.dims):
            if d is not None and d != 1 and xd is not None and d != xd:
                raise ValueError(f"noise_shape {list(ns)} does not broadcast to x {x.shape}")
        return [(_noise_dims(ns, x.shape.dims), x.dtype)]
    return [(ns, x.dtype)]


_KEEP_BITS = (1, 8, 16, 32)


def dropout_keep(ctx, attrs, dims, rate):
    """A bool array of `dims`, True where an element is kept: TF's rule (keep where a uniform
    draw >= rate) on b-bit uniforms read from the op's random stream (`ctx.rng_for(attrs)`),
    b the fewest of 1, 8, 16, 32 bits that represent `rate` exactly, else 64; so the keep
    probability is exactly 1 - rate (to 2**-64 for rates not representable in 64 bits). One bit
    per element at rate 0.5: the generator's raw 64-bit words cost a fraction of `rng.bytes`
    or float uniforms (PERF-NOTES.md). DropoutMask and the fused dense ops share it."""
    r = float(rate)
    if not 0 <= r < 1:
        raise InvalidArgumentError(f"dropout keep_prob must be in (0, 1], got {1 - r:g} "
                                   f"(rate {r:g})")
    bits = next((b for b in _KEEP_BITS if (r * 2.0 ** b).is_integer()), 64)
    threshold = _pymath.ceil(r * 2.0 ** bits)  # exact: scaling by a power of two
    if threshold == 0:
        return np.ones(dims, bool)
    k = _pymath.prod(dims)
    words = ctx.rng_for(attrs).bit_generator.random_raw(-(-k * bits // 64))
    words = words.astype("<u8", copy=False)  # one byte order on every platform
    if bits == 1:  # threshold 1: keep where the bit is set
        return np.unpackbits(words.view(np.uint8), count=k).view(bool).reshape(dims)
    u = words.view(f"<u{bits // 8}")[:k]
    return (u >= u.dtype.type(threshold)).reshape(dims)


def _dropout_mask_kernel(ctx, attrs, x, rate):
    """1/keep_prob where kept, 0 where dropped (`dropout_keep` draws which)."""
    ns = attrs["noise_shape"]
    dims = x.shape if ns is None else _noise_dims(ns, x.shape)
    if any(d != 1 and d != xd for d, xd in zip(dims, x.shape)):
        raise InvalidArgumentError(f"noise_shape {list(dims)} does not broadcast to x "
                                   f"{list(x.shape)}")
    mask = dropout_keep(ctx, attrs, dims, rate).astype(x.dtype)
    mask *= dropout_scale(rate, x.dtype)
    return mask


def dropout_scale(rate, dtype):
    """1 / (1 - rate) in `dtype`: the value of a kept element (the fused dense ops share it)."""
    one = dtype.type(1)
    return one / (one - dtype.type(rate))


declare("DropoutMask", _dropout_mask_spec, _dropout_mask_kernel, stateful=True)


def _static_noise_shape(noise_shape):
    if noise_shape is None:
        return None
    if isinstance(noise_shape, TensorLike):
        v = as_tensor(noise_shape).constant_value()
        if v is None:
            raise TypeError("noise_shape must be known when the graph is built (a list or a "
                            "constant), got a computed tensor")
        noise_shape = [int(d) for d in np.asarray(v).reshape(-1)]
    return tuple(TensorShape(noise_shape).dims)


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """Zero each element with probability rate = 1 - keep_prob; scale the kept ones by
    1 / keep_prob. `keep_prob` (or `rate`) may be a float or a scalar tensor."""
    if (keep_prob is None) == (rate is None):
        raise ValueError("dropout: give exactly one of keep_prob and rate")
    with name_scope(name, "dropout") as scope:
        x = as_tensor(x)
        if not x.dtype.is_floating:
            raise ValueError(f"dropout: x must be a floating-point tensor (it is scaled), got "
                             f"{x.dtype.name}")
        given = keep_prob if rate is None else rate
        if isinstance(given, TensorLike) and as_tensor(given).constant_value() is not None:
            given = as_tensor(given).constant_value()
        if not isinstance(given, TensorLike):
            p = float(given)
            if rate is None and not 0 < p <= 1:
                raise ValueError(f"dropout: keep_prob must be in (0, 1], got {p}")
            if rate is not None and not 0 <= p < 1:
                raise ValueError(f"dropout: rate must be in [0, 1), got {p}")
            r = 1 - p if rate is None else p
            if r == 0:
                return x
            rate_t = constant(r, dtype=x.dtype, name="rate")
        else:
            t = as_tensor(given)
            t = t if t.dtype is x.dtype else cast(t, x.dtype)
            rate_t = 1 - t if rate is None else t
        s, s2 = op_seeds(seed, graph=x.graph)
        mask = apply("DropoutMask", [x, rate_t], {"noise_shape": _static_noise_shape(
            noise_shape), "seed": s, "seed2": s2}, name="mask")
        return multiply(x, mask, name=scope.rstrip("/") + "/")


# -- Embedding lookup ---------------------------------------------------------------------------


def embedding_lookup(params, ids, partition_strategy="mod", name=None, validate_indices=True,
                     max_norm=None):
    """Rows of `params` at `ids` (a gather); with `max_norm`, each looked-up vector is
    rescaled to an L2 norm of at most max_norm. A list of partitions is split by
    `partition_strategy` ('mod': id i is row i // n of partition i % n; 'div': contiguous)."""
    from .indexing import gather
    if partition_strategy not in ("mod", "div"):
        raise ValueError(f"partition_strategy must be 'mod' or 'div', got "
                         f"{partition_strategy!r}")
    with name_scope(name, "embedding_lookup") as scope:
        out_name = scope.rstrip("/") + "/"
        ids = as_tensor(ids)
        if not ids.dtype.is_integer:
            raise TypeError(f"ids must be integers, got {ids.dtype.name}")
        if isinstance(params, (list, tuple)):
            if not params:
                raise ValueError("embedding_lookup needs at least one params tensor")
            table, ids = _partitioned([as_tensor(p) for p in params], ids, partition_strategy)
        else:
            table = as_tensor(params)
        if max_norm is None:
            return gather(table, ids, name=out_name)
        emb = gather(table, ids)
        axes = list(range(ids.shape.ndims, emb.shape.ndims))
        sq = reduce_sum(square(emb), axes, keepdims=True)
        positive = sq > 0
        norm = where(positive, sqrt(where(positive, sq, sq + 1)), sq)  # no sqrt'(0) = inf
        return multiply(emb, max_norm / maximum(norm, max_norm), name=out_name)


def _partitioned(parts, ids, strategy):
    """One table (the partitions concatenated) and `ids` mapped into it; the partitions must
    have the sizes TF's strategy gives (checked, so that no id lands in the wrong row)."""
    if len(parts) == 1:
        return parts[0], ids
    from .indexing import gather
    from .manip import concat
    sizes = [p.shape[0] if p.shape.ndims else None for p in parts]
    if any(s is None for s in sizes):
        raise ValueError(f"partitioned embedding_lookup needs partitions of known first "
                         f"dimension, got shapes {[str(p.shape) for p in parts]}")
    n, total = len(parts), sum(sizes)
    if strategy == "mod":
        expected = [len(range(p, total, n)) for p in range(n)]
    else:
        expected = [total // n + (p < total % n) for p in range(n)]
    if sizes != expected:
        raise ValueError(f"partition sizes {sizes} do not follow the {strategy!r} strategy for "
                         f"{total} ids in {n} partitions (expected {expected})")
    table = concat(parts, 0)
    if strategy == "div":
        return table, ids
    starts = constant(np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(ids.dtype.np))
    return table, add(gather(starts, ids % n), ids // n)


__all__ = [
    "batch_normalization",
    "bias_add",
    "dropout",
    "elu",
    "embedding_lookup",
    "gelu",
    "l2_loss",
    "l2_normalize",
    "leaky_relu",
    "log_softmax",
    "moments",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "swish",
    "tanh",
    "xw_plus_b",
]
