"""enable_check_numerics names the op, scope, dtype, shape and line; tracebacks are trimmed."""
import traceback

import numpy as np
import pytest

import tensorlet as tf
from tensorlet.errors import InvalidArgumentError
from tensorlet.framework import traceback_utils
from tensorlet.runtime import numerics


@pytest.fixture
def check_numerics():
    numerics.enable_check_numerics()
    yield
    numerics.disable_check_numerics()


def test_nan_is_not_an_error_by_default():
    x = tf.placeholder(tf.float32, [2])
    with tf.Session() as s:
        out = s.run(tf.log(x), {x: [-1.0, 1.0]})
    assert np.isnan(out[0])


def test_check_numerics_names_op_scope_and_line(check_numerics):
    x = tf.placeholder(tf.float32, [2])
    with tf.name_scope("dense_3"):
        y = tf.log(x)
    with tf.Session() as s:
        with pytest.raises(InvalidArgumentError) as info:
            s.run(y, {x: [-1.0, 1.0]})
    msg = str(info.value)
    for part in ("Log", "dense_3", "NaN", "float32", "(2,)", "test_numerics_tracebacks.py"):
        assert part in msg
    with tf.Session() as s:
        np.testing.assert_allclose(s.run(y, {x: [1.0, 1.0]}), [0.0, 0.0])


def _failing_run():
    x = tf.placeholder(tf.float32, [None])
    with tf.Session() as s:
        s.run(x + tf.placeholder(tf.float32, [None]), {})


def test_tracebacks_trimmed_by_default_and_restorable():
    with pytest.raises(InvalidArgumentError) as info:
        _failing_run()
    files = [f.filename for f in traceback.extract_tb(info.value.__traceback__)]
    assert not any("/tensorlet/runtime/" in f for f in files)
    traceback_utils.disable_traceback_filtering()
    try:
        with pytest.raises(InvalidArgumentError) as info:
            _failing_run()
        files = [f.filename for f in traceback.extract_tb(info.value.__traceback__)]
        assert any("/tensorlet/runtime/" in f for f in files)
    finally:
        traceback_utils.enable_traceback_filtering()
