"""Session.run in a loop keeps memory flat: plans are cached, values are released."""
import gc
import tracemalloc

import numpy as np

import tensorlet as tf


def _growth(fn, n=1000):
    fn()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(n):
        fn()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before


def test_session_run_loop_memory_is_flat():
    x = tf.placeholder(tf.float32, [None, 64])
    w = tf.Variable(np.ones((64, 32), np.float32))
    y = tf.reduce_sum(tf.tanh(tf.matmul(x, w)))
    (g,) = tf.gradients(y, [w])
    step = tf.assign_sub(w, 0.001 * g)
    batch = np.ones((16, 64), np.float32)
    with tf.Session() as s:
        s.run(w.initializer)
        assert _growth(lambda: s.run([y, step], {x: batch})) < 64 * 1024
        assert tf.get_default_graph().version == len(tf.get_default_graph().get_operations())
