"""Control ops: cond runs one branch only, its gradients (the "Cond" op's gradient check lives
here: its attrs hold subgraphs, so it has no standalone registry samples), case, group, tuple."""
import numpy as np
import pytest
from helpers_numeric import numeric_grad

import tensorlet as tf
from tensorlet.errors import InvalidArgumentError


def check_cond_gradient(build, x0, preds=(True, False)):
    """Symbolic gradient of sum(w * build(x, p)) against central differences, per branch."""
    x = tf.placeholder(tf.float64, x0.shape)
    p = tf.placeholder(tf.bool, [])
    y = build(x, p)
    w = np.random.default_rng(0).standard_normal(y.shape.as_list())
    loss = tf.reduce_sum(y * w)
    (g,) = tf.gradients(loss, [x])
    with tf.Session() as s:
        for pv in preds:
            sym = s.run(g, {x: x0, p: pv})
            num = numeric_grad(lambda v, pv=pv: s.run(loss, {x: v, p: pv}), x0.copy())
            np.testing.assert_allclose(sym, num, rtol=1e-5, atol=1e-7, err_msg=f"pred={pv}")


# -- forward ----------------------------------------------------------------------------------


def test_cond_values_names_and_shapes():
    x = tf.placeholder(tf.float32, [None, 3])
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: x * 2.0, lambda: x[:1] - 1.0)
    assert y.shape.as_list() == [None, 3] and y.dtype == tf.float32
    assert y.name == "cond/Cond:0"
    xv = np.arange(6, dtype=np.float32).reshape(2, 3)
    with tf.Session() as s:
        np.testing.assert_array_equal(s.run(y, {x: xv, p: True}), xv * 2)
        np.testing.assert_array_equal(s.run(y, {x: xv, p: False}), xv[:1] - 1)


def test_cond_runs_only_the_taken_branch():
    x = tf.placeholder(tf.float32, [2])
    p = tf.placeholder(tf.bool, [])
    nan = tf.constant([np.nan, 1.0])
    y = tf.cond(p, lambda: tf.check_numerics(x + nan, "true branch"), lambda: x * 3.0)
    with tf.Session() as s:
        np.testing.assert_array_equal(s.run(y, {x: [1, 2], p: False}), [3, 6])
        with pytest.raises(InvalidArgumentError, match="true branch : Tensor had NaN values"):
            s.run(y, {x: [1, 2], p: True})


def test_side_effects_run_once_and_only_when_taken():
    v = tf.Variable(0)
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: tf.assign_add(v, 1), lambda: tf.identity(v))
    with tf.Session() as s:
        s.run(v.initializer)
        assert [s.run(y, {p: b}) for b in (True, True, False, True)] == [1, 2, 2, 3]
        assert s.run(v) == 3


def test_structures_ops_and_outer_tensors():
    x = tf.constant([1.0, 2.0])
    p = tf.placeholder(tf.bool, [])
    out = tf.cond(p, lambda: {"a": x, "b": (x * 2, tf.constant(1))},
                  lambda: {"a": x + 1, "b": (x, tf.constant(2))})
    single = tf.cond(p, lambda: [x], lambda: [x * 0])
    strict = tf.cond(p, lambda: [x], lambda: [x * 0], strict=True)
    v = tf.Variable(0.0)
    op = tf.cond(p, lambda: tf.group(v.assign(5.0)), lambda: tf.no_op())
    with tf.Session() as s:
        r = s.run(out, {p: False})
        np.testing.assert_array_equal(r["a"], [2, 3])
        np.testing.assert_array_equal(r["b"][0], [1, 2])
        assert r["b"][1] == 2
        assert isinstance(strict, list) and isinstance(single, tf.Tensor)
        np.testing.assert_array_equal(s.run(single, {p: False}), [0, 0])
        s.run(v.initializer)
        s.run(op, {p: False})
        assert s.run(v) == 0.0
        s.run(op, {p: True})
        assert s.run(v) == 5.0


def test_cond_reads_variables_and_python_values():
    v = tf.Variable([1.0, 2.0])
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: v, lambda: np.array([0.5, 0.5], np.float32))
    with tf.Session() as s:
        s.run(v.initializer)
        np.testing.assert_array_equal(s.run(y, {p: True}), [1, 2])
        np.testing.assert_array_equal(s.run(y, {p: False}), [0.5, 0.5])


def test_cond_respects_outer_control_dependencies():
    v = tf.Variable(0)
    p = tf.placeholder(tf.bool, [])
    inc = tf.assign_add(v, 10)
    with tf.control_dependencies([inc]):
        y = tf.cond(p, lambda: tf.constant(1), lambda: tf.constant(2))
    with tf.Session() as s:
        s.run(v.initializer)
        assert s.run(y, {p: True}) == 1 and s.run(v) == 10  # ran once, before the cond


def test_nested_cond_and_new_sessions():
    x = tf.placeholder(tf.float32, [])
    y = tf.cond(x > 0, lambda: tf.cond(x > 10, lambda: x * 100, lambda: x * 10),
                lambda: -x)
    for _ in range(2):  # each Session compiles its own branch plans
        with tf.Session() as s:
            assert [s.run(y, {x: v}) for v in (20.0, 2.0, -3.0)] == [2000.0, 20.0, 3.0]


# -- gradients --------------------------------------------------------------------------------


def test_cond_gradient_simple():
    check_cond_gradient(lambda x, p: tf.cond(p, lambda: tf.sin(x) * x, lambda: x * x * x),
                        np.array([0.3, -1.2, 2.0]))


def test_cond_gradient_with_outer_computation_and_broadcast():
    def build(x, p):
        h = tf.tanh(x)
        y = tf.cond(p, lambda: h * tf.reduce_sum(x), lambda: tf.exp(h) + x[0])
        return y * x
    check_cond_gradient(build, np.array([0.1, 0.7, -0.4]))


def test_cond_gradient_nested_and_unused_branch_input():
    def build(x, p):
        return tf.cond(p, lambda: tf.cond(tf.reduce_sum(x) > 0, lambda: tf.square(x),
                                          lambda: tf.sin(x)),
                       lambda: tf.ones_like(x) * 2.0)
    check_cond_gradient(build, np.array([0.5, 1.5]))
    check_cond_gradient(build, np.array([-0.5, -1.5]))


def test_cond_second_derivative():
    x = tf.placeholder(tf.float64, [3])
    p = tf.placeholder(tf.bool, [])
    y = tf.reduce_sum(tf.cond(p, lambda: tf.sin(x) * 2.0, lambda: x * x * x))
    (g,) = tf.gradients(y, x)
    (gg,) = tf.gradients(tf.reduce_sum(g), x)
    xv = np.array([0.5, 1.0, -2.0])
    with tf.Session() as s:
        np.testing.assert_allclose(s.run(gg, {x: xv, p: True}), -2 * np.sin(xv))
        np.testing.assert_allclose(s.run(gg, {x: xv, p: False}), 6 * xv)


def test_gradient_reads_forward_values_of_random_ops():
    """The backward pass uses the forward branch's random mask; it does not draw a new one."""
    x = tf.placeholder(tf.float32, [1000])
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: x * tf.random_uniform([1000]), lambda: x)
    (g,) = tf.gradients(tf.reduce_sum(y), x)
    xv = np.ones(1000, np.float32)
    with tf.Session() as s:
        yv, gv = s.run([y, g], {x: xv, p: True})
        np.testing.assert_array_equal(gv, yv)
        np.testing.assert_array_equal(s.run(g, {x: xv, p: False}), xv)


def test_gradient_to_variables_through_cond_trains():
    w = tf.Variable(1.0)
    p = tf.placeholder(tf.bool, [])
    loss = tf.cond(p, lambda: tf.square(w - 3.0), lambda: tf.square(w + 1.0))
    (g,) = tf.gradients(loss, [w])
    step = tf.assign_sub(w, 0.25 * g)
    with tf.Session() as s:
        s.run(w.initializer)
        for _ in range(40):
            s.run(step, {p: True})
        assert abs(s.run(w) - 3.0) < 1e-4
        assert s.run(g, {p: False}) == pytest.approx(2 * (s.run(w) + 1.0))


# -- errors -----------------------------------------------------------------------------------


def test_cond_errors():
    x = tf.constant(1.0)
    p = tf.constant(True)
    with pytest.raises(TypeError, match="must not be a Python bool"):
        tf.cond(True, lambda: x, lambda: x)
    with pytest.raises(TypeError, match="bool scalar tensor, got float32"):
        tf.cond(x, lambda: x, lambda: x)
    with pytest.raises(TypeError, match="bool scalar tensor, got bool \\(2,\\)"):
        tf.cond(tf.constant([True, False]), lambda: x, lambda: x)
    with pytest.raises(ValueError, match="same structure"):
        tf.cond(p, lambda: (x, x), lambda: x)
    with pytest.raises(TypeError, match="same dtype, got float32.*int32"):
        tf.cond(p, lambda: x, lambda: tf.constant(1))
    with pytest.raises(ValueError, match="must have a return value"):
        tf.cond(p, lambda: None, lambda: x)
    with pytest.raises(TypeError, match="false_fn must be callable"):
        tf.cond(p, lambda: x, x)
    with pytest.raises(TypeError, match="both true_fn and false_fn"):
        tf.cond(p, lambda: x)


# -- case, group, tuple -----------------------------------------------------------------------


def test_case_picks_the_first_true_predicate():
    x = tf.placeholder(tf.int32, [])
    r = tf.case([(x < 0, lambda: tf.constant(-1)), (x < 10, lambda: tf.constant(0))],
                default=lambda: tf.constant(1))
    with tf.Session() as s:
        assert [s.run(r, {x: v}) for v in (-5, 5, 50)] == [-1, 0, 1]


def test_case_without_default_and_exclusive_assertions():
    x = tf.placeholder(tf.int32, [])
    r = tf.case([(tf.equal(x, 1), lambda: tf.constant(10)),
                 (tf.equal(x, 2), lambda: tf.constant(20))])
    ex = tf.case({x > 0: lambda: tf.constant(1), x > 5: lambda: tf.constant(2)},
                 default=lambda: tf.constant(0), exclusive=True)
    with tf.Session() as s:
        assert s.run(r, {x: 1}) == 10 and s.run(r, {x: 2}) == 20
        with pytest.raises(InvalidArgumentError, match="none of the conditions"):
            s.run(r, {x: 3})
        assert s.run(ex, {x: 3}) == 1 and s.run(ex, {x: -1}) == 0
        with pytest.raises(InvalidArgumentError, match="exclusive=True but more than one"):
            s.run(ex, {x: 9})
    with pytest.raises(TypeError, match="bool tensor, callable"):
        tf.case([(x > 0, 3)])
    with pytest.raises(TypeError, match="predicates must be bool"):
        tf.case([(x, lambda: x)], default=lambda: x)


def test_group_runs_everything():
    a, b = tf.Variable(0), tf.Variable(0)
    g = tf.group(tf.assign(a, 1), [tf.assign(b, 2)])
    assert g.type == "NoOp"
    with tf.Session() as s:
        s.run(g)
        assert (s.run(a), s.run(b)) == (1, 2)


def test_tuple_gates_each_output_on_all():
    v = tf.Variable(0)
    x = tf.constant(5)
    upd = tf.assign(v, 7)
    out = tf.tuple([x, None], control_inputs=[upd])
    assert out[1] is None
    with tf.Session() as s:
        assert s.run(out[0]) == 5 and s.run(v) == 7  # reading x ran the assign
    with pytest.raises(TypeError):
        tf.tuple(5)
