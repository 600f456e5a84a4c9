"""tf.losses (TF 1.x): per-element values against NumPy float64, weights and every Reduction,
label smoothing, the LOSSES collection, dtypes, and shape errors."""
import numpy as np
import pytest

import tensorlet as tf

rng = np.random.default_rng(0)
R = tf.losses.Reduction


def run(t, feed=None):
    with tf.Session() as s:
        return s.run(t, feed)


def reduce_ref(per_element, weights, reduction=R.SUM_BY_NONZERO_WEIGHTS):
    """TF1's compute_weighted_loss, written out in NumPy float64."""
    w = np.broadcast_to(np.asarray(weights, np.float64), per_element.shape)
    total = (per_element * w).sum()
    if reduction == R.NONE:
        return per_element * w
    if reduction == R.SUM:
        return total
    denom = {R.MEAN: w.sum(), R.SUM_OVER_BATCH_SIZE: per_element.size,
             R.SUM_BY_NONZERO_WEIGHTS: (w != 0).sum()}[reduction]
    return total / denom if denom else 0.0


def huber_ref(e, d):
    a = np.abs(e)
    return np.where(a <= d, 0.5 * a ** 2, 0.5 * d ** 2 + d * (a - d))


def log_softmax_ref(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def sigmoid_xent_ref(z, x):
    return np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))


LABELS = rng.uniform(0.05, 0.95, (4, 3))
PREDS = rng.uniform(0.05, 0.95, (4, 3))
REGRESSION = [
    (tf.losses.mean_squared_error, lambda y, p: (p - y) ** 2),
    (tf.losses.absolute_difference, lambda y, p: np.abs(p - y)),
    (tf.losses.huber_loss, lambda y, p: huber_ref(p - y, 1.0)),
    (lambda y, p, **kw: tf.losses.huber_loss(y, p, delta=0.2, **kw),
     lambda y, p: huber_ref(p - y, 0.2)),
    (tf.losses.log_loss,
     lambda y, p: -y * np.log(p + 1e-7) - (1 - y) * np.log(1 - p + 1e-7)),
    (tf.losses.hinge_loss, lambda y, p: np.maximum(0, 1 - (2 * y - 1) * p)),
]
WEIGHTS = [1.0, 2.5, 0.0, np.array([[1.0], [0.0], [2.0], [0.5]]),
           np.array([[1.0, 0.0, 3.0]]), (rng.uniform(size=(4, 3)) > 0.5) * 1.5]


@pytest.mark.parametrize("fn,ref", REGRESSION)
@pytest.mark.parametrize("wi", range(len(WEIGHTS)))
def test_regression_losses_default_reduction(fn, ref, wi):
    w = WEIGHTS[wi]
    out = run(fn(LABELS, PREDS, weights=w))
    np.testing.assert_allclose(out, reduce_ref(ref(LABELS, PREDS), w), rtol=1e-12)


@pytest.mark.parametrize("reduction", R.all())
def test_every_reduction(reduction):
    w = WEIGHTS[3]
    out = run(tf.losses.mean_squared_error(LABELS, PREDS, weights=w, reduction=reduction))
    np.testing.assert_allclose(out, reduce_ref((PREDS - LABELS) ** 2, w, reduction))
    if reduction == R.NONE:
        assert out.shape == (4, 3)


def test_default_reduction_is_sum_by_nonzero_weights():
    assert R.SUM_BY_NONZERO_WEIGHTS == R.SUM_OVER_NONZERO_WEIGHTS == \
        "weighted_sum_by_nonzero_weights"
    w = tf.placeholder(tf.float64, [4, 1])
    loss = tf.losses.absolute_difference(LABELS, PREDS, weights=w)
    wv = np.array([[0.0], [0.0], [2.0], [0.0]])
    np.testing.assert_allclose(run(loss, {w: wv}), 2 * np.abs(PREDS - LABELS)[2].sum() / 3)
    np.testing.assert_allclose(run(loss, {w: np.zeros((4, 1))}), 0.0)  # no NaN


def test_dtypes():
    out = run(tf.losses.mean_squared_error(LABELS.astype(np.float32), PREDS.astype(np.float32)))
    assert out.dtype == np.float32
    out = run(tf.losses.mean_squared_error(LABELS, PREDS))
    assert out.dtype == np.float64
    out = run(tf.losses.absolute_difference([1, 2], [2, 4]))  # integers compute in float32
    assert out.dtype == np.float32 and out == pytest.approx(1.5)


def test_cosine_distance():
    y = LABELS / np.linalg.norm(LABELS, axis=1, keepdims=True)
    p = PREDS / np.linalg.norm(PREDS, axis=1, keepdims=True)
    out = run(tf.losses.cosine_distance(y, p, axis=1, reduction=R.NONE))
    assert out.shape == (4, 1)
    np.testing.assert_allclose(out[:, 0], 1 - (y * p).sum(1))
    np.testing.assert_allclose(run(tf.losses.cosine_distance(y, p, dim=1)),
                               (1 - (y * p).sum(1)).mean())
    with pytest.raises(ValueError, match="axis"):
        tf.losses.cosine_distance(y, p)


def test_softmax_cross_entropy_smoothing_weights_and_no_label_gradient():
    logits = rng.standard_normal((5, 4)) * 3
    onehot = np.eye(4)[[0, 3, 1, 1, 2]]
    w = np.array([1.0, 0.0, 2.0, 1.0, 0.5])
    smooth = onehot * 0.9 + 0.1 / 4
    ref = reduce_ref(-(smooth * log_softmax_ref(logits)).sum(1), w)
    labels = tf.constant(onehot)
    loss = tf.losses.softmax_cross_entropy(labels, logits, weights=w, label_smoothing=0.1)
    np.testing.assert_allclose(run(loss), ref)
    assert tf.gradients(loss, labels)[0] is None
    ph = tf.placeholder(tf.float32, [None, None])
    loss = tf.losses.softmax_cross_entropy(ph, logits.astype(np.float32), label_smoothing=0.1)
    out = run(loss, {ph: onehot})
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, reduce_ref(-(smooth * log_softmax_ref(logits)).sum(1), 1.0),
                               rtol=1e-5)


def test_softmax_cross_entropy_extreme_logits():
    logits = np.array([[1e4, -1e4, 0.0]], np.float32)
    loss = tf.losses.softmax_cross_entropy(np.array([[0, 1, 0]], np.float32), logits)
    assert run(loss) == pytest.approx(2e4)


def test_sparse_softmax_cross_entropy_squeezes_labels_and_weights():
    logits = rng.standard_normal((5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    w = np.array([1.0, 0.0, 2.0, 1.0, 0.5])
    per = -log_softmax_ref(logits)[np.arange(5), labels]
    out = run(tf.losses.sparse_softmax_cross_entropy(labels, logits, weights=w))
    np.testing.assert_allclose(out, reduce_ref(per, w))
    out = run(tf.losses.sparse_softmax_cross_entropy(labels[:, None], logits,
                                                     weights=w[:, None]))
    np.testing.assert_allclose(out, reduce_ref(per, w))
    with pytest.raises(ValueError, match=r"labels shape \(4,\).*logits shape \(5, 4\)"):
        tf.losses.sparse_softmax_cross_entropy(labels[:4], logits)


def test_sigmoid_cross_entropy_with_smoothing():
    logits = rng.standard_normal((4, 3)) * 4
    z = (rng.uniform(size=(4, 3)) > 0.5).astype(np.float64)
    w = np.array([[1.0], [2.0], [0.0], [1.0]])
    out = run(tf.losses.sigmoid_cross_entropy(z, logits, weights=w, label_smoothing=0.2))
    np.testing.assert_allclose(out, reduce_ref(sigmoid_xent_ref(z * 0.8 + 0.1, logits), w))
    out = run(tf.losses.sigmoid_cross_entropy(z.astype(np.int32), logits.astype(np.float32)))
    assert out.dtype == np.float32


def test_shape_mismatch_is_an_error_not_a_broadcast():
    with pytest.raises(ValueError, match=r"labels shape \(4, 1\) and predictions shape \(4,\)"):
        tf.losses.mean_squared_error(tf.zeros([4, 1]), tf.zeros([4]))
    with pytest.raises(ValueError, match=r"onehot_labels shape \(4, 3\).*logits shape \(4, 5\)"):
        tf.losses.softmax_cross_entropy(tf.zeros([4, 3]), tf.zeros([4, 5]))
    with pytest.raises(ValueError, match=r"multi_class_labels shape \(4,\)"):
        tf.losses.sigmoid_cross_entropy(tf.zeros([4]), tf.zeros([4, 1]))
    with pytest.raises(ValueError, match="must not be None"):
        tf.losses.huber_loss(None, tf.zeros([4]))


def test_weights_must_broadcast_by_tf_rule():
    with pytest.raises(ValueError, match=r"weights of shape \(4,\).*losses of shape \(4, 3\)"):
        tf.losses.mean_squared_error(LABELS, PREDS, weights=np.ones(4))
    with pytest.raises(ValueError, match=r"weights of shape \(2, 3\)"):
        tf.losses.mean_squared_error(LABELS, PREDS, weights=tf.ones([2, 3], tf.float64))
    with pytest.raises(ValueError, match="Invalid Reduction key 'mean'"):
        tf.losses.mean_squared_error(LABELS, PREDS, reduction="mean")


def test_losses_collection_and_total_loss():
    a = tf.losses.mean_squared_error(LABELS, PREDS)
    b = tf.losses.absolute_difference(LABELS, PREDS, loss_collection=None)
    c = tf.losses.log_loss(LABELS, PREDS)
    assert tf.losses.get_losses() == [a, c]
    assert tf.get_collection(tf.GraphKeys.LOSSES) == [a, c]
    tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, tf.constant(0.25, tf.float64))
    total, no_reg, reg = run([tf.losses.get_total_loss(),
                              tf.losses.get_total_loss(add_regularization_losses=False),
                              tf.losses.get_regularization_loss()])
    va, vc = run([a, c])
    np.testing.assert_allclose([total, no_reg, reg], [va + vc + 0.25, va + vc, 0.25])
    tf.losses.add_loss(b)
    assert tf.losses.get_losses() == [a, c, b]


def test_total_loss_without_losses_raises():
    with pytest.raises(ValueError, match="no losses"):
        tf.losses.get_total_loss()
    assert run(tf.losses.get_regularization_loss()) == 0.0


def test_gradient_of_weighted_loss():
    p = tf.constant(PREDS)
    w = WEIGHTS[3]
    g = run(tf.gradients(tf.losses.mean_squared_error(LABELS, p, weights=w), p)[0])
    np.testing.assert_allclose(g, 2 * (PREDS - LABELS) * w / (np.broadcast_to(w, (4, 3)) != 0)
                               .sum())
