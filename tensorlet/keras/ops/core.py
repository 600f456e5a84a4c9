"""The machinery of `keras.ops` (graph ops on graph data, computed at once on values) and its
core ops: conversion, shape, dtype, cast, stop_gradient, control flow (cond, while_loop,
fori_loop, map, scan) and slice.

This package defines sum, max, min, abs, round, any, all, map and slice (Keras's names): its
own code reaches Python's through `builtins`.
"""
import builtins
import functools

import numpy as np

import tensorlet as _tf
from tensorlet.eager.context import eager_mode, shares_eager_state
from tensorlet.eager.tensor import holds_graph_tensor, value_at_top
from tensorlet.framework import dtypes as _dt
from tensorlet.framework.graph import TensorLike, get_default_graph
from tensorlet.keras import backend as _backend
from tensorlet.keras import tree as _tree

_IMPORTED = set(globals())


def _values_of_variables(x):
    """Keras variables in x replaced by their current values (the top of a program, where
    their graph is not the default one), or _GRAPH when x holds graph data (a layer's call)."""
    if isinstance(x, (list, tuple, dict)):
        items = x.items() if isinstance(x, dict) else enumerate(x)
        out = {k: _values_of_variables(v) for k, v in items}
        if builtins.any(v is _GRAPH for v in out.values()):
            return _GRAPH
        return out if isinstance(x, dict) else type(x)(out.values())
    x = value_at_top(x)
    return _GRAPH if holds_graph_tensor(x) else x


_GRAPH = object()  # what _values_of_variables gives for graph data


def _tracing():
    """Whether a graph holding eager variables is being built (not eager mode itself)."""
    graph = get_default_graph()
    return not graph._eager and shares_eager_state(graph)


def _op(fn):
    """Graph ops on graph arguments; computed at once (eager) on concrete ones."""
    return _dispatch(fn, _tracing)


def _building_graph():
    """Whether graph code is being built: a layer's call (not its build), a loss or metric in
    a Keras graph, or a traced function."""
    return _tracing() or _backend.building_graph_code()


def _graph_op(fn):
    """`_op` for ops that must be graph ops in graph code even on concrete arguments (the
    draws of keras.random)."""
    return _dispatch(fn, _building_graph)


def _dispatch(fn, in_graph_code):
    """`fn` building graph ops while `in_graph_code()` (a traced function or eager Keras:
    variables read at run time) or on graph arguments; computed at once (eager) on concrete
    ones, Keras variables read as their values (keras.ops, keras.random)."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        if in_graph_code():
            return fn(*args, **kwargs)
        if holds_graph_tensor(args) or holds_graph_tensor(kwargs):
            values, named = _values_of_variables(args), _values_of_variables(kwargs)
            if values is _GRAPH or named is _GRAPH:
                return fn(*args, **kwargs)
            args, kwargs = values, named
        with eager_mode():
            return fn(*args, **kwargs)
    return run


def _t(x, dtype=None):
    """A tensor of `x` (a float32 default for Python floats, as Keras's floatx)."""
    if isinstance(x, TensorLike):
        return x if dtype is None else _tf.cast(x, dtype)
    arr = np.asarray(x)
    if dtype is None and arr.dtype == np.float64 and not isinstance(x, np.ndarray):
        dtype = _backend.floatx()  # Python floats and lists of them
    if dtype is None and arr.dtype == np.int64 and not isinstance(x, np.ndarray):
        dtype = "int32"
    return _tf.convert_to_tensor(arr if dtype is None else arr.astype(_dt.as_dtype(dtype).np))


def _float(x):
    """x as a float tensor (integers and bools become floatx, as NumPy's true division)."""
    x = _t(x)
    return x if x.dtype.is_floating else _tf.cast(x, _backend.floatx())


def _float_pair(x1, x2):
    """x1 and x2 as floats of one dtype (integers as floatx, mixed floats promoted)."""
    x1, x2 = _float(x1), _float(x2)
    dt = _dt.as_dtype(np.promote_types(x1.dtype.np, x2.dtype.np))
    return _tf.cast(x1, dt), _tf.cast(x2, dt)


def _accumulating(x):
    """x for a sum or product: bools and narrow integers as int32 (Keras's rule)."""
    x = _t(x)
    if x.dtype.is_bool or (x.dtype.is_integer and x.dtype.size < 4):
        return _tf.cast(x, _dt.int32)
    return x


def _int_list(v):
    """A shape-like argument as a list (an int, NumPy integer or sequence)."""
    if isinstance(v, (int, np.integer)):
        return [int(v)]
    return [d if isinstance(d, TensorLike) else int(d) for d in v]


def _axes(axis, ndim_):
    return [a % ndim_ for a in ((axis,) if isinstance(axis, (int, np.integer)) else axis)]


def _flat_if_none(x, axis):
    return (_tf.reshape(x, [-1]), 0) if axis is None else (x, axis)


@_op
def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """x as a tensor (of `dtype`)."""
    return _t(x, dtype)


def convert_to_numpy(x):
    """The NumPy value of a concrete tensor or a Keras variable (a graph tensor inside a
    layer's call has no value yet: an error)."""
    if holds_graph_tensor(x):
        if callable(getattr(x, "numpy", None)):  # a variable: its current value
            return np.asarray(x.numpy())
        raise ValueError("convert_to_numpy needs a concrete value; a symbolic tensor (inside a "
                         "layer's call) has none until the model runs.")
    return np.asarray(x)


def shape(x):
    """The shape as a tuple of ints; inside a layer's call a dimension unknown while the
    graph is built (the batch) is a scalar tensor, usable in reshape."""
    if isinstance(x, TensorLike):
        if x.shape.ndims is None:
            raise ValueError("shape: the rank of this tensor is unknown while the graph is built.")
        dims = x.shape.as_list()
        if x._eager or None not in dims:
            return tuple(dims)
        dynamic = _tf.shape(x)
        return tuple(dynamic[i] if d is None else d for i, d in enumerate(dims))
    return np.shape(x)


def ndim(x):
    return len(shape(x))


@_op
def size(x):
    return _tf.size(_t(x), out_type=_dt.int32)


def is_tensor(x):
    return isinstance(x, TensorLike)


def dtype(x):
    """The dtype name ('float32')."""
    return _t(x).dtype.name if not isinstance(x, TensorLike) else x.dtype.name


@_op
def cast(x, dtype):
    return _tf.cast(_t(x), dtype)


def _dtype(dtype):
    """`dtype` as a DType, floatx() when None (Keras's default)."""
    return _dt.as_dtype(_backend.standardize_dtype(dtype))


def _python_scalar(v):
    return isinstance(v, (bool, int, float)) and not isinstance(v, np.generic)


def _binary(core):
    @_op
    def op(x1, x2):
        # a Python number next to a tensor stays weak (takes the tensor's dtype), as in Keras
        if _python_scalar(x1) and _python_scalar(x2):
            x1 = _t(x1)
        return core(x1 if _python_scalar(x1) else _t(x1), x2 if _python_scalar(x2) else _t(x2))
    return op


def _unary(core, floats=False):
    @_op
    def op(x):
        return core(_float(x) if floats else _t(x))
    return op


def _graph_control(*values):
    """Whether control flow over `values` builds graph ops: in graph code, or on graph data.
    Elsewhere it runs in Python and each op its functions use computes (or builds) itself."""
    return _building_graph() or _values_of_variables(list(values)) is _GRAPH


def cond(pred, true_fn, false_fn):
    """`true_fn()` if `pred` else `false_fn()`: a graph conditional in graph code or on a
    graph `pred`, else the chosen function called."""
    known = _known_bool(pred)
    if known is not None:
        return true_fn() if known else false_fn()
    return _tf.cond(_tf.cast(_t(pred), _dt.bool_), true_fn, false_fn)


def _known_bool(pred):
    """pred as a Python bool when it is known now (a Python or NumPy bool, a concrete value at
    the top of a program, a graph constant), else None: only the chosen branch is built, as
    Keras's smart_cond does."""
    if isinstance(pred, (bool, np.bool_)):
        return bool(pred)
    if isinstance(pred, TensorLike) and not getattr(pred, "_eager", False):
        value = pred.constant_value()
        return None if value is None else bool(value)
    if _graph_control(pred):
        return None
    return bool(np.asarray(value_at_top(pred)))


def _loop_args(loop_vars, values):
    """The arguments cond and body get: the items of a tuple or list, else the value."""
    return tuple(values) if isinstance(loop_vars, (tuple, list)) else (values,)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """`loop_vars = body(*loop_vars)` while `cond(*loop_vars)` (a value that is not a tuple or
    list is passed as is); loop_vars may be any nested structure; returns its final value."""
    leaves = _tree.flatten(loop_vars)
    if not _graph_control(*leaves):
        values, n = loop_vars, 0
        while maximum_iterations is None or n < maximum_iterations:
            go = cond(*_loop_args(loop_vars, values))
            if isinstance(go, TensorLike) and not getattr(go, "_eager", False):
                # cond reads a graph tensor: the rest of the loop is a graph loop
                return _graph_while(cond, body, values, maximum_iterations, n)
            if not bool(np.asarray(value_at_top(go))):
                break
            values, n = body(*_loop_args(loop_vars, values)), n + 1
        return _tree.map_structure(convert_to_tensor, values)
    return _graph_while(cond, body, loop_vars, maximum_iterations, 0)


def _graph_while(cond, body, loop_vars, maximum_iterations, done):
    """while_loop as a graph loop from `loop_vars` (after `done` iterations in Python)."""
    leaves = _tree.flatten(loop_vars)

    def unflat(flat):
        return _loop_args(loop_vars, _tree.pack_sequence_as(loop_vars, list(flat)))

    limit = None if maximum_iterations is None else maximum_iterations - done
    out = _tf.while_loop(lambda *v: cond(*unflat(v)),
                         lambda *v: [_t(x) for x in _tree.flatten(body(*unflat(v)))],
                         [_t(x) for x in leaves], maximum_iterations=limit,
                         return_same_structure=True)
    return _tree.pack_sequence_as(loop_vars, list(out))


def fori_loop(lower, upper, body_fun, init_val):
    """`init_val = body_fun(i, init_val)` for i in range(lower, upper)."""
    if not _graph_control(lower, upper, *_tree.flatten(init_val)):
        value = init_val
        for i in range(int(np.asarray(value_at_top(lower))),
                       int(np.asarray(value_at_top(upper)))):
            value = body_fun(i, value)
        return _tree.map_structure(convert_to_tensor, value)
    _, value = while_loop(lambda i, v: i < upper, lambda i, v: (i + 1, body_fun(i, v)),
                          (_t(lower), init_val))
    return value


def map(f, xs):
    """f applied to each row of xs (a tensor or a structure of them), the results stacked."""
    leaves = _tree.flatten(xs)
    if _graph_control(*leaves):
        return _tf.map_fn(f, xs)
    xs = _tree.map_structure(convert_to_tensor, xs)
    return _stacked([f(_row(xs, i)) for i in range(len(_tree.flatten(xs)[0]))])


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """`carry, y = f(carry, x)` over the rows of xs (or `length` times with x None), from the
    end with `reverse`; returns (the last carry, the ys stacked)."""
    leaves = _tree.flatten(xs) if xs is not None else []
    if xs is None and length is None:
        raise ValueError("scan needs `xs` or a `length`")
    n = length if xs is None else None
    if not _graph_control(init, *leaves) and not isinstance(n, TensorLike):
        n = n if n is not None else len(np.asarray(value_at_top(leaves[0])))
        xs = None if xs is None else _tree.map_structure(convert_to_tensor, xs)
        carry, ys = init, []
        for i in (range(n - 1, -1, -1) if reverse else range(n)):
            carry, y = f(carry, None if xs is None else _row(xs, i))
            ys.append(y)
        if reverse:
            ys = ys[::-1]
        stacked = _stacked(ys) if ys else None
        return _tree.map_structure(convert_to_tensor, carry), stacked
    return _graph_scan(f, init, xs, n, reverse)


def _row(xs, i):
    """Row i of each tensor of the structure xs."""
    return _tree.map_structure(lambda v: v[i], xs)


def _stacked(results):
    """Results of one structure, stacked leaf by leaf into that structure."""
    columns = zip(*[_tree.flatten(r) for r in results])
    return _tree.pack_sequence_as(results[0], [_stack(list(c)) for c in columns])


@_op
def _stack(values):
    return _tf.stack([_t(v) for v in values])


def _graph_scan(f, init, xs, length, reverse):
    """scan as a while loop: the ys stacked by concatenation."""
    from tensorlet.ops.functional import _stack_loop
    xs_t = None if xs is None else _tree.map_structure(
        lambda v: _tf.reverse(_t(v), [0]) if reverse else _t(v), xs)
    n = _tf.shape(_tree.flatten(xs_t)[0])[0] if xs is not None else _t(length)

    def row(i):
        return None if xs_t is None else _tree.map_structure(lambda v: _tf.gather(v, i), xs_t)
    first_carry, first_y = f(init, row(0))

    def step(i, *carry):
        new, y = f(_tree.pack_sequence_as(init, list(carry)), row(i))
        return [_t(c) for c in _tree.flatten(new)], [_t(v) for v in _tree.flatten(y)]
    carry, ys = _stack_loop(step, n, 1, [_t(v) for v in _tree.flatten(first_y)],
                            carry=[_t(c) for c in _tree.flatten(first_carry)])
    if reverse:
        ys = [_tf.reverse(y, [0]) for y in ys]
    return _tree.pack_sequence_as(init, carry), _tree.pack_sequence_as(first_y, ys)


@_op
def slice(inputs, start_indices, shape):
    """The block of `inputs` of size `shape` starting at `start_indices`."""
    return _tf.slice(_t(inputs), _int_list(start_indices), _int_list(shape))


@_op
def stop_gradient(variable):
    return _tf.stop_gradient(_t(variable))


__all__ = sorted(name for name, value in list(globals().items())
                 if name not in _IMPORTED and not name.startswith("_") and callable(value))
