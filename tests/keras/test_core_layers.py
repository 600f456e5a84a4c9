"""Dense, Activation, Dropout, Flatten: outputs against NumPy float64 references, gradients
through each layer, the layer contract and config round-trips."""
import numpy as np
import pytest
from layer_contract import check_layer_gradients, run_layer_test

from tensorlet import keras
from tensorlet.keras import layers


@pytest.fixture(autouse=True)
def _fresh_keras():
    keras.backend.clear_session(free_memory=False)
    yield


def _relu(x):
    return np.maximum(x, 0)


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# -- Dense ----------------------------------------------------------------------------------


@pytest.mark.parametrize("activation,ref", [(None, lambda z: z), ("relu", _relu),
                                            ("tanh", np.tanh), ("softmax", _softmax)])
def test_dense_matches_numpy(activation, ref):
    layer = layers.Dense(4, activation=activation)
    x = np.random.default_rng(1).standard_normal((3, 5)).astype(np.float32)
    y = layer(x)
    w, b = (v.astype(np.float64) for v in layer.get_weights())
    np.testing.assert_allclose(y, ref(x.astype(np.float64) @ w + b), rtol=1e-5, atol=1e-6)
    assert y.dtype == np.float32


def test_dense_on_rank3_input_uses_last_axis():
    layer = layers.Dense(2, use_bias=False)
    x = np.random.default_rng(2).standard_normal((2, 3, 4)).astype(np.float32)
    y = layer(x)
    (w,) = layer.get_weights()
    assert y.shape == (2, 3, 2) and len(layer.weights) == 1
    np.testing.assert_allclose(y, np.einsum("btk,ku->btu", x, w), rtol=1e-5, atol=1e-6)


def test_dense_default_initializers_and_integer_inputs():
    layer = layers.Dense(3)
    y = layer(np.arange(8).reshape(2, 4))  # integer data is cast to float32
    kernel, bias = layer.get_weights()
    limit = np.sqrt(6 / (4 + 3))  # glorot_uniform
    assert np.all(np.abs(kernel) <= limit) and np.all(bias == 0)
    np.testing.assert_allclose(y, np.arange(8).reshape(2, 4) @ kernel, rtol=1e-5)


def test_dense_gradients():
    check_layer_gradients(layers.Dense(3, activation="tanh", dtype="float64"),
                          np.random.default_rng(3).standard_normal((4, 5)))


def test_dense_gradients_rank3():
    check_layer_gradients(layers.Dense(2, dtype="float64"),
                          np.random.default_rng(4).standard_normal((2, 3, 4)))


def test_dense_contract():
    run_layer_test(layers.Dense, {"units": 3, "activation": "relu"}, (2, 5), (2, 3),
                   expected_num_trainable_weights=2, expected_num_non_trainable_weights=0)
    run_layer_test(layers.Dense, {"units": 2, "use_bias": False,
                                  "kernel_regularizer": "l2", "kernel_constraint": "non_neg"},
                   (2, 3, 4), (2, 3, 2), expected_num_trainable_weights=1)


def test_dense_config_names_keras_fields():
    config = layers.Dense(7, activation="relu", name="d").get_config()
    assert config["units"] == 7 and config["activation"] == "relu" and config["name"] == "d"
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["bias_initializer"]["class_name"] == "Zeros"
    for key in ("use_bias", "kernel_regularizer", "bias_regularizer", "kernel_constraint",
                "bias_constraint", "trainable", "dtype"):
        assert key in config
    clone = layers.Dense.from_config(config)
    assert clone.get_config() == config


def test_dense_invalid_units():
    for bad in (0, -3, 2.5, "8", True):
        with pytest.raises(ValueError, match="units"):
            layers.Dense(bad)


# -- Activation -------------------------------------------------------------------------------


@pytest.mark.parametrize("name,ref", [("relu", _relu), ("tanh", np.tanh),
                                      ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
                                      ("softmax", _softmax), ("linear", lambda z: z)])
def test_activation_matches_numpy(name, ref):
    x = np.random.default_rng(5).standard_normal((3, 6)).astype(np.float32)
    np.testing.assert_allclose(layers.Activation(name)(x), ref(x.astype(np.float64)),
                               rtol=1e-5, atol=1e-6)


def test_activation_accepts_callables_and_round_trips():
    layer = layers.Activation(keras.activations.relu)
    assert layer.get_config()["activation"] == "relu"
    run_layer_test(layers.Activation, {"activation": "softmax"}, (2, 4), (2, 4),
                   expected_num_trainable_weights=0)


def test_activation_gradients():
    check_layer_gradients(layers.Activation("softmax", dtype="float64"),
                          np.random.default_rng(6).standard_normal((3, 4)))
    check_layer_gradients(layers.Activation("tanh", dtype="float64"),
                          np.random.default_rng(7).standard_normal((2, 3, 2)))


def test_activation_unknown_name_lists_known():
    with pytest.raises(ValueError, match="relu"):
        layers.Activation("no_such_activation")


# -- Dropout ----------------------------------------------------------------------------------


def test_dropout_is_identity_at_inference():
    x = np.random.default_rng(8).standard_normal((4, 10)).astype(np.float32)
    layer = layers.Dropout(0.5)
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer(x, training=False), x)


def test_dropout_in_training_zeroes_and_rescales():
    x = np.ones((200, 50), np.float32)
    y = layers.Dropout(0.3)(x, training=True)
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert 0.25 < 1 - kept.mean() < 0.35


def test_dropout_seed_repeats_and_masks_change_between_calls():
    x = np.ones((20, 20), np.float32)
    a = layers.Dropout(0.5, seed=3)
    first, second = a(x, training=True), a(x, training=True)
    assert not np.array_equal(first, second)  # a fresh mask per call
    keras.backend.clear_session(free_memory=False)
    b = layers.Dropout(0.5, seed=3)
    np.testing.assert_array_equal(b(x, training=True), first)


def test_dropout_rate_zero_and_one():
    x = np.ones((3, 4), np.float32)
    np.testing.assert_array_equal(layers.Dropout(0.0)(x, training=True), x)
    np.testing.assert_array_equal(layers.Dropout(1.0)(x, training=True), np.zeros_like(x))


def test_dropout_noise_shape_shares_the_mask():
    x = np.ones((4, 6, 3), np.float32)
    y = layers.Dropout(0.5, noise_shape=(None, 1, 3), seed=1)(x, training=True)
    assert np.all(y == y[:, :1, :])


def test_dropout_contract_and_errors():
    run_layer_test(layers.Dropout, {"rate": 0.25, "seed": 2}, (2, 5), (2, 5),
                   expected_num_trainable_weights=0)
    for bad in (-0.1, 1.5, "0.5"):
        with pytest.raises(ValueError, match="rate"):
            layers.Dropout(bad)


def test_dropout_gradient_uses_the_same_mask():
    check_layer_gradients(layers.Dropout(0.0, dtype="float64"),
                          np.random.default_rng(9).standard_normal((3, 4)), training=True)


# -- Flatten ----------------------------------------------------------------------------------


def test_flatten_matches_numpy():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    np.testing.assert_array_equal(layers.Flatten()(x), x.reshape(2, -1))


def test_flatten_channels_first_moves_channels_last():
    x = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    y = layers.Flatten(data_format="channels_first")(x)
    np.testing.assert_array_equal(y, np.transpose(x, (0, 2, 1)).reshape(2, -1))


def test_flatten_rank1_and_unknown_dims():
    np.testing.assert_array_equal(layers.Flatten()(np.arange(3.0)), [[0.0], [1.0], [2.0]])
    inp = keras.Input((None, 3))
    out = layers.Flatten()(inp)
    assert tuple(out.shape.dims) == (None, None)
    model = keras.Model(inp, out)
    assert model(np.ones((2, 5, 3), np.float32)).shape == (2, 15)


def test_flatten_contract_and_gradients():
    run_layer_test(layers.Flatten, {}, (2, 3, 4), (2, 12), expected_num_trainable_weights=0)
    check_layer_gradients(layers.Flatten(dtype="float64"),
                          np.random.default_rng(10).standard_normal((2, 2, 3)))
