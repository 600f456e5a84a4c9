"""Timing loops shared by the benchmark workloads and the stand-alone bench scripts.

Only the standard library: the peers import it inside their own environments.
"""
import time


def per_call(fn, seconds, warmup=20):
    """Mean seconds per call of `fn()` over about `seconds`, after `warmup` calls."""
    for _ in range(warmup):
        fn()
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(10):
            fn()
        calls += 10
    return elapsed / calls


def timed_epochs(epoch, seconds):
    """(epochs, elapsed seconds) of whole `epoch()` runs after one warm-up run, repeated until
    `seconds` have been measured."""
    epoch()
    epochs, start = 0, time.perf_counter()
    while True:
        epoch()
        epochs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return epochs, elapsed
