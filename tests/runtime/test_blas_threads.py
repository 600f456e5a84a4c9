"""The BLAS thread policy (tensorlet.runtime.blas): one OpenBLAS thread while other processes
keep the cores busy, all threads otherwise; off when the user fixed the count."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet.runtime import blas

openblas = blas._openblas()
needs_openblas = pytest.mark.skipif(openblas is None, reason="NumPy's BLAS is not OpenBLAS")


@pytest.fixture
def fresh_policy(monkeypatch):
    """A policy started from scratch, and OpenBLAS's thread count restored afterwards."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "TENSORLET_BLAS_THREADS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(blas, "_policy", None)
    before = openblas[1]() if openblas else None
    yield
    if openblas:
        openblas[0](before)


class FakeProc:
    """Stands in for /proc: busy ticks of all CPUs and of this process, advanced by hand."""

    def __init__(self):
        self.all, self.mine = 1000, 100

    def advance(self, others_cores, mine_cores, seconds):
        self.mine += int(mine_cores * seconds * blas._HZ)
        self.all += int((others_cores + mine_cores) * seconds * blas._HZ)

    def __call__(self):
        return self.all, self.mine


@needs_openblas
def test_single_thread_while_others_are_busy_then_back(fresh_policy, monkeypatch):
    proc = FakeProc()
    monkeypatch.setattr(blas, "_sample", proc)
    policy = blas._Policy()
    policy.start()
    if policy.full < 2:
        pytest.skip("one core: nothing to adapt")
    assert policy.enabled
    policy.look(0.0)                      # the first look only records
    proc.advance(others_cores=1.5, mine_cores=2.0, seconds=1.0)
    policy.look(1.0)
    assert policy.current == 1 and openblas[1]() == 1
    proc.advance(others_cores=0.1, mine_cores=1.0, seconds=1.0)
    policy.look(2.0)
    assert policy.current == policy.full == openblas[1]()


@needs_openblas
def test_own_threads_do_not_count_as_others(fresh_policy, monkeypatch):
    proc = FakeProc()
    monkeypatch.setattr(blas, "_sample", proc)
    policy = blas._Policy()
    policy.start()
    policy.look(0.0)
    proc.advance(others_cores=0.0, mine_cores=2.0, seconds=1.0)
    policy.look(1.0)
    assert policy.current == policy.full


@needs_openblas
@pytest.mark.parametrize("var", ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"])
def test_off_when_the_user_set_the_thread_count(fresh_policy, monkeypatch, var):
    monkeypatch.setenv(var, "2")
    policy = blas._Policy()
    policy.start()
    assert not policy.enabled


@needs_openblas
def test_fixed_count_from_tensorlet_blas_threads(fresh_policy, monkeypatch):
    monkeypatch.setenv("TENSORLET_BLAS_THREADS", "1")
    policy = blas._Policy()
    policy.start()
    assert not policy.enabled and openblas[1]() == 1


def test_zero_leaves_openblas_alone(fresh_policy, monkeypatch):
    monkeypatch.setenv("TENSORLET_BLAS_THREADS", "0")
    monkeypatch.setattr(blas, "_openblas", lambda: pytest.fail("must not look for OpenBLAS"))
    policy = blas._Policy()
    policy.start()
    assert not policy.enabled


@needs_openblas
@pytest.mark.parametrize("bad", ["-1", "two", "1.5"])
def test_bad_thread_count_is_a_clear_error(fresh_policy, monkeypatch, bad):
    monkeypatch.setenv("TENSORLET_BLAS_THREADS", bad)
    with pytest.raises(ValueError, match="TENSORLET_BLAS_THREADS must be a positive integer"):
        blas._Policy().start()


def test_without_openblas_or_proc_the_policy_is_off(fresh_policy, monkeypatch):
    monkeypatch.setattr(blas, "_openblas", lambda: None)
    policy = blas._Policy()
    policy.start()
    assert not policy.enabled
    monkeypatch.setattr(blas, "_openblas", lambda: openblas or (lambda n: None, lambda: 2))
    monkeypatch.setattr(blas, "_sample", lambda: None)
    policy = blas._Policy()
    policy.start()
    assert not policy.enabled


def test_session_runs_apply_the_policy(fresh_policy, monkeypatch):
    calls = []
    monkeypatch.setattr(blas, "adapt", lambda: calls.append(1))
    x = tf.placeholder(tf.float32, [2])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(x * 2, {x: [1, 2]}), [2, 4])
    assert calls
