"""Every plan pass on the seed's model families: the benchmark's MLP (with dropout), CNN, LSTM
and GRU, and the seed's Keras example, train to the same weights and predict the same values
with all passes on as with TENSORLET_DISABLE_PASSES=all (folding, CSE, the dense and conv
fusions, DCE), on random inputs."""
import numpy as np
import pytest

from tensorlet import keras
from tensorlet.keras import layers

RNG = np.random.default_rng(5)


def _mlp():
    return [keras.Input((20,)), layers.Dense(16, activation="relu"), layers.Dropout(0.5),
            layers.Dense(3, activation="softmax")]


def _cnn():
    return [keras.Input((12, 12, 1)), layers.Conv2D(4, 3, activation="relu"),
            layers.MaxPooling2D(2), layers.Conv2D(8, 3, activation="relu"),
            layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(8, activation="relu"),
            layers.Dense(3, activation="softmax")]


def _rnn(cell):
    return lambda: [keras.Input((5, 3)), cell(8), layers.Dense(3, activation="softmax")]


def _seed():
    return [keras.Input((6,)), layers.Dense(8, activation="relu"),
            layers.Dense(8, activation="sigmoid"), layers.Dense(3, activation="softmax")]


MODELS = {"mlp": (_mlp, (20,)), "cnn": (_cnn, (12, 12, 1)), "lstm": (_rnn(layers.LSTM), (5, 3)),
          "gru": (_rnn(layers.GRU), (5, 3)), "seed": (_seed, (6,))}


def _train_and_predict(build, x, y):
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(11)
    model = keras.Sequential(build())
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    return model.get_weights(), model.predict(x, verbose=0), history.history["loss"]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_passes_do_not_change_training_or_predictions(name, monkeypatch):
    build, shape = MODELS[name]
    x = RNG.random((48,) + shape, dtype=np.float32)
    y = RNG.integers(0, 3, 48)
    monkeypatch.setenv("TENSORLET_DISABLE_PASSES", "all")
    ref_w, ref_p, ref_loss = _train_and_predict(build, x, y)
    monkeypatch.setenv("TENSORLET_DISABLE_PASSES", "")
    got_w, got_p, got_loss = _train_and_predict(build, x, y)
    for a, b in zip(got_w, ref_w):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_p, ref_p, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_loss, ref_loss, rtol=1e-5)
