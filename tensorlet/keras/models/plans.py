"""The compiled steps of a model: predict, test and train, each traced ONCE per data signature
into the Keras graph and then run per batch as one cached session plan (DESIGN.md rule 3).

A train step is one plan: forward (training=True), the loss terms, the regularisation losses,
gradients (`tensorlet.gradients`), the optimizer's update ops and the metric updates. The loss
is fetched from the same run, computed before the update; the metric results too, read after
the metric updates (control dependencies). A step runs through a `Session.make_callable`
bound once per session, so a batch pays no per-call walk over fetches and feeds.
"""
import collections

from tensorlet.autodiff import gradients
from tensorlet.keras import backend, tree
from tensorlet.keras.models.data_adapter import warn_user
from tensorlet.ops.array import placeholder
from tensorlet.ops.math import add_n

_MAX_FUNCTIONS = 16


class Step:
    """Placeholders and fetches in the Keras graph; `run(arrays)` feeds them in order.

    For test and train steps the fetches are the loss terms (`names`: 'loss' first), then the
    metric results after this batch's update (`metric_names`), then the update ops.
    """

    def __init__(self, feeds, fetches, names=(), metric_names=(), outputs=None):
        self.feeds = list(feeds)
        self.fetches = list(fetches)
        self.names = list(names)
        self.metric_names = list(metric_names)
        self.outputs = outputs  # structure of the model outputs (predict)
        self.single_output = outputs is not None and not tree.is_nested(outputs)
        self._call = backend.SessionCall(self.fetches, self.feeds)

    def run(self, arrays):
        return self._call(arrays)

    def logs(self, values):
        """(loss term values, {metric name: running result}) from the values of a run."""
        n = len(self.names)
        metrics = {k: float(v) for k, v in zip(self.metric_names, values[n:])}
        return values[:n], metrics


def _cache(model):
    if model._functions is None:
        model._functions = collections.OrderedDict()
    return model._functions


def _cached(model, key, build):
    cache = _cache(model)
    step = cache.get(key)
    if step is None:
        step = build()
        cache[key] = step
        if len(cache) > _MAX_FUNCTIONS:
            cache.popitem(last=False)
    else:
        cache.move_to_end(key)
    return step


def _placeholders(specs, prefix):
    graph = backend.get_graph()
    with graph.as_default(), graph.name_scope(None):
        return [placeholder(dtype, shape, name=f"{prefix}_{i}")
                for i, (shape, dtype) in enumerate(specs)]


def x_specs(model):
    """Placeholder specs of the model inputs (a fixed batch size of the input is kept)."""
    return [(tuple(shape), dtype) for shape, dtype in model._input_signature]


def array_specs(arrays, float_dtype="float32"):
    """Placeholder specs for labels or weights: floats -> float32, integers -> int32/int64."""
    specs = []
    for a in arrays:
        if a is None:
            specs.append(None)
            continue
        kind = a.dtype.kind
        if kind in "fb":
            dtype = float_dtype
        else:
            dtype = "int64" if kind == "i" and a.dtype.itemsize > 4 else "int32"
        specs.append(((None,) + a.shape[1:], dtype))
    return specs


def predict_step(model):
    """Outputs of `model(x, training=False)` for the model's input signature."""
    key = ("predict", tuple(model._input_signature))
    step = _cache(model).get(key)
    if step is not None:
        model._functions.move_to_end(key)
        return step

    def build():
        xs = _placeholders(x_specs(model), "x")
        outs = model._trace_forward(xs, False, [])
        return Step(xs, tree.flatten(outs), outputs=outs)
    return _cached(model, key, build)


def _loss_graph(model, xs, y_specs, sw_specs, training):
    """Placeholders for labels and weights, and the loss terms of a forward pass."""
    state = model._compile_state
    ys = _placeholders([s for s in y_specs], "y")
    sws = [None if s is None else p for s, p in zip(
        sw_specs, _placeholders([s if s is not None else ((None,), "float32")
                                 for s in sw_specs], "sample_weight"))]
    extra = []
    outs = tree.flatten(model._trace_forward(xs, training, extra))
    if len(ys) != len(outs):
        raise ValueError(f"Model '{model.name}' has {len(outs)} output(s), but {len(ys)} label "
                         "array(s) were given.")
    graph = backend.get_graph()
    with graph.as_default():
        if not state.built:
            state.build(ys, outs, model.output_names)
        parts, terms = state.loss_terms(ys, outs, sws)
        reg = model._weight_regularization_losses() + extra
        if reg:
            terms.append(("regularization losses", add_n(reg) if len(reg) > 1 else reg[0]))
            parts.append(terms[-1][1])
        if not parts:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        total = add_n(parts) if len(parts) > 1 else parts[0]
        updates, results = state.metric_updates(ys, outs, sws)
    feeds = xs + ys + [p for p in sws if p is not None]
    return feeds, total, terms, updates, results


def _loss_step(model, y_specs, sw_specs, training, variables=None):
    xs = _placeholders(x_specs(model), "x")
    feeds, total, terms, updates, results = _loss_graph(model, xs, y_specs, sw_specs, training)
    if training and variables:
        graph = backend.get_graph()
        with graph.as_default():
            grads = gradients(total, variables)
            if all(g is None for g in grads):
                raise ValueError(f"The loss of model '{model.name}' does not depend on any "
                                 "trainable weight: no gradients to apply.")
            train_op = model._compile_state.optimizer.apply_gradients(
                [(g, v) for g, v in zip(grads, variables)])
            if train_op is not None:
                updates = updates + [train_op]
            backend.track_variables(model._compile_state.optimizer.variables)
    fetches = [total] + [t for _, t in terms] + list(results.values()) + updates
    return Step(feeds, fetches, names=["loss"] + [n for n, _ in terms],
                metric_names=list(results))


def test_step(model, y_specs, sw_specs):
    """Forward (training=False), loss terms and metric updates."""
    key = ("test", tuple(model._input_signature), tuple(y_specs), tuple(sw_specs))
    return _cached(model, key, lambda: _loss_step(model, y_specs, sw_specs, False))


def train_step(model, y_specs, sw_specs):
    """The training plan. As in Keras, the trainable weights are those of the first training
    step after `compile()`; a later change of `trainable` needs `compile()` again (warned)."""
    key = ("train", tuple(model._input_signature), tuple(y_specs), tuple(sw_specs))

    def build():
        variables = model.trainable_weights
        step = _loss_step(model, y_specs, sw_specs, True, variables)
        step.variable_ids = [id(v) for v in variables]
        return step
    step = _cached(model, key, build)
    state = model._compile_state
    if not state.warned_trainable and [id(v) for v in model.trainable_weights] != \
            step.variable_ids:
        state.warned_trainable = True
        warn_user(f"The trainable weights of model '{model.name}' changed after it was "
                  "compiled (a `trainable` flag was set); training still updates the weights "
                  "that were trainable then. Call `compile()` again to train the new set.")
    return step
