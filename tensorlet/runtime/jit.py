"""numba, the one way: imported lazily, serial kernels, `error_model='numpy'` (divisions stay
vectorisable), cached on disk in NUMBA_CACHE_DIR, else TENSORLET_CACHE_DIR/numba, else
~/.cache/tensorlet/numba. TENSORLET_DISABLE_NUMBA=1 makes every fused kernel use its NumPy
fallback (the tests run both paths)."""
import os


# Below this many elements a fused kernel's NumPy fallback costs microseconds, while the first
# compiled call imports numba and LLVM (~130 MB resident, a few tenths of a second): kernels
# that check `worth_compiling` leave small calls (single-sample inference) to NumPy.
MIN_COMPILED_SIZE = 1 << 14


def worth_compiling(size):
    """Whether an array of `size` elements should go through a compiled kernel."""
    return size >= MIN_COMPILED_SIZE and numba_enabled()


def numba_enabled():
    """Whether compiled kernels may be used (the user has not disabled them)."""
    return os.environ.get("TENSORLET_DISABLE_NUMBA") != "1"


def cache_dir():
    d = os.environ.get("TENSORLET_CACHE_DIR")
    return os.path.join(d, "numba") if d else os.path.join(
        os.path.expanduser("~"), ".cache", "tensorlet", "numba")


def njit():
    """The numba decorator with tensorlet's settings; ImportError when numba is missing."""
    if not os.environ.get("NUMBA_CACHE_DIR"):
        os.environ["NUMBA_CACHE_DIR"] = cache_dir()
    import numba
    from numba.core import config
    if not config.CACHE_DIR:  # numba was imported before the variable was set
        config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]
    return numba.njit(cache=True, error_model="numpy", nogil=True)


def compiled(build, memo):
    """`build()`'s kernels, built once and kept in `memo`; None when numba is missing."""
    if "k" not in memo:
        try:
            memo["k"] = build()
        except ImportError:
            memo["k"] = None
    return memo["k"]
