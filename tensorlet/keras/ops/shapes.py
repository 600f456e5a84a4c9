"""`keras.ops` shape, indexing and sorting ops (Keras 3 lists them under keras.ops.numpy):
reshape, transpose, joins and splits, gathers, rolls, bands, sort and top_k."""
import builtins

import numpy as np

import tensorlet as _tf
from tensorlet.framework import dtypes as _dt
from tensorlet.framework.graph import TensorLike
from tensorlet.keras.ops.core import _axes, _flat_if_none, _int_list, _op, _t

_IMPORTED = set(globals())


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
    xs = [_at_least_1d(_t(x)) for x in xs]
    return _tf.concat(xs, 0 if builtins.all(x.shape.ndims == 1 for x in xs) else 1)


@_op
def vstack(xs):
    """Concatenation along the first axis, 1-D arrays as rows."""
    xs = [_at_least_1d(_t(x)) for x in xs]
    return _tf.concat([x[None] if x.shape.ndims == 1 else x for x in xs], 0)


def _at_least_1d(x):
    return _tf.reshape(x, [1]) if x.shape.ndims == 0 else x


@_op
def diff(a, n=1, axis=-1):
    """The n-th differences along `axis`: a[1:] - a[:-1], n times."""
    a = _t(a)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"diff: `n` must be a non-negative integer, got n={n!r}")
    if not a.shape.ndims:
        raise ValueError(f"diff needs an array of rank >= 1, got shape {a.shape}")
    axis %= a.shape.ndims
    head = [slice(None)] * axis
    for _ in range(n):
        a = a[tuple(head + [slice(1, None)])] - a[tuple(head + [slice(None, -1)])]
    return a


@_op
def roll(x, shift, axis=None):
    """x shifted by `shift` places along `axis` (over the flattened array when None),
    wrapping around; sizes and shifts may be known only at run time (a batch axis)."""
    x = _t(x)
    if axis is None:
        return _tf.reshape(roll(_tf.reshape(x, [-1]), shift, 0), _tf.shape(x))
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    shifts = list(shift) if isinstance(shift, (tuple, list)) else [shift] * len(axes)
    if len(shifts) != len(axes):
        raise ValueError(f"`shift` and `axis` must have the same length, got {shift!r} and "
                         f"{axis!r}")
    for k, ax in zip(shifts, axes):
        if not -x.shape.ndims <= ax < x.shape.ndims:
            raise ValueError(f"roll: axis {ax} is out of range for an array of rank "
                             f"{x.shape.ndims}")
        ax %= x.shape.ndims
        n = _tf.shape(x)[ax]
        # output position j takes input position (j - k) mod n
        index = _tf.math.floormod(_tf.range(n) - _tf.cast(_t(k), _dt.int32),
                                  _tf.maximum(n, 1))
        x = _tf.gather(x, index, axis=ax)
    return x


@_op
def take_along_axis(x, indices, axis=None):
    """The entries of x at `indices` along `axis` (NumPy's take_along_axis: x and indices of
    one rank, broadcast against each other off the axis; negative indices count from the
    end; axis None takes from the flattened x)."""
    x, idx = _t(x), _t(indices)
    if not idx.dtype.is_integer:
        raise TypeError(f"take_along_axis: `indices` must be integers, got {idx.dtype.name}")
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
    dyn_x, dyn_i = _tf.shape(x), _tf.shape(idx)
    # off the axis both broadcast to the indices' size, or to x's where the indices have 1
    common = [_tf.where(_tf.equal(dyn_i[d], 1), dyn_x[d], dyn_i[d]) for d in range(nd)]
    x = _tf.broadcast_to(x, _tf.stack([dyn_x[axis] if d == axis else common[d]
                                       for d in range(nd)]))
    idx = _tf.broadcast_to(idx, _tf.stack([dyn_i[axis] if d == axis else common[d]
                                           for d in range(nd)]))
    perm = [d for d in range(nd) if d != axis] + [axis]
    xt, it = _tf.transpose(x, perm), _tf.transpose(idx, perm)
    n_rows = _tf.reduce_prod(_tf.shape(it)[:-1])  # the same for x: equal off the axis
    flat_x = _tf.reshape(xt, _tf.stack([n_rows, _tf.shape(xt)[-1]]))
    flat_i = _tf.reshape(it, _tf.stack([n_rows, _tf.shape(it)[-1]]))
    row_of = _tf.cast(_tf.range(n_rows), _dt.int64)[:, None] + _tf.zeros_like(flat_i)
    taken = _tf.gather_nd(flat_x, _tf.stack([row_of, flat_i], axis=-1))
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
    return _tf.where_v2(keep, x, _tf.zeros_like(x))  # keep broadcasts over a batch


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
