"""The eager-mode switch and its process-wide state.

Eager mode is a default graph that runs ops instead of recording them: `EAGER_GRAPH` (an
`EagerGraph`) stands in as the default graph, so `ops.base.apply` (and any direct `create_op`)
executes the registered op at once (`tensorlet.eager.execute`). `enable_eager_execution()` makes
it the program-wide default (TF 1.x spelling); `with eager_mode():` enters it for a block;
`with tf.Graph().as_default():` inside eager mode builds a graph again, as in TF 2. The values
of eager variables and the random streams of eager ops live in one `EagerContext` (`CTX`),
which graphs traced by `tf.function` also run with.
"""
import collections
import contextlib

import numpy as np

from tensorlet.framework import graph as _graph
from tensorlet.framework.graph import Graph, get_default_graph
from tensorlet.runtime.context import RunContext, stateless_rng

_MAX_STREAMS = 4096


class EagerContext(RunContext):
    """Eager mode's state: eager variables' values (by storage key), random streams, and the
    stack of active GradientTapes."""

    def __init__(self):
        super().__init__()
        self._streams = collections.OrderedDict()
        self._key_counts = {}
        self.tapes = []

    def rng_for(self, attrs):
        """A seeded op continues the stream of its (seed, seed2) pair, so calling it again gives
        new numbers and a rerun of the program the same ones; unseeded ops share one fresh
        stream. (`set_random_seed` restarts the streams.)"""
        if attrs.get("stateless"):
            return stateless_rng(attrs)
        seed, seed2 = attrs.get("seed"), attrs.get("seed2")
        if seed is None and seed2 is None:
            return self._entropy
        key = (seed, seed2)
        gen = self._streams.get(key)
        if gen is None:
            gen = self._streams[key] = np.random.default_rng([seed or 0, seed2 or 0, 0x7E57])
            if len(self._streams) > _MAX_STREAMS:
                self._streams.popitem(last=False)
        return gen

    def reset_streams(self):
        self._streams.clear()

    def new_key(self, name):
        """A storage key for a new eager variable: `name@0`, `name@1`, ... ('@' keeps the keys
        apart from graph variables' op names when a graph runs with this context)."""
        n = self._key_counts.get(name, 0)
        key = f"{name}@{n}"
        while key in self.vars:
            n += 1
            key = f"{name}@{n}"
        self._key_counts[name] = n + 1
        return key


CTX = EagerContext()


class EagerGraph(Graph):
    """The default graph of eager mode: `create_op` runs the op at once and records nothing.

    Name scopes only prefix names (nothing is made unique, nothing accumulates); collections
    and control dependencies do nothing, as in TF 2's eager mode. Setting `seed`
    (`tf.set_random_seed`) restarts the eager random streams.
    """

    _eager = True
    lifts_variables = True  # tf.Variable() here makes an EagerVariable

    def __init__(self):
        self._seed = None
        super().__init__()

    @property
    def seed(self):
        return self._seed

    @seed.setter
    def seed(self, value):
        self._seed = value
        CTX.reset_streams()

    def execute(self, op_type, inputs, attrs=None, name=None):
        """Run one op now: its output EagerTensor, or a tuple of them (`ops.base.apply`)."""
        outs = _execute(op_type, inputs, attrs)[1]
        return outs[0] if len(outs) == 1 else outs

    def create_op(self, op_type, inputs, attrs=None, name=None, dtypes=None):
        return _create_op(op_type, inputs, attrs)

    def unique_name(self, name, mark_as_used=True):
        return f"{self._name_stack}/{name}" if self._name_stack else name

    @contextlib.contextmanager
    def name_scope(self, name):
        old = self._name_stack
        if not name:
            self._name_stack = ""
        elif name.endswith("/"):
            self._name_stack = name[:-1]
        else:
            self._name_stack = f"{old}/{name}" if old else name
        try:
            yield (self._name_stack + "/") if self._name_stack else ""
        finally:
            self._name_stack = old

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs):
        yield

    def add_to_collection(self, name, value):
        pass

    def finalize(self):
        pass


EAGER_GRAPH = EagerGraph()


def shares_eager_state(graph):
    """Whether `graph` holds eager variables (the eager graph, tf.function traces, the Keras
    graph in eager mode): all such graphs share one set of variable values, so objects bound to
    one (optimizers, metrics) can build in whichever of them is current."""
    return getattr(graph, "lifts_variables", False)


def executing_eagerly():
    """Whether ops run at once here (eager mode and no graph being built)."""
    return get_default_graph()._eager


def enable_eager_execution(config=None, device_policy=None, execution_mode=None):
    """Run ops eagerly from now on, program-wide (call it at program start, as in TF 1.x).

    Graphs can still be built inside `with tf.Graph().as_default():`."""
    if _graph._default_stack and not _graph._default_stack[-1]._eager:
        raise ValueError("tf.enable_eager_execution must be called at program startup, not "
                         "while a graph is being built (inside `with graph.as_default():`).")
    _graph._global_graph[0] = EAGER_GRAPH


def disable_eager_execution():
    """Back to graph mode: a fresh default graph (TF's `tf.compat.v1.disable_eager_execution`)."""
    if _graph._global_graph[0]._eager:
        _graph._global_graph[0] = Graph()


@contextlib.contextmanager
def eager_mode():
    """`with tensorlet.eager_mode():` runs the ops of the block eagerly."""
    with EAGER_GRAPH.as_default():
        yield


from .execute import create_op as _create_op, execute as _execute  # noqa: E402  (cycle)
