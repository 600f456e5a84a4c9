"""SpatialDropout1D/2D, GaussianNoise and GaussianDropout: identity at inference; in training,
the documented noise (whole channels dropped and the rest scaled by 1 / (1 - rate); additive
N(0, stddev); multiplicative N(1, rate / (1 - rate))), checked statistically and exactly where
the structure allows; seeds, gradients, configs and errors."""
import numpy as np
import pytest
from conv_reference import layer_gradcheck

from layer_contract import run_layer_test

from tensorlet.keras import backend, layers, utils

rng = np.random.default_rng(8)


@pytest.fixture(autouse=True)
def _fresh_keras():
    backend.clear_session(free_memory=False)
    yield


@pytest.mark.parametrize("make", [
    lambda: layers.SpatialDropout1D(0.5), lambda: layers.SpatialDropout2D(0.5),
    lambda: layers.GaussianNoise(1.0), lambda: layers.GaussianDropout(0.5)])
def test_identity_at_inference(make):
    layer = make()
    x = rng.standard_normal((2, 4, 3) if isinstance(layer, layers.SpatialDropout1D)
                            else (2, 4, 4, 3)).astype(np.float32)
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer(x, training=False), x)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_spatial_dropout2d_drops_whole_feature_maps(data_format):
    layer = layers.SpatialDropout2D(0.3, data_format=data_format, seed=1)
    shape = (64, 5, 6, 16) if data_format == "channels_last" else (64, 16, 5, 6)
    y = layer(np.ones(shape, np.float32), training=True)
    maps = y if data_format == "channels_last" else y.transpose(0, 2, 3, 1)
    maps = maps.reshape(64, 30, 16)
    assert np.all(maps == maps[:, :1, :])  # one draw per (sample, channel)
    vals = np.unique(maps)
    np.testing.assert_allclose(vals, [0, 1 / 0.7], rtol=1e-6)
    dropped = np.mean(maps[:, 0, :] == 0)
    assert 0.2 < dropped < 0.4


def test_spatial_dropout1d_drops_whole_channels():
    y = layers.SpatialDropout1D(0.5, seed=2)(np.ones((32, 7, 8), np.float32), training=True)
    assert np.all(y == y[:, :1, :])
    assert set(np.unique(y)) == {0.0, 2.0}


def test_gaussian_noise_statistics():
    x = np.full((200, 50), 3.0, np.float32)
    y = layers.GaussianNoise(0.5, seed=3)(x, training=True)
    noise = y - x
    assert abs(noise.mean()) < 0.02
    assert abs(noise.std() - 0.5) < 0.02


def test_gaussian_dropout_statistics():
    x = np.full((200, 50), 2.0, np.float32)
    y = layers.GaussianDropout(0.2, seed=4)(x, training=True)
    factor = y / x
    assert abs(factor.mean() - 1) < 0.02
    assert abs(factor.std() - np.sqrt(0.2 / 0.8)) < 0.02


def test_seeded_layers_repeat_after_set_random_seed():
    x = np.ones((4, 3, 3, 2), np.float32)
    outs = []
    for _ in range(2):
        backend.clear_session(free_memory=False)
        utils.set_random_seed(11)
        outs.append(layers.GaussianNoise(1.0)(x, training=True))
    np.testing.assert_array_equal(outs[0], outs[1])


def test_gradients_through_the_layer():
    layer_gradcheck(layers.GaussianNoise(0.0, dtype="float64"), rng.standard_normal((2, 3)),
                    training=True)


@pytest.mark.parametrize("make", [lambda: layers.SpatialDropout2D(0.5, seed=1),
                                  lambda: layers.GaussianDropout(0.3, seed=2),
                                  lambda: layers.GaussianNoise(0.3, seed=2)])
def test_training_gradient_is_the_noise_of_the_same_run(make):
    """d sum(r * y) / dx: r * (y / x) for multiplicative noise, r for additive noise, with the
    noise drawn once per run and shared by the output and its gradient."""
    import tensorlet as tf
    layer = make()
    x = rng.uniform(1, 2, (4, 3, 3, 5)).astype(np.float32)
    r = rng.standard_normal(x.shape).astype(np.float32)
    with backend.get_graph().as_default():
        xp = tf.placeholder(tf.float32, x.shape)
        y = layer(xp, training=True)
        g = tf.gradients(tf.reduce_sum(y * r), xp)[0]
    yv, gv = backend.run([y, g], {xp: x})
    factor = np.ones_like(x) if isinstance(layer, layers.GaussianNoise) else yv / x
    np.testing.assert_allclose(gv, r * factor, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: layers.SpatialDropout2D(0.4, data_format="channels_first", seed=3),
    lambda: layers.SpatialDropout1D(0.1),
    lambda: layers.GaussianNoise(0.3, seed=5),
    lambda: layers.GaussianDropout(0.25),
])
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config


def test_errors():
    with pytest.raises(ValueError, match="rate"):
        layers.SpatialDropout2D(1.5)
    with pytest.raises(ValueError, match="stddev"):
        layers.GaussianNoise(-1.0)
    with pytest.raises(ValueError, match="rate"):
        layers.GaussianDropout(2)
    with pytest.raises(ValueError, match="ndim=4"):
        layers.SpatialDropout2D(0.5)(np.zeros((2, 3, 4), np.float32), training=True)


@pytest.mark.parametrize("cls,kwargs,in_shape", [
    (layers.SpatialDropout1D, {"rate": 0.5}, (2, 4, 3)),
    (layers.SpatialDropout2D, {"rate": 0.5, "data_format": "channels_first"}, (2, 3, 4, 4)),
    (layers.GaussianNoise, {"stddev": 0.1}, (2, 5)),
    (layers.GaussianDropout, {"rate": 0.2}, (2, 5)),
])
def test_layer_contract(cls, kwargs, in_shape):
    x = rng.standard_normal(in_shape).astype(np.float32)
    run_layer_test(cls, kwargs, in_shape, in_shape, expected_num_trainable_weights=0,
                   input_data=x, expected_output=x)  # the identity at inference
