"""The training, evaluation and prediction loops behind `Model.fit/evaluate/predict`.

Per batch the loops only slice (or gather, when shuffling) data and run a compiled step (see
`plans`); callbacks' batch hooks, with the running logs, are called only when some callback
overrides one (nothing else could observe them). `predict` on one array that fits in one
batch, without callbacks or progress bar, runs that batch directly. The loss reported
for an epoch is the batch-size-weighted mean of the per-batch losses, each computed before that
batch's update (SEMANTICS.md). A non-finite loss stops training by default (issue 9), naming
the epoch, the batch and the loss term.
"""
import math

import numpy as np

from tensorlet.keras import tree
from tensorlet.keras.models import data_adapter as _data
from tensorlet.keras.models import plans
from tensorlet.keras.models.compile_utils import CompileState

_ON_NAN = ("stop", "raise", "continue")


def compile_model(model, optimizer, loss, loss_weights, metrics, weighted_metrics):
    model._compile_state = CompileState(optimizer, loss, loss_weights, metrics,
                                        weighted_metrics)
    model.optimizer = model._compile_state.optimizer
    model.compiled = True
    model._functions = None
    model.stop_training = False


def _require_compiled(model, what):
    if model._compile_state is None:
        raise RuntimeError(f"You must call `compile()` before using the model (called "
                           f"`{what}()` on model '{model.name}').")


def _callbacks(model, callbacks, verbose, **params):
    from tensorlet.keras import callbacks as cbm
    if isinstance(callbacks, cbm.CallbackList):
        callbacks.set_model(model)
        return callbacks
    return cbm.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                            model=model, verbose=verbose, **params)


def _verbose(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"`verbose` must be 0, 1, 2 or 'auto', got {verbose!r}")
    return verbose


# -- preparing data and steps ------------------------------------------------------------------


def _prepare(model, data):
    """Build the model from the first batch when needed; check the arrays against its inputs."""
    first = data.first()
    if first is None:
        raise ValueError("The data is empty: there is no batch to run.")
    structure = getattr(data, "structure", None)
    model._ensure_built_for(first.x, structure)
    if isinstance(data, _data.ArrayData):
        _data.check_inputs(model, data.x)
    else:
        _data.check_inputs(model, first.x)
    return first


def _specs(model, first, need_y=True):
    if need_y and first.y is None:
        raise ValueError(f"Model '{model.name}' was compiled with a loss but no targets `y` "
                         "were given.")
    y_specs = plans.array_specs(first.y or [])
    sw = first.sample_weights or [None] * len(y_specs)
    sw_specs = plans.array_specs(sw)
    return tuple(y_specs), tuple(sw_specs)


def _feed(batch):
    arrays = list(batch.x) + list(batch.y or [])
    arrays += [w for w in (batch.sample_weights or []) if w is not None]
    return arrays


class _LossTracker:
    """Batch-size-weighted running means of the loss terms (Keras's Mean(loss, batch_size))."""

    def __init__(self, names):
        self.names = names
        self.sums = [0.0] * len(names)
        self.count = 0

    def update(self, values, size):
        for i, v in enumerate(values):
            self.sums[i] += float(v) * size
        self.count += size

    def logs(self):
        return {name: s / self.count if self.count else 0.0
                for name, s in zip(self.names, self.sums) if _logged(name)}


def _logged(name):
    """The total 'loss' and the per-output '<output>_loss' terms appear in the logs."""
    return name == "loss" or name.endswith("_loss")


def _nan_message(names, values, epoch, batch):
    bad = [n for n, v in zip(names[1:], values[1:]) if not math.isfinite(float(v))]
    term = ", ".join(repr(n) for n in bad) if bad else "'loss'"
    return (f"The loss became {float(values[0])} at epoch {epoch + 1}, batch {batch} "
            f"(non-finite loss term: {term}). "
            "Training was stopped; check the learning rate, the data (NaN/Inf inputs or "
            "labels) and the loss (e.g. log of 0). Pass on_nan='continue' to keep going or "
            "on_nan='raise' to raise instead.")


# -- fit ----------------------------------------------------------------------------------------


def fit(model, x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data,
        shuffle, class_weight, sample_weight, initial_epoch, steps_per_epoch, validation_steps,
        validation_batch_size, validation_freq, on_nan):
    _require_compiled(model, "fit")
    if on_nan not in _ON_NAN:
        raise ValueError(f"`on_nan` must be one of {_ON_NAN}, got {on_nan!r}")
    verbose = _verbose(verbose)
    val = None
    if validation_split and validation_data is None:
        data, val = _split_data(model, x, y, sample_weight, validation_split, batch_size,
                                shuffle, class_weight, steps_per_epoch, validation_batch_size,
                                validation_steps)
    else:
        data = _data.make_data(model, x, y, sample_weight, batch_size, shuffle, class_weight,
                               steps_per_epoch)
        if validation_data is not None:
            val = _validation_data(model, validation_data, validation_batch_size or batch_size,
                                   validation_steps)
    first = _prepare(model, data)
    y_specs, sw_specs = _specs(model, first)
    step = plans.train_step(model, y_specs, sw_specs)
    cbs = _callbacks(model, callbacks, verbose, epochs=epochs, steps=data.steps)
    state = model._compile_state
    model.stop_training = False
    cbs.on_train_begin()
    hooks = _uses_batch_hooks(cbs, _TRAIN_BATCH_HOOKS)
    initial_epoch = getattr(model, "_initial_epoch", None) or initial_epoch  # BackupAndRestore
    logs = {}
    for epoch in range(initial_epoch, epochs):
        state.reset()
        cbs.on_epoch_begin(epoch)
        batch_logs, stopped_by_nan = _train_epoch(model, step, data, cbs, hooks, epoch, on_nan)
        if batch_logs is None:
            _data.warn_user("Your input ran out of data; interrupting training.")
            break
        data.end_epoch()
        epoch_logs = batch_logs
        if val is not None and not stopped_by_nan and _should_validate(epoch, validation_freq):
            val_logs = _evaluate_data(model, val, cbs)
            epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
        cbs.on_epoch_end(epoch, epoch_logs)
        logs = epoch_logs
        if model.stop_training:
            break
    cbs.on_train_end(logs)
    return model.history


def _train_epoch(model, step, data, cbs, hooks, epoch, on_nan):
    """One epoch of training steps; returns (the logs after its last batch, or None when the
    data gave no batch; whether a non-finite loss stopped it). Without batch `hooks` the
    per-batch logs are not built: only the loss sums and the NaN check run per batch."""
    tracker = _LossTracker(step.names)
    n_terms = len(step.names)
    values = None
    stopped_by_nan = False
    for batch_index, batch in enumerate(data.epoch()):
        if hooks:
            cbs.on_train_batch_begin(batch_index)
        values = step.run(_feed(batch))
        terms = values[:n_terms]
        tracker.update(terms, batch.size)
        if not math.isfinite(float(terms[0])) and on_nan != "continue":
            msg = _nan_message(step.names, terms, epoch, batch_index)
            if on_nan == "raise":
                raise FloatingPointError(msg)
            _data.warn_user(msg, RuntimeWarning)
            model.stop_training = stopped_by_nan = True
        if hooks:
            cbs.on_train_batch_end(batch_index, _running_logs(step, tracker, values))
        if model.stop_training:
            break
    if values is None:
        return None, stopped_by_nan
    return _running_logs(step, tracker, values), stopped_by_nan


def _running_logs(step, tracker, values):
    """The logs after a batch: running loss means and the metric results that run read."""
    logs = tracker.logs()
    logs.update(step.logs(values)[1])
    return logs


_TRAIN_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin",
                      "on_batch_end")
_TEST_BATCH_HOOKS = ("on_test_batch_begin", "on_test_batch_end")


def _uses_batch_hooks(cbs, hooks):
    """Whether a callback (or the CallbackList itself) overrides one of `hooks`, as a method
    or an instance attribute (LambdaCallback). When none does, no one can see per-batch calls
    or logs, and the loops skip them."""
    from tensorlet.keras.callbacks import Callback, CallbackList
    owners = [(cbs, CallbackList)] + [(cb, Callback) for cb in cbs.callbacks]
    return any(getattr(getattr(obj, name, None), "__func__", None) is not getattr(base, name)
               for obj, base in owners for name in hooks)


def _split_data(model, x, y, sample_weight, validation_split, batch_size, shuffle,
                class_weight, steps_per_epoch, validation_batch_size, validation_steps):
    """Training and validation ArrayData: the last `validation_split` of the arrays."""
    if _data.is_iterator_source(x):
        raise ValueError("`validation_split` is only supported for NumPy arrays, not for "
                         "generators or PyDatasets; pass `validation_data` instead.")
    xs, structure = _data.flatten_x(model, x)
    ys = _data.flatten_y(model, y)
    sws = None if sample_weight is None else _data.flatten_sample_weights(
        model, sample_weight, len(ys) if ys else 1)
    if class_weight is not None and ys is not None and len(ys) > 1:
        raise ValueError("`class_weight` is only supported for models with a single output.")
    (xt, yt, swt), (xv, yv, swv) = _data.split_validation(xs, ys, sws, validation_split)
    train = _data.ArrayData(xt, yt, swt, batch_size or 32, shuffle, class_weight,
                            steps_per_epoch)
    val = _data.ArrayData(xv, yv, swv, validation_batch_size or batch_size or 32,
                          steps_per_epoch=validation_steps)
    train.structure = val.structure = structure
    return train, val


def _validation_data(model, validation_data, batch_size, steps):
    if isinstance(validation_data, tuple):
        if not 2 <= len(validation_data) <= 3:
            raise ValueError("`validation_data` must be a tuple (x, y) or (x, y, sample_weight)"
                             f"; got a tuple of {len(validation_data)}.")
        vx, vy = validation_data[:2]
        vsw = validation_data[2] if len(validation_data) == 3 else None
        return _data.make_data(model, vx, vy, vsw, batch_size or 32, steps_per_epoch=steps,
                               what="validation")
    return _data.make_data(model, validation_data, batch_size=batch_size, steps_per_epoch=steps,
                           what="validation")


def _should_validate(epoch, freq):
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return (epoch + 1) in freq


# -- evaluate -----------------------------------------------------------------------------------


def _evaluate_data(model, data, cbs):
    """Run the test step over `data`; returns the logs (loss means, metric results)."""
    first = _prepare(model, data)
    y_specs, sw_specs = _specs(model, first)
    step = plans.test_step(model, y_specs, sw_specs)
    state = model._compile_state
    state.reset()
    tracker = _LossTracker(step.names)
    if cbs is not None:
        cbs.on_test_begin()
    hooks = cbs is not None and _uses_batch_hooks(cbs, _TEST_BATCH_HOOKS)
    n_terms = len(step.names)
    values = None
    for i, batch in enumerate(data.epoch()):
        if hooks:
            cbs.on_test_batch_begin(i)
        values = step.run(_feed(batch))
        tracker.update(values[:n_terms], batch.size)
        if hooks:
            cbs.on_test_batch_end(i, _running_logs(step, tracker, values))
    data.end_epoch()
    logs = {} if values is None else _running_logs(step, tracker, values)
    if cbs is not None:
        cbs.on_test_end(logs)
    return logs


def evaluate(model, x, y, batch_size, verbose, sample_weight, steps, callbacks, return_dict):
    _require_compiled(model, "evaluate")
    verbose = _verbose(verbose)
    data = _data.make_data(model, x, y, sample_weight, batch_size, steps_per_epoch=steps,
                           what="evaluate")
    cbs = None
    if verbose or callbacks:
        cbs = _callbacks(model, callbacks, verbose, epochs=1, steps=data.steps)
    logs = _evaluate_data(model, data, cbs)
    return _format_logs(model, logs, return_dict)


def _format_logs(model, logs, return_dict):
    if return_dict:
        return dict(logs)
    names = [n for n in model._compile_state.log_names() if n in logs]
    values = [logs[n] for n in names]
    return values[0] if len(values) == 1 else values


# -- predict ------------------------------------------------------------------------------------


def predict(model, x, batch_size, verbose, steps, callbacks):
    verbose = _verbose(verbose)
    if verbose == 0 and not callbacks and steps is None and isinstance(x, np.ndarray) \
            and x.ndim and len(x) <= (batch_size or 32):
        return predict_on_batch(model, x)  # one batch: no loop, no callbacks
    if _data.is_iterator_source(x):
        data = _data.make_data(model, x, steps_per_epoch=steps, what="predict")
    else:
        xs, structure = _data.flatten_x(model, x)
        data = _data.ArrayData(xs, None, None, batch_size or 32, steps_per_epoch=steps)
        data.structure = structure
    _prepare(model, data)
    step = plans.predict_step(model)
    cbs = None
    if verbose or callbacks:
        cbs = _callbacks(model, callbacks, verbose, epochs=1, steps=data.steps)
        cbs.on_predict_begin()
    chunks = []
    for i, batch in enumerate(data.epoch()):
        if cbs is not None:
            cbs.on_predict_batch_begin(i)
        chunks.append(step.run(batch.x))
        if cbs is not None:
            cbs.on_predict_batch_end(i, {"outputs": chunks[-1]})
    data.end_epoch()
    if cbs is not None:
        cbs.on_predict_end()
    if not chunks:
        raise ValueError("predict() received no data.")
    flat = [c[0] if len(chunks) == 1 else np.concatenate(c, axis=0) for c in zip(*chunks)]
    return tree.pack_sequence_as(step.outputs, [np.asarray(v) for v in flat])


def predict_on_batch(model, x):
    xs, structure = _data.flatten_x(model, x)
    model._ensure_built_for(xs, structure)
    _data.check_inputs(model, xs)
    step = plans.predict_step(model)
    values = step.run(xs)  # fresh arrays (Session.run's fetch semantics), 0-d as scalars
    if step.single_output and values[0].__class__ is np.ndarray:
        return values[0]
    return tree.pack_sequence_as(step.outputs, [np.asarray(v) for v in values])


# -- one batch ---------------------------------------------------------------------------------


def _one_batch(model, x, y, sample_weight, class_weight, train, return_dict):
    what = "train_on_batch" if train else "test_on_batch"
    _require_compiled(model, what)
    data = _data.make_data(model, x, y, sample_weight, batch_size=None, class_weight=class_weight,
                           what=what)
    if not isinstance(data, _data.ArrayData):
        raise TypeError(f"{what}() takes arrays, not a generator or PyDataset.")
    data.batch_size = max(data.n, 1)
    data.steps = 1
    first = _prepare(model, data)
    y_specs, sw_specs = _specs(model, first)
    step = (plans.train_step if train else plans.test_step)(model, y_specs, sw_specs)
    model._compile_state.reset()
    terms, metric_logs = step.logs(step.run(_feed(first)))
    logs = {n: float(v) for n, v in zip(step.names, terms) if _logged(n)}
    logs.update(metric_logs)
    return _format_logs(model, logs, return_dict)


def train_on_batch(model, x, y, sample_weight, class_weight, return_dict):
    return _one_batch(model, x, y, sample_weight, class_weight, True, return_dict)


def test_on_batch(model, x, y, sample_weight, return_dict):
    return _one_batch(model, x, y, sample_weight, None, False, return_dict)
