"""`keras.Input(shape=...)` and `InputLayer`: the entry points of functional models.

`Input` returns a core placeholder in the Keras graph (batch axis None unless `batch_size` is
given), recorded as the output of an `InputLayer` so models can find it.
"""
from tensorlet.framework.graph import Tensor
from tensorlet.keras import backend
from tensorlet.keras.layers import node as _node
from tensorlet.keras.layers.layer import Layer
from tensorlet.ops.array import placeholder


class InputLayer(Layer):
    """The layer behind `keras.Input`: holds the input placeholder, has no weights."""

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, name=None, optional=False, **kwargs):
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        kwargs.pop("ragged", None)
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError("`sparse=True` inputs are not supported by tensorlet.")
        if input_tensor is not None:
            if not isinstance(input_tensor, Tensor):
                raise ValueError(f"Argument `input_tensor` must be a tensor. Received: "
                                 f"{input_tensor!r}")
            batch_shape = tuple(input_tensor.shape.dims)
            self._dtype = input_tensor.dtype.name
        else:
            if shape is not None and batch_shape is not None:
                raise ValueError("You cannot pass both `shape` and `batch_shape` at the same "
                                 "time.")
            if batch_size is not None and batch_shape is not None:
                raise ValueError("You cannot pass both `batch_size` and `batch_shape` at the "
                                 "same time.")
            if shape is None and batch_shape is None:
                raise ValueError("You must pass a `shape` argument.")
            if shape is not None:
                batch_shape = (batch_size,) + _standardize_shape(shape)
            batch_shape = _standardize_shape(batch_shape)
            graph = backend.get_graph()
            with graph.as_default(), graph.name_scope(None):
                input_tensor = placeholder(self._dtype, batch_shape, name=self.name)
        self._batch_shape = tuple(batch_shape)
        self.optional = optional
        self.sparse = False
        self._graph = input_tensor.graph
        _node.Node(self, (), {}, input_tensor)
        self.built = True

    @property
    def batch_shape(self):
        return self._batch_shape

    def call(self):
        return None

    def get_config(self):
        return {"batch_shape": self._batch_shape, "dtype": self.dtype, "sparse": False,
                "ragged": False, "name": self.name, "optional": self.optional}


def _standardize_shape(shape):
    if isinstance(shape, int):
        shape = (shape,)
    try:
        shape = tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(f"Cannot interpret shape {shape!r}: expected a tuple of ints or None")
    if any(d is not None and d < 0 for d in shape):
        raise ValueError(f"Negative dimensions are not allowed in a shape: {shape}")
    return shape


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False, ragged=None):
    """A symbolic input of a functional model: `x = keras.Input(shape=(784,))`."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, name=name, input_tensor=tensor,
                       optional=optional)
    return layer.output
