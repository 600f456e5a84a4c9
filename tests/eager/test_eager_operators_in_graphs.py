"""Eager tensors' Python operators: at the top of a graph program they compute (no graph
op); while a function is traced they build graph ops, so captured values combined with eager
variables read the variable when the function runs and gradients flow; a slice bound that
is a graph tensor keeps the op in the graph."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.eager.context import eager_mode
from tensorlet.keras import backend, ops


def test_operators_on_values_in_a_graph_program_compute():
    with eager_mode():
        e = tf.constant([1.0, 2.0, 3.0])
    graph = tf.Graph()
    with graph.as_default():
        y = (e * 2 + 1)[1:]
        assert y.numpy().tolist() == [5.0, 7.0] and graph.version == 0
        n = tf.placeholder(tf.int32, [])
        head = e[:n]  # a graph tensor in the slice: a graph op
        assert not getattr(head, "_eager", False)
        with tf.Session() as sess:
            assert sess.run(head, {n: 2}).tolist() == [1.0, 2.0]


@pytest.fixture
def eager():
    tf.enable_eager_execution()
    yield
    tf.disable_eager_execution()


def test_traced_functions_read_variables_when_run(eager):
    c, v = tf.constant(2.0), tf.Variable(3.0)

    @tf.function
    def f():
        return c * v

    assert float(f()) == 6.0
    v.assign(10.0)
    assert float(f()) == 20.0

    @tf.function
    def grad():
        with tf.GradientTape() as tape:
            y = c * v
        return tape.gradient(y, v)

    assert float(grad()) == 2.0
    table = tf.constant(np.arange(10.0, dtype=np.float32))

    @tf.function
    def shifted(x):
        return table[:tf.shape(x)[0]] + x

    assert shifted(tf.ones(3)).numpy().tolist() == [1.0, 2.0, 3.0]


def test_eager_keras_layer_mixing_a_constant_and_a_weight_trains(eager):
    class Scaled(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.scale = ops.convert_to_tensor(2.0)

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 1), initializer="ones")

        def call(self, x):
            return ops.matmul(x, self.scale * self.w) + ops.multiply(self.w[0], 2.0)

    backend.clear_session(free_memory=False)
    inputs = keras.Input((3,))
    model = keras.Model(inputs, Scaled()(inputs))
    model.compile(optimizer="sgd", loss="mse")
    before = model.get_weights()[0].copy()
    model.fit(np.ones((4, 3), np.float32), np.zeros((4, 1), np.float32), verbose=0)
    assert not np.allclose(before, model.get_weights()[0])
