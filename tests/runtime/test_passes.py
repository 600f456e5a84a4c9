"""Plan passes: each one changes the plan and never the numbers; each can be switched off."""
import numpy as np
import pytest

import tensorlet as tf


def plan_types(sess, fetch, feed=None):
    sess.run(fetch, feed)
    plan = next(reversed(sess._plans.values()))
    return [step[5].type for step in plan.steps]


def test_constant_folding(monkeypatch):
    x = tf.placeholder(tf.float32, [2])
    y = x + tf.constant(2.0) * tf.constant(3.0)
    with tf.Session() as s:
        types = plan_types(s, y, {x: [1.0, 2.0]})
        assert "Mul" not in types
        np.testing.assert_array_equal(s.run(y, {x: [1.0, 2.0]}), [7, 8])
    monkeypatch.setenv("TENSORLET_DISABLE_PASSES", "fold")
    with tf.Session() as s:
        assert "Mul" in plan_types(s, y, {x: [1.0, 2.0]})


def test_cse_merges_duplicates(monkeypatch):
    x = tf.placeholder(tf.float32, [3])
    y = tf.exp(x) + tf.exp(x)
    with tf.Session() as s:
        assert plan_types(s, y, {x: [0.0, 1, 2]}).count("Exp") == 1
        np.testing.assert_allclose(s.run(y, {x: [0.0, 1, 2]}), 2 * np.exp([0, 1, 2]),
                                   rtol=1e-6)
    monkeypatch.setenv("TENSORLET_DISABLE_PASSES", "all")
    with tf.Session() as s:
        assert plan_types(s, y, {x: [0.0, 1, 2]}).count("Exp") == 2


def test_stateful_ops_never_merged():
    v = tf.Variable(0.0)
    a, b = tf.assign_add(v, 1.0), tf.assign_add(v, 1.0)
    with tf.Session() as s:
        s.run(v.initializer)
        s.run(tf.group(a, b))
        assert s.run(v) == 2.0


@pytest.mark.parametrize("seed", range(5))
def test_random_graphs_same_values_with_and_without_passes(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    x = tf.placeholder(tf.float64, [4, 4])
    vals = [x, tf.constant(rng.standard_normal((4, 4)))]
    for _ in range(12):
        a, b = rng.choice(len(vals), 2)
        op = rng.choice(["add", "mul", "tanh", "matmul", "max", "sub"])
        if op == "tanh":
            vals.append(tf.tanh(vals[a]))
        elif op == "matmul":
            vals.append(tf.matmul(vals[a], vals[b]) * 0.1)
        elif op == "max":
            vals.append(tf.maximum(vals[a], vals[b]))
        else:
            vals.append(getattr(tf, {"add": "add", "mul": "multiply", "sub": "subtract"}[op])(
                vals[a], vals[b]))
    out = tf.add_n(vals[-3:])
    feed = {x: rng.standard_normal((4, 4))}
    with tf.Session() as s:
        got = s.run(out, feed)
    monkeypatch.setenv("TENSORLET_DISABLE_PASSES", "all")
    with tf.Session() as s:
        ref = s.run(out, feed)
    np.testing.assert_allclose(got, ref, rtol=1e-12)
