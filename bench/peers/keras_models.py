"""Keras 3 versions of the benchmark workloads, for any backend (set ``KERAS_BACKEND``).

``run(workload, data, seconds)`` builds the model, warms up (not timed), measures for about
``seconds`` and returns the metrics as a dict; ``data`` comes from ``bench/worker.py``.
Everything is as a user would write it: ``compile`` defaults (so XLA where Keras picks it),
``fit`` with its default shuffling, and default thread pools.
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet TensorFlow's start-up log

import keras
from keras import layers

from bench.timing import per_call


def build(workload):
    """The Sequential model for ``workload``, ending in a 10-way softmax."""
    if workload == "cnn":
        body = [keras.Input((28, 28, 1)),
                layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
                layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
                layers.Flatten(), layers.Dense(128, activation="relu")]
    elif workload in ("lstm", "gru"):
        body = [keras.Input((28, 28)), (layers.LSTM if workload == "lstm" else layers.GRU)(128)]
    else:
        body = [keras.Input((784,)), layers.Dense(512, activation="relu"), layers.Dropout(0.5)]
    return keras.Sequential(body + [layers.Dense(10, activation="softmax")])


class _EpochTimer(keras.callbacks.Callback):
    """Times whole epochs after the first (warm-up) one; stops training after ``seconds``."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds, self.start, self.epochs, self.elapsed = seconds, None, 0, 0.0

    def on_epoch_end(self, epoch, logs=None):
        """Start the clock after the warm-up epoch; afterwards count epochs until time is up."""
        now = time.perf_counter()
        if self.start is None:
            self.start = now
            return
        self.epochs += 1
        self.elapsed = now - self.start
        if self.elapsed >= self.seconds:
            self.model.stop_training = True


def compiled(workload):
    """``build(workload)`` compiled with Adam (lr 1e-3) and sparse categorical cross-entropy."""
    model = build(workload)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy")
    return model


def train(workload, data, seconds):
    """Samples/s of ``model.fit`` over whole epochs, after one warm-up epoch."""
    model = compiled(workload)
    timer = _EpochTimer(seconds)
    model.fit(data["x"], data["y"], batch_size=data["batch_size"], epochs=10**9, verbose=0,
              callbacks=[timer])
    return {"samples_per_s": timer.epochs * len(data["x"]) / timer.elapsed,
            "epochs": timer.epochs, "measured_s": timer.elapsed}


def first_step(workload, data):
    """One training step of a new model on the first batch (start-up cost, not speed)."""
    bs = data["batch_size"]
    compiled(workload).fit(data["x"][:bs], data["y"][:bs], batch_size=bs, epochs=1, verbose=0)


def _ready(out):
    """Wait for an asynchronously dispatched result (JAX); other backends are synchronous."""
    wait = getattr(out, "block_until_ready", None)
    return wait() if wait else out


def predict(workload, data, seconds):
    """MLP inference through ``model.predict`` and through a direct ``model(x)`` call."""
    model = compiled("mlp")
    x = data["x"]
    xt = keras.ops.convert_to_tensor(x)
    t_predict = per_call(lambda: model.predict(x, batch_size=len(x), verbose=0), seconds / 2)
    t_call = per_call(lambda: _ready(model(xt, training=False)), seconds / 2)
    if workload == "predict1":
        return {"us_per_call": t_predict * 1e6, "us_per_call_direct": t_call * 1e6}
    return {"samples_per_s": len(x) / t_predict, "samples_per_s_direct": len(x) / t_call}


def run(workload, data, seconds):
    """Run one workload; see the module docstring."""
    keras.utils.set_random_seed(0)
    fn = predict if workload.startswith("predict") else train
    return fn(workload, data, seconds)
