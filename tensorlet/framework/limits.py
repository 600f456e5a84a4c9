"""A guard against absurd allocations (issue 9): an op whose output, by its inferred static
shape, would need more bytes than the machine's physical memory raises ResourceExhaustedError
when it is built (graph mode) or before its kernel runs (eager mode), naming the op, the
shape and the size, instead of asking NumPy for terabytes or leaving a variable initialiser
that fails inside a later, unrelated `run`.

The limit is the physical memory; the environment variable TENSORLET_MAX_TENSOR_BYTES or
`set_max_tensor_bytes(n)` changes it (None restores the default).
"""
import math
import os

from . import dtypes as _dt
from .errors import ResourceExhaustedError


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not POSIX: a fixed terabyte
        return 1 << 40


def _default_limit():
    env = os.environ.get("TENSORLET_MAX_TENSOR_BYTES")
    return int(env) if env else _physical_memory()


_state = {"bytes": _default_limit()}


def max_tensor_bytes():
    """The largest tensor, in bytes, an op may be built to produce."""
    return _state["bytes"]


def set_max_tensor_bytes(limit):
    """Set the limit in bytes (a positive int), or None for the default."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit <= 0):
        raise ValueError(f"The tensor size limit must be a positive number of bytes or None, "
                         f"got {limit!r}")
    _state["bytes"] = _default_limit() if limit is None else limit


def check_output_sizes(op_type, name, specs):
    """Raise ResourceExhaustedError when an output of `specs` ((shape, dtype) pairs, as an
    op's `infer` returns them) is bigger than the limit. Unknown dimensions count as 1, so a
    tensor already too big for a batch of one is refused too."""
    limit = _state["bytes"]
    for index, (shape, dtype) in enumerate(specs):
        dims = getattr(shape, "dims", shape)
        if not dims:
            continue
        # the common case: fully known, non-empty and small (no dtype exceeds 16 bytes)
        if None not in dims and 0 < math.prod(dims) * 16 <= limit:
            continue
        _check(op_type, name, index, dims, dtype, limit)


def _check(op_type, name, index, dims, dtype, limit):
    n, empty = 1, False  # n: the product of the known non-zero dimensions
    for d in dims:
        if d:
            n *= int(d)
        elif d is not None:
            empty = True
    if n * 16 <= limit:
        return
    size = n * _dt.as_dtype(dtype).np.itemsize
    if size <= limit or (empty and size < 2**63):  # an empty one NumPy can index is fine
        return
    shown = "(" + ", ".join("None" if d is None else str(d) for d in dims) + \
        ("," if len(dims) == 1 else "") + ")"
    what = "its non-zero dimensions would span" if empty else "it would need"
    raise ResourceExhaustedError(
        f"{op_type} op {name!r}: output {index} would have shape {shown} "
        f"({_dt.as_dtype(dtype).name}); {what} {_human(size)}, more than the "
        f"{_human(limit)} tensorlet allows for one tensor (the machine's memory; set "
        "TENSORLET_MAX_TENSOR_BYTES to change it). Nothing was allocated; check the "
        "shape (a units, filters or vocabulary size with extra digits?).")


def _human(n):
    if n < 1024:
        return f"{n} bytes"
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        n /= 1024
        if n < 1024 or unit == "EiB":
            return f"{n:.4g} {unit}"
