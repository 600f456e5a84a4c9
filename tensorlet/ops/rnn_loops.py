"""Time loops of the whole-sequence RNN ops: the forward pass, which keeps what the backward
pass needs, and backpropagation through time, for SimpleRNN, LSTM and GRU.

Inside, arrays are time-major in processing order (reversed when go_backwards) and gate
columns put the recurrent-activation gates first: LSTM (i, f, o, c) from Keras's (i, f, c, o),
GRU Keras's own (z, r, h). SimpleRNN and GRU project the inputs of all steps (bias included)
with one GEMM into the gate buffer and add each step's recurrent GEMM to it; the LSTM computes
each step's gates with one GEMM of the row [x, 1, h(t-1)] against [W; b; U] straight into the
gate buffer (no projection pass, no add), and its backward writes the gate gradients in Keras's
column order (no permutations). The weight gradients are one GEMM after the backward loop (see
`_Seq`); the carry out of the first step is computed only when an initial state needs its
gradient. With the default activations a step applies np.tanh once to a whole gate block
(sigmoid(x) = tanh(x/2)/2 + 1/2, the exact factor 1/2 folded into the weights) and the
compiled kernels of `rnn_numba` do the arithmetic in between; NumPy ufuncs do it when numba is
missing or disabled, and for other activations. Masked steps carry the state; their output is
the previous output (zeros before the first unmasked step) or zeros with zero_output_for_mask,
as Keras 3 on TensorFlow.
"""
import numpy as np

from . import rnn_numba

ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear", "hard_sigmoid")


def activate(name, a, out=None):
    """out = act(a), in place when out is None."""
    out = a if out is None else out
    if name == "tanh":
        np.tanh(a, out=out)
    elif name == "sigmoid":
        np.multiply(a, 0.5, out=out)
        np.tanh(out, out=out)
        out *= 0.5
        out += 0.5
    elif name == "relu":
        np.maximum(a, 0, out=out)
    elif name == "hard_sigmoid":  # Keras 3: relu6(x + 3) / 6
        np.add(a, 3, out=out)
        np.clip(out, 0, 6, out=out)
        out /= 6
    elif out is not a:
        out[...] = a
    return out


def scale_by_derivative(name, y, g, tmp):
    """g *= act'(x), written from y = act(x); tmp is scratch shaped like g."""
    if name == "tanh":
        np.multiply(y, y, out=tmp)
        np.subtract(1, tmp, out=tmp)
        g *= tmp
    elif name == "sigmoid":
        np.subtract(1, y, out=tmp)
        tmp *= y
        g *= tmp
    elif name == "relu":
        np.multiply(g, y > 0, out=g)
    elif name == "hard_sigmoid":
        np.multiply(g, (y > 0) & (y < 1), out=g)
        g /= 6


class _Seq:
    """What every loop shares: the time-major [x, 1, h] buffer, mask, outputs kept, flags.

    XH (T+1, B, D+1+u) holds, in row s, the step's input x(s), a 1 (so the bias rides in the
    projection GEMM) and the state h(s-1) it starts from; row T holds the final state. H is
    its state columns. The weight gradients then come from ONE GEMM, XH^T dZ = [dW; db; dU].
    """

    def __init__(self, attrs, x, mask, units, gated=True, XH=None):
        self.B, self.T, self.D = x.shape
        self.u, self.dt = units, x.dtype
        mt = None if mask is None else mask.T
        if attrs["go_backwards"]:
            mt = None if mt is None else mt[::-1]
        self.back = attrs["go_backwards"]
        if XH is None:
            xt = x.transpose(1, 0, 2)
            XH = np.empty((self.T + 1, self.B, self.D + 1 + units), self.dt)
            XH[:-1, :, :self.D] = xt[::-1] if self.back else xt
            XH[:-1, :, self.D] = 1
            XH[-1, :, :self.D + 1] = 0
        self.XH, self.H = XH, XH[:, :, self.D + 1:]
        self.XHflat = XH[:-1].reshape(self.T * self.B, -1)  # rows [x, 1, h(t-1)]
        self.X1flat = self.XHflat[:, :self.D + 1]
        self.mt = None if mt is None else np.ascontiguousarray(mt, dtype=bool)
        self.off = None if mt is None else ~self.mt[:, :, None]
        self.keep = None
        if mt is not None:
            keep = self.mt if attrs["zero_output_for_mask"] else np.logical_or.accumulate(
                self.mt, axis=0)
            self.keep = keep[:, :, None].astype(self.dt)
        self.seq = attrs["return_sequences"]
        act, rec = attrs["activation"], attrs.get("recurrent_activation", "sigmoid")
        self.act, self.rec = act, rec
        self.fast = gated and act == "tanh" and rec == "sigmoid"
        self.k = rnn_numba.kernels() if self.fast and rnn_numba.use_numba() else None
        self.on = np.ones(self.B, bool)

    def m(self, s):
        return self.on if self.mt is None else self.mt[s]

    def merge(self, new, old, s):
        """Masked rows of step s keep the old value."""
        if self.off is not None:
            np.copyto(new, old, where=self.off[s])

    def project(self, W, b):
        """The input projection of every step plus the bias, (T, B, G), in one GEMM."""
        g = np.empty((self.T, self.B, W.shape[1]), self.dt)
        np.matmul(self.X1flat, np.concatenate([W, b[None]]), out=self.flat(g))
        return g

    def weight_grads(self, dZ):
        """(dW, db, dU) from the pre-activation gradients (T, B, G): one GEMM XH^T dZ."""
        full = self.XHflat.T @ self.flat(dZ)
        return full[:self.D], full[self.D], full[self.D + 1:]

    def states(self, h0):
        """The state buffer H (T+1, B, u), a view into XH; H[0] = h0 or zeros."""
        self.H[0] = 0 if h0 is None else h0
        return self.H

    def cells(self, c0):
        c = np.empty((self.T + 1, self.B, self.u), self.dt)
        c[0] = 0 if c0 is None else c0
        return c

    def outputs(self, H):
        """The output sequence (B, T, u) in processing order, or the last output (B, u)."""
        keep = self.keep
        if not self.seq:
            return H[-1].copy() if keep is None else H[-1] * keep[-1]
        y = np.empty((self.B, self.T, self.u), self.dt)
        if keep is None:
            y.transpose(1, 0, 2)[...] = H[1:]
        else:
            np.multiply(H[1:], keep, out=y.transpose(1, 0, 2))
        return y

    def backward_start(self, dy, dh_last):
        """The gradient carry into the last step, and a per-step adder of output grads."""
        dh = np.zeros((self.B, self.u), self.dt)
        if dh_last is not None:
            dh += dh_last
        dyt = None
        if dy is not None:
            if self.seq:
                dyt = dy.transpose(1, 0, 2)
            else:
                dh += dy if self.keep is None else dy * self.keep[-1]
        tmp = np.empty_like(dh)

        def add_output_grad(dh, s):
            if dyt is None:
                return
            if self.keep is None:
                dh += dyt[s]
            else:
                np.multiply(dyt[s], self.keep[s], out=tmp)
                dh += tmp
        return dh, add_output_grad

    def input_grad(self, dx_flat):
        """dx (B, T, D) from its time-major (T*B, D) form in processing order."""
        dxt = dx_flat.reshape(self.T, self.B, self.D)
        if self.back:
            dxt = dxt[::-1]
        return np.ascontiguousarray(dxt.transpose(1, 0, 2))

    def flat(self, a):
        return a.reshape(-1, a.shape[-1])


def _pick(needs, values):
    return tuple(v for n, v in zip(needs, values) if n)


# -- SimpleRNN ---------------------------------------------------------------------------------


def simple_rnn_forward(attrs, x, W, U, b, h0, mask):
    q = _Seq(attrs, x, mask, U.shape[0], gated=False)
    G = q.project(W, b)
    H = q.states(h0)
    R = np.empty((q.B, q.u), q.dt)
    for s in range(q.T):
        np.matmul(H[s], U, out=R)
        np.add(G[s], R, out=H[s + 1])
        activate(q.act, H[s + 1])
        q.merge(H[s + 1], H[s], s)
    return q.outputs(H), H[-1].copy(), q.XH


def simple_rnn_backward(attrs, needs, x, W, U, mask, XH, dy, dhT):
    q = _Seq(attrs, x, mask, U.shape[0], gated=False, XH=XH)
    H = q.H
    dh, add_output_grad = q.backward_start(dy, dhT)
    dZ = np.empty((q.T, q.B, q.u), q.dt)
    dhn, tmp = np.empty_like(dh), np.empty_like(dh)
    UT = np.ascontiguousarray(U.T)
    for s in reversed(range(q.T)):
        add_output_grad(dh, s)
        z = dZ[s]
        z[...] = dh
        scale_by_derivative(q.act, H[s + 1], z, tmp)
        q.merge(z, 0, s)
        np.matmul(z, UT, out=dhn)
        q.merge(dhn, dh, s)
        dh, dhn = dhn, dh
    dW, db, dU = q.weight_grads(dZ) if any(needs[1:4]) else (None, None, None)
    return _pick(needs, (needs[0] and q.input_grad(q.flat(dZ) @ W.T), dW, dU, db, dh))


# -- LSTM --------------------------------------------------------------------------------------


def _lstm_perm(u):
    """Keras's gate columns (i, f, c, o) reordered to (i, f, o, c)."""
    return np.r_[0:2 * u, 3 * u:4 * u, 2 * u:3 * u]


def _lstm_weights(q, W, U, b):
    """[W; b; U] (D+1+u, 4u), the rows an XH row meets, gate columns (i, f, o, c); on the fast
    path the sigmoid gates' columns halved."""
    u = q.u
    WbU = np.concatenate([W, b[None], U])[:, _lstm_perm(u)]
    if q.fast:
        WbU[:, :3 * u] *= 0.5
    return WbU


def lstm_forward(attrs, x, W, U, b, h0, c0, mask):
    u = U.shape[0]
    q = _Seq(attrs, x, mask, u)
    WbU = _lstm_weights(q, W, U, b)
    XH, H, C = q.XH, q.states(h0), q.cells(c0)
    G = np.empty((q.T, q.B, 4 * u), q.dt)
    TC = np.empty((q.T, q.B, u), q.dt)
    tmp = np.empty((q.B, u), q.dt)
    k = q.k
    for s in range(q.T):
        g, m = G[s], q.m(s)
        np.matmul(XH[s], WbU, out=g)  # [x, 1, h(t-1)] [W; b; U]
        if k is not None:
            np.tanh(g, out=g)
            k.lstm_cell(g, C[s], C[s + 1], m)
            np.tanh(C[s + 1], out=TC[s])
            k.lstm_hidden(g, TC[s], H[s], H[s + 1], m)
            continue
        sg = g[:, :3 * u]
        if q.fast:
            np.tanh(g, out=g)
            sg *= 0.5
            sg += 0.5
        else:
            activate(q.rec, sg)
            activate(q.act, g[:, 3 * u:])
        cn = C[s + 1]
        np.multiply(g[:, u:2 * u], C[s], out=cn)
        np.multiply(g[:, :u], g[:, 3 * u:], out=tmp)
        cn += tmp
        q.merge(cn, C[s], s)
        activate(q.act, cn, out=TC[s])
        np.multiply(g[:, 2 * u:3 * u], TC[s], out=H[s + 1])
        q.merge(H[s + 1], H[s], s)
    return q.outputs(H), H[-1].copy(), C[-1].copy(), q.XH, C, TC, G


def _lstm_back_numpy(q, g, cp, tc, dh, dc, dz, s, scratch):
    """One step of the LSTM backward in NumPy (any activations): the gate gradients dz in
    Keras's order (i, f, c, o); dc becomes the new carry."""
    u = q.u
    dct, dcn, tmp = scratch
    i, f, o, c = g[:, :u], g[:, u:2 * u], g[:, 2 * u:3 * u], g[:, 3 * u:]
    np.multiply(dh, o, out=dct)
    scale_by_derivative(q.act, tc, dct, tmp)
    dct += dc
    zi, zf, zc, zo = dz[:, :u], dz[:, u:2 * u], dz[:, 2 * u:3 * u], dz[:, 3 * u:]
    np.multiply(dh, tc, out=zo)
    scale_by_derivative(q.rec, o, zo, tmp)
    np.multiply(dct, c, out=zi)
    scale_by_derivative(q.rec, i, zi, tmp)
    np.multiply(dct, cp, out=zf)
    scale_by_derivative(q.rec, f, zf, tmp)
    np.multiply(dct, i, out=zc)
    scale_by_derivative(q.act, c, zc, tmp)
    q.merge(dz, 0, s)
    np.multiply(dct, f, out=dcn)
    q.merge(dcn, dc, s)
    dc[...] = dcn


def lstm_backward(attrs, needs, x, W, U, mask, XH, C, TC, G, dy, dhT, dcT):
    u = U.shape[0]
    q = _Seq(attrs, x, mask, u, XH=XH)
    UT = np.ascontiguousarray(U.T)
    dh, add_output_grad = q.backward_start(dy, dhT)
    dc = np.zeros_like(dh) if dcT is None else dcT.copy()
    dZ = np.empty((q.T, q.B, 4 * u), q.dt)  # gate gradients, Keras's order: no permutations
    dhn = np.empty_like(dh)
    scratch = [np.empty_like(dh) for _ in range(3)]
    k = q.k
    need_h0 = any(needs[4:])  # else the carry out of step 0 is not needed
    for s in reversed(range(q.T)):
        add_output_grad(dh, s)
        if k is not None:
            k.lstm_back(G[s], C[s], TC[s], dh, dc, dZ[s], q.m(s))
        else:
            _lstm_back_numpy(q, G[s], C[s], TC[s], dh, dc, dZ[s], s, scratch)
        if s == 0 and not need_h0:
            break
        np.matmul(dZ[s], UT, out=dhn)
        q.merge(dhn, dh, s)
        dh, dhn = dhn, dh
    dW, db, dU = q.weight_grads(dZ) if any(needs[1:4]) else (None, None, None)
    return _pick(needs, (needs[0] and q.input_grad(q.flat(dZ) @ W.T), dW, dU, db, dh, dc))


# -- GRU ---------------------------------------------------------------------------------------


def _gru_weights(q, W, U, b, reset_after):
    """Projection weights and bias (z and r biases of both halves folded in) and the recurrent
    h bias, scaled by 1/2 on the sigmoid gates on the fast path."""
    u = q.u
    Wp, Up = W.copy(), U.copy()
    if reset_after:
        bx, brh = b[0].copy(), b[1, 2 * u:].copy()
        bx[:2 * u] += b[1, :2 * u]
    else:
        bx, brh = b.copy(), None
    if q.fast:
        for a in (Wp, Up, bx[None]):
            a[:, :2 * u] *= 0.5
    return Wp, Up, bx, brh


def gru_forward(attrs, x, W, U, b, h0, mask):
    u = U.shape[0]
    ra = attrs["reset_after"]
    q = _Seq(attrs, x, mask, u)
    Wp, Up, bx, brh = _gru_weights(q, W, U, b, ra)
    G = q.project(Wp, bx)
    H = q.states(h0)
    RH = np.empty((q.T, q.B, u), q.dt)
    R = np.empty((q.B, 3 * u if ra else 2 * u), q.dt)
    S, cd = np.empty((q.B, 2 * u), q.dt), np.empty((q.B, u), q.dt)  # contiguous for np.tanh
    Uzr, Uh = np.ascontiguousarray(Up[:, :2 * u]), np.ascontiguousarray(Up[:, 2 * u:])
    k = q.k
    for s in range(q.T):
        g, hp, hn = G[s], H[s], H[s + 1]
        np.matmul(hp, Up if ra else Uzr, out=R)
        if k is not None:
            k.gru_gates(g, R, S)
            np.tanh(S, out=S)
            if ra:
                k.gru_reset(g, S, R, brh, RH[s], cd)
            else:
                k.gru_reset_before(g, S, hp, RH[s])
                np.matmul(RH[s], Uh, out=cd)
                k.add_candidate(g, cd)
            np.tanh(cd, out=cd)
            k.gru_hidden(g, cd, hp, hn, q.m(s))
            continue
        np.add(g[:, :2 * u], R[:, :2 * u], out=S)
        if q.fast:
            np.tanh(S, out=S)
            S *= 0.5
            S += 0.5
        else:
            activate(q.rec, S)
        g[:, :2 * u] = S
        if ra:
            np.add(R[:, 2 * u:], brh, out=RH[s])
            np.multiply(S[:, u:], RH[s], out=cd)
        else:
            np.multiply(S[:, u:], hp, out=RH[s])
            np.matmul(RH[s], Uh, out=cd)
        cd += g[:, 2 * u:]
        activate(q.act, cd)
        g[:, 2 * u:] = cd
        np.subtract(hp, cd, out=hn)
        hn *= S[:, :u]
        hn += cd
        q.merge(hn, hp, s)
    return q.outputs(H), H[-1].copy(), q.XH, RH, G


def _gru_back_numpy(q, g, hp, rh, dh, dr, dhh, dhp, s, tmp):
    """reset_after: one backward step in NumPy (any activations)."""
    u = q.u
    z, r, hh = g[:, :u], g[:, u:2 * u], g[:, 2 * u:]
    np.subtract(1, z, out=dhh)
    dhh *= dh
    scale_by_derivative(q.act, hh, dhh, tmp)
    dz = dr[:, :u]
    np.subtract(hp, hh, out=dz)
    dz *= dh
    scale_by_derivative(q.rec, z, dz, tmp)
    drr = dr[:, u:2 * u]
    np.multiply(dhh, rh, out=drr)
    scale_by_derivative(q.rec, r, drr, tmp)
    np.multiply(dhh, r, out=dr[:, 2 * u:])
    np.multiply(dh, z, out=dhp)
    q.merge(dr, 0, s)
    q.merge(dhh, 0, s)
    q.merge(dhp, dh, s)


def _gru_back_before_numpy(q, g, hp, dh, dz, dhp, s, tmp):
    """reset_before, first half: z and candidate pre-activation grads, direct h grad."""
    u = q.u
    z, hh = g[:, :u], g[:, 2 * u:]
    dzz, dzh = dz[:, :u], dz[:, 2 * u:]
    np.subtract(1, z, out=dzh)
    dzh *= dh
    scale_by_derivative(q.act, hh, dzh, tmp)
    np.subtract(hp, hh, out=dzz)
    dzz *= dh
    scale_by_derivative(q.rec, z, dzz, tmp)
    np.multiply(dh, z, out=dhp)
    q.merge(dz, 0, s)
    q.merge(dhp, dh, s)


def _gru_back_before2_numpy(q, g, hp, drh, dz, dhp, s, tmp):
    u = q.u
    r, dzr = g[:, u:2 * u], dz[:, u:2 * u]
    np.multiply(drh, hp, out=dzr)
    scale_by_derivative(q.rec, r, dzr, tmp)
    np.multiply(drh, r, out=tmp)
    dhp += tmp
    q.merge(dzr, 0, s)


def gru_backward(attrs, needs, x, W, U, mask, XH, RH, G, dy, dhT):
    u = U.shape[0]
    ra = attrs["reset_after"]
    q = _Seq(attrs, x, mask, u, XH=XH)
    H = q.H
    dh, add_output_grad = q.backward_start(dy, dhT)
    dhn, dhp, tmp = np.empty_like(dh), np.empty_like(dh), np.empty_like(dh)
    dR = np.empty((q.T, q.B, 3 * u), q.dt)
    dHH = np.empty((q.T, q.B, u), q.dt) if ra else None
    UT = np.ascontiguousarray(U.T) if ra else np.ascontiguousarray(U[:, :2 * u].T)
    UhT = None if ra else np.ascontiguousarray(U[:, 2 * u:].T)
    k = q.k
    need_h0 = any(needs[4:])  # else the carry out of step 0 is not needed
    for s in reversed(range(q.T)):
        add_output_grad(dh, s)
        g, hp, m = G[s], H[s], q.m(s)
        if ra:
            if k is not None:
                k.gru_back(g, hp, RH[s], dh, dR[s], dHH[s], dhp, m)
            else:
                _gru_back_numpy(q, g, hp, RH[s], dh, dR[s], dHH[s], dhp, s, tmp)
            if s == 0 and not need_h0:
                break
            np.matmul(dR[s], UT, out=dhn)
        else:
            if k is not None:
                k.gru_back_before1(g, hp, dh, dR[s], dhp, m)
            else:
                _gru_back_before_numpy(q, g, hp, dh, dR[s], dhp, s, tmp)
            np.matmul(dR[s][:, 2 * u:], UhT, out=dhn)
            if k is not None:
                k.gru_back_before2(g, hp, dhn, dR[s], dhp, m)
            else:
                _gru_back_before2_numpy(q, g, hp, dhn, dR[s], dhp, s, tmp)
            np.matmul(dR[s][:, :2 * u], UT, out=dhn)
        dhn += dhp
        dh, dhn = dhn, dh
    return _pick(needs, _gru_param_grads(q, needs, W, RH, dR, dHH, ra) + (dh,))


def _gru_param_grads(q, needs, W, RH, dR, dHH, ra):
    """dx, dW, dU, db from the per-step gradients. reset_after: dR is the recurrent GEMM
    output's gradient (z, r, r*dhh) and dHH the candidate's, so XH^T dR gives dU, the
    recurrent bias and the z, r columns of dW and of the input bias; X^T dHH the h columns.
    reset_before: dR is the projection's gradient and the h columns of dU come from r*h."""
    u, D = q.u, q.D
    R = q.flat(dR)
    dW = db = dU = None
    if any(needs[1:4]):
        full = q.XHflat.T @ (R if ra else R[:, :2 * u])
        xh = q.X1flat.T @ (q.flat(dHH) if ra else R[:, 2 * u:])
        dW = np.concatenate([full[:D, :2 * u], xh[:D]], axis=1)
        db = np.concatenate([full[D, :2 * u], xh[D]])
        if ra:
            db = np.stack([db, full[D]])
            dU = full[D + 1:]
        else:
            dU = np.concatenate([full[D + 1:], q.flat(RH).T @ R[:, 2 * u:]], axis=1)
    dx = None
    if needs[0]:
        parts = [(R[:, :2 * u], slice(0, 2 * u)), (q.flat(dHH) if ra else R[:, 2 * u:],
                                                    slice(2 * u, None))]
        dx = q.input_grad(sum(P @ W[:, cols].T for P, cols in parts))
    return dx, dW, dU, db
