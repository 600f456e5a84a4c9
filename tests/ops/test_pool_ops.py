"""Pooling ops against an independent direct-loop NumPy float64 reference (a loop over output
positions, each window cut to the real input elements), over a grid of window sizes, strides,
paddings and both data formats; gradients (first maximum wins, as TF), second order, 1-D forms
and errors."""
import itertools

import numpy as np
import pytest
from conv_reference import nchw, nhwc, ref_axis, ref_pool, ref_pool_grad, ref_windows

import tensorlet as tf

rng = np.random.default_rng(1)


SHAPES = [(2, 6, 6, 3), (1, 7, 5, 2), (2, 4, 9, 1)]
KSIZES = [(2, 2), (3, 3), (3, 2), (1, 1)]
STRIDES = [(1, 1), (2, 2), (2, 1), (3, 3)]
PADDINGS = ["SAME", "VALID", ((1, 0), (0, 1))]


def _fits(xs, k, s, padding):
    pads = [padding if isinstance(padding, str) else padding[ax] for ax in range(2)]
    if not isinstance(padding, str) and any(p >= kk for pr, kk in zip(padding, k) for p in pr):
        return False
    return all(ref_axis(xs[1 + ax], k[ax], s[ax], 1, pads[ax])[0] >= 1 for ax in range(2))


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
@pytest.mark.parametrize("kind,padding", [  # avg_pool takes no explicit padding (as TF)
    ("max", "SAME"), ("max", "VALID"), ("max", PADDINGS[2]), ("avg", "SAME"), ("avg", "VALID")],
    ids=["max-SAME", "max-VALID", "max-explicit", "avg-SAME", "avg-VALID"])
def test_pool_and_gradient_match_reference(fmt, kind, padding):
    fn = tf.nn.max_pool if kind == "max" else tf.nn.avg_pool
    cases, fetches = [], []
    for xs, k, s in itertools.product(SHAPES, KSIZES, STRIDES):
        if not _fits(xs, k, s, padding):
            continue
        x = rng.permutation(int(np.prod(xs))).reshape(xs) * 0.5 - 3.0  # distinct: unique maxima
        xin = tf.constant(x if fmt == "NHWC" else nchw(x))
        if isinstance(padding, str):
            pad = padding
        else:
            sp = [list(p) for p in padding]
            pad = [[0, 0]] + sp + [[0, 0]] if fmt == "NHWC" else [[0, 0], [0, 0]] + sp
        k4 = [1, *k, 1] if fmt == "NHWC" else [1, 1, *k]
        s4 = [1, *s, 1] if fmt == "NHWC" else [1, 1, *s]
        y = fn(xin, k4, s4, pad, data_format=fmt)
        ref = ref_pool(x, k, s, padding, kind)
        g = rng.standard_normal(ref.shape)
        gx = tf.gradients(y, xin, grad_ys=tf.constant(g if fmt == "NHWC" else nchw(g)))[0]
        cases.append((x, k, s, ref, g))
        fetches.append((y, gx))
    assert len(cases) > 20
    results = tf.Session().run(fetches)
    for (x, k, s, ref, g), (y, gx) in zip(cases, results):
        if fmt == "NCHW":
            y, gx = nhwc(y), nhwc(gx)
        msg = f"{kind} pool x {x.shape} ksize {k} strides {s} padding {padding}"
        np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12, err_msg=msg)
        np.testing.assert_allclose(gx, ref_pool_grad(x, g, k, s, padding, kind), rtol=1e-12,
                                   atol=1e-12, err_msg=msg)


def test_avg_pool_same_divides_by_real_elements():
    y = tf.nn.avg_pool(np.ones((1, 5, 5, 1), np.float32), 3, 2, "SAME")
    np.testing.assert_array_equal(tf.Session().run(y), np.ones((1, 3, 3, 1), np.float32))
    x = np.arange(9.0, dtype=np.float32).reshape(1, 3, 3, 1)
    corner = tf.Session().run(tf.nn.avg_pool(x, 2, 2, "SAME"))[0, 1, 1, 0]
    assert corner == 8.0  # the bottom-right window holds one real element


def test_max_pool_gradient_goes_to_the_first_of_tied_maxima():
    x = tf.constant(np.ones((1, 2, 2, 1)))
    g = tf.Session().run(tf.gradients(tf.nn.max_pool(x, 2, 2, "VALID"), x)[0])
    np.testing.assert_array_equal(g[0, :, :, 0], [[1, 0], [0, 0]])


def test_max_pool_second_order_gradient():
    xv = rng.permutation(36).reshape(1, 6, 6, 1).astype(np.float64)
    x = tf.constant(xv)
    y = tf.nn.max_pool(x, 3, 2, "SAME")
    gx = tf.gradients(tf.reduce_sum(tf.square(y)), x)[0]
    # sum(gx * c) = sum over windows of 2 y[w] c[argmax w]: its gradient routes 2 c[argmax w]
    # (MaxPoolGradGrad gathers c at the maxima) back to the maxima (MaxPoolGrad).
    c = rng.standard_normal(xv.shape)
    ggx = tf.gradients(tf.reduce_sum(gx * c), x)[0]
    ref = ref_pool_grad(xv, 2 * _gather_at_max(xv, c), (3, 3), (2, 2), "SAME", "max")
    np.testing.assert_allclose(tf.Session().run(ggx), ref, rtol=1e-12)


def _gather_at_max(x, c):
    """c at the first maximum of each 3x3/2 SAME window of x (the MaxPoolGradGrad result)."""
    out = np.zeros(ref_pool(x, (3, 3), (2, 2), "SAME", "max").shape)
    for i, j, (r0, r1), (c0, c1) in ref_windows(x.shape[1:3], (3, 3), (2, 2), "SAME"):
        a = x[0, r0:r1, c0:c1, 0].argmax()
        out[0, i, j, 0] = c[0, r0 + a // (c1 - c0), c0 + a % (c1 - c0), 0]
    return out


def test_max_pool_keeps_integer_dtypes():
    x = np.array([[5, -7, 3, 2], [1, 0, -1, 9]], np.int32).reshape(1, 2, 4, 1)
    y = tf.nn.max_pool2d(x, 2, 2, "VALID")
    assert y.dtype == tf.int32
    np.testing.assert_array_equal(tf.Session().run(y).ravel(), [5, 9])


@pytest.mark.parametrize("fmt", ["NWC", "NCW"])
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("k,s,padding", [(2, 2, "VALID"), (3, 2, "SAME"), (3, 1, "VALID")])
def test_pool1d_matches_reference(fmt, kind, k, s, padding):
    x = rng.standard_normal((2, 9, 3))
    fn = tf.nn.max_pool1d if kind == "max" else tf.nn.avg_pool1d
    xin = x if fmt == "NWC" else x.transpose(0, 2, 1)
    got = tf.Session().run(fn(xin, k, s, padding, data_format=fmt))
    if fmt == "NCW":
        got = got.transpose(0, 2, 1)
    ref = ref_pool(x[:, None], (1, k), (1, s), padding, kind)[:, 0]
    np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_unknown_spatial_size_at_build_time():
    x = tf.placeholder(tf.float32, [None, None, None, 2])
    y = tf.nn.max_pool(x, 2, 2, "SAME")
    assert y.shape.as_list() == [None, None, None, 2]
    xv = rng.standard_normal((1, 5, 3, 2)).astype(np.float32)
    np.testing.assert_array_equal(tf.Session().run(y, {x: xv}),
                                  ref_pool(xv, (2, 2), (2, 2), "SAME", "max"))
    assert tf.nn.max_pool(tf.placeholder(tf.float32, [4, 8, 6, 1]), 2, 2,
                          "VALID").shape.as_list() == [4, 4, 3, 1]


def test_errors():
    x = np.ones((1, 3, 3, 1), np.float32)
    with pytest.raises(ValueError, match=r"MaxPool.*larger than the input height 3"):
        tf.nn.max_pool(x, 4, 1, "VALID")
    with pytest.raises(ValueError, match=r"AvgPool.*must be 4-D.*max_pool1d"):
        tf.nn.avg_pool(np.ones((3, 3, 1), np.float32), 2, 2, "VALID")
    with pytest.raises(ValueError, match="avg_pool: padding must be 'SAME' or 'VALID'"):
        tf.nn.avg_pool(x, 2, 2, [[0, 0], [1, 1], [1, 1], [0, 0]])
    with pytest.raises(ValueError, match="ksize .* must be 1 in the batch and channel"):
        tf.nn.max_pool(x, [1, 2, 2, 2], 1, "VALID")
    with pytest.raises(ValueError, match="must be smaller than the window"):
        tf.nn.max_pool(x, 2, 1, [[0, 0], [2, 0], [0, 0], [0, 0]])
    with pytest.raises(TypeError, match="AvgPool.*floating-point"):
        tf.nn.avg_pool(np.ones((1, 3, 3, 1), np.int32), 2, 2, "VALID")
    with pytest.raises(ValueError, match="ksize, strides and padding are required"):
        tf.nn.max_pool(x, 2, 2)
    with pytest.raises(ValueError, match="max_pool1d: input must be 3-D"):
        tf.nn.max_pool1d(x, 2, 2, "VALID")
