"""BLAS threads that step aside when other processes need the cores.

NumPy's OpenBLAS runs one thread per core and its threads spin while they wait for work. On a
machine where other processes are busy, a GEMM then waits for a descheduled spinning thread:
measured on this project's 2-core machine with other work running, a 128x784x512 sgemm took
48 ms with two threads against 2.1 ms with one (PERF-NOTES.md), while on a quiet machine two
threads are ~1.6x faster than one. So while plans run, `adapt()` looks every half second at
how much CPU the *other* processes used (Linux /proc accounting) and gives OpenBLAS one thread
while they keep more than half a core busy, all threads otherwise.

The policy stays off when the user chose a thread count (OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS or TENSORLET_BLAS_THREADS, which fixes the count: a number, or 0 to leave
OpenBLAS alone), when NumPy's BLAS is not OpenBLAS, and off Linux.
"""
import ctypes
import glob
import logging
import os
import sys
import time

_INTERVAL = 0.5          # seconds between looks at the CPU accounting
_BUSY_OTHERS = 0.5       # cores the other processes must keep busy to go single-threaded
log = logging.getLogger("tensorlet")

# The thread-count setters of the OpenBLAS builds NumPy ships or links, by symbol name.
_SETTERS = (("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
            ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
            ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
            ("openblas_set_num_threads", "openblas_get_num_threads"))


class _Policy:
    """The adaptive state of this process: the OpenBLAS entry points and the last look."""

    def __init__(self):
        self.enabled = False
        self.set_threads = self.full = None
        self.current = None
        self.next_look = 0.0
        self.last = None        # (wall clock, all busy ticks, this process's ticks)

    def start(self):
        fixed = os.environ.get("TENSORLET_BLAS_THREADS")
        user_set = any(os.environ.get(v) for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"))
        if fixed == "0" or (user_set and fixed is None) or not sys.platform.startswith("linux"):
            return
        found = _openblas()
        if found is None:
            log.debug("BLAS thread policy off: NumPy's BLAS is not a known OpenBLAS")
            return
        self.set_threads, get_threads = found
        self.full = self.current = max(1, int(get_threads()))
        if fixed is not None:
            self.set_threads(_positive(fixed))
            return
        self.enabled = self.full > 1 and _sample() is not None

    def look(self, now):
        """Set the thread count from the other processes' CPU use since the last look."""
        self.next_look = now + _INTERVAL
        sample = _sample()
        if sample is None:
            self.enabled = False
            return
        previous, self.last = self.last, (now,) + sample
        if previous is None:
            return
        wall = now - previous[0]
        others = ((sample[0] - previous[1]) - (sample[1] - previous[2])) / _HZ / wall
        want = 1 if others > _BUSY_OTHERS else self.full
        if want != self.current:
            self.set_threads(want)
            self.current = want
            log.debug("BLAS threads -> %d (other processes used %.2f cores)", want, others)


def _positive(text):
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"TENSORLET_BLAS_THREADS must be a positive integer or 0, got {text!r}")
    return n


_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _sample():
    """(busy ticks of all CPUs, ticks of this process) from /proc, or None without it."""
    try:
        with open("/proc/stat", "rb") as f:
            cpu = f.readline().split()[1:]
        with open("/proc/self/stat", "rb") as f:
            mine = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal (guest time is already inside user/nice)
    ticks = [int(v) for v in cpu[:8]]
    busy = sum(ticks) - ticks[3] - (ticks[4] if len(ticks) > 4 else 0)  # minus idle, iowait
    return busy, int(mine[11]) + int(mine[12])                          # utime + stime


def _openblas():
    """(set_num_threads, get_num_threads) of the OpenBLAS NumPy uses, or None."""
    import numpy as np
    root = os.path.dirname(os.path.dirname(np.__file__))
    candidates = sorted(glob.glob(os.path.join(root, "numpy.libs", "*openblas*.so*")))
    candidates += [None]  # symbols already loaded into the process (a system OpenBLAS)
    for path in candidates:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for set_name, get_name in _SETTERS:
            setter, getter = getattr(lib, set_name, None), getattr(lib, get_name, None)
            if setter is not None and getter is not None:
                setter.argtypes = [ctypes.c_int]
                return setter, getter
    return None


_policy = None


def adapt():
    """Called before a plan runs: re-decide the BLAS thread count at most every half second."""
    global _policy
    if _policy is None:
        _policy = _Policy()
        _policy.start()
    if _policy.enabled:
        now = time.monotonic()
        if now >= _policy.next_look:
            _policy.look(now)


def current_threads():
    """The thread count the policy last gave OpenBLAS (None while it has not acted)."""
    return None if _policy is None else _policy.current
