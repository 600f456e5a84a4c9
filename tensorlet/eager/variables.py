"""EagerVariable: what `tf.Variable(...)` makes in eager mode and inside `tf.function`.

Its value lives in the eager context (`CTX.vars[key]`, `key` = `v.op.name`), where the same
stateful kernels as in graph mode read and write it: `assign*` run the Assign ops at once, and
optimizer update ops (keyed by `v.op.name`) update it in place. Used while a graph is being
built (a function being traced), a read becomes a fresh `VariableV2` op of that graph reading the
same key, and assignments become ops of that graph; the traced plan runs with `CTX`, so eager
code and traced functions share one set of values.
"""
import weakref

import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.graph import Tensor, convert_to_tensor, get_default_graph
from tensorlet.framework.registry import op_def
from tensorlet.framework.shapes import TensorShape
from tensorlet.ops.base import apply
from tensorlet.ops.state import Variable

from .context import CTX, eager_mode
from .tensor import make


class _VariableOp:
    """`v.op`: the storage key as `name` (what update ops address), stable per variable."""

    __slots__ = ("name", "attrs", "__weakref__")
    type = "VariableV2"
    inputs = ()

    def __init__(self, key, attrs):
        self.name = key
        self.attrs = attrs

    @property
    def graph(self):
        return get_default_graph()

    def __repr__(self):
        return f"<eager variable op '{self.name}'>"


_READ = op_def("VariableV2")


class EagerVariable(Variable):
    """A variable holding its value (TF 2 semantics): `assign*` act at once, `numpy()`."""

    _eager = True

    def __init__(self, initial_value=None, trainable=None, collections=None,
                 validate_shape=True, caching_device=None, name=None, variable_def=None,
                 dtype=None, import_scope=None, constraint=None, synchronization=None,
                 aggregation=None, shape=None, **_kw):
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        if constraint is not None and not callable(constraint):
            raise ValueError(f"The `constraint` argument must be a callable, got {constraint!r}")
        value = _initial_array(initial_value, dtype)
        var_shape = TensorShape(shape) if shape is not None else TensorShape(value.shape)
        if not var_shape.is_compatible_with(value.shape):
            raise ValueError(f"initial_value has shape {value.shape}, not compatible with the "
                             f"given shape {var_shape}")
        if not validate_shape and shape is None:
            var_shape = TensorShape(None)
        graph = get_default_graph()
        if name and name.endswith("/"):  # an exact name (tf.get_variable's)
            full = name[:-1]
        else:
            scope = graph.get_name_scope()
            full = f"{scope}/{name or 'Variable'}" if scope else (name or "Variable")
        self._name = full
        self._key = CTX.new_key(full)
        self._dtype = _dt.as_dtype(value.dtype)
        self._shape = var_shape
        self._attrs = {"shape": var_shape, "dtype": self._dtype, "var_name": self._key}
        self._op = _VariableOp(self._key, self._attrs)
        CTX.vars[self._key] = value
        weakref.finalize(self, CTX.vars.pop, self._key, None)
        self.trainable = True if trainable is None else bool(trainable)
        self.constraint = constraint
        register = getattr(graph, "created_variables", None)  # a graph being traced
        if register is not None:
            register.append(self)

    # -- identity -----------------------------------------------------------------------------
    @property
    def name(self):
        return f"{self._name}:0"

    @property
    def op(self):
        return self._op

    @property
    def graph(self):
        return get_default_graph()

    @property
    def dtype(self):
        return self._dtype

    @property
    def shape(self):
        return self._shape

    def get_shape(self):
        return self._shape

    @property
    def initial_value(self):
        raise RuntimeError("initial_value is not supported for variables created in eager "
                           "mode (read the variable instead).")

    @property
    def initializer(self):
        return None  # nothing to run: the variable holds its value since its creation

    def is_initialized(self):
        return True

    # -- reading --------------------------------------------------------------------------------
    def _as_graph_tensor(self):
        """The value as a tensor of the current mode: an EagerTensor, or a read op of the graph
        being built. Active GradientTapes see the read (watch_accessed_variables)."""
        graph = get_default_graph()
        if graph._eager:
            arr = _READ.kernel(CTX, self._attrs)
            if arr.base is not None:  # a view into packed optimizer state: keep a snapshot
                arr = arr.copy()
            t = make(arr, self._dtype, 0, "VariableV2")
        else:
            t = graph.create_op("VariableV2", [], dict(self._attrs),
                                name=self._name.rsplit("/", 1)[-1] + "/read").outputs[0]
            reads = getattr(graph, "variable_reads", None)
            if reads is not None:
                graph.captured_variables[id(self)] = self
                reads.setdefault(id(self), []).append(t)
        for tape in CTX.tapes:
            tape._variable_read(self, t)
        return t

    def _graph_reads(self, graph):
        """The read ops of this variable in a traced graph (`tf.gradients` sums over them)."""
        reads = getattr(graph, "variable_reads", None)
        return list(reads.get(id(self), ())) if reads is not None else []

    def _control_op(self):
        return self._as_graph_tensor().op

    def value(self):
        return self._as_graph_tensor()

    def read_value(self):
        return self._as_graph_tensor()

    def numpy(self):
        """The current value (a copy), a NumPy scalar for a 0-d variable."""
        v = CTX.read(self._key)
        return v[()] if v.ndim == 0 else np.array(v, copy=True)

    def __array__(self, dtype=None, copy=None):
        v = np.array(CTX.read(self._key), copy=True)
        return v if dtype is None else v.astype(dtype, copy=False)

    def eval(self, session=None):
        raise NotImplementedError("eval is not supported when eager execution is enabled, is "
                                  ".numpy() what you're looking for?")

    def __bool__(self):
        return bool(self.read_value())

    def __float__(self):
        return float(self.read_value())

    def __int__(self):
        return int(self.read_value())

    def __index__(self):
        return self.read_value().__index__()

    def __format__(self, spec):
        return format(self.read_value(), spec)

    def __len__(self):
        return len(self.read_value())

    # -- writing --------------------------------------------------------------------------------
    def _update(self, op_type, value, read_value, validate_shape=True):
        value = convert_to_tensor(value, dtype=self._dtype) if not isinstance(value, Tensor) \
            or value.dtype is not self._dtype else value
        attrs = dict(self._attrs, validate_shape=validate_shape)
        out = apply(op_type, [value], attrs)
        if get_default_graph()._eager:
            return self if read_value else None
        return out if read_value else out.op

    def assign(self, value, use_locking=False, name=None, read_value=True):
        """Set the value now (eager: returns the variable itself; None with read_value=False)."""
        return self._update("Assign", value, read_value)

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        return self._update("AssignAdd", delta, read_value)

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        return self._update("AssignSub", delta, read_value)

    def load(self, value, session=None):
        """Set the value from a NumPy value without building an op (TF 1.x `load`)."""
        arr = np.array(value, dtype=self._dtype.np)
        if not self._shape.is_compatible_with(arr.shape):
            raise InvalidArgumentError(f"Cannot load a value of shape {arr.shape} into "
                                       f"variable {self.name} of shape {self._shape}")
        CTX.vars[self._key] = arr

    def __deepcopy__(self, memo):
        return EagerVariable(self.numpy(), trainable=self.trainable, name=self._name,
                             dtype=self._dtype, constraint=self.constraint)

    def __reduce__(self):
        raise TypeError("tf.Variable objects cannot be pickled; save their .numpy() values")

    def __repr__(self):
        v = CTX.read(self._key)
        shown = str(v[()]) if v.ndim == 0 else repr(v)
        return (f"<tf.Variable '{self.name}' shape={tuple(v.shape)} dtype={self._dtype.name}, "
                f"numpy={shown}>")


def _initial_array(initial_value, dtype):
    """The initial value as a fresh array, computed eagerly even while a graph is traced (TF's
    init_scope): callables run in eager mode; a graph tensor must not need any feed."""
    if callable(initial_value):
        with eager_mode():
            initial_value = initial_value()
    if isinstance(initial_value, Tensor) and not initial_value._eager:
        value = initial_value.constant_value()
        if value is None:
            value = _evaluate(initial_value)
    else:
        with eager_mode():
            value = convert_to_tensor(initial_value, dtype=dtype)._value
    value = np.array(value, copy=True)
    if dtype is not None and _dt.as_dtype(dtype).np != value.dtype:
        raise ValueError(f"initial_value is {_dt.as_dtype(value.dtype).name}, but dtype "
                         f"{_dt.as_dtype(dtype).name} was requested")
    return value


def _evaluate(t):
    from tensorlet.runtime.session import Session
    try:
        return Session(graph=t.graph, context=CTX).run(t)
    except InvalidArgumentError as e:
        raise ValueError(f"The initial value of a variable created inside tf.function must "
                         f"not depend on the function's inputs ({e})") from None



_EAGER_CLASSES = {}


def eager_class(cls):
    """The eager counterpart of a Variable class (`Variable.__new__` in eager mode).

    A subclass (Keras's variables) keeps its additions and its `__init__` (which reaches
    EagerVariable's), but where it overrides graph-variable behaviour that EagerVariable also
    defines (how the value is read or written), EagerVariable's version wins."""
    if issubclass(cls, EagerVariable):
        return cls
    if cls is Variable:
        return EagerVariable
    got = _EAGER_CLASSES.get(cls)
    if got is None:
        mro = cls.__mro__
        overridden = {k for klass in mro[:mro.index(Variable)] for k in vars(klass)}
        own = {k: v for k, v in vars(EagerVariable).items()
               if k in overridden and k not in _KEEP}
        own["__module__"] = cls.__module__
        got = _EAGER_CLASSES[cls] = type(f"Eager{cls.__name__}", (cls, EagerVariable), own)
    return got


_KEEP = frozenset({"__init__", "__module__", "__doc__", "__dict__", "__weakref__"})
