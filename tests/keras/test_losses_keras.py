"""keras.losses: every loss against NumPy float64, from_logits, label smoothing, reductions,
the sample-weight rule, THE SHAPE RULE (issue 9) for every loss, classes, configs, errors."""
import warnings

import numpy as np
import pytest
from helpers_numeric import numeric_grad

import tensorlet as tf
from tensorlet.keras import backend, losses

EPS = 1e-7
rng = np.random.default_rng(0)
N, C = 4, 3
PROBS = rng.uniform(0.05, 0.95, (N, C))
PROBS_N = PROBS / PROBS.sum(-1, keepdims=True)
BINARY = rng.integers(0, 2, (N, C)).astype(np.float64)
LABELS = np.array([0, 2, 1, 2])
ONE_HOT = np.eye(C)[LABELS]
Y = rng.standard_normal((N, C))
YP = rng.standard_normal((N, C))
POS = rng.uniform(0.5, 3.0, (N, C))
POS_P = rng.uniform(0.5, 3.0, (N, C))
LOGITS = rng.standard_normal((N, C)) * 3


def run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def _clip(p):
    return np.clip(p, EPS, 1 - EPS)


def _log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def np_bce(t, p):
    p = _clip(p)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def np_bfce(t, p, gamma=2.0, alpha=None):
    p_t = t * p + (1 - t) * (1 - p)
    out = (1 - p_t) ** gamma * np_bce(t, p)
    if alpha is not None:
        out = (t * alpha + (1 - t) * (1 - alpha)) * out
    return out.mean(-1)


def np_cce(t, p):
    return -(t * np.log(_clip(p / p.sum(-1, keepdims=True)))).sum(-1)


def np_scce(labels, p):
    logp = np.log(_clip(p))
    return -np.take_along_axis(_log_softmax(logp), labels[:, None], -1)[:, 0]


def np_hinge_labels(t):
    return 2 * t - 1 if np.isin(t, [0, 1]).all() else t


def _unit(x):
    return x / np.sqrt(np.maximum((x * x).sum(-1, keepdims=True), EPS ** 2))


def np_huber(t, p, d=1.0):
    e = np.abs(p - t)
    return np.where(e <= d, 0.5 * e * e, d * e - 0.5 * d * d).mean(-1)


# name: (y_true, y_pred, NumPy float64 reference of the per-sample values)
CASES = {
    "mean_squared_error": (Y, YP, lambda t, p: ((t - p) ** 2).mean(-1)),
    "mean_absolute_error": (Y, YP, lambda t, p: np.abs(t - p).mean(-1)),
    "mean_absolute_percentage_error": (
        Y, YP, lambda t, p: 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(-1)),
    "mean_squared_logarithmic_error": (
        POS, YP, lambda t, p: ((np.log(np.maximum(p, EPS) + 1)
                                - np.log(np.maximum(t, EPS) + 1)) ** 2).mean(-1)),
    "cosine_similarity": (Y, YP, lambda t, p: -(_unit(t) * _unit(p)).sum(-1)),
    "huber": (Y, YP * 2, np_huber),
    "log_cosh": (Y, YP * 3, lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
    "hinge": (BINARY, YP, lambda t, p: np.maximum(1 - np_hinge_labels(t) * p, 0).mean(-1)),
    "squared_hinge": (BINARY, YP,
                      lambda t, p: (np.maximum(1 - np_hinge_labels(t) * p, 0) ** 2).mean(-1)),
    "categorical_hinge": (ONE_HOT, YP, lambda t, p: np.maximum(
        ((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)),
    "kl_divergence": (PROBS_N, PROBS[::-1] / PROBS[::-1].sum(-1, keepdims=True),
                      lambda t, p: (np.clip(t, EPS, 1) * np.log(
                          np.clip(t, EPS, 1) / np.clip(p, EPS, 1))).sum(-1)),
    "poisson": (POS, POS_P, lambda t, p: (p - t * np.log(p + EPS)).mean(-1)),
    "binary_crossentropy": (BINARY, PROBS, lambda t, p: np_bce(t, p).mean(-1)),
    "binary_focal_crossentropy": (BINARY, PROBS, np_bfce),
    "categorical_crossentropy": (ONE_HOT, PROBS, np_cce),
    "sparse_categorical_crossentropy": (LABELS, PROBS_N, np_scce),
}
DENSE = sorted(n for n in CASES if n != "sparse_categorical_crossentropy")


def test_every_loss_function_has_a_case():
    assert {f.__name__ for f in losses.functions.FUNCTIONS} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_numpy_float64(name):
    y_true, y_pred, reference = CASES[name]
    fn = losses.get(name)
    out = run(fn(y_true, y_pred))
    assert out.dtype == np.float64 and out.shape == (N,)
    np.testing.assert_allclose(out, reference(y_true, y_pred), rtol=1e-10, atol=1e-12)
    out32 = run(fn(y_true, y_pred.astype(np.float32)))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, reference(y_true, y_pred), rtol=2e-5, atol=2e-6)


def test_keras_documented_values():
    y_true = [[0, 1, 0], [0, 0, 1]]
    y_pred = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
    np.testing.assert_allclose(run(losses.categorical_crossentropy(y_true, y_pred)),
                               [0.0513, 2.303], atol=1e-3)
    assert np.isclose(run(losses.SparseCategoricalCrossentropy()([1, 2], y_pred)), 1.177,
                      atol=1e-3)
    assert np.isclose(run(losses.SparseCategoricalCrossentropy()(
        [1, 2], y_pred, sample_weight=np.array([0.3, 0.7]))), 0.814, atol=1e-3)
    assert np.isclose(run(losses.SparseCategoricalCrossentropy(reduction="sum")(
        [1, 2], y_pred)), 2.354, atol=1e-3)
    b_true, b_pred = [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]
    np.testing.assert_allclose(run(losses.binary_crossentropy(b_true, b_pred)),
                               [0.916, 0.714], atol=1e-3)
    np.testing.assert_allclose(run(losses.binary_focal_crossentropy(b_true, b_pred)),
                               [0.330, 0.206], atol=1e-3)
    assert np.isclose(run(losses.Huber()(b_true, b_pred)), 0.155, atol=1e-3)
    assert np.isclose(run(losses.LogCosh()([[0., 1.], [0., 0.]], [[1., 1.], [0., 0.]])),
                      0.108, atol=1e-3)
    np.testing.assert_allclose(
        run(losses.cosine_similarity([[0., 1.], [1., 1.], [1., 1.]],
                                     [[1., 0.], [1., 1.], [-1., -1.]])), [0, -1, 1], atol=1e-6)


def test_from_logits():
    sig = 1 / (1 + np.exp(-LOGITS))
    np.testing.assert_allclose(
        run(losses.binary_crossentropy(BINARY, LOGITS, from_logits=True)),
        (np.maximum(LOGITS, 0) - LOGITS * BINARY + np.log1p(np.exp(-np.abs(LOGITS)))).mean(-1),
        rtol=1e-10)
    np.testing.assert_allclose(
        run(losses.categorical_crossentropy(ONE_HOT, LOGITS, from_logits=True)),
        -(ONE_HOT * _log_softmax(LOGITS)).sum(-1), rtol=1e-10)
    np.testing.assert_allclose(
        run(losses.sparse_categorical_crossentropy(LABELS, LOGITS, from_logits=True)),
        -np.take_along_axis(_log_softmax(LOGITS), LABELS[:, None], -1)[:, 0], rtol=1e-10)
    np.testing.assert_allclose(
        run(losses.binary_focal_crossentropy(BINARY, LOGITS, from_logits=True, gamma=1.5,
                                             apply_class_balancing=True, alpha=0.3)),
        np_bfce(BINARY, sig, 1.5, 0.3), rtol=1e-9)


def test_softmax_and_sigmoid_outputs_use_their_logits():
    """As Keras on TensorFlow: a probability from a Softmax/Sigmoid op is traced to its logits
    (exact loss beyond the 1e-7 clip, and a gradient that does not vanish)."""
    logits = np.array([[100.0, 0.0, -100.0]])
    ph = tf.placeholder(tf.float64, [None, 3])
    loss = losses.categorical_crossentropy([[0, 0, 1]], tf.nn.softmax(ph))
    sparse = losses.sparse_categorical_crossentropy([2], tf.nn.softmax(ph))
    (g,) = tf.gradients(loss, [ph])
    lv, sv, gv = run([loss, sparse, g], {ph: logits})
    np.testing.assert_allclose(lv, [200.0])
    np.testing.assert_allclose(sv, [200.0])
    np.testing.assert_allclose(gv, [[1.0, 0.0, -1.0]], atol=1e-12)
    x = tf.placeholder(tf.float64, [None, 1])
    bce = losses.binary_crossentropy([[1.0]], tf.sigmoid(x))
    np.testing.assert_allclose(run(bce, {x: [[-50.0]]}), [50.0])
    with pytest.warns(UserWarning, match="does not represent logits"):
        losses.categorical_crossentropy([[0, 0, 1]], tf.nn.softmax(ph), from_logits=True)


def test_probabilities_are_clipped_and_renormalised():
    y_true = [[0.0, 1.0]]
    np.testing.assert_allclose(run(losses.binary_crossentropy(y_true, [[0.0, 0.0]])),
                               [-(np.log(1 - EPS) + np.log(EPS)) / 2], rtol=1e-6)
    doubled = run(losses.categorical_crossentropy(ONE_HOT, 2 * PROBS_N))
    np.testing.assert_allclose(doubled, np_cce(ONE_HOT, PROBS_N), rtol=1e-10)


def test_label_smoothing():
    ls = 0.2
    np.testing.assert_allclose(
        run(losses.binary_crossentropy(BINARY, PROBS, label_smoothing=ls)),
        np_bce(BINARY * (1 - ls) + 0.5 * ls, PROBS).mean(-1), rtol=1e-10)
    np.testing.assert_allclose(
        run(losses.categorical_crossentropy(ONE_HOT, PROBS, label_smoothing=ls)),
        np_cce(ONE_HOT * (1 - ls) + ls / C, PROBS), rtol=1e-10)
    ph = tf.placeholder(tf.float64, [None, None])  # class count known only at run time
    out = losses.categorical_crossentropy(ONE_HOT, ph, label_smoothing=ls)
    np.testing.assert_allclose(run(out, {ph: PROBS}), np_cce(ONE_HOT * (1 - ls) + ls / C, PROBS),
                               rtol=1e-10)


def test_ignore_class():
    labels = np.array([0, 2, -1, 2])
    per = run(losses.sparse_categorical_crossentropy(labels, PROBS_N, ignore_class=-1))
    expected = np_scce(np.where(labels < 0, 0, labels), PROBS_N)
    np.testing.assert_allclose(per, np.where(labels < 0, 0, expected), rtol=1e-10)
    mean = run(losses.SparseCategoricalCrossentropy(ignore_class=-1)(labels, PROBS_N))
    assert np.isclose(mean, expected[labels >= 0].mean())


# -- reductions and sample weights -------------------------------------------------------------


def test_reductions():
    per = ((Y - YP) ** 2).mean(-1)
    for reduction, expected in [("sum_over_batch_size", per.mean()), ("mean", per.mean()),
                                ("sum", per.sum()), ("none", per), (None, per)]:
        out = run(losses.MeanSquaredError(reduction=reduction)(Y, YP))
        assert out.dtype == np.float32  # Loss objects compute in their dtype (floatx)
        np.testing.assert_allclose(out, expected, rtol=1e-6)
    w = np.array([0.5, 2.0, 0.0, 1.0])
    out = run(losses.MeanSquaredError(reduction="mean_with_sample_weight")(Y, YP, w))
    assert np.isclose(out, (per * w).sum() / w.sum())


def test_sample_weight_rule_divides_by_the_batch_size():
    """SEMANTICS.md: sum(w * l) / batch_size, not divided by the sum of the weights."""
    per = np_cce(ONE_HOT, PROBS)
    w = np.array([0.5, 2.0, 0.0, 1.0])
    loss = losses.CategoricalCrossentropy()
    assert np.isclose(run(loss(ONE_HOT, PROBS, sample_weight=w)), (w * per).sum() / N)
    assert np.isclose(run(loss(ONE_HOT, PROBS, sample_weight=w[:, None])), (w * per).sum() / N)
    assert np.isclose(run(loss(ONE_HOT, PROBS, sample_weight=3.0)), 3 * per.mean())
    per_step = run(losses.MeanSquaredError(reduction="none")(
        Y[:, :, None], YP[:, :, None]))  # (N, C): one value per time step
    out = run(losses.MeanSquaredError()(Y[:, :, None], YP[:, :, None], sample_weight=w))
    assert np.isclose(out, (per_step * w[:, None]).sum() / per_step.size)


def test_sample_weight_of_the_wrong_shape_raises():
    with pytest.raises(ValueError, match=r"sample_weight of shape \(None, 2\) does not fit"):
        losses.MeanSquaredError()(Y, YP, sample_weight=np.ones((N, 2)))
    with pytest.raises(ValueError, match="does not fit"):
        losses.MeanSquaredError()(Y, YP, sample_weight=np.ones(N + 1))


def test_loss_is_built_in_the_graph_of_its_tensors():
    g = backend.get_graph()
    with g.as_default():
        pred = tf.placeholder(tf.float32, [None, C])
    out = losses.CategoricalCrossentropy()(ONE_HOT, pred)  # NumPy labels, Keras-graph preds
    assert out.graph is g
    value = backend.run(out, {pred: PROBS})
    assert np.isclose(value, np_cce(ONE_HOT, PROBS).mean(), rtol=1e-6)


# -- THE SHAPE RULE ----------------------------------------------------------------------------


def _column_case(name):
    """(y_true with a trailing axis of 1, y_pred with one too) for every loss."""
    y_true, y_pred, _ = CASES[name]
    if name == "sparse_categorical_crossentropy":
        return y_true[:, None], y_pred
    return y_true[:, :1], y_pred[:, :1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_n_against_n1_is_never_broadcast(name):
    y_true, y_pred = _column_case(name)
    fn = losses.get(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # cce with one class warns, as Keras
        base = run(fn(y_true, y_pred))
        assert base.shape == (N,)
        np.testing.assert_allclose(run(fn(y_true[:, 0], y_pred)), base, rtol=1e-12)
        if name != "sparse_categorical_crossentropy":
            np.testing.assert_allclose(run(fn(y_true, y_pred[:, 0])), base, rtol=1e-12)
            cls_value = run(losses.LossFunctionWrapper(fn)(y_true[:, 0], y_pred))
            assert np.isclose(cls_value, base.mean())


@pytest.mark.parametrize("name", DENSE)
def test_sparse_labels_given_to_a_dense_loss_raise_naming_both_shapes(name):
    fn = losses.get(name)
    for labels in (LABELS, LABELS[:, None]):
        with pytest.raises(ValueError) as e:
            fn(labels, PROBS)
        msg = str(e.value)
        assert name in msg and "(None, 3)" in msg
        assert f"y_true shape {'(None,)' if labels.ndim == 1 else '(None, 1)'}" in msg
        assert "labels look sparse" in msg and "sparse_categorical_crossentropy" in msg


def test_one_hot_labels_given_to_the_sparse_loss_raise():
    for fn in (losses.sparse_categorical_crossentropy, losses.SparseCategoricalCrossentropy()):
        with pytest.raises(ValueError, match=r"y_true shape \(None, 3\) and y_pred shape "
                                             r"\(None, 3\) are incompatible: the labels look "
                                             r"one-hot.*categorical_crossentropy"):
            fn(ONE_HOT, PROBS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_other_mismatches_raise_naming_both_shapes(name):
    fn = losses.get(name)
    with pytest.raises(ValueError, match=r"different numbers of samples \(4 vs 3\)"):
        fn(CASES[name][0], CASES[name][1][:3])
    with pytest.raises(ValueError, match="y_true shape"):
        fn(np.zeros((N, 2, 5)), PROBS)


@pytest.mark.parametrize("name", ["mean_squared_error", "binary_crossentropy",
                                  "categorical_crossentropy", "sparse_categorical_crossentropy",
                                  "hinge"])
def test_unknown_batch_sizes_are_checked_when_run(name):
    y_true, y_pred, _ = CASES[name]
    t = tf.placeholder(tf.as_dtype(y_true.dtype), [None] + list(y_true.shape[1:]))
    p = tf.placeholder(tf.float64, [None, C])
    out = losses.get(name)(t, p)
    np.testing.assert_allclose(run(out, {t: y_true, p: y_pred}),
                               CASES[name][2](y_true, y_pred), rtol=1e-10)
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        run(out, {t: y_true[:1], p: y_pred})
    shape = "(1,)" if name == "sparse_categorical_crossentropy" else "(1, 3)"
    assert f"{name}: y_true shape {shape} does not match y_pred shape (4, 3)" in str(e.value)


def test_the_run_time_check_passes_gradients_to_y_true():
    """Losses between two model outputs (distillation) train both: y_true keeps its gradient."""
    a = tf.placeholder(tf.float64, [None, 3])
    b = tf.placeholder(tf.float64, [None, 3])
    ga, gb = tf.gradients(losses.MeanSquaredError()(a, b), [a, b])
    va, vb = run([ga, gb], {a: Y, b: YP})
    np.testing.assert_allclose(va, 2 * (Y - YP) / Y.size, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(vb, -va, rtol=1e-5, atol=1e-7)


def test_the_check_op_gradient():
    from gradcheck import check_op
    from tensorlet.framework.registry import op_def
    for arrays, attrs in op_def("CheckShapesMatch").samples():
        check_op("CheckShapesMatch", arrays, attrs)


def test_unknown_weight_sizes_are_checked_when_run():
    w = tf.placeholder(tf.float64, [None])
    out = losses.MeanSquaredError()(Y, YP, sample_weight=w)
    assert np.isclose(run(out, {w: np.ones(N)}), ((Y - YP) ** 2).mean(-1).mean())
    assert np.isclose(run(out, {w: [2.0]}), 2 * ((Y - YP) ** 2).mean(-1).mean())  # one weight
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"does not fit.*run-time shapes: \(3,\) and \(4,\)"):
        run(out, {w: np.ones(3)})


def test_unknown_ranks_are_refused_at_build_time():
    with pytest.raises(ValueError, match="both ranks must be known"):
        losses.mean_squared_error(tf.placeholder(tf.float32), Y)


# -- classes, configs, get ----------------------------------------------------------------------


CLASS_DEFAULTS = {
    losses.MeanSquaredError: ("mean_squared_error", {}),
    losses.MeanAbsoluteError: ("mean_absolute_error", {}),
    losses.MeanAbsolutePercentageError: ("mean_absolute_percentage_error", {}),
    losses.MeanSquaredLogarithmicError: ("mean_squared_logarithmic_error", {}),
    losses.CosineSimilarity: ("cosine_similarity", {"axis": -1}),
    losses.Huber: ("huber_loss", {"delta": 1.0}),
    losses.LogCosh: ("log_cosh", {}),
    losses.Hinge: ("hinge", {}),
    losses.SquaredHinge: ("squared_hinge", {}),
    losses.CategoricalHinge: ("categorical_hinge", {}),
    losses.KLDivergence: ("kl_divergence", {}),
    losses.Poisson: ("poisson", {}),
    losses.BinaryCrossentropy: ("binary_crossentropy", {"from_logits": False,
                                                        "label_smoothing": 0.0, "axis": -1}),
    losses.BinaryFocalCrossentropy: ("binary_focal_crossentropy", {
        "apply_class_balancing": False, "alpha": 0.25, "gamma": 2.0, "from_logits": False,
        "label_smoothing": 0.0, "axis": -1}),
    losses.CategoricalCrossentropy: ("categorical_crossentropy", {
        "from_logits": False, "label_smoothing": 0.0, "axis": -1}),
    losses.SparseCategoricalCrossentropy: ("sparse_categorical_crossentropy", {
        "from_logits": False, "ignore_class": None}),
}


@pytest.mark.parametrize("cls", list(CLASS_DEFAULTS), ids=lambda c: c.__name__)
def test_class_defaults_config_round_trip_and_value(cls):
    name, extra = CLASS_DEFAULTS[cls]
    loss = cls()
    config = loss.get_config()
    assert config == {"name": name, "reduction": "sum_over_batch_size", **extra}
    again = losses.deserialize(losses.serialize(loss))
    assert type(again) is cls and again.get_config() == config
    y_true, y_pred, reference = CASES[loss.fn.__name__]
    assert np.isclose(run(loss(y_true, y_pred)), reference(y_true, y_pred).mean(), rtol=1e-6)


def test_get_names_aliases_and_errors():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("MSE") is losses.mean_squared_error
    assert losses.get("mae") is losses.MAE is losses.mean_absolute_error
    assert losses.get("kld") is losses.kl_divergence
    assert losses.mape is losses.mean_absolute_percentage_error
    assert losses.msle is losses.mean_squared_logarithmic_error
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    loss = losses.get({"class_name": "BinaryCrossentropy", "config": {"from_logits": True}})
    assert loss.from_logits is True
    assert losses.get(None) is None
    with pytest.raises(ValueError, match="Unknown loss identifier 'mean_square_error'") as e:
        losses.get("mean_square_error")
    assert "mean_squared_error" in str(e.value)
    with pytest.raises(ValueError, match="Invalid value for argument `reduction`"):
        losses.MeanSquaredError(reduction="avg")
    wrapped = losses.LossFunctionWrapper(losses.huber, delta=0.5)
    again = losses.LossFunctionWrapper.from_config(wrapped.get_config())
    assert again.fn is losses.huber and again.get_config() == wrapped.get_config()


def test_bad_arguments():
    with pytest.raises(ValueError, match="`axis` must be an int"):
        losses.categorical_crossentropy(ONE_HOT, PROBS, axis=True)
    with pytest.raises(ValueError, match="only axis=-1"):
        losses.sparse_categorical_crossentropy(LABELS, PROBS, axis=0)
    with pytest.raises(TypeError, match="integer class ids"):
        losses.sparse_categorical_crossentropy(np.array(["a", "b", "c", "d"]), PROBS)


@pytest.mark.parametrize("name", ["categorical_crossentropy", "binary_crossentropy", "huber",
                                  "log_cosh", "kl_divergence", "binary_focal_crossentropy",
                                  "sparse_categorical_crossentropy", "cosine_similarity"])
def test_gradients_match_numeric(name):
    y_true, y_pred, reference = CASES[name]
    ph = tf.placeholder(tf.float64, y_pred.shape)
    loss = losses.get(name)(y_true, ph)
    (g,) = tf.gradients(tf.reduce_sum(loss), [ph])
    expected = numeric_grad(lambda p: reference(y_true, p).sum(), y_pred)
    np.testing.assert_allclose(run(g, {ph: y_pred}), expected, rtol=1e-5, atol=1e-7)


def test_loss_dtype_defaults_to_floatx_at_construction():
    """Keras 3: a loss built under set_floatx('float64') computes in float64 (so the logits
    path of a softmax output survives); an explicit dtype wins."""
    from tensorlet import keras
    old = keras.backend.floatx()
    try:
        keras.backend.set_floatx("float64")
        loss = keras.losses.SparseCategoricalCrossentropy()
        assert loss.dtype == "float64"
        assert keras.losses.MeanSquaredError(dtype="float32").dtype == "float32"
    finally:
        keras.backend.set_floatx(old)
    assert keras.losses.SparseCategoricalCrossentropy().dtype == old
