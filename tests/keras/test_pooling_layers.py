"""Keras pooling layers against the direct-loop float64 reference: local poolings over a grid of
pool sizes, strides, paddings and both data formats; global poolings (keepdims, masks);
gradients through the layers; defaults, config round-trips and errors."""
import itertools

import numpy as np
import pytest
from conv_reference import layer_gradcheck, nchw, nhwc, ref_pool

from layer_contract import run_layer_test

from tensorlet.keras import backend, layers

rng = np.random.default_rng(5)


@pytest.fixture(autouse=True)
def _fresh_keras():
    backend.clear_session(free_memory=False)
    yield


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling2d_matches_reference(data_format, kind):
    cls = layers.MaxPooling2D if kind == "max" else layers.AveragePooling2D
    for (h, w), pool, strides, padding in itertools.product(
            [(6, 6), (7, 5)], [(2, 2), (3, 2)], [None, (1, 1), (2, 3)], ["valid", "same"]):
        backend.clear_session(free_memory=False)  # many layers: keep the graph small
        x = rng.standard_normal((2, h, w, 3))
        layer = cls(pool, strides=strides, padding=padding, data_format=data_format,
                    dtype="float64")
        xin = x if data_format == "channels_last" else nchw(x)
        y = layer(xin)
        got = y if data_format == "channels_last" else nhwc(y)
        ref = ref_pool(x, pool, strides or pool, padding.upper(), kind)
        np.testing.assert_allclose(got, ref, rtol=1e-12, err_msg=f"{pool} {strides} {padding}")
        assert y.shape == layer.compute_output_shape(xin.shape)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("pool,strides,padding", [(2, None, "valid"), (3, 2, "same"),
                                                  (3, 1, "valid")])
def test_pooling1d_matches_reference(data_format, kind, pool, strides, padding):
    cls = layers.MaxPooling1D if kind == "max" else layers.AveragePooling1D
    x = rng.standard_normal((2, 9, 3))
    xin = x if data_format == "channels_last" else x.transpose(0, 2, 1)
    y = cls(pool, strides=strides, padding=padding, data_format=data_format,
            dtype="float64")(xin)
    got = y if data_format == "channels_last" else y.transpose(0, 2, 1)
    ref = ref_pool(x[:, None], (1, pool), (1, strides or pool), padding.upper(), kind)[:, 0]
    np.testing.assert_allclose(got, ref, rtol=1e-12)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_poolings(data_format, keepdims):
    x4 = rng.standard_normal((2, 4, 5, 3)).astype(np.float32)
    x3 = rng.standard_normal((2, 6, 3)).astype(np.float32)
    last = data_format == "channels_last"
    axes2, axes1 = ((1, 2), 1) if last else ((2, 3), 2)
    cases = [(layers.GlobalMaxPooling2D, x4, axes2, np.max),
             (layers.GlobalAveragePooling2D, x4, axes2, np.mean),
             (layers.GlobalMaxPooling1D, x3, axes1, np.max),
             (layers.GlobalAveragePooling1D, x3, axes1, np.mean)]
    for cls, x, axes, fn in cases:
        layer = cls(data_format=data_format, keepdims=keepdims)
        y = layer(x)
        ref = fn(x.astype(np.float64), axis=axes, keepdims=keepdims)
        np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6, err_msg=cls.__name__)
        assert y.shape == layer.compute_output_shape(x.shape)


def test_global_average_pooling1d_averages_unmasked_steps():
    import tensorlet as tf
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1]], bool)
    layer = layers.GlobalAveragePooling1D()
    g = backend.get_graph()
    with g.as_default():
        xp = tf.placeholder(tf.float32, [None, 5, 3])
        mp = tf.placeholder(tf.bool, [None, 5])
        y = layer(xp, mask=mp)
    got = backend.run(y, {xp: x, mp: mask})
    np.testing.assert_allclose(got[0], x[0, :2].mean(0), rtol=1e-6)
    np.testing.assert_allclose(got[1], x[1].mean(0), rtol=1e-6)


@pytest.mark.parametrize("make,shape", [
    (lambda: layers.MaxPooling2D(3, 2, padding="same", dtype="float64"), (1, 5, 5, 2)),
    (lambda: layers.AveragePooling2D(2, 1, padding="same", dtype="float64",
                                     data_format="channels_first"), (1, 2, 4, 3)),
    (lambda: layers.MaxPooling1D(2, dtype="float64"), (2, 6, 2)),
    (lambda: layers.AveragePooling1D(3, 2, padding="same", dtype="float64"), (2, 7, 2)),
    (lambda: layers.GlobalAveragePooling2D(dtype="float64"), (2, 3, 3, 2)),
    (lambda: layers.GlobalMaxPooling1D(dtype="float64"), (2, 4, 3)),
])
def test_gradients_through_the_layer(make, shape):
    n = int(np.prod(shape))
    x = rng.permutation(n).reshape(shape) * 0.1  # distinct values: unique maxima
    layer_gradcheck(make(), x)


def test_keras_defaults_and_aliases():
    c = layers.MaxPooling2D().get_config()
    assert (c["pool_size"], c["strides"], c["padding"], c["data_format"]) == \
        ((2, 2), (2, 2), "valid", "channels_last")
    assert layers.MaxPooling1D().get_config()["pool_size"] == (2,)
    assert layers.AveragePooling2D(3, strides=1).get_config()["strides"] == (1, 1)
    assert layers.MaxPool2D is layers.MaxPooling2D
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D
    with pytest.raises(TypeError):
        layers.AveragePooling2D()  # pool_size is required, as in Keras


@pytest.mark.parametrize("make", [
    lambda: layers.MaxPooling2D((3, 2), strides=(1, 2), padding="same",
                                data_format="channels_first", name="p"),
    lambda: layers.AveragePooling1D(4, padding="same"),
    lambda: layers.GlobalAveragePooling2D(keepdims=True),
    lambda: layers.GlobalMaxPooling1D(data_format="channels_first"),
])
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config


def test_errors():
    with pytest.raises(ValueError, match=r"Layer 'max_pooling2d'.*pool_size \(3, 3\) is larger"):
        layers.MaxPooling2D(3)(np.zeros((1, 2, 8, 1), np.float32))
    with pytest.raises(ValueError, match="ndim=4"):
        layers.MaxPooling2D()(np.zeros((2, 8, 1), np.float32))
    with pytest.raises(ValueError, match="padding"):
        layers.MaxPooling2D(padding="full")
    with pytest.raises(ValueError, match="pool_size"):
        layers.MaxPooling2D((2, 0))


@pytest.mark.parametrize("cls,kwargs,in_shape,out_shape", [
    (layers.MaxPooling1D, {}, (2, 8, 3), (2, 4, 3)),
    (layers.MaxPooling2D, {}, (2, 6, 6, 3), (2, 3, 3, 3)),
    (layers.AveragePooling1D, {"pool_size": 3, "padding": "same"}, (2, 7, 2), (2, 3, 2)),
    (layers.AveragePooling2D, {"pool_size": 2, "strides": 1}, (2, 5, 5, 2), (2, 4, 4, 2)),
    (layers.GlobalMaxPooling1D, {}, (2, 5, 3), (2, 3)),
    (layers.GlobalAveragePooling1D, {"keepdims": True}, (2, 5, 3), (2, 1, 3)),
    (layers.GlobalMaxPooling2D, {"data_format": "channels_first"}, (2, 3, 4, 5), (2, 3)),
    (layers.GlobalAveragePooling2D, {}, (2, 4, 5, 3), (2, 3)),
])
def test_layer_contract(cls, kwargs, in_shape, out_shape):
    run_layer_test(cls, kwargs, in_shape, out_shape, expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0)
