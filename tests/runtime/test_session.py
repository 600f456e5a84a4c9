"""Session.run semantics: fetch structures, feeds, pruning, caching, errors (TF 1.x)."""
import collections

import numpy as np
import pytest

import tensorlet as tf
from tensorlet.errors import FailedPreconditionError, InvalidArgumentError


def test_fetch_structures():
    a = tf.constant(1.0)
    b = tf.constant([1, 2])
    Pair = collections.namedtuple("Pair", "x y")
    with tf.Session() as s:
        assert s.run(a) == 1.0 and isinstance(s.run(a), np.float32)
        out = s.run({"a": a, "rest": [b, (a,)]})
        assert out["a"] == 1.0
        np.testing.assert_array_equal(out["rest"][0], [1, 2])
        assert isinstance(out["rest"][1], tuple)
        p = s.run(Pair(a, b))
        assert isinstance(p, Pair) and p.x == 1.0
        assert s.run(a.op) is None
        assert s.run("Const:0") == 1.0


def test_feed_by_tensor_and_name_converts_dtype():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    y = x * 2
    with tf.Session() as s:
        r = s.run(y, {x: [[1, 2]]})
        assert r.dtype == np.float32
        np.testing.assert_array_equal(r, [[2, 4]])
        np.testing.assert_array_equal(s.run(y, {"x:0": np.ones((1, 2))}), [[2, 2]])


def test_feed_wrong_shape_names_placeholder():
    x = tf.placeholder(tf.float32, [None, 2], name="inp")
    with tf.Session() as s:
        with pytest.raises(InvalidArgumentError, match=r"shape \(3,\).*inp:0.*\(None, 2\)"):
            s.run(x * 1, {x: [1, 2, 3]})
        with pytest.raises(ValueError):  # InvalidArgumentError is a ValueError as in TF
            s.run(x * 1, {x: [[1, 2, 3]]})


def test_feed_uncastable_value():
    x = tf.placeholder(tf.float32, [2], name="p")
    with tf.Session() as s:
        with pytest.raises(InvalidArgumentError, match="p:0.*float32"):
            s.run(x, {x: ["a", "b"]})


def test_missing_feed_names_placeholder():
    x = tf.placeholder(tf.float32, [None, 1], name="needed")
    y = x + 1
    with tf.Session() as s:
        with pytest.raises(InvalidArgumentError, match="needed.*float32"):
            s.run(y)


def test_only_needed_subgraph_runs():
    x = tf.placeholder(tf.float32, [], name="unfed")
    unused = x + 1  # would fail (unfed placeholder) if it ran
    c = tf.constant(3.0) * 2
    with tf.Session() as s:
        assert s.run(c) == 6.0
    del unused


def test_feed_overrides_intermediate_tensor():
    a = tf.constant(2.0)
    b = a * 3
    c = b + 1
    with tf.Session() as s:
        assert s.run(c) == 7.0
        assert s.run(c, {b: 10.0}) == 11.0


def test_placeholder_with_default():
    d = tf.placeholder_with_default(tf.constant([1.0, 2.0]), shape=[None])
    with tf.Session() as s:
        np.testing.assert_array_equal(s.run(d), [1, 2])
        np.testing.assert_array_equal(s.run(d, {d: [5.0]}), [5])


def test_closed_session_raises():
    s = tf.Session()
    s.close()
    with pytest.raises(RuntimeError, match="closed"):
        s.run(tf.constant(1))


def test_eval_and_interactive_session():
    c = tf.constant(5) + 1
    with pytest.raises(ValueError, match="default session"):
        c.eval()
    with tf.Session() as s:
        assert c.eval() == 6
        assert c.eval(session=s) == 6
    sess = tf.InteractiveSession()
    try:
        assert c.eval() == 6
        tf.no_op().run()
    finally:
        sess.close()


def test_fetched_arrays_are_fresh_copies():
    v = tf.Variable([1.0, 2.0])
    with tf.Session() as s:
        s.run(v.initializer)
        got = s.run(v)
        got[0] = 100.0
        np.testing.assert_array_equal(s.run(v), [1.0, 2.0])


def test_plans_are_cached_and_bounded():
    x = tf.placeholder(tf.float32, [])
    y = x + 1
    with tf.Session() as s:
        for i in range(5):
            s.run(y, {x: i})
        assert len(s._plans) == 1
        with pytest.warns(RuntimeWarning, match="graph grew"):
            for i in range(300):
                s.run(tf.constant(i))
        assert len(s._plans) <= 128


def test_graph_growth_warning_once():
    v = tf.Variable(0)
    with tf.Session() as s:
        s.run(v.initializer)
        with pytest.warns(RuntimeWarning, match="AssignAdd"):
            for _ in range(25):
                s.run(tf.assign_add(v, 1))


def test_kernel_failure_names_op_and_line():
    x = tf.placeholder(tf.float32, [None], name="a")
    y = tf.placeholder(tf.float32, [None], name="b")
    z = tf.add(x, y, name="sum_here")
    with tf.Session() as s:
        with pytest.raises(InvalidArgumentError, match="sum_here.*test_session.py"):
            s.run(z, {x: [1, 2], y: [1, 2, 3]})


def test_uninitialized_variable_named():
    v = tf.Variable(1.0, name="weights")
    with tf.Session() as s:
        with pytest.raises(FailedPreconditionError, match="weights"):
            s.run(v)


def test_fetch_bad_type():
    with tf.Session() as s:
        with pytest.raises(TypeError, match="invalid type"):
            s.run(3.5)
