"""`keras.ops.numpy`: Keras 3's NumPy-style ops with NumPy's semantics where Keras 3 keeps
them: creation, elementwise math, products and reductions here; shapes, indexing and sorting
in `shapes` (re-exported here, as Keras 3 lists them under keras.ops.numpy)."""
import builtins

import numpy as np

import tensorlet as _tf
from tensorlet.framework import dtypes as _dt
from tensorlet.keras import backend as _backend
from tensorlet.keras.ops.core import (_accumulating, _binary, _dtype, _flat_if_none, _float,
                                      _float_pair, _op, _python_scalar, _t, _unary)

_IMPORTED = set(globals())


@_op
def zeros(shape, dtype=None):
    return _tf.zeros(shape, _dtype(dtype))


@_op
def ones(shape, dtype=None):
    return _tf.ones(shape, _dtype(dtype))


@_op
def full(shape, fill_value, dtype=None):
    return _tf.fill(shape, _t(fill_value, _dtype(dtype)))


@_op
def zeros_like(x, dtype=None):
    return _tf.zeros_like(_t(x), dtype=dtype and _dt.as_dtype(dtype))


@_op
def ones_like(x, dtype=None):
    return _tf.ones_like(_t(x), dtype=dtype and _dt.as_dtype(dtype))


@_op
def full_like(x, fill_value, dtype=None):
    x = _t(x)
    return _tf.fill(_tf.shape(x), _t(fill_value, dtype or x.dtype))


@_op
def linspace(start, stop, num=50, endpoint=True, dtype=None):
    """`num` evenly spaced values from start to stop (stop excluded unless `endpoint`)."""
    if not endpoint:
        stop = start + (stop - start) * (num - 1) / num if num > 1 else start
    out = _tf.linspace(_t(float(start)), _t(float(stop)), num)
    if dtype is not None and not _dt.as_dtype(dtype).is_floating:
        out = _tf.floor(out)  # NumPy 2 floors into integer dtypes
    return out if dtype is None else _tf.cast(out, dtype)


@_op
def arange(start, stop=None, step=1, dtype=None):
    """NumPy's arange; integers give int32, floats floatx (Keras 3's defaults)."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        floats = builtins.any(isinstance(v, (float, np.floating)) for v in (start, stop, step))
        dtype = _backend.floatx() if floats else "int32"
    return _tf.range(start, stop, step, dtype=_dt.as_dtype(dtype))


@_op
def eye(N, M=None, k=0, dtype=None):
    return _tf.convert_to_tensor(np.eye(N, M, k, dtype=_dtype(dtype).np))


add = _binary(_tf.add)
subtract = _binary(_tf.subtract)
multiply = _binary(_tf.multiply)
maximum = _binary(_tf.maximum)
minimum = _binary(_tf.minimum)
power = _binary(_tf.pow)
mod = _binary(_tf.math.floormod)
floor_divide = _binary(_tf.math.floordiv)
equal = _binary(_tf.equal)
not_equal = _binary(_tf.not_equal)
greater = _binary(_tf.greater)
greater_equal = _binary(_tf.greater_equal)
less = _binary(_tf.less)
less_equal = _binary(_tf.less_equal)
logical_and = _binary(_tf.logical_and)
logical_or = _binary(_tf.logical_or)


@_op
def divide(x1, x2):
    """True division: integers divide as floats."""
    if _python_scalar(x1) and _python_scalar(x2):
        x1 = _float(x1)
    return _tf.divide(x1 if _python_scalar(x1) else _float(x1),
                      x2 if _python_scalar(x2) else _float(x2))


true_divide = divide


@_op
def arctan2(x1, x2):
    """The angle of the point (x2, x1), elementwise."""
    return _tf.atan2(*_float_pair(x1, x2))


@_op
def divide_no_nan(x1, x2):
    """x1 / x2, and 0 where x2 is 0."""
    return _tf.math.div_no_nan(*_float_pair(x1, x2))


@_op
def logaddexp(x1, x2):
    """log(exp(x1) + exp(x2)) without overflow."""
    x1, x2 = _float_pair(x1, x2)
    delta = x1 - x2
    out = _tf.maximum(x1, x2) + _tf.math.log1p(_tf.exp(-_tf.abs(delta)))
    return _tf.where(_tf.math.is_nan(delta), x1 + x2, out)  # equal infinities (and NaN)


negative = _unary(_tf.negative)
abs = absolute = _unary(_tf.abs)
square = _unary(lambda x: _tf.square(_accumulating(x) if x.dtype.is_bool else x))
sign = _unary(_tf.sign)
sqrt = _unary(_tf.sqrt, floats=True)
exp = _unary(_tf.exp, floats=True)
log = _unary(_tf.math.log, floats=True)
log1p = _unary(_tf.math.log1p, floats=True)
expm1 = _unary(_tf.math.expm1, floats=True)
sin = _unary(_tf.sin, floats=True)
cos = _unary(_tf.cos, floats=True)
tan = _unary(_tf.tan, floats=True)
tanh = _unary(_tf.tanh, floats=True)
sinh = _unary(_tf.sinh, floats=True)
cosh = _unary(_tf.cosh, floats=True)
arcsin = _unary(_tf.asin, floats=True)
arccos = _unary(_tf.acos, floats=True)
arctan = _unary(_tf.atan, floats=True)
arcsinh = _unary(_tf.asinh, floats=True)
arccosh = _unary(_tf.acosh, floats=True)
arctanh = _unary(_tf.atanh, floats=True)
floor = _unary(_tf.floor, floats=True)
ceil = _unary(_tf.math.ceil, floats=True)
reciprocal = _unary(_tf.math.reciprocal, floats=True)
logical_not = _unary(_tf.logical_not)
isnan = _unary(_tf.math.is_nan, floats=True)
isinf = _unary(_tf.math.is_inf, floats=True)
isfinite = _unary(_tf.math.is_finite, floats=True)


@_op
def round(x, decimals=0):
    """Half to even, as NumPy; `decimals` digits after the point."""
    x = _t(x)
    if not x.dtype.is_floating:  # integers: whole already, or rounded to tens, hundreds...
        if decimals >= 0:
            return x
        return _tf.cast(round(_tf.cast(x, _dt.float64), decimals), x.dtype)
    if decimals == 0:
        return _tf.round(x)
    if decimals < 0:  # to tens, hundreds...: divide and multiply by an exact integer
        step = _tf.cast(10.0 ** -decimals, x.dtype)
        return _tf.round(x / step) * step
    scale = _tf.cast(10.0 ** decimals, x.dtype)
    return _tf.round(x * scale) / scale


@_op
def clip(x, x_min, x_max):
    """x limited to [x_min, x_max]; integers with float bounds become floats (NumPy)."""
    x = _t(x)
    if x.dtype.is_bool or (x.dtype.is_integer and builtins.any(
            isinstance(b, (float, np.floating)) for b in (x_min, x_max))):
        x = _tf.cast(x, _backend.floatx() if not x.dtype.is_bool else _dt.int32)
    return _tf.clip_by_value(x, _tf.cast(x_min, x.dtype), _tf.cast(x_max, x.dtype))


@_op
def where(condition, x1=None, x2=None):
    """x1 where condition else x2; with neither, the indices where condition holds (one
    int32 array per axis, as np.nonzero)."""
    condition = _tf.cast(_t(condition), _dt.bool_)
    if x1 is None and x2 is None:
        coords = _tf.cast(_tf.where(condition), _dt.int32)
        return tuple(_tf.unstack(coords, axis=1, num=condition.shape.ndims))
    if x1 is None or x2 is None:
        raise ValueError("where: give both x1 and x2, or neither.")
    x1 = x1 if _python_scalar(x1) and not _python_scalar(x2) else _t(x1)
    x2 = x2 if _python_scalar(x2) else _t(x2)
    # NumPy broadcasting of all three (the core op's rank-1 condition would pick rows)
    zero = _tf.add(_tf.zeros_like(x1), _tf.zeros_like(x2))
    zero = _tf.add(zero, _tf.zeros_like(_tf.cast(condition, zero.dtype)))
    full = _tf.logical_or(condition, _tf.zeros_like(zero, dtype=_dt.bool_))
    return _tf.where(full, _tf.add(x1, zero), _tf.add(x2, zero))


logical_xor = _binary(_tf.math.logical_xor)
rsqrt = _unary(_tf.math.rsqrt, floats=True)
erf = _unary(_tf.math.erf, floats=True)


@_op
def log2(x):
    x = _float(x)
    return _tf.math.log(x) / _tf.cast(np.log(2.0), x.dtype)


@_op
def log10(x):
    x = _float(x)
    return _tf.math.log(x) / _tf.cast(np.log(10.0), x.dtype)


@_op
def matmul(x1, x2):
    """np.matmul, vectors included (a 1-D operand gains and then loses an axis)."""
    x1, x2 = _t(x1), _t(x2)
    v1, v2 = x1.shape.ndims == 1, x2.shape.ndims == 1
    out = _tf.matmul(_tf.expand_dims(x1, 0) if v1 else x1, _tf.expand_dims(x2, -1) if v2 else x2)
    if v1 and v2:
        return _tf.reshape(out, [])
    return _tf.squeeze(out, axis=-2) if v1 else _tf.squeeze(out, axis=-1) if v2 else out


@_op
def dot(x1, x2):
    """np.dot: a sum over the last axis of x1 and the second-to-last of x2 (the only of a
    vector)."""
    x1, x2 = _t(x1), _t(x2)
    if x1.shape.ndims == 0 or x2.shape.ndims == 0:
        return _tf.multiply(x1, x2)
    return _tf.tensordot(x1, x2, [[x1.shape.ndims - 1], [builtins.max(x2.shape.ndims - 2, 0)]])


@_op
def tensordot(x1, x2, axes=2):
    return _tf.tensordot(_t(x1), _t(x2), axes)


@_op
def einsum(subscripts, *operands):
    return _tf.einsum(subscripts, *[_t(o) for o in operands])


@_op
def sum(x, axis=None, keepdims=False):
    return _tf.reduce_sum(_accumulating(x), axis=axis, keepdims=keepdims)


@_op
def prod(x, axis=None, keepdims=False, dtype=None):
    return _tf.reduce_prod(_accumulating(_t(x, dtype)), axis=axis, keepdims=keepdims)


@_op
def mean(x, axis=None, keepdims=False):
    """The mean; of integers, a float (as NumPy)."""
    return _tf.reduce_mean(_float(x), axis=axis, keepdims=keepdims)


@_op
def var(x, axis=None, keepdims=False):
    x = _float(x)
    centred = x - _tf.reduce_mean(x, axis=axis, keepdims=True)
    return _tf.reduce_mean(_tf.square(centred), axis=axis, keepdims=keepdims)


@_op
def std(x, axis=None, keepdims=False):
    return _tf.sqrt(var(x, axis=axis, keepdims=keepdims))


@_op
def max(x, axis=None, keepdims=False, initial=None):
    out = _tf.reduce_max(_t(x), axis=axis, keepdims=keepdims)
    return out if initial is None else _tf.maximum(out, _tf.cast(initial, out.dtype))


@_op
def min(x, axis=None, keepdims=False, initial=None):
    out = _tf.reduce_min(_t(x), axis=axis, keepdims=keepdims)
    return out if initial is None else _tf.minimum(out, _tf.cast(initial, out.dtype))


amax, amin = max, min


@_op
def any(x, axis=None, keepdims=False):
    return _tf.reduce_any(_tf.cast(_t(x), _dt.bool_), axis=axis, keepdims=keepdims)


@_op
def all(x, axis=None, keepdims=False):
    return _tf.reduce_all(_tf.cast(_t(x), _dt.bool_), axis=axis, keepdims=keepdims)


@_op
def count_nonzero(x, axis=None):
    return _tf.reduce_sum(_tf.cast(_tf.not_equal(_t(x), 0), _dt.int32), axis=axis)


@_op
def logsumexp(x, axis=None, keepdims=False):
    return _tf.reduce_logsumexp(_float(x), axis=axis, keepdims=keepdims)


def _arg(core):
    @_op
    def op(x, axis=None, keepdims=False):
        x = _t(x)
        flat, ax = _flat_if_none(x, axis)
        out = core(flat, axis=ax, output_type=_dt.int32)
        if keepdims:
            if axis is None:
                return _tf.reshape(out, [1] * x.shape.ndims)
            return _tf.expand_dims(out, axis)
        return out
    return op


argmax = _arg(_tf.argmax)
argmin = _arg(_tf.argmin)


@_op
def cumsum(x, axis=None, dtype=None):
    flat, ax = _flat_if_none(_accumulating(_t(x, dtype)), axis)
    return _tf.cumsum(flat, axis=ax)


@_op
def cumprod(x, axis=None, dtype=None):
    flat, ax = _flat_if_none(_accumulating(_t(x, dtype)), axis)
    return _tf.cumprod(flat, axis=ax)


@_op
def one_hot(x, num_classes, axis=-1, dtype=None):
    return _tf.one_hot(_t(x), num_classes, axis=axis,
                       dtype=_dtype(dtype))


@_op
def identity(n, dtype=None):
    return _tf.convert_to_tensor(np.eye(n, dtype=_dtype(dtype).np))


@_op
def outer(x1, x2):
    """x1[i] * x2[j] over the flattened inputs."""
    return multiply(_tf.reshape(_t(x1), [-1, 1]), _tf.reshape(_t(x2), [1, -1]))


@_op
def trunc(x):
    """x rounded toward zero (integers unchanged)."""
    x = _t(x)
    if not x.dtype.is_floating:
        return x
    return _tf.where(_tf.less(x, 0), _tf.math.ceil(x), _tf.floor(x))  # keeps -0.0


@_op
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """|x1 - x2| <= atol + rtol * |x2| elementwise for floats (infinities close only to
    themselves, NaNs only with `equal_nan`); integers compare for equality, as in Keras."""
    x1, x2 = _t(x1), _t(x2)
    if not (x1.dtype.is_floating or x2.dtype.is_floating):  # integers: equality (Keras)
        return equal(x1, x2)
    x1, x2 = _float_pair(x1, x2)
    finite = _tf.logical_and(_tf.math.is_finite(x1), _tf.math.is_finite(x2))
    near = _tf.less_equal(_tf.abs(x1 - x2), atol + rtol * _tf.abs(x2))
    close = _tf.where(finite, near, _tf.equal(x1, x2))  # infinities: only equal ones
    if equal_nan:
        close = _tf.logical_or(close, _tf.logical_and(_tf.math.is_nan(x1),
                                                      _tf.math.is_nan(x2)))
    return close


@_op
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """x with NaN, +inf and -inf replaced (by default: 0, the largest and the lowest finite
    value of the dtype)."""
    x = _t(x)
    if not x.dtype.is_floating:
        return x
    info = np.finfo(x.dtype.np)
    x = _tf.where(_tf.math.is_nan(x), _tf.fill(_tf.shape(x), _t(nan, x.dtype)), x)
    big = _t(info.max if posinf is None else posinf, x.dtype)
    low = _t(info.min if neginf is None else neginf, x.dtype)
    x = _tf.where(_tf.equal(x, np.inf), _tf.fill(_tf.shape(x), big), x)
    return _tf.where(_tf.equal(x, -np.inf), _tf.fill(_tf.shape(x), low), x)


@_op
def average(x, axis=None, weights=None):
    """The mean along `axis`, weighted by `weights` (1-D along the axis, or x's shape)."""
    if weights is None:
        return _tf.reduce_mean(_float(x), axis=axis)
    x, w = _float_pair(x, weights)
    if w.shape.ndims != x.shape.ndims:
        if w.shape.ndims != 1 or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"average: weights of shape {w.shape} must have the shape of x "
                             f"({x.shape}), or be 1-D along one integer `axis` (got {axis!r})")
        ax = int(axis) % x.shape.ndims
        if None not in (w.shape[0], x.shape[ax]) and w.shape[0] != x.shape[ax]:
            raise ValueError(f"average: {w.shape[0]} weights for axis {axis} of size "
                             f"{x.shape[ax]}")
        shape = [1] * x.shape.ndims
        shape[ax] = -1
        w = _tf.reshape(w, shape)
    return _tf.reduce_sum(x * w, axis=axis) / _tf.reduce_sum(w * _tf.ones_like(x), axis=axis)


from tensorlet.keras.ops.shapes import *  # noqa: E402,F401,F403

__all__ = sorted(name for name, value in list(globals().items())
                 if name not in _IMPORTED and not name.startswith("_") and callable(value))
