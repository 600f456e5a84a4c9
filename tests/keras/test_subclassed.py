"""Subclassed models: layers made in `__init__`, math in `call`, the training argument,
tracked weights, build(input_shape), fit/evaluate/predict and summary."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers


@pytest.fixture(autouse=True)
def _fresh_keras():
    keras.backend.clear_session(free_memory=False)
    yield


class MLP(keras.Model):
    def __init__(self, hidden=16, classes=3, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(hidden, activation="relu")
        self.dropout = layers.Dropout(0.5)
        self.out = layers.Dense(classes, activation="softmax")

    def call(self, inputs, training=None):
        return self.out(self.dropout(self.hidden(inputs), training=training))


class Residual(keras.Model):
    """A list of blocks and core ops in call."""

    def __init__(self):
        super().__init__(name="residual")
        self.blocks = [layers.Dense(4) for _ in range(3)]

    def call(self, x):
        for block in self.blocks:
            x = x + tf.tanh(block(x))
        return x


def test_name_weights_and_layers_are_tracked():
    model = MLP()
    assert model.name == "mlp" and not model.built
    model(np.ones((2, 5), np.float32))
    assert model.built
    assert [layer.name for layer in model.layers] == ["dense", "dropout", "dense_1"]
    assert len(model.weights) == 4 and model.count_params() == 5 * 16 + 16 + 16 * 3 + 3
    residual = Residual()
    residual.build((None, 4))
    assert len(residual.layers) == 3 and len(residual.trainable_weights) == 6


def test_call_matches_numpy():
    model = Residual()
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    y = model(x)
    ref = x.astype(np.float64)
    for block in model.blocks:
        k, b = block.get_weights()
        ref = ref + np.tanh(ref @ k + b)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


def test_training_argument_switches_dropout():
    model = MLP(hidden=200)
    x = np.ones((4, 5), np.float32)
    np.testing.assert_array_equal(model(x), model(x))
    np.testing.assert_array_equal(model(x), model.predict(x, verbose=0))
    assert not np.allclose(model(x, training=True), model(x))


def test_fit_evaluate_predict():
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((96, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)
    model = MLP()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc > 0.7 and np.isfinite(loss)
    assert model.predict(x, verbose=0).shape == (96, 3)


def test_model_with_list_input_structure():
    class TwoInputs(keras.Model):
        def __init__(self):
            super().__init__()
            self.a = layers.Dense(2)
            self.b = layers.Dense(2)

        def call(self, inputs):
            left, right = inputs
            return self.a(left) + self.b(right)
    model = TwoInputs()
    out = model([np.ones((3, 4), np.float32), np.ones((3, 5), np.float32)])
    assert out.shape == (3, 2)
    model.compile(optimizer="sgd", loss="mse")
    model.fit([np.ones((8, 4)), np.ones((8, 5))], np.zeros((8, 2)), verbose=0, batch_size=4)


def test_user_build_method_runs_first():
    class WithBuild(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(3)

        def build(self, input_shape):
            self.offset = self.add_weight(shape=(input_shape[-1],), initializer="ones",
                                          name="offset")

        def call(self, x):
            return self.dense(x + self.offset)
    model = WithBuild()
    model(np.zeros((1, 2), np.float32))
    assert [w.path for w in model.weights][0].endswith("offset")
    assert len(model.weights) == 3


def test_summary_of_subclassed_model():
    model = MLP()
    model.build((None, 5))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "mlp"' in text and "dense (Dense)" in text
    assert " Total params: 147 (588.00 B)" in lines


def test_build_without_shape_needs_one():
    with pytest.raises(ValueError, match="input shape"):
        MLP().build()


def test_a_build_calling_super_build_marks_the_model_built():
    """The Keras idiom `def build(self, input_shape): ...; super().build(input_shape)`."""
    class Model(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(), initializer="ones")
            super().build(input_shape)

        def call(self, x):
            return self.dense(x) * self.scale

    built = Model()
    built.build((None, 3))  # Keras 3: super().build marks it built; Dense builds when called
    assert built.built and len(built.weights) == 1
    assert built(np.ones((1, 3), np.float32)).shape == (1, 2) and len(built.weights) == 3
    called = Model()
    assert called(np.ones((1, 3), np.float32)).shape == (1, 2)
    called.compile("sgd", "mse")
    called.fit(np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32), verbose=0)
