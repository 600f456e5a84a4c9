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
import os

_KERNELS = {}


def use_numba():
    """Whether the compiled kernels may be used (numba importable, not disabled by the user)."""
    if os.environ.get("TENSORLET_DISABLE_NUMBA") == "1":
        return False
    return kernels() is not None


def kernels():
    """The namespace of compiled kernels, or None when numba is missing."""
    if "k" not in _KERNELS:
        try:
            _KERNELS["k"] = _build()
        except ImportError:
            _KERNELS["k"] = None
    return _KERNELS["k"]


def _cache_dir():
    d = os.environ.get("TENSORLET_CACHE_DIR")
    return os.path.join(d, "numba") if d else os.path.join(
        os.path.expanduser("~"), ".cache", "tensorlet", "numba")


def _build():
    if not os.environ.get("NUMBA_CACHE_DIR"):
        os.environ["NUMBA_CACHE_DIR"] = _cache_dir()
    import numba
    from numba.core import config
    if not config.CACHE_DIR:  # numba was imported before the variable was set
        config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]
    jit = numba.njit(cache=True, error_model="numpy", nogil=True)

    @jit
    def lstm_cell(g, cp, cn, m):
        """Gates (i, f, o | c) to sigmoid in place; cn = f*cp + i*c where m, else cp."""
        n, u = cp.shape
        for b in range(n):
            gb = g[b]
            for j in range(3 * u):
                gb[j] = gb[j] * 0.5 + 0.5
            if not m[b]:
                cn[b, :] = cp[b, :]
                continue
            for j in range(u):
                cn[b, j] = gb[u + j] * cp[b, j] + gb[j] * gb[3 * u + j]

    @jit
    def lstm_hidden(g, tc, hp, hn, m):
        """hn = o * tanh(c) where m, else hp."""
        n, u = hp.shape
        for b in range(n):
            if not m[b]:
                hn[b, :] = hp[b, :]
                continue
            for j in range(u):
                hn[b, j] = g[b, 2 * u + j] * tc[b, j]

    @jit
    def lstm_back(g, cp, tc, dh, dc, dz, m):
        """Pre-activation gate gradients dz of one step; dc becomes the carry to step t-1."""
        n, u = cp.shape
        for b in range(n):
            if not m[b]:
                dz[b, :] = 0
                continue
            gb = g[b]
            zb = dz[b]
            for j in range(u):
                i = gb[j]
                f = gb[u + j]
                o = gb[2 * u + j]
                c = gb[3 * u + j]
                t = tc[b, j]
                d = dh[b, j]
                dcb = dc[b, j] + d * o * (1 - t * t)
                zb[j] = dcb * c * i * (1 - i)
                zb[u + j] = dcb * cp[b, j] * f * (1 - f)
                zb[2 * u + j] = d * t * o * (1 - o)
                zb[3 * u + j] = dcb * i * (1 - c * c)
                dc[b, j] = dcb * f

    @jit
    def gru_reset(g, r_h, bias_h, rh):
        """z, r to sigmoid in place; rh = recurrent h part + its bias; candidate += r * rh."""
        n, u = rh.shape
        for b in range(n):
            gb = g[b]
            for j in range(u):
                gb[j] = gb[j] * 0.5 + 0.5
                r = gb[u + j] * 0.5 + 0.5
                gb[u + j] = r
                v = r_h[b, j] + bias_h[j]
                rh[b, j] = v
                gb[2 * u + j] += r * v

    @jit
    def gru_reset_before(g, hp, rh):
        """z, r to sigmoid in place; rh = r * h(t-1) (the reset state fed to the h GEMM)."""
        n, u = hp.shape
        for b in range(n):
            gb = g[b]
            for j in range(u):
                gb[j] = gb[j] * 0.5 + 0.5
                r = gb[u + j] * 0.5 + 0.5
                gb[u + j] = r
                rh[b, j] = r * hp[b, j]

    @jit
    def gru_hidden(g, hp, hn, m):
        """hn = hh + z * (hp - hh) where m, else hp."""
        n, u = hp.shape
        for b in range(n):
            if not m[b]:
                hn[b, :] = hp[b, :]
                continue
            for j in range(u):
                hh = g[b, 2 * u + j]
                hn[b, j] = hh + g[b, j] * (hp[b, j] - hh)

    @jit
    def gru_back(g, hp, rh, dh, dr, dhh, dhp, m):
        """reset_after: dr = grads of the recurrent GEMM output (z, r, r*dhh), dhh = grad of
        the candidate pre-activation, dhp = the direct part of the grad to h(t-1)."""
        n, u = hp.shape
        for b in range(n):
            if not m[b]:
                dr[b, :] = 0
                dhh[b, :] = 0
                dhp[b, :] = dh[b, :]
                continue
            gb = g[b]
            for j in range(u):
                z = gb[j]
                r = gb[u + j]
                hh = gb[2 * u + j]
                d = dh[b, j]
                a = d * (1 - z) * (1 - hh * hh)
                dhh[b, j] = a
                dr[b, j] = d * (hp[b, j] - hh) * z * (1 - z)
                dr[b, u + j] = a * rh[b, j] * r * (1 - r)
                dr[b, 2 * u + j] = a * r
                dhp[b, j] = d * z

    @jit
    def gru_back_before1(g, hp, dh, dz, dhp, m):
        """reset_before, first half: dz gets z and candidate pre-activation grads."""
        n, u = hp.shape
        for b in range(n):
            if not m[b]:
                dz[b, :] = 0
                dhp[b, :] = dh[b, :]
                continue
            gb = g[b]
            for j in range(u):
                z = gb[j]
                hh = gb[2 * u + j]
                d = dh[b, j]
                dz[b, j] = d * (hp[b, j] - hh) * z * (1 - z)
                dz[b, 2 * u + j] = d * (1 - z) * (1 - hh * hh)
                dhp[b, j] = d * z

    @jit
    def gru_back_before2(g, hp, drh, dz, dhp, m):
        """reset_before, second half: from drh = grad of r*h(t-1), the r grad and the h part."""
        n, u = hp.shape
        for b in range(n):
            if not m[b]:
                dz[b, u:2 * u] = 0
                continue
            gb = g[b]
            for j in range(u):
                r = gb[u + j]
                d = drh[b, j]
                dz[b, u + j] = d * hp[b, j] * r * (1 - r)
                dhp[b, j] += d * r

    return _Namespace(lstm_cell=lstm_cell, lstm_hidden=lstm_hidden, lstm_back=lstm_back,
                      gru_reset=gru_reset, gru_reset_before=gru_reset_before,
                      gru_hidden=gru_hidden, gru_back=gru_back,
                      gru_back_before1=gru_back_before1, gru_back_before2=gru_back_before2)


class _Namespace:
    def __init__(self, **kw):
        self.__dict__.update(kw)
