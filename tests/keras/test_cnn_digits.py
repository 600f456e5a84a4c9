"""The issue's CNN on the bundled 8x8 digits: Conv2D 32 3x3 relu same -> MaxPooling2D ->
Conv2D 64 3x3 relu same -> Flatten -> Dense 10 softmax reaches >= 0.97 test accuracy."""
import numpy as np

from tensorlet import keras
from tensorlet.keras import layers


def test_cnn_reaches_97_percent_on_digits():
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    (x, y), (xt, yt) = keras.datasets.digits.load_data()
    x = (x / 16.0).astype(np.float32)[..., None]
    xt = (xt / 16.0).astype(np.float32)[..., None]
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        layers.Conv2D(32, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu", padding="same"),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=12, verbose=0)
    _, acc = model.evaluate(xt, yt, verbose=0)
    assert acc >= 0.97, acc
