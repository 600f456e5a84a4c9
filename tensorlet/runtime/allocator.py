"""Keep glibc from trimming and re-growing the heap between kernel calls.

Kernels allocate temporaries of about a megabyte; with glibc's default thresholds those are
mmap'ed or trimmed back to the OS after every step, so each training step pays hundreds of
page faults (PERF-NOTES.md: a NumPy MLP step ran at half speed from this alone). Raising the
mmap and trim thresholds once keeps freed blocks in the heap for reuse. Resident memory then
stays at its high-water mark instead of shrinking between steps; peak memory is unchanged.
Set TENSORLET_TUNE_MALLOC=0 to leave the allocator alone.
"""
import ctypes
import ctypes.util
import logging
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_state = {"done": False}
log = logging.getLogger("tensorlet")


def tune_allocator():
    """Raise glibc's mmap/trim thresholds once per process (a no-op elsewhere)."""
    if _state["done"]:
        return
    _state["done"] = True
    if not sys.platform.startswith("linux") or os.environ.get("TENSORLET_TUNE_MALLOC") == "0":
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        ok = libc.mallopt(_M_MMAP_THRESHOLD, 1 << 30) and libc.mallopt(_M_TRIM_THRESHOLD, 1 << 31)
    except (OSError, AttributeError):
        ok = False
    log.debug("malloc thresholds %s", "raised" if ok else "left as they were (not glibc)")
