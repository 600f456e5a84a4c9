"""Keras 3's numeric preprocessing and pass-through layers: Rescaling, Normalization (with
`adapt`), UnitNormalization and Identity."""
import numbers

import numpy as np

from tensorlet.keras import backend
from tensorlet.keras.layers.layer import Layer
from tensorlet.ops import array as _array
from tensorlet.ops import math as _math
from tensorlet.ops import reduction as _reduction


def _float_input(layer, inputs):
    """The input in the layer's compute dtype (integer images become floats)."""
    return _math.cast(inputs, layer.compute_dtype)


class Identity(Layer):
    """Returns its input unchanged (a placeholder in a model's structure)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


class Rescaling(Layer):
    """inputs * scale + offset, as floats (`Rescaling(1 / 255)` maps bytes to [0, 1])."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset
        self.supports_masking = True

    def call(self, inputs):
        x = _float_input(self, inputs)
        scale, offset = (self._channels(np.asarray(v, x.dtype.np))
                         for v in (self.scale, self.offset))
        return x * scale + offset

    @staticmethod
    def _channels(v):
        """A per-channel scale or offset placed on the channel axis of channels-first images
        ((C, 1, 1) against (batch, C, H, W)), as Keras 3 does."""
        if v.ndim and backend.image_data_format() == "channels_first":
            return v.reshape(v.shape + (1,) * (3 - v.ndim))
        return v

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        def plain(v):  # arrays as lists: configs are JSON
            return np.asarray(v).tolist() if isinstance(v, np.ndarray) else v
        return {**super().get_config(), "scale": plain(self.scale), "offset": plain(self.offset)}


class UnitNormalization(Layer):
    """Each input vector along `axis` scaled to unit L2 norm (x / max(|x|, 1e-6))."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.supports_masking = True

    def call(self, inputs):
        x = _float_input(self, inputs)
        square_sum = _reduction.reduce_sum(_math.square(x), axis=self.axis, keepdims=True)
        return x * _math.rsqrt(_math.maximum(square_sum, np.asarray(1e-12, x.dtype.np)))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Normalization(Layer):
    """(x - mean) / sqrt(variance) per feature along `axis` (or the inverse with `invert`);
    mean and variance are given, or learned from data by `adapt(data)` and saved with the
    layer as non-trainable weights."""

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        self.axis = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError("Normalization needs both `mean` and `variance`, or neither "
                             f"(then call `adapt`); got mean={mean!r}, variance={variance!r}")
        if mean is not None and np.shape(mean) != np.shape(variance):
            raise ValueError(f"Normalization: `mean` and `variance` must have one shape, got "
                             f"{np.shape(mean)} and {np.shape(variance)}")
        if mean is not None and np.ndim(mean) > len(self.axis):
            raise ValueError(f"Normalization: `mean` has {np.ndim(mean)} dimensions, more than "
                             f"the {len(self.axis)} kept axes {self.axis}")
        self.input_mean, self.input_variance = mean, variance
        self.invert = invert
        self.supports_masking = True

    def build(self, input_shape):
        rank = len(input_shape)
        keep = sorted(a % rank for a in self.axis)
        if any(input_shape[a] is None for a in keep):
            raise ValueError(f"Normalization needs the size of axis {tuple(self.axis)} "
                             f"(the axes it keeps), got input shape {tuple(input_shape)}")
        self._keep = keep
        self._stat_shape = [input_shape[a] if a in keep else 1 for a in range(rank)]
        if self.input_mean is None:
            shape = tuple(input_shape[a] for a in keep)
            self.adapt_mean = self.add_weight(shape=shape, initializer="zeros",
                                              trainable=False, name="mean")
            self.adapt_variance = self.add_weight(shape=shape, initializer="ones",
                                                  trainable=False, name="variance")

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the mean and variance of `data` (an array, or batches of arrays) over every
        axis but `axis`."""
        if isinstance(data, (list, tuple)) and data and hasattr(data[0], "shape"):
            batches = data  # a list of batches
        elif isinstance(data, (np.ndarray, list)) or hasattr(data, "__array__"):
            batches = [data]
        else:  # a generator or dataset of batches, (x, y) pairs taking x
            batches = (b[0] if isinstance(b, tuple) else b for b in data)
        arrays = [np.asarray(b, np.float64) for i, b in enumerate(batches)
                  if steps is None or i < steps]
        if not arrays:
            raise ValueError("Normalization.adapt received no data")
        full = np.concatenate(arrays) if len(arrays) > 1 else arrays[0]
        if not self.built:
            self.build((None,) + full.shape[1:])
        if self.input_mean is not None:
            raise ValueError("Normalization was given `mean` and `variance`: it cannot adapt")
        shape = self.adapt_mean.shape.as_list()
        if full.ndim != len(self._stat_shape) or \
                [full.shape[a] for a in self._keep] != shape:
            raise ValueError(f"Normalization was built for inputs of {len(self._stat_shape)} "
                             f"dimensions with kept axes {tuple(self._keep)} of sizes "
                             f"{tuple(shape)}; adapt() got data of shape {full.shape}")
        reduce = tuple(a for a in range(full.ndim) if a not in self._keep)
        self.adapt_mean.assign(full.mean(axis=reduce).reshape(shape).astype(np.float32))
        self.adapt_variance.assign(full.var(axis=reduce).reshape(shape).astype(np.float32))

    def call(self, inputs):
        x = _float_input(self, inputs)
        if self.input_mean is not None:
            mean, var = (self._aligned(np.asarray(v, x.dtype.np))
                         for v in (self.input_mean, self.input_variance))
        else:
            mean = _array.reshape(self.adapt_mean, self._stat_shape)
            var = _array.reshape(self.adapt_variance, self._stat_shape)
        scale = _math.maximum(_math.sqrt(var), np.asarray(backend.epsilon(), x.dtype.np))
        return mean + x * scale if self.invert else (x - mean) / scale

    def _aligned(self, stat):
        """A given mean or variance in the statistics' shape: its dimensions lined up with the
        kept axes from the last one back (Keras 3), the others of size 1."""
        kept = [self._stat_shape[a] for a in self._keep]
        shape = [1] * (len(kept) - stat.ndim) + list(stat.shape)
        full = [1] * len(self._stat_shape)
        for a, size in zip(self._keep, shape):
            full[a] = size
        try:
            return np.broadcast_to(stat.reshape(full), self._stat_shape)
        except ValueError:
            raise ValueError(f"Normalization: a mean/variance of shape {stat.shape} does not fit "
                             f"the kept axes {tuple(self._keep)} of sizes {tuple(kept)}") from None

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        def plain(v):
            return np.asarray(v).tolist() if v is not None else None
        axis = self.axis[0] if len(self.axis) == 1 else list(self.axis)
        return {**super().get_config(), "axis": axis, "mean": plain(self.input_mean),
                "variance": plain(self.input_variance), "invert": self.invert}


__all__ = ["Identity", "Normalization", "Rescaling", "UnitNormalization"]
