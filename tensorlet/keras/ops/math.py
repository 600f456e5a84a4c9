"""`keras.ops` math ops of Keras 3's keras.ops.math: segment reductions and in_top_k."""
import tensorlet as _tf
from tensorlet.framework import dtypes as _dt
from tensorlet.keras.ops.core import _op, _t

_IMPORTED = set(globals())


def _segment(core, data, segment_ids, num_segments):
    ids = _t(segment_ids)
    if not ids.dtype.is_integer:
        raise TypeError(f"segment_ids must be integers, got {ids.dtype.name}")
    if num_segments is None:  # as many segments as the largest id + 1
        num_segments = _tf.cast(_tf.reduce_max(ids) + 1, ids.dtype)
    return core(_t(data), ids, num_segments)


@_op
def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """The sum of the rows of `data` per segment id (negative ids dropped)."""
    return _segment(_tf.math.unsorted_segment_sum, data, segment_ids, num_segments)


@_op
def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """The max of the rows of `data` per segment id (the dtype's lowest value when empty)."""
    return _segment(_tf.math.unsorted_segment_max, data, segment_ids, num_segments)


@_op
def in_top_k(targets, predictions, k):
    """Whether each target class is among the k largest predictions of its row."""
    return _tf.math.in_top_k(_tf.cast(_t(predictions), _dt.float32), _t(targets), k)


__all__ = sorted(name for name, value in list(globals().items())
                 if name not in _IMPORTED and not name.startswith("_") and callable(value))
