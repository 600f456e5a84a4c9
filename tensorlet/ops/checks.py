"""Run-time shape assertions: ops with no outputs that raise InvalidArgumentError when run.

Used as control dependencies where static shapes could not prove a rule at build time (the
Keras loss/metric shape rule checks y_true against y_pred this way when the batch axis is
unknown). The message names both run-time shapes.
"""
from tensorlet.framework.errors import InvalidArgumentError
from .base import as_tensor, declare


def _assert_spec(inputs, attrs):
    return []


def _shape_text(shape):
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _assert_kernel(attrs, a, b):
    expected = b.shape[:len(b.shape) - attrs["drop_last"]]
    if a.shape != expected:
        raise InvalidArgumentError(attrs["message"].format(a=_shape_text(a.shape),
                                                           b=_shape_text(b.shape)))
    return ()


declare("AssertShapesMatch", _assert_spec, _assert_kernel)


def assert_shapes_match(a, b, message, drop_last=False, name=None):
    """An op that raises `message` (with `{a}` and `{b}` filled by the two run-time shapes)
    unless a's shape equals b's shape (without b's last axis when `drop_last`)."""
    a, b = as_tensor(a), as_tensor(b)
    return a.graph.create_op("AssertShapesMatch", [a, b],
                             {"message": str(message), "drop_last": int(bool(drop_last))},
                             name=name)


__all__ = ["assert_shapes_match"]
