"""Raw-ops MLP training through Session.run, and the cost of one trivial Session.run.

    python bench/bench_session_mlp.py [--rounds 7] [--steps 60]

Trains 784-512-relu-10 with tf.train.AdamOptimizer on random MNIST-shaped batches of 128,
written with core ops only (no Keras), and reports samples/s with the numba Adam kernel and
with the NumPy update path (TENSORLET_DISABLE_NUMBA=1), measured interleaved (A B A B ...,
PERF-NOTES.md: this machine has fast and slow phases) with medians and the per-pair ratio.
Samples per CPU-second of this process are shown too: with OPENBLAS_NUM_THREADS=1 they stay
meaningful when other processes share the cores. Also reports the microseconds of
`sess.run(c + 1)` on a constant.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tensorlet as tf
from bench.timing import per_call

BATCH = 128


def build(seed=0):
    rng = np.random.default_rng(seed)
    x = tf.placeholder(tf.float32, [None, 784])
    y = tf.placeholder(tf.int64, [None])

    def glorot(a, b):
        return (rng.uniform(-1, 1, (a, b)) * np.sqrt(6 / (a + b))).astype(np.float32)

    w1, b1 = tf.Variable(glorot(784, 512)), tf.Variable(tf.zeros([512]))
    w2, b2 = tf.Variable(glorot(512, 10)), tf.Variable(tf.zeros([10]))
    logits = tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
                                                                         logits=logits))
    train = tf.train.AdamOptimizer(1e-3).minimize(loss)
    return x, y, loss, train


def batches(n=32, seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.random((BATCH, 784), dtype=np.float32), rng.integers(0, 10, BATCH))
            for _ in range(n)]


def samples_per_second(sess, x, y, train, data, steps):
    """(samples per wall-clock second, samples per CPU-second of this process)."""
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(steps):
        bx, by = data[i % len(data)]
        sess.run(train, {x: bx, y: by})
    return (steps * BATCH / (time.perf_counter() - t0),
            steps * BATCH / (time.process_time() - c0))


def trivial_run_us(seconds=1.0):
    """Mean µs of `sess.run(c + 1)` over about `seconds` (after warm-up calls)."""
    g = tf.Graph()
    with g.as_default():
        out = tf.constant(1.0) + 1
    with tf.Session(graph=g) as sess:
        return per_call(lambda: sess.run(out), seconds) * 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=60)
    args = ap.parse_args()
    x, y, loss, train = build()
    data = batches()
    paths = {"numba": "0", "numpy": "1"}
    results = {p: [] for p in paths}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for p, flag in paths.items():  # warm up: plan, numba compile or cache load, BLAS
            os.environ["TENSORLET_DISABLE_NUMBA"] = flag
            samples_per_second(sess, x, y, train, data, 10)
        for _ in range(args.rounds):
            for p, flag in paths.items():
                os.environ["TENSORLET_DISABLE_NUMBA"] = flag
                results[p].append(samples_per_second(sess, x, y, train, data, args.steps))
        final = sess.run(loss, {x: data[0][0], y: data[0][1]})
    os.environ.pop("TENSORLET_DISABLE_NUMBA", None)
    ratios = [a[0] / b[0] for a, b in zip(results["numba"], results["numpy"])]
    print(f"MLP 784-512-relu-10, batch {BATCH}, Adam, Session.run per step "
          f"({args.rounds} interleaved rounds x {args.steps} steps; final loss {final:.3f}; "
          f"load average {os.getloadavg()[0]:.1f})")
    for p, r in results.items():
        wall, cpu = [x[0] for x in r], [x[1] for x in r]
        print(f"  {p:6s} update path: median {statistics.median(wall):8.0f} samples/s "
              f"(min {min(wall):.0f}, max {max(wall):.0f}); "
              f"{statistics.median(cpu):.0f} samples per CPU-second")
    print(f"  numba/numpy per-pair ratio: median {statistics.median(ratios):.3f}")
    print(f"trivial Session.run (constant + 1): {trivial_run_us():.2f} us per call")


if __name__ == "__main__":
    main()
