"""GradientTape semantics (SEMANTICS.md "Eager mode"): watching, persistence, structures,
unconnected sources, jacobians, nesting, stop_recording, and the tape in graph mode."""
import gc
import weakref

import numpy as np
import pytest

import tensorlet as tf


@pytest.fixture(autouse=True)
def eager():
    with tf.eager_mode():
        yield


def test_watched_constant_gradient():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert float(tape.gradient(y, x)) == 6.0


def test_constants_need_watch():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        y = x * x
    assert tape.gradient(y, x) is None


def test_trainable_variables_are_watched_automatically_non_trainable_are_not():
    w = tf.Variable(2.0)
    n = tf.Variable(5.0, trainable=False)
    with tf.GradientTape() as tape:
        y = w * w * n
    gw, gn = tape.gradient(y, [w, n])
    assert float(gw) == 20.0 and gn is None
    assert tape.watched_variables() == [w]


def test_watching_a_non_trainable_variable_explicitly():
    n = tf.Variable(5.0, trainable=False)
    with tf.GradientTape() as tape:
        tape.watch(n)
        y = n * n
    assert float(tape.gradient(y, n)) == 10.0


def test_watch_accessed_variables_false():
    w, u = tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(u)
        y = w * u
    gw, gu = tape.gradient(y, [w, u])
    assert gw is None and float(gu) == 2.0
    assert tape.watched_variables() == [u]


def test_a_variable_read_several_times_sums_its_gradients():
    w = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(w * 3.0) + tf.reduce_sum(w * w)
    np.testing.assert_allclose(tape.gradient(y, w).numpy(), [5.0, 7.0])


def test_integer_sources_and_targets_give_none():
    i = tf.constant(3)
    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([i, x])
        y = tf.cast(i, tf.float32) * x
        k = i * 2
    assert tape.gradient(y, i) is None
    assert tape.gradient(k, i) is None
    assert float(tape.gradient(y, x)) == 3.0


def test_non_scalar_and_list_targets_are_summed():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = 3 * x
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0])
    np.testing.assert_allclose(tape.gradient([y, z], x).numpy(), [5.0, 7.0])


def test_output_gradients_weight_the_targets():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    g = tape.gradient(y, x, output_gradients=tf.constant([10.0, 1.0]))
    np.testing.assert_allclose(g.numpy(), [20.0, 4.0])


def test_second_gradient_on_a_non_persistent_tape_raises():
    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape"):
        tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape"):
        tape.jacobian(y, x)


def test_persistent_tape_gives_several_gradients():
    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    assert float(tape.gradient(y, x)) == 4.0
    assert float(tape.gradient(z, x)) == 32.0
    assert float(tape.gradient(z, y)) == 8.0  # an intermediate result as a source
    del tape


def test_unconnected_sources_none_or_zeros():
    x, u = tf.constant(1.0), tf.constant([1.0, 2.0])
    v = tf.Variable([[1.0, 2.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, u])
        y = x * 2
    assert tape.gradient(y, [x, u])[1] is None
    assert tape.gradient(y, v) is None
    gx, gu, gv = tape.gradient(y, [x, u, v], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert float(gx) == 2.0
    np.testing.assert_array_equal(gu.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(gv.numpy(), [[0.0, 0.0]])
    assert tape.gradient(y, u, unconnected_gradients="zero").shape.as_list() == [2]
    with pytest.raises(ValueError, match="unconnected_gradients"):
        tape.gradient(y, x, unconnected_gradients="sometimes")


def test_sources_keep_their_structure():
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = a * b
    g = tape.gradient(y, {"a": a, "pair": (b, [a])})
    assert set(g) == {"a", "pair"} and isinstance(g["pair"], tuple)
    assert float(g["a"]) == 2.0 and float(g["pair"][0]) == 1.0 and float(g["pair"][1][0]) == 2.0


def test_jacobian_shape_and_values():
    x = tf.constant([1.0, 2.0, 3.0])
    w = tf.Variable(np.ones((2, 3), np.float32))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = tf.matmul(w, tf.reshape(x, [3, 1]))  # shape (2, 1)
    j = tape.jacobian(y, x)
    assert j.shape.as_list() == [3, 3]
    np.testing.assert_allclose(j.numpy(), np.diag([2.0, 4.0, 6.0]))
    jw = tape.jacobian(z, w)
    assert jw.shape.as_list() == [2, 1, 2, 3]
    want = np.zeros((2, 1, 2, 3))
    want[0, 0, 0] = want[1, 0, 1] = [1.0, 2.0, 3.0]
    np.testing.assert_allclose(jw.numpy(), want)
    assert tape.jacobian(y, tf.constant(1.0)) is None
    zeros = tape.jacobian(y, tf.constant([1.0, 1.0]), unconnected_gradients="zero")
    assert zeros.shape.as_list() == [3, 2]


def test_nested_tapes_give_second_derivatives():
    x = tf.constant(3.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = x ** 3
        dy = inner.gradient(y, x)
    d2y = outer.gradient(dy, x)
    assert float(dy) == 27.0 and float(d2y) == 18.0


def test_persistent_tape_records_its_own_gradient_for_higher_orders():
    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.sin(x)
        dy = tape.gradient(y, x)
    np.testing.assert_allclose(float(tape.gradient(dy, x)), -np.sin(2.0), rtol=1e-6)


def test_stop_recording():
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        with tape.stop_recording():
            c = x * x  # a constant for this tape
        y = c * x
    assert float(tape.gradient(y, x)) == 4.0
    with pytest.raises(RuntimeError, match="recording"):
        with tape.stop_recording():
            pass


def test_stop_gradient_blocks_the_gradient():
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.stop_gradient(x * x) * x
    assert float(tape.gradient(y, x)) == 4.0


def test_reset_forgets_what_was_recorded():
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        _ = x * x  # recorded, then forgotten
        tape.reset()
        tape.watch(x)
        z = x * 3
    assert float(tape.gradient(z, x)) == 3.0


def test_gradient_inside_the_block_stops_a_non_persistent_tape():
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        g = tape.gradient(y, x)
        z = g * x  # not recorded any more
    assert float(z) == 8.0 and not tape._recording


def test_watch_rejects_non_tensors():
    with tf.GradientTape() as tape:
        with pytest.raises(ValueError, match="tf.Tensor or tf.Variable"):
            tape.watch(3.0)
    with pytest.raises(TypeError, match="sources must be tensors or variables"):
        tape.gradient(tf.constant(1.0), [3.0])


def test_gradient_before_recording_raises():
    with pytest.raises(RuntimeError, match="with tf.GradientTape"):
        tf.GradientTape().gradient(tf.constant(1.0), tf.constant(1.0))


def test_non_persistent_tape_frees_what_it_recorded():
    x = tf.constant(np.ones(100, np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        h = tf.exp(x)
        y = tf.reduce_sum(h)
    ref = weakref.ref(h)
    del h
    tape.gradient(y, x)
    gc.collect()
    assert ref() is None


def test_gradients_from_the_registry_rules_on_a_small_network():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    w = tf.Variable(rng.standard_normal((3, 2)).astype(np.float32))
    b = tf.Variable(np.zeros(2, np.float32))
    labels = np.array([0, 1, 1, 0], np.int32)
    with tf.GradientTape() as tape:
        logits = tf.nn.relu(tf.matmul(x, w) + b)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits))
    gw, gb = tape.gradient(loss, [w, b])
    with tf.Graph().as_default():  # the same network in graph mode
        gwv = tf.Variable(w.numpy())
        gbv = tf.Variable(b.numpy())
        gl = tf.nn.relu(tf.matmul(x, gwv) + gbv)
        gloss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=gl))
        grads = tf.gradients(gloss, [gwv, gbv])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            want = sess.run(grads)
    np.testing.assert_allclose(gw.numpy(), want[0], rtol=1e-6)
    np.testing.assert_allclose(gb.numpy(), want[1], rtol=1e-6)


def test_tape_in_graph_mode():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2])
        v = tf.Variable([1.0, 2.0])
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(x * x * v)
        gx, gv = tape.gradient(y, [x, v])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            a, b = sess.run([gx, gv], {x: [3.0, 4.0]})
    np.testing.assert_allclose(a, [6.0, 16.0])
    np.testing.assert_allclose(b, [9.0, 16.0])
