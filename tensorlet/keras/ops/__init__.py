"""`keras.ops`: Keras 3's NumPy-style and neural-network ops, on tensorlet's core ops.

Inside a layer's `call` (graph tensors or Keras variables among the arguments) an op builds
core ops in their graph. On concrete values alone (NumPy arrays, Python numbers, eager
tensors) it computes at once and returns an eager tensor (`.numpy()`, NumPy interop), as
Keras 3 does; a Keras variable given at the top of a program stands for its current value.
Semantics follow NumPy where Keras 3 does: `axis=None` reduces or indexes the
flattened array, `argmax` gives int32, `mean` of integers is a float, `take` wraps negative
indices, `split` takes section counts or split points.
"""
from tensorlet.keras.ops import core, linalg, math, nn, numpy  # noqa: F401  (keras.ops.nn, ...)
from tensorlet.keras.ops.core import *  # noqa: F401,F403
from tensorlet.keras.ops.linalg import *  # noqa: F401,F403
from tensorlet.keras.ops.math import *  # noqa: F401,F403
from tensorlet.keras.ops.nn import *  # noqa: F401,F403
from tensorlet.keras.ops.numpy import *  # noqa: F401,F403

__all__ = sorted(set(core.__all__) | set(linalg.__all__) | set(math.__all__) | set(numpy.__all__)
                 | set(nn.__all__))
