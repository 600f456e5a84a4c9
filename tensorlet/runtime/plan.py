"""A compiled plan: the pruned, ordered list of kernel calls that computes some fetches.

Built once per (fetches, fed tensors) and run many times: each step has its kernel, attrs and
pre-resolved input/output slots; intermediate values are dropped right after their last use.
"""
import os

import numpy as np

from tensorlet.framework.errors import InvalidArgumentError, OpError
from . import numerics


def prune(fetch_tensors, target_ops, fed):
    """The ops needed to compute the fetches and run the targets, given the fed tensors."""
    needed_ops = {}
    stack = list(target_ops)
    for t in fetch_tensors:
        if t not in fed:
            stack.append(t.op)
    while stack:
        op = stack.pop()
        if op in needed_ops:
            continue
        needed_ops[op] = True
        for t in op.inputs:
            if t not in fed and t.op not in needed_ops:
                stack.append(t.op)
        for c in op.control_inputs:
            if c not in needed_ops:
                stack.append(c)
    return sorted(needed_ops, key=lambda op: op._id)


class Plan:
    """Executable steps for one (fetches, feeds) signature of one session."""

    def __init__(self, ops, fetch_tensors, feed_tensors, ctx):
        slot_of = {}

        def slot(t):
            s = slot_of.get(t)
            if s is None:
                s = slot_of[t] = len(slot_of)
            return s

        self.feed_slots = [slot(t) for t in feed_tensors]
        fed = set(feed_tensors)
        steps = []
        for op in ops:
            if op.type == "Placeholder" and not any(t in fed for t in op.outputs):
                a = op.attrs
                raise InvalidArgumentError(
                    f"You must feed a value for placeholder tensor '{op.name}' with dtype "
                    f"{a['dtype'].name} and shape {a['shape']} (created at {op.traceback})",
                    op=op)
            fn = op.opdef.kernel
            if op.opdef.stateful:
                fn = _bind(fn, ctx)
            ins = tuple(slot(t) for t in op.inputs)
            outs = tuple(slot(t) for t in op.outputs)
            steps.append([fn, op.attrs, ins, outs[0] if len(outs) == 1 else outs, (), op])
        self.fetch_slots = [slot(t) for t in fetch_tensors]
        self.nslots = len(slot_of)
        self._free_after_last_use(steps, set(self.fetch_slots) | set(self.feed_slots))
        self.steps = [tuple(s) for s in steps]
        self.ops = ops
        self.check = os.environ.get("TENSORLET_CHECK_KERNELS") == "1"

    @staticmethod
    def _free_after_last_use(steps, keep):
        last = {}
        for i, (_, _, ins, outs, _, _) in enumerate(steps):
            for s in ins:
                last[s] = i
            for s in (outs if isinstance(outs, tuple) else (outs,)):
                last.setdefault(s, i)
        frees = [[] for _ in steps]
        for s, i in last.items():
            if s not in keep:
                frees[i].append(s)
        for st, f in zip(steps, frees):
            st[4] = tuple(f)

    def run(self, feed_values):
        vals = [None] * self.nslots
        for s, v in zip(self.feed_slots, feed_values):
            vals[s] = v
        if self.check or numerics.is_enabled():
            return self._run_checked(vals)
        i = 0
        try:
            for fn, attrs, ins, outs, free, _ in self.steps:
                r = fn(attrs, *[vals[j] for j in ins])
                if outs.__class__ is int:
                    vals[outs] = r
                else:
                    for s, v in zip(outs, r):
                        vals[s] = v
                for s in free:
                    vals[s] = None
                i += 1
        except OpError as e:
            if e.op is None:
                e.op = self.steps[i][5]
            raise
        except Exception as e:
            raise _kernel_error(self.steps[i][5], [vals[j] for j in self.steps[i][2]], e) \
                from e
        return [vals[s] for s in self.fetch_slots]

    def _run_checked(self, vals):
        """Slow path: outputs checked against their inferred shape/dtype
        (TENSORLET_CHECK_KERNELS=1) and/or for NaN/Inf (enable_check_numerics)."""
        check_numbers = numerics.is_enabled()
        for fn, attrs, ins, outs, free, op in self.steps:
            r = fn(attrs, *[vals[j] for j in ins])
            rs = (r,) if outs.__class__ is int else tuple(r)
            if check_numbers:
                numerics.check_outputs(op, rs)
            for t, v in zip(op.outputs, rs if self.check else ()):
                v = np.asarray(v)
                if v.dtype != t.dtype.np or not t.shape.is_compatible_with(v.shape):
                    raise AssertionError(
                        f"kernel of {op.type} op {op.name!r} returned {v.dtype}{list(v.shape)}, "
                        f"inferred {t.dtype.name}{t.shape}")
            for s, v in zip((outs,) if outs.__class__ is int else outs, rs):
                vals[s] = v
            for s in free:
                vals[s] = None
        return [vals[s] for s in self.fetch_slots]


def _bind(fn, ctx):
    def bound(attrs, *args):
        return fn(ctx, attrs, *args)
    return bound


def _kernel_error(op, args, exc):
    shapes = ", ".join(f"{getattr(a, 'dtype', type(a).__name__)}{list(np.shape(a))}"
                       for a in args)
    return InvalidArgumentError(
        f"{op.type} op {op.name!r} (created at {op.traceback}) failed on inputs "
        f"[{shapes}]: {exc}", op=op)
