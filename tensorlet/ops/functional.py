"""Higher-order functions over the first dimension of tensors (TF 1.x): `map_fn`, `scan`,
`foldl` and `foldr`, built on `while_loop` (so they differentiate through it). The results of
every step are stacked by concatenation, with the step's shape checked by the loop."""
from tensorlet.framework.graph import convert_to_tensor, name_scope
from tensorlet.framework.shapes import TensorShape

from .control import _flatten, _pack


def _leaves(x):
    leaves = []
    struct = _flatten(x, leaves)
    return [convert_to_tensor(v) for v in leaves], struct


def _rows(elems, reverse=False):
    """(flat elems, their structure, a function giving the structure of row i); with
    `reverse`, the rows last to first."""
    from .array import gather
    from .array import reverse as _flip
    flat, struct = _leaves(elems)
    if not flat:
        raise ValueError("elems must hold at least one tensor")
    for t in flat:
        if t.shape.ndims == 0:
            raise ValueError(f"elems must have a first dimension to iterate over, got the "
                             f"scalar {t.name}")
    if reverse:
        flat = [_flip(t, [0]) for t in flat]
    return flat, struct, lambda i: _pack(struct, iter([gather(t, i) for t in flat]))


def _length(flat):
    from .array import shape
    return shape(flat[0])[0]


def _stack_loop(step, n, start, first_outputs, carry=()):
    """Run `step(i, *carry) -> (carry, outputs)` for i in [start, n), stacking the outputs after
    `first_outputs` (each a row already); returns (carry, stacked outputs)."""
    from .array import concat, expand_dims
    from .loops import while_loop
    accs = [expand_dims(o, 0) for o in first_outputs]
    k = len(carry)

    def body(i, *state):
        new_carry, outs = step(i, *state[:k])
        return (i + 1, *new_carry, *[concat([a, expand_dims(o, 0)], 0)
                                      for a, o in zip(state[k:], outs)])
    invariants = [TensorShape([])] + [TensorShape(c.shape) for c in carry] + \
        [TensorShape([None]).concatenate(a.shape[1:]) for a in accs]
    out = while_loop(lambda i, *s: i < n, body, [start, *carry, *accs],
                     shape_invariants=invariants, return_same_structure=True)
    return list(out[1:1 + k]), list(out[1 + k:])


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True,
           swap_memory=False, infer_shape=True, name=None, fn_output_signature=None):
    """fn applied to each row of `elems` (a tensor or a structure of tensors with one first
    dimension), the results stacked: needs at least one row."""
    with name_scope(name, "map"):
        flat, struct, row = _rows(elems)
        first, out_struct = _leaves(fn(row(0)))
        _, stacked = _stack_loop(lambda i: ((), _leaves(fn(row(i)))[0]), _length(flat),
                                 1, first)
        return _pack(out_struct, iter(stacked))


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
         swap_memory=False, infer_shape=True, reverse=False, name=None):
    """The running `acc = fn(acc, row)` over the rows of `elems`, every acc stacked; without
    an initializer the first row is the first acc (and the first output)."""
    from .array import reverse as _flip
    with name_scope(name, "scan"):
        flat, _, row = _rows(elems, reverse)
        if initializer is None:
            acc, acc_struct = _leaves(row(0))
        else:
            acc0, acc_struct = _leaves(initializer)
            acc = _leaves(fn(_pack(acc_struct, iter(acc0)), row(0)))[0]

        def step(i, *carry):
            new = _leaves(fn(_pack(acc_struct, iter(carry)), row(i)))[0]
            return new, new
        _, stacked = _stack_loop(step, _length(flat), 1, acc, carry=acc)
        if reverse:
            stacked = [_flip(t, [0]) for t in stacked]
        return _pack(acc_struct, iter(stacked))


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """The last acc of `acc = fn(acc, row)` over the rows of `elems`, first to last."""
    from .array import gather
    with name_scope(name, "foldl"):
        result = scan(fn, elems, initializer=initializer)
        flat, struct = _leaves(result)
        return _pack(struct, iter([gather(t, _length(flat) - 1) for t in flat]))


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """The last acc of `acc = fn(acc, row)` over the rows of `elems`, last to first."""
    from .array import gather
    with name_scope(name, "foldr"):
        result = scan(fn, elems, initializer=initializer, reverse=True)
        flat, struct = _leaves(result)
        return _pack(struct, iter([gather(t, 0) for t in flat]))


__all__ = ["foldl", "foldr", "map_fn", "scan"]
