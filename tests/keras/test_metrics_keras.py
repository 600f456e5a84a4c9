"""keras.metrics: running results over several updates against NumPy, reset, the graph path
(update op, result after the update), AUC against independent computations, user subclasses,
THE SHAPE RULE for every metric, resolve_accuracy, get/configs/errors."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet.keras import backend, metrics

rng = np.random.default_rng(1)
BATCHES = 3
N, C = 6, 4


@pytest.fixture(autouse=True)
def _fresh_keras_graph():
    backend.clear_session(free_memory=False)
    yield


def batches(make):
    return [make(i) for i in range(BATCHES)]


def feed_all(metric, data):
    """Call the metric on every batch; return the running results it gave."""
    return [metric(*args, **kw) for args, kw in data]


def _softmaxish(shape):
    p = rng.uniform(0.01, 1.0, shape)
    return (p / p.sum(-1, keepdims=True)).astype(np.float32)


LABELS = [rng.integers(0, C, N) for _ in range(BATCHES)]
PROBS = [_softmaxish((N, C)) for _ in range(BATCHES)]
WEIGHTS = [rng.uniform(0, 2, N) for _ in range(BATCHES)]
BIN_TRUE = [rng.integers(0, 2, (N, 1)).astype(np.float32) for _ in range(BATCHES)]
BIN_PRED = [rng.uniform(0, 1, (N, 1)).astype(np.float32) for _ in range(BATCHES)]
REG_TRUE = [rng.standard_normal((N, 3)) for _ in range(BATCHES)]
REG_PRED = [rng.standard_normal((N, 3)) for _ in range(BATCHES)]


def _running_mean(values, weights=None):
    out, tot, cnt = [], 0.0, 0.0
    for i, v in enumerate(values):
        w = np.ones_like(v) if weights is None else weights[i]
        tot += float((v * w).sum())
        cnt += float(w.sum())
        out.append(tot / cnt)
    return out


def _topk_hits(labels, probs, k):
    higher = (probs > probs[np.arange(len(labels)), labels][:, None]).sum(-1)
    return (higher < k).astype(float)


# name: (metric factory, per-batch (y_true, y_pred), per-sample NumPy values)
CASES = {
    "accuracy": (metrics.Accuracy, lambda i: (LABELS[i][:, None], PROBS[i].argmax(-1)[:, None]),
                 lambda t, p: (t == p).astype(float)[:, 0]),
    "binary_accuracy": (metrics.BinaryAccuracy, lambda i: (BIN_TRUE[i], BIN_PRED[i]),
                        lambda t, p: (t == (p > 0.5)).astype(float)[:, 0]),
    "categorical_accuracy": (metrics.CategoricalAccuracy,
                             lambda i: (np.eye(C)[LABELS[i]], PROBS[i]),
                             lambda t, p: (t.argmax(-1) == p.argmax(-1)).astype(float)),
    "sparse_categorical_accuracy": (metrics.SparseCategoricalAccuracy,
                                    lambda i: (LABELS[i], PROBS[i]),
                                    lambda t, p: (t == p.argmax(-1)).astype(float)),
    "top_k_categorical_accuracy": (lambda: metrics.TopKCategoricalAccuracy(k=2),
                                   lambda i: (np.eye(C)[LABELS[i]], PROBS[i]),
                                   lambda t, p: _topk_hits(t.argmax(-1), p, 2)),
    "sparse_top_k_categorical_accuracy": (lambda: metrics.SparseTopKCategoricalAccuracy(k=2),
                                          lambda i: (LABELS[i], PROBS[i]),
                                          lambda t, p: _topk_hits(t, p, 2)),
    "mean_squared_error": (metrics.MeanSquaredError, lambda i: (REG_TRUE[i], REG_PRED[i]),
                           lambda t, p: ((t - p) ** 2).mean(-1)),
    "mean_absolute_error": (metrics.MeanAbsoluteError, lambda i: (REG_TRUE[i], REG_PRED[i]),
                            lambda t, p: np.abs(t - p).mean(-1)),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("weighted", [False, True])
def test_running_results_match_numpy(name, weighted):
    make, data, per_sample = CASES[name]
    m = make()
    assert m.name == name
    args = [data(i) for i in range(BATCHES)]
    kws = [{"sample_weight": WEIGHTS[i]} if weighted else {} for i in range(BATCHES)]
    got = feed_all(m, list(zip(args, kws)))
    expected = _running_mean([per_sample(*a) for a in args], WEIGHTS if weighted else None)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    np.testing.assert_allclose(backend.get_value(m.result()), expected[-1], rtol=1e-6)
    m.reset_state()
    assert backend.get_value(m.result()) == 0.0
    np.testing.assert_allclose(m(*args[0], **kws[0]), expected[0], rtol=1e-6)


def test_keras_documented_values():
    assert metrics.Accuracy()([[1], [2], [3], [4]], [[0], [2], [3], [4]]) == 0.75
    m = metrics.BinaryAccuracy()
    assert m([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]]) == 0.75
    m.reset_state()
    assert m([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], sample_weight=[1, 0, 0, 1]) == 0.5
    assert np.isclose(metrics.CategoricalAccuracy()(
        [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3]),
        0.3)
    assert metrics.SparseCategoricalAccuracy()([[2], [1]], [[0.1, 0.6, 0.3],
                                                             [0.05, 0.95, 0]]) == 0.5
    assert np.isclose(metrics.SparseTopKCategoricalAccuracy(k=1)(
        [2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3]), 0.3)
    assert np.isclose(metrics.Precision()([0, 1, 1, 1], [1, 0, 1, 1]), 2 / 3)
    assert metrics.Precision(top_k=2)([0, 0, 1, 1], [1, 1, 1, 1]) == 0.0
    assert metrics.Precision(top_k=4)([0, 0, 1, 1], [1, 1, 1, 1]) == 0.5
    m = metrics.AUC(num_thresholds=3)
    assert np.isclose(m([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]), 0.75)
    m.reset_state()
    assert np.isclose(m([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1]), 1.0)
    y_true = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], np.int32)
    y_pred = np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], np.float32)
    np.testing.assert_allclose(metrics.F1Score(threshold=0.5)(y_true, y_pred),
                               [0.5, 0.8, 0.6666667], rtol=1e-5)
    np.testing.assert_allclose(metrics.FBetaScore(beta=2.0, threshold=0.5)(y_true, y_pred),
                               [0.3846154, 0.90909094, 0.8333334], rtol=1e-5)


def test_mean_sum_rmse():
    m, s = metrics.Mean(), metrics.Sum()
    assert m([1, 3, 5, 7]) == 4.0
    assert np.isclose(m([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]), 20 / 6)
    assert s([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]) == 4.0
    assert s(np.ones((2, 3))) == 10.0
    r = metrics.RootMeanSquaredError()
    got = [r(t, p) for t, p in zip(REG_TRUE, REG_PRED)]
    expected = np.sqrt(_running_mean([((t - p) ** 2).mean(-1)
                                      for t, p in zip(REG_TRUE, REG_PRED)]))
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert metrics.Mean()(np.float32(2.5)) == 2.5
    with pytest.raises(ValueError, match="does not fit"):
        metrics.Mean()(np.ones(4), sample_weight=np.ones(3))


def _counts(y_true, y_pred, thresholds, weights=None):
    t, p = np.ravel(y_true) != 0, np.ravel(y_pred)
    w = np.ones_like(p) if weights is None else np.broadcast_to(weights, np.shape(y_pred)).ravel()
    pos = p[None, :] > np.asarray(thresholds)[:, None]
    return (((pos & t) * w).sum(1), ((pos & ~t) * w).sum(1), ((~pos & ~t) * w).sum(1),
            ((~pos & t) * w).sum(1))


def test_precision_recall_thresholds_top_k_class_id():
    thresholds = [0.2, 0.5, 0.8]
    p_m, r_m = metrics.Precision(thresholds=thresholds), metrics.Recall(thresholds=thresholds)
    totals = np.zeros((4, 3))
    for t, p, w in zip(BIN_TRUE, BIN_PRED, WEIGHTS):
        totals += np.array(_counts(t, p, thresholds, w[:, None]))
        tp, fp, _, fn = totals
        np.testing.assert_allclose(p_m(t, p, sample_weight=w), tp / (tp + fp), rtol=1e-6)
        np.testing.assert_allclose(r_m(t, p, sample_weight=w), tp / (tp + fn), rtol=1e-6)
    onehot, probs = np.eye(C)[LABELS[0]], PROBS[0]
    tp, fp, _, fn = _counts(onehot[:, 2], probs[:, 2], [0.5])
    assert np.isclose(metrics.Precision(class_id=2)(onehot, probs), (tp / (tp + fp))[0]
                      if tp + fp else 0.0)
    assert np.isclose(metrics.Recall(class_id=2)(onehot, probs), (tp / (tp + fn))[0]
                      if tp + fn else 0.0)
    top1 = (probs == probs.max(-1, keepdims=True))
    hits = (top1 & (onehot == 1)).sum()
    assert np.isclose(metrics.Precision(top_k=1)(onehot, probs), hits / N)
    assert np.isclose(metrics.Recall(top_k=1)(onehot, probs), hits / N)


def _exact_auc(y, p):
    pos, neg = p[y == 1], p[y == 0]
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return greater / (len(pos) * len(neg))


def test_auc_roc_against_trapezoids_and_the_exact_value():
    y = rng.integers(0, 2, 400)
    p = np.clip(0.3 * y + rng.uniform(0, 0.7, 400), 0, 1)
    m = metrics.AUC(num_thresholds=50)
    for part in np.array_split(np.arange(400), 4):
        value = m(y[part], p[part])
    eps = 1e-7
    thresholds = [-eps] + [(i + 1) / 49 for i in range(48)] + [1 + eps]
    tp, fp, tn, fn = _counts(y, p, thresholds)
    tpr, fpr = tp / (tp + fn), fp / (fp + tn)
    trapezoids = np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2)
    assert np.isclose(value, trapezoids, rtol=1e-5)
    fine = metrics.AUC(num_thresholds=2000)(y, p)
    assert abs(fine - _exact_auc(y, p)) < 2e-3
    lower = metrics.AUC(num_thresholds=50, summation_method="minoring")(y, p)
    upper = metrics.AUC(num_thresholds=50, summation_method="majoring")(y, p)
    assert lower <= value <= upper


def test_auc_pr_and_from_logits_and_multi_label():
    y = rng.integers(0, 2, 300)
    p = np.clip(0.4 * y + rng.uniform(0, 0.6, 300), 0, 1)
    order = np.argsort(-p)
    precision_at_k = np.cumsum(y[order]) / np.arange(1, 301)
    average_precision = (precision_at_k * y[order]).sum() / y.sum()
    pr = metrics.AUC(num_thresholds=1000, curve="PR")(y, p)
    assert abs(pr - average_precision) < 0.01
    lower = metrics.AUC(num_thresholds=1000, curve="PR", summation_method="minoring")(y, p)
    upper = metrics.AUC(num_thresholds=1000, curve="PR", summation_method="majoring")(y, p)
    assert lower <= pr <= upper + 1e-6
    logits = np.log(p + 1e-3) - np.log(1 - p + 1e-3)
    assert np.isclose(metrics.AUC(from_logits=True)(y, logits), metrics.AUC()(y, p), atol=5e-3)
    y2 = np.stack([y, 1 - y], -1)
    p2 = np.stack([p, rng.uniform(0, 1, 300)], -1)
    multi = metrics.AUC(multi_label=True)
    value = multi(y2, p2)
    per_label = [metrics.AUC()(y2[:, j], p2[:, j]) for j in range(2)]
    assert np.isclose(value, np.mean(per_label), rtol=1e-5)
    assert multi.true_positives.shape.as_list() == [200, 2]


def test_f1_averages():
    y_true = (rng.uniform(size=(20, 3)) > 0.5).astype(np.float32)
    y_pred = rng.uniform(size=(20, 3)).astype(np.float32)
    pred = (y_pred > 0.5).astype(float)
    tp = (pred * y_true).sum(0)
    fp = (pred * (1 - y_true)).sum(0)
    fn = ((1 - pred) * y_true).sum(0)
    eps = 1e-7

    def f1(tp, fp, fn):
        prec, rec = tp / (tp + fp + eps), tp / (tp + fn + eps)
        return 2 * prec * rec / (prec + rec + eps)
    per_class = f1(tp, fp, fn)
    np.testing.assert_allclose(metrics.F1Score(threshold=0.5)(y_true, y_pred), per_class,
                               rtol=1e-5)
    assert np.isclose(metrics.F1Score("macro", 0.5)(y_true, y_pred), per_class.mean())
    assert np.isclose(metrics.F1Score("micro", 0.5)(y_true, y_pred),
                      f1(tp.sum(), fp.sum(), fn.sum()))
    support = y_true.sum(0)
    assert np.isclose(metrics.F1Score("weighted", 0.5)(y_true, y_pred),
                      (per_class * support / (support.sum() + eps)).sum())
    with pytest.raises(ValueError, match="2-D inputs"):
        metrics.F1Score()(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="Invalid `average`"):
        metrics.F1Score(average="mean")


def test_graph_path_update_op_and_result_after_update():
    yt = tf.placeholder(tf.float32, [None, 1])
    yp = tf.placeholder(tf.float32, [None, 1])
    m = metrics.BinaryAccuracy()
    running = m(yt, yp)
    update = m.update_state(yt, yp)
    result = m.result()
    assert isinstance(update, tf.Operation) and tf.is_tensor(result)
    assert all(not v.trainable for v in m.variables)
    assert not tf.trainable_variables()
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        assert sess.run(running, {yt: [[1], [0]], yp: [[0.9], [0.8]]}) == 0.5
        assert sess.run(running, {yt: [[1], [0]], yp: [[0.9], [0.1]]}) == 0.75
        sess.run(update, {yt: [[1]], yp: [[0.0]]})
        assert np.isclose(sess.run(result), 0.6)
        m.reset_state()
        assert sess.run(result) == 0.0


def test_keras_graph_metrics_run_in_the_keras_session():
    g = backend.get_graph()
    with g.as_default():
        yt = tf.placeholder(tf.int32, [None])
        yp = tf.placeholder(tf.float32, [None, 3])
    m = metrics.SparseCategoricalAccuracy()
    r = m(yt, yp)
    assert r.graph is g and all(v.graph is g for v in m.variables)
    assert backend.run(r, {yt: [0, 1], yp: np.eye(3)[[0, 2]]}) == 0.5
    assert m([2], np.eye(3)[[2]]) == 2 / 3  # NumPy values continue the same state


def test_user_subclass_in_keras_3_style():
    class Positives(metrics.Metric):
        def __init__(self, name="positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.count = self.add_variable(shape=(), initializer="zeros", name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.count.assign(self.count + tf.reduce_sum(tf.cast(y_pred > 0.5, "float32")))

        def result(self):
            return self.count

    m = Positives()
    assert m([0, 0], [0.7, 0.9]) == 2.0
    assert m([0], [0.2]) == 2.0
    m.reset_state()
    assert m([1], [0.6]) == 1.0
    p = tf.placeholder(tf.float32, [None])
    r = m(p, p)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        assert sess.run(r, {p: [0.6, 0.7, 0.1]}) == 2.0
        assert sess.run(r, {p: [0.6]}) == 3.0
    with pytest.raises(RuntimeError, match="super"):
        class Broken(metrics.Metric):
            def __init__(self):
                self.v = self.add_variable((), "zeros")
        Broken()


# -- THE SHAPE RULE -----------------------------------------------------------------------------

SHAPE_CASES = {
    "Accuracy": (metrics.Accuracy, LABELS[0].astype(float), PROBS[0].argmax(-1).astype(float)),
    "BinaryAccuracy": (metrics.BinaryAccuracy, BIN_TRUE[0][:, 0], BIN_PRED[0][:, 0]),
    "MeanSquaredError": (metrics.MeanSquaredError, REG_TRUE[0][:, 0], REG_PRED[0][:, 0]),
    "MeanAbsoluteError": (metrics.MeanAbsoluteError, REG_TRUE[0][:, 0], REG_PRED[0][:, 0]),
    "RootMeanSquaredError": (metrics.RootMeanSquaredError, REG_TRUE[0][:, 0],
                             REG_PRED[0][:, 0]),
    "Precision": (metrics.Precision, BIN_TRUE[0][:, 0], BIN_PRED[0][:, 0]),
    "Recall": (metrics.Recall, BIN_TRUE[0][:, 0], BIN_PRED[0][:, 0]),
    "AUC": (metrics.AUC, BIN_TRUE[0][:, 0], BIN_PRED[0][:, 0]),
}


@pytest.mark.parametrize("name", sorted(SHAPE_CASES))
def test_n_against_n1_is_never_broadcast(name):
    make, t, p = SHAPE_CASES[name]
    base = make()(t[:, None], p[:, None])
    assert np.isclose(make()(t, p[:, None]), base)
    assert np.isclose(make()(t[:, None], p), base)
    assert np.isclose(make()(t, p), base)


def test_class_axis_metrics_with_one_column():
    one = np.ones((N, 1), np.float32)
    for make in (metrics.CategoricalAccuracy, metrics.TopKCategoricalAccuracy):
        assert make()(one[:, 0], one) == make()(one, one) == 1.0
    assert metrics.F1Score(threshold=0.5)(one, one) == pytest.approx([1.0], abs=1e-6)
    with pytest.raises(ValueError, match=r"2-D inputs.*y_true shape \(None,\)"):
        metrics.F1Score()(one[:, 0], one)


def test_sparse_metrics_take_n_or_n1_labels():
    for make in (metrics.SparseCategoricalAccuracy,
                 lambda: metrics.SparseTopKCategoricalAccuracy(k=2)):
        assert make()(LABELS[0], PROBS[0]) == make()(LABELS[0][:, None], PROBS[0])


DENSE_METRICS = {
    "Accuracy": metrics.Accuracy, "BinaryAccuracy": metrics.BinaryAccuracy,
    "CategoricalAccuracy": metrics.CategoricalAccuracy,
    "TopKCategoricalAccuracy": metrics.TopKCategoricalAccuracy,
    "MeanSquaredError": metrics.MeanSquaredError,
    "MeanAbsoluteError": metrics.MeanAbsoluteError,
    "RootMeanSquaredError": metrics.RootMeanSquaredError, "Precision": metrics.Precision,
    "Recall": metrics.Recall, "AUC": metrics.AUC, "F1Score": metrics.F1Score,
}


@pytest.mark.parametrize("name", sorted(DENSE_METRICS))
def test_sparse_labels_given_to_a_dense_metric_raise(name):
    for labels in (LABELS[0], LABELS[0][:, None]):
        with pytest.raises(ValueError) as e:
            DENSE_METRICS[name]()(labels, PROBS[0])
        msg = str(e.value)
        assert "y_pred shape (None, 4)" in msg
        if name != "F1Score":  # F1Score first insists on 2-D inputs
            assert "labels look sparse" in msg


@pytest.mark.parametrize("make", [metrics.SparseCategoricalAccuracy,
                                  metrics.SparseTopKCategoricalAccuracy])
def test_one_hot_labels_given_to_a_sparse_metric_raise(make):
    with pytest.raises(ValueError, match=r"y_true shape \(None, 4\) and y_pred shape "
                                         r"\(None, 4\) are incompatible: the labels look "
                                         r"one-hot"):
        make()(np.eye(C)[LABELS[0]], PROBS[0])


def test_unknown_batch_sizes_are_checked_when_run():
    yt = tf.placeholder(tf.float32, [None, 1])
    yp = tf.placeholder(tf.float32, [None, 1])
    r = metrics.MeanSquaredError()(yt, yp)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"y_true shape \(3, 1\) does not match y_pred shape \(1, 1\)"):
            sess.run(r, {yt: np.zeros((3, 1)), yp: np.zeros((1, 1))})


# -- resolve_accuracy, get, configs ------------------------------------------------------------


@pytest.mark.parametrize("loss, t, p, expected", [
    ("binary_crossentropy", [None, 1], [None, 1], metrics.BinaryAccuracy),
    ("mse", [None], [None, 1], metrics.BinaryAccuracy),
    ("sparse_categorical_crossentropy", [None], [None, 10], metrics.SparseCategoricalAccuracy),
    ("categorical_crossentropy", [None, 1], [None, 10], metrics.SparseCategoricalAccuracy),
    ("categorical_crossentropy", [None, 10], [None, 10], metrics.CategoricalAccuracy),
    ("binary_crossentropy", [None, 5], [None, 5], metrics.CategoricalAccuracy),  # Keras 3
    ("binary_crossentropy", None, None, metrics.BinaryAccuracy),
    ("sparse_categorical_crossentropy", None, [None, 10], metrics.SparseCategoricalAccuracy),
    (None, None, None, metrics.CategoricalAccuracy),
])
def test_resolve_accuracy(loss, t, p, expected):
    m = metrics.resolve_accuracy("acc", loss, None if t is None else tf.TensorShape(t), p)
    assert type(m) is expected and m.name == "acc"


def test_resolve_accuracy_reads_loss_objects_and_refuses_other_names():
    from tensorlet.keras import losses
    assert isinstance(metrics.resolve_accuracy("accuracy", "SparseCategoricalCrossentropy"),
                      metrics.SparseCategoricalAccuracy)
    assert isinstance(metrics.resolve_accuracy("accuracy", losses.BinaryCrossentropy()),
                      metrics.BinaryAccuracy)
    assert isinstance(metrics.resolve_accuracy(
        "accuracy", losses.LossFunctionWrapper(losses.sparse_categorical_crossentropy)),
        metrics.SparseCategoricalAccuracy)
    with pytest.raises(ValueError, match="'accuracy' or 'acc'"):
        metrics.resolve_accuracy("auc")


@pytest.mark.parametrize("cls, config", [
    (metrics.Mean, {"name": "mean", "dtype": "float32"}),
    (metrics.BinaryAccuracy, {"name": "binary_accuracy", "dtype": "float32", "threshold": 0.5}),
    (metrics.TopKCategoricalAccuracy, {"name": "top_k_categorical_accuracy",
                                       "dtype": "float32", "k": 5}),
    (metrics.Precision, {"name": "precision", "dtype": "float32", "thresholds": None,
                         "top_k": None, "class_id": None}),
    (metrics.F1Score, {"name": "f1_score", "dtype": "float32", "average": None,
                       "threshold": None}),
])
def test_configs_round_trip(cls, config):
    m = cls()
    assert m.get_config() == config
    again = metrics.deserialize(metrics.serialize(m))
    assert type(again) is cls and again.get_config() == config


def test_auc_config_round_trip():
    m = metrics.AUC(thresholds=[0.25, 0.5, 0.75], curve="PR")
    config = m.get_config()
    assert config["thresholds"] == [0.25, 0.5, 0.75] and config["curve"] == "PR"
    assert config["num_thresholds"] == 5 and config["summation_method"] == "interpolation"
    again = metrics.AUC.from_config(config)
    assert again.thresholds == m.thresholds


def test_get_and_errors():
    assert metrics.get("mse") is metrics.mean_squared_error
    assert metrics.get("acc") is metrics.accuracy
    assert isinstance(metrics.get("AUC"), metrics.AUC)
    wrapper = metrics.MeanMetricWrapper(metrics.get("mae"))
    assert wrapper.name == "mean_absolute_error" and wrapper._direction == "down"
    again = metrics.MeanMetricWrapper.from_config(wrapper.get_config())
    assert again._fn is metrics.mean_absolute_error
    with pytest.raises(ValueError, match="Unknown metric identifier 'acuracy'") as e:
        metrics.get("acuracy")
    assert "accuracy" in str(e.value) and "AUC" in str(e.value)
    with pytest.raises(ValueError, match="interval \\(0, 1\\)"):
        metrics.BinaryAccuracy(threshold=1.5)
    with pytest.raises(ValueError, match="Threshold values must be in \\[0, 1\\]"):
        metrics.Precision(thresholds=[0.5, 2.0])
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="Invalid AUC curve"):
        metrics.AUC(curve="ROCK")
    with pytest.raises(ValueError, match="summation method"):
        metrics.AUC(summation_method="trapezoid")


def test_result_at_the_top_of_a_keras_program_is_a_value():
    """Keras 3: `m.update_state(...); m.result().numpy()`, `float(m.result())`, arithmetic and
    comparisons on it; the result graph is built once (a loop of result() calls adds no ops,
    neither does arithmetic on the values)."""
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(np.array([1, 2]), np.array([[0, 1, 0], [0, 1, 0]], np.float32))
    r = m.result()
    assert r.numpy() == 0.5 and float(r) == 0.5 and r.dtype == np.float32 and r.shape == ()
    assert float(r * 100) == 50.0 and (r * 100).numpy() == 50.0 and bool(r > 0.4)
    assert f"{r:.2f}" == "0.50" and backend.get_value(r) == 0.5
    graph, default = backend.get_graph(), tf.get_default_graph()
    versions = graph.version, default.version
    total = 0.0
    for _ in range(5):
        m.update_state(np.array([1]), np.array([[0, 1, 0]], np.float32))
        total = total + m.result() * 100
    assert (graph.version, default.version) == versions
    assert float(m.result()) == pytest.approx(6 / 7)
    m.reset_state()
    assert float(m.result()) == 0.0
    mean = metrics.Mean()
    assert float(mean.result()) == 0.0  # before any update
    assert mean([1.0, 3.0]).numpy() == 2.0  # metric(values) answers the same way
    with pytest.raises(TypeError, match="concrete value.*use the value itself"):
        backend.get_session().run(mean.result())


def test_top_level_result_passes_non_tensor_leaves_through():
    class Summary(metrics.Metric):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.total = self.add_variable((), name="total")

        def update_state(self, x, sample_weight=None):
            self.total.assign_add(tf.reduce_sum(tf.convert_to_tensor(x, tf.float32)))

        def result(self):
            return {"total": self.total, "scale": 0.5, "unit": "items"}

    m = Summary()
    m.update_state(np.ones(3, np.float32))
    out = m.result()
    assert out["total"].numpy() == 3.0 and out["scale"] == 0.5 and out["unit"] == "items"
    called = Summary()(np.ones(2, np.float32))  # metric(values) answers the same way
    assert called["total"].numpy() == 2.0 and called["unit"] == "items"


def test_result_while_building_graph_code_is_a_tensor():
    m = metrics.Mean()
    m.update_state([2.0])
    graph = backend.get_graph()
    with graph.as_default():
        r = m.result()
    assert tf.is_tensor(r) and r.graph is graph and not getattr(r, "_eager", False)
    assert backend.get_value(r) == 2.0


def test_metric_state_survives_clear_session_and_moving_it_warns():
    """A metric from before clear_session keeps its state for NumPy updates (Keras 3); one that
    a model used and that a new model then compiles starts from zero in the new graph, with a
    warning (the old model's state is no longer reset by it)."""
    from tensorlet import keras
    m = metrics.Mean()
    m.update_state([1.0, 2.0, 3.0])
    backend.clear_session(free_memory=False)
    m.update_state([10.0])
    assert float(m.result()) == 4.0

    mae = metrics.MeanAbsoluteError()
    x = np.ones((8, 1), np.float32)

    def model():
        net = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
        net.compile(optimizer="sgd", loss="mse", metrics=[mae])
        return net

    model().fit(x, x, verbose=0)
    backend.clear_session(free_memory=False)
    with pytest.warns(RuntimeWarning, match="Give each model its own metric objects"):
        model().fit(x, x, verbose=0)
