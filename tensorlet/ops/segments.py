"""Segment reductions: the sum or max of the rows of `data` sharing a segment id
(`tf.math.unsorted_segment_sum/max`, `tf.math.segment_sum/max`), with gradients."""
import numpy as np

from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.shapes import TensorShape

from .base import apply, as_tensor, declare


def _segment_spec(inputs, attrs):
    data, ids, num = inputs
    if not ids.dtype.is_integer or not num.dtype.is_integer:
        raise TypeError(f"segment ids and num_segments must be integers, got "
                        f"{ids.dtype.name} and {num.dtype.name}")
    if not data.dtype.is_numeric:
        raise TypeError(f"segment data must be numeric, got {data.dtype.name}")
    if num.shape.ndims not in (None, 0):
        raise ValueError(f"num_segments must be a scalar, got shape {num.shape}")
    k = ids.shape.ndims
    if k is not None and data.shape.ndims is not None:
        if data.shape.ndims < k or not TensorShape(data.shape.dims[:k]).is_compatible_with(
                ids.shape):
            raise ValueError(f"segment_ids of shape {ids.shape} must be a prefix of the data "
                             f"shape {data.shape}")
    n = num.constant_value()
    rest = data.shape[k:] if k is not None and data.shape.ndims is not None else None
    first = TensorShape([None if n is None else int(n)])
    return [(first.concatenate(rest) if rest is not None else TensorShape(None), data.dtype)]


def _segment_kernel(reduce_at, empty):
    """The kernel: `reduce_at` (np.add.at, np.maximum.at) of each row into its segment, from
    `empty(dtype)`; negative ids are dropped (TF), ids >= num_segments raise."""
    def kernel(attrs, data, ids, num):
        num = int(num)
        if num < 0:
            raise InvalidArgumentError(f"num_segments must be >= 0, got {num}")
        if ids.size and ids.max() >= num:
            raise InvalidArgumentError(f"segment id {int(ids.max())} is out of range "
                                       f"[0, {num})")
        rows = data.reshape((ids.size,) + data.shape[ids.ndim:])
        flat = ids.reshape(-1)
        keep = flat >= 0
        out = np.full((num,) + rows.shape[1:], empty(data.dtype), data.dtype)
        reduce_at(out, flat[keep], rows[keep])
        return out
    return kernel


def _lowest(dtype):
    return np.finfo(dtype).min if dtype.kind == "f" else np.iinfo(dtype).min


def _gather_rows(values, ids):
    """values[ids] with rows of zeros where an id is negative (a dropped entry)."""
    from .gather import gather
    from .math import greater_equal, maximum, where_v2, zeros_like
    picked = gather(values, maximum(ids, 0))
    return where_v2(_rows_mask(greater_equal(ids, 0), picked), picked, zeros_like(picked))


def _rows_mask(mask, like):
    """mask (one entry per row) with a 1 appended to its shape for each further dimension of
    `like`, to broadcast over the rows (ranks known or not)."""
    from .array import concat, expand_dims, ones, rank, reshape, shape
    extra = ones(expand_dims(rank(like) - rank(mask), 0), "int32")
    return reshape(mask, concat([shape(mask), extra], 0))


def _sum_grad(op, g, needed):
    return [_gather_rows(g[0], op.inputs[1]), None, None]


def _max_grad(op, g, needed):
    """The gradient goes to the entries equal to their segment's max, shared among ties."""
    from .math import cast, div_no_nan, equal
    data, ids, num = op.inputs
    chosen = cast(equal(data, _gather_rows(op.outputs[0], ids)), data.dtype)
    ties = _gather_rows(unsorted_segment_sum(chosen, ids, num), ids)  # 0 for dropped rows
    return [div_no_nan(chosen * _gather_rows(g[0], ids), ties), None, None]


def _samples():
    rng = np.random.default_rng(3)
    ids = np.array([0, 2, 0, 1, -1, 2])
    return [([rng.standard_normal((6, 3)), ids, np.int32(3)], {}),
            ([rng.standard_normal((2, 3, 2)), np.array([[0, 1, 1], [2, 0, 2]]), np.int32(3)],
             {})]


declare("UnsortedSegmentSum", _segment_spec, _segment_kernel(np.add.at, lambda dt: 0),
        grad=_sum_grad, samples=_samples, nondiff_inputs=(1, 2))
declare("UnsortedSegmentMax", _segment_spec, _segment_kernel(np.maximum.at, _lowest),
        grad=_max_grad, samples=_samples, nondiff_inputs=(1, 2))


def _segment_op(op_type, data, segment_ids, num_segments, name):
    return apply(op_type, [as_tensor(data), as_tensor(segment_ids), as_tensor(num_segments)],
                 name=name)


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """out[s] = the sum of the rows of `data` whose id is s (0 for an empty segment)."""
    return _segment_op("UnsortedSegmentSum", data, segment_ids, num_segments, name)


def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    """out[s] = the max of the rows whose id is s (the dtype's lowest value when empty)."""
    return _segment_op("UnsortedSegmentMax", data, segment_ids, num_segments, name)


def _sorted_count(segment_ids):
    """num_segments of sorted ids: the last id + 1 (0 without ids)."""
    from .math import add, cast, maximum
    from .reduction import reduce_max
    ids = as_tensor(segment_ids)
    return cast(maximum(add(reduce_max(ids), 1), 0), ids.dtype)


def segment_sum(data, segment_ids, name=None):
    """`unsorted_segment_sum` with sorted ids and as many segments as the last id + 1."""
    return unsorted_segment_sum(data, segment_ids, _sorted_count(segment_ids), name)


def segment_max(data, segment_ids, name=None):
    """`unsorted_segment_max` with sorted ids and as many segments as the last id + 1; an
    empty segment is 0 (TF's SegmentMax)."""
    from .array import ones_like
    from .math import greater, where_v2, zeros_like
    ids = as_tensor(segment_ids)
    num = _sorted_count(ids)
    top = unsorted_segment_max(data, ids, num, name)
    counts = unsorted_segment_sum(ones_like(ids), ids, num)
    return where_v2(_rows_mask(greater(counts, 0), top), top, zeros_like(top))


__all__ = ["segment_max", "segment_sum", "unsorted_segment_max", "unsorted_segment_sum"]
