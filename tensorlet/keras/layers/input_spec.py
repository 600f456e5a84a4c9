"""`InputSpec`: what a layer accepts (rank, fixed axes), checked at every call.

A mismatch raises ValueError naming the layer and the input, with the expected and received
shapes written with the batch axis as None, and a hint when a batch axis looks missing.
"""


class InputSpec:
    """Keras 3's InputSpec: `ndim`, `min_ndim`, `max_ndim`, `axes` ({axis: size}), `shape`,
    `dtype`, `allow_last_axis_squeeze`, `name`."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional
        for axis in self.axes:
            if self.ndim is not None and not -self.ndim <= axis < self.ndim:
                raise ValueError(f"Axis {axis} is out of range for ndim={self.ndim}")

    def __repr__(self):
        parts = [f"{k}={v}" for k, v in (("dtype", self.dtype), ("shape", self.shape),
                                           ("ndim", self.ndim), ("max_ndim", self.max_ndim),
                                           ("min_ndim", self.min_ndim)) if v is not None]
        if self.axes:
            parts.append(f"axes={self.axes}")
        return f"InputSpec({', '.join(parts)})"

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def shape_str(shape):
    """'(None, 784)' for a shape tuple with None for unknown dims ('(None, 784)' style)."""
    if shape is None:
        return "(unknown rank)"
    dims = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


def batch_none(shape):
    """`shape` with its first (batch) axis written as None."""
    return shape if not shape else (None,) + tuple(shape[1:])


def _expected_shape(spec, received):
    """The shape the spec asks for, written in the received rank where possible."""
    if spec.shape is not None:
        return batch_none(spec.shape)
    rank = spec.ndim if spec.ndim is not None else len(received)
    if spec.min_ndim is not None:
        rank = max(rank, spec.min_ndim)
    if spec.max_ndim is not None:
        rank = min(rank, spec.max_ndim)
    dims = [None] * rank
    for axis, size in spec.axes.items():
        if -rank <= axis < rank and axis not in (0, -rank):
            dims[axis] = size
    return tuple(dims)


def assert_input_compatibility(specs, inputs, layer_name):
    """Raise ValueError when `inputs` (flat list of tensors) do not fit `specs`."""
    if specs is None:
        return
    if not isinstance(specs, (list, tuple)):
        specs = [specs]
    if len(inputs) != len(specs):
        raise ValueError(f"Layer '{layer_name}' expects {len(specs)} input(s), but it received "
                         f"{len(inputs)} input tensors.")
    for i, (spec, x) in enumerate(zip(specs, inputs)):
        if spec is None or x is None:
            continue
        dims = x.shape.dims
        if dims is None:
            continue
        received = batch_none(tuple(dims))
        rank = len(dims)
        problem = None
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and rank != spec.ndim:
            problem = f"expected ndim={spec.ndim}, found ndim={rank}"
        elif spec.max_ndim is not None and rank > spec.max_ndim:
            problem = f"expected max_ndim={spec.max_ndim}, found ndim={rank}"
        elif spec.min_ndim is not None and rank < spec.min_ndim:
            problem = f"expected min_ndim={spec.min_ndim}, found ndim={rank}"
        else:
            for axis, size in spec.axes.items():
                if size is None:
                    continue
                got = dims[axis] if -rank <= axis < rank else None
                if got is not None and got != size:
                    problem = (f"expected axis {axis} of the input to have size {size}, "
                               f"but it has size {got}")
                    break
            if problem is None and spec.shape is not None:
                for want, got in zip(spec.shape[1:], dims[1:]):
                    if want is not None and got is not None and want != got:
                        problem = "the dimensions differ"
                        break
        if problem is None:
            continue
        expected = _expected_shape(spec, received)
        msg = (f"Input {i} of layer '{layer_name}' is incompatible with the layer: {problem}. "
               f"Expected shape {shape_str(expected)}, received shape {shape_str(received)}.")
        if len(expected) == rank + 1:
            msg += " Hint: the input seems to lack a batch axis (add one, e.g. x[None])."
        elif len(expected) + 1 == rank:
            msg += " Hint: the input seems to have an extra axis."
        raise ValueError(msg)
