"""keras.saving's serialisation and registry: Keras 3's dict format, resolution only through
the allow-list, registered and scoped custom objects, safe mode set only by the load call."""
import numpy as np
import pytest

from tensorlet import keras
from tensorlet.keras.saving import registry, serialization


@pytest.fixture(autouse=True)
def _clean_state(isolated_registry):
    keras.backend.clear_session(free_memory=False)


def test_builtin_objects_serialize_in_keras_format():
    dense = keras.layers.Dense(3, activation="relu", name="d")
    dense.build((None, 2))
    cfg = keras.saving.serialize_keras_object(dense)
    assert cfg["module"] == "keras.layers" and cfg["class_name"] == "Dense"
    assert cfg["registered_name"] is None and cfg["build_config"] == {"input_shape": (None, 2)}
    assert cfg["config"]["activation"] == "relu"
    opt = keras.saving.serialize_keras_object(keras.optimizers.Adam(0.01))
    assert opt["module"] == "keras.optimizers" and opt["class_name"] == "Adam"
    loss = keras.saving.serialize_keras_object(keras.losses.MeanSquaredError())
    assert loss["module"] == "keras.losses"
    sched = keras.saving.serialize_keras_object(
        keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))
    assert sched["module"] == "keras.optimizers.schedules"
    arr = keras.saving.serialize_keras_object(np.arange(3, dtype=np.int64))
    assert arr == {"class_name": "__numpy__", "config": {"value": [0, 1, 2], "dtype": "int64"}}
    again = keras.saving.deserialize_keras_object(cfg)
    assert isinstance(again, keras.layers.Dense) and again.built
    assert again.get_config()["units"] == 3
    np.testing.assert_array_equal(keras.saving.deserialize_keras_object(arr), [0, 1, 2])
    assert isinstance(keras.saving.deserialize_keras_object(opt), keras.optimizers.Adam)
    assert keras.saving.deserialize_keras_object(
        {"module": "keras.losses", "class_name": "function", "config": "mean_squared_error",
         "registered_name": "mean_squared_error"}) is keras.losses.mean_squared_error


def test_registered_custom_class_and_function_round_trip():
    @keras.saving.register_keras_serializable(package="Tests")
    class Scale(keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    @keras.saving.register_keras_serializable(package="Tests", name="twice")
    def twice_act(x):
        return x * 2.0

    assert keras.saving.get_registered_name(Scale) == "Tests>Scale"
    assert keras.saving.get_registered_object("Tests>twice") is twice_act
    cfg = keras.saving.serialize_keras_object(Scale(3.0, name="s"))
    assert cfg["registered_name"] == "Tests>Scale" and cfg["module"] == __name__
    layer = keras.saving.deserialize_keras_object(cfg)
    assert isinstance(layer, Scale) and layer.factor == 3.0
    dense = keras.layers.Dense(2, activation=twice_act)
    act = dense.get_config()["activation"]
    assert act["registered_name"] == "Tests>twice"
    assert keras.layers.Dense.from_config(dense.get_config()).activation is twice_act


def test_unregistered_custom_class_needs_custom_objects_or_scope():
    class Plain(keras.layers.Layer):
        def call(self, x):
            return x

    cfg = keras.saving.serialize_keras_object(Plain(name="p"))
    assert cfg["registered_name"] is None and cfg["module"] == __name__
    with pytest.raises(ValueError, match="Unknown .*'Plain'.*never imports a module") as info:
        keras.saving.deserialize_keras_object(cfg)
    assert "Dense" in str(info.value)  # lists what is known in that family
    assert isinstance(keras.saving.deserialize_keras_object(cfg, custom_objects={"Plain": Plain}),
                      Plain)
    with keras.saving.CustomObjectScope({"Plain": Plain}):
        assert isinstance(keras.saving.deserialize_keras_object(cfg), Plain)
    with pytest.raises(ValueError):
        keras.saving.deserialize_keras_object(cfg)  # the scope ended


def test_module_paths_in_a_config_are_never_imported(monkeypatch):
    import importlib
    imported = []
    real = importlib.import_module
    monkeypatch.setattr(importlib, "import_module",
                        lambda name, *a, **k: imported.append(name) or real(name, *a, **k))
    for cfg in ({"module": "json", "class_name": "JSONDecoder", "config": {}},
                {"module": "subprocess", "class_name": "function", "config": "call",
                 "registered_name": "call"},
                {"module": "keras.src.saving.serialization_lib", "class_name": "function",
                 "config": "enable_unsafe_deserialization"}):
        with pytest.raises(ValueError, match="Unknown"):
            keras.saving.deserialize_keras_object(cfg)
    assert not any(n in ("json", "subprocess") or "serialization_lib" in n for n in imported)


def test_safe_mode_is_set_by_the_outermost_load_call_only():
    assert registry.in_safe_mode()
    with registry.SafeModeScope(True):
        with registry.SafeModeScope(False):  # a nested call cannot switch it off
            assert registry.in_safe_mode()
    with registry.SafeModeScope(False):
        assert not registry.in_safe_mode()
        with registry.SafeModeScope(True):
            assert not registry.in_safe_mode()
    assert registry.in_safe_mode()
    lam = {"class_name": "__lambda__", "config": {"code": "AAAA", "defaults": None,
                                                  "closure": None}}
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.saving.deserialize_keras_object(lam)
    with pytest.raises(ValueError, match="safe mode"):
        keras.saving.deserialize_keras_object(
            {"module": "keras.layers", "class_name": "Lambda", "config": {}})


def test_lambda_bytecode_loads_only_with_safe_mode_false():
    import base64
    import marshal

    def double(x):
        return x * 2
    code = base64.encodebytes(marshal.dumps(double.__code__)).decode()
    cfg = {"class_name": "__lambda__", "config": {"code": code, "defaults": None,
                                                  "closure": None}}
    with pytest.raises(ValueError, match="carries Python code"):
        keras.saving.deserialize_keras_object(cfg)
    fn = keras.saving.deserialize_keras_object(cfg, safe_mode=False)
    assert fn(21) == 42
    with pytest.raises(ValueError, match="Cannot serialize a Python lambda"):
        keras.saving.serialize_keras_object(lambda x: x)


def test_register_requires_get_config_and_unknown_function_lists_known():
    with pytest.raises(ValueError, match="get_config"):
        keras.saving.register_keras_serializable()(type("NoConfig", (), {}))
    with pytest.raises(ValueError, match="Unknown .*'nope'.*Known"):
        serialization.deserialize_keras_object(
            {"module": "keras.activations", "class_name": "function", "config": "nope"})
    with pytest.raises(ValueError, match="function name"):
        serialization.deserialize_keras_object({"class_name": "function", "config": 3})
    with pytest.raises(ValueError, match="numeric"):
        serialization.deserialize_keras_object(
            {"class_name": "__numpy__", "config": {"value": ["a"], "dtype": "object"}})


def test_legacy_registered_function_saved_by_bare_name():
    @keras.saving.register_keras_serializable(package="Old")
    def halve(x):
        return x * 0.5
    cfg = {"module": "builtins", "class_name": "function", "config": "halve",
           "registered_name": "function"}
    assert keras.saving.deserialize_keras_object(cfg) is halve


def test_model_from_config_to_json_and_compile_config():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="relu")])
    assert model.get_compile_config() is None
    model.compile(keras.optimizers.SGD(0.1), loss=keras.losses.Huber(), metrics=["mae"])
    text = model.to_json(indent=2)
    assert "\n  " in text
    compile_cfg = model.get_compile_config()
    assert compile_cfg["loss"]["class_name"] == "Huber" and compile_cfg["metrics"] == ["mae"]
    config = keras.saving.serialize_keras_object(model)
    clone = keras.models.model_from_config(config)
    assert clone.compiled and isinstance(clone.optimizer, keras.optimizers.SGD)
    assert clone.optimizer.built  # built at once, ready for saved optimizer state
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    other.compile_from_config(compile_cfg)
    assert isinstance(other._compile_state.loss_config, keras.losses.Huber)
    with pytest.raises(ValueError, match="expects a dict"):
        keras.models.model_from_config("Sequential")
    with pytest.raises(ValueError, match="not valid JSON"):
        keras.models.model_from_json("{not json")
