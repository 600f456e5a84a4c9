"""The Layer base class: names, weights, trainable flag, losses, input specs, symbolic and NumPy
calls, training-flag propagation, masks, and layers used inside a TF 1.x graph."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers


@pytest.fixture(autouse=True)
def _fresh_keras():
    keras.backend.clear_session(free_memory=False)
    yield


class Scale(layers.Layer):
    """A custom layer: one trainable scale per feature, one non-trainable counter."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones",
                                     name="scale")
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                     name="count")

    def call(self, inputs, training=None):
        y = inputs * self.scale * self.factor
        return y * 2.0 if training else y

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_auto_names_are_unique_and_reset_by_clear_session():
    names = [layers.Dense(2).name for _ in range(3)]
    assert names == ["dense", "dense_1", "dense_2"]
    assert Scale().name == "scale"
    assert layers.InputLayer(shape=(3,)).name == "input_layer"
    keras.backend.clear_session(free_memory=False)
    assert layers.Dense(2).name == "dense"


def test_invalid_name_and_unknown_kwargs():
    with pytest.raises(ValueError, match="name"):
        layers.Dense(2, name="a/b")
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Dense"):
        layers.Dense(2, not_an_arg=1)


def test_custom_layer_build_weights_and_call():
    layer = Scale(factor=3.0)
    assert not layer.built
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(layer(x), 3 * x)
    assert layer.built
    assert [w.path for w in layer.weights] == ["scale/scale", "scale/count"]
    assert [w.path for w in layer.trainable_weights] == ["scale/scale"]
    assert [w.path for w in layer.non_trainable_weights] == ["scale/count"]
    assert layer.count_params() == 4
    np.testing.assert_allclose(layer.scale.numpy(), np.ones(3))


def test_add_weight_keras2_argument_order_and_defaults():
    class W(layers.Layer):
        def build(self, input_shape):
            self.k = self.add_weight("k", (input_shape[-1], 2))  # Keras 2 order
            self.i = self.add_weight(shape=(2,), dtype="int32")  # ints default to zeros

        def call(self, x):
            return tf.matmul(x, self.k)
    layer = W()
    layer(np.ones((1, 4), np.float32))
    assert layer.k.shape.as_list() == [4, 2] and layer.k.dtype.name == "float32"
    np.testing.assert_array_equal(layer.i.numpy(), [0, 0])


def test_trainable_flag_moves_weights_between_lists():
    layer = layers.Dense(2)
    layer(np.ones((1, 3), np.float32))
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
    layer.trainable = True
    assert len(layer.trainable_weights) == 2


def test_get_set_weights_round_trip_and_errors():
    layer = layers.Dense(3, name="hidden")
    layer(np.ones((1, 4), np.float32))
    kernel = np.arange(12, dtype=np.float32).reshape(4, 3)
    layer.set_weights([kernel, np.ones(3)])
    got = layer.get_weights()
    np.testing.assert_array_equal(got[0], kernel)
    np.testing.assert_array_equal(got[1], np.ones(3))
    with pytest.raises(ValueError, match=r"'hidden' weight 'hidden/kernel' has shape \(4, 3\), "
                                         r"but the value given for it has shape \(3, 4\)"):
        layer.set_weights([kernel.T, np.ones(3)])
    with pytest.raises(ValueError, match="expects 2 weight array"):
        layer.set_weights([kernel])


def test_count_params_before_build_raises():
    with pytest.raises(ValueError, match="isn't built"):
        layers.Dense(2, name="d").count_params()


def test_input_spec_error_names_layer_and_shapes():
    layer = layers.Dense(32, name="dense_in")
    layer(keras.Input((784,)))
    with pytest.raises(ValueError) as e:
        layer(keras.Input((28,)))
    msg = str(e.value)
    assert "'dense_in'" in msg and "(None, 784)" in msg and "(None, 28)" in msg
    with pytest.raises(ValueError, match=r"\(None, 784\).*\(None, 28\)"):
        layer(np.ones((5, 28), np.float32))


def test_input_spec_rank_error_hints_missing_batch_axis():
    layer = layers.Dense(4, name="d4")
    with pytest.raises(ValueError, match="min_ndim=2.*lack a batch axis"):
        layer(np.ones(10, np.float32))


def test_symbolic_call_records_a_node_and_shapes():
    inp = keras.Input((5,), name="inp")
    dense = layers.Dense(3)
    out = dense(inp)
    assert tuple(out.shape.dims) == (None, 3)
    assert dense.output is out and dense.input is inp
    assert dense.compute_output_shape((None, 5)) == (None, 3)


def test_default_compute_output_shape_traces_the_layer():
    assert Scale().compute_output_shape((None, 4)) == (None, 4)


def test_numpy_calls_reuse_one_plan():
    layer = layers.Dense(4)
    x = np.ones((2, 3), np.float32)
    layer(x)
    n = len(keras.backend.get_graph().get_operations())
    for batch in (1, 5, 7):
        layer(np.ones((batch, 3), np.float32))
    layer(x.astype(np.float64))  # floats are cast to the layer's dtype: same plan
    assert len(keras.backend.get_graph().get_operations()) == n


def test_training_flag_explicit_and_propagated():
    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Scale()

        def call(self, x, training=None):
            return self.inner(x)  # training is not passed on explicitly
    x = np.ones((1, 2), np.float32)
    outer = Outer()
    np.testing.assert_allclose(outer(x), x)
    np.testing.assert_allclose(outer(x, training=True), 2 * x)
    assert len(outer.weights) == 2  # sub-layer weights are tracked


def test_weight_regularizer_and_activity_regularizer_losses():
    layer = layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.5),
                         activity_regularizer=keras.regularizers.L1(0.1), use_bias=False)
    inp = keras.Input((3,))
    layer(inp)
    assert len(layer.losses) == 2
    kernel = layer.get_weights()[0]
    reg = keras.backend.eval(layer.losses[0])
    np.testing.assert_allclose(reg, 0.5 * np.sum(kernel ** 2), rtol=1e-5)


def test_add_loss_inside_call_reaches_the_training_loss():
    class Penalty(layers.Layer):
        def call(self, x):
            self.add_loss(tf.reduce_sum(x) * 0.0 + 5.0)
            return x
    inp = keras.Input((2,))
    model = keras.Model(inp, layers.Dense(1, kernel_initializer="zeros")(Penalty()(inp)))
    model.compile(optimizer="sgd", loss="mse")
    loss = model.test_on_batch(np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32))
    assert loss == pytest.approx(5.0)


def test_constraint_is_applied_after_each_update():
    inp = keras.Input((3,))
    dense = layers.Dense(2, kernel_constraint="non_neg", kernel_initializer="ones")
    model = keras.Model(inp, dense(inp))
    model.compile(optimizer=keras.optimizers.SGD(10.0), loss="mse")
    model.train_on_batch(np.ones((4, 3), np.float32), -100 * np.ones((4, 2), np.float32))
    assert np.all(dense.get_weights()[0] >= 0)


def test_config_round_trip_of_custom_layer():
    layer = Scale(factor=2.5, name="s", trainable=False)
    config = layer.get_config()
    assert config["factor"] == 2.5 and config["trainable"] is False
    clone = Scale.from_config(config)
    assert clone.get_config() == config


def test_layers_in_a_tf1_graph_use_that_graph_and_session():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, (None, 4))
        dense = layers.Dense(3, activation="relu")
        y = dense(x)
        assert y.graph is graph and dense.kernel.graph is graph
        assert dense.kernel in tf.global_variables()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            out = sess.run(y, {x: np.ones((2, 4), np.float32)})
            kernel, bias = dense.get_weights()  # through the default session of that graph
    np.testing.assert_allclose(out, np.maximum(np.ones((2, 4)) @ kernel + bias, 0), rtol=1e-5)


def test_masks_flow_through_layers_that_support_them():
    class MakeMask(layers.Layer):
        def call(self, x):
            return x

        def compute_mask(self, inputs, mask=None):
            return tf.not_equal(inputs, 0.0)

    class ReadMask(layers.Layer):
        def call(self, x, mask=None):
            self.seen = mask
            return x
    inp = keras.Input((3,))
    reader = ReadMask()
    reader(layers.Dropout(0.1)(MakeMask()(inp)))
    assert reader.seen is not None and reader.seen.dtype.name == "bool"


def test_repr_and_variable_paths():
    layer = layers.Dense(2, name="proj")
    assert repr(layer) == "<Dense name=proj, built=False>"
    layer(np.ones((1, 2), np.float32))
    assert [w.path for w in layer.weights] == ["proj/kernel", "proj/bias"]


def test_state_changes_in_call_run_with_the_call():
    """Keras 3 runs `self.count.assign_add(1.0)` in call even though nothing reads it: once
    per training batch and per predict batch."""
    class Counter(keras.layers.Layer):
        def build(self, input_shape):
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False)

        def call(self, x):
            self.count.assign_add(1.0)
            return x * 2

    counter = Counter()
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(counter(inputs)))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((8, 3), np.float32), np.zeros((8, 1), np.float32), batch_size=4,
              epochs=2, verbose=0)
    assert float(counter.count) == 4.0
    model.predict(np.ones((4, 3), np.float32), verbose=0)
    assert float(counter.count) == 5.0
    plain = keras.layers.Dense(2)
    out = plain(inputs)
    assert out.op.type != "Identity"  # calls without state changes get no extra op
