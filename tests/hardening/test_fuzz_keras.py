"""Issue 9, "Property-based fuzzing" for Keras: random shapes, dtypes and values (empty arrays,
NaN, Inf, huge magnitudes, absurd dimensions) fed to layers, losses, metrics and `fit` either
compute what an independent NumPy reference computes, or raise tensorlet's documented errors
with a message — never an internal IndexError/AttributeError/KeyError, never a NumPy broadcast
error, never a hang, never an attempt to allocate an absurd array."""
import time
import tracemalloc
import warnings

import numpy as np
import pytest
from conv_reference import ref_conv, ref_pool
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rnn_reference import ACT, lstm_step, reference

import tensorlet as tf
from tensorlet import keras
from tensorlet.errors import InvalidArgumentError, ResourceExhaustedError
from tensorlet.keras import layers

DOCUMENTED = (InvalidArgumentError, ResourceExhaustedError, ValueError, TypeError)
# Phrases of errors raised from inside NumPy or Python rather than by tensorlet's checks.
INTERNAL = ("could not be broadcast", "index out of bounds", "has no attribute", "unhashable",
            "not subscriptable", "'NoneType'", "invalid index", "list index", "tuple index")
fuzz = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
SPECIAL = [None, None, np.nan, np.inf, -np.inf]  # None: no special value


def attempt(fn):
    """(True, result) or (False, error) for a documented error with a clear message; any other
    exception propagates and fails the test."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return True, fn()
    except DOCUMENTED as e:
        msg = str(e)
        assert msg.strip(), f"{type(e).__name__} without a message"
        assert not any(p in msg for p in INTERNAL), f"internal error leaked: {msg}"
        return False, e


@st.composite
def arrays(draw, shape, kinds="f"):
    """An array of `shape` (a strategy or a tuple): normal values at a random scale, maybe one
    special value (NaN/Inf), of a float, integer or bool dtype as `kinds` allows."""
    shape = draw(shape) if isinstance(shape, st.SearchStrategy) else shape
    dtype = draw(st.sampled_from([d for d in (np.float32, np.float64, np.int32, np.int64,
                                              np.uint8, np.bool_)
                                  if np.dtype(d).kind in kinds]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, 5, size=shape).astype(dtype)
    if np.dtype(dtype).kind == "b":
        return rng.random(shape) < 0.5
    a = rng.standard_normal(shape) * draw(st.sampled_from([1.0, 1e-30, 1e3, 1e30]))
    special = draw(st.sampled_from(SPECIAL))
    if special is not None and a.size:
        a.flat[draw(st.integers(0, a.size - 1))] = special
    return a.astype(dtype)


def shapes(min_rank=0, max_rank=4, max_dim=5):
    return st.lists(st.integers(0, max_dim), min_size=min_rank, max_size=max_rank).map(tuple)


def close(out, ref, rtol=2e-4, atol=1e-5):
    """Compare a float32 result with a float64 reference, NaN/Inf positions included."""
    out = np.asarray(out, np.float64)
    ref = np.asarray(ref, np.float64)
    assert out.shape == ref.shape, (out.shape, ref.shape)
    big = np.isfinite(ref) & (np.abs(ref) > 3e38)  # beyond float32: overflows to inf
    with np.errstate(invalid="ignore"):  # 0 * inf where not big: discarded by the where
        ref = np.where(big, np.sign(ref) * np.inf, ref)
    np.testing.assert_allclose(out, ref, rtol=rtol, atol=atol * max(1.0, np.nanmax(
        np.abs(np.where(np.isfinite(ref), ref, 0)), initial=0.0)), equal_nan=True)


@pytest.fixture(autouse=True)
def _fresh_keras():
    keras.backend.clear_session(free_memory=False)
    yield


# -- layers -------------------------------------------------------------------------------------


@fuzz
@given(x=arrays(shapes(), kinds="fiub"), units=st.integers(1, 4),
       activation=st.sampled_from([None, "relu", "tanh", "softmax"]))
def test_dense_on_any_input(x, units, activation):
    keras.backend.clear_session(free_memory=False)
    layer = layers.Dense(units, activation=activation)
    ok, out = attempt(lambda: layer(x))
    if not ok:
        assert x.ndim < 2 or x.shape[-1] == 0 or layer.built is False, out
        return
    kernel, bias = (w.astype(np.float64) for w in layer.get_weights())
    with np.errstate(all="ignore"):
        z = x.astype(np.float32).astype(np.float64) @ kernel + bias
        if activation == "relu":
            z = np.maximum(z, 0)
        elif activation == "tanh":
            z = np.tanh(z)
        elif activation == "softmax":
            e = np.exp(z - z.max(axis=-1, keepdims=True))
            z = e / e.sum(axis=-1, keepdims=True)
    if activation == "softmax" and not np.all(np.isfinite(x.astype(np.float64))):
        return  # softmax of a row holding Inf: NaN positions depend on the max-subtraction
    close(out, z)


@fuzz
@given(x=arrays(shapes(3, 5, 6)), filters=st.integers(1, 3), kernel=st.integers(1, 4),
       strides=st.integers(1, 2), padding=st.sampled_from(["valid", "same"]))
def test_conv2d_on_any_input(x, filters, kernel, strides, padding):
    keras.backend.clear_session(free_memory=False)
    layer = layers.Conv2D(filters, kernel, strides=strides, padding=padding)
    ok, out = attempt(lambda: layer(x))
    if not ok:
        return
    assert x.ndim == 4
    w, b = (v.astype(np.float64) for v in layer.get_weights())
    with np.errstate(all="ignore"):
        ref = ref_conv(x.astype(np.float32).astype(np.float64), w, (strides, strides),
                       padding.upper(), (1, 1)) + b
    close(out, ref, rtol=1e-3)


@fuzz
@given(x=arrays(shapes(3, 5, 6)), pool=st.integers(1, 3), strides=st.integers(1, 3),
       padding=st.sampled_from(["valid", "same"]), kind=st.sampled_from(["max", "avg"]))
def test_pooling_on_any_input(x, pool, strides, padding, kind):
    layer = (layers.MaxPooling2D if kind == "max" else layers.AveragePooling2D)(
        pool, strides=strides, padding=padding)
    ok, out = attempt(lambda: layer(x))
    if not ok:
        return
    assert x.ndim == 4
    with np.errstate(all="ignore"):
        ref = ref_pool(x.astype(np.float32).astype(np.float64), (pool, pool),
                       (strides, strides), padding.upper(), kind)
    close(out, ref, rtol=1e-3)


@fuzz
@given(x=arrays(shapes(1, 4, 4)), units=st.integers(1, 3), seq=st.booleans())
def test_lstm_on_any_input(x, units, seq):
    keras.backend.clear_session(free_memory=False)
    layer = layers.LSTM(units, return_sequences=seq)
    ok, out = attempt(lambda: layer(x))
    if not ok:
        return
    assert x.ndim == 3
    W, U, b = (v.astype(np.float64) for v in layer.get_weights())
    xs = x.astype(np.float32).astype(np.float64)
    zeros = np.zeros((x.shape[0], units))
    if x.shape[1] == 0:  # no time step: the initial state (zeros)
        assert np.all(np.asarray(out) == 0)
        return
    with np.errstate(all="ignore"):
        ref, _ = reference(lstm_step(W, U, b, ACT["tanh"], ACT["sigmoid"]), xs, [zeros, zeros],
                           None, False, False, return_sequences=seq)
    close(out, ref, rtol=1e-3)


@fuzz
@given(x=arrays(shapes(), kinds="fiub"),
       which=st.sampled_from(["flatten", "dropout", "dropout_train", "noise", "bn", "gap1d",
                              "reshape", "embedding", "activation"]),
       extra=st.integers(-1, 6))
def test_shape_and_regularisation_layers_on_any_input(x, which, extra):
    keras.backend.clear_session(free_memory=False)
    make = {
        "flatten": lambda: (layers.Flatten(), {}),
        "dropout": lambda: (layers.Dropout(0.5), {}),
        "dropout_train": lambda: (layers.Dropout(0.5), {"training": True}),
        "noise": lambda: (layers.GaussianNoise(0.1), {"training": True}),
        "bn": lambda: (layers.BatchNormalization(), {"training": True}),
        "gap1d": lambda: (layers.GlobalAveragePooling1D(), {}),
        "reshape": lambda: (layers.Reshape((extra, -1) if extra else (-1,)), {}),
        "embedding": lambda: (layers.Embedding(5, 2), {}),
        "activation": lambda: (layers.Activation("sigmoid"), {}),
    }
    ok, made = attempt(make[which])  # a bad target shape is refused here already
    if not ok:
        return
    layer, kwargs = made
    ok, out = attempt(lambda: layer(x, **kwargs))
    if not ok:
        return
    out = np.asarray(out)
    xf = x.astype(np.float32)
    if which == "flatten":
        assert x.ndim >= 1
        np.testing.assert_array_equal(out, xf.reshape(x.shape[0], int(np.prod(x.shape[1:]))))
    elif which == "dropout":
        np.testing.assert_array_equal(out, xf)
    elif which == "dropout_train":
        kept = (out != 0) & ~(np.isnan(out) & np.isinf(xf))  # a dropped Inf: Inf * 0 = NaN
        np.testing.assert_allclose(out[kept], (xf * 2.0)[kept], rtol=1e-6)
    elif which == "gap1d":
        assert x.ndim == 3 and out.shape == (x.shape[0], x.shape[2])
    elif which == "reshape":
        assert out.size == x.size and out.shape[0] == x.shape[0]
    elif which == "embedding":
        (table,) = layer.get_weights()
        np.testing.assert_array_equal(out, table[x.astype(np.int64)])
    elif which == "activation":
        with np.errstate(all="ignore"):
            close(out, 1 / (1 + np.exp(-xf.astype(np.float64))))
    else:
        assert out.shape == x.shape


# -- losses and metrics -------------------------------------------------------------------------

LOSSES = ["mean_squared_error", "mean_absolute_error", "binary_crossentropy",
          "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge", "huber",
          "kl_divergence", "poisson", "cosine_similarity", "log_cosh",
          "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
          "categorical_hinge", "squared_hinge"]
METRICS = ["Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
           "MeanSquaredError", "AUC", "Precision", "Recall", "TopKCategoricalAccuracy"]


def _compatible(yt, yp, sparse):
    """Keras 3's one rule: equal shapes after squeezing/expanding one trailing 1 (sparse
    losses: labels of shape (n,) or (n, 1) against (n, classes))."""
    if sparse:
        return yt.shape[:1] == yp.shape[:1] and yt.ndim in (yp.ndim - 1, yp.ndim) and (
            yt.ndim == yp.ndim - 1 or yt.shape[-1] == 1)
    if yt.shape == yp.shape:
        return True
    if yt.ndim == yp.ndim + 1 and yt.shape[-1] == 1:
        return yt.shape[:-1] == yp.shape
    if yp.ndim == yt.ndim + 1 and yp.shape[-1] == 1:
        return yp.shape[:-1] == yt.shape
    return False


pairs = st.tuples(st.integers(1, 4), st.integers(1, 4)).flatmap(lambda nk: st.tuples(
    st.sampled_from([(nk[0],), (nk[0], 1), (nk[0], nk[1]), (nk[0] + 1,), (nk[0], nk[1] + 1)]),
    st.sampled_from([(nk[0],), (nk[0], 1), (nk[0], nk[1])])))


@fuzz
@given(shapes_=pairs, data=st.data(), name=st.sampled_from(LOSSES))
def test_losses_never_broadcast_silently(shapes_, data, name):
    yt_shape, yp_shape = shapes_
    sparse = name.startswith("sparse")
    y_true = data.draw(arrays(yt_shape, kinds="fiu" if not sparse else "iu"))
    y_pred = data.draw(arrays(yp_shape))
    loss = keras.losses.get(name)
    with tf.Graph().as_default():
        ok, t = attempt(lambda: loss(y_true, y_pred))
        if ok:
            ok, value = attempt(lambda: tf.Session().run(t))
    if ok:
        assert _compatible(y_true, y_pred, sparse), (name, y_true.shape, y_pred.shape)
        assert np.ndim(value) == 0 or np.shape(value)[0] == y_pred.shape[0]
    elif not _compatible(y_true, y_pred, sparse):
        msg = str(value if ok else t)
        assert "shape" in msg or "classes" in msg or "sample" in msg, msg


@fuzz
@given(shapes_=pairs, data=st.data(), name=st.sampled_from(METRICS))
def test_metrics_never_broadcast_silently(shapes_, data, name):
    yt_shape, yp_shape = shapes_
    y_true = data.draw(arrays(yt_shape, kinds="iu"))
    y_pred = data.draw(arrays(yp_shape))
    metric = getattr(keras.metrics, name)()
    ok, value = attempt(lambda: metric(y_true, y_pred))
    if ok:
        assert np.ndim(value) == 0
        if name not in ("AUC", "Precision", "Recall"):  # these flatten by definition
            assert _compatible(y_true, y_pred, name.startswith("Sparse")), (
                name, y_true.shape, y_pred.shape)


def test_mse_against_numpy_on_equal_shapes():
    """Including empty batches, where Keras 3 returns the per-sample values as they are (the
    mean over an empty last axis is NaN; an empty batch gives an empty array)."""
    rng = np.random.default_rng(1)
    for shape in [(0,), (0, 3), (4,), (4, 1), (3, 5), (2, 3, 4)]:
        a, b = rng.standard_normal(shape), rng.standard_normal(shape)
        with tf.Graph().as_default(), tf.Session() as s:
            got = s.run(keras.losses.MeanSquaredError()(a, b))
        with warnings.catch_warnings():  # NumPy warns on the mean of an empty axis
            warnings.simplefilter("ignore", RuntimeWarning)
            per_sample = np.mean((a - b) ** 2, axis=-1)
        ref = per_sample if per_sample.shape in ((), (0,)) else per_sample.mean()
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-7)


# -- fit ----------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(x=arrays(shapes(1, 3, 5)), y=arrays(shapes(1, 2, 5), kinds="fi"),
       batch_size=st.one_of(st.none(), st.integers(1, 7)), epochs=st.integers(1, 2),
       loss=st.sampled_from(["mse", "sparse_categorical_crossentropy",
                             "categorical_crossentropy", "binary_crossentropy"]),
       on_nan=st.sampled_from(["stop", "continue", "raise"]))
def test_fit_on_any_data(x, y, batch_size, epochs, loss, on_nan):
    keras.backend.clear_session(free_memory=False)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss=loss)
    start = time.perf_counter()
    try:
        ok, history = attempt(lambda: model.fit(x, y, batch_size=batch_size, epochs=epochs,
                                                verbose=0, on_nan=on_nan))
    except FloatingPointError as e:  # on_nan="raise": documented
        assert on_nan == "raise" and "epoch" in str(e)
        return
    assert time.perf_counter() - start < 30
    if ok:
        assert x.ndim == 2 and x.shape[1] == 3 and len(x) == len(y) and len(x) > 0
        assert 1 <= len(history.history["loss"]) <= epochs


# -- absurd sizes -------------------------------------------------------------------------------


def _refused_quickly(fn):
    """fn raises a documented error within a second, having allocated almost nothing."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises((ResourceExhaustedError, ValueError, TypeError)) as info:
            fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 1.0
    assert peak < 16 * 2**20, f"{peak} bytes were allocated before refusing"
    assert str(info.value)
    return info.value


@pytest.mark.parametrize("build", [
    lambda: tf.zeros([10**6, 10**7]),
    lambda: tf.ones([10**6, 10**7]),
    lambda: tf.fill([10**9, 10**9], 1.0),
    lambda: tf.zeros([2**62, 4]),
    lambda: tf.random_normal([10**6, 10**7]),
    lambda: tf.random_uniform([10**12]),
    lambda: tf.eye(10**7),
    lambda: tf.range(10**13),
    lambda: tf.tile(tf.zeros([1000, 1000]), [10**6, 1]),
    lambda: tf.matmul(tf.zeros([10**6, 1]), tf.zeros([1, 10**6])),
    lambda: tf.Variable(tf.zeros([10**12])),
    lambda: tf.get_variable("huge", [10**7, 10**7]),
    lambda: tf.zeros([-1, 3]),
    lambda: tf.placeholder(tf.float32, [None, 10**12]) * 2.0,
], ids=["zeros", "ones", "fill", "zeros 2**62", "random_normal", "random_uniform", "eye",
       "range", "tile", "matmul", "Variable", "get_variable", "negative dim",
       "placeholder row"])
def test_absurd_core_tensors_are_refused_before_allocating(build):
    err = _refused_quickly(build)
    if isinstance(err, ResourceExhaustedError):
        assert "would have shape" in str(err) and "Nothing was allocated" in str(err)


@pytest.mark.parametrize("make, x", [
    (lambda: layers.Dense(10**12), lambda: np.zeros((1, 4), np.float32)),
    (lambda: layers.Embedding(10**12, 8), lambda: np.zeros((1, 4), np.int32)),
    (lambda: layers.Conv2D(10**12, 3), lambda: np.zeros((1, 4, 4, 1), np.float32)),
    (lambda: layers.LSTM(10**6), lambda: np.zeros((1, 2, 3), np.float32)),
    (lambda: layers.Dense(10**6), lambda: keras.Input((10**7,))),
    (lambda: layers.Dense(4), lambda: keras.Input((10**12,))),
], ids=["Dense", "Embedding", "Conv2D", "LSTM", "Dense on a wide input",
        "Dense on an absurd input"])
def test_absurd_layers_are_refused_before_allocating(make, x):
    _refused_quickly(lambda: make()(x()))


@fuzz
@given(units=st.sampled_from([1, 7, 10**5, 10**9, 10**12]),
       features=st.sampled_from([1, 3, 10**4, 10**7, 10**12]))
def test_dense_of_any_size_is_built_or_refused(units, features):
    """Symbolic building allocates nothing; a layer is refused exactly when a tensor it needs
    (input row, kernel, output row) is bigger than the limit."""
    from tensorlet.framework import limits
    keras.backend.clear_session(free_memory=False)
    biggest = 4 * max(features, units * features, units)
    tracemalloc.start()
    try:
        out = layers.Dense(units)(keras.Input((features,)))
    except ResourceExhaustedError as e:
        assert biggest > limits.max_tensor_bytes() and "Nothing was allocated" in str(e)
        return
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 2**22
    assert biggest <= limits.max_tensor_bytes() and out.shape.as_list() == [None, units]


def test_absurd_model_leaves_the_keras_session_usable():
    """The refused weights are never created, so a later model in the same Keras session
    initialises and trains normally (a failed initialiser used to fail every later run)."""
    with pytest.raises(ResourceExhaustedError):
        keras.Sequential([keras.Input((10**7,)), layers.Dense(10**6)])
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 3), np.float32), np.ones((4, 1), np.float32), verbose=0)


def test_absurd_eager_tensors_are_refused_before_allocating():
    with tf.eager_mode():
        for build in (lambda: tf.fill([10**6, 10**7], 1.0),
                      lambda: tf.random_normal([10**6, 10**7]),
                      lambda: tf.ones([10**5]) * tf.ones([10**5, 1])):
            err = _refused_quickly(build)
            assert isinstance(err, ResourceExhaustedError) or "1e" in str(err)
        assert tf.fill([2, 2], 1.0).numpy().sum() == 4.0


def test_the_limit_can_be_changed():
    from tensorlet.framework import limits
    limits.set_max_tensor_bytes(1000)
    try:
        with pytest.raises(ResourceExhaustedError, match=r"\(300,\).*1.172 KiB"):
            tf.zeros([300])
        tf.zeros([200])
    finally:
        limits.set_max_tensor_bytes(None)
    with pytest.raises(ValueError):
        limits.set_max_tensor_bytes(0)
    tf.zeros([300])
