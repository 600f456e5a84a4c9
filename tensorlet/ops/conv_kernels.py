"""The block loops of the fused conv + pool ops (conv_fused.py): NumPy versions, and serial numba
versions built lazily on first use (`error_model='numpy'`, cached on disk in NUMBA_CACHE_DIR,
else TENSORLET_CACHE_DIR/numba, else ~/.cache/tensorlet/numba). TENSORLET_DISABLE_NUMBA=1, or
numba missing, selects the NumPy versions; both give the same numbers.

- block_max_bias_relu(z, b, y, idx): y = relu(max_k z[k] + b); idx = first k reaching the max;
- relu_scatter_blocks(dy, y, idx, g, db): gp = dy * (y > 0); g[k] = gp where idx == k else 0;
  db = sum of gp over rows;
- col2im_add(dxp, d, target, attrs): target[...] += d, where target is a possibly
  self-overlapping strided view of dxp: one kernel offset at a time (each offset slice is
  overlap-free), or element by element in numba.
"""
import types

import numpy as np

from tensorlet.runtime.jit import compiled, njit, numba_enabled

_COMPILED = {}


def _numba_kernels():
    """The compiled kernels, or None when numba is unavailable or disabled."""
    return compiled(_build, _COMPILED) if numba_enabled() else None


# -- NumPy versions -------------------------------------------------------------------------------


def _np_block_max_bias_relu(z, b, y, idx):
    np.copyto(y, z[0])
    if idx is not None:
        idx.fill(0)
        better = np.empty(y.shape, bool)
        step = np.empty(y.shape, idx.dtype)
    for k in range(1, z.shape[0]):
        if idx is not None:
            # k exceeds every earlier index, so max(idx, k * better) sets idx = k where z[k]
            # beats the running maximum (strictly: the first maximum wins), without masks.
            np.greater(z[k], y, out=better)
            np.multiply(better, idx.dtype.type(k), out=step)
            np.maximum(idx, step, out=idx)
        np.maximum(y, z[k], out=y)
    y += b
    np.maximum(y, y.dtype.type(0), out=y)


def _np_relu_scatter_blocks(dy, y, idx, g, db):
    gp = np.where(y > 0, dy, dy.dtype.type(0))
    np.matmul(np.ones(gp.shape[0], gp.dtype), gp, out=db)
    for k in range(g.shape[0]):
        np.multiply(gp, idx == k, out=g[k])


def _np_col2im_add(target, d):
    ph, pw, _, _, _, kh, kw, _ = d.shape
    for dy in range(ph):
        for dx in range(pw):
            for a in range(kh):
                for b in range(kw):
                    t = target[dy, dx, :, :, :, a, b]
                    t += d[dy, dx, :, :, :, a, b]


# -- dispatch -------------------------------------------------------------------------------------


def block_max_bias_relu(z, b, y, idx):
    k = _numba_kernels()
    if k is None or not z.flags.c_contiguous:
        return _np_block_max_bias_relu(z, b, y, idx)
    if idx is None:
        return k.block_max_bias_relu_noidx(z, b, y)
    return k.block_max_bias_relu(z, b, y, idx)


def relu_scatter_blocks(dy, y, idx, g, db):
    k = _numba_kernels()
    if k is None:
        return _np_relu_scatter_blocks(dy, y, idx, g, db)
    return k.relu_scatter_blocks(np.ascontiguousarray(dy), np.ascontiguousarray(y),
                                 np.ascontiguousarray(idx), g, db)


def col2im_add(dxp, d, target, attrs):
    """dxp += d scattered through `target`, the writable patch view of dxp with d's shape."""
    k = _numba_kernels()
    if k is None or d.shape[-1] < 8:  # few channels: NumPy's per-offset adds measured faster
        return _np_col2im_add(target, d)
    (sh, sw), (dh, dw) = attrs["strides"], attrs["dilations"]
    return k.col2im_add(dxp, np.ascontiguousarray(d), sh, sw, dh, dw)


# -- numba versions -------------------------------------------------------------------------------


def _build():
    jit = njit()

    @jit
    def block_max_bias_relu(z, b, y, idx):
        nb, p, o = z.shape
        for r in range(p):
            for j in range(o):
                y[r, j] = z[0, r, j]
                idx[r, j] = 0
            for k in range(1, nb):
                for j in range(o):
                    v = z[k, r, j]
                    if v > y[r, j]:
                        y[r, j] = v
                        idx[r, j] = k
            for j in range(o):
                v = y[r, j] + b[j]
                y[r, j] = v if v > 0 else 0

    @jit
    def block_max_bias_relu_noidx(z, b, y):
        nb, p, o = z.shape
        for r in range(p):
            for j in range(o):
                y[r, j] = z[0, r, j]
            for k in range(1, nb):
                for j in range(o):
                    y[r, j] = max(y[r, j], z[k, r, j])
            for j in range(o):
                v = y[r, j] + b[j]
                y[r, j] = v if v > 0 else 0

    @jit
    def relu_scatter_blocks(dy, y, idx, g, db):
        nb, p, o = g.shape
        gp = np.empty(o, g.dtype)
        for j in range(o):
            db[j] = 0
        for r in range(p):
            for j in range(o):
                gp[j] = dy[r, j] if y[r, j] > 0 else 0
                db[j] += gp[j]
            for k in range(nb):
                for j in range(o):
                    g[k, r, j] = gp[j] if idx[r, j] == k else 0

    @jit
    def col2im_add(dxp, d, sh, sw, dh, dw):
        """dxp (N, Hpad, Wpad, C) += the pool-ordered patch gradients d, tap by tap."""
        ph, pw, n, hp, wp, kh, kw, c = d.shape
        for dy in range(ph):
            for dx in range(pw):
                for i in range(n):
                    for r in range(hp):
                        row0 = (r * ph + dy) * sh
                        for q in range(wp):
                            col0 = (q * pw + dx) * sw
                            for a in range(kh):
                                for b in range(kw):
                                    dst = dxp[i, row0 + a * dh, col0 + b * dw]
                                    src = d[dy, dx, i, r, q, a, b]
                                    for ch in range(c):
                                        dst[ch] += src[ch]

    return types.SimpleNamespace(
        block_max_bias_relu=block_max_bias_relu,
        block_max_bias_relu_noidx=block_max_bias_relu_noidx,
        relu_scatter_blocks=relu_scatter_blocks, col2im_add=col2im_add)
