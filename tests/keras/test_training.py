"""fit/evaluate/predict semantics: the epoch-loss rule and the sample-weight rule computed by
hand, class weights, validation, generators and PyDatasets, the *_on_batch methods, callbacks,
non-finite losses, frozen layers, and no graph growth in loops."""
import math
import warnings

import numpy as np
import pytest

from tensorlet import keras
from tensorlet.keras import layers


@pytest.fixture(autouse=True)
def _fresh_keras():
    keras.backend.clear_session(free_memory=False)
    yield


def linear_model(lr=0.1, metrics=None, inputs=3, outputs=1):
    model = keras.Sequential([keras.Input((inputs,)), layers.Dense(outputs)])
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse", metrics=metrics)
    return model


def data(n=10, inputs=3, outputs=1, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, inputs)).astype(np.float32),
            rng.standard_normal((n, outputs)).astype(np.float32))


def sgd_epoch_by_hand(w, b, x, y, batch_size, lr, sw=None):
    """One SGD epoch of a linear model with MSE in float64: (epoch loss, w, b), where the epoch
    loss is the batch-size-weighted mean of the losses computed before each update."""
    total, count = 0.0, 0
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        n = len(xb)
        wb = np.ones(n) if sw is None else sw[start:start + batch_size]
        err = xb @ w + b - yb
        per_sample = np.mean(err ** 2, axis=1)
        loss = np.sum(wb * per_sample) / n  # sum(w * l) / batch_size
        total += loss * n
        count += n
        g = 2 * err * wb[:, None] / (n * yb.shape[1])
        w, b = w - lr * xb.T @ g, b - lr * g.sum(axis=0)
    return total / count, w, b


# -- the two rules --------------------------------------------------------------------------


def test_epoch_loss_is_batch_weighted_mean_of_losses_before_each_update():
    x, y = data(10)
    model = linear_model(lr=0.1, metrics=["mse"])
    w, b = (v.astype(np.float64) for v in model.get_weights())
    history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    # the running metric sees each batch's forward pass before the update, like the loss
    np.testing.assert_allclose(history.history["mse"], history.history["loss"], rtol=1e-5)
    expected = []
    for _ in range(3):
        loss, w, b = sgd_epoch_by_hand(w, b, x.astype(np.float64), y.astype(np.float64), 4,
                                       0.1)
        expected.append(loss)
    np.testing.assert_allclose(history.history["loss"], expected, rtol=1e-5)
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], b, rtol=1e-4, atol=1e-6)


def test_sample_weights_divide_by_batch_size_not_by_weight_sum():
    x, y = data(10)
    sw = np.linspace(0.0, 2.0, 10).astype(np.float32)
    model = linear_model(lr=0.05)
    w, b = (v.astype(np.float64) for v in model.get_weights())
    per_sample = np.mean((x @ w + b - y) ** 2, axis=1)
    np.testing.assert_allclose(model.test_on_batch(x, y, sample_weight=sw),
                               np.sum(sw * per_sample) / 10, rtol=1e-5)
    history = model.fit(x, y, sample_weight=sw, batch_size=4, epochs=1, shuffle=False,
                        verbose=0)
    loss, w, b = sgd_epoch_by_hand(w, b, x.astype(np.float64), y.astype(np.float64), 4, 0.05,
                                   sw.astype(np.float64))
    np.testing.assert_allclose(history.history["loss"], [loss], rtol=1e-5)
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-4, atol=1e-6)


def test_evaluate_sample_weight_weights_the_loss_but_not_the_metrics():
    x, y = data(8)
    sw = np.array([0, 1, 2, 0, 1, 2, 0, 1], np.float32)
    model = linear_model(metrics=["mae"])
    w, b = model.get_weights()
    err = x @ w + b - y
    logs = model.evaluate(x, y, sample_weight=sw, batch_size=8, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], np.sum(sw * np.mean(err ** 2, 1)) / 8, rtol=1e-5)
    np.testing.assert_allclose(logs["mae"], np.mean(np.abs(err)), rtol=1e-5)


def test_class_weight_equals_the_matching_sample_weights():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((12, 4)).astype(np.float32)
    y = rng.integers(0, 3, 12)
    weights = {0: 1.0, 1: 3.0, 2: 0.5}
    models = []
    for _ in range(2):
        m = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
        m.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
        models.append(m)
    models[1].set_weights(models[0].get_weights())
    h0 = models[0].fit(x, y, class_weight=weights, batch_size=5, shuffle=False, verbose=0)
    sw = np.array([weights[int(c)] for c in y], np.float32)
    h1 = models[1].fit(x, y, sample_weight=sw, batch_size=5, shuffle=False, verbose=0)
    assert h0.history["loss"] == h1.history["loss"]
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_array_equal(a, b)


# -- validation -------------------------------------------------------------------------------


def test_validation_split_uses_the_last_samples_and_prefixes_val():
    x, y = data(20)
    model = linear_model(metrics=["mae"])
    batches = []
    cb = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: batches.append(b))
    history = model.fit(x, y, validation_split=0.25, batch_size=5, epochs=1, verbose=0,
                        callbacks=[cb])
    assert len(batches) == 3  # 15 training samples in batches of 5
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    loss, mae = model.evaluate(x[15:], y[15:], verbose=0)
    np.testing.assert_allclose(history.history["val_loss"], [loss], rtol=1e-6)
    np.testing.assert_allclose(history.history["val_mae"], [mae], rtol=1e-6)


def test_validation_data_and_freq():
    x, y = data(12)
    model = linear_model()
    history = model.fit(x, y, validation_data=(x[:4], y[:4]), validation_freq=2, epochs=4,
                        batch_size=6, verbose=0)
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2


# -- other data sources -----------------------------------------------------------------------


def test_generator_with_steps_per_epoch():
    x, y = data(40)
    served = []

    def batches():
        i = 0
        while True:
            served.append(i)
            yield x[i % 40:i % 40 + 8], y[i % 40:i % 40 + 8]
            i += 8
    model = linear_model()
    history = model.fit(batches(), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and len(served) == 6
    assert model.predict(iter([(x[:5],), (x[5:9],)]), verbose=0).shape == (9, 1)


def test_finite_generator_ends_the_epoch_and_then_training():
    x, y = data(16)
    model = linear_model()
    gen = ((x[i:i + 4], y[i:i + 4]) for i in range(0, 16, 4))
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(gen, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1


def test_pydataset_batches_and_epoch_end_hook():
    x, y = data(20)

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.epochs_ended = 0

        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[i * 5:(i + 1) * 5], y[i * 5:(i + 1) * 5], np.ones(5, np.float32)

        def on_epoch_end(self):
            self.epochs_ended += 1
    ds = Batches()
    model = linear_model()
    model.fit(ds, epochs=3, verbose=0)
    assert ds.epochs_ended == 3
    np.testing.assert_allclose(model.evaluate(ds, verbose=0), model.evaluate(x, y, verbose=0),
                               rtol=1e-5)


# -- return values and *_on_batch ---------------------------------------------------------------


def test_evaluate_returns_scalar_list_or_dict():
    x, y = data(10)
    assert isinstance(linear_model().evaluate(x, y, verbose=0), float)
    model = linear_model(metrics=["mae", "mse"])
    values = model.evaluate(x, y, verbose=0)
    assert isinstance(values, list) and len(values) == 3
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "mae", "mse"]
    np.testing.assert_allclose(logs["loss"], logs["mse"], rtol=1e-6)


def test_train_on_batch_returns_the_loss_before_its_update():
    x, y = data(6)
    model = linear_model(metrics=["mae"])
    before = model.test_on_batch(x, y)
    loss, mae = model.train_on_batch(x, y)
    np.testing.assert_allclose(loss, before[0], rtol=1e-6)
    after = model.test_on_batch(x, y, return_dict=True)
    assert after["loss"] < loss
    np.testing.assert_allclose(model.predict_on_batch(x), model(x), rtol=1e-6)


def test_accuracy_resolves_by_label_and_output_shape():
    def compiled(units, activation, loss):
        m = keras.Sequential([keras.Input((4,)), layers.Dense(units, activation=activation)])
        m.compile(optimizer="sgd", loss=loss, metrics=["accuracy"])
        return m
    x = np.random.default_rng(2).random((6, 4), np.float32)
    cases = [(compiled(3, "softmax", "sparse_categorical_crossentropy"), np.arange(6) % 3,
              "SparseCategoricalAccuracy"),
             (compiled(3, "softmax", "categorical_crossentropy"), np.eye(3)[np.arange(6) % 3],
              "CategoricalAccuracy"),
             (compiled(1, "sigmoid", "binary_crossentropy"), (np.arange(6) % 2)[:, None],
              "BinaryAccuracy")]
    for model, y, kind in cases:
        logs = model.evaluate(x, y, verbose=0, return_dict=True)
        assert type(model.metrics[0]).__name__ == kind and 0 <= logs["accuracy"] <= 1


# -- callbacks, stopping, non-finite losses ---------------------------------------------------


def test_callbacks_see_every_hook_and_history_is_returned():
    calls = []

    class Recorder(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            calls.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(f"epoch_begin {epoch}")

        def on_train_batch_end(self, batch, logs=None):
            calls.append(f"batch_end {batch} {sorted(logs)}")

        def on_epoch_end(self, epoch, logs=None):
            calls.append(f"epoch_end {epoch} {sorted(logs)}")

        def on_train_end(self, logs=None):
            calls.append("train_end")
    x, y = data(8)
    model = linear_model()
    history = model.fit(x, y, batch_size=4, epochs=2, initial_epoch=1, verbose=0,
                        validation_data=(x, y), callbacks=[Recorder()])
    assert calls == ["train_begin", "epoch_begin 1", "batch_end 0 ['loss']",
                     "batch_end 1 ['loss']", "epoch_end 1 ['loss', 'val_loss']", "train_end"]
    assert history is model.history and history.epoch == [1]


def test_stop_training_from_a_callback():
    x, y = data(40)
    model = linear_model()

    class StopAtThree(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                self.model.stop_training = True
    seen = []
    cb = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))
    history = model.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[StopAtThree(), cb])
    assert seen == [0, 1, 2] and len(history.history["loss"]) == 1


def _nan_data():
    x, y = data(12)
    x[9] = np.nan  # the third batch of 4
    return x, y


def test_non_finite_loss_stops_training_by_default_naming_epoch_and_batch():
    x, y = _nan_data()
    model = linear_model()
    seen = []
    cb = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))
    with pytest.warns(RuntimeWarning, match=r"nan at epoch 1, batch 2 \(non-finite loss "
                                            r"term: \"loss of output 'dense'\"\)"):
        history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0,
                            callbacks=[cb])
    assert seen == [0, 1, 2] and len(history.history["loss"]) == 1
    assert math.isnan(history.history["loss"][0])


def test_non_finite_loss_can_raise_or_be_ignored():
    x, y = _nan_data()
    with pytest.raises(FloatingPointError, match="epoch 1, batch 2"):
        linear_model().fit(x, y, batch_size=4, shuffle=False, verbose=0, on_nan="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = linear_model().fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0,
                                     on_nan="continue")
    assert len(history.history["loss"]) == 2


def test_nan_in_the_regularization_term_is_named():
    x, y = data(8)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(
        1, kernel_regularizer=keras.regularizers.L2(1e38),
        kernel_initializer=keras.initializers.Constant(2.0))])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    with pytest.raises(FloatingPointError, match="inf at epoch 1, batch 0 .*'regularization "
                                                 "losses'"):
        model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0, on_nan="raise")


# -- trainability, regularisation, output -------------------------------------------------------


def test_frozen_layer_is_not_updated_and_unfreezing_takes_effect():
    x, y = data(16)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.layers[0].trainable = False
    frozen = model.layers[0].get_weights()
    moving = model.layers[1].get_weights()
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    for a, b in zip(frozen, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(moving[0], model.layers[1].get_weights()[0])
    model.layers[0].trainable = True
    with pytest.warns(UserWarning, match="Call `compile\\(\\)` again"):
        model.fit(x, y, epochs=1, batch_size=4, verbose=0)  # as in Keras: still frozen
    np.testing.assert_array_equal(frozen[0], model.layers[0].get_weights()[0])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert not np.array_equal(frozen[0], model.layers[0].get_weights()[0])


def test_regularization_losses_are_added_to_the_loss():
    x, y = data(6)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(
        1, kernel_regularizer=keras.regularizers.L2(0.1))])
    model.compile(optimizer="sgd", loss="mse")
    k, b = model.get_weights()
    expected = np.mean((x @ k + b - y) ** 2) + 0.1 * np.sum(k ** 2)
    np.testing.assert_allclose(model.test_on_batch(x, y), expected, rtol=1e-5)


def test_verbose_output(capsys):
    x, y = data(8)
    model = linear_model()
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert capsys.readouterr().out == ""
    model.fit(x, y, epochs=2, batch_size=4, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss:" in out
    model.fit(x, y, epochs=1, batch_size=4, verbose=1)  # not a terminal: one line per epoch
    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("2/2") and "loss:" in lines[0]


def test_predict_concatenates_batches_and_keeps_output_structure():
    inp = keras.Input((3,))
    model = keras.Model(inp, {"a": layers.Dense(2)(inp), "b": layers.Dense(1)(inp)})
    x, _ = data(11)
    out = model.predict(x, batch_size=4, verbose=0)
    assert set(out) == {"a", "b"} and out["a"].shape == (11, 2) and out["b"].shape == (11, 1)


# -- loops never grow the graph ---------------------------------------------------------------


def test_a_thousand_calls_do_not_grow_the_graph():
    x, y = data(4)
    model = linear_model(metrics=["mae"])
    one = x[:1]
    model.predict(one, verbose=0)
    model(one)
    model.train_on_batch(x, y)
    model.evaluate(x, y, verbose=0)
    graph = keras.backend.get_graph()
    n = len(graph.get_operations())
    for _ in range(1000):
        model.predict(one, verbose=0)
        model(one)
        model.train_on_batch(x, y)
    for _ in range(50):
        model.evaluate(x, y, verbose=0)
        model.fit(x, y, verbose=0)
    assert len(graph.get_operations()) == n
