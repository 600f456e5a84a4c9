"""tf.nn: values against independent NumPy float64 references, dtypes, gradients at kinks,
extreme inputs, dropout statistics and seeding, fused cross-entropies, and errors."""
import math

import numpy as np
import pytest

import tensorlet as tf
from tensorlet.errors import InvalidArgumentError

rng = np.random.default_rng(0)
SELU_A, SELU_S = 1.6732632423543772, 1.0507009873554805


def run(t, feed=None):
    with tf.Session() as s:
        return s.run(t, feed)


def grad_of(fn, x, seed=None):
    """(d sum(fn(x) * seed) / dx) at x (float64) via tf.gradients."""
    xt = tf.constant(x)
    y = fn(xt)
    return run(tf.gradients(y, xt, grad_ys=seed)[0])


def numeric_grad(fn, x, eps=1e-6):
    """Central differences of sum(fn(x)) in float64, one Session for all points."""
    xp = tf.placeholder(tf.float64, x.shape)
    y = tf.reduce_sum(fn(xp))
    g = np.zeros_like(x)
    with tf.Session() as s:
        for i in np.ndindex(x.shape):
            d = np.zeros_like(x)
            d[i] = eps
            g[i] = (s.run(y, {xp: x + d}) - s.run(y, {xp: x - d})) / (2 * eps)
    return g


def softmax_ref(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax_ref(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


ERF = np.vectorize(math.erf)
ACTIVATIONS = [
    (tf.nn.relu, lambda x: np.where(x > 0, x, 0.0)),
    (tf.nn.relu6, lambda x: np.minimum(np.maximum(x, 0), 6)),
    (tf.nn.elu, lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    (tf.nn.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * (np.exp(x) - 1))),
    (tf.nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x)),
    (lambda x: tf.nn.leaky_relu(x, alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * x)),
    (tf.nn.softplus, lambda x: np.log(1 + np.exp(x))),
    (tf.nn.softsign, lambda x: x / (1 + np.abs(x))),
    (tf.nn.gelu, lambda x: x * 0.5 * (1 + ERF(x / np.sqrt(2)))),
    (lambda x: tf.nn.gelu(x, approximate=True),
     lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    (tf.nn.silu, lambda x: x / (1 + np.exp(-x))),
    (tf.nn.swish, lambda x: x / (1 + np.exp(-x))),
    (lambda x: tf.nn.silu(x, beta=2.0), lambda x: x / (1 + np.exp(-2 * x))),
    (tf.nn.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    (tf.nn.tanh, np.tanh),
]


@pytest.mark.parametrize("fn,ref", ACTIVATIONS)
def test_activation_values_and_dtypes(fn, ref):
    x = np.concatenate([rng.uniform(-8, 8, 40), [0.0, 6.0, -0.5, 7.5]]).reshape(4, 11)
    out32 = run(fn(tf.constant(x.astype(np.float32))))
    assert out32.dtype == np.float32 and out32.shape == x.shape
    np.testing.assert_allclose(out32, ref(x.astype(np.float32).astype(np.float64)),
                               rtol=1e-5, atol=1e-6)
    out64 = run(fn(tf.constant(x)))
    assert out64.dtype == np.float64
    np.testing.assert_allclose(out64, ref(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fn,ref", ACTIVATIONS)
def test_activation_gradients_match_numeric(fn, ref):
    x = rng.uniform(-4, 4, (3, 5))
    x[np.abs(x) < 0.1] = 0.5
    x[np.abs(x - 6) < 0.1] = 5.5
    np.testing.assert_allclose(grad_of(fn, x), numeric_grad(fn, x), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fn,expected", [
    (tf.nn.relu, 0.0), (tf.nn.relu6, 0.0), (tf.nn.leaky_relu, 0.2),
    (lambda x: tf.nn.leaky_relu(x, 0.3), 0.3), (tf.nn.elu, 1.0), (tf.nn.selu, SELU_S),
    (tf.nn.softplus, 0.5), (tf.nn.gelu, 0.5), (tf.nn.softsign, 1.0),
])
def test_gradient_at_zero_follows_tf(fn, expected):
    assert grad_of(fn, np.zeros(3))[0] == pytest.approx(expected)


def test_relu6_gradient_at_six_is_zero():
    np.testing.assert_array_equal(grad_of(tf.nn.relu6, np.array([6.0, 5.9, 6.1])), [0, 1, 0])


def test_relu_second_derivative_is_zero_and_grad_of_grad_flows():
    x = tf.constant(np.array([-1.0, 2.0]))
    g = tf.gradients(tf.nn.elu(x), x)[0]
    # elu'' = exp(x) for x < 0, 0 for x > 0
    np.testing.assert_allclose(run(tf.gradients(g, x)[0]), [np.exp(-1.0), 0.0])
    g = tf.gradients(tf.nn.relu(x) * x, x)[0]  # 2x for x > 0
    np.testing.assert_allclose(run(tf.gradients(g, x)[0]), [0.0, 2.0])


def test_extreme_inputs_stay_finite():
    x = tf.constant(np.array([-1e4, -50.0, 0.0, 50.0, 1e4], np.float32))
    outs = run([tf.nn.softplus(x), tf.nn.elu(x), tf.nn.selu(x), tf.nn.gelu(x), tf.nn.silu(x),
                tf.nn.softsign(x)])
    for o in outs:
        assert np.all(np.isfinite(o)), o
    np.testing.assert_allclose(outs[0], [0, 0, np.log(2), 50, 1e4], atol=1e-6)
    np.testing.assert_allclose(outs[1][:2], [-1, -1])


def test_relu_keeps_integers_and_leaky_relu_casts_them():
    assert run(tf.nn.relu(tf.constant([-2, 3]))).tolist() == [0, 3]
    assert run(tf.nn.relu(tf.constant([-2, 3]))).dtype == np.int32
    out = run(tf.nn.leaky_relu(tf.constant([-2, 3])))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [-0.4, 3])


def test_float_only_activations_reject_integers():
    with pytest.raises(TypeError, match="floating-point.*int32"):
        tf.nn.elu(tf.constant([1, 2]))
    with pytest.raises(TypeError, match="numeric.*bool"):
        tf.nn.relu(tf.constant([True]))


# -- softmax / log_softmax -----------------------------------------------------------------------


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax_values(axis):
    x = rng.standard_normal((3, 4, 5))
    np.testing.assert_allclose(run(tf.nn.softmax(tf.constant(x), axis=axis)),
                               softmax_ref(x, axis), rtol=1e-12)
    np.testing.assert_allclose(run(tf.nn.log_softmax(tf.constant(x), axis=axis)),
                               log_softmax_ref(x, axis), rtol=1e-12)
    out = run(tf.nn.softmax(tf.constant(x.astype(np.float32)), dim=axis))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, softmax_ref(x, axis), rtol=1e-5)


def test_softmax_gradients_match_numeric():
    x = rng.standard_normal((2, 4))
    w = rng.standard_normal((2, 4))
    for fn in (tf.nn.softmax, tf.nn.log_softmax, lambda t: tf.nn.softmax(t, axis=0)):
        def weighted(t, fn=fn):
            return fn(t) * w
        np.testing.assert_allclose(grad_of(weighted, x), numeric_grad(weighted, x), rtol=1e-6,
                                   atol=1e-8)


def test_softmax_of_unknown_rank():
    x = tf.placeholder(tf.float64)
    v = rng.standard_normal((2, 3))
    w = np.array([1.0, 2.0, 3.0])
    y, g = run([tf.nn.softmax(x), tf.gradients(tf.nn.log_softmax(x) * w, x)[0]], {x: v})
    np.testing.assert_allclose(y, softmax_ref(v))
    np.testing.assert_allclose(g, w - softmax_ref(v) * w.sum())


def test_softmax_extreme_logits():
    x = tf.constant(np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]], np.float32))
    sm, lsm = run([tf.nn.softmax(x), tf.nn.log_softmax(x)])
    np.testing.assert_allclose(sm, [[1, 0, 0], [1 / 3] * 3], rtol=1e-6)
    np.testing.assert_allclose(lsm, [[0, -1e4, -2e4], [-np.log(3)] * 3], rtol=1e-6)


def test_softmax_errors():
    with pytest.raises(ValueError, match="axis 2 is out of range.*rank 2"):
        tf.nn.softmax(tf.zeros([2, 3]), axis=2)
    with pytest.raises(ValueError, match="rank >= 1"):
        tf.nn.softmax(tf.constant(1.0))
    with pytest.raises(ValueError, match="not both"):
        tf.nn.log_softmax(tf.zeros([2, 3]), axis=0, dim=1)


# -- bias_add ------------------------------------------------------------------------------------


def test_bias_add_layouts_and_gradient():
    x = rng.standard_normal((2, 3, 4, 5))
    b4, b3 = rng.standard_normal(5), rng.standard_normal(3)
    np.testing.assert_allclose(run(tf.nn.bias_add(x, b4)), x + b4)
    np.testing.assert_allclose(run(tf.nn.bias_add(x, b3, data_format="NCHW")),
                               x + b3[:, None, None])
    xt, bt = tf.constant(x), tf.constant(b3)
    y = tf.nn.bias_add(xt, bt, data_format="NCHW")
    w = rng.standard_normal(x.shape)
    gx, gb = run(tf.gradients(y, [xt, bt], grad_ys=tf.constant(w)))
    np.testing.assert_allclose(gx, w)
    np.testing.assert_allclose(gb, w.sum(axis=(0, 2, 3)))
    bt = tf.constant(b4.astype(np.float32))
    y = tf.nn.bias_add(tf.constant(x.astype(np.float32)), bt)
    gb = run(tf.gradients(y, bt, grad_ys=tf.constant(w.astype(np.float32)))[0])
    assert gb.dtype == np.float32
    np.testing.assert_allclose(gb, w.sum(axis=(0, 1, 2)), rtol=1e-5)


def test_bias_add_errors():
    with pytest.raises(ValueError, match=r"bias of shape \(4,\).*5 channels.*\(2, 5\)"):
        tf.nn.bias_add(tf.zeros([2, 5]), tf.zeros([4]))
    with pytest.raises(ValueError, match="rank >= 2"):
        tf.nn.bias_add(tf.zeros([5]), tf.zeros([5]))
    with pytest.raises(ValueError, match="data_format"):
        tf.nn.bias_add(tf.zeros([2, 5]), tf.zeros([5]), data_format="HWCN")
    with pytest.raises(ValueError, match="1-D"):
        tf.nn.bias_add(tf.zeros([2, 5]), tf.zeros([1, 5]))


def test_xw_plus_b():
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal(2)
    np.testing.assert_allclose(run(tf.nn.xw_plus_b(x, w, b)), x @ w + b)


# -- norms and normalisation ---------------------------------------------------------------------


def test_l2_loss_and_l2_normalize():
    x = rng.standard_normal((3, 4))
    assert run(tf.nn.l2_loss(tf.constant(x))) == pytest.approx((x ** 2).sum() / 2)
    assert run(tf.nn.l2_loss(tf.constant(x.astype(np.float32)))).dtype == np.float32
    np.testing.assert_allclose(run(tf.nn.l2_normalize(x, axis=1)),
                               x / np.sqrt((x ** 2).sum(1, keepdims=True)))
    np.testing.assert_allclose(run(tf.nn.l2_normalize(x)), x / np.sqrt((x ** 2).sum()))
    zero = run(tf.nn.l2_normalize(tf.zeros([2, 3]), axis=-1))
    np.testing.assert_array_equal(zero, 0)
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        tf.nn.l2_normalize(tf.zeros([2, 3]), axis=3)


def test_moments_values_shapes_and_gradient():
    x = rng.standard_normal((4, 3, 2))
    mean, var = tf.nn.moments(tf.constant(x), axes=[0, 2])
    assert mean.shape.as_list() == [3] and var.shape.as_list() == [3]
    m, v = run([mean, var])
    np.testing.assert_allclose(m, x.mean(axis=(0, 2)))
    np.testing.assert_allclose(v, x.var(axis=(0, 2)))
    mean, var = tf.nn.moments(tf.constant(x), axes=[0], keep_dims=True)
    assert var.shape.as_list() == [1, 3, 2]

    def fn(t):
        return tf.nn.moments(t, axes=[0])[1] * np.arange(1.0, 4.0)
    np.testing.assert_allclose(grad_of(fn, x[:, :, 0]), numeric_grad(fn, x[:, :, 0]),
                               rtol=1e-6, atol=1e-8)


def test_batch_normalization_values():
    x = rng.standard_normal((5, 3))
    mean, var = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    off, sc = rng.standard_normal(3), rng.standard_normal(3)
    ref = (x - mean) / np.sqrt(var + 1e-3) * sc + off
    np.testing.assert_allclose(run(tf.nn.batch_normalization(x, mean, var, off, sc, 1e-3)), ref)
    np.testing.assert_allclose(run(tf.nn.batch_normalization(x, mean, var, None, None, 1e-3)),
                               (x - mean) / np.sqrt(var + 1e-3))
    out = run(tf.nn.batch_normalization(tf.constant(x.astype(np.float32)), mean, var, off, sc,
                                        1e-3))
    assert out.dtype == np.float32


# -- dropout -------------------------------------------------------------------------------------


def test_dropout_statistics_and_scaling():
    x = np.ones((200, 500), np.float32)
    out = run(tf.nn.dropout(tf.constant(x), keep_prob=0.3))
    assert out.dtype == np.float32
    kept = out != 0
    assert abs(kept.mean() - 0.3) < 0.01  # 100k draws: std of the mean is 0.0015
    np.testing.assert_allclose(out[kept], 1 / np.float32(0.3))
    out = run(tf.nn.dropout(tf.constant(x), rate=0.8))
    assert abs((out != 0).mean() - 0.2) < 0.01


def test_dropout_gradient_is_the_mask():
    xt = tf.constant(rng.uniform(1, 2, (50, 40)))
    y = tf.nn.dropout(xt, 0.5)
    out, g = run([y, tf.gradients(y, xt)[0]])
    np.testing.assert_allclose(g, np.where(out != 0, 2.0, 0.0))


def test_dropout_repeatable_with_graph_seed():
    def build_and_run_twice():
        tf.reset_default_graph()
        tf.set_random_seed(42)
        y = tf.nn.dropout(tf.ones([30, 30]), 0.5)
        with tf.Session() as s:
            return s.run(y), s.run(y)
    a1, a2 = build_and_run_twice()
    b1, b2 = build_and_run_twice()
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(a1, a2)  # the stream advances within a session


def test_dropout_seed_attrs_follow_tf_rule():
    g = tf.get_default_graph()
    tf.nn.dropout(tf.ones([3]), 0.5, seed=7)  # op seed only: TF's default graph seed
    mask = [op for op in g.get_operations() if op.type == "DropoutMask"][-1]
    assert (mask.attrs["seed"], mask.attrs["seed2"]) == (87654321, 7)
    g.seed = 5
    tf.nn.dropout(tf.ones([3]), 0.5)
    mask = [op for op in g.get_operations() if op.type == "DropoutMask"][-1]
    assert mask.attrs["seed"] == 5 and mask.attrs["seed2"] == mask._id


def test_dropout_op_seed_repeatable_and_unseeded_differs():
    y = tf.nn.dropout(tf.ones([40, 40]), 0.5, seed=3)
    z = tf.nn.dropout(tf.ones([40, 40]), 0.5)
    with tf.Session() as s1:
        y1, z1 = s1.run([y, z])
    with tf.Session() as s2:
        y2, z2 = s2.run([y, z])
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(z1, z2)


def test_dropout_keep_prob_placeholder():
    kp = tf.placeholder(tf.float32, [])
    y = tf.nn.dropout(tf.ones([100, 100]), kp)
    with tf.Session() as s:
        np.testing.assert_array_equal(s.run(y, {kp: 1.0}), 1.0)
        assert abs((s.run(y, {kp: 0.25}) != 0).mean() - 0.25) < 0.02
        with pytest.raises(InvalidArgumentError, match=r"keep_prob must be in \(0, 1\], got 0"):
            s.run(y, {kp: 0.0})


def test_dropout_noise_shape_broadcasts_the_mask():
    out = run(tf.nn.dropout(tf.ones([50, 8]), 0.5, noise_shape=[50, 1]))
    assert (out == out[:, :1]).all()
    out = run(tf.nn.dropout(tf.ones([50, 8]), 0.5, noise_shape=[None, 1]))
    assert (out == out[:, :1]).all() and 0 < (out != 0).mean() < 1


def test_dropout_keep_prob_one_is_identity():
    x = tf.constant([1.0, 2.0])
    assert tf.nn.dropout(x, 1.0) is x


def test_dropout_errors():
    x = tf.ones([4, 3])
    for kp in (0.0, 1.5, -0.1):
        with pytest.raises(ValueError, match=r"keep_prob must be in \(0, 1\]"):
            tf.nn.dropout(x, kp)
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        tf.nn.dropout(x, rate=1.0)
    with pytest.raises(ValueError, match="exactly one"):
        tf.nn.dropout(x, 0.5, rate=0.5)
    with pytest.raises(ValueError, match="exactly one"):
        tf.nn.dropout(x)
    with pytest.raises(ValueError, match="floating-point.*int32"):
        tf.nn.dropout(tf.constant([1, 2]), 0.5)
    with pytest.raises(ValueError, match="noise_shape.*rank"):
        tf.nn.dropout(x, 0.5, noise_shape=[4])
    with pytest.raises(ValueError, match="does not broadcast"):
        tf.nn.dropout(x, 0.5, noise_shape=[4, 2])


# -- fused softmax cross-entropy -----------------------------------------------------------------


def xent_ref(labels, logits, axis=-1):
    return -(labels * log_softmax_ref(logits, axis)).sum(axis=axis)


def test_softmax_xent_values_dtype_and_axis():
    logits = rng.standard_normal((4, 5))
    labels = softmax_ref(rng.standard_normal((4, 5)))
    np.testing.assert_allclose(
        run(tf.nn.softmax_cross_entropy_with_logits_v2(labels, logits)), xent_ref(labels, logits))
    out = run(tf.nn.softmax_cross_entropy_with_logits(labels=labels.astype(np.float32),
                                                      logits=logits.astype(np.float32)))
    assert out.dtype == np.float32 and out.shape == (4,)
    np.testing.assert_allclose(out, xent_ref(labels, logits), rtol=1e-5)
    out = run(tf.nn.softmax_cross_entropy_with_logits_v2(labels.T, logits.T, axis=0))
    np.testing.assert_allclose(out, xent_ref(labels, logits))
    x3, l3 = rng.standard_normal((2, 3, 4)), softmax_ref(rng.standard_normal((2, 3, 4)), 1)
    out = run(tf.nn.softmax_cross_entropy_with_logits(labels=l3, logits=x3, dim=1))
    np.testing.assert_allclose(out, xent_ref(l3, x3, 1))


def test_softmax_xent_gradients_reach_logits_and_labels():
    logits = rng.standard_normal((3, 4))
    labels = softmax_ref(rng.standard_normal((3, 4)))
    lt, zt = tf.constant(labels), tf.constant(logits)
    w = rng.standard_normal(3)
    loss = tf.nn.softmax_cross_entropy_with_logits(labels=lt, logits=zt)
    gz, gl = run(tf.gradients(loss, [zt, lt], grad_ys=tf.constant(w)))
    np.testing.assert_allclose(gz, w[:, None] * (softmax_ref(logits) - labels))
    np.testing.assert_allclose(gl, -w[:, None] * log_softmax_ref(logits))


def test_softmax_xent_gradient_exact_for_unnormalised_labels():
    logits, labels = rng.standard_normal((2, 3)), rng.uniform(0, 2, (2, 3))

    def fn(z):
        return tf.nn.softmax_cross_entropy_with_logits_v2(labels, z)
    np.testing.assert_allclose(grad_of(fn, logits), numeric_grad(fn, logits), rtol=1e-6)


def test_softmax_xent_second_derivative():
    logits = rng.standard_normal((2, 4))
    labels = softmax_ref(rng.standard_normal((2, 4)))
    v = rng.standard_normal((2, 4))
    zt = tf.constant(logits)
    g = tf.gradients(tf.nn.softmax_cross_entropy_with_logits_v2(labels, zt), zt)[0]
    hv = run(tf.gradients(g * v, zt)[0])
    s = softmax_ref(logits)
    ref = s * v - s * (s * v).sum(axis=1, keepdims=True)  # (diag(s) - s sᵀ) v per row
    np.testing.assert_allclose(hv, ref, atol=1e-12)


def test_softmax_xent_extreme_logits():
    logits = tf.constant(np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, 1e4]], np.float32))
    labels = tf.constant(np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]], np.float32))
    loss = tf.nn.softmax_cross_entropy_with_logits_v2(labels, logits)
    out, g = run([loss, tf.gradients(loss, logits)[0]])
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(g))
    np.testing.assert_allclose(out, [1e4, 2e4], rtol=1e-6)
    np.testing.assert_allclose(g, [[1, -1, 0], [-0.5, -0.5, 1]], atol=1e-6)


def test_softmax_xent_errors():
    with pytest.raises(ValueError, match=r"labels shape \(4, 3\) and logits shape \(4, 5\)"):
        tf.nn.softmax_cross_entropy_with_logits_v2(tf.zeros([4, 3]), tf.zeros([4, 5]))
    with pytest.raises(ValueError, match="named arguments"):
        tf.nn.softmax_cross_entropy_with_logits(tf.zeros([2, 3]), tf.zeros([2, 3]))
    with pytest.raises(ValueError, match="both labels and logits"):
        tf.nn.sigmoid_cross_entropy_with_logits(logits=tf.zeros([2, 3]))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        tf.nn.softmax_cross_entropy_with_logits_v2(tf.zeros([2, 3]), tf.zeros([2, 3]), axis=2)


# -- sparse softmax cross-entropy ----------------------------------------------------------------


def test_sparse_xent_values_and_gradient():
    logits = rng.standard_normal((2, 3, 5))
    labels = np.array([[0, 4, 2], [1, 1, 3]], np.int64)
    onehot = np.eye(5)[labels]
    zt = tf.constant(logits)
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=zt)
    assert loss.shape.as_list() == [2, 3]
    out, g = run([loss, tf.gradients(loss, zt)[0]])
    np.testing.assert_allclose(out, xent_ref(onehot, logits))
    np.testing.assert_allclose(g, softmax_ref(logits) - onehot)
    out = run(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.constant([1, 0]), logits=tf.constant(logits[0, :2].astype(np.float32))))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, xent_ref(np.eye(5)[[1, 0]], logits[0, :2]), rtol=1e-5)


def test_sparse_xent_second_derivative_and_extremes():
    logits = rng.standard_normal((3, 4))
    v = rng.standard_normal((3, 4))
    zt = tf.constant(logits)
    g = tf.gradients(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=[0, 1, 3], logits=zt), zt)[0]
    s = softmax_ref(logits)
    np.testing.assert_allclose(run(tf.gradients(g * v, zt)[0]),
                               s * v - s * (s * v).sum(1, keepdims=True), atol=1e-12)
    big = tf.constant(np.array([[1e4, -1e4, 0.0]], np.float32))
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[1], logits=big)
    out, gr = run([loss, tf.gradients(loss, big)[0]])
    np.testing.assert_allclose(out, [2e4])
    np.testing.assert_allclose(gr, [[1, -1, 0]], atol=1e-6)


def test_sparse_xent_errors():
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant([0, 7]),
                                                          logits=tf.zeros([2, 5]))
    with pytest.raises(InvalidArgumentError, match=r"label value of 7.*\[0, 5\)"):
        run(loss)
    with pytest.raises(InvalidArgumentError, match="label value of -1"):
        run(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[-1], logits=tf.zeros([1, 5])))
    with pytest.raises(ValueError, match=r"labels shape \(3,\).*logits shape \(2, 5\)"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 1, 2], logits=tf.zeros([2, 5]))
    with pytest.raises(TypeError, match="int32 or int64.*float32"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0.0, 1.0],
                                                       logits=tf.zeros([2, 5]))


# -- sigmoid cross-entropy -----------------------------------------------------------------------


def test_sigmoid_xent_values_gradient_and_extremes():
    logits = np.array([-1e4, -3.0, 0.0, 0.0, 2.5, 1e4])
    labels = np.array([0.0, 1.0, 0.0, 1.0, 0.3, 1.0])
    ref = np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))
    zt = tf.constant(logits.astype(np.float32))
    loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels.astype(np.float32), logits=zt)
    out, g = run([loss, tf.gradients(loss, zt)[0]])
    assert out.dtype == np.float32 and np.all(np.isfinite(out))
    np.testing.assert_allclose(out, ref, rtol=1e-6, atol=1e-7)
    sig = 0.5 * (1 + np.tanh(logits / 2))
    np.testing.assert_allclose(g, sig - labels, atol=1e-6)  # 0.5 - z exactly at logit 0


def test_sigmoid_xent_shape_mismatch():
    with pytest.raises(ValueError, match=r"logits \(4,\) and labels \(4, 1\)"):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.zeros([4, 1]), logits=tf.zeros([4]))


# -- in_top_k and embedding_lookup ---------------------------------------------------------------


def test_in_top_k_ties_ranges_and_nonfinite():
    p = np.array([[0.1, 0.3, 0.3, 0.2], [0.5, 0.1, 0.2, 0.2], [0.1, np.nan, 0.5, 0.2],
                  [0.4, 0.3, 0.2, 0.1]], np.float32)
    t = np.array([2, 3, 2, 4], np.int32)
    assert run(tf.nn.in_top_k(p, t, 1)).tolist() == [True, False, False, False]
    assert run(tf.nn.in_top_k(p, t, 2)).tolist() == [True, True, False, False]
    assert run(tf.nn.in_top_k(p, t.astype(np.int64), 3)).tolist() == [True, True, False, False]
    with pytest.raises(ValueError, match="one entry per row"):
        tf.nn.in_top_k(p, [0, 1], 1)


def _has_gather():
    import importlib.util
    return importlib.util.find_spec("tensorlet.ops.indexing") is not None


@pytest.mark.skipif(not _has_gather(), reason="needs gather from tensorlet.ops.indexing")
def test_embedding_lookup_values_partitions_and_max_norm():
    table = rng.standard_normal((7, 3))
    ids = np.array([[0, 6], [3, 3]])
    np.testing.assert_allclose(run(tf.nn.embedding_lookup(table, ids)), table[ids])
    mod = [table[p::3] for p in range(3)]
    np.testing.assert_allclose(run(tf.nn.embedding_lookup(mod, ids)), table[ids])
    div = [table[:3], table[3:5], table[5:]]
    np.testing.assert_allclose(run(tf.nn.embedding_lookup(div, ids, "div")), table[ids])
    out = run(tf.nn.embedding_lookup(table, ids, max_norm=0.5))
    norms = np.linalg.norm(table[ids], axis=-1, keepdims=True)
    np.testing.assert_allclose(out, table[ids] * np.minimum(1, 0.5 / norms))
    with pytest.raises(ValueError, match=r"partition sizes \[3, 4\].*'mod'"):
        tf.nn.embedding_lookup([table[:3], table[3:]], ids)
    with pytest.raises(TypeError, match="integers"):
        tf.nn.embedding_lookup(table, [0.5])
