"""tensorlet's side of the benchmark workloads: the peers' Keras program, run on tensorlet.

The models, data, compile arguments and timing are those of `bench/peers/keras_models.py`;
only the import changes (`keras` is tensorlet.keras), which is the point of tensorlet.
`eager_step` is TF 2's custom training loop on the same MLP (PyTorch's training loop is the
eager peer): the step run eagerly op by op, and the same step compiled with `tf.function`.
"""
import sys
import time

import tensorlet as tf
from tensorlet import keras

sys.modules.setdefault("keras", keras)  # before importing the peers' Keras program

from bench.peers import keras_models  # noqa: E402
from bench.peers.keras_models import first_step  # noqa: E402,F401  (the same Keras program)
from bench.timing import per_call  # noqa: E402


def predict(workload, data, seconds):
    """MLP inference through `model.predict` and a direct `model(x)` call on a NumPy array."""
    model = keras_models.compiled("mlp")
    x = data["x"]
    t_predict = per_call(lambda: model.predict(x, batch_size=len(x), verbose=0), seconds / 2)
    t_call = per_call(lambda: model(x, training=False), seconds / 2)
    if workload == "predict1":
        return {"us_per_call": t_predict * 1e6, "us_per_call_direct": t_call * 1e6}
    return {"samples_per_s": len(x) / t_predict, "samples_per_s_direct": len(x) / t_call}


def _custom_step():
    """A training step written TF 2-style (GradientTape, apply_gradients) on its own copy of
    PyTorch's MLP (784-512-relu-dropout 0.5-10, logits into the cross-entropy) and Adam."""
    layers = keras.layers
    model = keras.Sequential([keras.Input((784,)), layers.Dense(512, activation="relu"),
                              layers.Dropout(0.5), layers.Dense(10)])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    opt = keras.optimizers.Adam(learning_rate=1e-3)

    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss
    return step


def eager_step(data, seconds):
    """Samples/s of the custom step eagerly and under tf.function, over whole epochs of
    preloaded batches: one warm-up epoch each (trace, plan, numba), then alternating epochs
    (this machine has fast and slow phases) until `seconds` have been measured in all."""
    with tf.eager_mode():
        steps = {"eager": _custom_step(), "function": tf.function(_custom_step())}
        x, y, bs = data["x"], data["y"], data["batch_size"]
        batches = [(tf.constant(x[i:i + bs]), tf.constant(y[i:i + bs]))
                   for i in range(0, len(x), bs)]

        def epoch(step):
            for xb, yb in batches:
                step(xb, yb)
            return time.perf_counter()

        elapsed = dict.fromkeys(steps, 0.0)
        epochs = dict.fromkeys(steps, -1)  # the first epoch warms up
        while sum(elapsed.values()) < seconds or min(epochs.values()) < 1:
            for name, step in steps.items():
                start = time.perf_counter()
                end = epoch(step)
                epochs[name] += 1
                if epochs[name] > 0:
                    elapsed[name] += end - start
    per_s = {k: epochs[k] * len(x) / elapsed[k] for k in steps}
    return {"samples_per_s": per_s["eager"], "samples_per_s_function": per_s["function"],
            "epochs": epochs["eager"], "epochs_function": epochs["function"],
            "measured_s": sum(elapsed.values())}


def run(workload, data, seconds):
    """Run one workload (see bench/worker.py)."""
    keras.utils.set_random_seed(0)
    if workload.startswith("predict"):
        return predict(workload, data, seconds)
    if workload == "eager_step":
        return eager_step(data, seconds)
    return keras_models.train(workload, data, seconds)
