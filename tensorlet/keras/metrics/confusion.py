"""Precision, Recall and AUC: confusion counts at thresholds, accumulated in variables.

A prediction counts as positive at threshold t when y_pred > t; labels are positive when
non-zero. Counts are weighted by `sample_weight`. AUC follows Keras 3: `num_thresholds`
evenly spaced thresholds plus -eps and 1 + eps end points, predictions clipped to [0, 1],
and a Riemann sum ('interpolation' = trapezoids for ROC, Davis & Goadrich's interpolation for
PR; 'minoring'/'majoring' = lower/upper sums).
"""
import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.keras import backend
from tensorlet.keras.losses.shape_rule import (
    as_float,
    check_weights,
    format_shape,
    match_shapes,
    squeeze_or_expand_to_same_rank,
)
from tensorlet.ops import array as _array
from tensorlet.ops import gather as _gather
from tensorlet.ops import generate as _generate
from tensorlet.ops import math as _math
from tensorlet.ops import reduction as _red

from .metric import Metric

NEG_INF = -1e10


def _threshold_list(thresholds, default):
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) \
        else [thresholds]
    bad = [t for t in values if t is None or not 0 <= t <= 1]
    if not values or bad:
        raise ValueError(f"Threshold values must be in [0, 1], got {values!r}")
    return [float(t) for t in values]


def evenly_distributed(thresholds):
    """Whether thresholds are [0, 1/(n-1), ..., 1] (then predictions are clipped to [0, 1])."""
    n = len(thresholds)
    return n >= 3 and np.allclose(thresholds, np.arange(n) / (n - 1), atol=backend.epsilon())


def _filter_top_k(x, k):
    """x where it is among the k largest of its last axis, NEG_INF elsewhere."""
    _, idx = _gather.top_k(x, k)
    depth = x.shape[-1] if x.shape[-1] is not None else _array.shape(x)[-1]
    mask = _red.reduce_sum(_generate.one_hot(idx, depth, dtype=x.dtype), axis=-2)
    return x * mask + NEG_INF * (1.0 - mask)


def update_confusion_counts(counts, y_true, y_pred, thresholds, top_k=None, class_id=None,
                            sample_weight=None, multi_label=False, label_weights=None,
                            clip=False, what="metric"):
    """Ops adding the weighted tp/fp/tn/fn counts of this batch to the variables in `counts`
    (a dict with keys among 'tp', 'fp', 'tn', 'fn'; each of shape [T] or [T, labels])."""
    y_pred = as_float(y_pred)
    y_true, y_pred = match_shapes(as_float(y_true, y_pred.dtype), y_pred, what)
    if sample_weight is not None:
        sample_weight = _array.expand_dims(as_float(sample_weight, y_pred.dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight,
                                                          expand_rank_1=False)
        sample_weight = check_weights(sample_weight, y_pred, what)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.shape.ndims is not None and y_pred.shape.ndims < 2:
            raise ValueError(f"{what}: with class_id, y_pred must have shape "
                             f"(num_samples, num_classes), got {format_shape(y_pred.shape)}")
        y_true = y_true[..., class_id:class_id + 1]
        y_pred = y_pred[..., class_id:class_id + 1]
    if clip:
        y_pred = _math.minimum(_math.maximum(y_pred, 0.0), 1.0)
    if multi_label:
        labels_n = y_pred.shape[-1]
        pred = _array.reshape(y_pred, [1, -1, labels_n])
        label = _array.reshape(y_true, [1, -1, labels_n])
        thresh = _array.constant(np.asarray(thresholds, np.float32).reshape(-1, 1, 1))
        axis = 1
    else:
        pred = _array.reshape(y_pred, [1, -1])
        label = _array.reshape(y_true, [1, -1])
        thresh = _array.constant(np.asarray(thresholds, np.float32).reshape(-1, 1))
        axis = 1
    weight = None
    if sample_weight is not None:
        weight = _array.reshape(sample_weight * _array.ones_like(y_pred), _array.shape(pred))
    if label_weights is not None and not multi_label:
        lw = _array.constant(np.asarray(label_weights, np.float32))
        lw = _array.reshape(lw * _array.ones_like(y_pred), _array.shape(pred))
        weight = lw if weight is None else weight * lw
    pred = _math.cast(pred, _dt.float32)
    is_pos = _math.greater(pred, thresh)
    is_true = _math.not_equal(label, 0.0)
    cases = {"tp": (is_true, is_pos), "fn": (is_true, ~is_pos),
             "fp": (~is_true, is_pos), "tn": (~is_true, ~is_pos)}
    for key, var in counts.items():
        hit_true, hit_pred = cases[key]
        hit = _math.cast(_math.logical_and(hit_true, hit_pred), var.dtype)
        if weight is not None:
            hit = hit * _math.cast(weight, var.dtype)
        var.assign_add(_red.reduce_sum(hit, axis=axis))


class _Thresholded(Metric):
    """Shared state handling of Precision and Recall."""

    _keys = ()
    _direction = "up"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self.thresholds = _threshold_list(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = evenly_distributed(self.thresholds)
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), "zeros", name="true_positives")
        other = self._keys[1]
        setattr(self, _COUNT_NAMES[other],
                self.add_variable((n,), "zeros", name=_COUNT_NAMES[other]))

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = {k: getattr(self, _COUNT_NAMES[k]) for k in self._keys}
        update_confusion_counts(counts, y_true, y_pred, self.thresholds, self.top_k,
                                self.class_id, sample_weight, clip=self._evenly,
                                what=self.name)

    def result(self):
        other = getattr(self, _COUNT_NAMES[self._keys[1]])
        value = _math.div_no_nan(self.true_positives, self.true_positives + other)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        config = super().get_config()
        config.update(thresholds=self.init_thresholds, top_k=self.top_k,
                      class_id=self.class_id)
        return config


_COUNT_NAMES = {"tp": "true_positives", "fp": "false_positives", "tn": "true_negatives",
                "fn": "false_negatives"}


class Precision(_Thresholded):
    """tp / (tp + fp) at each threshold (0.5 by default; top_k / class_id select classes)."""

    _keys = ("tp", "fp")


class Recall(_Thresholded):
    """tp / (tp + fn) at each threshold (0.5 by default; top_k / class_id select classes)."""

    _keys = ("tp", "fn")


class AUC(Metric):
    """Area under the ROC (default) or precision-recall curve, approximated at thresholds."""

    _direction = "up"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_threshold_list(thresholds, 0.5))
            self.num_thresholds = len(inner) + 2
            self._evenly = evenly_distributed([0.0] + inner + [1.0])
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) \
                    or num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1, got "
                                 f"num_thresholds={num_thresholds!r}")
            self.num_thresholds = num_thresholds
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        eps = backend.epsilon()
        self._thresholds = [0.0 - eps] + inner + [1.0 + eps]
        self.curve = {"roc": "ROC", "pr": "PR"}.get(str(curve).lower())
        if self.curve is None:
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected "ROC" or "PR"')
        self.summation_method = str(summation_method).lower()
        if self.summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". '
                             'Expected "interpolation", "minoring" or "majoring"')
        if num_labels and not multi_label:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        super().__init__(name=name, dtype=dtype)
        self.multi_label, self.num_labels = bool(multi_label), num_labels
        self.label_weights = None if label_weights is None else \
            [float(w) for w in np.asarray(label_weights).reshape(-1)]
        self._from_logits = bool(from_logits)
        self._built = False
        if not self.multi_label:
            self._build(None)
        elif num_labels:
            self._build(int(num_labels))

    @property
    def thresholds(self):
        return list(self._thresholds)

    def _build(self, num_labels):
        shape = (self.num_thresholds,) if num_labels is None else \
            (self.num_thresholds, num_labels)
        self._num_labels = num_labels
        for key in ("tp", "fp", "tn", "fn"):
            setattr(self, _COUNT_NAMES[key],
                    self.add_variable(shape, "zeros", name=_COUNT_NAMES[key]))
        self._built = True

    def _build_for(self, y_true, y_pred, sample_weight=None):
        if self._built:
            return
        shape = as_float(y_pred).shape
        if shape.ndims != 2 or shape[-1] is None:
            raise ValueError(f"AUC with multi_label=True needs y_pred of shape (batch, labels) "
                             f"with a known number of labels, got {format_shape(shape.dims)}")
        self._build(shape[-1])

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self._from_logits:
            y_pred = _math.sigmoid(as_float(y_pred))
        counts = {k: getattr(self, _COUNT_NAMES[k]) for k in ("tp", "fp", "tn", "fn")}
        update_confusion_counts(counts, y_true, y_pred, self._thresholds,
                                sample_weight=sample_weight, multi_label=self.multi_label,
                                label_weights=None if self.multi_label else self.label_weights,
                                clip=self._evenly, what=self.name)

    def _average(self, per_threshold):
        if not self.multi_label:
            return _red.reduce_sum(per_threshold)
        by_label = _red.reduce_sum(per_threshold, axis=0)
        if self.label_weights is None:
            return _red.reduce_mean(by_label)
        lw = _array.constant(np.asarray(self.label_weights, np.float32))
        return _math.div_no_nan(_red.reduce_sum(by_label * lw), _red.reduce_sum(lw))

    def _interpolate_pr_auc(self, tp, fp, fn):
        """Davis & Goadrich (2006): precision interpolated between thresholds (Keras's
        closed form)."""
        n = self.num_thresholds
        dtp = tp[:n - 1] - tp[1:]
        p = tp + fp
        dp = p[:n - 1] - p[1:]
        slope = _math.div_no_nan(dtp, _math.maximum(dp, 0.0))
        intercept = tp[1:] - slope * p[1:]
        both = _math.logical_and(_math.greater(p[:n - 1], 0.0), _math.greater(p[1:], 0.0))
        ratio = _math.where(both, _math.div_no_nan(p[:n - 1], _math.maximum(p[1:], 0.0)),
                            _array.ones_like(p[1:]))
        increment = _math.div_no_nan(slope * (dtp + intercept * _math.log(ratio)),
                                     _math.maximum(tp[1:] + fn[1:], 0.0))
        return self._average(increment)

    def result(self):
        if not self._built:
            raise ValueError(f"{self.name}: no data yet (update_state builds the state of a "
                             "multi-label AUC)")
        tp, fp = _array.identity(self.true_positives), _array.identity(self.false_positives)
        tn, fn = _array.identity(self.true_negatives), _array.identity(self.false_negatives)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(tp, fp, fn)
        recall = _math.div_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _math.div_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _math.div_no_nan(tp, tp + fp)
        n = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = (y[:n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = _math.minimum(y[:n - 1], y[1:])
        else:
            heights = _math.maximum(y[:n - 1], y[1:])
        return self._average((x[:n - 1] - x[1:]) * heights)

    def reset_state(self):
        if self._built:
            for v in self.variables:
                v.assign(_array.zeros(v.shape.as_list(), v.dtype))

    def get_config(self):
        config = super().get_config()
        config.update(num_thresholds=self.num_thresholds, curve=self.curve,
                      summation_method=self.summation_method, multi_label=self.multi_label,
                      num_labels=self.num_labels, label_weights=self.label_weights,
                      from_logits=self._from_logits)
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
