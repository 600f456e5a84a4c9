"""Mean, Sum and MeanMetricWrapper (a metric function averaged over every sample seen)."""
from tensorlet.keras import _identifiers
from tensorlet.keras import losses as _losses
from tensorlet.keras.losses.shape_rule import (
    as_float,
    check_weights,
    squeeze_or_expand_to_same_rank,
)
from tensorlet.ops import array as _array
from tensorlet.ops import math as _math
from tensorlet.ops import reduction as _red

from .metric import Metric


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype, what="metric"):
    """Per-sample values (weighted) and per-sample weights, as Keras 3 reduces them."""
    values = as_float(values, dtype)
    if sample_weight is not None:
        sample_weight = as_float(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        sample_weight = check_weights(sample_weight, values, what)
        w_nd, v_nd = sample_weight.shape.ndims, values.shape.ndims
        if v_nd > w_nd:
            values = reduce_fn(values, axis=list(range(w_nd, v_nd)))
        sample_weight = sample_weight * _array.ones_like(values)
        values = values * sample_weight
        if w_nd > 1:
            sample_weight = reduce_fn(sample_weight, axis=list(range(1, w_nd)))
    nd = values.shape.ndims
    if nd is not None and nd > 1:
        values = reduce_fn(values, axis=list(range(1, nd)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of every value seen."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, _red.reduce_sum,
                                                self.dtype, self.name)
        self.total.assign_add(_red.reduce_sum(values))

    def result(self):
        return _array.identity(self.total)


class Mean(Metric):
    """The (weighted) mean of every value seen: total / count."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, values, sample_weight=None):
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight,
                                                            _red.reduce_mean, self.dtype,
                                                            self.name)
        self.total.assign_add(_red.reduce_sum(values))
        if sample_weight is not None:
            num = _red.reduce_sum(sample_weight)
        elif values.shape.ndims:
            num = _math.cast(_array.size(values), values.dtype)
        else:
            num = _array.ones((), values.dtype)
        self.count.assign_add(num)

    def result(self):
        return _math.div_no_nan(self.total, self.count)


class MeanMetricWrapper(Mean):
    """The mean of `fn(y_true, y_pred, **kwargs)` over every sample seen."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None) or "mean_metric_wrapper",
                         dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if fn in _losses.FUNCTIONS or isinstance(fn, _losses.Loss):
            self._direction = "down"  # a loss: smaller is better (EarlyStopping's auto mode)

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        return _identifiers.fn_wrapper_config(super().get_config(), self._fn, self._fn_kwargs,
                                              "keras.metrics")

    @classmethod
    def from_config(cls, config):
        from tensorlet.keras.metrics import deserialize
        return cls(**_identifiers.resolve_fn(config, deserialize))
