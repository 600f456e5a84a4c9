"""Errors a Keras user can act on, raised before any training step: they name the model,
input or layer, write shapes with the batch axis as None, and hint at the fix."""
import numpy as np
import pytest

from tensorlet import keras
from tensorlet.keras import layers


@pytest.fixture(autouse=True)
def _fresh_keras():
    keras.backend.clear_session(free_memory=False)
    yield


def mlp(compile_with=None, **compile_kwargs):
    model = keras.Sequential([keras.Input((784,)), layers.Dense(32, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    if compile_with:
        model.compile(optimizer="adam", loss=compile_with, **compile_kwargs)
    return model


def _weights(model):
    return [w.copy() for w in model.get_weights()]


def test_fit_before_compile():
    model = mlp()
    for call in (lambda: model.fit(np.ones((4, 784)), np.zeros(4), verbose=0),
                 lambda: model.evaluate(np.ones((4, 784)), np.zeros(4), verbose=0),
                 lambda: model.train_on_batch(np.ones((4, 784)), np.zeros(4))):
        with pytest.raises(RuntimeError, match="You must call `compile\\(\\)` before using the "
                                               "model"):
            call()


def test_wrong_shaped_x_names_the_input_and_both_shapes():
    model = mlp("sparse_categorical_crossentropy")
    before = _weights(model)
    with pytest.raises(ValueError) as e:
        model.fit(np.ones((32, 28)), np.zeros(32), verbose=0)
    msg = str(e.value)
    assert "Input 'input_layer' of model 'sequential'" in msg
    assert "(None, 784)" in msg and "(32, 28)" in msg
    with pytest.raises(ValueError, match="single sample without the batch axis"):
        model.predict(np.ones(784), verbose=0)
    with pytest.raises(ValueError, match="one axis too many"):
        model.predict(np.ones((2, 784, 1)), verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # nothing was trained


def test_y_length_differs_from_x():
    model = mlp("sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"Data cardinality is ambiguous: x sizes: 100; "
                                         r"y sizes: 90"):
        model.fit(np.ones((100, 784)), np.zeros(90), verbose=0)
    with pytest.raises(ValueError, match="sample_weight sizes: 5"):
        model.fit(np.ones((10, 784)), np.zeros(10), sample_weight=np.ones(5), verbose=0)


def test_sparse_labels_given_to_categorical_crossentropy_hint():
    model = mlp("categorical_crossentropy")
    before = _weights(model)
    with pytest.raises(ValueError) as e:
        model.fit(np.ones((8, 784)), np.arange(8) % 10, verbose=0)
    msg = str(e.value)
    assert "(None,)" in msg and "(None, 10)" in msg
    assert "sparse_categorical_crossentropy" in msg or "to_categorical" in msg
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_unknown_identifiers_list_the_known_ones():
    with pytest.raises(ValueError, match="Unknown loss identifier 'msee'.*mean_squared_error"):
        mlp("msee")
    with pytest.raises(ValueError, match="Unknown metric identifier 'acuracy'.*accuracy"):
        mlp("mse", metrics=["acuracy"])
    with pytest.raises(ValueError, match="adam"):
        mlp().compile(optimizer="adamm", loss="mse")
    with pytest.raises(ValueError, match="relu"):
        layers.Dense(3, activation="rellu")
    with pytest.raises(ValueError, match="glorot_uniform"):
        layers.Dense(3, kernel_initializer="glorot")


def test_layer_built_for_784_features_given_28():
    model = mlp()
    with pytest.raises(ValueError, match=r"layer 'dense'.*axis -1.*784.*\(None, 784\).*"
                                         r"\(None, 28\)"):
        model.layers[0](keras.Input((28,)))


def test_metrics_must_be_a_list_and_multi_output_lists_must_match():
    with pytest.raises(ValueError, match="list, tuple, or dict"):
        mlp("mse", metrics="mae").fit(np.ones((2, 784)), np.ones((2, 10)), verbose=0)
    a = keras.Input((3,))
    model = keras.Model(a, [layers.Dense(1, name="p")(a), layers.Dense(1, name="q")(a)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    with pytest.raises(ValueError, match="as many entries as the model has outputs"):
        model.fit(np.ones((2, 3)), [np.ones((2, 1))] * 2, verbose=0)
    model.compile(optimizer="sgd", loss={"nope": "mse"})
    with pytest.raises(ValueError, match="'nope'.*do not correspond to any model output"):
        model.fit(np.ones((2, 3)), [np.ones((2, 1))] * 2, verbose=0)


def test_invalid_fit_arguments():
    model = mlp("sparse_categorical_crossentropy")
    x, y = np.ones((10, 784)), np.zeros(10)
    with pytest.raises(ValueError, match="on_nan"):
        model.fit(x, y, on_nan="ignore", verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(x, y, validation_split=1.5, verbose=0)
    with pytest.raises(ValueError, match="only supported for NumPy arrays"):
        model.fit(iter([(x, y)]), validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="class_weight"):
        model.fit(x, y, class_weight=[1, 2], verbose=0)
    with pytest.raises(ValueError, match="verbose"):
        model.fit(x, y, verbose=3)
    with pytest.raises(ValueError, match="no targets"):
        model.fit(x, verbose=0)
    with pytest.raises(TypeError, match="Unrecognized data type"):
        model.fit(object(), y, verbose=0)


def test_no_loss_and_no_trainable_weights():
    model = mlp()
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="No loss to compute"):
        model.fit(np.ones((2, 784)), np.ones((2, 10)), verbose=0)
    frozen = mlp("mse")
    frozen.trainable = False
    frozen.compile(optimizer="sgd", loss="mse")
    loss = frozen.train_on_batch(np.ones((2, 784)), np.ones((2, 10)))
    assert np.isfinite(loss)


def test_generator_yielding_a_bad_tuple():
    model = mlp("mse")
    with pytest.raises(ValueError, match="must yield \\(x,\\), \\(x, y\\) or"):
        model.fit(iter([(1, 2, 3, 4)]), verbose=0)


def test_errors_are_raised_with_trimmed_tracebacks():
    model = mlp("sparse_categorical_crossentropy")
    with pytest.raises(ValueError) as e:
        model.fit(np.ones((32, 28)), np.zeros(32), verbose=0)
    frames = []
    tb = e.value.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    assert frames and not any("/tensorlet/keras/" in f for f in frames)
