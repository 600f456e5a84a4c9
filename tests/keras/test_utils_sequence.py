"""Tests of tensorlet.keras.utils.pad_sequences."""

import numpy as np
import pytest

from tensorlet.keras.utils import pad_sequences

SEQUENCES = [[1], [2, 3], [4, 5, 6]]


def test_defaults_pre_pad_to_longest_as_int32():
    result = pad_sequences(SEQUENCES)
    assert result.dtype == np.int32
    np.testing.assert_array_equal(result, [[0, 0, 1], [0, 2, 3], [4, 5, 6]])


def test_value_and_post_padding():
    np.testing.assert_array_equal(
        pad_sequences(SEQUENCES, value=-1), [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]]
    )
    np.testing.assert_array_equal(
        pad_sequences(SEQUENCES, padding="post"), [[1, 0, 0], [2, 3, 0], [4, 5, 6]]
    )


def test_truncation_pre_and_post():
    np.testing.assert_array_equal(pad_sequences(SEQUENCES, maxlen=2), [[0, 1], [2, 3], [5, 6]])
    np.testing.assert_array_equal(
        pad_sequences(SEQUENCES, maxlen=2, truncating="post"), [[0, 1], [2, 3], [4, 5]]
    )


def test_longer_maxlen_zero_maxlen_and_empty_sequences():
    assert pad_sequences(SEQUENCES, maxlen=5).shape == (3, 5)
    assert pad_sequences(SEQUENCES, maxlen=0).shape == (3, 0)
    np.testing.assert_array_equal(pad_sequences([[], [7]]), [[0], [7]])
    assert pad_sequences([]).shape == (0, 0)


def test_dtype_float_and_numpy_rows():
    result = pad_sequences([np.array([0.5, 1.5]), np.array([2.5])], dtype="float32", value=9.0)
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result, [[0.5, 1.5], [9.0, 2.5]])


def test_items_with_a_shape():
    result = pad_sequences([[[1, 2], [3, 4]], [[5, 6]]])
    assert result.shape == (2, 2, 2)
    np.testing.assert_array_equal(result[1], [[0, 0], [5, 6]])


def test_strings_with_object_dtype():
    result = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert result.tolist() == [["a", "b"], ["<pad>", "c"]]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((iter(SEQUENCES),), {}, "sized collection"),
        (([[1], 5],), {}, "position 1 is not one"),
        ((SEQUENCES,), {"padding": "middle"}, '`padding` must be "pre" or "post"'),
        ((SEQUENCES,), {"truncating": "both"}, '`truncating` must be "pre" or "post"'),
        ((SEQUENCES,), {"maxlen": -1}, "non-negative integer"),
        ((SEQUENCES,), {"maxlen": 2.5}, "non-negative integer"),
        ((SEQUENCES,), {"value": "x"}, "dtype=object"),
        (([[[1, 2]], [[3, 4, 5]]],), {}, r"position 1 have shape \(3,\); expected \(2,\)"),
    ],
)
def test_errors(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        pad_sequences(*args, **kwargs)


def test_bad_side_is_reported_even_when_all_sequences_are_empty():
    with pytest.raises(ValueError, match="padding"):
        pad_sequences([[], []], padding="left")
