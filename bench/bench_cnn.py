"""CNN training throughput: tensorlet's `model.fit` against the installed peers, interleaved.

    python bench/bench_cnn.py [--rounds 3] [--seconds 8] [--variants] [--profile]

Model: Conv2D 32 3x3 relu -> MaxPooling2D -> Conv2D 64 3x3 relu -> MaxPooling2D -> Flatten ->
Dense 128 relu -> Dense 10 softmax on 28x28x1 random data, batch 128, Adam, sparse categorical
cross-entropy (the `cnn` workload of bench/worker.py, whose data this script reuses). Each round
runs tensorlet and every peer (PyTorch, Keras on TensorFlow, Keras on JAX, where installed) once,
each in its own process, one after the other (PERF-NOTES.md: this machine has fast and slow
phases, so only ratios within a round are compared); the table gives medians over rounds.
`--variants` adds tensorlet without the conv + pool fusion pass, without numba and with one
BLAS thread, to show what each contributes; `--profile` prints a cProfile of tensorlet's
training steps instead.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VARIANTS = {"tensorlet": {}, "tensorlet-unfused": {"TENSORLET_DISABLE_PASSES": "fuse"},
            "tensorlet-no-numba": {"TENSORLET_DISABLE_NUMBA": "1"},
            "tensorlet-1-blas-thread": {"OPENBLAS_NUM_THREADS": "1"}}


def build_model():
    """The benchmark CNN, compiled: the peers' own Keras program (bench/peers/keras_models.py)
    run on tensorlet, as the suite runs it."""
    from bench import tensorlet_models
    tensorlet_models.keras.utils.set_random_seed(0)
    return tensorlet_models.keras_models.compiled("cnn")


def measure(seconds):
    """Samples/s of tensorlet's fit over whole epochs after one warm-up epoch, timed exactly as
    the suite times every framework."""
    from bench import tensorlet_models
    from bench.worker import make_data
    return tensorlet_models.run("cnn", make_data("cnn"), seconds)


def profile(seconds):
    """cProfile of tensorlet's training epochs (after the warm-up), top functions by own time."""
    import cProfile
    import pstats
    from bench.worker import make_data
    data = make_data("cnn")
    model = build_model()
    x, y, bs = data["x"], data["y"], data["batch_size"]
    model.fit(x, y, batch_size=bs, epochs=1, verbose=0)
    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    epochs = 0
    while time.perf_counter() - start < seconds or epochs == 0:
        model.fit(x, y, batch_size=bs, epochs=1, verbose=0)
        epochs += 1
    prof.disable()
    print(f"{epochs * len(x) / (time.perf_counter() - start):,.0f} samples/s under the profiler")
    pstats.Stats(prof).sort_stats("tottime").print_stats(20)


def _run(cmd, env):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    if p.returncode != 0:
        return {"error": ((p.stderr or p.stdout).strip().splitlines() or ["?"])[-1]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def contenders(variants):
    """(label, command, env) for tensorlet (and its variants) and each installed peer."""
    from bench.peers import find_peers
    me = [sys.executable, str(Path(__file__).resolve()), "--one"]
    out = [(label, me, {**os.environ, **extra}) for label, extra in VARIANTS.items()
           if variants or label == "tensorlet"]
    found, missing = find_peers()
    for label, (python, env) in found.items():
        fw = "torch" if label == "torch" else "keras"
        out.append((label, [python, str(ROOT / "bench" / "worker.py"), "--framework", fw,
                            "--workload", "cnn"], env))
    for label, why in missing.items():
        print(f"peer {label}: missing ({why})", file=sys.stderr)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--variants", action="store_true",
                   help="also run tensorlet without fusion, without numba, with 1 BLAS thread")
    p.add_argument("--profile", action="store_true", help="profile tensorlet's training")
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.profile:
        return profile(args.seconds)
    if args.one:
        print(json.dumps(measure(args.seconds)))
        return None
    rows = []
    runs = contenders(args.variants)
    for r in range(args.rounds):
        row = {}
        for label, cmd, env in runs:
            extra = ["--seconds", str(args.seconds)] + (["--json"] if "worker.py" in cmd[1]
                                                        else [])
            rec = _run(cmd + extra, env)
            row[label] = rec.get("samples_per_s")
            print(f"round {r + 1} {label:20s} "
                  f"{rec.get('samples_per_s') or rec.get('error')}", file=sys.stderr, flush=True)
        rows.append(row)
    _table(rows, [label for label, _, _ in runs])
    return rows


def _table(rows, labels):
    peers = [lb for lb in labels if not lb.startswith("tensorlet")]
    print(f"{'framework':22s} {'samples/s (median)':>20s} {'vs tensorlet (median ratio)':>28s}")
    for lb in labels:
        vals = [r[lb] for r in rows if r.get(lb)]
        ratios = [r["tensorlet"] / r[lb] for r in rows if r.get(lb) and r.get("tensorlet")]
        med = f"{statistics.median(vals):,.0f}" if vals else "failed"
        rat = f"{statistics.median(ratios):.2f}x" if ratios and lb != "tensorlet" else ""
        print(f"{lb:22s} {med:>20s} {rat:>28s}")
    best = [max(r[p] for p in peers if r.get(p)) for r in rows
            if r.get("tensorlet") and any(r.get(p) for p in peers)]
    if best:
        ratio = statistics.median(r["tensorlet"] / b for r, b in zip(
            [r for r in rows if r.get("tensorlet") and any(r.get(p) for p in peers)], best))
        print(f"tensorlet / fastest peer, median over rounds: {ratio:.2f}x")


if __name__ == "__main__":
    main()
