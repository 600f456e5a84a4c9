"""keras.backend: configuration, the Keras graph and session, values of variables,
clear_session and set_random_seed."""
import random

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import backend, layers


@pytest.fixture(autouse=True)
def _fresh_keras():
    backend.clear_session()
    yield


def test_configuration_defaults_and_setters():
    assert backend.floatx() == "float32" and backend.epsilon() == 1e-7
    assert backend.image_data_format() == "channels_last" and backend.backend() == "tensorlet"
    backend.set_image_data_format("channels_first")
    try:
        assert backend.image_data_format() == "channels_first"
        assert backend.standardize_data_format(None) == "channels_first"
    finally:
        backend.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="channels_last"):
        backend.set_image_data_format("NHWC")
    with pytest.raises(ValueError, match="floatx"):
        backend.set_floatx("int8")


def test_keras_objects_live_in_the_keras_graph_not_the_default_one():
    layer = layers.Dense(2)
    layer(np.ones((1, 3), np.float32))
    assert layer.kernel.graph is backend.get_graph()
    assert layer.kernel.graph is not tf.get_default_graph()
    assert backend.get_session().graph is backend.get_graph()


def test_get_set_value_and_eval():
    layer = layers.Dense(2)
    layer(np.ones((1, 3), np.float32))
    backend.set_value(layer.bias, [1.5, -2.0])
    np.testing.assert_array_equal(backend.get_value(layer.bias), [1.5, -2.0])
    np.testing.assert_array_equal(backend.eval(layer.bias), [1.5, -2.0])
    assert [v.shape for v in backend.batch_get_value(layer.weights)] == [(3, 2), (2,)]
    with pytest.raises(ValueError, match=r"shape \(2,\) to an array of shape \(3,\)"):
        backend.set_value(layer.bias, [1, 2, 3])


def test_new_variables_are_initialised_before_the_next_run():
    a = layers.Dense(2, bias_initializer="ones")
    a(np.ones((1, 3), np.float32))
    b = layers.Dense(2, bias_initializer="ones")
    b.build((None, 4))  # created after the session already ran
    np.testing.assert_array_equal(b.get_weights()[1], [1.0, 1.0])


def test_clear_session_forgets_graph_and_names():
    layers.Dense(1)(np.ones((1, 1), np.float32))
    graph = backend.get_graph()
    backend.clear_session()
    assert backend.get_graph() is not graph
    assert layers.Dense(1).name == "dense"


def test_set_random_seed_seeds_python_numpy_and_the_graph():
    keras.utils.set_random_seed(7)
    first = (random.random(), np.random.rand())
    assert backend.get_graph().seed == 7
    keras.utils.set_random_seed(7)
    assert (random.random(), np.random.rand()) == first
    with pytest.raises(ValueError, match="integer"):
        keras.utils.set_random_seed(1.5)
