"""Reads one batch file of the CIFAR-10 / CIFAR-100 "python version" archives.

Each batch is a Python 2 pickle of a dict with bytes keys: `b"data"`, a uint8 array
of shape `(n, 3072)` (the red, green and blue 32x32 planes of each image), and the
labels under `b"labels"` (CIFAR-10) or `b"fine_labels"` / `b"coarse_labels"`
(CIFAR-100). It is read with the restricted unpickler of `_formats`, never with
`pickle.load`.
"""

import numpy as np

from tensorlet.keras.datasets._formats import load_pickle


def load_batch(path, label_key="labels"):
    """Returns `(images, labels)`: uint8 `(n, 3, 32, 32)` and a list of n ints.

    Raises:
        ValueError: if the file lacks `data` or `label_key`, or their sizes are wrong.
    """
    batch = load_pickle(path)
    if not isinstance(batch, dict):
        # A malformed file, not a wrongly typed argument: ValueError, like the rest.
        raise ValueError(  # noqa: TRY004
            f"{path} holds a {type(batch).__name__}, not a CIFAR batch dict."
        )
    batch = {_as_text(key): value for key, value in batch.items()}
    for key in ("data", label_key):
        if key not in batch:
            raise ValueError(f"{path} has no '{key}' entry; found {sorted(batch)}.")
    data, labels = batch["data"], list(batch[label_key])
    if (
        not isinstance(data, np.ndarray)
        or data.dtype != np.uint8
        or data.ndim != 2
        or data.shape[1] != 3 * 32 * 32
    ):
        raise ValueError(
            f"{path}: 'data' should be a uint8 array of shape (n, 3072); found "
            f"{getattr(data, 'dtype', type(data).__name__)} {getattr(data, 'shape', '')}."
        )
    if len(labels) != len(data):
        raise ValueError(f"{path} has {len(data)} images but {len(labels)} '{label_key}' labels.")
    return data.reshape(len(data), 3, 32, 32), labels


def _as_text(key):
    return key.decode("utf-8") if isinstance(key, bytes) else key
