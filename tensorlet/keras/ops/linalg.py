"""`keras.ops` linear algebra (Keras 3's keras.ops.linalg ops): norms, inverse, determinant,
slogdet and solve of (batches of) matrices."""
import numpy as np

import tensorlet as _tf
from tensorlet.keras.ops.core import _axes, _float, _float_pair, _op

_IMPORTED = set(globals())


@_op
def norm(x, ord=None, axis=None, keepdims=False):
    """np.linalg.norm: vector norms (any p, 0, inf, -inf) over one axis; over two axes (or a
    2-D x with axis=None) the Frobenius norm and the 1, -1, inf, -inf matrix norms."""
    x = _float(x)
    rank = x.shape.ndims
    if axis is None:
        axis = tuple(range(rank)) if rank == 2 else None
    if axis is not None and not isinstance(axis, (int, np.integer)) and len(axis) == 2:
        return _matrix_norm(x, ord, _axes(axis, rank), keepdims)
    if ord in (None, 2, "euclidean") or (ord == "fro" and axis is None):
        return _tf.sqrt(_tf.reduce_sum(_tf.square(x), axis=axis, keepdims=keepdims))
    if isinstance(ord, str):
        raise ValueError(f"norm: ord {ord!r} needs a matrix (two axes).")
    a = _tf.abs(x)
    if ord == np.inf:
        return _tf.reduce_max(a, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return _tf.reduce_min(a, axis=axis, keepdims=keepdims)
    if ord == 0:
        return _tf.reduce_sum(_tf.cast(_tf.not_equal(x, 0), x.dtype), axis=axis,
                              keepdims=keepdims)
    p = _tf.cast(ord, x.dtype)
    return _tf.pow(_tf.reduce_sum(_tf.pow(a, p), axis=axis, keepdims=keepdims), 1 / p)


@_op
def inv(a):
    """The inverse of each square matrix in the last two dimensions."""
    return _tf.linalg.inv(_float(a))


@_op
def det(a):
    """The determinant of each square matrix in the last two dimensions."""
    return _tf.linalg.det(_float(a))


@_op
def slogdet(x):
    """(sign, log |determinant|) of each square matrix."""
    return _tf.linalg.slogdet(_float(x))


@_op
def solve(a, b):
    """x with a @ x = b for each square matrix a (b a matrix, or a vector per matrix)."""
    a, b = _float_pair(a, b)
    if b.shape.ndims == a.shape.ndims - 1:  # NumPy: b of shape (..., n) is a vector
        return _tf.squeeze(_tf.linalg.solve(a, _tf.expand_dims(b, -1)), -1)
    return _tf.linalg.solve(a, b)


def _matrix_norm(x, ord, axes, keepdims):
    rows, cols = axes
    if ord in (None, "fro"):
        out = _tf.sqrt(_tf.reduce_sum(_tf.square(x), axis=axes, keepdims=True))
    elif ord in (1, -1, np.inf, -np.inf):
        summed, over = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = _tf.reduce_sum(_tf.abs(x), axis=summed, keepdims=True)
        pick = _tf.reduce_max if ord in (1, np.inf) else _tf.reduce_min
        out = pick(sums, axis=over, keepdims=True)
    else:
        raise ValueError(f"norm: matrix norm ord={ord!r} is not supported (singular values "
                         "are not available); use None/'fro', 1, -1, inf or -inf.")
    return out if keepdims else _tf.squeeze(out, axis=axes)


__all__ = sorted(name for name, value in list(globals().items())
                 if name not in _IMPORTED and not name.startswith("_") and callable(value))
