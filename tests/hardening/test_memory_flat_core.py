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


def test_ops_built_in_a_loop_warn_once_naming_the_op_and_the_line():
    """The seed's own Variable program builds `tf.assign_add` inside its loop: the graph, and
    memory, grow with every iteration. tensorlet warns once, naming the op and this line."""
    import warnings
    v = tf.Variable([1, 2])
    with tf.Session() as s, warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        s.run(v.initializer)
        for _ in range(100):
            s.run(tf.assign_add(v, [-1, -1]))
    grew = [w for w in record if "graph grew" in str(w.message)]
    assert len(grew) == 1
    assert "'AssignAdd'" in str(grew[0].message)
    assert "test_memory_flat_core.py" in str(grew[0].message)


def test_finalized_graph_refuses_ops_built_in_the_loop():
    import pytest
    v = tf.Variable([1, 2])
    step = tf.assign_add(v, [-1, -1])
    graph = tf.get_default_graph()
    with tf.Session() as s:
        s.run(v.initializer)
        graph.finalize()
        for _ in range(3):
            s.run(step)  # ops built before the loop keep running
        with pytest.raises(RuntimeError, match=r"finalized.*tried to add a 'Const' op"):
            s.run(tf.assign_add(v, [-1, -1]))
        assert list(s.run(v)) == [-2, -1]
