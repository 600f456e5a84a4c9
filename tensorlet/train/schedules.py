"""The global step and learning-rate decay schedules of TF 1.x, as graph ops of the step.

Each schedule is a small graph of scalar ops evaluated from the step tensor on every run, so a
schedule follows `global_step` (tf.train) or `optimizer.iterations` (Keras, whose schedule
objects call these same functions).
"""
import math as _pymath

import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.graph import GraphKeys, convert_to_tensor, get_default_graph, name_scope
from tensorlet.ops import array, math
from tensorlet.ops.state import Variable

__all__ = [
    "cosine_decay",
    "create_global_step",
    "exponential_decay",
    "get_global_step",
    "get_or_create_global_step",
    "global_step",
    "inverse_time_decay",
    "piecewise_constant",
    "polynomial_decay",
]

# -- global step --------------------------------------------------------------------------------


def get_global_step(graph=None):
    """The graph's global step variable (collection GLOBAL_STEP, else 'global_step:0') or None."""
    graph = graph or get_default_graph()
    found = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if len(found) > 1:
        raise TypeError(f"There should be only one global step tensor, found {len(found)}: "
                        f"{[v.name for v in found]}")
    if found:
        step = found[0]
    else:
        try:
            step = graph.get_tensor_by_name("global_step:0")
        except KeyError:
            return None
    if not step.dtype.is_integer:
        raise TypeError(f"Existing global step {step.name} is not an integer tensor: "
                        f"{step.dtype.name}")
    return step


def create_global_step(graph=None):
    """Create the int64 'global_step' variable (0, not trainable) in the GLOBAL_STEP collection."""
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError('"global_step" already exists.')
    with graph.as_default(), graph.name_scope(""), graph.control_dependencies(None):
        return Variable(np.int64(0), trainable=False, name="global_step",
                        collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP])


def get_or_create_global_step(graph=None):
    """The global step variable, created on first use."""
    graph = graph or get_default_graph()
    step = get_global_step(graph)
    return step if step is not None else create_global_step(graph)


def global_step(sess, global_step_tensor):
    """The current value of the global step as a Python int."""
    return int(sess.run(global_step_tensor))


# -- decay schedules ----------------------------------------------------------------------------


def _check_decay(fn, step, decay_steps):
    """Raise at build time for a missing step or a constant decay_steps that is not > 0."""
    if step is None:
        raise ValueError(f"global_step is required for {fn}.")
    if isinstance(decay_steps, (int, float, np.number)) and not decay_steps > 0:
        raise ValueError(f"{fn}: decay_steps must be > 0, got {decay_steps}")


def lr_and_step(learning_rate, step):
    """The learning rate as a float tensor and the step cast to its dtype."""
    lr = convert_to_tensor(learning_rate, name="learning_rate")
    if not lr.dtype.is_floating:
        lr = math.cast(lr, _dt.float32)
    return lr, math.cast(step, lr.dtype)


def _progress(step, decay_steps, staircase):
    """step / decay_steps in the step's float dtype, floored when staircase."""
    p = math.truediv(step, math.cast(decay_steps, step.dtype))
    return math.floor(p) if staircase else p


def exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                      name=None):
    """learning_rate * decay_rate ** (global_step / decay_steps) (floored when staircase)."""
    _check_decay("exponential_decay", global_step, decay_steps)
    with name_scope(name, "ExponentialDecay"):
        lr, step = lr_and_step(learning_rate, global_step)
        p = _progress(step, decay_steps, staircase)
        return math.multiply(lr, math.pow(math.cast(decay_rate, lr.dtype), p))


def inverse_time_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                       name=None):
    """learning_rate / (1 + decay_rate * global_step / decay_steps) (floored when staircase)."""
    _check_decay("inverse_time_decay", global_step, decay_steps)
    with name_scope(name, "InverseTimeDecay"):
        lr, step = lr_and_step(learning_rate, global_step)
        p = _progress(step, decay_steps, staircase)
        denom = math.add(math.multiply(math.cast(decay_rate, lr.dtype), p), 1)
        return math.truediv(lr, denom)


def polynomial_decay(learning_rate, global_step, decay_steps, end_learning_rate=0.0001,
                     power=1.0, cycle=False, name=None):
    """(lr - end) * (1 - step / decay_steps) ** power + end, with step capped (or cycled)."""
    _check_decay("polynomial_decay", global_step, decay_steps)
    with name_scope(name, "PolynomialDecay"):
        lr, step = lr_and_step(learning_rate, global_step)
        end = math.cast(end_learning_rate, lr.dtype)
        steps = math.cast(decay_steps, lr.dtype)
        if cycle:
            mult = math.where(math.equal(step, 0), array.ones_like(step),
                              math.ceil(math.truediv(step, steps)))
            steps = math.multiply(steps, mult)
        else:
            step = math.minimum(step, steps)
        p = math.truediv(step, steps)
        frac = math.pow(math.subtract(1, p), math.cast(power, lr.dtype))
        return math.add(math.multiply(math.subtract(lr, end), frac), end)


def cosine_decay(learning_rate, global_step, decay_steps, alpha=0.0, name=None):
    """lr * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha)."""
    _check_decay("cosine_decay", global_step, decay_steps)
    with name_scope(name, "CosineDecay"):
        lr, step = lr_and_step(learning_rate, global_step)
        return math.multiply(lr, cosine_factor(step, math.cast(decay_steps, lr.dtype), alpha))


def cosine_factor(step, steps, alpha):
    """(1 - alpha) * 0.5 * (1 + cos(pi * min(step, steps) / steps)) + alpha (float step)."""
    frac = math.truediv(math.minimum(step, steps), steps)
    cosine = math.multiply(math.add(math.cos(math.multiply(frac, _pymath.pi)), 1.0), 0.5)
    return math.add(math.multiply(cosine, 1 - alpha), alpha)


def piecewise_constant(x, boundaries, values, name=None):
    """values[0] for x <= boundaries[0], values[i] for boundaries[i-1] < x <= boundaries[i],
    values[-1] past the last boundary."""
    if len(values) != len(boundaries) + 1:
        raise ValueError(f"The length of boundaries should be 1 less than the length of values: "
                         f"got {len(boundaries)} boundaries and {len(values)} values")
    with name_scope(name, "PiecewiseConstant"):
        x = convert_to_tensor(x)
        vals = [convert_to_tensor(v) for v in values]
        if any(v.dtype is not vals[0].dtype for v in vals):
            raise ValueError(f"Values must have elements all with the same dtype, got "
                             f"{[v.dtype.name for v in vals]}")
        result = vals[-1]
        for b, v in reversed(list(zip(boundaries, vals[:-1]))):
            result = math.where(math.less_equal(x, _boundary(b, x.dtype)), v, result)
        return result


def _boundary(b, dtype):
    """A boundary as a constant of the step's dtype; refuses one that would change value."""
    if hasattr(b, "_as_graph_tensor"):
        b = convert_to_tensor(b)
        return b if b.dtype is dtype else math.cast(b, dtype)
    arr = np.asarray(b)
    cast = arr.astype(dtype.np)
    if arr.dtype.kind not in "iuf" or cast != arr:
        raise ValueError(f"Boundaries ({b!r}) must have the same dtype as x ({dtype.name})")
    return array.constant(cast, dtype=dtype)
