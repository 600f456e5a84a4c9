"""CIFAR-100: 50,000 training and 10,000 test colour images, 32x32, in 100 classes.

The 100 fine classes are grouped into 20 coarse superclasses. Same archive, hash,
shapes and dtypes as `keras.datasets.cifar100`, channels last; the labels are int64,
as Keras returns them (its documentation says uint8, its code gives int64). The
batches are read with the restricted unpickler of `_formats`.
More at https://www.cs.toronto.edu/~kriz/cifar.html.
"""

import os

import numpy as np

from tensorlet.keras.datasets._cifar import load_batch
from tensorlet.keras.utils.file_utils import get_file

ORIGIN_FOLDER = "https://www.cs.toronto.edu/~kriz/"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode="fine"):
    """Loads CIFAR-100, downloading and extracting it to the cache on first use.

    Args:
        label_mode: `"fine"` for the 100 classes or `"coarse"` for the 20
            superclasses.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape
        `(50000, 32, 32, 3)` and `(10000, 32, 32, 3)`, and int64 labels of shape
        `(50000, 1)` and `(10000, 1)`.

    Raises:
        ValueError: if `label_mode` is neither `"fine"` nor `"coarse"`.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            f'`label_mode` must be one of "fine", "coarse". Received: label_mode={label_mode!r}'
        )
    path = get_file(
        fname="cifar-100-python-target",
        origin=ORIGIN_FOLDER + "cifar-100-python.tar.gz",
        extract=True,
        file_hash=FILE_HASH,
    )
    path = os.path.join(path, "cifar-100-python")
    splits = []
    for name in ("train", "test"):
        images, labels = load_batch(os.path.join(path, name), label_key=label_mode + "_labels")
        splits.append(
            (images.transpose(0, 2, 3, 1), np.asarray(labels, dtype=np.int64).reshape(-1, 1))
        )
    return splits[0], splits[1]
