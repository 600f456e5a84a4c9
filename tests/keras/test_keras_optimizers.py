"""keras.optimizers (Keras 3): update rules against float64 references, state, config, errors."""
import warnings

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import backend as K
from tensorlet.keras import optimizers

C = np.array([[1.0, 2.0, 0.5], [3.0, 0.25, 1.5]])
D = np.array([[0.3, -1.0, 2.0], [-0.5, 1.0, 0.1]])
W0 = np.array([[1.0, -2.0, 0.5], [0.7, 1.5, -0.3]])
B0 = np.array([0.5, -0.25, 1.0])


@pytest.fixture(autouse=True)
def _fresh_keras_session():
    K.clear_session(free_memory=False)
    yield
    K.clear_session(free_memory=False)


def grad(w):
    return C * w + D


def grad_b(b):
    return 2.0 * b


def model(dtype="float32"):
    """Two Keras variables and the gradients of sum(C*w^2)/2 + sum(D*w) + sum(b^2)."""
    g = K.get_graph()
    with g.as_default():
        w = K.KerasVariable(W0.astype(dtype), path="dense/kernel", name="kernel")
        b = K.KerasVariable(B0.astype(dtype), path="dense/bias", name="bias")
        loss = tf.reduce_sum(tf.constant(C, w.dtype) * tf.square(w)) / 2 + \
            tf.reduce_sum(tf.constant(D, w.dtype) * w) + tf.reduce_sum(tf.square(b))
        grads = tf.gradients(loss, [w, b])
    return w, b, grads


def train(opt, steps=3, dtype="float32"):
    w, b, grads = model(dtype)
    with K.get_graph().as_default():
        op = opt.apply_gradients(zip(grads, [w, b]))
    for _ in range(steps):
        K.run(op)
    return K.get_value(w), K.get_value(b)


def reference(step_fn, steps=3, **slots):
    """Run step_fn(x, g, t, state) for w and b from their starting values, in float64."""
    out = []
    for x, gfn in ((W0.copy(), grad), (B0.copy(), grad_b)):
        state = {k: np.full_like(x, v) for k, v in slots.items()}
        for t in range(1, steps + 1):
            x = step_fn(x, gfn(x), t, state)
        out.append(x)
    return out


def sgd(lr, mu=0.0, nesterov=False):
    def step(x, g, t, s):
        if mu == 0:
            return x - lr * g
        s["m"] = mu * s["m"] - lr * g
        return x + (mu * s["m"] - lr * g if nesterov else s["m"])
    return reference(step, m=0.0)


def adam(lr, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False, wd=None, steps=3):
    def step(x, g, t, s):
        if wd is not None:
            x = x - x * wd * lr
        s["m"] = s["m"] + (g - s["m"]) * (1 - b1)
        s["v"] = s["v"] + (g * g - s["v"]) * (1 - b2)
        v = s["v"]
        if amsgrad:
            s["vh"] = np.maximum(s["vh"], s["v"])
            v = s["vh"]
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        return x - s["m"] * alpha / (np.sqrt(v) + eps)
    return reference(step, steps, m=0.0, v=0.0, vh=0.0)


def rmsprop(lr, rho=0.9, mu=0.0, eps=1e-7, centered=False):
    def step(x, g, t, s):
        s["v"] = rho * s["v"] + (1 - rho) * g * g          # starts at ZEROS in Keras
        denom = s["v"] + eps                               # epsilon inside the sqrt
        if centered:
            s["a"] = rho * s["a"] + (1 - rho) * g
            denom = s["v"] - s["a"] ** 2 + eps
        inc = lr * g / np.sqrt(denom)
        if mu > 0:
            s["mom"] = mu * s["mom"] + inc
            inc = s["mom"]
        return x - inc
    return reference(step, v=0.0, a=0.0, mom=0.0)


def adagrad(lr, init=0.1, eps=1e-7):
    def step(x, g, t, s):
        s["acc"] = s["acc"] + g * g
        return x - lr * g / np.sqrt(s["acc"] + eps)
    return reference(step, acc=init)


def adadelta(lr, rho=0.95, eps=1e-7):
    def step(x, g, t, s):
        s["ag"] = rho * s["ag"] + (1 - rho) * g * g
        delta = -np.sqrt(s["ad"] + eps) * g / np.sqrt(s["ag"] + eps)
        s["ad"] = rho * s["ad"] + (1 - rho) * delta * delta
        return x + lr * delta
    return reference(step, ag=0.0, ad=0.0)


def adamax(lr, b1=0.9, b2=0.999, eps=1e-7):
    def step(x, g, t, s):
        s["m"] = s["m"] + (g - s["m"]) * (1 - b1)
        s["u"] = np.maximum(b2 * s["u"], np.abs(g))
        return x - lr * s["m"] / ((1 - b1 ** t) * (s["u"] + eps))
    return reference(step, m=0.0, u=0.0)


def nadam(lr, b1=0.9, b2=0.999, eps=1e-7):
    def step(x, g, t, s):
        u_t = b1 * (1 - 0.5 * 0.96 ** t)
        u_t1 = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        s["prod"] = s["prod"] * u_t
        prod_t1 = s["prod"] * u_t1
        s["m"] = s["m"] + (g - s["m"]) * (1 - b1)
        s["v"] = s["v"] + (g * g - s["v"]) * (1 - b2)
        m_hat = u_t1 * s["m"] / (1 - prod_t1) + (1 - u_t) * g / (1 - s["prod"])
        v_hat = s["v"] / (1 - b2 ** t)
        return x - m_hat * lr / (np.sqrt(v_hat) + eps)
    return reference(step, m=0.0, v=0.0, prod=1.0)


CASES = [
    (lambda: optimizers.SGD(0.1), sgd(0.1)),
    (lambda: optimizers.SGD(0.05, momentum=0.9), sgd(0.05, 0.9)),
    (lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True), sgd(0.05, 0.9, True)),
    (lambda: optimizers.Adam(0.1), adam(0.1)),
    (lambda: optimizers.Adam(0.1, amsgrad=True), adam(0.1, amsgrad=True)),
    (lambda: optimizers.Adam(0.05, beta_1=0.5, beta_2=0.9, epsilon=0.1),
     adam(0.05, 0.5, 0.9, 0.1)),
    (lambda: optimizers.AdamW(0.1), adam(0.1, wd=0.004)),
    (lambda: optimizers.AdamW(0.1, weight_decay=0.5), adam(0.1, wd=0.5)),
    (lambda: optimizers.RMSprop(0.01), rmsprop(0.01)),
    (lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
     rmsprop(0.01, mu=0.5, centered=True)),
    (lambda: optimizers.Adagrad(0.3), adagrad(0.3)),
    (lambda: optimizers.Adagrad(0.3, initial_accumulator_value=1.0, epsilon=0.01),
     adagrad(0.3, 1.0, 0.01)),
    (lambda: optimizers.Adadelta(1.0), adadelta(1.0)),
    (lambda: optimizers.Adamax(0.1), adamax(0.1)),
    (lambda: optimizers.Nadam(0.1), nadam(0.1)),
]


@pytest.mark.parametrize("make,expected", CASES,
                         ids=[f"case{i}" for i in range(len(CASES))])
def test_matches_reference(make, expected):
    opt = make()
    w, b = train(opt)
    np.testing.assert_allclose(w, expected[0], rtol=3e-5, atol=1e-6)
    np.testing.assert_allclose(b, expected[1], rtol=3e-5, atol=1e-6)
    assert w.dtype == np.float32
    assert K.get_value(opt.iterations) == 3


LR32 = float(np.float32(0.1))  # the learning-rate variable is float32 (floatx), as in Keras


@pytest.mark.parametrize("make,expected", [(lambda: optimizers.Adam(0.1), adam(LR32)),
                                           (lambda: optimizers.Nadam(0.1), nadam(LR32))],
                         ids=["adam", "nadam"])
def test_float64_variables(make, expected):
    w, _ = train(make(), dtype="float64")
    assert w.dtype == np.float64
    np.testing.assert_allclose(w, expected[0], rtol=1e-9)


def test_defaults_match_keras():
    assert optimizers.SGD().get_config()["learning_rate"] == 0.01
    cfg = optimizers.Adam().get_config()
    assert (cfg["learning_rate"], cfg["beta_1"], cfg["beta_2"], cfg["epsilon"],
            cfg["amsgrad"]) == (0.001, 0.9, 0.999, 1e-7, False)
    assert optimizers.AdamW().weight_decay == 0.004
    cfg = optimizers.RMSprop().get_config()
    assert (cfg["learning_rate"], cfg["rho"], cfg["momentum"], cfg["epsilon"],
            cfg["centered"]) == (0.001, 0.9, 0.0, 1e-7, False)
    cfg = optimizers.Adagrad().get_config()
    assert (cfg["learning_rate"], cfg["initial_accumulator_value"], cfg["epsilon"]) == \
        (0.001, 0.1, 1e-7)
    cfg = optimizers.Adadelta().get_config()
    assert (cfg["learning_rate"], cfg["rho"], cfg["epsilon"]) == (0.001, 0.95, 1e-7)
    assert [optimizers.get(n).name for n in ("sgd", "adam", "rmsprop", "nadam")] == \
        ["SGD", "adam", "rmsprop", "nadam"]


def test_variables_names_and_order():
    w, b, grads = model()
    opt = optimizers.Adam(amsgrad=True)
    with K.get_graph().as_default():
        opt.apply_gradients(zip(grads, [w, b]))
    assert [v.name for v in opt.variables] == [  # Keras 3's order: m and v interleaved
        "adam/iteration:0", "adam/learning_rate:0",
        "adam/dense_kernel_momentum:0", "adam/dense_kernel_velocity:0",
        "adam/dense_bias_momentum:0", "adam/dense_bias_velocity:0",
        "adam/dense_kernel_velocity_hat:0", "adam/dense_bias_velocity_hat:0"]
    assert opt.variables[0].dtype == tf.int64
    assert all(not v.trainable for v in opt.variables)
    mx = optimizers.Adamax()
    with K.get_graph().as_default():
        mx.apply_gradients(zip(grads, [w, b]))
    assert [v.path for v in mx.variables[2:]] == [   # interleaved, as Keras creates them
        "adamax/dense_kernel_momentum", "adamax/dense_kernel_norm",
        "adamax/dense_bias_momentum", "adamax/dense_bias_norm"]
    plain = optimizers.SGD()
    plain.build([w, b])
    assert len(plain.variables) == 2


def test_one_grouped_update_op_and_reuse_across_calls():
    w, b, grads = model()
    opt = optimizers.Adam(0.1)
    g = K.get_graph()
    with g.as_default():
        op1 = opt.apply_gradients(zip(grads, [w, b]))
        n = len(opt.variables)
        op2 = opt.apply(grads)              # grads paired with the built variables
    assert len(opt.variables) == n
    assert [o.type for o in g.get_operations()].count("ApplyAdam") == 2
    K.run(op1)
    K.run(op2)
    assert K.get_value(opt.iterations) == 2
    np.testing.assert_allclose(K.get_value(w), adam(0.1, steps=2)[0], rtol=3e-5)


def test_update_step_alone_builds_its_own_op():
    w, b, grads = model()
    opt = optimizers.SGD(0.5)
    opt.build([w, b])
    with K.get_graph().as_default():
        op = opt.update_step(grads[1], b, 0.5)
    K.run(op)
    np.testing.assert_allclose(K.get_value(b), B0 - 0.5 * grad_b(B0), rtol=1e-6)


def test_learning_rate_setter_and_schedule():
    w, b, grads = model()
    opt = optimizers.SGD(0.1)
    with K.get_graph().as_default():
        op = opt.apply_gradients(zip(grads, [w, b]))
    K.run(op)
    opt.learning_rate = 0.5
    assert K.get_value(opt.learning_rate) == 0.5
    assert opt.get_config()["learning_rate"] == 0.5
    K.run(op)
    expected = W0 - 0.1 * grad(W0)
    np.testing.assert_allclose(K.get_value(w), expected - 0.5 * grad(expected), rtol=1e-6)
    K.clear_session(free_memory=False)
    w, b, grads = model()
    sched = optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    opt = optimizers.SGD(sched)
    with K.get_graph().as_default():
        op = opt.apply_gradients(zip(grads, [w, b]))
    expected = W0.copy()
    for k in range(3):
        assert np.isclose(K.get_value(opt.learning_rate), 0.1 * 0.5 ** k)
        K.run(op)
        expected = expected - 0.1 * 0.5 ** k * grad(expected)
    np.testing.assert_allclose(K.get_value(w), expected, rtol=1e-6)
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1
    assert [v.name for v in opt.variables][:1] == ["SGD/iteration:0"]
    assert len(opt.variables) == 1


def test_learning_rate_set_before_use_and_callable():
    opt = optimizers.Adam()
    opt.learning_rate = 0.25
    assert K.get_value(opt.learning_rate) == 0.25
    opt2 = optimizers.SGD(lambda: 0.5)
    w, b, grads = model()
    with K.get_graph().as_default():
        K.run(opt2.apply_gradients(zip(grads, [w, b])))
    np.testing.assert_allclose(K.get_value(b), B0 - 0.5 * grad_b(B0), rtol=1e-6)


@pytest.mark.parametrize("kw,fn", [
    ({"clipvalue": 0.5}, lambda g, all_g: np.clip(g, -0.5, 0.5)),
    ({"clipnorm": 1.0}, lambda g, all_g: g * min(1.0, 1.0 / np.linalg.norm(g))),
    ({"global_clipnorm": 1.0},
     lambda g, all_g: g * min(1.0, 1.0 / np.sqrt(sum(np.sum(x * x) for x in all_g)))),
])
def test_gradient_clipping(kw, fn):
    w, b, grads = model()
    with K.get_graph().as_default():
        K.run(optimizers.SGD(1.0, **kw).apply_gradients(zip(grads, [w, b])))
    gs = [grad(W0), grad_b(B0)]
    np.testing.assert_allclose(K.get_value(w), W0 - fn(gs[0], gs), rtol=1e-5)
    np.testing.assert_allclose(K.get_value(b), B0 - fn(gs[1], gs), rtol=1e-5)


def test_loss_scale_factor_and_weight_decay_exclusion():
    w, b, grads = model()
    opt = optimizers.SGD(0.1, weight_decay=0.5, loss_scale_factor=4.0)
    opt.exclude_from_weight_decay(var_names=["bias"])
    with K.get_graph().as_default():
        K.run(opt.apply_gradients(zip(grads, [w, b])))
    decayed = W0 - W0 * 0.5 * 0.1
    np.testing.assert_allclose(K.get_value(w), decayed - 0.1 * grad(W0) / 4, rtol=1e-6)
    np.testing.assert_allclose(K.get_value(b), B0 - 0.1 * grad_b(B0) / 4, rtol=1e-6)
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_list=[w])


def test_constraints_run_after_the_update():
    g = K.get_graph()
    with g.as_default():
        w = K.KerasVariable(np.array([1.0, -1.0], np.float32), path="w", name="w",
                            constraint=lambda x: tf.maximum(x, 0.0))
        grads = tf.gradients(tf.reduce_sum(w * tf.constant([1.0, 1.0])), [w])
        K.run(optimizers.SGD(0.5).apply_gradients(zip(grads, [w])))
    np.testing.assert_array_equal(K.get_value(w), [0.5, 0.0])


def test_missing_gradients():
    w, b, grads = model()
    opt = optimizers.SGD(0.1)
    with K.get_graph().as_default():
        with pytest.warns(UserWarning, match="Gradients do not exist for variables"):
            op = opt.apply_gradients([(grads[0], w), (None, b)])
        K.run(op)
        with pytest.raises(ValueError, match="No gradients provided for any variable"):
            optimizers.SGD().apply_gradients([(None, w), (None, b)])
    assert K.get_value(b).tolist() == B0.tolist()
    assert optimizers.SGD().apply([]) is None
    assert optimizers.SGD().apply_gradients(zip([], [])) is None


def test_apply_errors():
    w, b, grads = model()
    with pytest.raises(ValueError, match="must already be built"):
        optimizers.SGD().apply(grads)
    opt = optimizers.SGD()
    with K.get_graph().as_default():
        opt.apply_gradients(zip(grads[:1], [w]))
        with pytest.raises(ValueError, match="Unknown variable"):
            opt.apply_gradients(zip(grads[1:], [b]))
        with pytest.raises(ValueError, match="Received a list of 2 gradients"):
            opt.apply(grads)
    other = tf.Graph()
    with other.as_default():
        v = tf.Variable(1.0)
        g = tf.gradients(v * 2.0, [v])
    with pytest.raises(ValueError, match="built for variables of another graph"):
        opt._ensure_state(other)
    fresh = optimizers.SGD()
    with other.as_default():
        K_op = fresh.apply_gradients(zip(g, [v]))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(K_op)
            assert sess.run(v) == pytest.approx(1.0 - 0.01 * 2.0)


@pytest.mark.parametrize("make,match", [
    (lambda: optimizers.SGD(-0.1), "learning_rate"),
    (lambda: optimizers.SGD("fast"), "learning_rate"),
    (lambda: optimizers.SGD(momentum=1.5), "momentum"),
    (lambda: optimizers.Adam(beta_1=-0.1), "beta_1"),
    (lambda: optimizers.Adam(epsilon=-1.0), "epsilon"),
    (lambda: optimizers.RMSprop(rho=2.0), "rho"),
    (lambda: optimizers.Adagrad(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    (lambda: optimizers.SGD(clipnorm=0.0), "clipnorm"),
    (lambda: optimizers.SGD(clipnorm=1.0, clipvalue=1.0), "Only one of"),
    (lambda: optimizers.AdamW(weight_decay=None), "weight_decay"),
    (lambda: optimizers.Adam(foo=1), "not recognized"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_unsupported_arguments_say_so():
    with pytest.raises(NotImplementedError, match="use_ema"):
        optimizers.Adam(use_ema=True)
    with pytest.raises(NotImplementedError, match="gradient_accumulation_steps"):
        optimizers.Adam(gradient_accumulation_steps=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        optimizers.Adam(decay=0.1)
    assert "no longer supported" in str(caught[0].message)


def test_get_serialize_deserialize():
    assert isinstance(optimizers.get("Adam"), optimizers.Adam)
    assert isinstance(optimizers.get("rmsprop"), optimizers.RMSprop)
    opt = optimizers.SGD(0.3)
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None
    with pytest.raises(ValueError, match=r"'adamm'.*Known optimizers: adadelta, adagrad, adam"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(3)
    cfg = optimizers.serialize(optimizers.Adam(0.01, amsgrad=True))
    assert cfg["module"] == "keras.optimizers" and cfg["class_name"] == "Adam"
    back = optimizers.deserialize(cfg)
    assert isinstance(back, optimizers.Adam)
    assert back.get_config() == cfg["config"]
    sched = optimizers.schedules.CosineDecay(0.1, 100, alpha=0.1)
    opt = optimizers.get({"class_name": "SGD", "config": {"learning_rate":
                          optimizers.schedules.serialize(sched), "momentum": 0.5}})
    assert isinstance(opt._learning_rate, optimizers.schedules.CosineDecay)
    assert opt.get_config()["learning_rate"]["config"] == sched.get_config()
    assert optimizers.SGD.from_config(opt.get_config()).momentum == 0.5


def test_save_and_load_own_variables():
    w, b, grads = model()
    opt = optimizers.Adam(0.1)
    with K.get_graph().as_default():
        op = opt.apply_gradients(zip(grads, [w, b]))
    K.run(op)
    K.run(op)
    store = {}
    opt.save_own_variables(store)
    assert sorted(store, key=int) == [str(i) for i in range(6)]
    assert store["0"] == 2 and np.isclose(store["1"], 0.1)
    K.clear_session(free_memory=False)
    w2, b2, grads2 = model()
    fresh = optimizers.Adam(0.1)
    fresh.build([w2, b2])
    fresh.load_own_variables(store)
    for v, value in zip(fresh.variables, store.values()):
        np.testing.assert_array_equal(K.get_value(v), value)
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        fresh.load_own_variables({"0": 1})
    fresh.set_weights([store[str(i)] for i in range(6)])
    with pytest.raises(ValueError, match="has 6 variables, got 1"):
        fresh.set_weights([1])
    with pytest.raises(ValueError, match="not compatible"):
        fresh.set_weights([store["0"], store["1"]] + [np.zeros(7)] * 4)
    with pytest.raises(ValueError, match="not yet been built"):
        optimizers.Adam().set_weights([])
    fresh.finalize_variable_values([w2, b2])
    np.testing.assert_array_equal(K.get_value(w2), W0.astype(np.float32))


def test_schedule_learning_rate_reads_as_its_current_value_at_the_top():
    """Keras 3: `float(optimizer.learning_rate)` follows the schedule at `iterations`; the
    schedule's tensor is built once (repeated reads add no ops)."""
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(schedule), "mse")
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1)
    model.fit(np.ones((8, 3), np.float32), np.zeros((8, 1), np.float32), batch_size=4,
              verbose=0)
    graph = keras.backend.get_graph()
    version = graph.version
    assert float(model.optimizer.learning_rate) == pytest.approx(0.025)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.025)
    assert graph.version == version
