"""Nested structures (lists, tuples, dicts of leaves) as Keras passes inputs and outputs around.

`flatten` lists the leaves in a fixed order (dicts by sorted key, as Keras 3's `tree` does);
`pack_sequence_as` rebuilds a structure from such a list; `map_structure` combines the two.
"""


def is_nested(x):
    return isinstance(x, (list, tuple, dict))


def flatten(structure):
    """The leaves of `structure`, depth first; dict values in sorted-key order."""
    out = []
    _flatten_into(structure, out)
    return out


def _flatten_into(x, out):
    if isinstance(x, dict):
        for k in sorted(x):
            _flatten_into(x[k], out)
    elif isinstance(x, (list, tuple)):
        for v in x:
            _flatten_into(v, out)
    else:
        out.append(x)


def pack_sequence_as(structure, flat):
    """`structure` with its leaves replaced, in order, by the items of `flat`."""
    it = iter(flat)
    packed = _pack(structure, it)
    rest = list(it)
    if rest:
        raise ValueError(f"pack_sequence_as: {len(rest)} values left over for the structure")
    return packed


def _pack(x, it):
    if isinstance(x, dict):
        values = {k: _pack(x[k], it) for k in sorted(x)}
        return {k: values[k] for k in x}
    if isinstance(x, (list, tuple)):
        items = [_pack(v, it) for v in x]
        if hasattr(x, "_fields"):  # namedtuple
            return type(x)(*items)
        return type(x)(items)
    try:
        return next(it)
    except StopIteration:
        raise ValueError("pack_sequence_as: not enough values for the structure") from None


def map_structure(fn, structure):
    return pack_sequence_as(structure, [fn(v) for v in flatten(structure)])
