"""The Keras `Loss` base class and its reductions (Keras 3 semantics).

`loss(y_true, y_pred, sample_weight=None)` computes per-sample values with `call`, multiplies
them by the sample weights and reduces them: "sum_over_batch_size" (the default; also "mean")
divides the weighted sum by the NUMBER of values, not by the sum of the weights (SEMANTICS.md),
"sum" sums, "mean_with_sample_weight" divides by the sum of the weights, "none"/None keeps the
per-sample values.
"""
from tensorlet.framework import dtypes as _dt
from tensorlet.framework.graph import name_scope
from tensorlet.keras import _identifiers, backend
from tensorlet.ops import array as _array
from tensorlet.ops import math as _math
from tensorlet.ops import reduction as _red
from tensorlet.ops.base import as_tensor

from .shape_rule import as_float, check_weights, in_graph_of, squeeze_or_expand_to_same_rank

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"Invalid value for argument `reduction`: expected one of "
                         f"{list(REDUCTIONS)}, got reduction={reduction!r}")
    return reduction


def _num_elements(values):
    """The number of values: a Python int when static, else a float tensor (at least 1, so an
    empty batch reduces to 0 as in Keras)."""
    n = values.shape.num_elements()
    if n is not None:
        return n
    return _math.maximum(_math.cast(_array.size(values), values.dtype), 1.0)


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Reduce (already weighted) per-sample loss values as `reduction` says."""
    if reduction in (None, "none") or values.shape.dims in ((), (0,)):
        return values
    loss = _red.reduce_sum(values)
    if reduction == "sum":
        return loss
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return _math.div_no_nan(loss, _math.cast(_red.reduce_sum(sample_weight), loss.dtype))
    n = _num_elements(values)
    if isinstance(n, int):
        return loss / float(n) if n > 0 else loss
    return loss / n


def _weights_like(sample_weight, values, what):
    """Sample weights shaped to multiply `values`: Keras's trailing-axis rule, then trailing
    axes of size 1 so per-sample weights apply to every value of a sample; an error when a
    weight axis would be silently broadcast against a different one."""
    values, sw = squeeze_or_expand_to_same_rank(values, sample_weight)
    rv, rw = values.shape.ndims, sw.shape.ndims
    if rv is not None and rw is not None and 0 < rw < rv:
        for _ in range(rv - rw):
            sw = _array.expand_dims(sw, -1)
    return values, check_weights(sw, values, what)


def apply_mask(sample_weight, mask, dtype, reduction):
    """Fold a mask (1 = counts) into the sample weights; for the mean reductions the valid
    entries are scaled by total / valid, so the mean is taken over valid entries only."""
    if mask is None:
        return sample_weight
    mask = _math.cast(mask, dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        total = _num_elements(mask)
        mask = mask * _math.div_no_nan(float(total) if isinstance(total, int) else total,
                                       _red.reduce_sum(mask))
    if sample_weight is None:
        return mask
    mask, sample_weight = squeeze_or_expand_to_same_rank(mask, _math.cast(sample_weight, dtype))
    return sample_weight * mask


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size", dtype=None, what="loss"):
    """Weight per-sample values by `sample_weight` (and `mask`), then reduce them."""
    reduction = standardize_reduction(reduction)
    values = as_float(values, dtype)
    if sample_weight is not None:
        sample_weight = as_float(sample_weight, values.dtype)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        values, weights = _weights_like(sample_weight, values, what)
        values = values * weights
    return reduce_values(values, sample_weight, reduction)


class Loss:
    """Base class: subclasses implement `call(y_true, y_pred)` returning per-sample values."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or backend.to_snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = _dt.as_dtype(dtype or backend.floatx()).name  # Keras 3: floatx() now

    @property
    def dtype(self):
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        with in_graph_of(y_pred, y_true, sample_weight), name_scope(self.name):
            y_pred = as_float(y_pred, self.dtype)
            y_true = as_tensor(y_true)
            values, mask = self._call_with_mask(y_true, y_pred)
            return reduce_weighted_values(values, sample_weight, mask, self.reduction,
                                          self.dtype, self.name)

    def _call_with_mask(self, y_true, y_pred):
        """(per-sample values, mask or None); a mask removes entries from the mean."""
        return self.call(y_true, y_pred), None

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call()")

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A Loss that calls a loss function `fn(y_true, y_pred, **kwargs)`."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return _identifiers.fn_wrapper_config(super().get_config(), self.fn, self._fn_kwargs,
                                              "keras.losses")

    @classmethod
    def from_config(cls, config):
        from tensorlet.keras.losses import deserialize
        return cls(**_identifiers.resolve_fn(config, deserialize))

    def __repr__(self):
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, " \
               f"kwargs={self._fn_kwargs})>"
