"""TF 1.x initializers: values, distributions, fan computation, seeds, configs, errors."""
import math

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import initializers as init


def _value(initializer, shape, dtype=None):
    t = initializer(shape, dtype=dtype) if dtype is not None else initializer(shape)
    with tf.Session() as s:
        return s.run(t)


def test_zeros_ones_constant():
    z = _value(tf.zeros_initializer(), [2, 3])
    assert z.dtype == np.float32 and z.shape == (2, 3) and not z.any()
    o = _value(tf.ones_initializer(dtype=tf.int32), [4])
    assert o.dtype == np.int32 and (o == 1).all()
    np.testing.assert_array_equal(_value(tf.constant_initializer(2.5), [2, 2]),
                                  np.full((2, 2), 2.5))
    np.testing.assert_array_equal(_value(tf.constant_initializer([1, 2, 3, 4]), [2, 2]),
                                  [[1, 2], [3, 4]])
    c = _value(tf.constant_initializer(np.arange(3)), [3], dtype=tf.float64)
    assert c.dtype == np.float64


def test_constant_initializer_errors():
    with pytest.raises(TypeError, match="Invalid type for initial value"):
        tf.constant_initializer({"a": 1})
    with pytest.raises(ValueError, match="Too many elements"):  # fewer pad (TF 1.x docs)
        tf.constant_initializer([1, 2, 3, 4, 5])([2, 2])
    np.testing.assert_array_equal(_value(tf.constant_initializer([1, 2, 3]), [2, 2]),
                                  [[1, 2], [3, 3]])
    with pytest.raises(TypeError, match="Expected constant of shape"):
        tf.constant_initializer([1, 2, 3, 4], verify_shape=True)([2, 2])


def test_random_normal_and_truncated_initializers():
    v = _value(tf.random_normal_initializer(1.0, 0.5, seed=1), [500, 400])
    assert abs(v.mean() - 1.0) < 0.01 and abs(v.std() - 0.5) < 0.01
    t = _value(tf.truncated_normal_initializer(0.0, 0.5, seed=2), [500, 400])
    assert np.abs(t).max() <= 1.0 and abs(t.std() - 0.5 * 0.87962566) < 0.01


def test_random_uniform_initializer_defaults_and_ints():
    v = _value(tf.random_uniform_initializer(seed=3), [100_000])
    assert v.min() >= 0 and v.max() < 1 and abs(v.mean() - 0.5) < 0.01
    i = _value(tf.random_uniform_initializer(-3, 3, seed=3, dtype=tf.int32), [1000])
    assert i.dtype == np.int32 and i.min() == -3 and i.max() == 2
    with pytest.raises(ValueError, match="maxval for integer"):
        tf.random_uniform_initializer(dtype=tf.int64)([3])


@pytest.mark.parametrize("shape,fans", [([], (1, 1)), ([7], (7, 7)), ([3, 5], (3, 5)),
                                        ([3, 3, 16, 32], (144, 288)), ([2, 4, 6], (8, 12))])
def test_compute_fans(shape, fans):
    assert init.compute_fans(shape) == fans


@pytest.mark.parametrize("mode,n", [("fan_in", 144), ("fan_out", 288), ("fan_avg", 216)])
def test_variance_scaling_distributions(mode, n):
    shape = [3, 3, 16, 32]
    u = _value(tf.variance_scaling_initializer(2.0, mode, "uniform", seed=1), shape)
    limit = math.sqrt(3 * 2.0 / n)
    assert np.abs(u).max() <= limit and np.abs(u).max() > 0.95 * limit
    t = _value(tf.variance_scaling_initializer(2.0, mode, "truncated_normal", seed=1), shape)
    assert abs(t.std() - math.sqrt(2.0 / n)) < 0.03 * math.sqrt(2.0 / n)
    assert np.abs(t).max() <= 2 * math.sqrt(2.0 / n) / 0.87962566 + 1e-6
    un = _value(tf.variance_scaling_initializer(2.0, mode, "untruncated_normal", seed=1), shape)
    assert abs(un.std() - math.sqrt(2.0 / n)) < 0.03 * math.sqrt(2.0 / n)


def test_glorot_and_he_initializers():
    gu = _value(tf.glorot_uniform_initializer(seed=1), [300, 500])
    limit = math.sqrt(6 / 800)
    assert np.abs(gu).max() <= limit and abs(gu.var() - limit**2 / 3) < 0.03 * limit**2 / 3
    gn = _value(tf.glorot_normal_initializer(seed=1), [300, 500])
    assert abs(gn.std() - math.sqrt(2 / 800)) < 0.01 * math.sqrt(2 / 800) * 3
    he = _value(init.he_normal(seed=1), [400, 300])
    assert abs(he.std() - math.sqrt(2 / 400)) < 0.03 * math.sqrt(2 / 400)
    lu = _value(init.lecun_uniform(seed=1), [400, 300])
    assert np.abs(lu).max() <= math.sqrt(3 / 400)


@pytest.mark.parametrize("shape", [[6, 4], [4, 6], [3, 3, 2, 5]])
def test_orthogonal_initializer(shape):
    q = _value(tf.orthogonal_initializer(gain=2.0, seed=1), shape).astype(np.float64)
    assert q.shape == tuple(shape)
    m = q.reshape(-1, shape[-1])
    small = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(small, 4.0 * np.eye(small.shape[0]), atol=1e-5)


def test_identity_initializer():
    np.testing.assert_array_equal(_value(init.identity(gain=3.0), [2, 3]),
                                  3.0 * np.eye(2, 3, dtype=np.float32))
    with pytest.raises(ValueError, match="2D matrices"):
        init.identity()([2, 2, 2])


def test_seeded_initializers_repeat_across_graphs():
    results = []
    for _ in range(2):
        with tf.Graph().as_default():
            results.append([_value(i, [4, 5]) for i in (
                tf.glorot_uniform_initializer(seed=7), tf.random_normal_initializer(seed=7),
                tf.orthogonal_initializer(seed=7), tf.truncated_normal_initializer(seed=7))])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_configs_round_trip():
    for obj in (tf.zeros_initializer(), tf.constant_initializer(np.array([1.0, 2.0])),
                tf.random_normal_initializer(1.0, 2.0, seed=3),
                tf.random_uniform_initializer(-1, 1, seed=2),
                tf.variance_scaling_initializer(2.0, "fan_out", "uniform", seed=4),
                tf.glorot_normal_initializer(seed=5), tf.orthogonal_initializer(0.5, seed=6),
                init.identity(2.0)):
        config = obj.get_config()
        again = type(obj).from_config(config)
        assert again.get_config() == config
    assert tf.variance_scaling_initializer().get_config() == {
        "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": None,
        "dtype": "float32"}


def test_bad_arguments():
    with pytest.raises(ValueError, match="positive"):
        tf.variance_scaling_initializer(scale=0.0)
    with pytest.raises(ValueError, match="mode"):
        tf.variance_scaling_initializer(mode="fan_sum")
    with pytest.raises(ValueError, match="distribution"):
        tf.variance_scaling_initializer(distribution="cauchy")
    with pytest.raises(ValueError, match="floating-point dtype, got int32"):
        tf.glorot_uniform_initializer()([2, 2], dtype=tf.int32)
    with pytest.raises(ValueError, match="at least two-dimensional"):
        tf.orthogonal_initializer()([5])
    with pytest.raises(ValueError, match="fully defined"):
        tf.zeros_initializer()([None, 2])


def test_initializers_namespace_spellings():
    assert tf.initializers.glorot_uniform is tf.glorot_uniform_initializer
    assert tf.initializers.zeros is tf.zeros_initializer
    v = tf.Variable(1.0)
    with tf.Session() as s:
        s.run(tf.initializers.global_variables())
        assert s.run(v) == 1.0
