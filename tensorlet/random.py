"""`tf.random`: TF 2 spellings of the random ops (`tf.random.normal`, `tf.random.set_seed`...)."""
from tensorlet.ops.random import (  # noqa: F401
    categorical, multinomial, random_gamma as gamma, random_normal as normal,
    random_shuffle as shuffle, random_uniform as uniform, set_random_seed, set_seed,
    truncated_normal)

__all__ = ["categorical", "gamma", "multinomial", "normal", "set_random_seed", "set_seed",
           "shuffle", "truncated_normal", "uniform"]
