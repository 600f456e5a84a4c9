"""The conv + bias + relu + max-pool fusion: plans with and without the pass (and with and
without numba) give the same outputs and gradients over a grid of geometries; the pass fires
where it should (training and inference plans, first and inner layers; the direct ops for
9-tap first layers with numba) and not where it must not (NCHW, SAME or overlapping pooling,
grouped convolutions, intermediates read elsewhere)."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras

rng = np.random.default_rng(11)
FUSED = {"PoolOrderedPatches", "PatchConvBiasReluMaxPool", "PatchConvBiasReluMaxPoolGrad"}
DIRECT = {"ConvBiasReluMaxPool", "ConvBiasReluMaxPoolFilterGrad"}
UNFUSED = {"Conv2D", "MaxPool", "MaxPoolGrad", "Conv2DBackpropInput", "Conv2DBackpropFilter"}


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


# 9 filter taps (kh * kw * C) under 4-element pooling windows: the direct ops when the input
# gradient is not wanted (a network's first layer) and numba is there.
DIRECT_CASES = [
    ((3, 10, 10, 1), (3, 3, 1, 5), {"strides": 1, "padding": "VALID"}, 2),
    ((2, 9, 12, 3), (1, 3, 3, 4), {"strides": 1, "padding": "SAME"}, [1, 4]),
    ((2, 11, 9, 1), (3, 3, 1, 6), {"strides": [2, 1], "dilations": [1, 2],
                                   "padding": [[0, 0], [1, 0], [0, 2], [0, 0]]}, 2),
    ((2, 8, 7, 9), (1, 1, 9, 3), {"strides": 1, "padding": "VALID"}, [4, 1]),
]


def _training(xs, fs, kw, pool, dtype, wrt_x=True):
    """(fetches: y and the gradients of sum(y * r), feeds) for a placeholder chain."""
    x = tf.placeholder(dtype, xs)
    w = tf.placeholder(dtype, fs)
    b = tf.placeholder(dtype, fs[3:])
    y = _chain(x, w, b, kw, pool)
    r = rng.standard_normal(y.shape.as_list()).astype(dtype)
    grads = tf.gradients(tf.reduce_sum(y * r), [x, w, b] if wrt_x else [w, b])
    feeds = {x: rng.standard_normal(xs).astype(dtype), w: rng.standard_normal(fs).astype(dtype),
             b: (rng.standard_normal(fs[3]) * 0.3).astype(dtype)}
    return [y] + grads, feeds


def _assert_close(got, ref, dtype, names):
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for name, a, e in zip(names, got, ref):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, e, rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("numba", [True, False])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_fused_training_matches_unfused(case, numba, dtype, monkeypatch):
    fetches, feeds = _training(*CASES[case], dtype)
    ref, types = _run(fetches, feeds, monkeypatch, fuse=False)
    assert not types & (FUSED | DIRECT)
    got, types = _run(fetches, feeds, monkeypatch, numba=numba)
    assert FUSED <= types and not types & (UNFUSED | DIRECT)  # dx wanted: the patch ops
    _assert_close(got, ref, dtype, ["y", "dx", "dw", "db"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("numba", [True, False])
@pytest.mark.parametrize("case", range(len(DIRECT_CASES)))
def test_first_layer_training_matches_unfused(case, numba, dtype, monkeypatch):
    fetches, feeds = _training(*DIRECT_CASES[case], dtype, wrt_x=False)
    ref, _ = _run(fetches, feeds, monkeypatch, fuse=False)
    got, types = _run(fetches, feeds, monkeypatch, numba=numba)
    assert not types & UNFUSED
    assert (DIRECT <= types and not types & FUSED) if numba else FUSED <= types
    _assert_close(got, ref, dtype, ["y", "dw", "db"])


@pytest.mark.parametrize("numba", [True, False])
def test_direct_filter_gradient_matches_the_patch_kernels(numba, monkeypatch):
    """The direct filter gradient against the patch ops' kernels for any window maxima and a
    relu mask with zeros (not from the forward op), over the direct op's sample geometries."""
    from tensorlet.ops import conv_fused as cf
    monkeypatch.setenv("TENSORLET_DISABLE_NUMBA", "" if numba else "1")
    for xs, fs, conv_attrs, pool in cf._DIRECT_CASES:
        attrs = cf.fused_attrs(conv_attrs, fs[:2], pool)
        attrs.update(pooled_hw=cf._pooled(attrs, xs[1:3])[2], argmax=True)
        shape = (xs[0],) + attrs["pooled_hw"] + (fs[3],)
        xv, wv, dy = (rng.standard_normal(s).astype(np.float32) for s in (xs, fs, shape))
        yv = np.maximum(rng.standard_normal(shape), 0).astype(np.float32)
        idx = rng.integers(0, 4, shape).astype(np.uint8)
        got = cf._direct_filter_grad_kernel(attrs, xv, wv, yv, idx, dy)
        ref = cf._conv_pool_grad_kernel({**attrs, "cols_grad": False},
                                        cf._patches_kernel(attrs, xv), wv, yv, idx, dy)
        for a, e in zip(got, ref):
            assert a.shape == e.shape and a.dtype == np.float32
            np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("numba", [True, False])
def test_first_layer_inference_plan(numba, monkeypatch):
    xs, fs, kw, pool = DIRECT_CASES[0]
    x = tf.placeholder(tf.float32, (None,) + xs[1:])
    y = _chain(x, tf.constant(rng.standard_normal(fs).astype(np.float32)),
               tf.constant(np.full(fs[3], 0.1, np.float32)), kw, pool)
    feeds = {x: rng.standard_normal(xs).astype(np.float32)}
    ref, _ = _run(y, feeds, monkeypatch, fuse=False)
    got, types = _run(y, feeds, monkeypatch, numba=numba)
    assert ("ConvBiasReluMaxPool" if numba else "PatchConvBiasReluMaxPool") in types
    assert not types & (UNFUSED | {"ConvBiasReluMaxPoolFilterGrad"})
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


def test_direct_op_rejects_a_filter_of_other_channels():
    from tensorlet.ops import conv_fused
    attrs = conv_fused.fused_attrs({"strides": (1, 1), "padding": "VALID",
                                    "dilations": (1, 1)}, (3, 3), (2, 2))
    attrs.update(pooled_hw=(3, 3), argmax=False)
    x = tf.placeholder(tf.float32, (1, 8, 8, 1))
    with pytest.raises(ValueError, match=r"filter must be \(kh, kw, 1, out\)"):
        tf.get_default_graph().create_op(
            "ConvBiasReluMaxPool", [x, tf.zeros((3, 3, 2, 4)), tf.zeros(4)], attrs)


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
    assert not types & UNFUSED
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
    assert not types & (FUSED | DIRECT)


def test_keras_training_with_and_without_fusion_agree(monkeypatch):
    x = rng.random((64, 12, 12, 1), dtype=np.float32)
    y = rng.integers(0, 3, 64)
    losses = []
    for fuse in (True, False):
        monkeypatch.setenv("TENSORLET_DISABLE_PASSES", "" if fuse else "fuse")
        keras.backend.clear_session(free_memory=False)
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


@pytest.mark.parametrize("numba", [True, False])
@pytest.mark.parametrize("case", [CASES[0], CASES[1], CASES[6]], ids=["direct", "C3", "C9"])
def test_nan_in_the_input_reaches_the_output_as_unfused(case, numba, monkeypatch):
    """A NaN anywhere in a pooling window makes that output NaN (np.maximum's rule), on every
    kernel path, exactly where the unfused conv -> bias -> relu -> max-pool puts NaN."""
    xs, fs, kw, pool = case
    x = tf.placeholder(tf.float32, (None,) + xs[1:])
    y = _chain(x, tf.constant(rng.standard_normal(fs).astype(np.float32)),
               tf.constant(np.full(fs[3], -5.0, np.float32)), kw, pool)  # relu zeroes most
    feed = rng.standard_normal(xs).astype(np.float32)
    feed[0, 5, 6, 0] = np.nan
    feed[-1, 1, 1, -1] = np.nan
    ref, _ = _run(y, {x: feed}, monkeypatch, fuse=False)
    got, _ = _run(y, {x: feed}, monkeypatch, numba=numba)
    assert np.isnan(ref).any()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
