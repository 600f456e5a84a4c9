"""keras.callbacks: every callback against a small fake model (and a few real `fit` runs)."""
import csv

import numpy as np
import pytest

from tensorlet import keras
from tensorlet.keras import callbacks


class FakeOptimizer:
    def __init__(self, lr=0.1):
        self.learning_rate = lr


class FakeMetric:
    def __init__(self, name, direction):
        self.name, self._direction = name, direction


class FakeModel:
    """What callbacks touch: stop_training, weights, optimizer.learning_rate, save*, metrics."""

    def __init__(self):
        self.stop_training = False
        self.weights = [np.zeros(2)]
        self.optimizer = FakeOptimizer()
        self.saved = []
        self.metrics = [FakeMetric("accuracy", "up"), FakeMetric("mae", "down")]
        self.history = None

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [w.copy() for w in weights]

    def save_weights(self, path, overwrite=True):
        self.saved.append(("weights", path))

    def save(self, path, overwrite=True):
        self.saved.append(("model", path))


def read_text(path):
    with open(path) as f:
        return f.read()


def run_epochs(cb, values, key="val_loss", model=None, batches=0):
    """Drive `cb` through epochs whose logs hold `values`; weights record the epoch."""
    model = model or FakeModel()
    cbs = callbacks.CallbackList([cb], model=model, epochs=len(values), steps=batches,
                                 verbose=0)
    cbs.on_train_begin()
    ran = 0
    for epoch, v in enumerate(values):
        cbs.on_epoch_begin(epoch)
        for b in range(batches):
            cbs.on_train_batch_begin(b)
            cbs.on_train_batch_end(b, {"loss": np.float32(v)})
        model.weights = [np.full(2, float(epoch))]
        cbs.on_epoch_end(epoch, {key: v, "loss": v})
        ran += 1
        if model.stop_training:
            break
    cbs.on_train_end({key: values[ran - 1]})
    return model, ran


# -- Callback, CallbackList, History, ProgbarLogger -----------------------------------------


class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def __getattribute__(self, name):
        if name.startswith("on_"):
            calls = object.__getattribute__(self, "calls")
            base = object.__getattribute__(self, name)

            def hook(*args, **kwargs):
                calls.append((name,) + args + tuple(kwargs.values()))
                return base(*args, **kwargs)
            return hook
        return object.__getattribute__(self, name)


def test_callback_list_calls_every_hook_in_order():
    rec, model = Recorder(), FakeModel()
    cbs = callbacks.CallbackList([rec], add_history=True, model=model, epochs=1, steps=1,
                                 verbose=0)
    assert rec.model is model and rec.params == {"epochs": 1, "steps": 1, "verbose": 0}
    assert isinstance(model.history, callbacks.History)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_train_batch_begin(0)
    cbs.on_train_batch_end(0, {"loss": np.float32(0.5), "acc": np.float64(1.0)})
    cbs.on_test_begin()
    cbs.on_test_batch_begin(0)
    cbs.on_test_batch_end(0, {"loss": 1})
    cbs.on_test_end({"loss": 1.0})
    cbs.on_epoch_end(0, {"loss": 0.5})
    cbs.on_train_end({"loss": 0.5})
    cbs.on_predict_begin()
    cbs.on_predict_batch_begin(0)
    cbs.on_predict_batch_end(0, {"outputs": np.ones(2)})
    cbs.on_predict_end()
    names = [c[0] for c in rec.calls]
    assert names == ["on_train_begin", "on_epoch_begin", "on_train_batch_begin",
                     "on_batch_begin", "on_train_batch_end", "on_batch_end", "on_test_begin",
                     "on_test_batch_begin", "on_test_batch_end", "on_test_end", "on_epoch_end",
                     "on_train_end", "on_predict_begin", "on_predict_batch_begin",
                     "on_predict_batch_end", "on_predict_end"]
    batch_logs = rec.calls[4][2]
    assert batch_logs == {"acc": 1.0, "loss": 0.5} and type(batch_logs["loss"]) is float
    assert model.history.history == {"loss": [0.5]} and model.history.epoch == [0]


def test_callback_list_adds_progbar_and_checks_types():
    cbs = callbacks.CallbackList(None, add_progbar=True)
    assert any(isinstance(c, callbacks.ProgbarLogger) for c in cbs.callbacks)
    hist = callbacks.History()
    cbs = callbacks.CallbackList([hist], add_history=True)
    assert [c for c in cbs.callbacks if isinstance(c, callbacks.History)] == [hist]
    with pytest.raises(TypeError, match="Expected keras.callbacks.Callback instances"):
        callbacks.CallbackList([lambda: None])


def test_progbar_logger_prints_epochs(capsys):
    model = FakeModel()
    cbs = callbacks.CallbackList(None, add_progbar=True, model=model, epochs=2, steps=3,
                                 verbose=2)
    cbs.on_train_begin()
    for epoch in range(2):
        cbs.on_epoch_begin(epoch)
        for b in range(3):
            cbs.on_train_batch_end(b, {"loss": 0.25})
        cbs.on_epoch_end(epoch, {"loss": 0.25, "val_loss": 0.5})
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert out.count("3/3") == 2 and "loss: 0.2500" in out and "val_loss: 0.5000" in out


# -- EarlyStopping ---------------------------------------------------------------------------


def test_early_stopping_patience_and_restore_best_weights(capsys):
    cb = callbacks.EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    model, ran = run_epochs(cb, [1.0, 0.9, 0.95, 0.96, 0.97, 0.5])
    assert ran == 4 and cb.stopped_epoch == 3 and cb.best == 0.9 and cb.best_epoch == 1
    assert model.weights[0].tolist() == [1.0, 1.0]  # the weights of epoch 1 (the best)
    out = capsys.readouterr().out
    assert "Epoch 4: early stopping" in out and "best epoch: 2" in out


def test_early_stopping_min_delta_baseline_start_and_modes():
    _, ran = run_epochs(callbacks.EarlyStopping(min_delta=0.2, patience=1),
                        [1.0, 0.9, 0.85, 0.8])
    assert ran == 2  # improvements below min_delta do not count
    _, ran = run_epochs(callbacks.EarlyStopping(baseline=0.5, patience=2), [1.0, 1.1, 1.2, 1.3])
    assert ran == 2  # the first epoch did not beat the baseline: its wait is not reset
    _, ran = run_epochs(callbacks.EarlyStopping(baseline=0.5, patience=1),
                        [1.0, 0.4, 0.45, 0.46])
    assert ran == 3  # epoch 1 beats the baseline and resets the wait
    _, ran = run_epochs(callbacks.EarlyStopping(patience=0, start_from_epoch=3),
                        [1.0, 2.0, 3.0, 4.0, 5.0])
    assert ran == 5  # warm-up epochs are not monitored... and epoch 3 becomes the best
    _, ran = run_epochs(callbacks.EarlyStopping(monitor="val_accuracy", patience=1),
                        [0.5, 0.6, 0.55, 0.54], key="val_accuracy")
    assert ran == 3  # accuracy goes up (the compiled metric's direction)
    _, ran = run_epochs(callbacks.EarlyStopping(monitor="val_mae", patience=1),
                        [0.5, 0.4, 0.45, 0.46], key="val_mae")
    assert ran == 3
    _, ran = run_epochs(callbacks.EarlyStopping(monitor="val_score", mode="max", patience=0),
                        [0.5, 0.4], key="val_score")
    assert ran == 2


def test_early_stopping_errors_and_warnings():
    with pytest.raises(ValueError, match="isn't able to automatically determine"):
        run_epochs(callbacks.EarlyStopping(monitor="val_score"), [1.0], key="val_score")
    with pytest.warns(UserWarning, match="which is not available"):
        run_epochs(callbacks.EarlyStopping(monitor="val_acc", mode="max"), [1.0])
    with pytest.warns(UserWarning, match="mode 'up' is unknown"):
        callbacks.EarlyStopping(mode="up")


# -- ModelCheckpoint ------------------------------------------------------------------------


def test_model_checkpoint_formats_paths_and_saves_every_epoch(tmp_path):
    path = str(tmp_path / "ckpt" / "w-{epoch:02d}-{val_loss:.2f}.weights.h5")
    cb = callbacks.ModelCheckpoint(path, save_weights_only=True)
    model, _ = run_epochs(cb, [0.5, 0.25])
    assert model.saved == [("weights", str(tmp_path / "ckpt" / "w-01-0.50.weights.h5")),
                           ("weights", str(tmp_path / "ckpt" / "w-02-0.25.weights.h5"))]
    assert (tmp_path / "ckpt").is_dir()


def test_model_checkpoint_save_best_only_and_full_model(tmp_path):
    cb = callbacks.ModelCheckpoint(str(tmp_path / "best.keras"), save_best_only=True)
    model, _ = run_epochs(cb, [0.5, 0.7, 0.3, 0.4])
    assert [kind for kind, _ in model.saved] == ["model", "model"]
    assert cb.best == 0.3
    cb = callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), monitor="val_accuracy",
                                   save_best_only=True, initial_value_threshold=0.8)
    model, _ = run_epochs(cb, [0.5, 0.9, 0.85], key="val_accuracy")
    assert len(model.saved) == 1


def test_model_checkpoint_save_freq_in_batches(tmp_path):
    cb = callbacks.ModelCheckpoint(str(tmp_path / "b{batch}.weights.h5"), save_freq=3,
                                   save_weights_only=True)
    model, _ = run_epochs(cb, [0.5, 0.4], batches=4)
    assert [p.rsplit("/", 1)[-1] for _, p in model.saved] == ["b3.weights.h5",
                                                              "b2.weights.h5"]


def test_model_checkpoint_errors(tmp_path):
    with pytest.raises(ValueError, match="must end in `.weights.h5`"):
        callbacks.ModelCheckpoint(str(tmp_path / "w.h5"), save_weights_only=True)
    with pytest.raises(ValueError, match="must end in `.keras`"):
        callbacks.ModelCheckpoint(str(tmp_path / "model.ckpt"))
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), save_freq="batch")
    cb = callbacks.ModelCheckpoint(str(tmp_path / "{missing}.keras"))
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        run_epochs(cb, [0.1])

    class NoSaving(FakeModel):
        save = property(lambda self: self.__getattribute__("missing_save"))
    with pytest.raises(AttributeError, match="missing_save"):
        run_epochs(callbacks.ModelCheckpoint(str(tmp_path / "m.keras")), [0.1],
                   model=NoSaving())


# -- learning-rate callbacks -------------------------------------------------------------------


def test_reduce_lr_on_plateau(capsys):
    cb = callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.02,
                                     verbose=1)
    model = FakeModel()
    cbs = callbacks.CallbackList([cb], model=model)
    cbs.on_train_begin()
    lrs = []
    for epoch, v in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]):
        logs = {"val_loss": v}
        cbs.on_epoch_end(epoch, logs)
        assert logs["learning_rate"] == pytest.approx(lrs[-1] if lrs else 0.1)
        lrs.append(model.optimizer.learning_rate)  # after the epoch's decision
    assert lrs == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02])
    assert "ReduceLROnPlateau reducing learning rate to 0.05" in capsys.readouterr().out
    with pytest.raises(ValueError, match="factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.0)


def test_learning_rate_scheduler():
    cb = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr)
    model = FakeModel()
    cbs = callbacks.CallbackList([cb], model=model)
    seen = []
    for epoch in range(3):
        cbs.on_epoch_begin(epoch)
        logs = {}
        cbs.on_epoch_end(epoch, logs)
        seen.append(logs["learning_rate"])
    assert seen == pytest.approx([0.1, 0.05, 0.025])
    old_style = callbacks.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))
    callbacks.CallbackList([old_style], model=model).on_epoch_begin(2)
    assert model.optimizer.learning_rate == pytest.approx(0.03)
    bad = callbacks.LearningRateScheduler(lambda epoch, lr: "fast")
    with pytest.raises(ValueError, match="should be a float"):
        callbacks.CallbackList([bad], model=model).on_epoch_begin(0)
    with pytest.raises(TypeError, match="must be a callable"):
        callbacks.LearningRateScheduler(0.1)


# -- CSVLogger, TerminateOnNaN, LambdaCallback ------------------------------------------------


def test_csv_logger(tmp_path):
    path = tmp_path / "log.csv"
    run_epochs(callbacks.CSVLogger(str(path)), [0.5, 0.25])
    rows = list(csv.reader(read_text(path).splitlines()))
    assert rows == [["epoch", "loss", "val_loss"], ["0", "0.5", "0.5"], ["1", "0.25", "0.25"]]
    run_epochs(callbacks.CSVLogger(str(path), append=True), [0.125])
    rows = list(csv.reader(read_text(path).splitlines()))
    assert len(rows) == 4 and rows[-1] == ["0", "0.125", "0.125"]
    path2 = tmp_path / "semi.csv"
    cb = callbacks.CSVLogger(str(path2), separator=";")
    model = FakeModel()
    cbs = callbacks.CallbackList([cb], model=model)
    cbs.on_train_begin()
    cbs.on_epoch_end(0, {"loss": 1.0})
    cbs.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.75})
    cbs.on_train_end()
    assert read_text(path2).splitlines() == ["epoch;loss;val_loss", "0;1.0;NA",
                                               "1;0.5;0.75"]


def test_terminate_on_nan(capsys):
    model = FakeModel()
    cbs = callbacks.CallbackList([callbacks.TerminateOnNaN()], model=model)
    cbs.on_train_batch_end(0, {"loss": 0.3})
    assert not model.stop_training
    cbs.on_train_batch_end(7, {"loss": np.float32("nan")})
    assert model.stop_training
    assert "Batch 7: Invalid loss, terminating training" in capsys.readouterr().out
    model.stop_training = False
    cbs.on_train_batch_end(8, {"loss": float("inf")})
    assert model.stop_training


def test_lambda_callback():
    seen = []
    cb = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, logs)),
                                  on_train_begin=lambda logs: seen.append("begin"),
                                  on_test_end=lambda logs: seen.append("test"))
    cbs = callbacks.CallbackList([cb], model=FakeModel())
    cbs.on_train_begin()
    cbs.on_epoch_end(0, {"loss": 1.0})
    cbs.on_test_end()
    cbs.on_epoch_begin(1)  # not given: the base hook does nothing
    assert seen == ["begin", (0, {"loss": 1.0}), "test"]
    with pytest.raises(ValueError, match="unknown hook 'on_epoch_middle'"):
        callbacks.LambdaCallback(on_epoch_middle=lambda epoch, logs: None)
    with pytest.raises(TypeError, match="must be callable"):
        callbacks.LambdaCallback(on_epoch_end=3)


# -- with a real model -------------------------------------------------------------------------


def _real_model():
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.05), "mse")
    x = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5], [3.0]], np.float32)
    return model, x, y


def test_real_fit_with_scheduler_csv_and_early_stopping(tmp_path):
    model, x, y = _real_model()
    path = tmp_path / "fit.csv"
    lrs = []
    history = model.fit(x, y, epochs=6, batch_size=16, verbose=0, callbacks=[
        callbacks.LearningRateScheduler(lambda epoch, lr: 0.05 / (epoch + 1)),
        callbacks.CSVLogger(str(path)),
        callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: lrs.append(
            float(keras.backend.get_value(model.optimizer.learning_rate)))),
        callbacks.EarlyStopping(monitor="loss", min_delta=1e9, patience=1)])
    assert lrs == pytest.approx([0.05 / (e + 1) for e in range(2)])
    assert len(history.history["loss"]) == 2  # no epoch improves by 1e9: stops after two
    rows = list(csv.DictReader(read_text(path).splitlines()))
    assert [float(r["loss"]) for r in rows] == pytest.approx(history.history["loss"])
    assert [float(r["learning_rate"]) for r in rows] == pytest.approx([0.05, 0.025])


def test_real_fit_restore_best_weights():
    model, x, y = _real_model()
    weights = []
    cb = callbacks.EarlyStopping(monitor="loss", patience=0, restore_best_weights=True,
                                 mode="max")  # "max" on a falling loss: epoch 0 stays best
    model.fit(x, y, epochs=4, batch_size=16, verbose=0, callbacks=[
        callbacks.LambdaCallback(on_epoch_end=lambda e, logs: weights.append(
            model.get_weights())), cb])
    assert cb.stopped_epoch == 1 and cb.best_epoch == 0
    for got, expected in zip(model.get_weights(), weights[0]):
        np.testing.assert_array_equal(got, expected)
