"""keras.models.clone_model: new layers and weights, the same architecture and outputs once
the weights are copied; clone_function, call_function, input_tensors, recursive; errors."""
import numpy as np
import pytest

from tensorlet import keras
from tensorlet.keras import backend, layers

X = np.random.default_rng(0).random((5, 4), dtype=np.float32)


@pytest.fixture(autouse=True)
def _fresh_keras():
    backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)


def _same_after_copy(original, clone, x=X):
    clone.set_weights(original.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), original.predict(x, verbose=0),
                               rtol=1e-6)


def test_sequential_clone_has_new_weights_and_the_same_architecture():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"),
                              layers.Dropout(0.5), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    clone = keras.models.clone_model(model)
    assert isinstance(clone, keras.Sequential) and clone.name == model.name
    assert [type(a) for a in clone.layers] == [type(b) for b in model.layers]
    assert [a.name for a in clone.layers] == [b.name for b in model.layers]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert clone.input_shape == (None, 4) and clone.layers[0].activation is not None
    assert not any(np.array_equal(a, b) for a, b in zip(clone.get_weights()[::2],
                                                        model.get_weights()[::2]))
    assert clone.optimizer is None  # not compiled
    _same_after_copy(model, clone)
    clone.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = model.get_weights()
    clone.fit(X, np.arange(5) % 3, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_functional_clone_with_two_inputs_and_two_outputs():
    a, b = keras.Input((4,), name="a"), keras.Input((2,), name="b")
    h = layers.Dense(6, activation="tanh")(a)
    joined = layers.Concatenate()([h, b])
    out1, out2 = layers.Dense(1)(joined), layers.Dense(2)(h)
    model = keras.Model([a, b], [out1, out2])
    clone = keras.models.clone_model(model)
    assert [t.name for t in clone.layers] == [t.name for t in model.layers]
    xb = np.ones((5, 2), np.float32)
    clone.set_weights(model.get_weights())
    for got, want in zip(clone.predict([X, xb], verbose=0), model.predict([X, xb], verbose=0)):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_clone_function_and_call_function():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, layers.Dense(2, name="head")(layers.Dense(3)(inputs)))

    def no_bias(layer):
        config = layer.get_config()
        if isinstance(layer, layers.Dense):
            config["use_bias"] = False
        return layer.__class__.from_config(config)

    calls = []

    def call(layer, *args, **kwargs):
        calls.append(layer.name)
        return layer(*args, **kwargs)

    clone = keras.models.clone_model(model, clone_function=no_bias, call_function=call)
    assert calls == [layer.name for layer in model.layers[1:]]
    assert [len(layer.weights) for layer in clone.layers[1:]] == [1, 1]
    assert clone.predict(X, verbose=0).shape == (5, 2)


def test_input_tensors_replace_the_inputs():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
    new_input = keras.Input((4,), name="fresh")
    clone = keras.models.clone_model(model, input_tensors=[new_input])
    assert clone.layers[0].name == model.layers[0].name and clone.inputs[0] is new_input
    inputs = keras.Input((4,), name="x")
    functional = keras.Model(inputs, layers.Dense(2)(inputs))
    other = keras.Input((4,), name="y")
    clone = keras.models.clone_model(functional, input_tensors=other)
    assert clone.inputs[0] is other
    _same_after_copy(functional, clone)


def test_recursive_clones_nested_models_layer_by_layer():
    inner = keras.Sequential([keras.Input((4,)), layers.Dense(3)], name="inner")
    inputs = keras.Input((4,))
    outer = keras.Model(inputs, layers.Dense(1)(inner(inputs)))
    seen = []

    def clone(layer):
        seen.append(layer.name)
        return layer.__class__.from_config(layer.get_config())

    copy = keras.models.clone_model(outer, clone_function=clone, recursive=True)
    assert "inner" not in seen and inner.layers[0].name in seen
    assert copy.layers[1] is not inner and isinstance(copy.layers[1], keras.Sequential)
    _same_after_copy(outer, copy)
    seen.clear()
    keras.models.clone_model(outer, clone_function=clone)
    assert "inner" in seen  # not recursive: the nested model is cloned as one layer


def test_subclassed_models_clone_from_their_config():
    class Net(keras.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = layers.Dense(units)

        def call(self, x):
            return self.dense(x)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    net = Net(5)
    net(X)
    clone = keras.models.clone_model(net)
    assert isinstance(clone, Net) and clone.units == 5 and clone(X).shape == (5, 5)
    with pytest.raises(ValueError, match="subclassed model"):
        keras.models.clone_model(net, clone_function=lambda layer: layer)


def test_errors_say_what_was_expected():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
    with pytest.raises(ValueError, match="call_function.*not supported for Sequential"):
        keras.models.clone_model(model, call_function=lambda layer, x: layer(x))
    with pytest.raises(ValueError, match="Unexpected keyword"):
        keras.models.clone_model(model, input_shape=(4,))
    with pytest.raises(ValueError, match="has 1 input.*holds 2"):
        keras.models.clone_model(model, input_tensors=[keras.Input((4,)), keras.Input((4,))])
    with pytest.raises(ValueError, match="must be Keras inputs"):
        keras.models.clone_model(model, input_tensors=[layers.Dense(4)(keras.Input((4,)))])


def test_clone_function_may_reuse_layers_and_the_model_must_be_a_model():
    inputs = keras.Input((4,))
    dense = layers.Dense(2)
    model = keras.Model(inputs, dense(inputs))
    shared = keras.models.clone_model(model, clone_function=lambda layer: layer)
    assert shared.layers[1] is dense
    np.testing.assert_allclose(shared.predict(X, verbose=0), model.predict(X, verbose=0))
    with pytest.raises(TypeError, match="expects a Keras model.*got Dense"):
        keras.models.clone_model(layers.Dense(2))
