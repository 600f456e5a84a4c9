"""Optimizer update ops: one stateful op per update rule, applied to many variables at once.

An update op takes the gradients of k variables and the rule's scalar hyper-parameters as
inputs (so schedules and `global_step` drive them) and rewrites the variables and their slot
variables IN PLACE in the session's storage, by name. Both `tensorlet.train` (TF 1.x) and
`tensorlet.keras.optimizers` (Keras 3) build these same ops: their conventions differ only in
the scalars and attrs they pass (DESIGN.md rule 2). Every rule has a one-pass numba kernel,
used unless numba is missing or TENSORLET_DISABLE_NUMBA=1, and a NumPy fallback giving the same
numbers (float32 kept float32, results written through `out=` into thread-local scratch
buffers; PERF-NOTES.md). Decaying slots are flushed to zero below the smallest normal float
(`_flush_subnormal`). The small variables of one op live packed in flat buffers, so the rule
runs once for all of them (see `_Pack`).

Readers of `ctx.vars` must copy what they keep: these ops change the stored arrays in place.
"""
import sys
import threading
import weakref

import numpy as np

from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.runtime.jit import numba_enabled

from . import training_kernels
from .base import as_tensor, declare

__all__ = ["UPDATE_RULES", "UpdateBatch", "apply_update"]

# -- Scratch buffers and storage ----------------------------------------------------------------

_local = threading.local()


def _tmp(like, index=0, dtype=None):
    """A scratch array shaped like `like` (of its dtype unless given), reused across calls
    (never a fresh allocation)."""
    bufs = getattr(_local, "bufs", None)
    if bufs is None:
        bufs = _local.bufs = {}
    dtype = like.dtype if dtype is None else np.dtype(dtype)
    key = (dtype.str, index)
    buf = bufs.get(key)
    if buf is None or buf.size < like.size:
        buf = bufs[key] = np.empty(max(like.size, 1), dtype)
    return buf[:like.size].reshape(like.shape)


def _storage(ctx, name):
    """The variable's stored array, made writable and C-contiguous once if it is not."""
    a = ctx.read(name)
    if not (a.flags.c_contiguous and a.flags.writeable):
        a = ctx.vars[name] = np.array(a, order="C", copy=True)
    return a


def _root(a):
    """The array that owns `a`'s memory (to detect a gradient aliasing updated state)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _flush_subnormal(a):
    """Zero the entries of `a` smaller in magnitude than the dtype's smallest normal number
    (NaN and Inf are kept), in place.

    Decaying optimizer state (the moments of a parameter whose gradient stays zero, e.g. behind
    a dead ReLU) otherwise sinks into subnormal floats, which this CPU processes ~45x slower;
    TF and XLA run their CPU kernels with flush-to-zero, so their slots hold zeros there too.
    Every rule flushes each of its slots (all but Adagrad's accumulator, which only grows from
    a normal start) right after updating it and before using it, on both kernel paths.
    """
    t, keep = _tmp(a, 2), _tmp(a, dtype=bool)
    np.abs(a, out=t)
    np.greater_equal(t, np.finfo(a.dtype).tiny, out=keep)  # False for NaN, but NaN*0 is NaN
    np.multiply(a, keep, out=a)   # branch-free: a masked copy costs 4x with many zeros
    np.add(a, 0, out=a)           # -0 -> +0, as the compiled kernels flush


# -- Update rules (NumPy), each written once ----------------------------------------------------
# Signature: fn(w, g, *slots, *scalars, **flags), the scalars as the rule's `prep` returns them;
# every array is updated in place. Each has a one-pass numba kernel (training_kernels.py) doing
# the same float operations in the same order (so both paths give identical numbers).


def _gradient_descent(w, g, lr):
    t = _tmp(w)
    np.multiply(g, lr, out=t)
    w -= t


def _momentum(w, g, accum, alpha, beta, momentum, use_nesterov=False):
    """accum = momentum*accum + alpha*g;  w += beta*(nesterov ? momentum*accum + alpha*g : accum).

    TF 1.x passes (alpha, beta) = (1, -lr); Keras 3 keeps a velocity: (alpha, beta) = (-lr, 1).
    """
    t = _tmp(w)
    accum *= momentum
    np.multiply(g, alpha, out=t)
    accum += t
    _flush_subnormal(accum)
    if use_nesterov:
        t2 = _tmp(w, 1)
        np.multiply(accum, momentum, out=t2)
        t += t2
    else:
        t[...] = accum
    t *= beta
    w += t


def _adam_prep(lr, beta1_power, beta2_power, b1, b2, eps):
    """The step size with the bias correction folded in, once per op run."""
    return lr * np.sqrt(1 - beta2_power) / (1 - beta1_power), b1, 1 - b1, 1 - b2, eps


def _adam(w, g, m, v, *rest, amsgrad=False, use_nesterov=False):
    """Adam with the bias correction folded into the step size, epsilon outside the sqrt."""
    vhat = rest[0] if amsgrad else v
    alpha, b1, omb1, omb2, eps = rest[-5:]
    t = _tmp(w)
    np.subtract(g, m, out=t)
    t *= omb1
    m += t
    np.multiply(g, g, out=t)
    t -= v
    t *= omb2
    v += t
    _flush_subnormal(m)
    _flush_subnormal(v)
    if amsgrad:
        np.maximum(vhat, v, out=vhat)
        _flush_subnormal(vhat)   # it never decays, but may hold subnormals from older runs
        v = vhat
    num = m
    if use_nesterov:
        num = _tmp(w, 1)
        np.multiply(m, b1, out=num)
        np.multiply(g, omb1, out=t)
        num += t
    np.sqrt(v, out=t)
    t += eps
    np.divide(num, t, out=t)
    t *= alpha
    w -= t


def _one_minus_rho(lr, rho, *rest):
    """RMSProp's and Adadelta's kernel scalars: rho as its complement."""
    return (lr, 1 - rho) + rest


def _rmsprop(w, g, ms, *rest, centered=False, use_momentum=True):
    """ms += (g^2 - ms)(1 - rho); step = lr*g/sqrt(ms [- mg^2] + eps); momentum optional."""
    n = 1 + centered + use_momentum
    slots, (lr, omr, momentum, eps) = rest[:n - 1], rest[n - 1:]
    t = _tmp(w)
    np.multiply(g, g, out=t)
    t -= ms
    t *= omr
    ms += t
    _flush_subnormal(ms)
    if centered:
        mg = slots[-1]
        np.subtract(g, mg, out=t)
        t *= omr
        mg += t
        _flush_subnormal(mg)
        np.multiply(mg, mg, out=t)
        np.subtract(ms, t, out=t)
    else:
        t[...] = ms
    t += eps
    np.sqrt(t, out=t)
    t2 = _tmp(w, 1)
    np.multiply(g, lr, out=t2)
    np.divide(t2, t, out=t)
    if use_momentum:
        mom = slots[0]
        mom *= momentum
        mom += t
        _flush_subnormal(mom)
        w -= mom
    else:
        w -= t


def _adagrad(w, g, accum, lr, eps):
    """accum += g^2; w -= lr*g/sqrt(accum + eps) (TF 1.x passes eps = 0). The accumulator never
    decays (it starts at a normal value, 0.1 by default, and only grows), so it is not flushed:
    flushing a sum of tiny squares would turn TF 1.x's lr*g/sqrt(accum) into a division by 0."""
    t = _tmp(w)
    np.multiply(g, g, out=t)
    accum += t
    np.add(accum, eps, out=t)
    np.sqrt(t, out=t)
    t2 = _tmp(w, 1)
    np.multiply(g, lr, out=t2)
    np.divide(t2, t, out=t)
    w -= t


def _adadelta(w, g, accum, accum_update, lr, omr, eps):
    """Zeiler's rule: update = sqrt(accum_update + eps)/sqrt(accum + eps) * g; w -= lr*update."""
    t, t2 = _tmp(w), _tmp(w, 1)
    np.multiply(g, g, out=t)
    t -= accum
    t *= omr
    accum += t
    _flush_subnormal(accum)
    np.add(accum_update, eps, out=t)
    np.sqrt(t, out=t)
    np.add(accum, eps, out=t2)
    np.sqrt(t2, out=t2)
    np.divide(t, t2, out=t)
    t *= g                                    # t = update
    np.multiply(t, t, out=t2)
    t2 -= accum_update
    t2 *= omr
    accum_update += t2
    _flush_subnormal(accum_update)
    t *= lr
    w -= t


def _adamax_prep(lr, beta1_power, b1, b2, eps):
    """The step size with the bias correction folded in, and 1 - beta1."""
    return lr / (1 - beta1_power), 1 - b1, b2, eps


def _adamax(w, g, m, u, alpha, omb1, b2, eps):
    """m += (g - m)(1 - b1); u = max(b2*u, |g|); w -= lr/(1 - b1^t) * m/(u + eps)."""
    t = _tmp(w)
    np.subtract(g, m, out=t)
    t *= omb1
    m += t
    u *= b2
    np.abs(g, out=t)
    np.maximum(u, t, out=u)
    _flush_subnormal(m)
    _flush_subnormal(u)
    np.add(u, eps, out=t)
    np.divide(m, t, out=t)
    t *= alpha
    w -= t


def _nadam_prep(lr, c_m, c_g, c_v, b1, b2, eps):
    """The betas as their complements."""
    return lr, c_m, c_g, c_v, 1 - b1, 1 - b2, eps


def _nadam(w, g, m, v, lr, c_m, c_g, c_v, omb1, omb2, eps):
    """Adam with Nesterov momentum: w -= lr*(c_m*m + c_g*g)/(sqrt(c_v*v) + eps).

    The schedule coefficients c_m, c_g, c_v come from the caller (Keras computes them from its
    momentum-cache product), so this kernel holds no step state of its own.
    """
    t, t2 = _tmp(w), _tmp(w, 1)
    np.subtract(g, m, out=t)
    t *= omb1
    m += t
    np.multiply(g, g, out=t)
    t -= v
    t *= omb2
    v += t
    _flush_subnormal(m)
    _flush_subnormal(v)
    np.multiply(m, c_m, out=t2)
    np.multiply(g, c_g, out=t)
    t2 += t
    np.multiply(v, c_v, out=t)
    np.sqrt(t, out=t)
    t += eps
    np.divide(t2, t, out=t)
    t *= lr
    w -= t


def _weight_decay(w, g, rate):
    """Decoupled weight decay: w -= w*(wd*lr). The gradient is not used: as an input it only
    orders the decay after the backward pass has read w."""
    t = _tmp(w)
    np.multiply(w, rate, out=t)
    w -= t


class _Rule:
    """An update rule: its kernel, its scalar inputs, the slots each variable carries and its
    flags (name -> default).

    `prep(*scalars)`, when given, turns the scalars into the kernel's arguments once per op run
    (instead of once per variable). The compiled kernel takes every slot the rule can have, in
    the order `slot_kinds` lists them with all flags on, then the scalars, then the flags.
    """

    def __init__(self, fn, scalars, slots, flags=None, prep=None):
        self.fn, self.scalars, self.slots, self.prep = fn, scalars, slots, prep
        self.flags = flags or {}
        self.kernel_slots = self.slot_kinds(dict.fromkeys(self.flags, True))

    def slot_kinds(self, attrs):
        return self.slots(attrs) if callable(self.slots) else self.slots


UPDATE_RULES = {
    "ApplyGradientDescent": _Rule(_gradient_descent, ("lr",), ()),
    "ApplyMomentum": _Rule(_momentum, ("alpha", "beta", "momentum"), ("accum",),
                           {"use_nesterov": False}),
    "ApplyAdam": _Rule(_adam, ("lr", "beta1_power", "beta2_power", "beta1", "beta2", "epsilon"),
                       lambda a: ("m", "v", "vhat") if a.get("amsgrad") else ("m", "v"),
                       {"amsgrad": False, "use_nesterov": False}, _adam_prep),
    "ApplyRMSProp": _Rule(_rmsprop, ("lr", "rho", "momentum", "epsilon"),
                          lambda a: ("ms",) + (("mom",) if a.get("use_momentum", True) else ())
                          + (("mg",) if a.get("centered") else ()),
                          {"centered": False, "use_momentum": True}, _one_minus_rho),
    "ApplyAdagrad": _Rule(_adagrad, ("lr", "epsilon"), ("accum",)),
    "ApplyAdadelta": _Rule(_adadelta, ("lr", "rho", "epsilon"), ("accum", "accum_update"),
                           prep=_one_minus_rho),
    "ApplyAdamax": _Rule(_adamax, ("lr", "beta1_power", "beta1", "beta2", "epsilon"), ("m", "u"),
                         prep=_adamax_prep),
    "ApplyNadam": _Rule(_nadam, ("lr", "c_m", "c_g", "c_v", "beta1", "beta2", "epsilon"),
                        ("m", "v"), prep=_nadam_prep),
    "ApplyWeightDecay": _Rule(_weight_decay, ("lr", "weight_decay"), (),
                              prep=lambda lr, wd: (wd * lr,)),
}

def _compiled_rule(fast, rule, attrs):
    """`fast` called like the NumPy rule with `attrs`' flags: flat arrays, every slot of the
    kernel's signature filled (an absent one by a present array it never touches)."""
    kinds = rule.slot_kinds(attrs)
    where = [kinds.index(k) if k in kinds else 0 for k in rule.kernel_slots]
    flags = tuple(bool(attrs.get(f, d)) for f, d in rule.flags.items())
    n = len(kinds)

    def run(w, g, *rest):
        slots = [s.reshape(-1) for s in rest[:n]]
        fast(w.reshape(-1), np.ravel(g), *[slots[j] for j in where], *rest[n:], *flags)
    return run


def _rule_for(op_type, attrs):
    """The update function for one op run: the numba kernel when enabled and available (float32
    and float64), else the NumPy rule."""
    rule = UPDATE_RULES[op_type]
    if numba_enabled() and attrs["dtype"].np in (np.float32, np.float64):
        fast = training_kernels.compiled_rule(op_type)
        if fast is not None:
            return _compiled_rule(fast, rule, attrs)
    flags = {f: attrs[f] for f in rule.flags if f in attrs}
    return lambda *args: rule.fn(*args, **flags)


# -- The ops ------------------------------------------------------------------------------------


def _update_spec(op_type):
    rule = UPDATE_RULES[op_type]

    def infer(inputs, attrs):
        names, shapes, dtype = attrs["var_names"], attrs["var_shapes"], attrs["dtype"]
        k, ns = len(names), len(rule.scalars)
        if len(inputs) != k + ns:
            raise ValueError(f"expected {k} gradients and {ns} scalars {rule.scalars}, got "
                             f"{len(inputs)} inputs")
        nslots = len(rule.slot_kinds(attrs))
        if len(attrs["slot_names"]) != k or any(len(s) != nslots for s in attrs["slot_names"]):
            raise ValueError(f"expected {nslots} slot variables "
                             f"{rule.slot_kinds(attrs)} for each of the {k} variables")
        for name, shape, g in zip(names, shapes, inputs[:k]):
            if g.dtype is not dtype:
                raise TypeError(f"the gradient of {name} is {g.dtype.name}, the variable is "
                                f"{dtype.name}")
            if not shape.is_compatible_with(g.shape):
                raise ValueError(f"the gradient of {name} has shape {g.shape}, the variable "
                                 f"has shape {shape}")
        for sname, s in zip(rule.scalars, inputs[k:]):
            if s.dtype is not dtype or (s.shape.ndims is not None and s.shape.ndims != 0):
                raise ValueError(f"hyper-parameter {sname} must be a {dtype.name} scalar, got "
                                 f"{s.dtype.name} of shape {s.shape}")
        return []

    return infer


# Variables up to this many elements are updated together, packed into flat buffers.
_PACK_MAX = 1 << 14
_packs = weakref.WeakKeyDictionary()   # RunContext -> {id(attrs): (attrs, small, pack)}


class _Pack:
    """The small variables of one update op and their slots, stored as views into one flat
    buffer per slot kind, so the rule runs once for all of them (a model's biases and norms
    cost one kernel call, not one each). The session's storage of each of them is replaced by
    its view; when any storage is replaced again (Assign, load), the pack is rebuilt.

    Ops read a variable as its stored array itself, so a storage array is swapped for a view
    only while nothing but the session holds it (`_unshared`): an op of the same run that still
    holds the old array (a fetch, `assign(clip(w))` after the update) must see the update."""

    def __init__(self, ctx, rows, dtype):
        shapes = [ctx.read(row[0]).shape for row in rows]
        sizes = [int(np.prod(shape)) for shape in shapes]
        total = sum(sizes)
        self.flat = [np.empty(total, dtype) for _ in rows[0]]
        self.grad = np.empty(total, dtype)
        self.grad_views, self.installed = [], []
        offset = 0
        for row, shape, size in zip(rows, shapes, sizes):
            self.grad_views.append(self.grad[offset:offset + size].reshape(shape))
            for flat, name in zip(self.flat, row):
                current = ctx.read(name)
                if current.shape != shape:
                    raise InvalidArgumentError(
                        f"slot variable {name} has shape {current.shape}, its variable "
                        f"{row[0]} has shape {shape}")
                view = flat[offset:offset + size].reshape(shape)
                view[...] = current
                ctx.vars[name] = view
                self.installed.append((name, view))
            offset += size

    def valid(self, stored):
        return all(stored.get(name) is view for name, view in self.installed)


def _pack_for(ctx, attrs):
    """(pack or None, indices of the packed variables, indices of those updated one by one)."""
    per_ctx = _packs.get(ctx)
    if per_ctx is None:
        per_ctx = _packs[ctx] = {}
    entry = per_ctx.get(id(attrs))
    if entry is None or entry[0] is not attrs:
        names = attrs["var_names"]
        everything = list(names) + [s for row in attrs["slot_names"] for s in row]
        small = tuple(i for i, shape in enumerate(attrs["var_shapes"])
                      if shape.is_fully_defined() and shape.num_elements() <= _PACK_MAX)
        if len(small) < 2 or len(set(everything)) != len(everything):
            small = ()
        entry = per_ctx[id(attrs)] = [attrs, small, None,
                                      tuple(i for i in range(len(names)) if i not in small)]
    if not entry[1]:
        return None, (), entry[3]
    if entry[2] is None or not entry[2].valid(ctx.vars):
        entry[2] = None
        rows = [(attrs["var_names"][i],) + tuple(attrs["slot_names"][i]) for i in entry[1]]
        if not _unshared(ctx.vars, rows):  # this run updates them one by one, in place
            return None, (), tuple(range(len(attrs["var_names"])))
        entry[2] = _Pack(ctx, rows, attrs["dtype"].np)
    return entry[2], entry[1], entry[3]


def _unshared(stored, rows):
    """Whether the session's dict is the only holder of each stored array (none is missing)."""
    if not hasattr(sys, "getrefcount"):
        return False
    # 2 = the dict's reference + getrefcount's argument.
    return all(sys.getrefcount(stored.get(name)) <= 2 for row in rows for name in row)


def _update_kernel(op_type):
    rule = UPDATE_RULES[op_type]

    def kernel(ctx, attrs, *arrays):
        names, slot_names = attrs["var_names"], attrs["slot_names"]
        k = len(names)
        scalars = [a[()] for a in arrays[k:]]
        if rule.prep is not None:
            scalars = rule.prep(*scalars)
        update = _rule_for(op_type, attrs)
        pack, packed, singles = _pack_for(ctx, attrs)
        if pack is not None:  # copying the gradients in also protects them from aliasing
            for i, view in zip(packed, pack.grad_views):
                _check_grad(names[i], arrays[i], view)
                view[...] = arrays[i]
        ws = [_storage(ctx, names[i]) for i in singles]
        slots = [[_storage(ctx, s) for s in slot_names[i]] for i in singles]
        owned = {id(_root(a)) for a in ws} | {id(_root(a)) for row in slots for a in row}
        if pack is not None:
            owned.update(id(f) for f in pack.flat)
        # A gradient that aliases state updated here is copied before any update runs.
        grads = [arrays[i].copy() if id(_root(arrays[i])) in owned else arrays[i]
                 for i in singles]
        for i, w, row, g in zip(singles, ws, slots, grads):  # every check before any update
            _check_grad(names[i], g, w)
            for sname, s in zip(slot_names[i], row):
                if s.shape != w.shape:
                    raise InvalidArgumentError(
                        f"slot variable {sname} has shape {s.shape}, its variable {names[i]} "
                        f"has shape {w.shape}")
        if pack is not None:
            update(pack.flat[0], pack.grad, *pack.flat[1:], *scalars)
        for w, row, g in zip(ws, slots, grads):
            update(w, g, *row, *scalars)
        return ()

    return kernel


def _check_grad(name, g, w):
    if g.shape != w.shape:
        raise InvalidArgumentError(
            f"the gradient of {name} has shape {g.shape}, the variable has shape {w.shape}")


for _type in UPDATE_RULES:
    declare(_type, _update_spec(_type), _update_kernel(_type), stateful=True,
            writes_variables=True)


def apply_update(op_type, grads, variables, slots, scalars, name=None, **flags):
    """One op applying rule `op_type` to every (gradient, variable, slot variables) triple.

    `slots[i]` lists variable i's slot variables in the rule's order; `scalars` are the rule's
    hyper-parameters (tensors or numbers, cast to the variables' dtype). Returns the Operation.
    """
    rule = UPDATE_RULES[op_type]
    if not variables:
        raise ValueError(f"{op_type}: no variables to update")
    dtype = variables[0].dtype
    for v in variables:
        if v.dtype is not dtype:
            raise TypeError(f"{op_type}: all variables of one update op must share a dtype, got "
                            f"{dtype.name} and {v.dtype.name} ({v.name})")
    graph = variables[0].graph
    for v in list(variables) + [s for row in slots for s in row]:
        if v.graph is not graph:
            raise ValueError(f"{op_type}: variable {v.name} is from a different graph")
    unknown = set(flags) - set(rule.flags)
    if unknown:
        raise TypeError(f"{op_type}: unknown flags {sorted(unknown)} (known: {tuple(rule.flags)})")
    flags = {f: bool(v) for f, v in flags.items()}
    inputs = [as_tensor(g) for g in grads] + [_scalar(s, dtype) for s in scalars]
    attrs = dict(flags, var_names=tuple(v.op.name for v in variables),
                 var_shapes=tuple(v.shape for v in variables), dtype=dtype,
                 slot_names=tuple(tuple(s.op.name for s in row) for row in slots))
    return graph.create_op(op_type, inputs, attrs, name=name)


def _scalar(s, dtype):
    from .math import cast
    if isinstance(s, (int, float, np.number)):
        return as_tensor(np.asarray(s, dtype=dtype.np))
    t = as_tensor(s)
    return t if t.dtype is dtype else cast(t, dtype)


class UpdateBatch:
    """The per-variable updates of one optimizer step, emitted as one op per rule and dtype.

    `add` is called once per variable (from an optimizer's per-variable hook); `build` groups
    the requests that share a rule, flags, dtype and the very same scalar tensors, so a model's
    whole update is a handful of ops instead of one per variable.
    """

    def __init__(self):
        self._groups = {}

    def add(self, op_type, grad, var, slots=(), scalars=(), **flags):
        key = (op_type, var.dtype, tuple(sorted(flags.items())),
               tuple(s if isinstance(s, (int, float, np.number)) else id(s) for s in scalars))
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = (list(scalars), flags, [], [], [])
        group[2].append(grad)
        group[3].append(var)
        group[4].append(tuple(slots))

    def build(self, name=None):
        """The update ops (one per group), in the order the groups were first seen."""
        return [apply_update(key[0], grads, vars_, slots, scalars, name=name, **flags)
                for key, (scalars, flags, grads, vars_, slots) in self._groups.items()]

