"""tf.while_loop: values, structures, shape invariants, gradients (the "While" and "WhileGrad"
ops' gradient checks live here: their attrs hold subgraphs), errors."""
import collections

import numpy as np
import pytest
from helpers_numeric import numeric_grad

import tensorlet as tf
from tensorlet.errors import InvalidArgumentError


def check_loop_gradient(build, x0):
    """tf.gradients of sum(w * build(x)) against central differences (float64)."""
    x = tf.placeholder(tf.float64, x0.shape)
    y = build(x)
    w = np.random.default_rng(1).standard_normal(y.shape.as_list())
    loss = tf.reduce_sum(y * w)
    (g,) = tf.gradients(loss, [x])
    with tf.Session() as s:
        sym = s.run(g, {x: x0})
        num = numeric_grad(lambda v: s.run(loss, {x: v}), x0.copy())
    np.testing.assert_allclose(sym, num, rtol=1e-5, atol=1e-7)


# -- forward ----------------------------------------------------------------------------------


def test_counter_and_accumulator():
    i, total = tf.while_loop(lambda i, t: i < 5, lambda i, t: (i + 1, t + i), [0, 0])
    single = tf.while_loop(lambda x: x < 100.0, lambda x: x * 2.0, [tf.constant(3.0)])
    same = tf.while_loop(lambda x: x < 100.0, lambda x: [x * 2.0], [tf.constant(3.0)],
                         return_same_structure=True)
    assert isinstance(single, tf.Tensor) and isinstance(same, list)
    with tf.Session() as s:
        assert s.run([i, total]) == [5, 10]
        assert s.run(single) == 192.0 and s.run(same) == [192.0]


def test_zero_iterations_and_maximum_iterations():
    n = tf.placeholder(tf.int32, [])
    out = tf.while_loop(lambda k: k < 0, lambda k: k + 1, [n])
    capped = tf.while_loop(lambda k: k < 100, lambda k: k + 1, [n], maximum_iterations=3)
    with tf.Session() as s:
        assert s.run(out, {n: 7}) == 7
        assert s.run(capped, {n: 0}) == 3 and s.run(capped, {n: 98}) == 100


def test_nested_structures():
    Pair = collections.namedtuple("Pair", "a b")
    out = tf.while_loop(lambda p: p.a < 3, lambda p: Pair(p.a + 1, p.b * 2.0),
                        [Pair(tf.constant(0), tf.constant(1.0))], return_same_structure=True)
    d = tf.while_loop(lambda v: v["k"] < 4, lambda v: {"k": v["k"] + 2, "s": v["s"] - 1},
                      {"k": 0, "s": 10})
    with tf.Session() as s:
        r = s.run(out)[0]
        assert isinstance(r, Pair) and (r.a, r.b) == (3, 8.0)
        assert s.run(d) == {"k": 4, "s": 8}


def test_shape_invariants_let_a_tensor_grow():
    i0 = tf.constant(0)
    x0 = tf.zeros([1, 2])
    _, x = tf.while_loop(lambda i, x: i < 3,
                         lambda i, x: (i + 1, tf.concat([x, tf.ones([1, 2])], axis=0)),
                         [i0, x0], shape_invariants=[i0.shape, tf.TensorShape([None, 2])])
    assert x.shape.as_list() == [None, 2]
    with tf.Session() as s:
        np.testing.assert_array_equal(s.run(x), [[0, 0], [1, 1], [1, 1], [1, 1]])


def test_cond_inside_while_and_while_inside_cond():
    x = tf.placeholder(tf.int32, [])
    collatz = tf.while_loop(
        lambda n, steps: n > 1,
        lambda n, steps: (tf.cond(tf.equal(n % 2, 0), lambda: n // 2, lambda: 3 * n + 1),
                          steps + 1), [x, 0])[1]
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: tf.while_loop(lambda k: k < 10, lambda k: k + 3, [x]), lambda: -x)
    with tf.Session() as s:
        assert s.run(collatz, {x: 6}) == 8
        assert s.run(y, {x: 1, p: True}) == 10 and s.run(y, {x: 1, p: False}) == -1


# -- gradients --------------------------------------------------------------------------------


def test_gradient_through_a_loop():
    check_loop_gradient(
        lambda x: tf.while_loop(lambda i, y: i < 4, lambda i, y: (i + 1, tf.sin(y) * x + y),
                                [0, x])[1], np.array([0.2, -0.7, 1.1]))


def test_gradient_with_a_cond_in_the_body_and_a_captured_tensor():
    def build(x):
        scale = tf.reduce_sum(x)

        def body(i, y):
            return i + 1, tf.cond(i < 2, lambda: y * scale, lambda: tf.tanh(y))
        return tf.while_loop(lambda i, y: i < 4, body, [tf.constant(0), x * 0.5])[1]
    check_loop_gradient(build, np.array([0.3, 0.4]))


def test_gradient_of_zero_iterations_passes_through():
    x = tf.placeholder(tf.float64, [2])
    c = tf.constant(2.0, tf.float64)
    y = tf.while_loop(lambda v: tf.reduce_sum(v) > 100.0, lambda v: v * c, [x])
    gx, gc = tf.gradients(tf.reduce_sum(y), [x, c])
    with tf.Session() as s:
        np.testing.assert_array_equal(s.run(gx, {x: [1, 2]}), [1, 1])
        assert s.run(gc, {x: [1, 2]}) == 0.0


def test_gradient_uses_the_recorded_random_values():
    x = tf.placeholder(tf.float32, [500])
    _, y = tf.while_loop(lambda i, v: i < 2,
                         lambda i, v: (i + 1, v * tf.random_uniform([500], 0.5, 1.5)), [0, x])
    (g,) = tf.gradients(tf.reduce_sum(y), x)
    with tf.Session() as s:
        yv, gv = s.run([y, g], {x: np.ones(500, np.float32)})
        np.testing.assert_allclose(gv, yv, rtol=1e-6)  # d(x * m1 * m2)/dx = m1 * m2 = y at x=1


def test_training_a_variable_read_in_the_body():
    w = tf.Variable(0.5)
    _, y = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * w), [0, tf.constant(2.0)])
    loss = tf.square(y - 16.0)  # w = 2 gives 2 * w**3 = 16
    (g,) = tf.gradients(loss, [w])
    step = tf.assign_sub(w, 0.0005 * g)
    with tf.Session() as s:
        s.run(w.initializer)
        assert s.run(g) == pytest.approx(2 * (2 * 0.5**3 - 16) * 6 * 0.5**2)
        for _ in range(300):
            s.run(step)
        assert abs(s.run(w) - 2.0) < 1e-3


def test_back_prop_false_and_second_derivatives():
    x = tf.placeholder(tf.float64, [])
    y = tf.while_loop(lambda v: v < 10.0, lambda v: v * v + 1.0, [x], back_prop=False)
    assert tf.gradients(y, x) == [None]
    z = tf.while_loop(lambda v: v < 10.0, lambda v: v * v + 1.0, [x])
    (g,) = tf.gradients(z, x)
    with tf.Session() as s:
        assert s.run(g, {x: 2.0}) == pytest.approx(2 * 5 * 2 * 2)  # x -> x^2+1 -> (x^2+1)^2+1
    with pytest.raises(NotImplementedError, match="second derivatives through tf.while_loop"):
        tf.gradients(g, x)  # the WhileGrad op has no gradient of its own


# -- errors -----------------------------------------------------------------------------------


def test_build_errors():
    x = tf.constant([1.0, 2.0])
    with pytest.raises(TypeError, match="must be callable"):
        tf.while_loop(True, lambda v: v, [x])
    with pytest.raises(TypeError, match="one bool scalar tensor, got float32"):
        tf.while_loop(lambda v: tf.reduce_sum(v), lambda v: v, [x])
    with pytest.raises(ValueError, match="structure of loop_vars"):
        tf.while_loop(lambda a, b: a < 3, lambda a, b: a + 1, [0, 1])
    with pytest.raises(TypeError, match="enters as float32 but body returns int32"):
        tf.while_loop(lambda v: tf.reduce_sum(v) < 3.0, lambda v: tf.cast(v, tf.int32), [x])
    with pytest.raises(ValueError, match=r"enters the loop with shape \(2,\), but has shape "
                                         r"\(4,\).*shape_invariants"):
        tf.while_loop(lambda v: tf.reduce_sum(v) < 9.0, lambda v: tf.concat([v, v], 0), [x])
    with pytest.raises(ValueError, match="not compatible with the initial shape"):
        tf.while_loop(lambda v: v[0] < 9.0, lambda v: v, [x], shape_invariants=[[3]])
    with pytest.raises(ValueError, match="maximum_iterations must be an integer scalar"):
        tf.while_loop(lambda v: v[0] < 9.0, lambda v: v, [x], maximum_iterations=2.5)
    with pytest.raises(ValueError, match="body must return a value"):
        tf.while_loop(lambda v: v[0] < 9.0, lambda v: None, [x])


def test_run_time_shape_check_against_the_invariant():
    n = tf.placeholder(tf.int32, [])
    x0 = tf.zeros([1])
    y = tf.while_loop(lambda v: tf.size(v) < 5, lambda v: tf.zeros(tf.stack([n])),
                      [x0], shape_invariants=[tf.TensorShape([None])])
    z = tf.while_loop(lambda v: v[0] < 5.0, lambda v: tf.ones(tf.stack([n])) + v[0],
                      [tf.zeros([2])], shape_invariants=[tf.TensorShape([2])])
    with tf.Session() as s:
        assert s.run(y, {n: 6}).shape == (6,)
        with pytest.raises(InvalidArgumentError, match=r"shape \(3,\) after iteration 1, "
                                                       r"incompatible with its shape invariant"):
            s.run(z, {n: 3})
