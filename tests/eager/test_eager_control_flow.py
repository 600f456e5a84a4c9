"""tf.cond, tf.case and tf.while_loop in eager mode (TF 2: only the taken branch's function
runs, loops are Python loops over eager tensors, both differentiable through GradientTape) and
inside tf.function (traced into Cond / While ops: only the taken branch's ops run, gradients
reach variables read in branches, the numbers equal the eager ones)."""
import collections

import numpy as np
import pytest

import tensorlet as tf
from tensorlet.errors import InvalidArgumentError


@pytest.fixture(autouse=True)
def eager():
    with tf.eager_mode():
        yield


def _branches(x):
    calls = []

    def true_fn():
        calls.append("true")
        return x * 3.0

    def false_fn():
        calls.append("false")
        return x * 5.0
    return true_fn, false_fn, calls


# -- cond -----------------------------------------------------------------------------------


@pytest.mark.parametrize("pred,value,called", [(True, 6.0, ["true"]), (False, 10.0, ["false"])])
def test_cond_calls_only_the_taken_branch(pred, value, called):
    x = tf.constant(2.0)
    t, f, calls = _branches(x)
    out = tf.cond(tf.constant(pred), t, f)
    assert isinstance(out, tf.Tensor) and out._eager and float(out) == value
    assert calls == called


def test_cond_accepts_a_python_bool_and_computed_predicates():
    x = tf.constant(2.0)
    t, f, calls = _branches(x)
    assert float(tf.cond(True, t, f)) == 6.0
    assert float(tf.cond(x > 3.0, t, f)) == 10.0
    assert float(tf.cond(pred=tf.less(x, 3.0), true_fn=t, false_fn=f)) == 6.0
    assert float(tf.cond(x > 3.0, fn1=t, fn2=f)) == 10.0  # TF 1.x argument names
    assert calls == ["true", "false", "true", "false"]


def test_cond_results_keep_their_structure_and_become_tensors():
    Pair = collections.namedtuple("Pair", "a b")
    p = tf.constant(False)
    out = tf.cond(p, lambda: {"k": (1.0, 2)}, lambda: {"k": (3.0, 4)})
    assert float(out["k"][0]) == 3.0 and out["k"][1].dtype == tf.int32
    pair = tf.cond(p, lambda: Pair(1.0, 2.0), lambda: Pair(5.0, 6.0))
    assert isinstance(pair, Pair) and float(pair.b) == 6.0
    single = tf.cond(p, lambda: [1.0], lambda: [2.0])
    assert isinstance(single, tf.Tensor) and float(single) == 2.0   # unpacked (TF 1.x)
    strict = tf.cond(p, lambda: [1.0], lambda: [2.0], strict=True)
    assert isinstance(strict, list) and float(strict[0]) == 2.0


def test_cond_errors():
    x = tf.constant(1.0)
    with pytest.raises(TypeError, match="false_fn must be callable"):
        tf.cond(tf.constant(True), lambda: x, 3.0)
    with pytest.raises(TypeError, match="both true_fn and false_fn are required"):
        tf.cond(tf.constant(True), lambda: x)
    with pytest.raises(TypeError, match="pred must be a bool scalar tensor, got float32"):
        tf.cond(x, lambda: x, lambda: x)
    with pytest.raises(TypeError, match=r"pred must be a bool scalar tensor, got bool \(2,\)"):
        tf.cond(tf.constant([True, False]), lambda: x, lambda: x)
    with pytest.raises(ValueError, match="true_fn must have a return value"):
        tf.cond(tf.constant(True), lambda: None, lambda: x)


def test_cond_is_differentiable_through_the_tape():
    w = tf.Variable(3.0)
    u = tf.Variable(4.0)
    for pred, gw, gu in ((True, 6.0, None), (False, 4.0, 3.0)):
        with tf.GradientTape() as tape:
            y = tf.cond(tf.constant(pred), lambda: w * w, lambda: w * u)
        got_w, got_u = tape.gradient(y, [w, u])
        assert float(got_w) == gw
        assert (got_u is None) if gu is None else float(got_u) == gu


def test_cond_second_derivative_with_nested_tapes():
    x = tf.constant(2.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.cond(x > 1.0, lambda: x * x * x, lambda: x)
        dy = inner.gradient(y, x)
    assert float(dy) == 12.0 and float(outer.gradient(dy, x)) == 12.0


def test_cond_in_tf_function_traces_both_branches_and_runs_the_taken_one():
    calls = []
    v = tf.Variable(0.0)

    @tf.function
    def f(p, x):
        def t():
            calls.append("true")
            return v.assign_add(1.0) * 0.0 + x * 3.0

        def e():
            calls.append("false")
            return v.assign_add(10.0) * 0.0 + x * 5.0
        return tf.cond(p, t, e)

    x = tf.constant(2.0)
    assert float(f(tf.constant(True), x)) == 6.0
    assert sorted(calls) == ["false", "true"]        # both traced, once
    assert float(v.numpy()) == 1.0                   # only the taken branch's assign ran
    assert float(f(tf.constant(False), x)) == 10.0
    assert calls == ["true", "false"] and float(v.numpy()) == 11.0
    ops = f.get_concrete_function(tf.constant(True), x).graph.get_operations()
    assert [op.type for op in ops].count("Cond") == 1


def test_cond_gradient_in_tf_function_reaches_variables_read_in_the_branches():
    w = tf.Variable(3.0)

    @tf.function
    def grad(p):
        with tf.GradientTape() as tape:
            y = tf.cond(p, lambda: w * w, lambda: w * 7.0)
        return tape.gradient(y, w)

    assert float(grad(tf.constant(True))) == 6.0
    assert float(grad(tf.constant(False))) == 7.0


def test_a_branch_that_writes_a_variable_reads_the_written_value_in_tf_function():
    v = tf.Variable(1.0)

    def branch():
        assigned = v.assign(5.0)
        return assigned, v.read_value() * 2.0   # read after the assign, as eagerly

    def other():
        return v.read_value(), v.read_value()

    eager = tf.cond(tf.constant(True), branch, other)
    v.assign(1.0)
    traced = tf.function(lambda p: tf.cond(p, branch, other))(tf.constant(True))
    assert [float(x) for x in eager] == [float(x) for x in traced] == [5.0, 10.0]


def test_nested_cond_inside_a_while_loop_in_tf_function():
    @tf.function
    def f(n):
        return tf.while_loop(lambda i, s: i < n,
                             lambda i, s: (i + 1, tf.cond(s > 5.0, lambda: s + 1.0,
                                                          lambda: s * 2.0)),
                             [0, tf.constant(1.0)])

    i, s = f(tf.constant(5))
    assert int(i) == 5 and float(s) == 10.0  # 1 -> 2 -> 4 -> 8 -> 9 -> 10
    assert [float(v) for v in f(tf.constant(2))] == [2.0, 4.0]


def test_training_step_with_cond_gives_the_same_numbers_eager_and_in_tf_function():
    def run(compiled):
        w = tf.Variable([[0.5, -0.25], [0.1, 0.3]])
        opt = tf.train.GradientDescentOptimizer(0.1)

        def step(x, p):
            with tf.GradientTape() as tape:
                h = tf.matmul(x, w)
                y = tf.cond(p, lambda: tf.nn.relu(h) * 2.0, lambda: tf.tanh(h))
                loss = tf.reduce_sum(y * y)
            opt.apply_gradients([(tape.gradient(loss, w), w)])
            return loss
        if compiled:
            step = tf.function(step)
        x = tf.constant([[1.0, 2.0], [-1.0, 0.5]])
        losses = [float(step(x, tf.constant(k % 2 == 0))) for k in range(6)]
        return losses, w.numpy()

    eager_losses, eager_w = run(False)
    fn_losses, fn_w = run(True)
    np.testing.assert_allclose(fn_losses, eager_losses, rtol=1e-6)
    np.testing.assert_allclose(fn_w, eager_w, rtol=1e-6)
    assert eager_losses[-1] < eager_losses[0]


# -- case -----------------------------------------------------------------------------------


def _case_fns(calls):
    def fn(k):
        def f():
            calls.append(k)
            return tf.constant(float(k))
        return f
    return fn


def test_case_calls_only_the_chosen_function():
    calls = []
    fn = _case_fns(calls)
    x = tf.constant(5)
    out = tf.case([(x < 3, fn(1)), (x < 7, fn(2)), (x < 9, fn(3))], default=fn(4))
    assert float(out) == 2.0 and calls == [2]
    out = tf.case({x > 100: fn(1)}, default=fn(4))
    assert float(out) == 4.0 and calls == [2, 4]
    out = tf.case([(x > 1, fn(1)), (x > 2, fn(2))])  # first true wins
    assert float(out) == 1.0 and calls == [2, 4, 1]


def test_case_without_default_asserts_the_last_predicate():
    calls = []
    fn = _case_fns(calls)
    x = tf.constant(5)
    assert float(tf.case([(x < 3, fn(1)), (x > 3, fn(2))])) == 2.0
    with pytest.raises(InvalidArgumentError,
                       match=r"none of the conditions \(pred_fn_pairs\[0\], pred_fn_pairs\[1\]"):
        tf.case([(x < 3, fn(1)), (x > 8, fn(2))])


def test_case_exclusive_is_checked_before_any_function_runs():
    calls = []
    fn = _case_fns(calls)
    x = tf.constant(5)
    with pytest.raises(InvalidArgumentError, match="exclusive=True but more than one"):
        tf.case([(x > 1, fn(1)), (x > 2, fn(2))], exclusive=True)
    assert calls == []
    assert float(tf.case([(x > 1, fn(1)), (x > 7, fn(2))], exclusive=True)) == 1.0


def test_case_errors_and_gradient():
    x = tf.constant(5)
    with pytest.raises(TypeError, match=r"predicates must be bool tensors, got int32 "
                                        r"\(pred_fn_pairs\[1\]\)"):
        tf.case([(x > 1, lambda: 1.0), (x, lambda: 2.0)])
    w = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = tf.case([(x > 9, lambda: w * 10.0), (x > 3, lambda: w * w * w)],
                    default=lambda: w)
    assert float(tape.gradient(y, w)) == 12.0


# -- while_loop ---------------------------------------------------------------------------


def test_while_loop_counts_and_returns_a_tensor_for_one_variable():
    out = tf.while_loop(lambda i: i < 10, lambda i: i + 1, [tf.constant(0)])
    assert isinstance(out, tf.Tensor) and out._eager and int(out) == 10
    out = tf.while_loop(lambda i: i < 10, lambda i: i + 2, [0], return_same_structure=True)
    assert isinstance(out, list) and int(out[0]) == 10
    assert int(tf.while_loop(lambda i: i < 10, lambda i: i + 3, 0)) == 12  # a bare loop var


def test_while_loop_structures_and_python_start_values():
    i, s = tf.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s + tf.cast(i, tf.float32)),
                         (0, 0.0))
    assert int(i) == 4 and float(s) == 6.0 and s.dtype == tf.float32
    Pair = collections.namedtuple("Pair", "n acc")
    (out,) = tf.while_loop(lambda p: p.n < 3, lambda p: Pair(p.n + 1, p.acc * 2.0),
                           [Pair(tf.constant(0), tf.constant([1.0, 3.0]))])
    assert isinstance(out, Pair) and out.acc.numpy().tolist() == [8.0, 24.0]
    (d,) = tf.while_loop(lambda d: d["k"] < 5, lambda d: {"k": d["k"] + 1, "v": d["v"] - 1},
                         [{"k": 0, "v": 10}])
    assert int(d["k"]) == 5 and int(d["v"]) == 5


def test_while_loop_stops_calling_body_once_cond_is_false_and_at_maximum_iterations():
    seen = []

    def body(i):
        seen.append(int(i))
        return i + 1
    assert int(tf.while_loop(lambda i: i < 3, body, [0])) == 3 and seen == [0, 1, 2]
    assert int(tf.while_loop(lambda i: i < 100, lambda i: i + 1, [0],
                             maximum_iterations=7)) == 7
    assert int(tf.while_loop(lambda i: i < 100, lambda i: i + 1, [0],
                             maximum_iterations=tf.constant(0))) == 0


def test_while_loop_shape_invariants_allow_growing_shapes():
    x = tf.while_loop(lambda x: tf.shape(x)[0] < 8, lambda x: tf.concat([x, x], 0),
                      [tf.ones([1])], shape_invariants=[tf.TensorShape([None])])
    assert x.shape.as_list() == [8]


def test_while_loop_errors():
    with pytest.raises(TypeError, match="loop variable 0 enters as int32 but body returns "
                                        "float32"):
        tf.while_loop(lambda i: i < 3, lambda i: tf.cast(i, tf.float32) + 1.0, [0])
    with pytest.raises(ValueError, match=r"loop variable 0 has shape \(2,\) after iteration 1, "
                                         "incompatible with its shape invariant"):
        tf.while_loop(lambda x: tf.reduce_sum(x) < 9.0, lambda x: tf.concat([x, x], 0),
                      [tf.ones([1])])
    with pytest.raises(ValueError, match="body must return the structure of loop_vars"):
        tf.while_loop(lambda i, j: i < 3, lambda i, j: i + 1, [0, 1])
    with pytest.raises(TypeError, match="cond must return one bool scalar tensor, got int32"):
        tf.while_loop(lambda i: i, lambda i: i - 1, [3])
    with pytest.raises(ValueError, match="body must return a value"):
        tf.while_loop(lambda i: i < 3, lambda i: None, [0])
    with pytest.raises(ValueError, match="maximum_iterations must be an integer scalar"):
        tf.while_loop(lambda i: i < 3, lambda i: i + 1, [0], maximum_iterations=2.5)
    with pytest.raises(ValueError, match="not compatible with the initial shape .* of loop "
                                         "variable 1"):
        tf.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, x), [0, tf.ones([2])],
                      shape_invariants=[tf.TensorShape([]), tf.TensorShape([3])])
    with pytest.raises(TypeError, match="cond and body must be callable"):
        tf.while_loop(True, lambda i: i, [0])


def _graph_loop_gradient(x0):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [])
        y = tf.while_loop(lambda v: v < 10.0, lambda v: v * v + 1.0, [x])
        (g,) = tf.gradients(y, x)
        with tf.Session() as s:
            return s.run([y, g], {x: x0})


def test_while_loop_gradient_through_the_tape_matches_graph_mode():
    x = tf.constant(2.0, tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.while_loop(lambda v: v < 10.0, lambda v: v * v + 1.0, [x])
    graph_y, graph_g = _graph_loop_gradient(2.0)
    assert float(y) == graph_y == 26.0
    assert float(tape.gradient(y, x)) == pytest.approx(graph_g) == 40.0


def test_while_loop_gradients_for_variables_and_second_derivatives():
    w = tf.Variable(1.5)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            _, s = tf.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * w),
                                 [0, tf.constant(1.0)])
        g = inner.gradient(s, w)                  # d(w^3) = 3 w^2
    assert float(s) == pytest.approx(3.375) and float(g) == pytest.approx(6.75)
    assert float(outer.gradient(g, w)) == pytest.approx(9.0)  # 6 w (eager loops allow it)


def test_while_loop_back_prop_false_gives_no_gradient():
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.while_loop(lambda v: v < 10.0, lambda v: v * v + 1.0, [x], back_prop=False)
    assert float(y) == 26.0 and tape.gradient(y, x) is None


def test_while_loop_in_tf_function_is_a_while_op_with_the_eager_numbers():
    w = tf.Variable(1.5)

    def power(n):
        with tf.GradientTape() as tape:
            _, s = tf.while_loop(lambda i, s: i < n, lambda i, s: (i + 1, s * w),
                                 [0, tf.constant(1.0)])
        return s, tape.gradient(s, w)

    traced = tf.function(power)
    for n in (1, 2, 4):
        e_s, e_g = power(tf.constant(n))
        f_s, f_g = traced(tf.constant(n))
        assert float(f_s) == pytest.approx(float(e_s)) == pytest.approx(1.5 ** n)
        assert float(f_g) == pytest.approx(float(e_g)) == pytest.approx(n * 1.5 ** (n - 1))
    ops = traced.get_concrete_function(tf.constant(1)).graph.get_operations()
    assert "While" in [op.type for op in ops]
