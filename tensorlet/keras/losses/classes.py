"""Keras 3 loss classes: a loss function, its arguments, a reduction and a name."""
from .functions import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    sparse_valid_mask,
    squared_hinge,
)
from .loss import Loss, LossFunctionWrapper

_SUM = "sum_over_batch_size"


class _Wrapped(LossFunctionWrapper):
    """A loss class whose config is Loss's plus its own arguments (no function entry)."""

    _fn = None
    _args = ()

    def __init__(self, *, reduction=_SUM, name=None, dtype=None, **kwargs):
        super().__init__(type(self)._fn, reduction=reduction, name=name, dtype=dtype, **kwargs)
        for k, v in kwargs.items():
            setattr(self, k, v)

    def get_config(self):
        config = Loss.get_config(self)
        config.update({k: getattr(self, k) for k in self._args})
        return config


class MeanSquaredError(_Wrapped):
    """mean((y_true - y_pred)²)."""

    _fn = staticmethod(mean_squared_error)

    def __init__(self, reduction=_SUM, name="mean_squared_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(_Wrapped):
    """mean(|y_true - y_pred|)."""

    _fn = staticmethod(mean_absolute_error)

    def __init__(self, reduction=_SUM, name="mean_absolute_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(_Wrapped):
    """100 * mean(|(y_true - y_pred) / y_true|)."""

    _fn = staticmethod(mean_absolute_percentage_error)

    def __init__(self, reduction=_SUM, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_Wrapped):
    """mean((log(y_pred + 1) - log(y_true + 1))²)."""

    _fn = staticmethod(mean_squared_logarithmic_error)

    def __init__(self, reduction=_SUM, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class CosineSimilarity(_Wrapped):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred)) along `axis`."""

    _fn = staticmethod(cosine_similarity)
    _args = ("axis",)

    def __init__(self, axis=-1, reduction=_SUM, name="cosine_similarity", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, axis=axis)


class Huber(_Wrapped):
    """Quadratic below `delta`, linear beyond."""

    _fn = staticmethod(huber)
    _args = ("delta",)

    def __init__(self, delta=1.0, reduction=_SUM, name="huber_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, delta=delta)


class LogCosh(_Wrapped):
    """mean(log(cosh(y_pred - y_true)))."""

    _fn = staticmethod(log_cosh)

    def __init__(self, reduction=_SUM, name="log_cosh", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class Hinge(_Wrapped):
    """mean(max(1 - y_true * y_pred, 0))."""

    _fn = staticmethod(hinge)

    def __init__(self, reduction=_SUM, name="hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(_Wrapped):
    """mean(max(1 - y_true * y_pred, 0)²)."""

    _fn = staticmethod(squared_hinge)

    def __init__(self, reduction=_SUM, name="squared_hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(_Wrapped):
    """max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)."""

    _fn = staticmethod(categorical_hinge)

    def __init__(self, reduction=_SUM, name="categorical_hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class KLDivergence(_Wrapped):
    """sum(y_true * log(y_true / y_pred))."""

    _fn = staticmethod(kl_divergence)

    def __init__(self, reduction=_SUM, name="kl_divergence", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class Poisson(_Wrapped):
    """mean(y_pred - y_true * log(y_pred))."""

    _fn = staticmethod(poisson)

    def __init__(self, reduction=_SUM, name="poisson", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class BinaryCrossentropy(_Wrapped):
    """Binary cross-entropy of 0/1 labels against probabilities (or logits)."""

    _fn = staticmethod(binary_crossentropy)
    _args = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction=_SUM,
                 name="binary_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class BinaryFocalCrossentropy(_Wrapped):
    """Binary cross-entropy down-weighting easy examples by (1 - p_t)^gamma."""

    _fn = staticmethod(binary_focal_crossentropy)
    _args = ("apply_class_balancing", "alpha", "gamma", "from_logits", "label_smoothing",
             "axis")

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction=_SUM,
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(_Wrapped):
    """Cross-entropy of one-hot labels against class probabilities (or logits)."""

    _fn = staticmethod(categorical_crossentropy)
    _args = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction=_SUM,
                 name="categorical_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_Wrapped):
    """Cross-entropy of integer class ids; with `ignore_class`, those entries are left out
    of the loss and of the mean."""

    _fn = staticmethod(sparse_categorical_crossentropy)
    _args = ("from_logits", "ignore_class")

    def __init__(self, from_logits=False, ignore_class=None, reduction=_SUM,
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class)

    def _call_with_mask(self, y_true, y_pred):
        values = self.call(y_true, y_pred)
        if self.ignore_class is None:
            return values, None
        return values, sparse_valid_mask(y_true, y_pred, self.ignore_class)


CLASSES = (MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
           MeanSquaredLogarithmicError, CosineSimilarity, Huber, LogCosh, Hinge, SquaredHinge,
           CategoricalHinge, KLDivergence, Poisson, BinaryCrossentropy,
           BinaryFocalCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy)
