"""The Keras `Metric` base class on a graph engine: state in non-trainable core Variables.

Subclasses follow Keras 3: create state with `add_variable` in `__init__`, write
`update_state` (assign ops), `result` and optionally `reset_state`. This class wraps them so that

- on graph tensors, `update_state` returns ONE update op (every assign the subclass built, so
  subclasses need not return anything) and `metric(y_true, y_pred)` returns the result tensor
  AFTER that update (the result's variable reads run after the assigns);
- on NumPy values, `update_state` runs the update at once in the session that holds the state
  (`keras.backend`), and `metric(...)` returns the running result as a value (`MetricValue`);
- `reset_state()` zeroes the state at once (its op is built once per graph);
- `result()` returns the result tensor while graph code is built (the metric's graph is the
  default one: Keras's own steps, a TF 1.x program whose tensors the metric saw); called at the
  top of a Keras program it returns the current value (`MetricValue`: a NumPy array with
  `.numpy()`), as Keras 3 returns a concrete tensor, from a result graph built once per graph
  (a result() that reads Python attributes sees their values at that first call).

State lives in the Keras graph unless the metric is used on tensors of another graph, where it
is created again (from zero).
"""
import functools
import warnings

import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.eager.context import shares_eager_state
from tensorlet.framework.graph import (GraphKeys, Operation, TensorLike, control_dependencies,
                                       get_default_graph, name_scope)
from tensorlet.keras import backend, initializers, tree
from tensorlet.ops import array as _array
from tensorlet.ops import control as _control
from tensorlet.ops.base import apply


class StateVariable(backend.KerasVariable):
    """A metric's state variable. Read inside `control_dependencies`, it reads afresh (after
    the dependencies ran), so a result built after an update sees the updated value."""

    def _as_graph_tensor(self):
        if not self.graph._current_control_inputs():
            return self._ref
        return apply("VariableV2", [], {"shape": self.shape, "dtype": self.dtype,
                                        "var_name": self._ref.op.name},
                     name=self._ref.op.name + "/read_after")


def _is_symbolic(x):
    return hasattr(x, "graph") and hasattr(x, "dtype")


def _leaves(args, kwargs):
    return [a for a in list(args) + list(kwargs.values()) if a is not None]


def _graph_of(args, kwargs):
    for a in _leaves(args, kwargs):
        if _is_symbolic(a):
            return a.graph
    return None


def _new_update_ops(graph, start, exclude):
    """The state-changing ops created in `graph` since op number `start`."""
    return [op for op in graph.get_operations()[start:]
            if op.opdef.stateful and op.type != "VariableV2" and op not in exclude]


def _map(fn, x):
    if isinstance(x, dict):
        return {k: _map(fn, v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_map(fn, v) for v in x)
    return fn(x)


def _wrap_update(raw):
    @functools.wraps(raw)
    def update_state(self, *args, **kwargs):
        if self._building:
            return raw(self, *args, **kwargs)
        graph = _graph_of(args, kwargs)
        if graph is None:
            self._run_numpy(args, kwargs, want_result=False)
            return None
        return self._update_op(raw, graph, args, kwargs)
    update_state._metric_wrapped = True
    return update_state


def _graph_for(metric):
    """Where the metric builds: its graph, or the current one when both hold eager variables
    (eager mode, tf.function: they share the state's values)."""
    graph = get_default_graph()
    if shares_eager_state(graph) and shares_eager_state(metric._graph):
        return graph
    return metric._graph


def _wrap_result(raw):
    @functools.wraps(raw)
    def result(self):
        graph = _graph_for(self)
        if self._building or not backend.at_top_of_program(graph):
            with graph.as_default(), name_scope(self.name):
                return raw(self)
        out = self._result_tensors.get(graph)  # the top of a Keras program: a value
        if out is None:
            with graph.as_default(), name_scope(self.name):
                out = self._result_tensors[graph] = raw(self)
        tensors = [t for t in tree.flatten(out) if isinstance(t, TensorLike)]
        values = dict(zip(map(id, tensors), backend.run(tensors, graph=graph)))
        return _map(lambda t: MetricValue.of(values[id(t)]) if id(t) in values else t, out)
    result._metric_wrapped = True
    return result


def _wrap_reset(raw):
    @functools.wraps(raw)
    def reset_state(self):
        if self._building:
            return raw(self)
        if _graph_for(self)._eager:  # eager mode: the reset runs as it is built
            self._capture(raw, _graph_for(self), ())
            return
        op = self._reset_ops.get(self._graph)
        if op is None:
            op = self._capture(raw, self._graph, ())
            self._reset_ops = {self._graph: op}
        if self._variables:
            backend.run(op, graph=self._graph)
    reset_state._metric_wrapped = True
    return reset_state


def _as_value(v):
    """A fetched result leaf as a MetricValue (arrays and NumPy scalars; others as they are)."""
    return MetricValue.of(v) if isinstance(v, (np.ndarray, np.generic)) else v


class MetricValue(np.ndarray):
    """What `result()` returns at the top of a Keras program: a NumPy array (arithmetic,
    comparisons, `float()` and formatting as a value) that also answers `.numpy()`, as the
    tensors Keras 3 returns do."""

    _eager = True  # a concrete value (keras.backend.get_value and friends take it as is)

    @classmethod
    def of(cls, value):
        return np.asarray(value).view(cls)

    def numpy(self):
        """The value as a plain NumPy scalar (0-d) or array."""
        value = self.view(np.ndarray)
        return value[()] if value.ndim == 0 else value.copy()


class Metric:
    """Base class of stateful metrics (see the module docstring)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, wrap in (("update_state", _wrap_update), ("result", _wrap_result),
                           ("reset_state", _wrap_reset)):
            fn = cls.__dict__.get(name)
            if fn is not None and not getattr(fn, "_metric_wrapped", False):
                setattr(cls, name, wrap(fn))

    def __init__(self, name=None, dtype=None):
        self.name = name or backend.to_snake_case(type(self).__name__)
        self._dtype = _dt.as_dtype(dtype or backend.floatx()).name
        self._variables = []
        self._specs = []  # (shape, initializer, dtype, name) of each variable, to rebuild
        self._graph = backend.get_graph()
        self._building = False
        self._reset_ops = {}
        self._numpy_plans = {}
        self._result_tensors = {}  # graph -> result() built there, for top-level calls

    @property
    def dtype(self):
        return self._dtype

    @property
    def variables(self):
        return list(self._variables)

    # -- state ------------------------------------------------------------------------------
    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum",
                     name=None):
        """A non-trainable state variable of this metric (Keras 3's signature)."""
        if not hasattr(self, "_variables"):
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before "
                               "add_variable()")
        spec = (tuple(shape), initializers.get(initializer), dtype or self._dtype,
                name or "variable")
        self._specs.append(spec)
        var = self._make_variable(*spec)
        self._variables.append(var)
        return var

    add_weight = add_variable

    def _make_variable(self, shape, initializer, dtype, name):
        with self._graph.as_default(), name_scope(self.name.replace("/", ">")):
            var = StateVariable(lambda: initializer(shape, dtype), path=f"{self.name}/{name}",
                                trainable=False, name=name, dtype=dtype,
                                collections=[GraphKeys.LOCAL_VARIABLES])
        return var

    def _ensure_graph(self, graph):
        """Move the state to `graph` (new variables from zero) when it lives elsewhere."""
        if graph is self._graph or (shares_eager_state(graph) and
                                    shares_eager_state(self._graph)):
            return
        if self._reset_ops and backend.is_keras_graph(graph) and \
                backend.is_keras_graph(self._graph):
            warnings.warn(
                f"Metric '{self.name}' was used in a Keras graph from before clear_session() "
                "and now starts again from zero in the current one; a model built before "
                "clear_session() that uses it keeps the old state, which this metric no longer "
                "resets. Give each model its own metric objects.", RuntimeWarning, stacklevel=4)
        old = list(self._variables)
        self._graph = graph
        self._variables = [self._make_variable(*spec) for spec in self._specs]
        replace = {id(o): n for o, n in zip(old, self._variables)}
        for attr, value in list(vars(self).items()):
            if id(value) in replace:
                setattr(self, attr, replace[id(value)])
        self._reset_ops, self._numpy_plans, self._result_tensors = {}, {}, {}

    def _build_for(self, *args, **kwargs):
        """Hook: create state that depends on the first inputs' shapes (graph is current)."""

    # -- graph building ---------------------------------------------------------------------
    def _capture(self, fn, graph, args, kwargs=None):
        """One op running every state change `fn(self, *args)` builds in `graph`."""
        with graph.as_default(), name_scope(self.name):
            start = graph.version
            exclude = {v.initializer for v in self._variables}
            self._building = True
            try:
                out = fn(self, *args, **(kwargs or {}))
            finally:
                self._building = False
            exclude |= {v.initializer for v in self._variables}
            ops = _new_update_ops(graph, start, exclude)
            if isinstance(out, Operation):
                ops.append(out)
            return _control.group(ops, name="update")

    def _update_op(self, raw, graph, args, kwargs):
        self._ensure_graph(graph)
        with graph.as_default(), name_scope(self.name):
            self._building = True
            try:
                self._build_for(*args, **kwargs)
            finally:
                self._building = False
        return self._capture(raw, graph, args, kwargs)

    def __call__(self, *args, **kwargs):
        """Update with these values and return the running result (NumPy for NumPy inputs,
        the result tensor after the update for graph tensors)."""
        graph = _graph_of(args, kwargs)
        if graph is None:
            return self._run_numpy(args, kwargs, want_result=True)
        update = self.update_state(*args, **kwargs)
        return self._result_after(update)

    def _result_after(self, update):
        with update.graph.as_default(), control_dependencies([update]):
            return _map(lambda r: _array.identity(r), self.result())

    # -- NumPy values ---------------------------------------------------------------------
    def _run_numpy(self, args, kwargs, want_result):
        if not backend.is_keras_graph(self._graph):  # state in a user graph: back to Keras's
            self._ensure_graph(backend.get_graph())
        arrays = [None if a is None else np.asarray(a) for a in args]
        kw = {k: (None if v is None else np.asarray(v)) for k, v in kwargs.items()}
        key = (tuple(_signature(a) for a in arrays),
               tuple(sorted((k, _signature(v)) for k, v in kw.items())))
        plan = self._numpy_plans.get(key)
        if plan is None:
            plan = self._numpy_plan(arrays, kw)
            self._numpy_plans[key] = plan
        holders, update, result = plan
        feed = {h: v for h, v in zip(holders, [a for a in arrays + list(kw.values())
                                              if a is not None])}
        if not want_result:
            backend.run(update, feed, graph=self._graph)
            return None
        return _map(_as_value, backend.run(result, feed, graph=self._graph))

    def _numpy_plan(self, arrays, kw):
        """Placeholders (batch axis free) for the values, the update op, the result after it."""
        with self._graph.as_default(), name_scope(self.name + "_inputs"):
            holders = []

            def holder(a):
                if a is None:
                    return None
                dt = _dt.as_dtype(a.dtype) if a.dtype.kind in "biuf" else _dt.float32
                shape = [None] + list(a.shape[1:]) if a.ndim else []
                h = _array.placeholder(dt, shape)
                holders.append(h)
                return h
            args = [holder(a) for a in arrays]
            kwargs = {k: holder(v) for k, v in kw.items()}
        update = self.update_state(*args, **kwargs)
        return holders, update, self._result_after(update)

    # -- Keras API ----------------------------------------------------------------------
    def reset_state(self):
        """Set every state variable back to zero."""
        for v in self._variables:
            v.assign(_array.zeros(v.shape.as_list(), v.dtype))

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state()")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result()")

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _signature(a):
    if a is None:
        return None
    return (a.dtype.str, a.shape[1:] if a.ndim else None)


# The base class's own methods get the same wrapping as subclasses'.
Metric.reset_state = _wrap_reset(Metric.__dict__["reset_state"])
