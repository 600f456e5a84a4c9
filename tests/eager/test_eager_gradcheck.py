"""The registry sweep in eager mode: every differentiable op with samples runs eagerly through a
GradientTape, and its gradients must equal graph-mode tf.gradients on the same inputs (the same
rules evaluated eagerly vs. built as a graph and run by a Session)."""
import numpy as np
import pytest
from gradcheck import symbolic_grads

import tensorlet as tf
from tensorlet.eager.context import EAGER_GRAPH
from tensorlet.framework.registry import all_op_defs

_DIFFERENTIABLE = sorted(t for t, d in all_op_defs().items()
                         if d.differentiable and not d.gradcheck_in)


def _eager_grads(op_type, arrays, attrs, weights, which):
    with tf.eager_mode():
        inputs = [tf.constant(a) for a in arrays]
        with tf.GradientTape() as tape:
            tape.watch([inputs[i] for i in which])
            op = EAGER_GRAPH.create_op(op_type, inputs, dict(attrs))
        outs = [t for t, w in zip(op.outputs, weights) if w is not None]
        ws = [tf.constant(w) for w in weights if w is not None]
        grads = tape.gradient(outs, [inputs[i] for i in which], output_gradients=ws)
        return [np.zeros_like(arrays[i]) if g is None else g.numpy()
                for g, i in zip(grads, which)]


@pytest.mark.parametrize("op_type", _DIFFERENTIABLE)
def test_eager_gradient_matches_graph(op_type):
    opdef = all_op_defs()[op_type]
    for k, (arrays, attrs) in enumerate(opdef.samples()):
        arrays = [np.array(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f"
                  else np.array(a) for a in arrays]
        which = [i for i, a in enumerate(arrays)
                 if a.dtype.kind == "f" and i not in opdef.nondiff_inputs]
        out = opdef.kernel(dict(attrs), *arrays)
        outs = out if isinstance(out, tuple) else (out,)
        rng = np.random.default_rng(k)
        weights = [rng.standard_normal(np.shape(o))
                   if np.asarray(o).dtype.kind == "f" and j not in opdef.aux_outputs else None
                   for j, o in enumerate(outs)]
        eager = _eager_grads(op_type, arrays, attrs, weights, which)
        graph = symbolic_grads(op_type, arrays, attrs, weights, which)
        for i, e, g in zip(which, eager, graph):
            np.testing.assert_allclose(
                e, g, rtol=1e-9, atol=1e-12,
                err_msg=f"{op_type} sample {k}: eager and graph gradients of input {i} differ")
