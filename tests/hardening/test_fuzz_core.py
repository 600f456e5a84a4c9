"""Property-based fuzzing of feeds and op builds: correct results or tensorlet's documented
errors — never an internal IndexError/AttributeError or a NumPy traceback."""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tensorlet as tf
from tensorlet.errors import InvalidArgumentError

DOCUMENTED = (InvalidArgumentError, ValueError, TypeError)
dims = st.lists(st.integers(0, 5), min_size=0, max_size=4)
values = st.sampled_from([0.0, 1.5, -2.0, np.nan, np.inf, -np.inf, 1e30])
dtypes = st.sampled_from([np.float32, np.float64, np.int32, np.int64, np.bool_, np.uint8])
fuzz = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@fuzz
@given(shape=dims, fill=values, dtype=dtypes, ph_shape=st.lists(
    st.one_of(st.none(), st.integers(0, 5)), min_size=0, max_size=4))
def test_feed_any_array_to_a_placeholder(shape, fill, dtype, ph_shape):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, ph_shape)
        y = tf.reduce_sum(x * 2.0 + 1.0)
        with np.errstate(all="ignore"):
            arr = np.full(shape, fill).astype(dtype) if dtype is not np.bool_ else \
                np.zeros(shape, bool)
        with tf.Session() as s:
            try:
                out = s.run(y, {x: arr})
            except DOCUMENTED as e:
                assert "x" in str(e) or "Placeholder" in str(e) or "shape" in str(e)
                return
        with np.errstate(all="ignore"):
            ref = np.sum(arr.astype(np.float32) * np.float32(2) + np.float32(1),
                         dtype=np.float32)
        np.testing.assert_allclose(out, ref, rtol=1e-5, equal_nan=True)


@fuzz
@given(a=dims, b=dims, op=st.sampled_from(["add", "multiply", "matmul", "maximum"]))
def test_build_binary_ops_any_shapes(a, b, op):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, a)
        y = tf.placeholder(tf.float32, b)
        try:
            z = getattr(tf, op)(x, y)
        except DOCUMENTED:
            return
        with tf.Session() as s:
            xa, ya = np.ones(a, np.float32), np.ones(b, np.float32)
            try:
                out = s.run(z, {x: xa, y: ya})
            except InvalidArgumentError:
                return
        ref = {"add": np.add, "multiply": np.multiply, "matmul": np.matmul,
               "maximum": np.maximum}[op](xa, ya)
        np.testing.assert_allclose(out, ref)


@fuzz
@given(shape=dims, new=st.lists(st.integers(-1, 6), min_size=0, max_size=4))
def test_reshape_any_target(shape, new):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None] * len(shape))
        try:
            y = tf.reshape(x, new)
        except DOCUMENTED:
            return
        arr = np.zeros(shape, np.float32)
        with tf.Session() as s:
            try:
                out = s.run(y, {x: arr})
            except InvalidArgumentError as e:
                assert "reshape" in str(e).lower()
                return
        assert out.shape == arr.reshape(new).shape


@fuzz
@given(shape=dims, axis=st.integers(-6, 6), keep=st.booleans(),
       fn=st.sampled_from(["reduce_sum", "reduce_mean", "reduce_max", "argmax", "cumsum"]))
def test_reductions_any_axis(shape, axis, keep, fn):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, shape)
        try:
            if fn in ("argmax", "cumsum"):
                y = getattr(tf, fn)(x, axis=axis)
            else:
                y = getattr(tf, fn)(x, axis=axis, keepdims=keep)
        except DOCUMENTED:
            return
        arr = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
        with tf.Session() as s:
            try:
                s.run(y, {x: arr})
            except InvalidArgumentError:
                return  # e.g. max/argmax of an empty axis: a named error, not a crash


# -- absurd sizes: built, or refused before anything is allocated --------------------------------

big_dims = st.lists(st.sampled_from([0, 1, 3, 10**6, 10**9, 10**12]), min_size=0, max_size=4)


@fuzz
@given(shape=big_dims, fn=st.sampled_from(["zeros", "ones", "fill", "random_uniform",
                                           "random_normal", "placeholder"]))
def test_any_size_is_built_or_refused_before_allocating(shape, fn):
    import math
    import tracemalloc

    from tensorlet.errors import ResourceExhaustedError
    from tensorlet.framework import limits
    build = {"zeros": lambda: tf.zeros(shape), "ones": lambda: tf.ones(shape),
             "fill": lambda: tf.fill(shape, 2.0),
             "random_uniform": lambda: tf.random_uniform(shape),
             "random_normal": lambda: tf.random_normal(shape),
             "placeholder": lambda: tf.placeholder(tf.float32, shape)}[fn]
    span = 4 * math.prod(d for d in shape if d)  # what NumPy must index, zeros aside
    nbytes = span if 0 not in shape else (0 if span < 2**63 else span)
    with tf.Graph().as_default():
        tracemalloc.start()
        try:
            t = build()
        except ResourceExhaustedError as e:
            assert nbytes > limits.max_tensor_bytes() and "would have shape" in str(e)
            return
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert peak < 2**20  # building allocates no tensor
        assert nbytes <= limits.max_tensor_bytes()
        assert t.shape.as_list() == list(shape)
        if nbytes <= 2**20 and fn != "placeholder":
            with tf.Session() as s:
                assert s.run(t).shape == tuple(shape)
