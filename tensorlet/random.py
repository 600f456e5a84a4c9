"""`tf.random`: TF 2 spellings of the random ops (`tf.random.normal`, `tf.random.set_seed`...)."""
from tensorlet.ops.random import (
    categorical,
    multinomial,
    set_random_seed,
    set_seed,
    stateless_binomial,
    stateless_categorical,
    stateless_gamma,
    stateless_normal,
    stateless_truncated_normal,
    stateless_uniform,
    truncated_normal,
)
from tensorlet.ops.random import random_gamma as gamma
from tensorlet.ops.random import random_normal as normal
from tensorlet.ops.random import random_shuffle as shuffle
from tensorlet.ops.random import random_uniform as uniform

__all__ = ["categorical", "gamma", "multinomial", "normal", "set_random_seed", "set_seed",
           "shuffle", "stateless_binomial", "stateless_categorical",
           "stateless_gamma", "stateless_normal",
           "stateless_truncated_normal", "stateless_uniform", "truncated_normal", "uniform"]
