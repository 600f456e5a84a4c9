"""The conv + bias + relu + max-pool fusion: plans with and without the pass (and with and
without numba) give the same outputs and gradients over a grid of geometries; the pass fires
where it should (training and inference plans, first and inner layers) and not where it must
not (NCHW, SAME or overlapping pooling, grouped convolutions, intermediates read elsewhere)."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras

rng = np.random.default_rng(11)
FUSED = {"PoolOrderedPatches", "PatchConvBiasReluMaxPool", "PatchConvBiasReluMaxPoolGrad",
         "PoolOrderedPatchesGrad"}


def _plan_types(sess):
    return {step[5].type for plan in sess._plans.values() for step in plan.steps}


def _run(fetches, feeds, monkeypatch, fuse=True, numba=True):
    monkeypatch.setenv("TENSORLET_DISABLE_PASSES", "" if fuse else "fuse")
    monkeypatch.setenv("TENSORLET_DISABLE_NUMBA", "" if numba else "1")
    with tf.Session() as sess:
        out = sess.run(fetches, feeds)
        return out, _plan_types(sess)


def _chain(x, w, b, conv_kw, pool, data_format="NHWC", pool_padding="VALID", strides=None):
    y = tf.nn.conv2d(x, w, data_format=data_format, **conv_kw)
    y = tf.nn.relu(tf.nn.bias_add(y, b, data_format=data_format))
    return tf.nn.max_pool(y, pool, strides or pool, pool_padding, data_format=data_format)


CASES = [  # (x NHWC, filter, conv kwargs, pool)
    ((4, 12, 12, 1), (3, 3, 1, 8), {"strides": 1, "padding": "VALID"}, 2),
    ((3, 11, 9, 3), (3, 3, 3, 4), {"strides": 1, "padding": "VALID"}, 2),  # drops a row/col
    ((2, 9, 10, 2), (2, 3, 2, 5), {"strides": [1, 2], "padding": "SAME"}, [2, 1]),
    ((2, 13, 13, 2), (3, 3, 2, 3), {"strides": 1, "padding": "SAME", "dilations": 2}, 3),
    ((2, 8, 8, 3), (1, 1, 3, 4), {"strides": 1, "padding": [[0, 0], [1, 0], [0, 1], [0, 0]]},
     2),
    ((2, 9, 9, 8), (3, 3, 8, 4), {"strides": 1, "padding": "SAME", "dilations": [1, 2]}, 2),
    ((2, 10, 11, 9), (2, 2, 9, 3), {"strides": 2, "padding": "VALID"}, 2),  # 8+ channels
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("numba", [True, False])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_fused_training_matches_unfused(case, numba, dtype, monkeypatch):
    xs, fs, kw, pool = CASES[case]
    x = tf.placeholder(dtype, xs)
    w = tf.placeholder(dtype, fs)
    b = tf.placeholder(dtype, fs[3:])
    y = _chain(x, w, b, kw, pool)
    r = rng.standard_normal(y.shape.as_list()).astype(dtype)
    grads = tf.gradients(tf.reduce_sum(y * r), [x, w, b])
    feeds = {x: rng.standard_normal(xs).astype(dtype), w: rng.standard_normal(fs).astype(dtype),
             b: (rng.standard_normal(fs[3]) * 0.3).astype(dtype)}
    ref, types = _run([y] + grads, feeds, monkeypatch, fuse=False)
    assert not types & FUSED
    got, types = _run([y] + grads, feeds, monkeypatch, numba=numba)
    assert FUSED <= types and "Conv2D" not in types and "MaxPoolGrad" not in types
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for name, a, e in zip(["y", "dx", "dw", "db"], got, ref):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, e, rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("numba", [True, False])
def test_inference_plan_and_first_layer_without_input_gradient(numba, monkeypatch):
    monkeypatch.setenv("TENSORLET_DISABLE_NUMBA", "" if numba else "1")
    x = tf.placeholder(tf.float32, (None, 10, 10, 2))
    w = tf.Variable(rng.standard_normal((3, 3, 2, 4)).astype(np.float32))
    b = tf.Variable(np.zeros(4, np.float32))
    y = _chain(x, w, b, {"strides": 1, "padding": "VALID"}, 2)
    gw, gb = tf.gradients(tf.reduce_sum(y), [w, b])
    xv = rng.standard_normal((3, 10, 10, 2)).astype(np.float32)
    init = tf.global_variables_initializer()

    def run(fuse):
        monkeypatch.setenv("TENSORLET_DISABLE_PASSES", "" if fuse else "fuse")
        with tf.Session() as sess:
            sess.run(init)
            yv = sess.run(y, {x: xv})
            inference = _plan_types(sess)
            return yv, sess.run([gw, gb], {x: xv}), inference, _plan_types(sess)

    ref_y, ref_g, _, _ = run(False)
    yv, gv, inference, types = run(True)
    assert "PatchConvBiasReluMaxPool" in inference
    assert "PatchConvBiasReluMaxPoolGrad" not in inference
    assert "PatchConvBiasReluMaxPoolGrad" in types
    assert "PoolOrderedPatchesGrad" not in types  # no input gradient was asked for
    np.testing.assert_allclose(yv, ref_y, rtol=1e-5, atol=1e-5)
    for a, e in zip(gv, ref_g):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("variant", ["NCHW", "SAME pool", "overlapping pool", "groups",
                                     "relu fetched", "leaky relu"])
def test_not_fused_where_the_pattern_does_not_hold(variant, monkeypatch):
    c_in = 4 if variant == "groups" else 2
    fmt = "NCHW" if variant == "NCHW" else "NHWC"
    xs = (2, c_in, 8, 8) if fmt == "NCHW" else (2, 8, 8, c_in)
    x = tf.placeholder(tf.float64, xs)
    w = tf.constant(rng.standard_normal((3, 3, 2, 4)))
    b = tf.constant(rng.standard_normal(4))
    conv = tf.nn.bias_add(tf.nn.conv2d(x, w, 1, "VALID", data_format=fmt), b, data_format=fmt)
    act = tf.nn.leaky_relu(conv) if variant == "leaky relu" else tf.nn.relu(conv)
    pool_pad = "SAME" if variant == "SAME pool" else "VALID"
    strides = 2 if variant == "overlapping pool" else None
    y = tf.nn.max_pool(act, 3 if strides else 2, strides or 2, pool_pad, data_format=fmt)
    fetches = [y, tf.gradients(tf.reduce_sum(y), x)[0]]
    if variant == "relu fetched":
        fetches.append(act)
    _, types = _run(fetches, {x: rng.standard_normal(xs)}, monkeypatch)
    assert not types & FUSED


def test_keras_training_with_and_without_fusion_agree(monkeypatch):
    x = rng.random((64, 12, 12, 1), dtype=np.float32)
    y = rng.integers(0, 3, 64)
    losses = []
    for fuse in (True, False):
        monkeypatch.setenv("TENSORLET_DISABLE_PASSES", "" if fuse else "fuse")
        keras.backend.clear_session()
        keras.utils.set_random_seed(1)
        model = keras.Sequential([
            keras.Input((12, 12, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.MaxPooling2D(), keras.layers.Conv2D(6, 3, activation="relu"),
            keras.layers.MaxPooling2D(), keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        hist = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
        losses.append(hist.history["loss"])
        if fuse:
            assert FUSED <= _plan_types(keras.backend.get_session())
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)
