"""Array ops: constants, placeholders, identity, shapes, reshape / expand_dims / squeeze, and
the shape helpers the rest of the array family uses. Transposing, joining and padding live in
manip.py, slicing in indexing.py, gathering in gather.py, filled tensors in filled.py and
generated tensors in generate.py; this module re-exports them all."""
import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.graph import TensorLike, holds_tensor
from tensorlet.framework.shapes import TensorShape, as_shape

from .base import apply, as_tensor, declare, unary_spec

_rng = np.random.default_rng(2)


def _any(*shape):
    return _rng.standard_normal(shape)


# -- Helpers shared by the array, indexing and generator families ---------------------------


def canonical_axis(axis, ndims, what="axis", extra=0):
    """`axis` as a non-negative int in [0, ndims + extra); ValueError naming the valid range.
    With an unknown rank, the axis is returned unchanged (the kernel normalises it)."""
    axis = static_int(axis, what)
    if ndims is None:
        return axis
    n = ndims + extra
    if not -n <= axis < n:
        raise ValueError(f"{what} {axis} is out of range for a tensor of rank {ndims} "
                         f"(expected {what} in [{-n}, {n}))")
    return axis % n


def _build_time_value(x, what):
    """`x`, or the value of a tensor `x` known at build time; TypeError for a computed one."""
    if isinstance(x, TensorLike):
        v = as_tensor(x).constant_value()
        if v is None:
            raise TypeError(f"{what} must be known when the graph is built, got the computed "
                            f"tensor {as_tensor(x).name}")
        return v
    return x


def static_int(x, what="value"):
    """A Python int from an int, a NumPy integer or a tensor whose value is known at build
    time; TypeError for anything else."""
    x = _build_time_value(x, what)
    arr = np.asarray(x)
    if arr.ndim != 0 or arr.dtype.kind not in "iu":
        raise TypeError(f"{what} must be an integer, got {x!r}")
    return int(arr)


def static_ints(x, what="value"):
    """A list of Python ints from an int, a list of ints or a build-time-constant tensor."""
    x = _build_time_value(x, what)
    arr = np.asarray(x)
    if arr.size and arr.dtype.kind not in "iu" or arr.ndim > 1:
        raise TypeError(f"{what} must be an integer or a list of integers, got {x!r}")
    return [int(v) for v in arr.reshape(-1)]


def static_shape_from(shape_tensor):
    """The static TensorShape that a 1-D shape tensor describes, as far as it is known at
    build time (constants, tf.shape of a tensor, stacks and concats of those)."""
    v = shape_tensor.constant_value()
    if v is not None:
        return TensorShape([int(d) if d >= 0 else None for d in np.asarray(v).reshape(-1)])
    op = shape_tensor.op
    if op.type == "Shape":
        return op.inputs[0].shape
    if op.type == "Pack" and all(t.shape.ndims == 0 for t in op.inputs):
        vals = [t.constant_value() for t in op.inputs]
        return TensorShape([int(c) if c is not None and c >= 0 else None for c in vals])
    if op.type == "ConcatV2":
        parts = [static_shape_from(t) for t in op.inputs]
        if all(p.dims is not None for p in parts):
            return TensorShape(sum((p.dims for p in parts), ()))
    n = shape_tensor.shape[0] if shape_tensor.shape.ndims == 1 else None
    return TensorShape(None if n is None else [None] * n)


def fold_small(op, limit=4096):
    """Build-time value of an op whose inputs are all small constants (shape arithmetic)."""
    vals = [t.constant_value() for t in op.inputs]
    if any(v is None for v in vals) or sum(np.size(v) for v in vals) > limit:
        return None
    try:
        out = op.opdef.kernel(op.attrs, *[np.asarray(v) for v in vals])
    except (ValueError, TypeError, IndexError, ArithmeticError):  # the run-time kernel reports it
        return None
    return None if isinstance(out, tuple) or np.size(out) > limit else np.asarray(out)


def _int_tensor(x, name):
    """A 1-D int tensor (shape-like argument) from a list, an array or a tensor."""
    if isinstance(x, TensorLike) or holds_tensor(x):
        t = as_tensor(x)
        if not t.dtype.is_integer:
            raise TypeError(f"{name} must be an integer tensor, got {t.dtype.name}")
        return t
    arr = np.asarray(x)
    if arr.size and arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integers, got {x!r}")
    wide = arr.size and (arr.max() > np.iinfo(np.int32).max or arr.min() < np.iinfo(np.int32).min)
    return constant(arr.astype(np.int64 if wide else np.int32), name=name)


# -- Const ----------------------------------------------------------------------------------


def _const_spec(inputs, attrs):
    v = attrs["value"]
    return [(v.shape, _dt.as_dtype(v.dtype))]


def _const_kernel(attrs):
    return attrs["value"]


declare("Const", _const_spec, _const_kernel)


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False):
    """A tensor holding `value` (Python ints -> int32, floats -> float32, NumPy dtypes kept).

    With `shape`, a single value fills it, as many values as it holds are reshaped, and fewer
    values are padded with the last one (TF 1.x); more values than it holds raise."""
    if isinstance(value, TensorLike) and not value._eager or holds_tensor(value):
        raise TypeError(f"constant expects a Python or NumPy value, got a tensor in {value!r:.80}"
                        " (use tf.identity, or tf.stack for a list of tensors)")
    dt = _dt.as_dtype(dtype) if dtype is not None else _dt.default_dtype_for_python(value)
    try:
        arr = np.asarray(value)
    except (ValueError, OverflowError) as e:
        raise TypeError(f"Cannot make a constant from {value!r:.80}: {e}") from None
    if arr.dtype.kind in "OUS" and dt is not _dt.string:
        raise TypeError(f"Cannot make a {dt.name} constant from {value!r:.80}")
    if arr.dtype.kind == "f" and dt.is_integer and arr.size and \
            not np.all(np.isfinite(arr) & (arr == np.round(arr))):
        raise TypeError(f"Cannot convert {value!r:.80} to a constant of dtype {dt.name} "
                        "without losing its fractional part; cast it with tf.cast instead")
    _dt.check_fits(arr, dt, f"Cannot make a {dt.name} constant")
    arr = np.array(arr, dtype=dt.np)
    if shape is not None:
        arr = _fit_to_shape(arr, shape, verify_shape)
    arr.setflags(write=False)
    return apply("Const", [], {"value": arr}, name=name)


def _fit_to_shape(arr, shape, verify_shape):
    dims = as_shape(shape)
    if not dims.is_fully_defined():
        raise ValueError(f"constant: shape must be fully defined, got {dims}")
    shape = tuple(dims.as_list())
    if arr.shape == shape:
        return arr
    if verify_shape:
        raise TypeError(f"Expected constant of shape {shape}, got {arr.shape}")
    n = int(np.prod(shape))
    if arr.size > n and arr.size != 1:
        raise ValueError(f"Too many elements provided for a constant of shape {shape}: "
                         f"needed at most {n}, got {arr.size}")
    flat = arr.reshape(-1)
    if flat.size == 0:
        return np.zeros(shape, arr.dtype)
    if flat.size < n:  # TF 1.x pads with the last value (a single value fills the shape)
        flat = np.concatenate([flat, np.full(n - flat.size, flat[-1], arr.dtype)])
    return flat[:n].reshape(shape)


# -- Placeholders ---------------------------------------------------------------------------


def _placeholder_spec(inputs, attrs):
    return [(attrs["shape"], attrs["dtype"])]


def _placeholder_kernel(attrs):
    raise InvalidArgumentError(
        f"You must feed a value for a placeholder with dtype {attrs['dtype'].name} and shape "
        f"{attrs['shape']}")


declare("Placeholder", _placeholder_spec, _placeholder_kernel, requires_feed=True)


def placeholder(dtype, shape=None, name=None):
    """A tensor whose value must be fed: `sess.run(y, {x: value})` (graph mode only)."""
    from tensorlet.framework.graph import get_default_graph
    if get_default_graph()._eager:
        raise RuntimeError("tf.placeholder() is not compatible with eager execution.")
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


# -- Shape, Size, Rank (int32 by default, as TF) -------------------------------------------


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


def _size_fold(op):
    n = op.inputs[0].shape.num_elements()
    return None if n is None else np.array(n, dtype=op.attrs["out_type"].np)


declare("Size", lambda inputs, attrs: [((), attrs["out_type"])],
        lambda attrs, x: np.array(x.size, dtype=attrs["out_type"].np), fold=_size_fold)


def size(input, name=None, out_type=_dt.int32):
    """The number of elements of a tensor, as a scalar int32 tensor."""
    return apply("Size", [input], {"out_type": _dt.as_dtype(out_type)}, name=name)


def _rank_fold(op):
    nd = op.inputs[0].shape.ndims
    return None if nd is None else np.array(nd, dtype=np.int32)


declare("Rank", lambda inputs, attrs: [((), _dt.int32)],
        lambda attrs, x: np.array(x.ndim, dtype=np.int32), fold=_rank_fold)


def rank(input, name=None):
    """The number of dimensions of a tensor, as a scalar int32 tensor."""
    return apply("Rank", [input], name=name)


# -- Reshape, expand_dims, squeeze -------------------------------------------------------------


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
    if s.shape.ndims not in (None, 1):
        raise ValueError(f"shape must be a 1-D tensor, got shape {s.shape}")
    new = s.constant_value()
    if new is None:
        return [(static_shape_from(s), x.dtype)]
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
        samples=lambda: [([_any(2, 6), np.array([3, 4], np.int32)], {}),
                         ([_any(2, 3, 2), np.array([-1, 2], np.int32)], {})])


def reshape(tensor, shape, name=None):
    """`tensor` with a new shape (one dimension may be -1)."""
    return apply("Reshape", [tensor, _int_tensor(shape, "shape")], name=name)


def reshape_like(x, like):
    """`x` reshaped to the (run-time) shape of `like`; static when it is known."""
    if like.shape.is_fully_defined():
        if x.shape == like.shape:
            return x
        return reshape(x, like.shape.as_list())
    return reshape(x, shape(like))


def _expand_dims_spec(inputs, attrs):
    x = inputs[0]
    attrs["axis"] = canonical_axis(attrs["axis"], x.shape.ndims, extra=1)
    if x.shape.ndims is None:
        return [(TensorShape(None), x.dtype)]
    dims = list(x.shape.dims)
    dims.insert(attrs["axis"], 1)
    return [(dims, x.dtype)]


declare("ExpandDims", _expand_dims_spec, lambda attrs, x: np.expand_dims(x, attrs["axis"]),
        grad=lambda op, g, needed: [reshape_like(g[0], op.inputs[0])],
        fold=fold_small,
        samples=lambda: [([_any(2, 3)], {"axis": 0}), ([_any(2, 3)], {"axis": 2}),
                         ([_any(3)], {"axis": -1})])


def expand_dims(input, axis=None, name=None, dim=None):
    """`input` with a new dimension of size 1 inserted at `axis` (in [-rank-1, rank])."""
    if axis is None:
        axis = dim
    if axis is None:
        raise ValueError("expand_dims needs an axis")
    return apply("ExpandDims", [as_tensor(input)], {"axis": static_int(axis, "axis")},
                 name=name)


def _squeeze_spec(inputs, attrs):
    x = inputs[0]
    nd, axis = x.shape.ndims, attrs["axis"]
    if axis is not None:
        axis = attrs["axis"] = tuple(sorted({canonical_axis(a, nd) for a in axis}))
    if nd is None:
        return [(TensorShape(None), x.dtype)]
    dims = x.shape.dims
    if axis is None:
        if any(d is None for d in dims):
            return [(TensorShape(None), x.dtype)]
        return [([d for d in dims if d != 1], x.dtype)]
    for a in axis:
        if dims[a] is not None and dims[a] != 1:
            raise ValueError(f"cannot squeeze axis {a}: expected a dimension of 1, got "
                             f"{dims[a]} (shape {x.shape})")
    return [([d for i, d in enumerate(dims) if i not in axis], x.dtype)]


def _squeeze_kernel(attrs, x):
    axis = attrs["axis"]
    if axis is None:
        return x.reshape([d for d in x.shape if d != 1])
    bad = [a for a in axis if x.shape[a] != 1]
    if bad:
        raise InvalidArgumentError(f"Can not squeeze dim[{bad[0]}], expected a dimension of "
                                   f"1, got {x.shape[bad[0]]} (shape {list(x.shape)})")
    axes = {a % x.ndim for a in axis}
    return x.reshape([d for i, d in enumerate(x.shape) if i not in axes])


declare("Squeeze", _squeeze_spec, _squeeze_kernel,
        grad=lambda op, g, needed: [reshape_like(g[0], op.inputs[0])],
        samples=lambda: [([_any(1, 3, 1)], {"axis": None}), ([_any(1, 3, 1)], {"axis": (2,)}),
                         ([_any(2, 1)], {"axis": (-1,)})])


def squeeze(input, axis=None, name=None, squeeze_dims=None):
    """`input` without its size-1 dimensions (only those listed in `axis`, when given)."""
    if axis is None:
        axis = squeeze_dims
    if axis is not None:
        axis = tuple(static_ints(axis, "axis")) or None
    return apply("Squeeze", [as_tensor(input)], {"axis": axis}, name=name)


# The rest of the array family lives in manip.py (transposing, joining, splitting, tiling,
# padding), indexing.py (slicing; Tensor.__getitem__ calls array.slice_helper), gather.py
# (gather, scatter, top_k, unique), filled.py (zeros, ones, fill, ...) and generate.py (range,
# one_hot, ...); `tensorlet.ops.array` re-exports them, except `range` and `slice`, which would
# shadow the builtins here. These imports must stay last: those modules import the helpers
# defined above.
from .filled import fill, ones, ones_like, zeros, zeros_like  # noqa: E402
from .gather import (  # noqa: E402
    gather,
    gather_nd,
    scatter_add,
    scatter_nd,
    scatter_sub,
    scatter_update,
    top_k,
    unique,
)
from .generate import eye, lin_space, linspace, one_hot, sequence_mask  # noqa: E402
from .indexing import boolean_mask, slice_helper, strided_slice  # noqa: E402,F401
from .manip import (  # noqa: E402
    broadcast_to,
    concat,
    pad,
    reverse,
    reverse_v2,
    split,
    stack,
    tile,
    transpose,
    unstack,
)

__all__ = ["boolean_mask", "broadcast_to", "concat", "constant", "expand_dims", "eye", "fill",
           "gather", "gather_nd", "identity", "lin_space", "linspace", "one_hot", "ones",
           "ones_like", "pad", "placeholder", "placeholder_with_default", "rank", "reshape",
           "reverse", "reverse_v2", "scatter_add", "scatter_nd", "scatter_sub", "scatter_update",
           "sequence_mask", "shape", "size", "split", "squeeze", "stack",
           "stop_gradient", "strided_slice", "tile", "top_k", "transpose", "unique", "unstack",
           "zeros", "zeros_like"]
