"""Classification ops of tf.nn: the fused softmax cross-entropies (loss and backprop in one
kernel, hand-written gradients, DESIGN.md rule 4), the sigmoid cross-entropy and in_top_k."""
import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.graph import name_scope
from tensorlet.framework.shapes import TensorShape

from .array import zeros_like
from .base import apply, as_tensor, binary_operands, declare
from .math import add, cast, exp, log1p, where
from .nn import _axis_arg, _norm_axis, log_softmax, softmax
from .reduction import reduce_sum

_rng = np.random.default_rng(3)


# -- Fused softmax cross-entropy --------------------------------------------------------------


def _xent_spec(inputs, attrs):
    logits, labels = inputs
    if not logits.dtype.is_floating or logits.dtype is not labels.dtype:
        raise TypeError(f"logits and labels must be of one floating dtype, got "
                        f"{logits.dtype.name} and {labels.dtype.name}")
    if not logits.shape.is_compatible_with(labels.shape):
        raise ValueError(f"labels shape {labels.shape} and logits shape {logits.shape} must "
                         "be equal")
    shape = logits.shape.merge_with(labels.shape)
    if shape.ndims == 0:
        raise ValueError("logits must have rank >= 1 (a class axis), got a scalar")
    ax = attrs["axis"] = _norm_axis(attrs["axis"], shape.ndims)
    if shape[ax] == 0:
        raise ValueError(f"logits shape {shape} has no classes along axis {ax}")
    loss = TensorShape([d for i, d in enumerate(shape.dims) if i != ax])
    return [(loss, logits.dtype), (shape, logits.dtype)]


def _xent_kernel(attrs, logits, labels):
    """Loss -sum(labels * log_softmax) and backprop softmax * sum(labels) - labels (the exact
    gradient; TF's softmax - labels is the same when each row of labels sums to 1)."""
    ax = attrs["axis"]
    shifted = logits - logits.max(axis=ax, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=ax, keepdims=True)
    loss = np.asarray(-np.sum(labels * (shifted - np.log(s)), axis=ax))
    e *= labels.sum(axis=ax, keepdims=True) / s
    return loss, e - labels


def _expand_loss_grad(gl, logits, ax):
    return apply("ExpandReduced", [gl, logits], {"axis": (ax,)})


def _is_zero(g):
    return g.op.type == "ZerosLike"


def _xent_grad(op, grads, needed):
    logits, labels = op.inputs
    gl, gb = grads
    ax = op.attrs["axis"]
    gle = _expand_loss_grad(gl, logits, ax)
    with_gb = not _is_zero(gb)
    if with_gb:  # the backprop output was itself used (second derivatives)
        s = softmax(logits, axis=ax)
        sgb = reduce_sum(gb * s, ax, keepdims=True)
    g_logits = g_labels = None
    if needed[0]:
        g_logits = gle * op.outputs[1]
        if with_gb:
            g_logits = g_logits + reduce_sum(labels, ax, keepdims=True) * (gb - sgb) * s
    if needed[1]:
        g_labels = gle * -log_softmax(logits, axis=ax)
        if with_gb:
            g_labels = g_labels + (sgb - gb)
    return [g_logits, g_labels]


def _xent_samples():
    def probs(*shape, axis=-1):
        p = _rng.uniform(0.1, 1, shape)
        return p / p.sum(axis=axis, keepdims=True)
    return [([_rng.standard_normal((3, 4)), probs(3, 4)], {"axis": -1}),
            ([_rng.standard_normal((2, 3, 4)), probs(2, 3, 4, axis=1)], {"axis": 1}),
            ([_rng.standard_normal((3, 4)), _rng.uniform(0, 2, (3, 4))], {"axis": -1})]


declare("SoftmaxCrossEntropyWithLogits", _xent_spec, _xent_kernel, grad=_xent_grad,
        samples=_xent_samples)


def _sparse_xent_spec(inputs, attrs):
    logits, labels = inputs
    if not logits.dtype.is_floating:
        raise TypeError(f"logits must be floating-point, got {logits.dtype.name}")
    if labels.dtype not in (_dt.int32, _dt.int64):
        raise TypeError(f"labels must be int32 or int64 class indices, got {labels.dtype.name}")
    if logits.shape.ndims == 0:
        raise ValueError("logits must have rank >= 1 (a class axis), got a scalar")
    batch = logits.shape[:-1] if logits.shape.ndims is not None else TensorShape(None)
    if not batch.is_compatible_with(labels.shape):
        raise ValueError(f"labels shape {labels.shape} must equal logits shape {logits.shape} "
                         "without its last (class) axis")
    return [(batch.merge_with(labels.shape), logits.dtype), (logits.shape, logits.dtype)]


def _sparse_xent_kernel(attrs, logits, labels):
    n = logits.shape[-1]
    flat = labels.reshape(-1)
    if flat.size and (flat.min() < 0 or flat.max() >= n):
        bad = (flat < 0) | (flat >= n)
        raise InvalidArgumentError(
            f"Received a label value of {flat[bad][0]} which is outside the "
            f"valid range of [0, {n}). Label values: {flat[:20]}")
    z = logits.reshape(flat.size, n)
    rows = np.arange(flat.size)
    shifted = z - z.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=-1, keepdims=True)
    loss = np.log(s[:, 0]) - shifted[rows, flat]
    e /= s
    e[rows, flat] -= 1
    return loss.reshape(labels.shape), e.reshape(logits.shape)


def _sparse_xent_grad(op, grads, needed):
    logits = op.inputs[0]
    gl, gb = grads
    ax = logits.shape.ndims - 1
    g = _expand_loss_grad(gl, logits, ax) * op.outputs[1]
    if not _is_zero(gb):
        s = softmax(logits)
        g = g + (gb - reduce_sum(gb * s, -1, keepdims=True)) * s
    return [g, None]


declare("SparseSoftmaxCrossEntropyWithLogits", _sparse_xent_spec, _sparse_xent_kernel,
        grad=_sparse_xent_grad, nondiff_inputs=(1,),
        samples=lambda: [([_rng.standard_normal((3, 4)), np.array([0, 3, 1], np.int32)], {}),
                         ([_rng.standard_normal((2, 2, 5)),
                           np.array([[4, 0], [2, 2]], np.int64)], {})])


def _only_named(_sentinel, labels, logits, fn):
    """TF 1.x's guard: these functions take labels and logits by name only."""
    if _sentinel is not None:
        raise ValueError(f"Only call `{fn}` with named arguments (labels=..., logits=..., "
                         "...)")
    if labels is None or logits is None:
        raise ValueError(f"{fn}: both labels and logits must be given")


def softmax_cross_entropy_with_logits_v2(labels, logits, axis=None, name=None, dim=None):
    """-sum(labels * log_softmax(logits)) along `axis`; gradients reach logits and labels."""
    logits, labels = binary_operands(logits, labels, "softmax_cross_entropy_with_logits")
    loss, _ = apply("SoftmaxCrossEntropyWithLogits", [logits, labels],
                    {"axis": _axis_arg(axis, dim)}, name=name)
    return loss


def softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, dim=-1,
                                      name=None, axis=None):
    """As `softmax_cross_entropy_with_logits_v2` (labels also receive gradients)."""
    _only_named(_sentinel, labels, logits, "softmax_cross_entropy_with_logits")
    return softmax_cross_entropy_with_logits_v2(labels, logits, axis=axis if axis is not None
                                                else dim, name=name)


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None,
                                             name=None):
    """Cross-entropy of integer class `labels` [...] against `logits` [..., classes]; a label
    outside [0, classes) raises InvalidArgumentError when run."""
    _only_named(_sentinel, labels, logits, "sparse_softmax_cross_entropy_with_logits")
    loss, _ = apply("SparseSoftmaxCrossEntropyWithLogits", [as_tensor(logits),
                                                            as_tensor(labels)], name=name)
    return loss


def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    """max(x, 0) - x * z + log(1 + exp(-|x|)) for logits x and labels z (stable for any x)."""
    _only_named(_sentinel, labels, logits, "sigmoid_cross_entropy_with_logits")
    with name_scope(name, "logistic_loss") as scope:
        logits, labels = binary_operands(logits, labels, "sigmoid_cross_entropy_with_logits")
        if not logits.shape.is_compatible_with(labels.shape):
            raise ValueError(f"logits and labels must have the same shape, got logits "
                             f"{logits.shape} and labels {labels.shape}")
        if not logits.dtype.is_floating:
            logits, labels = cast(logits, _dt.float32), cast(labels, _dt.float32)
        pos = logits >= 0
        zero = zeros_like(logits)
        relu_part = where(pos, logits, zero)
        neg_abs = where(pos, -logits, logits)  # where-form keeps the gradient right at x = 0
        return add(relu_part - logits * labels, log1p(exp(neg_abs)),
                   name=scope.rstrip("/") + "/")


# -- Ranking ---------------------------------------------------------------------------------


def _in_top_k_spec(inputs, attrs):
    p, t, k = inputs
    if not p.dtype.is_floating or p.shape.ndims not in (None, 2):
        raise ValueError(f"predictions must be a 2-D float tensor [batch, classes], got "
                         f"{p.dtype.name} {p.shape}")
    if t.dtype not in (_dt.int32, _dt.int64) or t.shape.ndims not in (None, 1):
        raise ValueError(f"targets must be a 1-D int32/int64 tensor, got {t.dtype.name} "
                         f"{t.shape}")
    if not k.dtype.is_integer or k.shape.ndims not in (None, 0):
        raise ValueError(f"k must be an integer scalar, got {k.dtype.name} {k.shape}")
    batch = p.shape[:1] if p.shape.ndims else TensorShape([None])
    if not batch.is_compatible_with(t.shape):
        raise ValueError(f"targets {t.shape} must have one entry per row of predictions "
                         f"{p.shape}")
    return [(batch.merge_with(t.shape), _dt.bool_)]


def _in_top_k_kernel(attrs, p, t, k):
    """True where fewer than k classes score strictly higher than the target (ties are in);
    False for an out-of-range target or a row with a non-finite score (as TF)."""
    n = p.shape[1]
    ok = (t >= 0) & (t < n)
    tp = np.take_along_axis(p, np.where(ok, t, 0)[:, None].astype(np.intp), 1)
    higher = (p > tp).sum(axis=1)
    return ok & np.isfinite(p).all(axis=1) & (higher < k)


declare("InTopKV2", _in_top_k_spec, _in_top_k_kernel)


def in_top_k(predictions, targets, k, name=None):
    """Whether each target class is among the top `k` predictions of its row."""
    t = as_tensor(targets)
    k = as_tensor(k, t.dtype) if not hasattr(k, "dtype") else as_tensor(k)
    return apply("InTopKV2", [as_tensor(predictions), t, k], name=name)


__all__ = [
    "in_top_k",
    "sigmoid_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2",
    "sparse_softmax_cross_entropy_with_logits",
]
