"""The dense-layer fusion (ops/dense_fused.py): plans with and without the pass (and with and
without numba) give the same outputs, gradients and training updates, with relu and without
(the linear logits), with and without dropout and bias, in float32 and float64; the pass fires
in training and inference plans and leaves chains alone whose intermediates are read elsewhere.
"""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.ops import dense_fused
from tensorlet.runtime import jit

rng = np.random.default_rng(12)
UNFUSED = {"Relu", "ReluGrad", "BiasAdd", "DropoutMask"}


def _plan_types(sess):
    return {step[5].type for plan in sess._plans.values() for step in plan.steps}


def _configure(monkeypatch, fuse, numba):
    monkeypatch.setenv("TENSORLET_DISABLE_PASSES", "" if fuse else "fuse")
    monkeypatch.setenv("TENSORLET_DISABLE_NUMBA", "" if numba else "1")


def test_small_arrays_stay_on_numpy(monkeypatch, real_compile_threshold):
    """Single-sample inference never imports numba; training-sized arrays are compiled."""
    monkeypatch.setenv("TENSORLET_DISABLE_NUMBA", "")
    assert dense_fused._kernels(512) is None
    assert dense_fused._kernels(jit.MIN_COMPILED_SIZE) is not None
    monkeypatch.setenv("TENSORLET_DISABLE_NUMBA", "1")
    assert dense_fused._kernels(jit.MIN_COMPILED_SIZE) is None


def _mlp(gen, dtype, bias, dropout, rate=0.5):
    """Placeholder x -> Dense(7, relu) [-> dropout] -> Dense(3) logits; the weights (drawn from
    `gen`) as variables. Returns (x, variables, logits)."""
    tf.set_random_seed(3)
    x = tf.placeholder(dtype, (None, 5))
    w1 = tf.Variable(gen.standard_normal((5, 7)).astype(dtype))
    b1 = tf.Variable((gen.standard_normal(7) * 0.5).astype(dtype))
    w2 = tf.Variable(gen.standard_normal((7, 3)).astype(dtype))
    b2 = tf.Variable(gen.standard_normal(3).astype(dtype))
    z = tf.matmul(x, w1)
    h = tf.nn.relu(tf.nn.bias_add(z, b1) if bias else z)
    if dropout:
        h = tf.nn.dropout(h, rate=rate)
    return x, [w1, b1, w2, b2] if bias else [w1, w2, b2], tf.nn.bias_add(tf.matmul(h, w2), b2)


def _train(monkeypatch, dtype, bias, dropout, fuse, numba, rate=0.5):
    """Three SGD steps of the MLP: the logits and gradients before each, the final weights,
    and the types of the ops the plans ran."""
    _configure(monkeypatch, fuse, numba)
    tf.reset_default_graph()
    gen = np.random.default_rng(5)
    x, variables, logits = _mlp(gen, dtype, bias, dropout, rate)
    r = tf.constant(gen.standard_normal((6, 3)).astype(dtype))
    loss = tf.reduce_sum(logits * r)
    grads = tf.gradients(loss, [x] + variables)
    step = tf.train.GradientDescentOptimizer(0.05).minimize(loss)
    xv = gen.standard_normal((6, 5)).astype(dtype)
    out = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out.append(sess.run(logits, {x: xv}))  # a forward-only plan
        for _ in range(3):
            out.append(sess.run([logits] + grads, {x: xv}))
            sess.run(step, {x: xv})
        out.append(sess.run(variables))
        return out, _plan_types(sess)


def _assert_close(got, ref, dtype):
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for a, e in zip(got, ref):
        if isinstance(e, list):
            _assert_close(a, e, dtype)
        else:
            assert a.dtype == e.dtype == dtype
            np.testing.assert_allclose(a, e, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("numba", [True, False])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dropout", [True, False])
def test_fused_training_matches_unfused(dropout, bias, numba, dtype, monkeypatch):
    ref, types = _train(monkeypatch, dtype, bias, dropout, fuse=False, numba=numba)
    assert not types & {"FusedDense", "FusedDenseReluDropout", "FusedDenseReluGrad"}
    got, types = _train(monkeypatch, dtype, bias, dropout, fuse=True, numba=numba)
    fused = {"FusedDenseReluGrad", "FusedDense"}
    fused |= {"FusedDenseReluDropout", "DenseDropoutKeep"} if dropout else set()
    assert fused <= types and not types & UNFUSED
    assert "BiasAddGrad" in types  # the logits' bias gradient; the hidden one is fused
    _assert_close(got, ref, dtype)


@pytest.mark.parametrize("rate", [0.3, 0.25])
def test_fused_dropout_draws_the_same_masks_at_other_rates(rate, monkeypatch):
    ref, _ = _train(monkeypatch, np.float32, True, True, fuse=False, numba=True, rate=rate)
    got, types = _train(monkeypatch, np.float32, True, True, fuse=True, numba=True, rate=rate)
    assert "FusedDenseReluDropout" in types
    _assert_close(got, ref, np.float32)


def test_fused_dropout_rate_from_a_placeholder(monkeypatch):
    x = tf.placeholder(tf.float32, (None, 4))
    keep_prob = tf.placeholder(tf.float32, ())
    w = tf.constant(rng.standard_normal((4, 8)).astype(np.float32))
    y = tf.nn.dropout(tf.nn.relu(tf.matmul(x, w)), keep_prob, seed=1)
    g = tf.gradients(tf.reduce_sum(y * y), x)[0]
    xv = rng.standard_normal((3, 4)).astype(np.float32)
    results = []
    for fuse in (False, True):
        _configure(monkeypatch, fuse, True)
        with tf.Session() as sess:
            results.append([sess.run([y, g], {x: xv, keep_prob: p}) for p in (0.5, 0.8, 1.0)])
            assert ("FusedDenseReluDropout" in _plan_types(sess)) == fuse
            with pytest.raises(InvalidArgumentError, match="keep_prob must be in"):
                sess.run(y, {x: xv, keep_prob: 0.0})
    _assert_close(results[1], results[0], np.float32)


@pytest.mark.parametrize("variant", ["biasadd fetched", "matmul read twice", "transposed",
                                     "3-D input", "relu fetched", "relu read elsewhere",
                                     "noise_shape", "mask fetched"])
def test_partial_or_no_fusion_where_the_pattern_does_not_hold(variant, monkeypatch):
    x = tf.placeholder(tf.float64, (2, 3, 4) if variant == "3-D input" else (None, 4))
    w = tf.constant(rng.standard_normal((8, 4) if variant == "transposed" else (4, 8)))
    b = tf.constant(rng.standard_normal(8))
    z = tf.matmul(x, w, transpose_b=variant == "transposed")
    pre = tf.nn.bias_add(z, b)
    relu = tf.nn.relu(pre)
    y = tf.nn.dropout(relu, 0.5, seed=2, noise_shape=[1, 8] if variant == "noise_shape" else None)
    fetches = [y, tf.gradients(tf.reduce_sum(y * 3.0), x)[0]]
    fetches += {"biasadd fetched": [pre], "matmul read twice": [z * 2.0], "relu fetched": [relu],
                "relu read elsewhere": [relu + 1.0],
                "mask fetched": [[op for op in tf.get_default_graph().get_operations()
                                  if op.type == "DropoutMask"][0].outputs[0]]}.get(variant, [])
    xv = rng.standard_normal((2, 3, 4) if variant == "3-D input" else (3, 4))
    results, types = [], []
    for fuse in (False, True):
        _configure(monkeypatch, fuse, True)
        with tf.Session() as sess:
            results.append(sess.run(fetches, {x: xv}))
            types.append(_plan_types(sess))
    _assert_close(results[1], results[0], np.float64)
    relu_fused = variant in ("relu fetched", "relu read elsewhere", "noise_shape",
                             "mask fetched")
    assert ("FusedDenseReluGrad" in types[1]) == relu_fused
    assert ("Relu" in types[1]) != relu_fused
    assert ("FusedDense" in types[1]) == (relu_fused or variant == "biasadd fetched")
    assert "FusedDenseReluDropout" not in types[1] and "DropoutMask" in types[1]


def test_linear_dense_and_inference_plan(monkeypatch):
    x = tf.placeholder(tf.float32, (None, 6))
    w = tf.constant(rng.standard_normal((6, 4)).astype(np.float32))
    b = tf.constant(rng.standard_normal(4).astype(np.float32))
    y = tf.nn.softmax(tf.nn.xw_plus_b(x, w, b))
    xv = rng.standard_normal((5, 6)).astype(np.float32)
    _configure(monkeypatch, True, True)
    with tf.Session() as sess:
        got = sess.run(y, {x: xv})
        assert {"FusedDense", "Softmax"} <= _plan_types(sess)
        assert not _plan_types(sess) & {"BiasAdd", "MatMul"}
    z = xv.astype(np.float64) @ w.constant_value() + b.constant_value()
    e = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(got, e / e.sum(1, keepdims=True), rtol=1e-5)


@pytest.mark.parametrize("numba", [True, False])
def test_fused_kernels_against_numpy_float64(numba, monkeypatch):
    from tensorlet.framework.registry import op_def
    _configure(monkeypatch, True, numba)
    x, w, b = rng.standard_normal((6, 5)), rng.standard_normal((5, 9)), rng.standard_normal(9)
    keep = rng.random((6, 9)) < 0.7
    relu = np.maximum(x @ w + b, 0)
    dense = op_def("FusedDense").kernel
    np.testing.assert_allclose(dense({"activation": "relu"}, x, w, b), relu, rtol=1e-13)
    np.testing.assert_allclose(dense({"activation": "relu"}, x, w), np.maximum(x @ w, 0),
                               rtol=1e-13)
    np.testing.assert_allclose(dense({"activation": "linear"}, x, w, b), x @ w + b, rtol=1e-13)
    y = op_def("FusedDenseReluDropout").kernel({}, x, w, keep, np.array(0.3), b)
    np.testing.assert_allclose(y, relu * keep / 0.7, rtol=1e-13)
    dy = rng.standard_normal((6, 9))
    dz, db = op_def("FusedDenseReluGrad").kernel({}, dy, y, np.array(0.3))
    np.testing.assert_allclose(dz, np.where(y > 0, dy / 0.7, 0), rtol=1e-13)
    np.testing.assert_allclose(db, dz.sum(0), rtol=1e-12)
    dz, db = op_def("FusedDenseReluGrad").kernel({}, dy, relu)
    np.testing.assert_allclose(dz, np.where(relu > 0, dy, 0), rtol=1e-13)


def test_shape_rules_reject_bad_operands():
    from tensorlet.ops.base import apply
    x = tf.placeholder(tf.float32, (None, 4))
    with pytest.raises(ValueError, match="inner dimensions differ"):
        apply("FusedDense", [x, tf.zeros([5, 3])], {"activation": "relu"})
    with pytest.raises(ValueError, match="activation must be"):
        apply("FusedDense", [x, tf.zeros([4, 3])], {"activation": "tanh"})
    with pytest.raises(TypeError, match="float32 or float64 operands of one dtype"):
        apply("FusedDense", [x, tf.zeros([4, 3], tf.float64)], {"activation": "relu"})
    with pytest.raises(ValueError, match=r"bias must have shape \(3,\)"):
        apply("FusedDense", [x, tf.zeros([4, 3]), tf.zeros([2])], {"activation": "linear"})
    with pytest.raises(TypeError, match="keep must be a bool mask"):
        apply("FusedDenseReluDropout", [x, tf.zeros([4, 3]), tf.zeros([2, 3]), 0.5], {})
    with pytest.raises(ValueError, match="2-D dy and y of one shape"):
        apply("FusedDenseReluGrad", [tf.zeros([2, 3]), tf.zeros([2, 4])], {})


@pytest.fixture
def floatx():
    """Sets Keras's default float type for one test."""
    before = keras.backend.floatx()
    yield keras.backend.set_floatx
    keras.backend.set_floatx(before)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_keras_mlp_training_with_and_without_fusion_agree(dtype, floatx, monkeypatch):
    floatx(dtype)
    x = rng.random((96, 20)).astype(dtype)
    y = rng.integers(0, 4, 96)
    weights = []
    for fuse in (True, False):
        monkeypatch.setenv("TENSORLET_DISABLE_PASSES", "" if fuse else "fuse")
        keras.backend.clear_session(free_memory=False)
        keras.utils.set_random_seed(1)
        model = keras.Sequential([
            keras.Input((20,)), keras.layers.Dense(16, activation="relu"),
            keras.layers.Dropout(0.5, seed=4),
            keras.layers.Dense(12, activation="relu", use_bias=False),
            keras.layers.Dense(4, activation="softmax")])
        model.compile(optimizer="adam",
                      loss=keras.losses.SparseCategoricalCrossentropy(dtype=dtype))
        model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
        types = _plan_types(keras.backend.get_session())
        weights.append(model.get_weights() + [model.predict(x, verbose=0)])
        if fuse:
            assert {"FusedDenseReluDropout", "FusedDenseReluGrad", "FusedDense"} <= types
            assert not types & (UNFUSED | {"Softmax"})  # the loss reads the logits only
    tol = 1e-5 if dtype == "float32" else 1e-12
    for a, e in zip(*weights):
        assert a.dtype == e.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a, e, rtol=tol, atol=tol)


@pytest.mark.parametrize("name, act, labels", [
    ("sparse_categorical_crossentropy", tf.nn.softmax, np.array([0, 2, 1, 2])),
    ("categorical_crossentropy", tf.nn.softmax, np.eye(3)[[0, 2, 1, 2]]),
    ("binary_crossentropy", tf.sigmoid, np.array([[0.0, 1, 1], [1, 0, 0], [0, 0, 1], [1, 1, 0]]))])
def test_label_shape_check_does_not_compute_the_activation(name, act, labels):
    """The run-time label check reads the logits' shape (the activation's output has it), so a
    plan whose loss only needs the logits never computes the softmax or sigmoid."""
    logits = tf.placeholder(tf.float64, (None, 3))
    t = tf.placeholder(tf.as_dtype(labels.dtype), (None,) + labels.shape[1:])
    loss = keras.losses.get(name)(t, act(logits))
    lv = rng.standard_normal((4, 3))
    with tf.Session() as sess:
        got = sess.run(loss, {t: labels, logits: lv})
        assert not _plan_types(sess) & {"Softmax", "Sigmoid"}
        with pytest.raises(InvalidArgumentError,
                           match=rf"{name}: y_true shape \(1,.*\) does not match y_pred shape "
                                 r"\(4, 3\)"):
            sess.run(loss, {t: labels[:1], logits: lv})
    p = np.exp(lv) / np.exp(lv).sum(1, keepdims=True)
    if name == "binary_crossentropy":
        expected = np.mean(np.logaddexp(0, lv) - labels * lv, axis=1)
    else:
        expected = -np.log((p * (labels if labels.ndim == 2 else np.eye(3)[labels])).sum(1))
    np.testing.assert_allclose(got, expected, rtol=1e-6)
