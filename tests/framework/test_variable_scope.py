"""variable_scope / get_variable: names, reuse modes, defaults, regularizers, errors."""
import math

import numpy as np
import pytest

import tensorlet as tf


def _init_and_run(fetches):
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        return s.run(fetches)


def test_names_of_variables_and_ops():
    with tf.variable_scope("layer1"), tf.variable_scope("dense"):
        w = tf.get_variable("w", [3, 4])
        y = tf.add(w, 1.0)
        assert tf.get_variable_scope().name == "layer1/dense"
    assert w.name == "layer1/dense/w:0" and w.op.name == "layer1/dense/w"
    assert y.name.startswith("layer1/dense/")
    assert tf.get_variable_scope().name == ""
    # variable names ignore name scopes; op names do not
    with tf.name_scope("outer"), tf.variable_scope("vs") as scope:
        v = tf.get_variable("v", [2])
        z = tf.identity(v)
    assert v.name == "vs/v:0" and z.name.startswith("outer/vs/")
    assert scope.original_name_scope == "outer/vs/"


def test_reuse_true_returns_the_same_variable():
    with tf.variable_scope("a"):
        w = tf.get_variable("w", [2, 2])
    with tf.variable_scope("a", reuse=True):
        w2 = tf.get_variable("w", [2, 2])
        w3 = tf.get_variable("w")  # shape may be left out when reusing
        y = tf.identity(w2)
    assert w2 is w and w3 is w
    assert y.name.startswith("a_1/")  # a fresh name scope, as TF 1.x
    assert len(tf.global_variables()) == 1


def test_existing_name_without_reuse_raises():
    with tf.variable_scope("a"):
        tf.get_variable("w", [2])
    msg = (r"Variable a/w already exists, disallowed\. Did you mean to set reuse=True or "
           r"reuse=tf\.AUTO_REUSE in VarScope")
    with pytest.raises(ValueError, match=msg), tf.variable_scope("a"):
        tf.get_variable("w", [2])


def test_missing_name_with_reuse_raises():
    with (pytest.raises(ValueError, match="Variable b/missing does not exist"),
          tf.variable_scope("b", reuse=True)):
        tf.get_variable("missing", [2])
    tf.Variable(1.0, name="plain")  # tf.Variable does not register with get_variable
    with (pytest.raises(ValueError, match="Variable plain does not exist"),
          tf.variable_scope("", reuse=True)):
        tf.get_variable("plain", [])


def test_shape_and_dtype_mismatch_on_reuse():
    with tf.variable_scope("s"):
        tf.get_variable("w", [2, 3])
    with tf.variable_scope("s", reuse=True):
        with pytest.raises(ValueError, match=r"s/w.*specified shape \(3, 2\).*found shape "
                                             r"\(2, 3\)"):
            tf.get_variable("w", [3, 2])
        with pytest.raises(ValueError, match="specified dtype float64 and found dtype float32"):
            tf.get_variable("w", [2, 3], dtype=tf.float64)


def test_auto_reuse_creates_then_reuses():
    def layer(x):
        with tf.variable_scope("shared", reuse=tf.AUTO_REUSE):
            w = tf.get_variable("w", [2], initializer=tf.ones_initializer())
            return x * w, w
    _, w1 = layer(tf.constant([1.0, 2.0]))
    y2, w2 = layer(tf.constant([3.0, 4.0]))
    assert w1 is w2 and len(tf.trainable_variables()) == 1
    np.testing.assert_array_equal(_init_and_run(y2), [3.0, 4.0])


def test_reuse_is_inherited_and_reuse_variables():
    with tf.variable_scope("p"), tf.variable_scope("q"):
        w = tf.get_variable("w", [1])
    # reuse=False inside a reusing scope does not switch reuse off
    with tf.variable_scope("p", reuse=True), tf.variable_scope("q", reuse=False):
        assert tf.get_variable("w", [1]) is w
    with tf.variable_scope("r") as scope:
        v = tf.get_variable("v", [1])
        scope.reuse_variables()
        assert tf.get_variable("v", [1]) is v and tf.get_variable_scope().reuse


def test_reentering_a_captured_scope():
    with tf.variable_scope("enc") as enc:
        w = tf.get_variable("w", [2])
    with tf.variable_scope("other"), tf.variable_scope(enc, reuse=True) as again:
        assert again.name == "enc" and tf.get_variable("w") is w
        y = tf.identity(w)
        with tf.variable_scope(enc), pytest.raises(ValueError, match="already exists"):
            tf.get_variable("w", [2])
    assert y.name.startswith("other/enc/")
    assert enc.original_name_scope == "enc/"


def test_default_names_are_made_unique():
    names = []
    for _ in range(3):
        with tf.variable_scope(None, default_name="dense"):
            names.append(tf.get_variable("k", [1]).name)
    assert names == ["dense/k:0", "dense_1/k:0", "dense_2/k:0"]
    # reopening the parent restarts its sub-scope numbering, so default names can be reused
    for reuse in (None, True):
        with tf.variable_scope("model", reuse=reuse), tf.variable_scope(None, default_name="layer"):
            names.append(tf.get_variable("k", [1]).name)
    assert names[-2:] == ["model/layer/k:0", "model/layer/k:0"]


def test_default_initializers():
    w = tf.get_variable("w", [100, 200])
    i = tf.get_variable("i", [3], dtype=tf.int32)
    vw, vi = _init_and_run([w, i])
    limit = math.sqrt(6 / 300)
    assert np.abs(vw).max() <= limit and vw.std() > 0.5 * limit / math.sqrt(3)
    assert vi.dtype == np.int32 and not vi.any()
    with pytest.raises(ValueError, match="An initializer for variable s of string is required"):
        tf.get_variable("s", [1], dtype=tf.string)


def test_value_initializers_give_the_shape():
    a = tf.get_variable("a", initializer=np.arange(6.0).reshape(2, 3))
    b = tf.get_variable("b", initializer=[1.0, 2.0])
    c = tf.get_variable("c", initializer=tf.constant([1, 2, 3]))
    assert (a.shape, a.dtype) == ((2, 3), tf.float64)
    assert (b.shape, b.dtype, c.dtype) == ((2,), tf.float32, tf.int32)
    va, vb, vc = _init_and_run([a, b, c])
    np.testing.assert_array_equal(vb, [1.0, 2.0])
    np.testing.assert_array_equal(va, np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(vc, [1, 2, 3])
    with pytest.raises(ValueError, match="do not specify shape"):
        tf.get_variable("d", [2], initializer=[1.0, 2.0])
    with pytest.raises(ValueError, match="'float32' and explicit dtype 'int32' don't match"):
        tf.get_variable("e", initializer=[1.0], dtype=tf.int32)


def test_initializer_classes_and_scope_defaults():
    with tf.variable_scope("s", initializer=tf.constant_initializer(0.5), dtype=tf.float64):
        w = tf.get_variable("w", [2])
        with tf.variable_scope("inner"):
            v = tf.get_variable("v", [1])
            u = tf.get_variable("u", [1], initializer=tf.ones_initializer)  # a class
    assert w.dtype == tf.float64 and v.dtype == tf.float64
    vw, vv, vu = _init_and_run([w, v, u])
    np.testing.assert_array_equal(vw, [0.5, 0.5])
    assert vv[0] == 0.5 and vu[0] == 1.0
    init_ops = [op.name for op in tf.get_default_graph().get_operations()
                if op.name.startswith("s/w/Initializer/")]
    assert init_ops


def test_regularizer_and_collections():
    def l2(v):
        return tf.reduce_sum(v * v)
    with tf.variable_scope("reg", regularizer=l2):
        w = tf.get_variable("w", [2], initializer=tf.constant_initializer(3.0))
        b = tf.get_variable("b", [2], regularizer=lambda v: None, trainable=False)
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert len(losses) == 1 and losses[0].name.startswith("reg/w/Regularizer/")
    assert _init_and_run(losses[0]) == 18.0
    assert w in tf.trainable_variables() and b not in tf.trainable_variables()
    c = tf.get_variable("c", [1], collections=["mine"])
    assert tf.get_collection("mine") == [c] and c not in tf.global_variables()


def test_scope_variable_lists():
    with tf.variable_scope("net") as net:
        w = tf.get_variable("w", [1])
        tf.get_variable("frozen", [1], trainable=False)
    tf.get_variable("w", [1])
    assert net.trainable_variables() == [w] and len(net.global_variables()) == 2


def test_bad_arguments():
    with pytest.raises(TypeError, match="string or a VariableScope"), tf.variable_scope(3):
        pass
    with (pytest.raises(ValueError, match="reuse=True cannot be used without a name_or_scope"),
          tf.variable_scope(None, default_name="x", reuse=True)):
        pass
    with (pytest.raises(ValueError, match="name_or_scope or a default_name"),
          tf.variable_scope(None)):
        pass
    with pytest.raises(ValueError, match="reuse must be"), tf.variable_scope("x", reuse="yes"):
        pass
    with pytest.raises(ValueError, match=r"must be fully defined.*\(None, 2\)"):
        tf.get_variable("u", [None, 2])
    with pytest.raises(ValueError, match="non-empty string"):
        tf.get_variable("", [1])
    tf.constant(1.0, name="taken")
    with pytest.raises(ValueError, match="already has an op named 'taken'"):
        tf.get_variable("taken", [1])
