"""BatchNormalization, LayerNormalization and GroupNormalization against NumPy float64
formulas: training vs inference statistics, the moving-statistics updates (in a direct call and
during fit), axes and data formats, masks, gradients, configs and errors."""
import numpy as np
import pytest
from conv_reference import layer_gradcheck

import tensorlet as tf
from tensorlet import keras
from layer_contract import run_layer_test

from tensorlet.keras import backend, layers

rng = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def _fresh_keras():
    backend.clear_session(free_memory=False)
    yield


def _bn_weights(c):
    gamma, beta = rng.uniform(0.5, 2, c), rng.standard_normal(c)
    mm, mv = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    return [gamma, beta, mm, mv]


def _bcast(v, axis, nd):
    shape = [1] * nd
    shape[axis] = -1
    return v.reshape(shape)


@pytest.mark.parametrize("axis", [-1, 1, 2])
def test_batch_norm_inference_and_training_outputs(axis):
    x = rng.standard_normal((4, 3, 5, 2)) * 3 + 1
    c = x.shape[axis]
    layer = layers.BatchNormalization(axis=axis, dtype="float64")
    layer.build(x.shape)
    w = _bn_weights(c)
    layer.set_weights(w)
    gamma, beta, mm, mv = (_bcast(v, axis, 4) for v in w)
    ref = (x - mm) / np.sqrt(mv + 1e-3) * gamma + beta
    np.testing.assert_allclose(layer(x), ref, rtol=1e-10)
    np.testing.assert_allclose(layer(x, training=False), ref, rtol=1e-10)
    red = tuple(i for i in range(4) if i != axis % 4)
    mean, var = x.mean(red, keepdims=True), x.var(red, keepdims=True)
    ref_t = (x - mean) / np.sqrt(var + 1e-3) * gamma + beta
    np.testing.assert_allclose(layer(x, training=True), ref_t, rtol=1e-10, atol=1e-12)


def test_batch_norm_training_call_updates_moving_statistics():
    x = rng.standard_normal((8, 3)) * 2 + 5
    layer = layers.BatchNormalization(dtype="float64")
    layer.build(x.shape)
    w = _bn_weights(3)
    layer.set_weights(w)
    layer(x, training=True)
    _, _, mm, mv = layer.get_weights()
    np.testing.assert_allclose(mm, 0.99 * w[2] + 0.01 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(mv, 0.99 * w[3] + 0.01 * x.var(0), rtol=1e-12)  # biased var
    layer(x)  # inference leaves them alone
    np.testing.assert_array_equal(layer.get_weights()[2], mm)


def test_batch_norm_not_trainable_runs_in_inference_mode():
    x = rng.standard_normal((8, 3))
    layer = layers.BatchNormalization(dtype="float64")
    layer.build(x.shape)
    w = _bn_weights(3)
    layer.set_weights(w)
    layer.trainable = False
    ref = (x - w[2]) / np.sqrt(w[3] + 1e-3) * w[0] + w[1]
    np.testing.assert_allclose(layer(x, training=True), ref, rtol=1e-10)
    np.testing.assert_array_equal(layer.get_weights()[2], w[2])
    assert layer.trainable_weights == []


def test_fit_updates_moving_statistics_per_batch():
    x = (rng.standard_normal((64, 4)) * 2 + 3).astype(np.float32)
    y = rng.standard_normal((64, 1)).astype(np.float32)
    model = keras.Sequential([keras.Input((4,)), layers.BatchNormalization(momentum=0.5),
                              layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    bn = model.layers[0]
    mm, mv = bn.get_weights()[2:]
    exp_m, exp_v = np.zeros(4), np.ones(4)
    for b in (x[:32], x[32:]):
        exp_m = 0.5 * exp_m + 0.5 * b.mean(0)
        exp_v = 0.5 * exp_v + 0.5 * b.var(0)
    np.testing.assert_allclose(mm, exp_m, rtol=1e-5)
    np.testing.assert_allclose(mv, exp_v, rtol=1e-5)


def test_batch_norm_channels_first_is_transposed_channels_last():
    x = rng.standard_normal((4, 5, 6, 3)).astype(np.float32)
    a, b = layers.BatchNormalization(), layers.BatchNormalization(axis=1)
    a.build(x.shape)
    b.build((4, 3, 5, 6))
    w = [v.astype(np.float32) for v in _bn_weights(3)]
    a.set_weights(w)
    b.set_weights(w)
    xt = x.transpose(0, 3, 1, 2)
    for training in (False, True):
        np.testing.assert_allclose(b(xt, training=training).transpose(0, 2, 3, 1),
                                   a(x, training=training), rtol=1e-5, atol=1e-5)


def test_batch_norm_with_a_mask_uses_the_unmasked_steps():
    x = rng.standard_normal((2, 4, 3))
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], bool)
    layer = layers.BatchNormalization(dtype="float64", center=False, scale=False)
    g = backend.get_graph()
    with g.as_default():
        xp = tf.placeholder(tf.float64, [None, 4, 3])
        mp = tf.placeholder(tf.bool, [None, 4])
        y = layer(xp, training=True, mask=mp)
    got = backend.run(y, {xp: x, mp: mask})
    sel = x[mask]
    mean, var = sel.mean(0), sel.var(0)
    np.testing.assert_allclose(got, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-5, atol=1e-6)


def test_batch_norm_weights_and_defaults():
    layer = layers.BatchNormalization()
    layer(np.zeros((2, 5), np.float32))
    assert [w.path.split("/")[-1] for w in layer.weights] == \
        ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.path.split("/")[-1] for w in layer.trainable_weights] == ["gamma", "beta"]
    c = layer.get_config()
    assert (c["momentum"], c["epsilon"], c["axis"], c["center"], c["scale"]) == \
        (0.99, 1e-3, -1, True, True)
    np.testing.assert_array_equal(layer.get_weights()[3], np.ones(5))
    no_affine = layers.BatchNormalization(center=False, scale=False)
    no_affine(np.zeros((2, 5), np.float32))
    assert [w.path.split("/")[-1] for w in no_affine.weights] == ["moving_mean",
                                                                  "moving_variance"]


def test_layer_normalization():
    x = rng.standard_normal((3, 4, 5)) * 2 + 1
    for axis in (-1, [1, 2], 1):
        layer = layers.LayerNormalization(axis=axis, dtype="float64")
        layer.build(x.shape)
        axes = tuple(np.atleast_1d(axis) % 3)
        shape = tuple(x.shape[a] for a in axes)
        gamma, beta = rng.uniform(0.5, 2, shape), rng.standard_normal(shape)
        layer.set_weights([gamma, beta])
        bshape = [x.shape[i] if i in axes else 1 for i in range(3)]
        mean, var = x.mean(axes, keepdims=True), x.var(axes, keepdims=True)
        ref = (x - mean) / np.sqrt(var + 1e-3) * gamma.reshape(bshape) + beta.reshape(bshape)
        np.testing.assert_allclose(layer(x), ref, rtol=1e-10, atol=1e-12, err_msg=str(axis))
    rms = layers.LayerNormalization(rms_scaling=True, dtype="float64")
    rms.build(x.shape)
    assert [w.path.split("/")[-1] for w in rms.weights] == ["gamma"]
    np.testing.assert_allclose(rms(x), x / np.sqrt(x.var(-1, keepdims=True) + 1e-3),
                               rtol=1e-10)


@pytest.mark.parametrize("axis,groups", [(-1, 2), (-1, -1), (1, 3), (-1, 1)])
def test_group_normalization(axis, groups):
    x = rng.standard_normal((2, 6, 3, 6)) * 2 + 1
    layer = layers.GroupNormalization(groups=groups, axis=axis, dtype="float64")
    layer.build(x.shape)
    c = x.shape[axis]
    gamma, beta = rng.uniform(0.5, 2, c), rng.standard_normal(c)
    layer.set_weights([gamma, beta])
    g = c if groups == -1 else groups
    xc = np.moveaxis(x, axis, -1)  # channels last for the reference
    out = np.empty_like(xc)
    for n in range(2):
        for k in range(g):
            sl = slice(k * c // g, (k + 1) * c // g)
            grp = xc[n, ..., sl]
            out[n, ..., sl] = (grp - grp.mean()) / np.sqrt(grp.var() + 1e-3)
    ref = np.moveaxis(out * gamma + beta, -1, axis)
    np.testing.assert_allclose(layer(x), ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("make,shape,training", [
    (lambda: layers.BatchNormalization(dtype="float64"), (5, 3), True),
    (lambda: layers.BatchNormalization(axis=1, dtype="float64"), (3, 2, 2, 2), True),
    (lambda: layers.BatchNormalization(dtype="float64"), (4, 3), False),
    (lambda: layers.LayerNormalization(axis=[1, 2], dtype="float64"), (2, 3, 2), False),
    (lambda: layers.GroupNormalization(groups=2, dtype="float64"), (2, 3, 4), False),
])
def test_gradients_through_the_layer(make, shape, training):
    layer = make()
    layer.build(shape)
    if isinstance(layer, layers.BatchNormalization):
        layer.set_weights(_bn_weights(shape[layer.axis]))
    layer_gradcheck(layer, rng.standard_normal(shape), training=training)


@pytest.mark.parametrize("make", [
    lambda: layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False,
                                      gamma_regularizer="l2", moving_variance_initializer="zeros"),
    lambda: layers.LayerNormalization(axis=[1, 2], epsilon=1e-6, rms_scaling=True),
    lambda: layers.GroupNormalization(groups=4, axis=1, beta_constraint="non_neg"),
])
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config


def test_errors():
    with pytest.raises(ValueError, match="out of range"):
        layers.BatchNormalization(axis=3)(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"Number of groups \(4\) must be a divisor"):
        layers.GroupNormalization(groups=4)(np.zeros((2, 6), np.float32))
    with pytest.raises(ValueError, match="cannot be more than the number of channels"):
        layers.GroupNormalization(groups=8)(np.zeros((2, 6), np.float32))
    with pytest.raises(TypeError, match="axis"):
        layers.LayerNormalization(axis="last")
    backend.clear_session(free_memory=False)
    bn = layers.BatchNormalization()
    bn(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="batch_normalization"):
        bn(np.zeros((2, 4), np.float32))


@pytest.mark.parametrize("cls,kwargs,in_shape,n_train,n_fixed", [
    (layers.BatchNormalization, {}, (4, 3, 5), 2, 2),
    (layers.BatchNormalization, {"axis": 1, "center": False}, (4, 3, 5), 1, 2),
    (layers.LayerNormalization, {"axis": [1, 2]}, (2, 3, 4), 2, 0),
    (layers.GroupNormalization, {"groups": 2}, (2, 5, 4), 2, 0),
])
def test_layer_contract(cls, kwargs, in_shape, n_train, n_fixed):
    run_layer_test(cls, kwargs, in_shape, in_shape, expected_num_trainable_weights=n_train,
                   expected_num_non_trainable_weights=n_fixed)
