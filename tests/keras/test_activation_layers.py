"""LeakyReLU, PReLU, ELU, ReLU and Softmax layers against NumPy float64 references written from
Keras 3's formulas, gradients through each layer, masks, the layer contract, configs and
errors."""
import warnings

import numpy as np
import pytest
from layer_contract import check_layer_gradients, run_layer_test

from tensorlet import keras
from tensorlet.keras import layers
from tensorlet.keras.layers import node

rng = np.random.default_rng(21)


@pytest.fixture(autouse=True)
def _fresh_keras():
    keras.backend.clear_session(free_memory=False)
    yield


def _x(*shape):
    return rng.standard_normal(shape) * 2


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _relu_ref(x, max_value=None, negative_slope=0.0, threshold=0.0):
    """Keras 3's ReLU formula: max_value above it, x from threshold up, slope * (x - threshold)
    below."""
    y = np.where(x > threshold, x, negative_slope * (x - threshold))
    if max_value is not None:
        y = np.where(x >= max_value, max_value, y)
    return y


# -- LeakyReLU / ELU / ReLU -------------------------------------------------------------------


@pytest.mark.parametrize("slope", [0.3, 0.05, 0.0])
def test_leaky_relu_matches_numpy(slope):
    x = _x(3, 4)
    layer = layers.LeakyReLU() if slope == 0.3 else layers.LeakyReLU(negative_slope=slope)
    np.testing.assert_allclose(layer(x.astype(np.float32)), np.where(x >= 0, x, slope * x),
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0])
def test_elu_matches_numpy(alpha):
    x = _x(3, 4)
    y = layers.ELU(alpha)(x.astype(np.float32))
    np.testing.assert_allclose(y, np.where(x > 0, x, alpha * np.expm1(x)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs", [{}, {"max_value": 1.0}, {"negative_slope": 0.1},
                                    {"threshold": 0.5}, {"max_value": 6},
                                    {"max_value": 2.5, "negative_slope": 0.2, "threshold": 0.3},
                                    {"negative_slope": 0.1, "threshold": 0.4}])
def test_relu_matches_keras_formula(kwargs):
    x = _x(4, 5)
    y = layers.ReLU(**kwargs)(x.astype(np.float32))
    np.testing.assert_allclose(y, _relu_ref(x, **kwargs), rtol=1e-5, atol=1e-6)


def test_elementwise_activation_gradients():
    for layer in (layers.LeakyReLU(0.2, dtype="float64"), layers.ELU(0.7, dtype="float64"),
                  layers.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.2,
                              dtype="float64")):
        check_layer_gradients(layer, _x(3, 4))


def test_elementwise_activation_contracts_and_configs():
    run_layer_test(layers.LeakyReLU, {"negative_slope": 0.1}, (2, 3), (2, 3))
    run_layer_test(layers.ELU, {"alpha": 0.5}, (2, 3, 4), (2, 3, 4))
    run_layer_test(layers.ReLU, {"max_value": 3.0, "negative_slope": 0.1, "threshold": 0.5},
                   (2, 3), (2, 3))
    assert layers.LeakyReLU().get_config()["negative_slope"] == 0.3
    assert layers.ELU().get_config()["alpha"] == 1.0
    config = layers.ReLU().get_config()
    assert (config["max_value"], config["negative_slope"], config["threshold"]) == \
        (None, 0.0, 0.0)


def test_leaky_relu_accepts_keras2_alpha_with_a_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = layers.LeakyReLU(alpha=0.2)
    assert layer.negative_slope == 0.2 and "negative_slope" in str(caught[0].message)


def test_elementwise_activation_errors():
    with pytest.raises(ValueError, match=r"LeakyReLU.*negative_slope.*-0.1"):
        layers.LeakyReLU(-0.1)
    with pytest.raises(ValueError, match="LeakyReLU.*None"):
        layers.LeakyReLU(None)
    with pytest.raises(ValueError, match=r"ReLU.*max_value.*>= 0 or None.*-1"):
        layers.ReLU(max_value=-1)
    with pytest.raises(ValueError, match=r"ReLU.*negative_slope"):
        layers.ReLU(negative_slope=-0.5)
    with pytest.raises(ValueError, match=r"ReLU.*threshold.*'a'"):
        layers.ReLU(threshold="a")
    with pytest.raises(ValueError, match="ELU.*alpha"):
        layers.ELU("big")


def test_activation_layers_pass_masks_through():
    inp = keras.Input((5,), dtype="int32")
    h = layers.Embedding(10, 3, mask_zero=True)(inp)
    for layer in (layers.LeakyReLU(), layers.ELU(), layers.ReLU(), layers.PReLU(),
                  layers.Softmax()):
        out = layer(h)
        assert node.get_mask(out) is node.get_mask(h), type(layer).__name__


# -- PReLU ----------------------------------------------------------------------------------


def test_prelu_matches_numpy_with_and_without_shared_axes():
    x = _x(2, 3, 4)
    for shared, alpha_shape in ((None, (3, 4)), ([1], (1, 4)), (2, (3, 1)), ([1, 2], (1, 1))):
        layer = layers.PReLU(alpha_initializer="random_uniform", shared_axes=shared)
        y = layer(x.astype(np.float32))
        (alpha,) = layer.get_weights()
        assert alpha.shape == alpha_shape
        np.testing.assert_allclose(y, np.where(x >= 0, x, alpha.astype(np.float64) * x),
                                   rtol=1e-5, atol=1e-6)
    fresh = layers.PReLU()
    np.testing.assert_array_equal(fresh(x.astype(np.float32)), np.maximum(x, 0).astype(
        np.float32))  # alpha starts at zero (Keras's default)


def test_prelu_gradients_contract_and_config():
    check_layer_gradients(layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25),
                                       dtype="float64"), _x(3, 4))
    check_layer_gradients(layers.PReLU(alpha_initializer="random_uniform", shared_axes=[1],
                                       dtype="float64"), _x(2, 3, 2))
    run_layer_test(layers.PReLU, {"alpha_initializer": "random_uniform", "shared_axes": [1]},
                   (2, 3, 4), (2, 3, 4), expected_num_trainable_weights=1)
    config = layers.PReLU(alpha_regularizer="l2", shared_axes=2).get_config()
    assert config["shared_axes"] == [2]
    assert config["alpha_initializer"]["class_name"] == "Zeros"
    assert config["alpha_regularizer"]["class_name"] == "L2"
    assert config["alpha_constraint"] is None


def test_prelu_errors():
    with pytest.raises(ValueError, match=r"'p_re_lu' \(PReLU\).*axis 1.*\(None, None, 3\)"):
        layers.PReLU()(keras.Input((None, 3)))
    assert tuple(layers.PReLU(shared_axes=1)(keras.Input((None, 3))).shape.dims) == \
        (None, None, 3)
    with pytest.raises(ValueError, match=r"shared_axes=\[3\].*\(None, 4, 5\).*no axis 3"):
        layers.PReLU(shared_axes=3)(keras.Input((4, 5)))
    with pytest.raises(ValueError, match="shared_axes.*batch"):
        layers.PReLU(shared_axes=[0])
    layer = layers.PReLU()
    layer(keras.Input((3,)))
    with pytest.raises(ValueError, match=r"expected axis 1.*size 3.*received shape \(None, 4\)"):
        layer(keras.Input((4,)))


# -- Softmax --------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [-1, 1, [1, 2]])
def test_softmax_matches_numpy(axis):
    x = _x(2, 3, 4)
    y = layers.Softmax(axis=axis)(x.astype(np.float32))
    ax = tuple(axis) if isinstance(axis, list) else axis
    np.testing.assert_allclose(y, _softmax(x, ax), rtol=1e-5, atol=1e-7)


def test_softmax_with_mask():
    x = _x(3, 5)
    mask = rng.random((3, 5)) > 0.4
    mask[:, 0] = True
    y = layers.Softmax()(x.astype(np.float32), mask=mask)
    e = np.where(mask, np.exp(x - x.max(axis=-1, keepdims=True)), 0)
    np.testing.assert_allclose(y, e / e.sum(axis=-1, keepdims=True), rtol=1e-5, atol=1e-7)
    # A (batch, steps) mask over (batch, steps, features) covers whole steps.
    x3 = _x(2, 3, 4)
    m3 = np.array([[True, False, True], [False, True, True]])
    y3 = layers.Softmax(axis=1)(x3.astype(np.float32), mask=m3)
    e3 = np.where(m3[..., None], np.exp(x3 - x3.max(axis=1, keepdims=True)), 0)
    np.testing.assert_allclose(y3, e3 / e3.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-7)


def test_softmax_gradients_contract_and_errors():
    check_layer_gradients(layers.Softmax(dtype="float64"), _x(3, 4))
    check_layer_gradients(layers.Softmax(axis=[1, 2], dtype="float64"), _x(2, 2, 3))
    run_layer_test(layers.Softmax, {"axis": 1}, (2, 3, 4), (2, 3, 4))
    assert layers.Softmax().get_config()["axis"] == -1
    assert layers.Softmax((1, 2)).get_config()["axis"] == [1, 2]
    with pytest.raises(ValueError, match="Softmax.*axis.*'x'"):
        layers.Softmax(axis="x")
    with pytest.raises(ValueError, match=r"'softmax' \(Softmax\) has axis=3.*\(None, 4\)"):
        layers.Softmax(axis=3, name="softmax")(keras.Input((4,)))
