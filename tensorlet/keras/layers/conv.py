"""Convolution layers: Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D.

Each builds the core ops of `tensorlet.nn` (DESIGN.md rule 2) with Keras 3's arguments,
defaults, weight names and layouts: kernels are (kh, kw, in / groups, filters) — (kh, kw,
filters, in) for the transpose — so weight files move between tensorlet and Keras.
"""
import numbers

from tensorlet.keras import activations, backend, constraints, initializers, regularizers
from tensorlet.keras.layers.input_spec import InputSpec
from tensorlet.keras.layers.layer import Layer
from tensorlet.ops import array as _array
from tensorlet.ops import conv as _conv
from tensorlet.ops import nn as _nn

# -- Argument standardisation (shared with the pooling and reshaping layers) ---------------------


def standardize_tuple(value, n, name, allow_zero=False):
    """An int or n ints as a tuple of n ints (> 0, or >= 0 with allow_zero), Keras's rule."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (int(value),) * n
    else:
        try:
            value = tuple(value)
        except TypeError:
            value = None
        if value is None or len(value) != n or not all(
                isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. "
                             f"Received {name}={value!r}")
        value = tuple(int(v) for v in value)
    low = 0 if allow_zero else 1
    if any(v < low for v in value):
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers >= {low}. "
                         f"Received {name}={value}")
    return value


def standardize_padding(value, allow_causal=False):
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    padding = str(value).lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(f"The `padding` argument must be one of {allowed}. Received: "
                         f"padding={value!r}")
    return padding


def conv_output_length(length, k, padding, stride, dilation=1):
    """Output length along one axis (None stays None), Keras's and TF's arithmetic."""
    if length is None:
        return None
    eff = (k - 1) * dilation + 1
    if padding == "valid":
        return (length - eff) // stride + 1
    return (length - 1) // stride + 1  # same, causal


def channel_axis(data_format, rank):
    return -1 if data_format == "channels_last" else 1


def _maybe(fn, obj):
    return None if obj is None else fn(obj)


def _check_strides_dilation(strides, dilation_rate):
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > 1`."
                         f" Received: strides={strides} and dilation_rate={dilation_rate}")


class _BaseConv(Layer):
    """N-D convolution (N = 1 or 2) with bias and activation, Keras 3's BaseConv."""

    rank = 2
    _kernel_name = "kernel"

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        n = self.rank
        if filters is not None and (isinstance(filters, bool) or not isinstance(
                filters, numbers.Integral) or filters <= 0):
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly "
                             f"positive value. Received filters={filters}.")
        if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups <= 0:
            raise ValueError(f"The number of groups must be a positive integer. Received: "
                             f"groups={groups}.")
        if filters is not None and filters % groups:
            raise ValueError(f"The number of filters must be evenly divisible by the number of "
                             f"groups. Received: groups={groups}, filters={filters}.")
        self.filters = None if filters is None else int(filters)
        self.groups = int(groups)
        self.kernel_size = standardize_tuple(kernel_size, n, "kernel_size")
        self.strides = standardize_tuple(strides, n, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, n, "dilation_rate")
        self.padding = standardize_padding(padding, allow_causal=n == 1)
        self.data_format = backend.standardize_data_format(data_format)
        _check_strides_dilation(self.strides, self.dilation_rate)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=n + 2)

    # -- shapes ---------------------------------------------------------------------------
    def _input_channels(self, input_shape):
        c = input_shape[channel_axis(self.data_format, self.rank)]
        if c is None:
            raise ValueError(f"Layer '{self.name}' needs the channel axis of its input to be "
                             f"known to create its kernel; received input shape {input_shape} "
                             f"({self.data_format}).")
        return c

    def _spatial(self, input_shape):
        return input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]

    def _out_spatial(self, input_shape):
        out = []
        for ax, length in enumerate(self._spatial(input_shape)):
            o = conv_output_length(length, self.kernel_size[ax], self.padding, self.strides[ax],
                                   self.dilation_rate[ax])
            if o is not None and o <= 0:
                raise ValueError(
                    f"Layer '{self.name}': the kernel {self.kernel_size} (dilation_rate "
                    f"{self.dilation_rate}) is larger than the input's spatial size "
                    f"{tuple(self._spatial(input_shape))} with padding='{self.padding}'; "
                    f"received input shape {tuple(input_shape)}.")
            out.append(o)
        return tuple(out)

    def _out_channels(self, input_shape):
        return self.filters

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = self._out_spatial(input_shape)
        c = self._out_channels(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0],) + spatial + (c,)
        return (input_shape[0], c) + spatial

    def _check_input(self, input_shape):
        if input_shape is None or len(input_shape) != self.rank + 2:
            raise ValueError(f"Input 0 of layer '{self.name}' is incompatible with the layer: "
                             f"expected ndim={self.rank + 2}, found ndim="
                             f"{None if input_shape is None else len(input_shape)}. Full shape "
                             f"received: {input_shape}")

    # -- weights and call -----------------------------------------------------------------
    def _kernel_shape(self, c):
        if c % self.groups:
            raise ValueError(f"The number of input channels must be evenly divisible by the "
                             f"number of groups. Received groups={self.groups}, but the input "
                             f"has {c} channels (layer '{self.name}').")
        return self.kernel_size + (c // self.groups, self.filters)

    def build(self, input_shape):
        self._check_input(input_shape)
        c = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(name=self._kernel_name, shape=self._kernel_shape(c),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self._build_more(c)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self._out_channels(input_shape),),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2,
                                    axes={channel_axis(self.data_format, self.rank): c})
        self.built = True

    def _build_more(self, c):
        """Weights created between the kernel and the bias (Keras's weight order)."""

    def _tf_format(self):
        last = self.data_format == "channels_last"
        if self.rank == 1:
            return "NWC" if last else "NCW"
        return "NHWC" if last else "NCHW"

    def convolution_op(self, inputs):
        fmt = self._tf_format()
        if self.rank == 1:
            padding = self.padding.upper()
            if self.padding == "causal":
                left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
                padding = [[0, 0], [left, 0], [0, 0]] if fmt == "NWC" else \
                    [[0, 0], [0, 0], [left, 0]]
            return _conv.conv1d(inputs, self.kernel, self.strides[0], padding, data_format=fmt,
                                dilations=self.dilation_rate[0])
        return _conv.conv2d(inputs, self.kernel, list(self.strides), self.padding.upper(),
                            data_format=fmt, dilations=list(self.dilation_rate))

    def call(self, inputs):
        y = self.convolution_op(inputs)
        if self.bias is not None:
            y = _nn.bias_add(y, self.bias, data_format="N...C" if self.data_format ==
                             "channels_last" else "NC...")
        return self.activation(y)

    def get_config(self):
        return {**super().get_config(),
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "groups": self.groups,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": _maybe(regularizers.serialize, self.kernel_regularizer),
                "bias_regularizer": _maybe(regularizers.serialize, self.bias_regularizer),
                "kernel_constraint": _maybe(constraints.serialize, self.kernel_constraint),
                "bias_constraint": _maybe(constraints.serialize, self.bias_constraint)}


class Conv1D(_BaseConv):
    """1-D convolution over (batch, steps, channels); padding 'valid', 'same' or 'causal'
    (left padding by dilation_rate * (kernel_size - 1), so no output sees the future)."""

    rank = 1


class Conv2D(_BaseConv):
    """2-D convolution over (batch, height, width, channels) (or channels_first)."""

    rank = 2


class Conv2DTranspose(_BaseConv):
    """The transpose of Conv2D (the gradient of a convolution with respect to its input):
    kernel (kh, kw, filters, in); output size in * stride (+ max(k - stride, 0) with 'valid')
    or, with output_padding, (in - 1) * stride + k - 2 * pad + output_padding."""

    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1), **kwargs):
        if "groups" in kwargs:
            raise ValueError(f"Conv2DTranspose takes no `groups` argument. Received: "
                             f"groups={kwargs['groups']}")
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, **kwargs)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = standardize_tuple(output_padding, 2, "output_padding",
                                                    allow_zero=True)
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(f"`output_padding` must be < `strides`. output_padding="
                                 f"{self.output_padding}, strides={self.strides}")

    def _kernel_shape(self, c):
        return self.kernel_size + (self.filters, c)

    def _out_length(self, length, ax):
        if length is None:
            return None
        k = (self.kernel_size[ax] - 1) * self.dilation_rate[ax] + 1
        s = self.strides[ax]
        if self.output_padding is None:
            return length * s + (max(k - s, 0) if self.padding == "valid" else 0)
        pad = k // 2 if self.padding == "same" else 0
        return (length - 1) * s + k - 2 * pad + self.output_padding[ax]

    def _out_spatial(self, input_shape):
        return tuple(self._out_length(d, ax) for ax, d in enumerate(self._spatial(input_shape)))

    def convolution_op(self, inputs):
        dims = inputs.shape.dims
        spatial = self._out_spatial(dims)
        dyn = _array.shape(inputs)
        sizes = [dyn[0] if dims[0] is None else dims[0]]
        for ax, (d, idx) in enumerate(zip(spatial, self._spatial_axes())):
            sizes.append(d if d is not None else self._dynamic_length(dyn[idx], ax))
        if self.data_format == "channels_last":
            sizes.append(self.filters)
        else:
            sizes.insert(1, self.filters)
        if all(isinstance(v, int) for v in sizes):
            out_shape = sizes
        else:
            out_shape = _array.stack([v if not isinstance(v, int) else _array.constant(v)
                                      for v in sizes])
        return _conv.conv2d_transpose(inputs, self.kernel, out_shape, list(self.strides),
                                      self.padding.upper(), data_format=self._tf_format(),
                                      dilations=list(self.dilation_rate))

    def _spatial_axes(self):
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def _dynamic_length(self, length, ax):
        """The output length as a graph computation for a size known only at run time."""
        k = (self.kernel_size[ax] - 1) * self.dilation_rate[ax] + 1
        s = self.strides[ax]
        if self.output_padding is None:
            return length * s + (max(k - s, 0) if self.padding == "valid" else 0)
        pad = k // 2 if self.padding == "same" else 0
        return (length - 1) * s + (k - 2 * pad + self.output_padding[ax])

    def get_config(self):
        config = super().get_config()
        del config["groups"]
        config["output_padding"] = self.output_padding
        return config


class DepthwiseConv2D(_BaseConv):
    """Each input channel convolved with its own `depth_multiplier` filters: kernel
    (kh, kw, in, depth_multiplier), output channels in * depth_multiplier."""

    rank = 2

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        if isinstance(depth_multiplier, bool) or not isinstance(
                depth_multiplier, numbers.Integral) or depth_multiplier <= 0:
            raise ValueError(f"Invalid value for argument `depth_multiplier`. Expected a "
                             f"strictly positive value. Received "
                             f"depth_multiplier={depth_multiplier}.")
        super().__init__(None, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = int(depth_multiplier)

    def _kernel_shape(self, c):
        return self.kernel_size + (c, self.depth_multiplier)

    def _out_channels(self, input_shape):
        c = input_shape[channel_axis(self.data_format, self.rank)]
        return None if c is None else c * self.depth_multiplier

    def _strides4(self):
        s = list(self.strides)
        return [1, *s, 1] if self.data_format == "channels_last" else [1, 1, *s]

    def convolution_op(self, inputs):
        return _conv.depthwise_conv2d(inputs, self.kernel, self._strides4(),
                                      self.padding.upper(), rate=list(self.dilation_rate),
                                      data_format=self._tf_format())

    def get_config(self):
        config = super().get_config()
        for key in ("filters", "groups"):
            del config[key]
        renamed = {"kernel_initializer": "depthwise_initializer",
                   "kernel_regularizer": "depthwise_regularizer",
                   "kernel_constraint": "depthwise_constraint"}
        for old, new in renamed.items():
            config[new] = config.pop(old)
        config["depth_multiplier"] = self.depth_multiplier
        return config


class SeparableConv2D(DepthwiseConv2D):
    """A depthwise convolution followed by a 1x1 convolution mixing the channels: weights
    depthwise_kernel (kh, kw, in, depth_multiplier), pointwise_kernel (1, 1, in * dm, filters)."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        if isinstance(filters, bool) or not isinstance(filters, numbers.Integral) \
                or filters <= 0:
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly "
                             f"positive value. Received filters={filters}.")
        super().__init__(kernel_size, strides=strides, padding=padding,
                         depth_multiplier=depth_multiplier, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)
        self.filters = int(filters)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    _kernel_name = "depthwise_kernel"

    def _out_channels(self, input_shape):
        return self.filters

    def _build_more(self, c):
        self.depthwise_kernel = self.kernel
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel", shape=(1, 1, c * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)

    def convolution_op(self, inputs):
        return _conv.separable_conv2d(inputs, self.depthwise_kernel, self.pointwise_kernel,
                                      self._strides4(), self.padding.upper(),
                                      rate=list(self.dilation_rate),
                                      data_format=self._tf_format())

    def get_config(self):
        return {**super().get_config(),
                "filters": self.filters,
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                "pointwise_regularizer": _maybe(regularizers.serialize,
                                                self.pointwise_regularizer),
                "pointwise_constraint": _maybe(constraints.serialize,
                                               self.pointwise_constraint)}


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution2DTranspose = Conv2DTranspose
SeparableConvolution2D = SeparableConv2D

__all__ = ["Conv1D", "Conv2D", "Conv2DTranspose", "Convolution1D", "Convolution2D",
           "Convolution2DTranspose", "DepthwiseConv2D", "SeparableConv2D",
           "SeparableConvolution2D"]
