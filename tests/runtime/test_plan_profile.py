"""Plan.profile: per-op-type kernel time of a cached plan (used by bench/profile_step.py)."""
import numpy as np

import tensorlet as tf


def test_profile_times_every_op_type_and_leaves_results_unchanged():
    x = tf.placeholder(tf.float32, [None, 3])
    w = tf.constant(np.ones((3, 2), np.float32))
    y = tf.nn.relu(tf.matmul(x, w))
    feed = np.arange(6, dtype=np.float32).reshape(2, 3)
    with tf.Session() as sess:
        before = sess.run(y, {x: feed})
        (plan,) = sess._plans.values()
        per_type = plan.profile([feed], steps=3)
        assert set(per_type) == {step[5].type for step in plan.steps}
        assert "FusedDense" in per_type  # MatMul + Relu after the fusion pass
        assert all(t >= 0 for t in per_type.values())
        np.testing.assert_array_equal(sess.run(y, {x: feed}), before)
