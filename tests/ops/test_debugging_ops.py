"""check_numerics, Assert and the assert_* family."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet.errors import InvalidArgumentError


def _run(fetch, feed=None):
    with tf.Session() as s:
        return s.run(fetch, feed)


def test_check_numerics_passes_finite_values_through():
    x = tf.placeholder(tf.float32, [3])
    y = tf.check_numerics(x, "x is bad")
    assert y.shape == (3,) and y.dtype == tf.float32
    np.testing.assert_array_equal(_run(y, {x: [1, 2, 3]}), [1, 2, 3])


@pytest.mark.parametrize("value,what", [([np.nan, 1.0], "NaN"), ([np.inf, 1.0], "Inf"),
                                        ([np.nan, -np.inf], "NaN and Inf")])
def test_check_numerics_messages(value, what):
    x = tf.placeholder(tf.float32, [2])
    y = tf.debugging.check_numerics(x * 1.0, "after scaling")
    with pytest.raises(InvalidArgumentError, match=f"after scaling : Tensor had {what} values"):
        _run(y, {x: value})


def test_check_numerics_gradient_passes_through_and_is_checked():
    x = tf.placeholder(tf.float32, [2])
    (g,) = tf.gradients(tf.reduce_sum(tf.check_numerics(x, "fwd") * 3.0), x)
    np.testing.assert_array_equal(_run(g, {x: [1, 2]}), [3, 3])
    (g2,) = tf.gradients(tf.reduce_sum(tf.sqrt(tf.check_numerics(x, "input"))), x)
    with pytest.raises(InvalidArgumentError, match="detected in gradient. input : Tensor had Inf"):
        _run(g2, {x: [0.0, 1.0]})


def test_check_numerics_argument_errors():
    with pytest.raises(TypeError, match="floating-point tensor, got int32"):
        tf.check_numerics(tf.constant([1, 2]), "ints")
    with pytest.raises(TypeError, match="message must be a string"):
        tf.check_numerics(tf.constant(1.0), 3)


def test_verify_tensor_all_finite_and_add_check_numerics_ops():
    x = tf.placeholder(tf.float32, [])
    np.testing.assert_array_equal(_run(tf.verify_tensor_all_finite(x, "m"), {x: 2.0}), 2.0)
    y = tf.log(x)
    check = tf.add_check_numerics_ops()
    _run(check, {x: 1.0})
    with pytest.raises(InvalidArgumentError, match=f"{y.op.name}:0 : Tensor had NaN values"):
        _run(check, {x: -1.0})


def test_assert_op_with_data():
    x = tf.placeholder(tf.int32, [5])
    a = tf.Assert(tf.reduce_all(x > 0), ["x has a non-positive entry:", x], summarize=2)
    assert a.type == "Assert" and not a.outputs
    _run(a, {x: [1, 2, 3, 4, 5]})
    with pytest.raises(InvalidArgumentError,
                       match=r"assertion failed: \[x has a non-positive entry:\] \[1 -2 \.\.\.\]"):
        _run(a, {x: [1, -2, 3, 4, 5]})
    with pytest.raises(TypeError, match="bool scalar"):
        tf.Assert(x > 0, ["not a scalar"])


def test_assert_equal_gates_ops_through_control_dependencies():
    x = tf.placeholder(tf.float32, [2])
    y = tf.placeholder(tf.float32, [2])
    with tf.control_dependencies([tf.assert_equal(x, y, message="shapes drifted")]):
        z = tf.identity(x)
    np.testing.assert_array_equal(_run(z, {x: [1, 2], y: [1, 2]}), [1, 2])
    with pytest.raises(InvalidArgumentError, match=r"\[shapes drifted\] \[Condition x == y did "
                                                   r"not hold element-wise:\]"):
        _run(z, {x: [1, 2], y: [1, 3]})


@pytest.mark.parametrize("fn,good,bad", [
    (tf.assert_positive, [1, 2], [1, 0]),
    (tf.assert_non_negative, [0, 2], [0, -1]),
    (lambda x: tf.assert_less(x, 3), [1, 2], [1, 3]),
    (lambda x: tf.assert_greater(x, 0), [1, 2], [1, -1]),
    (lambda x: tf.debugging.assert_greater_equal(x, 1), [1, 2], [0, 2]),
])
def test_assert_family_at_run_time(fn, good, bad):
    x = tf.placeholder(tf.int32, [2])
    a = fn(x)
    _run(a, {x: good})
    with pytest.raises(InvalidArgumentError, match="assertion failed"):
        _run(a, {x: bad})


def test_static_assertions_fail_at_build_time():
    with pytest.raises(InvalidArgumentError, match=r"Condition x > 0 did not hold.*\[1 -2\]"):
        tf.assert_positive(tf.constant([1, -2]))
    with pytest.raises(InvalidArgumentError, match="Condition x == y"):
        tf.assert_equal(tf.constant([1, 2]), [1, 3])
    _run(tf.assert_equal(tf.constant([1, 2]), [1, 2]))  # holds: a runnable op
