"""SimpleRNN, LSTM and GRU layers (Keras 3's arguments, defaults, weights and numerics).

Each runs as one fused whole-sequence op (`tf.nn.simple_rnn_sequence`, `lstm_sequence`,
`gru_sequence`): input projection for all steps in one GEMM, a compiled time loop and a
hand-written backward through time. Input dropout (one mask per sequence, as Keras) is applied
to the inputs before the op. Recurrent dropout while training, and activations the fused ops do
not implement, take the generic step-by-step path of `RNN` (slower, same results).
"""
import tensorlet as tf
from tensorlet.keras import activations
from tensorlet.keras.layers.rnn_cells import RNN, GRUCell, LSTMCell, SimpleRNNCell

_FUSED_ACTIVATIONS = {activations.tanh: "tanh", activations.sigmoid: "sigmoid",
                      activations.relu: "relu", activations.linear: "linear",
                      activations.hard_sigmoid: "hard_sigmoid"}
_CELL_ARGS = ("units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
              "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
              "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
              "dropout", "recurrent_dropout", "seed")
_RNN_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
             "zero_output_for_mask")


class _FusedRNN(RNN):
    """An RNN over one built-in cell whose time loop is a fused op when possible."""

    _cell_class = None
    _extra_cell_args = ()

    def __init__(self, units, **kwargs):
        kwargs.pop("use_cudnn", None)  # Keras's switch between kernels: there is one here
        kwargs.pop("implementation", None)
        cell_kw = {k: kwargs.pop(k) for k in _CELL_ARGS + self._extra_cell_args if k in kwargs}
        rnn_kw = {k: kwargs.pop(k) for k in _RNN_ARGS if k in kwargs}
        cell = self._cell_class(units, name=self._cell_name(), dtype=kwargs.get("dtype"),
                                trainable=kwargs.get("trainable", True), **cell_kw)
        super().__init__(cell, **rnn_kw, **kwargs)

    @classmethod
    def _cell_name(cls):
        return {"SimpleRNN": "simple_rnn_cell", "LSTM": "lstm_cell", "GRU": "gru_cell"}[
            cls.__name__]

    def __getattr__(self, name):  # units, activation, dropout, ... read through to the cell
        if name in _CELL_ARGS + self._extra_cell_args + ("recurrent_activation",) \
                and "cell" in self.__dict__:
            return getattr(self.__dict__["cell"], name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _fused_activations(self):
        names = [_FUSED_ACTIVATIONS.get(self.cell.activation)]
        if hasattr(self.cell, "recurrent_activation"):
            names.append(_FUSED_ACTIVATIONS.get(self.cell.recurrent_activation))
        return None if None in names else names

    def inner_loop(self, sequences, states, mask, training):
        cell = self.cell
        acts = self._fused_activations()
        if acts is None or (training and 0 < cell.recurrent_dropout < 1):
            return super().inner_loop(sequences, states, mask, training)
        x = sequences
        if training and 0 < cell.dropout < 1:
            keep = cell.get_dropout_mask(sequences[:, 0, :])
            cell.reset_dropout_mask()
            x = x * tf.expand_dims(keep, 1)
        kw = {"mask": mask, "activation": acts[0], "go_backwards": self.go_backwards,
              "return_sequences": self.return_sequences,
              "zero_output_for_mask": self.zero_output_for_mask}
        if len(acts) > 1:
            kw["recurrent_activation"] = acts[1]
        out = self._fused(x, cell.kernel, cell.recurrent_kernel, cell.bias, states, kw)
        return out[0], list(out[1:])

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for k in ("name", "trainable", "dtype"):
            cell_config.pop(k, None)
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


class SimpleRNN(_FusedRNN):
    """Fully-connected RNN: h(t) = activation(x(t) W + h(t-1) U + b) (Keras 3's SimpleRNN)."""

    _cell_class = SimpleRNNCell

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)

    def _fused(self, x, W, U, b, states, kw):
        return tf.nn.simple_rnn_sequence(x, W, U, b, initial_h=_state(states, 0), **kw)


class LSTM(_FusedRNN):
    """Long short-term memory (Keras 3's LSTM): gates i, f, c, o, `unit_forget_bias=True`."""

    _cell_class = LSTMCell
    _extra_cell_args = ("recurrent_activation", "unit_forget_bias")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation,
                         recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                         **kwargs)

    def _fused(self, x, W, U, b, states, kw):
        return tf.nn.lstm_sequence(x, W, U, b, initial_h=_state(states, 0),
                                   initial_c=_state(states, 1), **kw)


class GRU(_FusedRNN):
    """Gated recurrent unit (Keras 3's GRU): gates z, r, h, `reset_after=True` by default."""

    _cell_class = GRUCell
    _extra_cell_args = ("recurrent_activation", "reset_after")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", reset_after=True, **kwargs):
        super().__init__(units, activation=activation,
                         recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, reset_after=reset_after, **kwargs)

    def _fused(self, x, W, U, b, states, kw):
        return tf.nn.gru_sequence(x, W, U, b, initial_h=_state(states, 0),
                                  reset_after=self.cell.reset_after, **kw)


def _state(states, i):
    """The i-th initial state, or None (zeros, made inside the fused op)."""
    return None if states is None else states[i]


__all__ = ["GRU", "LSTM", "SimpleRNN"]
