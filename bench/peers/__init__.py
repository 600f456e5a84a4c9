"""Peer frameworks for tensorlet's benchmarks, and where to find them.

The workloads live in ``torch_models`` and ``keras_models``; each runs inside its own virtual
environment, outside the repository, as a subprocess ``python bench/worker.py ...``.

:func:`peer_commands` says which peer interpreters exist on this machine. (It lives here rather
than in a ``bench/peers.py`` module: a module of that name would be shadowed by this package.)
"""

import os
import subprocess
import sys
from pathlib import Path

BENCHENV = Path("/work/benchenv")

# name -> (override env var, default interpreter, KERAS_BACKEND or None, modules it must have)
PEERS = {
    "torch": ("TENSORLET_BENCH_TORCH", BENCHENV / "torch/bin/python", None, ("torch",)),
    "keras-tf": ("TENSORLET_BENCH_TF", BENCHENV / "tf/bin/python", "tensorflow",
                 ("keras", "tensorflow")),
    "keras-jax": ("TENSORLET_BENCH_JAX", BENCHENV / "jax/bin/python", "jax", ("keras", "jax")),
}


def _has_modules(python, modules):
    """True if ``python`` runs and can find every one of ``modules`` (without importing them)."""
    code = ("import importlib.util, sys; "
            f"sys.exit(any(importlib.util.find_spec(m) is None for m in {modules!r}))")
    try:
        p = subprocess.run([python, "-c", code], capture_output=True, timeout=60, check=False)
        return p.returncode == 0
    except OSError:
        return False


def find_peers():
    """Return ``(found, missing)``: name -> (python, env) and name -> reason it is missing."""
    found, missing = {}, {}
    for name, (var, default, backend, modules) in PEERS.items():
        python = Path(os.environ.get(var) or default)
        if python.is_dir():
            python = python / "bin/python"
        if not (python.is_file() and os.access(python, os.X_OK)):
            missing[name] = f"no interpreter at {python} (set {var})"
        elif not _has_modules(str(python), modules):
            missing[name] = f"{python} lacks one of {', '.join(modules)} (set {var})"
        else:
            env = dict(os.environ)
            if backend:
                env["KERAS_BACKEND"] = backend
            found[name] = (str(python), env)
    return found, missing


def peer_commands(warn=True):
    """Return name -> (python executable, env dict) for the peers installed on this machine.

    Missing peers are left out and, with ``warn``, reported on stderr; none is ever faked.
    """
    found, missing = find_peers()
    if warn:
        for name, why in missing.items():
            print(f"bench: peer {name} missing: {why}", file=sys.stderr)
    return found
