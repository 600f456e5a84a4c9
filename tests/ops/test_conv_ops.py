"""Convolution ops against an independent direct-loop NumPy float64 reference (explicit loops over
output positions and kernel taps, bounds checked instead of padded arrays), over a grid of shapes,
strides, paddings, dilations, groups and both data formats; their gradients against the
reference adjoints; and their build-time and run-time errors."""
import itertools

import numpy as np
import pytest
from conv_reference import (
    nchw,
    nhwc,
    out_hw,
    ref_conv,
    ref_conv_filter_grad,
    ref_conv_input_grad,
    ref_depthwise,
)

import tensorlet as tf
from tensorlet.errors import InvalidArgumentError

rng = np.random.default_rng(0)


# -- Reference ------------------------------------------------------------------------------------


def explicit_list(padding, fmt):
    (pt, pb), (pl, pr) = padding
    spatial = [[pt, pb], [pl, pr]]
    return [[0, 0]] + spatial + [[0, 0]] if fmt == "NHWC" else [[0, 0], [0, 0]] + spatial


# -- Forward and gradients over a grid -----------------------------------------------------------

PADDINGS = ["SAME", "VALID", ((1, 2), (0, 1))]
GRID = [  # (x NHWC, filter) shapes
    ((2, 5, 5, 1), (1, 1, 1, 2)),
    ((2, 6, 5, 3), (3, 3, 3, 2)),
    ((1, 7, 8, 2), (2, 3, 2, 3)),
    ((2, 6, 6, 4), (3, 2, 2, 4)),  # two groups
]
STRIDES = [(1, 1), (2, 2), (3, 1)]
DILATIONS = [(1, 1), (2, 2), (1, 2)]


def _cases(fmt, padding):
    for (xs, ws), s, d in itertools.product(GRID, STRIDES, DILATIONS):
        o = out_hw(xs[1:3], ws[:2], s, padding, d)
        if min(o) >= 1:
            yield xs, ws, s, d


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
@pytest.mark.parametrize("padding", PADDINGS, ids=["SAME", "VALID", "explicit"])
def test_conv2d_and_gradients_match_reference(fmt, padding):
    cases, fetches = [], []
    for xs, ws, s, d in _cases(fmt, padding):
        x = rng.standard_normal(xs)
        w = rng.standard_normal(ws)
        xin = tf.constant(x if fmt == "NHWC" else nchw(x))
        wt = tf.constant(w)
        pad = padding if isinstance(padding, str) else explicit_list(padding, fmt)
        y = tf.nn.conv2d(xin, wt, strides=list(s), padding=pad, data_format=fmt, dilations=d)
        ref = ref_conv(x, w, s, padding, d)
        dy = rng.standard_normal(ref.shape)
        gx, gw = tf.gradients(y, [xin, wt], grad_ys=tf.constant(dy if fmt == "NHWC" else nchw(dy)))
        assert y.shape.as_list() == list(ref.shape if fmt == "NHWC" else nchw(ref).shape)
        cases.append((x, w, s, d, ref, dy))
        fetches.append((y, gx, gw))
    assert len(cases) > 20
    with tf.Session() as sess:
        results = sess.run(fetches)
    for (x, w, s, d, ref, dy), (y, gx, gw) in zip(cases, results):
        if fmt == "NCHW":
            y, gx = nhwc(y), nhwc(gx)
        msg = f"x {x.shape} w {w.shape} strides {s} dilations {d}"
        np.testing.assert_allclose(y, ref, rtol=1e-10, atol=1e-10, err_msg=msg)
        np.testing.assert_allclose(gx, ref_conv_input_grad(x.shape, w, dy, s, padding, d),
                                   rtol=1e-10, atol=1e-10, err_msg=msg)
        np.testing.assert_allclose(gw, ref_conv_filter_grad(x, w.shape, dy, s, padding, d),
                                   rtol=1e-10, atol=1e-10, err_msg=msg)


def test_float32_stays_float32_and_formats_agree():
    x = rng.standard_normal((2, 6, 7, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    a = tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME")
    b = tf.nn.conv2d(nchw(x), w, [1, 1, 2, 2], "SAME", data_format="NCHW")
    assert a.dtype == tf.float32
    ya, yb = tf.Session().run([a, b])
    assert ya.dtype == np.float32
    np.testing.assert_allclose(nhwc(yb), ya, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ya, ref_conv(x.astype(np.float64), w.astype(np.float64),
                                            (2, 2), "SAME", (1, 1)), rtol=1e-4, atol=1e-4)


def test_same_padding_puts_the_odd_pad_at_the_bottom_right():
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    w = np.ones((2, 2, 1, 1))
    y = tf.Session().run(tf.nn.conv2d(x, w, 1, "SAME"))[0, :, :, 0]
    # The last row/column sees the zero pad after the input, none before it.
    assert y[0, 0] == 0 + 1 + 4 + 5
    assert y[3, 3] == 15
    assert y[3, 0] == 12 + 13


def test_second_order_gradient_of_conv2d():
    x = tf.constant(rng.standard_normal((1, 4, 4, 2)))
    w = tf.constant(rng.standard_normal((2, 2, 2, 2)))
    y = tf.nn.conv2d(x, w, 1, "SAME")
    gx = tf.gradients(tf.reduce_sum(tf.square(y)), x)[0]
    gw2 = tf.gradients(tf.reduce_sum(gx * gx), w)[0]
    xv, wv = tf.Session().run([x, w])
    val = tf.Session().run(gw2)

    def f(wv):
        yv = ref_conv(xv, wv, (1, 1), "SAME", (1, 1))
        g = ref_conv_input_grad(xv.shape, wv, 2 * yv, (1, 1), "SAME", (1, 1))
        return np.sum(g * g)
    num = np.zeros_like(wv)
    for idx in np.ndindex(wv.shape):
        e = np.zeros_like(wv)
        e[idx] = 1e-6
        num[idx] = (f(wv + e) - f(wv - e)) / 2e-6
    np.testing.assert_allclose(val, num, rtol=1e-5, atol=1e-5)


# -- Composites: conv1d, conv2d_transpose, depthwise, separable -----------------------------------


@pytest.mark.parametrize("fmt", ["NWC", "NCW"])
@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("stride,dilation", [(1, 1), (2, 1), (1, 2)])
def test_conv1d_matches_reference(fmt, padding, stride, dilation):
    x = rng.standard_normal((2, 9, 3))
    w = rng.standard_normal((3, 3, 4))
    xin = x if fmt == "NWC" else x.transpose(0, 2, 1)
    y = tf.nn.conv1d(xin, w, stride, padding, data_format=fmt, dilations=dilation)
    ref = ref_conv(x[:, None], w[None], (1, stride), padding, (1, dilation))[:, 0]
    got = tf.Session().run(y)
    if fmt == "NCW":
        got = got.transpose(0, 2, 1)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
@pytest.mark.parametrize("padding,strides,out_spatial", [
    ("SAME", 2, (8, 7)), ("VALID", 2, (9, 9)), ("VALID", 1, (6, 6))])
def test_conv2d_transpose_is_the_adjoint_of_conv2d(fmt, padding, strides, out_spatial):
    w = rng.standard_normal((3, 3, 2, 5))  # (kh, kw, out, in) for the transpose
    out_shape = (2,) + out_spatial + (2,)
    ho = out_hw(out_spatial, (3, 3), (strides, strides), padding, (1, 1))
    v = rng.standard_normal((2,) + ho + (5,))
    vin = v if fmt == "NHWC" else nchw(v)
    shape = out_shape if fmt == "NHWC" else (2, 2) + out_spatial
    y = tf.nn.conv2d_transpose(vin, w, list(shape), strides, padding, data_format=fmt)
    got = tf.Session().run(y)
    got = got if fmt == "NHWC" else nhwc(got)
    ref = ref_conv_input_grad(out_shape, w, v, (strides, strides), padding, (1, 1))
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


def test_conv2d_backprop_functions_match_reference():
    x = rng.standard_normal((2, 7, 6, 3))
    w = rng.standard_normal((3, 2, 3, 4))
    dy = rng.standard_normal((2, 4, 3, 4))
    bi = tf.nn.conv2d_backprop_input([2, 7, 6, 3], w, dy, [1, 2, 2, 1], "SAME")
    bf = tf.nn.conv2d_backprop_filter(x, [3, 2, 3, 4], dy, [1, 2, 2, 1], "SAME")
    gi, gf = tf.Session().run([bi, bf])
    np.testing.assert_allclose(gi, ref_conv_input_grad(x.shape, w, dy, (2, 2), "SAME", (1, 1)),
                               rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gf, ref_conv_filter_grad(x, w.shape, dy, (2, 2), "SAME", (1, 1)),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
@pytest.mark.parametrize("strides,rate,padding", [
    ((1, 1), (1, 1), "SAME"), ((2, 2), (1, 1), "VALID"), ((1, 1), (2, 2), "SAME"),
    ((2, 1), (1, 1), "SAME")])
def test_depthwise_and_separable_match_reference(fmt, strides, rate, padding):
    x = rng.standard_normal((2, 7, 6, 3))
    dw = rng.standard_normal((3, 3, 3, 2))
    pw = rng.standard_normal((1, 1, 6, 4))
    xin = x if fmt == "NHWC" else nchw(x)
    s4 = [1, *strides, 1] if fmt == "NHWC" else [1, 1, *strides]
    d = tf.nn.depthwise_conv2d(xin, dw, s4, padding, rate=rate, data_format=fmt)
    sep = tf.nn.separable_conv2d(xin, dw, pw, s4, padding, rate=rate, data_format=fmt)
    xt = tf.constant(xin)
    gx = tf.gradients(tf.nn.depthwise_conv2d(xt, dw, s4, padding, rate=rate, data_format=fmt),
                      xt)[0]
    got_d, got_s, got_g = tf.Session().run([d, sep, gx])
    if fmt == "NCHW":
        got_d, got_s, got_g = nhwc(got_d), nhwc(got_s), nhwc(got_g)
    ref = ref_depthwise(x, dw, strides, padding, rate)
    np.testing.assert_allclose(got_d, ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got_s, ref @ pw[0, 0], rtol=1e-10, atol=1e-10)
    # d(sum y)/dx: each input pixel collects the filter taps that read it.
    ones = np.ones(ref.shape)
    gref = ref_conv_input_grad(x.shape, dw.reshape(3, 3, 1, 6), ones, strides, padding, rate)
    np.testing.assert_allclose(got_g, gref, rtol=1e-10, atol=1e-10)


# -- Dynamic shapes -------------------------------------------------------------------------------


def test_unknown_spatial_size_is_resolved_at_run_time():
    x = tf.placeholder(tf.float64, [None, None, None, 2])
    w = rng.standard_normal((3, 3, 2, 3))
    y = tf.nn.conv2d(x, w, 2, "SAME")
    assert y.shape.as_list() == [None, None, None, 3]
    g = tf.gradients(tf.reduce_sum(y), x)[0]
    xv = rng.standard_normal((1, 5, 4, 2))
    yv, gv = tf.Session().run([y, g], {x: xv})
    np.testing.assert_allclose(yv, ref_conv(xv, w, (2, 2), "SAME", (1, 1)), atol=1e-10)
    np.testing.assert_allclose(gv, ref_conv_input_grad(xv.shape, w, np.ones(yv.shape), (2, 2),
                                                       "SAME", (1, 1)), atol=1e-10)


def test_too_small_input_fed_at_run_time_raises_invalid_argument():
    x = tf.placeholder(tf.float32, [None, None, None, 1])
    y = tf.nn.conv2d(x, np.ones((3, 3, 1, 1), np.float32), 1, "VALID")
    with pytest.raises(InvalidArgumentError, match="Conv2D.*larger than the input"):
        tf.Session().run(y, {x: np.ones((1, 2, 5, 1), np.float32)})


# -- Build-time errors ----------------------------------------------------------------------------


def test_kernel_larger_than_valid_input():
    with pytest.raises(ValueError, match=r"Conv2D.*larger than the input height 2"):
        tf.nn.conv2d(np.ones((1, 2, 5, 1), np.float32), np.ones((3, 3, 1, 1), np.float32), 1,
                     "VALID")


def test_channel_mismatch():
    with pytest.raises(ValueError, match=r"Conv2D.*3 channels.*expects 2 input channels"):
        tf.nn.conv2d(np.ones((1, 5, 5, 3), np.float32), np.ones((3, 3, 2, 4), np.float32), 1,
                     "SAME")
    with pytest.raises(ValueError, match=r"output channels divisible by 2"):
        tf.nn.conv2d(np.ones((1, 5, 5, 4), np.float32), np.ones((3, 3, 2, 3), np.float32), 1,
                     "SAME")


def test_wrong_rank():
    with pytest.raises(ValueError,
                       match=r"Conv2D.*input must be 4-D \(NHWC.*got shape \(5, 5, 1\)"):
        tf.nn.conv2d(np.ones((5, 5, 1), np.float32), np.ones((3, 3, 1, 1), np.float32), 1,
                     "SAME")
    with pytest.raises(ValueError, match="filter must be 4-D"):
        tf.nn.conv2d(np.ones((1, 5, 5, 1), np.float32), np.ones((3, 1, 1), np.float32), 1,
                     "SAME")
    with pytest.raises(ValueError, match="conv1d: input must be 3-D"):
        tf.nn.conv1d(np.ones((1, 5, 5, 1), np.float32), np.ones((3, 1, 1), np.float32), 1,
                     "SAME")


def test_bad_arguments():
    x, w = np.ones((1, 5, 5, 1), np.float32), np.ones((3, 3, 1, 1), np.float32)
    with pytest.raises(ValueError, match="padding must be 'SAME', 'VALID'"):
        tf.nn.conv2d(x, w, 1, "FULL")
    with pytest.raises(ValueError, match="data_format must be 'NHWC' or 'NCHW'"):
        tf.nn.conv2d(x, w, 1, "SAME", data_format="HWCN")
    with pytest.raises(ValueError, match="strides .* must be 1 in the batch and channel"):
        tf.nn.conv2d(x, w, [2, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="strides must be >= 1"):
        tf.nn.conv2d(x, w, 0, "SAME")
    with pytest.raises(ValueError, match="explicit padding .* batch and channel"):
        tf.nn.conv2d(x, w, 1, [[1, 0], [0, 0], [0, 0], [0, 0]])
    with pytest.raises(ValueError, match="strides is required"):
        tf.nn.conv2d(x, w, padding="SAME")
    with pytest.raises(TypeError, match="floating-point"):
        tf.nn.conv2d(np.ones((1, 5, 5, 1), np.int32), np.ones((3, 3, 1, 1), np.int32), 1,
                     "SAME")


def test_depthwise_rate_with_strides_is_rejected():
    x, w = np.ones((1, 8, 8, 2), np.float32), np.ones((3, 3, 2, 1), np.float32)
    with pytest.raises(ValueError, match=r"depthwise_conv2d: rate \(dilations\) > 1 is not "
                                         r"supported together with strides > 1"):
        tf.nn.depthwise_conv2d(x, w, [1, 2, 2, 1], "SAME", rate=[2, 2])
    with pytest.raises(ValueError, match="input has 2 channels but the filter"):
        tf.nn.depthwise_conv2d(x, np.ones((3, 3, 3, 1), np.float32), [1, 1, 1, 1], "SAME")


def test_conv2d_transpose_with_an_inconsistent_output_shape():
    v = np.ones((1, 4, 4, 5), np.float32)
    w = np.ones((3, 3, 2, 5), np.float32)
    with pytest.raises(ValueError, match=r"Conv2DBackpropInput.*out_backprop has shape"):
        tf.nn.conv2d_transpose(v, w, [1, 12, 12, 2], 2, "SAME")
    with pytest.raises(ValueError, match="output_shape is required"):
        tf.nn.conv2d_transpose(v, w, strides=2)
