"""tensorlet.keras on the MLP workload: `fit` samples/s and 1-sample `predict`/`model(x)` µs.

    python bench/bench_keras_mlp.py [--seconds 5] [--json]

The model is 784-512-relu-Dropout(0.5)-10-softmax, Adam (lr 1e-3), sparse categorical
cross-entropy, batch 128, on MNIST-shaped random data (6,400 samples; as bench/worker.py
makes it). `fit` is timed over whole epochs after one warm-up epoch; the one-sample figures are
medians over many calls after warm-up. Peers are compared by `python -m bench` (interleaved,
as ratios); this script reports tensorlet's own figures.
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tensorlet import keras  # noqa: E402

BATCH = 128
SAMPLES = BATCH * 50


def build():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(512, activation="relu"),
                              keras.layers.Dropout(0.5),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy")
    return model


def data():
    rng = np.random.default_rng(0)
    x = rng.random((SAMPLES, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=SAMPLES, dtype=np.int64)
    return x, y


def fit_samples_per_s(model, x, y, seconds):
    """(samples per wall second, samples per CPU second of this process) of whole `fit` epochs
    (default shuffling), after a warm-up epoch. On a busy machine the CPU-time figure (with
    OPENBLAS_NUM_THREADS=1) is the steadier one."""
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    epochs, start, cpu = 0, time.perf_counter(), time.process_time()
    while True:
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
        epochs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return epochs * len(x) / elapsed, epochs * len(x) / (time.process_time() - cpu)


def per_call_us(fn, seconds):
    """Median µs (wall, and CPU time of this process) of `fn()` over batches of 50 calls
    lasting about `seconds` in all."""
    for _ in range(20):
        fn()
    walls, cpus, deadline = [], [], time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        t, c = time.perf_counter(), time.process_time()
        for _ in range(50):
            fn()
        walls.append((time.perf_counter() - t) / 50 * 1e6)
        cpus.append((time.process_time() - c) / 50 * 1e6)
    return statistics.median(walls), statistics.median(cpus)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    x, y = data()
    model = build()
    wall, cpu = fit_samples_per_s(model, x, y, args.seconds)
    result = {"fit_samples_per_s": wall, "fit_samples_per_cpu_s": cpu}
    one = x[:1]
    for key, fn in (("predict1", lambda: model.predict(one, verbose=0)),
                    ("call1", lambda: model(one)),
                    ("predict_on_batch1", lambda: model.predict_on_batch(one))):
        result[key + "_us"], result[key + "_cpu_us"] = per_call_us(fn, args.seconds / 2)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"fit (784-512-10 MLP, Adam, batch {BATCH}): "
              f"{result['fit_samples_per_s']:,.0f} samples/s "
              f"({result['fit_samples_per_cpu_s']:,.0f} per CPU second)")
        for key, label in (("predict1_us", "model.predict(1 sample)"),
                           ("call1_us", "model(x) (1 sample)"),
                           ("predict_on_batch1_us", "model.predict_on_batch(1 sample)")):
            print(f"{label}: {result[key]:,.0f} µs ({result[key[:-3] + '_cpu_us']:,.0f} µs CPU)")


if __name__ == "__main__":
    main()
