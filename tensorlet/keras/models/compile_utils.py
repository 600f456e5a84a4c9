"""What `compile` configures: the optimizer, the loss per output and the metrics per output.

Strings are checked at `compile` (an unknown name raises there, listing the known ones); the
choices that depend on shapes ("accuracy", "crossentropy") are made when the first training
graph is built, from the label and prediction tensors, as Keras 3 does. The loss and metric
objects only build graph ops; running them is the compiled plan's job.
"""
import numbers

from tensorlet.framework.graph import control_dependencies
from tensorlet.keras import backend
from tensorlet.ops import math as _math
from tensorlet.ops.array import identity


def _losses():
    from tensorlet.keras import losses
    return losses


def _metrics():
    from tensorlet.keras import metrics
    return metrics


def _is_binary_or_sparse(y_true, y_pred):
    """Keras 3's rule: (binary: one prediction per sample, sparse: labels lack the class axis)."""
    yt, yp = y_true.shape.dims, y_pred.shape.dims
    if yt is None or yp is None or not yt or not yp:
        return False, False
    binary = yp[-1] == 1
    sparse = len(yt) < len(yp) or (yt[-1] == 1 and yp[-1] is not None and yp[-1] > 1)
    return binary, sparse


def resolve_loss(identifier, y_true, y_pred):
    """A loss object for one output (None for none); "crossentropy"/"ce" pick by shapes."""
    if identifier is None:
        return None
    losses = _losses()
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        binary, sparse = _is_binary_or_sparse(y_true, y_pred)
        fn = (losses.binary_crossentropy if binary else
              losses.sparse_categorical_crossentropy if sparse else
              losses.categorical_crossentropy)
        return losses.LossFunctionWrapper(fn, name=identifier)
    obj = losses.get(identifier)
    if not isinstance(obj, losses.Loss):
        name = identifier if isinstance(identifier, str) else getattr(obj, "__name__", None)
        obj = losses.LossFunctionWrapper(obj, name=name)
    return obj


def resolve_metric(identifier, y_true, y_pred, loss=None):
    """A metric object; "accuracy"/"acc" become binary, sparse or categorical accuracy
    (`keras.metrics.resolve_accuracy`, from the shapes, else the loss)."""
    metrics = _metrics()
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        return metrics.resolve_accuracy(identifier, loss, y_true.shape, y_pred.shape)
    obj = metrics.get(identifier)
    if not isinstance(obj, metrics.Metric):
        name = identifier if isinstance(identifier, str) else getattr(obj, "__name__", "metric")
        obj = metrics.MeanMetricWrapper(obj, name=name)
    elif isinstance(identifier, str):
        obj.name = identifier
    return obj


def _check_identifier(kind, identifier):
    """Resolve names at compile time so an unknown one fails early, listing the known ones."""
    if isinstance(identifier, str):
        if kind == "loss" and identifier.lower() not in ("crossentropy", "ce"):
            _losses().get(identifier)
        elif kind == "metric" and identifier.lower() not in ("accuracy", "acc"):
            _metrics().get(identifier)


def _per_output(value, names, what):
    """`value` spread over the outputs: a dict by name, a list by position, or one value."""
    n = len(names)
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(f"In the dict argument `{what}`, key(s) {unknown} do not "
                             f"correspond to any model output. Outputs: {names}")
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)) and n > 1:
        if len(value) != n:
            raise ValueError(f"For a model with {n} outputs, `{what}` given as a list must have "
                             f"{n} entries; it has {len(value)}.")
        return list(value)
    if isinstance(value, (list, tuple)) and n == 1 and what in ("loss", "loss_weights"):
        if len(value) != 1:
            raise ValueError(f"The model has one output but `{what}` has {len(value)} entries.")
        return list(value)
    return [value] * n


class CompileState:
    """The compiled configuration of a model and, once built, its loss and metric objects."""

    def __init__(self, optimizer, loss, loss_weights, metrics, weighted_metrics):
        from tensorlet.keras import optimizers
        self.optimizer = optimizers.get(optimizer)
        for lo in _flat_config(loss):
            _check_identifier("loss", lo)
        for m in _flat_config(metrics) + _flat_config(weighted_metrics):
            _check_identifier("metric", m)
        if loss_weights is not None and not isinstance(
                loss_weights, (list, tuple, dict, numbers.Real)):
            raise ValueError(f"Expected `loss_weights` to be a float (one output) or a list or "
                             f"dict (several outputs). Received: loss_weights={loss_weights!r}")
        self.loss_config = loss
        self.loss_weights_config = loss_weights
        self.metrics_config = metrics
        self.weighted_metrics_config = weighted_metrics
        self.built = False
        self.warned_trainable = False
        self.output_names = None
        self.losses = []  # per output: (loss object or None, weight)
        self.metrics = []  # (log name, metric object, output index, weighted?)

    def build(self, y_true, y_pred, output_names):
        """Resolve the per-output losses and metrics against the label/prediction tensors."""
        names = list(output_names) if output_names and len(output_names) == len(y_pred) \
            else [f"output_{i}" for i in range(len(y_pred))]
        self.output_names = names
        multi = len(names) > 1
        losses = _per_output(self.loss_config, names, "loss")
        weights = _per_output(self.loss_weights_config, names, "loss_weights")
        self.losses = [(resolve_loss(lo, yt, yp), 1.0 if w is None else float(w))
                       for lo, w, yt, yp in zip(losses, weights, y_true, y_pred)]
        self.metrics = []
        for config, weighted in ((self.metrics_config, False),
                                 (self.weighted_metrics_config, True)):
            what = "weighted_metrics" if weighted else "metrics"
            for i, entries in enumerate(_metrics_per_output(config, names, what)):
                for ident in entries:
                    m = resolve_metric(ident, y_true[i], y_pred[i], losses[i])
                    log = f"{names[i]}_{m.name}" if multi else m.name
                    self.metrics.append((self._unique(log, weighted), m, i, weighted))
        backend.track_variables([v for _, m, _, _ in self.metrics for v in m.variables])
        self.built = True

    def _unique(self, name, weighted):
        taken = {n for n, _, _, _ in self.metrics} | {"loss"}
        if name not in taken:
            return name
        if weighted and f"weighted_{name}" not in taken:
            return f"weighted_{name}"
        i = 1
        while f"{name}_{i}" in taken:
            i += 1
        return f"{name}_{i}"

    # -- graph pieces -----------------------------------------------------------------------
    def loss_terms(self, y_true, y_pred, sample_weights):
        """(total, [(name, unweighted loss tensor)]): the total is the loss_weights-weighted
        sum; with several outputs each term is logged, unweighted, as '<output>_loss' (as
        Keras 3 does)."""
        terms, weighted = [], []
        multi = len(self.losses) > 1
        for i, (loss, weight) in enumerate(self.losses):
            if loss is None:
                continue
            value = loss(y_true[i], y_pred[i], sample_weights[i])
            weighted.append(value if weight == 1.0 else _math.multiply(value, weight))
            terms.append((f"{self.output_names[i]}_loss" if multi
                          else f"loss of output '{self.output_names[i]}'", value))
        return weighted, terms

    def metric_updates(self, y_true, y_pred, sample_weights):
        """Update ops of every metric (weighted ones take the sample weights), and the metric
        results read after those updates (same run): ([ops], {log name: tensor})."""
        ops = []
        for _, m, i, weighted in self.metrics:
            op = m.update_state(y_true[i], y_pred[i],
                                sample_weight=sample_weights[i] if weighted else None)
            if op is not None:
                ops.append(op)
        results = {}
        if self.metrics:
            with control_dependencies(ops):
                for name, m, _, _ in self.metrics:
                    results[name] = identity(m.result())
        return ops, results

    # -- bookkeeping ----------------------------------------------------------------------
    def reset(self):
        """Reset every metric's state (start of an epoch or of an evaluation)."""
        for _, m, _, _ in self.metrics:
            m.reset_state()

    def metric_objects(self):
        return [m for _, m, _, _ in self.metrics]

    def log_names(self):
        names = ["loss"]
        if len(self.losses) > 1:
            names += [f"{n}_loss" for (lo, _), n in zip(self.losses, self.output_names)
                      if lo is not None]
        return names + [name for name, _, _, _ in self.metrics]


def _metrics_per_output(config, names, what):
    """One list of metric identifiers per output (Keras 3's rules for `metrics=`)."""
    if not config:
        return [[] for _ in names]
    if not isinstance(config, (list, tuple, dict)):
        raise ValueError(  # noqa: TRY004  (Keras raises ValueError here)
            f"Expected `{what}` argument to be a list, tuple, or dict. Received "
                         f"instead: {what}={config!r}")
    if len(names) == 1:
        return [[m for m in _flat_config(config) if m is not None]]
    if isinstance(config, dict):
        per = _per_output(config, names, what)
    elif len(config) != len(names):
        raise ValueError(f"For a model with {len(names)} outputs, when providing the `{what}` "
                         f"argument as a list, it should have as many entries as the model has "
                         f"outputs. Received: {what}={config!r}")
    else:
        per = list(config)
    return [[m for m in _flat_config(v) if m is not None] for v in per]


def _flat_config(value):
    if value is None:
        return []
    if isinstance(value, dict):
        out = []
        for v in value.values():
            out.extend(_flat_config(v))
        return out
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            out.extend(_flat_config(v))
        return out
    return [value]
