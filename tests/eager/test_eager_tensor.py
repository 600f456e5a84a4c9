"""Eager mode: the switch, EagerTensor (values, printing, operators, NumPy interop), eager
variables, random ops, and the errors of mixing modes."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet.eager import EagerTensor, EagerVariable
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.runtime import numerics


@pytest.fixture
def eager():
    with tf.eager_mode():
        yield


# -- the switch -----------------------------------------------------------------------------


def test_graph_mode_is_the_default():
    assert not tf.executing_eagerly()
    assert type(tf.constant(1.0)) is tf.Tensor


def test_eager_mode_block_and_graph_inside_it():
    with tf.eager_mode():
        assert tf.executing_eagerly()
        assert isinstance(tf.constant(1.0), EagerTensor)
        with tf.Graph().as_default():
            assert not tf.executing_eagerly()
            assert type(tf.constant(1.0)) is tf.Tensor
        assert tf.executing_eagerly()
    assert not tf.executing_eagerly()


def test_enable_eager_execution_program_wide_survives_reset():
    tf.enable_eager_execution()
    try:
        assert tf.executing_eagerly()
        tf.reset_default_graph()
        assert tf.executing_eagerly()
        assert float(tf.constant(2.0) * 3) == 6.0
    finally:
        tf.disable_eager_execution()
    assert not tf.executing_eagerly()


def test_enable_eager_execution_while_building_a_graph_raises():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="program startup"):
            tf.enable_eager_execution()


# -- values and printing --------------------------------------------------------------------


def test_constant_times_three_is_an_eager_tensor(eager):
    t = tf.constant([1.0, 2.0]) * 3
    assert isinstance(t, EagerTensor) and isinstance(t, tf.Tensor)
    np.testing.assert_array_equal(t.numpy(), [3.0, 6.0])
    assert t.dtype is tf.float32
    assert t.shape == tf.TensorShape([2]) and t.shape.as_list() == [2]
    assert t.ndim == 1
    assert str(t) == "tf.Tensor([3. 6.], shape=(2,), dtype=float32)"
    assert repr(t) == ("<tf.Tensor: shape=(2,), dtype=float32, "
                       "numpy=array([3., 6.], dtype=float32)>")


def test_printing_of_scalars_and_matrices(eager):
    assert str(tf.constant(3.5)) == "tf.Tensor(3.5, shape=(), dtype=float32)"
    assert repr(tf.constant(2)) == "<tf.Tensor: shape=(), dtype=int32, numpy=2>"
    assert str(tf.constant([[1, 2], [3, 4]])) == \
        "tf.Tensor(\n[[1 2]\n [3 4]], shape=(2, 2), dtype=int32)"
    assert f"{tf.constant(2.0):.2f}" == "2.00"


def test_numpy_of_a_scalar_is_a_numpy_scalar(eager):
    v = tf.constant(2.5).numpy()
    assert type(v) is np.float32 and v == 2.5
    assert type(tf.constant(3).numpy()) is np.int32


def test_numpy_returns_a_copy(eager):
    t = tf.constant([1.0, 2.0])
    a = t.numpy()
    a[0] = 10.0
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


def test_numpy_interop(eager):
    t = tf.constant([1.0, 2.0])
    out = np.add(t, 1)
    assert type(out) is np.ndarray and out.dtype == np.float32
    np.testing.assert_array_equal(out, [2.0, 3.0])
    np.testing.assert_array_equal(np.asarray(t), [1.0, 2.0])
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError):
        np.asarray(t)[0] = 5.0  # a read-only view: the tensor cannot be changed through it
    # a NumPy array on the left defers to the tensor's operator, as in TF
    assert isinstance(np.ones(2, np.float32) + t, EagerTensor)


def test_dtypes_of_python_and_numpy_values(eager):
    assert tf.constant([1, 2.5]).dtype is tf.float32
    assert tf.constant(1).dtype is tf.int32
    assert tf.constant(2 ** 40).dtype is tf.int64
    assert tf.constant(np.array([1, 2], np.int64)).dtype is tf.int64
    assert tf.constant(np.array([1.0])).dtype is tf.float64
    q = tf.constant(3) / tf.constant(2)
    assert q.dtype is tf.float64 and float(q) == 1.5


def test_python_operators(eager):
    a, b = tf.constant([6.0, -3.0]), tf.constant([4.0, 2.0])
    for got, want in [(a + b, [10, -1]), (a - b, [2, -5]), (a * b, [24, -6]),
                      (a / b, [1.5, -1.5]), (a // b, [1, -2]), (a % b, [2, 1]),
                      (a ** 2, [36, 9]), (-a, [-6, 3]), (abs(a), [6, 3]), (2 * a, [12, -6]),
                      (1 - a, [-5, 4])]:
        np.testing.assert_allclose(got.numpy(), want)
    np.testing.assert_array_equal((a > b).numpy(), [True, False])
    np.testing.assert_array_equal((a <= b).numpy(), [False, True])
    m = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal((m @ m).numpy(), [[7, 10], [15, 22]])
    np.testing.assert_array_equal((~tf.constant([True, False])).numpy(), [False, True])


def test_scalar_conversions(eager):
    assert float(tf.constant(2.5)) == 2.5
    assert int(tf.constant(7)) == 7
    assert bool(tf.constant(True)) is True and bool(tf.constant(0.0)) is False
    assert [10, 20, 30][tf.constant(1)] == 20  # __index__
    with pytest.raises(ValueError, match="ambiguous"):
        bool(tf.constant([1.0, 2.0]))
    with pytest.raises(TypeError, match="one element"):
        float(tf.constant([1.0, 2.0]))
    with pytest.raises(TypeError, match="integer scalar"):
        [1, 2][tf.constant(1.0)]


def test_len_iteration_and_indexing(eager):
    m = tf.constant([[1, 2, 3], [4, 5, 6]])
    assert len(m) == 2
    rows = list(m)
    assert len(rows) == 2 and isinstance(rows[0], EagerTensor)
    np.testing.assert_array_equal(rows[1].numpy(), [4, 5, 6])
    assert int(m[1, 2]) == 6
    np.testing.assert_array_equal(m[:, ::-1].numpy(), [[3, 2, 1], [6, 5, 4]])
    np.testing.assert_array_equal(m[-1].numpy(), [4, 5, 6])
    with pytest.raises(TypeError, match="Scalar tensor has no `len\\(\\)`"):
        len(tf.constant(1.0))
    with pytest.raises(TypeError, match="iterate over a scalar"):
        iter(tf.constant(1.0))


def test_is_tensor_and_graph_only_attributes(eager):
    t = tf.constant(1.0)
    assert tf.is_tensor(t)
    with pytest.raises(AttributeError, match="undefined when eager execution is enabled"):
        t.name
    with pytest.raises(NotImplementedError, match="numpy"):
        t.eval()
    assert t.op.type == "Const"
    assert tf.zeros_like(t).op.type == "ZerosLike"


def test_shape_inference_sees_concrete_values(eager):
    x = tf.reshape(tf.range(6), tf.shape(tf.ones([2, 3])))
    assert x.shape.as_list() == [2, 3]
    np.testing.assert_array_equal(tf.reduce_sum(x, axis=-1).numpy(), [3, 12])


# -- errors -----------------------------------------------------------------------------------


def test_bad_build_raises_at_once_naming_the_op(eager):
    with pytest.raises(ValueError, match="MatMul op"):
        tf.matmul(tf.ones([2, 3]), tf.ones([2, 3]))


def test_kernel_failure_is_an_invalid_argument_error(eager):
    with pytest.raises(InvalidArgumentError):
        tf.gather(tf.constant([1.0, 2.0]), tf.constant([5]))


def test_mixing_a_graph_tensor_into_an_eager_op_raises(eager):
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [2])
    with pytest.raises(TypeError, match="graph tensor .*Placeholder:0.* ops run eagerly"):
        tf.constant([1.0, 2.0]) + p
    with tf.Graph().as_default():
        gv = tf.Variable(1.0)
    with pytest.raises(TypeError, match="graph tensor"):
        tf.constant(1.0) * gv


def test_session_run_in_eager_mode_raises(eager):
    with pytest.raises(RuntimeError, match="Session.run is not available in eager mode"):
        tf.Session().run(tf.constant(1.0))


def test_a_graph_session_still_works_inside_eager_mode(eager):
    e = tf.constant([1.0, 2.0])
    with tf.Graph().as_default() as g:
        y = tf.placeholder(tf.float32, [2]) * 2 + e  # the eager value becomes a constant
        p = g.get_operations()[0].outputs[0]
        with tf.Session(graph=g) as sess:
            np.testing.assert_array_equal(sess.run(y, {p: [1.0, 1.0]}), [3.0, 4.0])


def test_tf_gradients_in_eager_mode_raises(eager):
    with pytest.raises(RuntimeError, match="GradientTape"):
        tf.gradients(tf.constant(1.0), tf.constant(1.0))


def test_check_numerics_mode_names_the_op(eager):
    numerics.enable_check_numerics()
    try:
        with pytest.raises(InvalidArgumentError, match="Log op"):
            tf.log(tf.constant([-1.0]))
    finally:
        numerics.disable_check_numerics()


def test_kernel_check_mode(eager, monkeypatch):
    from tensorlet.eager import execute
    monkeypatch.setattr(execute, "_CHECK_KERNELS", True)
    x = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_allclose(tf.nn.softmax(x).numpy().sum(axis=1), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_array_equal(tf.transpose(x).numpy(), np.arange(6).reshape(2, 3).T)


# -- random ops -------------------------------------------------------------------------------


def test_seeded_random_ops_continue_their_stream_and_repeat_per_program(eager):
    tf.set_random_seed(7)
    a, b = tf.random_uniform([3], seed=1), tf.random_uniform([3], seed=1)
    assert not np.array_equal(a.numpy(), b.numpy())
    tf.set_random_seed(7)
    np.testing.assert_array_equal(tf.random_uniform([3], seed=1).numpy(), a.numpy())
    np.testing.assert_array_equal(tf.random_uniform([3], seed=1).numpy(), b.numpy())
    tf.set_random_seed(None)


def test_seeded_eager_op_matches_its_first_graph_run(eager):
    first = tf.random_normal([4], seed=3).numpy()
    tf.set_random_seed(None)
    with tf.Graph().as_default() as g:
        r = tf.random_normal([4], seed=3)
        with tf.Session(graph=g) as sess:
            np.testing.assert_array_equal(sess.run(r), first)


def test_unseeded_random_ops_differ(eager):
    assert not np.array_equal(tf.random_uniform([5]).numpy(), tf.random_uniform([5]).numpy())


# -- variables ----------------------------------------------------------------------------------


def test_variable_holds_its_value(eager):
    v = tf.Variable([1.0, 2.0])
    assert isinstance(v, EagerVariable) and isinstance(v, tf.Variable)
    assert tf.is_tensor(v)
    assert v.name == "Variable:0" and v.dtype is tf.float32 and v.shape.as_list() == [2]
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal((v * 2).numpy(), [2.0, 4.0])
    assert repr(v) == ("<tf.Variable 'Variable:0' shape=(2,) dtype=float32, "
                       "numpy=array([1., 2.], dtype=float32)>")
    assert tf.global_variables() == []  # no collections in eager mode, as in TF 2


def test_assign_returns_the_variable_and_acts_at_once(eager):
    v = tf.Variable([1.0, 2.0])
    assert v.assign([3.0, 4.0]) is v
    np.testing.assert_array_equal(v.numpy(), [3.0, 4.0])
    assert v.assign_add([1.0, 1.0], read_value=False) is None
    np.testing.assert_array_equal(v.numpy(), [4.0, 5.0])
    v.assign_sub([4.0, 5.0])
    np.testing.assert_array_equal(v.numpy(), [0.0, 0.0])
    r = v.assign([7.0, 7.0])
    v.assign([8.0, 8.0])
    np.testing.assert_array_equal(r.numpy(), [8.0, 8.0])  # it is the variable: shows the latest


def test_variable_errors(eager):
    v = tf.Variable([1.0, 2.0])
    with pytest.raises(ValueError, match="shape"):
        v.assign([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="initial_value must be specified"):
        tf.Variable()
    with pytest.raises(ValueError, match="float32"):
        tf.Variable(tf.constant([1.0]), dtype=tf.int32)
    with pytest.raises(RuntimeError, match="initial_value"):
        v.initial_value


def test_variable_names_scopes_and_trainable(eager):
    with tf.name_scope("layer"):
        v = tf.Variable(1.0, name="w", trainable=False)
    assert v.name == "layer/w:0" and not v.trainable
    w = tf.Variable(lambda: tf.ones([2]), name="w")
    assert w.name == "w:0"
    np.testing.assert_array_equal(w.numpy(), [1.0, 1.0])
    assert w.op.name != v.op.name  # distinct storage keys


def test_reads_keep_their_values_when_the_variable_changes_in_place(eager):
    v = tf.Variable(np.ones((3, 2), np.float32))
    before = v.read_value()
    view = before[0]
    tf.train.GradientDescentOptimizer(1.0).apply_gradients([(tf.ones([3, 2]), v)])
    np.testing.assert_array_equal(v.numpy(), np.zeros((3, 2)))
    np.testing.assert_array_equal(before.numpy(), np.ones((3, 2)))
    np.testing.assert_array_equal(view.numpy(), [1.0, 1.0])


def test_variable_value_freed_with_the_variable(eager):
    from tensorlet.eager.context import CTX
    v = tf.Variable(np.zeros(10, np.float32))
    key = v.op.name
    assert key in CTX.vars
    del v
    assert key not in CTX.vars


def test_variable_load_and_numpy_interop(eager):
    v = tf.Variable(np.zeros(2, np.float32))
    v.load([1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(v), [1.0, 2.0])
    assert float(tf.Variable(3.0)) == 3.0
