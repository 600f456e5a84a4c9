"""keras.regularizers and keras.constraints: values against NumPy, configs, errors."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet.keras import constraints, regularizers

W = np.array([[0.5, -2.0, 0.0], [1.5, 0.25, -3.0], [-0.1, 0.0, 2.0], [0.0, 0.0, 0.0]])


def run(t):
    with tf.Session() as sess:
        return sess.run(t)


def test_l1_l2_l1l2_values():
    assert np.isclose(run(regularizers.L1()(W)), 0.01 * np.abs(W).sum())
    assert np.isclose(run(regularizers.L2()(W)), 0.01 * np.square(W).sum())
    assert np.isclose(run(regularizers.L1(0.3)(W)), 0.3 * np.abs(W).sum())
    value = run(regularizers.L1L2(l1=0.2, l2=0.05)(W))
    assert np.isclose(value, 0.2 * np.abs(W).sum() + 0.05 * np.square(W).sum())
    assert run(regularizers.L1L2()(W)) == 0.0
    out = regularizers.L2()(W.astype(np.float32))
    assert out.dtype == tf.float32 and out.shape.ndims == 0


def test_orthogonal_regularizer():
    rows = W[:3] / np.linalg.norm(W[:3], axis=1, keepdims=True)
    gram = rows @ rows.T
    off = np.abs(gram - np.diag(np.diag(gram))).sum()
    expected = 0.01 * 0.5 * off / 3.0
    assert np.isclose(run(regularizers.OrthogonalRegularizer()(W[:3])), expected)
    cols = W[:3] / np.linalg.norm(W[:3], axis=0, keepdims=True)
    gram = cols.T @ cols
    off = np.abs(gram - np.diag(np.diag(gram))).sum()
    assert np.isclose(run(regularizers.OrthogonalRegularizer(0.1, "columns")(W[:3])),
                      0.1 * 0.5 * off / 3.0)
    with pytest.raises(ValueError, match="2-D weight"):
        regularizers.OrthogonalRegularizer()(np.ones(3))
    with pytest.raises(ValueError, match="'rows' or 'columns'"):
        regularizers.OrthogonalRegularizer(mode="diag")


def test_regularizer_gradient_is_the_penalty_derivative():
    v = tf.Variable(W)
    (g,) = tf.gradients(regularizers.L1L2(l1=0.1, l2=0.2)(v), [v])
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_allclose(sess.run(g), 0.1 * np.sign(W) + 0.4 * W)


def test_regularizer_configs_and_get():
    assert regularizers.L2().get_config() == {"l2": 0.01}
    assert regularizers.L1L2(l1=0.5).get_config() == {"l1": 0.5, "l2": 0.0}
    for name, cls in [("l1", regularizers.L1), ("l2", regularizers.L2),
                      ("l1_l2", regularizers.L1L2), ("L1L2", regularizers.L1L2),
                      ("orthogonal_regularizer", regularizers.OrthogonalRegularizer)]:
        reg = regularizers.get(name)
        assert type(reg) is cls
        again = regularizers.deserialize(regularizers.serialize(reg))
        assert type(again) is cls and again.get_config() == reg.get_config()
    assert regularizers.get(None) is None
    assert regularizers.get({"class_name": "L2", "config": {"l2": 0.5}}).l2 == 0.5


def test_regularizer_errors():
    for bad in (-1.0, float("nan"), "0.1"):
        with pytest.raises(ValueError, match="non-negative float"):
            regularizers.L2(bad)
    with pytest.raises(ValueError, match="Unknown regularizer identifier 'l3'") as e:
        regularizers.get("l3")
    assert "l1_l2" in str(e.value)


def _norms(w, axis):
    return np.sqrt(np.square(w).sum(axis=axis, keepdims=True))


def test_max_norm():
    eps = 1e-7
    for axis in (0, 1):
        n = _norms(W, axis)
        expected = W * (np.clip(n, 0, 2) / (eps + n))
        np.testing.assert_allclose(run(constraints.MaxNorm(axis=axis)(W)), expected)
    out = run(constraints.MaxNorm(max_value=1.0)(W))
    assert (_norms(out, 0) <= 1.0 + 1e-6).all()


def test_non_neg_unit_norm_min_max_norm():
    np.testing.assert_array_equal(run(constraints.NonNeg()(W)), np.maximum(W, 0))
    out = run(constraints.UnitNorm()(W))
    np.testing.assert_allclose(out, W / (1e-7 + _norms(W, 0)))
    np.testing.assert_allclose(_norms(out, 0), 1.0, rtol=1e-6)
    n = _norms(W, 0)
    desired = 0.5 * np.clip(n, 1.0, 2.0) + 0.5 * n
    np.testing.assert_allclose(
        run(constraints.MinMaxNorm(min_value=1.0, max_value=2.0, rate=0.5)(W)),
        W * desired / (1e-7 + n))
    # a zero column stays zero (no division by zero)
    assert not run(constraints.UnitNorm(axis=1)(W))[3].any()


def test_constraint_configs_get_and_errors():
    assert constraints.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert constraints.UnitNorm(axis=[0, 1]).get_config() == {"axis": [0, 1]}
    for name, cls in [("max_norm", constraints.MaxNorm), ("non_neg", constraints.NonNeg),
                      ("unit_norm", constraints.UnitNorm),
                      ("min_max_norm", constraints.MinMaxNorm),
                      ("MaxNorm", constraints.MaxNorm)]:
        c = constraints.get(name)
        assert type(c) is cls
        again = constraints.deserialize(constraints.serialize(c))
        assert type(again) is cls and again.get_config() == c.get_config()
    with pytest.raises(ValueError, match="Unknown constraint identifier 'maxnorm'"):
        constraints.get("maxnorm")
    with pytest.raises(ValueError, match="min_value <= max_value"):
        constraints.MinMaxNorm(min_value=2.0, max_value=1.0)
    with pytest.raises(ValueError, match="`axis` must be an int"):
        constraints.UnitNorm(axis="0")
    with pytest.raises(ValueError, match="max_value"):
        constraints.MaxNorm(max_value=-1)
