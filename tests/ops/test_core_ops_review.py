"""Review of the core op families (math, reduction, array, state) against TF 1.x semantics:
results checked against NumPy, errors checked for the op name and a clear message."""
import numpy as np
import pytest

import tensorlet as tf

IAE = tf.errors.InvalidArgumentError


def run(fetches, feed=None):
    with tf.Session() as s:
        return s.run(fetches, feed)


# -- math --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [tf.floordiv, tf.mod, tf.truncatediv, tf.truncatemod])
def test_review_integer_division_by_zero_raises(fn):
    x = tf.placeholder(tf.int32, [2])
    y = tf.placeholder(tf.int32, [2])
    with pytest.raises(IAE, match="division by zero"):
        run(fn(x, y), {x: [1, 2], y: [1, 0]})
    np.testing.assert_array_equal(run(fn(x, y), {x: [7, -7], y: [2, 2]}),
                                  {"floordiv": [3, -4], "floormod": [1, 1], "truncatediv": [3, -3],
                                   "truncatemod": [1, -1]}[fn.__name__])


def test_review_truncatediv_is_exact_for_large_int64():
    big = 2 ** 62 + 1
    x = tf.constant([big, -big, 7, -7], tf.int64)
    y = tf.constant([1, 3, -2, -2], tf.int64)
    want = [big, -(big // 3), -3, 3]
    assert run(tf.truncatediv(x, y)).tolist() == want


@pytest.mark.parametrize("make", [lambda b: b - b, lambda b: -b, lambda b: b ** b,
                                  lambda b: b // b, lambda b: b % b, lambda b: tf.sign(b)])
def test_review_arithmetic_on_bool_raises_at_build_time(make):
    b = tf.constant([True, False])
    with pytest.raises(TypeError, match="bool"):
        make(b)


def test_review_cast_between_strings_and_numbers_raises_at_build_time():
    with pytest.raises(TypeError, match="string"):
        tf.cast(tf.constant("1"), tf.float32)
    with pytest.raises(TypeError, match="string"):
        tf.cast(tf.constant(1.0), tf.string)


def test_review_matmul_run_time_mismatch_names_both_shapes():
    a = tf.placeholder(tf.float32, [None, None])
    b = tf.placeholder(tf.float32, [None, 2])
    with pytest.raises(IAE, match=r"MatMul.*\[2, 4\].*\[3, 2\]") as e:
        run(tf.matmul(a, b), {a: np.ones((2, 4)), b: np.ones((3, 2))})
    assert "gufunc" not in str(e.value)


def test_review_add_n_never_broadcasts_at_run_time():
    a = tf.placeholder(tf.float32, [None])
    b = tf.constant([1.0, 2.0, 3.0])
    with pytest.raises(IAE, match=r"AddN.*\(1,\).*\(3,\)"):
        run(tf.add_n([a, b]), {a: [1.0]})
    np.testing.assert_array_equal(run(tf.add_n([a, b]), {a: [1.0, 1.0, 1.0]}), [2, 3, 4])


def test_review_where_with_rank1_condition_selects_rows_like_tf1():
    c = tf.constant([True, False])
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    y = tf.constant([[5.0, 6.0], [7.0, 8.0]])
    np.testing.assert_array_equal(run(tf.where(c, x, y)), [[1, 2], [7, 8]])
    np.testing.assert_array_equal(run(tf.where_v2(c, x, y)), [[1, 6], [3, 8]])
    (gx,) = tf.gradients(tf.reduce_sum(tf.where(c, x, y)), [x])
    np.testing.assert_array_equal(run(gx), [[1, 1], [0, 0]])
    with pytest.raises(ValueError, match="first dimension"):
        tf.where(tf.constant([True, False, True]), x, y)


def test_review_where_v2_broadcasts_rank1_conditions_in_values_and_gradients():
    c = tf.constant([True, False, True])
    x = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y = tf.zeros([2, 3])
    np.testing.assert_array_equal(run(tf.where_v2(c, x, y)), [[1, 0, 3], [4, 0, 6]])
    gx, gy = tf.gradients(tf.reduce_sum(tf.where_v2(c, x, y)), [x, y])
    np.testing.assert_array_equal(run(gx), [[1, 0, 1], [1, 0, 1]])
    np.testing.assert_array_equal(run(gy), [[0, 1, 0], [0, 1, 0]])
    d = tf.div_no_nan(x, tf.constant([1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(run(d), [[1, 0, 1.5], [4, 0, 3]])


# -- reductions --------------------------------------------------------------------------------


def test_review_max_min_of_empty_give_the_identity_like_tf():
    f = tf.placeholder(tf.float32, [None])
    i = tf.placeholder(tf.int32, [None])
    m = tf.placeholder(tf.float32, [2, None])
    assert run(tf.reduce_max(f), {f: np.zeros(0)}) == -np.inf
    assert run(tf.reduce_min(f), {f: np.zeros(0)}) == np.inf
    assert run(tf.reduce_max(i), {i: np.zeros(0)}) == np.iinfo(np.int32).min
    assert run(tf.reduce_min(i), {i: np.zeros(0)}) == np.iinfo(np.int32).max
    np.testing.assert_array_equal(run(tf.reduce_max(m, 1), {m: np.zeros((2, 0))}),
                                  [-np.inf, -np.inf])
    out = run(tf.reduce_max(f, keepdims=True), {f: np.zeros(0)})
    assert out.shape == (1,) and out.dtype == np.float32


def test_review_mean_of_empty_is_nan_without_a_numpy_warning(recwarn):
    f = tf.placeholder(tf.float32, [None])
    assert np.isnan(run(tf.reduce_mean(f), {f: np.zeros(0)}))
    assert not [w for w in recwarn if "empty" in str(w.message)]


def test_review_argmax_over_an_empty_axis_names_the_axis():
    e = tf.placeholder(tf.float32, [None, None])
    with pytest.raises(IAE, match=r"ArgMax.*axis 1 is empty.*\[2, 0\]") as err:
        run(tf.argmax(e, 1), {e: np.zeros((2, 0))})
    assert "sequence" not in str(err.value)
    with pytest.raises(IAE, match=r"ArgMin.*axis 0 is empty"):
        run(tf.argmin(e, 0), {e: np.zeros((0, 3))})


def test_review_reduction_axis_must_be_integers():
    x = tf.placeholder(tf.float32, [None, 4])
    with pytest.raises(TypeError, match="axis"):
        tf.reduce_sum(x, 1.5)
    with pytest.raises(TypeError, match="axis"):
        tf.argmax(x, 1.5)
    with pytest.raises(TypeError, match="known when the graph is built"):
        tf.reduce_sum(x, tf.placeholder(tf.int32, []))
    y = tf.reduce_sum(x, tf.constant(1))
    assert y.shape.as_list() == [None]
    np.testing.assert_array_equal(run(y, {x: np.ones((2, 4))}), [4, 4])
    a = tf.argmax(x, tf.constant(1))
    np.testing.assert_array_equal(run(a, {x: np.eye(2, 4)}), [0, 1])


def test_review_sum_mean_prod_of_bool_raise():
    b = tf.constant([True, True])
    for fn in (tf.reduce_sum, tf.reduce_mean, tf.reduce_prod, tf.cumsum):
        with pytest.raises(TypeError, match="bool"):
            fn(b)


def test_review_exclusive_cumsum_of_empty():
    f = tf.placeholder(tf.float32, [None])
    out = run(tf.cumsum(f, exclusive=True), {f: np.zeros(0)})
    assert out.shape == (0,)
    np.testing.assert_array_equal(run(tf.cumsum(f, exclusive=True, reverse=True),
                                      {f: [1.0, 2.0, 3.0]}), [5, 3, 0])


# -- array -------------------------------------------------------------------------------------


def test_review_reshape_to_an_impossible_fed_shape_is_a_clear_error():
    x = tf.placeholder(tf.float32, [None, 4])
    sh = tf.placeholder(tf.int32, [2])
    with pytest.raises(IAE, match=r"(?s)8 values.*\[3, 3\].*Reshape op"):
        run(tf.reshape(x, sh), {x: np.zeros((2, 4)), sh: [3, 3]})
