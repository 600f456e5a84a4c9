"""Core layers: Dense, Activation, Dropout, Flatten (each a few core ops)."""
import numbers

from tensorlet.keras import activations, backend
from tensorlet.keras.layers.input_spec import InputSpec
from tensorlet.keras.layers.layer import Layer
from tensorlet.keras.layers.layer_args import (
    op_seed,
    positive_int,
    set_weight_args,
    weight_args_config,
    weight_kwargs,
)
from tensorlet.ops import array as _array
from tensorlet.ops import math as _math
from tensorlet.ops import nn as _nn


class Dense(Layer):
    """`activation(dot(inputs, kernel) + bias)` over the last axis of the inputs."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        units = positive_int(units, "units")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        set_weight_args(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        set_weight_args(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        last = input_shape[-1] if input_shape else None
        if last is None:
            raise ValueError(f"Layer '{self.name}' needs the last axis of its input to be known "
                             f"to create its kernel; received input shape {input_shape}.")
        self.kernel = self.add_weight(name="kernel", shape=(last, self.units),
                                      **weight_kwargs(self, "kernel"))
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,),
                                        **weight_kwargs(self, "bias"))
        self.input_spec = InputSpec(min_ndim=2, axes={-1: last})

    def call(self, inputs, training=None):
        if not inputs.dtype.is_floating:
            inputs = _math.cast(inputs, self.compute_dtype)
        x = _math.matmul(inputs, self.kernel)
        if self.bias is not None:
            x = _nn.bias_add(x, self.bias)
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(),
                "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                **weight_args_config(self, "kernel", "bias")}


class Activation(Layer):
    """Applies an activation function: `Activation('relu')`."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Sets a fraction `rate` of the inputs to 0 during training (scaling the rest by
    1 / (1 - rate)); the identity at inference."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate!r}")
        self._op_seed = op_seed(seed)
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return _array.zeros_like(inputs)
        # None entries of noise_shape take the input's size along that axis.
        return _nn.dropout(inputs, rate=self.rate, noise_shape=self.noise_shape,
                           seed=self._op_seed)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": self.noise_shape}


class Flatten(Layer):
    """Flattens every axis but the batch axis: (batch, 4, 5) -> (batch, 20)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        dims = inputs.shape.dims
        x = inputs
        if self.data_format == "channels_first" and dims is not None and len(dims) > 2:
            x = _array.transpose(x, [0] + list(range(2, len(dims))) + [1])
        if dims is not None and len(dims) == 1:
            return _array.expand_dims(x, 1)
        inner = None if dims is None else dims[1:]
        if inner is not None and all(d is not None for d in inner):
            size = 1
            for d in inner:
                size *= d
            return _array.reshape(x, [-1, size])
        return _array.reshape(x, _array.stack([_array.shape(x)[0], -1]))

    def compute_output_shape(self, input_shape):
        inner = input_shape[1:]
        size = None
        if all(d is not None for d in inner):
            size = 1
            for d in inner:
                size *= d
        return (input_shape[0], size)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


__all__ = ["Activation", "Dense", "Dropout", "Flatten"]
