"""Tests of tensorlet.keras.utils.to_categorical and normalize."""

import numpy as np
import pytest

from tensorlet.keras.utils import normalize, to_categorical


def test_to_categorical_matches_keras_example():
    result = to_categorical([0, 1, 2, 3], num_classes=4)
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, np.eye(4))


def test_to_categorical_infers_num_classes():
    np.testing.assert_array_equal(to_categorical([2, 0]), [[0, 0, 1], [1, 0, 0]])


def test_to_categorical_drops_a_trailing_unit_dimension():
    labels = np.array([[1], [0], [2]], dtype=np.uint8)  # cifar10-style (n, 1) labels
    result = to_categorical(labels, 3)
    assert result.shape == (3, 3)
    np.testing.assert_array_equal(result, [[0, 1, 0], [1, 0, 0], [0, 0, 1]])


def test_to_categorical_keeps_other_dimensions():
    result = to_categorical([[0, 1], [1, 1]], num_classes=2)
    assert result.shape == (2, 2, 2)
    np.testing.assert_array_equal(result[0, 1], [0, 1])
    assert to_categorical(np.array([1]), 3).shape == (1, 3)  # rank 1 is not squeezed
    np.testing.assert_array_equal(to_categorical(2, 3), [0, 0, 1])


def test_to_categorical_accepts_whole_floats_and_bools():
    np.testing.assert_array_equal(to_categorical(np.array([1.0, 0.0])), [[0, 1], [1, 0]])
    np.testing.assert_array_equal(to_categorical([True, False]), [[0, 1], [1, 0]])


def test_to_categorical_empty_input_needs_num_classes():
    assert to_categorical(np.zeros(0, dtype=int), num_classes=3).shape == (0, 3)
    with pytest.raises(ValueError, match="empty"):
        to_categorical([])


@pytest.mark.parametrize(
    ("labels", "num_classes", "message"),
    [
        ([0, -1], None, "negative label -1"),
        ([0, 3], 3, r"labels in \[0, 3\).*received label 3"),
        ([0.5], None, "non-integral"),
        ([np.nan], None, "non-integral"),
        (["a"], None, "integer class labels"),
        ([0], 0, "positive integer"),
        ([0], 2.0, "positive integer"),
        ([0], True, "positive integer"),
    ],
)
def test_to_categorical_errors(labels, num_classes, message):
    with pytest.raises(ValueError, match=message):
        to_categorical(labels, num_classes)


def test_normalize_l2_along_last_axis():
    x = np.array([[3.0, 4.0], [0.0, 0.0]], dtype=np.float32)
    result = normalize(x)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, [[0.6, 0.8], [0.0, 0.0]])  # zero rows unchanged


def test_normalize_other_axis_and_order():
    x = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    np.testing.assert_allclose(
        normalize(x, axis=0, order=1), [[0.25, 0.5, 0.75], [0.75, 0.5, 0.25]]
    )
    np.testing.assert_allclose(normalize(x, order=np.inf), [[1 / 3, 2 / 3, 1], [1, 2 / 3, 1 / 3]])


def test_normalize_integer_input_gives_float64():
    result = normalize([[3, 4]])
    assert result.dtype == np.float64
    np.testing.assert_allclose(result, [[0.6, 0.8]])


def test_normalize_errors():
    with pytest.raises(ValueError, match="out of range"):
        normalize(np.ones((2, 2)), axis=2)
    with pytest.raises(ValueError, match="rank 0"):
        normalize(np.float64(3.0))
    with pytest.raises(TypeError, match="axis"):
        normalize(np.ones(2), axis=None)
    with pytest.raises(TypeError, match="order"):
        normalize(np.ones(2), order="fro")
