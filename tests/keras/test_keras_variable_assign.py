"""Keras 3 variable semantics: at the top of a program `variable.assign(array)` (and
assign_add/assign_sub) writes a layer's weight at once and returns the variable; graph code
(tensors, or code running with the variable's graph as the default) still builds an op."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras


@pytest.fixture
def dense():
    keras.backend.clear_session(free_memory=False)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    return model, model.layers[0]


def test_assign_array_takes_effect_at_once(dense):
    model, layer = dense
    out = layer.kernel.assign(np.ones((3, 2)))
    assert out is layer.kernel
    np.testing.assert_array_equal(layer.kernel.numpy(), np.ones((3, 2), np.float32))
    layer.bias.assign([1.0, -1.0])
    np.testing.assert_allclose(model.predict(np.ones((1, 3), np.float32), verbose=0),
                               [[4.0, 2.0]])


def test_assign_add_and_sub_with_arrays(dense):
    _, layer = dense
    before = layer.kernel.numpy()
    layer.kernel.assign_add(np.full((3, 2), 2.0))
    layer.kernel.assign_sub(np.full((3, 2), 0.5))
    np.testing.assert_allclose(layer.kernel.numpy(), before + 1.5, rtol=1e-6)
    assert layer.kernel.numpy().dtype == np.float32


def test_assign_checks_the_shape(dense):
    _, layer = dense
    with pytest.raises(ValueError, match=r"shape \(3, 2\).*\(2, 3\)"):
        layer.kernel.assign(np.zeros((2, 3)))


def test_graph_code_still_builds_ops(dense):
    _, layer = dense
    layer.bias.assign([1.0, 2.0])
    # at the top of a program the variable reads as its value (Keras 3): written at once
    assert layer.bias.assign(layer.bias * 2.0) is layer.bias
    assert float(layer.bias[1]) == 4.0
    with layer.bias.graph.as_default():  # building in the variable's graph: TF 1.x semantics
        doubled = layer.bias * 0.5
        assert not getattr(doubled, "_eager", False)
        op = layer.bias.assign(doubled)  # a tensor: an op, run when fetched
    assert not isinstance(op, keras.backend.KerasVariable)
    np.testing.assert_array_equal(layer.bias.numpy(), [2.0, 4.0])
    keras.backend.get_value(op)
    np.testing.assert_array_equal(layer.bias.numpy(), [1.0, 2.0])
    layer.bias.assign([2.0, 4.0])
    with layer.bias.graph.as_default():
        op = layer.bias.assign_add([1.0, 1.0])
    np.testing.assert_array_equal(layer.bias.numpy(), [2.0, 4.0])
    keras.backend.get_value(op)
    np.testing.assert_array_equal(layer.bias.numpy(), [3.0, 5.0])


def test_training_and_metrics_unaffected(dense):
    model, _ = dense
    model.compile("adam", "mse", metrics=["mae"])
    model.fit(np.ones((8, 3)), np.ones((8, 2)), epochs=2, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 2
    metric = keras.metrics.Mean()
    metric.update_state([1.0, 3.0])
    metric.update_state(5.0)
    assert keras.backend.get_value(metric.result()) == pytest.approx(3.0)


def test_variables_read_as_values_at_the_top_of_a_program(dense):
    model, layer = dense
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)
    assert int(model.optimizer.iterations) == 0
    layer.bias.assign([1.0, 2.0])
    assert (layer.bias * 2).numpy().tolist() == [2.0, 4.0]
    assert (keras.ops.ones(2) - layer.bias).numpy().tolist() == [0.0, -1.0]
    with layer.bias.graph.as_default():
        with pytest.raises(TypeError, match="while its graph is being built"):
            float(layer.bias)


def test_variables_with_graph_tensors_or_in_user_graphs_stay_graph_ops(dense):
    """A Keras tensor next to the variable keeps the op in the graph (functional code at the
    top level); a layer built on a TF 1.x program's own graph keeps TF 1.x semantics."""
    _, layer = dense
    inputs = keras.Input((3,))
    out = layer(inputs)
    for combined in (layer.bias + out, out + layer.bias, layer.bias * out):
        assert not getattr(combined, "_eager", False) and combined.graph is out.graph
    assert np.asarray(layer.kernel).dtype == np.float32
    assert f"{layer.bias[0]:.1f}" == "0.0" and len(list(layer.kernel)) == 3
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        user_dense = keras.layers.Dense(1, kernel_initializer="ones", use_bias=False)
        user_dense(x)
    assert not getattr(user_dense.kernel ** 2, "_eager", False)  # its own graph: an op
