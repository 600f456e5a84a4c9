"""Helpers of the Layer base class that need no layer: argument parsing, structure keys,
identifier look-ups, what a call's outputs wait for, which graphs share weights."""
import importlib

import numpy as np

from tensorlet.eager.context import shares_eager_state
from tensorlet.framework.graph import GraphKeys, Tensor
from tensorlet.keras import tree
from tensorlet.ops.array import identity

INPUT_SHAPE_KWARGS = ("input_shape", "batch_input_shape", "batch_size", "input_dim")


def get_object(module, identifier):
    """`keras.<module>.get(identifier)` (None stays None)."""
    if identifier is None:
        return None
    return importlib.import_module(f"tensorlet.keras.{module}").get(identifier)


def serialize_object(module, obj):
    """Keras 3's serialised form of an activation/initializer/regularizer/constraint."""
    if obj is None:
        return None
    return importlib.import_module(f"tensorlet.keras.{module}").serialize(obj)


def pop_input_shape_kwargs(kwargs):
    """(batch) input shape given as `input_shape=`/`input_dim=`/`batch_input_shape=`."""
    found = {k: kwargs.pop(k) for k in INPUT_SHAPE_KWARGS if k in kwargs}
    if "batch_input_shape" in found:
        return tuple(found["batch_input_shape"])
    if "input_shape" in found:
        return (found.get("batch_size"),) + tuple(as_tuple(found["input_shape"]))
    if "input_dim" in found:
        return (found.get("batch_size"), int(found["input_dim"]))
    return None


def as_tuple(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(shape)


def fresh_outputs(outputs, inputs):
    """Outputs that are new tensors: an input passed through unchanged is wrapped in identity,
    so that each tensor records the one layer call that produced it."""
    ids = {id(t) for t in inputs}
    return tree.map_structure(
        lambda t: identity(t) if isinstance(t, Tensor) and id(t) in ids else t, outputs)


def broadcast_masks(mask, outputs):
    n = len(tree.flatten(outputs))
    if isinstance(mask, (list, tuple)) and len(mask) == n:
        return list(mask)
    return [mask] * n


def to_array(v):
    """A NumPy array for array-like leaves (lists of numbers, scalars stay Python values)."""
    if isinstance(v, np.ndarray):
        return v
    if isinstance(v, (np.generic,)):
        return np.asarray(v)
    if hasattr(v, "__array__") and not isinstance(v, (str, bytes)):
        return np.asarray(v)
    return v


def freeze(x):
    """A hashable key for a nested structure of hashable leaves."""
    if isinstance(x, dict):
        return tuple((k, freeze(x[k])) for k in sorted(x))
    if isinstance(x, (list, tuple)):
        return (type(x).__name__,) + tuple(freeze(v) for v in x)
    try:
        hash(x)
    except TypeError:
        raise TypeError(f"Cannot call a layer on NumPy data with the unhashable argument "
                        f"{x!r:.80}; pass tensors or hashable Python values.") from None
    return x


def is_shape_list(shape):
    """Whether `shape` is a list of shapes (several inputs) rather than one shape."""
    return isinstance(shape, (list, tuple)) and bool(shape) and all(
        isinstance(s, (list, tuple)) or s is None for s in shape) and any(
        isinstance(s, (list, tuple)) for s in shape)


def standardize_data(x):
    """Nested Python numbers become one array; lists of arrays stay lists (several inputs)."""
    if isinstance(x, (list, tuple)) and x and all(
            isinstance(v, (int, float, bool, np.number)) or (
                isinstance(v, (list, tuple)) and not any(
                    isinstance(u, np.ndarray) or hasattr(u, "shape") for u in tree.flatten(v)))
            for v in x):
        return np.asarray(x)
    return x


def after_state_changes(graph, start, outputs):
    """Keras 3 runs the state changes a call makes even when nothing reads their result
    (`self.count.assign_add(1.0)`): the outputs then wait for them (control dependencies),
    as TF's automatic control dependencies do. Calls without such changes are unchanged."""
    if graph._eager:
        return outputs
    new = graph.get_operations()[start:]
    if not new:
        return outputs
    used = {id(t) for op in new for t in op.inputs}
    used_ops = {id(c) for op in new for c in op.control_inputs}
    used.update(id(t) for t in tree.flatten(outputs) if isinstance(t, Tensor))
    pending = [op for op in new if op.opdef.writes_variables and id(op) not in used_ops
               and not any(id(t) in used for t in op.outputs)]
    if pending:  # weights built during the call: their initialisers are not state changes
        initializers = {id(getattr(v, "initializer", None)) for key in (
            GraphKeys.GLOBAL_VARIABLES, GraphKeys.LOCAL_VARIABLES)
            for v in graph.get_collection(key)}
        pending = [op for op in pending if id(op) not in initializers]
    if not pending:
        return outputs
    with graph.control_dependencies(pending):
        return tree.map_structure(
            lambda t: identity(t) if isinstance(t, Tensor) else t, outputs)


def same_state(a, b):
    """Whether graphs a and b hold the same variables (one graph, or two sharing eager state)."""
    return a is None or a is b or (shares_eager_state(a) and shares_eager_state(b))
