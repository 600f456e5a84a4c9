"""tf.function: retracing rules, side effects at trace time only, variables shared with eager
code, a whole training step compiled vs eager (identical numbers), tapes inside, errors."""
import gc
import logging
import weakref

import numpy as np
import pytest

import tensorlet as tf


@pytest.fixture(autouse=True)
def eager():
    with tf.eager_mode():
        yield


def _counting(fn):
    traces = []

    @tf.function
    def f(*args):
        traces.append(args)
        return fn(*args)
    return f, traces


def test_traces_once_per_signature_and_reuses_traces():
    f, traces = _counting(lambda x: x * 2)
    x = tf.constant([1.0, 2.0])
    out = f(x)
    assert isinstance(out, tf.Tensor) and out.numpy().tolist() == [2.0, 4.0]
    f(tf.constant([5.0, 6.0]))
    assert len(traces) == 1
    f(tf.constant([1.0, 2.0, 3.0]))        # new shape
    f(tf.constant([1, 2]))                 # new dtype
    assert len(traces) == 3
    f(tf.constant([7.0, 8.0]))             # an earlier signature comes back
    f(np.array([1.0, 2.0], np.float32))    # a NumPy array is a tensor argument
    assert len(traces) == 3
    assert f.experimental_get_tracing_count() == 3


def test_python_scalars_and_strings_retrace_per_value():
    f, traces = _counting(lambda x, n, s: x * n if s == "mul" else x + n)
    x = tf.constant(1.0)
    assert float(f(x, 2, "mul")) == 2.0
    assert float(f(x, 2, "mul")) == 2.0
    assert len(traces) == 1
    assert float(f(x, 3, "mul")) == 3.0
    assert float(f(x, 3, "add")) == 4.0
    assert len(traces) == 3
    f(x, 2.0, "mul")  # a float is not the int 2
    assert len(traces) == 4


def test_python_side_effects_run_only_while_tracing():
    calls = []

    @tf.function
    def f(x):
        calls.append("python")
        return x + 1
    for _ in range(3):
        f(tf.constant(1.0))
    assert calls == ["python"]


def test_input_signature_with_none_dims_traces_once():
    calls = []

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    def f(x):
        calls.append(1)
        return tf.reduce_sum(x, axis=1)
    assert f(np.ones((3, 2), np.float32)).shape.as_list() == [3]
    assert f(tf.ones([5, 2])).shape.as_list() == [5]
    assert f([[1.0, 2.0]]).numpy().tolist() == [3.0]  # converted to the spec's dtype
    assert len(calls) == 1
    assert f.input_signature == [tf.TensorSpec([None, 2], tf.float32)]
    with pytest.raises(ValueError, match="not compatible with the input_signature"):
        f(tf.ones([2, 3]))
    with pytest.raises(TypeError, match="int32"):
        f(tf.ones([2, 2], tf.int32))
    with pytest.raises(TypeError, match="takes 1 arguments"):
        f(tf.ones([2, 2]), tf.ones([2, 2]))


def test_bad_input_signature_and_non_callable():
    with pytest.raises(TypeError, match="TensorSpec"):
        tf.function(lambda x: x, input_signature=[(None, 2)])
    with pytest.raises(TypeError, match="callable"):
        tf.function(3)


def test_reduce_retracing_generalises_shapes():
    f = tf.function(lambda x: x * 2, reduce_retracing=True)
    f(tf.ones([2]))
    f(tf.ones([7]))
    assert f.experimental_get_tracing_count() == 1


def test_retracing_many_times_is_reported_once(caplog):
    f = tf.function(lambda x, n: x * n)
    with caplog.at_level(logging.INFO, logger="tensorlet"):
        with pytest.warns(RuntimeWarning, match="traced 5 times") as record:
            for n in range(7):
                f(tf.constant(1.0), n)
    assert len(record) == 1
    assert "retracing" in caplog.text


def test_outputs_keep_their_structure_and_python_values():
    @tf.function
    def f(x):
        return {"double": x * 2, "pair": (x, None), "const": 3}
    out = f(tf.constant(1.0))
    assert float(out["double"]) == 2.0 and float(out["pair"][0]) == 1.0
    assert out["pair"][1] is None and out["const"] == 3


def test_nested_functions_are_inlined():
    inner = tf.function(lambda x: x + 1)
    outer = tf.function(lambda x: inner(x) * 2)
    assert float(outer(tf.constant(1.0))) == 4.0
    assert inner.experimental_get_tracing_count() == 0


def test_methods_trace_per_instance():
    class Scale:
        def __init__(self, k):
            self.k = k

        @tf.function
        def __call__(self, x):
            return x * self.k
    a, b = Scale(2.0), Scale(3.0)
    assert float(a(tf.constant(1.0))) == 2.0
    assert float(b(tf.constant(1.0))) == 3.0
    assert float(a(tf.constant(2.0))) == 4.0
    gone = weakref.ref(a)
    del a
    gc.collect()
    assert gone() is None  # the per-instance traces do not keep the instance alive


def test_variables_are_shared_with_eager_code():
    v = tf.Variable(1.0)

    @tf.function
    def bump(x):
        v.assign_add(x)
        return v.read_value() * 10  # read after the update, in program order
    assert float(bump(tf.constant(2.0))) == 30.0
    assert float(v) == 3.0
    v.assign(0.0)
    assert float(bump(tf.constant(1.0))) == 10.0
    assert float(v) == 1.0


def test_variables_created_on_the_first_trace_only():
    holder = []

    @tf.function
    def f(x):
        if not holder:
            holder.append(tf.Variable(tf.zeros([2]) + 1.0))
        return holder[0] * x
    assert f(tf.constant(2.0)).numpy().tolist() == [2.0, 2.0]
    assert f(tf.constant(3.0)).numpy().tolist() == [3.0, 3.0]
    np.testing.assert_array_equal(holder[0].numpy(), [1.0, 1.0])

    @tf.function
    def from_input(x):
        return tf.Variable(x)
    with pytest.raises(ValueError, match="must not depend on the function's inputs"):
        from_input(tf.constant(1.0))

    @tf.function
    def g(x):
        return tf.Variable(1.0) * x
    g(tf.constant(1.0))
    with pytest.raises(ValueError, match="create variables on a later trace"):
        g(tf.constant([1.0, 2.0]))


def test_random_ops_draw_new_values_on_each_call():
    f = tf.function(lambda: tf.random_uniform([3]))
    assert not np.array_equal(f().numpy(), f().numpy())


def test_tape_and_jacobian_inside_a_function():
    w = tf.Variable([1.0, 2.0])

    @tf.function
    def grads(x):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = tf.reduce_sum(w * x * x)
            z = w * x
        return tape.gradient(y, [x, w]), tape.jacobian(z, x)
    (gx, gw), j = grads(tf.constant([3.0, 4.0]))
    np.testing.assert_allclose(gx.numpy(), [6.0, 16.0])
    np.testing.assert_allclose(gw.numpy(), [9.0, 16.0])
    np.testing.assert_allclose(j.numpy(), [[1.0, 0.0], [0.0, 2.0]])


def test_an_eager_tape_differentiates_through_a_function_call():
    f = tf.function(lambda x: x * x)
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    assert float(tape.gradient(y, x)) == 6.0


def test_graph_tensor_argument_raises():
    f = tf.function(lambda x: x)
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32)
    with pytest.raises(TypeError, match="graph tensor"):
        f(p)


def test_in_graph_mode_a_function_builds_into_the_graph():
    with tf.Graph().as_default():
        f = tf.function(lambda x: x * 2)
        y = f(tf.constant(3.0))
        assert type(y) is tf.Tensor
        with tf.Session() as sess:
            assert sess.run(y) == 6.0


def test_get_concrete_function():
    f = tf.function(lambda x: x + 1)
    cf = f.get_concrete_function(tf.constant([1.0]))
    assert cf(tf.constant([2.0])).numpy().tolist() == [3.0]
    assert f.experimental_get_tracing_count() == 1


# -- a whole training step ------------------------------------------------------------------


def _train(compiled, optimizer, steps=6):
    rng = np.random.default_rng(0)
    w1 = tf.Variable(rng.standard_normal((5, 8)).astype(np.float32) * 0.5)
    b1 = tf.Variable(np.zeros(8, np.float32))
    w2 = tf.Variable(rng.standard_normal((8, 3)).astype(np.float32) * 0.5)
    b2 = tf.Variable(np.zeros(3, np.float32))
    params = [w1, b1, w2, b2]
    opt = optimizer()

    def step(x, y):
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.matmul(x, w1) + b1)
            logits = tf.matmul(h, w2) + b2
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=logits))
        grads = tape.gradient(loss, params)
        opt.apply_gradients(zip(grads, params))
        return loss
    if compiled:
        step = tf.function(step)
    x = rng.standard_normal((16, 5)).astype(np.float32)
    y = rng.integers(0, 3, 16).astype(np.int32)
    losses = [step(x, y).numpy() for _ in range(steps)]
    return losses, [p.numpy() for p in params]


@pytest.mark.parametrize("optimizer", [lambda: tf.train.AdamOptimizer(0.05),
                                       lambda: tf.train.MomentumOptimizer(0.1, 0.9),
                                       lambda: tf.train.GradientDescentOptimizer(0.3)],
                         ids=["adam", "momentum", "sgd"])
def test_compiled_training_step_gives_the_eager_numbers(optimizer):
    eager_losses, eager_params = _train(False, optimizer)
    fn_losses, fn_params = _train(True, optimizer)
    assert eager_losses[-1] < eager_losses[0]
    np.testing.assert_array_equal(fn_losses, eager_losses)
    for a, b in zip(fn_params, eager_params):
        np.testing.assert_array_equal(a, b)
