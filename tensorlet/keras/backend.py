"""The Keras backend on tensorlet's core, as Keras 2 was on TF 1.x.

Keras objects (layers, models, metrics, optimizers) build their ops in ONE core `Graph`, and
their variable values live in ONE `Session` on it; both are created lazily and replaced by
`clear_session()`. Each Keras graph keeps its own state (`graph._keras_state`), so models built
before a `clear_session()` keep working, as in Keras 3 (`in_own_graph`). Variables created
in a Keras graph are initialised automatically before the next `run`. A layer called on a
tensor of another graph (a TF 1.x program doing `Dense(10)(placeholder)`) builds in that graph
instead; that program's own session must then initialise the variables, as in TF 1.x.
"""
import contextlib
import functools
import gc
import random as _random
import re

import numpy as np

from tensorlet.eager.tensor import holds_graph_tensor, value_at_top
from tensorlet.framework import dtypes as _dt
from tensorlet.framework.graph import (OPERATORS, Graph, GraphKeys, Tensor, TensorLike,
                                       get_default_graph)
from tensorlet.ops.state import Variable
from tensorlet.runtime.session import Session, get_default_session

_DATA_FORMATS = ("channels_last", "channels_first")
_config = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}


class _State:
    """A Keras graph, its session and what `clear_session` resets; the graph refers back to it
    (`graph._keras_state`), so the objects of an earlier graph find their own session."""

    def __init__(self, seed=None):
        self.graph = None
        self.session = None
        self.checked_version = -1
        self.tracked = []  # variables outside the graph's collections (metrics, optimizers)
        self.name_counts = {}
        self.seed = seed


_state = _State()


# -- configuration ----------------------------------------------------------------------------


def floatx():
    """The default float type of Keras weights and inputs: 'float32'."""
    return _config["floatx"]


def set_floatx(value):
    if value not in ("float16", "float32", "float64", "bfloat16"):
        raise ValueError(f"Unknown floatx type: {value!r}; expected 'float16', 'float32' or "
                         "'float64'")
    _config["floatx"] = str(value)


def epsilon():
    """The fuzz factor used in numeric expressions: 1e-7."""
    return _config["epsilon"]


def set_epsilon(value):
    _config["epsilon"] = float(value)


def image_data_format():
    """'channels_last' (the default) or 'channels_first'."""
    return _config["image_data_format"]


def set_image_data_format(data_format):
    _config["image_data_format"] = standardize_data_format(data_format)


def standardize_data_format(data_format):
    """`data_format` checked, with None meaning the global `image_data_format()`."""
    if data_format is None:
        return image_data_format()
    fmt = str(data_format).lower()
    if fmt not in _DATA_FORMATS:
        raise ValueError(f"The `data_format` argument must be one of {_DATA_FORMATS}. "
                         f"Received: data_format={data_format!r}")
    return fmt


def backend():
    """The name of the backend: 'tensorlet'."""
    return "tensorlet"


# -- graph, session, names --------------------------------------------------------------------


def get_graph():
    """The graph that holds Keras objects (created on first use)."""
    if _state.graph is None:
        if get_default_graph()._eager:
            # eager mode: Keras weights are eager variables, which this graph's plans share
            from tensorlet.eager.function import FuncGraph
            _state.graph = FuncGraph("keras")
        else:
            _state.graph = Graph()
        _state.graph.seed = _state.seed
        _state.graph._keras_state = _state
    return _state.graph


def get_session():
    """The session that holds the values of the Keras graph's variables."""
    return _session_of(_state)


def _session_of(state):
    if state.session is None:
        graph = state.graph if state.graph is not None else get_graph()
        context = None
        if getattr(graph, "lifts_variables", False):  # runs with the eager variables' values
            from tensorlet.eager.context import CTX as context
        state.session = Session(graph=graph, context=context)
    return state.session


def _state_of(graph):
    """The Keras state of `graph` (None for a graph of the user's own)."""
    return getattr(graph, "_keras_state", None)


def clear_session(free_memory=True):
    """Forget every Keras object: a fresh graph, session and layer-name counters. Models built
    before keep their own graph and session and stay usable (Keras 3); `free_memory` collects
    what nothing refers to any more."""
    global _state
    _state = _State(seed=_state.seed)
    if free_memory:
        gc.collect()


def in_own_graph(method):
    """Decorator for methods of layers and models: while the method runs, the Keras graph the
    object was built in is the current one, so the steps, placeholders and optimizer state of
    a model built before a `clear_session()` go to its own graph. New objects pay one lookup."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        global _state
        state = _state_of(getattr(self, "_graph", None))
        if state is None or state is _state:
            return method(self, *args, **kwargs)
        outer, _state = _state, state
        try:
            return method(self, *args, **kwargs)
        finally:
            if _state is state:  # else clear_session() ran inside (a callback): keep its state
                _state = outer
    return wrapper


def set_graph_seed(seed):
    """Seed of the Keras graph (and of the graphs after `clear_session`); see set_random_seed."""
    _state.seed = None if seed is None else int(seed)
    if _state.graph is not None:
        _state.graph.seed = _state.seed


def make_default_seed():
    """A seed for a random layer or initializer created without one (from Python's `random`,
    so `keras.utils.set_random_seed` makes it repeatable, as in Keras 3)."""
    return _random.randint(1, int(1e9))


def to_snake_case(name):
    """'InputLayer' -> 'input_layer', 'Conv2D' -> 'conv2d' (Keras's rule)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_object_name(prefix):
    """'dense', then 'dense_1', 'dense_2', ... until `clear_session()`."""
    n = _state.name_counts.get(prefix, 0)
    _state.name_counts[prefix] = n + 1
    return prefix if n == 0 else f"{prefix}_{n}"


def is_keras_graph(graph):
    return _state_of(graph) is not None


_LAYER_CALLS = [0]  # depth of the layer calls (and traced forward passes) running now


@contextlib.contextmanager
def layer_call_scope(active=True):
    """Marks a layer's `call` (or a model's traced forward pass): graph code, where
    keras.random draws and keras.ops loops build graph ops even on concrete arguments.
    `active=False` marks code that runs as the top of a program would: a layer's `build`,
    which Keras 3 runs eagerly (a draw there is a fixed value)."""
    saved = _LAYER_CALLS[0]
    _LAYER_CALLS[0] = max(saved, 0) + 1 if active else -1
    try:
        yield
    finally:
        _LAYER_CALLS[0] = saved


def building_graph_code():
    """Whether Keras code running now builds graph code: a layer's call or traced forward
    pass, or (not in a layer's build) any code with a Keras graph as the default graph, such
    as a loss or metric being built for a compiled step."""
    if _LAYER_CALLS[0]:
        return _LAYER_CALLS[0] > 0
    graph = get_default_graph()
    return not graph._eager and is_keras_graph(graph)


def at_top_of_program(graph):
    """Whether code running now is at the top of a program for the Keras graph `graph` (not
    building graph code in it, not in eager mode; a layer's build counts as the top, as Keras 3
    builds eagerly): there Keras 3 objects are values."""
    default = get_default_graph()
    if default._eager or not is_keras_graph(graph):
        return False
    return default is not graph or in_layer_build()


def in_layer_build():
    """Whether a layer's build is running (top-level code in Keras 3)."""
    return _LAYER_CALLS[0] < 0


def session_for(graph):
    """The session that runs `graph`: that Keras graph's session, or the default one of a
    user graph."""
    if graph is None:
        return get_session()
    state = _state_of(graph)
    if state is not None:
        return _session_of(state)
    sess = get_default_session()
    if sess is None or sess.graph is not graph:
        raise ValueError(
            "These Keras weights live in a graph of your own (the layer was called on one of "
            "its tensors): evaluate them inside `with tf.Session(graph=...) as sess:` after "
            "running `tf.global_variables_initializer()`.")
    return sess


# -- variables --------------------------------------------------------------------------------


class KerasVariable(Variable):
    """A core Variable created by a Keras layer, with Keras 3's `path` ('dense/kernel'),
    `regularizer` and `numpy()`."""

    def __init__(self, initial_value, path, regularizer=None, **kwargs):
        super().__init__(initial_value, **kwargs)
        self.path = path
        self.regularizer = regularizer

    def numpy(self):
        return get_value(self)

    # Keras 3 writes `v.assign(array)` at once. At the top of a program (the default graph is
    # not the variable's) a concrete value is therefore written now and the variable returned;
    # while Keras or the user builds graph code (layers, metrics, optimizers run with the
    # variable's graph as the default) assign builds an op, as in TF 1.x.
    def assign(self, value, use_locking=False, name=None, read_value=True):
        value = value_at_top(value)
        if self._writes_now(value):
            set_value(self, value)
            return self
        return super().assign(value, use_locking, name, read_value)

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        if self._updated_now(delta, np.add):
            return self
        return super().assign_add(delta, use_locking, name, read_value)

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        if self._updated_now(delta, np.subtract):
            return self
        return super().assign_sub(delta, use_locking, name, read_value)

    def _updated_now(self, delta, combine):
        """Write combine(value, delta) at once when `_writes_now`; whether it did."""
        delta = value_at_top(delta)
        if not self._writes_now(delta):
            return False
        set_value(self, combine(get_value(self), np.asarray(delta, self.dtype.np)))
        return True

    def _writes_now(self, value):
        concrete = not isinstance(value, TensorLike) or getattr(value, "_eager", False)
        return concrete and not self._eager and (
            get_default_graph() is not self.graph or
            (in_layer_build() and is_keras_graph(self.graph)))

    # Read at the top of a program, the variable is its value, as in Keras 3 (`kernel * 2`,
    # `float(optimizer.learning_rate)`); in graph code it reads in the graph, as in TF 1.x.
    def _concrete_here(self):
        """The current value as an eager tensor at the top of a program (the variable of a
        Keras graph that is not the default one), else None."""
        if self._eager or not at_top_of_program(self.graph):
            return None
        from tensorlet.eager.tensor import EagerTensor
        return EagerTensor(get_value(self))

    def __array__(self, dtype=None, copy=None):
        value = np.asarray(self._value_here("NumPy array"))
        return value if dtype is None else value.astype(dtype)

    def __format__(self, spec):
        value = self._concrete_here()
        if value is None and spec:
            self._value_here("formatted number")  # raises: no value while graph code is built
        return format(value if value is not None else str(self), spec)

    def __iter__(self):
        value = self._concrete_here()
        return iter(value) if value is not None else super().__iter__()

    def __float__(self):
        return float(self._value_here("Python float"))

    def __int__(self):
        return int(self._value_here("Python int"))

    def _value_here(self, what):
        value = self._concrete_here()
        if value is None:
            raise TypeError(f"Cannot convert the variable {self.name} to a {what} while its "
                            "graph is being built (the value would be frozen into the graph); "
                            "use it as a tensor.")
        return value


def _reads_value_at_top(base):
    """An operator that uses the variable's value at the top of a program when no graph
    tensor takes part (`layer.bias + y` with y a Keras tensor stays a graph op)."""
    def operator(self, *other):
        other = tuple(value_at_top(o) for o in other)
        value = None if holds_graph_tensor(other) else self._concrete_here()
        return base(self, *other) if value is None else getattr(value, base.__name__)(*other)
    operator.__name__ = base.__name__
    return operator


for _name in OPERATORS:
    setattr(KerasVariable, _name, _reads_value_at_top(getattr(Variable, _name)))


def track_variables(variables):
    """Variables to initialise in the Keras session even when no graph collection lists them."""
    variables = list(variables)
    state = _state_of(variables[0].graph) if variables else None
    state = state or _state
    known = {id(v) for v in state.tracked}
    state.tracked.extend(v for v in variables if id(v) not in known)


def initialize_new_variables(sess):
    """Run the initialisers of Keras-graph variables that the session has no value for yet."""
    g = sess.graph
    state = _state_of(g)
    if state is None or g.version == state.checked_version:
        return
    values = sess._ctx.vars  # the session's variable store (tensorlet.runtime.context)
    seen, pending = set(), []
    for v in (g.get_collection(GraphKeys.GLOBAL_VARIABLES)
              + g.get_collection(GraphKeys.LOCAL_VARIABLES) + state.tracked):
        if isinstance(v, Variable) and v.graph is g and id(v) not in seen:
            seen.add(id(v))
            if v.op.name not in values:
                pending.append(v.initializer)
    if pending:
        sess.run(pending)
    state.checked_version = g.version


def run(fetches, feed_dict=None, graph=None):
    """`Session.run` on the Keras session (new variables initialised first), or on the default
    session of the user's graph that holds the fetches."""
    sess = session_for(graph)
    initialize_new_variables(sess)  # a Keras graph's new variables (none in a user graph)
    return sess.run(fetches, feed_dict)


class SessionCall:
    """`fetches` run with `arrays` fed to `feeds` in the session of their Keras graph, as `run`
    does (new variables initialised first), through a `make_callable` bound once per session."""

    __slots__ = ("fetches", "feeds", "_graph", "_sess", "_fn")

    def __init__(self, fetches, feeds):
        self.fetches, self.feeds = fetches, feeds
        self._graph = (list(fetches) + list(feeds))[0].graph
        self._sess = self._fn = None

    def __call__(self, arrays):
        sess = session_for(self._graph)
        if sess is not self._sess:
            self._fn = sess.make_callable(self.fetches, self.feeds)
            self._sess = sess
        initialize_new_variables(sess)  # as run does
        return self._fn(*arrays)


def _graph_of(x):
    g = getattr(x, "graph", None)
    if g is None:
        raise TypeError(f"Expected a Keras variable or tensor, got {type(x).__name__}")
    return g


def get_value(x):
    """The current value of a variable (or tensor) as a NumPy array."""
    if getattr(x, "_eager", False):  # an eager tensor or variable holds its value
        return np.array(x)
    return np.asarray(run(x, graph=_graph_of(x)))


def batch_get_value(xs):
    """The values of several variables (one run per graph)."""
    xs = list(xs)
    if not xs:
        return []
    if any(getattr(x, "_eager", False) for x in xs):
        return [get_value(x) for x in xs]
    g = _graph_of(xs[0])
    if all(_graph_of(x) is g for x in xs):
        return [np.asarray(v) for v in run(xs, graph=g)]
    return [get_value(x) for x in xs]


def set_value(x, value):
    """Give a variable a new value (shape and dtype checked), without building any op."""
    if not isinstance(x, Variable):
        raise TypeError(f"set_value expects a variable, got {type(x).__name__}")
    arr = np.asarray(value)
    if arr.shape != tuple(x.shape.as_list()):
        raise ValueError(f"Cannot set the value of variable {x.name!r} of shape "
                         f"{tuple(x.shape.as_list())} to an array of shape {arr.shape}")
    if arr.dtype.kind in "OUS":
        raise TypeError(f"Cannot set variable {x.name!r} ({x.dtype.name}) to {arr.dtype} data")
    if x._eager:
        x.load(arr.astype(x.dtype.np))
        return
    sess = session_for(x.graph)
    initialize_new_variables(sess)
    x.load(arr.astype(x.dtype.np), session=sess)


def batch_set_value(tuples):
    for x, value in tuples:
        set_value(x, value)


def eval(x):  # Keras's name
    """The value of a tensor or variable."""
    return get_value(x)


def is_tensor(x):
    return isinstance(x, (Tensor, Variable))


def standardize_dtype(dtype):
    """A dtype name ('float32'), None meaning floatx()."""
    if dtype is None:
        return floatx()
    if isinstance(dtype, dict):  # a serialised DTypePolicy
        dtype = dtype.get("config", {}).get("name", floatx())
    return _dt.as_dtype(getattr(dtype, "name", dtype)).name
