"""Nested structures (lists, tuples, namedtuples, dicts) of tensors: flatten and rebuild."""


def _is_seq(x):
    return isinstance(x, (list, tuple, dict)) and not hasattr(x, "_as_graph_tensor")


def flatten(x):
    """The leaves of `x` in order (dicts by sorted key, as tf.nest)."""
    if not _is_seq(x):
        return [x]
    out = []
    for v in _children(x):
        out.extend(flatten(v))
    return out


def _children(x):
    if isinstance(x, dict):
        return [x[k] for k in sorted(x)]
    return list(x)


def flatten_up_to(structure, x):
    """The parts of `x` at the leaves of `structure` (a leaf of `structure` takes a whole
    sub-structure of `x`, e.g. a nested list standing for one tensor)."""
    if not _is_seq(structure):
        return [x]
    if not _is_seq(x) or isinstance(structure, dict) != isinstance(x, dict) or \
            len(structure) != len(x) or (isinstance(x, dict) and set(x) != set(structure)):
        raise ValueError(f"{x!r:.80} does not have the structure of {structure!r:.80}")
    out = []
    for s, v in zip(_children(structure), _children(x)):
        out.extend(flatten_up_to(s, v))
    return out


def pack_as(structure, leaves):
    """`structure` with its leaves replaced, in order, by `leaves`."""
    it = iter(leaves)

    def build(s):
        if not _is_seq(s):
            return next(it)
        if isinstance(s, dict):
            return type(s)((k, build(s[k])) for k in sorted(s))
        items = [build(v) for v in s]
        if hasattr(s, "_fields"):  # namedtuple
            return type(s)(*items)
        return type(s)(items)

    return build(structure)


def map_structure(fn, x):
    return pack_as(x, [fn(v) for v in flatten(x)])
