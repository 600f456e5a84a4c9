"""The block loops of the fused conv + pool ops (conv_fused.py): NumPy versions, and serial numba
versions built lazily on first use (`error_model='numpy'`, cached on disk in NUMBA_CACHE_DIR,
else TENSORLET_CACHE_DIR/numba, else ~/.cache/tensorlet/numba). TENSORLET_DISABLE_NUMBA=1, or
numba missing, selects the NumPy versions; both give the same numbers.

- block_max_bias_relu(z, b, y, idx): y = relu(max_k z[k] + b); idx = first k reaching the max;
- relu_scatter_blocks(dy, y, idx, g, db): gp = dy * (y > 0); g[k] = gp where idx == k else 0;
  db = sum of gp over rows;
- col2im_add(dxp, d, target, attrs): target[...] += d, where target is a possibly
  self-overlapping strided view of dxp: one kernel offset at a time (each offset slice is
  overlap-free), or element by element in numba;
- direct_conv_pool / direct_filter_grad: the convolution, pooling and filter gradient straight
  from the (padded) input, without patches or GEMMs, for filters of 9 taps (kh * kw * C: a
  3x3 filter over one channel, as a network's first layer) under 4-element pooling windows.
  Numba only (callers fall back to the patch path): the taps and window offsets are unrolled
  at compile time, so the loop over output channels vectorises with its sums in registers.
  Both read a window's taps with the same few lines, written out in each: a shared jitted
  helper measured 7-13% slower per call (2026-11-26), the call not inlined.
"""
import functools
import types

import numpy as np

from tensorlet.runtime.jit import compiled, njit, numba_enabled, worth_compiling

_COMPILED = {}
_TAPS, _BLOCKS = 9, 4  # filter taps and pooling-window size of the direct kernels


def _numba_kernels(size):
    """The compiled kernels for work on `size` elements, or None when numba is unavailable,
    disabled or not worth it for so few (jit.worth_compiling)."""
    return compiled(_build, _COMPILED) if worth_compiling(size) else None


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
    k = _numba_kernels(z.size)
    if k is None or not z.flags.c_contiguous:
        return _np_block_max_bias_relu(z, b, y, idx)
    if idx is None:
        return k.block_max_bias_relu_noidx(z, b, y)
    return k.block_max_bias_relu(z, b, y, idx)


def relu_scatter_blocks(dy, y, idx, g, db):
    k = _numba_kernels(g.size)
    if k is None:
        return _np_relu_scatter_blocks(dy, y, idx, g, db)
    return k.relu_scatter_blocks(np.ascontiguousarray(dy), np.ascontiguousarray(y),
                                 np.ascontiguousarray(idx), g, db)


def col2im_add(dxp, d, target, attrs):
    """dxp += d scattered through `target`, the writable patch view of dxp with d's shape."""
    k = _numba_kernels(d.size)
    if k is None or d.shape[-1] < 8:  # few channels: NumPy's per-offset adds measured faster
        return _np_col2im_add(target, d)
    (sh, sw), (dh, dw) = attrs["strides"], attrs["dilations"]
    return k.col2im_add(dxp, np.ascontiguousarray(d), sh, sw, dh, dw)


def direct_supported(ksize, channels, pool):
    """Whether the direct kernels handle a filter (kh, kw) over `channels` and this pooling."""
    return ksize[0] * ksize[1] * channels == _TAPS and pool[0] * pool[1] == _BLOCKS


def direct_available(ksize, channels, pool):
    """direct_supported, and numba not disabled (checked without importing it: without numba
    the direct ops fall back to the patch kernels)."""
    return direct_supported(ksize, channels, pool) and numba_enabled()


@functools.lru_cache(maxsize=64)
def _direct_geometry(padded_shape, attrs_key, pooled_hw):
    """(offsets (blocks, taps) into the flat padded input of each window offset and tap,
    (hp * wp, wp, step per pooled row, step per pooled column, image size))."""
    _, hpad, wpad, c = padded_shape
    (sh, sw), (dh, dw), (kh, kw), (ph, pw) = attrs_key
    off = np.array([[((dy * sh + a * dh) * wpad + dx * sw + b * dw) * c + ch
                     for a in range(kh) for b in range(kw) for ch in range(c)]
                    for dy in range(ph) for dx in range(pw)], np.int64)
    hp, wp = pooled_hw
    return off, (hp * wp, wp, ph * sh * wpad * c, pw * sw * c, hpad * wpad * c)


def _direct_args(xp, attrs, pooled_hw):
    key = (tuple(attrs["strides"]), tuple(attrs["dilations"]), tuple(attrs["ksize"]),
           tuple(attrs["pool"]))
    off, geo = _direct_geometry(xp.shape, key, tuple(pooled_hw))
    return np.ascontiguousarray(xp).reshape(-1), off, geo


def direct_conv_pool(xp, w, b, y, idx, attrs, pooled_hw):
    """y (P, O) = relu(max over each window of conv(xp, w) + b), idx = the window offset of the
    maximum, from the padded NHWC input xp; False (nothing written) without numba."""
    k = _numba_kernels(y.size * _TAPS)
    if k is None:
        return False
    xf, off, geo = _direct_args(xp, attrs, pooled_hw)
    k.direct_conv_pool(xf, off, w.reshape(_TAPS, -1), b, y, idx, geo)
    return True


def direct_filter_grad(xp, y, idx, dy, dw, db, attrs, pooled_hw):
    """dw (taps, O) and db (O,) of the fused op from the padded input and the pooled output's
    gradient dy (P, O); False (nothing written) without numba."""
    k = _numba_kernels(dy.size * _TAPS)
    if k is None:
        return False
    xf, off, geo = _direct_args(xp, attrs, pooled_hw)
    k.direct_filter_grad(xf, off, y, idx, dy, dw, db, geo)
    return True


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
                    if v > y[r, j] or v != v:  # NaN wins, as in np.maximum
                        y[r, j] = v
                        idx[r, j] = k
            for j in range(o):
                v = y[r, j] + b[j]
                y[r, j] = 0 if v < 0 else v  # relu keeping NaN

    @jit
    def block_max_bias_relu_noidx(z, b, y):
        nb, p, o = z.shape
        for r in range(p):
            for j in range(o):
                y[r, j] = z[0, r, j]
            for k in range(1, nb):
                for j in range(o):
                    y[r, j] = np.maximum(y[r, j], z[k, r, j])
            for j in range(o):
                v = y[r, j] + b[j]
                y[r, j] = 0 if v < 0 else v

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

    @jit
    def direct_conv_pool(xf, off, w, b, y, idx, geo):
        """Row r of y: pooled position r % hw of image r // hw; the taps are unrolled, so the
        4 window offsets' sums stay in registers."""
        hw, wp, sr, sq, img = geo
        p, o = y.shape
        zero = np.zeros(1, y.dtype)[0]
        xv = np.empty((_BLOCKS, _TAPS), y.dtype)
        for r in range(p):
            i = r // hw
            q = r - i * hw
            row = q // wp
            base = i * img + row * sr + (q - row * wp) * sq
            for k in range(_BLOCKS):
                for t in range(_TAPS):
                    xv[k, t] = xf[base + off[k, t]]
            for j in range(o):
                s0 = s1 = s2 = s3 = zero
                for t in range(_TAPS):
                    wt = w[t, j]
                    s0 += xv[0, t] * wt
                    s1 += xv[1, t] * wt
                    s2 += xv[2, t] * wt
                    s3 += xv[3, t] * wt
                m, kk = s0, 0
                if s1 > m or s1 != s1:  # NaN wins, as in np.maximum
                    m, kk = s1, 1
                if s2 > m or s2 != s2:
                    m, kk = s2, 2
                if s3 > m or s3 != s3:
                    m, kk = s3, 3
                v = m + b[j]
                y[r, j] = zero if v < zero else v
                idx[r, j] = kk

    @jit
    def direct_filter_grad(xf, off, y, idx, dy, dw, db, geo):
        """Sums g * (the input tap the window maximum read) per image in the input dtype, and
        the images' sums in float64 (short float32 sums: rounding like a blocked GEMM)."""
        hw, wp, sr, sq, img = geo
        p, o = y.shape
        zero = np.zeros(1, dy.dtype)[0]
        acc = np.zeros((_TAPS + 1, o), dy.dtype)  # row _TAPS: the bias gradient
        tot = np.zeros((_TAPS + 1, o), np.float64)
        xv = np.empty((_BLOCKS, _TAPS), dy.dtype)
        for r in range(p):
            i = r // hw
            q = r - i * hw
            row = q // wp
            base = i * img + row * sr + (q - row * wp) * sq
            for k in range(_BLOCKS):
                for t in range(_TAPS):
                    xv[k, t] = xf[base + off[k, t]]
            a0, a1, a2, a3, a4, a5, a6, a7, a8 = (
                xv[0, 0], xv[0, 1], xv[0, 2], xv[0, 3], xv[0, 4],
                xv[0, 5], xv[0, 6], xv[0, 7], xv[0, 8])
            b0, b1, b2, b3, b4, b5, b6, b7, b8 = (
                xv[1, 0], xv[1, 1], xv[1, 2], xv[1, 3], xv[1, 4],
                xv[1, 5], xv[1, 6], xv[1, 7], xv[1, 8])
            c0, c1, c2, c3, c4, c5, c6, c7, c8 = (
                xv[2, 0], xv[2, 1], xv[2, 2], xv[2, 3], xv[2, 4],
                xv[2, 5], xv[2, 6], xv[2, 7], xv[2, 8])
            d0, d1, d2, d3, d4, d5, d6, d7, d8 = (
                xv[3, 0], xv[3, 1], xv[3, 2], xv[3, 3], xv[3, 4],
                xv[3, 5], xv[3, 6], xv[3, 7], xv[3, 8])
            for j in range(o):  # the taps as named scalars: acc's stores cannot alias them
                g = dy[r, j] if y[r, j] > zero else zero
                k = idx[r, j]
                e1, e2, e3 = k == 1, k == 2, k == 3
                acc[0, j] += g * (d0 if e3 else (c0 if e2 else (b0 if e1 else a0)))
                acc[1, j] += g * (d1 if e3 else (c1 if e2 else (b1 if e1 else a1)))
                acc[2, j] += g * (d2 if e3 else (c2 if e2 else (b2 if e1 else a2)))
                acc[3, j] += g * (d3 if e3 else (c3 if e2 else (b3 if e1 else a3)))
                acc[4, j] += g * (d4 if e3 else (c4 if e2 else (b4 if e1 else a4)))
                acc[5, j] += g * (d5 if e3 else (c5 if e2 else (b5 if e1 else a5)))
                acc[6, j] += g * (d6 if e3 else (c6 if e2 else (b6 if e1 else a6)))
                acc[7, j] += g * (d7 if e3 else (c7 if e2 else (b7 if e1 else a7)))
                acc[8, j] += g * (d8 if e3 else (c8 if e2 else (b8 if e1 else a8)))
                acc[_TAPS, j] += g
            if q == hw - 1:
                for t in range(_TAPS + 1):
                    for j in range(o):
                        tot[t, j] += acc[t, j]
                        acc[t, j] = zero
        for t in range(_TAPS):
            for j in range(o):
                dw[t, j] = tot[t, j]
        for j in range(o):
            db[j] = tot[_TAPS, j]

    return types.SimpleNamespace(
        direct_conv_pool=direct_conv_pool, direct_filter_grad=direct_filter_grad,
        block_max_bias_relu=block_max_bias_relu,
        block_max_bias_relu_noidx=block_max_bias_relu_noidx,
        relu_scatter_blocks=relu_scatter_blocks, col2im_add=col2im_add)
