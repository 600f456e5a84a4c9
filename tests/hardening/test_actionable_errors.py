"""Issue 9, "Errors a person can act on" (and issue 3's Errors section): one test per
user-facing error path. Each message names the layer, input or op, gives the expected and the
received shapes with the batch axis written as None, and hints at the fix where one is obvious;
Keras errors come before any training step. Tracebacks through fit/predict/Session.run are
trimmed of tensorlet's frames unless filtering is turned off; importing tensorlet prints
nothing; diagnostics go through the 'tensorlet' logger, warnings are issued once."""
import os
import subprocess
import sys
import textwrap
import traceback

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.errors import InvalidArgumentError
from tensorlet.keras import layers

PKG = os.path.dirname(os.path.abspath(tf.__file__)) + os.sep
REPO = os.path.dirname(PKG.rstrip(os.sep))


@pytest.fixture(autouse=True)
def _fresh_keras():
    keras.backend.clear_session(free_memory=False)
    yield
    tf.debugging.enable_traceback_filtering()


def _mlp(loss="sparse_categorical_crossentropy", **kw):
    model = keras.Sequential([keras.Input((8,)), layers.Dense(16, activation="relu"),
                              layers.Dense(3, activation="softmax")])
    if loss:
        model.compile(optimizer="adam", loss=loss, **kw)
    return model


X = np.random.default_rng(0).random((20, 8), dtype=np.float32)
Y = np.arange(20) % 3


class _NoStep(keras.callbacks.Callback):
    """Fails the test if any training batch starts."""

    def on_train_batch_begin(self, batch, logs=None):
        raise AssertionError("a training step ran before the error")


def _fit_error(model, x, y, error=ValueError, **kw):
    """The message of the error `fit` raises, after checking that no weight changed."""
    before = model.get_weights() if model.built else None
    with pytest.raises(error) as info:
        model.fit(x, y, verbose=0, callbacks=[_NoStep()], **kw)
    if before is not None:
        for a, b in zip(before, model.get_weights()):
            np.testing.assert_array_equal(a, b)
    return str(info.value)


# -- issue 3: Keras data errors, all before any training step ---------------------------------


def test_wrong_feature_count_names_the_input_and_both_shapes():
    model = _mlp()
    model.build((None, 8))
    msg = _fit_error(model, X[:, :5], Y)
    assert "Input 'input_layer' of model 'sequential'" in msg
    assert "(None, 8)" in msg and "(20, 5)" in msg
    with pytest.raises(ValueError, match=r"expects shape \(None, 8\), received shape "
                                         r"\(None, 5\)"):
        model(X[:, :5])
    with pytest.raises(ValueError, match=r"\(None, 8\).*\(20, 5\)"):
        model.evaluate(X[:, :5], Y, verbose=0)


def test_missing_batch_axis_is_hinted():
    model = _mlp()
    with pytest.raises(ValueError, match=r"\(None, 8\).*\(8,\).*without the batch axis.*"
                                         r"x\[None\]"):
        model.predict(X[0], verbose=0)
    with pytest.raises(ValueError, match="lack the batch axis"):
        model(X[0])


def test_extra_axis_is_hinted():
    model = _mlp()
    with pytest.raises(ValueError, match=r"\(None, 8\).*\(1, 20, 8\).*one axis too many"):
        model.predict(X[None], verbose=0)
    msg = _fit_error(model, X[None], Y[None])
    assert "one axis too many" in msg


def test_y_length_differs_from_x():
    msg = _fit_error(_mlp(), X, Y[:7])
    assert "x sizes: 20" in msg and "y sizes: 7" in msg
    msg = _fit_error(_mlp(), X, Y, sample_weight=np.ones(3))
    assert "sample_weight sizes: 3" in msg


def test_sparse_labels_given_to_categorical_crossentropy():
    msg = _fit_error(_mlp("categorical_crossentropy"), X, Y)
    assert "categorical_crossentropy" in msg and "(None,)" in msg and "(None, 3)" in msg
    assert "look sparse" in msg and "sparse_categorical_crossentropy" in msg
    assert "to_categorical" in msg


def test_one_hot_labels_given_to_sparse_categorical_crossentropy():
    msg = _fit_error(_mlp(), X, np.eye(3, dtype=np.float32)[Y])
    assert "(None, 3)" in msg and "look one-hot" in msg and "categorical_crossentropy" in msg


def test_column_labels_against_a_wider_output_raise_instead_of_broadcasting():
    msg = _fit_error(_mlp("mse"), X, Y[:, None].astype(np.float32))
    assert "(None, 1)" in msg and "(None, 3)" in msg


@pytest.mark.parametrize("kind, make, known", [
    ("optimizer", lambda: _mlp(None).compile(optimizer="adamm", loss="mse"), "rmsprop"),
    ("loss", lambda: _mlp("msee"), "mean_squared_error"),
    ("metric", lambda: _mlp("mse", metrics=["acuracy"]), "accuracy"),
    ("activation", lambda: layers.Dense(3, activation="rellu"), "relu"),
    ("initializer", lambda: layers.Dense(3, kernel_initializer="glorot"), "glorot_uniform"),
    ("regularizer", lambda: layers.Dense(3, kernel_regularizer="l3"), "l2"),
    ("constraint", lambda: layers.Dense(3, kernel_constraint="positive"), "non_neg"),
])
def test_unknown_identifiers_list_the_known_ones(kind, make, known):
    with pytest.raises(ValueError) as info:
        make()
    msg = str(info.value)
    assert kind in msg.lower() and known in msg


def test_fit_evaluate_and_train_on_batch_before_compile():
    model = _mlp(None)
    for call in (lambda: model.fit(X, Y, verbose=0), lambda: model.evaluate(X, Y, verbose=0),
                 lambda: model.train_on_batch(X, Y), lambda: model.test_on_batch(X, Y)):
        with pytest.raises(RuntimeError, match=r"call `compile\(\)`.*'sequential'"):
            call()


def test_wrong_number_of_inputs_and_outputs():
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    two_in = keras.Model([a, b], layers.Concatenate()([a, b]))
    with pytest.raises(ValueError, match=r"expects 2 input\(s\).*'a', 'b'.*received 1"):
        two_in.predict(np.zeros((2, 4), np.float32), verbose=0)
    two_out = keras.Model(a, [layers.Dense(1)(a), layers.Dense(1)(a)])
    two_out.compile(optimizer="sgd", loss="mse")
    msg = _fit_error(two_out, np.zeros((4, 4), np.float32), np.zeros((4, 1), np.float32))
    assert "2 output(s)" in msg and "1 label array(s)" in msg


# -- issue 9: layer and op errors ----------------------------------------------------------------


def test_layer_given_the_wrong_feature_size_names_the_layer():
    dense = layers.Dense(3)
    dense(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"layer 'dense'.*size 4.*size 5.*\(None, 4\).*"
                                         r"\(None, 5\)"):
        dense(np.zeros((2, 5), np.float32))


def test_conv_layer_given_an_image_without_batch_axis_is_hinted():
    with pytest.raises(ValueError, match=r"layer 'conv2d'.*ndim=4.*ndim=3.*\(None, 28, 28\)"
                                         r".*batch axis"):
        keras.Sequential([keras.Input((28, 28)), layers.Conv2D(4, 3)])


def test_recurrent_layer_given_a_matrix_names_the_layer():
    with pytest.raises(ValueError, match=r"'lstm'.*rank 3.*\(None, 28\)"):
        keras.Sequential([keras.Input((28,)), layers.LSTM(4)])


def test_kernel_or_pool_larger_than_the_input_names_the_layer():
    with pytest.raises(ValueError, match=r"'conv2d'.*\(5, 5\).*\(2, 2\).*\(None, 2, 2, 1\)"):
        keras.Sequential([keras.Input((2, 2, 1)), layers.Conv2D(3, 5)])
    with pytest.raises(ValueError, match=r"'max_pooling2d'.*\(3, 3\).*\(None, 2, 2, 1\)"):
        keras.Sequential([keras.Input((2, 2, 1)), layers.MaxPooling2D(3)])


def test_reshape_to_a_different_size_names_the_layer_and_both_sizes():
    with pytest.raises(ValueError, match=r"'reshape'.*\(None, 8\).*8 values.*\(3, 3\).*9 "
                                         r"values"):
        keras.Sequential([keras.Input((8,)), layers.Reshape((3, 3))])


def test_dense_on_an_unknown_last_axis_names_the_layer():
    with pytest.raises(ValueError, match=r"'dense'.*last axis.*\(None, None\)"):
        keras.Sequential([keras.Input((None, 3)), layers.Flatten(), layers.Dense(2)])


def test_set_weights_with_the_wrong_count_or_shape_names_the_weight():
    model = _mlp()
    with pytest.raises(ValueError, match=r"'sequential' expects 4 weight array.*dense/kernel.*"
                                         r"received 1"):
        model.set_weights([np.zeros(3)])
    with pytest.raises(ValueError, match=r"'dense'.*'dense/kernel'.*\(8, 16\).*\(16, 8\)"):
        model.layers[0].set_weights([np.zeros((16, 8)), np.zeros(16)])


def test_embedding_index_out_of_range_names_the_layer_at_run_time():
    model = keras.Sequential([keras.Input((5,), dtype="int32"), layers.Embedding(10, 3)])
    with pytest.raises(InvalidArgumentError, match=r"(?s)12 is not in \[0, 10\).*'embedding/"):
        model.predict(np.full((2, 5), 12), verbose=0)


def test_session_feed_with_the_wrong_shape_names_the_placeholder():
    images = tf.placeholder(tf.float32, [None, 4], name="images")
    with tf.Session() as sess:
        with pytest.raises(InvalidArgumentError, match=r"shape \(3, 5\).*'images:0'.*"
                                                       r"\(None, 4\)"):
            sess.run(images * 2.0, {images: np.zeros((3, 5), np.float32)})


def test_session_missing_feed_names_the_placeholder_and_its_line():
    v = tf.placeholder(tf.float32, [None], name="v")
    with tf.Session() as sess:
        with pytest.raises(InvalidArgumentError, match=r"feed a value for placeholder tensor "
                                                       r"'v'.*\(None,\).*test_actionable"):
            sess.run(v * 2.0)


def test_session_feed_of_strings_or_values_out_of_range():
    v = tf.placeholder(tf.float32, [None], name="v")
    ids = tf.placeholder(tf.int32, [None], name="ids")
    with tf.Session() as sess:
        with pytest.raises(InvalidArgumentError, match=r"'v:0' of dtype float32: got strings"):
            sess.run(v, {v: np.array(["a"])})
        with pytest.raises(InvalidArgumentError, match=r"'ids:0'.*out of range for int32"):
            sess.run(ids, {ids: np.array([2**40])})


def test_op_build_error_names_the_op_and_the_shapes():
    a = tf.placeholder(tf.float32, [None, 4])
    b = tf.placeholder(tf.float32, [5, 3])
    with pytest.raises(ValueError, match=r"MatMul op 'MatMul'.*\(None, 4\).*\(5, 3\)"):
        tf.matmul(a, b)


def test_missing_cast_is_hinted():
    ints = tf.constant([1, 2])
    for fn in (tf.log, tf.sqrt, tf.nn.softmax):
        with pytest.raises(TypeError, match=r"got int32 \(cast it with tf.cast"):
            fn(ints)


def test_run_time_shape_error_names_the_op_and_its_line():
    x = tf.placeholder(tf.float32, [None])
    y = tf.reshape(x, [2, 3], name="to_grid")
    with tf.Session() as sess:
        with pytest.raises(InvalidArgumentError, match=r"to_grid.*test_actionable_errors"):
            sess.run(y, {x: np.zeros(5, np.float32)})


# -- tracebacks ----------------------------------------------------------------------------------


def _internal_frames(exc):
    """Files inside the tensorlet package in the traceback, except the frame that re-raises."""
    return [f.filename for f in traceback.extract_tb(exc.__traceback__)
            if f.filename.startswith(PKG) and not f.filename.endswith("traceback_utils.py")]


def _entry_points():
    model = _mlp()
    model.build((None, 8))
    bad = X[:, :5]
    x = tf.placeholder(tf.float32, [None, 4])
    sess = tf.Session()
    return {
        "fit": lambda: model.fit(bad, Y, verbose=0),
        "evaluate": lambda: model.evaluate(bad, Y, verbose=0),
        "predict": lambda: model.predict(bad, verbose=0),
        "model(x)": lambda: model(bad),
        "train_on_batch": lambda: model.train_on_batch(bad, Y),
        "test_on_batch": lambda: model.test_on_batch(bad, Y),
        "predict_on_batch": lambda: model.predict_on_batch(bad),
        "Session.run": lambda: sess.run(x * 2.0, {x: np.zeros((2, 3), np.float32)}),
    }


@pytest.mark.parametrize("name", ["fit", "evaluate", "predict", "model(x)", "train_on_batch",
                                  "test_on_batch", "predict_on_batch", "Session.run"])
def test_tracebacks_are_trimmed_by_default_and_restorable(name):
    call = _entry_points()[name]
    with pytest.raises(ValueError) as info:
        call()
    assert _internal_frames(info.value) == [], name
    assert info.value.__cause__ is None and info.value.__suppress_context__
    tf.debugging.disable_traceback_filtering()
    assert not tf.debugging.is_traceback_filtering_enabled()
    with pytest.raises(ValueError) as info:
        call()
    assert _internal_frames(info.value), name


def _run(code, **env):
    full_env = dict(os.environ, PYTHONPATH=REPO, **env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=full_env, cwd=REPO, timeout=120)


def test_environment_variable_restores_full_tracebacks():
    code = """
        import traceback
        import numpy as np
        from tensorlet import keras
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(3)])
        try:
            model.predict(np.zeros((2, 5), np.float32), verbose=0)
        except ValueError as e:
            files = [f.filename for f in traceback.extract_tb(e.__traceback__)]
            print(sum("/tensorlet/keras/" in f for f in files))
    """
    trimmed = _run(code)
    full = _run(code, TENSORLET_TRACEBACK_FILTERING="0")
    assert trimmed.returncode == 0 and full.returncode == 0, trimmed.stderr + full.stderr
    assert int(trimmed.stdout) == 0 and int(full.stdout) > 0


# -- quiet import, logging, warnings once --------------------------------------------------------


def test_importing_tensorlet_prints_nothing_and_warns_nothing():
    proc = _run("import tensorlet, tensorlet.keras, tensorlet.train, tensorlet.nn\n"
                "from tensorlet import keras\n"
                "import tensorlet.keras.layers, tensorlet.keras.models, tensorlet.keras.utils\n",
                PYTHONWARNINGS="error")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""


def test_diagnostics_go_through_the_tensorlet_logger():
    code = """
        import logging
        logging.basicConfig(level=logging.DEBUG, format="%(name)s|%(message)s")
        import tensorlet as tf
        tf.Session()
    """
    proc = _run(code, TENSORLET_TUNE_MALLOC="1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    lines = [line for line in proc.stderr.splitlines() if line]
    assert lines and all(line.startswith("tensorlet|") for line in lines), proc.stderr
    quiet = _run("import tensorlet as tf\ntf.Session()\n")
    assert quiet.stdout == "" and quiet.stderr == ""  # unconfigured logging: silence


def test_warnings_are_issued_once_and_point_at_the_users_line(tmp_path):
    """With Python's default warning filters (as a user has them), a warning raised in a loop
    shows once, attributed to the user's line — even when the user's own folder is called
    'tensorlet' (a checkout of this project, say)."""
    program = tmp_path / "tensorlet" / "train.py"
    program.parent.mkdir()
    program.write_text(textwrap.dedent("""
        import numpy as np
        from tensorlet import keras
        x = np.ones((8, 3), np.float32)
        x[2] = np.nan
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        for _ in range(3):
            model.fit(x, np.ones((8, 1), np.float32), verbose=0)
    """))
    proc = subprocess.run([sys.executable, str(program)], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=REPO), cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("RuntimeWarning") == 1, proc.stderr
    assert f"{program}:9: RuntimeWarning: The loss became nan" in proc.stderr


def test_graph_growth_warning_is_issued_once_naming_the_op_and_line():
    import warnings
    x = tf.placeholder(tf.float32, [])
    with tf.Session() as sess, warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        for _ in range(60):
            sess.run(x + 1.0, {x: 1.0})  # a new Add op every iteration
    growth = [w for w in record if "graph grew" in str(w.message)]
    assert len(growth) == 1
    assert "'AddV2'" in str(growth[0].message) or "'Add'" in str(growth[0].message)
    assert "test_actionable_errors.py" in str(growth[0].message)
