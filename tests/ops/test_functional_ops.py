"""map_fn, scan, foldl, foldr: values against Python loops, structures, unknown lengths, eager
mode, gradients through them, errors."""
import numpy as np
import pytest

import tensorlet as tf

X = np.arange(12, dtype=np.float32).reshape(4, 3)


def _run(fetches, x=X):
    with tf.Graph().as_default():
        t = tf.placeholder(tf.float32, [None, 3])
        out = fetches(t)
        with tf.Session() as s:
            return s.run(out, {t: x})


def test_map_fn_rows_structures_and_gradients():
    got = _run(lambda t: tf.map_fn(lambda r: r * 2 + 1, t))
    np.testing.assert_array_equal(got, X * 2 + 1)
    pair = _run(lambda t: tf.map_fn(lambda r: (r[0], tf.reduce_sum(r[1])), (t, t)))
    np.testing.assert_array_equal(pair[0], X)
    np.testing.assert_array_equal(pair[1], X.sum(1))
    grad = _run(lambda t: tf.gradients(tf.reduce_sum(tf.map_fn(lambda r: r * r, t)), t)[0])
    np.testing.assert_array_equal(grad, 2 * X)
    with tf.eager_mode():
        np.testing.assert_array_equal(tf.map_fn(lambda r: r * 2, tf.constant(X)).numpy(), 2 * X)


def test_scan_foldl_foldr_match_python_loops():
    def running(rows, fn, acc=None, reverse=False):
        rows = list(rows[::-1] if reverse else rows)
        out = []
        for r in rows:
            acc = r if acc is None else fn(acc, r)
            out.append(acc)
        return np.array(out[::-1] if reverse else out)

    half = lambda a, r: a * 0.5 + r  # noqa: E731
    got = _run(lambda t: [tf.scan(lambda a, r: a + r, t),
                          tf.scan(half, t, initializer=tf.zeros([3])),
                          tf.scan(lambda a, r: a + r, t, reverse=True),
                          tf.foldl(half, t), tf.foldr(lambda a, r: a * 2 + r, t)])
    np.testing.assert_allclose(got[0], np.cumsum(X, 0))
    np.testing.assert_allclose(got[1], running(X, half, np.zeros(3))[:])
    np.testing.assert_allclose(got[2], np.cumsum(X[::-1], 0)[::-1])
    np.testing.assert_allclose(got[3], running(X, half)[-1])
    np.testing.assert_allclose(got[4], running(X, lambda a, r: a * 2 + r, reverse=True)[0])
    grad = _run(lambda t: tf.gradients(tf.reduce_sum(tf.scan(lambda a, r: a * r, t)), t)[0],
                x=np.full((3, 3), 2.0, np.float32))
    np.testing.assert_allclose(grad[0], [1 + 2 + 4] * 3)  # d/dx0 of x0 + x0x1 + x0x1x2


def test_scan_with_a_structured_accumulator():
    total, count = _run(lambda t: tf.scan(lambda a, r: (a[0] + r, a[1] + 1.0), t,
                                          initializer=(tf.zeros([3]), tf.constant(0.0))))
    np.testing.assert_allclose(total, np.cumsum(X, 0))
    np.testing.assert_array_equal(count, [1, 2, 3, 4])


def test_errors():
    with pytest.raises(ValueError, match="first dimension"):
        tf.map_fn(lambda r: r, tf.constant(1.0))
    with pytest.raises(ValueError, match="at least one tensor"):
        tf.scan(lambda a, r: a, ())
