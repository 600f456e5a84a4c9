"""Keras 3 loss functions: per-sample loss values from core ops, Keras's numerics.

Every function reconciles y_true with y_pred through `shape_rule` first (never a silent
broadcast). Cross-entropies on probabilities clip to [eps, 1 - eps] (eps = 1e-7); categorical
cross-entropy renormalises rows that do not sum to 1. As Keras does on TensorFlow, a y_pred
produced by a Softmax (Sigmoid) op is traced back to its logits and the fused, stable
softmax (sigmoid) cross-entropy op of tensorlet.nn is used instead.
"""
import functools
import math
import warnings

from tensorlet.framework import dtypes as _dt
from tensorlet.keras import backend
from tensorlet.ops import array as _array
from tensorlet.ops import cross_entropy as _xent
from tensorlet.ops import math as _math
from tensorlet.ops import nn as _nn
from tensorlet.ops import reduction as _red
from tensorlet.ops.base import as_tensor

from .shape_rule import as_float, in_graph_of, match_shapes, match_sparse_shapes


def _in_graph(fn):
    """Build in the graph of the tensor arguments (NumPy arguments become its constants)."""
    @functools.wraps(fn)
    def wrapper(y_true, y_pred, *args, **kwargs):
        with in_graph_of(y_pred, y_true):
            return fn(y_true, y_pred, *args, **kwargs)
    return wrapper


def _dense(y_true, y_pred, what):
    y_pred = as_float(y_pred)
    return match_shapes(as_float(y_true, y_pred.dtype), y_pred, what)


def _clip(x, lo, hi):
    return _math.minimum(_math.maximum(x, lo), hi)


def _mean(x, axis=-1):
    return _red.reduce_mean(x, axis=axis)


def _check_axis(axis):
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(  # noqa: TRY004  (Keras raises ValueError here)
            f"`axis` must be an int, got axis={axis!r} of type {type(axis).__name__}")


def _logits_of(output, op_type, axis=None):
    """The logits of a Softmax/Sigmoid output (its op's input), else None."""
    op = getattr(output, "op", None)
    if op is None or getattr(op, "type", None) != op_type or not hasattr(op, "attrs"):
        return None  # eager tensors keep no producing op: use the probabilities as given
    if axis is not None and (output.shape.ndims is None
                             or op.attrs["axis"] != axis % output.shape.ndims):
        return None
    return op.inputs[0]


def _from_activation(output, from_logits, op_type, fn_name, axis=None):
    """(tensor, from_logits) with Keras's rule for outputs of a Softmax/Sigmoid."""
    logits = _logits_of(output, op_type, axis)
    if logits is None:
        return output, from_logits
    if from_logits:
        warnings.warn(f"`{fn_name}` received `from_logits=True`, but the `output` argument was "
                      f"produced by a {op_type} activation and thus does not represent logits. "
                      "Was this intended?", stacklevel=4)
    return logits, True


# -- Regression -------------------------------------------------------------------------------


@_in_graph
def mean_squared_error(y_true, y_pred):
    """mean((y_true - y_pred)²) over the last axis."""
    y_true, y_pred = _dense(y_true, y_pred, "mean_squared_error")
    return _mean(_math.square(y_true - y_pred))


@_in_graph
def mean_absolute_error(y_true, y_pred):
    """mean(|y_true - y_pred|) over the last axis."""
    y_true, y_pred = _dense(y_true, y_pred, "mean_absolute_error")
    return _mean(_math.abs(y_true - y_pred))


@_in_graph
def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(|(y_true - y_pred) / max(|y_true|, eps)|) over the last axis."""
    y_true, y_pred = _dense(y_true, y_pred, "mean_absolute_percentage_error")
    diff = _math.abs((y_true - y_pred) / _math.maximum(_math.abs(y_true), backend.epsilon()))
    return 100.0 * _mean(diff)


@_in_graph
def mean_squared_logarithmic_error(y_true, y_pred):
    """mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))²) over the last axis."""
    y_true, y_pred = _dense(y_true, y_pred, "mean_squared_logarithmic_error")
    eps = backend.epsilon()
    first = _math.log(_math.maximum(y_pred, eps) + 1.0)
    second = _math.log(_math.maximum(y_true, eps) + 1.0)
    return _mean(_math.square(first - second))


@_in_graph
def cosine_similarity(y_true, y_pred, axis=-1):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred)) along `axis` (-1 = most similar)."""
    y_true, y_pred = _dense(y_true, y_pred, "cosine_similarity")
    eps = backend.epsilon() ** 2  # Keras: x * min(rsqrt(sum x²), 1 / eps)
    y_true = _nn.l2_normalize(y_true, axis=axis, epsilon=eps)
    y_pred = _nn.l2_normalize(y_pred, axis=axis, epsilon=eps)
    return -_red.reduce_sum(y_true * y_pred, axis=axis)


@_in_graph
def huber(y_true, y_pred, delta=1.0):
    """0.5 x² for |x| <= delta, delta (|x| - delta / 2) beyond, x = y_pred - y_true; mean
    over the last axis."""
    y_true, y_pred = _dense(y_true, y_pred, "huber")
    delta = float(delta)
    error = y_pred - y_true
    abs_error = _math.abs(error)
    quadratic = 0.5 * _math.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return _mean(_math.where(_math.less_equal(abs_error, delta), quadratic, linear))


@_in_graph
def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true))) over the last axis, computed without overflow."""
    y_true, y_pred = _dense(y_true, y_pred, "log_cosh")
    x = y_pred - y_true
    return _mean(x + _nn.softplus(-2.0 * x) - math.log(2.0))


# -- Hinge ------------------------------------------------------------------------------------


def _hinge_labels(y_true):
    """Labels in {0, 1} become {-1, 1}; other labels are used as they are."""
    binary = _red.reduce_all(_math.logical_or(_math.equal(y_true, 0.0),
                                              _math.equal(y_true, 1.0)))
    return _math.where(binary, 2.0 * y_true - 1.0, y_true)


@_in_graph
def hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0)) over the last axis (labels -1/1 or 0/1)."""
    y_true, y_pred = _dense(y_true, y_pred, "hinge")
    return _mean(_math.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0))


@_in_graph
def squared_hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0)²) over the last axis (labels -1/1 or 0/1)."""
    y_true, y_pred = _dense(y_true, y_pred, "squared_hinge")
    return _mean(_math.square(_math.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0)))


@_in_graph
def categorical_hinge(y_true, y_pred):
    """max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0) for one-hot labels."""
    y_true, y_pred = _dense(y_true, y_pred, "categorical_hinge")
    pos = _red.reduce_sum(y_true * y_pred, axis=-1)
    neg = _red.reduce_max((1.0 - y_true) * y_pred, axis=-1)
    return _math.maximum(neg - pos + 1.0, 0.0)


# -- Probabilistic ----------------------------------------------------------------------------


@_in_graph
def kl_divergence(y_true, y_pred):
    """sum(y_true * log(y_true / y_pred)) over the last axis, both clipped to [eps, 1]."""
    y_true, y_pred = _dense(y_true, y_pred, "kl_divergence")
    eps = backend.epsilon()
    y_true, y_pred = _clip(y_true, eps, 1.0), _clip(y_pred, eps, 1.0)
    return _red.reduce_sum(y_true * _math.log(y_true / y_pred), axis=-1)


@_in_graph
def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + eps)) over the last axis."""
    y_true, y_pred = _dense(y_true, y_pred, "poisson")
    return _mean(y_pred - y_true * _math.log(y_pred + backend.epsilon()))


def _binary_xent(target, output, from_logits, fn_name="binary_crossentropy"):
    """Elementwise binary cross-entropy (Keras's backend rule)."""
    output, from_logits = _from_activation(output, from_logits, "Sigmoid", fn_name)
    if from_logits:
        return _xent.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    eps = backend.epsilon()
    output = _clip(output, eps, 1.0 - eps)
    return -(target * _math.log(output) + (1.0 - target) * _math.log(1.0 - output))


@_in_graph
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Mean binary cross-entropy over `axis`; labels smoothed towards 0.5 when asked."""
    _check_axis(axis)
    y_true, y_pred = _dense(y_true, y_pred, "binary_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return _mean(_binary_xent(y_true, y_pred, from_logits), axis)


@_in_graph
def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy scaled by (1 - p_t)^gamma (Lin et al.), optionally by alpha."""
    _check_axis(axis)
    y_true, y_pred = _dense(y_true, y_pred, "binary_focal_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = _math.sigmoid(y_pred)
    bce = _binary_xent(y_true, y_pred, False, "binary_focal_crossentropy")
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = _math.pow(1.0 - p_t, float(gamma)) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return _mean(focal, axis)


@_in_graph
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """-sum(y_true * log(y_pred)) over `axis` for one-hot (or soft) labels."""
    _check_axis(axis)
    y_true, y_pred = _dense(y_true, y_pred, "categorical_crossentropy")
    if y_pred.shape.ndims == 0:
        raise ValueError("categorical_crossentropy: y_pred must have a class axis, got a scalar")
    if y_pred.shape.ndims and y_pred.shape[-1] == 1:
        warnings.warn("In loss categorical_crossentropy, expected y_pred.shape to be "
                      f"(batch_size, num_classes) with num_classes > 1. Received: "
                      f"y_pred.shape={y_pred.shape}. Consider using 'binary_crossentropy' if "
                      "you only have 2 classes.", SyntaxWarning, stacklevel=3)
    if label_smoothing:
        num_classes = _red.reduce_sum(_array.ones_like(y_true), axis=axis, keepdims=True)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    output, from_logits = _from_activation(y_pred, from_logits, "Softmax",
                                           "categorical_crossentropy", axis)
    if from_logits:
        return _xent.softmax_cross_entropy_with_logits_v2(labels=y_true, logits=output,
                                                          axis=axis)
    eps = backend.epsilon()
    output = output / _red.reduce_sum(output, axis=axis, keepdims=True)
    output = _clip(output, eps, 1.0 - eps)
    return -_red.reduce_sum(y_true * _math.log(output), axis=axis)


def _int_labels(labels):
    if labels.dtype in (_dt.int32, _dt.int64):
        return labels
    if not (labels.dtype.is_numeric or labels.dtype.is_bool):
        raise TypeError(f"sparse labels must be integer class ids, got dtype "
                        f"{labels.dtype.name}")
    return _math.cast(labels, _dt.int32)


def sparse_valid_mask(y_true, y_pred, ignore_class):
    """The entries whose label is not `ignore_class` (bool, one per label)."""
    labels, _ = match_sparse_shapes(as_tensor(y_true), as_float(y_pred),
                                    "sparse_categorical_crossentropy")
    return _math.not_equal(_int_labels(labels), int(ignore_class))


@_in_graph
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Cross-entropy of integer class ids against class scores; labels equal to
    `ignore_class` contribute 0."""
    _check_axis(axis)
    y_pred = as_float(y_pred)
    nd = y_pred.shape.ndims
    if axis != -1 and axis != (nd - 1 if nd is not None else None):
        raise ValueError(f"sparse_categorical_crossentropy supports only axis=-1 (the class "
                         f"axis last), got axis={axis}")
    labels, y_pred = match_sparse_shapes(as_tensor(y_true), y_pred,
                                         "sparse_categorical_crossentropy")
    labels = _int_labels(labels)
    valid = None
    if ignore_class is not None:
        valid = _math.not_equal(labels, int(ignore_class))
        labels = _math.where(valid, labels, _array.zeros_like(labels))
        y_pred = y_pred * _array.expand_dims(_math.cast(valid, y_pred.dtype), -1)
    logits, from_logits = _from_activation(y_pred, from_logits, "Softmax",
                                           "sparse_categorical_crossentropy", -1)
    if not from_logits:
        eps = backend.epsilon()
        logits = _math.log(_clip(y_pred, eps, 1.0 - eps))
    res = _xent.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    if valid is not None:
        res = _math.where(valid, res, _array.zeros_like(res))
    return res


FUNCTIONS = (mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
             mean_squared_logarithmic_error, cosine_similarity, huber, log_cosh, hinge,
             squared_hinge, categorical_hinge, kl_divergence, poisson, binary_crossentropy,
             binary_focal_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy)
