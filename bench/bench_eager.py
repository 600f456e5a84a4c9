"""Eager training step vs the same step under tf.function vs PyTorch eager, for the MLP.

    python bench/bench_eager.py [--rounds 5] [--steps 40] [--threads N] [--no-torch]

The model is 784-512-relu-10 trained with Adam (lr 1e-3) on random MNIST-shaped batches of 128,
written TF2-style: a Keras model, `tf.GradientTape` and `optimizer.apply_gradients` in a Python
function, run eagerly op by op, and the same function compiled with `tf.function` (one traced
plan per step). PyTorch (if its benchmark interpreter exists, see bench/peers) runs the same
network eagerly in its own process. Measurements are interleaved (eager, function, torch, eager,
...) because this machine has fast and slow phases (PERF-NOTES.md); the table gives medians of
samples/s (wall clock and per CPU-second of the measuring process) and the median per-round
ratios. `--threads 1` pins BLAS (and torch) to one thread: on a machine shared with other
work, samples per CPU-second then stay comparable.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--threads", type=int, default=0, help="BLAS/torch threads (0: default)")
    ap.add_argument("--no-torch", action="store_true")
    return ap.parse_args()


ARGS = _args() if __name__ == "__main__" else None
if ARGS is not None and ARGS.threads:  # before NumPy loads its BLAS
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tensorlet as tf  # noqa: E402
from tensorlet import keras  # noqa: E402

BATCH = 128
NBATCHES = 32

_TORCH = r"""
import json, sys, time
import numpy as np, torch
from torch import nn
steps = int(sys.argv[1])
if int(sys.argv[2]):
    torch.set_num_threads(int(sys.argv[2]))
rng = np.random.default_rng(1)
data = [(torch.from_numpy(rng.random((128, 784), dtype=np.float32)),
         torch.from_numpy(rng.integers(0, 10, 128))) for _ in range(32)]
model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
def step(x, y):
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return loss
for i in range(10):
    step(*data[i % 32])
t0, c0 = time.perf_counter(), time.process_time()
for i in range(steps):
    step(*data[i % 32])
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"wall": steps * 128 / wall, "cpu": steps * 128 / cpu}))
"""


def make_steps():
    """(eager step, tf.function step), each with its own model and optimizer."""
    def build():
        model = keras.Sequential([keras.layers.Dense(512, activation="relu"),
                                  keras.layers.Dense(10)])
        opt = keras.optimizers.Adam(1e-3)
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

        def step(x, y):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))
            return loss
        return step
    return build(), tf.function(build())


def data():
    rng = np.random.default_rng(1)
    return [(tf.constant(rng.random((BATCH, 784), dtype=np.float32)),
             tf.constant(rng.integers(0, 10, BATCH).astype(np.int32)))
            for _ in range(NBATCHES)]


def measure(step, batches, steps):
    """(samples per wall-clock second, samples per CPU-second of this process)."""
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(steps):
        step(*batches[i % len(batches)])
    return steps * BATCH / (time.perf_counter() - t0), \
        steps * BATCH / (time.process_time() - c0)


def torch_python():
    try:
        from bench.peers import find_peers
    except ImportError:
        return None
    found, _ = find_peers()
    return found.get("torch")


def measure_torch(peer, steps, threads):
    python, env = peer
    p = subprocess.run([python, "-c", _TORCH, str(steps), str(threads)], capture_output=True,
                       text=True, env=dict(env, **_thread_env()), timeout=600, check=False)
    if p.returncode != 0:
        print(f"torch failed: {(p.stderr or p.stdout).strip().splitlines()[-1:]}",
              file=sys.stderr)
        return None
    r = json.loads(p.stdout.strip().splitlines()[-1])
    return r["wall"], r["cpu"]


def _thread_env():
    return {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                       "MKL_NUM_THREADS") if k in os.environ}


def main(args):
    tf.enable_eager_execution()
    keras.utils.set_random_seed(0)
    eager, compiled = make_steps()
    batches = data()
    for step in (eager, compiled):  # warm up: trace, plan, numba compile or cache load
        measure(step, batches, 10)
    peer = None if args.no_torch else torch_python()
    if peer is None and not args.no_torch:
        print("torch: missing (no benchmark interpreter, see bench/peers)", file=sys.stderr)
    results = {"eager": [], "tf.function": [], "torch eager": []}
    for r in range(args.rounds):
        results["eager"].append(measure(eager, batches, args.steps))
        results["tf.function"].append(measure(compiled, batches, args.steps))
        if peer is not None:
            got = measure_torch(peer, args.steps, args.threads)
            if got is not None:
                results["torch eager"].append(got)
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1][0]:.0f}" for k, v in results.items()
                                              if len(v) == r + 1), file=sys.stderr)
    threads = args.threads or "default"
    print(f"MLP 784-512-relu-10, batch {BATCH}, Adam; {args.rounds} interleaved rounds x "
          f"{args.steps} steps; {threads} BLAS threads; load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"  {'variant':12s} {'samples/s':>10s} {'per CPU-s':>10s}")
    for name, rs in results.items():
        if rs:
            print(f"  {name:12s} {statistics.median(x[0] for x in rs):10.0f} "
                  f"{statistics.median(x[1] for x in rs):10.0f}")
        else:
            print(f"  {name:12s} {'missing':>10s}")

    def ratio(a, b):
        pairs = list(zip(results[a], results[b]))
        if not pairs:
            return "n/a"
        return f"{statistics.median(x[0] / y[0] for x, y in pairs):.2f}x"
    print(f"  per-round ratios: tf.function/eager {ratio('tf.function', 'eager')}, "
          f"eager/torch {ratio('eager', 'torch eager')}, "
          f"tf.function/torch {ratio('tf.function', 'torch eager')}")


if __name__ == "__main__":
    main(ARGS)
