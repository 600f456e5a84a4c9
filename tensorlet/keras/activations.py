"""Keras 3 activation functions, each a few core ops (DESIGN.md rule 2: math exists once).

`get(identifier)` resolves names ("relu"), config dicts and callables; `None` means `linear`.
Inputs that are not floating point are converted to float32 first, as Keras does.
"""
from tensorlet.framework import dtypes as _dt
from tensorlet.keras import _identifiers
from tensorlet.ops import math as _math
from tensorlet.ops import nn as _nn
from tensorlet.ops.base import as_tensor

_MODULE = "keras.activations"


def _float(x):
    x = as_tensor(x)
    return x if x.dtype.is_floating else _math.cast(x, _dt.float32)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0); with `negative_slope` below `threshold`, capped at `max_value` when given."""
    for name, v in (("negative_slope", negative_slope), ("threshold", threshold)):
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            raise TypeError(f"relu: `{name}` must be a number, got {v!r}")
    if max_value is not None and (not isinstance(max_value, (int, float)) or max_value < 0):
        raise ValueError(f"relu: `max_value` must be None or a number >= 0, got {max_value!r}")
    x = _float(x)
    if negative_slope != 0 and max_value is None and threshold == 0:
        return _nn.leaky_relu(x, alpha=negative_slope)
    if negative_slope != 0:
        negative_part = _nn.relu(-x + threshold) if threshold != 0 else _nn.relu(-x)
    clip_max = max_value is not None
    if threshold != 0:
        y = x * _math.cast(_math.greater(x, threshold), x.dtype)
    elif max_value == 6:
        y, clip_max = _nn.relu6(x), False
    else:
        y = _nn.relu(x)
    if clip_max:
        y = _math.minimum(y, max_value)
    if negative_slope != 0:
        y = y - negative_slope * negative_part
    return y


def leaky_relu(x, negative_slope=0.2):
    """x for x >= 0, negative_slope * x below."""
    return _nn.leaky_relu(_float(x), alpha=negative_slope)


def relu6(x):
    """min(max(x, 0), 6)."""
    return _nn.relu6(_float(x))


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis` (the fused softmax op)."""
    return _nn.softmax(_float(x), axis=axis)


def log_softmax(x, axis=-1):
    """x - logsumexp(x) along `axis`."""
    return _nn.log_softmax(_float(x), axis=axis)


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) below."""
    x = _float(x)
    y = _nn.elu(x)
    if alpha == 1:
        return y
    return _math.where(_math.greater(x, 0), y, alpha * y)


def selu(x):
    """scale * elu(x, alpha) with Klambauer et al.'s constants."""
    return _nn.selu(_float(x))


def softplus(x):
    """log(exp(x) + 1), computed stably."""
    return _nn.softplus(_float(x))


def softsign(x):
    """x / (|x| + 1)."""
    return _nn.softsign(_float(x))


def silu(x):
    """x * sigmoid(x) (also called swish)."""
    return _nn.silu(_float(x))


swish = silu


def gelu(x, approximate=False):
    """x * Phi(x), exact (erf) by default or the tanh approximation."""
    return _nn.gelu(_float(x), approximate=bool(approximate))


def tanh(x):
    """Hyperbolic tangent."""
    return _math.tanh(_float(x))


def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return _math.sigmoid(_float(x))


def exponential(x):
    """exp(x)."""
    return _math.exp(_float(x))


def hard_sigmoid(x):
    """Keras 3's piecewise-linear sigmoid: relu6(x + 3) / 6."""
    return _nn.relu6(_float(x) + 3.0) / 6.0


def hard_silu(x):
    """x * hard_sigmoid(x) (also called hard swish)."""
    x = _float(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def mish(x):
    """x * tanh(softplus(x))."""
    x = _float(x)
    return x * _math.tanh(_nn.softplus(x))


def linear(x):
    """The identity: returns its input unchanged."""
    return x


ALL_OBJECTS_DICT = {fn.__name__: fn for fn in (
    relu, leaky_relu, relu6, softmax, log_softmax, elu, selu, softplus, softsign, silu, gelu,
    tanh, sigmoid, exponential, hard_sigmoid, hard_silu, mish, linear)}
ALL_OBJECTS_DICT.update(swish=silu, hard_swish=hard_silu)


def serialize(activation):
    """A built-in activation's name; a config dict for an activation object."""
    if getattr(activation, "__name__", None) in ALL_OBJECTS_DICT and \
            ALL_OBJECTS_DICT[activation.__name__] is activation:
        return activation.__name__
    return _identifiers.serialize_object(activation, _MODULE)


def deserialize(config, custom_objects=None):
    """The activation a name or config describes (only known activations resolve)."""
    return _identifiers.deserialize_object(config, ALL_OBJECTS_DICT, "activation",
                                           custom_objects)


def get(identifier):
    """An activation function from a name, a config, a callable, or None (linear)."""
    if identifier is None:
        return linear
    return _identifiers.get_object(identifier, ALL_OBJECTS_DICT, "activation",
                                   instantiate=False)


__all__ = ["deserialize", "elu", "exponential", "gelu", "get", "hard_sigmoid", "hard_silu",
           "hard_swish", "leaky_relu", "linear", "log_softmax", "mish", "relu", "relu6", "selu",
           "serialize", "sigmoid", "silu", "softmax", "softplus", "softsign", "swish", "tanh"]
