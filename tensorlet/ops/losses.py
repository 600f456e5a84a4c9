"""tf.losses (TF 1.x): per-element losses, weighted and reduced as `Reduction` says (default
SUM_BY_NONZERO_WEIGHTS), and added to the LOSSES collection. Labels and predictions must have
compatible shapes: (n,) against (n, 1) raises instead of broadcasting to (n, n)."""
import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.graph import (
    GraphKeys,
    TensorLike,
    add_to_collection,
    get_collection,
    name_scope,
)

from .array import broadcast_like, constant, ones_like, shape, stop_gradient
from .base import apply, as_tensor
from .cross_entropy import (
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2,
    sparse_softmax_cross_entropy_with_logits,
)
from .math import (
    abs,
    add_n,
    cast,
    div_no_nan,
    log,
    minimum,
    multiply,
    not_equal,
    squared_difference,
    subtract,
)
from .nn import relu
from .reduction import reduce_prod, reduce_sum


class Reduction:
    """Types of loss reduction (the values are TF's strings)."""

    NONE = "none"
    SUM = "weighted_sum"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    MEAN = "weighted_mean"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls):
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE,
                cls.SUM_OVER_NONZERO_WEIGHTS, cls.SUM_BY_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key):
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction key {key!r}; expected one of {cls.all()}")


_DEFAULT = Reduction.SUM_BY_NONZERO_WEIGHTS


# -- Collections --------------------------------------------------------------------------------


def add_loss(loss, loss_collection=GraphKeys.LOSSES):
    """Add `loss` to the collection `loss_collection` (nothing when it is None)."""
    if loss_collection:
        add_to_collection(loss_collection, loss)


def get_losses(scope=None, loss_collection=GraphKeys.LOSSES):
    """The losses in `loss_collection` (names matching `scope` when given)."""
    return get_collection(loss_collection, scope)


def get_regularization_losses(scope=None):
    return get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope=None, name="total_regularization_loss"):
    """The sum of the regularisation losses, or 0.0 when there are none."""
    losses = get_regularization_losses(scope)
    if not losses:
        return constant(0.0, name=name)
    return add_n(losses, name=name) if len(losses) > 1 else _named(losses[0], name)


def get_total_loss(add_regularization_losses=True, name="total_loss", scope=None):
    """The sum of the collected losses (plus the regularisation losses by default)."""
    losses = get_losses(scope)
    if add_regularization_losses:
        losses = losses + get_regularization_losses(scope)
    if not losses:
        raise ValueError("get_total_loss: no losses found in the LOSSES collection (or the "
                         "regularization losses); build a tf.losses loss first")
    return add_n(losses, name=name) if len(losses) > 1 else _named(losses[0], name)


def _named(t, name):
    from .array import identity
    return identity(t, name=name)


# -- Weighting and reduction ------------------------------------------------------------------


def _check_broadcastable(weights, losses):
    """TF's rule: weights are a scalar, or have the losses' rank with each dim 1 or equal."""
    ws, ls = weights.shape, losses.shape
    if ws.ndims == 0 or ws.ndims is None or ls.ndims is None:
        return
    ok = ws.ndims == ls.ndims and all(
        w is None or l_ is None or w == 1 or w == l_ for w, l_ in zip(ws.dims, ls.dims))
    if not ok:
        raise ValueError(f"weights of shape {ws} cannot be broadcast to losses of shape {ls}: "
                         "weights must be a scalar or have the losses' rank, each dimension "
                         "1 or equal")


def _num_elements(losses):
    if losses.shape.is_fully_defined():
        return constant(float(losses.shape.num_elements()), dtype=losses.dtype,
                        name="num_elements")
    return cast(reduce_prod(shape(losses)), losses.dtype, name="num_elements")


def _num_present(losses, weights, number):
    """How many losses have a nonzero weight (weights broadcast over the losses)."""
    if number is not None:
        return _num_elements(losses) if number != 0 else constant(0.0, dtype=losses.dtype)
    present = cast(not_equal(weights, 0), losses.dtype)
    return reduce_sum(broadcast_like(present, losses), name="num_present")


def compute_weighted_loss(losses, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                          reduction=_DEFAULT):
    """losses * weights, reduced by `reduction`, added to `loss_collection`."""
    Reduction.validate(reduction)
    with name_scope(scope, "weighted_loss"):
        losses = _as_float(losses)
        number = None
        if isinstance(weights, TensorLike):
            w = as_tensor(weights)
            w = w if w.dtype is losses.dtype else cast(w, losses.dtype)
            _check_broadcastable(w, losses)
        else:
            if np.ndim(weights) == 0:
                number = float(weights)
            w = as_tensor(np.asarray(weights, dtype=losses.dtype.np))
            _check_broadcastable(w, losses)
        weighted = losses if number == 1.0 else multiply(losses, w)
        if reduction == Reduction.NONE:
            loss = weighted
        else:
            total = reduce_sum(weighted)
            if reduction == Reduction.SUM:
                loss = total
            elif reduction == Reduction.MEAN:
                loss = div_no_nan(total, reduce_sum(broadcast_like(w, losses)), name="value")
            elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
                loss = div_no_nan(total, _num_elements(losses), name="value")
            else:
                loss = div_no_nan(total, _num_present(losses, w, number), name="value")
        add_loss(loss, loss_collection)
        return loss


# -- Shared input handling --------------------------------------------------------------------


def _as_float(x):
    x = as_tensor(x)
    return x if x.dtype.is_floating else cast(x, _dt.float32)


def _pair(labels, predictions, what=("labels", "predictions")):
    """(labels, predictions) as one float dtype (predictions' own, or float32), same shape."""
    if labels is None or predictions is None:
        raise ValueError(f"{what[0] if labels is None else what[1]} must not be None")
    predictions = _as_float(predictions)
    labels = as_tensor(labels)
    if labels.dtype is not predictions.dtype:
        labels = cast(labels, predictions.dtype)
    if not predictions.shape.is_compatible_with(labels.shape):
        raise ValueError(f"{what[0]} shape {labels.shape} and {what[1]} shape "
                         f"{predictions.shape} must match (they are never broadcast: reshape "
                         "one of them)")
    return labels, predictions


# -- Regression losses ------------------------------------------------------------------------


def absolute_difference(labels, predictions, weights=1.0, scope=None,
                        loss_collection=GraphKeys.LOSSES, reduction=_DEFAULT):
    """|predictions - labels|, weighted and reduced."""
    with name_scope(scope, "absolute_difference") as sc:
        labels, predictions = _pair(labels, predictions)
        losses = abs(subtract(predictions, labels))
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def mean_squared_error(labels, predictions, weights=1.0, scope=None,
                       loss_collection=GraphKeys.LOSSES, reduction=_DEFAULT):
    """(predictions - labels)², weighted and reduced."""
    with name_scope(scope, "mean_squared_error") as sc:
        labels, predictions = _pair(labels, predictions)
        losses = squared_difference(predictions, labels)
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def huber_loss(labels, predictions, weights=1.0, delta=1.0, scope=None,
               loss_collection=GraphKeys.LOSSES, reduction=_DEFAULT):
    """0.5·e² where |e| <= delta, else 0.5·delta² + delta·(|e| - delta), e = predictions -
    labels; weighted and reduced."""
    with name_scope(scope, "huber_loss") as sc:
        labels, predictions = _pair(labels, predictions)
        err = abs(subtract(predictions, labels))
        quad = minimum(err, delta)
        # err - quad equals max(err - delta, 0) but has gradient 0 at err == delta
        losses = 0.5 * quad * quad + delta * (err - quad)
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def log_loss(labels, predictions, weights=1.0, epsilon=1e-7, scope=None,
             loss_collection=GraphKeys.LOSSES, reduction=_DEFAULT):
    """-labels·log(p + eps) - (1 - labels)·log(1 - p + eps), weighted and reduced."""
    with name_scope(scope, "log_loss") as sc:
        labels, p = _pair(labels, predictions)
        losses = -labels * log(p + epsilon) - (1 - labels) * log(1 - p + epsilon)
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def cosine_distance(labels, predictions, axis=None, weights=1.0, scope=None,
                    loss_collection=GraphKeys.LOSSES, reduction=_DEFAULT, dim=None):
    """1 - sum(labels · predictions, axis) (inputs assumed unit-normalised), kept as a size-1
    axis; weighted and reduced."""
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("cosine_distance: you must specify axis")
    with name_scope(scope, "cosine_distance_loss") as sc:
        labels, predictions = _pair(labels, predictions)
        losses = 1 - reduce_sum(multiply(predictions, labels), axis, keepdims=True)
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def hinge_loss(labels, logits, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
               reduction=_DEFAULT):
    """max(0, 1 - (2·labels - 1)·logits) for labels in {0, 1}; weighted and reduced."""
    with name_scope(scope, "hinge_loss") as sc:
        labels, logits = _pair(labels, logits, ("labels", "logits"))
        losses = relu(1 - (2 * labels - 1) * logits)
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


# -- Classification losses --------------------------------------------------------------------


def _num_classes(labels):
    n = labels.shape[-1] if labels.shape.ndims else None
    if n is not None:
        return float(n)
    return reduce_sum(ones_like(labels), -1, keepdims=True)


def softmax_cross_entropy(onehot_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection=GraphKeys.LOSSES, reduction=_DEFAULT):
    """Softmax cross-entropy of `logits` against `onehot_labels` (same shape; the classes on
    the last axis), smoothed toward 1/classes by `label_smoothing`; the labels get no
    gradient. `weights` apply per example."""
    with name_scope(scope, "softmax_cross_entropy_loss") as sc:
        labels, logits = _pair(onehot_labels, logits, ("onehot_labels", "logits"))
        if label_smoothing > 0:
            labels = labels * (1 - label_smoothing) + label_smoothing / _num_classes(labels)
        labels = stop_gradient(labels, name="labels_stop_gradient")
        losses = softmax_cross_entropy_with_logits_v2(labels, logits, name="xentropy")
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def _squeeze_last(t):
    return apply("SqueezeReduced", [t], {"axis": (t.shape.ndims - 1,)})


def _last_is_one(t):
    return t.shape[-1] in (None, 1)


def sparse_softmax_cross_entropy(labels, logits, weights=1.0, scope=None,
                                 loss_collection=GraphKeys.LOSSES, reduction=_DEFAULT):
    """Cross-entropy of integer `labels` [d0..dr-1] against `logits` [d0..dr-1, classes]; a
    trailing size-1 axis of labels (or weights) is squeezed, as TF does."""
    if labels is None or logits is None:
        raise ValueError(f"{'labels' if labels is None else 'logits'} must not be None")
    with name_scope(scope, "sparse_softmax_cross_entropy_loss") as sc:
        labels, logits = as_tensor(labels), _as_float(logits)
        lr, pr = labels.shape.ndims, logits.shape.ndims
        if lr is not None and pr is not None:
            if pr - lr == 0 and lr > 0 and _last_is_one(labels):
                labels = _squeeze_last(labels)
            elif pr - lr == 2 and _last_is_one(logits):
                logits = _squeeze_last(logits)
        if not isinstance(weights, TensorLike) and np.ndim(weights) > 0:
            weights = as_tensor(np.asarray(weights, dtype=logits.dtype.np))
        if isinstance(weights, TensorLike):
            weights = as_tensor(weights)
            wr, lr = weights.shape.ndims, labels.shape.ndims
            if wr is not None and lr is not None and wr - lr == 1 and _last_is_one(weights):
                weights = _squeeze_last(weights)
        losses = sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits,
                                                          name="xentropy")
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def sigmoid_cross_entropy(multi_class_labels, logits, weights=1.0, label_smoothing=0,
                          scope=None, loss_collection=GraphKeys.LOSSES, reduction=_DEFAULT):
    """Sigmoid cross-entropy of `logits` against labels in [0, 1] (same shape), smoothed
    toward 1/2 by `label_smoothing`; weighted and reduced."""
    with name_scope(scope, "sigmoid_cross_entropy_loss") as sc:
        labels, logits = _pair(multi_class_labels, logits, ("multi_class_labels", "logits"))
        if label_smoothing > 0:
            labels = labels * (1 - label_smoothing) + 0.5 * label_smoothing
        losses = sigmoid_cross_entropy_with_logits(labels=labels, logits=logits,
                                                   name="xentropy")
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


__all__ = ["Reduction", "absolute_difference", "add_loss", "compute_weighted_loss",
           "cosine_distance", "get_losses", "get_regularization_loss",
           "get_regularization_losses", "get_total_loss", "hinge_loss", "huber_loss",
           "log_loss", "mean_squared_error", "sigmoid_cross_entropy", "softmax_cross_entropy",
           "sparse_softmax_cross_entropy"]
