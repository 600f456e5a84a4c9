"""tf.train optimizers in eager mode (TF 2's compat.v1 semantics): `minimize` and
`compute_gradients` take a loss callable and differentiate it with a GradientTape,
`apply_gradients` updates at once; the numbers equal graph mode's."""
import numpy as np
import pytest

import tensorlet as tf

W0 = np.array([[0.5, -1.0], [2.0, 0.25]], np.float32)
B0 = np.array([0.1, -0.2], np.float32)
X = np.array([[1.0, 2.0], [-0.5, 1.5], [3.0, -1.0]], np.float32)

OPTIMIZERS = {
    "sgd": lambda: tf.train.GradientDescentOptimizer(0.05),
    "momentum": lambda: tf.train.MomentumOptimizer(0.05, 0.9, use_nesterov=True),
    "adam": lambda: tf.train.AdamOptimizer(0.05),
    "rmsprop": lambda: tf.train.RMSPropOptimizer(0.05, momentum=0.5, centered=True),
    "adagrad": lambda: tf.train.AdagradOptimizer(0.1),
    "adadelta": lambda: tf.train.AdadeltaOptimizer(1.0),
}


@pytest.fixture(autouse=True)
def eager():
    with tf.eager_mode():
        yield


def _loss(w, b):
    return tf.reduce_mean(tf.square(tf.matmul(X, w) + b - 1.0))


def _graph_steps(make_opt, steps, dtype=np.float32):
    with tf.Graph().as_default():
        w = tf.Variable(W0.astype(dtype))
        b = tf.Variable(B0.astype(dtype))
        step = make_opt().minimize(_loss(w, tf.cast(b, w.dtype)), var_list=[w, b])
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for _ in range(steps):
                s.run(step)
            return s.run([w, b])


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_minimize_with_a_callable_loss_matches_graph_mode(name):
    w, b = tf.Variable(W0), tf.Variable(B0)
    opt = OPTIMIZERS[name]()
    for _ in range(4):
        assert opt.minimize(lambda: _loss(w, b), var_list=[w, b]) is None
    gw, gb = _graph_steps(OPTIMIZERS[name], 4)
    np.testing.assert_allclose(w.numpy(), gw, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.numpy(), gb, rtol=1e-5, atol=1e-6)
    assert not np.allclose(w.numpy(), W0)


def test_adam_with_float64_variables_matches_graph_mode():
    # the float32 step scalars are cast per dtype: each cast must stay tied to its own tensor
    w = tf.Variable(W0.astype(np.float64))
    b = tf.Variable(B0.astype(np.float64))
    opt = tf.train.AdamOptimizer(0.05)
    for _ in range(3):
        opt.minimize(lambda: _loss(w, tf.cast(b, w.dtype)), var_list=[w, b])
    gw, gb = _graph_steps(OPTIMIZERS["adam"], 3, np.float64)
    np.testing.assert_allclose(w.numpy(), gw, rtol=1e-12)
    np.testing.assert_allclose(b.numpy(), gb, rtol=1e-12)


def test_minimize_without_var_list_trains_the_trainable_variables_the_loss_reads():
    w, b = tf.Variable(W0), tf.Variable(B0)
    frozen = tf.Variable(2.0, trainable=False)
    unused = tf.Variable(5.0)
    tf.train.GradientDescentOptimizer(0.1).minimize(lambda: _loss(w, b) * frozen)
    assert not np.allclose(w.numpy(), W0) and not np.allclose(b.numpy(), B0)
    assert float(frozen.numpy()) == 2.0 and float(unused.numpy()) == 5.0


def test_minimize_trains_a_non_trainable_variable_in_var_list_and_bumps_global_step():
    v = tf.Variable(3.0, trainable=False)
    step = tf.Variable(0, trainable=False, dtype=tf.int64)
    opt = tf.train.GradientDescentOptimizer(0.25)
    assert opt.minimize(lambda: v * v, var_list=[v], global_step=step) is None
    assert float(v.numpy()) == 1.5 and int(step.numpy()) == 1      # 3 - 0.25 * 6
    opt.minimize(lambda: v * v, var_list=[v], global_step=step)
    assert float(v.numpy()) == 0.75 and int(step.numpy()) == 2


def test_compute_gradients_with_a_callable():
    w, u = tf.Variable(3.0), tf.Variable(4.0)
    opt = tf.train.GradientDescentOptimizer(0.1)
    pairs = opt.compute_gradients(lambda: w * w, var_list=[w, u])
    assert [v for _, v in pairs] == [w, u]
    assert float(pairs[0][0]) == 6.0 and pairs[1][0] is None
    assert float(w.numpy()) == 3.0                                  # nothing applied yet
    scaled = opt.compute_gradients(lambda: w * w, var_list=[w], grad_loss=tf.constant(2.0))
    assert float(scaled[0][0]) == 12.0
    assert [v for _, v in opt.compute_gradients(lambda: w * u)] == [w, u]  # watched, in order
    opt.apply_gradients(pairs)
    assert float(w.numpy()) == pytest.approx(2.4) and float(u.numpy()) == 4.0


def test_a_tensor_loss_in_eager_mode_is_a_clear_error():
    w = tf.Variable(3.0)
    opt = tf.train.GradientDescentOptimizer(0.1)
    msg = ("`loss` passed to Optimizer.compute_gradients should be a function when eager "
           "execution is enabled.")
    with pytest.raises(RuntimeError) as e:
        opt.minimize(w * w, var_list=[w])
    assert str(e.value) == msg
    with pytest.raises(RuntimeError, match="should be a function when eager"):
        opt.compute_gradients(w * w)
    assert float(w.numpy()) == 3.0


def test_eager_minimize_errors():
    w = tf.Variable(3.0)
    i = tf.Variable(1)
    opt = tf.train.GradientDescentOptimizer(0.1)
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.minimize(lambda: tf.constant(1.0) + 0.0, var_list=[w])
    with pytest.raises(ValueError, match="No variables to optimize"):
        opt.minimize(lambda: tf.constant(1.0))
    with pytest.raises(ValueError, match="Invalid type int32 for the loss"):
        opt.minimize(lambda: i * 2, var_list=[w])
    with pytest.raises(ValueError, match="expected a floating-point variable"):
        opt.minimize(lambda: w * 2.0, var_list=[i])
    with pytest.raises(TypeError, match="expected a tf.Variable to optimize"):
        opt.minimize(lambda: w * 2.0, var_list=[tf.constant(1.0)])
    with pytest.raises(ValueError, match="gate_gradients must be one of"):
        opt.compute_gradients(lambda: w * 2.0, gate_gradients=7)


def test_apply_gradients_applies_at_once():
    w = tf.Variable([1.0, 2.0])
    opt = tf.train.MomentumOptimizer(0.5, 0.9)
    assert opt.apply_gradients([(tf.constant([1.0, 1.0]), w)]) is None
    np.testing.assert_allclose(w.numpy(), [0.5, 1.5])
    opt.apply_gradients([(np.array([1.0, 1.0], np.float32), w)])   # accum 1.9
    np.testing.assert_allclose(w.numpy(), [-0.45, 0.55], rtol=1e-6)
    assert opt.get_slot(w, "momentum").numpy().tolist() == pytest.approx([1.9, 1.9])
    with pytest.raises(TypeError, match="gradient is float64 but variable Variable"):
        opt.apply_gradients([(tf.constant([1.0, 1.0], tf.float64), w)])


def test_eager_steps_leave_nothing_behind_in_the_eager_graph():
    from tensorlet.eager.context import EAGER_GRAPH
    w = tf.Variable(1.0)
    opt = tf.train.AdamOptimizer(0.1)
    for _ in range(3):
        opt.minimize(lambda: w * w, var_list=[w])
    assert EAGER_GRAPH.get_collection(tf.GraphKeys.TRAIN_OP) == []


def test_minimize_with_a_callable_inside_tf_function_gives_the_eager_numbers():
    def run(compiled):
        w, b = tf.Variable(W0), tf.Variable(B0)
        opt = tf.train.AdamOptimizer(0.05)

        def step():
            opt.minimize(lambda: _loss(w, b), var_list=[w, b])
            return _loss(w, b)
        if compiled:
            step = tf.function(step)
        return [float(step()) for _ in range(3)], w.numpy()

    eager_losses, eager_w = run(False)
    fn_losses, fn_w = run(True)
    np.testing.assert_allclose(fn_losses, eager_losses, rtol=1e-6)
    np.testing.assert_allclose(fn_w, eager_w, rtol=1e-6)
    assert eager_losses[-1] < eager_losses[0]


def test_minimize_inside_tf_function_without_var_list_uses_the_variables_read():
    w = tf.Variable(3.0)
    frozen = tf.Variable(2.0, trainable=False)
    opt = tf.train.GradientDescentOptimizer(0.125)
    step = tf.function(lambda: opt.minimize(lambda: w * w * frozen))
    step()
    assert float(w.numpy()) == 1.5 and float(frozen.numpy()) == 2.0   # 3 - 0.125 * 12
    step()
    assert float(w.numpy()) == 0.75
    with pytest.raises(ValueError, match="No variables to optimize"):
        tf.function(lambda: opt.minimize(lambda: tf.constant(2.0) * 3.0))()
