"""Compiled per-step gate kernels of the whole-sequence RNN ops (numba, built lazily).

Only the default activations (tanh, recurrent sigmoid) are compiled. The time loops in
`rnn_loops` apply every transcendental with NumPy's SIMD ufuncs (`np.tanh` on whole gate
blocks: far faster than numba's scalar `math.tanh`), and call these kernels for the
arithmetic between them, where NumPy would need a dozen small ufunc calls per step. Gate
blocks arrive holding tanh(pre/2) for the sigmoid gates (sigmoid(x) = tanh(x/2)/2 + 1/2, the
1/2 folded into the weights) and tanh(pre) for the candidate. Kernels are serial
(`error_model='numpy'` keeps divisions vectorisable) and cached on disk in NUMBA_CACHE_DIR,
else TENSORLET_CACHE_DIR, else ~/.cache/tensorlet/numba.
"""
from tensorlet.runtime.jit import compiled, njit, numba_enabled

_KERNELS = {}


def use_numba():
    """Whether the compiled kernels may be used (numba importable, not disabled by the user)."""
    return numba_enabled() and kernels() is not None


def kernels():
    """The namespace of compiled kernels, or None when numba is missing."""
    return compiled(_build, _KERNELS)


def _build():
    jit = njit()

    # Constants are typed like the arrays (a.dtype.type) so float32 stays float32; each inner
    # loop touches few arrays so that LLVM vectorises it. Rows are copied by explicit loops:
    # a slice assignment (a[:] = b) pulls in numba's shape-error formatting, ~3 s of compile.

    @jit
    def lstm_cell(g, cp, cn, m):
        """Gates (i, f, o | c) to sigmoid in place; cn = f*cp + i*c where m, else cp."""
        n, u = cp.shape
        half = g.dtype.type(0.5)
        for b in range(n):
            gb = g[b]
            for j in range(3 * u):
                gb[j] = gb[j] * half + half
            cb, pb = cn[b], cp[b]
            if not m[b]:
                for k in range(cb.shape[0]):
                    cb[k] = pb[k]
                continue
            for j in range(u):
                cb[j] = gb[u + j] * pb[j] + gb[j] * gb[3 * u + j]

    @jit
    def lstm_hidden(g, tc, hp, hn, m):
        """hn = o * tanh(c) where m, else hp."""
        n, u = hp.shape
        for b in range(n):
            hb = hn[b]
            if not m[b]:
                for k in range(hb.shape[0]):
                    hb[k] = hp[b][k]
                continue
            gb, tb = g[b], tc[b]
            for j in range(u):
                hb[j] = gb[2 * u + j] * tb[j]

    @jit
    def lstm_back(g, cp, tc, dh, dc, dz, m):
        """Pre-activation gate gradients dz of one step, in Keras's gate order (i, f, c, o)
        for the weight-gradient GEMM; dc becomes the carry to step t-1. One pass per row over
        the gate blocks (views): 1.5x faster than a pass per gate pair."""
        n, u = cp.shape
        one = g.dtype.type(1)
        for b in range(n):
            zb = dz[b]
            if not m[b]:
                for k in range(zb.shape[0]):
                    zb[k] = 0
                continue
            gi, gf, go, gc = g[b, :u], g[b, u:2 * u], g[b, 2 * u:3 * u], g[b, 3 * u:]
            zi, zf, zc, zo = zb[:u], zb[u:2 * u], zb[2 * u:3 * u], zb[3 * u:]
            tb, hb, cb, pb = tc[b], dh[b], dc[b], cp[b]
            for j in range(u):
                i, f, o, c, t, d = gi[j], gf[j], go[j], gc[j], tb[j], hb[j]
                e = cb[j] + d * o * (one - t * t)  # the cell state's gradient
                zo[j] = d * t * o * (one - o)
                zi[j] = e * c * i * (one - i)
                zc[j] = e * i * (one - c * c)
                zf[j] = e * pb[j] * f * (one - f)
                cb[j] = e * f

    @jit
    def gru_gates(g, r, s):
        """s = the z, r pre-activations: projection + recurrent GEMM output."""
        n, w = s.shape
        for b in range(n):
            gb, rb, sb = g[b], r[b], s[b]
            for j in range(w):
                sb[j] = gb[j] + rb[j]

    @jit
    def gru_reset(g, s, r, bias_h, rh, cd):
        """z, r = sigmoid (from s = tanh(pre/2)) into g; rh = recurrent h part + its bias;
        cd = the candidate pre-activation, projection + r * rh."""
        n, u = rh.shape
        half = g.dtype.type(0.5)
        for b in range(n):
            gb, sb = g[b], s[b]
            for j in range(2 * u):
                gb[j] = sb[j] * half + half
            rb, ob, cb = r[b], rh[b], cd[b]
            for j in range(u):
                v = rb[2 * u + j] + bias_h[j]
                ob[j] = v
                cb[j] = gb[2 * u + j] + gb[u + j] * v

    @jit
    def gru_reset_before(g, s, hp, rh):
        """z, r = sigmoid (from s) into g; rh = r * h(t-1), the reset state for the h GEMM."""
        n, u = hp.shape
        half = g.dtype.type(0.5)
        for b in range(n):
            gb, sb = g[b], s[b]
            for j in range(2 * u):
                gb[j] = sb[j] * half + half
            rb, pb = rh[b], hp[b]
            for j in range(u):
                rb[j] = gb[u + j] * pb[j]

    @jit
    def add_candidate(g, cd):
        """cd += the candidate's projection (the last block of g)."""
        n, u = cd.shape
        for b in range(n):
            gb, cb = g[b], cd[b]
            for j in range(u):
                cb[j] += gb[2 * u + j]

    @jit
    def gru_hidden(g, cd, hp, hn, m):
        """Store hh = cd in g; hn = hh + z * (hp - hh) where m, else hp."""
        n, u = hp.shape
        for b in range(n):
            gb, cb, hb, pb = g[b], cd[b], hn[b], hp[b]
            for j in range(u):
                gb[2 * u + j] = cb[j]
            if not m[b]:
                for k in range(hb.shape[0]):
                    hb[k] = pb[k]
                continue
            for j in range(u):
                hh = cb[j]
                hb[j] = hh + gb[j] * (pb[j] - hh)

    @jit
    def gru_back(g, hp, rh, dh, dr, dhh, dhp, m):
        """reset_after: dr = grads of the recurrent GEMM output (z, r, r*dhh), dhh = grad of
        the candidate pre-activation, dhp = the direct part of the grad to h(t-1)."""
        n, u = hp.shape
        one = g.dtype.type(1)
        for b in range(n):
            rb, ab, qb, db = dr[b], dhh[b], dhp[b], dh[b]
            if not m[b]:
                for k in range(rb.shape[0]):
                    rb[k] = 0
                for k in range(ab.shape[0]):
                    ab[k] = 0
                for k in range(qb.shape[0]):
                    qb[k] = db[k]
                continue
            gb, pb, sb = g[b], hp[b], rh[b]
            for j in range(u):  # candidate, z, direct
                z, hh, d = gb[j], gb[2 * u + j], db[j]
                ab[j] = d * (one - z) * (one - hh * hh)
                rb[j] = d * (pb[j] - hh) * z * (one - z)
                qb[j] = d * z
            for j in range(u):  # r, and the recurrent h part
                r, a = gb[u + j], ab[j]
                rb[u + j] = a * sb[j] * r * (one - r)
                rb[2 * u + j] = a * r

    @jit
    def gru_back_before1(g, hp, dh, dz, dhp, m):
        """reset_before, first half: dz gets z and candidate pre-activation grads."""
        n, u = hp.shape
        one = g.dtype.type(1)
        for b in range(n):
            zb, qb, db = dz[b], dhp[b], dh[b]
            if not m[b]:
                for k in range(zb.shape[0]):
                    zb[k] = 0
                for k in range(qb.shape[0]):
                    qb[k] = db[k]
                continue
            gb, pb = g[b], hp[b]
            for j in range(u):
                z, hh, d = gb[j], gb[2 * u + j], db[j]
                zb[j] = d * (pb[j] - hh) * z * (one - z)
                zb[2 * u + j] = d * (one - z) * (one - hh * hh)
                qb[j] = d * z

    @jit
    def gru_back_before2(g, hp, drh, dz, dhp, m):
        """reset_before, second half: from drh = grad of r*h(t-1), the r grad and the h part."""
        n, u = hp.shape
        one = g.dtype.type(1)
        for b in range(n):
            zb = dz[b]
            if not m[b]:
                zb[u:2 * u] = 0
                continue
            gb, pb, eb, qb = g[b], hp[b], drh[b], dhp[b]
            for j in range(u):
                r, d = gb[u + j], eb[j]
                zb[u + j] = d * pb[j] * r * (one - r)
                qb[j] += d * r

    return _Namespace(lstm_cell=lstm_cell, lstm_hidden=lstm_hidden, lstm_back=lstm_back,
                      gru_gates=gru_gates, gru_reset=gru_reset,
                      gru_reset_before=gru_reset_before, add_candidate=add_candidate,
                      gru_hidden=gru_hidden, gru_back=gru_back,
                      gru_back_before1=gru_back_before1, gru_back_before2=gru_back_before2)


class _Namespace:
    def __init__(self, **kw):
        self.__dict__.update(kw)
