"""Session: runs fetches of a graph with feeds, caching one compiled plan per signature."""
import collections
import warnings

import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.graph import Operation, Tensor, get_default_graph
from tensorlet.framework.traceback_utils import filter_traceback
from .allocator import tune_allocator
from .context import RunContext
from .plan import Plan, prune

_MAX_PLANS = 128
_GROWTH_RUNS = 20
_default_sessions = []


class Session:
    """`with tf.Session() as sess: sess.run(fetches, feed_dict)` (TF 1.x semantics)."""

    def __init__(self, target="", graph=None, config=None, context=None):
        self.graph = graph if graph is not None else get_default_graph()
        tune_allocator()
        # `context`: the RunContext holding variable values and random streams; a graph
        # traced by tf.function runs with the eager context, sharing its variables.
        self._ctx = context if context is not None else RunContext()
        self._plans = collections.OrderedDict()
        self._closed = False
        self._last_version = None
        self._growth_runs = 0
        self._growth_warned = False
        self._default_cm = None

    # -- context management ---------------------------------------------------------------
    def __enter__(self):
        self._default_cm = self.graph.as_default()
        self._default_cm.__enter__()
        _default_sessions.append(self)
        return self

    def __exit__(self, *exc):
        if _default_sessions and _default_sessions[-1] is self:
            _default_sessions.pop()
        self._default_cm.__exit__(*exc)
        self.close()

    def as_default(self):
        return _SessionDefault(self)

    def close(self):
        self._closed = True
        self._plans.clear()
        self._ctx = None

    @property
    def closed(self):
        return self._closed

    # -- running ----------------------------------------------------------------------------
    @filter_traceback
    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Evaluate `fetches` (tensor, op, name, variable, or nested list/tuple/dict thereof)."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if self.graph._eager:
            raise RuntimeError(
                "Session.run is not available in eager mode: ops have already run and tensors "
                "hold their values (call .numpy()). To run a graph, build it inside "
                "`with tf.Graph().as_default() as g:` and use tf.Session(graph=g).")
        flat, rebuild = _flatten_fetches(fetches, self.graph)
        feeds = _prepare_feeds(feed_dict, self.graph)
        self._watch_growth()
        key = (tuple(flat), frozenset(feeds))  # the same plan whatever the feed_dict's order
        plan = self._plan(key, flat, feeds)
        with np.errstate(all="ignore"):
            values = plan.run([feeds[t] for t in plan.feed_tensors])
        it = iter(values)
        out = [_fetched(next(it)) if isinstance(f, Tensor) else None for f in flat]
        return rebuild(out)

    def _plan(self, key, flat, fed):
        """The cached plan for `key` (fetches `flat`, fed tensors `fed`), built on a miss."""
        plan = self._plans.get(key)
        if plan is None:
            fetch_tensors = [f for f in flat if isinstance(f, Tensor)]
            target_ops = [f for f in flat if isinstance(f, Operation)]
            ops = prune(fetch_tensors, target_ops, fed)
            plan = Plan(ops, fetch_tensors, list(fed), self._ctx, target_ops)
            self._plans[key] = plan
            if len(self._plans) > _MAX_PLANS:
                self._plans.popitem(last=False)
        else:
            self._plans.move_to_end(key)
        return plan

    def _watch_growth(self):
        """Warn once when the graph grows between many consecutive runs (ops built in a loop)."""
        v = self.graph.version
        if self._last_version is not None and v > self._last_version:
            self._growth_runs += 1
            if self._growth_runs >= _GROWTH_RUNS and not self._growth_warned:
                self._growth_warned = True
                op = self.graph._ops[-1]
                warnings.warn(
                    f"The graph grew between {self._growth_runs} consecutive Session.run calls; "
                    f"the latest op is a {op.type!r} added at {op.traceback}. Building ops inside"
                    " a training loop makes the graph (and memory) grow forever: build them "
                    "once before the loop, or call graph.finalize() to catch this.",
                    RuntimeWarning, stacklevel=4)
        else:
            self._growth_runs = 0
        self._last_version = v

    def make_callable(self, fetches, feed_list=None):
        """A function `f(*values)` that runs `fetches` with `values` fed to `feed_list` in
        order, as `run` would; fetches and feed keys are resolved once, here."""
        return _Callable(self, fetches, feed_list)

    def list_devices(self):
        return ["/cpu:0"]


class _Callable:
    """`Session.make_callable`: a call checks and converts the values exactly as `run` does
    (`feed_value`), then runs the cached plan, with no per-call walk over the fetches."""

    def __init__(self, sess, fetches, feed_list):
        graph = sess.graph
        self._sess, self._fetches = sess, fetches
        self._flat, self._rebuild = _flatten_fetches(fetches, graph)
        self._feeds = [_feed_tensor(k, graph) for k in feed_list or ()]
        if len(set(self._feeds)) != len(self._feeds):
            raise ValueError("make_callable: a tensor appears more than once in `feed_list`: "
                             f"{[t.name for t in self._feeds]}")
        self._key = (tuple(self._flat), frozenset(self._feeds))
        self._all_tensors = all(isinstance(f, Tensor) for f in self._flat)
        # a flat list of fetches comes back as the list of values: no rebuilding
        self._as_list = type(fetches) is list and not any(
            isinstance(f, (list, tuple, dict)) for f in fetches)
        self._bound = (None, None)  # (plan, order of the values that plan takes)

    @filter_traceback
    def __call__(self, *values):
        sess, feeds = self._sess, self._feeds
        if sess._closed or sess.graph._eager:  # run raises the error
            return sess.run(self._fetches, dict(zip(feeds, values)))
        if len(values) != len(feeds):
            raise TypeError(f"This callable feeds {len(feeds)} tensor(s) "
                            f"{[t.name for t in feeds]}; it was called with {len(values)} "
                            "value(s).")
        arrays = [feed_value(t, v) for t, v in zip(feeds, values)]
        sess._watch_growth()
        plan = sess._plan(self._key, self._flat, feeds)
        bound_plan, order = self._bound
        if plan is not bound_plan:  # first call, or the session rebuilt the plan
            order = [feeds.index(t) for t in plan.feed_tensors]
            order = None if order == list(range(len(feeds))) else order
            self._bound = (plan, order)
        if order is not None:
            arrays = [arrays[i] for i in order]
        out = _run_quietly(plan, arrays)
        if self._all_tensors:
            out = [_fetched(v) for v in out]
            return out if self._as_list else self._rebuild(out)
        it = iter(out)
        return self._rebuild([_fetched(next(it)) if isinstance(f, Tensor) else None
                              for f in self._flat])


@np.errstate(all="ignore")  # cheaper per call than entering a new np.errstate
def _run_quietly(plan, arrays):
    return plan.run(arrays)


class _Options:
    """TF's protocol-buffer options as plain records with their defaults: `tf.ConfigProto`,
    `tf.GPUOptions`, `tf.RunOptions` and `tf.RunMetadata` are accepted (any field may be set)
    so TF 1.x programs run unchanged; tensorlet runs on the CPU and ignores what they ask."""

    _defaults = {}

    def __init__(self, **fields):
        for k, v in self._defaults.items():
            setattr(self, k, v() if isinstance(v, type) else v)
        self.__dict__.update(fields)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


class GPUOptions(_Options):
    _defaults = {"allow_growth": False, "per_process_gpu_memory_fraction": 0.0,
                 "visible_device_list": ""}


class ConfigProto(_Options):
    _defaults = {"gpu_options": GPUOptions, "allow_soft_placement": False,
                 "log_device_placement": False, "intra_op_parallelism_threads": 0,
                 "inter_op_parallelism_threads": 0, "device_count": dict}


class RunOptions(_Options):
    NO_TRACE, SOFTWARE_TRACE, HARDWARE_TRACE, FULL_TRACE = range(4)
    _defaults = {"trace_level": 0, "timeout_in_ms": 0,
                 "report_tensor_allocations_upon_oom": False}


class RunMetadata(_Options):
    _defaults = {"partition_graphs": list}


class InteractiveSession(Session):
    """A Session that installs itself as the default, for `t.eval()` in a shell."""

    def __init__(self, target="", graph=None, config=None):
        super().__init__(target, graph, config)
        _default_sessions.append(self)

    def close(self):
        if self in _default_sessions:
            _default_sessions.remove(self)
        super().close()


class _SessionDefault:
    def __init__(self, sess):
        self.sess = sess

    def __enter__(self):
        _default_sessions.append(self.sess)
        return self.sess

    def __exit__(self, *exc):
        _default_sessions.remove(self.sess)


def get_default_session():
    return _default_sessions[-1] if _default_sessions else None


def _session_for(session, graph):
    sess = session or get_default_session()
    if sess is None:
        raise ValueError("Cannot evaluate: no default session is registered. Use "
                         "`with sess.as_default():` or pass session=sess.")
    if sess.graph is not graph:
        raise ValueError("Cannot use the given session to evaluate a tensor of another graph.")
    return sess


def _fetched(v):
    """A fetched value as TF returns it: a fresh array, or a NumPy scalar for 0-d results."""
    if isinstance(v, np.ndarray):
        return v[()] if v.ndim == 0 else np.array(v)
    return v


def _as_fetch(f, graph):
    if getattr(f, "_eager", False):
        raise TypeError(f"Fetch argument {f!r:.60} is a concrete value, not an element of a "
                        "graph (an eager tensor, or what metric.result() returns at the top of "
                        "a Keras program): use the value itself.")
    if isinstance(f, str):
        f = graph.as_graph_element(f)
    elif not isinstance(f, (Tensor, Operation)):
        conv = getattr(f, "_as_graph_tensor", None)
        if conv is None:
            raise TypeError(f"Fetch argument {f!r} has invalid type {type(f).__name__}: must be "
                            "a Tensor, an Operation, a variable or a name string")
        f = conv()
    if f.graph is not graph:
        raise ValueError(f"Fetch {f.name} is not an element of this session's graph.")
    return f


def _flatten_fetches(fetches, graph):
    """Flat list of graph elements and a function that rebuilds the user's structure."""
    flat = []

    def walk(x):
        if isinstance(x, dict):
            keys = list(x)
            subs = [walk(x[k]) for k in keys]
            return lambda it: {k: s(it) for k, s in zip(keys, subs)}
        if isinstance(x, (list, tuple)) and not hasattr(x, "_as_graph_tensor"):
            subs = [walk(v) for v in x]
            if hasattr(x, "_fields"):  # namedtuple
                return lambda it: type(x)(*[s(it) for s in subs])
            return lambda it: type(x)(s(it) for s in subs)
        flat.append(_as_fetch(x, graph))
        return lambda it: next(it)

    build = walk(fetches)
    return flat, lambda values: build(iter(values))


def _prepare_feeds(feed_dict, graph):
    """{tensor: array} with values converted to each tensor's dtype and shape-checked."""
    feeds = {}
    for key, value in (feed_dict or {}).items():
        t = _feed_tensor(key, graph)
        feeds[t] = feed_value(t, value)
    return feeds


def _feed_tensor(key, graph):
    """The tensor a feed_dict key (tensor, name or variable) stands for, checked."""
    t = key
    if isinstance(t, str):
        t = graph.as_graph_element(t)
    elif not isinstance(t, Tensor):
        conv = getattr(t, "_as_graph_tensor", None)
        if conv is None:
            raise TypeError(f"Cannot interpret feed_dict key {key!r} as a Tensor")
        t = conv()
    if not isinstance(t, Tensor):
        raise TypeError(f"feed_dict key {key!r} names an Operation, not a Tensor")
    if t.graph is not graph:
        raise ValueError(f"Feed key {t.name} is not an element of this session's graph.")
    return t


def feed_value(t, value):
    """`value` as an array of t's dtype, or a clear error naming the tensor."""
    dt = t.dtype
    if isinstance(value, np.ndarray) and value.dtype == dt.np:
        arr = value
    else:
        if isinstance(value, Tensor):
            raise TypeError(f"The value of a feed cannot be a tf.Tensor object (feeding "
                            f"{t.name}). Acceptable feed values include Python scalars, "
                            "strings, lists and NumPy arrays.")
        try:
            arr = np.asarray(value)
            if arr.dtype.kind in "OUS" and dt is not _dt.string:
                raise ValueError(f"got {arr.dtype.kind == 'O' and 'objects' or 'strings'}")
            if dt._kind in "iu":
                _dt.check_fits(arr, dt, "the values do not fit")
            arr = arr.astype(dt.np, copy=False)
        except (TypeError, ValueError) as e:
            raise InvalidArgumentError(
                f"Cannot feed value {value!r:.60} to tensor {t.name!r} of dtype {dt.name}: "
                f"{e}") from None
    if not t.shape.is_compatible_with(arr.shape):
        raise InvalidArgumentError(
            f"Cannot feed value of shape {arr.shape} for Tensor {t.name!r}, which has shape "
            f"{t.shape}")
    return arr
