"""`tf.while_loop`: a While op whose kernel runs compiled sub-plans of `cond` and `body`.

`cond` and `body` are built once on stand-in tensors for the loop variables; tensors they read
from outside are inputs of the While op (computed once, before the loop: a variable read inside
the body sees its value at loop entry). When a gradient is requested the loop records every
iteration's values, and a WhileGrad op runs the body's gradient graph backwards over them.

In eager mode the loop is a Python loop over eager tensors: `cond` and `body` run each
iteration (their ops recorded by GradientTapes like any others), under the same rules on
structure, dtypes and shapes as in a graph.
"""
import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.graph import (
    Tensor,
    control_dependencies,
    convert_to_tensor,
    get_default_graph,
    name_scope,
)
from tensorlet.framework.shapes import TensorShape

from .base import declare
from .control import _Branch, _branch_ops, _flatten, _is_zero, _pack, _source, _tuple


class _Loop:
    """The parts of one while_loop: stand-ins, invariant shapes, cond and body branches
    (whose `inner_ops` run only inside the While op)."""

    def __init__(self, standins, shapes, cond, body, captures, back_prop):
        self.standins, self.shapes = standins, shapes
        self.cond, self.body, self.captures = cond, body, captures
        self.back_prop = back_prop
        self.inner_ops = cond.inner_ops | body.inner_ops
        n = len(standins)
        pos = {t: k + 1 for k, t in enumerate(standins)}
        pos.update({t: n + c + 1 for c, t in enumerate(captures)})
        for br in (cond, body):  # feeds index into [loop values..., captured values...]
            br.input_index = [pos[f] for f in br.feeds]


def _build(fn, args, graph, what):
    start = len(graph._ops)
    with control_dependencies(None), name_scope(what):
        result = fn(*args)
        if result is None:
            raise ValueError(f"while_loop: {what} must return a value (got None)")
        leaves = []
        struct = _flatten(result, leaves)
        leaves = [x if isinstance(x, Tensor) else convert_to_tensor(x) for x in leaves]
    return _Branch(leaves, struct, _branch_ops(graph, start)), struct


def _strip(struct):
    """A structure description that does not tell lists from tuples (TF allows either)."""
    if struct[0] == "leaf":
        return struct
    kind = "seq" if struct[1] in (list, _tuple) else struct[1]
    return (struct[0], kind, [_strip(s) for s in struct[2]])


def _same_shape_of_results(got, want):
    """Whether body results match loop_vars, allowing [x] for x and x for [x] (as TF 1.x)."""
    got, want = _strip(got), _strip(want)
    if got == want:
        return True
    if want[0] == "seq" and len(want[2]) == 1 and got == want[2][0]:
        return True
    return got[0] == "seq" and len(got[2]) == 1 and got[2][0] == want


def _while_spec(inputs, attrs):
    return attrs["specs"]


def _while_kernel(ctx, attrs, *args):
    loop = attrs["loop"]
    n, nc = len(loop.standins), len(loop.captures)
    vals, caps = list(args[:n]), list(args[n:n + nc])
    limit = int(args[n + nc]) if len(args) > n + nc else None
    record = attrs["record"]
    trace, i = [], 0
    while (limit is None or i < limit) and loop.cond.run(ctx, vals + caps)[0]:
        outs = loop.body.run(ctx, vals + caps)
        if record:
            trace.append((vals, outs))
        vals = list(outs[:n])
        for k, v in enumerate(vals):
            if not loop.shapes[k].is_compatible_with(np.shape(v)):
                raise InvalidArgumentError(
                    f"while_loop: loop variable {k} has shape {np.shape(v)} after iteration "
                    f"{i + 1}, incompatible with its shape invariant {loop.shapes[k]}")
        i += 1
    handle = np.empty((), dtype=object)
    handle[()] = trace
    return _tuple(vals) + (handle,)


def _while_grad(op, grads, needed):
    loop = op.attrs["loop"]
    n = len(loop.standins)
    out = [None] * len(op.inputs)
    fv = [k for k in range(n) if loop.standins[k].dtype.is_floating]
    caps = [c for c in range(len(loop.captures)) if needed[n + c]]
    if not loop.back_prop or (not any(needed[k] for k in fv) and not caps):
        return out
    if all(grads[k] is None or _is_zero(grads[k]) for k in fv):
        from .array import zeros_like
        return [zeros_like(x) if need else None for x, need in zip(op.inputs, needed)]
    op.attrs["record"] = True
    wg = _while_grad_op(op, loop, fv, caps, [grads[k] for k in fv])
    for j, k in enumerate(fv):
        if needed[k]:
            out[k] = wg[j]
    for j, c in enumerate(caps):
        out[n + c] = wg[len(fv) + j]
    return out


declare("While", _while_spec, _while_kernel, grad=_while_grad, stateful=True,
        gradcheck_in="ops/test_while_loop.py")


# -- Gradient: the body's gradient graph, run backwards over the recorded iterations ----------


class _LoopGrad:
    """The body's gradient graph and where each of its feeds comes from per iteration."""

    def __init__(self, branch, kinds, nfv, ncap):
        self.branch, self.kinds, self.nfv, self.ncap = branch, kinds, nfv, ncap
        self.inner_ops = branch.inner_ops


def _while_grad_op(op, loop, fv, caps, g_final):
    from tensorlet.autodiff import gradients

    from .array import placeholder, zeros_like
    graph = op.graph
    body = loop.body
    g_in = [placeholder(loop.standins[k].dtype, loop.shapes[k], name="grad_loop_var")
            for k in fv]
    start = len(graph._ops)
    with control_dependencies(None), name_scope("body_grad"):
        xs = [loop.standins[k] for k in fv] + [loop.captures[c] for c in caps]
        gs = gradients([body.fetches[k] for k in fv], xs, grad_ys=g_in,
                       stop_gradients=xs)  # partials, one per loop variable / capture
        gs = [g if g is not None else zeros_like(x) for g, x in zip(gs, xs)]
    branch = _Branch(gs, None, set(graph._ops[start:]))
    var_of = {t: k for k, t in enumerate(loop.standins)}
    g_of = {t: j for j, t in enumerate(g_in)}
    rec_of = {t: i for i, t in enumerate(body.fetches + body.hidden)}
    outer, kinds = {}, []
    for f in branch.feeds:
        if f in g_of:
            kinds.append(("g", g_of[f]))
        elif f in var_of:
            kinds.append(("var", var_of[f]))
        elif f in rec_of:
            kinds.append(("rec", rec_of[f]))
        else:
            kinds.append(("outer", outer.setdefault(_source(f), len(outer))))
    cap_sources = [op.inputs[len(loop.standins) + c] for c in caps]
    specs = [(loop.shapes[k], loop.standins[k].dtype) for k in fv] + \
        [(t.shape, t.dtype) for t in cap_sources]
    return graph.create_op(
        "WhileGrad", [op.outputs[len(loop.standins)]] + g_final + cap_sources + list(outer),
        {"grad": _LoopGrad(branch, kinds, len(fv), len(caps)), "specs": specs},
        name="WhileGrad").outputs


def _while_grad_kernel(ctx, attrs, handle, *args):
    lg = attrs["grad"]
    g = list(args[:lg.nfv])
    acc = [np.zeros_like(v) for v in args[lg.nfv:lg.nfv + lg.ncap]]
    outer = args[lg.nfv + lg.ncap:]
    plan = lg.branch.plan_for(ctx)
    for vals, outs in reversed(handle[()]):
        src = {"g": g, "var": vals, "rec": outs, "outer": outer}
        res = plan.run([src[kind][i] for kind, i in lg.kinds])
        g = list(res[:lg.nfv])
        acc = [a + r for a, r in zip(acc, res[lg.nfv:lg.nfv + lg.ncap])]
    out = g + acc
    return out[0] if len(out) == 1 else _tuple(out)


def _while_grad_grad(op, grads, needed):
    raise NotImplementedError("second derivatives through tf.while_loop are not supported "
                              f"(asked for the gradient of {op.name})")


declare("WhileGrad", lambda inputs, attrs: attrs["specs"], _while_grad_kernel,
        grad=_while_grad_grad, stateful=True, gradcheck_in="ops/test_while_loop.py")


# -- Public function ----------------------------------------------------------------------------


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, name=None, maximum_iterations=None,
               return_same_structure=False):
    """Repeat `loop_vars = body(*loop_vars)` while `cond(*loop_vars)` is true (TF 1.x).

    `body` returns the same structure as `loop_vars`, with the same dtypes and shapes (or shapes
    within `shape_invariants`). A one-variable loop returns a tensor unless
    `return_same_structure`. `parallel_iterations` and `swap_memory` do not apply here.
    """
    if not callable(cond) or not callable(body):
        raise TypeError("while_loop: cond and body must be callable")
    is_seq = isinstance(loop_vars, (list, _tuple)) and not hasattr(loop_vars, "_as_graph_tensor")
    leaves = []
    struct = _flatten(loop_vars, leaves)
    if not leaves:
        raise ValueError("while_loop: no loop variables provided")
    graph = get_default_graph()
    if graph._eager:
        with name_scope(name, "while"):
            exits = _eager_loop(cond, body, leaves, struct, is_seq, shape_invariants,
                                maximum_iterations)
        if not back_prop:
            from .array import stop_gradient
            exits = [stop_gradient(t) for t in exits]
        if len(exits) == 1 and not return_same_structure:
            return exits[0]
        return _pack(struct, iter(exits))
    with name_scope(name, "while"):
        inits = [convert_to_tensor(x) for x in leaves]
        shapes = _invariants(shape_invariants, struct, inits)
        from .array import placeholder
        standins = [placeholder(t.dtype, s, name="loop_var") for t, s in zip(inits, shapes)]
        packed = _pack(struct, iter(standins))
        args = packed if is_seq else [packed]
        cond_b, _ = _build(cond, args, graph, "cond")
        pred = cond_b.fetches[0] if len(cond_b.fetches) == 1 else None
        if pred is None or pred.dtype is not _dt.bool_ or pred.shape.ndims not in (None, 0):
            raise TypeError(f"while_loop: cond must return one bool scalar tensor, got "
                            f"{pred.dtype.name} {pred.shape}" if pred is not None else
                            "while_loop: cond must return one bool scalar tensor")
        body_b, body_struct = _build(body, args, graph, "body")
        if not _same_shape_of_results(body_struct, struct):
            raise ValueError(f"while_loop: body must return the structure of loop_vars "
                             f"({len(leaves)} variables), got {len(body_b.fetches)} results")
        for k, (t, y, s) in enumerate(zip(inits, body_b.fetches, shapes)):
            if y.dtype is not t.dtype:
                raise TypeError(f"while_loop: loop variable {k} enters as {t.dtype.name} but "
                                f"body returns {y.dtype.name}")
            if not s.is_compatible_with(y.shape):
                raise ValueError(
                    f"while_loop: loop variable {k} ({t.name}) enters the loop with shape "
                    f"{s}, but has shape {y.shape} after one iteration; to let the shape vary "
                    "across iterations, pass shape_invariants")
        captures = {}
        for br in (cond_b, body_b):
            for f in br.feeds:
                if f not in standins:
                    captures.setdefault(f, None)
        captures = list(captures)
        loop = _Loop(standins, shapes, cond_b, body_b, captures, back_prop)
        inputs = inits + [_source(t) for t in captures]
        if maximum_iterations is not None:
            inputs.append(_limit(maximum_iterations))
        specs = [(s, t.dtype) for s, t in zip(shapes, inits)] + [((), _dt.string)]
        with control_dependencies(cond_b.outer_deps + body_b.outer_deps):
            op = graph.create_op("While", inputs,
                                 {"loop": loop, "record": False, "specs": specs},
                                 name="While")
    exits = op.outputs[:len(inits)]
    if len(exits) == 1 and not return_same_structure:
        return exits[0]
    return _pack(struct, iter(exits))


def _limit(maximum_iterations):
    limit = convert_to_tensor(maximum_iterations)
    if not limit.dtype.is_integer or limit.shape.ndims not in (None, 0):
        raise ValueError(f"maximum_iterations must be an integer scalar, got "
                         f"{limit.dtype.name} {limit.shape}")
    return limit


def _eager_loop(cond, body, leaves, struct, is_seq, shape_invariants, maximum_iterations):
    """The loop variables' final values, computed by calling `cond` and `body` in turn."""
    vals = [convert_to_tensor(x) for x in leaves]
    shapes = _invariants(shape_invariants, struct, vals)
    limit = None if maximum_iterations is None else int(_limit(maximum_iterations))
    i = 0
    while limit is None or i < limit:
        packed = _pack(struct, iter(vals))
        args = packed if is_seq else [packed]
        got = []
        _flatten(cond(*args), got)
        pred = convert_to_tensor(got[0]) if len(got) == 1 else None
        if pred is None or pred.dtype is not _dt.bool_ or pred.shape.ndims != 0:
            raise TypeError(f"while_loop: cond must return one bool scalar tensor, got "
                            f"{pred.dtype.name} {pred.shape}" if pred is not None else
                            "while_loop: cond must return one bool scalar tensor")
        if not pred:
            break
        result = body(*args)
        if result is None:
            raise ValueError("while_loop: body must return a value (got None)")
        got = []
        body_struct = _flatten(result, got)
        if not _same_shape_of_results(body_struct, struct):
            raise ValueError(f"while_loop: body must return the structure of loop_vars "
                             f"({len(vals)} variables), got {len(got)} results")
        got = [convert_to_tensor(y) for y in got]
        for k, (t, y, s) in enumerate(zip(vals, got, shapes)):
            if y.dtype is not t.dtype:
                raise TypeError(f"while_loop: loop variable {k} enters as {t.dtype.name} but "
                                f"body returns {y.dtype.name}")
            if not s.is_compatible_with(y.shape):
                raise ValueError(
                    f"while_loop: loop variable {k} has shape {y.shape} after iteration "
                    f"{i + 1}, incompatible with its shape invariant {s}; to let the shape "
                    "vary across iterations, pass shape_invariants")
        vals = got
        i += 1
    return vals


def _invariants(shape_invariants, struct, inits):
    """The shape of each loop variable across iterations (TensorShapes matching loop_vars)."""
    if shape_invariants is None:
        return [t.shape for t in inits]
    given = []
    inv_struct = _flatten(shape_invariants, given)
    if len(given) != len(inits) or (len(inits) > 1 and _strip(inv_struct) != _strip(struct)):
        raise ValueError(f"while_loop: shape_invariants must match the structure of loop_vars "
                         f"({len(inits)} variables), got {len(given)}")
    shapes = [TensorShape(s) for s in given]
    for k, (t, s) in enumerate(zip(inits, shapes)):
        if not s.is_compatible_with(t.shape):
            what = f"loop variable {k}" if t._eager else t.name
            raise ValueError(f"while_loop: the shape invariant {s} is not compatible with the "
                             f"initial shape {t.shape} of {what}")
    return shapes


__all__ = ["while_loop"]
