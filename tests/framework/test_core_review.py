"""Review of the core engine against TF 1.x: dtypes, shapes, conversion, autodiff, variables.

Each test pins a behaviour that was wrong or missing (see the review report); values are
checked against hand-computed results or NumPy."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet.framework import dtypes
from tensorlet.framework.shapes import TensorShape


def run(fetches, feed=None):
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        return s.run(fetches, feed)


# -- dtypes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("a,b,want", [
    ("uint8", "int8", "int16"), ("int8", "uint8", "int16"), ("uint16", "int16", "int32"),
    ("uint32", "int32", "int64"), ("uint8", "int32", "int32"), ("uint16", "int8", "int32"),
    ("uint32", "int8", "int64"), ("uint64", "int64", "int64"), ("bool", "uint8", "uint8"),
    ("uint8", "float16", "float16"), ("int64", "float32", "float32"),
])
def test_review_promotion_of_mixed_signedness_keeps_every_value(a, b, want):
    assert dtypes.promote(a, b) is dtypes.as_dtype(want)


def test_review_uint8_plus_int8_does_not_overflow():
    x = tf.constant([200], tf.uint8) + tf.constant([100], tf.int8)
    assert x.dtype is tf.int16
    assert run(x).tolist() == [300]


def test_review_bool_tensor_with_weak_int_promotes_to_int32():
    b = tf.constant([True, False])
    y = b + 1
    assert y.dtype is tf.int32
    assert run(y).tolist() == [2, 1]


def test_review_weak_python_int_out_of_range_raises():
    with pytest.raises(TypeError, match="int8"):
        tf.constant([1], tf.int8) + 300
    with pytest.raises(TypeError, match="int32"):
        tf.constant([1]) + 2 ** 40
    with pytest.raises(TypeError, match="uint8"):
        tf.constant([1], tf.uint8) - (-1)
    with pytest.raises(TypeError, match="int32"):
        tf.constant([1]) * np.array([2 ** 40])


def test_review_weak_number_with_string_tensor_raises_at_build_time():
    with pytest.raises(TypeError, match="string"):
        tf.constant("a") + 1


def test_review_dtype_api_parity():
    assert tf.float32.is_compatible_with(tf.float32)
    assert not tf.float32.is_compatible_with(tf.float64)
    assert tf.int8.limits == (-128, 127)
    assert tf.float32.real_dtype is tf.float32
    assert not tf.float32.is_complex and not tf.float32.is_quantized
    with pytest.raises(TypeError, match="bool"):
        tf.bool.min


def test_review_constant_python_int_too_big_for_int64_raises():
    with pytest.raises(ValueError, match="int64"):
        tf.constant(2 ** 70)
    assert tf.constant(2 ** 40).dtype is tf.int64
    assert tf.constant([-2 ** 40, 1]).dtype is tf.int64


def test_review_constant_none_and_tensor_values_raise():
    with pytest.raises(ValueError, match="None"):
        tf.constant(None)
    with pytest.raises(TypeError, match="tensor"):
        tf.constant(tf.constant(1.0))
    with pytest.raises(TypeError, match="tensor"):
        tf.constant([tf.constant(1.0), 2.0])


def test_review_constant_out_of_range_for_dtype_raises():
    with pytest.raises(TypeError, match="int8"):
        tf.constant(300, dtype=tf.int8)
    with pytest.raises(TypeError, match="uint8"):
        tf.constant([-1, 2], dtype=tf.uint8)
    assert run(tf.constant(127, dtype=tf.int8)) == 127


def test_review_constant_shape_fills_with_last_element_like_tf1():
    np.testing.assert_array_equal(run(tf.constant([1, 2], shape=[2, 2])), [[1, 2], [2, 2]])
    np.testing.assert_array_equal(run(tf.constant(7.0, shape=[2, 3])), np.full((2, 3), 7.0))
    np.testing.assert_array_equal(run(tf.constant([1, 2, 3, 4], shape=[2, 2])),
                                  [[1, 2], [3, 4]])
    np.testing.assert_array_equal(run(tf.constant([], shape=[2])), [0.0, 0.0])
    with pytest.raises(ValueError, match="Too many elements"):
        tf.constant([1, 2, 3, 4, 5], shape=[2, 2])
    with pytest.raises(ValueError, match="fully defined"):
        tf.constant(1, shape=[None, 2])


def test_review_constant_float_scalars_keep_numpy_float64():
    assert tf.constant(np.float64(1.5)).dtype is tf.float64
    assert tf.constant([1, 2.5]).dtype is tf.float32
    assert tf.constant(1.5).dtype is tf.float32


# -- shapes ------------------------------------------------------------------------------------


def test_review_tensorshape_api_parity():
    s = TensorShape([1, None, 3])
    assert s[1:] == TensorShape([None, 3])
    assert s.concatenate([4]).as_list() == [1, None, 3, 4]
    assert (s + [4]).as_list() == [1, None, 3, 4]
    assert ([0] + s).as_list() == [0, 1, None, 3]
    assert s.most_specific_compatible_shape([1, 2, 4]).as_list() == [1, None, None]
    assert s.most_specific_compatible_shape([1, 2]).dims is None
    assert s.with_rank_at_least(2) is s
    assert s.with_rank_at_most(3) is s
    with pytest.raises(ValueError, match="at least 4"):
        s.with_rank_at_least(4)
    with pytest.raises(ValueError, match="at most 2"):
        s.with_rank_at_most(2)
    s.assert_has_rank(3)
    with pytest.raises(ValueError):
        s.assert_has_rank(2)
    s.assert_same_rank([5, 6, 7])
    with pytest.raises(ValueError):
        s.assert_same_rank([5])
    with pytest.raises(ValueError):
        TensorShape(None).as_list()


def test_review_dimension_behaves_like_its_value():
    d = tf.Dimension(3)
    assert d == 3 and int(d) == 3 and d.value == 3
    assert tf.Dimension(None).value is None
    assert list(range(5))[tf.Dimension(2)] == 2


def test_review_broadcast_none_with_one_stays_unknown():
    p = tf.placeholder(tf.float32, [None])
    assert (p + tf.constant([1.0])).shape.as_list() == [None]
    assert (tf.constant([1.0]) * p).shape.as_list() == [None]


# -- conversion: lists holding tensors are packed (TF's auto-packing) ---------------------------


def test_review_shape_lists_may_hold_tensors():
    x = tf.placeholder(tf.float32, [None, 2, 3])
    feed = {x: np.ones((4, 2, 3))}
    y = tf.reshape(x, [tf.shape(x)[0], -1])
    assert run(y, feed).shape == (4, 6)
    assert run(tf.zeros([tf.shape(x)[0], 3]), feed).shape == (4, 3)
    assert run(tf.fill([tf.shape(x)[0], 2], 1.0), feed).shape == (4, 2)
    assert run(tf.tile(tf.constant([[1.0]]), [tf.shape(x)[0], 1]), feed).shape == (4, 1)


def test_review_convert_to_tensor_packs_nested_lists_of_tensors():
    t = tf.convert_to_tensor([[tf.constant(1.0), 2.0], [3.0, tf.constant(4.0)]])
    assert t.dtype is tf.float32 and t.shape.as_list() == [2, 2]
    np.testing.assert_array_equal(run(t), [[1, 2], [3, 4]])
    np.testing.assert_array_equal(run(tf.constant([1.0, 2.0]) + [tf.constant(1.0), 2.0]),
                                  [2, 4])


def test_review_op_traceback_names_user_file_even_under_a_tensorlet_folder(tmp_path):
    d = tmp_path / "tensorlet" / "examples"
    d.mkdir(parents=True)
    f = d / "prog.py"
    f.write_text("import tensorlet as tf\nt = tf.constant(1.0)\n")
    ns = {}
    exec(compile(f.read_text(), str(f), "exec"), ns)
    assert ns["t"].op.traceback == f"{f}:2"


# -- autodiff ----------------------------------------------------------------------------------


def test_review_gradient_reaches_x_through_another_x():
    x = tf.constant([1.0, 2.0])
    y = x * 2.0
    gx, gy = tf.gradients(y * y, [x, y])
    np.testing.assert_allclose(run(gx), 8 * np.array([1.0, 2.0]))
    np.testing.assert_allclose(run(gy), 2 * np.array([2.0, 4.0]))


def test_review_stop_gradients_give_partial_derivatives_like_tf_doc():
    a = tf.constant(0.0)
    b = 2 * a
    total = tf.gradients(a + b, [a, b])
    partial = tf.gradients(a + b, [a, b], stop_gradients=[a, b])
    assert run(total) == [3.0, 1.0]
    assert run(partial) == [1.0, 1.0]
    assert tf.gradients(b * b, [a], stop_gradients=[b]) == [None]


def test_review_stop_gradient_on_one_output_of_a_multi_output_op():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    u0, u1 = tf.unstack(x)
    (g,) = tf.gradients(u0 * 2.0 + u1 * 3.0, [x], stop_gradients=[u1])
    np.testing.assert_allclose(run(g), [[2, 2], [0, 0]])


def test_review_unconnected_gradients_accepts_the_enum_and_rejects_junk():
    x, z = tf.constant(1.0), tf.constant(2.0)
    y = x * 3.0
    (g,) = tf.gradients(y, [z], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert run(g) == 0.0
    (g,) = tf.gradients(y, [z], unconnected_gradients="zero")
    assert run(g) == 0.0
    assert tf.gradients(y, [z], unconnected_gradients=tf.UnconnectedGradients.NONE) == [None]
    with pytest.raises(ValueError, match="unconnected_gradients"):
        tf.gradients(y, [z], unconnected_gradients="bogus")


def test_review_grad_ys_dtype_and_shape_are_checked():
    x = tf.constant([1.0, 2.0])
    y = x * 2.0
    with pytest.raises(TypeError, match="grad_ys"):
        tf.gradients(y, x, grad_ys=tf.constant([1, 2]))
    with pytest.raises(ValueError, match=r"grad_ys.*\(3,\).*\(2,\)"):
        tf.gradients(y, x, grad_ys=tf.constant([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(run(tf.gradients(y, x, grad_ys=[[3.0, 4.0]])[0]), [6, 8])


def test_review_gradients_through_integer_paths_and_into_ints():
    x = tf.constant([1.5, 2.5])
    y = tf.cast(tf.cast(x, tf.int32), tf.float32) * x   # no gradient through the int cast
    np.testing.assert_allclose(run(tf.gradients(y, x)[0]), [1.0, 2.0])
    i = tf.constant([1, 2])
    assert tf.gradients(tf.cast(i, tf.float32) * 2.0, i) == [None]


def test_review_gradient_wrt_variable_through_read_value_and_identity():
    v = tf.Variable([1.0, 2.0])
    for read in (v.read_value(), tf.identity(v), v.value(), v):
        (g,) = tf.gradients(read * 3.0, v)
        np.testing.assert_allclose(run(g), [3.0, 3.0])


def test_review_gradient_wrt_a_fed_tensor_and_duplicated_xs():
    p = tf.placeholder(tf.float32, [2])
    g1, g2 = tf.gradients(p * p, [p, p])
    a, b = run([g1, g2], {p: [1.0, 3.0]})
    np.testing.assert_allclose(a, [2, 6])
    np.testing.assert_allclose(b, [2, 6])


def test_review_gradient_rule_returning_a_wrong_shape_is_reported():
    from tensorlet.ops.base import declare
    from tensorlet.framework.registry import _REGISTRY
    declare("ReviewBadGrad", lambda i, a: [(i[0].shape, i[0].dtype)], lambda a, x: x,
            grad=lambda op, g, n: [tf.reduce_sum(g[0])])
    try:
        x = tf.constant([1.0, 2.0])
        y = tf.get_default_graph().create_op("ReviewBadGrad", [x]).outputs[0]
        with pytest.raises(ValueError, match="ReviewBadGrad.*shape"):
            tf.gradients(y, x)
    finally:
        del _REGISTRY["ReviewBadGrad"]


# -- variables ---------------------------------------------------------------------------------


def test_review_variable_python_init_is_cast_but_a_tensor_is_not():
    v = tf.Variable([1, 2], dtype=tf.float32)
    assert v.dtype is tf.float32
    np.testing.assert_array_equal(run(v), [1.0, 2.0])
    with pytest.raises(ValueError, match="dtype"):
        tf.Variable(tf.constant([1, 2]), dtype=tf.float32)


def test_review_validate_shape_false_gives_an_unknown_shape():
    v = tf.Variable(tf.zeros([2]), validate_shape=False)
    assert v.shape.dims is None
    grow = tf.assign(v, tf.zeros([3]), validate_shape=False)
    with tf.Session() as s:
        s.run(v.initializer)
        assert s.run(v).shape == (2,)
        s.run(grow)
        assert s.run(v).shape == (3,)


def test_review_initialized_value_orders_dependent_initializers():
    a = tf.Variable([1.0, 2.0], name="a")
    c = tf.Variable(a.initialized_value() * 2.0, name="c")
    d = tf.Variable(lambda: c.initialized_value() + a.initialized_value(), name="d")
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        got = s.run([a, c, d])
    np.testing.assert_array_equal(got[1], [2, 4])
    np.testing.assert_array_equal(got[2], [3, 6])
    with tf.Session() as s:  # already initialised: initialized_value reads the value
        s.run(a.initializer)
        s.run(a.assign([5.0, 5.0]))
        np.testing.assert_array_equal(s.run(a.initialized_value()), [5, 5])


def test_review_reads_inside_control_dependencies_see_the_update():
    v = tf.Variable(0.0)
    inc = v.assign_add(1.0)
    with tf.control_dependencies([inc]):
        via_identity = tf.identity(v)
        via_math = v * 10.0
        via_read = v.read_value()
    with tf.Session() as s:
        s.run(v.initializer)
        assert s.run(via_identity) == 1.0
        assert s.run(via_math) == 20.0
        assert s.run(via_read) == 3.0


def test_review_assign_inside_control_dependencies_uses_updated_value():
    v = tf.Variable(1.0)
    inc = v.assign_add(1.0)
    with tf.control_dependencies([inc]):
        scaled = v.assign(v * 10.0)
    with tf.Session() as s:
        s.run(v.initializer)
        assert s.run(scaled) == 20.0
        assert s.run(v) == 20.0


def test_review_non_trainable_and_scoped_collections():
    with tf.variable_scope("layer"):
        w = tf.get_variable("w", [2], initializer=tf.zeros_initializer())
        nt = tf.Variable(1.0, trainable=False, name="nt")
    other = tf.Variable(1.0, name="other")
    assert tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, scope="layer") == [w, nt]
    assert nt not in tf.trainable_variables() and nt in tf.global_variables()
    assert other in tf.trainable_variables()


def test_review_variable_created_inside_control_dependencies_ignores_them():
    v = tf.Variable(0.0)
    inc = v.assign_add(1.0)
    with tf.control_dependencies([inc]):
        w = tf.Variable(5.0)
    with tf.Session() as s:
        s.run(v.initializer)
        s.run(w.initializer)
        assert s.run(w) == 5.0
        assert s.run(v) == 0.0


def test_review_cond_and_while_gradients_with_captures_derived_from_each_other():
    # total derivatives through xs must not make cond/while_loop count a path twice
    x = tf.placeholder(tf.float64, [])
    c1 = x * 3.0
    c2 = c1 * 2.0
    z = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v + c1 * c2),
                      [tf.constant(0), tf.constant(0.0, tf.float64)])[1]
    y = tf.cond(tf.constant(True), lambda: c1 * c2, lambda: c1)
    gz, gy = tf.gradients(z, x)[0], tf.gradients(y, x)[0]
    assert run([gz, gy], {x: 1.0}) == [3 * 36.0, 36.0]   # d(18 x^2)/dx = 36 x


def test_review_variable_load_checks_the_shape():
    v = tf.Variable([1.0, 2.0])
    with tf.Session() as s:
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"\(3,\)"):
            v.load([1.0, 2.0, 3.0], s)
        v.load([3, 4], s)
        np.testing.assert_array_equal(s.run(v), [3.0, 4.0])
