"""Bidirectional (a forward and a backward copy of an RNN, merged) and TimeDistributed (a layer
applied to every time step), as Keras 3."""
import tensorlet as tf
from tensorlet.keras.layers.layer import Layer

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _copy(layer, name, go_backwards=None):
    config = layer.get_config()
    config["name"] = name
    if go_backwards is not None:
        config["go_backwards"] = go_backwards
    return type(layer).from_config(config)


class Bidirectional(Layer):
    """Runs `layer` forward and a copy of it backward over the sequence and merges the two
    (merge_mode concat, sum, mul, ave, or None for a list). The backward output sequence is
    re-aligned to the input order. With return_sequences, masked steps output zeros (Keras
    forces zero_output_for_mask). With `initial_state`, the first half of the list goes to the
    forward layer, the second half to the backward layer."""

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `Bidirectional` layer with a `Layer` "
                             f"instance. Received: {layer!r}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"`backward_layer` need to be a `Layer` instance. Received: "
                             f"{backward_layer!r}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode!r}. Merge mode should "
                             f"be one of {_MERGE_MODES}")
        super().__init__(**kwargs)
        base = layer.name.removeprefix("forward_").removeprefix("backward_")
        self.forward_layer = _copy(layer, "forward_" + base)
        self.backward_layer = backward_layer if backward_layer is not None else _copy(
            layer, "backward_" + base, go_backwards=not layer.go_backwards)
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise ValueError("Forward layer and backward layer should have different "
                             "`go_backwards` values.")
        for a in ("stateful", "return_sequences", "return_state"):
            if getattr(self.forward_layer, a) != getattr(self.backward_layer, a):
                raise ValueError(f"Forward layer and backward layer are expected to have the "
                                 f"same value for attribute {a!r}")
        for sub in (self.forward_layer, self.backward_layer):
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = weights
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True

    def build(self, sequences_shape, initial_state_shape=None):
        for sub in (self.forward_layer, self.backward_layer):
            sub._graph = sub._graph or self._graph
            sub._maybe_build_from_shape(sequences_shape)
        if self._initial_weights:
            self.set_weights(self._initial_weights)
            self._initial_weights = None
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kw = {"mask": mask} if mask is not None else {}
        if training is not None:
            kw["training"] = training
        fstate = bstate = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fstate, bstate = list(initial_state[:half]), list(initial_state[half:])
        y = self.forward_layer(sequences, initial_state=fstate, **kw)
        y_rev = self.backward_layer(sequences, initial_state=bstate, **kw)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = tf.reverse(y_rev, [1])
        if self.merge_mode == "concat":
            out = tf.concat([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            out = y + y_rev
        elif self.merge_mode == "ave":
            out = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            out = y * y_rev
        else:
            out = [y, y_rev]
        if self.return_state:
            return (list(out) if self.merge_mode is None else [out]) + list(states)
        return out

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        outs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            n = len(self.forward_layer.state_size) * 2
            return outs + [None] * n
        return outs if self.merge_mode is None else out

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = self.forward_layer.compute_output_shape(sequences_shape)
        states = []
        if self.return_state:
            shape, states = shape[0], list(shape[1:])
        shape = tuple(shape)
        if self.merge_mode == "concat":
            shape = shape[:-1] + (None if shape[-1] is None else 2 * shape[-1],)
        outs = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state:
            return outs + states + states
        return outs if self.merge_mode is None else shape

    def reset_states(self):
        if not self.stateful:
            raise AttributeError("Layer must be stateful.")
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    reset_state = reset_states

    def get_config(self):
        from tensorlet.keras.layers.serialization import serialize
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": serialize(self.forward_layer),
                "backward_layer": serialize(self.backward_layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from tensorlet.keras.layers.serialization import deserialize
        config = dict(config)
        config["layer"] = deserialize(config["layer"], custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize(config["backward_layer"], custom_objects)
        return cls(**config)


class TimeDistributed(Layer):
    """Applies `layer` to every time step of (batch, time, ...) inputs: the steps are folded
    into the batch axis, the layer runs once, and the result is unfolded."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `TimeDistributed` layer with a `Layer` "
                             f"instance. Received: {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _check(self, shape):
        if shape is None or len(shape) < 3:
            raise ValueError(f"`TimeDistributed` Layer should be passed an `input_shape` with "
                             f"at least 3 dimensions, received: {shape}")
        if any(d is None for d in shape[2:]):
            raise ValueError(f"Layer '{self.name}' needs every axis after time to be known; "
                             f"received input shape {shape}")

    def build(self, input_shape):
        shape = tuple(input_shape)
        self._check(shape)
        self.layer._graph = self.layer._graph or self._graph
        self.layer._maybe_build_from_shape((None,) + shape[2:])
        self.built = True

    def call(self, inputs, training=None):
        dims = tuple(inputs.shape.dims)
        self._check(dims)
        flat = tf.reshape(inputs, [-1] + list(dims[2:]))
        kw = {} if training is None or not self.layer._call_has_training else \
            {"training": training}
        y = self.layer(flat, **kw)
        inner = list(y.shape.dims[1:])
        if dims[1] is not None:
            return tf.reshape(y, [-1, dims[1]] + inner)
        lead = tf.shape(inputs)[:2]
        return tf.reshape(y, tf.concat([lead, tf.constant(inner, tf.int32)], 0))

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((None,) + tuple(input_shape[2:]))
        return tuple(input_shape[:2]) + tuple(inner[1:])

    def get_config(self):
        from tensorlet.keras.layers.serialization import serialize
        return {**super().get_config(), "layer": serialize(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from tensorlet.keras.layers.serialization import deserialize
        config = dict(config)
        config["layer"] = deserialize(config["layer"], custom_objects)
        return cls(**config)


__all__ = ["Bidirectional", "TimeDistributed"]
