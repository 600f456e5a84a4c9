"""GradientTape: record the ops computed from watched tensors, then differentiate them with
the ops' own gradient rules (TF 2 semantics, SEMANTICS.md "Eager mode").

In eager mode the tape keeps, for every op run on a watched tensor, an `EagerOp` (type, attrs,
input and output tensors); `gradient` hands them to `tensorlet.autodiff.backprop` (the same
reverse pass as `tf.gradients`), whose gradient rules call public ops, which run at once — and
are recorded in turn by an outer tape, which is how nested tapes give higher derivatives. While
a graph is being built (inside `tf.function`) the tape records the span of ops created in its
`with` block, and `gradient` adds the gradient ops to that graph.
"""
import contextlib
import enum

import numpy as np

from tensorlet.autodiff import backprop
from tensorlet.framework.graph import Tensor, TensorLike, convert_to_tensor, get_default_graph
from tensorlet.ops import array, math

from . import nest
from .context import CTX


class UnconnectedGradients(enum.Enum):
    """What `gradient` returns for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


def _unconnected(value):
    try:
        return UnconnectedGradients(getattr(value, "value", value)).value
    except ValueError:
        raise ValueError(f"unconnected_gradients must be 'none' or 'zero' "
                         f"(tf.UnconnectedGradients), got {value!r}") from None


class GradientTape:
    """`with tf.GradientTape() as tape: y = f(x)`, then `tape.gradient(y, x)`.

    Trainable variables read inside the block are watched automatically
    (`watch_accessed_variables`), tensors need `tape.watch(x)`. A non-persistent tape gives one
    `gradient` (or `jacobian`) call; a persistent one any number until it is deleted.
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = bool(persistent)
        self._watch_accessed = bool(watch_accessed_variables)
        self._graph = None          # where it records: the eager graph or a graph being built
        self._recording = False
        self._used = False
        self._watched = {}          # id -> tensor: watched, or computed from watched (eager)
        self._producer = {}         # id(output tensor) -> EagerOp that computed it (eager)
        self._variables = {}        # id -> variable: watched (explicitly or when read)
        self._reads = {}            # id(variable) -> its read tensors while watched
        self._windows = []          # graph mode: [start, end) of the op ids recorded

    # -- recording ------------------------------------------------------------------------------
    def __enter__(self):
        graph = get_default_graph()
        if self._graph is not None and self._graph is not graph:
            raise RuntimeError("A GradientTape records in one place only: re-enter it in the "
                               "same mode (eager, or the same graph) as before.")
        self._graph = graph
        self._push()
        return self

    def __exit__(self, *exc):
        if self._recording:
            self._pop()

    def _push(self):
        self._recording = True
        CTX.tapes.append(self)
        if not self._graph._eager:
            self._windows.append([len(self._graph._ops), None])

    def _pop(self):
        CTX.tapes.remove(self)
        self._recording = False
        if self._windows and self._windows[-1][1] is None:
            self._windows[-1][1] = len(self._graph._ops)

    @contextlib.contextmanager
    def stop_recording(self):
        """Ops run inside this block are not recorded (their results are constants here)."""
        if not self._recording:
            raise RuntimeError("GradientTape.stop_recording() is only valid while the tape is "
                               "recording (inside its `with` block).")
        self._pop()
        try:
            yield
        finally:
            self._push()

    def reset(self):
        """Forget everything recorded so far, as if a new tape was entered here."""
        recording = self._recording
        if recording:
            self._pop()
        self._watched, self._producer, self._reads = {}, {}, {}
        self._variables, self._windows, self._used = {}, [], False
        if recording:
            self._push()

    def watch(self, tensor):
        """Watch tensors or variables (a nested structure of them) from now on."""
        for x in nest.flatten(tensor):
            if isinstance(x, Tensor):
                self._watched[id(x)] = x
            elif isinstance(x, TensorLike) and hasattr(x, "trainable"):
                self._variables[id(x)] = x
            else:
                raise ValueError(f"GradientTape.watch expects tf.Tensor or tf.Variable objects, "
                                 f"got {type(x).__name__}: {x!r:.60}")

    def watched_variables(self):
        """The variables this tape watches (explicitly, or because they were read)."""
        return list(self._variables.values())

    def _watches_any(self, tensors):
        """Eager hook: whether an op with these inputs must be recorded."""
        if self._graph._eager:
            watched = self._watched
            for t in tensors:
                if id(t) in watched:
                    return True
        return False

    def _record(self, op):
        for t in op.outputs:
            self._watched[id(t)] = t
            self._producer[id(t)] = op

    def _variable_read(self, var, t):
        """Hook of every variable read (eager or graph) while this tape is recording."""
        if t.graph is not self._graph:
            return
        vid = id(var)
        if vid not in self._variables:
            if not (self._watch_accessed and var.trainable):
                return
            self._variables[vid] = var
        self._watched[id(t)] = t
        self._reads.setdefault(vid, []).append(t)

    def _producer_of(self, t):
        if self._graph._eager:
            return self._producer.get(id(t))
        op = t.op
        if op.graph is not self._graph:
            return None
        i = op._id
        for start, end in self._windows:
            if start <= i and (end is None or i < end):
                return op
        return None

    # -- differentiating ------------------------------------------------------------------------
    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """d(sum of targets)/d(source) for each source, in the structure of `sources`: None
        for sources the targets do not depend on (zeros with unconnected_gradients='zero')."""
        unconnected = _unconnected(unconnected_gradients)
        self._start_use("gradient")
        with self._graph.as_default():
            ys = [self._target(t) for t in nest.flatten(target)]
            if output_gradients is None:
                grad_ys = [None] * len(ys)
            else:
                grad_ys = nest.flatten(output_gradients)
                if len(grad_ys) != len(ys):
                    raise ValueError(f"gradient: {len(ys)} targets but {len(grad_ys)} "
                                     "output_gradients")
            flat_sources = nest.flatten(sources)
            grads = self._backward(ys, grad_ys, flat_sources, unconnected)
        self._end_use()
        return nest.pack_as(sources, grads)

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """d(target[i...])/d(source[j...]) for each source: shape target.shape + source.shape."""
        unconnected = _unconnected(unconnected_gradients)
        self._start_use("jacobian")
        with self._graph.as_default():
            y = self._target(target)
            if not y.shape.is_fully_defined():
                raise ValueError(f"jacobian needs a target of fully defined shape, got {y.shape}")
            flat_sources = nest.flatten(sources)
            ydims = y.shape.as_list()
            n = int(np.prod(ydims, dtype=np.int64))
            rows = [[] for _ in flat_sources]
            for i in range(n if y.dtype.is_floating else 0):
                onehot = np.zeros(n, y.dtype.np)
                onehot[i] = 1
                gy = array.constant(onehot.reshape(ydims))
                for row, g in zip(rows, self._backward([y], [gy], flat_sources, "none")):
                    row.append(g)
            out = [self._jacobian_of(s, row, ydims, unconnected)
                   for s, row in zip(flat_sources, rows)]
        self._end_use()
        return nest.pack_as(sources, out)

    def _jacobian_of(self, source, row, ydims, unconnected):
        shape = source.shape.as_list()
        if None in shape:
            raise ValueError(f"jacobian needs sources of fully defined shape, got {source.shape}")
        if all(g is None for g in row):
            return array.zeros(ydims + shape, source.dtype) if unconnected == "zero" else None
        row = [g if g is not None else array.zeros(shape, source.dtype) for g in row]
        return array.reshape(array.stack(row), ydims + shape)

    def _start_use(self, what):
        if self._used and not self._persistent:
            raise RuntimeError(f"A non-persistent GradientTape can only be used to compute one "
                               f"set of gradients (or jacobians); this {what}() call is the "
                               "second. Use GradientTape(persistent=True) for several.")
        if self._graph is None:
            raise RuntimeError(f"GradientTape.{what}() before the tape recorded anything: use "
                               "it as `with tf.GradientTape() as tape:`.")
        if self._recording and not self._persistent:
            self._pop()  # as TF: a non-persistent tape stops recording when it is used
        self._used = True

    def _end_use(self):
        if not self._persistent:  # release what it kept alive
            self._watched, self._producer, self._reads, self._windows = {}, {}, {}, []

    def _target(self, t):
        if isinstance(t, Tensor):
            return t
        return convert_to_tensor(t)

    def _sources_of(self, x):
        """The recorded tensors standing for source `x` (a variable: its watched reads)."""
        if isinstance(x, Tensor):
            if id(x) in self._watched or (not self._graph._eager and
                                          self._producer_of(x) is not None):
                return [x]
            return []
        if isinstance(x, TensorLike) and hasattr(x, "trainable"):
            vid = id(x)
            if x._eager:
                return list(self._reads.get(vid, ())) if vid in self._variables else []
            if vid in self._variables or (self._watch_accessed and x.trainable):
                return [convert_to_tensor(x)]  # a graph-mode (TF 1.x) variable's tensor
            return []
        raise TypeError(f"gradient sources must be tensors or variables, got "
                        f"{type(x).__name__}: {x!r:.60}")

    def _backward(self, ys, grad_ys, sources, unconnected):
        groups = [self._sources_of(s) for s in sources]
        xs = [x for group in groups for x in group]
        with self._graph.name_scope("gradient_tape"):
            flat = backprop(ys, xs, grad_ys, producer=self._producer_of) if xs else []
            out, i = [], 0
            for s, group in zip(sources, groups):
                gs = [g for g in flat[i:i + len(group)] if g is not None]
                i += len(group)
                g = None if not gs else gs[0] if len(gs) == 1 else math.add_n(gs)
                if g is None and unconnected == "zero":
                    g = array.zeros(s.shape, s.dtype) if not isinstance(s, Tensor) \
                        else array.zeros_like(s)
                out.append(g)
        return out
