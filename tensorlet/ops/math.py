"""Elementwise math, matmul, comparisons, logic and casts: each op's rules side by side."""
import math as _pymath

import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.shapes import TensorShape, broadcast_static
from .array import sum_to
from .base import (apply, as_tensor, binary_operands, broadcast_spec, compare_spec, declare,
                   float_unary_spec, unary_spec)

_rng = np.random.default_rng(0)


def _pos(*shape):
    return _rng.uniform(0.5, 2.0, shape)


def _any(*shape):
    return _rng.standard_normal(shape)


def _unit(*shape):
    return _rng.uniform(-0.9, 0.9, shape)


def _above_one(*shape):
    return _rng.uniform(1.2, 3.0, shape)


# -- Cast -----------------------------------------------------------------------------------


def _cast_spec(inputs, attrs):
    src, dst = inputs[0].dtype, attrs["DstT"]
    if (src is _dt.string) != (dst is _dt.string):
        raise TypeError(f"cannot cast {src.name} to {dst.name} (casts between strings and "
                        "numbers are not supported)")
    return [(inputs[0].shape, dst)]


def _cast_grad(op, g, needed):
    src, dst = op.inputs[0].dtype, op.attrs["DstT"]
    if src.is_floating and dst.is_floating:
        return [cast(g[0], src)]
    return [None]


declare("Cast", _cast_spec, lambda attrs, x: x.astype(attrs["DstT"].np, copy=False),
        grad=_cast_grad, samples=lambda: [([_any(3, 4)], {"DstT": _dt.float64})])


def cast(x, dtype, name=None):
    """Convert to `dtype`; float -> int truncates toward zero (as TF)."""
    dtype = _dt.as_dtype(dtype)
    x = as_tensor(x)
    if x.dtype is dtype:
        return x
    return apply("Cast", [x], {"DstT": dtype}, name=name)


def to_float(x, name=None):
    return cast(x, _dt.float32, name)


def to_int32(x, name=None):
    return cast(x, _dt.int32, name)


# -- Unary elementwise ------------------------------------------------------------------------


def _unary(op_type, fn, grad, spec=float_unary_spec, domain=_any, tol=1.0):
    declare(op_type, spec, lambda attrs, x: fn(x), grad=grad, check_tol=tol,
            samples=lambda: [([domain(3, 4)], {}), ([domain(5)], {})])

    def wrapper(x, name=None):
        return apply(op_type, [as_tensor(x)], name=name)
    wrapper.__name__ = op_type.lower()
    wrapper.__doc__ = f"Elementwise {op_type.lower()} (op type {op_type})."
    return wrapper


def _numeric(t):
    if t.dtype.is_bool or t.dtype is _dt.string:
        raise TypeError(f"expected numeric operands, got {t.dtype.name} (cast it with tf.cast "
                        "first)")


def _numeric_unary_spec(inputs, attrs):
    _numeric(inputs[0])
    return unary_spec(inputs, attrs)


def _numeric_binary_spec(inputs, attrs):
    _numeric(inputs[0])
    _numeric(inputs[1])
    return broadcast_spec(inputs, attrs)


def _x(op):
    return op.inputs[0]


def _y(op):
    return op.outputs[0]


def _erf(x):
    # frompyfunc gives a Python float, not an array, for a 0-d input
    return np.asarray(np.frompyfunc(_pymath.erf, 1, 1)(x), dtype=x.dtype)


negative = _unary("Neg", np.negative, lambda op, g, n: [-g[0]], spec=_numeric_unary_spec)
neg = negative
abs = _unary("Abs", np.abs, lambda op, g, n: [g[0] * sign(_x(op))], spec=unary_spec)
square = _unary("Square", np.square, lambda op, g, n: [g[0] * (2 * _x(op))], spec=unary_spec)
sqrt = _unary("Sqrt", np.sqrt, lambda op, g, n: [g[0] * 0.5 / _y(op)], domain=_pos)
rsqrt = _unary("Rsqrt", lambda x: 1 / np.sqrt(x),
               lambda op, g, n: [g[0] * (-0.5 * _y(op) * _y(op) * _y(op))], domain=_pos)
reciprocal = _unary("Reciprocal", np.reciprocal,
                    lambda op, g, n: [-g[0] * _y(op) * _y(op)], domain=_pos)
exp = _unary("Exp", np.exp, lambda op, g, n: [g[0] * _y(op)])
log = _unary("Log", np.log, lambda op, g, n: [g[0] / _x(op)], domain=_pos)
log1p = _unary("Log1p", np.log1p, lambda op, g, n: [g[0] / (1 + _x(op))], domain=_pos)
expm1 = _unary("Expm1", np.expm1, lambda op, g, n: [g[0] * (_y(op) + 1)])
sin = _unary("Sin", np.sin, lambda op, g, n: [g[0] * cos(_x(op))])
cos = _unary("Cos", np.cos, lambda op, g, n: [-g[0] * sin(_x(op))])
tan = _unary("Tan", np.tan, lambda op, g, n: [g[0] * (1 + _y(op) * _y(op))])
tanh = _unary("Tanh", np.tanh, lambda op, g, n: [g[0] * (1 - _y(op) * _y(op))])
sinh = _unary("Sinh", np.sinh, lambda op, g, n: [g[0] * cosh(_x(op))])
cosh = _unary("Cosh", np.cosh, lambda op, g, n: [g[0] * sinh(_x(op))])
asin = _unary("Asin", np.arcsin, lambda op, g, n: [g[0] * rsqrt(1 - square(_x(op)))],
              domain=_unit)
acos = _unary("Acos", np.arccos, lambda op, g, n: [-g[0] * rsqrt(1 - square(_x(op)))],
              domain=_unit)
atan = _unary("Atan", np.arctan, lambda op, g, n: [g[0] / (1 + square(_x(op)))])
asinh = _unary("Asinh", np.arcsinh, lambda op, g, n: [g[0] / cosh(_y(op))])
acosh = _unary("Acosh", np.arccosh, lambda op, g, n: [g[0] / sinh(_y(op))], domain=_above_one)
atanh = _unary("Atanh", np.arctanh, lambda op, g, n: [g[0] / (1 - square(_x(op)))],
               domain=_unit)
erf = _unary("Erf", _erf, lambda op, g, n: [
    g[0] * (2 / np.sqrt(np.pi)) * exp(-square(_x(op)))])


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1)  # stable for large |x|, no overflow warnings


sigmoid = _unary("Sigmoid", _sigmoid, lambda op, g, n: [g[0] * _y(op) * (1 - _y(op))])
sign = _unary("Sign", np.sign, lambda op, g, n: [g[0] * 0], spec=_numeric_unary_spec)
round = _unary("Round", np.round, None, spec=unary_spec)
floor = _unary("Floor", np.floor, None)
ceil = _unary("Ceil", np.ceil, None)
is_nan = _unary("IsNan", np.isnan, None, spec=lambda i, a: [(i[0].shape, _dt.bool_)])
is_finite = _unary("IsFinite", np.isfinite, None, spec=lambda i, a: [(i[0].shape, _dt.bool_)])
is_inf = _unary("IsInf", np.isinf, None, spec=lambda i, a: [(i[0].shape, _dt.bool_)])


def _logical_not_spec(inputs, attrs):
    if not inputs[0].dtype.is_bool:
        raise TypeError(f"expected a bool input, got {inputs[0].dtype.name}")
    return [(inputs[0].shape, _dt.bool_)]


logical_not = _unary("LogicalNot", np.logical_not, None, spec=_logical_not_spec)


# -- Binary elementwise -------------------------------------------------------------------------


def _binary(op_type, fn, grad, spec=broadcast_spec, domain=(_any, _any), tol=1.0):
    dx, dy = domain
    declare(op_type, spec, lambda attrs, x, y: fn(x, y), grad=grad, check_tol=tol,
            samples=lambda: [([dx(3, 4), dy(3, 4)], {}), ([dx(2, 3, 4), dy(4)], {}),
                             ([dx(3, 1), dy(1, 4)], {})])

    def wrapper(x, y, name=None):
        x, y = binary_operands(x, y, op_type)
        return apply(op_type, [x, y], name=name)
    wrapper.__name__ = op_type.lower()
    wrapper.__doc__ = f"Elementwise {op_type} with broadcasting and dtype promotion."
    return wrapper


def _xy(op):
    return op.inputs


def _add_grad(op, g, n):
    x, y = _xy(op)
    return [sum_to(g[0], x) if n[0] else None, sum_to(g[0], y) if n[1] else None]


def _sub_grad(op, g, n):
    x, y = _xy(op)
    return [sum_to(g[0], x) if n[0] else None, sum_to(-g[0], y) if n[1] else None]


def _mul_grad(op, g, n):
    x, y = _xy(op)
    return [sum_to(g[0] * y, x) if n[0] else None, sum_to(g[0] * x, y) if n[1] else None]


def _div_grad(op, g, n):
    x, y = _xy(op)
    return [sum_to(g[0] / y, x) if n[0] else None,
            sum_to(-g[0] * x / (y * y), y) if n[1] else None]


def _pow_grad(op, g, n):
    x, y = _xy(op)
    z = op.outputs[0]
    gx = sum_to(g[0] * y * pow(x, y - 1), x) if n[0] else None
    gy = None
    if n[1]:
        safe_log = where_v2(x > 0, log(where_v2(x > 0, x, ones_like(x))), zeros_like(x))
        gy = sum_to(g[0] * z * safe_log, y)
    return [gx, gy]


def _minmax_grad(pick_x):
    def grad(op, g, n):
        x, y = _xy(op)
        mask = pick_x(x, y)
        zero = zeros_like(g[0])
        return [sum_to(where_v2(mask, g[0], zero), x) if n[0] else None,
                sum_to(where_v2(mask, zero, g[0]), y) if n[1] else None]
    return grad


def _mod_grad(op, g, n):
    x, y = _xy(op)
    return [sum_to(g[0], x) if n[0] else None,
            sum_to(-g[0] * floor(x / y), y) if n[1] else None]


def _int_checked(fn):
    """fn for integer operands that raises on a zero divisor (NumPy would give 0 silently)."""
    def kernel(x, y):
        if x.dtype.kind in "iu" and not np.all(y):
            raise InvalidArgumentError("Integer division by zero")
        return fn(x, y)
    return kernel


def _np_floordiv(x, y):
    return np.floor_divide(x, y) if x.dtype.kind != "f" else np.floor(x / y)


def _np_truncatediv(x, y):
    if x.dtype.kind == "f":
        return np.trunc(x / y)
    q = np.floor_divide(x, y)  # exact for every integer; round toward zero where it floored
    return q + ((np.remainder(x, y) != 0) & ((x < 0) != (y < 0))).astype(q.dtype)


add = _binary("AddV2", np.add, _add_grad)
subtract = _binary("Sub", np.subtract, _sub_grad, spec=_numeric_binary_spec)
sub = subtract
multiply = _binary("Mul", np.multiply, _mul_grad)
mul = multiply
_realdiv = _binary("RealDiv", np.divide, _div_grad, domain=(_any, _pos))
pow = _binary("Pow", np.power, _pow_grad, spec=_numeric_binary_spec, domain=(_pos, _any))


def _float_binary_spec(inputs, attrs):
    for t in inputs:
        if not t.dtype.is_floating:
            raise TypeError(f"expected floating-point operands, got {t.dtype.name} (cast it "
                            "with tf.cast first)")
    return broadcast_spec(inputs, attrs)


def _atan2_grad(op, g, n):
    y, x = _xy(op)
    scale = g[0] / (square(x) + square(y))
    return [sum_to(scale * x, y) if n[0] else None, sum_to(-scale * y, x) if n[1] else None]


declare("Atan2", _float_binary_spec, lambda attrs, y, x: np.arctan2(y, x), grad=_atan2_grad,
        samples=lambda: [([_any(3, 4), _pos(3, 4)], {}), ([_any(2, 3, 4), _pos(4)], {})])


def atan2(y, x, name=None):
    """The angle of the point (x, y) in (-pi, pi], elementwise with broadcasting."""
    y, x = binary_operands(y, x, "Atan2")
    return apply("Atan2", [y, x], name=name)
maximum = _binary("Maximum", np.maximum, _minmax_grad(lambda x, y: x >= y))
minimum = _binary("Minimum", np.minimum, _minmax_grad(lambda x, y: x <= y))
floordiv = _binary("FloorDiv", _int_checked(_np_floordiv), None, spec=_numeric_binary_spec)
floor_div = floordiv
mod = _binary("FloorMod", _int_checked(np.mod), _mod_grad, spec=_numeric_binary_spec,
              domain=(_pos, _pos))
floormod = mod
truncatediv = _binary("TruncateDiv", _int_checked(_np_truncatediv), None,
                      spec=_numeric_binary_spec)
truncatemod = _binary("TruncateMod", _int_checked(np.fmod), None, spec=_numeric_binary_spec)


def truediv(x, y, name=None):
    """x / y; integer operands are converted to float first (int32 / int32 -> float64, as TF)."""
    x, y = binary_operands(x, y, "truediv")
    if not x.dtype.is_floating:
        target = _dt.float32 if x.dtype.size <= 2 else _dt.float64
        x, y = cast(x, target), cast(y, target)
    return _realdiv(x, y, name=name)


def divide(x, y, name=None):
    return truediv(x, y, name=name)


div = realdiv = divide


def div_no_nan(x, y, name=None):
    """x / y, with 0 wherever y == 0."""
    x, y = binary_operands(x, y, "div_no_nan")
    safe = where_v2(equal(y, 0), ones_like(y), y)
    return where_v2(equal(y, 0), zeros_like(truediv(x, safe)), truediv(x, safe), name=name)


def squared_difference(x, y, name=None):
    """(x - y)² elementwise."""
    return square(subtract(x, y), name=name)


def _logical_spec(inputs, attrs):
    a, b = inputs
    if not (a.dtype.is_bool and b.dtype.is_bool):
        raise TypeError(f"expected bool inputs, got {a.dtype.name} and {b.dtype.name}")
    return [(broadcast_static(a.shape, b.shape), _dt.bool_)]


equal = _binary("Equal", np.equal, None, spec=compare_spec)
not_equal = _binary("NotEqual", np.not_equal, None, spec=compare_spec)
less = _binary("Less", np.less, None, spec=compare_spec)
less_equal = _binary("LessEqual", np.less_equal, None, spec=compare_spec)
greater = _binary("Greater", np.greater, None, spec=compare_spec)
greater_equal = _binary("GreaterEqual", np.greater_equal, None, spec=compare_spec)
logical_and = _binary("LogicalAnd", np.logical_and, None, spec=_logical_spec)
logical_or = _binary("LogicalOr", np.logical_or, None, spec=_logical_spec)
logical_xor = _binary("LogicalXor", np.logical_xor, None, spec=_logical_spec)


# -- Select / where --------------------------------------------------------------------------


def _select_spec(inputs, attrs):
    c, x, y = inputs
    if not c.dtype.is_bool:
        raise TypeError(f"condition must be bool, got {c.dtype.name}")
    if x.dtype is not y.dtype:
        raise TypeError(f"x and y must have one dtype, got {x.dtype.name} and {y.dtype.name}")
    return [(broadcast_static(broadcast_static(c.shape, x.shape), y.shape), x.dtype)]


def _select_grad(op, g, n):
    c, x, y = op.inputs
    zero = zeros_like(g[0])
    return [None, sum_to(where_v2(c, g[0], zero), x) if n[1] else None,
            sum_to(where_v2(c, zero, g[0]), y) if n[2] else None]


declare("SelectV2", _select_spec, lambda attrs, c, x, y: np.where(c, x, y), grad=_select_grad,
        nondiff_inputs=(0,),
        samples=lambda: [([_any(3, 4) > 0, _any(3, 4), _any(3, 4)], {}),
                         ([_any(3, 1) > 0, _any(1, 4), _any(3, 4)], {})])


def _where_coords_spec(inputs, attrs):
    return [((None, inputs[0].shape.ndims), _dt.int64)]


declare("Where", _where_coords_spec,
        lambda attrs, c: np.argwhere(c).astype(np.int64))


def where(condition, x=None, y=None, name=None):
    """TF 1.x `where`: where(c) -> int64 coordinates of true entries; where(c, x, y) picks
    elementwise, and a rank-1 `c` with higher-rank x and y picks whole rows (c[i] selects
    x[i] or y[i]). Other shapes broadcast, as in `where_v2`."""
    if (x is None) != (y is None):
        raise ValueError("where: give both x and y, or neither")
    if x is None:
        return apply("Where", [as_tensor(condition)], name=name)
    x, y = binary_operands(x, y, "where")
    c = as_tensor(condition)
    rank = max(x.shape.ndims or 0, y.shape.ndims or 0)
    if c.shape.ndims == 1 and rank > 1:
        n = c.shape.dims[0]
        for t in (x, y):
            first = t.shape.dims[0] if t.shape.ndims == rank else None
            if n is not None and first is not None and n != first:
                raise ValueError(f"where: a rank-1 condition picks rows, so its size must be "
                                 f"the first dimension of x and y: got {c.shape} and {t.shape}")
        from .array import reshape
        c = reshape(c, [-1] + [1] * (rank - 1))
    return apply("SelectV2", [c, x, y], name=name)


def where_v2(condition, x=None, y=None, name=None):
    """where(c) -> int64 coordinates of true entries; where(c, x, y) -> elementwise choice
    with c, x and y broadcast together (TF 2 `where`)."""
    if (x is None) != (y is None):
        raise ValueError("where: give both x and y, or neither")
    if x is None:
        return apply("Where", [as_tensor(condition)], name=name)
    x, y = binary_operands(x, y, "where")
    return apply("SelectV2", [as_tensor(condition), x, y], name=name)


def zeros_like(x, dtype=None, name=None):
    from .array import zeros_like as _zl
    return _zl(x, dtype=dtype, name=name)


def ones_like(x, dtype=None, name=None):
    from .array import ones_like as _ol
    return _ol(x, dtype=dtype, name=name)


# -- AddN --------------------------------------------------------------------------------------


def _add_n_spec(inputs, attrs):
    if not inputs:
        raise ValueError("add_n needs at least one input")
    shape = inputs[0].shape
    for t in inputs[1:]:
        if t.dtype is not inputs[0].dtype:
            raise TypeError(f"all inputs must have one dtype, got {t.dtype.name} and "
                            f"{inputs[0].dtype.name}")
        shape = shape.merge_with(t.shape)
    return [(shape, inputs[0].dtype)]


def _add_n_kernel(attrs, *xs):
    shape = xs[0].shape
    for x in xs[1:]:
        if x.shape != shape:  # AddN never broadcasts (its gradient could not undo it)
            raise ValueError(f"inputs must all have one shape, got {shape} and {x.shape}")
    out = xs[0] + xs[1] if len(xs) > 1 else xs[0].copy()
    for x in xs[2:]:
        out += x
    return out


declare("AddN", _add_n_spec, _add_n_kernel,
        grad=lambda op, g, n: [g[0] if need else None for need in n],
        samples=lambda: [([_any(3, 4), _any(3, 4), _any(3, 4)], {})])


def add_n(inputs, name=None):
    """Sum of a list of tensors of the same shape and dtype."""
    inputs = [as_tensor(t) for t in inputs]
    if len(inputs) == 1:
        return inputs[0]
    return apply("AddN", inputs, name=name)


# -- MatMul ------------------------------------------------------------------------------------


def _matmul_spec(inputs, attrs):
    a, b = inputs
    if a.dtype is not b.dtype:
        raise TypeError(f"operands must have one dtype, got {a.dtype.name} and {b.dtype.name}")
    if a.shape.ndims is None or b.shape.ndims is None:
        return [(TensorShape(None), a.dtype)]
    if a.shape.ndims < 2 or b.shape.ndims < 2:
        raise ValueError(f"matmul needs inputs of rank >= 2, got shapes {a.shape} and {b.shape}")
    ad, bd = list(a.shape.dims), list(b.shape.dims)
    if attrs["transpose_a"]:
        ad[-2], ad[-1] = ad[-1], ad[-2]
    if attrs["transpose_b"]:
        bd[-2], bd[-1] = bd[-1], bd[-2]
    if ad[-1] is not None and bd[-2] is not None and ad[-1] != bd[-2]:
        raise ValueError(f"inner dimensions differ: shapes {a.shape} and {b.shape} "
                         f"(transpose_a={attrs['transpose_a']}, "
                         f"transpose_b={attrs['transpose_b']}) give {ad[-1]} vs {bd[-2]}")
    batch = broadcast_static(ad[:-2], bd[:-2]).dims
    return [(tuple(batch) + (ad[-2], bd[-1]), a.dtype)]


def _mT(x):
    return np.swapaxes(x, -1, -2)


def _matmul_kernel(attrs, a, b):
    if attrs["transpose_a"]:
        a = _mT(a)
    if attrs["transpose_b"]:
        b = _mT(b)
    try:
        return np.matmul(a, b)
    except ValueError:
        raise ValueError(f"matrix size-incompatible: {list(a.shape)} times {list(b.shape)} "
                         f"after transposes (transpose_a={attrs['transpose_a']}, "
                         f"transpose_b={attrs['transpose_b']})") from None


def _matmul_grad(op, g, n):
    a, b = op.inputs
    g = g[0]
    ta, tb = op.attrs["transpose_a"], op.attrs["transpose_b"]
    if not ta and not tb:
        ga = matmul(g, b, transpose_b=True) if n[0] else None
        gb = matmul(a, g, transpose_a=True) if n[1] else None
    elif ta and not tb:
        ga = matmul(b, g, transpose_b=True) if n[0] else None
        gb = matmul(a, g) if n[1] else None
    elif not ta and tb:
        ga = matmul(g, b) if n[0] else None
        gb = matmul(g, a, transpose_a=True) if n[1] else None
    else:
        ga = matmul(b, g, transpose_a=True, transpose_b=True) if n[0] else None
        gb = matmul(g, a, transpose_a=True, transpose_b=True) if n[1] else None
    if (a.shape.ndims or 0) > 2 or (b.shape.ndims or 0) > 2:
        ga = sum_to(ga, a) if ga is not None else None
        gb = sum_to(gb, b) if gb is not None else None
    return [ga, gb]


def _matmul_samples():
    out = []
    for ta in (False, True):
        for tb in (False, True):
            a = _any(4, 3) if ta else _any(3, 4)
            b = _any(5, 4) if tb else _any(4, 5)
            out.append(([a, b], {"transpose_a": ta, "transpose_b": tb}))
    out.append(([_any(2, 3, 4), _any(4, 5)], {"transpose_a": False, "transpose_b": False}))
    out.append(([_any(2, 3, 4), _any(2, 5, 4)], {"transpose_a": False, "transpose_b": True}))
    return out


declare("MatMul", _matmul_spec, _matmul_kernel, grad=_matmul_grad, samples=_matmul_samples)


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           name=None):
    """Matrix product of the last two axes, batched over leading axes (broadcast)."""
    a, b = binary_operands(a, b, "matmul")
    return apply("MatMul", [a, b], {"transpose_a": bool(transpose_a or adjoint_a),
                                    "transpose_b": bool(transpose_b or adjoint_b)}, name=name)


__all__ = [n for n in dir() if not n.startswith("_") and n not in {
    "np", "apply", "InvalidArgumentError", "as_tensor", "binary_operands", "broadcast_spec",
    "compare_spec", "declare", "float_unary_spec", "unary_spec", "TensorShape",
    "broadcast_static", "sum_to"}]
