"""Reshape, Permute and RepeatVector: the per-sample reshaping layers (one core op each).

Shapes in arguments and errors leave out the batch axis where Keras's arguments do
(`target_shape`, `dims`); shapes in errors are whole, with the batch axis written as None.
"""
import math
import numbers

from tensorlet.keras.layers.input_spec import InputSpec, batch_none, shape_str
from tensorlet.keras.layers.layer import Layer
from tensorlet.ops import array as _array


def _int_sequence(value, what, layer):
    """A tuple of Python ints from a list/tuple of integers, else a ValueError naming it."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValueError(f"{layer}: `{what}` must be a tuple of integers. "
                         f"Received: {what}={value!r}")
    items = tuple(value)
    if not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in items):
        raise ValueError(f"{layer}: `{what}` must be a tuple of integers. "
                         f"Received: {what}={value!r}")
    return tuple(int(d) for d in items)


def reshape_output_shape(inner, target, layer_name):
    """The per-sample output shape of reshaping per-sample `inner` to `target` (one -1 allowed):
    the -1 resolved when `inner` is fully known, None otherwise."""
    inner = tuple(inner)
    known = math.prod(d for d in target if d != -1)
    if any(d is None for d in inner):
        return tuple(None if d == -1 else d for d in target)
    size = math.prod(inner)
    full = (None,) + inner
    if -1 not in target:
        if size != known:
            raise ValueError(
                f"Layer '{layer_name}' (Reshape) cannot reshape its input of shape "
                f"{shape_str(full)} ({size} values per sample) to target_shape {target} "
                f"({known} values per sample): the total size must be unchanged.")
        return target
    if known == 0 or size % known:
        raise ValueError(
            f"Layer '{layer_name}' (Reshape) cannot reshape its input of shape "
            f"{shape_str(full)} ({size} values per sample) to target_shape {target}: {size} "
            f"is not a multiple of the {known} values of the known dimensions.")
    return tuple(size // known if d == -1 else d for d in target)


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (batch axis excluded; one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target = _int_sequence(target_shape, "target_shape", "Reshape")
        if target.count(-1) > 1 or any(d < -1 or d == 0 for d in target):
            raise ValueError(f"Reshape: `target_shape` must hold positive integers and at most "
                             f"one -1 (an inferred dimension). Received: "
                             f"target_shape={tuple(target_shape)}")
        self.target_shape = target
        self.input_spec = InputSpec(min_ndim=1)

    def build(self, input_shape):
        reshape_output_shape(tuple(input_shape)[1:], self.target_shape, self.name)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        return (input_shape[0],) + reshape_output_shape(input_shape[1:], self.target_shape,
                                                        self.name)

    def call(self, inputs):
        out_inner = reshape_output_shape(inputs.shape.dims[1:], self.target_shape, self.name)
        if None not in out_inner:
            return _array.reshape(inputs, [-1, *out_inner])
        # An unknown input dimension and a -1: the batch size comes from the run-time shape.
        y = _array.reshape(inputs, _array.stack([_array.shape(inputs)[0], *self.target_shape]))
        y.set_shape([inputs.shape.dims[0], *out_inner])
        return y

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the non-batch axes: `dims` is 1-based, e.g. (2, 1) swaps axes 1 and 2."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = _int_sequence(dims, "dims", "Permute")
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for Permute layer: the set "
                             f"of indices must be consecutive and start from 1 (the batch "
                             f"axis is not permuted). Received: dims={dims}")
        self.dims = dims
        self.input_spec = InputSpec(ndim=len(dims) + 1)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def call(self, inputs):
        return _array.transpose(inputs, (0,) + self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats each sample `n` times along a new axis 1: (batch, f) -> (batch, n, f)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"RepeatVector: expected an integer value for `n`. Received: "
                            f"n={n!r} of type {type(n).__name__}")
        if n < 1:
            raise ValueError(f"RepeatVector: `n` must be a positive integer. Received: n={n}")
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"Layer '{self.name}' (RepeatVector) expects inputs of shape "
                             f"(None, features); received shape "
                             f"{shape_str(batch_none(input_shape))}.")
        return (input_shape[0], self.n, input_shape[1])

    def call(self, inputs):
        return _array.tile(_array.expand_dims(inputs, 1), [1, self.n, 1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


__all__ = ["Permute", "RepeatVector", "Reshape"]
