"""Clipping: clip_by_value, clip_by_norm, global_norm, clip_by_global_norm, composites of
core ops with TF 1.x's exact formulas (their gradients follow from the parts)."""
from tensorlet.framework.graph import TensorLike, name_scope

from .array import identity, ones_like
from .base import as_tensor, binary_operands
from .math import cast, maximum, minimum, multiply, sqrt, truediv, where
from .reduction import reduce_sum


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """min(max(t, clip_value_min), clip_value_max) elementwise; the result keeps t's shape (the
    bounds may be scalars or broadcast to t). Gradient passes where min <= t <= max."""
    with name_scope(name, "clip_by_value") as scope:
        t = as_tensor(t)
        lo = binary_operands(t, clip_value_min, "clip_by_value")[1]
        hi = binary_operands(t, clip_value_max, "clip_by_value")[1]
        out = maximum(minimum(t, hi), lo)
        if not out.shape.is_compatible_with(t.shape):
            raise ValueError(f"clip_by_value: the bounds (shapes {lo.shape} and {hi.shape}) "
                             f"must not broadcast t (shape {t.shape}) to a larger shape")
        return identity(out, name=scope.rstrip("/") + "/")


def _l2sum(t, axes=None, keepdims=True):
    return reduce_sum(t * t, axes, keepdims=keepdims)


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """t * clip_norm / max(||t||_2, clip_norm): rescaled so that its L2 norm over `axes` (all
    axes by default) is at most clip_norm."""
    with name_scope(name, "clip_by_norm") as scope:
        t = as_tensor(t)
        clip_norm = binary_operands(t, clip_norm, "clip_by_norm")[1]
        l2sum = _l2sum(t, axes)
        positive = l2sum > 0
        safe = where(positive, l2sum, ones_like(l2sum))  # no sqrt'(0) = inf in the gradient
        l2norm = where(positive, sqrt(safe), l2sum)
        return identity(truediv(t * clip_norm, maximum(l2norm, clip_norm)),
                        name=scope.rstrip("/") + "/")


def _check_list(t_list, what):
    if isinstance(t_list, TensorLike) or not isinstance(t_list, (list, tuple)):
        raise TypeError(f"{what}: t_list should be a sequence of tensors, got "
                        f"{type(t_list).__name__}")


def global_norm(t_list, name=None):
    """sqrt(sum of the squared L2 norms of the tensors in t_list); None entries are skipped."""
    _check_list(t_list, "global_norm")
    with name_scope(name, "global_norm") as scope:
        ts = [as_tensor(t) for t in t_list if t is not None]
        if not ts:
            raise ValueError("global_norm: t_list has no tensors")
        from tensorlet.framework import dtypes as _dt
        dt = ts[0].dtype
        for t in ts[1:]:
            dt = _dt.promote(dt, t.dtype)
        sums = [cast(_l2sum(t, keepdims=False), dt) for t in ts]
        from .math import add_n
        return sqrt(add_n(sums), name=scope.rstrip("/") + "/")


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Scale every tensor by clip_norm / max(global_norm, clip_norm); returns (the clipped list,
    with None entries kept, and the global norm). A non-finite norm makes every entry NaN,
    as in TF."""
    _check_list(t_list, "clip_by_global_norm")
    with name_scope(name, "clip_by_global_norm"):
        norm = global_norm(t_list) if use_norm is None else as_tensor(use_norm)
        clip_norm = binary_operands(norm, clip_norm, "clip_by_global_norm")[1]
        scale = clip_norm * minimum(1.0 / norm, 1.0 / clip_norm)
        scale = scale + (norm - norm)  # inf/NaN norm -> NaN scale
        out = []
        for i, t in enumerate(t_list):
            if t is None:
                out.append(None)
                continue
            t = as_tensor(t)
            s = scale if scale.dtype is t.dtype else cast(scale, t.dtype)
            out.append(identity(multiply(t, s), name=f"clip_by_global_norm_{i}"))
        return out, norm


__all__ = ["clip_by_global_norm", "clip_by_norm", "clip_by_value", "global_norm"]
