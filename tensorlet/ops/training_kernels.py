"""numba kernels of the optimizer update rules in `tensorlet.ops.training`, built lazily, once.

One pass over flat arrays, mirroring the NumPy rule operation for operation (the tests compare
the two bit for bit). The flush of decaying state is `if abs(x) < tiny: x = zero` (false for
NaN, so NaN stays), which LLVM turns into a select: the loops still vectorise, and the
loop-invariant flag branches are unswitched.
"""
import numpy as np

from tensorlet.runtime.jit import njit

_FAST = {}


def compiled_rule(op_type):
    """The compiled kernel of update rule `op_type`, or None when numba is unavailable."""
    if op_type not in _FAST:
        try:
            _FAST[op_type] = _BUILDERS[op_type]()
        except ImportError:
            _FAST[op_type] = None
    return _FAST[op_type]


def _build_gradient_descent():
    @njit()
    def gradient_descent(w, g, lr):
        for i in range(w.size):
            w[i] -= g[i] * lr
    return gradient_descent


def _build_momentum():
    @njit()
    def momentum(w, g, accum, alpha, beta, mu, nesterov):
        tiny, zero = np.finfo(w.dtype).tiny, w.dtype.type(0)
        for i in range(w.size):
            ga = g[i] * alpha
            a = accum[i] * mu + ga
            if abs(a) < tiny:
                a = zero
            accum[i] = a
            if nesterov:
                a = a * mu + ga
            w[i] += a * beta
    return momentum


def _build_adam():
    @njit()
    def adam(w, g, m, v, vhat, alpha, b1, omb1, omb2, eps, amsgrad, nesterov):
        tiny, zero = np.finfo(w.dtype).tiny, w.dtype.type(0)
        for i in range(w.size):
            gi = g[i]
            mi = m[i] + (gi - m[i]) * omb1
            vi = v[i] + (gi * gi - v[i]) * omb2
            if abs(mi) < tiny:
                mi = zero
            if abs(vi) < tiny:
                vi = zero
            m[i] = mi
            v[i] = vi
            if amsgrad:
                vi = np.maximum(vhat[i], vi)
                if abs(vi) < tiny:
                    vi = zero
                vhat[i] = vi
            if nesterov:
                mi = mi * b1 + gi * omb1
            w[i] -= (mi / (np.sqrt(vi) + eps)) * alpha
    return adam


def _build_rmsprop():
    @njit()
    def rmsprop(w, g, ms, mom, mg, lr, omr, mu, eps, centered, use_momentum):
        tiny, zero = np.finfo(w.dtype).tiny, w.dtype.type(0)
        for i in range(w.size):
            gi = g[i]
            s = ms[i] + (gi * gi - ms[i]) * omr
            if abs(s) < tiny:
                s = zero
            ms[i] = s
            if centered:
                c = mg[i] + (gi - mg[i]) * omr
                if abs(c) < tiny:
                    c = zero
                mg[i] = c
                s = s - c * c
            step = (gi * lr) / np.sqrt(s + eps)
            if use_momentum:
                step = mom[i] * mu + step
                if abs(step) < tiny:
                    step = zero
                mom[i] = step
            w[i] -= step
    return rmsprop


def _build_adagrad():
    @njit()
    def adagrad(w, g, accum, lr, eps):
        for i in range(w.size):
            gi = g[i]
            a = accum[i] + gi * gi
            accum[i] = a
            w[i] -= (gi * lr) / np.sqrt(a + eps)
    return adagrad


def _build_adadelta():
    @njit()
    def adadelta(w, g, accum, accum_update, lr, omr, eps):
        tiny, zero = np.finfo(w.dtype).tiny, w.dtype.type(0)
        for i in range(w.size):
            gi = g[i]
            a = accum[i] + (gi * gi - accum[i]) * omr
            if abs(a) < tiny:
                a = zero
            accum[i] = a
            u = accum_update[i]
            update = np.sqrt(u + eps) / np.sqrt(a + eps) * gi
            u = u + (update * update - u) * omr
            if abs(u) < tiny:
                u = zero
            accum_update[i] = u
            w[i] -= update * lr
    return adadelta


def _build_adamax():
    @njit()
    def adamax(w, g, m, u, alpha, omb1, b2, eps):
        tiny, zero = np.finfo(w.dtype).tiny, w.dtype.type(0)
        for i in range(w.size):
            gi = g[i]
            mi = m[i] + (gi - m[i]) * omb1
            ui = np.maximum(u[i] * b2, abs(gi))
            if abs(mi) < tiny:
                mi = zero
            if abs(ui) < tiny:
                ui = zero
            m[i] = mi
            u[i] = ui
            w[i] -= (mi / (ui + eps)) * alpha
    return adamax


def _build_nadam():
    @njit()
    def nadam(w, g, m, v, lr, c_m, c_g, c_v, omb1, omb2, eps):
        tiny, zero = np.finfo(w.dtype).tiny, w.dtype.type(0)
        for i in range(w.size):
            gi = g[i]
            mi = m[i] + (gi - m[i]) * omb1
            vi = v[i] + (gi * gi - v[i]) * omb2
            if abs(mi) < tiny:
                mi = zero
            if abs(vi) < tiny:
                vi = zero
            m[i] = mi
            v[i] = vi
            w[i] -= ((mi * c_m + gi * c_g) / (np.sqrt(vi * c_v) + eps)) * lr
    return nadam


def _build_weight_decay():
    @njit()
    def weight_decay(w, g, rate):
        for i in range(w.size):
            w[i] -= w[i] * rate
    return weight_decay


_BUILDERS = {"ApplyGradientDescent": _build_gradient_descent, "ApplyMomentum": _build_momentum,
             "ApplyAdam": _build_adam, "ApplyRMSProp": _build_rmsprop,
             "ApplyAdagrad": _build_adagrad, "ApplyAdadelta": _build_adadelta,
             "ApplyAdamax": _build_adamax, "ApplyNadam": _build_nadam,
             "ApplyWeightDecay": _build_weight_decay}
