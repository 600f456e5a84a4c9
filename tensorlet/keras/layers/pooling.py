"""Pooling layers: MaxPooling1D/2D, AveragePooling1D/2D and the global poolings, on the core
pooling and reduction ops. Keras 3 defaults: MaxPooling pool_size 2 (2D: (2, 2)), strides =
pool_size, padding 'valid'; AveragePooling needs pool_size; with 'same' an average is over the
window's real elements only."""
from tensorlet.keras import backend
from tensorlet.keras.layers.conv import conv_output_length, standardize_padding, standardize_tuple
from tensorlet.keras.layers.input_spec import InputSpec
from tensorlet.keras.layers.layer import Layer
from tensorlet.ops import array as _array
from tensorlet.ops import math as _math
from tensorlet.ops import pool as _pool
from tensorlet.ops import reduction as _reduction


class _Pooling(Layer):
    """N-D (N = 1 or 2) max or average pooling."""

    rank = 2
    _op = None  # "max" or "avg"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        n = self.rank
        self.pool_size = standardize_tuple(pool_size, n, "pool_size")
        self.strides = self.pool_size if strides is None else standardize_tuple(
            strides, n, "strides")
        self.padding = standardize_padding(padding)
        self.data_format = backend.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=n + 2)

    def _spatial(self, input_shape):
        return input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        out = []
        for ax, length in enumerate(self._spatial(input_shape)):
            o = conv_output_length(length, self.pool_size[ax], self.padding, self.strides[ax])
            if o is not None and o <= 0:
                raise ValueError(f"Layer '{self.name}': pool_size {self.pool_size} is larger "
                                 f"than the input's spatial size "
                                 f"{tuple(self._spatial(input_shape))} with padding='valid'; "
                                 f"received input shape {input_shape}.")
            out.append(o)
        if self.data_format == "channels_last":
            return (input_shape[0],) + tuple(out) + (input_shape[-1],)
        return input_shape[:2] + tuple(out)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        last = self.data_format == "channels_last"
        if self.rank == 1:
            fn = _pool.max_pool1d if self._op == "max" else _pool.avg_pool1d
            return fn(inputs, self.pool_size[0], self.strides[0], self.padding.upper(),
                      data_format="NWC" if last else "NCW")
        fn = _pool.max_pool if self._op == "max" else _pool.avg_pool
        return fn(inputs, list(self.pool_size), list(self.strides), self.padding.upper(),
                  data_format="NHWC" if last else "NCHW")

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class MaxPooling1D(_Pooling):
    """Maximum over windows of `pool_size` steps (default 2)."""

    rank, _op = 1, "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_Pooling):
    """Maximum over `pool_size` windows (default (2, 2)); strides default to pool_size."""

    rank, _op = 2, "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    """Mean over windows of `pool_size` steps."""

    rank, _op = 1, "avg"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_Pooling):
    """Mean over `pool_size` windows; strides default to pool_size."""

    rank, _op = 2, "avg"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class _GlobalPooling(Layer):
    """Max or mean over every spatial axis; `keepdims` keeps them with size 1."""

    rank = 2
    _op = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return list(range(first, first + self.rank))

    def call(self, inputs, mask=None):
        axes = self._axes()
        if self._op == "max":
            return _reduction.reduce_max(inputs, axes, keepdims=self.keepdims)
        if mask is not None:
            return self._masked_mean(inputs, mask, axes)
        return _reduction.reduce_mean(inputs, axes, keepdims=self.keepdims)

    def _masked_mean(self, inputs, mask, axes):
        """Mean over the steps where `mask` (batch, steps) is true (Keras 3's 1-D rule)."""
        m = _math.cast(mask, inputs.dtype)
        m = _array.expand_dims(m, 2 if self.data_format == "channels_last" else 1)
        total = _reduction.reduce_sum(inputs * m, axes, keepdims=self.keepdims)
        return total / _reduction.reduce_sum(m, axes, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


class GlobalMaxPooling1D(_GlobalPooling):
    """Maximum over the steps axis: (batch, steps, channels) -> (batch, channels)."""

    rank, _op = 1, "max"


class GlobalMaxPooling2D(_GlobalPooling):
    """Maximum over height and width: (batch, h, w, channels) -> (batch, channels)."""

    rank, _op = 2, "max"


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps axis (over the unmasked steps when a mask comes with the input)."""

    rank, _op = 1, "avg"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width: (batch, h, w, channels) -> (batch, channels)."""

    rank, _op = 2, "avg"


MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D

__all__ = ["AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D",
           "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAvgPool1D",
           "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPooling1D",
           "GlobalMaxPooling2D", "MaxPool1D", "MaxPool2D", "MaxPooling1D", "MaxPooling2D"]
