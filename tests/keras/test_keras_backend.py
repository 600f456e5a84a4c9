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
    backend.clear_session(free_memory=False)
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
    backend.clear_session(free_memory=False)
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


def _trained_model(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"),
                              layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def test_models_built_before_clear_session_stay_usable():
    """Keras 3: clear_session resets names and the current graph, but a model kept from
    before still predicts, trains, evaluates and gives its weights (its own graph)."""
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 4), dtype=np.float32), np.arange(16) % 3
    old = _trained_model(1)
    old.fit(x, y, epochs=1, verbose=0)
    before = old.predict(x, verbose=0)
    backend.clear_session(free_memory=False)
    new = _trained_model(2)
    assert new.layers[0].name == "dense"  # names restart
    assert new.layers[0].kernel.graph is not old.layers[0].kernel.graph
    np.testing.assert_array_equal(old.predict(x, verbose=0), before)
    np.testing.assert_allclose(old(x), before, rtol=1e-6)
    np.testing.assert_allclose(old.predict_on_batch(x), before, rtol=1e-6)
    w = old.get_weights()
    loss = old.evaluate(x, y, verbose=0)[0]
    old.fit(x, y, epochs=2, verbose=0)  # a new train step, built in the old graph
    assert any(not np.array_equal(a, b) for a, b in zip(w, old.get_weights()))
    assert old.evaluate(x, y, verbose=0)[0] < loss
    old.set_weights(w)
    np.testing.assert_array_equal(old.predict(x, verbose=0), before)
    # the new model is untouched by all this and lives in the current graph
    assert new.layers[0].kernel.graph is backend.get_graph()
    new.fit(x, y, epochs=1, verbose=0)
    assert new.predict(x, verbose=0).shape == (16, 3)


def test_layers_and_functional_models_from_before_clear_session_stay_usable():
    x = np.ones((2, 3), np.float32)
    dense = layers.Dense(2, kernel_initializer="ones")
    inputs = keras.Input((3,))
    functional = keras.Model(inputs, layers.Dense(1, kernel_initializer="ones")(inputs))
    backend.clear_session(free_memory=False)
    np.testing.assert_array_equal(dense(x), np.full((2, 2), 3.0))  # built after the clear
    np.testing.assert_array_equal(functional(x), np.full((2, 1), 3.0))
    np.testing.assert_array_equal(functional.predict(x, verbose=0), np.full((2, 1), 3.0))
    backend.set_value(dense.bias, [1.0, 2.0])
    np.testing.assert_array_equal(dense(x), [[4.0, 5.0], [4.0, 5.0]])


def test_clear_session_frees_what_nothing_refers_to():
    import weakref
    model = _trained_model(0)
    model.predict(np.ones((1, 4), np.float32), verbose=0)
    graph = weakref.ref(backend.get_graph())
    del model
    backend.clear_session()  # free_memory=True (the default) collects the old graph
    assert graph() is None


def test_layers_from_before_clear_session_cannot_join_new_models_and_say_why():
    dense = layers.Dense(2)
    dense(np.ones((1, 3), np.float32))
    backend.clear_session(free_memory=False)
    with pytest.raises(ValueError, match="built before keras.backend.clear_session"):
        keras.Sequential([keras.Input((3,)), dense])
    assert dense(np.ones((1, 3), np.float32)).shape == (1, 2)  # still usable on its own


def test_clear_session_inside_an_old_models_fit_is_kept():
    x, y = np.ones((4, 4), np.float32), np.arange(4) % 3
    old = _trained_model(0)
    old.fit(x, y, verbose=0)
    backend.clear_session(free_memory=False)
    graphs = []

    class Clear(keras.callbacks.Callback):
        def on_train_end(self, logs=None):
            backend.clear_session(free_memory=False)
            graphs.append(backend.get_graph())

    old.fit(x, y, verbose=0, callbacks=[Clear()])
    assert backend.get_graph() is graphs[0] is not old.layers[0].kernel.graph


def test_default_metric_names_follow_keras():
    assert keras.metrics.AUC().name == "auc"
    assert keras.losses.KLDivergence().name == "kl_divergence"

    class MyAUCScore(keras.metrics.Metric):
        def update_state(self, y_true, y_pred, sample_weight=None):
            pass

        def result(self):
            return 0.0
    assert MyAUCScore().name == "my_auc_score"
