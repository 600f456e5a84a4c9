"""Recurrent models that must learn: an LSTM on the bundled digits read as 8 steps of 8
features, and Embedding(mask_zero) + Bidirectional GRU on "does token 7 appear"."""
import numpy as np

from tensorlet import keras
from tensorlet.keras import backend, layers
from tensorlet.keras.datasets import digits


def test_lstm_learns_digits_as_sequences():
    backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    (x, y), (xt, yt) = digits.load_data()
    x, xt = x.astype("float32") / 16, xt.astype("float32") / 16  # (n, 8 steps, 8 features)
    model = keras.Sequential([keras.Input((8, 8)), layers.LSTM(64),
                              layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.005), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=30, batch_size=64, verbose=0)
    _, accuracy = model.evaluate(xt, yt, verbose=0)
    assert accuracy >= 0.95


def _token_task(n, rng, length=12):
    """Padded (post, id 0) sequences of ids 1..9; label: whether id 7 occurs."""
    lengths = rng.integers(3, length + 1, n)
    x = np.zeros((n, length), "int32")
    for i, k in enumerate(lengths):
        x[i, :k] = rng.choice([1, 2, 3, 4, 5, 6, 8, 9], k)
    has = rng.random(n) < 0.5
    for i in np.flatnonzero(has):
        x[i, rng.integers(0, lengths[i])] = 7
    return x, has.astype("float32")[:, None]


def test_embedding_bidirectional_gru_learns_token_presence():
    backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y = _token_task(2000, rng)
    xt, yt = _token_task(500, rng)
    model = keras.Sequential([keras.Input((None,), dtype="int32"),
                              layers.Embedding(10, 8, mask_zero=True),
                              layers.Bidirectional(layers.GRU(16)),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=8, batch_size=64, verbose=0)
    _, accuracy = model.evaluate(xt, yt, verbose=0)
    assert accuracy >= 0.95
