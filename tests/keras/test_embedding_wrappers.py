"""Embedding, Masking, Bidirectional and TimeDistributed: values against direct NumPy
computations, mask propagation, configs and errors."""
import numpy as np
import pytest

from layer_contract import run_layer_test
from rnn_reference import ACT, lstm_step, reference
from tensorlet import keras
from tensorlet.keras import backend, layers

rng = np.random.default_rng(4)
B, T, D, U = 3, 5, 4, 3


@pytest.fixture(autouse=True)
def _fresh_keras():
    backend.clear_session(free_memory=False)
    yield


def test_embedding_lookup_and_mask():
    ids = np.array([[1, 2, 0, 0], [3, 3, 1, 0]], "int32")
    emb = layers.Embedding(5, 2, mask_zero=True, input_length=4)
    out = emb(ids)
    table = emb.get_weights()[0]
    np.testing.assert_array_equal(out, table[ids])
    assert np.all(np.abs(table) <= 0.05)  # "uniform" initializer: [-0.05, 0.05)
    inp = keras.Input((4,), dtype="int32")
    y = layers.Embedding(5, 2, mask_zero=True)(inp)
    model = keras.Model(inp, layers.LSTM(3, return_sequences=True)(y))
    assert tuple(y.shape.dims) == (None, 4, 2)
    out_seq = model.predict(ids, verbose=0)
    # masked steps repeat the previous output (Keras 3): steps 2, 3 of row 0, step 3 of row 1
    np.testing.assert_array_equal(out_seq[0, 2], out_seq[0, 1])
    np.testing.assert_array_equal(out_seq[0, 3], out_seq[0, 1])
    np.testing.assert_array_equal(out_seq[1, 3], out_seq[1, 2])


def test_embedding_contract_and_errors():
    run_layer_test(layers.Embedding, {"input_dim": 6, "output_dim": 3}, (2, 4), (2, 4, 3),
                   input_dtype="int32", expected_num_trainable_weights=1)
    with pytest.raises(ValueError, match="input_dim"):
        layers.Embedding(0, 3)
    assert layers.Embedding(4, 2).compute_mask(None) is None


def test_masking_zeroes_and_masks_steps():
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    x[0, 1] = 0.0
    x[2, 4] = 0.0
    inp = keras.Input((T, D))
    masked = layers.Masking(0.0)(inp)
    lstm = layers.LSTM(U, return_sequences=True)
    model = keras.Model(inp, lstm(masked))
    w = [v.astype(np.float64) for v in lstm.get_weights()]
    mask = np.any(x != 0, axis=-1)
    y_ref, _ = reference(lstm_step(*w, ACT["tanh"], ACT["sigmoid"]), x.astype(np.float64),
                         [np.zeros((B, U))] * 2, mask, False, False)
    np.testing.assert_allclose(model.predict(x, verbose=0), y_ref, rtol=2e-5, atol=2e-6)
    layer = layers.Masking(mask_value=1.5)
    assert layers.Masking.from_config(layer.get_config()).mask_value == 1.5
    np.testing.assert_array_equal(layer(np.full((1, 2, 3), 1.5, "float32")), 0)


def _manual_bidirectional(layer, x, mask, merge):
    fw, bw = layer.forward_layer, layer.backward_layer
    kw = {"mask": mask} if mask is not None else {}
    y, y_rev = fw(x, **kw), bw(x, **kw)
    if layer.return_sequences:
        y_rev = y_rev[:, ::-1]
        if mask is not None:  # Bidirectional forces zero outputs at masked steps
            y, y_rev = y * mask[:, :, None], y_rev * mask[:, :, None]
    return {"concat": lambda: np.concatenate([y, y_rev], -1), "sum": lambda: y + y_rev,
            "ave": lambda: (y + y_rev) / 2, "mul": lambda: y * y_rev,
            None: lambda: [y, y_rev]}[merge]()


@pytest.mark.parametrize("merge", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_merges(merge, return_sequences):
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    mask = np.ones((B, T), bool)
    mask[0, 3:] = False
    mask[2, 4:] = False
    layer = layers.Bidirectional(layers.GRU(U, return_sequences=return_sequences),
                                 merge_mode=merge)
    out = layer(x, mask=mask)
    want = _manual_bidirectional(layer, x, mask, merge)
    for a, b in zip(out if merge is None else [out], want if merge is None else [want]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert layer.forward_layer.name.startswith("forward_")
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards


def test_bidirectional_states_config_and_errors():
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    layer = layers.Bidirectional(layers.LSTM(U, return_state=True))
    out = layer(x)
    assert len(out) == 5 and out[0].shape == (B, 2 * U)
    init = [rng.standard_normal((B, U)).astype(np.float32) for _ in range(4)]
    with_init = layer(x, initial_state=init)
    assert not np.allclose(with_init[0], out[0])
    config = layer.get_config()
    clone = layers.Bidirectional.from_config(config)
    assert clone.get_config()["merge_mode"] == "concat"
    assert layers.deserialize(layers.serialize(layer)).get_config() == config
    run_layer_test(layers.Bidirectional, {"layer": layers.SimpleRNN(2), "merge_mode": "sum"},
                   (2, T, D), (2, 2), expected_num_trainable_weights=6)
    with pytest.raises(ValueError, match="Invalid merge mode"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="different `go_backwards`"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))


def test_time_distributed_dense():
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    dense = layers.Dense(2)
    td = layers.TimeDistributed(dense)
    out = td(x)
    k, b = dense.get_weights()
    np.testing.assert_allclose(out, x @ k + b, rtol=1e-5, atol=1e-6)
    inp = keras.Input((None, D))
    y = layers.TimeDistributed(layers.Dense(3))(inp)
    assert tuple(y.shape.dims) == (None, None, 3)
    assert keras.Model(inp, y).predict(x, verbose=0).shape == (B, T, 3)
    run_layer_test(layers.TimeDistributed, {"layer": layers.Dense(2)}, (2, T, D), (2, T, 2),
                   expected_num_trainable_weights=2)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        layers.TimeDistributed(layers.Dense(2))(keras.Input((D,)))
