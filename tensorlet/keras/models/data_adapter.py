"""Data for fit/evaluate/predict: NumPy arrays (lists/dicts for several inputs or outputs),
Python generators and `keras.utils.PyDataset`/`Sequence` objects, cut into batches.

Every source yields `Batch(x, y, sample_weights, size)` with flat lists of arrays in the
model's input and output order. Arrays are checked before any training step: equal sample
counts, and each input's shape against the model's input (named, batch axis as None).
"""
import math
import os
import sys
import warnings

import numpy as np

from tensorlet.keras.layers.input_spec import shape_str


_PKG_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + os.sep


def warn_user(message, category=UserWarning):
    """`warnings.warn` attributed to the user's line (the first frame outside the tensorlet
    package; a user's own folder may well be called 'tensorlet' too)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PKG_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level + 1)


class Batch:
    __slots__ = ("sample_weights", "size", "x", "y")

    def __init__(self, x, y, sample_weights, size):
        self.x, self.y, self.sample_weights, self.size = x, y, sample_weights, size


# -- structures -----------------------------------------------------------------------------


def _as_array(v, what):
    if isinstance(v, np.ndarray):
        return v
    try:
        arr = np.asarray(v)
    except (TypeError, ValueError) as e:
        raise TypeError(f"Cannot use {what} of type {type(v).__name__} as an array: {e}") \
            from None
    if arr.dtype.kind in "OUS":
        raise TypeError(f"{what} must hold numbers, got an array of {arr.dtype} "
                        f"({type(v).__name__})")
    return arr


def _is_leaf_data(v):
    """A single array-like (not a list of several arrays)."""
    if isinstance(v, np.ndarray) or np.isscalar(v):
        return True
    if isinstance(v, (list, tuple)):
        return not any(isinstance(u, (np.ndarray, dict)) for u in v) and \
            all(_is_leaf_data(u) for u in v)
    return hasattr(v, "__array__")


def flatten_x(model, x):
    """(flat list of input arrays in the model's input order, their structure)."""
    if isinstance(x, np.ndarray):
        return [x], None
    names = getattr(model, "input_names", None) or []
    if isinstance(x, dict):
        struct = getattr(model, "_inputs_struct", None)
        if names and not isinstance(struct, dict) and all(n in x for n in names):
            return [_as_array(x[n], f"input '{n}'") for n in names], None
        flat = [_as_array(x[k], f"input '{k}'") for k in sorted(x)]
        return flat, {k: None for k in x}
    if _is_leaf_data(x):
        return [_as_array(x, "x")], None
    if isinstance(x, (list, tuple)):
        flat = [_as_array(v, f"x[{i}]") for i, v in enumerate(x)]
        return flat, [None] * len(flat)
    raise TypeError(f"Unrecognized data type: x={x!r:.100} (of type {type(x).__name__}); "
                    "expected NumPy arrays, a list or dict of them, a generator or a PyDataset")


def flatten_y(model, y):
    """Flat list of label arrays in the model's output order (None when y is None)."""
    if y is None:
        return None
    if isinstance(y, dict):
        names = model.output_names or sorted(y)
        missing = [n for n in names if n not in y]
        if missing:
            raise ValueError(f"The dict of targets lacks the output(s) {missing}; the model's "
                             f"outputs are {names}.")
        return [_as_array(y[n], f"y['{n}']") for n in names]
    if _is_leaf_data(y):
        return [_as_array(y, "y")]
    return [_as_array(v, f"y[{i}]") for i, v in enumerate(y)]


def flatten_sample_weights(model, sample_weight, n_outputs):
    """One weight array (or None) per output."""
    if sample_weight is None:
        return [None] * n_outputs
    if isinstance(sample_weight, dict):
        names = model.output_names or sorted(sample_weight)
        return [None if sample_weight.get(n) is None else
                _as_array(sample_weight[n], "sample_weight").astype(np.float32) for n in names]
    if isinstance(sample_weight, (list, tuple)) and n_outputs > 1 and \
            len(sample_weight) == n_outputs and not _is_leaf_data(sample_weight):
        return [None if w is None else _as_array(w, "sample_weight").astype(np.float32)
                for w in sample_weight]
    w = _as_array(sample_weight, "sample_weight").astype(np.float32)
    return [w] * n_outputs


def check_cardinality(x, y, sw):
    """All arrays must hold the same number of samples; returns that number."""
    sizes = {}
    for what, arrays in (("x", x), ("y", y or []), ("sample_weight", sw or [])):
        for a in arrays:
            if a is None:
                continue
            if a.ndim == 0:
                raise ValueError(f"{what} must have a batch axis; got a scalar.")
            sizes.setdefault(what, set()).add(len(a))
    all_sizes = set().union(*sizes.values()) if sizes else set()
    if len(all_sizes) > 1:
        parts = "; ".join(f"{k} sizes: {', '.join(map(str, sorted(v)))}" for k, v in
                          sizes.items())
        raise ValueError(f"Data cardinality is ambiguous: {parts}. Make sure all arrays "
                         "contain the same number of samples (x and y must match).")
    return all_sizes.pop() if all_sizes else 0


def check_inputs(model, x):
    """Each input array against the model's input signature (before any step runs)."""
    sig = model._input_signature
    if sig is None:
        return
    if len(x) != len(sig):
        names = list(getattr(model, "input_names", None) or [])
        raise ValueError(f"Model '{model.name}' expects {len(sig)} input(s) "
                         f"{names or ''}, but it received {len(x)} input array(s).")
    for i, (a, (shape, _)) in enumerate(zip(x, sig)):
        got = a.shape
        if got[1:] == shape[1:] and got:  # the common case: every sample axis known and equal
            continue
        want = (None,) + tuple(shape[1:])
        ok = len(got) == len(want) and all(w is None or w == g for w, g in zip(want[1:],
                                                                               got[1:]))
        if ok:
            continue
        names = list(getattr(model, "input_names", None) or [])
        name = names[i] if i < len(names) else f"input_{i}"
        msg = (f"Input '{name}' of model '{model.name}' expects arrays of shape "
               f"{shape_str(want)}, but received an array of shape {tuple(got)}.")
        if len(got) + 1 == len(want) and tuple(got) == tuple(want[1:]):
            msg += " It looks like a single sample without the batch axis: use x[None]."
        elif len(got) + 1 == len(want):
            msg += " The array seems to lack an axis (the batch axis?)."
        elif len(got) == len(want) + 1:
            msg += " The array has one axis too many."
        raise ValueError(msg)


# -- class weights and validation split -------------------------------------------------------


def class_weights_to_sample_weights(y, class_weight):
    """Per-sample weights from {class: weight} (labels sparse, or one-hot: argmax)."""
    y = np.asarray(y)
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y))
    labels = labels.astype(np.int64)
    table = np.ones(max(int(labels.max(initial=0)), max(class_weight, default=0)) + 1,
                    np.float32)
    for k, w in class_weight.items():
        table[int(k)] = w
    return table[labels]


def split_validation(x, y, sw, validation_split):
    """(train, validation) as Keras splits them: the LAST fraction, before shuffling."""
    if not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, got {validation_split}")
    n = check_cardinality(x, y, sw)
    at = math.floor(n * (1.0 - validation_split))
    if at == 0 or at == n:
        raise ValueError(f"Training data contains {n} samples, which is not sufficient to split "
                         f"it into a validation and training set as specified by "
                         f"`validation_split={validation_split}`.")

    def cut(arrays, sl):
        return None if arrays is None else [None if a is None else a[sl] for a in arrays]
    return ((cut(x, slice(0, at)), cut(y, slice(0, at)), cut(sw, slice(0, at))),
            (cut(x, slice(at, n)), cut(y, slice(at, n)), cut(sw, slice(at, n))))


# -- datasets -------------------------------------------------------------------------------


class ArrayData:
    """In-memory arrays cut into batches; shuffled each epoch when asked."""

    def __init__(self, x, y, sw, batch_size, shuffle=False, class_weight=None,
                 steps_per_epoch=None):
        self.x, self.y, self.sw = x, y, sw
        self.n = check_cardinality(x, y, sw)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.class_weight = class_weight
        self._buffers = None  # the reused batch buffers of shuffled epochs
        full = math.ceil(self.n / self.batch_size) if self.n else 0
        self.steps = full
        if steps_per_epoch is not None:
            if steps_per_epoch > full:
                warn_user(f"steps_per_epoch={steps_per_epoch} is more than the {full} "
                          "batches in the data; each epoch stops when the data runs out.")
            self.steps = min(int(steps_per_epoch), full)

    def first(self):
        return next(iter(self.epoch()), None)

    def epoch(self):
        """The batches of one epoch: slices of the arrays, or with `shuffle=True` rows gathered
        into buffers that every batch reuses (no allocation per batch), so a batch is valid
        only until the next one is drawn."""
        if self.shuffle and self.shuffle != "batch":
            yield from self._shuffled()
            return
        bs, n = self.batch_size, self.n
        if self.shuffle == "batch":  # the batches in random order, each one a slice
            starts = np.random.permutation(self.steps) * bs
        else:
            starts = np.arange(self.steps) * bs
        for start in starts.tolist():
            stop = min(start + bs, n)
            x, y, sw = [None if arrays is None else
                        [None if a is None else a[start:stop] for a in arrays]
                        for arrays in (self.x, self.y, self.sw)]
            yield self._batch(x, y, sw, stop - start)

    def _shuffled(self):
        bs = self.batch_size
        if self._buffers is None or self._buffers[0] != bs:
            self._buffers = (bs, [None if arrays is None else
                                  [None if a is None else np.empty((bs,) + a.shape[1:], a.dtype)
                                   for a in arrays] for arrays in (self.x, self.y, self.sw)])
        groups = list(zip((self.x, self.y, self.sw), self._buffers[1]))
        order = np.random.permutation(self.n)
        for start in range(0, self.steps * bs, bs):
            idx = order[start:start + bs]
            m = len(idx)
            x, y, sw = [None if arrays is None else
                        [None if a is None else np.take(a, idx, axis=0, mode="clip", out=b[:m])
                         for a, b in zip(arrays, bufs)] for arrays, bufs in groups]
            yield self._batch(x, y, sw, m)

    def _batch(self, x, y, sw, size):
        if self.class_weight is not None and y is not None:
            cw = class_weights_to_sample_weights(y[0], self.class_weight)
            sw = [cw if w is None else w * cw for w in (sw or [None] * len(y))]
        return Batch(x, y, sw, size)

    def end_epoch(self):
        pass


class IteratorData:
    """Batches from a Python generator/iterator or a PyDataset/Sequence (`__getitem__`)."""

    def __init__(self, model, source, steps_per_epoch=None, class_weight=None):
        self.model = model
        self.source = source
        self.class_weight = class_weight
        self.indexable = hasattr(source, "__getitem__") and hasattr(source, "__len__")
        if self.indexable:
            n = len(source)
            self.steps = n if steps_per_epoch is None else min(int(steps_per_epoch), n)
        else:
            self.steps = None if steps_per_epoch is None else int(steps_per_epoch)
            self._iter = iter(source)
        self._peeked = None
        self.structure = None
        self.exhausted = False

    def first(self):
        if self._peeked is None:
            raw = self.source[0] if self.indexable else next(self._iter, None)
            if raw is None:
                return None
            self._peeked = self._standardize(raw)
        return self._peeked

    def epoch(self):
        if self.indexable:
            if hasattr(self.source, "on_epoch_begin"):
                self.source.on_epoch_begin()
            for i in range(self.steps):
                yield self._standardize(self.source[i])
            return
        step = 0
        while self.steps is None or step < self.steps:
            if self._peeked is not None:
                batch, self._peeked = self._peeked, None
            else:
                raw = next(self._iter, None)
                if raw is None:
                    self.exhausted = True
                    if self.steps is not None:
                        warn_user("Your input ran out of data; interrupting training. Make "
                                  "sure the generator can produce at least "
                                  "`steps_per_epoch * epochs` batches.")
                    return
                batch = self._standardize(raw)
            step += 1
            yield batch

    def end_epoch(self):
        if self.indexable and hasattr(self.source, "on_epoch_end"):
            self.source.on_epoch_end()

    def _standardize(self, raw):
        if isinstance(raw, tuple):
            if not 1 <= len(raw) <= 3:
                raise ValueError(f"A generator/PyDataset must yield (x,), (x, y) or "
                                 f"(x, y, sample_weight); it yielded a tuple of {len(raw)}.")
            x, y, sw = (tuple(raw) + (None, None))[:3]
        else:
            x, y, sw = raw, None, None
        x, self.structure = flatten_x(self.model, x)
        y = flatten_y(self.model, y)
        sw = None if sw is None and self.class_weight is None else flatten_sample_weights(
            self.model, sw, len(y) if y else 1)
        if self.class_weight is not None and y is not None:
            cw = class_weights_to_sample_weights(y[0], self.class_weight)
            sw = [cw if w is None else w * cw for w in sw]
        size = check_cardinality(x, y, sw)
        return Batch(x, y, sw, size)


def is_iterator_source(x):
    """A generator, an iterator, or a PyDataset/Sequence-like object."""
    if isinstance(x, (np.ndarray, list, tuple, dict)) or x is None:
        return False
    return hasattr(x, "__next__") or hasattr(x, "__iter__") or (
        hasattr(x, "__getitem__") and hasattr(x, "__len__"))


def make_data(model, x, y=None, sample_weight=None, batch_size=None, shuffle=False,
              class_weight=None, steps_per_epoch=None, what="fit"):
    """A dataset object (ArrayData or IteratorData) for `x, y, sample_weight`."""
    if x is None:
        raise ValueError(f"{what}() needs input data `x`.")
    if class_weight is not None and not isinstance(class_weight, dict):
        raise ValueError(f"`class_weight` must be a dict {{class: weight}}, got "
                         f"{type(class_weight).__name__}")
    if is_iterator_source(x):
        if y is not None or sample_weight is not None:
            raise ValueError(f"When x is a generator or PyDataset, {what}() takes the targets "
                             "and sample weights from it: do not pass `y` or `sample_weight`.")
        return IteratorData(model, x, steps_per_epoch, class_weight)
    xs, structure = flatten_x(model, x)
    ys = flatten_y(model, y)
    sws = None
    if sample_weight is not None:
        sws = flatten_sample_weights(model, sample_weight, len(ys) if ys else 1)
    if class_weight is not None and ys is not None and len(ys) > 1:
        raise ValueError("`class_weight` is only supported for models with a single output.")
    data = ArrayData(xs, ys, sws, batch_size or 32, shuffle, class_weight, steps_per_epoch)
    data.structure = structure
    return data

