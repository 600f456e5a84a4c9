"""`keras.losses`: Keras 3's loss functions and classes, `get`, `serialize`, `deserialize`.

All of them reconcile y_true with y_pred by the one rule in `shape_rule` (issue 9: no silent
broadcasting); see `Loss` for reductions and sample weights.
"""
from tensorlet.keras import _identifiers

from .classes import (
    CLASSES,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from .functions import (
    FUNCTIONS,
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
    squared_hinge,
)
from .loss import Loss, LossFunctionWrapper, reduce_weighted_values
from .shape_rule import match_shapes, match_sparse_shapes

_MODULE = "keras.losses"

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
bce = BCE = binary_crossentropy
logcosh = log_cosh

ALL_OBJECTS_DICT = {obj.__name__: obj for obj in (Loss, LossFunctionWrapper) + CLASSES
                    + FUNCTIONS}
ALL_OBJECTS_DICT.update(mse=mse, MSE=MSE, mae=mae, MAE=MAE, mape=mape, MAPE=MAPE, msle=msle,
                        MSLE=MSLE, kld=kld, KLD=KLD, bce=bce, BCE=BCE, logcosh=logcosh)


def serialize(loss):
    """Keras 3's config of a loss object, or the name entry of a loss function."""
    return _identifiers.serialize_object(loss, _MODULE)


def deserialize(name, custom_objects=None):
    """The loss a name or config describes (only known losses resolve)."""
    return _identifiers.deserialize_object(name, ALL_OBJECTS_DICT, "loss", custom_objects)


def get(identifier):
    """A loss from a name ("categorical_crossentropy" gives the function,
    "CategoricalCrossentropy" an instance), a config dict, a class or a callable."""
    if identifier is None:
        return None
    return _identifiers.get_object(identifier, ALL_OBJECTS_DICT, "loss")


__all__ = [
    "BCE",
    "KLD",
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "LossFunctionWrapper",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "bce",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "kld",
    "log_cosh",
    "logcosh",
    "mae",
    "mape",
    "match_shapes",
    "match_sparse_shapes",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "poisson",
    "reduce_weighted_values",
    "serialize",
    "sparse_categorical_crossentropy",
    "squared_hinge",
]
