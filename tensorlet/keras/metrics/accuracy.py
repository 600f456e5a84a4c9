"""Accuracy metrics (functions and Keras 3 classes) and the regression metrics.

Each function reconciles y_true with y_pred by the loss shape rule (dense or sparse) and
returns one value per sample; the classes average them with MeanMetricWrapper.
"""
from tensorlet.framework import dtypes as _dt
from tensorlet.keras import losses as _losses
from tensorlet.keras.losses.shape_rule import (
    as_float,
    in_graph_of,
    match_shapes,
    match_sparse_shapes,
)
from tensorlet.ops import array as _array
from tensorlet.ops import cross_entropy as _xent
from tensorlet.ops import math as _math
from tensorlet.ops import reduction as _red
from tensorlet.ops.base import as_tensor

from .reduction import Mean, MeanMetricWrapper

_F32 = _dt.float32


def _matches(a, b):
    return _math.cast(_math.equal(a, b), _F32)


def _labels(labels):
    return labels if labels.dtype is _dt.int64 else _math.cast(labels, _dt.int64)


def accuracy(y_true, y_pred):
    """1 where y_pred equals y_true, averaged over the last axis."""
    with in_graph_of(y_pred, y_true):
        y_pred = as_tensor(y_pred)
        y_true, y_pred = match_shapes(_math.cast(as_tensor(y_true), y_pred.dtype), y_pred,
                                      "accuracy")
        return _red.reduce_mean(_matches(y_true, y_pred), axis=-1)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1 where (y_pred > threshold) equals the 0/1 label, averaged over the last axis."""
    with in_graph_of(y_pred, y_true):
        y_pred = as_float(y_pred)
        y_true, y_pred = match_shapes(as_float(y_true, y_pred.dtype), y_pred,
                                      "binary_accuracy")
        predicted = _math.cast(_math.greater(y_pred, threshold), y_true.dtype)
        return _red.reduce_mean(_matches(y_true, predicted), axis=-1)


def categorical_accuracy(y_true, y_pred):
    """1 where argmax(y_pred) equals argmax of the one-hot label (one value per sample)."""
    with in_graph_of(y_pred, y_true):
        y_pred = as_float(y_pred)
        y_true, y_pred = match_shapes(as_float(y_true, y_pred.dtype), y_pred,
                                      "categorical_accuracy")
        return _matches(_red.argmax(y_true, axis=-1), _red.argmax(y_pred, axis=-1))


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where argmax(y_pred) equals the integer label (one value per sample)."""
    with in_graph_of(y_pred, y_true):
        y_pred = as_float(y_pred)
        labels, y_pred = match_sparse_shapes(as_tensor(y_true), y_pred,
                                             "sparse_categorical_accuracy")
        return _matches(_labels(labels), _red.argmax(y_pred, axis=-1))


def _in_top_k(labels, y_pred, k):
    """Whether each label is among the top k scores of its row (rows of any rank)."""
    if y_pred.shape.ndims == 2:
        hits = _xent.in_top_k(y_pred, _math.cast(labels, _dt.int32), k)
        return _math.cast(hits, _F32)
    classes = y_pred.shape[-1]
    if classes is None:
        raise ValueError(f"top-k accuracy needs a known class dimension, got y_pred shape "
                         f"{y_pred.shape}")
    flat_pred = _array.reshape(y_pred, [-1, classes])
    flat_labels = _math.cast(_array.reshape(labels, [-1]), _dt.int32)
    hits = _math.cast(_xent.in_top_k(flat_pred, flat_labels, k), _F32)
    return _array.reshape_like(hits, labels)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the one-hot label's class is among the k highest scores."""
    with in_graph_of(y_pred, y_true):
        y_pred = as_float(y_pred)
        y_true, y_pred = match_shapes(as_float(y_true, y_pred.dtype), y_pred,
                                      "top_k_categorical_accuracy")
        return _in_top_k(_red.argmax(y_true, axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the integer label is among the k highest scores."""
    with in_graph_of(y_pred, y_true):
        y_pred = as_float(y_pred)
        labels, y_pred = match_sparse_shapes(as_tensor(y_true), y_pred,
                                             "sparse_top_k_categorical_accuracy")
        return _in_top_k(labels, y_pred, k)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels."""

    _direction = "up"

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often (y_pred > threshold) matches the 0/1 labels."""

    _direction = "up"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if threshold is not None and not 0 < threshold < 1:
            raise ValueError(f"Invalid value for argument `threshold`: expected a value in the "
                             f"interval (0, 1), got threshold={threshold!r}")
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often argmax(y_pred) matches one-hot labels."""

    _direction = "up"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often argmax(y_pred) matches integer labels."""

    _direction = "up"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the top `k` predictions (k = 5)."""

    _direction = "up"

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the top `k` predictions (k = 5)."""

    _direction = "up"

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class MeanSquaredError(MeanMetricWrapper):
    """The mean of mean_squared_error over every sample seen."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(_losses.mean_squared_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean of mean_absolute_error over every sample seen."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(_losses.mean_absolute_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class RootMeanSquaredError(Mean):
    """sqrt of the mean (over samples) of the per-sample mean squared error."""

    _direction = "down"

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        with in_graph_of(y_pred, y_true):
            y_pred = as_float(y_pred, self.dtype)
            y_true, y_pred = match_shapes(as_float(y_true, self.dtype), y_pred,
                                          "root_mean_squared_error")
            return super().update_state(_math.square(y_pred - y_true), sample_weight)

    def result(self):
        return _math.sqrt(_math.div_no_nan(self.total, self.count))
