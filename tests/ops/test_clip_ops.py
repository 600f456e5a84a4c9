"""Clipping ops (clip.py): TF 1.x formulas against NumPy float64, gradients, None entries and
errors."""
import numpy as np
import pytest

import tensorlet as tf

rng = np.random.default_rng(3)


def run(fetches, feed=None):
    with tf.Session() as s:
        return s.run(fetches, feed)


def test_clip_by_value_values_and_gradient_at_bounds():
    x = tf.constant([-2.0, -1.0, 0.0, 1.0, 3.0])
    y = tf.clip_by_value(x, -1.0, 1.0)
    assert y.dtype == tf.float32 and y.shape == (5,)
    np.testing.assert_array_equal(run(y), [-1, -1, 0, 1, 1])
    g = tf.gradients(tf.reduce_sum(y), x)[0]
    np.testing.assert_array_equal(run(g), [0, 1, 1, 1, 0])  # the bounds themselves pass


def test_clip_by_value_tensor_bounds_ints_and_errors():
    a = rng.standard_normal((3, 4))
    lo = rng.standard_normal(4) - 0.5
    y = tf.clip_by_value(tf.constant(a), tf.constant(lo), 0.5)
    np.testing.assert_array_equal(run(y), np.minimum(np.maximum(a, lo), 0.5))
    yi = tf.clip_by_value(tf.constant([1, 5, 9]), 2, 6)
    assert yi.dtype == tf.int32
    np.testing.assert_array_equal(run(yi), [2, 5, 6])
    with pytest.raises(ValueError, match="must not broadcast t"):
        tf.clip_by_value(tf.zeros([3]), tf.zeros([2, 3]), 1.0)


def test_clip_by_norm():
    a = rng.standard_normal((3, 4))
    y = tf.clip_by_norm(tf.constant(a), 1.5)
    np.testing.assert_allclose(run(y), a * 1.5 / max(np.linalg.norm(a), 1.5), rtol=1e-12)
    y = tf.clip_by_norm(tf.constant(a), 1.0, axes=[1])
    n = np.linalg.norm(a, axis=1, keepdims=True)
    np.testing.assert_allclose(run(y), a / np.maximum(n, 1.0), rtol=1e-12)
    small = np.array([0.1, 0.2], np.float32)
    np.testing.assert_allclose(run(tf.clip_by_norm(small, 5.0)), small, rtol=1e-6)
    assert tf.clip_by_norm(small, 5.0).dtype == tf.float32


def test_clip_by_norm_of_zeros_has_finite_gradient():
    x = tf.zeros([3])
    g = tf.gradients(tf.reduce_sum(tf.clip_by_norm(x, 1.0)), x)[0]
    out = run(g)
    assert np.all(np.isfinite(out))
    np.testing.assert_array_equal(out, [1, 1, 1])


def test_global_norm_skips_none_and_checks_its_argument():
    a, b = rng.standard_normal((2, 3)), rng.standard_normal(4)
    n = tf.global_norm([tf.constant(a), None, tf.constant(b)])
    np.testing.assert_allclose(run(n), np.sqrt(np.sum(a * a) + np.sum(b * b)), rtol=1e-12)
    with pytest.raises(TypeError, match="t_list should be a sequence"):
        tf.global_norm(tf.constant(a))
    with pytest.raises(ValueError, match="no tensors"):
        tf.global_norm([None])


def test_clip_by_global_norm():
    a = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    total = np.sqrt(np.sum(a.astype(np.float64) ** 2) + np.sum(b.astype(np.float64) ** 2))
    clipped, norm = tf.clip_by_global_norm([a, None, tf.constant(b)], 1.0)
    assert clipped[1] is None and clipped[0].dtype == tf.float32
    ca, cb, nv = run([clipped[0], clipped[2], norm])
    np.testing.assert_allclose(nv, total, rtol=1e-6)
    np.testing.assert_allclose(ca, a / total, rtol=1e-5)
    np.testing.assert_allclose(cb, b / total, rtol=1e-5)
    big, _ = tf.clip_by_global_norm([a], 100.0)
    np.testing.assert_allclose(run(big[0]), a, rtol=1e-6)
    used, n2 = tf.clip_by_global_norm([a], 1.0, use_norm=2.0)
    np.testing.assert_allclose(run(used[0]), a / 2, rtol=1e-6)
    assert run(n2) == 2.0
    with pytest.raises(TypeError, match="t_list should be a sequence"):
        tf.clip_by_global_norm(tf.constant(a), 1.0)


def test_clip_by_global_norm_with_infinite_norm_gives_nan():
    clipped, _ = tf.clip_by_global_norm([tf.constant([np.inf, 1.0])], 1.0)
    assert np.all(np.isnan(run(clipped[0])))


def test_clip_by_global_norm_gradient_flows_through_the_norm():
    x = tf.constant([3.0, 4.0], tf.float64)
    (c,), _ = tf.clip_by_global_norm([x], 1.0)
    g = tf.gradients(c[0], x)[0]
    # c0 = x0 / |x|: d/dx0 = 1/|x| - x0^2/|x|^3, d/dx1 = -x0 x1 / |x|^3
    np.testing.assert_allclose(run(g), [1 / 5 - 9 / 125, -12 / 125], rtol=1e-12)
