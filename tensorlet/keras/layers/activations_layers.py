"""Activation layers: LeakyReLU, PReLU, ELU, ReLU and Softmax (Keras 3's arguments and defaults),
each calling `keras.activations` (math exists once) and passing masks through."""
import numbers
import warnings

from tensorlet.keras import activations
from tensorlet.keras.layers.input_spec import InputSpec, batch_none, shape_str
from tensorlet.keras.layers.layer import Layer
from tensorlet.keras.layers.layer_args import set_weight_args, weight_args_config, weight_kwargs
from tensorlet.ops import array as _array
from tensorlet.ops import math as _math
from tensorlet.ops import nn as _nn
from tensorlet.ops.reduction import reduce_logsumexp


def _number(value, what, layer, allow_none=False):
    """`value` as a float >= 0 (None too when allowed), else a ValueError naming the layer."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
        raise ValueError(f"{layer}: `{what}` must be a number >= 0"
                         f"{' or None' if allow_none else ''}. Received: {what}={value!r}")
    return float(value)


class _Elementwise(Layer):
    """An activation applied elementwise: same output shape, masks passed through."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class LeakyReLU(_Elementwise):
    """x for x >= 0, `negative_slope` * x below (`alpha`, Keras 2's name, is accepted)."""

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` of LeakyReLU is deprecated. Use `negative_slope` "
                          "instead.", stacklevel=2)
        super().__init__(**kwargs)
        self.negative_slope = _number(negative_slope, "negative_slope", "LeakyReLU")

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(_Elementwise):
    """x for x > 0, alpha * (exp(x) - 1) below."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
            raise ValueError(f"ELU: `alpha` must be a number. Received: alpha={alpha!r}")
        self.alpha = float(alpha)

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self):
        # Keras 3 leaves `alpha` out of the config (and so loses it); it is kept here, and
        # Keras's ELU accepts it back.
        return {**super().get_config(), "alpha": self.alpha}


class ReLU(_Elementwise):
    """max_value if x >= max_value; x if threshold <= x < max_value; otherwise
    negative_slope * (x - threshold)."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _number(max_value, "max_value", "ReLU", allow_none=True)
        self.negative_slope = _number(negative_slope, "negative_slope", "ReLU")
        self.threshold = _number(threshold, "threshold", "ReLU")

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class PReLU(_Elementwise):
    """x for x >= 0, alpha * x below, with `alpha` a learned weight per input element (shared
    along `shared_axes`, 1-based axes of the input)."""

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        set_weight_args(self, "alpha", alpha_initializer, alpha_regularizer, alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = [shared_axes] if isinstance(shared_axes, numbers.Integral) else shared_axes
            if isinstance(axes, (str, bytes)) or not all(
                    isinstance(a, numbers.Integral) and not isinstance(a, bool) and a >= 1
                    for a in axes):
                raise ValueError(f"PReLU: `shared_axes` must be None, an integer >= 1 or a "
                                 f"list of them (axis 0, the batch, cannot be shared). "
                                 f"Received: shared_axes={shared_axes!r}")
            self.shared_axes = [int(a) for a in axes]

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        shared = set(self.shared_axes or ())
        bad = [a for a in shared if a >= rank]
        if bad:
            raise ValueError(f"Layer '{self.name}' (PReLU) has shared_axes={self.shared_axes}, "
                             f"but its input of shape {shape_str(batch_none(input_shape))} has "
                             f"no axis {bad[0]}.")
        param_shape = []
        for axis in range(1, rank):
            if axis in shared:
                param_shape.append(1)
            elif input_shape[axis] is None:
                raise ValueError(
                    f"Layer '{self.name}' (PReLU) needs the size of axis {axis} of its input to "
                    f"create `alpha`; received input shape "
                    f"{shape_str(batch_none(input_shape))}. Give that axis a fixed size or "
                    f"list it in `shared_axes`.")
            else:
                param_shape.append(int(input_shape[axis]))
        self.alpha = self.add_weight(shape=param_shape, name="alpha",
                                     **weight_kwargs(self, "alpha"))
        axes = {i: input_shape[i] for i in range(1, rank) if i not in shared}
        self.input_spec = InputSpec(ndim=rank, axes=axes)

    def call(self, inputs):
        return _nn.relu(inputs) - self.alpha * _nn.relu(-inputs)

    def get_config(self):
        return {**super().get_config(), **weight_args_config(self, "alpha"),
                "shared_axes": self.shared_axes}


class Softmax(_Elementwise):
    """exp(x) / sum(exp(x)) along `axis` (an int or a list of ints). A mask (True = keep) adds
    -1e9 to the masked logits first, so they get (almost) zero probability."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            ok = bool(axis) and all(isinstance(a, numbers.Integral) and not isinstance(a, bool)
                                    for a in axis)
            axis = [int(a) for a in axis] if ok else axis
        else:
            ok = isinstance(axis, numbers.Integral) and not isinstance(axis, bool)
            axis = int(axis) if ok else axis
        if not ok:
            raise ValueError(f"Softmax: `axis` must be an integer or a non-empty list of "
                             f"integers. Received: axis={axis!r}")
        self.axis = axis

    def build(self, input_shape):
        rank = len(tuple(input_shape))
        for a in self.axis if isinstance(self.axis, list) else [self.axis]:
            if not -rank <= a < rank:
                raise ValueError(f"Layer '{self.name}' (Softmax) has axis={self.axis}, out of "
                                 f"range for its input of shape "
                                 f"{shape_str(batch_none(tuple(input_shape)))}.")

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = _math.cast(mask, inputs.dtype)
            # A mask over the leading axes (e.g. (batch, steps) for (batch, steps, features))
            # covers every element below them.
            for _ in range((inputs.shape.ndims or 0) - (mask.shape.ndims or 0)):
                mask = _array.expand_dims(mask, -1)
            inputs = inputs + (1.0 - mask) * -1e9
        if isinstance(self.axis, list) and len(self.axis) > 1:
            return _math.exp(inputs - reduce_logsumexp(inputs, axis=self.axis, keepdims=True))
        axis = self.axis[0] if isinstance(self.axis, list) else self.axis
        return activations.softmax(inputs, axis=axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]
