"""tensorlet's side of the benchmark workloads: the peers' Keras program, run on tensorlet.

The models, data, compile arguments and timing are those of `bench/peers/keras_models.py`;
only the import changes (`keras` is tensorlet.keras), which is the point of tensorlet.
"""
import sys

from tensorlet import keras

sys.modules.setdefault("keras", keras)  # before importing the peers' Keras program

from bench.peers import keras_models  # noqa: E402


def predict(workload, data, seconds):
    """MLP inference through `model.predict` and a direct `model(x)` call on a NumPy array."""
    model = keras_models.compiled("mlp")
    x = data["x"]
    t_predict = keras_models._per_call(
        lambda: model.predict(x, batch_size=len(x), verbose=0), seconds / 2)
    t_call = keras_models._per_call(lambda: model(x, training=False), seconds / 2)
    if workload == "predict1":
        return {"us_per_call": t_predict * 1e6, "us_per_call_direct": t_call * 1e6}
    return {"samples_per_s": len(x) / t_predict, "samples_per_s_direct": len(x) / t_call}


def run(workload, data, seconds):
    """Run one workload (see bench/worker.py)."""
    keras.utils.set_random_seed(0)
    if workload.startswith("predict"):
        return predict(workload, data, seconds)
    return keras_models.train(workload, data, seconds)
