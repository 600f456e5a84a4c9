"""Run-time shape checks: `x` passed through unchanged once its shape is proven right.

The Keras loss/metric shape rule proves shapes at build time where it can; where a dimension
(typically the batch axis) is unknown, `check_shapes_match(y_true, y_pred)` makes the check
one cheap op of the plan instead of a Shape/Equal/All/Assert chain. A mismatch raises
InvalidArgumentError naming both run-time shapes; gradients pass through to `x`.
"""
import numpy as np

from tensorlet.framework.errors import InvalidArgumentError
from .base import apply, as_tensor, declare


def _shape_text(shape):
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _check_spec(inputs, attrs):
    x = inputs[0]
    return [(x.shape, x.dtype)]


def _fits(shape, target, allow_ones):
    if not allow_ones:
        return shape == target
    return len(shape) <= len(target) and all(a in (1, b) for a, b in zip(shape, target))


def _check_kernel(attrs, x, like):
    target = like.shape[:like.ndim - attrs["drop_last"]]
    if not _fits(x.shape, target, attrs["allow_ones"]):
        raise InvalidArgumentError(attrs["message"].format(
            x=_shape_text(x.shape), like=_shape_text(like.shape)))
    return x


declare("CheckShapesMatch", _check_spec, _check_kernel,
        grad=lambda op, g, needed: [g[0], None], nondiff_inputs=(1,),
        samples=lambda: [([np.random.randn(3, 2), np.zeros((3, 2))],
                          {"message": "{x} {like}", "drop_last": 0, "allow_ones": 0}),
                         ([np.random.randn(3), np.zeros((3, 4))],
                          {"message": "{x} {like}", "drop_last": 1, "allow_ones": 0}),
                         ([np.random.randn(3, 1), np.zeros((3, 4))],
                          {"message": "{x} {like}", "drop_last": 0, "allow_ones": 1})])


def check_shapes_match(x, like, message, drop_last=False, allow_ones=False, name=None):
    """`x` unchanged; running it raises InvalidArgumentError with `message` (`{x}` and
    `{like}` filled with the run-time shapes) unless x's shape equals like's (without like's
    last axis when `drop_last`; with `allow_ones`, x may also have size 1 on an axis, or
    fewer axes, as sample weights may)."""
    return apply("CheckShapesMatch", [as_tensor(x), as_tensor(like)],
                 {"message": str(message), "drop_last": int(bool(drop_last)),
                  "allow_ones": int(bool(allow_ones))}, name=name)


__all__ = ["check_shapes_match"]
