"""Sequential models: the seed program, add/pop, the ways to give the input shape, deferred
build, summary, get_layer, nesting and config round-trips."""
import io

import numpy as np
import pytest

from tensorlet import keras
from tensorlet.keras import layers


@pytest.fixture(autouse=True)
def _fresh_keras():
    keras.backend.clear_session(free_memory=False)
    yield


def seed_model():
    """The seed document's program, imports changed to tensorlet."""
    from tensorlet.keras.layers import Activation, Dense, Dropout
    from tensorlet.keras.models import Sequential
    model = Sequential()
    model.add(Dense(32, input_dim=784))
    model.add(Activation("relu"))
    model.add(Dropout(0.5))
    model.add(Dense(10))
    model.add(Activation("softmax"))
    return model


def test_seed_program_builds_the_expected_model():
    model = seed_model()
    assert model.built and model.input_shape == (None, 784) and model.output_shape == (None, 10)
    assert [type(layer).__name__ for layer in model.layers] == [
        "Dense", "Activation", "Dropout", "Dense", "Activation"]
    assert model.count_params() == 784 * 32 + 32 + 32 * 10 + 10
    probs = model.predict(np.random.default_rng(0).random((4, 784), np.float32), verbose=0)
    assert probs.shape == (4, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)


def test_input_shape_from_input_tensor_layer_kwargs_or_build():
    a = keras.Sequential([keras.Input((5,)), layers.Dense(2)])
    b = keras.Sequential([layers.Dense(2, input_shape=(5,))])
    c = keras.Sequential([layers.Dense(2, batch_input_shape=(8, 5))])
    d = keras.Sequential([layers.Dense(2)])
    assert not d.built
    d.build((None, 5))
    for model in (a, b, d):
        assert model.input_shape == (None, 5) and model.output_shape == (None, 2)
    assert c.input_shape == (8, 5)


def test_deferred_build_on_first_data():
    model = keras.Sequential([layers.Dense(3), layers.Dense(1)])
    assert not model.built and model.weights == []
    out = model(np.ones((2, 7), np.float32))
    assert out.shape == (2, 1) and model.built and model.input_shape == (None, 7)
    assert model.layers[0].get_weights()[0].shape == (7, 3)


def test_deferred_build_by_fit():
    model = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((8, 3), np.float32), np.ones((8, 1), np.float32), verbose=0)
    assert model.input_shape == (None, 3)


def test_add_and_pop():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3)])
    model.add(layers.Dense(2))
    assert model.output_shape == (None, 2)
    popped = model.pop()
    assert isinstance(popped, layers.Dense) and model.output_shape == (None, 3)
    assert len(model.layers) == 1
    model.pop()
    with pytest.raises(TypeError, match="no layers"):
        model.pop()


def test_add_rejects_non_layers_and_duplicate_names():
    model = keras.Sequential()
    with pytest.raises(ValueError, match="Only instances of `keras.Layer`"):
        model.add("dense")
    model.add(layers.Dense(2, name="same"))
    with pytest.raises(ValueError, match="unique names"):
        model.add(layers.Dense(2, name="same"))


def test_get_layer_by_name_and_index():
    model = seed_model()
    assert model.get_layer("dropout") is model.layers[2]
    assert model.get_layer(index=-1) is model.layers[-1]
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="index 9"):
        model.get_layer(index=9)


def test_summary_table():
    model = seed_model()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert lines[0] == 'Model: "sequential"'
    assert "Layer (type)" in text and "Output Shape" in text and "Param #" in text
    assert "dense (Dense)" in text and "(None, 32)" in text and "25,120" in text
    assert "activation_1 (Activation)" in text and "(None, 10)" in text
    assert " Total params: 25,450 (99.41 KB)" in lines
    assert " Trainable params: 25,450 (99.41 KB)" in lines
    assert " Non-trainable params: 0 (0.00 B)" in lines


def test_summary_of_unbuilt_model_and_frozen_layers(capsys):
    keras.Sequential([layers.Dense(2)]).summary()
    assert "0 (unbuilt)" in capsys.readouterr().out
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2), layers.Dense(1)])
    model.layers[0].trainable = False
    buffer = io.StringIO()
    model.summary(print_fn=lambda line: buffer.write(line + "\n"))
    assert " Trainable params: 3 (12.00 B)" in buffer.getvalue()
    assert " Non-trainable params: 8 (32.00 B)" in buffer.getvalue()


def test_model_call_on_numpy_and_predict_batches_agree():
    model = keras.Sequential([keras.Input((6,)), layers.Dense(5, activation="tanh"),
                              layers.Dense(2)])
    x = np.random.default_rng(1).standard_normal((70, 6)).astype(np.float32)
    full = model(x)
    assert isinstance(full, np.ndarray)
    np.testing.assert_allclose(model.predict(x, batch_size=16, verbose=0), full, rtol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x), full, rtol=1e-6)


def test_nested_sequential():
    inner = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu")])
    outer = keras.Sequential([keras.Input((4,)), inner, layers.Dense(1)])
    assert len(outer.weights) == 4
    x = np.ones((2, 4), np.float32)
    np.testing.assert_allclose(outer(x), outer.layers[1](inner(x)), rtol=1e-6)


def test_get_weights_set_weights_of_model():
    a, b = seed_model(), seed_model()
    b.set_weights(a.get_weights())
    x = np.random.default_rng(2).random((3, 784), np.float32)
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))


def test_config_round_trip():
    model = seed_model()
    config = model.get_config()
    assert [entry["class_name"] for entry in config["layers"]] == [
        "InputLayer", "Dense", "Activation", "Dropout", "Dense", "Activation"]
    clone = keras.Sequential.from_config(config)
    assert clone.input_shape == (None, 784)
    assert [type(layer) for layer in clone.layers] == [type(layer) for layer in model.layers]
    assert clone.get_config()["layers"][1]["config"] == config["layers"][1]["config"]
