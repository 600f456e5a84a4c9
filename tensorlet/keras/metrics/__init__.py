"""`keras.metrics`: stateful Keras 3 metrics, metric functions, `get` and `resolve_accuracy`.

Every metric reconciles y_true with y_pred by the loss shape rule
(`tensorlet.keras.losses.shape_rule`): no silent broadcasting.
"""
from tensorlet.keras import _identifiers
from tensorlet.keras import losses as _losses

from .accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    MeanAbsoluteError,
    MeanSquaredError,
    RootMeanSquaredError,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from .confusion import AUC, Precision, Recall
from .fscore import F1Score, FBetaScore
from .iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from .metric import Metric
from .reduction import Mean, MeanMetricWrapper, Sum

_MODULE = "keras.metrics"

binary_crossentropy = _losses.binary_crossentropy
categorical_crossentropy = _losses.categorical_crossentropy
sparse_categorical_crossentropy = _losses.sparse_categorical_crossentropy
mean_squared_error = mse = MSE = _losses.mean_squared_error
mean_absolute_error = mae = MAE = _losses.mean_absolute_error
mean_absolute_percentage_error = mape = MAPE = _losses.mean_absolute_percentage_error
mean_squared_logarithmic_error = msle = MSLE = _losses.mean_squared_logarithmic_error
kl_divergence = _losses.kl_divergence
poisson = _losses.poisson
hinge = _losses.hinge
squared_hinge = _losses.squared_hinge
categorical_hinge = _losses.categorical_hinge
log_cosh = _losses.log_cosh
huber = _losses.huber

_CLASSES = (Metric, Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy,
            CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
            SparseTopKCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError,
            RootMeanSquaredError, Precision, Recall, AUC, F1Score, FBetaScore, IoU, MeanIoU,
            BinaryIoU, OneHotIoU, OneHotMeanIoU)
_FUNCTIONS = (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
              top_k_categorical_accuracy, sparse_top_k_categorical_accuracy,
              binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy,
              mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
              mean_squared_logarithmic_error, kl_divergence, poisson, hinge, squared_hinge,
              categorical_hinge, log_cosh, huber)

ALL_OBJECTS_DICT = {obj.__name__: obj for obj in _CLASSES + _FUNCTIONS}
ALL_OBJECTS_DICT.update(mse=mse, MSE=MSE, mae=mae, MAE=MAE, mape=mape, MAPE=MAPE, msle=msle,
                        MSLE=MSLE, acc=accuracy, bce=binary_crossentropy,
                        BCE=binary_crossentropy)


def serialize(metric):
    """Keras 3's config of a metric object, or the name entry of a metric function."""
    return _identifiers.serialize_object(metric, _MODULE)


def deserialize(config, custom_objects=None):
    """The metric a name or config describes (only known metrics resolve)."""
    return _identifiers.deserialize_object(config, ALL_OBJECTS_DICT, "metric", custom_objects)


def get(identifier):
    """A metric from a name ("mae" gives the function, "AUC" an instance), a config dict, a
    class or a callable; unknown names raise ValueError listing the known ones."""
    if identifier is None:
        return None
    return _identifiers.get_object(identifier, ALL_OBJECTS_DICT, "metric")


_BINARY_LOSSES = {"binary_crossentropy", "BinaryCrossentropy", "bce", "BCE",
                  "binary_focal_crossentropy", "BinaryFocalCrossentropy"}
_SPARSE_LOSSES = {"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"}


def _loss_name(loss):
    if isinstance(loss, str):
        return loss
    fn = getattr(loss, "fn", loss)  # a LossFunctionWrapper's function
    return getattr(fn, "__name__", type(fn).__name__)


def resolve_accuracy(metric_name, loss=None, y_true_shape=None, y_pred_shape=None):
    """The metric Keras 3 uses for "accuracy"/"acc", named `metric_name`.

    Keras decides by shapes: y_pred with one unit is binary; y_true of lower rank than y_pred,
    or with one column against several classes, is sparse; otherwise categorical. When a shape
    is unknown, the loss decides (binary/sparse cross-entropy), as Keras 2 did.
    """
    if str(metric_name).lower() not in ("accuracy", "acc"):
        raise ValueError(f"resolve_accuracy resolves 'accuracy' or 'acc', got {metric_name!r}")
    t = None if y_true_shape is None else _dims(y_true_shape)
    p = None if y_pred_shape is None else _dims(y_pred_shape)
    if p and p[-1] is not None:
        if p[-1] == 1:
            return BinaryAccuracy(name=metric_name)
        if t and (len(t) < len(p) or t[-1] == 1):
            return SparseCategoricalAccuracy(name=metric_name)
        if t and t[-1] is not None:
            return CategoricalAccuracy(name=metric_name)
    name = _loss_name(loss) if loss is not None else ""
    if name in _BINARY_LOSSES:
        return BinaryAccuracy(name=metric_name)
    if name in _SPARSE_LOSSES:
        return SparseCategoricalAccuracy(name=metric_name)
    return CategoricalAccuracy(name=metric_name)


def _dims(shape):
    dims = getattr(shape, "dims", shape)
    return None if dims is None else list(dims)


__all__ = [
    "AUC",
    "BCE",
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "F1Score",
    "FBetaScore",
    "Mean",
    "MeanAbsoluteError",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "Metric",
    "Precision",
    "Recall",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "Sum",
    "TopKCategoricalAccuracy",
    "acc",
    "accuracy",
    "bce",
    "binary_accuracy",
    "binary_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_hinge",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mae",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "poisson",
    "resolve_accuracy",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]
