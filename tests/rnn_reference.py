"""An independent step-by-step float64 NumPy reference of Keras 3's recurrent cells (LSTM,
GRU both reset_after conventions, SimpleRNN) and of its time loop with masks (TensorFlow
backend), shared by the op tests and the layer tests."""
import numpy as np


def _sig(x):
    return 1 / (1 + np.exp(-x))


ACT = {"tanh": np.tanh, "sigmoid": _sig, "relu": lambda x: np.maximum(x, 0),
       "linear": lambda x: x, "hard_sigmoid": lambda x: np.clip((x + 3) / 6, 0, 1)}


def lstm_step(W, U, b, act, rec):
    def step(x, states):
        h, c = states
        z = x @ W + h @ U + b
        i, f, g, o = np.split(z, 4, axis=1)
        c = rec(f) * c + rec(i) * act(g)
        h = rec(o) * act(c)
        return h, [h, c]
    return step


def gru_step(W, U, b, act, rec, reset_after):
    def step(x, states):
        (h,) = states
        u = h.shape[1]
        bx, bh = (b[0], b[1]) if reset_after else (b, np.zeros(3 * u))
        xz, xr, xh = np.split(x @ W + bx, 3, axis=1)
        if reset_after:
            hz, hr, hh = np.split(h @ U + bh, 3, axis=1)
        else:
            hz, hr = np.split(h @ U[:, :2 * u], 2, axis=1)
        z, r = rec(xz + hz), rec(xr + hr)
        cand = act(xh + (r * hh if reset_after else (r * h) @ U[:, 2 * u:]))
        h = z * h + (1 - z) * cand
        return h, [h]
    return step


def simple_step(W, U, b, act):
    def step(x, states):
        h = act(x @ W + b + states[0] @ U)
        return h, [h]
    return step


def reference(step, x, states, mask, go_backwards, zero_output, return_sequences=True):
    """Keras 3's backend.rnn on TensorFlow: a masked step keeps the states and outputs the
    previous output (zeros at first) or zeros with zero_output_for_mask."""
    _B, T, _ = x.shape
    order = range(T - 1, -1, -1) if go_backwards else range(T)
    outs, prev = [], None
    for t in order:
        out, new = step(x[:, t], states)
        if mask is not None:
            m = mask[:, t][:, None]
            prev = np.zeros_like(out) if prev is None else prev
            out = np.where(m, out, 0 if zero_output else prev)
            new = [np.where(m, n, s) for n, s in zip(new, states)]
        states, prev = new, out
        outs.append(out)
    y = np.stack(outs, 1)
    return (y if return_sequences else y[:, -1]), states
