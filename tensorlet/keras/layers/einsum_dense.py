"""EinsumDense (Keras 3): a dense layer whose product is an einsum equation, so inputs and
outputs keep several feature axes (the projections of multi-head attention)."""
import re

from tensorlet.keras import activations
from tensorlet.keras.layers.layer import Layer
from tensorlet.keras.layers.layer_args import set_weight_args, weight_args_config, weight_kwargs
from tensorlet.ops import linalg as _linalg
from tensorlet.ops import math as _math

_EQUATION = re.compile(r"^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$")


def _parse(equation):
    """(input, kernel, output) index strings of 'ab,bc->ac' (no ellipsis)."""
    match = _EQUATION.match(equation.replace(" ", "")) if isinstance(equation, str) else None
    if match is None:
        raise ValueError(f"EinsumDense needs an equation of the form 'ab,bc->ac' (letters "
                         f"only, no '...'), got {equation!r}")
    inp, ker, out = match.groups()
    for c in out:
        if c not in inp and c not in ker:
            raise ValueError(f"EinsumDense {equation!r}: output index {c!r} is in neither the "
                             "input nor the kernel")
    for c in ker:
        if c not in inp and c not in out:
            raise ValueError(f"EinsumDense {equation!r}: kernel index {c!r} is in neither the "
                             "input nor the output")
    return inp, ker, out


class EinsumDense(Layer):
    """`activation(einsum(equation, inputs, kernel) + bias)`. `output_shape` gives the output
    dimensions after the batch (None: taken from the input); `bias_axes` names the output
    indices the bias varies along."""

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.equation = equation
        self._specs = _parse(equation)
        self.partial_output_shape = (
            tuple(output_shape) if isinstance(output_shape, (list, tuple)) else (output_shape,))
        if len(self.partial_output_shape) != len(self._specs[2]) - 1:
            raise ValueError(f"EinsumDense: output_shape {output_shape!r} must give the "
                             f"{len(self._specs[2]) - 1} output dimensions after the batch of "
                             f"{equation!r}")
        if bias_axes is not None and any(c not in self._specs[2] for c in bias_axes):
            raise ValueError(f"EinsumDense: bias_axes {bias_axes!r} must be output indices "
                             f"of {equation!r}")
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        set_weight_args(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        set_weight_args(self, "bias", bias_initializer, bias_regularizer, bias_constraint)

    def _full_output_shape(self, input_shape):
        """The output shape with the batch, None entries filled from the input."""
        inp, _, out = self._specs
        full = [input_shape[0]] + list(self.partial_output_shape)
        for i, c in enumerate(out):
            if full[i] is None and c in inp:
                full[i] = input_shape[inp.index(c)]
        return full

    def build(self, input_shape):
        inp, ker, out = self._specs
        if len(input_shape) != len(inp):
            raise ValueError(f"EinsumDense {self.equation!r} expects inputs of rank {len(inp)}, "
                             f"got shape {tuple(input_shape)}")
        full = self._full_output_shape(input_shape)
        for i, c in enumerate(out):
            if c in inp and None not in (full[i], input_shape[inp.index(c)]) and \
                    full[i] != input_shape[inp.index(c)]:
                raise ValueError(f"EinsumDense {self.equation!r}: input shape "
                                 f"{tuple(input_shape)} and output shape {tuple(full)} do not "
                                 f"match at shared dimension {c!r}")
        kernel_shape = []
        for c in ker:
            size = input_shape[inp.index(c)] if c in inp else full[out.index(c)]
            if size is None:
                raise ValueError(f"EinsumDense {self.equation!r}: the size of kernel index "
                                 f"{c!r} is unknown (input shape {tuple(input_shape)}, "
                                 f"output_shape {self.partial_output_shape})")
            kernel_shape.append(size)
        self.kernel = self.add_weight(name="kernel", shape=tuple(kernel_shape),
                                      **weight_kwargs(self, "kernel"))
        self.bias = None
        if self.bias_axes:
            first = min(out.index(c) for c in self.bias_axes)
            bias_shape = tuple(full[out.index(c)] if c in self.bias_axes else 1
                               for c in out[first:])
            self.bias = self.add_weight(name="bias", shape=bias_shape,
                                        **weight_kwargs(self, "bias"))

    def call(self, inputs, training=None):
        if not inputs.dtype.is_floating:
            inputs = _math.cast(inputs, self.compute_dtype)
        x = _linalg.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            x = x + self.bias
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        return tuple(self._full_output_shape(input_shape))

    def get_config(self):
        return {**super().get_config(), "equation": self.equation,
                "output_shape": list(self.partial_output_shape),
                "activation": activations.serialize(self.activation),
                "bias_axes": self.bias_axes, **weight_args_config(self, "kernel", "bias")}


__all__ = ["EinsumDense"]
