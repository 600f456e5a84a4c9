"""`Sequential`: a plain stack of layers, each with one input and one output.

The input shape comes from a `keras.Input` / `InputLayer` first, from `input_shape=` /
`input_dim=` on the first layer, from `build(input_shape)`, or from the first data the model
sees (deferred build). Once the shape is known the layers are called on an input placeholder,
which gives every layer its weights and output shape.
"""
from tensorlet.framework.graph import Tensor
from tensorlet.keras import backend, tree
from tensorlet.keras.layers import node as _node
from tensorlet.keras.layers.input_layer import InputLayer
from tensorlet.keras.layers.layer import Layer
from tensorlet.keras.models.functional import conform_input
from tensorlet.keras.models.model import Model, _data_dtype


class Sequential(Model):
    """`Sequential([Dense(32, input_dim=784), Activation('relu'), Dense(10)])`."""

    def __init__(self, layers=None, trainable=True, name=None, **kwargs):
        Layer.__init__(self, trainable=trainable, name=name, **kwargs)
        self._init_model_state()
        self._stack = []
        self._input_layer = None
        self._output_tensor = None
        for layer in layers or ():
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    # -- stack editing ----------------------------------------------------------------------
    def add(self, layer, rebuild=True):
        """Append a layer (or a `keras.Input` tensor, which sets the input shape)."""
        if isinstance(layer, Tensor):
            h = _node.keras_history(layer)
            if h is None or not isinstance(h[0], InputLayer):
                raise ValueError(f"Only input tensors (from keras.Input) may be added to a "
                                 f"Sequential model; received {layer!r}")
            layer = h[0]
        if not isinstance(layer, Layer):
            raise ValueError(  # noqa: TRY004  (Keras raises ValueError here)
                f"Only instances of `keras.Layer` can be added to a Sequential "
                             f"model. Received: {layer!r} (of type {type(layer).__name__})")
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._stack:
                raise ValueError(f"Sequential model '{self.name}' already has an input; an "
                                 "InputLayer can only be added first.")
            self._input_layer = layer
        else:
            if any(existing.name == layer.name for existing in self._stack):
                raise ValueError(f"All layers added to a Sequential model should have unique "
                                 f"names. Name '{layer.name}' is already the name of a layer "
                                 "in this model.")
            if not self._stack and self._input_layer is None \
                    and layer._input_shape_arg is not None:
                self._input_layer = InputLayer(batch_shape=layer._input_shape_arg,
                                               dtype=layer.dtype)
            self._stack.append(layer)
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild=True):
        """Remove and return the last layer."""
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        self._functions = None
        if rebuild:
            self._maybe_rebuild()
        return layer

    @property
    def layers(self):
        return list(self._stack)

    @property
    def _layers(self):
        return list(self._stack)

    # -- building ---------------------------------------------------------------------------
    def _maybe_rebuild(self):
        """Chain the layers on the input placeholder, when the input shape is known."""
        self._functions = None
        if self._input_layer is None:
            return
        x = self._input_layer.output
        self._graph = self._graph or x.graph  # the Keras graph the model is built in
        with _node.top_level():
            for layer in self._stack:
                x = layer(x)
        self._output_tensor = x
        self._set_input_signature(self._input_layer.output)
        self.built = True
        self._build_shapes = tuple(self._input_layer.output.shape.dims)

    def build(self, input_shape=None):
        """Build for `input_shape` (with the batch axis, e.g. (None, 784))."""
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError("You must provide an `input_shape` argument.")
        elif self._input_layer is None:
            self._input_layer = InputLayer(batch_shape=tuple(input_shape), dtype=self.dtype)
        self._maybe_rebuild()

    def _build_from(self, graph, first):
        """First symbolic call of an unbuilt model: it takes the input's shape."""
        if self._input_layer is None and isinstance(first, Tensor) and \
                graph is backend.get_graph():
            self._input_layer = InputLayer(batch_shape=(None,) + tuple(first.shape.dims[1:]),
                                           dtype=first.dtype.name)
            self._maybe_rebuild()
        self.built = True

    def _ensure_built_for(self, flat_arrays, structure):
        if self._input_layer is None:
            if len(flat_arrays) != 1:
                raise ValueError(f"Sequential model '{self.name}' takes one input; received "
                                 f"{len(flat_arrays)} arrays.")
            a = flat_arrays[0]
            self._input_layer = InputLayer(batch_shape=(None,) + a.shape[1:],
                                           dtype=_data_dtype(self, a))
            self._maybe_rebuild()

    # -- calling ------------------------------------------------------------------------
    def call(self, inputs, training=None, mask=None):
        x = tree.flatten(inputs)
        if len(x) != 1:
            raise ValueError(f"Sequential model '{self.name}' takes one input; received "
                             f"{len(x)} tensors.")
        x = x[0]
        if self._input_layer is not None:
            x = conform_input(self.name, self._input_layer.name, self._input_layer.output, x)
        for layer in self._stack:
            x = layer(x, training=training) if training is not None else layer(x)
        return x

    @property
    def inputs(self):
        return [self._input_layer.output] if self._input_layer is not None else None

    @property
    def outputs(self):
        return [self._output_tensor] if self._output_tensor is not None else None

    @property
    def input_names(self):
        return [self._input_layer.name] if self._input_layer is not None else []

    @property
    def output_names(self):
        return [self._stack[-1].name] if self._stack else []

    @property
    def input_shape(self):
        return None if self._input_layer is None else self._input_layer.batch_shape

    @property
    def output_shape(self):
        t = self._output_tensor
        return None if t is None else tuple(t.shape.dims)

    def get_config(self):
        from tensorlet.keras.models import config as _config
        return _config.sequential_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from tensorlet.keras.models import config as _config
        return _config.sequential_from_config(config, custom_objects)
