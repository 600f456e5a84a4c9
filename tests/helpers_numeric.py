"""Numeric helpers shared by tests (importable: conftest.py puts tests/ on sys.path)."""
import numpy as np


def numeric_grad(f, x, eps=1e-6):
    """Central differences of sum(f(x)) with respect to every element of the float64 `x`."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (np.sum(f(xp)) - np.sum(f(xm))) / (2 * eps)
    return g
