"""THE SHAPE RULE: how every Keras loss and metric reconciles `y_true` with `y_pred`.

Keras 3's rule, and nothing looser:

- dense targets (every loss and metric but the sparse ones): when the ranks differ by one and
  the extra trailing axis has size 1, that axis is squeezed (or, against a rank-1 tensor, the
  rank-1 one gets a trailing axis); afterwards the two shapes must be EQUAL.
- sparse targets (`sparse_categorical_crossentropy`, `SparseCategoricalAccuracy`,
  `SparseTopKCategoricalAccuracy`): integer labels of y_pred's shape without its class axis,
  optionally with a trailing axis of size 1.

Anything else raises ValueError naming both shapes (batch axis written as None) with a hint
(labels that look sparse or one-hot, different sample counts). Where static shapes leave a
dimension unknown, a `CheckShapesMatch` op checks it when the graph runs and raises
InvalidArgumentError naming both run-time shapes; ranks must be known when the loss is built.
So `(n,)` against `(n, 1)` is never broadcast into an `(n, n)` matrix. Sample weights get the
same treatment (`check_weights`): each weight axis is 1 or the value axis, nothing else.
"""
import contextlib

from tensorlet.framework import dtypes as _dt
from tensorlet.ops import array as _array
from tensorlet.ops import math as _math
from tensorlet.ops.base import as_tensor
from tensorlet.ops.checks import check_shapes_match


def in_graph_of(*values):
    """Build in the graph of the first tensor or variable among `values` (NumPy values then
    become constants of that graph); the default graph when there is none."""
    for v in values:
        g = getattr(v, "graph", None)
        if g is not None and hasattr(v, "dtype"):
            return g.as_default()
    return contextlib.nullcontext()


def as_float(x, dtype=None):
    """`x` as a tensor of `dtype` (or its own float dtype; integers become float32)."""
    t = as_tensor(x)
    if dtype is not None:
        dt = _dt.as_dtype(dtype)
        return t if t.dtype is dt else _math.cast(t, dt)
    return t if t.dtype.is_floating else _math.cast(t, _dt.float32)


def format_shape(dims):
    """A shape as Keras users read it, the batch axis written as None: '(None, 10)'."""
    if dims is None:
        return "(unknown rank)"
    dims = ["None" if i == 0 or d is None else str(d) for i, d in enumerate(dims)]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _hint(yt, yp, sparse):
    if yt and yp and yt[0] is not None and yp[0] is not None and yt[0] != yp[0]:
        return f"they hold different numbers of samples ({yt[0]} vs {yp[0]})"
    classes = yp[-1] if yp else None
    if not sparse and classes not in (None, 1) and (
            len(yt) == len(yp) - 1 or (len(yt) == len(yp) and yt[-1] == 1)):
        return (f"the labels look sparse (one integer class id per sample) while y_pred has "
                f"{classes} classes: use sparse_categorical_crossentropy (and "
                "SparseCategoricalAccuracy), or one-hot encode the labels with "
                "keras.utils.to_categorical")
    if sparse and len(yt) == len(yp) and yt[-1] not in (None, 1) and yt[-1] == classes:
        return ("the labels look one-hot (one column per class, like y_pred): use "
                "categorical_crossentropy (and CategoricalAccuracy), or pass integer class ids")
    if sparse:
        return ("sparse labels must have y_pred's shape without its class axis, optionally "
                "with a trailing axis of size 1")
    return "they must have the same shape, or differ only by a trailing axis of size 1"


def _error(what, yt, yp, sparse):
    return ValueError(f"{what}: y_true shape {format_shape(yt)} and y_pred shape "
                      f"{format_shape(yp)} are incompatible: {_hint(yt, yp, sparse)}.")


def _checked(y_true, y_pred, what, sparse):
    """y_true passed through a run-time check that its shape matches y_pred's (rule above)."""
    rule = "y_pred's shape without its class axis" if sparse else "y_pred's shape"
    message = (f"{_braces(what)}: y_true shape {{x}} does not match y_pred shape {{like}}: "
               f"the shape of y_true must equal {rule} (no broadcasting)")
    return check_shapes_match(y_true, _shape_source(y_pred), message, drop_last=sparse)


def _shape_source(y_pred):
    """A tensor with y_pred's run-time shape for the check to read: the input of a Softmax or
    Sigmoid output (the logits, which the losses read anyway), so that checking the labels
    does not make a plan compute an activation nothing else needs; else y_pred itself."""
    op = getattr(y_pred, "op", None)
    if getattr(op, "type", None) in ("Softmax", "Sigmoid") and hasattr(op, "attrs"):
        return op.inputs[0]
    return y_pred


def _braces(text):
    return text.replace("{", "{{").replace("}", "}}")


def _unknown_rank(what, yt, yp):
    return ValueError(f"{what}: y_true shape {format_shape(yt)} and y_pred shape "
                      f"{format_shape(yp)}: both ranks must be known to match labels with "
                      "predictions (give the placeholder a shape, e.g. [None, 1])")


def _clash(a, b):
    return len(a) != len(b) or any(x is not None and y is not None and x != y
                                   for x, y in zip(a, b))


def _all_known(*shapes):
    return all(d is not None for s in shapes for d in s)


def match_shapes(y_true, y_pred, what="loss"):
    """(y_true, y_pred) with equal shapes under the dense rule, or ValueError."""
    yt, yp = y_true.shape.dims, y_pred.shape.dims
    if yt is None or yp is None:
        raise _unknown_rank(what, yt, yp)
    if len(yt) == len(yp) + 1 and yt[-1] == 1:
        if len(yp) == 1:
            y_pred = _array.expand_dims(y_pred, -1)
        else:
            y_true = _array.squeeze(y_true, [-1])
    elif len(yp) == len(yt) + 1 and yp[-1] == 1:
        if len(yt) == 1:
            y_true = _array.expand_dims(y_true, -1)
        else:
            y_pred = _array.squeeze(y_pred, [-1])
    t, p = y_true.shape.dims, y_pred.shape.dims
    if _clash(t, p):
        raise _error(what, yt, yp, False)
    if not _all_known(t, p):
        y_true = _checked(y_true, y_pred, what, False)
    return y_true, y_pred


def match_sparse_shapes(y_true, y_pred, what="loss"):
    """(labels, y_pred): integer labels of y_pred's shape without the class axis, or error."""
    yt, yp = y_true.shape.dims, y_pred.shape.dims
    if yp is not None and len(yp) == 0:
        raise ValueError(f"{what}: y_pred must have a class axis, got a scalar")
    if yt is None or yp is None:
        raise _unknown_rank(what, yt, yp)
    if len(yt) == len(yp):
        if yt[-1] != 1:
            if yt[-1] is None:
                raise ValueError(
                    f"{what}: cannot tell whether y_true of shape {format_shape(yt)} holds "
                    f"one-hot or sparse labels for y_pred of shape {format_shape(yp)}; give "
                    "y_true a known last dimension")
            raise _error(what, yt, yp, True)
        y_true = _array.squeeze(y_true, [-1])
    t = y_true.shape.dims
    if _clash(t, yp[:-1]):
        raise _error(what, yt, yp, True)
    if not _all_known(t, yp[:-1]):
        y_true = _checked(y_true, y_pred, what, True)
    return y_true, y_pred


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's helper for weights and masks: drop (or add) a trailing size-1 axis so that two
    tensors whose ranks differ by one get the same rank; other pairs are returned as they are.
    """
    r1, r2 = x1.shape.ndims, x2.shape.ndims
    if r1 is None or r2 is None or r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = _array.expand_dims(x2, -1)
        else:
            x1 = _array.squeeze(x1, [-1])
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = _array.expand_dims(x1, -1)
        else:
            x2 = _array.squeeze(x2, [-1])
    return x1, x2


def check_weights(sample_weight, values, what="loss"):
    """`sample_weight` checked against `values` axis by axis from the first (the batch) axis:
    each weight axis must be 1 or equal the value axis; unknown sizes are checked when run.
    ValueError (or InvalidArgumentError when run) instead of a silent broadcast."""
    wd, vd = sample_weight.shape.dims, values.shape.dims
    if wd is None or vd is None:
        raise ValueError(f"{what}: sample_weight shape {format_shape(wd)} and values shape "
                         f"{format_shape(vd)}: both ranks must be known")
    message = (f"{what}: sample_weight of shape {format_shape(wd)} does not fit values of shape "
               f"{format_shape(vd)}: give one weight per sample, or one per value")
    if len(wd) > len(vd) or any(w is not None and v is not None and w not in (1, v)
                                for w, v in zip(wd, vd)):
        raise ValueError(message)
    if all(w == 1 or (w is not None and w == v) for w, v in zip(wd, vd)):
        return sample_weight
    return check_shapes_match(sample_weight, values,
                              _braces(message) + " (run-time shapes: {x} and {like})",
                              allow_ones=True)
