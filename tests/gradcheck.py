"""Numeric vs symbolic gradients of one op, in float64 (the registry-driven check's engine)."""
import numpy as np

import tensorlet as tf
from tensorlet.framework.registry import op_def


def numeric_grads(opdef, arrays, attrs, weights, which, eps=1e-6):
    """Central differences of sum(w * out) with respect to the float inputs in `which`."""
    def f(args):
        out = opdef.kernel(attrs, *args)
        outs = out if isinstance(out, tuple) else (out,)
        return sum(float(np.sum(np.asarray(o, np.float64) * w))
                   for o, w in zip(outs, weights) if w is not None)
    grads = []
    for i in which:
        x = arrays[i]
        g = np.zeros_like(x)
        it = np.nditer(x, flags=["multi_index"])
        for _ in it:
            idx = it.multi_index
            old = x[idx]
            x[idx] = old + eps
            fp = f(arrays)
            x[idx] = old - eps
            fm = f(arrays)
            x[idx] = old
            g[idx] = (fp - fm) / (2 * eps)
        grads.append(g)
    return grads


def symbolic_grads(op_type, arrays, attrs, weights, which):
    """tf.gradients of the op's outputs (weighted by `weights`) at the given inputs."""
    g = tf.Graph()
    with g.as_default():
        inputs = [tf.constant(a) for a in arrays]
        op = g.create_op(op_type, inputs, dict(attrs))
        outs = [t for t, w in zip(op.outputs, weights) if w is not None]
        ws = [tf.constant(w) for w in weights if w is not None]
        grads = tf.gradients(outs, [inputs[i] for i in which], grad_ys=ws)
        with tf.Session(graph=g) as sess:
            fetch = [x if x is not None else tf.zeros_like(inputs[i])
                     for x, i in zip(grads, which)]
            return sess.run(fetch)


def check_op(op_type, arrays, attrs, rtol=1e-5, atol=1e-6, seed=0):
    """Assert numeric and symbolic gradients of one op sample agree."""
    opdef = op_def(op_type)
    arrays = [np.array(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f" else np.array(a)
              for a in arrays]
    which = [i for i, a in enumerate(arrays)
             if a.dtype.kind == "f" and i not in opdef.nondiff_inputs]
    rng = np.random.default_rng(seed)
    out = opdef.kernel(attrs, *arrays)
    outs = out if isinstance(out, tuple) else (out,)
    weights = [rng.standard_normal(np.shape(o))
               if np.asarray(o).dtype.kind == "f" and k not in opdef.aux_outputs else None
               for k, o in enumerate(outs)]
    num = numeric_grads(opdef, arrays, attrs, weights, which)
    sym = symbolic_grads(op_type, arrays, attrs, weights, which)
    tol = opdef.check_tol
    for i, n, s in zip(which, num, sym):
        np.testing.assert_allclose(
            s, n, rtol=rtol * tol, atol=atol * tol,
            err_msg=f"{op_type}: gradient of input {i} (shapes "
                    f"{[np.shape(a) for a in arrays]}, attrs {attrs})")
