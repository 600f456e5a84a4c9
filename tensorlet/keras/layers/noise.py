"""Regularisation-by-noise layers, active only in training: SpatialDropout1D/2D (drop whole
feature maps), GaussianNoise (add N(0, stddev)) and GaussianDropout (multiply by
N(1, rate / (1 - rate))). Unseeded layers draw a seed from Python's `random`, so
`keras.utils.set_random_seed` makes them repeatable."""
import math
import numbers

from tensorlet.keras import backend
from tensorlet.keras.layers.core import Dropout
from tensorlet.keras.layers.input_spec import InputSpec
from tensorlet.keras.layers.layer import Layer
from tensorlet.ops import array as _array
from tensorlet.ops import nn as _nn
from tensorlet.ops import random as _random


class _SpatialDropout(Dropout):
    """Dropout with one draw per (sample, channel), shared over the spatial axes."""

    rank = 2

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return _array.zeros_like(inputs)
        c = inputs.shape.dims[-1 if self.data_format == "channels_last" else 1]
        ones = [1] * self.rank
        shape = [None] + ones + [c] if self.data_format == "channels_last" else \
            [None, c] + ones
        return _nn.dropout(inputs, rate=self.rate, noise_shape=shape, seed=self._op_seed)

    def get_config(self):
        config = {**super().get_config()}
        del config["noise_shape"]
        if self.rank == 2:
            config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of (batch, steps, channels) inputs."""

    rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, None, seed, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of (batch, h, w, channels) (or channels_first) inputs."""

    rank = 2


def _seed(seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValueError(f"Argument `seed` must be an integer or None. Received: {seed!r}")
    return seed if seed is not None else backend.make_default_seed()


class GaussianNoise(Layer):
    """Adds zero-centred Gaussian noise of standard deviation `stddev` in training."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, numbers.Real) or stddev < 0:
            raise ValueError(f"Invalid value received for argument `stddev`. Expected a float "
                             f"value >= 0. Received: stddev={stddev!r}")
        self.stddev = float(stddev)
        self.seed = seed
        self._op_seed = _seed(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        noise = _random.random_normal(_array.shape(inputs), 0.0, self.stddev,
                                      dtype=inputs.dtype, seed=self._op_seed)
        return inputs + noise

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiplies by Gaussian noise of mean 1 and variance rate / (1 - rate) in training."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate!r}")
        self.rate = float(rate)
        self.seed = seed
        self._op_seed = _seed(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or not 0 < self.rate < 1:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = _random.random_normal(_array.shape(inputs), 1.0, stddev, dtype=inputs.dtype,
                                      seed=self._op_seed)
        return inputs * noise

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


__all__ = ["GaussianDropout", "GaussianNoise", "SpatialDropout1D", "SpatialDropout2D"]
