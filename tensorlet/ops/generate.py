"""Generated tensors: range, linspace, eye, one_hot, sequence_mask (TF 1.x names, dtypes and
errors). None is differentiable, as in TF."""
import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.graph import TensorLike
from tensorlet.framework.limits import check_output_sizes
from tensorlet.framework.shapes import TensorShape

from .array import canonical_axis, constant, expand_dims, fold_small, static_ints
from .base import apply, as_tensor, declare

# -- range ---------------------------------------------------------------------------------------


def _range_size(start, limit, delta):
    """The number of elements of range(start, limit, delta) in the inputs' dtype, as TF;
    ValueError for a zero delta or a start beyond the limit."""
    if delta == 0:
        raise ValueError("Requires delta != 0")
    if delta > 0 and start > limit:
        raise ValueError(f"Requires start <= limit when delta > 0: {start}/{limit}")
    if delta < 0 and start < limit:
        raise ValueError(f"Requires start >= limit when delta < 0: {start}/{limit}")
    if np.asarray(start).dtype.kind in "iu":
        return int((abs(int(limit) - int(start)) + abs(int(delta)) - 1) // abs(int(delta)))
    return int(np.ceil(np.abs((limit - start) / delta)))


def _range_spec(inputs, attrs):
    for t, what in zip(inputs, ("start", "limit", "delta")):
        if t.shape.ndims not in (None, 0):
            raise ValueError(f"{what} must be a scalar, got shape {t.shape}")
    vals = [t.constant_value() for t in inputs]
    n = None if any(v is None for v in vals) else _range_size(*vals)
    return [((n,), inputs[0].dtype)]


def _range_kernel(attrs, start, limit, delta):
    try:
        n = _range_size(start, limit, delta)
    except ValueError as e:
        raise InvalidArgumentError(str(e)) from None
    if start.dtype.kind in "iu":
        return np.arange(start, limit, delta, dtype=start.dtype)[:n]
    out = np.full(n, delta, dtype=start.dtype)  # TF accumulates: v, v + d, (v + d) + d, ...
    if n:
        out[0] = start
    return np.cumsum(out, dtype=start.dtype)


def _fold_if_short(length):
    """A fold rule that evaluates the op only when its 1-D result is short."""
    def fold(op):
        vals = [t.constant_value() for t in op.inputs]
        if any(v is None for v in vals):
            return None
        try:
            n = length(*vals)
        except ValueError:
            return None
        return fold_small(op) if n <= 4096 else None
    return fold


declare("Range", _range_spec, _range_kernel, fold=_fold_if_short(_range_size))

_RANGE_DTYPES = (_dt.int32, _dt.int64, _dt.float32, _dt.float64)


def range(start, limit=None, delta=1, dtype=None, name="range"):
    """[start, start + delta, ...) up to `limit` (exclusive); `range(n)` starts at 0. The
    dtype is the widest of the arguments' (Python ints int32, floats float32), as TF."""
    if limit is None:
        start, limit = 0, start
    args = [start, limit, delta]
    if dtype is not None:
        dt = _dt.as_dtype(dtype)
    else:
        dts = [a.dtype if isinstance(a, TensorLike) else _dt.default_dtype_for_python(a)
               for a in args]
        for d in dts:
            if d not in _RANGE_DTYPES:
                raise TypeError(f"range arguments must be int32, int64, float32 or float64, "
                                f"got {d.name}")
        dt = max(dts, key=_RANGE_DTYPES.index)
    from .math import cast
    ts = [cast(a, dt) if isinstance(a, TensorLike) else as_tensor(a, dt) for a in args]
    return apply("Range", ts, name=name)


# -- linspace ------------------------------------------------------------------------------------


def _linspace_spec(inputs, attrs):
    start, stop, num = inputs
    if not start.dtype.is_floating or start.dtype is not stop.dtype:
        raise TypeError(f"start and stop must be floats of one dtype, got {start.dtype.name} "
                        f"and {stop.dtype.name}")
    if not num.dtype.is_integer:
        raise TypeError(f"num must be an integer, got {num.dtype.name}")
    for t, what in zip(inputs, ("start", "stop", "num")):
        if t.shape.ndims not in (None, 0):
            raise ValueError(f"{what} must be a scalar, got shape {t.shape}")
    n = num.constant_value()
    if n is not None and n <= 0:
        raise ValueError(f"Requires num > 0: {int(n)}")
    return [((None if n is None else int(n),), start.dtype)]


def _linspace_kernel(attrs, start, stop, num):
    n = int(num)
    if n <= 0:
        raise InvalidArgumentError(f"Requires num > 0: {n}")
    if n == 1:
        return np.array([start], dtype=start.dtype)
    step = (stop - start) / start.dtype.type(n - 1)
    return start + step * np.arange(n, dtype=start.dtype)


declare("LinSpace", _linspace_spec, _linspace_kernel,
        fold=_fold_if_short(lambda start, stop, num: int(num)))


def linspace(start, stop, num, name=None):
    """`num` evenly spaced values from `start` to `stop` (both included)."""
    from .base import binary_operands
    start, stop = binary_operands(start, stop, "linspace")
    if not start.dtype.is_floating:
        from .math import cast
        start, stop = cast(start, _dt.float32), cast(stop, _dt.float32)
    num = as_tensor(num) if isinstance(num, TensorLike) else as_tensor(num, _dt.int32)
    return apply("LinSpace", [start, stop, num], name=name)


lin_space = linspace


# -- eye -----------------------------------------------------------------------------------------


def eye(num_rows, num_columns=None, batch_shape=None, dtype=_dt.float32, name=None):
    """The identity matrix [num_rows, num_columns] (square by default), optionally batched to
    batch_shape + [rows, columns]. Sizes may be tensors."""
    dt = _dt.as_dtype(dtype)
    batch = [] if batch_shape is None else static_ints(batch_shape, "batch_shape")
    cols = num_rows if num_columns is None else num_columns
    static = [n.constant_value() if isinstance(n, TensorLike) else n for n in (num_rows, cols)]
    if all(v is not None for v in static):
        n, m = (int(v) for v in static)
        if n < 0 or m < 0:
            raise ValueError(f"eye sizes must be >= 0, got {n} and {m}")
        check_output_sizes("Const", name or "eye", [(batch + [n, m], dt)])  # before np.eye
        value = np.broadcast_to(np.eye(n, m, dtype=dt.np), batch + [n, m])
        return constant(value, name=name or "eye")
    from .math import cast, equal
    rows = range(num_rows)
    m = equal(expand_dims(rows, 1), range(cast(as_tensor(cols), rows.dtype)))
    out = cast(m, dt, name=None if batch else name)
    if batch:
        from .array import broadcast_to, shape
        from .manip import concat
        out = broadcast_to(out, concat([constant(np.array(batch, np.int32)), shape(out)], 0),
                           name=name)
    return out


# -- one_hot -------------------------------------------------------------------------------------


def _one_hot_spec(inputs, attrs):
    idx, depth, on, off = inputs
    if not idx.dtype.is_integer:
        raise TypeError(f"indices must be integers (uint8, int32 or int64), got "
                        f"{idx.dtype.name}")
    if not depth.dtype.is_integer or depth.shape.ndims not in (None, 0):
        raise TypeError(f"depth must be a scalar integer, got {depth.dtype.name} of shape "
                        f"{depth.shape}")
    if on.dtype is not off.dtype:
        raise TypeError(f"on_value and off_value must have one dtype, got {on.dtype.name} and "
                        f"{off.dtype.name}")
    for t, what in ((on, "on_value"), (off, "off_value")):
        if t.shape.ndims not in (None, 0):
            raise ValueError(f"{what} must be a scalar, got shape {t.shape}")
    nd = idx.shape.ndims
    axis = attrs["axis"]
    if axis != -1:
        axis = attrs["axis"] = canonical_axis(axis, nd, extra=1)
    d = depth.constant_value()
    if d is not None and d < 0:
        raise ValueError(f"depth must be >= 0, got {int(d)}")
    if nd is None:
        return [(TensorShape(None), on.dtype)]
    dims = list(idx.shape.dims)
    dims.insert(nd if axis == -1 else axis, None if d is None else int(d))
    return [(dims, on.dtype)]


def _one_hot_kernel(attrs, idx, depth, on, off):
    depth = int(depth)
    if depth < 0:
        raise InvalidArgumentError(f"depth must be >= 0, got {depth}")
    hot = idx[..., None] == np.arange(depth)
    out = np.where(hot, on, off).astype(on.dtype, copy=False)
    return out if attrs["axis"] in (-1, idx.ndim) else np.moveaxis(out, -1, attrs["axis"])


declare("OneHot", _one_hot_spec, _one_hot_kernel)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """A one-hot encoding: `on_value` where the index matches, `off_value` elsewhere, the new
    axis of size `depth` at `axis` (default last). Out-of-range indices give all off_value.
    dtype: `dtype`, else on_value's / off_value's, else float32."""
    if dtype is None:
        given = [v for v in (on_value, off_value) if v is not None]
        dtype = _dt.float32 if not given else given[0].dtype if isinstance(
            given[0], TensorLike) else _dt.default_dtype_for_python(given[0])
    dt = _dt.as_dtype(dtype)
    on = as_tensor(1 if on_value is None else on_value, dt)
    off = as_tensor(0 if off_value is None else off_value, dt)
    depth = as_tensor(depth) if isinstance(depth, TensorLike) else as_tensor(depth, _dt.int32)
    return apply("OneHot", [as_tensor(indices), depth, on, off],
                 {"axis": -1 if axis is None else int(axis)}, name=name)


# -- sequence_mask -------------------------------------------------------------------------------


def sequence_mask(lengths, maxlen=None, dtype=_dt.bool_, name=None):
    """mask[i..., j] = j < lengths[i...], for j in [0, maxlen) (default: max(lengths))."""
    from .math import cast, less, maximum
    from .reduction import reduce_max
    lengths = as_tensor(lengths)
    if not lengths.dtype.is_integer:
        raise TypeError(f"lengths must be integers, got {lengths.dtype.name}")
    if maxlen is None:
        maxlen = maximum(reduce_max(lengths), 0)
    else:
        maxlen = as_tensor(maxlen)
        if maxlen.shape.ndims not in (None, 0):
            raise ValueError(f"maxlen must be scalar for sequence_mask, got shape "
                             f"{maxlen.shape}")
    row = range(0, maxlen, 1, dtype=maxlen.dtype)
    mask = less(row, cast(expand_dims(lengths, -1), maxlen.dtype))
    dt = _dt.as_dtype(dtype)
    if dt is _dt.bool_:
        from .array import identity
        return identity(mask, name=name) if name else mask
    return cast(mask, dt, name=name)


__all__ = ["eye", "lin_space", "linspace", "one_hot", "range", "sequence_mask"]
