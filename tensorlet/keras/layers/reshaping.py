"""Spatial reshaping layers: ZeroPadding1D/2D, UpSampling1D/2D (nearest neighbour) and
Cropping1D/2D, each a pad, repeat or slice of core ops along the spatial axes."""
from tensorlet.keras import backend
from tensorlet.keras.layers.conv import standardize_tuple
from tensorlet.keras.layers.input_spec import InputSpec
from tensorlet.keras.layers.layer import Layer
from tensorlet.ops import array as _array


def _pairs(value, n, name):
    """Keras's (before, after) pairs per spatial axis from an int, n ints or n pairs."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"`{name}` must be >= 0. Received: {name}={value}")
        return ((value, value),) * n
    try:
        items = list(value)
    except TypeError:
        raise ValueError(f"`{name}` should be an int, a tuple of {n} ints or a tuple of {n} "
                         f"tuples of 2 ints. Received: {name}={value!r}") from None
    if n == 1:
        return (standardize_tuple(items, 2, name, allow_zero=True),)
    if len(items) != n:
        raise ValueError(f"`{name}` should have {n} elements. Received: {name}={value!r}")
    if all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        return tuple((v, v) for v in standardize_tuple(items, n, name, allow_zero=True))
    return tuple(standardize_tuple(v, 2, f"{name}[{i}]", allow_zero=True)
                 for i, v in enumerate(items))


class _Spatial(Layer):
    """Base: a rank-N (N = 1 or 2) spatial layer with a data format."""

    rank = 2

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return list(range(first, first + self.rank))

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for i, ax in enumerate(self._axes()):
            if out[ax] is not None:
                out[ax] = self._length(out[ax], i, input_shape)
        return tuple(out)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def get_config(self):
        config = super().get_config()
        if self.rank == 2:
            config["data_format"] = self.data_format
        return config


class _ZeroPadding(_Spatial):
    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.padding = _pairs(padding, self.rank, "padding")

    def _length(self, length, i, input_shape):
        return length + sum(self.padding[i])

    def call(self, inputs):
        pads = [[0, 0] for _ in range(self.rank + 2)]
        for i, ax in enumerate(self._axes()):
            pads[ax] = list(self.padding[i])
        return _array.pad(inputs, pads)

    def get_config(self):
        pad = self.padding[0] if self.rank == 1 else self.padding
        return {**super().get_config(), "padding": pad}


class ZeroPadding1D(_ZeroPadding):
    """Zeros before and after the steps axis: padding an int or (before, after)."""

    rank = 1

    def __init__(self, padding=1, **kwargs):
        super().__init__(padding, None, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Zero rows/columns around the image: padding an int, (rows, cols) or
    ((top, bottom), (left, right))."""

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class _Cropping(_Spatial):
    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping")

    def _length(self, length, i, input_shape):
        out = length - sum(self.cropping[i])
        if out <= 0:
            raise ValueError(f"`cropping` {self.cropping} of layer '{self.name}' must be "
                             f"smaller than the input size. Received: input shape "
                             f"{tuple(input_shape)}")
        return out

    def call(self, inputs):
        index = [slice(None)] * (self.rank + 2)
        for i, ax in enumerate(self._axes()):
            lo, hi = self.cropping[i]
            index[ax] = slice(lo, -hi if hi else None)
        return inputs[tuple(index)]

    def get_config(self):
        crop = self.cropping[0] if self.rank == 1 else self.cropping
        return {**super().get_config(), "cropping": crop}


class Cropping1D(_Cropping):
    """Drops (start, end) steps from the steps axis."""

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, None, **kwargs)


class Cropping2D(_Cropping):
    """Drops rows and columns at the borders: an int, (rows, cols) or
    ((top, bottom), (left, right))."""

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class _UpSampling(_Spatial):
    def __init__(self, size, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.size = standardize_tuple(size, self.rank, "size")

    def _length(self, length, i, input_shape):
        return length * self.size[i]

    def call(self, inputs):
        """Each element repeated size[i] times along spatial axis i (nearest neighbour)."""
        x = inputs
        nd = self.rank + 2
        dims = list(inputs.shape.dims)
        for i, ax in enumerate(self._axes()):
            s = self.size[i]
            if s == 1:
                continue
            x = _array.expand_dims(x, ax + 1)
            x = _array.tile(x, [s if d == ax + 1 else 1 for d in range(nd + 1)])
            dims[ax] = None if dims[ax] is None else dims[ax] * s
            x = _array.reshape(x, self._merged_shape(x, dims, ax))
        return x

    @staticmethod
    def _merged_shape(x, dims, ax):
        """The shape with axes ax and ax + 1 of `x` merged: static where possible."""
        if sum(d is None for d in dims) <= 1:
            return [-1 if d is None else d for d in dims]
        dyn = _array.shape(x)
        parts = [dyn[i] for i in range(ax)] + [dyn[ax] * dyn[ax + 1]]
        parts += [dyn[i] for i in range(ax + 2, len(dims) + 1)]
        return _array.stack(parts)

    def get_config(self):
        size = self.size[0] if self.rank == 1 else self.size
        return {**super().get_config(), "size": size}


class UpSampling1D(_UpSampling):
    """Repeats each step `size` times."""

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size, None, **kwargs)


class UpSampling2D(_UpSampling):
    """Repeats rows size[0] times and columns size[1] times (interpolation 'nearest')."""

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        if interpolation != "nearest":
            raise ValueError(f"UpSampling2D supports interpolation='nearest' only. Received: "
                             f"interpolation={interpolation!r}")
        super().__init__(size, data_format, **kwargs)
        self.interpolation = interpolation

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation}


__all__ = ["Cropping1D", "Cropping2D", "UpSampling1D", "UpSampling2D", "ZeroPadding1D",
           "ZeroPadding2D"]
