"""tensorlet.keras on the recurrent workloads: `fit` samples/s of LSTM(128) -> Dense(10) and
GRU(128) -> Dense(10) on random (batch, 28, 28) data, batch 128, Adam, with the compiled gate
kernels (numba) and with the NumPy fallback (TENSORLET_DISABLE_NUMBA=1).

    python bench/bench_rnn.py [--seconds 5] [--rounds 3] [--peers] [--profile lstm] [--json]

The variants run interleaved (A B A B ...) for `--rounds` rounds and the medians are
reported, because this machine has fast and slow phases (PERF-NOTES.md). `--peers` adds the
installed peers (PyTorch, Keras on TensorFlow and on JAX, run by bench/worker.py in their own
environments) to every round and reports tensorlet's ratio to each, per round, as medians.
`--profile lstm|gru` prints a cProfile of a few numba-path epochs instead.
"""
import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import tensorlet_models  # noqa: E402
from bench.timing import timed_epochs  # noqa: E402
from bench.worker import make_data  # noqa: E402
from tensorlet import keras  # noqa: E402

BATCH = 128
WORKLOADS = ("lstm", "gru")


def build(workload):
    """The suite's model for `workload` (the peers' own Keras program, run on tensorlet)."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    return tensorlet_models.keras_models.compiled(workload)


def data():
    d = make_data("lstm")
    return d["x"], d["y"]


def fit_samples_per_s(model, x, y, seconds):
    """Samples/s of whole `fit` epochs, after a warm-up epoch."""
    epochs, elapsed = timed_epochs(
        lambda: model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0), seconds)
    return epochs * len(x) / elapsed


def measure(workload, numba, seconds, x, y):
    if numba:
        os.environ.pop("TENSORLET_DISABLE_NUMBA", None)
    else:
        os.environ["TENSORLET_DISABLE_NUMBA"] = "1"
    try:
        return fit_samples_per_s(build(workload), x, y, seconds)
    finally:
        os.environ.pop("TENSORLET_DISABLE_NUMBA", None)


def peer(label, python, env, workload, seconds):
    cmd = [python, str(ROOT / "bench" / "worker.py"), "--framework",
           "torch" if label == "torch" else "keras", "--workload", workload, "--seconds",
           str(seconds), "--json"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    if p.returncode != 0:
        return None
    return json.loads(p.stdout.strip().splitlines()[-1]).get("samples_per_s")


def profile(workload, x, y, top=25):
    model = build(workload)
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    prof = cProfile.Profile()
    prof.enable()
    model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0)
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--workloads", default="lstm,gru")
    p.add_argument("--peers", action="store_true", help="interleave the installed peers")
    p.add_argument("--profile", choices=WORKLOADS)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    x, y = data()
    if args.profile:
        profile(args.profile, x, y)
        return
    peers = {}
    if args.peers:
        from bench.peers import find_peers
        peers, missing = find_peers()
        for name, why in missing.items():
            print(f"# {name}: missing ({why})", file=sys.stderr)
    results = {}
    for workload in args.workloads.split(","):
        rows = {"numba": [], "numpy": []} | {k: [] for k in peers}
        for _ in range(args.rounds):
            rows["numba"].append(measure(workload, True, args.seconds, x, y))
            rows["numpy"].append(measure(workload, False, args.seconds, x, y))
            for label, (python, env) in peers.items():
                rows[label].append(peer(label, python, env, workload, args.seconds))
        out = {k: statistics.median(v) for k, v in rows.items() if all(v)}
        for label in peers:
            if all(rows[label]):
                out[f"ratio_vs_{label}"] = statistics.median(
                    a / b for a, b in zip(rows["numba"], rows[label]))
        results[workload] = out
    results["load_average"] = os.getloadavg()  # other processes skew every framework
    if args.json:
        print(json.dumps(results))
        return
    print(f"# load average during the run: {results.pop('load_average')}")
    for workload, out in results.items():
        for k, v in out.items():
            unit = "x" if k.startswith("ratio") else "samples/s"
            print(f"{workload:5s} {k:22s} {v:10.2f} {unit}")


if __name__ == "__main__":
    main()
