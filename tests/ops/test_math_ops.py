"""Math ops: values against NumPy float64, dtype rules (SEMANTICS.md, DESIGN.md rule 7), errors."""
import numpy as np
import pytest

import tensorlet as tf

rng = np.random.default_rng(0)


def run(t, feed=None):
    with tf.Session() as s:
        return s.run(t, feed)


@pytest.mark.parametrize("fn,ref,positive", [
    (tf.exp, np.exp, False), (tf.log, np.log, True), (tf.sqrt, np.sqrt, True),
    (tf.rsqrt, lambda x: 1 / np.sqrt(x), True), (tf.tanh, np.tanh, False),
    (tf.sigmoid, lambda x: 1 / (1 + np.exp(-x)), False), (tf.square, np.square, False),
    (tf.abs, np.abs, False), (tf.negative, np.negative, False), (tf.sin, np.sin, False),
    (tf.cos, np.cos, False), (tf.tan, np.tan, False), (tf.log1p, np.log1p, True),
    (tf.expm1, np.expm1, False), (tf.reciprocal, np.reciprocal, True),
    (tf.sign, np.sign, False), (tf.floor, np.floor, False), (tf.ceil, np.ceil, False),
])
def test_unary_values_and_dtype(fn, ref, positive):
    x = rng.uniform(0.1, 3, (4, 5)) if positive else rng.standard_normal((4, 5))
    x32 = x.astype(np.float32)
    out = run(fn(tf.constant(x32)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref(x32.astype(np.float64)), rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("fn,ref,low,high", [
    (tf.sinh, np.sinh, -3, 3), (tf.cosh, np.cosh, -3, 3), (tf.asin, np.arcsin, -0.99, 0.99),
    (tf.acos, np.arccos, -0.99, 0.99), (tf.atan, np.arctan, -5, 5),
    (tf.math.asinh, np.arcsinh, -5, 5), (tf.math.acosh, np.arccosh, 1, 5),
    (tf.math.atanh, np.arctanh, -0.99, 0.99),
])
def test_hyperbolic_and_inverse_trig_values(fn, ref, low, high):
    x = rng.uniform(low, high, (4, 5)).astype(np.float32)
    out = run(fn(tf.constant(x)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref(x.astype(np.float64)), rtol=3e-6, atol=3e-6)
    with pytest.raises(TypeError, match="floating-point"):
        fn(tf.constant([1, 2]))


def test_inverse_hyperbolic_gradients_stay_finite_in_float16():
    x = tf.constant(np.float16(300.0))
    with tf.Session() as s:
        ga, gc = s.run([tf.gradients(tf.asinh(x), x)[0], tf.gradients(tf.math.acosh(x), x)[0]])
    # d/dx asinh(x) = 1/sqrt(x^2 + 1), d/dx acosh(x) = 1/sqrt(x^2 - 1): both ~ 1/300
    assert ga == pytest.approx(1 / 300, rel=0.01) and gc == pytest.approx(1 / 300, rel=0.01)


def test_atan2_quadrants_broadcasting_and_errors():
    y = np.array([[1.0], [-1.0], [0.0]], np.float32)
    x = np.array([1.0, -1.0, 0.5], np.float32)
    np.testing.assert_allclose(run(tf.atan2(y=tf.constant(y), x=tf.constant(x))),
                               np.arctan2(y.astype(np.float64), x), rtol=1e-6)
    assert run(tf.atan2(1.0, -1.0)) == pytest.approx(3 * np.pi / 4)
    with pytest.raises(TypeError, match="floating-point"):
        tf.atan2(tf.constant([1]), tf.constant([2]))


def test_cumprod_values_options_and_gradient_at_a_zero():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 0.0, 2.0]], np.float32)
    t = tf.constant(x)
    got = run([tf.cumprod(t, 1), tf.math.cumprod(t, 1, exclusive=True),
               tf.cumprod(t, 1, reverse=True), tf.cumprod(t, 0)])
    np.testing.assert_array_equal(got[0], np.cumprod(x, 1))
    np.testing.assert_array_equal(got[1], [[1, 1, 2], [1, 4, 0]])
    np.testing.assert_array_equal(got[2], np.cumprod(x[:, ::-1], 1)[:, ::-1])
    np.testing.assert_array_equal(got[3], np.cumprod(x, 0))
    grad = run(tf.gradients(tf.reduce_sum(tf.cumprod(t, 1)), t)[0])
    assert np.isfinite(grad).all()  # TF's rule: no NaN at a zero
    np.testing.assert_allclose(grad[0], [1 + 2 + 6, 1 + 3, 2])  # d/dx of x0 + x0x1 + x0x1x2
    with pytest.raises(ValueError, match="rank >= 1"):
        tf.cumprod(np.float32(3))


def test_erf_against_math():
    import math
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(run(tf.erf(tf.constant(x))), [math.erf(v) for v in x])
    assert run(tf.erf(tf.constant(0.5))) == np.float32(math.erf(0.5))  # a scalar too


def test_sigmoid_extremes_finite():
    out = run(tf.sigmoid(tf.constant([-1e4, 0.0, 1e4])))
    np.testing.assert_array_equal(out, [0.0, 0.5, 1.0])


def test_binary_broadcasting_values():
    a = rng.standard_normal((3, 1)).astype(np.float32)
    b = rng.standard_normal((4,)).astype(np.float32)
    for fn, ref in [(tf.add, np.add), (tf.subtract, np.subtract), (tf.multiply, np.multiply),
                    (tf.maximum, np.maximum), (tf.minimum, np.minimum)]:
        np.testing.assert_allclose(run(fn(a, b)), ref(a, b), rtol=1e-6)
    np.testing.assert_allclose(run(tf.squared_difference(a, b)), (a - b) ** 2, rtol=1e-6)


def test_operator_overloads():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(run(x @ x), [[7, 10], [15, 22]])
    np.testing.assert_allclose(run(-x + 1), [[0, -1], [-2, -3]])
    np.testing.assert_allclose(run(2 / x), [[2, 1], [2 / 3, 0.5]], rtol=1e-6)
    np.testing.assert_array_equal(run(x > 2), [[False, False], [True, True]])
    np.testing.assert_array_equal(run((x > 1) & (x < 4)), [[False, True], [True, False]])
    np.testing.assert_allclose(run(x ** 2), [[1, 4], [9, 16]])


def test_dtype_promotion_rules():
    i = tf.constant([1, 2])
    f = tf.placeholder(tf.float32, [2])
    assert (i + f).dtype == tf.float32          # int ⊕ float → that float (rule 7)
    assert (i + 1).dtype == tf.int32            # Python scalar is weak
    assert (f + 1).dtype == tf.float32
    assert (i + 1.5).dtype == tf.float32        # weak float joins an int tensor as float32
    d = tf.constant(np.array([1.0], np.float64))
    assert d.dtype == tf.float64
    assert (d + f).dtype == tf.float64


def test_integer_division_semantics():
    a, b = tf.constant([7, -7]), tf.constant([2, 2])
    q = a / b
    assert q.dtype == tf.float64                  # int32 / int32 → float64 (TF)
    np.testing.assert_array_equal(run(q), [3.5, -3.5])
    np.testing.assert_array_equal(run(a // b), [3, -4])
    np.testing.assert_array_equal(run(a % b), [1, 1])
    np.testing.assert_array_equal(run(tf.constant([7, -7]) % tf.constant([-2, -2])), [-1, -1])
    np.testing.assert_array_equal(run(tf.truncatediv(a, b)), [3, -3])
    np.testing.assert_array_equal(run(tf.truncatemod(a, b)), [1, -1])


def test_cast_round_semantics():
    np.testing.assert_array_equal(run(tf.cast(tf.constant([1.7, -1.7]), tf.int32)), [1, -1])
    np.testing.assert_array_equal(run(tf.round(tf.constant([0.5, 1.5, 2.5, -0.5]))),
                                  [0, 2, 2, -0])
    assert tf.cast(tf.constant(1.0), tf.float32).op.type == "Const"  # same dtype: no op


def test_reductions():
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    t = tf.constant(x)
    np.testing.assert_allclose(run(tf.reduce_sum(t, axis=1)), x.sum(1), rtol=1e-5)
    np.testing.assert_allclose(run(tf.reduce_mean(t, axis=[0, 2], keepdims=True)),
                               x.mean((0, 2), keepdims=True), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run(tf.reduce_max(t, -1)), x.max(-1))
    np.testing.assert_allclose(run(tf.reduce_min(t)), x.min())
    np.testing.assert_allclose(run(tf.reduce_prod(t, 2)), x.prod(2), rtol=1e-5)
    np.testing.assert_allclose(run(tf.reduce_logsumexp(t, 1)),
                               np.log(np.exp(x.astype(np.float64)).sum(1)), rtol=1e-5)
    assert tf.reduce_sum(t, axis=1).shape.as_list() == [3, 5]
    assert tf.reduce_sum(t, axis=1, keepdims=True).shape.as_list() == [3, 1, 5]


def test_reduce_logsumexp_of_non_finite_slices():
    """A slice of -inf only is -inf (not nan: the shift by its max would be -inf - -inf);
    +inf stays inf, NaN stays NaN; the gradient of a finite slice is its softmax."""
    x = np.array([[-np.inf, -np.inf], [0.0, 0.0], [np.inf, 1.0], [np.nan, 1.0]], np.float32)
    out = run(tf.reduce_logsumexp(tf.constant(x), 1))
    np.testing.assert_array_equal(out[[0, 2, 3]], [-np.inf, np.inf, np.nan])
    assert out[1] == np.float32(np.log(2.0))
    v = tf.constant([[1.0, 2.0, 3.0]])
    g = run(tf.gradients(tf.reduce_logsumexp(v, 1), v)[0])
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(g[0], e / e.sum(), rtol=1e-6)


def test_integer_reduce_mean_truncates():
    out = run(tf.reduce_mean(tf.constant([1, 2])))
    assert out == 1 and out.dtype == np.int32


def test_any_all_argmax_cumsum():
    b = tf.constant([[True, False], [False, False]])
    np.testing.assert_array_equal(run(tf.reduce_any(b, 1)), [True, False])
    np.testing.assert_array_equal(run(tf.reduce_all(b, 0)), [False, False])
    a = tf.argmax(tf.constant([[1, 5, 2], [7, 0, 1]]), axis=1)
    assert a.dtype == tf.int64
    np.testing.assert_array_equal(run(a), [1, 0])
    np.testing.assert_array_equal(run(tf.argmin(tf.constant([3, 1, 2]))), 1)
    x = tf.constant([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(run(tf.cumsum(x)), [1, 3, 6])
    np.testing.assert_array_equal(run(tf.cumsum(x, exclusive=True)), [0, 1, 3])
    np.testing.assert_array_equal(run(tf.cumsum(x, reverse=True)), [6, 5, 3])


def test_where_and_add_n():
    c = tf.constant([True, False, True])
    np.testing.assert_array_equal(run(tf.where(c, [1.0, 2, 3], [9.0, 9, 9])), [1, 9, 3])
    coords = tf.where(c)
    assert coords.dtype == tf.int64
    np.testing.assert_array_equal(run(coords), [[0], [2]])
    np.testing.assert_array_equal(run(tf.add_n([tf.ones([2]), tf.ones([2]), tf.ones([2])])),
                                  [3, 3])
    with pytest.raises(ValueError, match="both x and y"):
        tf.where(c, [1.0, 2, 3])


def test_matmul_variants():
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    b = rng.standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(run(tf.matmul(a, b, transpose_b=True)), a @ b.T, rtol=1e-5)
    np.testing.assert_allclose(run(tf.matmul(b, a[0], transpose_a=False, transpose_b=True)),
                               b @ a[0].T, rtol=1e-5)


def test_build_errors_name_op_and_shapes():
    with pytest.raises(ValueError, match=r"MatMul.*\(3, 4\).*\(5, 6\)"):
        tf.matmul(tf.zeros([3, 4]), tf.zeros([5, 6]))
    with pytest.raises(ValueError, match="Reshape.*12 elements"):
        tf.reshape(tf.zeros([3, 4]), [5, 5])
    with pytest.raises(ValueError, match="broadcasting"):
        tf.add(tf.zeros([2, 3]), tf.zeros([4]))
    with pytest.raises(TypeError, match="floating"):
        tf.exp(tf.constant([1, 2]))
    with pytest.raises(ValueError, match="out of range"):
        tf.reduce_sum(tf.zeros([2, 3]), axis=2)


def test_maximum_tie_gradient_goes_to_first_argument():
    x = tf.constant([1.0, 2.0])
    y = tf.constant([1.0, 3.0])
    gx, gy = tf.gradients(tf.maximum(x, y), [x, y])
    np.testing.assert_array_equal(run(gx), [1, 0])
    np.testing.assert_array_equal(run(gy), [0, 1])


def test_reduce_max_gradient_splits_ties():
    x = tf.constant([2.0, 2.0, 1.0])
    (g,) = tf.gradients(tf.reduce_max(x), [x])
    np.testing.assert_array_equal(run(g), [0.5, 0.5, 0])


def test_gradients_semantics():
    x = tf.constant(3.0)
    y = tf.constant(4.0)
    z = x * x
    assert tf.gradients(z, [y]) == [None]
    gx = tf.gradients([z, x * 2], [x])[0]      # summed over ys
    assert run(gx) == 8.0
    (g2,) = tf.gradients(tf.gradients(z * x, x)[0], [x])  # second derivative of x³ = 6x
    assert run(g2) == 18.0
    (gs,) = tf.gradients(z + tf.stop_gradient(z), [x])
    assert run(gs) == 6.0
    w = x * 2
    (gsg,) = tf.gradients(w * x, [x], stop_gradients=[w])
    assert run(gsg) == 6.0
    (gy,) = tf.gradients(z, [x], grad_ys=[tf.constant(2.0)])
    assert run(gy) == 12.0
