"""`keras.random`: Keras 3's random draws and `SeedGenerator`.

Inside a layer's `call` (or a traced function) each draw is a graph op that draws new numbers
at every run; at the top of a program it is computed at once. The `seed` argument follows
Keras 3: a `SeedGenerator` gives new numbers at every call, repeatable from the generator's
seed; an int gives the same numbers at every call and every run (a stateless draw); None
draws a seed from Python's `random`, so `keras.utils.set_random_seed` makes it repeatable.
"""
import numbers

import numpy as np

import tensorlet as _tf
from tensorlet.framework import dtypes as _dt
from tensorlet.framework.graph import TensorLike
from tensorlet.keras import backend as _backend
from tensorlet.keras.ops.core import _graph_op
from tensorlet.ops.random import StatelessSeed, gamma_of_shape, random_binomial

__all__ = ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal",
           "randint", "shuffle", "truncated_normal", "uniform"]


def _check_int_seed(seed, what="seed"):
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"Argument `{what}` must be an integer, None or a "
                         f"keras.random.SeedGenerator. Received: {what}={seed!r}")
    return int(seed)


class SeedGenerator:
    """A source of seeds for random draws: every draw that takes it gets a seed of its own,
    so repeated calls (and every run of a graph op) give new numbers, and a generator made
    with the same `seed` repeats the same sequence."""

    def __init__(self, seed=None, name=None, **kwargs):
        unknown = set(kwargs) - {"backend"}
        if unknown:
            raise TypeError(f"SeedGenerator got unexpected keyword arguments {sorted(unknown)}")
        self._seed = _backend.make_default_seed() if seed is None else _check_int_seed(seed)
        self._draws = 0
        self.name = name or "seed_generator"

    def next(self, ordered=True):
        """The op seed of the next draw (an int in [0, 2**31 - 1))."""
        self._draws += 1
        state = np.random.SeedSequence([self._seed % 2**64, self._draws]).generate_state(1)
        return int(state[0]) % (2**31 - 1)

    def get_config(self):
        return {"seed": self._seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator name={self.name!r} seed={self._seed}>"


def _op_seed(seed, draw=0):
    """The `seed` of a core random op for Keras's `seed` argument (`draw` tells apart the
    draws of one call that needs several). A draw computed at once is stateless, fixed by its
    seed; a graph op from a generator or None keeps a stream that moves on at every run."""
    if seed is None:
        seed = _backend.make_default_seed()
    elif isinstance(seed, SeedGenerator):
        seed = seed.next()
    else:
        return StatelessSeed((_check_int_seed(seed) % 2**63, draw))
    return StatelessSeed((seed, draw)) if _tf.executing_eagerly() else seed


def _shaped(draw, shape):
    """`draw(shape)` for a shape given as ints or, inside a layer, as `ops.shape(x)` gives it
    (the batch a scalar tensor): such a shape becomes one int32 tensor, and the draw keeps the
    dimensions that are known."""
    if not (isinstance(shape, (list, tuple)) and
            any(isinstance(d, TensorLike) for d in shape)):
        return draw(shape)
    out = draw(_tf.stack([_tf.cast(d, "int32") if isinstance(d, TensorLike) else np.int32(d)
                          for d in shape]))
    out.set_shape([None if isinstance(d, TensorLike) else int(d) for d in shape])
    return out


def _int_dtype(dtype, what):
    dt = _dt.as_dtype(dtype)
    if not dt.is_integer:
        raise ValueError(f"`keras.random.{what}` requires an integer `dtype`. "
                         f"Received: dtype={dt.name}")
    return dt


def _float_dtype(dtype, what):
    dt = _dt.as_dtype(dtype or _backend.floatx())
    if not dt.is_floating:
        raise ValueError(f"`keras.random.{what}` requires a floating point `dtype`. "
                         f"Received: dtype={dt.name}")
    return dt


@_graph_op
def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples of N(mean, stddev**2) of shape `shape`."""
    dt = _float_dtype(dtype, "normal")
    return _shaped(lambda s: _tf.random_normal(s, mean, stddev, dt, seed=_op_seed(seed)), shape)


@_graph_op
def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples redrawn beyond two standard deviations from the mean."""
    dt = _float_dtype(dtype, "truncated_normal")
    return _shaped(lambda s: _tf.truncated_normal(s, mean, stddev, dt, seed=_op_seed(seed)),
                   shape)


@_graph_op
def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples of the uniform distribution on [minval, maxval)."""
    dt = _float_dtype(dtype, "uniform")
    return _shaped(lambda s: _tf.random_uniform(s, minval, maxval, dt, seed=_op_seed(seed)),
                   shape)


@_graph_op
def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from [minval, maxval)."""
    dt = _int_dtype(dtype, "randint")
    return _tf.cast(_shaped(lambda s: _tf.random_uniform(s, minval, maxval, _dt.int64,
                                                         seed=_op_seed(seed)), shape), dt)


@_graph_op
def categorical(logits, num_samples, dtype="int32", seed=None):
    """`num_samples` class indices per row of the 2-D `logits` (unnormalised log-probabilities)."""
    logits = _tf.convert_to_tensor(logits)
    if logits.shape.ndims is not None and logits.shape.ndims != 2:
        raise ValueError(f"`logits` should be a 2-D tensor of shape (batch_size, num_classes)."
                         f" Received: logits.shape={logits.shape}")
    dt = _int_dtype(dtype, "categorical")
    return _tf.cast(_tf.random.categorical(logits, num_samples, dtype=_dt.int64,
                                           seed=_op_seed(seed)), dt)


@_graph_op
def dropout(inputs, rate, noise_shape=None, seed=None):
    """`inputs` with a fraction `rate` of entries (drawn per `noise_shape`, broadcast) set to 0
    and the others scaled by 1 / (1 - rate)."""
    if not isinstance(rate, TensorLike) and (
            isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1):
        raise ValueError(f"Invalid value received for argument `rate`. Expected a float "
                         f"value between 0 and 1 (1 excluded). Received: rate={rate!r}")
    x = _tf.convert_to_tensor(inputs)
    if not x.dtype.is_floating:
        x = _tf.cast(x, _backend.floatx())
    if noise_shape is None:
        shape = _tf.shape(x)
    else:  # None entries take x's dimension (Keras 3), tensors (ops.shape) stay
        dims = x.shape.as_list() if x.shape.ndims is not None else None
        if dims is None or len(dims) != len(noise_shape):
            raise ValueError(f"`noise_shape` must have the rank of `inputs` ({x.shape}), got "
                             f"{noise_shape!r}")
        shape = [d if d is not None else (dims[i] if dims[i] is not None else _tf.shape(x)[i])
                 for i, d in enumerate(noise_shape)]
    draw = _shaped(lambda s: _tf.random_uniform(s, dtype=x.dtype, seed=_op_seed(seed)), shape)
    # a scalar tensor rate is used as it runs; a number becomes a constant of x's dtype
    rate = _tf.cast(rate, x.dtype) if isinstance(rate, TensorLike) else \
        np.asarray(rate, x.dtype.np)
    return x * (_tf.cast(_tf.greater_equal(draw, rate), x.dtype) / (1 - rate))


@_graph_op
def shuffle(x, axis=0, seed=None):
    """`x` with its entries along `axis` in a random order."""
    x = _tf.convert_to_tensor(x)
    rank = x.shape.ndims
    if rank is None or rank == 0:
        raise ValueError(f"`keras.random.shuffle` needs a tensor of known rank >= 1. "
                         f"Received: shape={x.shape}")
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral) or \
            not -rank <= axis < rank:
        raise ValueError(f"`axis` must be an integer in [-{rank}, {rank}) for a tensor of "
                         f"rank {rank}. Received: axis={axis!r}")
    axis %= rank
    if axis == 0:
        return _tf.random_shuffle(x, seed=_op_seed(seed))
    perm = [axis] + [i for i in range(rank) if i != axis]
    back = list(np.argsort(perm))
    return _tf.transpose(_tf.random_shuffle(_tf.transpose(x, perm), seed=_op_seed(seed)), back)


@_graph_op
def gamma(shape, alpha, dtype=None, seed=None):
    """Samples of Gamma(alpha, 1) of shape `shape` (alpha broadcast to it)."""
    dt = _float_dtype(dtype, "gamma")
    return _shaped(lambda s: gamma_of_shape(s, alpha, dtype=dt, seed=_op_seed(seed)), shape)


@_graph_op
def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """The number of successes in `counts` trials of success probability `probabilities`
    (both broadcast to `shape`), as floats of `dtype`."""
    dt = _float_dtype(dtype, "binomial")
    return _shaped(lambda s: _tf.cast(random_binomial(s, counts, probabilities, _dt.int64,
                                                      seed=_op_seed(seed)), dt), shape)


@_graph_op
def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples of Beta(alpha, beta): X / (X + Y) with X ~ Gamma(alpha), Y ~ Gamma(beta)."""
    dt = _float_dtype(dtype, "beta")

    def draw(s):
        x = gamma_of_shape(s, alpha, dtype=dt, seed=_op_seed(seed, 0))
        y = gamma_of_shape(s, beta, dtype=dt, seed=_op_seed(seed, 1))
        return x / (x + y)
    return _shaped(draw, shape)
