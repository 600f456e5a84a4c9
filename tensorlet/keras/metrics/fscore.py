"""F-beta and F1 scores (Keras 3): per-class tp/fp/fn counts, averaged as asked."""
from tensorlet.keras import backend
from tensorlet.keras.losses.shape_rule import as_float, format_shape, match_shapes
from tensorlet.ops import array as _array
from tensorlet.ops import math as _math
from tensorlet.ops import reduction as _red

from .metric import Metric


class FBetaScore(Metric):
    """(1 + b²) * precision * recall / (b² * precision + recall), per class or averaged
    ('micro', 'macro', 'weighted'); y_pred above `threshold` (or each row's max) is 1."""

    _direction = "up"

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score",
                 dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"Invalid `average` argument value: expected one of None, "
                             f"'micro', 'macro', 'weighted', got average={average!r}")
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value: it should be a Python float > 0, "
                             f"got beta={beta!r}")
        if threshold is not None and (not isinstance(threshold, float)
                                      or not 0.0 < threshold <= 1.0):
            raise ValueError(f"Invalid `threshold` argument value: it should be a Python float "
                             f"with 0 < threshold <= 1, got threshold={threshold!r}")
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build_for(self, y_true, y_pred, sample_weight=None):
        if self._built:
            return
        t, p = as_float(y_true).shape.dims, as_float(y_pred).shape.dims
        if t is None or p is None or len(t) != 2 or len(p) != 2 or p[-1] is None:
            raise ValueError(f"{type(self).__name__} expects 2-D inputs of shape (batch_size, "
                             f"output_dim) with output_dim known, got y_true shape "
                             f"{format_shape(t)} and y_pred shape {format_shape(p)}")
        shape = (p[-1],) if self.average != "micro" else ()
        for name in ("true_positives", "false_positives", "false_negatives",
                     "intermediate_weights"):
            setattr(self, name, self.add_variable(shape, "zeros", name=name))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = as_float(y_pred, self.dtype)
        y_true, y_pred = match_shapes(as_float(y_true, self.dtype), y_pred, self.name)
        if self.threshold is None:
            top = _red.reduce_max(y_pred, axis=-1, keepdims=True)
            predicted = _math.logical_and(_math.greater_equal(y_pred, top),
                                          _math.greater(_math.abs(y_pred), 1e-9))
        else:
            predicted = _math.greater(y_pred, self.threshold)
        predicted = _math.cast(predicted, y_pred.dtype)
        weight = None if sample_weight is None else \
            _array.expand_dims(as_float(sample_weight, self.dtype), 1)

        def total(v):
            return _red.reduce_sum(v if weight is None else v * weight, axis=self.axis)

        self.true_positives.assign_add(total(predicted * y_true))
        self.false_positives.assign_add(total(predicted * (1.0 - y_true)))
        self.false_negatives.assign_add(total((1.0 - predicted) * y_true))
        self.intermediate_weights.assign_add(total(y_true))

    def result(self):
        if not self._built:
            raise ValueError(f"{self.name}: no data yet (update_state builds the state)")
        eps = backend.epsilon()
        tp = _array.identity(self.true_positives)
        precision = tp / (tp + self.false_positives + eps)
        recall = tp / (tp + self.false_negatives + eps)
        b2 = self.beta ** 2
        score = (precision * recall) / (b2 * precision + recall + eps) * (1.0 + b2)
        if self.average == "weighted":
            w = _array.identity(self.intermediate_weights)
            return _red.reduce_sum(score * (w / (_red.reduce_sum(w) + eps)))
        if self.average is not None:
            return _red.reduce_mean(score)
        return score

    def reset_state(self):
        for v in self.variables:
            v.assign(_array.zeros(v.shape.as_list(), v.dtype))

    def get_config(self):
        config = super().get_config()
        config.update(average=self.average, beta=self.beta, threshold=self.threshold)
        return config


class F1Score(FBetaScore):
    """2 * precision * recall / (precision + recall), per class or averaged."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name,
                         dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
