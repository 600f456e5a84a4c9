"""Reverse-mode differentiation as a graph transformation, driven by the ops' gradient rules.

One generic function (DESIGN.md convention 6): keep the ops on a path from xs to ys, visit them
in reverse creation order, call each op's rule with the summed gradients of its outputs.
`backprop` is that function; `gradients` (graph mode) and `GradientTape` (which walks only the
ops it recorded, `tensorlet.eager.tape`) both call it.
"""
import operator

from tensorlet.framework.graph import Tensor, convert_to_tensor, get_default_graph, name_scope
from tensorlet.ops import array, math

_op_of = operator.attrgetter("op")


def _as_tensor_list(x):
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return [convert_to_tensor(v) for v in x]
    return [convert_to_tensor(x)]


def _differentiable(t, producer=_op_of):
    if not t.dtype.is_floating:
        return False
    op = producer(t)
    return op is None or t.value_index not in op.opdef.aux_outputs


def gradients(ys, xs, grad_ys=None, name="gradients", stop_gradients=None,
              colocate_gradients_with_ops=False, gate_gradients=False,
              aggregation_method=None, unconnected_gradients="none"):
    """d(sum ys)/d(x) for each x: a list of tensors, None where x does not affect ys.

    Gradients flow through every path, also through other xs (total derivatives); a tensor in
    `stop_gradients` is a constant for the paths through it, but still gets its own gradient
    when it is one of the xs (partial derivatives, as TF documents)."""
    if get_default_graph()._eager:
        raise RuntimeError("tf.gradients is not supported when eager execution is enabled. "
                           "Use tf.GradientTape instead.")
    unconnected = getattr(unconnected_gradients, "value", unconnected_gradients)
    if unconnected not in ("none", "zero"):
        raise ValueError("unconnected_gradients must be 'none' or 'zero' "
                         f"(tf.UnconnectedGradients), got {unconnected_gradients!r}")
    ys = _as_tensor_list(ys)
    xs = [] if xs is None else xs if isinstance(xs, (list, tuple)) else [xs]
    groups = [_source_tensors(x) for x in xs]
    xs = [t for group in groups for t in group]
    stops = {t for t in _as_tensor_list(stop_gradients)}
    if grad_ys is None:
        grad_ys = [None] * len(ys)
    elif not isinstance(grad_ys, (list, tuple)):
        grad_ys = [grad_ys]
    if len(grad_ys) != len(ys):
        raise ValueError(f"gradients: {len(ys)} ys but {len(grad_ys)} grad_ys")
    for x in xs:
        if not isinstance(x, Tensor):
            raise TypeError(f"gradients: xs must be tensors or variables, got {x!r}")
    with name_scope(name):
        grad_ys = [_check_grad_y(y, gy) for y, gy in zip(ys, grad_ys)]
        flat = backprop(ys, xs, grad_ys, stops)
        out, i = [], 0
        for group in groups:
            gs = [g for g in flat[i:i + len(group)] if g is not None]
            i += len(group)
            g = _sum(gs)
            if g is None and unconnected == "zero":
                g = array.zeros_like(group[0])
            out.append(g)
    return out


def _check_grad_y(y, gy):
    """`gy` as a tensor of y's dtype and a shape compatible with y's, or a clear error."""
    if gy is None or not _differentiable(y):
        return gy
    if isinstance(gy, Tensor):
        if gy.dtype is not y.dtype:
            raise TypeError(f"gradients: grad_ys for {y.name} has dtype {gy.dtype.name}, but "
                            f"the tensor has dtype {y.dtype.name}")
    else:
        gy = convert_to_tensor(gy, dtype=y.dtype)
    if not gy.shape.is_compatible_with(y.shape):
        raise ValueError(f"gradients: grad_ys for {y.name} has shape {gy.shape}, but the "
                         f"tensor has shape {y.shape}")
    return gy


def _source_tensors(x):
    """The tensors standing for source `x`: an eager variable read by several ops of the graph
    being built (a traced function) stands for all of those reads (their gradients add up)."""
    reads = getattr(x, "_graph_reads", None)
    if reads is not None:
        got = reads(get_default_graph())
        if got:
            return got
    return [convert_to_tensor(x)]


def backprop(ys, xs, grad_ys, stops=(), producer=_op_of):
    """The gradients of sum(ys · grad_ys) for each x (None where unconnected).

    `producer(t)` is the op whose rule differentiates through `t`, or None where `t` is a leaf;
    ops need `inputs`, `outputs`, `opdef`, `type` and an `_id` increasing in creation order.
    Gradients flow through xs too; they stop at `stops` (which keep their own gradient).
    """
    xset = set(xs)
    between = _ops_between(ys, xs, stops, producer)
    grads = {}
    for y, gy in zip(ys, grad_ys):
        if not _differentiable(y, producer):
            continue
        g = array.ones_like(y) if gy is None else convert_to_tensor(gy, dtype=y.dtype)
        grads.setdefault(y, []).append(g)
    for op in sorted(between, key=lambda o: o._id, reverse=True):
        out_grads = [None if t in stops else _sum(grads.get(t)) for t in op.outputs]
        if all(g is None for g in out_grads):
            continue
        if op.opdef.grad is None:
            continue
        out_grads = [g if g is not None else (array.zeros_like(t)
                                              if _differentiable(t, producer) else None)
                     for g, t in zip(out_grads, op.outputs)]
        for t, g in zip(op.outputs, out_grads):
            if t not in stops:
                grads[t] = [g] if g is not None else []
        needed = [_differentiable(t, producer) and
                  (t in xset or t not in stops and producer(t) in between) for t in op.inputs]
        if not any(needed):
            continue
        in_grads = op.opdef.grad(op, out_grads, needed)
        if len(in_grads) != len(op.inputs):
            raise RuntimeError(f"gradient rule of {op.type} returned {len(in_grads)} "
                               f"gradients for {len(op.inputs)} inputs")
        for t, g, need in zip(op.inputs, in_grads, needed):
            if g is not None and need:
                _check_rule_output(op, t, g)
                grads.setdefault(t, []).append(g)
    return [_sum(grads.get(x)) for x in xs]


def _check_rule_output(op, t, g):
    """A gradient must match its input's dtype and shape: a rule that broadcasts or changes the
    dtype would otherwise give silently wrong sums later."""
    if g.dtype is not t.dtype or not g.shape.is_compatible_with(t.shape):
        raise ValueError(f"gradient rule of {op.type} op {op.name!r} returned a "
                         f"{g.dtype.name} gradient of shape {g.shape} for input {t.name} "
                         f"({t.dtype.name}, shape {t.shape})")


def _sum(gs):
    if not gs:
        return None
    return gs[0] if len(gs) == 1 else math.add_n(gs)


def _ops_between(ys, xs, stops, producer=_op_of):
    """Ops reachable backward from ys (not through stops) that depend on some x (not through
    a stop_gradient)."""
    xset = set(xs)
    reach_y = set()
    stack = [op for op in map(producer, ys) if op is not None]
    while stack:
        op = stack.pop()
        if op in reach_y:
            continue
        reach_y.add(op)
        for t in op.inputs:
            if t not in stops:
                src = producer(t)
                if src is not None and src not in reach_y:
                    stack.append(src)
    # forward from xs, restricted to reach_y (creation order is a topological order)
    depends = {}
    for op in sorted(reach_y, key=lambda o: o._id):
        result = False
        if op.type != "StopGradient":
            for t in op.inputs:
                if t in xset or t not in stops and depends.get(producer(t), False):
                    result = True
                    break
        depends[op] = result
    return {op for op in reach_y if depends[op]}
