"""Keras convolution layers against the direct-loop float64 reference (tests/conv_reference.py):
outputs over a grid of arguments and both data formats, channels_first == transposed
channels_last, gradients through the layer, config round-trips, weight layouts and errors."""
import itertools

import numpy as np
import pytest
from conv_reference import layer_gradcheck, nchw, nhwc, ref_conv, ref_conv_input_grad, ref_depthwise

from layer_contract import run_layer_test

from tensorlet.keras import backend, layers

rng = np.random.default_rng(3)


@pytest.fixture(autouse=True)
def _fresh_keras():
    backend.clear_session(free_memory=False)
    yield


def _relu(v):
    return np.maximum(v, 0)


def _run(layer, x, weights):
    layer.build(x.shape)
    layer.set_weights(weights)
    return layer(x)


GRID = list(itertools.product(
    [(6, 7, 4), (5, 5, 2)],            # input (h, w, c)
    [(3, 3), (2, 1)],                  # kernel_size
    [((1, 1), (1, 1)), ((2, 2), (1, 1)), ((1, 1), (2, 2))],  # (strides, dilation_rate)
    ["valid", "same"],
    [1, 2]))                           # groups


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv2d_matches_reference(data_format):
    for (h, w, c), k, (s, d), padding, groups in GRID:
        backend.clear_session(free_memory=False)  # many layers: keep the graph small
        x = rng.standard_normal((2, h, w, c)).astype(np.float32)
        layer = layers.Conv2D(4, k, strides=s, padding=padding, dilation_rate=d, groups=groups,
                              activation="relu", data_format=data_format)
        kernel = rng.standard_normal(k + (c // groups, 4)).astype(np.float32)
        bias = rng.standard_normal(4).astype(np.float32)
        xin = x if data_format == "channels_last" else nchw(x)
        y = _run(layer, xin, [kernel, bias])
        ref = _relu(ref_conv(x.astype(np.float64), kernel.astype(np.float64), s,
                             padding.upper(), d) + bias)
        got = y if data_format == "channels_last" else nhwc(y)
        msg = f"{(h, w, c)} kernel {k} strides {s} dilation {d} {padding} groups {groups}"
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4, err_msg=msg)
        assert y.shape == layer.compute_output_shape(xin.shape), msg


def test_channels_first_is_transposed_channels_last():
    x = rng.standard_normal((3, 9, 8, 3)).astype(np.float32)
    a = layers.Conv2D(5, 3, strides=2, padding="same")
    b = layers.Conv2D(5, 3, strides=2, padding="same", data_format="channels_first")
    ya = a(x)
    b.build(nchw(x).shape)
    b.set_weights(a.get_weights())
    np.testing.assert_allclose(nhwc(b(nchw(x))), ya, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv1d_matches_reference(padding, data_format):
    x = rng.standard_normal((2, 10, 3))
    kernel = rng.standard_normal((3, 3, 4))
    bias = rng.standard_normal(4)
    layer = layers.Conv1D(4, 3, padding=padding, dilation_rate=2, data_format=data_format,
                          dtype="float64")
    xin = x if data_format == "channels_last" else x.transpose(0, 2, 1)
    y = _run(layer, xin, [kernel, bias])
    if padding == "causal":  # left zeros: output t sees inputs t - 4, t - 2, t only
        xp = np.concatenate([np.zeros((2, 4, 3)), x], axis=1)
        ref = ref_conv(xp[:, None], kernel[None], (1, 1), "VALID", (1, 2))[:, 0]
    else:
        ref = ref_conv(x[:, None], kernel[None], (1, 1), padding.upper(), (1, 2))[:, 0]
    got = y if data_format == "channels_last" else y.transpose(0, 2, 1)
    np.testing.assert_allclose(got, ref + bias, rtol=1e-10, atol=1e-10)


def test_conv1d_causal_output_does_not_see_the_future():
    layer = layers.Conv1D(2, 3, padding="causal")
    x = rng.standard_normal((1, 8, 2)).astype(np.float32)
    y0 = layer(x)
    x2 = x.copy()
    x2[0, 5:] += 10
    y1 = layer(x2)
    np.testing.assert_array_equal(y0[0, :5], y1[0, :5])
    assert not np.allclose(y0[0, 5:], y1[0, 5:])


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("padding,strides,output_padding", [
    ("valid", 1, None), ("valid", 2, None), ("same", 2, None), ("same", 2, 1),
    ("valid", 3, 2)])
def test_conv2d_transpose_matches_reference(data_format, padding, strides, output_padding):
    x = rng.standard_normal((2, 4, 5, 3))
    kernel = rng.standard_normal((3, 3, 6, 3))  # (kh, kw, filters, in)
    bias = rng.standard_normal(6)
    layer = layers.Conv2DTranspose(6, 3, strides=strides, padding=padding,
                                   output_padding=output_padding, data_format=data_format,
                                   dtype="float64")
    xin = x if data_format == "channels_last" else nchw(x)
    y = _run(layer, xin, [kernel, bias])
    got = y if data_format == "channels_last" else nhwc(y)
    out_shape = (2,) + got.shape[1:3] + (6,)
    ref = ref_conv_input_grad(out_shape, kernel, x, (strides, strides), padding.upper(),
                              (1, 1)) + bias
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)
    # Keras's output sizes: in * s (+ max(k - s, 0) for valid); with output_padding
    # (in - 1) * s + k - 2 * (k // 2 if same) + output_padding.
    if output_padding is None:
        expect = [n * strides + (max(3 - strides, 0) if padding == "valid" else 0)
                  for n in (4, 5)]
    else:
        expect = [(n - 1) * strides + 3 - (2 if padding == "same" else 0) + output_padding
                  for n in (4, 5)]
    assert list(got.shape[1:3]) == expect


def test_conv2d_transpose_with_unknown_spatial_size():
    import tensorlet as tf
    layer = layers.Conv2DTranspose(2, 3, strides=2, padding="same")
    g = backend.get_graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, None, None, 3])
        y = layer(x)
    assert y.shape.as_list() == [None, None, None, 2]
    out = backend.run(y, {x: np.ones((1, 3, 5, 3), np.float32)})
    assert out.shape == (1, 6, 10, 2)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("strides,dilation,padding", [
    (1, 1, "valid"), (2, 1, "same"), (1, 2, "same")])
def test_depthwise_and_separable_match_reference(data_format, strides, dilation, padding):
    x = rng.standard_normal((2, 7, 6, 3))
    dk = rng.standard_normal((3, 3, 3, 2))
    pk = rng.standard_normal((1, 1, 6, 4))
    xin = x if data_format == "channels_last" else nchw(x)
    s, d = (strides, strides), (dilation, dilation)
    dw = layers.DepthwiseConv2D(3, strides=s, padding=padding, depth_multiplier=2,
                                dilation_rate=d, data_format=data_format, dtype="float64")
    sep = layers.SeparableConv2D(4, 3, strides=s, padding=padding, depth_multiplier=2,
                                 dilation_rate=d, data_format=data_format, dtype="float64")
    b1, b2 = rng.standard_normal(6), rng.standard_normal(4)
    y1, y2 = _run(dw, xin, [dk, b1]), _run(sep, xin, [dk, pk, b2])
    if data_format == "channels_first":
        y1, y2 = nhwc(y1), nhwc(y2)
    ref = ref_depthwise(x, dk, s, padding.upper(), d)
    np.testing.assert_allclose(y1, ref + b1, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(y2, ref @ pk[0, 0] + b2, rtol=1e-10, atol=1e-10)


def test_weight_names_shapes_and_order_follow_keras():
    x = np.zeros((1, 8, 8, 3), np.float32)
    cases = [
        (layers.Conv2D(4, 3, groups=1), [("kernel", (3, 3, 3, 4)), ("bias", (4,))]),
        (layers.Conv2D(4, 3, use_bias=False),
         [("kernel", (3, 3, 3, 4))]),
        (layers.Conv2DTranspose(5, (2, 3)), [("kernel", (2, 3, 5, 3)), ("bias", (5,))]),
        (layers.DepthwiseConv2D(3, depth_multiplier=2),
         [("kernel", (3, 3, 3, 2)), ("bias", (6,))]),
        (layers.SeparableConv2D(7, 3), [("depthwise_kernel", (3, 3, 3, 1)),
                                        ("pointwise_kernel", (1, 1, 3, 7)), ("bias", (7,))]),
    ]
    for layer, expect in cases:
        layer(x)
        got = [(w.path.split("/")[-1], tuple(w.shape.as_list())) for w in layer.weights]
        assert got == expect, type(layer).__name__
    grouped = layers.Conv2D(6, 3, groups=3)
    grouped(np.zeros((1, 5, 5, 3), np.float32))
    assert grouped.kernel.shape.as_list() == [3, 3, 1, 6]


@pytest.mark.parametrize("make,shape", [
    (lambda: layers.Conv2D(3, (2, 3), strides=(2, 1), padding="same", dtype="float64",
                           activation="tanh"), (2, 5, 5, 2)),
    (lambda: layers.Conv2D(4, 2, groups=2, dtype="float64", data_format="channels_first"),
     (1, 4, 4, 4)),
    (lambda: layers.Conv1D(2, 3, padding="causal", dilation_rate=2, dtype="float64"),
     (2, 7, 2)),
    (lambda: layers.Conv2DTranspose(2, 3, strides=2, padding="same", dtype="float64"),
     (1, 3, 3, 2)),
    (lambda: layers.DepthwiseConv2D(2, depth_multiplier=2, dtype="float64"), (1, 4, 4, 2)),
    (lambda: layers.SeparableConv2D(3, 2, padding="same", dtype="float64"), (1, 4, 3, 2)),
])
def test_gradients_through_the_layer(make, shape):
    layer_gradcheck(make(), rng.standard_normal(shape))


@pytest.mark.parametrize("make", [
    lambda: layers.Conv2D(4, (3, 2), strides=2, padding="same", dilation_rate=1, groups=2,
                          activation="relu", use_bias=False, kernel_initializer="he_normal",
                          kernel_regularizer="l2", data_format="channels_first", name="c"),
    lambda: layers.Conv1D(3, 5, padding="causal", dilation_rate=2, bias_constraint="non_neg"),
    lambda: layers.Conv2DTranspose(3, 3, strides=2, output_padding=1, padding="same"),
    lambda: layers.DepthwiseConv2D(3, depth_multiplier=3, depthwise_regularizer="l1"),
    lambda: layers.SeparableConv2D(5, 3, depth_multiplier=2, pointwise_initializer="ones"),
])
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    shape = (2, 4, 10, 10) if getattr(layer, "data_format", "") == "channels_first" else \
        ((2, 12, 3) if isinstance(layer, layers.Conv1D) else (2, 10, 10, 4))
    x = rng.standard_normal(shape).astype(np.float32)
    y = layer(x)
    clone.build(x.shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x), y, rtol=1e-6)


def test_keras_defaults():
    c = layers.Conv2D(8, 3).get_config()
    assert (c["strides"], c["padding"], c["dilation_rate"], c["groups"], c["use_bias"]) == \
        ((1, 1), "valid", (1, 1), 1, True)
    assert c["data_format"] == "channels_last"
    assert c["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert c["bias_initializer"]["class_name"] == "Zeros"


def test_errors():
    with pytest.raises(ValueError, match=r"Layer 'conv2d'.*larger than the input"):
        layers.Conv2D(2, 5)(np.zeros((1, 3, 8, 1), np.float32))
    backend.clear_session(free_memory=False)
    layer = layers.Conv2D(2, 3)
    layer(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r"conv2d.*axis -1.*3.*2|expected.*3.*2"):
        layer(np.zeros((1, 5, 5, 2), np.float32))
    with pytest.raises(ValueError, match="ndim=4"):
        layers.Conv2D(2, 3)(np.zeros((5, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r"`strides > 1` not supported in conjunction with "
                                         r"`dilation_rate > 1`"):
        layers.Conv2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="divisible by the number of groups"):
        layers.Conv2D(3, 3, groups=2)
    with pytest.raises(ValueError, match="input channels must be evenly divisible"):
        layers.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match="filters"):
        layers.Conv2D(0, 3)
    with pytest.raises(ValueError, match="kernel_size"):
        layers.Conv2D(2, (3, 0))
    with pytest.raises(ValueError, match="padding"):
        layers.Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="data_format"):
        layers.Conv2D(2, 3, data_format="NHWC")
    with pytest.raises(ValueError, match="output_padding"):
        layers.Conv2DTranspose(2, 3, strides=2, output_padding=2)


@pytest.mark.parametrize("cls,kwargs,in_shape,out_shape,n_weights", [
    (layers.Conv1D, {"filters": 3, "kernel_size": 3, "padding": "causal"}, (2, 8, 4),
     (2, 8, 3), 2),
    (layers.Conv2D, {"filters": 4, "kernel_size": 3, "padding": "same", "strides": 2},
     (2, 7, 7, 3), (2, 4, 4, 4), 2),
    (layers.Conv2D, {"filters": 4, "kernel_size": 2, "groups": 2,
                     "data_format": "channels_first"}, (2, 4, 5, 5), (2, 4, 4, 4), 2),
    (layers.Conv2DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2}, (2, 4, 4, 2),
     (2, 9, 9, 3), 2),
    (layers.DepthwiseConv2D, {"kernel_size": 3, "depth_multiplier": 2}, (2, 6, 6, 3),
     (2, 4, 4, 6), 2),
    (layers.SeparableConv2D, {"filters": 5, "kernel_size": 3, "padding": "same"},
     (2, 6, 6, 3), (2, 6, 6, 5), 3),
])
def test_layer_contract(cls, kwargs, in_shape, out_shape, n_weights):
    run_layer_test(cls, kwargs, in_shape, out_shape, expected_num_trainable_weights=n_weights,
                   expected_num_non_trainable_weights=0)
