"""tf.train optimizers (TF 1.x): each against a float64 reference of its formula, slots, steps."""
import numpy as np
import pytest

import tensorlet as tf

C = np.array([[1.0, 2.0, 0.5], [3.0, 0.25, 1.5]])
D = np.array([[0.3, -1.0, 2.0], [-0.5, 1.0, 0.1]])
W0 = np.array([[1.0, -2.0, 0.5], [0.7, 1.5, -0.3]])


def quadratic(dtype=tf.float32):
    """w and loss = sum(C*w^2)/2 + sum(D*w), whose gradient is C*w + D."""
    w = tf.Variable(W0.astype(dtype.np), name="w")
    loss = tf.reduce_sum(tf.constant(C, dtype) * tf.square(w)) / 2 + \
        tf.reduce_sum(tf.constant(D, dtype) * w)
    return w, loss


def grad(w):
    return C * w + D


def run_steps(opt, steps=3, dtype=tf.float32):
    w, loss = quadratic(dtype)
    gs = tf.train.get_or_create_global_step()
    train = opt.minimize(loss, global_step=gs)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(steps):
            sess.run(train)
        return sess.run(w), sess.run(gs), w, sess


def ref_sgd(lr, steps=3):
    w = W0.copy()
    for _ in range(steps):
        w = w - lr * grad(w)
    return w


def ref_momentum(lr, mu, nesterov, steps=3):
    w, a = W0.copy(), np.zeros_like(W0)
    for _ in range(steps):
        g = grad(w)
        a = mu * a + g
        w = w - lr * (g + mu * a) if nesterov else w - lr * a
    return w


def ref_adam(lr, b1, b2, eps, steps=3, power_dtype=np.float64):
    w, m, v = W0.copy(), np.zeros_like(W0), np.zeros_like(W0)
    b1p, b2p = power_dtype(b1), power_dtype(b2)   # TF keeps beta powers in float32 variables
    for _ in range(steps):
        g = grad(w)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        lr_t = lr * np.sqrt(1 - float(b2p)) / (1 - float(b1p))
        b1p, b2p = b1p * power_dtype(b1), b2p * power_dtype(b2)
        w = w - lr_t * m / (np.sqrt(v) + eps)          # epsilon outside the sqrt
    return w


def ref_rmsprop(lr, rho, mu, eps, centered, steps=3):
    w, ms, mg, mom = W0.copy(), np.ones_like(W0), np.zeros_like(W0), np.zeros_like(W0)
    for _ in range(steps):
        g = grad(w)
        ms = rho * ms + (1 - rho) * g * g              # the mean square starts at ONES
        denom = ms + eps                               # epsilon inside the sqrt
        if centered:
            mg = rho * mg + (1 - rho) * g
            denom = ms - mg * mg + eps
        mom = mu * mom + lr * g / np.sqrt(denom)
        w = w - mom
    return w


def ref_adagrad(lr, init, steps=3):
    w, acc = W0.copy(), np.full_like(W0, init)
    for _ in range(steps):
        g = grad(w)
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc)                  # no epsilon in TF 1.x
    return w


def ref_adadelta(lr, rho, eps, steps=3):
    w, acc, accu = W0.copy(), np.zeros_like(W0), np.zeros_like(W0)
    for _ in range(steps):
        g = grad(w)
        acc = rho * acc + (1 - rho) * g * g
        upd = np.sqrt(accu + eps) / np.sqrt(acc + eps) * g
        accu = rho * accu + (1 - rho) * upd * upd
        w = w - lr * upd
    return w


CASES = [
    (lambda: tf.train.GradientDescentOptimizer(0.1), ref_sgd(0.1)),
    (lambda: tf.train.MomentumOptimizer(0.05, 0.9), ref_momentum(0.05, 0.9, False)),
    (lambda: tf.train.MomentumOptimizer(0.05, 0.9, use_nesterov=True),
     ref_momentum(0.05, 0.9, True)),
    (lambda: tf.train.AdamOptimizer(0.1), ref_adam(0.1, 0.9, 0.999, 1e-8)),
    (lambda: tf.train.AdamOptimizer(0.05, 0.8, 0.99, 0.1), ref_adam(0.05, 0.8, 0.99, 0.1)),
    (lambda: tf.train.RMSPropOptimizer(0.01), ref_rmsprop(0.01, 0.9, 0.0, 1e-10, False)),
    (lambda: tf.train.RMSPropOptimizer(0.01, 0.8, 0.5, 1e-3, centered=True),
     ref_rmsprop(0.01, 0.8, 0.5, 1e-3, True)),
    (lambda: tf.train.AdagradOptimizer(0.3), ref_adagrad(0.3, 0.1)),
    (lambda: tf.train.AdagradOptimizer(0.3, initial_accumulator_value=2.0),
     ref_adagrad(0.3, 2.0)),
    (lambda: tf.train.AdadeltaOptimizer(1.0), ref_adadelta(1.0, 0.95, 1e-8)),
    (lambda: tf.train.AdadeltaOptimizer(0.5, rho=0.5, epsilon=1e-3),
     ref_adadelta(0.5, 0.5, 1e-3)),
]


@pytest.mark.parametrize("make,expected", CASES)
def test_matches_reference_and_counts_steps(make, expected):
    w, step, _, _ = run_steps(make())
    np.testing.assert_allclose(w, expected, rtol=2e-5, atol=1e-6)
    assert w.dtype == np.float32
    assert step == 3 and step.dtype == np.int64


F32 = [float(np.float32(x)) for x in (0.1, 0.9, 0.999, 1e-8)]


# TF 1.x turns Python hyper-parameters into float32 tensors and casts them to the variable's
# dtype, so a float64 model sees float32-rounded learning rates and betas.
@pytest.mark.parametrize("make,expected", [
    (lambda: tf.train.GradientDescentOptimizer(0.1), ref_sgd(F32[0])),
    (lambda: tf.train.AdamOptimizer(0.1), ref_adam(*F32, power_dtype=np.float32))])
def test_float64_variables(make, expected):
    w, _, _, _ = run_steps(make(), dtype=tf.float64)
    assert w.dtype == np.float64
    np.testing.assert_allclose(w, expected, rtol=1e-6)


def test_default_hyper_parameters():
    assert tf.train.AdamOptimizer()._learning_rate == 0.001
    adam = tf.train.AdamOptimizer()
    assert (adam._beta1, adam._beta2, adam._epsilon) == (0.9, 0.999, 1e-8)
    rms = tf.train.RMSPropOptimizer(0.1)
    assert (rms._decay, rms._momentum, rms._epsilon, rms._centered) == (0.9, 0.0, 1e-10, False)
    assert tf.train.AdagradOptimizer(0.1)._initial_accumulator_value == 0.1
    ada = tf.train.AdadeltaOptimizer()
    assert (ada._learning_rate, ada._rho, ada._epsilon) == (0.001, 0.95, 1e-8)


def test_slots_names_and_variables():
    w, loss = quadratic()
    b = tf.Variable(0.0, name="b")
    opt = tf.train.AdamOptimizer()
    opt.minimize(loss + b)
    assert opt.get_slot_names() == ["m", "v"]
    assert opt.get_slot(w, "m").name == "w/Adam:0"
    assert opt.get_slot(w, "v").name == "w/Adam_1:0"
    assert opt.get_slot(w, "nope") is None
    assert [v.name for v in opt.variables()] == [
        "b/Adam:0", "b/Adam_1:0", "beta1_power:0", "beta2_power:0", "w/Adam:0", "w/Adam_1:0"]
    assert all(not v.trainable for v in opt.variables())
    assert opt.get_slot(w, "m") in tf.global_variables()
    assert opt.get_slot(w, "m") not in tf.trainable_variables()
    rms = tf.train.RMSPropOptimizer(0.1, centered=True)
    rms.minimize(loss)
    assert rms.get_slot_names() == ["mg", "momentum", "rms"]
    assert rms.get_slot(w, "rms").name == "w/RMSProp:0"
    mom = tf.train.MomentumOptimizer(0.1, 0.9)
    mom.minimize(loss)
    assert mom.get_slot(w, "momentum").name == "w/Momentum:0"


def test_slot_values_after_steps():
    w, loss = quadratic()
    opt = tf.train.AdamOptimizer(0.1)
    train = opt.minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(opt.get_slot(w, "m")), np.zeros((2, 3)))
        sess.run(train)
        np.testing.assert_allclose(sess.run(opt.get_slot(w, "m")), 0.1 * grad(W0), rtol=1e-6)
        np.testing.assert_allclose(sess.run(opt.get_slot(w, "v")),
                                   (1 - np.float32(0.999)) * grad(W0) ** 2, rtol=1e-5)
        b1p, b2p = opt.variables()[0:2]
        assert np.isclose(sess.run(b1p), 0.81) and np.isclose(sess.run(b2p), 0.999 ** 2)
        rms = tf.train.RMSPropOptimizer(0.1)
        rms.minimize(loss)
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(rms.get_slot(w, "rms")), np.ones((2, 3)))
        ada = tf.train.AdagradOptimizer(0.1)
        ada.minimize(loss)
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(ada.get_slot(w, "accumulator")),
                                   np.full((2, 3), 0.1))


def test_train_op_names_and_collection():
    _, loss = quadratic()
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    assert isinstance(train, tf.Operation) and train.name == "GradientDescent"
    gs = tf.train.create_global_step()
    train2 = tf.train.AdamOptimizer().minimize(loss, global_step=gs, name="step")
    assert train2.name == "step" and train2.type == "AssignAdd"
    assert tf.get_collection(tf.GraphKeys.TRAIN_OP) == [train, train2]


def test_compute_and_apply_gradients_keep_and_skip_none():
    w, loss = quadratic()
    unused = tf.Variable(5.0, name="unused")
    opt = tf.train.GradientDescentOptimizer(0.1)
    gv = opt.compute_gradients(loss)
    assert [v for _, v in gv] == [w, unused]
    assert gv[1][0] is None and gv[0][0] is not None
    train = opt.apply_gradients(gv)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        np.testing.assert_allclose(sess.run(w), ref_sgd(0.1, 1), rtol=1e-6)
        assert sess.run(unused) == 5.0


def test_apply_gradients_with_own_gradients_and_var_list():
    w, loss = quadratic()
    other = tf.Variable(1.0, name="other")
    opt = tf.train.GradientDescentOptimizer(0.5)
    gv = opt.compute_gradients(loss + other * 3.0, var_list=[other])
    assert len(gv) == 1
    clipped = [(tf.minimum(g, 1.0), v) for g, v in gv]
    train = opt.apply_gradients(clipped)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        assert sess.run(other) == 0.5
        np.testing.assert_array_equal(sess.run(w), W0.astype(np.float32))


def test_repeated_apply_reuses_slots():
    _, loss = quadratic()
    opt = tf.train.MomentumOptimizer(0.1, 0.9)
    opt.minimize(loss)
    n = len(tf.global_variables())
    opt.minimize(loss * 2.0)
    assert len(tf.global_variables()) == n
    assert len(opt.variables()) == 1


def test_learning_rate_tensor_callable_and_schedule():
    w, loss = quadratic()
    lr = tf.placeholder(tf.float32, [])
    train = tf.train.GradientDescentOptimizer(lr).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {lr: 0.1})
        np.testing.assert_allclose(sess.run(w), ref_sgd(0.1, 1), rtol=1e-6)
    tf.reset_default_graph()
    w, loss = quadratic()
    gs = tf.train.get_or_create_global_step()
    lr = tf.train.exponential_decay(0.1, gs, decay_steps=1, decay_rate=0.5)
    train = tf.train.GradientDescentOptimizer(lambda: lr).minimize(loss, global_step=gs)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        expected = W0.copy()
        for k in range(3):
            sess.run(train)
            expected = expected - 0.1 * 0.5 ** k * grad(expected)
        np.testing.assert_allclose(sess.run(w), expected, rtol=1e-6)
        assert sess.run(gs) == 3


def test_no_gradients_errors_list_the_variables():
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(2.0, name="b")
    loss = tf.constant(3.0) * tf.constant(2.0)
    opt = tf.train.GradientDescentOptimizer(0.1)
    with pytest.raises(ValueError, match=r"No gradients provided for any variable.*'a:0'"):
        opt.minimize(loss, var_list=[a, b])
    with pytest.raises(ValueError, match=r"No gradients provided for any variable: \['a:0', "
                                         r"'b:0'\]"):
        opt.apply_gradients([(None, a), (None, b)])
    with pytest.raises(ValueError, match="No variables provided"):
        opt.apply_gradients([])


def test_bad_inputs_raise_early():
    w, loss = quadratic()
    opt = tf.train.GradientDescentOptimizer(0.1)
    with pytest.raises(ValueError, match="No variables to optimize"):
        opt.minimize(loss, var_list=[])
    with pytest.raises(ValueError, match="Invalid type int32"):
        opt.minimize(tf.constant(3), var_list=[w])
    with pytest.raises(TypeError, match="expected a tf.Variable"):
        opt.apply_gradients([(tf.ones((2, 3)), tf.ones((2, 3)))])
    with pytest.raises(TypeError, match="is float64 but variable w:0 is float32"):
        opt.apply_gradients([(tf.ones((2, 3), tf.float64), w)])
    with pytest.raises(ValueError, match="gate_gradients"):
        opt.minimize(loss, gate_gradients=7)
    iv = tf.Variable(3, name="iv")
    with pytest.raises(ValueError, match="Invalid type int32 for iv:0"):
        opt.minimize(loss, var_list=[iv])


@pytest.mark.parametrize("make,what", [
    (lambda: tf.train.GradientDescentOptimizer(-0.1), "learning_rate"),
    (lambda: tf.train.MomentumOptimizer(0.1, -0.5), "momentum"),
    (lambda: tf.train.AdamOptimizer(beta1=1.0), "beta1"),
    (lambda: tf.train.AdamOptimizer(beta2=-0.1), "beta2"),
    (lambda: tf.train.AdamOptimizer(epsilon=-1e-8), "epsilon"),
    (lambda: tf.train.RMSPropOptimizer(0.1, decay=1.5), "decay"),
    (lambda: tf.train.AdagradOptimizer(0.1, initial_accumulator_value=0.0),
     "initial_accumulator_value"),
    (lambda: tf.train.AdadeltaOptimizer(rho=2.0), "rho"),
    (lambda: tf.train.AdamOptimizer(float("nan")), "learning_rate"),
])
def test_bad_hyper_parameters_name_themselves(make, what):
    with pytest.raises(ValueError, match=what):
        make()


def test_hyper_parameter_of_wrong_type():
    with pytest.raises(TypeError, match="learning_rate must be a number, a tensor or a callable"):
        tf.train.GradientDescentOptimizer("fast")


def test_optimizer_base_requires_a_name():
    with pytest.raises(ValueError, match="Must specify the optimizer name"):
        tf.train.Optimizer(False, "")
    assert tf.train.AdamOptimizer(name="opt").get_name() == "opt"


def test_training_in_a_user_graph_and_a_second_session():
    g = tf.Graph()
    with g.as_default():
        w, loss = quadratic()
        train = tf.train.AdamOptimizer(0.1).minimize(loss)
        init = tf.global_variables_initializer()
    for _ in range(2):  # values live per session: a new session starts over
        with tf.Session(graph=g) as sess:
            sess.run(init)
            for _ in range(3):
                sess.run(train)
            np.testing.assert_allclose(sess.run(w), ref_adam(0.1, 0.9, 0.999, 1e-8),
                                       rtol=2e-5, atol=1e-6)
