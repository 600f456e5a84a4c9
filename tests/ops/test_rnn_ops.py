"""Whole-sequence RNN ops (SimpleRNN, LSTM, GRU) against an independent step-by-step NumPy
float64 reference (Keras 3's cell formulas and TF-backend masking), gradient checks, the
numba and NumPy paths against each other, and build-time errors."""
import itertools

import numpy as np
import pytest
from gradcheck import check_op
from rnn_reference import ACT, gru_step, lstm_step, reference, simple_step

import tensorlet as tf
from tensorlet.framework.registry import op_def

_rng = np.random.default_rng(5)


CELLS = ["simple", "lstm", "gru_after", "gru_before"]


def _problem(cell, B=3, T=5, D=4, u=3, act="tanh", rec="sigmoid", with_state=False):
    gates = {"simple": 1, "lstm": 4}.get(cell, 3)
    W = _rng.standard_normal((D, gates * u)) * 0.6
    U = _rng.standard_normal((u, gates * u)) * 0.6
    b = _rng.standard_normal((2, 3 * u) if cell == "gru_after" else (gates * u,)) * 0.3
    x = _rng.standard_normal((B, T, D))
    nstates = 2 if cell == "lstm" else 1
    states = [_rng.standard_normal((B, u)) * 0.5 for _ in range(nstates)] if with_state \
        else None
    if cell == "lstm":
        step = lstm_step(W, U, b, ACT[act], ACT[rec])
    elif cell == "simple":
        step = simple_step(W, U, b, ACT[act])
    else:
        step = gru_step(W, U, b, ACT[act], ACT[rec], cell == "gru_after")
    return x, W, U, b, states, step


def _run_op(cell, x, W, U, b, states, mask, dtype=np.float32, **kw):
    c = [tf.constant(np.asarray(a, dtype)) for a in (x, W, U, b)]
    st = [tf.constant(np.asarray(s, dtype)) for s in states] if states else None
    m = None if mask is None else tf.constant(mask)
    if cell == "lstm":
        out = tf.nn.lstm_sequence(*c, initial_h=st and st[0], initial_c=st and st[1], mask=m,
                                  **kw)
    elif cell == "simple":
        kw.pop("recurrent_activation", None)
        out = tf.nn.simple_rnn_sequence(*c, initial_h=st and st[0], mask=m, **kw)
    else:
        out = tf.nn.gru_sequence(*c, initial_h=st and st[0], mask=m,
                                 reset_after=cell == "gru_after", **kw)
    with tf.Session() as sess:
        return sess.run(list(out))


MASK = np.array([[False, True, True, False, True],
                 [True, True, True, True, True],
                 [True, False, True, True, False]])


@pytest.fixture(params=["numba", "numpy"])
def path(request, monkeypatch):
    if request.param == "numpy":
        monkeypatch.setenv("TENSORLET_DISABLE_NUMBA", "1")
    else:
        monkeypatch.delenv("TENSORLET_DISABLE_NUMBA", raising=False)
    return request.param


@pytest.mark.parametrize("cell,go_backwards,masked,with_state,zero_output", [
    c for c in itertools.product(CELLS, [False, True], [False, True], [False, True],
                                 [False, True]) if c[2] or not c[4]])
def test_forward_matches_reference(path, cell, go_backwards, masked, with_state, zero_output):
    x, W, U, b, states, step = _problem(cell, with_state=with_state)
    mask = MASK if masked else None
    u = U.shape[0]
    init = states or [np.zeros((3, u))] * (2 if cell == "lstm" else 1)
    y_ref, s_ref = reference(step, x, init, mask, go_backwards, zero_output)
    got = _run_op(cell, x, W, U, b, states, mask, go_backwards=go_backwards,
                  zero_output_for_mask=zero_output)
    np.testing.assert_allclose(got[0], y_ref, rtol=2e-5, atol=2e-6)
    for g, r in zip(got[1:], s_ref):
        np.testing.assert_allclose(g, r, rtol=2e-5, atol=2e-6)
    assert got[0].dtype == np.float32


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("act,rec", [("relu", "hard_sigmoid"), ("linear", "tanh"),
                                     ("sigmoid", "sigmoid")])
def test_other_activations_and_last_output(cell, act, rec):
    x, W, U, b, states, step = _problem(cell, act=act, rec=rec, with_state=True)
    y_ref, s_ref = reference(step, x, states, MASK, True, False, return_sequences=False)
    got = _run_op(cell, x, W, U, b, states, MASK, go_backwards=True, return_sequences=False,
                  activation=act, recurrent_activation=rec)
    assert got[0].shape == (3, U.shape[0])
    np.testing.assert_allclose(got[0], y_ref, rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(got[1], s_ref[0], rtol=2e-5, atol=2e-6)


def test_float64_stays_float64():
    x, W, U, b, _states, step = _problem("lstm")
    got = _run_op("lstm", x, W, U, b, None, None, dtype=np.float64)
    y_ref, _ = reference(step, x, [np.zeros((3, 3))] * 2, None, False, False)
    assert got[0].dtype == np.float64
    np.testing.assert_allclose(got[0], y_ref, rtol=1e-12, atol=1e-12)


# -- Gradients ----------------------------------------------------------------------------------

_TYPES = {"simple": "SimpleRNNSequence", "lstm": "LSTMSequence", "gru_after": "GRUSequence",
          "gru_before": "GRUSequence"}


@pytest.mark.parametrize("cell,go_backwards,masked,with_state", list(itertools.product(
    CELLS, [False, True], [False, True], [False, True])))
def test_gradients_numeric(path, cell, go_backwards, masked, with_state):
    x, W, U, b, states, _ = _problem(cell, B=2, T=4, D=2, u=3, with_state=with_state)
    arrays = [x, W, U, b] + (states or [])
    attrs = {"activation": "tanh", "recurrent_activation": "sigmoid", "go_backwards": go_backwards,
             "return_sequences": True, "zero_output_for_mask": go_backwards,
             "has_initial_state": with_state, "has_mask": masked}
    if cell.startswith("gru"):
        attrs["reset_after"] = cell == "gru_after"
    if masked:
        arrays.append(np.array([[False, True, True, False], [True, True, False, True]]))
    check_op(_TYPES[cell], arrays, attrs)


@pytest.mark.parametrize("cell", CELLS)
def test_gradients_other_activations(cell):
    x, W, U, b, states, _ = _problem(cell, B=2, T=3, D=2, u=2, with_state=True)
    attrs = {"activation": "sigmoid", "recurrent_activation": "tanh", "go_backwards": False,
             "return_sequences": False, "zero_output_for_mask": False,
             "has_initial_state": True, "has_mask": False}
    if cell.startswith("gru"):
        attrs["reset_after"] = cell == "gru_after"
    check_op(_TYPES[cell], [x, W, U, b] + states, attrs)


def test_gradient_op_computes_only_what_is_needed():
    x, W, U, b, _, _ = _problem("lstm")
    xt, Wt = tf.constant(x), tf.constant(W)
    y, h, _c = tf.nn.lstm_sequence(xt, Wt, tf.constant(U), tf.constant(b))
    (gW,) = tf.gradients(tf.reduce_sum(h), [Wt])
    assert gW.op.type == "LSTMSequenceGrad" and len(gW.op.outputs) == 1
    assert gW.op.attrs["grads"] == (False, True, False)  # only the final h carries a gradient
    assert tf.gradients(tf.reduce_sum(y.op.outputs[4]), [xt]) == [None]  # aux: no gradient
    with tf.Session() as sess:
        assert sess.run(gW).shape == W.shape


@pytest.mark.parametrize("cell", CELLS)
def test_weight_gradients_do_not_depend_on_asking_for_the_state_gradients(path, cell):
    """Without the initial states' gradients the backward skips the carry out of the first
    step; the weight gradients stay those computed along with the states' gradients."""
    x, W, U, b, states, _ = _problem(cell, B=3, T=4, D=2, u=3, with_state=True)
    c = [tf.constant(np.asarray(a, np.float32)) for a in [x, W, U, b] + states]
    kw = {"mask": tf.constant(MASK[:, :4])}
    if cell == "lstm":
        out = tf.nn.lstm_sequence(*c[:4], initial_h=c[4], initial_c=c[5], **kw)
    elif cell == "simple":
        out = tf.nn.simple_rnn_sequence(*c, **kw)
    else:
        out = tf.nn.gru_sequence(*c, reset_after=cell == "gru_after", **kw)
    loss = sum(tf.reduce_sum(o * o) for o in out)
    weights_only = tf.gradients(loss, c[1:4])
    with_states = tf.gradients(loss, c[1:])
    assert len(weights_only[0].op.outputs) == 3 and len(with_states[0].op.outputs) == len(c) - 1
    with tf.Session() as sess:
        a, b_ = sess.run([weights_only, with_states[:3]])
    for p, q in zip(a, b_):
        np.testing.assert_allclose(p, q, rtol=1e-6, atol=1e-7)


def test_grad_op_has_no_gradient_rule():
    assert op_def("LSTMSequenceGrad").grad is None
    from tensorlet.ops import rnn
    assert "unsupported" in rnn.__doc__


# -- numba and NumPy paths agree (float32) -----------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("masked", [False, True])
def test_numba_and_numpy_paths_agree(cell, masked, monkeypatch):
    from tensorlet.ops import rnn_numba
    if rnn_numba.kernels() is None:
        pytest.skip("numba is not installed")
    x, W, U, b, states, _ = _problem(cell, B=6, T=9, D=5, u=7, with_state=True)
    mask = np.ones((6, 9), bool)
    mask[::2, 3:5] = False
    mask = mask if masked else None

    def run():
        with tf.Graph().as_default():
            vals = [tf.constant(np.asarray(a, np.float32)) for a in [x, W, U, b] + states]
            kw = {"mask": None if mask is None else tf.constant(mask), "go_backwards": True}
            if cell == "lstm":
                out = tf.nn.lstm_sequence(*vals[:4], vals[4], vals[5], **kw)
            elif cell == "simple":
                out = tf.nn.simple_rnn_sequence(*vals, **kw)
            else:
                out = tf.nn.gru_sequence(*vals, reset_after=cell == "gru_after", **kw)
            loss = sum(tf.reduce_sum(o * o) for o in out)
            grads = tf.gradients(loss, vals)
            with tf.Session() as sess:
                return sess.run(list(out) + grads)

    monkeypatch.delenv("TENSORLET_DISABLE_NUMBA", raising=False)
    fast = run()
    monkeypatch.setenv("TENSORLET_DISABLE_NUMBA", "1")
    slow = run()
    for a, c in zip(fast, slow):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)


# -- Errors --------------------------------------------------------------------------------------


def test_build_errors_name_what_was_expected():
    W, U = tf.constant(np.zeros((4, 12), np.float32)), tf.constant(np.zeros((3, 12), np.float32))
    with pytest.raises(ValueError, match="rank 3"):
        tf.nn.lstm_sequence(tf.constant(np.zeros((2, 4), np.float32)), W, U)
    with pytest.raises(ValueError, match="kernel must have shape"):
        tf.nn.lstm_sequence(tf.constant(np.zeros((2, 5, 6), np.float32)), W, U)
    with pytest.raises(ValueError, match="recurrent_kernel must have shape"):
        tf.nn.gru_sequence(tf.constant(np.zeros((2, 5, 4), np.float32)), W, U)
    with pytest.raises(TypeError, match="must be float32"):
        tf.nn.lstm_sequence(tf.constant(np.zeros((2, 5, 4), np.float32)), W,
                            tf.constant(np.zeros((3, 12))))
    with pytest.raises(ValueError, match="activation must be one of"):
        tf.nn.simple_rnn_sequence(tf.constant(np.zeros((2, 5, 4), np.float32)),
                                  tf.constant(np.zeros((4, 3), np.float32)),
                                  tf.constant(np.zeros((3, 3), np.float32)), activation="softmax")
    with pytest.raises(ValueError, match="initial state must have shape"):
        tf.nn.lstm_sequence(tf.constant(np.zeros((2, 5, 4), np.float32)), W, U,
                            initial_h=tf.constant(np.zeros((2, 4), np.float32)))
    with pytest.raises(ValueError, match="mask must have shape"):
        tf.nn.lstm_sequence(tf.constant(np.zeros((2, 5, 4), np.float32)), W, U,
                            mask=tf.constant(np.ones((2, 4), bool)))
    with pytest.raises(ValueError, match=r"bias must have shape \(2, 9\)"):
        tf.nn.gru_sequence(tf.constant(np.zeros((2, 5, 4), np.float32)),
                           tf.constant(np.zeros((4, 9), np.float32)),
                           tf.constant(np.zeros((3, 9), np.float32)),
                           bias=tf.constant(np.zeros(9, np.float32)))


def test_feed_with_wrong_feature_size_raises_before_the_kernel():
    x = tf.placeholder(tf.float32, (None, None, 4))
    _y, h, _c = tf.nn.lstm_sequence(x, np.zeros((4, 8), np.float32), np.zeros((2, 8), np.float32))
    with tf.Session() as sess:
        assert sess.run(h, {x: np.ones((3, 6, 4), np.float32)}).shape == (3, 2)
        with pytest.raises(ValueError):
            sess.run(h, {x: np.ones((3, 6, 5), np.float32)})


def test_numba_is_lazy_and_caches_where_configured(tmp_path):
    """`import tensorlet` and building graphs never import numba; the first RNN kernel run
    compiles into TENSORLET_CACHE_DIR/numba (when NUMBA_CACHE_DIR is not set), and the next
    process loads it from there."""
    import os
    import subprocess
    import sys
    pytest.importorskip("numba")
    code = (
        "import sys, numpy as np, tensorlet as tf\n"
        "x = tf.constant(np.ones((2, 3, 2), np.float32))\n"
        "out = tf.nn.lstm_sequence(x, np.ones((2, 8), np.float32), np.ones((2, 8), np.float32))\n"
        "assert 'numba' not in sys.modules\n"
        "tf.Session().run(out[0])\n"
        "assert 'numba' in sys.modules\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "TENSORLET_DISABLE_NUMBA")}
    env["TENSORLET_CACHE_DIR"] = str(tmp_path)
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=300)
    cached = {p: p.stat().st_mtime_ns for p in (tmp_path / "numba").rglob("*") if p.is_file()}
    assert any(p.suffix in (".nbi", ".nbc") for p in cached)
    # A second process loads every kernel from the cache: nothing is compiled or written
    # (a jitted closure calling another jitted closure missed the cache in every process).
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=300)
    again = {p: p.stat().st_mtime_ns for p in (tmp_path / "numba").rglob("*") if p.is_file()}
    assert again == cached


def test_eager_gradient_tape_through_lstm():
    x, W, U, b, _, step = _problem("lstm")
    with tf.eager_mode():
        wv = tf.Variable(W.astype(np.float32))
        with tf.GradientTape() as tape:
            y, h, c = tf.nn.lstm_sequence(tf.constant(x.astype(np.float32)), wv,
                                          U.astype(np.float32), b.astype(np.float32))
            loss = tf.reduce_sum(h * h)
        g_eager = np.asarray(tape.gradient(loss, wv))
    wt = tf.constant(W.astype(np.float32))
    y, h, c = tf.nn.lstm_sequence(tf.constant(x.astype(np.float32)), wt, U.astype(np.float32),
                                  b.astype(np.float32))
    with tf.Session() as sess:
        g_graph = sess.run(tf.gradients(tf.reduce_sum(h * h), [wt])[0])
    assert g_graph.shape == W.shape
    np.testing.assert_allclose(g_eager, g_graph, rtol=1e-6, atol=1e-7)
