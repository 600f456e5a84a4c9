"""Keras 3 weight regularizers: called on a weight tensor, they return a scalar loss tensor."""
import math

import numpy as np

from tensorlet.keras import _identifiers
from tensorlet.ops import array as _array
from tensorlet.ops import math as _math
from tensorlet.ops import nn as _nn
from tensorlet.ops import reduction as _red
from tensorlet.ops.base import as_tensor

_MODULE = "keras.regularizers"


def _non_negative(value, name):
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) \
            or math.isinf(value) or value < 0:
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float, "
                         f"got {name}={value!r}")
    return float(value)


class Regularizer:
    """Base class: `__call__(x)` returns a scalar penalty; the base penalises nothing."""

    def __call__(self, x):
        return 0.0

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config()")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x²)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _non_negative(l1, "l1")
        self.l2 = _non_negative(l2, "l2")

    def __call__(self, x):
        x = as_tensor(x)
        loss = _array.zeros((), x.dtype)
        if self.l1:
            loss = loss + self.l1 * _red.reduce_sum(_math.abs(x))
        if self.l2:
            loss = loss + self.l2 * _red.reduce_sum(_math.square(x))
        return loss

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """l1 * sum(|x|), l1 = 0.01 by default."""

    def __init__(self, l1=0.01):
        self.l1 = _non_negative(l1, "l1")

    def __call__(self, x):
        return self.l1 * _red.reduce_sum(_math.abs(as_tensor(x)))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """l2 * sum(x²), l2 = 0.01 by default."""

    def __init__(self, l2=0.01):
        self.l2 = _non_negative(l2, "l2")

    def __call__(self, x):
        return self.l2 * _red.reduce_sum(_math.square(as_tensor(x)))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """factor * mean |cosine| between distinct rows (or columns) of a 2-D weight."""

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _non_negative(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(f"Invalid value for argument mode: expected 'rows' or 'columns', "
                             f"got mode={mode!r}")
        self.mode = mode

    def __call__(self, x):
        x = as_tensor(x)
        if x.shape.ndims != 2 or not x.shape.is_fully_defined():
            raise ValueError(f"OrthogonalRegularizer needs a 2-D weight of known shape, got "
                             f"shape {x.shape}")
        rows = self.mode == "rows"
        x = _nn.l2_normalize(x, axis=1 if rows else 0)
        product = _math.matmul(x, x, transpose_a=not rows, transpose_b=rows)
        size = x.shape[0] if rows else x.shape[1]
        if size < 2:
            raise ValueError(f"OrthogonalRegularizer needs at least two {self.mode}, got weight "
                             f"shape {x.shape}")
        off_diagonal = product * _array.constant(1.0 - np.eye(size), dtype=x.dtype)
        pairs = size * (size - 1) / 2.0
        return self.factor * 0.5 * _red.reduce_sum(_math.abs(off_diagonal)) / pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}



_CLASSES = (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({_identifiers.snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update(l1=L1, l2=L2, l1_l2=L1L2)
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer


def serialize(regularizer):
    """Keras 3's config dict of a regularizer."""
    return _identifiers.serialize_object(regularizer, _MODULE)


def deserialize(config, custom_objects=None):
    """The regularizer a name or config describes (only known regularizers resolve)."""
    obj = _identifiers.deserialize_object(config, ALL_OBJECTS_DICT, "regularizer",
                                          custom_objects)
    return obj() if isinstance(obj, type) else obj


def get(identifier):
    """A regularizer from a name ("l2"), a config, a class or a callable; None stays None."""
    if identifier is None:
        return None
    return _identifiers.get_object(identifier, ALL_OBJECTS_DICT, "regularizer")


__all__ = [
    "L1",
    "L1L2",
    "L2",
    "OrthogonalRegularizer",
    "Regularizer",
    "deserialize",
    "get",
    "l1",
    "l1_l2",
    "l2",
    "orthogonal_regularizer",
    "serialize",
]
