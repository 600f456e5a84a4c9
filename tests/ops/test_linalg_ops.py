"""Linear-algebra ops (linalg.py): einsum against np.einsum, its gradients (including repeated
labels and `...` broadcasting), tensordot, trace, matrix_transpose and norm."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet.errors import InvalidArgumentError

rng = np.random.default_rng(2)


def run(fetches, feed=None):
    with tf.Session() as s:
        return s.run(fetches, feed)


def randn(*shape):
    return rng.standard_normal(shape)


EQUATIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("bij,bjk->bik", [(2, 2, 3),
                                                                              (2, 3, 4)]),
    ("i,j->ij", [(3,), (4,)]), ("i,i->", [(3,), (3,)]), ("...ij,...jk->...ik", [(5, 2, 3),
                                                                             (3, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]), ("i...,i->...", [(3, 2, 1), (3,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("iij,j->i", [(2, 2, 3), (3,)]),
    ("abc,cd->abd", [(2, 3, 4), (4, 5)]), (" ij , jk -> ki ", [(2, 3), (3, 2)]),
]


@pytest.mark.parametrize("eq, shapes", EQUATIONS, ids=[e for e, _ in EQUATIONS])
def test_einsum_matches_numpy(eq, shapes):
    xs = [randn(*s) for s in shapes]
    y = tf.einsum(eq, *[tf.constant(x) for x in xs])
    ref = np.einsum(eq.replace(" ", ""), *xs)
    assert y.shape == ref.shape
    np.testing.assert_allclose(run(y), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("eq, shapes", EQUATIONS, ids=[e for e, _ in EQUATIONS])
def test_einsum_gradients_match_finite_differences(eq, shapes):
    xs = [randn(*s) for s in shapes]
    ts = [tf.constant(x) for x in xs]
    w = randn(*np.einsum(eq.replace(" ", ""), *xs).shape)
    grads = run(tf.gradients(tf.reduce_sum(tf.einsum(eq, *ts) * w), ts))
    for k, (x, g) in enumerate(zip(xs, grads)):
        assert g.shape == x.shape
        num = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            d = np.zeros_like(x)
            d[idx] = 1e-6
            args = [a + d if j == k else a for j, a in enumerate(xs)]
            hi = np.sum(np.einsum(eq.replace(" ", ""), *args) * w)
            args = [a - d if j == k else a for j, a in enumerate(xs)]
            lo = np.sum(np.einsum(eq.replace(" ", ""), *args) * w)
            num[idx] = (hi - lo) / 2e-6
        np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-6)


def test_einsum_second_order():
    a = tf.constant(randn(3, 3))
    y = tf.reduce_sum(tf.einsum("ij,jk->ik", a, a) ** 2)
    g = tf.gradients(y, a)[0]
    h = tf.gradients(tf.reduce_sum(g), a)[0]
    av = run(a)
    # d/da sum(g) where g = 2(aa)a^T + 2a^T(aa): checked against finite differences of g
    eps, num = 1e-6, np.zeros((3, 3))
    for idx in np.ndindex(3, 3):
        d = np.zeros((3, 3))
        d[idx] = eps

        def gsum(m):
            p = m @ m
            return np.sum(2 * p @ m.T + 2 * m.T @ p)
        num[idx] = (gsum(av + d) - gsum(av - d)) / (2 * eps)
    np.testing.assert_allclose(run(h), num, rtol=1e-5)


def test_einsum_static_shapes_dtypes_and_errors():
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.placeholder(tf.float32, [3, None])
    assert tf.einsum("ij,jk->ik", x, y).shape.as_list() == [None, None]
    assert tf.einsum("ij,jk->ki", x, tf.zeros([3, 5])).shape.as_list() == [5, None]
    z = tf.einsum("ij,j->i", tf.constant([[1, 2]]), tf.constant([0.5, 1.0]))
    assert z.dtype == tf.float32
    np.testing.assert_array_equal(run(z), [2.5])
    with pytest.raises(ValueError, match="label 'j'.*sizes \\[3, 4\\]"):
        tf.einsum("ij,jk->ik", tf.zeros([2, 3]), tf.zeros([4, 2]))
    with pytest.raises(ValueError, match="2 operand terms but 1 operands"):
        tf.einsum("ij,jk->ik", tf.zeros([2, 3]))
    with pytest.raises(ValueError, match="labels must be letters"):
        tf.einsum("i1->i", tf.zeros([2, 3]))
    with pytest.raises(ValueError, match="2 labels for an operand of rank 3"):
        tf.einsum("ij->i", tf.zeros([2, 3, 4]))
    with pytest.raises(ValueError, match="distinct and appear in an input"):
        tf.einsum("ij->ik", tf.zeros([2, 3]))
    with pytest.raises(ValueError, match="needs '...'"):
        tf.einsum("...i->i", tf.zeros([2, 3]))
    with pytest.raises(TypeError, match="unexpected keyword"):
        tf.einsum("ij->ji", tf.zeros([2, 3]), optimize=True)


def test_einsum_unknown_dims_may_not_broadcast_at_run_time():
    x = tf.placeholder(tf.float64, [None, 2])
    y = tf.einsum("...i,...i->...", x, tf.ones([3, 2], tf.float64))
    np.testing.assert_array_equal(run(y, {x: np.ones((3, 2))}), [2, 2, 2])
    with pytest.raises(InvalidArgumentError, match="only dimensions known to be 1"):
        run(y, {x: np.ones((1, 2))})


def test_tensordot():
    a, b = randn(2, 3, 4), randn(4, 3, 5)
    for axes in (1, [[2], [0]], [[1, 2], [1, 0]], ([-1], [0])):
        y = tf.tensordot(tf.constant(a), tf.constant(b), axes)
        ref = np.tensordot(a, b, axes)
        assert y.shape == ref.shape
        np.testing.assert_allclose(run(y), ref, rtol=1e-12)
    np.testing.assert_allclose(run(tf.tensordot(a, a, 0)), np.tensordot(a, a, 0), rtol=1e-12)
    with pytest.raises(ValueError, match="sizes 4 and 3"):
        tf.tensordot(a, b, [[2], [1]])
    with pytest.raises(ValueError, match="one length"):
        tf.tensordot(a, b, [[2, 1], [0]])
    with pytest.raises(ValueError, match="axes must be an int"):
        tf.tensordot(a, b, 4)
    with pytest.raises(ValueError, match="known rank"):
        tf.tensordot(tf.placeholder(tf.float32), b, 1)


def test_trace_and_matrix_transpose():
    a = randn(2, 3, 3)
    np.testing.assert_allclose(run(tf.trace(a)), np.trace(a, axis1=1, axis2=2), rtol=1e-12)
    y = tf.linalg.matrix_transpose(tf.constant(randn(2, 3, 4)))
    assert y.shape == (2, 4, 3)
    assert tf.linalg.matmul is tf.matmul and tf.linalg.einsum is tf.einsum
    assert tf.linalg.transpose(tf.zeros([2, 3, 4])).shape == (2, 4, 3)
    np.testing.assert_array_equal(run(tf.linalg.eye(2)), np.eye(2))
    with pytest.raises(ValueError, match="rank >= 2"):
        tf.matrix_transpose(tf.zeros([3]))


@pytest.mark.parametrize("ord, axis", [("euclidean", None), (2, None), (1, 0), (np.inf, 1),
                                       (3, -1), (0.5, 1), ("fro", (0, 1)), (1, (1, 2)),
                                       (np.inf, [2, 1]), ("euclidean", (0, 2))])
def test_norm_matches_numpy(ord, axis):
    a = randn(3, 4, 2)
    y = tf.norm(tf.constant(a), ord=ord, axis=axis)
    if axis is None:
        ref = np.linalg.norm(a.reshape(-1))
    elif isinstance(axis, int):
        ref = np.sum(np.abs(a) ** ord, axis=axis) ** (1 / ord) if ord != np.inf else \
            np.max(np.abs(a), axis=axis)
    else:
        ref = np.linalg.norm(a, ord=ord if ord != "euclidean" else "fro", axis=tuple(axis))
    assert y.shape == np.shape(ref)
    np.testing.assert_allclose(run(y), ref, rtol=1e-10)


def test_norm_keepdims_and_errors():
    a = tf.constant(randn(3, 4))
    assert tf.norm(a, keepdims=True).shape == (1, 1)
    assert tf.norm(a, axis=1, keep_dims=True).shape == (3, 1)
    with pytest.raises(ValueError, match="supported vector norm"):
        tf.norm(a, ord="fro", axis=1)
    with pytest.raises(ValueError, match="supported vector norm"):
        tf.norm(a, ord=0)
    with pytest.raises(ValueError, match="supported matrix norm"):
        tf.norm(a, ord=2, axis=[0, 1])
    with pytest.raises(ValueError, match="two distinct"):
        tf.norm(a, axis=[1, -1])
    with pytest.raises(TypeError, match="floating-point"):
        tf.norm(tf.constant([1, 2]))


def test_einsum_batch_of_unknown_size_and_its_gradients():
    x = tf.placeholder(tf.float32, [None, 3, 4])
    w = tf.constant(randn(4, 2).astype(np.float32))
    y = tf.einsum("...ij,jk->...ik", x, w)
    assert y.shape.as_list() == [None, 3, 2]
    gx, gw = tf.gradients(tf.reduce_sum(y * y), [x, w])
    assert gx.shape.as_list() == [None, 3, 4] and gw.shape == (4, 2)
    xv = randn(5, 3, 4).astype(np.float32)
    yv = xv @ run(w)
    out = run([gx, gw], {x: xv})
    np.testing.assert_allclose(out[0], 2 * yv @ run(w).T, rtol=1e-4)
    np.testing.assert_allclose(out[1], np.einsum("bij,bik->jk", xv, 2 * yv), rtol=1e-4)


# -- inverse, determinant, slogdet, solve -------------------------------------------------------


@pytest.mark.parametrize("dtype, tol", [(np.float32, 2e-5), (np.float64, 1e-12)])
def test_square_matrix_ops_match_numpy(dtype, tol):
    r = np.random.default_rng(5)
    a = (r.standard_normal((2, 4, 4)) + 2 * np.eye(4)).astype(dtype)
    b = r.standard_normal((2, 4, 3)).astype(dtype)
    spd = a @ np.swapaxes(a, -1, -2)
    with tf.Session() as s:
        inv, det, (sign, logabs), x, xt, logdet = s.run([
            tf.matrix_inverse(a), tf.linalg.det(a), tf.linalg.slogdet(a),
            tf.matrix_solve(a, b), tf.linalg.solve(a, b, adjoint=True), tf.linalg.logdet(spd)])
    a64 = a.astype(np.float64)
    for got, want in ((inv, np.linalg.inv(a64)), (det, np.linalg.det(a64)),
                      (sign, np.linalg.slogdet(a64)[0]), (logabs, np.linalg.slogdet(a64)[1]),
                      (x, np.linalg.solve(a64, b)),
                      (xt, np.linalg.solve(np.swapaxes(a64, -1, -2), b)),
                      (logdet, np.linalg.slogdet(spd.astype(np.float64))[1])):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=tol * 10, atol=tol * 10)
    assert tf.matrix_determinant(a).shape.as_list() == [2]


def test_square_matrix_ops_errors():
    with pytest.raises(ValueError, match="square matrices"):
        tf.matrix_inverse(np.zeros((2, 3), np.float32))
    with pytest.raises(TypeError, match="float32 or float64"):
        tf.linalg.det(np.eye(2, dtype=np.int32))
    with pytest.raises(ValueError, match="do not match"):
        tf.matrix_solve(np.eye(3, dtype=np.float32), np.ones((2, 1), np.float32))
    with tf.Session() as s:
        with pytest.raises(InvalidArgumentError, match="not invertible"):
            s.run(tf.matrix_inverse(np.zeros((2, 2), np.float32)))
        with pytest.raises(InvalidArgumentError, match="not invertible"):
            s.run(tf.matrix_solve(np.ones((2, 2)), np.ones((2, 1))))


def test_solve_needs_equal_batches_and_gradients_need_no_static_rank():
    with pytest.raises(ValueError, match="do not match"):
        tf.linalg.solve(np.ones((2, 3, 3)), np.ones((3, 1)))
    a = np.array([[2.0, 1.0], [0.0, 3.0]])
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float64)  # unknown rank
        grads = [tf.gradients(tf.reduce_sum(tf.matrix_inverse(p)), p)[0],
                 tf.gradients(tf.linalg.det(p), p)[0],
                 tf.gradients(tf.reduce_sum(tf.matrix_solve(p, tf.ones([2, 1], tf.float64),
                                                            adjoint=True)), p)[0]]
        with tf.Session() as s:
            gi, gd, gs = s.run(grads, {p: a})
    inv = np.linalg.inv(a)
    np.testing.assert_allclose(gi, -(inv.T @ np.ones((2, 2)) @ inv.T))
    np.testing.assert_allclose(gd, np.linalg.det(a) * inv.T)
    x = np.linalg.solve(a.T, np.ones((2, 1)))
    np.testing.assert_allclose(gs, -(x @ np.linalg.solve(a, np.ones((2, 1))).T))
