"""Review of Session.run, plans and plan passes against TF 1.x semantics."""
import numpy as np
import pytest

import tensorlet as tf


def test_review_same_tensor_fetched_twice_and_fetch_of_a_fed_tensor():
    p = tf.placeholder(tf.float32, [2])
    q = p * 2.0
    with tf.Session() as s:
        a, b = s.run([q, q], {p: [1.0, 2.0]})
        np.testing.assert_array_equal(a, [2, 4])
        assert a is not b
        np.testing.assert_array_equal(s.run(q, {q: [5.0, 6.0]}), [5, 6])


def test_review_feeding_a_variable_overrides_every_read():
    v = tf.Variable([1.0, 2.0])
    w = v * 10.0
    r = v.read_value() + 1.0
    with tf.Session() as s:  # no initialisation needed: the value is fed
        np.testing.assert_array_equal(s.run(w, {v: [3.0, 4.0]}), [30, 40])
        np.testing.assert_array_equal(s.run(r, {v: [3.0, 4.0]}), [4, 5])


def test_review_scalar_feeds_and_shape_none_placeholders():
    s_ph = tf.placeholder(tf.float32, [])
    n = tf.placeholder(tf.float32, None)
    with tf.Session() as s:
        out = s.run(s_ph * 2, {s_ph: 3})
        assert out == 6.0 and out.dtype == np.float32
        np.testing.assert_array_equal(s.run(n + 1, {n: [[1, 2], [3, 4]]}), [[2, 3], [4, 5]])


def test_review_integer_feed_out_of_range_raises():
    p = tf.placeholder(tf.int8, [])
    u = tf.placeholder(tf.uint8, [2])
    with tf.Session() as s:
        with pytest.raises(tf.errors.InvalidArgumentError, match="int8"):
            s.run(p + 1, {p: 1000})
        with pytest.raises(tf.errors.InvalidArgumentError, match="uint8"):
            s.run(u + 1, {u: np.array([-1, 3])})
        with pytest.raises(tf.errors.InvalidArgumentError, match="int8"):
            s.run(p + 1, {p: np.nan})
        assert s.run(p + 1, {p: 3.7}) == 4   # a float feed truncates, as NumPy's cast


def test_review_run_options_and_metadata_are_accepted():
    p = tf.placeholder(tf.float32, [])
    opts = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    meta = tf.RunMetadata()
    cfg = tf.ConfigProto(allow_soft_placement=True, gpu_options=tf.GPUOptions(allow_growth=True))
    cfg.gpu_options.per_process_gpu_memory_fraction = 0.5
    with tf.Session(config=cfg) as s:
        assert s.run(p + 1, {p: 1.0}, options=opts, run_metadata=meta) == 2.0
    assert cfg.allow_soft_placement and cfg.gpu_options.allow_growth


def test_review_session_of_another_graph_names_the_tensor():
    p = tf.placeholder(tf.float32, [2], name="p")
    g = tf.Graph()
    with pytest.raises(ValueError, match="Mul:0 is not an element of this session's graph"):
        tf.Session(graph=g).run(p * 2, {p: [1, 2]})
    with pytest.raises(ValueError, match="p:0"):
        tf.Session(graph=g).run([], {p: [1, 2]})


def test_review_plan_cache_ignores_feed_dict_order():
    a = tf.placeholder(tf.float32, [2])
    b = tf.placeholder(tf.float32, [2])
    y = a - b
    with tf.Session() as s:
        np.testing.assert_array_equal(s.run(y, {a: [5, 5], b: [1, 2]}), [4, 3])
        np.testing.assert_array_equal(s.run(y, {b: [1, 2], a: [5, 5]}), [4, 3])
        assert len(s._plans) == 1


def test_review_cse_distinguishes_attr_types():
    from tensorlet.runtime.passes import _attr_key
    assert _attr_key({"a": 1}) != _attr_key({"a": True})
    assert _attr_key({"a": 1}) != _attr_key({"a": 1.0})
    assert _attr_key({"a": 0.0}) != _attr_key({"a": -0.0})
    assert _attr_key({"a": np.array([1], np.int32)}) != _attr_key({"a": np.array([1], np.int64)})
    assert _attr_key({"a": np.zeros((2, 1))}) != _attr_key({"a": np.zeros((1, 2))})


def test_review_constant_folding_skips_results_too_big_to_keep(monkeypatch):
    calls = []
    big = tf.constant(np.ones((300, 300), np.float32))
    y = tf.matmul(big, big)
    kernel = y.op.opdef.kernel

    def counting(attrs, *a):
        calls.append(1)
        return kernel(attrs, *a)
    monkeypatch.setattr(y.op.opdef, "kernel", counting)
    with tf.Session() as s:
        s.run(y)
    assert len(calls) == 1   # not once to fold (and throw away) and once more to run


def test_review_folding_never_touches_fed_or_stateful_inputs():
    c = tf.constant(2.0)
    y = c * 3.0
    v = tf.Variable(1.0)
    z = v * 3.0
    with tf.Session() as s:
        s.run(v.initializer)
        assert s.run(y, {c: 5.0}) == 15.0
        assert s.run(z) == 3.0
        s.run(v.assign(2.0))
        assert s.run(z) == 6.0


def test_review_dead_code_elimination_keeps_control_dependencies():
    v = tf.Variable(0.0)
    inc = tf.assign_add(v, 1.0)
    with tf.control_dependencies([inc]):
        y = tf.constant(5.0) + 1.0
    with tf.Session() as s:
        s.run(v.initializer)
        assert s.run(y) == 6.0
        assert s.run(y) == 6.0
        assert s.run(v) == 2.0


def test_review_kernel_memory_error_is_resource_exhausted(monkeypatch):
    x = tf.placeholder(tf.float32, [2])
    y = tf.exp(x)

    def boom(attrs, a):
        raise MemoryError("no memory")
    monkeypatch.setattr(y.op.opdef, "kernel", boom)
    with tf.Session() as s:
        with pytest.raises(tf.errors.ResourceExhaustedError, match="Exp"):
            s.run(y, {x: [1.0, 2.0]})


def test_review_each_read_of_a_variable_sees_the_value_at_its_place_in_the_run():
    v = tf.Variable(1.0)
    before = v * 1.0
    with tf.control_dependencies([before]):
        asg = v.assign(5.0)
    with tf.control_dependencies([asg]):
        after = v * 1.0
    with tf.Session() as s:
        s.run(v.initializer)
        assert s.run([before, after]) == [1.0, 5.0]
