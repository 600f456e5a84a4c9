"""Indexing ops (indexing.py): __getitem__ against NumPy for many keys, slice / strided_slice,
gather / gather_nd / scatter_nd, the variable scatter ops, boolean_mask, top_k and unique."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet.errors import FailedPreconditionError, InvalidArgumentError

rng = np.random.default_rng(1)
A = rng.standard_normal((4, 5, 6))


def run(fetches, feed=None):
    with tf.Session() as s:
        return s.run(fetches, feed)


# -- __getitem__ ---------------------------------------------------------------------------------

KEYS = [
    0, -1, 3, (1, 2), (-1, -2, -3), slice(None), slice(1, 3), slice(None, None, -1),
    slice(-2, None), slice(None, -2), slice(3, 0, -1), slice(None, None, 2),
    slice(-1, -4, -2), slice(10, 20), slice(-10, 2), (slice(None), 1),
    (Ellipsis, 0), (Ellipsis, slice(None, None, -2)), (0, Ellipsis, 1), (None,),
    (slice(None), None, 2), (None, Ellipsis, None), (1, None, slice(None, 2), None),
    (Ellipsis,), (slice(1, None), slice(None, None, -1), slice(0, 6, 4)), (2, 3, 4),
    (-4, slice(5, None, -3)), (slice(3, 1), 0), np.int64(2), (np.int32(-1), slice(1, 2)),
]


@pytest.mark.parametrize("key", KEYS, ids=[repr(k) for k in KEYS])
def test_getitem_matches_numpy(key):
    t = tf.constant(A)
    y = t[key]
    ref = A[key]
    assert y.shape == ref.shape
    np.testing.assert_array_equal(run(y), ref)


@pytest.mark.parametrize("key", KEYS[:12] + KEYS[15:24], ids=[repr(k) for k in
                                                             KEYS[:12] + KEYS[15:24]])
def test_getitem_with_unknown_dims(key):
    x = tf.placeholder(tf.float64, [None, 5, None])
    y = x[key]
    ref = A[key]
    assert y.shape.is_compatible_with(ref.shape)
    np.testing.assert_array_equal(run(y, {x: A}), ref)


def test_getitem_with_tensor_indices_and_variables():
    t = tf.constant(A)
    i = tf.placeholder(tf.int32, [])
    j = tf.constant(2, tf.int64)
    y = t[i, 1:j, ::-1]
    assert y.shape.as_list() == [1, 6]  # j is a constant: 1:2 is known statically
    np.testing.assert_array_equal(run(y, {i: -2}), A[-2, 1:2, ::-1])
    z = t[1:i]
    assert z.shape.as_list() == [None, 5, 6]
    assert t[i, 1:3].shape.as_list() == [2, 6]
    np.testing.assert_array_equal(run(z, {i: 3}), A[1:3])
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with tf.Session() as s:
        s.run(v.initializer)
        np.testing.assert_array_equal(s.run(v[1]), [3, 4])
        np.testing.assert_array_equal(s.run(v[:, tf.newaxis, 0]), [[1], [3]])


def test_getitem_list_indexes_successive_dimensions_as_tf():
    np.testing.assert_array_equal(run(tf.constant(A)[[1, 2]]), A[1, 2])


def test_getitem_errors():
    t = tf.constant(A)
    with pytest.raises(ValueError, match="index 4 is out of bounds for dimension 0 of size 4"):
        t[4]
    with pytest.raises(ValueError, match="index -6 is out of bounds for dimension 1"):
        t[0, -6]
    with pytest.raises(ValueError, match=r"too many indices \(4\) for a tensor of rank 3"):
        t[0, 0, 0, 0]
    with pytest.raises(TypeError, match="Only integers, slices"):
        t[1.5]
    with pytest.raises(TypeError, match="Only integers, slices"):
        t["a"]
    with pytest.raises(TypeError, match="scalar int32/int64"):
        t[tf.constant([0, 1])]
    with pytest.raises(TypeError, match="scalar int32/int64"):
        t[tf.constant(0.0)]
    with pytest.raises(ValueError, match="step cannot be zero"):
        t[::0]
    with pytest.raises(ValueError, match="single ellipsis"):
        t[..., 0, ...]
    i = tf.placeholder(tf.int32, [])
    with pytest.raises(InvalidArgumentError, match="out of range.*shape \\[4, 5, 6\\]"):
        run(t[i], {i: 7})


def test_getitem_bool_mask():
    m = A[:, 0, 0] > 0
    np.testing.assert_array_equal(run(tf.constant(A)[m]), A[m])
    np.testing.assert_array_equal(run(tf.constant(A)[tf.constant(m)]), A[m])


def test_getitem_gradient_scatters_into_zeros():
    x = tf.constant(A)
    g = tf.gradients(tf.reduce_sum(x[1:3, ::-2, 0] * 3.0), x)[0]
    ref = np.zeros_like(A)
    ref[1:3, ::-2, 0] = 3.0
    np.testing.assert_array_equal(run(g), ref)
    gg = tf.gradients(tf.reduce_sum(tf.gradients(tf.reduce_sum(x[0] ** 2), x)[0] ** 2), x)[0]
    ref = np.zeros_like(A)
    ref[0] = 8 * A[0]
    np.testing.assert_allclose(run(gg), ref, rtol=1e-12)


# -- slice, strided_slice -----------------------------------------------------------------------


def test_slice():
    y = tf.slice(tf.constant(A), [1, 0, 2], [2, -1, 3])
    assert y.shape == (2, 5, 3)
    np.testing.assert_array_equal(run(y), A[1:3, :, 2:5])
    x = tf.placeholder(tf.float64, [None, 5, 6])
    assert tf.slice(x, [0, 1, 0], [-1, 2, 6]).shape.as_list() == [None, 2, 6]
    with pytest.raises(ValueError, match="dimension 1 \\(size 5\\) with begin 4 and size 2"):
        tf.slice(tf.constant(A), [0, 4, 0], [1, 2, 1])
    with pytest.raises(ValueError, match="length 3"):
        tf.slice(tf.constant(A), [0, 0], [1, 1])
    b = tf.placeholder(tf.int32, [3])
    with pytest.raises(InvalidArgumentError, match="to fit in shape \\[4, 5, 6\\]"):
        run(tf.slice(tf.constant(A), b, [2, 1, 1]), {b: [3, 0, 0]})


def test_slice_gradient_with_dynamic_begin():
    x = tf.placeholder(tf.float64, [None, 3])
    b = tf.placeholder(tf.int32, [2])
    g = tf.gradients(tf.reduce_sum(tf.slice(x, b, [1, 2])), x)[0]
    out = run(g, {x: np.zeros((3, 3)), b: [1, 1]})
    np.testing.assert_array_equal(out, [[0, 0, 0], [0, 1, 1], [0, 0, 0]])


def test_strided_slice_masks():
    t = tf.constant(A)
    y = tf.strided_slice(t, [1, 0, 0], [3, 0, 0], [1, 1, 2], end_mask=0b110)
    np.testing.assert_array_equal(run(y), A[1:3, :, ::2])
    y = tf.strided_slice(t, [0, 2], [0, 3], [1, 1], ellipsis_mask=1, shrink_axis_mask=2)
    np.testing.assert_array_equal(run(y), A[..., 2])
    y = tf.strided_slice(t, [0, 0, -1], [0, 0, 0], [1, 1, -1], new_axis_mask=1,
                         begin_mask=2, end_mask=6)
    np.testing.assert_array_equal(run(y), A[None, :, ::-1])
    with pytest.raises(ValueError, match="one length"):
        tf.strided_slice(t, [0, 0], [1], [1, 1])
    with pytest.raises(ValueError, match="Multiple ellipses"):
        tf.strided_slice(t, [0, 0], [0, 0], [1, 1], ellipsis_mask=3)


# -- gather --------------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_gather_axes(axis):
    idx = np.array([[0, 3], [1, 1]])
    y = tf.gather(tf.constant(A), idx, axis=axis)
    ref = np.take(A, idx, axis=axis)
    assert y.shape == ref.shape
    np.testing.assert_array_equal(run(y), ref)


@pytest.mark.parametrize("axis, batch_dims", [(1, 1), (2, 1), (2, 2), (2, -1)])
def test_gather_batch_dims(axis, batch_dims):
    idx = rng.integers(0, 5, (4, 5, 3)) if batch_dims in (2, -1) else rng.integers(0, 5, (4, 2))
    y = tf.gather(tf.constant(A), idx, axis=axis, batch_dims=batch_dims)
    bd = batch_dims % idx.ndim
    ref = np.stack([np.take(A[b], idx[b], axis=axis - 1) for b in range(4)])
    if bd == 2:
        ref = np.stack([np.stack([A[b, c][idx[b, c]] for c in range(5)]) for b in range(4)])
    assert y.shape == ref.shape
    np.testing.assert_array_equal(run(y), ref)


def test_gather_static_shapes_dtypes_and_errors():
    p = tf.placeholder(tf.float32, [None, 4])
    i = tf.placeholder(tf.int64, [None, 2])
    assert tf.gather(p, i).shape.as_list() == [None, 2, 4]
    assert tf.gather(p, i, axis=1).shape.as_list() == [None, None, 2]
    assert tf.gather(tf.constant([1, 2, 3]), [2, 0]).dtype == tf.int32
    with pytest.raises(TypeError, match="indices must be int32 or int64, got float32"):
        tf.gather(p, [0.0])
    with pytest.raises(ValueError, match="out of range"):
        tf.gather(p, [0], axis=2)
    with pytest.raises(ValueError, match=r"batch_dims \(1\) must be <= axis \(0\)"):
        tf.gather(tf.zeros([2, 3]), tf.zeros([2, 1], tf.int32), axis=0, batch_dims=1)
    with pytest.raises(ValueError, match="batch"):
        tf.gather(tf.zeros([2, 3]), tf.zeros([3, 1], tf.int32), batch_dims=1)


def test_gather_out_of_range_names_index_and_range():
    idx = tf.placeholder(tf.int32, [None, 2])
    y = tf.gather(tf.constant(A), idx)
    with pytest.raises(InvalidArgumentError, match=r"indices\[1,0\] = 7 is not in \[0, 4\)"):
        run(y, {idx: [[0, 1], [7, 2]]})
    with pytest.raises(InvalidArgumentError, match=r"indices\[0,1\] = -1 is not in \[0, 4\)"):
        run(y, {idx: [[0, -1]]})


def test_gather_gradient_accumulates_duplicates_and_second_order():
    x = tf.constant(A[:, :, 0])
    y = tf.gather(x, [0, 2, 0, 0])
    g = tf.gradients(tf.reduce_sum(y * y), x)[0]
    ref = np.zeros((4, 5))
    ref[0] = 6 * A[0, :, 0]
    ref[2] = 2 * A[2, :, 0]
    np.testing.assert_allclose(run(g), ref, rtol=1e-12)
    gg = tf.gradients(tf.reduce_sum(g * g), x)[0]
    ref2 = np.zeros((4, 5))
    ref2[0] = 72 * A[0, :, 0]
    ref2[2] = 8 * A[2, :, 0]
    np.testing.assert_allclose(run(gg), ref2, rtol=1e-12)


# -- gather_nd, scatter_nd -----------------------------------------------------------------------


def test_gather_nd():
    idx = np.array([[1, 2], [3, 0], [1, 2]])
    y = tf.gather_nd(tf.constant(A), idx)
    assert y.shape == (3, 6)
    np.testing.assert_array_equal(run(y), A[idx[:, 0], idx[:, 1]])
    full = np.array([[[0, 1, 2]], [[3, 4, 5]]])
    np.testing.assert_array_equal(run(tf.gather_nd(A, full)), [[A[0, 1, 2]], [A[3, 4, 5]]])
    bidx = rng.integers(0, 5, (4, 2, 1))
    y = tf.gather_nd(tf.constant(A), bidx, batch_dims=1)
    assert y.shape == (4, 2, 6)
    np.testing.assert_array_equal(run(y), np.stack([A[b][bidx[b, :, 0]] for b in range(4)]))
    np.testing.assert_array_equal(run(tf.gather_nd(A, [1, 2])), A[1, 2])


def test_gather_nd_errors():
    with pytest.raises(ValueError, match="index depth 4"):
        tf.gather_nd(tf.constant(A), [[0, 0, 0, 0]])
    with pytest.raises(TypeError, match="indices must be int32 or int64"):
        tf.gather_nd(tf.constant(A), [[0.0]])
    i = tf.placeholder(tf.int32, [None, 2])
    with pytest.raises(InvalidArgumentError,
                       match=r"indices\[1\] = \[3, 5\] does not index into param shape "
                             r"\[4, 5, 6\]"):
        run(tf.gather_nd(tf.constant(A), i), {i: [[0, 0], [3, 5]]})


def test_scatter_nd_sums_duplicates():
    y = tf.scatter_nd([[1], [3], [1]], tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), [4, 2])
    assert y.shape == (4, 2)
    np.testing.assert_array_equal(run(y), [[0, 0], [6, 8], [0, 0], [3, 4]])
    y = tf.scatter_nd([[0, 1], [0, 1], [2, 0]], [1, 2, 3], [3, 2])
    np.testing.assert_array_equal(run(y), [[0, 3], [0, 0], [3, 0]])
    with pytest.raises(ValueError, match=r"updates must have shape.*\(2, 2\), got \(2, 3\)"):
        tf.scatter_nd([[0], [1]], tf.zeros([2, 3]), [4, 2])
    i = tf.placeholder(tf.int32, [None, 1])
    with pytest.raises(InvalidArgumentError, match=r"indices\[1\] = \[4\] does not index into "
                                                   r"output shape \[4\]"):
        run(tf.scatter_nd(i, [1, 1], [4]), {i: [[0], [4]]})


# -- Variable scatter ops ------------------------------------------------------------------------


def test_variable_scatter_ops():
    v = tf.Variable(np.zeros((4, 2), np.float32))
    add = tf.scatter_add(v, [0, 2, 0], [[1, 1], [2, 2], [3, 3]])
    sub = tf.scatter_sub(v, tf.constant([[3]]), [[[1.0, 2.0]]])
    upd = tf.scatter_update(v, [1], 5.0)
    with tf.Session() as s:
        s.run(v.initializer)
        np.testing.assert_array_equal(s.run(add), [[4, 4], [0, 0], [2, 2], [0, 0]])
        s.run(sub)
        np.testing.assert_array_equal(s.run(upd), [[4, 4], [5, 5], [2, 2], [-1, -2]])
        np.testing.assert_array_equal(s.run(v), [[4, 4], [5, 5], [2, 2], [-1, -2]])


def test_variable_scatter_errors():
    v = tf.Variable(np.zeros((3, 2), np.float32))
    with pytest.raises(TypeError, match="must be a tf.Variable"):
        tf.scatter_add(tf.zeros([3, 2]), [0], [[1.0, 1.0]])
    with pytest.raises(ValueError, match=r"indices.shape \+ variable.shape\[1:\]"):
        tf.scatter_add(v, [0, 1], [[1.0, 1.0]])
    i = tf.placeholder(tf.int32, [None])
    op = tf.scatter_add(v, i, 1.0)
    with tf.Session() as s:
        with pytest.raises(FailedPreconditionError, match="uninitialized"):
            s.run(op, {i: [0]})
        s.run(v.initializer)
        with pytest.raises(InvalidArgumentError, match=r"indices\[1\] = 3 is not in \[0, 3\)"):
            s.run(op, {i: [0, 3]})


# -- boolean_mask --------------------------------------------------------------------------------


def test_boolean_mask():
    m = rng.random((4, 5)) > 0.5
    y = tf.boolean_mask(tf.constant(A), m)
    assert y.shape.as_list() == [None, 6]
    np.testing.assert_array_equal(run(y), A[m])
    m1 = rng.random(5) > 0.3
    y = tf.boolean_mask(A, m1, axis=1)
    assert y.shape.as_list() == [4, None, 6]
    np.testing.assert_array_equal(run(y), A[:, m1])
    x = tf.placeholder(tf.float64, [None, 5, None])
    mask = tf.placeholder(tf.bool, [None])
    y = tf.boolean_mask(x, mask)
    assert y.shape.as_list() == [None, 5, None]
    np.testing.assert_array_equal(run(y, {x: A, mask: [True, False, False, True]}), A[[0, 3]])


def test_boolean_mask_gradient_and_errors():
    x = tf.constant(A[:, :, 0])
    m = np.array([True, False, True, False])
    g = tf.gradients(tf.reduce_sum(tf.boolean_mask(x, m) * 2.0), x)[0]
    np.testing.assert_array_equal(run(g), np.where(m[:, None], 2.0, 0.0) * np.ones((4, 5)))
    with pytest.raises(TypeError, match="mask must be a bool tensor"):
        tf.boolean_mask(x, [1, 0, 1, 0])
    with pytest.raises(ValueError, match="mask cannot be scalar"):
        tf.boolean_mask(x, True)
    with pytest.raises(ValueError, match="does not match mask shape"):
        tf.boolean_mask(x, [True, False])


# -- top_k, unique -------------------------------------------------------------------------------


def test_top_k_values_indices_and_ties():
    x = np.array([[3.0, 1.0, 3.0, 2.0], [0.0, 5.0, -1.0, 5.0]], np.float32)
    v, i = tf.nn.top_k(x, 3) if hasattr(tf.nn, "top_k") else tf.top_k(x, 3)
    assert v.dtype == tf.float32 and i.dtype == tf.int32 and v.shape == (2, 3)
    vv, ii = run([v, i])
    np.testing.assert_array_equal(ii, [[0, 2, 3], [1, 3, 0]])
    np.testing.assert_array_equal(vv, [[3, 3, 2], [5, 5, 0]])
    y = rng.standard_normal((3, 7))
    vv, ii = run(tf.top_k(y, 7))
    np.testing.assert_array_equal(ii, np.argsort(-y, axis=1))
    np.testing.assert_array_equal(vv, -np.sort(-y, axis=1))


@pytest.mark.parametrize("k", [1, 3, 9])
def test_top_k_few_of_many_with_ties(k):
    x = rng.integers(-2, 3, (5, 40)).astype(np.int64)
    vv, ii = run(tf.top_k(x, k))
    ref = np.argsort(-x, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(ii, ref)
    np.testing.assert_array_equal(vv, np.take_along_axis(x, ref, 1))


def test_top_k_gradient_and_errors():
    x = tf.constant([[1.0, 4.0, 2.0], [6.0, 5.0, 0.0]])
    g = tf.gradients(tf.reduce_sum(tf.top_k(x, 2)[0] * [[1.0, 10.0]]), x)[0]
    np.testing.assert_array_equal(run(g), [[0, 1, 10], [1, 10, 0]])
    with pytest.raises(ValueError, match=r"k must be in \[0, 3\]"):
        tf.top_k(x, 4)
    with pytest.raises(ValueError, match="rank >= 1"):
        tf.top_k(tf.constant(1.0))
    with pytest.raises(TypeError, match="real-valued"):
        tf.top_k(tf.constant([True, False]))
    k = tf.placeholder(tf.int32, [])
    with pytest.raises(InvalidArgumentError, match="at least k=5 columns"):
        run(tf.top_k(x, k), {k: 5})


def test_unique_first_occurrence_order():
    y, idx = tf.unique([4, 1, 4, 2, 1, 7])
    assert y.dtype == tf.int32 and idx.dtype == tf.int32 and y.shape.as_list() == [None]
    yv, iv = run([y, idx])
    np.testing.assert_array_equal(yv, [4, 1, 2, 7])
    np.testing.assert_array_equal(iv, [0, 1, 0, 2, 1, 3])
    assert tf.unique([1.5], out_idx=tf.int64)[1].dtype == tf.int64
    with pytest.raises(ValueError, match="1-D"):
        tf.unique([[1, 2]])
