"""Graph, Operation and Tensor: the data structures every program builds (TF 1.x semantics)."""
import contextlib
import os
import re
import sys

import numpy as np

from . import dtypes as _dt
from .limits import check_output_sizes
from .registry import op_def
from .shapes import as_shape


class GraphKeys:
    """Standard collection names."""

    GLOBAL_VARIABLES = "variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    LOCAL_VARIABLES = "local_variables"
    MODEL_VARIABLES = "model_variables"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    REGULARIZATION_LOSSES = "regularization_losses"
    SUMMARIES = "summaries"
    GLOBAL_STEP = "global_step"
    TRAIN_OP = "train_op"
    VARIABLES = GLOBAL_VARIABLES


class Graph:
    """A dataflow graph: ops in creation order (which is a topological order)."""

    _eager = False  # True for the eager-mode stand-in (tensorlet.eager.context.EagerGraph)

    def __init__(self):
        self._ops = []
        self._by_name = {}
        self._name_counts = {}
        self._name_stack = ""
        self._control_stack = []
        self._collections = {}
        self._finalized = False
        self.seed = None
        self._var_store = {}
        self._var_scope_stack = []
        self._var_scope_counts = {}  # variable scope name -> times opened (default_name)
        self._attr_scope = {}
        self._growth = None  # state of the "graph grows between runs" detector

    # -- construction -------------------------------------------------------------------
    def create_op(self, op_type, inputs, attrs=None, name=None, dtypes=None):
        """Create an op of a registered type; infers outputs at once (raises on a bad build)."""
        if self._finalized:
            raise RuntimeError(
                f"Graph is finalized and cannot be modified (tried to add a {op_type!r} op). "
                "Build ops before the loop that runs them.")
        opdef = op_def(op_type)
        inputs = list(inputs)
        for i, t in enumerate(inputs):
            if not isinstance(t, Tensor):
                raise TypeError(f"{op_type}: input {i} must be a Tensor, got {type(t).__name__}")
            if t.graph is not self:
                raise ValueError(f"{op_type}: input {t.name} is from a different graph")
        attrs = dict(attrs or {})
        if name and name.endswith("/"):  # an exact name (a scope's), already made unique
            name = name[:-1]
            self._name_counts.setdefault(name.lower(), 1)
        else:
            name = self.unique_name(name or op_type)
        try:
            specs = opdef.infer(inputs, attrs)
        except (ValueError, TypeError) as e:
            shapes = ", ".join(f"{t.name}: {t.shape} {t.dtype.name}" for t in inputs)
            raise type(e)(f"{op_type} op {name!r}: {e} (inputs: {shapes or 'none'})") from None
        if isinstance(specs, tuple) and len(specs) == 2 and not isinstance(specs[0], tuple) \
                and isinstance(specs[1], _dt.DType):
            specs = [specs]
        check_output_sizes(op_type, name, specs)
        op = Operation(self, op_type, opdef, inputs, attrs, name, specs)
        self._ops.append(op)
        self._by_name[name] = op
        if self._growth is not None:
            self._growth.note_op(op)
        return op

    def unique_name(self, name, mark_as_used=True):
        """Scope-prefixed unique name: 'add', 'add_1', ...; 'scope/' prefix from name_scope."""
        full = (self._name_stack + "/" + name) if self._name_stack else name
        key = full.lower()
        i = self._name_counts.get(key, 0)
        if mark_as_used:
            self._name_counts[key] = i + 1
        if i > 0:
            base = full
            while True:
                full = f"{base}_{i}"
                if full.lower() not in self._name_counts:
                    break
                i += 1
            if mark_as_used:
                self._name_counts[full.lower()] = 1
        return full

    @contextlib.contextmanager
    def name_scope(self, name):
        old = self._name_stack
        if name is None or name == "":
            self._name_stack = ""
        elif name.endswith("/"):
            self._name_stack = name[:-1]
        else:
            self._name_stack = self.unique_name(name)
        try:
            yield (self._name_stack + "/") if self._name_stack else ""
        finally:
            self._name_stack = old

    def get_name_scope(self):
        return self._name_stack

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs):
        if control_inputs is None:
            old, self._control_stack = self._control_stack, []
            try:
                yield
            finally:
                self._control_stack = old
            return
        ops = []
        for c in control_inputs:
            c = getattr(c, "_control_op", lambda: c)()
            if isinstance(c, Tensor):
                c = c.op
            if not isinstance(c, Operation):
                raise TypeError(f"control_dependencies expects ops or tensors, got {c!r}")
            ops.append(c)
        self._control_stack.append(ops)
        try:
            yield
        finally:
            self._control_stack.pop()

    def _current_control_inputs(self):
        seen, out = set(), []
        for group in self._control_stack:
            for op in group:
                if id(op) not in seen:
                    seen.add(id(op))
                    out.append(op)
        return out

    @contextlib.contextmanager
    def as_default(self):
        _default_stack.append(self)
        try:
            yield self
        finally:
            _default_stack.pop()

    @contextlib.contextmanager
    def device(self, _name):
        """Accepted for compatibility; everything runs on the CPU."""
        yield

    def finalize(self):
        """Make the graph read-only: later op creation raises (catches ops built in loops)."""
        self._finalized = True

    @property
    def finalized(self):
        return self._finalized

    # -- lookup ---------------------------------------------------------------------------
    def get_operations(self):
        return list(self._ops)

    def get_operation_by_name(self, name):
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"The name {name!r} refers to an Operation not in the graph.") from None

    def get_tensor_by_name(self, name):
        if ":" not in name:
            raise ValueError(f"The name {name!r} looks like an op name, not a tensor name "
                             "(tensor names look like 'op_name:0').")
        op_name, idx = name.rsplit(":", 1)
        op = self.get_operation_by_name(op_name)
        try:
            return op.outputs[int(idx)]
        except (ValueError, IndexError):
            raise KeyError(f"The name {name!r} refers to a Tensor which does not exist; "
                           f"op {op_name!r} has {len(op.outputs)} outputs.") from None

    def as_graph_element(self, obj):
        if isinstance(obj, (Tensor, Operation)):
            return obj
        if hasattr(obj, "_as_graph_tensor"):
            return obj._as_graph_tensor()
        if isinstance(obj, str):
            return self.get_tensor_by_name(obj) if ":" in obj else self.get_operation_by_name(obj)
        raise TypeError(f"Cannot interpret {obj!r} as a Tensor or Operation")

    # -- collections ----------------------------------------------------------------------
    def add_to_collection(self, name, value):
        self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names, value):
        for n in ([names] if isinstance(names, str) else names):
            self.add_to_collection(n, value)

    def get_collection(self, name, scope=None):
        items = self._collections.get(name, [])
        if scope is None:
            return list(items)
        pat = re.compile(scope)
        return [x for x in items if pat.match(getattr(x, "name", "") or "")]

    def get_collection_ref(self, name):
        return self._collections.setdefault(name, [])

    def clear_collection(self, name):
        self._collections.pop(name, None)

    def get_all_collection_keys(self):
        return list(self._collections)

    @property
    def version(self):
        return len(self._ops)


class Operation:
    """A node: an op type, input tensors, attributes and output tensors."""

    __slots__ = ("graph", "type", "opdef", "inputs", "attrs", "name", "outputs",
                 "control_inputs", "_id", "traceback", "__weakref__")

    def __init__(self, graph, op_type, opdef, inputs, attrs, name, specs):
        self.graph = graph
        self.type = op_type
        self.opdef = opdef
        self.inputs = tuple(inputs)
        self.attrs = attrs
        self.name = name
        self._id = len(graph._ops)
        self.control_inputs = graph._current_control_inputs()
        self.outputs = tuple(Tensor(self, i, as_shape(s), _dt.as_dtype(d))
                             for i, (s, d) in enumerate(specs))
        self.traceback = _user_frame()

    def get_attr(self, name):
        return self.attrs[name]

    def values(self):
        return self.outputs

    @property
    def node_def(self):
        return {"name": self.name, "op": self.type, "attr": self.attrs}

    @property
    def device(self):
        return ""

    def run(self, feed_dict=None, session=None):
        from tensorlet.runtime.session import _session_for
        _session_for(session, self.graph).run(self, feed_dict)

    def _add_control_input(self, op):
        self.control_inputs = list(self.control_inputs) + [op]

    def __repr__(self):
        return f"<tf.Operation '{self.name}' type={self.type}>"


_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _user_frame():
    """The innermost stack frame outside the tensorlet package (where the user created the op)."""
    f = sys._getframe(2)
    while f is not None:
        fn = f.f_code.co_filename
        if not fn.startswith(_PKG_DIR):
            return f"{fn}:{f.f_lineno}"
        f = f.f_back
    return "<unknown>"


# The Python operators TensorLike defines (eager tensors and Keras variables wrap them).
OPERATORS = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
             "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__",
             "__rpow__", "__matmul__", "__rmatmul__", "__neg__", "__abs__", "__lt__", "__le__",
             "__gt__", "__ge__", "__and__", "__rand__", "__or__", "__ror__", "__xor__",
             "__invert__", "__getitem__")


class TensorLike:
    """Python operators on tensors and variables, dispatched to the registered math ops."""

    __slots__ = ()
    __array_priority__ = 100
    _eager = False  # True for eager tensors and variables (tensorlet.eager): concrete values

    def __add__(self, o): return _m().add(self, o)
    def __radd__(self, o): return _m().add(o, self)
    def __sub__(self, o): return _m().subtract(self, o)
    def __rsub__(self, o): return _m().subtract(o, self)
    def __mul__(self, o): return _m().multiply(self, o)
    def __rmul__(self, o): return _m().multiply(o, self)
    def __truediv__(self, o): return _m().truediv(self, o)
    def __rtruediv__(self, o): return _m().truediv(o, self)
    def __floordiv__(self, o): return _m().floordiv(self, o)
    def __rfloordiv__(self, o): return _m().floordiv(o, self)
    def __mod__(self, o): return _m().mod(self, o)
    def __rmod__(self, o): return _m().mod(o, self)
    def __pow__(self, o): return _m().pow(self, o)
    def __rpow__(self, o): return _m().pow(o, self)
    def __matmul__(self, o): return _m().matmul(self, o)
    def __rmatmul__(self, o): return _m().matmul(o, self)
    def __neg__(self): return _m().negative(self)
    def __pos__(self): return self
    def __abs__(self): return _m().abs(self)
    def __lt__(self, o): return _m().less(self, o)
    def __le__(self, o): return _m().less_equal(self, o)
    def __gt__(self, o): return _m().greater(self, o)
    def __ge__(self, o): return _m().greater_equal(self, o)
    def __and__(self, o): return _m().logical_and(self, o)
    def __rand__(self, o): return _m().logical_and(o, self)
    def __or__(self, o): return _m().logical_or(self, o)
    def __ror__(self, o): return _m().logical_or(o, self)
    def __xor__(self, o): return _m().logical_xor(self, o)
    def __invert__(self): return _m().logical_not(self)

    def __getitem__(self, key):
        from tensorlet.ops import array
        return array.slice_helper(self, key)

    def __bool__(self):
        raise TypeError("Using a tensor as a Python bool is not allowed in graph mode: "
                        "use tf.cond to branch on its value, or evaluate it in a Session.")

    def __iter__(self):
        shape = self.shape
        if shape.dims is None or not shape.dims or shape.dims[0] is None:
            raise TypeError(f"Tensor {self.name} of shape {shape} is not iterable: "
                            "its first dimension is unknown.")
        from tensorlet.ops import array
        return iter(array.unstack(self, num=shape.dims[0]))

    def __len__(self):
        d = self.shape.dims
        if d is None or not d or d[0] is None:
            raise TypeError(f"len() of tensor {self.name} with shape {self.shape} is unknown")
        return d[0]

    __hash__ = object.__hash__


def _m():
    from tensorlet.ops import math
    return math


class Tensor(TensorLike):
    """A symbolic output of an Operation: dtype, static shape (with None) and a name."""

    __slots__ = ("op", "value_index", "dtype", "_shape", "__weakref__")

    def __init__(self, op, index, shape, dtype):
        self.op = op
        self.value_index = index
        self._shape = shape
        self.dtype = dtype

    @property
    def shape(self):
        return self._shape

    def get_shape(self):
        return self._shape

    def set_shape(self, shape):
        self._shape = self._shape.merge_with(shape)

    @property
    def name(self):
        return f"{self.op.name}:{self.value_index}"

    @property
    def graph(self):
        return self.op.graph

    @property
    def device(self):
        return ""

    @property
    def ndim(self):
        return self._shape.ndims

    def consumers(self):
        return [op for op in self.graph._ops if self in op.inputs]

    def eval(self, feed_dict=None, session=None):
        from tensorlet.runtime.session import _session_for
        return _session_for(session, self.graph).run(self, feed_dict)

    def constant_value(self):
        """The value when it is known at build time (a Const op), else None."""
        if self.op.type == "Const":
            return self.op.attrs["value"]
        fold = getattr(self.op.opdef, "fold", None)
        return fold(self.op) if fold else None

    def _as_graph_tensor(self):
        return self

    def __repr__(self):
        return f"<tf.Tensor '{self.name}' shape={self._shape} dtype={self.dtype.name}>"

    __str__ = __repr__


# -- default graph --------------------------------------------------------------------------
_default_stack = []
_global_graph = [Graph()]


def get_default_graph():
    return _default_stack[-1] if _default_stack else _global_graph[0]


def reset_default_graph():
    if _default_stack:
        raise AssertionError("Do not use reset_default_graph() inside a `with graph.as_default()`"
                             " block.")
    if not _global_graph[0]._eager:  # eager execution, once enabled, stays on (as in TF 2)
        _global_graph[0] = Graph()


def name_scope(name, default_name=None, values=None):
    """`with tf.name_scope('layer1'):` prefixes the names of ops created inside."""
    return get_default_graph().name_scope(name if name is not None else default_name)


def control_dependencies(control_inputs):
    return get_default_graph().control_dependencies(control_inputs)


def device(_name):
    return get_default_graph().device(_name)


def add_to_collection(name, value):
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value):
    get_default_graph().add_to_collections(names, value)


def get_collection(key, scope=None):
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key):
    return get_default_graph().get_collection_ref(key)


def convert_to_tensor(value, dtype=None, name=None, dtype_hint=None):
    """A Tensor for `value`: tensors pass through (dtype checked), variables give their value,
    Python/NumPy values become constants (dtype, else dtype_hint for Python scalars)."""
    if isinstance(value, Tensor) and value._eager and not get_default_graph()._eager:
        value = np.asarray(value)  # an eager value used while building a graph: a constant
    if isinstance(value, Tensor):
        if dtype is not None and _dt.as_dtype(dtype) is not value.dtype:
            raise ValueError(f"Tensor conversion requested dtype {_dt.as_dtype(dtype).name} for "
                             f"tensor {getattr(value, 'name', value)} of dtype {value.dtype.name}")
        return value
    conv = getattr(value, "_as_graph_tensor", None)
    if conv is not None:
        return convert_to_tensor(conv(), dtype=dtype)
    from tensorlet.ops import array
    if isinstance(value, (list, tuple)) and holds_tensor(value):
        return _pack(value, dtype, name)
    if dtype is None and dtype_hint is not None and _is_python_number(value):
        dtype = dtype_hint
    return array.constant(value, dtype=dtype, name=name or "Const")


def holds_tensor(value):
    """Whether a (nested) list/tuple holds a graph tensor or variable somewhere."""
    if isinstance(value, (list, tuple)):
        try:  # fast path: numbers only (NumPy would make objects of tensors)
            if np.asarray(value).dtype != object:
                return False
        except (ValueError, TypeError, OverflowError):
            pass
        return any(holds_tensor(v) for v in value)
    return isinstance(value, TensorLike) and not value._eager


def _pack(value, dtype, name):
    """A nested list mixing tensors and numbers as one stacked tensor (TF's auto-packing):
    numbers take the tensors' dtype (or `dtype`), as in `[tf.shape(x)[0], -1]`."""
    from tensorlet.ops import array

    def leaves(v):
        return [u for x in v for u in leaves(x)] if isinstance(v, (list, tuple)) else [v]

    if dtype is None:
        dts = [convert_to_tensor(v).dtype for v in leaves(value) if isinstance(v, TensorLike)]
        dtype = dts[0]
        for d in dts[1:]:
            dtype = _dt.promote(dtype, d)

    def build(v):
        if isinstance(v, (list, tuple)):
            return array.stack([build(x) for x in v])
        if isinstance(v, TensorLike):
            t = convert_to_tensor(v)
            return t if t.dtype is _dt.as_dtype(dtype) else _m().cast(t, dtype)
        return array.constant(v, dtype=dtype)

    with name_scope(name or "packed"):
        return build(value)


def _is_python_number(v):
    if isinstance(v, (bool, int, float)):
        return True
    if isinstance(v, (list, tuple)):
        return all(_is_python_number(x) for x in v)
    return False


def is_tensor(x):
    return isinstance(x, TensorLike)


__all__ = ["Graph", "Operation", "Tensor", "GraphKeys", "get_default_graph",
           "reset_default_graph", "name_scope", "control_dependencies", "convert_to_tensor"]
