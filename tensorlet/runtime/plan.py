"""A compiled plan: the pruned, ordered list of kernel calls that computes some fetches.

Built once per (fetches, fed tensors) and run many times: each step has its kernel, attrs and
pre-resolved input/output slots; intermediate values are dropped right after their last use.
"""
import os
import time

import numpy as np

from tensorlet.framework.errors import InvalidArgumentError, OpError, ResourceExhaustedError
from . import blas, numerics, passes


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

    def __init__(self, ops, fetch_tensors, feed_tensors, ctx, target_ops=()):
        nodes, roots, feeds = _to_nodes(ops, fetch_tensors, feed_tensors, target_ops)
        nodes = passes.optimize(nodes, roots)
        slot_of = {}

        def slot(ref):
            s = slot_of.get(ref)
            if s is None:
                s = slot_of[ref] = len(slot_of)
            return s

        self.feed_tensors = list(feed_tensors)  # the order `run` takes the fed values in
        self.feed_slots = [slot((f, 0)) for f in feeds]
        steps = []
        for n in nodes:
            fn = n.opdef.kernel
            if n.stateful:
                fn = _bind(fn, ctx)
            ins = tuple(slot(r) for r in n.inputs)
            outs = tuple(slot((n, i)) for i in range(len(n.specs)))
            steps.append([fn, n.attrs, ins, outs[0] if len(outs) == 1 else outs, (), n])
        self.fetch_slots = [slot(r) for r in roots]
        self.nslots = len(slot_of)
        self._free_after_last_use(steps, set(self.fetch_slots) | set(self.feed_slots))
        self.steps = [tuple(s) for s in steps]
        self.check = os.environ.get("TENSORLET_CHECK_KERNELS") == "1"
        self._fast, self._first_line = self._compile()

    def _compile(self):
        """The steps as one generated Python function: locals for slots, no per-step loop.

        Returns the function and the source line of its first step, so a failure can be
        mapped back to its step from the traceback's line number.
        """
        env = {}
        lines = ["def run(feeds):"]
        if self.feed_slots:
            lines.append("    " + "".join(f"s{s}, " for s in self.feed_slots) + "= feeds")
        first = len(lines) + 1
        for i, (fn, attrs, ins, outs, free, _) in enumerate(self.steps):
            env[f"k{i}"], env[f"a{i}"] = fn, attrs
            call = f"k{i}(" + ", ".join([f"a{i}"] + [f"s{j}" for j in ins]) + ")"
            if outs.__class__ is int:
                call = f"s{outs} = {call}"
            elif outs:
                call = "".join(f"s{o}, " for o in outs) + "= " + call
            if free:
                call += "; del " + ", ".join(f"s{j}" for j in free)
            lines.append("    " + call)
        lines.append("    return [" + ", ".join(f"s{j}" for j in self.fetch_slots) + "]")
        code = compile("\n".join(lines), "<tensorlet plan>", "exec")
        exec(code, env)
        return env["run"], first

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
        blas.adapt()
        if self.check or numerics.is_enabled():
            return self._run_loop(feed_values)
        try:
            return self._fast(feed_values)
        except Exception as e:
            tb = e.__traceback__
            while tb is not None and tb.tb_frame.f_code.co_filename != "<tensorlet plan>":
                tb = tb.tb_next
            if tb is None or not 0 <= tb.tb_lineno - self._first_line < len(self.steps):
                raise
            step = self.steps[tb.tb_lineno - self._first_line]
            if isinstance(e, OpError):
                raise _name_op(e, step[5])
            local = tb.tb_frame.f_locals
            raise _kernel_error(step[5], [local.get(f"s{j}") for j in step[2]], e) from e

    def _run_loop(self, feed_values, seconds=None):
        """The steps one by one (checks, or profiling: `seconds[i]` += step i's time)."""
        vals = [None] * self.nslots
        for s, v in zip(self.feed_slots, feed_values):
            vals[s] = v
        checked = self.check or numerics.is_enabled()
        i = 0
        try:
            for fn, attrs, ins, outs, free, node in self.steps:
                if seconds is not None:
                    start = time.perf_counter()
                    r = fn(attrs, *[vals[j] for j in ins])
                    seconds[i] += time.perf_counter() - start
                else:
                    r = fn(attrs, *[vals[j] for j in ins])
                if checked:
                    self._check(node, r if outs.__class__ is not int else (r,))
                if outs.__class__ is int:
                    vals[outs] = r
                else:
                    for s, v in zip(outs, r):
                        vals[s] = v
                for s in free:
                    vals[s] = None
                i += 1
        except OpError as e:
            raise _name_op(e, self.steps[i][5])
        except AssertionError:
            raise
        except Exception as e:
            raise _kernel_error(self.steps[i][5], [vals[j] for j in self.steps[i][2]], e) \
                from e
        return [vals[s] for s in self.fetch_slots]

    def profile(self, feed_values, steps):
        """{op type: seconds per run} over `steps` runs with each kernel timed (bench/)."""
        seconds = [0.0] * len(self.steps)
        for _ in range(steps):
            self._run_loop(feed_values, seconds)
        per_type = {}
        for (_, _, _, _, _, node), t in zip(self.steps, seconds):
            per_type[node.type] = per_type.get(node.type, 0.0) + t / steps
        return per_type

    def _check(self, node, results):
        """Slow path: outputs against their inferred shape/dtype (TENSORLET_CHECK_KERNELS=1)
        and/or for NaN/Inf (enable_check_numerics)."""
        if numerics.is_enabled():
            numerics.check_outputs(node, results)
        for (shape, dtype), v in zip(node.specs, results if self.check else ()):
            v = np.asarray(v)
            if v.dtype != dtype.np or not shape.is_compatible_with(v.shape):
                raise AssertionError(
                    f"kernel of {node.type} op {node.name!r} returned {v.dtype}{list(v.shape)}, "
                    f"inferred {dtype.name}{shape}")


def _bind(fn, ctx):
    def bound(attrs, *args):
        return fn(ctx, attrs, *args)
    return bound


def _name_op(e, op):
    """An error a kernel raised itself, completed with the op that raised it (once)."""
    if e.op is None:
        e.op = op
        e.message = f"{e.message}\n\t[[{op.type} op {op.name!r}, created at {op.traceback}]]"
        e.args = (e.message,)
    return e


def _kernel_error(op, args, exc):
    shapes = ", ".join(f"{getattr(a, 'dtype', type(a).__name__)}{list(np.shape(a))}"
                       for a in args)
    cls = ResourceExhaustedError if isinstance(exc, MemoryError) else InvalidArgumentError
    return cls(f"{op.type} op {op.name!r} (created at {op.traceback}) failed on inputs "
               f"[{shapes}]: {exc}", op=op)


def _input_ref(ref, nodes, op):
    """The reference `op` reads: for a `read_at_use` node (a variable read) when `op` has
    control dependencies, a fresh copy appended to `nodes` right before `op` (after those
    dependencies ran); else `ref` itself (readers without control dependencies share one)."""
    src, index = ref
    if op.control_inputs and src.__class__ is passes.Node and src.opdef.read_at_use:
        src = passes.Node(src.opdef, src.attrs, (), src.specs, src.name, src.traceback, src.deps)
        nodes.append(src)
    return src, index


def _to_nodes(ops, fetch_tensors, feed_tensors, target_ops):
    """The pruned ops as plan Nodes; returns (nodes, fetch references, Feed stand-ins)."""
    feeds = [passes.Feed(t) for t in feed_tensors]
    ref_of = {t: (f, 0) for t, f in zip(feed_tensors, feeds)}
    node_of = {}
    targets = set(target_ops)
    nodes = []
    for op in ops:
        if op.opdef.requires_feed and not any(t in ref_of for t in op.outputs):
            a = op.attrs
            raise InvalidArgumentError(
                f"You must feed a value for placeholder tensor '{op.name}' with dtype "
                f"{a['dtype'].name} and shape {a['shape']} (created at {op.traceback})", op=op)
        n = passes.Node(op.opdef, op.attrs, [_input_ref(ref_of[t], nodes, op) for t in op.inputs],
                        [(t.shape, t.dtype) for t in op.outputs], op.name, op.traceback,
                        [node_of[c] for c in op.control_inputs if c in node_of],
                        keep=op in targets)
        node_of[op] = n
        for t in op.outputs:
            ref_of.setdefault(t, (n, t.value_index))
        nodes.append(n)
    return nodes, [ref_of[t] for t in fetch_tensors], feeds
