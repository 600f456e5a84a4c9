"""Recurrent cells one step at a time against the float64 reference, StackedRNNCells, the
generic RNN layer with a user cell (masks, go_backwards, states) and its configs and errors."""
import numpy as np
import pytest

from rnn_reference import ACT, gru_step, lstm_step, reference, simple_step
from tensorlet import keras
from tensorlet.keras import backend, layers

rng = np.random.default_rng(9)
B, T, D, U = 3, 5, 4, 3
MASK = np.array([[True, False, True, True, False],
                 [False, False, True, True, True],
                 [True, True, True, True, True]])


@pytest.fixture(autouse=True)
def _fresh_keras():
    backend.clear_session(free_memory=False)
    yield


def _weights(cell, d=D):
    cell.build((None, d))
    ws = [rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in cell.get_weights()]
    cell.set_weights(ws)
    return [w.astype(np.float64) for w in ws]


@pytest.mark.parametrize("kind", ["simple", "lstm", "gru_after", "gru_before"])
def test_cell_step_matches_reference(kind):
    x = rng.standard_normal((B, D)).astype(np.float32)
    if kind == "simple":
        cell = layers.SimpleRNNCell(U)
        w = _weights(cell)
        step = simple_step(*w, ACT["tanh"])
    elif kind == "lstm":
        cell = layers.LSTMCell(U)
        w = _weights(cell)
        step = lstm_step(*w, ACT["tanh"], ACT["sigmoid"])
    else:
        cell = layers.GRUCell(U, reset_after=kind == "gru_after")
        w = _weights(cell)
        step = gru_step(*w, ACT["tanh"], ACT["sigmoid"], kind == "gru_after")
    states = [rng.standard_normal((B, U)).astype(np.float32) for _ in
              range(2 if kind == "lstm" else 1)]
    out, new = cell(x, states)
    ref_out, ref_new = step(x.astype(np.float64), [s.astype(np.float64) for s in states])
    np.testing.assert_allclose(out, ref_out, rtol=2e-5, atol=2e-6)
    for a, b in zip(new, ref_new):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


def test_stacked_cells_equal_two_layers():
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    rnn = layers.RNN([layers.LSTMCell(U), layers.GRUCell(2)], return_state=True)
    out = rnn(x, mask=MASK)
    assert len(out) == 4  # output, then h, c of the LSTM cell and h of the GRU cell
    lstm_w, gru_w = rnn.cell.cells[0].get_weights(), rnn.cell.cells[1].get_weights()
    first = layers.LSTM(U, return_sequences=True)
    first.build((None, T, D))
    first.set_weights(lstm_w)
    second = layers.GRU(2)
    second.build((None, T, U))
    second.set_weights(gru_w)
    inp = keras.Input((T, D))
    model = keras.Model(inp, second(first(layers.Masking(0.0)(inp))))
    xm = np.where(MASK[:, :, None], x, 0).astype(np.float32)
    np.testing.assert_allclose(out[0], model.predict(xm, verbose=0), rtol=1e-5, atol=1e-6)
    assert rnn.state_size == [U, U, 2]


class MinimalRNNCell(layers.Layer):
    """Keras's documented example cell: output = x W + h U."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                name="recurrent_kernel")
        self.built = True

    def call(self, inputs, states):
        import tensorlet as tf
        out = tf.matmul(inputs, self.kernel) + tf.matmul(states[0], self.recurrent_kernel)
        return out, [out]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@pytest.mark.parametrize("go_backwards,zero_output", [(False, False), (True, True)])
def test_user_cell_in_generic_rnn(go_backwards, zero_output):
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    layer = layers.RNN(MinimalRNNCell(U), return_sequences=True, go_backwards=go_backwards,
                       zero_output_for_mask=zero_output, return_state=True)
    h0 = rng.standard_normal((B, U)).astype(np.float32)
    y, h = layer(x, initial_state=[h0], mask=MASK)
    W, R = [w.astype(np.float64) for w in layer.get_weights()]

    def step(xt, states):
        out = xt @ W + states[0] @ R
        return out, [out]
    y_ref, s_ref = reference(step, x.astype(np.float64), [h0.astype(np.float64)], MASK,
                             go_backwards, zero_output)
    np.testing.assert_allclose(y, y_ref, rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(h, s_ref[0], rtol=2e-5, atol=2e-5)


def test_generic_rnn_config_round_trip_and_training():
    layer = layers.RNN(MinimalRNNCell(4), return_sequences=True, go_backwards=True)
    objects = {"MinimalRNNCell": MinimalRNNCell}
    again = layers.deserialize(layers.serialize(layer), custom_objects=objects)
    assert again.get_config() == layer.get_config()
    assert isinstance(again.cell, MinimalRNNCell) and again.go_backwards
    stacked = layers.RNN([layers.SimpleRNNCell(2), layers.LSTMCell(3)])
    clone = layers.deserialize(layers.serialize(stacked))
    assert [type(c).__name__ for c in clone.cell.cells] == ["SimpleRNNCell", "LSTMCell"]
    x = rng.standard_normal((16, T, D)).astype(np.float32)
    model = keras.Sequential([keras.Input((T, D)), layers.RNN(layers.GRUCell(4, dropout=0.2,
                                                                            recurrent_dropout=0.2)),
                              layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.05), "mse")
    losses = model.fit(x, x[:, -1, :1], epochs=10, verbose=0).history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]


def test_dropout_masks_are_made_once_per_call():
    cell = layers.LSTMCell(U, dropout=0.5, recurrent_dropout=0.5)
    x = keras.Input((D,))
    with backend.get_graph().as_default():
        assert cell.get_dropout_mask(x) is cell.get_dropout_mask(x)
        m = cell.get_dropout_mask(x)
        cell.reset_dropout_mask()
        assert cell.get_dropout_mask(x) is not m


def test_generic_rnn_errors():
    with pytest.raises(ValueError, match="`call` method and a `state_size`"):
        layers.RNN(object())
    layer = layers.RNN(layers.SimpleRNNCell(2))
    with pytest.raises(ValueError, match="static number of time steps"):
        layer(keras.Input((None, 3)))
    with pytest.raises(ValueError, match="rank 3"):
        layers.RNN(layers.SimpleRNNCell(2))(keras.Input((3,)))
