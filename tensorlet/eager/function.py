"""`tf.function`: trace a Python function into a graph once per input signature, then run the
cached plan (the same Session/Plan machinery and passes as graph mode).

Tensor and NumPy-array arguments become placeholders keyed by dtype and shape; Python values
are traced as constants and keyed by value; any other object by identity. A new key retraces
(Python side effects run again, only then), a key seen before reuses its trace;
`input_signature` (TensorSpecs, `None` dims allowed) fixes one trace. The traced graph runs with
the eager context (`CTX`): its variable reads and updates (assign, optimizer steps) act on the
same values as eager code, and every stateful op created while tracing runs on each call, in
program order. Variables may be created on the first trace only (as in TF).
"""
import functools
import logging
import warnings
import weakref

import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.graph import Graph, Operation, Tensor, TensorLike, get_default_graph
from tensorlet.framework.shapes import TensorShape
from tensorlet.ops.array import placeholder
from tensorlet.runtime.session import Session

from . import nest
from .context import CTX, EAGER_GRAPH
from .execute import unshare_names
from .tensor import make

_logger = logging.getLogger("tensorlet")
_RETRACE_WARNING_AT = 5


class TensorSpec:
    """The dtype and (possibly partial) shape of a tensor argument: `TensorSpec([None, 3])`."""

    def __init__(self, shape, dtype=_dt.float32, name=None):
        self.shape = TensorShape(shape)
        self.dtype = _dt.as_dtype(dtype)
        self.name = name

    @classmethod
    def from_tensor(cls, tensor, name=None):
        return cls(tensor.shape, tensor.dtype, name)

    def is_compatible_with(self, x):
        spec = x if isinstance(x, TensorSpec) else TensorSpec(np.shape(x), _dtype_of(x))
        return self.dtype is spec.dtype and self.shape.is_compatible_with(spec.shape)

    def __eq__(self, other):
        return isinstance(other, TensorSpec) and (self.shape.dims, self.dtype, self.name) == \
            (other.shape.dims, other.dtype, other.name)

    def __hash__(self):
        return hash((self.shape.dims, self.dtype, self.name))

    def __repr__(self):
        dims = None if self.shape.dims is None else tuple(self.shape.dims)
        return f"TensorSpec(shape={dims}, dtype=tf.{self.dtype.name}, name={self.name!r})"


class FuncGraph(Graph):
    """A graph whose variables are eager ones, shared with eager code (a traced function, and
    the Keras graph in eager mode): variables made in it (`created_variables`) and the eager
    variables it reads (`captured_variables`) live as long as it does; `variable_reads` lists
    each variable's read tensors (its gradient sums over them)."""

    lifts_variables = True

    def __init__(self, name):
        super().__init__()
        self.name = name
        self.created_variables = []
        self.captured_variables = {}
        self.variable_reads = {}


def _dtype_of(x):
    return x.dtype if isinstance(x, Tensor) else _dt.as_dtype(np.asarray(x).dtype)


def _is_tensor_arg(x):
    return isinstance(x, (Tensor, np.ndarray))


class ConcreteFunction:
    """One trace: its graph, placeholders and outputs, run as one cached plan per call."""

    def __init__(self, graph, placeholders, positions, flatten, outputs):
        self.graph = graph
        self.inputs = placeholders
        self._positions = positions  # index of each placeholder's leaf in the flat arguments
        self.structured_outputs = outputs
        leaves = nest.flatten(outputs)
        self._leaf_fetch = []  # per output leaf: index into the fetched values, or -1
        fetches = []
        for leaf in leaves:
            if isinstance(leaf, Tensor) and not leaf._eager:
                self._leaf_fetch.append(len(fetches))
                fetches.append(leaf)
            else:
                self._leaf_fetch.append(-1)
        self._leaves = [None if isinstance(x, Operation) else x for x in leaves]
        self._fetches = fetches
        stateful = [op for op in graph.get_operations() if op.opdef.stateful]
        # ops of cond/loop branches run inside their Cond/While op only (when taken)
        inner = {o for op in stateful for a in op.attrs.values()
                 for o in getattr(a, "inner_ops", ())}
        self._run_list = fetches + [op for op in stateful if op not in inner]
        self._writes = tuple({n for op in stateful for n in _strings(op.attrs.values())
                              if n in CTX.vars})
        # the variables it reads or made: alive as long as the trace is
        self._variables = list(graph.created_variables) + \
            list(graph.captured_variables.values())
        self._session = Session(graph=graph, context=CTX)
        self._flatten = flatten  # arguments -> leaves, as when traced

    def _run(self, arrays):
        unshare_names(self._writes)
        values = self._session.run(self._run_list, dict(zip(self.inputs, arrays)))
        out = [make(np.asarray(values[k]), self._fetches[k].dtype, 0, "PartitionedCall")
               if k >= 0 else leaf for k, leaf in zip(self._leaf_fetch, self._leaves)]
        return nest.pack_as(self.structured_outputs, out)

    def __call__(self, *args, **kwargs):
        leaves = self._flatten(args, kwargs)
        return self._run([_array(leaves[i], p.dtype) for i, p in zip(self._positions,
                                                                       self.inputs)])


def _strings(values):
    for v in values:
        if isinstance(v, str):
            yield v
        elif isinstance(v, (tuple, list)):
            yield from _strings(v)


def _array(x, dtype):
    if isinstance(x, Tensor):
        if not x._eager:
            raise TypeError(f"tf.function got the graph tensor {x.name!r} as an argument: pass "
                            "eager tensors or NumPy values (or call it in a graph directly)")
        v = x._value
    else:
        v = np.asarray(x)
    return v if v.dtype == dtype.np else v.astype(dtype.np)


class Function:
    """A Python function compiled per input signature (what `tf.function` returns)."""

    def __init__(self, python_function, input_signature=None, name=None,
                 reduce_retracing=False):
        self.python_function = python_function
        functools.update_wrapper(self, python_function)
        self._signature = None if input_signature is None else list(input_signature)
        if self._signature is not None:
            for s in nest.flatten(self._signature):
                if not isinstance(s, TensorSpec):
                    raise TypeError(f"input_signature must hold tf.TensorSpec objects, got "
                                    f"{s!r}")
        self._name = name or getattr(python_function, "__name__", "function")
        self._reduce_retracing = reduce_retracing
        self._traces = {}
        self._trace_count = 0
        self._bound = weakref.WeakKeyDictionary()

    @property
    def input_signature(self):
        return self._signature

    def experimental_get_tracing_count(self):
        return self._trace_count

    def __get__(self, instance, owner):
        """A method gets one Function per instance (each with its own traces)."""
        if instance is None:
            return self
        try:
            bound = self._bound.get(instance)
        except TypeError:  # not weak-referenceable: a plain bound method, traced per call
            return Function(self.python_function.__get__(instance, owner), self._signature,
                            self._name, self._reduce_retracing)
        if bound is None:
            ref, fn = weakref.ref(instance), self.python_function

            @functools.wraps(fn)
            def method(*args, **kwargs):  # holds the instance weakly (it keys the cache)
                return fn(ref(), *args, **kwargs)
            bound = Function(method, self._signature, self._name, self._reduce_retracing)
            self._bound[instance] = bound
        return bound

    def __call__(self, *args, **kwargs):
        if not get_default_graph()._eager:  # inside another trace, or in graph mode: inline
            return self.python_function(*args, **kwargs)
        if any(t._graph._eager for t in CTX.tapes):
            # a recording tape must see every op: run the Python function eagerly instead
            return self.python_function(*args, **kwargs)
        leaves, key, specs = self._signature_of(args, kwargs)
        trace = self._traces.get(key)
        if trace is None:
            trace = self._trace(args, kwargs, leaves, specs)
            self._traces[key] = trace
        return trace._run([_array(leaves[i], specs[i].dtype) for i in trace._positions])

    def get_concrete_function(self, *args, **kwargs):
        """The trace for these arguments (traced now if needed); callable with such arguments."""
        leaves, key, specs = self._signature_of(args, kwargs)
        trace = self._traces.get(key)
        if trace is None:
            trace = self._traces[key] = self._trace(args, kwargs, leaves, specs)
        return trace

    # -- signatures -----------------------------------------------------------------------------
    def _signature_of(self, args, kwargs):
        """(flat argument leaves, cache key, {leaf index: TensorSpec of a tensor leaf})."""
        if self._signature is not None:
            return self._fixed_signature(args, kwargs)
        leaves = nest.flatten((args, kwargs))
        specs, key = {}, []
        for i, x in enumerate(leaves):
            if _is_tensor_arg(x):
                if isinstance(x, Tensor) and not x._eager:
                    raise TypeError(f"{self._name}: got the graph tensor {x.name!r} as an "
                                    "argument; pass eager tensors or NumPy values")
                shape = np.shape(x)
                if self._reduce_retracing:
                    shape = [None] * len(shape)
                specs[i] = TensorSpec(shape, _dtype_of(x))
                key.append((specs[i].dtype, specs[i].shape.dims))
            elif isinstance(x, TensorLike) or not _hashable(x):
                key.append(("id", id(x)))
            else:
                key.append((type(x), x))
        return leaves, (_structure_key((args, kwargs)), tuple(key)), specs

    def _fixed_signature(self, args, kwargs):
        if kwargs:
            raise TypeError(f"{self._name} has an input_signature: pass its arguments "
                            "positionally")
        if len(args) != len(self._signature):
            raise TypeError(f"{self._name} takes {len(self._signature)} arguments (its "
                            f"input_signature), got {len(args)}")
        try:
            leaves = nest.flatten_up_to(self._signature, list(args))
        except ValueError:
            raise ValueError(f"{self._name}: the arguments do not match the structure of the "
                             f"input_signature {self._signature}") from None
        sig = nest.flatten(self._signature)
        for i, (x, spec) in enumerate(zip(leaves, sig)):
            if isinstance(x, Tensor) and x.dtype is not spec.dtype:
                raise TypeError(f"{self._name}: argument {i} is {x.dtype.name}, the "
                                f"input_signature expects {spec}")
            shape = np.shape(x)
            if not spec.shape.is_compatible_with(shape):
                raise ValueError(f"{self._name}: argument {i} has shape {shape}, not "
                                 f"compatible with the input_signature's {spec}")
        return leaves, "input_signature", dict(enumerate(sig))

    # -- tracing ----------------------------------------------------------------------------------
    def _trace(self, args, kwargs, leaves, specs):
        self._trace_count += 1
        n = self._trace_count
        if n > 1:
            _logger.info("tf.function %s: retracing (trace %d) for a new input signature",
                         self._name, n)
        if n == _RETRACE_WARNING_AT:
            warnings.warn(
                f"tf.function {self._name!r} has been traced {n} times: each new Python value, "
                "string, shape or dtype of its arguments retraces it, which is slow. Pass "
                "tensors instead of Python numbers, or give an input_signature (None for "
                "dimensions that vary).", RuntimeWarning, stacklevel=3)
        graph = FuncGraph(self._name)
        graph.seed = EAGER_GRAPH.seed
        positions = sorted(specs)
        with graph.as_default():
            new = list(leaves)
            phs = []
            for i in positions:
                spec = specs[i]
                new[i] = placeholder(spec.dtype, spec.shape, name=spec.name or f"arg{i}")
                phs.append(new[i])
            if self._signature is not None:
                call_args, call_kwargs = tuple(nest.pack_as(self._signature, new)), {}
            else:
                call_args, call_kwargs = nest.pack_as((args, kwargs), new)
            outputs = self.python_function(*call_args, **call_kwargs)
        if graph.created_variables and n > 1:
            raise ValueError(f"tf.function {self._name!r} tried to create variables on a "
                             "later trace (a new input signature): create them on the first "
                             "call only, e.g. outside the function or only when they do not "
                             "exist yet.")
        return ConcreteFunction(graph, phs, positions,
                                lambda a, kw: self._signature_of(a, kw)[0], outputs)


def _hashable(x):
    try:
        hash(x)
        return True
    except TypeError:
        return False


def _structure_key(x):
    if isinstance(x, dict):
        return ("dict", tuple((k, _structure_key(x[k])) for k in sorted(x)))
    if isinstance(x, (list, tuple)) and not hasattr(x, "_as_graph_tensor"):
        return (type(x).__name__, tuple(_structure_key(v) for v in x))
    return None


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_relax_shapes=None, name=None, **_kw):
    """`@tf.function` / `tf.function(fn, input_signature=[tf.TensorSpec([None, 3])])`."""
    relax = bool(reduce_retracing or experimental_relax_shapes)

    def wrap(fn):
        if not callable(fn):
            raise TypeError(f"tf.function expects a callable, got {fn!r}")
        return Function(fn, input_signature, name, relax)

    return wrap if func is None else wrap(func)
