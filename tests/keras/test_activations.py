"""keras.activations: values against NumPy float64, Keras 3 options and defaults, gradients,
get/serialize/deserialize and their errors."""
import math

import numpy as np
import pytest
from helpers_numeric import numeric_grad

import tensorlet as tf
from tensorlet.keras import activations

X = np.array([[-10.0, -5.0, -3.0, -1.5, -0.5, 0.0], [0.3, 1.0, 2.5, 3.0, 6.5, 10.0]])


def run(t, feed=None):
    if not tf.is_tensor(t):  # `linear` returns its input as it is
        return np.asarray(t)
    with tf.Session() as sess:
        return sess.run(t, feed)


def _erf(x):
    return np.vectorize(math.erf)(x)


def _softplus(x):
    return np.logaddexp(0.0, x)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
REFERENCE = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(x)),
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "exponential": np.exp,
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "hard_swish": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "linear": lambda x: x,
    "softmax": lambda x: _softmax(x, -1),
    "log_softmax": lambda x: np.log(_softmax(x, -1)),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_values_match_numpy_float64(name):
    fn = activations.get(name)
    out = run(fn(X.astype(np.float32)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, REFERENCE[name](X), rtol=2e-6, atol=2e-6)
    out64 = run(fn(X))
    assert out64.dtype == np.float64
    np.testing.assert_allclose(out64, REFERENCE[name](X), rtol=1e-12, atol=1e-12)


def test_every_listed_activation_is_tested():
    assert set(activations.ALL_OBJECTS_DICT) == set(REFERENCE)


def test_relu_options_as_keras_documents():
    x = np.array([-10, -5, 0.0, 5, 10], np.float32)
    np.testing.assert_allclose(run(activations.relu(x)), [0, 0, 0, 5, 10])
    np.testing.assert_allclose(run(activations.relu(x, negative_slope=0.5)),
                               [-5, -2.5, 0, 5, 10])
    np.testing.assert_allclose(run(activations.relu(x, max_value=5.0)), [0, 0, 0, 5, 5])
    np.testing.assert_allclose(run(activations.relu(x, threshold=5.0)), [0, 0, 0, 0, 10])
    np.testing.assert_allclose(run(activations.relu(x, max_value=6)), [0, 0, 0, 5, 6])
    np.testing.assert_allclose(
        run(activations.relu(x, negative_slope=0.1, max_value=4.0, threshold=1.0)),
        np.where(x > 1, np.minimum(x, 4), 0) - 0.1 * np.maximum(1 - x, 0))


def test_options_and_integer_inputs():
    np.testing.assert_allclose(run(activations.elu(X, alpha=0.5)),
                               np.where(X > 0, X, 0.5 * np.expm1(X)))
    np.testing.assert_allclose(run(activations.leaky_relu(X, negative_slope=0.3)),
                               np.where(X > 0, X, 0.3 * X))
    approx = 0.5 * X * (1 + np.tanh(np.sqrt(2 / np.pi) * (X + 0.044715 * X ** 3)))
    np.testing.assert_allclose(run(activations.gelu(X, approximate=True)), approx, atol=1e-12)
    np.testing.assert_allclose(run(activations.softmax(X, axis=0)), _softmax(X, 0))
    out = run(activations.relu([-2, 3]))  # integers become float32, as in Keras
    assert out.dtype == np.float32 and out.tolist() == [0.0, 3.0]


@pytest.mark.parametrize("name", ["mish", "hard_silu", "gelu", "selu", "elu", "softmax"])
def test_gradients_match_numeric(name):
    x = np.array([[-2.3, -0.7, 0.4], [1.1, 2.9, -4.2]])  # away from kinks
    ph = tf.placeholder(tf.float64, x.shape)
    y = activations.get(name)(ph)
    w = np.random.default_rng(0).standard_normal(x.shape)
    (g,) = tf.gradients(tf.reduce_sum(y * w), [ph])
    expected = numeric_grad(lambda v: REFERENCE[name](v) * w, x)
    np.testing.assert_allclose(run(g, {ph: x}), expected, rtol=1e-6, atol=1e-8)


def test_relu_with_options_gradient():
    x = np.array([-2.0, 0.5, 1.5, 3.0, 7.0])
    ph = tf.placeholder(tf.float64, [5])
    y = activations.relu(ph, negative_slope=0.1, max_value=5.0, threshold=1.0)
    (g,) = tf.gradients(tf.reduce_sum(y), [ph])
    np.testing.assert_allclose(run(g, {ph: x}), [0.1, 0.1, 1.0, 1.0, 0.0])


def test_get_serialize_deserialize():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get(np.tanh) is np.tanh
    assert activations.serialize(activations.relu) == "relu"
    assert activations.deserialize("gelu") is activations.gelu
    config = {"module": "keras.activations", "class_name": "function", "config": "elu",
              "registered_name": "elu"}
    assert activations.deserialize(config) is activations.elu
    assert activations.get(config) is activations.elu


def test_unknown_identifier_lists_known_names():
    with pytest.raises(ValueError, match="Unknown activation identifier 'rellu'") as e:
        activations.get("rellu")
    assert "relu" in str(e.value) and "softmax" in str(e.value)
    with pytest.raises(ValueError, match="Could not interpret activation"):
        activations.get(42)
    with pytest.raises(ValueError, match="Unknown activation class 'os.system'"):
        activations.deserialize({"class_name": "os.system", "config": {}})


def test_bad_relu_arguments():
    with pytest.raises(TypeError, match="negative_slope"):
        activations.relu(X, negative_slope="a")
    with pytest.raises(ValueError, match="max_value"):
        activations.relu(X, max_value=-1)


def test_softmax_needs_a_class_axis():
    with pytest.raises(ValueError, match="rank >= 1"):
        activations.softmax(np.float32(1.0))
