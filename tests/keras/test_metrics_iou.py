"""IoU metrics: Keras 3's documented values, an independent NumPy reference (weights,
ignore_class, segmentation-shaped inputs), use in fit, configs and errors."""
import numpy as np
import pytest

from tensorlet import keras
from tensorlet.errors import InvalidArgumentError

M = keras.metrics
YT = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]])
YP = np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])


@pytest.mark.parametrize("make, args, expected", [
    (lambda: M.IoU(num_classes=2, target_class_ids=[0]), ([0, 0, 1, 1], [0, 1, 0, 1]), 1 / 3),
    (lambda: M.IoU(num_classes=2, target_class_ids=[0]),
     ([0, 0, 1, 1], [0, 1, 0, 1], [0.3, 0.3, 0.3, 0.1]), 1 / 3),
    (lambda: M.MeanIoU(num_classes=2), ([0, 0, 1, 1], [0, 1, 0, 1]), 1 / 3),
    (lambda: M.MeanIoU(num_classes=2),
     ([0, 0, 1, 1], [0, 1, 0, 1], [0.3, 0.3, 0.3, 0.1]), (0.3 / 0.9 + 0.1 / 0.7) / 2),
    (lambda: M.BinaryIoU(target_class_ids=[0, 1], threshold=0.3),
     ([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7]), 1 / 3),
    (lambda: M.BinaryIoU(target_class_ids=[0, 1], threshold=0.3),
     ([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7], [0.2, 0.3, 0.4, 0.1]), (0.2 / 0.9 + 0.1 / 0.8) / 2),
    (lambda: M.OneHotIoU(num_classes=3, target_class_ids=[0, 2]),
     (YT, YP, [0.1, 0.2, 0.3, 0.4]), (0 + 0.1 / 0.7) / 2),
    (lambda: M.OneHotMeanIoU(num_classes=3), (YT, YP, [0.1, 0.2, 0.3, 0.4]), (0.1 / 0.7) / 3),
])
def test_keras_documented_values(make, args, expected):
    m = make()
    m.update_state(*args)
    assert float(m.result()) == pytest.approx(expected, rel=1e-5)
    m.reset_state()
    m.update_state(*args[:2])
    m.update_state(*args[:2])  # state accumulates over batches
    unweighted = make()
    unweighted.update_state(*args[:2])
    assert float(m.result()) == pytest.approx(float(unweighted.result()), rel=1e-5)


def _reference_mean_iou(y_true, y_pred, n, weights=None, ignore=None):
    """Mean IoU in float64 from a confusion matrix counted by hand."""
    t, p = np.ravel(y_true).astype(int), np.ravel(y_pred).astype(int)
    w = np.ones(t.size) if weights is None else np.ravel(weights).astype(float)
    cm = np.zeros((n, n))
    for a, b, c in zip(t, p, w):
        if ignore is None or a != ignore:
            cm[a, b] += c
    tp = np.diag(cm)
    denom = cm.sum(0) + cm.sum(1) - tp
    present = denom > 0
    return (tp[present] / denom[present]).mean()


def test_mean_iou_matches_a_numpy_reference_on_segmentation_maps():
    rng = np.random.default_rng(0)
    n = 4
    y_true = rng.integers(0, n, (3, 8, 8))
    y_true[0, :2] = 255  # a "void" label, ignored
    scores = rng.random((3, 8, 8, n)).astype(np.float32)
    weights = rng.random((3, 8, 8)).astype(np.float32)
    m = M.MeanIoU(num_classes=n, ignore_class=255, sparse_y_pred=False)
    m.update_state(y_true, scores, sample_weight=weights)
    expected = _reference_mean_iou(y_true, scores.argmax(-1), n, weights, ignore=255)
    assert float(m.result()) == pytest.approx(expected, rel=1e-5)


def test_in_fit_the_history_has_keras_name():
    rng = np.random.default_rng(1)
    x = rng.random((64, 5), dtype=np.float32)
    y = (x[:, :1] > 0.5).astype(np.float32)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy",
                  metrics=[M.BinaryIoU(target_class_ids=[0, 1]), M.MeanIoU(num_classes=2)])
    history = model.fit(x, y, epochs=2, verbose=0)
    assert {"binary_io_u", "mean_io_u"} <= set(history.history)
    value = history.history["binary_io_u"][-1]
    assert 0.0 <= value <= 1.0


def test_configs_round_trip():
    for m in (M.IoU(3, [0, 2], ignore_class=-1), M.MeanIoU(3, sparse_y_pred=False),
              M.BinaryIoU([1], threshold=0.4), M.OneHotIoU(3, [1]), M.OneHotMeanIoU(4)):
        clone = M.deserialize(M.serialize(m))
        assert type(clone) is type(m) and clone.get_config() == m.get_config()


def test_errors():
    with pytest.raises(ValueError, match="num_classes"):
        M.MeanIoU(num_classes=0)
    with pytest.raises(ValueError, match="out of range"):
        M.IoU(num_classes=2, target_class_ids=[2])
    m = M.MeanIoU(num_classes=2)
    with pytest.raises(InvalidArgumentError, match=r"class indices in \[0, 2\)"):
        m.update_state([0, 2], [0, 1])
    with pytest.raises(InvalidArgumentError, match="class indices"):
        m.update_state([0, 1], [-1, 1])
