"""SimpleRNN, LSTM and GRU layers against the independent float64 step-by-step reference
(tests/rnn_reference.py), given the same weights: every combination of return_sequences x
go_backwards x masking (x reset_after for GRU), initial and returned states, stateful layers,
dropout, the generic per-step path, configs and errors."""
import itertools

import numpy as np
import pytest

from layer_contract import run_layer_test
from rnn_reference import ACT, gru_step, lstm_step, reference, simple_step
from tensorlet import keras
from tensorlet.keras import backend, layers

rng = np.random.default_rng(7)
B, T, D, U = 3, 6, 4, 5
MASK = np.array([[False, True, True, False, True, True],
                 [True, True, True, True, True, True],
                 [True, True, False, True, False, False]])


@pytest.fixture(autouse=True)
def _fresh_keras():
    backend.clear_session(free_memory=False)
    yield


def _make(kind, **kw):
    if kind == "simple":
        return layers.SimpleRNN(U, **kw)
    if kind == "lstm":
        return layers.LSTM(U, **kw)
    return layers.GRU(U, reset_after=kind == "gru_after", **kw)


def _step(kind, weights, act="tanh", rec="sigmoid"):
    W, Uk = weights[0].astype(np.float64), weights[1].astype(np.float64)
    b = weights[2].astype(np.float64) if len(weights) > 2 else \
        np.zeros((2, 3 * U) if kind == "gru_after" else (Uk.shape[1],))
    if kind == "simple":
        return simple_step(W, Uk, b, ACT[act])
    if kind == "lstm":
        return lstm_step(W, Uk, b, ACT[act], ACT[rec])
    return gru_step(W, Uk, b, ACT[act], ACT[rec], kind == "gru_after")


def _randomize(layer, x):
    layer.build(x.shape)
    weights = [rng.standard_normal(w.shape).astype(np.float32) * 0.5
               for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


KINDS = ["simple", "lstm", "gru_after", "gru_before"]


@pytest.mark.parametrize("kind,return_sequences,go_backwards,masked", list(itertools.product(
    KINDS, [False, True], [False, True], [False, True])))
def test_layer_matches_reference(kind, return_sequences, go_backwards, masked):
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    layer = _make(kind, return_sequences=return_sequences, go_backwards=go_backwards,
                  return_state=True)
    weights = _randomize(layer, x)
    mask = MASK if masked else None
    out = layer(x, mask=mask) if masked else layer(x)
    nstates = 2 if kind == "lstm" else 1
    y_ref, s_ref = reference(_step(kind, weights), x.astype(np.float64),
                             [np.zeros((B, U))] * nstates, mask, go_backwards, False,
                             return_sequences)
    assert len(out) == 1 + nstates
    np.testing.assert_allclose(out[0], y_ref, rtol=2e-5, atol=2e-6)
    for got, want in zip(out[1:], s_ref):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_generic_cell_path_matches_fused(kind):
    """RNN(cell) runs the cell per step; the built-in layer runs the fused op."""
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    fused = _make(kind, return_sequences=True, go_backwards=True)
    weights = _randomize(fused, x)
    cell = {"simple": layers.SimpleRNNCell(U), "lstm": layers.LSTMCell(U)}.get(
        kind) or layers.GRUCell(U, reset_after=kind == "gru_after")
    generic = layers.RNN(cell, return_sequences=True, go_backwards=True)
    generic.build(x.shape)
    generic.set_weights(weights)
    np.testing.assert_allclose(generic(x, mask=MASK), fused(x, mask=MASK), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("kind", ["lstm", "gru_after"])
def test_initial_state_and_activations(kind):
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    layer = _make(kind, activation="relu", recurrent_activation="hard_sigmoid",
                  return_sequences=True)
    weights = _randomize(layer, x)
    nstates = 2 if kind == "lstm" else 1
    init = [rng.standard_normal((B, U)).astype(np.float32) for _ in range(nstates)]
    y_ref, _ = reference(_step(kind, weights, "relu", "hard_sigmoid"), x.astype(np.float64),
                         [s.astype(np.float64) for s in init], None, False, False)
    np.testing.assert_allclose(layer(x, initial_state=init), y_ref, rtol=2e-5, atol=2e-6)


def test_unfused_activation_takes_the_generic_path():
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    layer = layers.SimpleRNN(U, activation="elu")
    weights = _randomize(layer, x)
    elu = lambda v: np.where(v > 0, v, np.expm1(np.minimum(v, 0)))  # noqa: E731
    step = simple_step(*[w.astype(np.float64) for w in weights], elu)
    y_ref, _ = reference(step, x.astype(np.float64), [np.zeros((B, U))], None, False, False,
                         False)
    np.testing.assert_allclose(layer(x), y_ref, rtol=2e-5, atol=2e-6)


def test_masking_layer_feeds_the_mask():
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    x[~MASK] = 0.0
    inp = keras.Input((T, D))
    lstm = layers.LSTM(U, return_sequences=True)
    model = keras.Model(inp, lstm(layers.Masking(0.0)(inp)))
    weights = _randomize(lstm, x)
    y_ref, _ = reference(_step("lstm", weights), x.astype(np.float64),
                         [np.zeros((B, U))] * 2, MASK, False, False)
    np.testing.assert_allclose(model.predict(x, verbose=0), y_ref, rtol=2e-5, atol=2e-6)


def test_stateful_carries_states_between_calls():
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    layer = layers.GRU(U, stateful=True, return_sequences=True)
    layer.build((B, T, D))
    whole = layers.GRU(U, return_sequences=True)
    whole.build((B, T, D))
    whole.set_weights(layer.get_weights())
    first, second = layer(x[:, :3]), layer(x[:, 3:])
    np.testing.assert_allclose(np.concatenate([first, second], 1), whole(x), rtol=1e-5,
                               atol=1e-6)
    layer.reset_states()
    np.testing.assert_allclose(layer(x[:, :3]), first, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="static batch size"):
        layers.LSTM(2, stateful=True)(keras.Input((T, D)))


@pytest.mark.parametrize("kind", ["lstm", "gru_before", "simple"])
def test_dropout_only_while_training(kind):
    x = rng.standard_normal((8, T, D)).astype(np.float32)
    layer = _make(kind, dropout=0.5, recurrent_dropout=0.3, seed=1)
    plain = _make(kind)
    weights = _randomize(layer, x)
    plain.build(x.shape)
    plain.set_weights(weights)
    np.testing.assert_allclose(layer(x), plain(x), rtol=1e-6, atol=1e-7)
    trained = layer(x, training=True)
    assert np.isfinite(trained).all() and not np.allclose(trained, plain(x), atol=1e-3)


def test_recurrent_dropout_trains():
    x = rng.standard_normal((32, T, D)).astype(np.float32)
    y = (x[:, :, 0].sum(1) > 0).astype("float32")[:, None]
    model = keras.Sequential([keras.Input((T, D)),
                              layers.LSTM(8, dropout=0.1, recurrent_dropout=0.2, seed=3),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(0.02), "binary_crossentropy")
    hist = model.fit(x, y, epochs=15, batch_size=32, verbose=0).history["loss"]
    assert np.isfinite(hist).all() and hist[-1] < hist[0]


def test_lstm_weights_and_unit_forget_bias():
    layer = layers.LSTM(U)
    layer.build((None, T, D))
    kernel, recurrent, bias = layer.get_weights()
    assert kernel.shape == (D, 4 * U) and recurrent.shape == (U, 4 * U) and bias.shape == (4 * U,)
    np.testing.assert_array_equal(bias, np.r_[np.zeros(U), np.ones(U), np.zeros(2 * U)])
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(U), atol=1e-5)  # orthogonal
    gru = layers.GRU(U, reset_after=False, use_bias=False)
    gru.build((None, T, D))
    assert [w.shape for w in gru.get_weights()] == [(D, 3 * U), (U, 3 * U)]


@pytest.mark.parametrize("cls,kwargs,out_shape", [
    (layers.SimpleRNN, {"units": 3, "return_sequences": True}, (2, 4, 3)),
    (layers.LSTM, {"units": 3, "go_backwards": True, "dropout": 0.1}, (2, 3)),
    (layers.GRU, {"units": 3, "reset_after": False, "return_sequences": True}, (2, 4, 3)),
    (layers.GRU, {"units": 2, "kernel_regularizer": "l2", "recurrent_dropout": 0.2}, (2, 2)),
])
def test_layer_contract(cls, kwargs, out_shape):
    run_layer_test(cls, kwargs, (2, 4, 5), out_shape, expected_num_trainable_weights=3)


def test_return_state_shapes_and_config():
    inp = keras.Input((T, D))
    outs = layers.LSTM(U, return_state=True, return_sequences=True)(inp)
    assert [tuple(o.shape.dims) for o in outs] == [(None, T, U), (None, U), (None, U)]
    layer = layers.GRU(U, reset_after=False, go_backwards=True, zero_output_for_mask=True)
    clone = layers.GRU.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert clone.reset_after is False and clone.go_backwards and clone.zero_output_for_mask


def test_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"'gru'.*rank 3.*\(None, 5\)"):
        layers.GRU(3)(np.zeros((2, 5), "float32"))
    lstm = layers.LSTM(3)
    lstm(np.zeros((2, 5, 4), "float32"))
    with pytest.raises(ValueError, match=r"'lstm'.*size 4, but it has size 6"):
        lstm(np.zeros((2, 5, 6), "float32"))
    with pytest.raises(ValueError, match=r"expects 2 initial state\(s\) of shape"):
        layers.LSTM(3)(np.zeros((2, 5, 4), "float32"), initial_state=[np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"received 1: \(None, 4\)"):
        layers.SimpleRNN(3)(np.zeros((2, 5, 4), "float32"), initial_state=[np.zeros((2, 4))])
    with pytest.raises(ValueError, match="positive integer"):
        layers.LSTM(0)
