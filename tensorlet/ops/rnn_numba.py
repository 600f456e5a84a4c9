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

    # Constants are typed like the arrays (a.dtype.type) so float32 stays float32. Arrays are
    # indexed in two dimensions (a[b, j]), never sliced into row views: a view costs reference
    # counting per row, which made these kernels 1.6-2.2x slower. Each inner loop writes one
    # array and reads few others: LLVM vectorises a loop only when its runtime alias checks
    # stay few (a loop writing five gate blocks at once ran scalar, 2x slower). Rows are
    # copied by explicit loops: a slice assignment (a[:] = b) pulls in numba's shape-error
    # formatting, ~3 s of compile.

    @jit
    def lstm_cell(g, cp, cn, m):
        """Gates (i, f, o | c) to sigmoid in place; cn = f*cp + i*c where m, else cp."""
        n, u = cp.shape
        half = g.dtype.type(0.5)
        for b in range(n):
            for j in range(3 * u):
                g[b, j] = g[b, j] * half + half
            if not m[b]:
                for j in range(u):
                    cn[b, j] = cp[b, j]
                continue
            for j in range(u):
                cn[b, j] = g[b, u + j] * cp[b, j] + g[b, j] * g[b, 3 * u + j]

    @jit
    def lstm_hidden(g, tc, hp, hn, m):
        """hn = o * tanh(c) where m, else hp."""
        n, u = hp.shape
        for b in range(n):
            if not m[b]:
                for j in range(u):
                    hn[b, j] = hp[b, j]
                continue
            for j in range(u):
                hn[b, j] = g[b, 2 * u + j] * tc[b, j]

    @jit
    def lstm_back(g, cp, tc, dh, dc, dz, m):
        """Pre-activation gate gradients dz of one step, in Keras's gate order (i, f, c, o)
        for the weight-gradient GEMM; dc becomes the carry to step t-1 (holding the cell
        state's gradient e in between)."""
        n, u = cp.shape
        one = g.dtype.type(1)
        for b in range(n):
            if not m[b]:
                for j in range(4 * u):
                    dz[b, j] = 0
                continue
            for j in range(u):
                o, t = g[b, 2 * u + j], tc[b, j]
                dc[b, j] = dc[b, j] + dh[b, j] * o * (one - t * t)
            for j in range(u):  # o
                o, t = g[b, 2 * u + j], tc[b, j]
                dz[b, 3 * u + j] = dh[b, j] * t * o * (one - o)
            for j in range(u):  # i
                i = g[b, j]
                dz[b, j] = dc[b, j] * g[b, 3 * u + j] * i * (one - i)
            for j in range(u):  # c
                c = g[b, 3 * u + j]
                dz[b, 2 * u + j] = dc[b, j] * g[b, j] * (one - c * c)
            for j in range(u):  # f
                f = g[b, u + j]
                dz[b, u + j] = dc[b, j] * cp[b, j] * f * (one - f)
            for j in range(u):
                dc[b, j] = dc[b, j] * g[b, u + j]

    @jit
    def gru_gates(g, r, s):
        """s = the z, r pre-activations: projection + recurrent GEMM output."""
        n, w = s.shape
        for b in range(n):
            for j in range(w):
                s[b, j] = g[b, j] + r[b, j]

    @jit
    def gru_reset(g, s, r, bias_h, rh, cd):
        """z, r = sigmoid (from s = tanh(pre/2)) into g; rh = recurrent h part + its bias;
        cd = the candidate pre-activation, projection + r * rh."""
        n, u = rh.shape
        half = g.dtype.type(0.5)
        for b in range(n):
            for j in range(2 * u):
                g[b, j] = s[b, j] * half + half
            for j in range(u):
                rh[b, j] = r[b, 2 * u + j] + bias_h[j]
            for j in range(u):
                cd[b, j] = g[b, 2 * u + j] + g[b, u + j] * rh[b, j]

    @jit
    def gru_reset_before(g, s, hp, rh):
        """z, r = sigmoid (from s) into g; rh = r * h(t-1), the reset state for the h GEMM."""
        n, u = hp.shape
        half = g.dtype.type(0.5)
        for b in range(n):
            for j in range(2 * u):
                g[b, j] = s[b, j] * half + half
            for j in range(u):
                rh[b, j] = g[b, u + j] * hp[b, j]

    @jit
    def add_candidate(g, cd):
        """cd += the candidate's projection (the last block of g)."""
        n, u = cd.shape
        for b in range(n):
            for j in range(u):
                cd[b, j] += g[b, 2 * u + j]

    @jit
    def gru_hidden(g, cd, hp, hn, m):
        """Store hh = cd in g; hn = hh + z * (hp - hh) where m, else hp."""
        n, u = hp.shape
        for b in range(n):
            if not m[b]:
                for j in range(u):
                    hn[b, j] = hp[b, j]
            else:
                for j in range(u):
                    hh = cd[b, j]
                    hn[b, j] = hh + g[b, j] * (hp[b, j] - hh)
            for j in range(u):
                g[b, 2 * u + j] = cd[b, j]

    @jit
    def gru_back(g, hp, rh, dh, dr, dhh, dhp, m):
        """reset_after: dr = grads of the recurrent GEMM output (z, r, r*dhh), dhh = grad of
        the candidate pre-activation, dhp = the direct part of the grad to h(t-1)."""
        n, u = hp.shape
        one = g.dtype.type(1)
        for b in range(n):
            if not m[b]:
                for j in range(3 * u):
                    dr[b, j] = 0
                for j in range(u):
                    dhh[b, j] = 0
                for j in range(u):
                    dhp[b, j] = dh[b, j]
                continue
            for j in range(u):  # candidate
                z, hh = g[b, j], g[b, 2 * u + j]
                dhh[b, j] = dh[b, j] * (one - z) * (one - hh * hh)
            for j in range(u):  # z
                z, hh = g[b, j], g[b, 2 * u + j]
                dr[b, j] = dh[b, j] * (hp[b, j] - hh) * z * (one - z)
            for j in range(u):  # direct
                dhp[b, j] = dh[b, j] * g[b, j]
            for j in range(u):  # r
                r = g[b, u + j]
                dr[b, u + j] = dhh[b, j] * rh[b, j] * r * (one - r)
            for j in range(u):  # the recurrent h part
                dr[b, 2 * u + j] = dhh[b, j] * g[b, u + j]

    @jit
    def gru_back_before1(g, hp, dh, dz, dhp, m):
        """reset_before, first half: dz gets z and candidate pre-activation grads."""
        n, u = hp.shape
        one = g.dtype.type(1)
        for b in range(n):
            if not m[b]:
                for j in range(dz.shape[1]):
                    dz[b, j] = 0
                for j in range(u):
                    dhp[b, j] = dh[b, j]
                continue
            for j in range(u):
                z, hh = g[b, j], g[b, 2 * u + j]
                dz[b, j] = dh[b, j] * (hp[b, j] - hh) * z * (one - z)
            for j in range(u):
                z, hh = g[b, j], g[b, 2 * u + j]
                dz[b, 2 * u + j] = dh[b, j] * (one - z) * (one - hh * hh)
            for j in range(u):
                dhp[b, j] = dh[b, j] * g[b, j]

    @jit
    def gru_back_before2(g, hp, drh, dz, dhp, m):
        """reset_before, second half: from drh = grad of r*h(t-1), the r grad and the h part."""
        n, u = hp.shape
        one = g.dtype.type(1)
        for b in range(n):
            if not m[b]:
                for j in range(u, 2 * u):
                    dz[b, j] = 0
                continue
            for j in range(u):
                r = g[b, u + j]
                dz[b, u + j] = drh[b, j] * hp[b, j] * r * (one - r)
            for j in range(u):
                dhp[b, j] += drh[b, j] * g[b, u + j]

    return _Namespace(lstm_cell=lstm_cell, lstm_hidden=lstm_hidden, lstm_back=lstm_back,
                      gru_gates=gru_gates, gru_reset=gru_reset,
                      gru_reset_before=gru_reset_before, add_candidate=add_candidate,
                      gru_hidden=gru_hidden, gru_back=gru_back,
                      gru_back_before1=gru_back_before1, gru_back_before2=gru_back_before2)


class _Namespace:
    def __init__(self, **kw):
        self.__dict__.update(kw)
