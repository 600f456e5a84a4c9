"""The global step and the learning-rate schedules (tf.train functions, Keras schedule objects)."""
import math

import numpy as np
import pytest

import tensorlet as tf
from tensorlet.keras.optimizers import schedules

STEPS = [0, 1, 3, 7, 10, 15, 40]


def values(make, steps=STEPS, dtype=tf.int64):
    """The schedule built on a fed step tensor, evaluated at each step."""
    step = tf.placeholder(dtype, [])
    out = make(step)
    with tf.Session() as sess:
        return [float(sess.run(out, {step: s})) for s in steps]


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-9)


# -- global step -------------------------------------------------------------------------------


def test_global_step_creation_and_lookup():
    assert tf.train.get_global_step() is None
    gs = tf.train.get_or_create_global_step()
    assert gs.name == "global_step:0" and gs.dtype == tf.int64 and not gs.trainable
    assert tf.get_collection(tf.GraphKeys.GLOBAL_STEP) == [gs]
    assert gs in tf.global_variables() and gs not in tf.trainable_variables()
    assert tf.train.get_global_step() is gs
    assert tf.train.get_or_create_global_step() is gs
    with pytest.raises(ValueError, match='"global_step" already exists'):
        tf.train.create_global_step()
    with tf.Session() as sess:
        sess.run(gs.initializer)
        assert tf.train.global_step(sess, gs) == 0
        sess.run(gs.assign_add(5))
        assert tf.train.global_step(sess, gs) == 5


def test_global_step_of_another_graph_and_by_name():
    g = tf.Graph()
    gs = tf.train.create_global_step(g)
    assert gs.graph is g and tf.train.get_global_step() is None
    assert tf.train.get_global_step(g) is gs
    with tf.name_scope("inner"):  # created at the root scope, whatever the current scope
        gs2 = tf.train.get_or_create_global_step()
    assert gs2.name == "global_step:0"
    g3 = tf.Graph()
    with g3.as_default():
        named = tf.Variable(np.int64(0), name="global_step")
        assert tf.train.get_global_step().name == named.name
    g4 = tf.Graph()
    with g4.as_default():
        tf.Variable(0.5, name="global_step")
        with pytest.raises(TypeError, match="not an integer tensor"):
            tf.train.get_global_step()
        tf.add_to_collection(tf.GraphKeys.GLOBAL_STEP, tf.Variable(np.int64(0)))
        tf.add_to_collection(tf.GraphKeys.GLOBAL_STEP, tf.Variable(np.int64(0)))
        with pytest.raises(TypeError, match="only one global step"):
            tf.train.get_global_step()


# -- tf.train decay functions --------------------------------------------------------------------


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay(staircase):
    got = values(lambda s: tf.train.exponential_decay(0.1, s, 4, 0.5, staircase=staircase))
    close(got, [0.1 * 0.5 ** (math.floor(s / 4) if staircase else s / 4) for s in STEPS])


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay(staircase):
    got = values(lambda s: tf.train.inverse_time_decay(0.2, s, 5, 0.5, staircase=staircase))
    close(got, [0.2 / (1 + 0.5 * (math.floor(s / 5) if staircase else s / 5)) for s in STEPS])


def test_polynomial_decay():
    got = values(lambda s: tf.train.polynomial_decay(0.1, s, 10, 0.01, power=2.0))
    close(got, [(0.1 - 0.01) * (1 - min(s, 10) / 10) ** 2 + 0.01 for s in STEPS])
    got = values(lambda s: tf.train.polynomial_decay(0.1, s, 10, 0.01, cycle=True))
    ds = [10 * max(1, math.ceil(s / 10)) for s in STEPS]
    close(got, [(0.1 - 0.01) * (1 - s / d) + 0.01 for s, d in zip(STEPS, ds)])


def test_cosine_decay():
    got = values(lambda s: tf.train.cosine_decay(0.1, s, 10, alpha=0.2))
    close(got, [0.1 * (0.8 * 0.5 * (1 + math.cos(math.pi * min(s, 10) / 10)) + 0.2)
                for s in STEPS])


def test_piecewise_constant():
    got = values(lambda s: tf.train.piecewise_constant(s, [3, 10], [1.0, 0.5, 0.1]))
    close(got, [1.0 if s <= 3 else 0.5 if s <= 10 else 0.1 for s in STEPS])
    got = values(lambda s: tf.train.piecewise_constant(s, [2.5], [1.0, 2.0]),
                 steps=[2.0, 2.5, 2.6], dtype=tf.float32)
    close(got, [1.0, 1.0, 2.0])
    step = tf.placeholder(tf.int64, [])
    with pytest.raises(ValueError, match="same dtype as x"):
        tf.train.piecewise_constant(step, [2.5], [1.0, 2.0])
    with pytest.raises(ValueError, match="1 less than the length of values"):
        tf.train.piecewise_constant(step, [2, 3], [1.0, 2.0])
    with pytest.raises(ValueError, match="same dtype"):
        tf.train.piecewise_constant(step, [2], [1.0, np.float64(2.0)])


def test_schedule_argument_errors():
    with pytest.raises(ValueError, match="global_step is required for exponential_decay"):
        tf.train.exponential_decay(0.1, None, 10, 0.5)
    with pytest.raises(ValueError, match="global_step is required for cosine_decay"):
        tf.train.cosine_decay(0.1, None, 10)
    step = tf.train.get_or_create_global_step()
    with pytest.raises(ValueError, match="decay_steps must be > 0"):
        tf.train.polynomial_decay(0.1, step, 0)
    with pytest.raises(ValueError, match="decay_steps must be > 0"):
        tf.train.inverse_time_decay(0.1, step, -1, 0.5)


def test_schedule_follows_the_global_step():
    gs = tf.train.get_or_create_global_step()
    lr = tf.train.exponential_decay(1.0, gs, 1, 0.5, staircase=True)
    assert lr.dtype == tf.float32
    inc = gs.assign_add(1)
    with tf.Session() as sess:
        sess.run(gs.initializer)
        seen = []
        for _ in range(3):
            seen.append(float(sess.run(lr)))
            sess.run(inc)
    assert seen == [1.0, 0.5, 0.25]


# -- Keras schedule objects ----------------------------------------------------------------------


def test_keras_schedules_compute_the_same_rules():
    close(values(schedules.ExponentialDecay(0.1, 4, 0.5, staircase=True)),
          [0.1 * 0.5 ** math.floor(s / 4) for s in STEPS])
    close(values(schedules.InverseTimeDecay(0.2, 5, 0.5)),
          [0.2 / (1 + 0.5 * s / 5) for s in STEPS])
    close(values(schedules.PiecewiseConstantDecay([3, 10], [1.0, 0.5, 0.1])),
          [1.0 if s <= 3 else 0.5 if s <= 10 else 0.1 for s in STEPS])
    close(values(schedules.PolynomialDecay(0.1, 10)),
          [(0.1 - 0.0001) * (1 - min(s, 10) / 10) + 0.0001 for s in STEPS])
    close(values(schedules.CosineDecay(0.1, 10)),
          [0.1 * 0.5 * (1 + math.cos(math.pi * min(s, 10) / 10)) for s in STEPS])


def test_keras_cosine_decay_with_warmup():
    sched = schedules.CosineDecay(0.0, 10, alpha=0.1, warmup_target=0.2, warmup_steps=4)

    def expected(s):
        s = min(s, 14)
        if s < 4:
            return 0.2 * s / 4
        return 0.2 * (0.9 * 0.5 * (1 + math.cos(math.pi * (s - 4) / 10)) + 0.1)
    close(values(sched, steps=[0, 1, 2, 4, 6, 14, 20]), [expected(s) for s in
                                                         [0, 1, 2, 4, 6, 14, 20]])


def test_keras_schedule_config_round_trip():
    for sched in (schedules.ExponentialDecay(0.1, 100, 0.96, staircase=True),
                  schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001]),
                  schedules.PolynomialDecay(0.1, 100, 0.001, power=0.5, cycle=True),
                  schedules.InverseTimeDecay(0.1, 10, 0.5),
                  schedules.CosineDecay(0.1, 50, 0.1, warmup_target=0.2, warmup_steps=5)):
        cfg = schedules.serialize(sched)
        assert cfg["module"] == "keras.optimizers.schedules"
        assert cfg["class_name"] == type(sched).__name__
        back = schedules.deserialize(cfg)
        assert type(back) is type(sched) and back.get_config() == sched.get_config()
        assert type(sched).from_config(sched.get_config()).get_config() == sched.get_config()


def test_keras_schedule_errors():
    with pytest.raises(ValueError, match="decay_steps` must be > 0"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="decay_steps` must be > 0"):
        schedules.CosineDecay(0.1, -5)
    with pytest.raises(ValueError, match="1 less than the length of values"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1])
    with pytest.raises(ValueError, match="Unknown learning rate schedule class 'Nope'"):
        schedules.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(NotImplementedError, match="must override `__call__"):
        schedules.LearningRateSchedule()(0)
    with pytest.raises(NotImplementedError, match="get_config"):
        schedules.LearningRateSchedule().get_config()
