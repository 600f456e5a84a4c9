"""Plan-level graph passes: constant folding, common-subexpression elimination, fusion, DCE.

Passes work on a private copy of the pruned graph (a list of `Node`s), never on the user's
Graph. Each pass is a function (nodes, roots) -> nodes and can be switched off with the
environment variable TENSORLET_DISABLE_PASSES (comma-separated names, or "all") so that a wrong
result can be bisected to a pass. Op families declare fusion rules next to their ops
(`register_fusion`); this module holds no op-specific code.
"""
import os

import numpy as np

_FOLD_MAX_ELEMENTS = 1 << 16
_FUSIONS = []


class Node:
    """One kernel call of a plan: an op type's rules, its attrs, and input references."""

    __slots__ = ("type", "opdef", "attrs", "inputs", "specs", "name", "traceback", "deps",
                 "keep", "value")

    def __init__(self, opdef, attrs, inputs, specs, name, traceback="<plan>", deps=(),
                 keep=False):
        self.type = opdef.type
        self.opdef = opdef
        self.attrs = attrs
        self.inputs = list(inputs)      # list of (Node, output index)
        self.specs = specs              # [(TensorShape, DType)] per output
        self.name = name
        self.traceback = traceback
        self.deps = list(deps)          # control dependencies (Nodes that must run first)
        self.keep = keep                # run for its side effects even if nothing reads it
        self.value = None               # the constant value of a Const node

    @property
    def stateful(self):
        return self.opdef.stateful

    def __repr__(self):
        return f"<Node {self.type} {self.name}>"


class Feed:
    """Stands for a fed tensor in node inputs."""

    __slots__ = ("tensor",)
    type = "Feed"
    stateful = True
    deps = ()
    inputs = ()
    keep = False

    def __init__(self, tensor):
        self.tensor = tensor


def register_fusion(rule):
    """Add a fusion rule: rule(nodes, consumers) -> True when it rewrote something in place.

    `consumers` maps (node, index) to the list of nodes reading that output; a rule replaces a
    matched chain by one node of a registered fused op type and rewires the chain's readers.
    """
    _FUSIONS.append(rule)
    return rule


def disabled_passes():
    raw = os.environ.get("TENSORLET_DISABLE_PASSES", "")
    names = {p.strip() for p in raw.split(",") if p.strip()}
    return {"fold", "cse", "fuse"} if "all" in names else names


def optimize(nodes, roots):
    """Run the enabled passes; `roots` are the (node, index) references that must survive."""
    off = disabled_passes()
    if "fold" not in off:
        fold_constants(nodes)
    if "cse" not in off:
        eliminate_common_subexpressions(nodes, roots)
    if "fuse" not in off and _FUSIONS:
        fuse(nodes, roots)
    return dead_code_elimination(nodes, roots)


# -- Helpers for fusion rules ------------------------------------------------------------------


def replace_uses(nodes, roots, old, new):
    """Make every reader of output reference `old` (and every root equal to it) read `new`."""
    for n in nodes:
        n.inputs = [new if r == old else r for r in n.inputs]
    for i, r in enumerate(roots):
        if r == old:
            roots[i] = new


class _Stand:
    """Stands for a Tensor when calling an op's shape rule on plan references."""

    def __init__(self, spec):
        self.shape, self.dtype = spec

    def constant_value(self):
        return None


def spec_of(ref):
    """(TensorShape, DType) of a plan reference (node output or feed)."""
    src, i = ref
    if isinstance(src, Feed):
        return src.tensor.shape, src.tensor.dtype
    return src.specs[i]


def new_node(op_type, refs, attrs, name, like):
    """A Node of registered op `op_type` reading `refs`, its specs from the op's shape rule,
    named `name` and reporting `like`'s creation traceback (errors name the user's line)."""
    from tensorlet.framework.registry import op_def
    opdef = op_def(op_type)
    specs = opdef.infer([_Stand(spec_of(r)) for r in refs], attrs)
    return Node(opdef, attrs, refs, specs, name, like.traceback)


def is_output(ref, op_type):
    """Whether `ref` is output 0 of a node of type `op_type`."""
    return isinstance(ref[0], Node) and ref[0].type == op_type and ref[1] == 0


def fetched_ids(roots):
    return {id(src) for src, _ in roots}


def rewritable(nodes, fetched=()):
    """Whether none of `nodes` has control dependencies, is kept for its effects or is among
    the `fetched` ids (a fusion may then drop them)."""
    return all(not (n.deps or n.keep) and id(n) not in fetched for n in nodes)


def fold_constants(nodes):
    """Evaluate pure nodes whose inputs are all constants (small results only)."""
    from tensorlet.framework.registry import op_def
    const_def = op_def("Const")
    for n in nodes:
        if n.type == "Const" or n.stateful or not n.inputs or len(n.specs) != 1 or n.deps:
            continue
        size = n.specs[0][0].num_elements()
        if size is not None and size > _FOLD_MAX_ELEMENTS:  # would be computed, then dropped
            continue
        if not all(isinstance(src, Node) and src.type == "Const" for src, _ in n.inputs):
            continue
        try:
            with np.errstate(all="ignore"):
                out = n.opdef.kernel(n.attrs, *[src.attrs["value"] for src, _ in n.inputs])
        except Exception:  # leave it to fail at run time with the op's own error
            continue
        out = np.asarray(out)
        if out.size > _FOLD_MAX_ELEMENTS:
            continue
        out = np.array(out)
        out.setflags(write=False)
        n.type, n.opdef, n.attrs, n.inputs = "Const", const_def, {"value": out}, []


def _attr_key(v):
    """A hashable key equal only for attrs that mean the same: arrays by dtype, shape and bytes,
    scalars by type and value (1, 1.0 and True differ; so do 0.0 and -0.0), the rest by id."""
    if isinstance(v, np.ndarray):
        if v.size > 4096:
            return ("big-array", id(v))
        return ("array", v.dtype.str, v.shape, v.tobytes())
    if isinstance(v, (list, tuple)):
        return (type(v).__name__,) + tuple(_attr_key(x) for x in v)
    if isinstance(v, dict):
        return ("dict",) + tuple(sorted((k, _attr_key(x)) for k, x in v.items()))
    if isinstance(v, (float, np.floating)):
        return (type(v).__name__, float(v).hex() if v == v else "nan")
    try:
        hash(v)
        return (type(v).__name__, v)
    except TypeError:
        return ("id", id(v))


def eliminate_common_subexpressions(nodes, roots):
    """Merge pure nodes with equal type, attrs and inputs."""
    seen = {}
    for n in nodes:
        if n.stateful or n.deps or n.keep:
            continue
        key = (n.type, _attr_key(n.attrs), tuple((id(s), i) for s, i in n.inputs))
        prev = seen.get(key)
        if prev is None:
            seen[key] = n
            continue
        for i in range(len(n.specs)):
            replace_uses(nodes, roots, (n, i), (prev, i))


def fuse(nodes, roots):
    """Apply the registered fusion rules until none fires."""
    changed = True
    while changed:
        changed = False
        consumers = consumers_of(nodes)
        for rule in _FUSIONS:
            if rule(nodes, consumers, roots):
                changed = True
                break


def consumers_of(nodes):
    out = {}
    for n in nodes:
        for r in n.inputs:
            out.setdefault(r, []).append(n)
    return out


def dead_code_elimination(nodes, roots):
    """Keep only nodes that roots, kept nodes or control dependencies need (order preserved)."""
    live = set()
    stack = [src for src, _ in roots] + [n for n in nodes if n.keep]
    while stack:
        n = stack.pop()
        if id(n) in live:
            continue
        live.add(id(n))
        stack.extend(src for src, _ in n.inputs)
        stack.extend(n.deps)
    return [n for n in nodes if id(n) in live]
