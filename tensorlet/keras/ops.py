"""`keras.ops`: Keras 3's NumPy-style and neural-network ops, on tensorlet's core ops.

Inside a layer's `call` (graph tensors or Keras variables among the arguments) an op builds
core ops in their graph. On concrete values alone (NumPy arrays, Python numbers, eager
tensors) it computes at once and returns an eager tensor (`.numpy()`, NumPy interop), as
Keras 3 does; a Keras variable given at the top of a program stands for its current value.
Semantics follow NumPy where Keras 3 does: `axis=None` reduces or indexes the
flattened array, `argmax` gives int32, `mean` of integers is a float, `take` wraps negative
indices, `split` takes section counts or split points.
"""
import builtins
import functools

import numpy as np

import tensorlet as _tf
from tensorlet.eager.context import eager_mode
from tensorlet.framework import dtypes as _dt
from tensorlet.framework.graph import TensorLike, get_default_graph
from tensorlet.keras import activations as _act
from tensorlet.keras import backend as _backend
from tensorlet.keras import losses as _losses
from tensorlet.keras.backend import KerasVariable


# This module defines sum, max, min, abs, round, any and all (Keras's names): its own code
# reaches Python's through `builtins`.


def _symbolic(x):
    if isinstance(x, (list, tuple)):
        return builtins.any(_symbolic(v) for v in x)
    if isinstance(x, dict):
        return builtins.any(_symbolic(v) for v in x.values())
    return isinstance(x, TensorLike) and not x._eager


def _values_of_variables(x):
    """Keras variables in x replaced by their current values (the top of a program, where
    their graph is not the default one), or _GRAPH when x holds graph data (a layer's call)."""
    if isinstance(x, (list, tuple, dict)):
        items = x.items() if isinstance(x, dict) else enumerate(x)
        out = {k: _values_of_variables(v) for k, v in items}
        if builtins.any(v is _GRAPH for v in out.values()):
            return _GRAPH
        return out if isinstance(x, dict) else type(x)(out.values())
    value = x._concrete_here() if isinstance(x, KerasVariable) else None
    if value is not None:
        return value
    return _GRAPH if _symbolic(x) else x


_GRAPH = object()  # what _values_of_variables gives for graph data


def _tracing():
    """Whether a graph holding eager variables is being built (not eager mode itself)."""
    graph = get_default_graph()
    return not graph._eager and getattr(graph, "lifts_variables", False)


def _op(fn):
    """Graph ops on graph arguments; computed at once (eager) on concrete ones."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        if _tracing():  # a traced function or eager Keras: graph ops, variables read at run
            return fn(*args, **kwargs)
        if _symbolic(args) or _symbolic(kwargs):
            values, named = _values_of_variables(args), _values_of_variables(kwargs)
            if values is _GRAPH or named is _GRAPH:
                return fn(*args, **kwargs)
            args, kwargs = values, named
        with eager_mode():
            return fn(*args, **kwargs)
    return run


def _t(x, dtype=None):
    """A tensor of `x` (a float32 default for Python floats, as Keras's floatx)."""
    if isinstance(x, TensorLike):
        return x if dtype is None else _tf.cast(x, dtype)
    arr = np.asarray(x)
    if dtype is None and arr.dtype == np.float64 and not isinstance(x, np.ndarray):
        dtype = _backend.floatx()  # Python floats and lists of them
    if dtype is None and arr.dtype == np.int64 and not isinstance(x, np.ndarray):
        dtype = "int32"
    return _tf.convert_to_tensor(arr if dtype is None else arr.astype(_dt.as_dtype(dtype).np))


def _float(x):
    """x as a float tensor (integers and bools become floatx, as NumPy's true division)."""
    x = _t(x)
    return x if x.dtype.is_floating else _tf.cast(x, _backend.floatx())


def _accumulating(x):
    """x for a sum or product: bools and narrow integers as int32 (Keras's rule)."""
    x = _t(x)
    if x.dtype.is_bool or (x.dtype.is_integer and x.dtype.size < 4):
        return _tf.cast(x, _dt.int32)
    return x


def _int_list(v):
    """A shape-like argument as a list (an int, NumPy integer or sequence)."""
    if isinstance(v, (int, np.integer)):
        return [int(v)]
    return [d if isinstance(d, TensorLike) else int(d) for d in v]


def _axes(axis, ndim_):
    return [a % ndim_ for a in ((axis,) if isinstance(axis, (int, np.integer)) else axis)]


def _flat_if_none(x, axis):
    return (_tf.reshape(x, [-1]), 0) if axis is None else (x, axis)


# -- creation and conversion ---------------------------------------------------------------


@_op
def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """x as a tensor (of `dtype`)."""
    return _t(x, dtype)


def convert_to_numpy(x):
    """The NumPy value of a concrete tensor or a Keras variable (a graph tensor inside a
    layer's call has no value yet: an error)."""
    if _symbolic(x):
        if callable(getattr(x, "numpy", None)):  # a variable: its current value
            return np.asarray(x.numpy())
        raise ValueError("convert_to_numpy needs a concrete value; a symbolic tensor (inside a "
                         "layer's call) has none until the model runs.")
    return np.asarray(x)


def shape(x):
    """The shape as a tuple of ints; inside a layer's call a dimension unknown while the
    graph is built (the batch) is a scalar tensor, usable in reshape."""
    if isinstance(x, TensorLike):
        if x.shape.ndims is None:
            raise ValueError("shape: the rank of this tensor is unknown while the graph is built.")
        dims = x.shape.as_list()
        if x._eager or None not in dims:
            return tuple(dims)
        dynamic = _tf.shape(x)
        return tuple(dynamic[i] if d is None else d for i, d in enumerate(dims))
    return np.shape(x)


def ndim(x):
    return len(shape(x))


@_op
def size(x):
    return _tf.size(_t(x), out_type=_dt.int32)


def is_tensor(x):
    return isinstance(x, TensorLike)


def dtype(x):
    """The dtype name ('float32')."""
    return _t(x).dtype.name if not isinstance(x, TensorLike) else x.dtype.name


@_op
def cast(x, dtype):
    return _tf.cast(_t(x), dtype)


def _dtype(dtype, default):
    return _dt.as_dtype(dtype or default)


@_op
def zeros(shape, dtype=None):
    return _tf.zeros(shape, _dtype(dtype, _backend.floatx()))


@_op
def ones(shape, dtype=None):
    return _tf.ones(shape, _dtype(dtype, _backend.floatx()))


@_op
def full(shape, fill_value, dtype=None):
    return _tf.fill(shape, _t(fill_value, dtype or _backend.floatx()))


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
    return _tf.convert_to_tensor(np.eye(N, M, k, dtype=_dtype(dtype, _backend.floatx()).np))


# -- elementwise math -----------------------------------------------------------------------


def _python_scalar(v):
    return isinstance(v, (bool, int, float)) and not isinstance(v, np.generic)


def _binary(core):
    @_op
    def op(x1, x2):
        # a Python number next to a tensor stays weak (takes the tensor's dtype), as in Keras
        if _python_scalar(x1) and _python_scalar(x2):
            x1 = _t(x1)
        return core(x1 if _python_scalar(x1) else _t(x1), x2 if _python_scalar(x2) else _t(x2))
    return op


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


def _unary(core, floats=False):
    @_op
    def op(x):
        return core(_float(x) if floats else _t(x))
    return op


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


# -- linear algebra -------------------------------------------------------------------------


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


# -- reductions -----------------------------------------------------------------------------


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


# -- shapes and indexing --------------------------------------------------------------------


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
                       dtype=_dtype(dtype, _backend.floatx()))


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
def stop_gradient(variable):
    return _tf.stop_gradient(_t(variable))


# -- neural-network ops ---------------------------------------------------------------------


def _activation(fn):
    @_op
    def op(x, *args, **kwargs):
        return fn(_float(x), *args, **kwargs)
    op.__doc__ = fn.__doc__
    return op


relu = _activation(_act.relu)
relu6 = _activation(_act.relu6)
sigmoid = _activation(_act.sigmoid)
softplus = _activation(_act.softplus)
softsign = _activation(_act.softsign)
silu = swish = _activation(_act.silu)
selu = _activation(_act.selu)
elu = _activation(_act.elu)
hard_sigmoid = _activation(_act.hard_sigmoid)
leaky_relu = _activation(_act.leaky_relu)


@_op
def gelu(x, approximate=True):
    """GELU; keras.ops approximates (tanh form) by default, the activation does not."""
    return _act.gelu(_float(x), approximate=approximate)


@_op
def softmax(x, axis=-1):
    """Softmax along `axis` (an int or a tuple of axes)."""
    x = _float(x)
    if isinstance(axis, (int, np.integer)):
        return _act.softmax(x, axis=int(axis))
    e = _tf.exp(x - _tf.stop_gradient(_tf.reduce_max(x, axis=list(axis), keepdims=True)))
    return e / _tf.reduce_sum(e, axis=list(axis), keepdims=True)


@_op
def log_softmax(x, axis=-1):
    """Log-softmax along `axis` (an int or a tuple of axes)."""
    x = _float(x)
    if isinstance(axis, (int, np.integer)):
        return _act.log_softmax(x, axis=int(axis))
    return x - _tf.reduce_logsumexp(x, axis=list(axis), keepdims=True)


@_op
def log_sigmoid(x):
    return -_act.softplus(-_float(x))


@_op
def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) over `axes`."""
    x = _float(x)
    mean_ = _tf.reduce_mean(x, axis=axes, keepdims=True)
    variance = _tf.reduce_mean(_tf.square(x - mean_), axis=axes, keepdims=keepdims)
    return (mean_ if keepdims else _tf.squeeze(mean_, axis=axes)), variance


@_op
def normalize(x, axis=-1, order=2, epsilon=None):
    """x divided by its `order`-norm along `axis` (at least `epsilon`, default Keras's)."""
    x = _float(x)
    eps = _backend.epsilon() if epsilon is None else epsilon
    return x / _tf.maximum(norm(x, ord=order, axis=axis, keepdims=True), _tf.cast(eps, x.dtype))


@_op
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy (no mean over the last axis, unlike the loss)."""
    output = _float(output)
    target = _tf.cast(_t(target), output.dtype)
    if from_logits:
        return _tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    eps = _tf.cast(_backend.epsilon(), output.dtype)
    output = _tf.clip_by_value(output, eps, 1 - eps)
    return -(target * _tf.math.log(output) + (1 - target) * _tf.math.log(1 - output))


@_op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of one-hot targets, summed over `axis`."""
    return _losses.categorical_crossentropy(_t(target), _float(output), from_logits=from_logits,
                                            axis=axis)


@_op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of integer targets against class scores along `axis`."""
    output = _float(output)
    rank = output.shape.ndims
    if axis % rank != rank - 1:  # the class axis last
        perm = [a for a in range(rank) if a != axis % rank] + [axis % rank]
        output = _tf.transpose(output, perm)
    return _losses.sparse_categorical_crossentropy(_t(target), output, from_logits=from_logits)


__all__ = sorted(name for name, value in list(globals().items())
                 if not name.startswith("_") and callable(value)
                 and getattr(value, "__module__", None) == __name__)
