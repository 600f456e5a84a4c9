"""Numerics checks and assertions: check_numerics, Assert and the assert_* family (TF 1.x).

An assertion is an op without outputs: run it, or make other ops depend on it with
`tf.control_dependencies`. Where both operands are known at build time, a failing
`assert_*` raises at once, as TF 1.x does.
"""
import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.graph import Tensor, get_default_graph, name_scope

from .base import apply, as_tensor, declare

# -- CheckNumerics ----------------------------------------------------------------------------


def _check_numerics_spec(inputs, attrs):
    x = inputs[0]
    if not x.dtype.is_floating:
        raise TypeError(f"check_numerics expects a floating-point tensor, got {x.dtype.name}")
    return [(x.shape, x.dtype)]


def _check_numerics_kernel(attrs, x):
    if not np.isfinite(x).all():
        nan, inf = bool(np.isnan(x).any()), bool(np.isinf(x).any())
        what = "NaN and Inf" if nan and inf else ("NaN" if nan else "Inf")
        raise InvalidArgumentError(f"{attrs['message']} : Tensor had {what} values")
    return x


def _check_numerics_grad(op, grads, needed):
    return [check_numerics(grads[0], "Not a number (NaN) or infinity (Inf) values detected in "
                           f"gradient. {op.attrs['message']}")]


declare("CheckNumerics", _check_numerics_spec, _check_numerics_kernel,
        grad=_check_numerics_grad,
        samples=lambda: [([np.random.randn(2, 3)], {"message": "sample"})])


def check_numerics(tensor, message, name=None):
    """`tensor` unchanged; running it raises InvalidArgumentError if it holds NaN or Inf."""
    if not isinstance(message, str):
        raise TypeError(f"check_numerics: message must be a string, got {type(message).__name__}")
    return apply("CheckNumerics", [as_tensor(tensor)], {"message": message}, name=name)


def verify_tensor_all_finite(t, msg, name=None, x=None, message=None):
    """TF 1.x spelling of check_numerics (`tf.verify_tensor_all_finite(t, msg)`)."""
    return check_numerics(t if x is None else x, msg if message is None else message, name)


def add_check_numerics_ops():
    """One op checking every float tensor of the default graph built so far for NaN/Inf."""
    from .control import _CARRIED, group
    g = get_default_graph()
    checks = []
    for op in list(g.get_operations()):
        for t in op.outputs:
            if t.dtype.is_floating and t not in _CARRIED:  # values inside cond branches
                checks.append(check_numerics(t, f"{op.name}:{t.value_index}"))
    return group(*checks, name="CheckNumerics")


# -- Assert -----------------------------------------------------------------------------------


def _assert_spec(inputs, attrs):
    c = inputs[0]
    if c.dtype is not _dt.bool_ or c.shape.ndims not in (None, 0):
        raise TypeError(f"Assert: condition must be a bool scalar, got {c.dtype.name} "
                        f"{c.shape}")
    return []


def _summary(v, n):
    flat = np.asarray(v).reshape(-1)
    items = " ".join(str(e) for e in flat[:n])
    return items + (" ..." if flat.size > n else "")


def _assert_kernel(attrs, cond, *data):
    if not cond:
        parts = [item if isinstance(item, str) else _summary(data[item], attrs["summarize"])
                 for item in attrs["data"]]
        raise InvalidArgumentError("assertion failed: " + " ".join(f"[{p}]" for p in parts))
    return ()


declare("Assert", _assert_spec, _assert_kernel)


def Assert(condition, data, summarize=None, name=None):
    """An op raising InvalidArgumentError with `data` (strings and tensors) if not condition."""
    tensors, spec = [], []
    for item in data:
        if isinstance(item, str):
            spec.append(item)
        else:
            spec.append(len(tensors))
            tensors.append(as_tensor(item))
    return get_default_graph().create_op(
        "Assert", [as_tensor(condition)] + tensors,
        {"data": spec, "summarize": 3 if summarize is None else int(summarize)},
        name=name or "Assert")


def _static_value(t):
    return t.constant_value() if isinstance(t, Tensor) else None


def _binary_assert(test, symbol, default_name):
    """assert_<relation>(x, y, ...): an Assert op over all elements of test(x, y)."""
    def assert_fn(x, y, data=None, summarize=None, message=None, name=None):
        from .base import binary_operands
        from .reduction import reduce_all
        with name_scope(name, default_name):
            x, y = binary_operands(x, y, default_name)
            if data is None:
                data = [f"Condition x {symbol} y did not hold element-wise:",
                        f"x ({x.name}) = ", x, f"y ({y.name}) = ", y]
            if message is not None:
                data = [message] + list(data)
            xs, ys = _static_value(x), _static_value(y)
            if xs is not None and ys is not None and not np.all(test(np, xs, ys)):
                raise InvalidArgumentError(_static_message(data, summarize))
            return Assert(reduce_all(test(_math(), x, y)), data, summarize)
    assert_fn.__name__ = default_name
    assert_fn.__doc__ = f"An Assert op checking x {symbol} y for every element."
    return assert_fn


def _static_message(data, summarize):
    """The message a failing Assert would give, for a failure known at build time."""
    n = 3 if summarize is None else int(summarize)
    parts = []
    for item in data:
        if isinstance(item, str):
            parts.append(item)
        else:
            v = _static_value(item)
            parts.append(_summary(v, n) if v is not None else getattr(item, "name", str(item)))
    return "assertion failed: " + " ".join(f"[{p}]" for p in parts)


def _math():
    from . import math
    return math


assert_equal = _binary_assert(lambda m, x, y: m.equal(x, y), "==", "assert_equal")
assert_less = _binary_assert(lambda m, x, y: m.less(x, y), "<", "assert_less")
assert_greater = _binary_assert(lambda m, x, y: m.greater(x, y), ">", "assert_greater")


def assert_positive(x, data=None, summarize=None, message=None, name=None):
    """An Assert op checking x > 0 for every element."""
    x = as_tensor(x)
    data = data if data is not None else [
        "Condition x > 0 did not hold element-wise:", f"x ({x.name}) = ", x]
    return assert_greater(x, 0, data, summarize, message, name or "assert_positive")


def assert_non_negative(x, data=None, summarize=None, message=None, name=None):
    """An Assert op checking x >= 0 for every element."""
    x = as_tensor(x)
    data = data if data is not None else [
        "Condition x >= 0 did not hold element-wise:", f"x ({x.name}) = ", x]
    return _assert_ge(x, 0, data, summarize, message, name or "assert_non_negative")


_assert_ge = _binary_assert(lambda m, x, y: m.greater_equal(x, y), ">=",
                            "assert_greater_equal")
assert_greater_equal = _assert_ge


__all__ = [
    "Assert",
    "add_check_numerics_ops",
    "assert_equal",
    "assert_greater",
    "assert_greater_equal",
    "assert_less",
    "assert_non_negative",
    "assert_positive",
    "check_numerics",
    "verify_tensor_all_finite",
]
