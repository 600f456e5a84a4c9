"""Slicing: slice, strided_slice and `Tensor.__getitem__` (ints, slices with any step, `...`,
tf.newaxis, scalar int tensors, bool masks), and boolean_mask. Gathering and scattering live
in gather.py."""
import builtins

import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.graph import TensorLike
from tensorlet.framework.shapes import TensorShape

from .array import (
    _any,
    _int_tensor,
    canonical_axis,
    fold_small,
    reshape,
    shape,
    static_int,
    static_shape_from,
)
from .base import apply, as_tensor, declare
from .gather import gather
from .manip import concat, pad, stack

_pyslice = builtins.slice  # this module defines tf.slice

# -- slice ---------------------------------------------------------------------------------------


def _slice_spec(inputs, attrs):
    x, b, s = inputs
    nd = x.shape.ndims
    for t, what in ((b, "begin"), (s, "size")):
        if not t.dtype.is_integer or t.shape.ndims not in (None, 1) or (
                nd is not None and t.shape.ndims == 1 and t.shape.dims[0] not in (None, nd)):
            raise ValueError(f"{what} must be a 1-D integer tensor of length {nd} (the input's "
                             f"rank), got {t.dtype.name} of shape {t.shape}")
    bv, sv = b.constant_value(), s.constant_value()
    if nd is None:
        return [(TensorShape(None), x.dtype)]
    if bv is None or sv is None:
        return [([None] * nd, x.dtype)]
    dims = []
    for i, (d, b0, s0) in enumerate(zip(x.shape.dims, bv, sv)):
        b0, s0 = int(b0), int(s0)
        if b0 < 0 or s0 < -1 or (d is not None and b0 + max(s0, 0) > d):
            raise ValueError(f"slice of dimension {i} (size {d}) with begin {b0} and size "
                             f"{s0} is out of range")
        dims.append((None if d is None else d - b0) if s0 == -1 else s0)
    return [(dims, x.dtype)]


def _slice_kernel(attrs, x, b, s):
    key = []
    for i, (d, b0, s0) in enumerate(zip(x.shape, b, s)):
        b0, s0 = int(b0), int(s0)
        end = d if s0 == -1 else b0 + s0
        if b0 < 0 or s0 < -1 or end > d or len(b) != x.ndim:
            raise InvalidArgumentError(f"Expected begin {list(b)} and size {list(s)} to fit "
                                       f"in shape {list(x.shape)} (dimension {i})")
        key.append(_pyslice(b0, end))
    return x[tuple(key)]


def _slice_grad(op, g, needed):
    x, b, _ = op.inputs
    y = op.outputs[0]
    if x.shape.is_fully_defined() and y.shape.is_fully_defined() and \
            b.constant_value() is not None:
        lo = np.asarray(b.constant_value(), np.int64)
        hi = np.array(x.shape.as_list()) - np.array(y.shape.as_list()) - lo
        paddings = np.stack([lo, hi], 1)
    else:
        from .math import cast, subtract
        b = cast(b, _dt.int32)
        paddings = stack([b, subtract(subtract(shape(x), shape(y)), b)], 1)
    return [pad(g[0], paddings), None, None]


declare("Slice", _slice_spec, _slice_kernel, grad=_slice_grad, nondiff_inputs=(1, 2),
        fold=fold_small,
        samples=lambda: [([_any(4, 5), np.array([1, 0], np.int32), np.array([2, -1], np.int32)],
                          {}),
                         ([_any(3, 4, 2), np.array([0, 2, 1], np.int32),
                           np.array([3, 2, 1], np.int32)], {})])


def slice(input_, begin, size, name=None):
    """The block of `input_` starting at `begin` with `size` (-1: the rest of a dimension)."""
    return apply("Slice", [as_tensor(input_), _int_tensor(begin, "begin"),
                           _int_tensor(size, "size")], name=name)


# -- strided_slice and Tensor.__getitem__ --------------------------------------------------------

_UNKNOWN = object()  # a begin/end/stride not known when the graph is built
_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


def _sparse_key(attrs, begin, end, strides):
    """The NumPy key that the (begin, end, strides, masks) spec describes."""
    key = []
    for i, (b, e, s) in enumerate(zip(begin, end, strides)):
        bit = 1 << i
        if attrs["ellipsis_mask"] & bit:
            key.append(Ellipsis)
        elif attrs["new_axis_mask"] & bit:
            key.append(None)
        elif attrs["shrink_axis_mask"] & bit:
            key.append(b if b is _UNKNOWN else int(b))
        else:
            if s is not _UNKNOWN and int(s) == 0:
                raise ValueError("strides must be non-zero")
            key.append(_pyslice(None if attrs["begin_mask"] & bit else _int_or(b),
                                     None if attrs["end_mask"] & bit else _int_or(e),
                                     _int_or(s)))
    return key


def _int_or(v):
    return v if v is _UNKNOWN else int(v)


def _key_shape(dims, key):
    """Static dims of x[key] for dims with None (unknown); None when the rank is unknown."""
    consuming = sum(1 for k in key if k is not Ellipsis and k is not None)
    if dims is None:
        return None
    if consuming > len(dims):
        raise ValueError(f"too many indices ({consuming}) for a tensor of rank {len(dims)}")
    ell = [i for i, k in enumerate(key) if k is Ellipsis]
    fill = [_pyslice(None)] * (len(dims) - consuming)
    key = key[:ell[0]] + fill + key[ell[0] + 1:] if ell else key + fill
    out, axis = [], 0
    for k in key:
        if k is None:
            out.append(1)
            continue
        d = dims[axis]
        if isinstance(k, _pyslice):
            parts = (k.start, k.stop, k.step)
            out.append(None if d is None or _UNKNOWN in parts else len(range(*k.indices(d))))
        elif k is not _UNKNOWN and d is not None and not -d <= k < d:
            raise ValueError(f"index {k} is out of bounds for dimension {axis} of size {d}")
        axis += 1
    return out


def _strided_slice_spec(inputs, attrs):
    x, b, e, s = inputs
    n = None
    for t, what in ((b, "begin"), (e, "end"), (s, "strides")):
        if not t.dtype.is_integer or t.shape.ndims != 1:
            raise ValueError(f"{what} must be a 1-D integer tensor, got {t.dtype.name} of shape "
                             f"{t.shape}")
        n = t.shape.dims[0] if n is None else n
        if t.shape.dims[0] not in (None, n):
            raise ValueError(f"begin, end and strides must have one length, got shapes "
                             f"{b.shape}, {e.shape} and {s.shape}")
    if attrs["ellipsis_mask"].bit_count() > 1:
        raise ValueError("Multiple ellipses in slice spec not allowed")
    if n is None:
        return [(TensorShape(None), x.dtype)]
    vals = [_known_parts(t, n) for t in (b, e, s)]
    dims = _key_shape(x.shape.dims, _sparse_key(attrs, *vals))
    return [(TensorShape(dims), x.dtype)]


def _known_parts(t, n):
    """The entries of a 1-D index tensor known at build time (_UNKNOWN for the others)."""
    v = t.constant_value()
    if v is not None:
        return list(v)
    if t.op.type == "Pack":
        vals = [p.constant_value() for p in t.op.inputs]
        return [_UNKNOWN if c is None else int(c) for c in vals]
    return [_UNKNOWN] * n


def _runtime_key(attrs, begin, end, strides):
    try:
        return tuple(_sparse_key(attrs, begin, end, strides))
    except ValueError as e:
        raise InvalidArgumentError(str(e)) from None


def _strided_slice_kernel(attrs, x, b, e, s):
    key = _runtime_key(attrs, b, e, s)
    try:
        return x[key]
    except IndexError as err:
        raise InvalidArgumentError(f"slice index out of range for a tensor of shape "
                                   f"{list(x.shape)}: {err}") from None


def _strided_slice_grad(op, g, needed):
    x, b, e, s = op.inputs
    dx = apply("StridedSliceGrad", [shape(x), b, e, s, g[0]], dict(op.attrs))
    return [dx, None, None, None]


def _strided_slice_grad_spec(inputs, attrs):
    return [(static_shape_from(inputs[0]), inputs[4].dtype)]


def _strided_slice_grad_kernel(attrs, shp, b, e, s, g):
    out = np.zeros(tuple(int(d) for d in shp), dtype=g.dtype)
    out[_runtime_key(attrs, b, e, s)] = g
    return out


def _masks(begin=0, end=0, ellipsis=0, new_axis=0, shrink=0):
    return dict(zip(_MASKS, (begin, end, ellipsis, new_axis, shrink)))


def _ss_samples(grad=False):
    def i32(*v):
        return np.array(v, np.int32)
    cases = [((4, 5), i32(1, 0), i32(3, 5), i32(1, 2), _masks()),
             ((4, 5), i32(-1, 0), i32(0, 0), i32(-1, 1), _masks(begin=1, end=3)),
             ((3, 4, 2), i32(0, 1), i32(0, 2), i32(1, 1), _masks(ellipsis=1, shrink=2)),
             ((3, 4), i32(0, 2, 0), i32(0, 3, 0), i32(1, 1, 1), _masks(new_axis=5, shrink=2))]
    out = []
    for shp, b, e, s, m in cases:
        x = _any(*shp)
        if grad:
            y = _strided_slice_kernel(m, x, b, e, s)
            out.append(([np.array(shp, np.int32), b, e, s, _any(*y.shape)], m))
        else:
            out.append(([x, b, e, s], m))
    return out


declare("StridedSlice", _strided_slice_spec, _strided_slice_kernel, grad=_strided_slice_grad,
        nondiff_inputs=(1, 2, 3), fold=fold_small, samples=_ss_samples)
declare("StridedSliceGrad", _strided_slice_grad_spec, _strided_slice_grad_kernel,
        grad=lambda op, g, needed: [None] * 4 + [
            apply("StridedSlice", [g[0]] + list(op.inputs[1:4]), dict(op.attrs))],
        nondiff_inputs=(0, 1, 2, 3), samples=lambda: _ss_samples(grad=True))


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None):
    """input_[begin:end:strides] per dimension, with TF's mask bits (bit i = spec entry i):
    begin/end masks ignore begin/end, ellipsis and new-axis entries insert `...` / a size-1
    axis, shrink entries index (and drop) a dimension."""
    begin = _int_tensor(begin, "begin")
    end = _int_tensor(end, "end")
    if strides is None:
        n = begin.shape.dims[0] if begin.shape.ndims == 1 else None
        if n is None:
            raise ValueError("strides must be given when begin has an unknown length")
        strides = np.ones(n, np.int32)
    strides = _int_tensor(strides, "strides")
    attrs = dict(zip(_MASKS, map(int, (begin_mask, end_mask, ellipsis_mask, new_axis_mask,
                                       shrink_axis_mask))))
    return apply("StridedSlice", [as_tensor(input_), begin, end, strides], attrs, name=name)


def _index_part(v, what):
    """An int, or a scalar integer tensor, for one part of an index."""
    if isinstance(v, TensorLike):
        t = as_tensor(v)
        if not t.dtype.is_integer or t.shape.ndims not in (None, 0):
            raise TypeError(f"{what} tensors must be scalar int32/int64, got {t.dtype.name} of "
                            f"shape {t.shape}")
        return t
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise TypeError(
            "Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
            f"int32/int64 tensors are valid indices, got {v!r}")
    return int(v)


def _pack_parts(parts):
    """A 1-D int tensor of index parts: a constant when all are ints, else a stack."""
    if all(isinstance(p, int) for p in parts):
        big = any(not -2**31 <= p < 2**31 for p in parts)
        return as_tensor(np.array(parts, np.int64 if big else np.int32))
    dt = _dt.int64 if any(isinstance(p, TensorLike) and p.dtype is _dt.int64
                          for p in parts) else _dt.int32
    from .math import cast
    return stack([cast(p, dt) if isinstance(p, TensorLike) else as_tensor(p, dt)
                  for p in parts])


def slice_helper(tensor, key):
    """`tensor[key]` as TF: ints (negative count from the end), slices (any step), `...`,
    tf.newaxis / None and scalar int tensors; a tuple or a list indexes successive dimensions;
    a bool tensor or array is a boolean mask."""
    tensor = as_tensor(tensor)
    if isinstance(key, TensorLike) and as_tensor(key).dtype.is_bool or \
            isinstance(key, np.ndarray) and key.dtype == np.bool_:
        return boolean_mask(tensor, key)
    key = tuple(key) if isinstance(key, (tuple, list)) else (key,)
    begin, end, strides = [], [], []
    masks = dict.fromkeys(_MASKS, 0)
    for i, k in enumerate(key):
        bit = 1 << i
        if k is Ellipsis:
            if masks["ellipsis_mask"]:
                raise ValueError("an index can only have a single ellipsis ('...')")
            masks["ellipsis_mask"] |= bit
            b, e, s = 0, 0, 1
        elif k is None:
            masks["new_axis_mask"] |= bit
            b, e, s = 0, 0, 1
        elif isinstance(k, _pyslice):
            s = 1 if k.step is None else _index_part(k.step, "slice step")
            if isinstance(s, int) and s == 0:
                raise ValueError("slice step cannot be zero")
            b = 0 if k.start is None else _index_part(k.start, "slice start")
            e = 0 if k.stop is None else _index_part(k.stop, "slice stop")
            masks["begin_mask"] |= bit if k.start is None else 0
            masks["end_mask"] |= bit if k.stop is None else 0
        else:
            b = _index_part(k, "index")
            e, s = (b + 1 if isinstance(b, int) else b), 1
            masks["shrink_axis_mask"] |= bit
        begin.append(b)
        end.append(e)
        strides.append(s)
    if not key:
        return tensor
    if tensor._eager:
        parts = [_pack_parts(begin), _pack_parts(end), _pack_parts(strides)]
    else:  # the index constants join the tensor's graph (a Keras tensor at the top level)
        with tensor.graph.as_default():
            parts = [_pack_parts(begin), _pack_parts(end), _pack_parts(strides)]
    return apply("StridedSlice", [tensor] + parts, masks, name="strided_slice")


# -- boolean_mask --------------------------------------------------------------------------------


def boolean_mask(tensor, mask, name="boolean_mask", axis=None):
    """The entries of `tensor` where the k-D bool `mask` is true: mask covers dimensions
    axis .. axis+k-1, which collapse into one of unknown size."""
    from .math import where  # math imports this family: import it when called
    tensor, mask = as_tensor(tensor), as_tensor(mask)
    if not mask.dtype.is_bool:
        raise TypeError(f"mask must be a bool tensor, got {mask.dtype.name}")
    k, nd = mask.shape.ndims, tensor.shape.ndims
    if k is None:
        raise ValueError("Number of mask dimensions must be specified, even if some dimensions "
                         "are None")
    if k == 0:
        raise ValueError("mask cannot be scalar")
    axis = 0 if axis is None else static_int(axis, "axis")
    if nd is not None:
        axis = canonical_axis(axis, nd - k + 1)
        if not tensor.shape[axis:axis + k].is_compatible_with(mask.shape):
            raise ValueError(f"tensor shape {tensor.shape} does not match mask shape "
                             f"{mask.shape} at dimensions {axis}..{axis + k - 1}")
    lead, trail = tensor.shape[:axis], tensor.shape[axis + k:]
    if lead.is_fully_defined() and trail.is_fully_defined():
        flat_shape = lead.as_list() + [-1] + trail.as_list()
    else:
        s = shape(tensor)
        flat_shape = concat([s[:axis], [-1], s[axis + k:]], 0)
    flat = reshape(tensor, flat_shape)
    idx = reshape(where(reshape(mask, [-1])), [-1])
    out = gather(flat, idx, axis=axis, name=name)
    out.set_shape(lead.concatenate([None]).concatenate(trail))
    return out


__all__ = ["boolean_mask", "slice", "strided_slice"]
