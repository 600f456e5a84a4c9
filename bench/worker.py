"""Run one benchmark workload for one framework and print the result.

Run inside the framework's own environment, as a subprocess of the driver::

    python bench/worker.py --framework {torch,keras,tensorlet} \
        --workload {mlp,cnn,lstm,gru,eager_step,predict1,predict1024,import} --seconds S --json

Keras runs on whatever ``KERAS_BACKEND`` says. The worker makes the data (the same for every
framework), hands it to the framework's ``run(workload, data, seconds) -> dict`` (from
``bench/peers/torch_models.py``, ``bench/peers/keras_models.py`` or ``bench/tensorlet_models.py``,
imported only for that framework), and adds backend, versions and peak RSS. ``eager_step``
(a custom training step: eager vs ``tf.function`` for tensorlet, the training loop for torch)
runs for the frameworks in ``RUNS_ON`` only.
"""

import argparse
import importlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ("mlp", "cnn", "lstm", "gru")
WORKLOADS = TRAIN + ("eager_step", "predict1", "predict1024", "import", "first_step",
                     "install_size", "plan_overhead")
# Workloads that only some frameworks have (Keras's own loop is `fit`, measured by "mlp").
RUNS_ON = {"eager_step": ("tensorlet", "torch"), "plan_overhead": ("tensorlet",)}
# The distributions a user installs to get each framework (their requirements are followed).
DISTRIBUTIONS = {"torch": ["torch"], "tensorlet": ["tensorlet"],
                 "keras": ["keras", "tensorflow", "tensorflow-cpu", "jax", "jaxlib"]}
FIRST_STEP_MODELS = ("mlp", "cnn", "lstm")
MODULES = {"torch": "bench.peers.torch_models", "keras": "bench.peers.keras_models",
           "tensorlet": "bench.tensorlet_models"}
IMPORTS = {"torch": "torch", "keras": "keras", "tensorlet": "tensorlet"}
BATCH = 128
TRAIN_SAMPLES = BATCH * 50
SEED = 0


def make_data(workload):
    """MNIST-shaped random float32 data and int64 labels from a fixed seed.

    ``x`` is (n, 784) for the MLP workloads, (n, 28, 28, 1) for cnn (channels last) and
    (n, 28, 28) for lstm/gru; ``y`` is (n,) class indices in 0..9.
    """
    import numpy as np

    rng = np.random.default_rng(SEED)
    n = {"predict1": 1, "predict1024": 1024}.get(workload, TRAIN_SAMPLES)
    shape = {"cnn": (28, 28, 1), "lstm": (28, 28), "gru": (28, 28)}.get(workload, (784,))
    x = rng.random((n, *shape), dtype=np.float32)
    y = rng.integers(0, 10, size=n, dtype=np.int64)
    return {"x": x, "y": y, "batch_size": BATCH}


def time_import(module, runs=3):
    """Median seconds of ``import module`` and RSS (MB) after it, each in a fresh interpreter.

    One extra run first warms the disk cache (and writes the bytecode cache, as `pip install`
    would have: PYTHONDONTWRITEBYTECODE is dropped) and is not counted.
    """
    code = ("import resource, time, json; t = time.perf_counter(); import {m}; "
            "t = time.perf_counter() - t; "
            "print(json.dumps([t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))")
    out = []
    for _ in range(runs + 1):
        p = subprocess.run([sys.executable, "-c", code.format(m=module)], capture_output=True,
                           text=True, check=True, cwd=ROOT, env=with_bytecode())
        out.append(json.loads(p.stdout.strip().splitlines()[-1]))
    times, rss = zip(*out[1:])
    return {"import_s": statistics.median(times), "rss_after_import_mb": statistics.median(rss)}


def with_bytecode(env=None):
    """`env` (default: this process's) without PYTHONDONTWRITEBYTECODE, so that an installed
    package imports from .pyc files as it does after `pip install`."""
    env = dict(os.environ if env is None else env)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def time_first_step(framework, env=None):
    """Seconds from a fresh interpreter's start to the end of one training step of each of
    FIRST_STEP_MODELS (imports, model building, tracing and compilation included)."""
    code = ("import time; t = time.perf_counter(); import sys, importlib, json; "
            f"sys.path.insert(0, {str(ROOT)!r}); from bench import worker; "
            f"m = importlib.import_module(worker.MODULES[{framework!r}]); "
            f"[m.first_step(w, worker.make_data(w)) for w in {FIRST_STEP_MODELS!r}]; "
            "print(json.dumps(time.perf_counter() - t))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       cwd=ROOT, env=with_bytecode(env))
    return json.loads(p.stdout.strip().splitlines()[-1])


def first_step(framework):
    """`time_first_step`; for tensorlet with an empty numba cache, with the cache it left, and
    with numba disabled (NumPy kernels: nothing to compile)."""
    if framework != "tensorlet":
        return {"first_step_s": time_first_step(framework)}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, TENSORLET_CACHE_DIR=cache)
        env.pop("NUMBA_CACHE_DIR", None)
        cold = time_first_step(framework, env)
        warm = time_first_step(framework, env)
        plain = time_first_step(framework, dict(env, TENSORLET_DISABLE_NUMBA="1"))
    return {"first_step_s": warm, "first_step_cold_cache_s": cold,
            "first_step_without_numba_s": plain}


def plan_overhead(seconds):
    """Microseconds of a cached plan's run on a trivial graph (`c + 1`, and one fed value)."""
    import numpy as np

    import tensorlet as tf
    from bench.timing import per_call

    with tf.Graph().as_default():
        c = tf.constant(1.0)
        p = tf.placeholder(tf.float32, [])
        fetch_c, fetch_p = c + 1, p + 1
        one = np.float32(1)
        with tf.Session() as sess:
            return {"us_per_run": 1e6 * per_call(lambda: sess.run(fetch_c), seconds / 2),
                    "us_per_run_fed": 1e6 * per_call(lambda: sess.run(fetch_p, {p: one}),
                                                     seconds / 2)}


def versions(framework):
    """Versions of Python and the installed distributions that matter for ``framework``."""
    dists = {"torch": ["numpy", "torch"],
             "keras": ["numpy", "keras", "tensorflow", "tensorflow-cpu", "jax", "jaxlib"],
             "tensorlet": ["numpy", "numba", "tensorlet"]}[framework]
    found = {"python": platform.python_version()}
    for d in dists:
        try:
            found[d] = metadata.version(d)
        except metadata.PackageNotFoundError:
            pass
    return found


def run(framework, workload, seconds):
    """Run ``workload`` for ``framework`` and return the result record as a dict."""
    if framework not in RUNS_ON.get(workload, (framework,)):
        raise ValueError(f"workload {workload!r} runs on {', '.join(RUNS_ON[workload])} only, "
                         f"not {framework}")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    record = {"framework": framework, "workload": workload}
    if framework == "keras":
        record["backend"] = os.environ.get("KERAS_BACKEND", "tensorflow")
    else:
        record["backend"] = framework
    if workload == "import":
        record.update(time_import(IMPORTS[framework]))
    elif workload == "first_step":
        record.update(first_step(framework))
    elif workload == "install_size":
        from bench.install_size import installed_mb
        record.update(installed_mb(DISTRIBUTIONS[framework]))
    elif workload == "plan_overhead":
        record.update(plan_overhead(seconds))
    else:
        module = importlib.import_module(MODULES[framework])
        record.update(module.run(workload, make_data(workload), seconds))
    record["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    record["versions"] = versions(framework)
    record["cpus"] = os.cpu_count()
    return record


def main(argv=None):
    """Parse the command line, run the workload and print the result."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--framework", required=True, choices=sorted(MODULES))
    p.add_argument("--workload", required=True, choices=WORKLOADS)
    p.add_argument("--seconds", type=float, default=10.0, help="measuring time (default 10)")
    p.add_argument("--json", action="store_true", help="print one JSON line")
    args = p.parse_args(argv)
    record = run(args.framework, args.workload, args.seconds)
    if args.json:
        print(json.dumps(record), flush=True)
    else:
        for key, value in record.items():
            print(f"{key:>22}: {value}")


if __name__ == "__main__":
    main()
