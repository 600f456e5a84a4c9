"""`keras.ops.nn`: Keras 3's neural-network ops (activations, softmax, moments, normalize,
cross-entropies) on the Keras activations and losses."""
import numpy as np

import tensorlet as _tf
from tensorlet.keras import activations as _act
from tensorlet.keras import backend as _backend
from tensorlet.keras import losses as _losses
from tensorlet.keras.ops.core import _float, _op, _t
from tensorlet.keras.ops.linalg import norm

_IMPORTED = set(globals())


def _activation(fn):
    @_op
    def op(x, *args, **kwargs):
        return fn(_float(x), *args, **kwargs)
    op.__doc__ = fn.__doc__
    return op


relu = _activation(_act.relu)
relu6 = _activation(_act.relu6)
sigmoid = _activation(_act.sigmoid)
softplus = _activation(_act.softplus)
softsign = _activation(_act.softsign)
silu = swish = _activation(_act.silu)
selu = _activation(_act.selu)
elu = _activation(_act.elu)
hard_sigmoid = _activation(_act.hard_sigmoid)
leaky_relu = _activation(_act.leaky_relu)


@_op
def gelu(x, approximate=True):
    """GELU; keras.ops approximates (tanh form) by default, the activation does not."""
    return _act.gelu(_float(x), approximate=approximate)


@_op
def softmax(x, axis=-1):
    """Softmax along `axis` (an int or a tuple of axes)."""
    x = _float(x)
    if isinstance(axis, (int, np.integer)):
        return _act.softmax(x, axis=int(axis))
    e = _tf.exp(x - _tf.stop_gradient(_tf.reduce_max(x, axis=list(axis), keepdims=True)))
    return e / _tf.reduce_sum(e, axis=list(axis), keepdims=True)


@_op
def log_softmax(x, axis=-1):
    """Log-softmax along `axis` (an int or a tuple of axes)."""
    x = _float(x)
    if isinstance(axis, (int, np.integer)):
        return _act.log_softmax(x, axis=int(axis))
    return x - _tf.reduce_logsumexp(x, axis=list(axis), keepdims=True)


@_op
def log_sigmoid(x):
    return -_act.softplus(-_float(x))


@_op
def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) over `axes`."""
    x = _float(x)
    mean_ = _tf.reduce_mean(x, axis=axes, keepdims=True)
    variance = _tf.reduce_mean(_tf.square(x - mean_), axis=axes, keepdims=keepdims)
    return (mean_ if keepdims else _tf.squeeze(mean_, axis=axes)), variance


@_op
def normalize(x, axis=-1, order=2, epsilon=None):
    """x divided by its `order`-norm along `axis` (at least `epsilon`, default Keras's)."""
    x = _float(x)
    eps = _backend.epsilon() if epsilon is None else epsilon
    return x / _tf.maximum(norm(x, ord=order, axis=axis, keepdims=True), _tf.cast(eps, x.dtype))


@_op
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy (no mean over the last axis, unlike the loss)."""
    output = _float(output)
    target = _tf.cast(_t(target), output.dtype)
    if from_logits:
        return _tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    eps = _tf.cast(_backend.epsilon(), output.dtype)
    output = _tf.clip_by_value(output, eps, 1 - eps)
    return -(target * _tf.math.log(output) + (1 - target) * _tf.math.log(1 - output))


@_op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of one-hot targets, summed over `axis`."""
    return _losses.categorical_crossentropy(_t(target), _float(output), from_logits=from_logits,
                                            axis=axis)


@_op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of integer targets against class scores along `axis`."""
    output = _float(output)
    rank = output.shape.ndims
    if axis % rank != rank - 1:  # the class axis last
        perm = [a for a in range(rank) if a != axis % rank] + [axis % rank]
        output = _tf.transpose(output, perm)
    return _losses.sparse_categorical_crossentropy(_t(target), output, from_logits=from_logits)


__all__ = sorted(name for name, value in list(globals().items())
                 if name not in _IMPORTED and not name.startswith("_") and callable(value))
