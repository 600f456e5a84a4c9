"""Control ops: no_op, group, tuple, cond, case.

`cond` builds both branches in the graph but runs only the taken one: the `Cond` op reads the
predicate and the tensors the branches capture from outside, and its kernel runs a compiled
sub-plan of one branch. Every value a branch computes is also a (hidden) output of the Cond op,
so the gradient (a Cond of the two branches' gradients) reads the forward values instead of
recomputing them (random and assign ops in a branch therefore run once per step).

In eager mode (TF 2) `cond` calls only the taken branch's function, whose ops run at once (and
are recorded by GradientTapes like any others); `case` chains such conds. While a graph is being
built (inside `tf.function` too) both branches are traced into a Cond op as above.
"""
import builtins
import weakref

import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.graph import (
    Operation,
    Tensor,
    TensorLike,
    control_dependencies,
    convert_to_tensor,
    get_default_graph,
    name_scope,
)
from tensorlet.framework.shapes import TensorShape
from tensorlet.runtime.plan import Plan

from .base import declare

_tuple = builtins.tuple

declare("NoOp", lambda inputs, attrs: [], lambda attrs: ())


def no_op(name=None):
    """An op that does nothing; useful as a target with control dependencies."""
    return get_default_graph().create_op("NoOp", [], name=name)


def group(*inputs, name=None):
    """An op that runs all `inputs` (ops or tensors) when run."""
    flat = []
    for x in inputs:
        if isinstance(x, (list, _tuple)):
            flat.extend(x)
        else:
            flat.append(x)
    flat = [x for x in flat if x is not None]
    with control_dependencies(flat):
        return no_op(name=name or "group_deps")


def tuple(tensors, name=None, control_inputs=None):
    """The tensors, each readable only after all of them (and `control_inputs`) are computed."""
    from .array import identity
    items = list(tensors)
    deps = [t for t in items if t is not None] + list(control_inputs or [])
    with name_scope(name, "tuple"):
        gate = group(*deps)
        out = []
        with control_dependencies([gate]):
            for t in items:
                if t is None:
                    out.append(None)
                elif isinstance(t, Operation):
                    out.append(group(t))
                else:
                    out.append(identity(t))
    return out


# -- Nested structures of branch results -----------------------------------------------------


def _flatten(x, leaves):
    """Append x's leaves to `leaves`; return a structure description to compare and rebuild."""
    if isinstance(x, dict):
        keys = sorted(x)
        return ("dict", keys, [_flatten(x[k], leaves) for k in keys])
    if isinstance(x, (list, _tuple)) and not hasattr(x, "_as_graph_tensor"):
        kind = type(x) if hasattr(x, "_fields") else (list if isinstance(x, list) else _tuple)
        return ("seq", kind, [_flatten(v, leaves) for v in x])
    leaves.append(x)
    return ("leaf",)


def _same_structure(a, b):
    if a[0] != b[0]:
        return False
    if a[0] == "leaf":
        return True
    if a[1] != b[1] or len(a[2]) != len(b[2]):
        return False
    return all(_same_structure(x, y) for x, y in zip(a[2], b[2]))


def _pack(struct, it):
    if struct[0] == "leaf":
        return next(it)
    items = [_pack(s, it) for s in struct[2]]
    if struct[0] == "dict":
        return dict(zip(struct[1], items))
    kind = struct[1]
    return kind(items) if kind in (list, _tuple) else kind(*items)


# -- Branches ---------------------------------------------------------------------------------

# A tensor computed inside a finished branch -> the Cond output carrying its value (valid when
# that branch was taken); lets gradient branches read forward values.
_CARRIED = weakref.WeakKeyDictionary()


def _source(t):
    """What a branch capturing `t` reads: t itself, or the Cond output that carries its value."""
    while t in _CARRIED:
        t = _CARRIED[t]
    return t


def _branch_ops(graph, start):
    """The ops created since `start` (a branch being built), as a set.

    In a traced function, plain reads of eager variables that the branch does not write are
    left out: they stay outside, read when the Cond (or While) starts, as a graph variable's
    value is, so gradients reach those variables through the op's captured inputs."""
    ops = graph._ops[start:]
    reads = getattr(graph, "variable_reads", None)
    if not reads:
        return set(ops)
    read_ops = {t.op for ts in reads.values() for t in ts}
    inside = {op for op in ops if op not in read_ops or op.control_inputs}
    written = {n for op in inside if op.opdef.stateful and op not in read_ops
               for n in _strings(op.attrs.values())}
    return inside | {op for op in ops if op in read_ops and op.attrs["var_name"] in written}


def _strings(values):
    for v in values:
        if isinstance(v, str):
            yield v
        elif isinstance(v, (list, _tuple)):
            yield from _strings(v)


class _Branch:
    """One side of a cond: its ops, the outside tensors it reads, and the tensors it fetches.

    `inner_ops` (every op created while it was built) run only inside the op that owns the
    branch, never on their own (tensorlet.eager.function skips them)."""

    def __init__(self, leaves, struct, created):
        self.struct = struct
        self.inner_ops = created
        self.fetches = [x for x in leaves if isinstance(x, Tensor)]
        self.targets = [x for x in leaves if isinstance(x, Operation) and x in created]
        self.kinds = ["op" if isinstance(x, Operation) else "tensor" for x in leaves]
        # Ops from outside that the branch returns or depends on run before the Cond, always.
        self.outer_deps = [x for x in leaves if isinstance(x, Operation) and x not in created]
        captures, ops = {}, set()
        stack = [t.op for t in self.fetches if t.op in created] + self.targets
        for t in self.fetches:
            if t.op not in created:
                captures[t] = None
        while stack:
            op = stack.pop()
            if op in ops:
                continue
            ops.add(op)
            for t in op.inputs:
                if t.op in created:
                    stack.append(t.op)
                else:
                    captures[t] = None
            for c in op.control_inputs:
                if c in created:
                    stack.append(c)
                else:
                    self.outer_deps.append(c)
        self.ops = sorted(ops, key=lambda o: o._id)
        self.op_set = ops
        self.feeds = list(captures)
        fetched = set(self.fetches)
        # Every value computed inside the branch, so gradients can read it from the Cond op.
        self.hidden = [t for op in self.ops for t in op.outputs if t not in fetched]
        self.input_index = []   # Cond input index of each feed (set by cond)
        self.out_index = []     # Cond output index of each fetch and hidden tensor
        self._plans = weakref.WeakKeyDictionary()
        self._dummies = None

    def plan_for(self, ctx):
        """The compiled sub-plan of this branch for one session (fetches, then hidden)."""
        plan = self._plans.get(ctx)
        if plan is None:
            plan = Plan(self.ops, self.fetches + self.hidden, self.feeds, ctx, self.targets)
            self._plans[ctx] = plan
        return plan

    def run(self, ctx, args):
        """Run with `args` (the op's inputs after the first) fed by `input_index`."""
        return self.plan_for(ctx).run([args[i - 1] for i in self.input_index])

    def dummies(self):
        """Cheap zero stand-ins for this branch's hidden outputs when the other branch ran."""
        if self._dummies is None:
            self._dummies = [
                np.broadcast_to(np.zeros((), t.dtype.np),
                                () if t.shape.dims is None else
                                [0 if d is None else d for d in t.shape.dims])
                for t in self.hidden]
        return self._dummies


def _build_branch(which, fn, graph):
    if not callable(fn):
        raise TypeError(f"cond: {which}_fn must be callable, got {type(fn).__name__}")
    start = len(graph._ops)
    with control_dependencies(None), name_scope(which):
        result = fn()
        if result is None:
            raise ValueError(f"cond: {which}_fn must have a return value (got None)")
        leaves = []
        struct = _flatten(result, leaves)
        leaves = [x if isinstance(x, (Tensor, Operation)) else convert_to_tensor(x)
                  for x in leaves]
    return _Branch(leaves, struct, _branch_ops(graph, start))


def _merged_shape(a, b):
    if a.dims is None or b.dims is None or len(a.dims) != len(b.dims):
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.dims, b.dims)])


def _cond_spec(inputs, attrs):
    pred = inputs[0]
    if pred.dtype is not _dt.bool_ or pred.shape.ndims not in (None, 0):
        raise TypeError(f"pred must be a bool scalar tensor, got {pred.dtype.name} "
                        f"{pred.shape}")
    return attrs["specs"]


def _cond_kernel(ctx, attrs, pred, *args):
    true, false = attrs["true"], attrs["false"]
    taken = true if pred else false
    vals = taken.run(ctx, args)
    n = len(taken.fetches)
    out = vals[:n]
    out += vals[n:] if taken is true else true.dummies()
    out += vals[n:] if taken is false else false.dummies()
    return out[0] if len(out) == 1 else _tuple(out)


def _is_zero(g):
    return g.op.type == "ZerosLike"


def _branch_grad_fn(op, branch, grads, wanted):
    """A function building d(branch results)/d(its captured inputs) for the wanted inputs."""
    def fn():
        from tensorlet.autodiff import gradients

        from .array import zeros_like
        ys, gys = [], []
        for t, k in zip(branch.fetches + branch.hidden, branch.out_index):
            g = grads[k]
            if g is not None and t.dtype.is_floating and not _is_zero(g):
                ys.append(t)
                gys.append(g)
        feed_of = dict(zip(branch.input_index, branch.feeds))
        xs = [feed_of[i] for i in wanted if i in feed_of]
        # partial derivatives: the outer backward pass carries each input's own paths
        gs = iter(gradients(ys, xs, grad_ys=gys, stop_gradients=xs) if ys and xs
                  else [None] * len(xs))
        out = []
        for i in wanted:
            g = next(gs) if i in feed_of else None
            out.append(g if g is not None else zeros_like(op.inputs[i]))
        return out
    return fn


def _cond_grad(op, grads, needed):
    wanted = [i for i in range(1, len(op.inputs)) if needed[i]]
    if all(g is None or _is_zero(g) for g in grads):
        from .array import zeros_like
        return [None] + [zeros_like(x) if need else None
                         for x, need in zip(op.inputs[1:], needed[1:])]
    true, false = op.attrs["true"], op.attrs["false"]
    res = cond(op.inputs[0], _branch_grad_fn(op, true, grads, wanted),
               _branch_grad_fn(op, false, grads, wanted), strict=True, name="cond_grad")
    out = [None] * len(op.inputs)
    for i, g in zip(wanted, res):
        out[i] = g
    return out


declare("Cond", _cond_spec, _cond_kernel, grad=_cond_grad, stateful=True, nondiff_inputs=(0,),
        gradcheck_in="ops/test_control_ops.py")


def cond(pred, true_fn=None, false_fn=None, strict=False, name=None, fn1=None, fn2=None):
    """`true_fn()` if `pred` else `false_fn()`; both are built, only the taken one runs (in
    eager mode only the taken one's function is called).

    The branches must return the same structure of tensors (and/or ops) with equal dtypes;
    unless `strict`, a one-element list or tuple result is unpacked (TF 1.x).
    """
    true_fn = true_fn if true_fn is not None else fn1
    false_fn = false_fn if false_fn is not None else fn2
    if true_fn is None or false_fn is None:
        raise TypeError("cond: both true_fn and false_fn are required")
    if get_default_graph()._eager:
        return _eager_cond(pred, true_fn, false_fn, strict, name)
    if isinstance(pred, (bool, np.bool_)):
        raise TypeError("pred must not be a Python bool (use a bool tensor, or an if statement)")
    graph = get_default_graph()
    with name_scope(name, "cond"):
        pred = convert_to_tensor(pred)
        _cond_spec([pred], {"specs": []})  # check pred before building the branches
        true = _build_branch("true", true_fn, graph)
        false = _build_branch("false", false_fn, graph)
        if not _same_structure(true.struct, false.struct) or true.kinds != false.kinds:
            raise ValueError(f"cond: true_fn and false_fn must return the same structure, got "
                             f"{_describe(true)} and {_describe(false)}")
        specs = []
        for a, b in zip(true.fetches, false.fetches):
            if a.dtype is not b.dtype:
                raise TypeError(f"cond: outputs of true_fn and false_fn must have the same "
                                f"dtype, got {a.dtype.name} ({a.name}) and {b.dtype.name} "
                                f"({b.name})")
            specs.append((_merged_shape(a.shape, b.shape), a.dtype))
        n = len(specs)
        true.out_index = list(range(n)) + list(range(n, n + len(true.hidden)))
        start = n + len(true.hidden)
        false.out_index = list(range(n)) + list(range(start, start + len(false.hidden)))
        specs += [(t.shape, t.dtype) for t in true.hidden + false.hidden]
        sources = {}  # tensor read from outside -> its Cond input index
        for br in (true, false):
            br.input_index = [sources.setdefault(s, 1 + len(sources))
                              for s in map(_source, br.feeds)]
        deps = true.outer_deps + false.outer_deps
        with control_dependencies(deps):
            op = graph.create_op("Cond", [pred] + list(sources),
                                 {"true": true, "false": false, "specs": specs},
                                 name="Cond")
    for br in (true, false):
        for t, k in zip(br.fetches + br.hidden, br.out_index):
            if t.op in br.op_set:
                _CARRIED[t] = op.outputs[k]
    it = iter(op.outputs[:n])
    leaves = iter([op if kind == "op" else next(it) for kind in true.kinds])
    result = _pack(true.struct, leaves)
    if not strict and isinstance(result, (list, _tuple)) and len(result) == 1 \
            and not hasattr(result, "_fields"):
        result = result[0]
    return result


def _eager_cond(pred, true_fn, false_fn, strict, name):
    """Eager `cond`: call the taken branch's function only (a Python bool `pred` is accepted
    here, as in TF 2); its result leaves become tensors, as in graph mode."""
    for which, fn in (("true", true_fn), ("false", false_fn)):
        if not callable(fn):
            raise TypeError(f"cond: {which}_fn must be callable, got {type(fn).__name__}")
    with name_scope(name, "cond"):
        pred = convert_to_tensor(pred)
        _cond_spec([pred], {"specs": []})
        which, fn = ("true", true_fn) if pred else ("false", false_fn)
        with name_scope(which):
            result = fn()
        if result is None:
            raise ValueError(f"cond: {which}_fn must have a return value (got None)")
        leaves = []
        struct = _flatten(result, leaves)
        result = _pack(struct, iter(x if isinstance(x, Tensor) or _is_op(x)
                                    else convert_to_tensor(x) for x in leaves))
    if not strict and isinstance(result, (list, _tuple)) and len(result) == 1 \
            and not hasattr(result, "_fields"):
        result = result[0]
    return result


def _is_op(x):
    """An operation of a graph or an executed eager op (what `group` and `no_op` return)."""
    return isinstance(x, Operation) or (hasattr(x, "outputs") and hasattr(x, "type")
                                        and not isinstance(x, TensorLike))


def _describe(branch):
    return f"{len(branch.kinds)} results ({', '.join(branch.kinds)})"


def _gate(result, deps):
    """`result` (a structure of tensors/ops) readable only after the `deps` ops have run."""
    from .array import identity
    leaves = []
    struct = _flatten(result, leaves)
    with control_dependencies(deps):
        gated = [group(x) if _is_op(x) else identity(x) for x in leaves]
    return _pack(struct, iter(gated))


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """The result of the fn of the first true predicate, else of `default` (TF 1.x).

    Without a default the last pair's fn is used, asserting that its predicate holds;
    `exclusive=True` asserts that at most one predicate holds. In eager mode only the chosen
    fn is called.
    """
    from .debugging import Assert
    from .math import cast, less_equal
    pairs = list(pred_fn_pairs.items()) if isinstance(pred_fn_pairs, dict) \
        else list(pred_fn_pairs)
    if not pairs:
        raise ValueError("case: pred_fn_pairs must not be empty")
    for p in pairs:
        if not isinstance(p, (list, _tuple)) or len(p) != 2 or not callable(p[1]):
            raise TypeError(f"case: each pair must be (bool tensor, callable), got {p!r}")
    if default is not None and not callable(default):
        raise TypeError(f"case: default must be callable, got {type(default).__name__}")
    with name_scope(name, "case"):
        preds = [convert_to_tensor(p) for p, _ in pairs]
        labels = [f"pred_fn_pairs[{i}]" if p._eager else p.name for i, p in enumerate(preds)]
        for p, label in zip(preds, labels):
            if p.dtype is not _dt.bool_:
                raise TypeError(f"case: predicates must be bool tensors, got {p.dtype.name} "
                                f"({label})")
        names = ", ".join(labels)
        fns = [f for _, f in pairs]
        if default is None:
            last_pred, last_fn = preds[-1], fns[-1]
            preds, fns = preds[:-1], fns[:-1]

            def default():
                check = Assert(last_pred, [f"case: none of the conditions ({names}) is True"])
                return _gate(last_fn(), [check])
        exclusive_check = None  # checked before any branch runs (at once in eager mode)
        if exclusive and len(pairs) > 1:
            from .math import add_n
            count = add_n([cast(convert_to_tensor(p), _dt.int32) for p, _ in pairs])
            exclusive_check = Assert(
                less_equal(count, 1), [f"case: exclusive=True but more than one of ({names}) "
                                       "is true, number true:", count])
        if not preds:
            result = default()
        else:
            def chain(i):
                if i == len(preds):
                    return default
                return lambda: cond(preds[i], fns[i], chain(i + 1), strict=True)
            result = chain(0)()
        if exclusive_check is not None:
            result = _gate(result, [exclusive_check])
    if not strict and isinstance(result, (list, _tuple)) and len(result) == 1 \
            and not hasattr(result, "_fields"):
        result = result[0]
    return result


__all__ = ["case", "cond", "group", "no_op", "tuple"]
