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
        fetch_tensors = [f for f in flat if isinstance(f, Tensor)]
        key = (tuple(flat), frozenset(feeds))  # the same plan whatever the feed_dict's order
        plan = self._plans.get(key)
        if plan is None:
            target_ops = [f for f in flat if isinstance(f, Operation)]
            ops = prune(fetch_tensors, target_ops, feeds)
            plan = Plan(ops, fetch_tensors, list(feeds), self._ctx, target_ops)
            self._plans[key] = plan
            if len(self._plans) > _MAX_PLANS:
                self._plans.popitem(last=False)
        else:
            self._plans.move_to_end(key)
        with np.errstate(all="ignore"):
            values = plan.run([feeds[t] for t in plan.feed_tensors])
        it = iter(values)
        out = [_fetched(next(it)) if isinstance(f, Tensor) else None for f in flat]
        return rebuild(out)

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
        feed_list = list(feed_list or [])

        def call(*args):
            return self.run(fetches, dict(zip(feed_list, args)))
        return call

    def list_devices(self):
        return ["/cpu:0"]


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
        feeds[t] = feed_value(t, value)
    return feeds


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
