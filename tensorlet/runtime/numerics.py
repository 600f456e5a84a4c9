"""`enable_check_numerics()`: every op checks its float outputs for NaN/Inf and raises naming the
op type, the layer (name scope), dtype, shape and the user's line that created it."""
import numpy as np

from tensorlet.framework.errors import InvalidArgumentError

_state = {"enabled": False}


def enable_check_numerics():
    _state["enabled"] = True


def disable_check_numerics():
    _state["enabled"] = False


def is_enabled():
    return _state["enabled"]


def check_outputs(op, values):
    """Raise InvalidArgumentError when a float output of plan node `op` holds NaN or Inf."""
    for index, v in enumerate(values):
        if isinstance(v, np.ndarray) and v.dtype.kind == "f" and not np.isfinite(v).all():
            what = "NaN" if np.isnan(v).any() else "Inf"
            scope = op.name.rsplit("/", 1)[0] if "/" in op.name else None
            where = f" in layer/scope {scope!r}" if scope else ""
            raise InvalidArgumentError(
                f"check_numerics: {op.type} op {op.name!r}{where} produced {what} in output "
                f"{index} ({v.dtype}, shape {v.shape}); the op was created at "
                f"{op.traceback}", op=op)
