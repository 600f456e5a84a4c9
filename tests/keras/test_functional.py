"""Functional models: several inputs and outputs, shared layers, core ops between layers,
calling a model on new inputs, nesting, the training flag, and config round-trips."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers


@pytest.fixture(autouse=True)
def _fresh_keras():
    keras.backend.clear_session(free_memory=False)
    yield


def two_in_two_out():
    a = keras.Input((8,), name="a")
    b = keras.Input((4,), name="b")
    shared = layers.Dense(5, activation="relu", name="shared")
    h = shared(layers.Dense(4, name="proj")(a)) + shared(b) * 2.0
    cls = layers.Dense(3, activation="softmax", name="cls")(h)
    reg = layers.Dense(1, name="reg")(h)
    return keras.Model([a, b], [cls, reg])


def _relu(z):
    return np.maximum(z, 0)


def _reference(model, xa, xb):
    """The same computation in NumPy from the model's weights."""
    w = {layer.name: layer.get_weights() for layer in model.layers if layer.weights}

    def dense(name, x, act=None):
        k, bias = w[name]
        z = x @ k + bias
        return act(z) if act else z
    h = dense("shared", dense("proj", xa), _relu) + 2 * dense("shared", xb, _relu)
    logits = dense("cls", h)
    e = np.exp(logits - logits.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True), dense("reg", h)


def test_model_is_functional_with_keras_names():
    model = two_in_two_out()
    assert type(model).__name__ == "Functional" and isinstance(model, keras.Model)
    assert model.name == "functional"
    assert [layer.name for layer in model.layers][:2] == ["a", "b"]
    assert {layer.name for layer in model.layers} == {"a", "b", "proj", "shared", "cls", "reg"}
    assert model.input_names == ["a", "b"] and model.output_names == ["cls", "reg"]
    assert model.output_shape == [(None, 3), (None, 1)]


def test_outputs_match_numpy_for_list_and_dict_inputs():
    model = two_in_two_out()
    rng = np.random.default_rng(0)
    xa = rng.standard_normal((6, 8)).astype(np.float32)
    xb = rng.standard_normal((6, 4)).astype(np.float32)
    ref_cls, ref_reg = _reference(model, xa.astype(np.float64), xb.astype(np.float64))
    for out in (model.predict([xa, xb], verbose=0), model({"a": xa, "b": xb}),
                model.predict({"b": xb, "a": xa}, batch_size=4, verbose=0)):
        np.testing.assert_allclose(out[0], ref_cls, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(out[1], ref_reg, rtol=1e-5, atol=1e-5)


def test_shared_layer_has_two_nodes_and_one_set_of_weights():
    model = two_in_two_out()
    shared = model.get_layer("shared")
    assert len(shared._inbound_nodes) == 2 and len(shared.weights) == 2
    assert model.count_params() == (8 * 4 + 4) + (4 * 5 + 5) + (5 * 3 + 3) + (5 + 1)


def test_calling_a_model_on_new_inputs_and_nesting():
    inner = two_in_two_out()
    a, b = keras.Input((8,)), keras.Input((4,))
    cls, reg = inner([a, b])
    outer = keras.Model([a, b], layers.Concatenate()([cls, reg])
                        if hasattr(layers, "Concatenate") else tf.concat([cls, reg], 1))
    rng = np.random.default_rng(1)
    xa, xb = rng.random((3, 8), np.float32), rng.random((3, 4), np.float32)
    expected = np.concatenate(inner.predict([xa, xb], verbose=0), axis=1)
    np.testing.assert_allclose(outer.predict([xa, xb], verbose=0), expected, rtol=1e-6)
    assert len(outer.weights) == len(inner.weights)


def test_core_ops_between_layers_are_replayed():
    inp = keras.Input((3,))
    h = layers.Dense(3)(inp)
    out = tf.tanh(h) * 3.0 - inp
    model = keras.Model(inp, out)
    x = np.random.default_rng(2).random((2, 3), np.float32)
    k, b = model.layers[1].get_weights()
    np.testing.assert_allclose(model(x), np.tanh(x @ k + b) * 3 - x, rtol=1e-5, atol=1e-6)


def test_training_flag_reaches_dropout_in_fit_not_in_predict():
    inp = keras.Input((50,))
    model = keras.Model(inp, layers.Dropout(0.5)(inp))
    x = np.ones((4, 50), np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    trained = model(x, training=True)
    assert (trained == 0).any() and np.allclose(trained[trained != 0], 2.0)


def test_graph_disconnected_error():
    a, b = keras.Input((2,)), keras.Input((2,))
    out = layers.Dense(1)(a + b)
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(a, out)


def test_inputs_must_come_from_keras_input():
    with pytest.raises(ValueError, match="keras.Input"):
        keras.Model(tf.placeholder(tf.float32, (None, 2)), keras.Input((2,)))


def test_wrong_input_shape_names_the_input():
    model = two_in_two_out()
    with pytest.raises(ValueError, match=r"Input 'a' of model 'functional' expects arrays of "
                                         r"shape \(None, 8\), but received an array of shape "
                                         r"\(5, 7\)"):
        model.predict([np.ones((5, 7)), np.ones((5, 4))], verbose=0)
    with pytest.raises(ValueError, match="expects 2 input"):
        model.predict(np.ones((5, 8)), verbose=0)


def test_fit_with_two_outputs_logs_each_loss():
    model = two_in_two_out()
    model.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", "mse"],
                  loss_weights=[1.0, 0.5], metrics={"cls": ["accuracy"], "reg": ["mae"]})
    rng = np.random.default_rng(3)
    x = [rng.random((32, 8), np.float32), rng.random((32, 4), np.float32)]
    y = {"cls": rng.integers(0, 3, 32), "reg": rng.random((32, 1), np.float32)}
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert set(history.history) == {"loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"}
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], logs["cls_loss"] + 0.5 * logs["reg_loss"],
                               rtol=1e-5)
    assert model.metrics_names == ["loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"]


def test_config_round_trip_rebuilds_the_same_computation():
    a = keras.Input((8,), name="a")
    b = keras.Input((4,), name="b")
    shared = layers.Dense(5, activation="relu", name="shared")
    out = layers.Dense(2, name="head")(shared(layers.Dense(4, name="proj")(a)))
    model = keras.Model([a, b], [out, shared(b)])
    config = model.get_config()
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == [["head", 0, 0], ["shared", 1, 0]]
    clone = keras.Model.from_config(config)
    clone.set_weights(model.get_weights())
    x = [np.ones((2, 8), np.float32), np.ones((2, 4), np.float32)]
    for p, q in zip(model.predict(x, verbose=0), clone.predict(x, verbose=0)):
        np.testing.assert_allclose(p, q, rtol=1e-6)


def test_config_refuses_core_ops_between_layers():
    inp = keras.Input((3,))
    model = keras.Model(inp, layers.Dense(2)(inp) * 2.0)
    with pytest.raises(ValueError, match="cannot be serialized"):
        model.get_config()


def test_summary_lists_input_layers_and_connections():
    lines = []
    two_in_two_out().summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "a (InputLayer)" in text and "Connected to" in text and "proj[0][0]" in text


def test_slicing_keras_tensors_at_the_top_level():
    """`inputs[:, :2]` while building a functional model (the default graph is the user's,
    the Keras tensor's is Keras's): the index constants join the tensor's graph."""
    inputs = keras.Input((4,))
    head, tail = inputs[:, :2], inputs[:, 2:]
    model = keras.Model(inputs, [head, layers.Dense(1, kernel_initializer="ones")(tail)])
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    got_head, got_tail = model.predict(x, verbose=0)
    np.testing.assert_array_equal(got_head, x[:, :2])
    np.testing.assert_allclose(got_tail, x[:, 2:].sum(1, keepdims=True), rtol=1e-6)
