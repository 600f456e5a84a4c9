"""Whole-sequence recurrent ops (as cuDNN runs them): SimpleRNN, LSTM and GRU over a full
(batch, time, features) input in one op each, with a hand-written backward-through-time op.

The forward op returns, after its documented outputs, "aux" outputs (like cuDNN's reserve
space: the states and gate activations of every step, time-major in processing order) that
only its gradient rule reads; no gradient flows through them. The gradient op returns the
gradients of only the inputs asked for. It has no gradient rule itself: gradients of gradients
through these ops are unsupported. The loops live in `rnn_loops`, the compiled gate kernels
in `rnn_numba`. Weights are laid out exactly as Keras 3 lays them out (kernel
(input_dim, gates*units), recurrent kernel (units, gates*units), LSTM gates i, f, c, o, GRU
gates z, r, h, GRU bias (2, 3*units) when reset_after else (3*units,)).
"""
import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.graph import TensorLike
from tensorlet.framework.shapes import TensorShape

from . import rnn_loops
from .array import zeros
from .base import apply, as_tensor, declare
from .math import cast

__all__ = ["gru_sequence", "lstm_sequence", "simple_rnn_sequence"]

# cell -> (gates, states, aux outputs)
_CELLS = {"SimpleRNN": (1, 1, 1), "LSTM": (4, 2, 4), "GRU": (3, 1, 3)}
_DEFAULTS = {"go_backwards": False, "zero_output_for_mask": False, "return_sequences": True,
             "has_initial_state": False, "has_mask": False}


def _layout(attrs, nstates):
    """Indices of the initial-state inputs and of the mask input (or None)."""
    states = list(range(4, 4 + nstates)) if attrs["has_initial_state"] else []
    mask = 4 + len(states) if attrs["has_mask"] else None
    return states, mask


def _check_attrs(cell, attrs):
    for k, v in _DEFAULTS.items():
        attrs.setdefault(k, v)
    names = ("activation",) if cell == "SimpleRNN" else ("activation", "recurrent_activation")
    for name in names:
        if attrs.get(name) not in rnn_loops.ACTIVATIONS:
            raise ValueError(f"{name} must be one of {rnn_loops.ACTIVATIONS}, got "
                             f"{attrs.get(name)!r}")
    if cell == "GRU" and not isinstance(attrs.get("reset_after"), bool):
        raise ValueError(f"reset_after must be True or False, got {attrs.get('reset_after')!r}")


def _expect(t, what, shape, dtype):
    if t.dtype is not dtype:
        raise TypeError(f"{what} must be {dtype.name} like the inputs, got {t.dtype.name}")
    if not t.shape.is_compatible_with(shape):
        raise ValueError(f"{what} must have shape {TensorShape(shape)}, got {t.shape}")


def _bias_shape(cell, attrs, u):
    gates = _CELLS[cell][0]
    if cell == "GRU" and attrs["reset_after"]:
        return (2, 3 * u)
    return (None if u is None else gates * u,)


def _static(cell, inputs, attrs):
    """Validate the inputs; returns (B, T, D, units, dtype)."""
    gates, nstates, _ = _CELLS[cell]
    _check_attrs(cell, attrs)
    states, mask = _layout(attrs, nstates)
    n = 4 + len(states) + (mask is not None)
    if len(inputs) != n:
        raise ValueError(f"expected {n} inputs (inputs, kernel, recurrent_kernel, bias"
                         f"{', initial states' if states else ''}{', mask' if mask else ''}), "
                         f"got {len(inputs)}")
    x, W, U, b = inputs[:4]
    dt = x.dtype
    if not dt.is_floating:
        raise TypeError(f"inputs must be floating-point, got {dt.name}")
    if x.shape.ndims is not None and x.shape.ndims != 3:
        raise ValueError(f"inputs must have rank 3 (batch, time, features), got shape {x.shape}")
    B, T, D = x.shape.dims if x.shape.ndims else (None, None, None)
    if U.shape.ndims != 2:
        raise ValueError(f"recurrent_kernel must have rank 2 (units, {gates}*units), got "
                         f"shape {U.shape}")
    u = U.shape[0]
    G = None if u is None else gates * u
    _expect(U, "recurrent_kernel", (u, G), dt)
    _expect(W, "kernel", (D, G), dt)
    _expect(b, "bias", _bias_shape(cell, attrs, u), dt)
    for i in states:
        _expect(inputs[i], "an initial state", (B, u), dt)
    if mask is not None:
        m = inputs[mask]
        if not m.dtype.is_bool:
            raise TypeError(f"mask must be bool, got {m.dtype.name}")
        if not m.shape.is_compatible_with((B, T)):
            raise ValueError(f"mask must have shape (batch, time) = {TensorShape((B, T))}, "
                             f"got {m.shape}")
    return B, T, D, u, dt


def _aux_specs(cell, B, T, D, u, dt):
    """XH (T+1, B, D+1+u): per step [x, 1, h(t-1)], last row the final h (see rnn_loops);
    LSTM: cell states C (T+1, B, u), tanh(c) (T, B, u), gates (T, B, 4u); GRU: the reset
    recurrent part (T, B, u), gates (T, B, 3u)."""
    T1 = None if T is None else T + 1
    xh = [((T1, B, None if D is None or u is None else D + 1 + u), dt)]
    if cell == "LSTM":
        return xh + [((T1, B, u), dt), ((T, B, u), dt), ((T, B, 4 * u if u else None), dt)]
    if cell == "GRU":
        return xh + [((T, B, u), dt), ((T, B, 3 * u if u else None), dt)]
    return xh


def _seq_infer(cell):
    def infer(inputs, attrs):
        B, T, D, u, dt = _static(cell, inputs, attrs)
        y = (B, T, u) if attrs["return_sequences"] else (B, u)
        nstates = _CELLS[cell][1]
        specs = [(y, dt)] + [((B, u), dt)] * nstates + _aux_specs(cell, B, T, D, u, dt)
        return [(TensorShape(s), d) for s, d in specs]
    return infer


def _unpack(cell, attrs, arrays):
    nstates = _CELLS[cell][1]
    states, mask = _layout(attrs, nstates)
    init = [arrays[i] for i in states] or [None] * nstates
    return list(arrays[:4]) + init + [None if mask is None else arrays[mask]]


_FORWARD = {"SimpleRNN": rnn_loops.simple_rnn_forward, "LSTM": rnn_loops.lstm_forward,
            "GRU": rnn_loops.gru_forward}
_BACKWARD = {"SimpleRNN": rnn_loops.simple_rnn_backward, "LSTM": rnn_loops.lstm_backward,
             "GRU": rnn_loops.gru_backward}


def _seq_kernel(cell):
    def kernel(attrs, *arrays):
        return _FORWARD[cell](attrs, *_unpack(cell, attrs, arrays))
    return kernel


# -- Gradient ops -------------------------------------------------------------------------------
# Inputs: inputs, kernel, recurrent_kernel, [mask], the forward op's aux outputs, then the
# gradients of its outputs that are present (attr "grads": flags for y, h[, c]). Outputs: the
# gradients of the forward inputs flagged in attr "needs" (inputs, kernel, recurrent_kernel,
# bias, initial states).


def _is_zero(g):
    return g is None or g.op.type == "ZerosLike"


def _seq_grad(cell):
    nstates = _CELLS[cell][1]

    def grad(op, grads, needed):
        attrs = op.attrs
        states, mask = _layout(attrs, nstates)
        needs = tuple(bool(needed[i]) for i in range(4 + len(states)))
        main = grads[:1 + nstates]
        present = tuple(not _is_zero(g) for g in main)
        result = [None] * len(op.inputs)
        if not any(needs) or not any(present):
            return result
        ins = list(op.inputs[:3]) + ([op.inputs[mask]] if mask is not None else [])
        ins += list(op.outputs[1 + nstates:]) + [g for g, p in zip(main, present) if p]
        outs = apply(cell + "SequenceGrad", ins, dict(attrs, needs=needs, grads=present))
        outs = iter(outs if isinstance(outs, tuple) else (outs,))
        for i, n in enumerate(needs):
            if n:
                result[i] = next(outs)
        return result
    return grad


def _grad_infer(cell):
    nstates = _CELLS[cell][1]

    def infer(inputs, attrs):
        x, W, U = inputs[:3]
        u = U.shape[0]
        B = x.shape[0] if x.shape.ndims else None
        shapes = [x.shape, W.shape, U.shape, TensorShape(_bias_shape(cell, attrs, u))]
        shapes += [TensorShape((B, u))] * nstates
        return [(s, x.dtype) for s, n in zip(shapes, attrs["needs"]) if n]
    return infer


def _grad_kernel(cell):
    naux = _CELLS[cell][2]

    def kernel(attrs, *arrays):
        x, W, U = arrays[:3]
        i = 3
        mask = None
        if attrs["has_mask"]:
            mask, i = arrays[3], 4
        aux = arrays[i:i + naux]
        it = iter(arrays[i + naux:])
        gs = [next(it) if p else None for p in attrs["grads"]]
        out = _BACKWARD[cell](attrs, attrs["needs"], x, W, U, mask, *aux, *gs)
        return out[0] if len(out) == 1 else out  # one output: the array itself
    return kernel


# -- Samples for the registry gradient check (batch 2, time 3, input 2, units 3) ---------------

_rng = np.random.default_rng(11)


def _samples(cell):
    gates, nstates, _ = _CELLS[cell]

    def samples():
        out = []
        variants = [
            {},
            {"has_initial_state": True, "has_mask": True, "go_backwards": True},
            {"has_initial_state": True, "has_mask": True, "return_sequences": False,
             "zero_output_for_mask": True},
            {"has_mask": True, "activation": "sigmoid", "recurrent_activation": "tanh"},
        ]
        for k, v in enumerate(variants):
            attrs = dict(_DEFAULTS, activation="tanh")
            attrs.update(v)
            if cell != "SimpleRNN":
                attrs.setdefault("recurrent_activation", "sigmoid")
            if cell == "GRU":
                attrs["reset_after"] = k % 2 == 0
            u = 3
            b_shape = _bias_shape(cell, attrs, u)
            arrays = [_rng.standard_normal((2, 3, 2)), _rng.standard_normal((2, gates * u)),
                      _rng.standard_normal((u, gates * u)) * 0.5,
                      _rng.standard_normal(b_shape) * 0.5]
            if attrs["has_initial_state"]:
                arrays += [_rng.standard_normal((2, u)) * 0.5 for _ in range(nstates)]
            if attrs["has_mask"]:
                arrays.append(np.array([[False, True, False], [True, True, False]]))
            out.append((arrays, attrs))
        return out
    return samples


for _cell, (_g, _n, _a) in _CELLS.items():
    declare(_cell + "Sequence", _seq_infer(_cell), _seq_kernel(_cell), grad=_seq_grad(_cell),
            samples=_samples(_cell), aux_outputs=tuple(range(1 + _n, 1 + _n + _a)))
    declare(_cell + "SequenceGrad", _grad_infer(_cell), _grad_kernel(_cell))


# -- Public functions ---------------------------------------------------------------------------


def _prepare(cell, inputs, kernel, recurrent_kernel, bias, states, mask, attrs, name):
    x = as_tensor(inputs)

    def like_x(v):  # tensors keep their dtype (infer names a mismatch); values take x's
        return v if isinstance(v, TensorLike) else as_tensor(v, x.dtype)
    W, U = like_x(kernel), like_x(recurrent_kernel)
    u = U.shape[0] if U.shape.ndims == 2 else None
    if bias is None:
        if u is None:
            raise ValueError(f"{cell.lower()}: recurrent_kernel must have a static shape "
                             f"(units, gates*units) when bias is None, got {U.shape}")
        bias = zeros(_bias_shape(cell, attrs, u), x.dtype)
    ins = [x, W, U, like_x(bias)]
    given = [s for s in states if s is not None]
    if given:
        ref = like_x(given[0])
        ins += [like_x(s) if s is not None else ref * 0 for s in states]
    if mask is not None:
        mask = as_tensor(mask)
        ins.append(mask if mask.dtype.is_bool else cast(mask, _dt.bool_))
    attrs.update(has_initial_state=bool(given), has_mask=mask is not None)
    outs = apply(cell + "Sequence", ins, attrs, name=name)
    return outs[:1 + _CELLS[cell][1]]


def simple_rnn_sequence(inputs, kernel, recurrent_kernel, bias=None, initial_h=None, mask=None,
                        activation="tanh", go_backwards=False, return_sequences=True,
                        zero_output_for_mask=False, name=None):
    """A fully-connected RNN over a whole sequence: h(t) = act(x(t) W + h(t-1) U + b).

    `inputs` (batch, time, features); `mask` (batch, time) bool: a masked step carries the
    state, and outputs the previous output (zeros before the first unmasked step), or zeros
    with `zero_output_for_mask`, as Keras 3. `go_backwards` processes time in reverse and
    returns outputs in processing order. Returns (outputs, final h): outputs (batch, time,
    units), or the last output (batch, units) when `return_sequences` is False.
    """
    attrs = {"activation": activation, "go_backwards": bool(go_backwards),
             "return_sequences": bool(return_sequences),
             "zero_output_for_mask": bool(zero_output_for_mask)}
    return _prepare("SimpleRNN", inputs, kernel, recurrent_kernel, bias, [initial_h], mask,
                    attrs, name)


def lstm_sequence(inputs, kernel, recurrent_kernel, bias=None, initial_h=None, initial_c=None,
                  mask=None, activation="tanh", recurrent_activation="sigmoid",
                  go_backwards=False, return_sequences=True, zero_output_for_mask=False,
                  name=None):
    """An LSTM over a whole sequence, Keras's gates i, f, c, o in that column order.

    i, f, o = recurrent_activation(.), c(t) = f c(t-1) + i activation(.), h(t) = o
    activation(c(t)). Missing initial states are zeros. Masking, `go_backwards` and
    `return_sequences` as `simple_rnn_sequence`. Returns (outputs, final h, final c).
    """
    attrs = {"activation": activation, "recurrent_activation": recurrent_activation,
             "go_backwards": bool(go_backwards), "return_sequences": bool(return_sequences),
             "zero_output_for_mask": bool(zero_output_for_mask)}
    return _prepare("LSTM", inputs, kernel, recurrent_kernel, bias, [initial_h, initial_c],
                    mask, attrs, name)


def gru_sequence(inputs, kernel, recurrent_kernel, bias=None, initial_h=None, mask=None,
                 reset_after=True, activation="tanh", recurrent_activation="sigmoid",
                 go_backwards=False, return_sequences=True, zero_output_for_mask=False,
                 name=None):
    """A GRU over a whole sequence, Keras's gates z, r, h in that column order.

    reset_after=True (Keras's default, cuDNN's convention): bias (2, 3*units), input and
    recurrent halves, hh = act(x W_h + b_h + r (h U_h + b'_h)); reset_after=False: bias
    (3*units,), hh = act(x W_h + (r h) U_h + b_h). h(t) = z h(t-1) + (1 - z) hh. Masking,
    `go_backwards` and `return_sequences` as `simple_rnn_sequence`. Returns (outputs, final h).
    """
    attrs = {"activation": activation, "recurrent_activation": recurrent_activation,
             "reset_after": bool(reset_after), "go_backwards": bool(go_backwards),
             "return_sequences": bool(return_sequences),
             "zero_output_for_mask": bool(zero_output_for_mask)}
    return _prepare("GRU", inputs, kernel, recurrent_kernel, bias, [initial_h], mask, attrs,
                    name)
