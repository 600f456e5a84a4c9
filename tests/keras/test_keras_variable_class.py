"""keras.Variable: Keras 3's standalone variable (values, initializers, dtype floatx), the
same class as a layer's weights for isinstance, and a weight of the layer that holds it."""
import numpy as np
import pytest

from tensorlet import keras
from tensorlet.keras import backend


@pytest.fixture(autouse=True)
def _fresh_keras():
    backend.clear_session(free_memory=False)


def test_values_initializers_and_dtype():
    v = keras.Variable(np.arange(3))
    assert v.dtype.name == "float32" and v.numpy().tolist() == [0.0, 1.0, 2.0]
    v.assign([4, 5, 6])
    assert (v * 2).numpy().tolist() == [8.0, 10.0, 12.0]
    w = keras.Variable("ones", shape=(2, 3), dtype="int32", name="w", trainable=False)
    assert w.numpy().tolist() == [[1, 1, 1], [1, 1, 1]] and not w.trainable
    assert isinstance(w, keras.Variable) and not isinstance(np.ones(2), keras.Variable)
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    assert isinstance(layer.kernel, keras.Variable)
    with pytest.raises(ValueError, match="needs a `shape`"):
        keras.Variable("zeros")
    with pytest.raises(ValueError, match=r"shape \(3,\), `shape` says \(4,\)"):
        keras.Variable(np.zeros(3), shape=(4,))


def test_a_layer_attribute_variable_is_a_trained_and_saved_weight(tmp_path):
    class Scale(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.scale = keras.Variable(np.ones(3, np.float32), name="scale")

        def call(self, x):
            return x * self.scale

    scale = Scale()
    assert scale.trainable_weights == [scale.scale]
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(scale(inputs)))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((8, 3), np.float32), np.full((8, 1), 5.0, np.float32), verbose=0)
    assert not np.allclose(scale.scale.numpy(), 1.0)
    path = str(tmp_path / "scaled.weights.h5")
    model.save_weights(path)
    trained = scale.scale.numpy()
    scale.scale.assign(np.zeros(3))
    model.load_weights(path)
    np.testing.assert_array_equal(scale.scale.numpy(), trained)


def test_variables_combine_as_values_and_errors_are_clear():
    a, b = keras.Variable(2.0), keras.Variable(3.0)
    a.assign_add(b)  # a variable as the value: written at once
    assert float(a) == 5.0 and float(a + b) == 8.0 and bool(b < a)
    assert keras.Variable(lambda shape, dtype: np.full(shape, 3.0), shape=(2,)).numpy().tolist() \
        == [3.0, 3.0]
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    with layer.kernel.graph.as_default():  # graph code: no value to freeze into the graph
        with pytest.raises(TypeError, match="while its graph is being built"):
            np.asarray(layer.kernel)
        with pytest.raises(TypeError, match="while its graph is being built"):
            f"{layer.bias:.2f}"

    class Early(keras.layers.Layer):
        def __init__(self):
            self.v = keras.Variable(1.0)
            super().__init__()

    with pytest.raises(RuntimeError, match=r"call super\(\).__init__\(\) before"):
        Early()
