"""ZeroPadding1D/2D, UpSampling1D/2D and Cropping1D/2D against NumPy (explicit pads, repeats
and slices), both data formats, unknown spatial sizes, gradients, configs and errors."""
import numpy as np
import pytest
from conv_reference import layer_gradcheck, nchw, nhwc

import tensorlet as tf
from layer_contract import run_layer_test

from tensorlet.keras import backend, layers

rng = np.random.default_rng(6)


@pytest.fixture(autouse=True)
def _fresh_keras():
    backend.clear_session(free_memory=False)
    yield


def _both_formats(make, x, ref):
    """The layer on NHWC x gives ref; on NCHW x (channels_first) the transposed ref."""
    np.testing.assert_array_equal(make("channels_last")(x), ref)
    np.testing.assert_array_equal(nhwc(make("channels_first")(nchw(x))), ref)


def test_zero_padding2d():
    x = rng.standard_normal((2, 3, 4, 2)).astype(np.float32)
    for arg, ((t, b), (left, r)) in [(1, ((1, 1), (1, 1))), ((2, 0), ((2, 2), (0, 0))),
                                     (((0, 1), (2, 3)), ((0, 1), (2, 3)))]:
        ref = np.zeros((2, 3 + t + b, 4 + left + r, 2), np.float32)
        ref[:, t:t + 3, left:left + 4] = x
        _both_formats(lambda f, arg=arg: layers.ZeroPadding2D(arg, data_format=f), x, ref)


def test_zero_padding1d():
    x = rng.standard_normal((2, 3, 2)).astype(np.float32)
    y = layers.ZeroPadding1D((1, 2))(x)
    ref = np.concatenate([np.zeros((2, 1, 2)), x, np.zeros((2, 2, 2))], axis=1)
    np.testing.assert_array_equal(y, ref)
    assert layers.ZeroPadding1D().get_config()["padding"] == (1, 1)


def test_cropping2d_and_1d():
    x = rng.standard_normal((2, 6, 7, 2)).astype(np.float32)
    for arg, ((t, b), (left, r)) in [(1, ((1, 1), (1, 1))), ((2, 0), ((2, 2), (0, 0))),
                                     (((0, 1), (2, 3)), ((0, 1), (2, 3)))]:
        ref = x[:, t:6 - b, left:7 - r]
        _both_formats(lambda f, arg=arg: layers.Cropping2D(arg, data_format=f), x, ref)
    x1 = rng.standard_normal((2, 6, 3)).astype(np.float32)
    np.testing.assert_array_equal(layers.Cropping1D((2, 1))(x1), x1[:, 2:5])
    np.testing.assert_array_equal(layers.Cropping1D((0, 0))(x1), x1)


def test_upsampling2d_and_1d():
    x = rng.standard_normal((2, 3, 4, 2)).astype(np.float32)
    for size in [2, (3, 1), (1, 2)]:
        sh, sw = (size, size) if isinstance(size, int) else size
        ref = np.repeat(np.repeat(x, sh, axis=1), sw, axis=2)
        _both_formats(lambda f, size=size: layers.UpSampling2D(size, data_format=f), x, ref)
    x1 = rng.standard_normal((2, 3, 2)).astype(np.float32)
    np.testing.assert_array_equal(layers.UpSampling1D(3)(x1), np.repeat(x1, 3, axis=1))


def test_unknown_spatial_sizes():
    g = backend.get_graph()
    up, crop, pad = layers.UpSampling2D((2, 3)), layers.Cropping2D(1), layers.ZeroPadding2D(2)
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, None, None, 2])
        ys = [up(x), crop(x), pad(x)]
    xv = rng.standard_normal((1, 4, 5, 2)).astype(np.float32)
    a, b, c = backend.run(ys, {x: xv})
    np.testing.assert_array_equal(a, np.repeat(np.repeat(xv, 2, 1), 3, 2))
    np.testing.assert_array_equal(b, xv[:, 1:3, 1:4])
    assert c.shape == (1, 8, 9, 2)
    assert up.compute_output_shape((None, 4, 5, 2)) == (None, 8, 15, 2)


@pytest.mark.parametrize("make,shape", [
    (lambda: layers.ZeroPadding2D(((1, 0), (0, 2)), dtype="float64"), (1, 2, 3, 2)),
    (lambda: layers.Cropping2D(((1, 0), (0, 1)), dtype="float64"), (1, 3, 3, 2)),
    (lambda: layers.UpSampling2D((2, 1), dtype="float64"), (1, 2, 3, 2)),
    (lambda: layers.UpSampling1D(2, dtype="float64"), (2, 3, 2)),
])
def test_gradients_through_the_layer(make, shape):
    layer_gradcheck(make(), rng.standard_normal(shape))


@pytest.mark.parametrize("make", [
    lambda: layers.ZeroPadding2D(((1, 2), (3, 4)), data_format="channels_first"),
    lambda: layers.ZeroPadding1D(3),
    lambda: layers.Cropping2D(2),
    lambda: layers.Cropping1D((1, 3)),
    lambda: layers.UpSampling2D((2, 3)),
    lambda: layers.UpSampling1D(4),
])
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config


def test_errors():
    with pytest.raises(ValueError, match="must be smaller than the input size"):
        layers.Cropping2D(2)(np.zeros((1, 4, 8, 1), np.float32))
    with pytest.raises(ValueError, match="padding"):
        layers.ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="padding"):
        layers.ZeroPadding2D(-1)
    with pytest.raises(ValueError, match="interpolation='nearest' only"):
        layers.UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match="ndim=4"):
        layers.UpSampling2D()(np.zeros((4, 4, 1), np.float32))


@pytest.mark.parametrize("cls,kwargs,in_shape,out_shape", [
    (layers.ZeroPadding1D, {"padding": 2}, (2, 3, 4), (2, 7, 4)),
    (layers.ZeroPadding2D, {"padding": ((1, 0), (2, 1))}, (2, 3, 3, 2), (2, 4, 6, 2)),
    (layers.Cropping1D, {"cropping": (1, 2)}, (2, 6, 3), (2, 3, 3)),
    (layers.Cropping2D, {"cropping": 1}, (2, 5, 6, 2), (2, 3, 4, 2)),
    (layers.UpSampling1D, {"size": 3}, (2, 3, 2), (2, 9, 2)),
    (layers.UpSampling2D, {"size": (2, 1), "data_format": "channels_first"}, (2, 3, 3, 2),
     (2, 3, 6, 2)),
])
def test_layer_contract(cls, kwargs, in_shape, out_shape):
    run_layer_test(cls, kwargs, in_shape, out_shape, expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0)
