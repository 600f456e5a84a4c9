"""Random ops: distributions (moments), TF 1.x seeding rules, repeatability, errors."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet.errors import InvalidArgumentError
from tensorlet.framework.registry import op_def
from tensorlet.ops.random import DEFAULT_GRAPH_SEED, op_seeds

N = 200_000


def _run(t, feed=None):
    with tf.Session() as s:
        return s.run(t, feed)


# -- distributions ------------------------------------------------------------------------------


def test_random_normal_moments_shape_dtype_and_name():
    t = tf.random_normal([400, 500], mean=2.0, stddev=3.0, seed=1)
    assert t.name == "random_normal:0" and t.shape == (400, 500) and t.dtype == tf.float32
    v = _run(t)
    assert v.dtype == np.float32 and v.shape == (400, 500)
    assert abs(v.mean() - 2.0) < 0.03 and abs(v.std() - 3.0) < 0.03
    # fraction inside one standard deviation of a normal: 0.6827
    assert abs(np.mean(np.abs(v - 2.0) < 3.0) - 0.6827) < 0.005


@pytest.mark.parametrize("dtype", [tf.float16, tf.float64])
def test_random_normal_other_float_dtypes(dtype):
    v = _run(tf.random.normal([N], dtype=dtype, seed=3))
    assert v.dtype == dtype.np
    assert abs(float(v.astype(np.float64).std()) - 1.0) < 0.02


def test_truncated_normal_is_cut_at_two_stddev():
    v = _run(tf.truncated_normal([N], mean=1.0, stddev=0.5, seed=2))
    assert v.min() >= 1.0 - 2 * 0.5 and v.max() <= 1.0 + 2 * 0.5
    # stddev of a unit normal truncated to [-2, 2] is 0.8796
    assert abs(v.std() / 0.5 - 0.87962566) < 0.01 and abs(v.mean() - 1.0) < 0.01


def test_random_uniform_float_range_and_moments():
    v = _run(tf.random_uniform([N], -2.0, 4.0, seed=4))
    assert v.dtype == np.float32 and v.min() >= -2.0 and v.max() < 4.0
    assert abs(v.mean() - 1.0) < 0.03 and abs(v.var() - 36 / 12) < 0.05
    d = _run(tf.random.uniform([N], seed=5))  # default [0, 1)
    assert d.min() >= 0.0 and d.max() < 1.0 and abs(d.mean() - 0.5) < 0.01


def test_random_uniform_int_covers_range_evenly():
    v = _run(tf.random_uniform([N], minval=3, maxval=8, dtype=tf.int32, seed=6))
    assert v.dtype == np.int32
    counts = np.bincount(v - 3, minlength=5)
    assert set(np.unique(v)) == {3, 4, 5, 6, 7}
    assert np.all(np.abs(counts / N - 0.2) < 0.01)
    assert _run(tf.random_uniform([4], maxval=2**40, dtype=tf.int64, seed=1)).dtype == np.int64


def test_random_shuffle_permutes_first_axis_only():
    x = np.arange(30).reshape(10, 3)
    out = _run(tf.random_shuffle(tf.constant(x), seed=7))
    assert out.shape == (10, 3) and not np.array_equal(out, x)
    assert sorted(map(tuple, out)) == sorted(map(tuple, x))  # rows kept intact
    np.testing.assert_array_equal(_run(tf.random.shuffle(tf.constant(5.0))), 5.0)


def test_multinomial_frequencies_follow_softmax():
    logits = np.log(np.array([[0.2, 0.5, 0.3], [0.7, 0.1, 0.2]], np.float32))
    s = tf.multinomial(logits, 50_000, seed=8)
    assert s.dtype == tf.int64 and s.shape == (2, 50_000)
    v = _run(s)
    for row, p in zip(v, np.exp(logits)):
        np.testing.assert_allclose(np.bincount(row, minlength=3) / row.size, p, atol=0.01)


def test_categorical_dtype_and_impossible_classes():
    logits = np.array([[0.0, -np.inf, 0.0]], np.float32)
    v = _run(tf.random.categorical(logits, 1000, dtype=tf.int32, seed=9))
    assert v.dtype == np.int32 and 1 not in v and set(np.unique(v)) == {0, 2}
    n = tf.placeholder(tf.int32, [])
    dyn = tf.random.categorical(logits, n)
    assert dyn.shape.as_list() == [1, None]
    assert _run(dyn, {n: 4}).shape == (1, 4)


def test_random_gamma_moments_and_shape():
    g = tf.random_gamma([N], alpha=[2.0, 5.0], beta=[1.0, 2.0], seed=10)
    assert g.shape == (N, 2)
    v = _run(g)
    np.testing.assert_allclose(v.mean(axis=0), [2.0, 2.5], rtol=0.02)
    np.testing.assert_allclose(v.var(axis=0), [2.0, 1.25], rtol=0.04)
    assert _run(tf.random.gamma([3, 4], 1.5, seed=1)).shape == (3, 4)


def test_dynamic_shape_from_a_tensor():
    x = tf.placeholder(tf.float32, [None, 3])
    r = tf.random_normal(tf.shape(x), seed=1)
    assert r.shape.as_list() == [None, None]
    assert _run(r, {x: np.zeros((5, 3))}).shape == (5, 3)


# -- seeds and repeatability ----------------------------------------------------------------------


def test_op_seeds_rule():
    g = tf.get_default_graph()
    assert op_seeds(None) == (None, None)
    assert op_seeds(5) == (DEFAULT_GRAPH_SEED, 5)
    tf.set_random_seed(42)
    tf.constant(1.0)
    assert op_seeds(None) == (42, len(g.get_operations()))
    assert op_seeds(7) == (42, 7)
    tf.random.set_seed(0)
    assert op_seeds(0) == (0, 2**31 - 1)  # (0, 0) would mean "nondeterministic"


def _build(graph_seed=None, op_seed=None):
    g = tf.Graph()
    with g.as_default():
        if graph_seed is not None:
            tf.set_random_seed(graph_seed)
        a = tf.random_normal([5], seed=op_seed)
        b = tf.random_uniform([5], seed=op_seed)
    return g, a, b


@pytest.mark.parametrize("graph_seed,op_seed", [(1, None), (1, 3), (None, 3)])
def test_seeded_ops_repeat_across_sessions_and_graphs(graph_seed, op_seed):
    values = []
    for _ in range(2):
        g, a, b = _build(graph_seed, op_seed)
        for _ in range(2):
            with tf.Session(graph=g) as s:
                values.append((s.run(a), s.run(a), s.run(b)))
    first = values[0]
    for other in values[1:]:
        for x, y in zip(first, other):
            np.testing.assert_array_equal(x, y)
    assert not np.array_equal(first[0], first[1])  # the stream advances within a session


def test_different_graph_seeds_differ():
    _, a1, _ = _build(1, None)
    _, a2, _ = _build(2, None)
    with tf.Session(graph=a1.graph) as s1, tf.Session(graph=a2.graph) as s2:
        assert not np.array_equal(s1.run(a1), s2.run(a2))


def test_different_ops_with_a_graph_seed_differ():
    tf.set_random_seed(5)
    a = tf.random_normal([6])
    b = tf.random_normal([6])
    va, vb = _run([a, b])
    assert not np.array_equal(va, vb)


def test_unseeded_ops_differ_between_sessions():
    a = tf.random_normal([8])
    assert not np.array_equal(_run(a), _run(a))


def test_random_ops_have_no_gradient_but_mean_and_stddev_do():
    for t in ("RandomStandardNormal", "TruncatedNormal", "RandomUniform", "RandomUniformInt",
              "RandomShuffle", "Multinomial", "RandomGamma", "RandomOrthogonal"):
        assert not op_def(t).differentiable
    mean, std = tf.constant(1.0), tf.constant(2.0)
    r = tf.random_normal([1000], mean, std, seed=1)
    gm, gs = tf.gradients(tf.reduce_sum(r), [mean, std])
    noise = tf.get_default_graph().get_operation_by_name("random_normal/RandomStandardNormal")
    vm, vs, vn = _run([gm, gs, noise.outputs[0]])
    assert vm == 1000.0
    np.testing.assert_allclose(vs, vn.sum(), rtol=1e-4)


# -- errors -----------------------------------------------------------------------------------


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="floating-point.*int32"):
        tf.random_normal([2], dtype=tf.int32)
    with pytest.raises(ValueError, match="maxval for integer"):
        tf.random_uniform([2], dtype=tf.int32)
    with pytest.raises(ValueError, match="minval < maxval"):
        tf.random_uniform([2], 5, 5, dtype=tf.int32)
    with pytest.raises(ValueError, match="float type, int32 or int64"):
        tf.random_uniform([2], dtype=tf.bool)
    with pytest.raises(ValueError, match="non-negative"):
        tf.random_normal([2, -3])
    with pytest.raises(ValueError, match="fully defined"):
        tf.random_normal([None, 3])
    with pytest.raises(TypeError, match="1-D int32/int64"):
        tf.random_normal(tf.constant([2.0]))
    with pytest.raises(ValueError, match="2-D float"):
        tf.multinomial(tf.constant([0.1, 0.9]), 3)
    with pytest.raises(ValueError, match="num_samples must be >= 0"):
        tf.multinomial([[0.1, 0.9]], -1)
    with pytest.raises(ValueError, match="int32 or int64"):
        tf.multinomial([[0.1, 0.9]], 2, output_dtype=tf.float32)


def test_run_time_errors_name_the_problem():
    logits = tf.placeholder(tf.float32, [None, 2])
    with pytest.raises(InvalidArgumentError, match="row 1 has no finite"):
        _run(tf.multinomial(logits, 2), {logits: [[0.0, 1.0], [np.nan, 0.0]]})
    hi = tf.placeholder(tf.int32, [])
    with pytest.raises(InvalidArgumentError, match="minval < maxval"):
        _run(tf.random_uniform([2], 3, hi, dtype=tf.int32), {hi: 1})
    alpha = tf.placeholder(tf.float32, [2])
    with pytest.raises(InvalidArgumentError, match="alpha must be positive"):
        _run(tf.random_gamma([3], alpha), {alpha: [1.0, -1.0]})
    shape = tf.placeholder(tf.int32, [2])
    with pytest.raises(InvalidArgumentError, match="non-negative"):
        _run(tf.random_uniform(shape), {shape: [2, -1]})


# -- Stateless draws (tf.random.stateless_*) ---------------------------------------------------


@pytest.mark.parametrize("draw", [
    lambda seed: tf.random.stateless_normal([500], seed, mean=1.0, stddev=2.0),
    lambda seed: tf.random.stateless_truncated_normal([500], seed),
    lambda seed: tf.random.stateless_uniform([500], seed, minval=-1.0, maxval=3.0),
    lambda seed: tf.random.stateless_uniform([500], seed, minval=2, maxval=9, dtype=tf.int64),
    lambda seed: tf.random.stateless_categorical([[0.0, 1.0, -np.inf]], 50, seed),
    lambda seed: tf.random.stateless_gamma([500], seed, alpha=2.0),
    lambda seed: tf.random.stateless_normal([5], seed, alg="philox"),
    lambda seed: tf.random.stateless_binomial([2, 25], seed, counts=[[10.0], [5.0]], probs=0.5),
])
def test_stateless_draws_repeat_at_every_run_and_depend_on_the_seed(draw):
    with tf.Graph().as_default():
        a, b = draw([1, 2]), draw(np.array([1, 3], np.int64))
        with tf.Session() as sess:
            first, again, other = sess.run(a), sess.run(a), sess.run(b)
        with tf.Session() as sess:
            fresh_session = sess.run(a)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, fresh_session)
    assert not np.array_equal(first, other)
    with tf.eager_mode():  # eagerly: every call gives the same numbers as well
        np.testing.assert_array_equal(draw([1, 2]).numpy(), draw((1, 2)).numpy())
        np.testing.assert_array_equal(draw([1, 2]).numpy(), first)


def test_stateless_draws_follow_their_distribution():
    with tf.Graph().as_default(), tf.Session() as sess:
        n = sess.run(tf.random.stateless_normal([20000], [4, 5], mean=1.0, stddev=2.0))
        t = sess.run(tf.random.stateless_truncated_normal([20000], [4, 5]))
        u = sess.run(tf.random.stateless_uniform([20000], [4, 5], minval=-1.0, maxval=3.0))
        i = sess.run(tf.random.stateless_uniform([20000], [4, 5], minval=2, maxval=5,
                                                 dtype=tf.int32))
        c = sess.run(tf.random.stateless_categorical([[0.0, 0.0, -np.inf]], 2000, [4, 5]))
    assert abs(n.mean() - 1.0) < 0.06 and abs(n.std() - 2.0) < 0.06
    assert np.abs(t).max() <= 2.0
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.05
    assert i.dtype == np.int32 and set(np.unique(i)) == {2, 3, 4}
    assert c.dtype == np.int64 and set(np.unique(c)) == {0, 1}


def test_stateless_seed_must_be_a_pair_of_ints_known_when_built():
    with tf.Graph().as_default():
        for bad in (3, [1, 2, 3], [1.5, 2.0], "ab"):
            with pytest.raises(ValueError, match="seed must have shape"):
                tf.random.stateless_normal([2], bad)
        seed = tf.placeholder(tf.int64, [2])
        with pytest.raises(TypeError, match="known when the op is built"):
            tf.random.stateless_uniform([2], seed)
        with pytest.raises(ValueError, match="alg"):
            tf.random.stateless_normal([2], [1, 2], alg="mt19937")
        a = tf.random.stateless_normal([3], tf.constant([1, 2]))  # a constant tensor is known
        b = tf.random.stateless_normal([3], [1, 2])
        with tf.Session() as sess:
            np.testing.assert_array_equal(*sess.run([a, b]))


def test_stateless_gamma_has_exactly_the_given_shape():
    with tf.Graph().as_default(), tf.Session() as sess:
        g = sess.run(tf.random.stateless_gamma([4000, 2], [1, 2], alpha=[0.5, 4.0]))
    assert g.shape == (4000, 2)
    np.testing.assert_allclose(g.mean(axis=0), [0.5, 4.0], rtol=0.08)


def test_binomial_moments_and_errors():
    with tf.Graph().as_default(), tf.Session() as sess:
        b = sess.run(tf.random.stateless_binomial([20000], [1, 2], counts=10.0, probs=0.3,
                                                  output_dtype=tf.int64))
        assert b.dtype == np.int64 and abs(b.mean() - 3.0) < 0.05 and abs(b.var() - 2.1) < 0.1
        with pytest.raises(InvalidArgumentError, match="probs in"):
            sess.run(tf.random.stateless_binomial([3], [1, 2], counts=5.0, probs=1.5))
        with pytest.raises(InvalidArgumentError, match="must broadcast"):
            sess.run(tf.random.stateless_binomial([3], [1, 2], counts=[5.0, 6.0], probs=0.5))


def test_float16_uniform_draws_stay_below_one():
    with tf.Graph().as_default(), tf.Session() as sess:
        u = sess.run(tf.random_uniform([200_000], dtype=tf.float16, seed=3))
    assert u.dtype == np.float16 and u.max() < 1 and u.min() >= 0
