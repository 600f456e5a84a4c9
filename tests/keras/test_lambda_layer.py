"""Lambda: outputs against NumPy float64, arguments/training/mask plumbing, output shapes,
gradients, the layer contract, configs (Keras 3's bytecode form and Keras 2's legacy form), and
safe mode: a saved model with a Lambda loads only with safe_mode=False."""
import base64
import marshal

import numpy as np
import pytest
from layer_contract import check_layer_gradients, run_layer_test

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers
from tensorlet.keras.layers import node
from tensorlet.keras.saving import registry

rng = np.random.default_rng(41)


@pytest.fixture(autouse=True)
def _fresh_keras():
    keras.backend.clear_session(free_memory=False)
    yield


def _scaled(x, scale=1.0):
    return x * scale


def test_lambda_matches_numpy():
    x = rng.standard_normal((3, 4))
    x32 = x.astype(np.float32)
    np.testing.assert_allclose(layers.Lambda(lambda t: t ** 2 + 1)(x32), x ** 2 + 1, rtol=1e-6)
    np.testing.assert_allclose(layers.Lambda(_scaled, arguments={"scale": 3.0})(x32), 3 * x,
                               rtol=1e-6)
    y = layers.Lambda(lambda t: tf.reduce_sum(tf.sin(t), axis=1, keepdims=True))(x32)
    np.testing.assert_allclose(y, np.sin(x).sum(axis=1, keepdims=True), rtol=1e-5)
    a, b = layers.Lambda(lambda t: [t[:, :1], t[:, 1:] * 2])(x32)
    np.testing.assert_allclose(a, x[:, :1], rtol=1e-6)
    np.testing.assert_allclose(b, 2 * x[:, 1:], rtol=1e-6)


def test_lambda_passes_training_and_mask_when_the_function_takes_them():
    seen = []

    def fn(x, training=None):
        seen.append(training)
        return x * 2.0 if training else x

    x = np.ones((2, 3), np.float32)
    layer = layers.Lambda(fn)
    np.testing.assert_array_equal(layer(x, training=True), 2 * x)
    np.testing.assert_array_equal(layer(x, training=False), x)
    assert seen == [True, False]

    ids = keras.Input((4,), dtype="int32")
    emb = layers.Embedding(5, 2, mask_zero=True)(ids)
    masks = []
    plain = layers.Lambda(lambda t: t * 2.0)(emb)
    assert node.get_mask(plain) is None  # no `mask` argument: masks stop, as in Keras
    kept = layers.Lambda(lambda t, mask=None: masks.append(mask) or t,
                         mask=lambda t, m: m)(emb)
    assert masks[0] is node.get_mask(emb) and node.get_mask(kept) is node.get_mask(emb)


def test_lambda_output_shapes():
    layer = layers.Lambda(lambda t: t[:, :2], output_shape=(2,))
    assert layer.compute_output_shape((None, 5)) == (None, 2)
    layer = layers.Lambda(lambda t: t, output_shape=lambda s: (s[0], s[1] * 2))
    assert layer.compute_output_shape((None, 5)) == (None, 10)
    traced = layers.Lambda(lambda t: tf.concat([t, t], axis=1))
    assert traced.compute_output_shape((None, 3)) == (None, 6)
    assert layers.Lambda(lambda t: t, output_shape=[3, None]).get_config()["output_shape"] == \
        (3, None)


def test_lambda_gradients():
    check_layer_gradients(layers.Lambda(lambda t: tf.sin(t) * t, dtype="float64"),
                          rng.standard_normal((3, 4)))


def test_lambda_contract_and_config_round_trip():
    with registry.SafeModeScope(False):
        run_layer_test(layers.Lambda, {"function": lambda t, k=2.0: t * k}, (2, 3), (2, 3))
        run_layer_test(layers.Lambda, {"function": keras.activations.relu,
                                       "output_shape": (3,)}, (2, 3), (2, 3))
    config = layers.Lambda(lambda t, k=2.0: t * k, arguments={"k": 3.0}).get_config()
    fn = config["function"]
    assert fn["class_name"] == "__lambda__" and fn["config"]["defaults"] == (2.0,)
    code = marshal.loads(base64.decodebytes(fn["config"]["code"].encode("ascii")))
    assert code.co_varnames[:2] == ("t", "k")
    assert config["arguments"] == {"k": 3.0}
    named = layers.Lambda(keras.activations.relu).get_config()["function"]
    assert (named["class_name"], named["config"]) == ("function", "relu")


def test_lambda_closure_values_are_saved_and_unsavable_ones_refused():
    scale = 4.0
    layer = layers.Lambda(lambda t: t * scale)
    assert layer.get_config()["function"]["config"]["closure"] == (4.0,)
    with registry.SafeModeScope(False):
        clone = layers.Lambda.from_config(layer.get_config())
    np.testing.assert_array_equal(clone(np.ones((1, 2), np.float32)), [[4.0, 4.0]])
    table = np.ones(3)
    with pytest.raises(ValueError, match=r"Lambda layer 'lam'.*closure.*arguments="):
        layers.Lambda(lambda t: t * table, name="lam").get_config()


def test_lambda_from_config_outside_a_load_is_refused():
    config = layers.Lambda(lambda t: t + 1).get_config()
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.Lambda.from_config(config)


def test_model_with_lambda_saves_and_loads_only_with_safe_mode_false(tmp_path):
    inp = keras.Input((3,))
    h = layers.Dense(4, name="d")(inp)
    out = layers.Lambda(lambda t: tf.tanh(t) * 2.0 + 1.0, name="lam")(h)
    model = keras.Model(inp, out)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    want = model.predict(x, verbose=0)
    path = tmp_path / "lam.keras"
    model.save(path)
    keras.backend.clear_session(free_memory=False)
    with pytest.raises(ValueError, match=r"Lambda.*carries Python code.*safe_mode=False"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, safe_mode=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, rtol=1e-6)
    assert type(loaded.get_layer("lam")) is layers.Lambda
    resaved = tmp_path / "again.keras"
    loaded.save(resaved)  # a loaded lambda is written back with its original bytecode
    keras.backend.clear_session(free_memory=False)
    again = keras.models.load_model(resaved, safe_mode=False)
    np.testing.assert_allclose(again.predict(x, verbose=0), want, rtol=1e-6)


def test_keras2_lambda_config_loads_with_safe_mode_false():
    code = base64.encodebytes(marshal.dumps((lambda t: t * 3.0).__code__)).decode("ascii")
    config = {"module": "keras.layers", "class_name": "Lambda", "config": {
        "name": "old", "trainable": True, "dtype": "float32", "function": [code, None, None],
        "function_type": "lambda", "module": "__main__", "output_shape": None,
        "output_shape_type": "raw", "output_shape_module": None, "arguments": {}}}
    with pytest.raises(ValueError, match="safe mode"):
        keras.saving.deserialize_keras_object(config)
    layer = keras.saving.deserialize_keras_object(config, safe_mode=False)
    np.testing.assert_array_equal(layer(np.ones((1, 2), np.float32)), [[3.0, 3.0]])


def test_lambda_argument_errors():
    with pytest.raises(TypeError, match="`function` must be callable"):
        layers.Lambda(3)
    with pytest.raises(TypeError, match="`arguments` must be a dict"):
        layers.Lambda(_scaled, arguments=[2.0])
    with pytest.raises(ValueError, match="output_shape"):
        layers.Lambda(_scaled, output_shape="wide")
