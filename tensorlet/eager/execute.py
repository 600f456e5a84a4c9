"""Running one registered op at once on concrete values: eager mode's only way to compute.

The op's own `infer` checks the inputs (and normalises attrs) exactly as when building a graph;
its own kernel computes the outputs (stateful kernels get the eager context, `CTX`). Active
GradientTapes that watch an input record the op (`EagerOp`) so that its gradient rule can run
later. No op has a second implementation here (DESIGN.md rule 1).
"""
import collections
import itertools
import os
import sys

import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.errors import InvalidArgumentError, OpError
from tensorlet.framework.graph import Tensor, _user_frame, convert_to_tensor
from tensorlet.framework.limits import check_output_sizes
from tensorlet.framework.registry import op_def
from tensorlet.framework.shapes import as_shape
from tensorlet.runtime import blas, numerics
from tensorlet.runtime.passes import _attr_key

from .context import CTX, EAGER_GRAPH
from .tensor import EagerTensor, make

_ids = itertools.count()
# read once, like a plan reads it when built: set it before the program starts
_CHECK_KERNELS = os.environ.get("TENSORLET_CHECK_KERNELS") == "1"
_MAX_INTERNED = 1024
_interned = collections.OrderedDict()


class EagerOp:
    """One executed op as a gradient rule reads it: type, attrs, input and output tensors."""

    __slots__ = ("type", "opdef", "attrs", "inputs", "outputs", "_id", "traceback",
                 "__weakref__")
    graph = EAGER_GRAPH
    control_inputs = ()

    def __init__(self, opdef, attrs, inputs, outputs):
        self.type = opdef.type
        self.opdef = opdef
        self.attrs = attrs
        self.inputs = inputs
        self.outputs = outputs
        self._id = next(_ids)
        self.traceback = "<eager>"

    @property
    def name(self):
        return self.type

    def get_attr(self, name):
        return self.attrs[name]

    def values(self):
        return self.outputs

    def __repr__(self):
        return f"<tf.Operation (eager) type={self.type}>"


def execute(op_type, inputs, attrs=None):
    """Run the op now: (an EagerOp describing the call, the tuple of output EagerTensors)."""
    opdef = op_def(op_type)
    ins = []
    for x in inputs:
        ins.append(x if x.__class__ is EagerTensor else _as_input(op_type, len(ins), x))
    ins = tuple(ins)
    attrs = dict(attrs) if attrs else {}
    try:
        specs = opdef.infer(ins, attrs)
    except (ValueError, TypeError) as e:
        shapes = ", ".join(f"{t.shape} {t.dtype.name}" for t in ins)
        raise type(e)(f"{op_type} op: {e} (inputs: {shapes or 'none'})") from None
    if specs.__class__ is not list and len(specs) == 2 and not isinstance(specs[0], tuple) \
            and isinstance(specs[1], _dt.DType):
        specs = [specs]
    check_output_sizes(op_type, op_type, specs)
    arrays = [t._value for t in ins]
    blas.adapt()
    try:
        with np.errstate(all="ignore"):
            if opdef.stateful:
                attrs = _intern(op_type, attrs)
                _unshare(attrs)
                out = opdef.kernel(CTX, attrs, *arrays)
            else:
                out = opdef.kernel(attrs, *arrays)
    except (OpError, AssertionError):
        raise
    except Exception as e:
        shapes = ", ".join(f"{a.dtype}{list(a.shape)}" for a in arrays)
        raise InvalidArgumentError(f"{op_type} op (at {_user_frame()}) failed on inputs "
                                   f"[{shapes}]: {e}") from e
    outs = out if isinstance(out, tuple) else (out,)
    tensors = []
    for v, spec in zip(outs, specs):
        dtype = spec[1]
        if dtype.__class__ is not _dt.DType:
            dtype = _dt.as_dtype(dtype)
        if v.__class__ is not np.ndarray or v.dtype != dtype.np:
            v = np.asarray(v, dtype=dtype.np)
        tensors.append(make(v, dtype, len(tensors), op_type))
    tensors = tuple(tensors)
    op = None
    if _CHECK_KERNELS or numerics.is_enabled():
        op = EagerOp(opdef, attrs, ins, tensors)
        op.traceback = _user_frame()
        _check(op, outs, specs)
    if CTX.tapes and opdef.grad is not None:
        for tape in CTX.tapes:
            if tape._watches_any(ins):
                op = op or EagerOp(opdef, attrs, ins, tensors)
                tape._record(op)
    return op, tensors


def create_op(op_type, inputs, attrs=None):
    """`Graph.create_op` in eager mode: runs the op, returns the EagerOp (with `.outputs`)."""
    op, tensors = execute(op_type, inputs, attrs)
    return op or EagerOp(op_def(op_type), attrs or {}, (), tensors)


def _as_input(op_type, i, x):
    if isinstance(x, Tensor):
        if x._eager:
            return x
        t = x
    else:
        t = convert_to_tensor(x)  # variables give their value, Python/NumPy values constants
        if t._eager:
            return t
    raise TypeError(
        f"{op_type}: input {i} is the graph tensor {t.name!r}, but ops run eagerly here. A graph "
        "tensor cannot be mixed into an eager op: build the whole computation inside "
        "`with graph.as_default():`, or use eager values (or tf.function).")


def _intern(op_type, attrs):
    """One attrs object per distinct stateful call, so kernels that cache per op (packed
    optimizer state) see the same op on every eager step instead of a new one each time."""
    try:
        key = (op_type, _attr_key(attrs))
        hash(key)
    except TypeError:
        return attrs
    got = _interned.get(key)
    if got is None:
        _interned[key] = attrs
        if len(_interned) > _MAX_INTERNED:
            _interned.popitem(last=False)
        return attrs
    _interned.move_to_end(key)
    return got


def _unshare(attrs):
    """Copy-on-write: a stored variable value that an eager tensor still holds is replaced by a
    copy before a stateful kernel (which may update it in place) runs, so tensors read earlier
    keep their values."""
    stored = CTX.vars
    for name in _names(attrs.values()):
        arr = stored.get(name)
        # references: the dict, `arr`, getrefcount's argument
        if arr is not None and sys.getrefcount(arr) > 3:
            stored[name] = np.array(arr, copy=True)


def unshare_names(names):
    """Copy-on-write for the variables a traced graph updates (tensorlet.eager.function)."""
    _unshare({"names": tuple(names)})


def _names(values):
    for v in values:
        if isinstance(v, str):
            yield v
        elif isinstance(v, (tuple, list)):
            yield from _names(v)


def _check(op, outs, specs):
    """TENSORLET_CHECK_KERNELS=1: outputs against the inferred specs; check_numerics mode."""
    if numerics.is_enabled():
        numerics.check_outputs(op, outs)
    if not _CHECK_KERNELS:
        return
    for (shape, dtype), v in zip(specs, outs):
        v = np.asarray(v)
        if v.dtype != _dt.as_dtype(dtype).np or not as_shape(shape).is_compatible_with(v.shape):
            raise AssertionError(f"kernel of {op.type} returned {v.dtype}{list(v.shape)}, "
                                 f"inferred {_dt.as_dtype(dtype).name}{shape}")

