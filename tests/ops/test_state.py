"""Variables: naming, per-session values, assign family, initialisers, collections."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet.errors import FailedPreconditionError


def test_auto_and_clashing_names():
    a = tf.Variable(1.0)
    b = tf.Variable(2.0)
    w = tf.Variable(3.0, name="w")
    w2 = tf.Variable(4.0, name="w")
    assert (a.name, b.name, w.name, w2.name) == ("Variable:0", "Variable_1:0", "w:0", "w_1:0")


def test_values_live_per_session():
    v = tf.Variable([1, 2])
    inc = tf.assign_add(v, [1, 1])
    with tf.Session() as s1:
        s1.run(tf.global_variables_initializer())
        s1.run(inc)
        np.testing.assert_array_equal(s1.run(v), [2, 3])
    with tf.Session() as s2:
        with pytest.raises(FailedPreconditionError):
            s2.run(v)
        s2.run(v.initializer)
        np.testing.assert_array_equal(s2.run(v), [1, 2])


def test_assign_family_and_read_value():
    v = tf.Variable(10.0)
    with tf.Session() as s:
        s.run(v.assign(3.0))  # assigning an uninitialised variable initialises it
        assert s.run(v) == 3.0
        assert s.run(v.assign_sub(1.0)) == 2.0
        assert s.run(tf.assign(v, 7.0)) == 7.0
        assert s.run(tf.assign_sub(v, 2.0)) == 5.0
        assert s.run(v.read_value()) == 5.0
        assert v.assign(1.0, read_value=False).type == "Assign"


def test_assign_add_uninitialised_raises():
    v = tf.Variable(1.0, name="acc")
    with tf.Session() as s:
        with pytest.raises(FailedPreconditionError, match="acc"):
            s.run(v.assign_add(1.0))


def test_assign_shape_and_dtype_errors():
    v = tf.Variable([1.0, 2.0])
    with pytest.raises(ValueError, match="shape"):
        v.assign([1.0, 2.0, 3.0])
    with pytest.raises((TypeError, ValueError)):
        v.assign(["a", "b"])


def test_collections_and_initializers():
    a = tf.Variable(1.0)
    b = tf.Variable(2.0, trainable=False)
    assert tf.global_variables() == [a, b]
    assert tf.trainable_variables() == [a]
    with tf.Session() as s:
        names = s.run(tf.report_uninitialized_variables())
        assert list(names) == ["Variable", "Variable_1"]
        s.run(tf.variables_initializer([a]))
        assert s.run(tf.is_variable_initialized(a))
        assert not s.run(tf.is_variable_initialized(b))
        assert list(s.run(tf.report_uninitialized_variables())) == ["Variable_1"]


def test_variable_in_expressions_and_callable_initial_value():
    v = tf.Variable(lambda: tf.constant([1.0, 2.0]))
    y = v * 2 + 1
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(s.run(y), [3.0, 5.0])
        v.load([0.0, 1.0], s)
        np.testing.assert_array_equal(s.run(y), [1.0, 3.0])


def test_variable_needs_initial_value():
    with pytest.raises(ValueError, match="initial_value"):
        tf.Variable()
