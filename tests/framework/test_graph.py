"""Graph structure: names, scopes, collections, control dependencies, finalize, lookups."""
import pytest

import tensorlet as tf


def test_auto_names_and_scopes():
    a = tf.constant(1.0)
    b = tf.constant(2.0)
    assert a.name == "Const:0" and b.name == "Const_1:0"
    c = a + b
    assert c.name == "add:0" or c.op.type == "AddV2"
    with tf.name_scope("layer"):
        d = tf.constant(3.0, name="w")
        with tf.name_scope("inner"):
            e = tf.constant(4.0, name="w")
    with tf.name_scope("layer"):
        f = tf.constant(5.0, name="w")
    assert d.name == "layer/w:0"
    assert e.name == "layer/inner/w:0"
    assert f.name == "layer_1/w:0"


def test_default_graph_switch_and_reset():
    g = tf.Graph()
    with g.as_default():
        x = tf.constant(1)
        assert tf.get_default_graph() is g
    assert x.graph is g
    assert tf.get_default_graph() is not g
    old = tf.get_default_graph()
    tf.reset_default_graph()
    assert tf.get_default_graph() is not old


def test_reset_inside_with_block_raises():
    with tf.Graph().as_default():
        with pytest.raises(AssertionError):
            tf.reset_default_graph()


def test_tensor_properties():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    assert x.dtype == tf.float32
    assert x.shape.as_list() == [None, 3]
    assert x.get_shape().ndims == 2
    assert x.op.type == "Placeholder"
    assert x.name == "x:0"
    assert "x:0" in repr(x)


def test_collections_and_control_dependencies():
    a = tf.constant(1.0)
    tf.add_to_collection("mine", a)
    assert tf.get_collection("mine") == [a]
    assert tf.get_collection("missing") == []
    with tf.control_dependencies([a]):
        b = tf.constant(2.0)
    assert a.op in b.op.control_inputs
    with tf.control_dependencies([a]):
        with tf.control_dependencies(None):
            c = tf.constant(3.0)
    assert c.op.control_inputs == []


def test_lookup_by_name_and_errors():
    x = tf.constant(1.0, name="foo")
    g = tf.get_default_graph()
    assert g.get_tensor_by_name("foo:0") is x
    assert g.get_operation_by_name("foo") is x.op
    with pytest.raises(KeyError, match="foo:3"):
        g.get_tensor_by_name("foo:3")
    with pytest.raises(ValueError, match="op name"):
        g.get_tensor_by_name("foo")
    with pytest.raises(KeyError):
        g.get_operation_by_name("bar")


def test_finalize_blocks_new_ops():
    tf.constant(1.0)
    tf.get_default_graph().finalize()
    with pytest.raises(RuntimeError, match="finalized"):
        tf.constant(2.0)


def test_tensor_bool_is_an_error():
    with pytest.raises(TypeError, match="Python bool"):
        bool(tf.constant(True))


def test_device_is_accepted():
    with tf.device("/cpu:0"):
        x = tf.constant(1.0)
    assert x.device == ""


def test_inputs_from_another_graph_rejected():
    g1 = tf.Graph()
    with g1.as_default():
        a = tf.constant(1.0)
    with pytest.raises(ValueError, match="different graph"):
        tf.add(a, tf.constant(2.0))
