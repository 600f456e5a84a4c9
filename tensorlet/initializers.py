"""TF 1.x initializers: objects called as `init(shape, dtype=None, partition_info=None)`.

Each call builds a tensor from random/array ops, so graph and op seeds make the values
repeatable. Used by `tf.get_variable(..., initializer=...)`; the top-level names are TF 1.x's
(`tf.zeros_initializer()`, `tf.glorot_uniform_initializer(seed=1)`), and `tf.initializers.*`
spells the same classes by their short names.
"""
import math

import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.ops import array as _array
from tensorlet.ops import math as _math
from tensorlet.ops import random as _random


def full_shape(shape, partition_info=None):
    """The shape to initialise as a list of ints (the full shape when partitioned)."""
    if partition_info is not None and getattr(partition_info, "full_shape", None) is not None:
        shape = partition_info.full_shape
    return _random.fully_defined_dims(shape, "initializer shape")


def _float(dtype, who):
    dt = _dt.as_dtype(dtype)
    if not dt.is_floating:
        raise ValueError(f"{who} expects a floating-point dtype, got {dt.name}")
    return dt


def compute_fans(shape):
    """(fan_in, fan_out) as TF computes them; conv kernels count the receptive field."""
    shape = list(shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: subclasses build the initial tensor in `__call__`."""

    def __call__(self, shape, dtype=None, partition_info=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "dtype" in config:
            config["dtype"] = _dt.as_dtype(config["dtype"])
        return cls(**config)


class Zeros(Initializer):
    """All zeros."""

    def __init__(self, dtype=_dt.float32):
        self.dtype = _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return _array.zeros(full_shape(shape), dtype or self.dtype)

    def get_config(self):
        return {"dtype": self.dtype.name}


class Ones(Initializer):
    """All ones."""

    def __init__(self, dtype=_dt.float32):
        self.dtype = _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return _array.ones(full_shape(shape), dtype or self.dtype)

    def get_config(self):
        return {"dtype": self.dtype.name}


class Constant(Initializer):
    """A scalar broadcast to the shape, or a list/array with exactly the shape's elements."""

    def __init__(self, value=0, dtype=_dt.float32, verify_shape=False):
        if not np.isscalar(value) and not isinstance(value, (list, tuple, np.ndarray)):
            raise TypeError(f"Invalid type for initial value: {type(value).__name__} (expected "
                            "a Python scalar, list, tuple or NumPy array)")
        self.value = value
        self.dtype = _dt.as_dtype(dtype)
        self.verify_shape = verify_shape

    def __call__(self, shape, dtype=None, partition_info=None, verify_shape=None):
        verify = self.verify_shape if verify_shape is None else verify_shape
        return _array.constant(self.value, dtype=dtype or self.dtype, shape=full_shape(shape),
                               verify_shape=verify)

    def get_config(self):
        value = self.value.tolist() if isinstance(self.value, np.ndarray) else self.value
        return {"value": value, "dtype": self.dtype.name, "verify_shape": self.verify_shape}


class RandomNormal(Initializer):
    """Normal values with the given mean and stddev."""

    def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=_dt.float32):
        self.mean, self.stddev, self.seed = mean, stddev, seed
        self.dtype = _float(dtype, "random_normal_initializer")

    def __call__(self, shape, dtype=None, partition_info=None):
        dt = _float(dtype or self.dtype, "random_normal_initializer")
        return _random.random_normal(full_shape(shape), self.mean, self.stddev, dt,
                                     seed=self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed,
                "dtype": self.dtype.name}


class TruncatedNormal(RandomNormal):
    """Normal values, those beyond two standard deviations drawn again."""

    def __call__(self, shape, dtype=None, partition_info=None):
        dt = _float(dtype or self.dtype, "truncated_normal_initializer")
        return _random.truncated_normal(full_shape(shape), self.mean, self.stddev, dt,
                                        seed=self.seed)


class RandomUniform(Initializer):
    """Uniform values in [minval, maxval); maxval defaults to 1 for floats."""

    def __init__(self, minval=0, maxval=None, seed=None, dtype=_dt.float32):
        self.minval, self.maxval, self.seed = minval, maxval, seed
        self.dtype = _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return _random.random_uniform(full_shape(shape), self.minval, self.maxval,
                                      dtype or self.dtype, seed=self.seed)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed,
                "dtype": self.dtype.name}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("normal", "uniform", "truncated_normal", "untruncated_normal")
# stddev of a unit normal truncated to [-2, 2]: dividing by it keeps the requested variance.
_TRUNCATED_STDDEV = 0.87962566103423978


class VarianceScaling(Initializer):
    """Values with variance scale / n, n = fan_in, fan_out or their mean (He, LeCun, Glorot)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 dtype=_dt.float32):
        if not scale > 0.0:
            raise ValueError(f"`scale` must be a positive float, got {scale!r}")
        if mode not in _MODES:
            raise ValueError(f"Invalid `mode` argument {mode!r}: expected one of {_MODES}")
        distribution = distribution.lower()
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(f"Invalid `distribution` argument {distribution!r}: expected one "
                             f"of {_DISTRIBUTIONS}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed
        self.dtype = _float(dtype, type(self).__name__)

    def __call__(self, shape, dtype=None, partition_info=None):
        dt = _float(dtype or self.dtype, type(self).__name__)
        dims = full_shape(shape)
        scale_dims = full_shape(shape, partition_info)
        fan_in, fan_out = compute_fans(scale_dims)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        scale = self.scale / max(1.0, n[self.mode])
        if self.distribution in ("normal", "truncated_normal"):
            return _random.truncated_normal(dims, 0.0, math.sqrt(scale) / _TRUNCATED_STDDEV,
                                            dt, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return _random.random_normal(dims, 0.0, math.sqrt(scale), dt, seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return _random.random_uniform(dims, -limit, limit, dt, seed=self.seed)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed, "dtype": self.dtype.name}


class GlorotUniform(VarianceScaling):
    """Uniform in ±sqrt(6 / (fan_in + fan_out)) (Xavier uniform)."""

    def __init__(self, seed=None, dtype=_dt.float32):
        super().__init__(1.0, "fan_avg", "uniform", seed, dtype)

    def get_config(self):
        return {"seed": self.seed, "dtype": self.dtype.name}


class GlorotNormal(VarianceScaling):
    """Truncated normal with stddev sqrt(2 / (fan_in + fan_out)) (Xavier normal)."""

    def __init__(self, seed=None, dtype=_dt.float32):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, dtype)

    def get_config(self):
        return {"seed": self.seed, "dtype": self.dtype.name}


class Orthogonal(Initializer):
    """An orthogonal matrix (rows = all but the last dimension, flattened) times `gain`."""

    def __init__(self, gain=1.0, seed=None, dtype=_dt.float32):
        self.gain, self.seed = gain, seed
        self.dtype = _float(dtype, "orthogonal_initializer")

    def __call__(self, shape, dtype=None, partition_info=None):
        dt = _float(dtype or self.dtype, "orthogonal_initializer")
        dims = full_shape(shape)
        if len(dims) < 2:
            raise ValueError(f"The tensor to initialize must be at least two-dimensional, got "
                             f"shape {dims}")
        rows, cols = int(np.prod(dims[:-1])), dims[-1]
        q = _random.random_orthogonal(rows, cols, dt, seed=self.seed)
        if self.gain != 1:
            q = _math.multiply(q, _array.constant(self.gain, dtype=dt))
        return _array.reshape(q, dims)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed, "dtype": self.dtype.name}


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only; rectangular allowed)."""

    def __init__(self, gain=1.0, dtype=_dt.float32):
        self.gain = gain
        self.dtype = _float(dtype, "identity_initializer")

    def __call__(self, shape, dtype=None, partition_info=None):
        dt = _float(dtype or self.dtype, "identity_initializer")
        dims = full_shape(shape)
        if len(dims) != 2:
            raise ValueError(f"Identity matrix initializer can only be used for 2D matrices, "
                             f"got shape {dims}")
        return _array.constant(self.gain * np.eye(*dims), dtype=dt)

    def get_config(self):
        return {"gain": self.gain, "dtype": self.dtype.name}


def he_normal(seed=None):
    return VarianceScaling(2.0, "fan_in", "truncated_normal", seed)


def he_uniform(seed=None):
    return VarianceScaling(2.0, "fan_in", "uniform", seed)


def lecun_normal(seed=None):
    return VarianceScaling(1.0, "fan_in", "truncated_normal", seed)


def lecun_uniform(seed=None):
    return VarianceScaling(1.0, "fan_in", "uniform", seed)


def global_variables():
    """`tf.initializers.global_variables()`: the op initialising every global variable."""
    from tensorlet.ops.state import global_variables_initializer
    return global_variables_initializer()


def local_variables():
    from tensorlet.ops.state import local_variables_initializer
    return local_variables_initializer()


def variables(var_list, name="init"):
    from tensorlet.ops.state import variables_initializer
    return variables_initializer(var_list, name=name)


# `tf.initializers.<short name>` spellings.
zeros, ones, constant = Zeros, Ones, Constant
random_normal, truncated_normal, random_uniform = RandomNormal, TruncatedNormal, RandomUniform
variance_scaling, orthogonal, identity = VarianceScaling, Orthogonal, Identity
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal

# TF 1.x top-level names (`tf.zeros_initializer()`), re-exported by `import tensorlet as tf`.
zeros_initializer, ones_initializer, constant_initializer = Zeros, Ones, Constant
random_normal_initializer, truncated_normal_initializer = RandomNormal, TruncatedNormal
random_uniform_initializer, variance_scaling_initializer = RandomUniform, VarianceScaling
glorot_uniform_initializer, glorot_normal_initializer = GlorotUniform, GlorotNormal
orthogonal_initializer = Orthogonal

__all__ = [
    "constant_initializer",
    "glorot_normal_initializer",
    "glorot_uniform_initializer",
    "ones_initializer",
    "orthogonal_initializer",
    "random_normal_initializer",
    "random_uniform_initializer",
    "truncated_normal_initializer",
    "variance_scaling_initializer",
    "zeros_initializer",
]
