"""Issue 9, "Non-finite numbers are caught": `fit` stops on a non-finite loss by default,
naming the epoch, the batch and the loss term (`on_nan="raise"` raises, `"continue"` goes on);
`tensorlet.debugging.enable_check_numerics()` makes the first op that produces NaN/Inf raise,
naming the op type, the layer, the dtype, the shape and the user's line that created it."""
import math
import os
import sys
import warnings

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.errors import InvalidArgumentError
from tensorlet.keras import layers

HERE = os.path.basename(__file__)


@pytest.fixture(autouse=True)
def _fresh_keras():
    keras.backend.clear_session(free_memory=False)
    yield
    tf.debugging.disable_check_numerics()


@pytest.fixture
def check_numerics():
    tf.debugging.enable_check_numerics()
    yield
    tf.debugging.disable_check_numerics()


def _line():
    """The caller's line number (to compare with the line an error message names)."""
    return sys._getframe(1).f_lineno


def _data(n=16, bad_row=None, value=np.nan):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    y = rng.standard_normal((n, 1)).astype(np.float32)
    if bad_row is not None:
        x[bad_row] = value
    return x, y


def _linear(lr=0.01):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1, name="head")])
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse")
    return model


def _batches_seen():
    seen = []
    return seen, keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(batch))


# -- fit(on_nan=...) ----------------------------------------------------------------------------


@pytest.mark.parametrize("value, word", [(np.nan, "nan"), (1e30, "inf")])
def test_fit_stops_by_default_naming_epoch_batch_and_term(value, word):
    x, y = _data(bad_row=13, value=value)  # batch 3 of 4 per epoch
    seen, cb = _batches_seen()
    model = _linear()
    with pytest.warns(RuntimeWarning) as record:
        history = model.fit(x, y, batch_size=4, epochs=5, shuffle=False, verbose=0,
                            callbacks=[cb])
    msg = str(record[0].message)
    assert f"became {word}" in msg
    assert "epoch 1, batch 3" in msg and "'head'" in msg and "on_nan" in msg
    assert seen == [0, 1, 2, 3]  # stopped right after the bad batch
    assert len(history.history["loss"]) == 1 and not math.isfinite(history.history["loss"][0])
    assert model.stop_training


def test_fit_names_the_epoch_where_the_loss_turns_non_finite():
    x, y = _data()
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1, name="head")])
    model.compile(optimizer=keras.optimizers.SGD(1e18), loss="mse")  # diverges in epoch 1-3
    with pytest.warns(RuntimeWarning, match=r"at epoch \d+, batch \d+") as record:
        history = model.fit(x, y, batch_size=16, epochs=50, shuffle=False, verbose=0)
    epochs = len(history.history["loss"])
    assert epochs < 50 and f"epoch {epochs}, batch 0" in str(record[0].message)


def test_fit_names_the_non_finite_term_of_a_multi_output_model():
    inp = keras.Input((3,))
    model = keras.Model(inp, [layers.Dense(1, name="good")(inp), layers.Dense(1, name="bad")(inp)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data(8)
    y_bad = y.copy()
    y_bad[5] = np.nan
    with pytest.raises(FloatingPointError) as info:
        model.fit(x, [y, y_bad], batch_size=4, shuffle=False, verbose=0, on_nan="raise")
    msg = str(info.value)
    assert "epoch 1, batch 1" in msg and "'bad_loss'" in msg and "good" not in msg


def test_on_nan_raise_and_continue():
    x, y = _data(bad_row=6)
    model = _linear()
    before = model.get_weights()
    with pytest.raises(FloatingPointError, match=r"epoch 1, batch 1 .*'head'"):
        model.fit(x, y, batch_size=4, shuffle=False, verbose=0, on_nan="raise")
    assert np.all(np.isfinite(before[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning either
        history = _linear().fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0,
                                on_nan="continue")
    assert len(history.history["loss"]) == 3
    with pytest.raises(ValueError, match="on_nan"):
        _linear().fit(x, y, verbose=0, on_nan="ignore")


def test_finite_training_is_untouched_by_the_check():
    x, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = _linear().fit(x, y, batch_size=4, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3


# -- enable_check_numerics ----------------------------------------------------------------------


def _overflowing_model():
    """A model whose first Dense layer overflows float32 on ordinary inputs."""
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4, name="dense_1"),
                              layers.Dense(1, name="dense_2")])
    model.compile(optimizer="sgd", loss="mse")
    model.layers[0].set_weights([np.full((3, 4), 3e38, np.float32), np.zeros(4, np.float32)])
    return model


def test_check_numerics_is_off_by_default():
    model = _overflowing_model()
    x, y = _data(4)
    out = model.predict(x, verbose=0)
    assert not np.all(np.isfinite(out))


def test_check_numerics_names_op_layer_dtype_shape_and_the_users_line(check_numerics):
    model = _overflowing_model()
    x, y = _data(4)
    with pytest.raises(InvalidArgumentError) as info:
        line = _line() + 1
        model.fit(x, y, batch_size=4, verbose=0)
    msg = str(info.value)
    for part in ("MatMul", "'dense_1'", "Inf", "float32", "(4, 4)", f"{HERE}:{line}"):
        assert part in msg, (part, msg)
    with pytest.raises(InvalidArgumentError, match="dense_1"):
        model.predict(x, verbose=0)


def test_check_numerics_catches_nan_data_at_the_first_layer(check_numerics):
    model = _linear()
    x, y = _data(4, bad_row=2)
    with pytest.raises(InvalidArgumentError, match=r"MatMul.*'head'.*NaN"):
        model.fit(x, y, verbose=0)


class _LogModel(keras.Model):
    """A subclassed model whose own `call` (user code) creates the op that goes NaN."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(2, name="proj")

    def call(self, x):
        return tf.log(self.dense(x))  # the op's recorded line: this one


def test_check_numerics_points_at_the_users_call_method(check_numerics):
    model = _LogModel()
    model.compile(optimizer="sgd", loss="mse")
    x = -np.ones((4, 3), np.float32)
    model.build((None, 3))
    model.dense.set_weights([np.ones((3, 2), np.float32), np.zeros(2, np.float32)])
    with pytest.raises(InvalidArgumentError) as info:
        model.fit(x, np.zeros((4, 2), np.float32), verbose=0)
    msg = str(info.value)
    log_line = _LogModel.call.__code__.co_firstlineno + 1
    assert "Log op" in msg and "NaN" in msg and f"{HERE}:{log_line}" in msg


def test_ops_built_inside_keras_layers_record_the_users_line():
    """`Operation.traceback` skips tensorlet's frames: an op a built-in layer creates names the
    line of the user's program that called the layer."""
    inp = keras.Input((3,))
    line = _line() + 1
    out = layers.Dense(2, activation="relu", name="d")(inp)
    assert out.op.traceback.endswith(f"{HERE}:{line}")
    kernel_ops = [op for op in keras.backend.get_graph().get_operations()
                  if op.name.startswith("d/")]
    assert kernel_ops and all(op.traceback.endswith(f"{HERE}:{line}") for op in kernel_ops)


def test_check_numerics_in_a_tf1_program(check_numerics):
    x = tf.placeholder(tf.float32, [None, 2])
    with tf.variable_scope("layer_7"):
        line = _line() + 1
        y = tf.sqrt(x - 1.0)
    with tf.Session() as sess:
        with pytest.raises(InvalidArgumentError) as info:
            sess.run(y, {x: np.zeros((3, 2), np.float32)})
        np.testing.assert_allclose(sess.run(y, {x: np.full((3, 2), 5.0, np.float32)}), 2.0)
    msg = str(info.value)
    for part in ("Sqrt", "layer_7", "NaN", "float32", "(3, 2)", f"{HERE}:{line}"):
        assert part in msg, (part, msg)
