"""Array ops (array.py, manip.py, generate.py): values against NumPy float64, static shapes with
None dims, TF dtypes and defaults, and errors."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet.errors import InvalidArgumentError

rng = np.random.default_rng(0)


def run(fetches, feed=None):
    with tf.Session() as s:
        return s.run(fetches, feed)


def randn(*shape):
    return rng.standard_normal(shape)


# -- size, rank, shape ---------------------------------------------------------------------------


def test_size_rank_shape_are_int32_and_dynamic():
    x = tf.placeholder(tf.float32, [None, 3])
    sz, rk, sh = tf.size(x), tf.rank(x), tf.shape(x)
    assert (sz.dtype, rk.dtype, sh.dtype) == (tf.int32, tf.int32, tf.int32)
    assert sz.shape == () and rk.shape == () and sh.shape == (2,)
    out = run([sz, rk, sh], {x: np.zeros((4, 3))})
    assert out[0] == 12 and out[1] == 2 and list(out[2]) == [4, 3]
    assert tf.size(x, out_type=tf.int64).dtype == tf.int64


def test_index_dtypes_follow_tf():
    x = tf.constant([[1.0, -2.0], [3.0, 0.0]])
    assert tf.argmax(x, 1).dtype == tf.int64 and tf.where(x > 0).dtype == tf.int64
    assert tf.range(3).dtype == tf.int32 and tf.shape(x).dtype == tf.int32
    assert tf.top_k(x)[1].dtype == tf.int32 and tf.unique([1])[1].dtype == tf.int32


def test_size_and_rank_fold_when_static():
    c = tf.zeros([2, 5])
    assert int(tf.size(c).constant_value()) == 10
    assert int(tf.rank(c).constant_value()) == 2
    assert tf.size(tf.placeholder(tf.float32, [None])).constant_value() is None


# -- expand_dims, squeeze, reshape ---------------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_expand_dims(axis):
    a = randn(2, 3)
    y = tf.expand_dims(tf.constant(a), axis)
    np.testing.assert_array_equal(run(y), np.expand_dims(a, axis).astype(np.float64))
    assert y.shape == np.expand_dims(a, axis).shape


def test_expand_dims_unknown_dims_dim_alias_and_errors():
    x = tf.placeholder(tf.float32, [None, 3])
    assert tf.expand_dims(x, 1).shape.as_list() == [None, 1, 3]
    assert tf.expand_dims(x, dim=0).shape.as_list() == [1, None, 3]
    with pytest.raises(ValueError, match=r"axis 3 is out of range.*\[-3, 3\)"):
        tf.expand_dims(x, 3)
    with pytest.raises(ValueError, match="needs an axis"):
        tf.expand_dims(x)


def test_squeeze_all_and_selected_axes():
    a = randn(1, 3, 1, 2)
    x = tf.constant(a)
    np.testing.assert_array_equal(run(tf.squeeze(x)), a.reshape(3, 2))
    assert tf.squeeze(x, [2]).shape == (1, 3, 2)
    assert tf.squeeze(x, axis=-4).shape == (3, 1, 2)
    assert tf.squeeze(x, squeeze_dims=[0, 2]).shape == (3, 2)


def test_squeeze_errors():
    x = tf.placeholder(tf.float32, [None, 3])
    with pytest.raises(ValueError, match="cannot squeeze axis 1: expected a dimension of 1, got 3"):
        tf.squeeze(x, [1])
    y = tf.squeeze(x, [0])
    assert y.shape == (3,)
    with pytest.raises(InvalidArgumentError, match=r"Can not squeeze dim\[0\].*got 2"):
        run(y, {x: np.zeros((2, 3))})
    assert tf.squeeze(x).shape.ndims is None  # the unknown dimension may or may not be 1


def test_reshape_keeps_static_dims_of_a_dynamic_target_shape():
    x = tf.placeholder(tf.float32, [None, 4])
    y = tf.reshape(tf.ones([5, 4]), tf.shape(x))
    assert y.shape.as_list() == [None, 4]
    z = tf.reshape(x, tf.stack([tf.shape(x)[0], 2, 2]))
    assert z.shape.as_list() == [None, 2, 2]
    assert run(z, {x: np.zeros((3, 4))}).shape == (3, 2, 2)


# -- transpose, reverse, broadcast_to ------------------------------------------------------------


@pytest.mark.parametrize("perm", [None, (1, 0, 2), (2, 0, 1), [0, 1, 2]])
def test_transpose(perm):
    a = randn(2, 3, 4)
    y = tf.transpose(tf.constant(a), perm)
    ref = np.transpose(a, perm)
    np.testing.assert_array_equal(run(y), ref)
    assert y.shape == ref.shape


def test_transpose_unknown_dims_and_bad_perm():
    x = tf.placeholder(tf.float32, [None, 3])
    assert tf.transpose(x).shape.as_list() == [3, None]
    with pytest.raises(ValueError, match=r"permutation of \[0, 2\).*got \[0, 0\]"):
        tf.transpose(x, [0, 0])
    with pytest.raises(ValueError, match=r"permutation.*got \[0, 1, 2\]"):
        tf.transpose(x, [0, 1, 2])
    u = tf.placeholder(tf.float32)
    np.testing.assert_array_equal(run(tf.transpose(u), {u: np.ones((2, 3))}).shape, (3, 2))


def test_reverse():
    a = randn(2, 3, 4)
    np.testing.assert_array_equal(run(tf.reverse(tf.constant(a), [0, -1])), a[::-1, :, ::-1])
    with pytest.raises(ValueError, match="names a dimension twice"):
        tf.reverse(tf.constant(a), [1, -2])
    with pytest.raises(ValueError, match="out of range"):
        tf.reverse(tf.constant(a), [3])


def test_broadcast_to():
    a = randn(3, 1)
    y = tf.broadcast_to(tf.constant(a), [2, 3, 4])
    assert y.shape == (2, 3, 4)
    np.testing.assert_array_equal(run(y), np.broadcast_to(a, (2, 3, 4)))
    with pytest.raises(ValueError, match=r"cannot broadcast a tensor of shape \(3, 1\) to shape "
                                         r"\(2, 4\)"):
        tf.broadcast_to(tf.constant(a), [2, 4])
    x = tf.placeholder(tf.float32, [None])
    z = tf.broadcast_to(x, [2, 3])
    assert z.shape == (2, 3)
    with pytest.raises(InvalidArgumentError, match=r"cannot broadcast.*\[4\] to shape \[2, 3\]"):
        run(z, {x: np.zeros(4)})


# -- concat, stack, unstack, split ---------------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat(axis):
    a, b = randn(2, 3), randn(2, 3)
    np.testing.assert_array_equal(run(tf.concat([a, tf.constant(b)], axis)),
                                  np.concatenate([a, b], axis))


def test_concat_static_shapes_dtype_promotion_and_errors():
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.placeholder(tf.float32, [2, None])
    assert tf.concat([x, y], 0).shape.as_list() == [None, 3]
    assert tf.concat([y, y], 1).shape.as_list() == [2, None]
    z = tf.concat([tf.constant([1, 2]), tf.constant([0.5])], 0)
    assert z.dtype == tf.float32
    np.testing.assert_array_equal(run(z), [1, 2, 0.5])
    assert tf.concat([tf.constant([1, 2]), [0.5]], 0).dtype == tf.float32
    assert tf.stack([tf.constant(1, tf.int64), 2]).dtype == tf.int64
    assert tf.stack([1, 2.5]).dtype == tf.float32
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 4\)"):
        tf.concat([tf.zeros([2, 3]), tf.zeros([2, 4])], 0)
    with pytest.raises(ValueError, match="same rank"):
        tf.concat([tf.zeros([2, 3]), tf.zeros([2])], 0)
    with pytest.raises(ValueError, match="out of range"):
        tf.concat([tf.zeros([2, 3]), tf.zeros([2, 3])], 2)
    with pytest.raises(ValueError, match="scalars"):
        tf.concat([1.0, 2.0], 0)
    with pytest.raises(TypeError, match="list of tensors"):
        tf.concat(tf.zeros([2]), 0)
    c = tf.concat([x, tf.zeros([1, 3])], 0)
    np.testing.assert_array_equal(run(c, {x: np.ones((2, 3))}).shape, (3, 3))
    u = tf.placeholder(tf.float32, [None, None])
    with pytest.raises(InvalidArgumentError, match=r"\[\[2, 4\], \[1, 3\]\]"):
        run(tf.concat([u, tf.zeros([1, 3])], 0), {u: np.ones((2, 4))})


def test_concat_one_value_and_gradient_with_unknown_sizes():
    a = tf.placeholder(tf.float32, [None, 2])
    b = tf.placeholder(tf.float32, [None, 2])
    y = tf.concat([a, b * 2], 0)
    ga, gb = tf.gradients(tf.reduce_sum(y * y), [a, b])
    av, bv = randn(3, 2), randn(1, 2)
    out = run([ga, gb], {a: av, b: bv})
    np.testing.assert_allclose(out[0], 2 * av, rtol=1e-6)
    np.testing.assert_allclose(out[1], 8 * bv, rtol=1e-6)
    np.testing.assert_array_equal(run(tf.concat([tf.constant([1, 2])], 0)), [1, 2])


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack_and_unstack_roundtrip(axis):
    xs = [randn(2, 3) for _ in range(4)]
    y = tf.stack(xs, axis)
    ref = np.stack(xs, axis)
    assert y.shape == ref.shape
    np.testing.assert_array_equal(run(y), ref)
    parts = tf.unstack(y, axis=axis)
    assert len(parts) == 4
    for p, x in zip(run(parts), xs):
        np.testing.assert_array_equal(p, x)


def test_stack_unstack_errors_and_iteration():
    with pytest.raises(ValueError, match=r"same shape.*\(2,\).*\(3,\)"):
        tf.stack([tf.zeros([2]), tf.zeros([3])])
    x = tf.placeholder(tf.float32, [None, 3])
    assert tf.stack([x, x], 1).shape.as_list() == [None, 2, 3]
    with pytest.raises(ValueError, match="cannot infer num"):
        tf.unstack(x)
    assert len(tf.unstack(x, num=2)) == 2
    with pytest.raises(ValueError, match="cannot unstack 4 tensors from dimension 1 of size 3"):
        tf.unstack(x, num=4, axis=1)
    rows = [r for r in tf.constant([[1, 2], [3, 4]])]
    assert [list(v) for v in run(rows)] == [[1, 2], [3, 4]]
    with pytest.raises(InvalidArgumentError, match="expected 2 slices"):
        run(tf.unstack(x, num=2), {x: np.zeros((3, 3))})
    (only,) = tf.unstack(tf.constant([[1, 2]]))
    np.testing.assert_array_equal(run(only), [1, 2])


def test_split_equal_and_sizes():
    a = randn(6, 4)
    parts = tf.split(tf.constant(a), 3)
    assert [p.shape for p in parts] == [(2, 4)] * 3
    for p, r in zip(run(parts), np.split(a, 3)):
        np.testing.assert_array_equal(p, r)
    (whole,) = tf.split(tf.constant(a), 1)
    np.testing.assert_array_equal(run(whole), a)
    (whole,) = tf.split(tf.constant(a), [-1], axis=1)
    np.testing.assert_array_equal(run(whole), a)
    parts = tf.split(tf.constant(a), [1, -1, 2], axis=1)
    assert [p.shape.as_list() for p in parts] == [[6, 1], [6, 1], [6, 2]]
    for p, r in zip(run(parts), np.split(a, [1, 2], axis=1)):
        np.testing.assert_array_equal(p, r)


def test_split_errors_and_dynamic_sizes():
    x = tf.zeros([6, 4])
    with pytest.raises(ValueError, match="size 4 into 3 equal parts"):
        tf.split(x, 3, axis=1)
    with pytest.raises(ValueError, match=r"\[2, 3\] do not add up to the dimension size 4"):
        tf.split(x, [2, 3], axis=1)
    with pytest.raises(ValueError, match="one -1"):
        tf.split(x, [-1, -1], axis=1)
    sizes = tf.placeholder(tf.int32, [None])
    with pytest.raises(ValueError, match="pass num="):
        tf.split(x, sizes)
    parts = tf.split(tf.constant(randn(6, 4)), sizes, num=2)
    out = run(parts, {sizes: [4, 2]})
    assert [p.shape for p in out] == [(4, 4), (2, 4)]
    with pytest.raises(InvalidArgumentError, match="do not add up"):
        run(parts, {sizes: [4, 4]})


# -- tile, pad ----------------------------------------------------------------------------------


def test_tile():
    a = randn(2, 3)
    y = tf.tile(tf.constant(a), [2, 3])
    assert y.shape == (4, 9)
    np.testing.assert_array_equal(run(y), np.tile(a, (2, 3)))
    x = tf.placeholder(tf.float32, [None, 3])
    assert tf.tile(x, [2, 1]).shape.as_list() == [None, 3]
    with pytest.raises(ValueError, match="length 2"):
        tf.tile(x, [2, 1, 1])


def test_tile_gradient_sums_copies():
    x = tf.constant(randn(2, 3))
    g = tf.gradients(tf.reduce_sum(tf.tile(x, [3, 2]) * 2.0), x)[0]
    np.testing.assert_allclose(run(g), np.full((2, 3), 12.0))


@pytest.mark.parametrize("mode", ["CONSTANT", "REFLECT", "SYMMETRIC", "reflect"])
def test_pad_modes_match_numpy(mode):
    a = randn(3, 4)
    p = [[1, 2], [2, 0]]
    y = tf.pad(tf.constant(a), p, mode)
    np_mode = {"CONSTANT": "constant", "REFLECT": "reflect", "SYMMETRIC": "symmetric"}[
        mode.upper()]
    np.testing.assert_array_equal(run(y), np.pad(a, p, mode=np_mode))
    assert y.shape == (6, 6)


def test_pad_constant_values_and_errors():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    y = tf.pad(tf.constant(a), [[1, 0], [0, 1]], constant_values=-1)
    assert y.dtype == tf.int32
    np.testing.assert_array_equal(run(y), np.pad(a, [[1, 0], [0, 1]], constant_values=-1))
    with pytest.raises(ValueError, match="mode must be one of"):
        tf.pad(tf.constant(a), [[1, 1], [1, 1]], "WRAP")
    with pytest.raises(ValueError, match="no greater than 1 in REFLECT mode"):
        tf.pad(tf.constant(a), [[2, 0], [0, 0]], "REFLECT")
    with pytest.raises(ValueError, match=r"shape \[2, 2\]"):
        tf.pad(tf.constant(a), [[1, 1]])
    with pytest.raises(ValueError, match=">= 0"):
        tf.pad(tf.constant(a), [[-1, 0], [0, 0]])
    p = tf.placeholder(tf.int32, [2, 2])
    y = tf.pad(tf.constant(a), p, "SYMMETRIC")
    assert y.shape.as_list() == [None, None]
    with pytest.raises(InvalidArgumentError, match="invalid paddings"):
        run(y, {p: [[3, 0], [0, 0]]})


def test_pad_mirror_gradient_folds_borders():
    x = tf.constant([1.0, 2.0, 3.0])
    g = tf.gradients(tf.reduce_sum(tf.pad(x, [[2, 1]], "REFLECT")), x)[0]
    np.testing.assert_array_equal(run(g), [1, 3, 2])  # [3 2 | 1 2 3 | 2]
    g = tf.gradients(tf.reduce_sum(tf.pad(x, [[2, 1]], "SYMMETRIC")), x)[0]
    np.testing.assert_array_equal(run(g), [2, 2, 2])  # [2 1 | 1 2 3 | 3]


# -- range, linspace, eye, one_hot, sequence_mask ------------------------------------------------


@pytest.mark.parametrize("args, kwargs, ref, dtype", [
    ((5,), {}, np.arange(5), tf.int32),
    ((3, 18, 3), {}, np.arange(3, 18, 3), tf.int32),
    ((3, 1, -0.5), {}, np.arange(3, 1, -0.5), tf.float32),
    ((0, 1, 0.25), {}, np.arange(0, 1, 0.25), tf.float32),
    ((2,), {"dtype": tf.int64}, np.arange(2), tf.int64),
    ((1, 1), {}, np.arange(1, 1), tf.int32),
    ((0.5, 3), {}, np.arange(0.5, 3), tf.float32),
])
def test_range(args, kwargs, ref, dtype):
    y = tf.range(*args, **kwargs)
    assert y.dtype == dtype
    assert y.shape == ref.shape
    np.testing.assert_array_equal(run(y), ref)


def test_range_dtype_from_tensors_and_errors():
    n = tf.placeholder(tf.int64, [])
    y = tf.range(n)
    assert y.dtype == tf.int64 and y.shape.as_list() == [None]
    np.testing.assert_array_equal(run(y, {n: 3}), [0, 1, 2])
    with pytest.raises(ValueError, match="Requires delta != 0"):
        tf.range(0, 5, 0)
    with pytest.raises(ValueError, match="Requires start <= limit when delta > 0"):
        tf.range(5, 1)
    with pytest.raises(InvalidArgumentError, match="Requires start >= limit when delta < 0"):
        run(tf.range(0, n, -1), {n: 3})
    with pytest.raises(TypeError, match="int32, int64, float32 or float64"):
        tf.range(tf.constant(3, tf.uint8))


def test_range_float32_accumulates_like_tf():
    y = run(tf.range(0.0, 10.0, 0.1))
    ref = np.cumsum(np.concatenate([[0], np.full(99, 0.1)]).astype(np.float32), dtype=np.float32)
    assert y.dtype == np.float32 and len(y) == 100
    np.testing.assert_array_equal(y, ref)


def test_linspace():
    y = tf.linspace(1.0, 2.0, 5)
    assert y.dtype == tf.float32 and y.shape == (5,)
    np.testing.assert_allclose(run(y), np.linspace(1, 2, 5), rtol=1e-6)
    np.testing.assert_array_equal(run(tf.linspace(3.0, 4.0, 1)), [3.0])
    assert tf.lin_space(0, 1, 3).dtype == tf.float32
    with pytest.raises(ValueError, match="Requires num > 0: 0"):
        tf.linspace(0.0, 1.0, 0)
    n = tf.placeholder(tf.int32, [])
    with pytest.raises(InvalidArgumentError, match="Requires num > 0: -2"):
        run(tf.linspace(0.0, 1.0, n), {n: -2})


def test_eye():
    np.testing.assert_array_equal(run(tf.eye(3)), np.eye(3))
    y = tf.eye(2, 3, batch_shape=[4], dtype=tf.int32)
    assert y.dtype == tf.int32 and y.shape == (4, 2, 3)
    np.testing.assert_array_equal(run(y), np.broadcast_to(np.eye(2, 3), (4, 2, 3)))
    n = tf.placeholder(tf.int32, [])
    d = tf.eye(n, batch_shape=[2])
    np.testing.assert_array_equal(run(d, {n: 3}), np.broadcast_to(np.eye(3), (2, 3, 3)))


def test_one_hot_defaults_axes_and_dtypes():
    idx = np.array([[0, 2], [1, -1]])
    y = tf.one_hot(idx, 3)
    assert y.dtype == tf.float32 and y.shape == (2, 2, 3)
    np.testing.assert_array_equal(run(y), np.eye(3)[idx] * (idx >= 0)[..., None])
    y0 = tf.one_hot(idx, 3, axis=0)
    assert y0.shape == (3, 2, 2)
    np.testing.assert_array_equal(run(y0), np.moveaxis(run(y), -1, 0))
    yi = tf.one_hot([1, 5], 3, on_value=7, off_value=-1)
    assert yi.dtype == tf.int32
    np.testing.assert_array_equal(run(yi), [[-1, 7, -1], [-1, -1, -1]])
    assert tf.one_hot([0], 2, dtype=tf.float64).dtype == tf.float64
    with pytest.raises(TypeError, match="indices must be integers"):
        tf.one_hot([0.5], 2)
    with pytest.raises(ValueError, match="out of range"):
        tf.one_hot([0, 1], 2, axis=2)
    x = tf.placeholder(tf.int32, [None])
    assert tf.one_hot(x, 4).shape.as_list() == [None, 4]


def test_sequence_mask():
    lengths = np.array([1, 3, 0])
    y = tf.sequence_mask(lengths, 4)
    assert y.dtype == tf.bool and y.shape == (3, 4)
    np.testing.assert_array_equal(run(y), np.arange(4) < lengths[:, None])
    y = tf.sequence_mask([[1, 2]], dtype=tf.float32)
    np.testing.assert_array_equal(run(y), [[[1, 0], [1, 1]]])
    with pytest.raises(ValueError, match="maxlen must be scalar"):
        tf.sequence_mask(lengths, [2, 3])
    with pytest.raises(TypeError, match="lengths must be integers"):
        tf.sequence_mask([1.5])
