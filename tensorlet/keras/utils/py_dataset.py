"""`keras.utils.PyDataset` (and its old name `Sequence`): batches by index, for `fit`.

Subclass it, implement `__len__` (number of batches) and `__getitem__(index)` returning a batch
`(x,)`, `(x, y)` or `(x, y, sample_weight)`; `fit` calls `on_epoch_end()` after each epoch.
`workers`, `use_multiprocessing` and `max_queue_size` are accepted for compatibility; batches
are produced in the training thread, in order.
"""


class PyDataset:
    """Base class for datasets that produce whole batches by index."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        return getattr(self, "_workers", 1)

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", False)

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", 10)

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    @property
    def num_batches(self):
        return len(self)

    def on_epoch_begin(self):
        """Called at the start of every epoch."""

    def on_epoch_end(self):
        """Called at the end of every epoch (e.g. to shuffle)."""


Sequence = PyDataset
