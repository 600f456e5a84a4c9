"""The public namespaces a TF 1.x / TF 2 program reaches for exist and hold the right objects."""
import numpy as np

import tensorlet as tf


def test_compat_v1_is_the_top_level():
    assert tf.compat.v1.placeholder is tf.placeholder
    assert tf.compat.v1.Session is tf.Session


def test_math_namespace():
    x = tf.constant([1.0, -2.0, 3.0])
    with tf.Session() as s:
        assert s.run(tf.math.reduce_sum(x)) == 2.0
        np.testing.assert_array_equal(s.run(tf.math.abs(x)), [1, 2, 3])
        np.testing.assert_allclose(s.run(tf.math.softplus(tf.constant([0.0]))), [np.log(2)],
                                   rtol=1e-6)
        values, idx = s.run(tf.math.top_k(x, k=2))
        np.testing.assert_array_equal(idx, [2, 0])


def test_nn_losses_train_linalg_random_namespaces():
    assert callable(tf.nn.relu) and callable(tf.nn.conv2d) and callable(tf.nn.softmax)
    assert callable(tf.losses.mean_squared_error)
    assert callable(tf.train.AdamOptimizer) and callable(tf.train.Saver)
    assert callable(tf.linalg.matmul) and callable(tf.random.normal)
    assert callable(tf.debugging.check_numerics)
