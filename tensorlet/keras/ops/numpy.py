"""`keras.ops.numpy`: Keras 3's NumPy-style ops (creation, elementwise math, linear algebra,
reductions, shapes and indexing) with NumPy's semantics where Keras 3 keeps them."""
import builtins

import numpy as np

import tensorlet as _tf
from tensorlet.framework import dtypes as _dt
from tensorlet.framework.graph import TensorLike
from tensorlet.keras import backend as _backend
from tensorlet.keras.ops.core import (_accumulating, _axes, _binary, _dtype, _flat_if_none, _float,
                                      _int_list, _op, _python_scalar, _t, _unary)

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


def _float_pair(x1, x2):
    """x1 and x2 as floats of one dtype (integers as floatx, mixed floats promoted)."""
    x1, x2 = _float(x1), _float(x2)
    dt = _dt.as_dtype(np.promote_types(x1.dtype.np, x2.dtype.np))
    return _tf.cast(x1, dt), _tf.cast(x2, dt)


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
    return _tf.maximum(x1, x2) + _tf.math.log1p(_tf.exp(-_tf.abs(x1 - x2)))


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
def norm(x, ord=None, axis=None, keepdims=False):
    """np.linalg.norm: vector norms (any p, 0, inf, -inf) over one axis; over two axes (or a
    2-D x with axis=None) the Frobenius norm and the 1, -1, inf, -inf matrix norms."""
    x = _float(x)
    rank = x.shape.ndims
    if axis is None:
        axis = tuple(range(rank)) if rank == 2 else None
    if axis is not None and not isinstance(axis, (int, np.integer)) and len(axis) == 2:
        return _matrix_norm(x, ord, _axes(axis, rank), keepdims)
    if ord in (None, 2, "euclidean") or (ord == "fro" and axis is None):
        return _tf.sqrt(_tf.reduce_sum(_tf.square(x), axis=axis, keepdims=keepdims))
    if isinstance(ord, str):
        raise ValueError(f"norm: ord {ord!r} needs a matrix (two axes).")
    a = _tf.abs(x)
    if ord == np.inf:
        return _tf.reduce_max(a, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return _tf.reduce_min(a, axis=axis, keepdims=keepdims)
    if ord == 0:
        return _tf.reduce_sum(_tf.cast(_tf.not_equal(x, 0), x.dtype), axis=axis,
                              keepdims=keepdims)
    p = _tf.cast(ord, x.dtype)
    return _tf.pow(_tf.reduce_sum(_tf.pow(a, p), axis=axis, keepdims=keepdims), 1 / p)


@_op
def inv(a):
    """The inverse of each square matrix in the last two dimensions."""
    return _tf.linalg.inv(_float(a))


@_op
def det(a):
    """The determinant of each square matrix in the last two dimensions."""
    return _tf.linalg.det(_float(a))


@_op
def slogdet(x):
    """(sign, log |determinant|) of each square matrix."""
    return _tf.linalg.slogdet(_float(x))


@_op
def solve(a, b):
    """x with a @ x = b for each square matrix a (b a matrix, or a vector per matrix)."""
    a, b = _float_pair(a, b)
    if b.shape.ndims == a.shape.ndims - 1:  # NumPy: b of shape (..., n) is a vector
        return _tf.squeeze(_tf.linalg.solve(a, _tf.expand_dims(b, -1)), -1)
    return _tf.linalg.solve(a, b)


def _matrix_norm(x, ord, axes, keepdims):
    rows, cols = axes
    if ord in (None, "fro"):
        out = _tf.sqrt(_tf.reduce_sum(_tf.square(x), axis=axes, keepdims=True))
    elif ord in (1, -1, np.inf, -np.inf):
        summed, over = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = _tf.reduce_sum(_tf.abs(x), axis=summed, keepdims=True)
        pick = _tf.reduce_max if ord in (1, np.inf) else _tf.reduce_min
        out = pick(sums, axis=over, keepdims=True)
    else:
        raise ValueError(f"norm: matrix norm ord={ord!r} is not supported (singular values "
                         "are not available); use None/'fro', 1, -1, inf or -inf.")
    return out if keepdims else _tf.squeeze(out, axis=axes)


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
def reshape(x, newshape):
    """x in `newshape`; with the batch from `shape(x)[0]` first (a tensor) the other
    dimensions stay known, -1 included."""
    x = _t(x)
    dims = _int_list(newshape)
    out = _tf.reshape(x, dims)
    if dims and isinstance(dims[0], TensorLike) and x.shape.ndims and \
            not builtins.any(isinstance(d, TensorLike) for d in dims[1:]):
        rest = x.shape.as_list()[1:]
        known = [d for d in dims[1:] if d != -1]
        if None not in rest and 0 not in known:
            size, fixed = int(np.prod(rest)), int(np.prod(known))
            if -1 in dims[1:] and size % fixed == 0:
                dims = [size // fixed if d == -1 else d for d in dims]
            if -1 not in dims[1:]:
                out.set_shape([None] + dims[1:])
    return out


@_op
def transpose(x, axes=None):
    x = _t(x)
    return _tf.transpose(x, perm=None if axes is None else _axes(axes, x.shape.ndims))


@_op
def expand_dims(x, axis):
    """New axes of size 1 at `axis` (an int or a tuple, positions in the result)."""
    x = _t(x)
    if isinstance(axis, (int, np.integer)):
        return _tf.expand_dims(x, int(axis))
    for a in sorted(_axes(axis, x.shape.ndims + len(axis))):
        x = _tf.expand_dims(x, a)
    return x


@_op
def squeeze(x, axis=None):
    return _tf.squeeze(_t(x), axis=axis)


@_op
def concatenate(xs, axis=0):
    return _tf.concat([_t(x) for x in xs], axis)


@_op
def stack(x, axis=0):
    return _tf.stack([_t(v) for v in x], axis=axis)


@_op
def tile(x, repeats):
    x = _t(x)
    repeats = _int_list(repeats)
    if len(repeats) < x.shape.ndims:
        repeats = [1] * (x.shape.ndims - len(repeats)) + repeats
    elif len(repeats) > x.shape.ndims:
        x = _tf.reshape(x, [1] * (len(repeats) - x.shape.ndims) + x.shape.as_list())
    return _tf.tile(x, repeats)


@_op
def split(x, indices_or_sections, axis=0):
    """NumPy's split: a number of equal sections, or the indices to split at."""
    x = _t(x)
    if isinstance(indices_or_sections, (int, np.integer)):
        return _tf.split(x, int(indices_or_sections), axis=axis)
    n = x.shape.as_list()[axis]
    if n is None:
        raise ValueError("split at indices needs the size of that axis to be known.")
    points = [0] + [builtins.min(builtins.max(int(p) + n if p < 0 else int(p), 0), n)
                    for p in indices_or_sections] + [n]
    return [_tf.gather(x, np.arange(a, builtins.max(a, b), dtype=np.int32), axis=axis)
            for a, b in zip(points, points[1:])]


@_op
def take(x, indices, axis=None):
    """x's elements at `indices` along `axis` (of the flattened x when axis is None);
    negative indices count from the end."""
    x, indices = _t(x), _t(indices)
    x, ax = _flat_if_none(x, axis)
    size = _tf.cast(_tf.shape(x)[ax], indices.dtype)
    indices = _tf.where(indices < 0, indices + size, indices)
    return _tf.gather(x, indices, axis=ax)


@_op
def one_hot(x, num_classes, axis=-1, dtype=None):
    return _tf.one_hot(_t(x), num_classes, axis=axis,
                       dtype=_dtype(dtype))


@_op
def pad(x, pad_width, mode="constant", constant_values=None):
    x = _t(x)
    widths = np.broadcast_to(np.asarray(pad_width, np.int64), (x.shape.ndims, 2))
    return _tf.pad(x, widths.tolist(), mode=mode.upper(),
                   constant_values=0 if constant_values is None else constant_values)


@_op
def broadcast_to(x, shape):
    return _tf.broadcast_to(_t(x), _int_list(shape))


@_op
def repeat(x, repeats, axis=None):
    """np.repeat: each element (along `axis`, of the flattened x when None) `repeats` times."""
    x = _t(x)
    x, ax = _flat_if_none(x, axis)
    n = x.shape.as_list()[ax]
    if n is None:
        raise ValueError("repeat needs the size of that axis to be known.")
    return _tf.gather(x, np.repeat(np.arange(n, dtype=np.int32), repeats), axis=ax)


@_op
def ravel(x):
    return _tf.reshape(_t(x), [-1])


@_op
def append(x1, x2, axis=None):
    """x2 after x1 along `axis` (both flattened when axis is None)."""
    x1, x2 = _t(x1), _t(x2)
    if axis is None:
        x1, x2 = _tf.reshape(x1, [-1]), _tf.reshape(x2, [-1])
        axis = 0
    return _tf.concat([x1, x2], axis)


@_op
def hstack(xs):
    """Concatenation along the second axis (the first for 1-D arrays)."""
    xs = [_t(x) for x in xs]
    return _tf.concat(xs, 0 if builtins.all(x.shape.ndims == 1 for x in xs) else 1)


@_op
def vstack(xs):
    """Concatenation along the first axis, 1-D arrays as rows."""
    xs = [_t(x) for x in xs]
    return _tf.concat([x[None] if x.shape.ndims == 1 else x for x in xs], 0)


@_op
def identity(n, dtype=None):
    return _tf.convert_to_tensor(np.eye(n, dtype=_dtype(dtype).np))


@_op
def outer(x1, x2):
    """x1[i] * x2[j] over the flattened inputs."""
    return multiply(_tf.reshape(_t(x1), [-1, 1]), _tf.reshape(_t(x2), [1, -1]))


@_op
def diff(a, n=1, axis=-1):
    """The n-th differences along `axis`: a[1:] - a[:-1], n times."""
    a = _t(a)
    axis %= a.shape.ndims
    head = [slice(None)] * axis
    for _ in range(n):
        a = a[tuple(head + [slice(1, None)])] - a[tuple(head + [slice(None, -1)])]
    return a


@_op
def roll(x, shift, axis=None):
    """x shifted by `shift` places along `axis` (over the flattened array when None),
    wrapping around."""
    x = _t(x)
    if axis is None:
        return _tf.reshape(roll(_tf.reshape(x, [-1]), shift, 0), _tf.shape(x))
    shifts = [shift] if isinstance(shift, (int, np.integer)) else list(shift)
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    if len(shifts) != len(axes):
        raise ValueError(f"`shift` and `axis` must have the same length, got {shift!r} and "
                         f"{axis!r}")
    for k, ax in zip(shifts, axes):
        ax %= x.shape.ndims
        size = x.shape.as_list()[ax]
        if size is None:
            raise ValueError(f"roll needs a known size along axis {ax}, got shape {x.shape}")
        k = int(k) % size if size else 0
        if k:
            head = [slice(None)] * ax
            x = _tf.concat([x[tuple(head + [slice(size - k, None)])],
                            x[tuple(head + [slice(None, size - k)])]], ax)
    return x


@_op
def trunc(x):
    """x rounded toward zero (integers unchanged)."""
    x = _t(x)
    if not x.dtype.is_floating:
        return x
    return _tf.sign(x) * _tf.floor(_tf.abs(x))


@_op
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """|x1 - x2| <= atol + rtol * |x2|, elementwise (NaNs equal only with `equal_nan`)."""
    x1, x2 = _float_pair(x1, x2)
    close = _tf.less_equal(_tf.abs(x1 - x2), atol + rtol * _tf.abs(x2))
    close = _tf.logical_or(close, _tf.equal(x1, x2))  # equal infinities
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
    x = _float(x)
    if weights is None:
        return _tf.reduce_mean(x, axis=axis)
    w = _tf.cast(_t(weights), x.dtype)
    if axis is not None and w.shape.ndims == 1 and x.shape.ndims > 1:
        shape = [1] * x.shape.ndims
        shape[axis % x.shape.ndims] = -1
        w = _tf.reshape(w, shape)
    return _tf.reduce_sum(x * w, axis=axis) / _tf.reduce_sum(w * _tf.ones_like(x), axis=axis)


@_op
def take_along_axis(x, indices, axis=None):
    """The entries of x at `indices` along `axis` (NumPy's take_along_axis: x and indices of
    one rank, broadcast against each other off the axis; negative indices count from the
    end; axis None takes from the flattened x)."""
    x, idx = _t(x), _t(indices)
    if axis is None:
        x, idx, axis = _tf.reshape(x, [-1]), _tf.reshape(idx, [-1]), 0
    nd = x.shape.ndims
    if idx.shape.ndims != nd:
        raise ValueError(f"take_along_axis: `indices` must have the rank of `x` ({nd}), got "
                         f"shape {idx.shape}")
    axis %= nd
    idx = _tf.cast(idx, _dt.int64)
    n = _tf.cast(_tf.shape(x)[axis], _dt.int64)
    idx = _tf.where(idx < 0, idx + n, idx)
    xd, idd = x.shape.as_list(), idx.shape.as_list()
    dyn_x, dyn_i = _tf.shape(x), _tf.shape(idx)
    common = [dyn_x[d] if xd[d] is None or (xd[d] != 1 and idd[d] is not None) and
              xd[d] >= (idd[d] or 0) else dyn_i[d] for d in range(nd)]
    x = _tf.broadcast_to(x, _tf.stack([dyn_x[d] if d == axis else common[d]
                                       for d in range(nd)]))
    idx = _tf.broadcast_to(idx, _tf.stack([dyn_i[d] if d == axis else common[d]
                                           for d in range(nd)]))
    perm = [d for d in range(nd) if d != axis] + [axis]
    xt, it = _tf.transpose(x, perm), _tf.transpose(idx, perm)
    flat_x = _tf.reshape(xt, _tf.stack([-1, _tf.shape(xt)[-1]]))
    flat_i = _tf.reshape(it, _tf.stack([-1, _tf.shape(it)[-1]]))
    rows = _tf.cast(_tf.range(_tf.shape(flat_i)[0]), _dt.int64)[:, None] + \
        _tf.zeros_like(flat_i)
    taken = _tf.gather_nd(flat_x, _tf.stack([rows, flat_i], axis=-1))
    return _tf.transpose(_tf.reshape(taken, _tf.shape(it)), list(np.argsort(perm)))


@_op
def flip(x, axis=None):
    x = _t(x)
    axes = list(range(x.shape.ndims)) if axis is None else _axes(axis, x.shape.ndims)
    return _tf.reverse(x, axes)


@_op
def swapaxes(x, axis1, axis2):
    x = _t(x)
    perm = list(range(x.shape.ndims))
    a, b = _axes((axis1, axis2), x.shape.ndims)
    perm[a], perm[b] = perm[b], perm[a]
    return _tf.transpose(x, perm)


@_op
def moveaxis(x, source, destination):
    x = _t(x)
    rank = x.shape.ndims
    src, dst = _axes(source, rank), _axes(destination, rank)
    rest = [a for a in range(rank) if a not in src]
    for d, a in sorted(zip(dst, src)):
        rest.insert(d, a)
    return _tf.transpose(x, rest)


@_op
def unstack(x, num=None, axis=0):
    return _tf.unstack(_t(x), num=num, axis=axis)


def _band(x, k, lower):
    x = _t(x)
    if x.shape.ndims is not None and x.shape.ndims < 2:
        raise ValueError(f"tril/triu need an input of rank >= 2 (a matrix or a batch of "
                         f"them), got shape {x.shape}.")
    dims = _tf.shape(x)
    rows = _tf.expand_dims(_tf.range(dims[-2]), -1)
    cols = _tf.expand_dims(_tf.range(dims[-1]), 0)
    keep = (cols - rows <= k) if lower else (cols - rows >= k)
    return where(keep, x, _tf.zeros_like(x))


@_op
def tril(x, k=0):
    """x with the elements above the k-th diagonal of its last two axes zeroed."""
    return _band(x, k, lower=True)


@_op
def triu(x, k=0):
    """x with the elements below the k-th diagonal of its last two axes zeroed."""
    return _band(x, k, lower=False)



@_op
def top_k(x, k, sorted=True):
    """(values, int32 indices) of the k largest entries of the last axis, largest first
    (ties: the lower index first)."""
    return _tf.math.top_k(_t(x), k=k, sorted=sorted)


def _along_last(x, axis, fn):
    """fn applied along the last axis, with `axis` moved there and back."""
    rank = x.shape.ndims
    axis = axis % rank
    if axis == rank - 1:
        return fn(x)
    perm = [a for a in range(rank) if a != axis] + [axis]
    back = list(np.argsort(perm))
    return _tf.transpose(fn(_tf.transpose(x, perm)), back)


def _count_last(x):
    n = x.shape.as_list()[-1]
    return n if n is not None else _tf.shape(x)[-1]


@_op
def sort(x, axis=-1):
    """x sorted ascending along `axis`."""
    x = _t(x)
    if x.shape.ndims == 0:
        return x
    return _along_last(x, axis, lambda v: _tf.reverse(
        _tf.math.top_k(v, k=_count_last(v))[0], [-1]))


@_op
def argsort(x, axis=-1):
    """The int32 indices that sort x ascending along `axis` (ties: the lower index first)."""
    x = _t(x)
    if x.shape.ndims == 0:
        return _tf.zeros([], _dt.int32)
    if not (x.dtype.is_floating or x.dtype.is_integer):
        raise TypeError(f"argsort: expected a numeric tensor, got {x.dtype.name}")
    if x.dtype.np.kind == "u":  # negation below must not wrap around
        x = _tf.cast(x, _dt.int64)
    return _along_last(x, axis, lambda v: _tf.math.top_k(-v, k=_count_last(v))[1])


__all__ = sorted(name for name, value in list(globals().items())
                 if name not in _IMPORTED and not name.startswith("_") and callable(value))
