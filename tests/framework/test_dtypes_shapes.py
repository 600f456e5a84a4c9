"""DType names and the promotion lattice; TensorShape semantics."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet.framework.dtypes import default_dtype_for_python, promote
from tensorlet.framework.shapes import TensorShape, broadcast_static


def test_as_dtype_forms():
    assert tf.as_dtype("float32") is tf.float32
    assert tf.as_dtype(np.float64) is tf.float64
    assert tf.as_dtype(tf.int32) is tf.int32
    assert tf.float32 == "float32" and tf.float32 != tf.float64
    with pytest.raises(TypeError, match="Unknown dtype"):
        tf.as_dtype("float33")


def test_python_defaults():
    assert default_dtype_for_python(1) is tf.int32
    assert default_dtype_for_python(1.5) is tf.float32
    assert default_dtype_for_python([1, 2.5]) is tf.float32
    assert default_dtype_for_python(np.float64(1)) is tf.float64
    assert default_dtype_for_python(2**40) is tf.int64
    assert default_dtype_for_python(True) is tf.bool


def test_promotion_lattice():
    assert promote(tf.int32, tf.float32) is tf.float32
    assert promote(tf.bool, tf.int32) is tf.int32
    assert promote(tf.float16, tf.float64) is tf.float64
    assert promote(tf.uint8, tf.int8) is tf.int16  # holds every value of both


def test_shape_compatibility_and_merge():
    s = TensorShape([None, 3])
    assert s.is_compatible_with([5, 3])
    assert not s.is_compatible_with([5, 4])
    assert s.merge_with([5, None]).as_list() == [5, 3]
    assert TensorShape(None).ndims is None
    with pytest.raises(ValueError):
        s.merge_with([1, 2, 3])
    with pytest.raises(TypeError):
        TensorShape([1.5])


def test_broadcast_static():
    assert broadcast_static([None, 1], [4]).as_list() == [None, 4]
    assert broadcast_static([2, 1], [1, 3]).as_list() == [2, 3]
    with pytest.raises(ValueError, match="broadcasting"):
        broadcast_static([2, 3], [4])
