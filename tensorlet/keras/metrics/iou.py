"""Intersection-over-union metrics (Keras 3): a weighted confusion matrix accumulated over
batches; per class tp / (tp + fp + fn), averaged over the target classes that occur."""
import numbers

import numpy as np

import tensorlet as _tf
from tensorlet.keras import backend

from .metric import Metric


def _num_classes(n):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"`num_classes` must be a positive integer, got {n!r}")
    return int(n)


def _class_ids(ids, num_classes):
    ids = [int(i) for i in ids]
    if not ids:
        raise ValueError("`target_class_ids` must name at least one class")
    bad = [i for i in ids if not 0 <= i < num_classes]
    if bad:
        raise ValueError(f"Target class id {bad[0]} is out of range, which is "
                         f"[0, {num_classes}).")
    return ids


class IoU(Metric):
    """IoU of each class in `target_class_ids` (rows of the confusion matrix: labels, columns:
    predictions), averaged over those with any label or prediction. Labels and predictions are
    class indices (`sparse_y_true` / `sparse_y_pred`) or scores whose argmax over `axis` is the
    class; entries labelled `ignore_class` do not count."""

    _direction = "up"

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype or "float32")
        self.num_classes = _num_classes(num_classes)
        self.target_class_ids = _class_ids(target_class_ids, self.num_classes)
        self.ignore_class = ignore_class
        self.sparse_y_true, self.sparse_y_pred, self.axis = sparse_y_true, sparse_y_pred, axis
        self.total_cm = self.add_variable((self.num_classes, self.num_classes), "zeros",
                                          name="total_confusion_matrix")

    def _classes(self, x, sparse):
        """x as a flat int64 vector of class indices."""
        x = _tf.convert_to_tensor(x)
        if not sparse:
            x = _tf.argmax(x, axis=self.axis)
        return _tf.reshape(_tf.cast(x, "int64"), [-1])

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels = self._classes(y_true, self.sparse_y_true)
        predictions = self._classes(y_pred, self.sparse_y_pred)
        weights = _tf.ones_like(labels, self.dtype) if sample_weight is None else \
            _tf.broadcast_to(_tf.reshape(_tf.cast(sample_weight, self.dtype), [-1]),
                             _tf.shape(labels))
        if self.ignore_class is not None:
            valid = _tf.not_equal(labels, int(self.ignore_class))
            weights = weights * _tf.cast(valid, self.dtype)
            labels = labels * _tf.cast(valid, "int64")
            predictions = predictions * _tf.cast(valid, "int64")
        n = self.num_classes
        checks = [_tf.debugging.assert_non_negative(v, message=f"{self.name}: {what} must be "
                                                    f"class indices in [0, {n})")
                  for v, what in ((labels, "labels"), (predictions, "predictions"))]
        checks += [_tf.debugging.assert_less(v, np.int64(n), message=f"{self.name}: {what} "
                                             f"must be class indices in [0, {n})")
                   for v, what in ((labels, "labels"), (predictions, "predictions"))]
        with _tf.control_dependencies(checks):
            rows = _tf.one_hot(labels, n, dtype=self.dtype)
            cols = _tf.one_hot(predictions, n, dtype=self.dtype) * weights[:, None]
            current = _tf.matmul(rows, cols, transpose_a=True)
        self.total_cm.assign_add(current)

    def result(self):
        cm = _tf.identity(self.total_cm)
        true_positives = _tf.reduce_sum(cm * np.eye(self.num_classes, dtype=self.dtype),
                                        axis=1)
        denominator = _tf.reduce_sum(cm, axis=0) + _tf.reduce_sum(cm, axis=1) - true_positives
        ids = np.asarray(self.target_class_ids, np.int32)
        true_positives, denominator = _tf.gather(true_positives, ids), \
            _tf.gather(denominator, ids)
        present = _tf.reduce_sum(_tf.cast(_tf.greater(denominator, 1e-9), self.dtype))
        iou = true_positives / (denominator + backend.epsilon())
        return _tf.reduce_sum(iou) / (present + backend.epsilon())

    def reset_state(self):
        self.total_cm.assign(_tf.zeros([self.num_classes] * 2, self.dtype))

    def get_config(self):
        config = super().get_config()
        config.update(num_classes=self.num_classes, target_class_ids=self.target_class_ids,
                      ignore_class=self.ignore_class, sparse_y_true=self.sparse_y_true,
                      sparse_y_pred=self.sparse_y_pred, axis=self.axis)
        return config


class MeanIoU(IoU):
    """The mean IoU over all `num_classes` classes (those that occur)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, range(_num_classes(num_classes)), name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


class BinaryIoU(IoU):
    """IoU of classes 0 and/or 1 of a binary task: a score >= `threshold` predicts 1."""

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        predicted = _tf.cast(_tf.greater_equal(_tf.cast(y_pred, self.dtype), self.threshold),
                             "int64")
        return super().update_state(_tf.cast(y_true, self.dtype), predicted, sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype,
                "target_class_ids": self.target_class_ids, "threshold": self.threshold}


class OneHotIoU(IoU):
    """IoU with one-hot labels (and, unless `sparse_y_pred`, score vectors as predictions)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """MeanIoU with one-hot labels (and, unless `sparse_y_pred`, score vectors)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config
