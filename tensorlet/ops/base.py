"""Shared machinery for declaring ops: creating them, operand promotion, common shape rules."""
import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.graph import (TensorLike, Tensor, convert_to_tensor,
                                       get_default_graph, holds_tensor)
from tensorlet.framework.registry import OpDef, register
from tensorlet.framework.shapes import TensorShape, broadcast_static

__all__ = ["apply", "declare", "OpDef", "register", "binary_operands", "unary_spec",
           "broadcast_spec", "as_tensor", "np_dtype_out", "TensorShape"]


def _graph_of(inputs, default):
    for t in inputs:
        if isinstance(t, TensorLike) and not t._eager:  # graph tensors and variables
            return t.graph
    return default


def apply(op_type, inputs, attrs=None, name=None):
    """Create an op of a registered type; returns its output (one) or outputs (tuple).

    In eager mode (the default graph is the eager stand-in) the op runs at once instead:
    same inference and kernel, EagerTensor outputs (tensorlet.eager.execute)."""
    default = get_default_graph()
    if default._eager:
        return default.execute(op_type, inputs, attrs, name)
    graph = _graph_of(inputs, default)
    if all(isinstance(t, Tensor) and not t._eager for t in inputs):
        op = graph.create_op(op_type, inputs, attrs, name)
    else:  # non-tensor inputs become constants in the graph of the tensor inputs (as TF)
        with graph.as_default():
            inputs = [as_tensor(t) for t in inputs]
        op = graph.create_op(op_type, inputs, attrs, name)
    outs = op.outputs
    return outs[0] if len(outs) == 1 else outs


def declare(op_type, infer, kernel, grad=None, **kw):
    """Register an OpDef (shorthand used by the op families)."""
    return register(OpDef(op_type, infer, kernel, grad, **kw))


def as_tensor(x, dtype=None):
    if isinstance(x, Tensor) and dtype is None and not x._eager:
        return x
    return convert_to_tensor(x, dtype=dtype)


def _is_weak(v):
    """Python numbers and NumPy values are 'weak': they take the tensor operand's dtype (a
    list holding tensors is not: it is packed into a tensor of its own)."""
    return not isinstance(v, TensorLike) and not holds_tensor(v)


def _value_kind(v):
    try:
        return np.asarray(v).dtype.kind
    except Exception:
        return "O"


def binary_operands(x, y, op_name="binary op"):
    """Two tensors of one dtype, promoting along the lattice (DESIGN.md rule 7).

    A weak operand (Python or NumPy value) takes the tensor's dtype; a float value makes an
    integer/bool tensor float32, an integer value makes a bool tensor int32. A weak integer
    that the resulting dtype cannot hold raises (NumPy 2 does the same) instead of wrapping."""
    xw, yw = _is_weak(x), _is_weak(y)
    if xw and yw:
        x = as_tensor(x)
        xw = False
    if xw or yw:
        t, v = (y, x) if xw else (x, y)
        t = as_tensor(t)
        dt, kind = t.dtype, _value_kind(v)
        if dt is _dt.string:
            if kind not in "OSU":
                raise TypeError(f"{op_name}: cannot combine a string tensor with {v!r:.40}")
        elif kind in "OSU":
            raise TypeError(f"{op_name}: cannot combine a {dt.name} tensor with {v!r:.40}")
        elif kind == "f" and not dt.is_floating or kind in "iu" and dt.is_bool:
            from tensorlet.ops.math import cast
            dt = _dt.float32 if kind == "f" else _dt.int32
            t = cast(t, dt)
        if kind in "fiub":
            arr = np.asarray(v)
            _dt.check_fits(arr, dt, f"{op_name} with a {dt.name} tensor")
            v = arr.astype(dt.np)
        with t.graph.as_default():  # the constant joins the tensor operand's graph
            v = as_tensor(v, dt)
        return (v, t) if xw else (t, v)
    x, y = as_tensor(x), as_tensor(y)
    if x.dtype is not y.dtype:
        from tensorlet.ops.math import cast
        dt = _dt.promote(x.dtype, y.dtype)
        x = x if x.dtype is dt else cast(x, dt)
        y = y if y.dtype is dt else cast(y, dt)
    return x, y


def unary_spec(inputs, attrs):
    x = inputs[0]
    return [(x.shape, x.dtype)]


def float_unary_spec(inputs, attrs):
    x = inputs[0]
    if not x.dtype.is_floating:
        raise TypeError(f"expected a floating-point input, got {x.dtype.name} "
                        "(cast it with tf.cast first)")
    return [(x.shape, x.dtype)]


def broadcast_spec(inputs, attrs):
    a, b = inputs
    if a.dtype is not b.dtype:
        raise TypeError(f"operands must have one dtype, got {a.dtype.name} and {b.dtype.name}")
    return [(broadcast_static(a.shape, b.shape), a.dtype)]


def compare_spec(inputs, attrs):
    a, b = inputs
    return [(broadcast_static(a.shape, b.shape), _dt.bool_)]


def np_dtype_out(arr, dtype):
    """Cast a kernel result to the op's dtype only when NumPy changed it."""
    return arr if arr.dtype == dtype else arr.astype(dtype)
