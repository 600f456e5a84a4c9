"""DropoutMask's draws (tensorlet.ops.nn.dropout_keep): TF's keep rule (keep where a uniform
draw >= rate) on b-bit uniforms from the generator's raw stream, with the fewest bits that hold
the rate exactly; keep frequencies, mask values, repeatability under a seed (in a session,
across sessions and across processes) and fresh, uncorrelated masks from step to step."""
import subprocess
import sys

import numpy as np
import pytest

import tensorlet as tf
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.ops.nn import dropout_keep


class _Ctx:
    """A RunContext stand-in whose random stream is a given generator."""

    def __init__(self, gen):
        self.gen = gen

    def rng_for(self, attrs):
        return self.gen


def _uniforms(gen, count, bits):
    """`count` b-bit uniform integers, as dropout_keep reads them from the raw 64-bit words."""
    words = gen.bit_generator.random_raw(-(-count * bits // 64)).astype("<u8")
    if bits == 1:
        return np.unpackbits(words.view(np.uint8))[:count]
    return words.view(f"<u{bits // 8}")[:count]


@pytest.mark.parametrize("rate, bits", [
    (np.float32(0.5), 1), (np.float64(0.25), 8), (np.float32(1 / 1024), 16),
    (np.float32(0.3), 32), (np.float64(0.3), 64), (np.float32(0.75), 8), (np.float64(1e-30), 64)])
def test_keep_rule_on_the_fewest_exact_bits(rate, bits):
    dims = (37, 29)  # not a multiple of 64 elements: the last word is partly used
    gen, twin = np.random.default_rng(4), np.random.default_rng(4)
    keep = dropout_keep(_Ctx(gen), {}, dims, np.array(rate))
    assert keep.dtype == bool and keep.shape == dims
    u = _uniforms(twin, np.prod(dims), bits)
    threshold = int(np.ceil(float(rate) * 2.0 ** bits))
    np.testing.assert_array_equal(keep.reshape(-1), u >= np.uint64(threshold))
    assert gen.bit_generator.state == twin.bit_generator.state  # exactly those words consumed
    if bits < 64:  # the threshold is exact: P(keep) = 1 - rate
        assert threshold == float(rate) * 2 ** bits


def test_rate_zero_keeps_everything_without_drawing():
    gen = np.random.default_rng(1)
    state = gen.bit_generator.state
    assert dropout_keep(_Ctx(gen), {}, (3, 4), np.array(0.0)).all()
    assert gen.bit_generator.state == state


@pytest.mark.parametrize("rate", [0.5, 0.25, 0.3, 0.9, 1 / 3])
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_keep_frequency_and_mask_values(rate, dtype):
    y = tf.nn.dropout(tf.ones([400, 1000], dtype), rate=rate, seed=1)
    mask = tf.get_default_graph().get_operations()[-2].outputs[0]
    assert mask.op.type == "DropoutMask"
    with tf.Session() as s:
        yv, mv = s.run([y, mask])
    assert yv.dtype == mv.dtype == dtype.np
    np.testing.assert_array_equal(yv, mv)
    one = dtype.np.type(1)
    assert set(np.unique(mv)) <= {0, one / (one - dtype.np.type(rate))}
    p = 1 - rate  # 400k draws: the standard deviation of the kept fraction is below 8e-4
    assert abs((mv != 0).mean() - p) < 5 * np.sqrt(p * (1 - p) / mv.size)


def test_masks_are_fresh_and_uncorrelated_step_to_step():
    y = tf.nn.dropout(tf.ones([200, 500]), rate=0.5, seed=3)
    with tf.Session() as s:
        a, b, c = (s.run(y) != 0 for _ in range(3))
    for m1, m2 in ((a, b), (b, c), (a, c)):
        assert abs((m1 & m2).mean() - 0.25) < 0.005  # independent halves: a quarter overlap
        assert abs(np.corrcoef(m1.ravel(), m2.ravel())[0, 1]) < 0.02


_PROGRAM = """
import hashlib, numpy as np, tensorlet as tf
tf.set_random_seed(11)
y = tf.nn.dropout(tf.ones([64, 300]), rate={rate})
with tf.Session() as s:
    print(hashlib.sha256(np.concatenate([s.run(y), s.run(y)]).tobytes()).hexdigest())
"""


@pytest.mark.parametrize("rate", [0.5, 0.3])
def test_same_seed_same_masks_across_sessions_and_processes(rate):
    def here():
        tf.reset_default_graph()
        exec(_PROGRAM.format(rate=rate).replace("print(", "out.append("), {"out": out})
    out = []
    here()
    here()
    assert out[0] == out[1]
    other = subprocess.run([sys.executable, "-c", _PROGRAM.format(rate=rate)],
                           capture_output=True, text=True, check=True).stdout.split()[-1]
    assert other == out[0]


@pytest.mark.parametrize("rate", [1.0, -0.25, 1.5])
def test_rate_out_of_range_at_run_time(rate):
    r = tf.placeholder(tf.float32, [])
    y = tf.nn.dropout(tf.ones([4, 4]), rate=r)
    with tf.Session() as s:
        with pytest.raises(InvalidArgumentError, match=r"keep_prob must be in \(0, 1\]"):
            s.run(y, {r: rate})
