"""`Session.make_callable`: the same values, conversions and errors as `Session.run`, with the
fetches and feed keys resolved once."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet.errors import InvalidArgumentError
from tensorlet.keras import tree


def _graph():
    a = tf.placeholder(tf.float32, (None, 3), name="a")
    b = tf.placeholder(tf.float32, (None, 3), name="b")
    return a, b, a * 2.0 + b, tf.reduce_sum(a - b)


def test_values_equal_run_for_every_fetch_structure():
    a, b, y, s = _graph()
    xa = np.arange(6, dtype=np.float32).reshape(2, 3)
    xb = np.ones((2, 3), np.float32)
    with tf.Session() as sess:
        feeds = {a: xa, b: xb}
        for fetches in ([y, s], y, (s,), {"y": y, "parts": [s, y]}, [y, [s]]):
            got = sess.make_callable(fetches, [a, b])(xa, xb)
            want = sess.run(fetches, feeds)
            assert type(got) is type(want)
            for g, w in zip(tree.flatten(got), tree.flatten(want)):
                np.testing.assert_array_equal(g, w)
        assert isinstance(sess.make_callable([y], [a, b])(xa, xb), list)


def test_feed_list_order_differs_from_the_cached_plan():
    a, b, y, _ = _graph()
    xa = np.full((1, 3), 3.0, np.float32)
    xb = np.full((1, 3), 1.0, np.float32)
    with tf.Session() as sess:
        sess.run(y, {a: xa, b: xb})  # the plan takes (a, b)
        f = sess.make_callable(y, [b, a])
        np.testing.assert_array_equal(f(xb, xa), np.full((1, 3), 7.0))
        sess._plans.clear()  # a rebuilt plan (now built for the (b, a) order) is picked up
        np.testing.assert_array_equal(f(xb, xa), np.full((1, 3), 7.0))


def test_values_are_converted_and_fetches_are_fresh_arrays():
    a = tf.placeholder(tf.float32, (2,))
    v = tf.Variable([1.0, 2.0])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        f = sess.make_callable([a + 1.0, v], [a])
        out, value = f([1, 2])  # a Python list of ints, converted to float32
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, [2.0, 3.0])
        value[0] = 100.0  # a fetched variable value is a copy
        np.testing.assert_array_equal(f([0, 0])[1], [1.0, 2.0])


def test_names_and_ops_resolve_like_run():
    a, b, y, _ = _graph()
    counter = tf.Variable(0)
    inc = tf.assign_add(counter, 1).op
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        f = sess.make_callable([y.name, inc], ["a:0", b])
        got, none = f(np.ones((1, 3), np.float32), np.zeros((1, 3), np.float32))
        assert none is None
        np.testing.assert_array_equal(got, np.full((1, 3), 2.0))
        assert sess.run(counter) == 1


def test_errors_are_those_of_run():
    a, b, y, _ = _graph()
    with tf.Session() as sess:
        f = sess.make_callable(y, [a, b])
        with pytest.raises(InvalidArgumentError, match=r"shape \(2, 4\) for Tensor 'a:0'"):
            f(np.ones((2, 4), np.float32), np.ones((2, 3), np.float32))
        with pytest.raises(InvalidArgumentError, match="Cannot feed value"):
            f(np.array([["x", "y", "z"]]), np.ones((1, 3), np.float32))
        with pytest.raises(TypeError, match=r"feeds 2 tensor\(s\).*called with 1 value"):
            f(np.ones((1, 3), np.float32))
        with pytest.raises(InvalidArgumentError, match="must feed a value for placeholder"):
            sess.make_callable(y, [a])(np.ones((1, 3), np.float32))
        with pytest.raises(ValueError, match="more than once"):
            sess.make_callable(y, [a, a])
        with pytest.raises(TypeError, match="Cannot interpret feed_dict key"):
            sess.make_callable(y, [3.5])
    with pytest.raises(RuntimeError, match="closed Session"):
        f(np.ones((1, 3), np.float32), np.ones((1, 3), np.float32))
