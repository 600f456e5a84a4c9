"""Keras 3 weight constraints: called on a weight tensor, they return the projected tensor."""
from tensorlet.keras import _identifiers, backend
from tensorlet.ops import math as _math
from tensorlet.ops import reduction as _red
from tensorlet.ops.base import as_tensor

_MODULE = "keras.constraints"


def _norms(w, axis):
    return _math.sqrt(_red.reduce_sum(_math.square(w), axis=axis, keepdims=True))


def _clip(x, lo, hi):
    return _math.minimum(_math.maximum(x, lo), hi)


def _check_axis(axis):
    items = axis if isinstance(axis, (list, tuple)) else [axis]
    if not items or any(isinstance(a, bool) or not isinstance(a, int) for a in items):
        raise ValueError(f"`axis` must be an int or a list of ints, got axis={axis!r}")
    return list(axis) if isinstance(axis, (list, tuple)) else axis


class Constraint:
    """Base class: `__call__(w)` returns the constrained weight; the base returns `w`."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MaxNorm(Constraint):
    """Rescales slices along `axis` whose L2 norm exceeds `max_value`."""

    def __init__(self, max_value=2, axis=0):
        if not isinstance(max_value, (int, float)) or max_value < 0:
            raise ValueError(f"MaxNorm: `max_value` must be a number >= 0, got {max_value!r}")
        self.max_value, self.axis = max_value, _check_axis(axis)

    def __call__(self, w):
        w = as_tensor(w)
        norms = _norms(w, self.axis)
        desired = _clip(norms, 0.0, self.max_value)
        return w * (desired / (backend.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w):
        w = as_tensor(w)
        return w * _math.cast(_math.greater_equal(w, 0.0), w.dtype)


class UnitNorm(Constraint):
    """Scales slices along `axis` to unit L2 norm."""

    def __init__(self, axis=0):
        self.axis = _check_axis(axis)

    def __call__(self, w):
        w = as_tensor(w)
        return w / (backend.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves slice norms into [min_value, max_value] at `rate` (1 = fully)."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        if not min_value <= max_value:
            raise ValueError(f"MinMaxNorm: need min_value <= max_value, got {min_value!r} > "
                             f"{max_value!r}")
        self.min_value, self.max_value, self.rate = min_value, max_value, rate
        self.axis = _check_axis(axis)

    def __call__(self, w):
        w = as_tensor(w)
        norms = _norms(w, self.axis)
        desired = self.rate * _clip(norms, self.min_value, self.max_value) + \
            (1 - self.rate) * norms
        return w * (desired / (backend.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}



_CLASSES = (Constraint, MaxNorm, NonNeg, UnitNorm, MinMaxNorm)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({_identifiers.snake_case(cls.__name__): cls for cls in _CLASSES})
max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm


def serialize(constraint):
    """Keras 3's config dict of a constraint."""
    return _identifiers.serialize_object(constraint, _MODULE)


def deserialize(config, custom_objects=None):
    """The constraint a name or config describes (only known constraints resolve)."""
    obj = _identifiers.deserialize_object(config, ALL_OBJECTS_DICT, "constraint",
                                          custom_objects)
    return obj() if isinstance(obj, type) else obj


def get(identifier):
    """A constraint from a name ("max_norm"), a config, a class or a callable; None stays."""
    if identifier is None:
        return None
    return _identifiers.get_object(identifier, ALL_OBJECTS_DICT, "constraint")


__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "deserialize",
    "get",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "serialize",
    "unit_norm",
]
