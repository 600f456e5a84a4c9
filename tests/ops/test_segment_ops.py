"""Segment reductions against a NumPy loop: dropped negative ids, empty segments, ids of any
rank, sorted variants, errors (gradients: the registry gradcheck)."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet.errors import InvalidArgumentError


def _reference(data, ids, num, reduce, empty):
    rows = data.reshape((ids.size,) + data.shape[ids.ndim:]).astype(np.float64)
    out = np.full((num,) + rows.shape[1:], empty, np.float64)
    for row, s in zip(rows, ids.reshape(-1)):
        if s >= 0:
            out[s] = row if np.all(out[s] == empty) else reduce(out[s], row)
    return out


def test_unsorted_segment_sum_and_max_match_numpy():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((3, 4, 2)).astype(np.float32)
    ids = np.array([[0, 3, -1, 0], [3, 1, 1, -1], [0, 0, 3, 1]])
    with tf.Session() as s:
        total, top = s.run([tf.math.unsorted_segment_sum(data, ids, 5),
                            tf.math.unsorted_segment_max(data, ids, 5)])
    np.testing.assert_allclose(total, _reference(data, ids, 5, np.add, 0.0), rtol=1e-6)
    lowest = np.finfo(np.float32).min
    np.testing.assert_allclose(top[[0, 1, 3]], _reference(data, ids, 5, np.maximum, lowest)[
        [0, 1, 3]])
    assert np.all(top[[2, 4]] == lowest) and np.all(total[[2, 4]] == 0)  # empty segments


def test_sorted_variants_and_integers():
    data = np.array([[1, 2], [3, 4], [5, 6]], np.int32)
    with tf.Session() as s:
        total, top = s.run([tf.segment_sum(data, [0, 0, 2]), tf.math.segment_max(data, [0, 1, 1])])
    np.testing.assert_array_equal(total, [[4, 6], [0, 0], [5, 6]])
    np.testing.assert_array_equal(top, [[1, 2], [5, 6]])
    assert total.dtype == np.int32


def test_errors():
    with pytest.raises(ValueError, match="prefix"):
        tf.math.unsorted_segment_sum(np.ones((3, 2)), np.array([0, 1]), 2)
    with pytest.raises(TypeError, match="integers"):
        tf.math.unsorted_segment_sum(np.ones(2), np.array([0.0, 1.0]), 2)
    with tf.Session() as s:
        with pytest.raises(InvalidArgumentError, match=r"segment id 4 is out of range \[0, 2\)"):
            s.run(tf.math.unsorted_segment_sum(np.ones(2), np.array([0, 4]), 2))


def test_sorted_max_of_an_empty_segment_is_zero_and_other_edges():
    with tf.Session() as s:
        np.testing.assert_array_equal(s.run(tf.math.segment_max([1.0, 2.0, 3.0], [0, 0, 2])),
                                      [2, 0, 3])
        assert s.run(tf.math.segment_sum(np.zeros((0, 2)), np.zeros(0, np.int32))).shape == \
            (0, 2)
    with pytest.raises(ValueError, match="scalar"):
        tf.math.unsorted_segment_sum(np.ones(3), [0, 1, 0], [3])
    with tf.Graph().as_default():  # ids of unknown rank: the gradient still builds
        ids = tf.placeholder(tf.int32)
        d = tf.placeholder(tf.float32, [4, 2])
        g = tf.gradients(tf.reduce_sum(tf.math.unsorted_segment_max(d, ids, 3)), d)[0]
        with tf.Session() as s:
            got = s.run(g, {d: np.arange(8, dtype=np.float32).reshape(4, 2), ids: [0, 1, 0, 2]})
    np.testing.assert_array_equal(got, [[0, 0], [1, 1], [1, 1], [1, 1]])
