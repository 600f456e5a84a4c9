"""Trimming tensorlet's own frames from tracebacks of user-facing errors (on by default).

An error raised through `Session.run`, `fit` or `predict` shows the user's frames and the line
that raised, not the engine's internals. `disable_traceback_filtering()` (or the environment
variable TENSORLET_TRACEBACK_FILTERING=0) restores full tracebacks for debugging.
"""
import functools
import os
import types

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_state = {"enabled": os.environ.get("TENSORLET_TRACEBACK_FILTERING", "1") != "0"}


def enable_traceback_filtering():
    _state["enabled"] = True


def disable_traceback_filtering():
    _state["enabled"] = False


def is_traceback_filtering_enabled():
    return _state["enabled"]


def _trim(tb):
    """The traceback without frames from files inside the tensorlet package."""
    frames = []
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(_PKG_DIR):
            frames.append(tb)
        tb = tb.tb_next
    new = None
    for t in reversed(frames):
        new = types.TracebackType(new, t.tb_frame, t.tb_lasti, t.tb_lineno)
    return new


def filter_traceback(fn):
    """Decorator for user-facing entry points: re-raise errors with internal frames trimmed."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not _state["enabled"]:
            return fn(*args, **kwargs)
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            tb = _trim(e.__traceback__)
            e.__cause__ = None
            e.__suppress_context__ = True
            raise e.with_traceback(tb) from None
    return wrapper
