"""The short paths of the Keras loops give what the general paths give: `predict` on one
batch and `model(array)` (session callables), shuffled batches gathered into reused buffers,
and fit/evaluate without per-batch hooks when no callback overrides one."""
import math

import numpy as np
import pytest

from tensorlet import keras
from tensorlet.keras import layers
from tensorlet.keras.callbacks import CallbackList, History, LambdaCallback
from tensorlet.keras.models import data_adapter, trainer


@pytest.fixture(autouse=True)
def _fresh_keras():
    keras.backend.clear_session(free_memory=False)
    yield


def mlp(seed=0, metrics=None):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((8,)), layers.Dense(16, activation="relu"),
                              layers.Dropout(0.5), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy", metrics=metrics)
    return model


def data(n=10, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 8)).astype(np.float32),
            rng.integers(0, 3, n).astype(np.int64))


# -- predict and model(x) ---------------------------------------------------------------------


def test_one_batch_predict_and_call_equal_the_general_path():
    model = mlp()
    x, _ = data(5)
    short = model.predict(x, verbose=0)
    general = model.predict(x, verbose=0, callbacks=[keras.callbacks.Callback()])
    batched = model.predict(x, batch_size=2, verbose=0)
    assert type(short) is np.ndarray and short.dtype == np.float32 and short.shape == (5, 3)
    np.testing.assert_array_equal(short, general)
    np.testing.assert_allclose(short, batched, rtol=1e-6)
    for out in (model(x), model(x, training=False), model.predict_on_batch(x)):
        assert type(out) is np.ndarray
        np.testing.assert_allclose(out, short, rtol=1e-6)
    assert not np.allclose(model(x, training=True), short)  # dropout is on when training


def test_results_are_fresh_arrays_and_follow_the_weights():
    model = mlp()
    x, _ = data(4)
    first, call = model.predict(x, verbose=0), model(x)
    kept, kept_call = first.copy(), call.copy()
    first[:] = 0.0
    call[:] = 0.0
    np.testing.assert_array_equal(model.predict(x, verbose=0), kept)
    np.testing.assert_array_equal(model(x), kept_call)
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    np.testing.assert_allclose(model.predict(x, verbose=0), np.full((4, 3), 1 / 3), rtol=1e-6)
    np.testing.assert_allclose(model(x), np.full((4, 3), 1 / 3), rtol=1e-6)


def test_output_structures_match_the_general_path():
    inp = keras.Input((8,))
    hidden = layers.Dense(4)(inp)
    x, _ = data(3)
    for outputs in ([layers.Dense(2)(hidden), layers.Dense(1)(hidden)],
                    {"a": layers.Dense(2)(hidden), "b": layers.Dense(1)(hidden)}):
        model = keras.Model(inp, outputs)
        short = model.predict(x, verbose=0)
        general = model.predict(x, verbose=0, callbacks=[keras.callbacks.Callback()])
        called = model(x)
        assert type(short) is type(general) is type(called)
        keys = range(2) if isinstance(short, list) else ("a", "b")
        for k in keys:
            np.testing.assert_array_equal(short[k], general[k])
            np.testing.assert_allclose(called[k], short[k], rtol=1e-6)


def test_inputs_are_converted_and_checked_early():
    model = mlp()
    x, _ = data(2)
    want = model.predict(x, verbose=0)
    np.testing.assert_allclose(model.predict(x.astype(np.float64), verbose=0), want, rtol=1e-6)
    np.testing.assert_allclose(model(x.astype(np.float64)), want, rtol=1e-6)
    assert model.predict(np.ones((2, 8), np.int32), verbose=0).dtype == np.float32
    with pytest.raises(ValueError, match=r"expects arrays of shape \(None, 8\), but received "
                                         r"an array of shape \(2, 7\)"):
        model.predict(x[:, :7], verbose=0)
    with pytest.raises(ValueError, match=r"single sample without the batch axis"):
        model.predict(x[0], verbose=0)
    with pytest.raises(ValueError, match=r"expects shape \(None, 8\), received shape "
                                         r"\(None, 7\)"):
        model(x[:, :7])
    with pytest.raises(ValueError, match="Cannot feed value"):
        model.predict(np.array([["a"] * 8]), verbose=0)


def test_unknown_sample_axes_accept_any_length():
    model = keras.Sequential([keras.Input((None, 3)), layers.GlobalAveragePooling1D(),
                              layers.Dense(2)])
    for steps in (4, 7):
        x = np.random.default_rng(steps).standard_normal((2, steps, 3)).astype(np.float32)
        np.testing.assert_allclose(model.predict(x, verbose=0), model(x), rtol=1e-6)
    with pytest.raises(ValueError, match=r"expects arrays of shape \(None, None, 3\)"):
        model.predict(np.ones((2, 4, 2), np.float32), verbose=0)


# -- shuffled batches -----------------------------------------------------------------------


def test_shuffled_batches_are_the_permuted_rows():
    x = np.arange(30, dtype=np.float32).reshape(10, 3)
    y = np.arange(10)
    sw = np.linspace(0.5, 1.5, 10).astype(np.float32)
    data = data_adapter.ArrayData([x], [y], [sw], 4, shuffle=True, class_weight={0: 2.0})
    np.random.seed(3)
    order = np.random.permutation(10)
    np.random.seed(3)
    batches = [(b.x[0].copy(), b.y[0].copy(), b.sample_weights[0].copy(), b.size)
               for b in data.epoch()]
    assert [b[3] for b in batches] == [4, 4, 2]
    for i, (bx, by, bw, _) in enumerate(batches):
        rows = order[4 * i:4 * i + 4]
        np.testing.assert_array_equal(bx, x[rows])
        np.testing.assert_array_equal(by, y[rows])
        np.testing.assert_allclose(bw, sw[rows] * np.where(y[rows] == 0, 2.0, 1.0))
    again = data_adapter.ArrayData([x], [y], None, 4, shuffle=True, steps_per_epoch=2)
    assert [b.size for b in again.epoch()] == [4, 4]


def test_fit_with_shuffle_equals_fit_on_the_permuted_data():
    x, y = data(11)
    a, b = mlp(seed=1), mlp(seed=1)
    a.layers[1].rate = b.layers[1].rate = 0.0  # no dropout: the same steps in both models
    b.set_weights(a.get_weights())
    np.random.seed(5)
    history_a = a.fit(x, y, batch_size=4, epochs=1, shuffle=True, verbose=0)
    np.random.seed(5)
    np.random.permutation(11)  # fit draws one permutation for its first look at the data
    order = np.random.permutation(11)
    history_b = b.fit(x[order], y[order], batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert history_a.history["loss"] == history_b.history["loss"]
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


# -- loops without batch hooks ------------------------------------------------------------


def test_history_is_the_same_with_and_without_batch_hooks():
    x, y = data(10)
    val = data(6, seed=1)
    seen = []
    hook = LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(dict(logs)))
    runs = []
    for callbacks in ([], [hook]):
        model = mlp(seed=2, metrics=["accuracy"])
        history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0,
                            validation_data=val, callbacks=callbacks)
        runs.append((history.history, model.evaluate(x, y, verbose=0, return_dict=True),
                     model.get_weights()))
    (h0, e0, w0), (h1, e1, w1) = runs
    assert h0 == h1 and e0 == e1
    assert set(h0) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(seen) == 6 and seen[-1]["loss"] == h1["loss"][-1]
    assert seen[-1]["accuracy"] == h1["accuracy"][-1]
    for a, b in zip(w0, w1):
        np.testing.assert_array_equal(a, b)


def test_non_finite_loss_still_stops_without_callbacks():
    x, y = data(12)
    x[9] = np.nan  # the third batch of 4
    model = mlp()
    with pytest.warns(RuntimeWarning, match="nan at epoch 1, batch 2"):
        history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 1 and math.isnan(history.history["loss"][0])


def test_batch_hooks_are_detected_on_methods_and_instance_attributes():
    class EpochOnly(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            pass

    class OldStyle(keras.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            pass

    class TestHook(keras.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            pass

    train, test = trainer._TRAIN_BATCH_HOOKS, trainer._TEST_BATCH_HOOKS
    assert not trainer._uses_batch_hooks(CallbackList([History(), EpochOnly()]), train)
    assert trainer._uses_batch_hooks(CallbackList([OldStyle()]), train)
    assert trainer._uses_batch_hooks(
        CallbackList([LambdaCallback(on_train_batch_begin=lambda b, logs: None)]), train)
    assert trainer._uses_batch_hooks(CallbackList([TestHook()]), test)
    assert not trainer._uses_batch_hooks(CallbackList([TestHook()]), train)
    assert trainer._uses_batch_hooks(CallbackList([], add_progbar=True, verbose=1), train)
