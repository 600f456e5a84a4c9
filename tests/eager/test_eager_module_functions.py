"""Module-level functions that take variables or model outputs work on eager values too."""
import numpy as np

import tensorlet as tf
from tensorlet import keras


def test_module_assign_functions_on_eager_variables():
    with tf.eager_mode():
        v = tf.Variable([1.0, 2.0])
        tf.assign(v, [3.0, 4.0])
        tf.assign_add(v, [1.0, 1.0])
        tf.assign_sub(v, [0.5, 0.5])
        np.testing.assert_allclose(v.numpy(), [3.5, 4.5])


def test_sparse_crossentropy_on_an_eager_softmax_output():
    with tf.eager_mode():
        probs = tf.nn.softmax(tf.constant([[2.0, 1.0, 0.1]]))
        loss = keras.losses.SparseCategoricalCrossentropy()(np.array([0]), probs)
        expected = -np.log(np.exp(2.0) / np.exp([2.0, 1.0, 0.1]).sum())
        np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
