"""Array ops: constants, placeholders, shape manipulation, indexing, gathering."""
import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.shapes import TensorShape, as_shape
from .base import apply, as_tensor, declare, unary_spec

# -- Const ----------------------------------------------------------------------------------


def _const_spec(inputs, attrs):
    v = attrs["value"]
    return [(v.shape, _dt.as_dtype(v.dtype))]


def _const_kernel(attrs):
    return attrs["value"]


declare("Const", _const_spec, _const_kernel)


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False):
    """A tensor holding `value` (Python ints -> int32, floats -> float32, NumPy dtypes kept)."""
    dt = _dt.as_dtype(dtype) if dtype is not None else _dt.default_dtype_for_python(value)
    try:
        arr = np.asarray(value)
    except ValueError as e:
        raise TypeError(f"Cannot make a constant from {value!r:.80}: {e}") from None
    if arr.dtype.kind in "OUS" and dt is not _dt.string:
        raise TypeError(f"Cannot make a {dt.name} constant from {value!r:.80}")
    if arr.dtype.kind == "f" and dt.is_integer and arr.size and \
            not np.all(np.isfinite(arr) & (arr == np.round(arr))):
        raise TypeError(f"Cannot convert {value!r:.80} to a constant of dtype {dt.name} "
                        "without losing its fractional part; cast it with tf.cast instead")
    arr = np.array(arr, dtype=dt.np)
    if shape is not None:
        shape = tuple(as_shape(shape).as_list())
        if arr.shape != shape:
            if verify_shape:
                raise TypeError(f"Expected constant of shape {shape}, got {arr.shape}")
            if arr.size == 1:
                arr = np.full(shape, arr.reshape(()), dtype=dt.np)
            elif arr.size == int(np.prod(shape)):
                arr = arr.reshape(shape)
            else:
                raise TypeError(f"Constant of {arr.size} elements cannot have shape {shape}")
    arr.setflags(write=False)
    return apply("Const", [], {"value": arr}, name=name)


# -- Placeholders ---------------------------------------------------------------------------


def _placeholder_spec(inputs, attrs):
    return [(attrs["shape"], attrs["dtype"])]


def _placeholder_kernel(attrs):
    raise InvalidArgumentError(
        f"You must feed a value for a placeholder with dtype {attrs['dtype'].name} and shape "
        f"{attrs['shape']}")


declare("Placeholder", _placeholder_spec, _placeholder_kernel)


def placeholder(dtype, shape=None, name=None):
    """A tensor whose value must be fed: `sess.run(y, {x: value})`."""
    dt = _dt.as_dtype(dtype)
    shape = TensorShape(shape) if shape is not None else TensorShape(None)
    return apply("Placeholder", [], {"dtype": dt, "shape": shape}, name=name)


def _pwd_spec(inputs, attrs):
    x = inputs[0]
    shape = as_shape(attrs["shape"])
    if not x.shape.is_compatible_with(shape):
        raise ValueError(f"default value of shape {x.shape} does not match shape {shape}")
    return [(shape, x.dtype)]


declare("PlaceholderWithDefault", _pwd_spec, lambda attrs, x: x,
        grad=lambda op, g, needed: [g[0]],
        samples=lambda: [([np.random.randn(2, 3)], {"shape": TensorShape([None, 3])})])


def placeholder_with_default(input, shape, name=None):
    """A placeholder that evaluates to `input` when it is not fed."""
    return apply("PlaceholderWithDefault", [input], {"shape": TensorShape(shape)}, name=name)


# -- Identity-like --------------------------------------------------------------------------

declare("Identity", unary_spec, lambda attrs, x: x,
        grad=lambda op, g, needed: [g[0]],
        samples=lambda: [([np.random.randn(2, 3)], {})])


def identity(input, name=None):
    return apply("Identity", [input], name=name)


declare("StopGradient", unary_spec, lambda attrs, x: x)


def stop_gradient(input, name=None):
    """The input's value; gradients do not flow through it."""
    return apply("StopGradient", [input], name=name)


# -- Gradient plumbing: sum a broadcast gradient back to an operand's shape ---------------------


def _sum_to_spec(inputs, attrs):
    return [(inputs[1].shape, inputs[0].dtype)]


def _sum_to_array(g, shape):
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, d in enumerate(shape)
                                      if d == 1 and g.shape[i + lead] != 1)
    out = g.sum(axis=axes, keepdims=True, dtype=g.dtype)
    return out.reshape(shape)


def _broadcast_like_spec(inputs, attrs):
    return [(inputs[1].shape, inputs[0].dtype)]


declare("SumTo", _sum_to_spec, lambda attrs, g, like: _sum_to_array(g, like.shape),
        grad=lambda op, g, needed: [broadcast_like(g[0], op.inputs[0]), None],
        nondiff_inputs=(1,),
        samples=lambda: [([np.random.randn(3, 4), np.zeros((1, 4))], {}),
                         ([np.random.randn(2, 3, 4), np.zeros((3, 1))], {})])

declare("BroadcastLike", _broadcast_like_spec,
        lambda attrs, x, like: np.broadcast_to(x, like.shape),
        grad=lambda op, g, needed: [sum_to(g[0], op.inputs[0]), None],
        nondiff_inputs=(1,),
        samples=lambda: [([np.random.randn(1, 4), np.zeros((3, 4))], {})])


def sum_to(grad, like):
    """Sum `grad` over the axes along which `like` was broadcast (DESIGN.md convention 3)."""
    gs, ls = grad.shape, like.shape
    if gs.is_fully_defined() and ls.is_fully_defined() and gs == ls:
        return grad
    return apply("SumTo", [grad, like])


def broadcast_like(x, like):
    """`x` broadcast to the shape of `like` (resolved at run time)."""
    if x.shape.is_fully_defined() and like.shape.is_fully_defined() and x.shape == like.shape:
        return x
    return apply("BroadcastLike", [x, like])


# -- Shapes ---------------------------------------------------------------------------------


def _shape_spec(inputs, attrs):
    nd = inputs[0].shape.ndims
    return [((nd,), attrs["out_type"])]


def _shape_fold(op):
    s = op.inputs[0].shape
    if s.is_fully_defined():
        return np.array(s.as_list(), dtype=op.attrs["out_type"].np)
    return None


declare("Shape", _shape_spec, lambda attrs, x: np.array(x.shape, dtype=attrs["out_type"].np),
        fold=_shape_fold)


def shape(input, name=None, out_type=_dt.int32):
    """The dynamic shape of a tensor as a 1-D int32 tensor."""
    return apply("Shape", [input], {"out_type": _dt.as_dtype(out_type)}, name=name)


# -- Reshape --------------------------------------------------------------------------------


def _resolve_new_shape(old, new):
    """Static output shape of a reshape of `old` (TensorShape) to `new` (list with one -1)."""
    if sum(1 for d in new if d == -1) > 1:
        raise ValueError(f"can only infer one dimension, got shape {list(new)}")
    if any(d < -1 for d in new):
        raise ValueError(f"invalid target shape {list(new)}")
    known = int(np.prod([d for d in new if d != -1])) if new else 1
    total = old.num_elements()
    if -1 not in new:
        if total is not None and total != known:
            raise ValueError(f"cannot reshape a tensor with {total} elements to shape "
                             f"{list(new)} ({known} elements)")
        return TensorShape(new)
    if total is None:
        return TensorShape([None if d == -1 else d for d in new])
    if known == 0 or total % known:
        raise ValueError(f"cannot reshape a tensor with {total} elements to shape {list(new)}")
    return TensorShape([total // known if d == -1 else d for d in new])


def _reshape_spec(inputs, attrs):
    x, s = inputs
    new = s.constant_value()
    if new is None:
        n = s.shape[0] if s.shape.ndims == 1 else None
        return [(TensorShape(None if n is None else [None] * n), x.dtype)]
    new = [int(d) for d in np.asarray(new).reshape(-1)]
    return [(_resolve_new_shape(x.shape, new), x.dtype)]


def _reshape_kernel(attrs, x, s):
    try:
        return x.reshape(tuple(int(d) for d in s))
    except ValueError:
        raise InvalidArgumentError(
            f"Input to reshape is a tensor with {x.size} values (shape {x.shape}), but the "
            f"requested shape is {list(map(int, s))}") from None


declare("Reshape", _reshape_spec, _reshape_kernel,
        grad=lambda op, g, needed: [reshape_like(g[0], op.inputs[0]), None],
        nondiff_inputs=(1,),
        samples=lambda: [([np.random.randn(2, 6), np.array([3, 4], np.int32)], {}),
                         ([np.random.randn(2, 3, 2), np.array([-1, 2], np.int32)], {})])


def reshape(tensor, shape, name=None):
    """`tensor` with a new shape (one dimension may be -1)."""
    if not hasattr(shape, "dtype") or isinstance(shape, np.ndarray):
        shape = constant(np.asarray(shape, dtype=np.int32).reshape(-1), name="shape")
    return apply("Reshape", [tensor, shape], name=name)


def reshape_like(x, like):
    """`x` reshaped to the (run-time) shape of `like`; static when it is known."""
    if like.shape.is_fully_defined():
        if x.shape == like.shape:
            return x
        return reshape(x, like.shape.as_list())
    return reshape(x, shape(like))


# -- Filled tensors -------------------------------------------------------------------------


def _like_spec(inputs, attrs):
    return [(inputs[0].shape, attrs["dtype"] or inputs[0].dtype)]


def _fill_like(value):
    def kernel(attrs, x):
        dt = attrs["dtype"].np if attrs["dtype"] is not None else x.dtype
        return np.full(x.shape, value, dtype=dt)
    return kernel


declare("ZerosLike", _like_spec, _fill_like(0))
declare("OnesLike", _like_spec, _fill_like(1))


def zeros_like(input, dtype=None, name=None):
    """Zeros with the (run-time) shape of `input`."""
    return apply("ZerosLike", [input], {"dtype": _dt.as_dtype(dtype) if dtype else None},
                 name=name)


def ones_like(input, dtype=None, name=None):
    """Ones with the (run-time) shape of `input`."""
    return apply("OnesLike", [input], {"dtype": _dt.as_dtype(dtype) if dtype else None},
                 name=name)


def _fill_spec(inputs, attrs):
    dims, value = inputs
    d = dims.constant_value()
    if value.shape.ndims not in (None, 0):
        raise ValueError(f"value must be a scalar, got shape {value.shape}")
    if d is None:
        n = dims.shape[0] if dims.shape.ndims == 1 else None
        return [(TensorShape(None if n is None else [None] * n), value.dtype)]
    return [(TensorShape([int(v) for v in np.asarray(d).reshape(-1)]), value.dtype)]


def _fill_kernel(attrs, dims, value):
    return np.full(tuple(int(d) for d in dims), value, dtype=value.dtype)


def _fill_grad(op, g, needed):
    from .reduction import reduce_sum
    return [None, reduce_sum(g[0])]


declare("Fill", _fill_spec, _fill_kernel, grad=_fill_grad, nondiff_inputs=(0,),
        samples=lambda: [([np.array([2, 3], np.int32), np.array(1.5)], {})])


def _shape_tensor(shape):
    if hasattr(shape, "dtype") and not isinstance(shape, np.ndarray):
        return shape
    dims = as_shape(shape).as_list()
    if any(d is None for d in dims):
        raise ValueError(f"shape must be fully defined, got {dims}")
    return constant(np.asarray(dims, dtype=np.int32).reshape(-1), name="shape")


def fill(dims, value, name=None):
    """A tensor of shape `dims` filled with the scalar `value`."""
    return apply("Fill", [_shape_tensor(dims), as_tensor(value)], name=name)


def zeros(shape, dtype=_dt.float32, name=None):
    dt = _dt.as_dtype(dtype)
    if not hasattr(shape, "dtype") or isinstance(shape, np.ndarray):
        return constant(np.zeros(as_shape(shape).as_list(), dt.np), name=name or "zeros")
    return fill(shape, constant(0, dtype=dt), name=name)


def ones(shape, dtype=_dt.float32, name=None):
    dt = _dt.as_dtype(dtype)
    if not hasattr(shape, "dtype") or isinstance(shape, np.ndarray):
        return constant(np.ones(as_shape(shape).as_list(), dt.np), name=name or "ones")
    return fill(shape, constant(1, dtype=dt), name=name)


__all__ = ["constant", "placeholder", "placeholder_with_default", "identity", "stop_gradient",
           "shape", "reshape", "zeros_like", "ones_like", "fill", "zeros", "ones"]
