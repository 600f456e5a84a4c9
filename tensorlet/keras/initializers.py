"""Keras 3 initializers: `init(shape, dtype=None)` returns a core tensor for a Variable's value.

Built on the TF 1.x initializers of `tensorlet.initializers`, where the fan computation and the
variance-scaling math live once; this module adds Keras 3's names, defaults and configs.

Seeds: an initializer given `seed=n` builds its random op with op seed n, so every call gives
the same values (as Keras 3 does for integer seeds). An unseeded one builds its op without an
op seed: after `keras.utils.set_random_seed` (which sets the graph seed) ops created in the
same order get the same seeds, so a rebuilt model starts from the same weights.
"""
import numpy as np

from tensorlet import initializers as _tf1
from tensorlet.framework import dtypes as _dt
from tensorlet.keras import _identifiers
from tensorlet.ops import array as _array
from tensorlet.ops.random import StatelessSeed

_MODULE = "keras.initializers"
compute_fans = _tf1.compute_fans


def _dtype(dtype):
    return _dt.float32 if dtype is None else _dt.as_dtype(dtype)


def _check_seed(seed):
    """An int, None, or a keras.random.SeedGenerator (also from its config in a saved file)."""
    from tensorlet.keras.random import SeedGenerator
    if isinstance(seed, SeedGenerator):
        return seed
    if isinstance(seed, dict) and seed.get("class_name") == "SeedGenerator":
        config = seed.get("config") or {}
        return SeedGenerator(seed=config.get("seed"), name=config.get("name"))
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise ValueError(f"`seed` must be an integer, None or a keras.random.SeedGenerator, "
                         f"got seed={seed!r}")
    return None if seed is None else int(seed)


def _op_seed(seed):
    """The op seed of one call: a SeedGenerator gives the next seed (a stateless draw of it), so
    every call differs and a generator with the same seed repeats them, whatever the global
    seed."""
    if seed is None or isinstance(seed, int):
        return seed
    return StatelessSeed((seed.next(), 0))  # the generator's own stream: no global seed


def _seed_config(seed):
    if seed is None or isinstance(seed, int):
        return seed
    return {"module": "keras.random", "class_name": "SeedGenerator",
            "config": seed.get_config(), "registered_name": None}


class Initializer:
    """Base class: subclasses implement `__call__(shape, dtype=None)`."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return _tf1.Zeros()(shape, _dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return _tf1.Ones()(shape, _dtype(dtype))


class Constant(Initializer):
    """`value` (a scalar, or an array broadcastable to the shape) everywhere."""

    def __init__(self, value=0.0):
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"Constant: `value` must be a number or an array of numbers, got "
                             f"{value!r:.80}")
        self.value = value

    def __call__(self, shape, dtype=None):
        dims = _tf1.full_shape(shape)
        try:
            arr = np.broadcast_to(np.asarray(self.value), dims)
        except ValueError:
            raise ValueError(f"Constant: a value of shape {np.shape(self.value)} cannot fill a "
                             f"variable of shape {tuple(dims)}") from None
        return _array.constant(np.array(arr), dtype=_dtype(dtype))

    def get_config(self):
        v = self.value
        return {"value": v.tolist() if isinstance(v, np.ndarray) else v}


class RandomNormal(Initializer):
    """Normal values, mean 0 and stddev 0.05 by default."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, _check_seed(seed)

    def __call__(self, shape, dtype=None):
        init = _tf1.RandomNormal(self.mean, self.stddev, _op_seed(self.seed))
        return init(shape, _dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": _seed_config(self.seed)}


class TruncatedNormal(RandomNormal):
    """Normal values (mean 0, stddev 0.05) redrawn beyond two standard deviations."""

    def __call__(self, shape, dtype=None):
        init = _tf1.TruncatedNormal(self.mean, self.stddev, _op_seed(self.seed))
        return init(shape, _dtype(dtype))


class RandomUniform(Initializer):
    """Uniform values in [minval, maxval), [-0.05, 0.05) by default."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, _check_seed(seed)

    def __call__(self, shape, dtype=None):
        init = _tf1.RandomUniform(self.minval, self.maxval, _op_seed(self.seed))
        return init(shape, _dtype(dtype))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": _seed_config(self.seed)}


_DISTRIBUTIONS = ("uniform", "truncated_normal", "untruncated_normal")


class VarianceScaling(Initializer):
    """Variance `scale / n` with n = fan_in, fan_out or their mean (Keras 3's rule)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if not isinstance(scale, (int, float)) or not scale > 0:
            raise ValueError(f"VarianceScaling: `scale` must be a positive float, got "
                             f"scale={scale!r}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: invalid `mode` {mode!r}; expected one of "
                             "'fan_in', 'fan_out', 'fan_avg'")
        distribution = str(distribution).lower()
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(f"VarianceScaling: invalid `distribution` {distribution!r}; "
                             f"expected one of {', '.join(_DISTRIBUTIONS)}")
        self.scale, self.mode, self.distribution = float(scale), mode, distribution
        self.seed = _check_seed(seed)

    def __call__(self, shape, dtype=None):
        init = _tf1.VarianceScaling(self.scale, self.mode, self.distribution,
                                    _op_seed(self.seed))
        return init(_tf1.full_shape(shape), _dtype(dtype))

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": _seed_config(self.seed)}


def _scaling(name, scale, mode, distribution, doc):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": _seed_config(self.seed)}

    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                           "__doc__": doc, "__module__": __name__})


GlorotUniform = _scaling("GlorotUniform", 1.0, "fan_avg", "uniform",
                         "Uniform in ±sqrt(6 / (fan_in + fan_out)); Keras's default kernel.")
GlorotNormal = _scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                        "Truncated normal, stddev sqrt(2 / (fan_in + fan_out)).")
HeNormal = _scaling("HeNormal", 2.0, "fan_in", "truncated_normal",
                    "Truncated normal, stddev sqrt(2 / fan_in).")
HeUniform = _scaling("HeUniform", 2.0, "fan_in", "uniform", "Uniform in ±sqrt(6 / fan_in).")
LecunNormal = _scaling("LecunNormal", 1.0, "fan_in", "truncated_normal",
                       "Truncated normal, stddev sqrt(1 / fan_in).")
LecunUniform = _scaling("LecunUniform", 1.0, "fan_in", "uniform",
                        "Uniform in ±sqrt(3 / fan_in).")


class OrthogonalInitializer(Initializer):
    """A random orthogonal matrix (all but the last axis flattened into rows) times `gain`."""

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, _check_seed(seed)

    def __call__(self, shape, dtype=None):
        init = _tf1.Orthogonal(self.gain, _op_seed(self.seed))
        return init(_tf1.full_shape(shape), _dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, "seed": _seed_config(self.seed)}


Orthogonal = OrthogonalInitializer


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only; rectangular allowed)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        return _tf1.Identity(self.gain)(_tf1.full_shape(shape), _dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


IdentityInitializer = Identity

_CLASSES = (Initializer, Zeros, Ones, Constant, RandomNormal, TruncatedNormal, RandomUniform,
            VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal,
            LecunUniform, OrthogonalInitializer, Identity)



ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({_identifiers.snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update(uniform=RandomUniform, normal=RandomNormal, one=Ones, zero=Zeros,
                        orthogonal=OrthogonalInitializer, Orthogonal=OrthogonalInitializer,
                        IdentityInitializer=Identity)

# Function-style spellings (`keras.initializers.glorot_uniform(seed=1)` makes an object).
zeros, ones, constant = Zeros, Ones, Constant
random_normal, truncated_normal, random_uniform = RandomNormal, TruncatedNormal, RandomUniform
variance_scaling, orthogonal, identity = VarianceScaling, OrthogonalInitializer, Identity
glorot_uniform, glorot_normal, he_normal, he_uniform = (GlorotUniform, GlorotNormal, HeNormal,
                                                        HeUniform)
lecun_normal, lecun_uniform = LecunNormal, LecunUniform


def serialize(initializer):
    """Keras 3's config dict of an initializer."""
    return _identifiers.serialize_object(initializer, _MODULE)


def deserialize(config, custom_objects=None):
    """The initializer a name or config describes (only known initializers resolve)."""
    obj = _identifiers.deserialize_object(config, ALL_OBJECTS_DICT, "initializer",
                                          custom_objects)
    return obj() if isinstance(obj, type) else obj


def get(identifier):
    """An initializer from a name ("glorot_uniform"), a config, a class or a callable."""
    if identifier is None:
        return None
    return _identifiers.get_object(identifier, ALL_OBJECTS_DICT, "initializer")


__all__ = [c.__name__ for c in _CLASSES] + [
    "Orthogonal", "IdentityInitializer", "serialize", "deserialize", "get", "compute_fans"]
