"""tf.placeholder is a graph-mode API: in eager mode it raises TF's RuntimeError; graphs built
inside eager mode and tf.function traces still have placeholders."""
import numpy as np
import pytest

import tensorlet as tf


def test_placeholder_in_eager_mode_raises_tfs_error():
    with tf.eager_mode():
        with pytest.raises(RuntimeError) as e:
            tf.placeholder(tf.float32, [None, 3])
        assert str(e.value) == "tf.placeholder() is not compatible with eager execution."
        # placeholder_with_default has a value, so eagerly it is that value (as in TF)
        d = tf.placeholder_with_default(tf.constant([1.0, 2.0]), [None])
        assert d.numpy().tolist() == [1.0, 2.0]


def test_placeholder_in_a_graph_built_inside_eager_mode():
    with tf.eager_mode():
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [None])
            y = x * 2.0
            with tf.Session() as s:
                assert s.run(y, {x: np.array([1.0, 3.0], np.float32)}).tolist() == [2.0, 6.0]


def test_placeholder_in_graph_mode_is_unchanged():
    x = tf.placeholder(tf.int32, [2], name="x")
    assert x.op.type == "Placeholder" and x.name == "x:0" and x.shape.as_list() == [2]
