"""CIFAR-10: 50,000 training and 10,000 test colour images, 32x32, in 10 classes.

Same archive (the "python version" tarball from the CIFAR homepage), hash, shapes
and dtypes as `keras.datasets.cifar10`, channels last. The batches are Python
pickles, read with a restricted unpickler that can only rebuild NumPy arrays and
plain containers (see `_formats`).

Labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse,
8 ship, 9 truck. More at https://www.cs.toronto.edu/~kriz/cifar.html.
"""

import os

import numpy as np

from tensorlet.keras.datasets._cifar import load_batch
from tensorlet.keras.utils.file_utils import get_file

ORIGIN_FOLDER = "https://www.cs.toronto.edu/~kriz/"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data():
    """Loads CIFAR-10, downloading and extracting it to the cache on first use.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape
        `(50000, 32, 32, 3)` and `(10000, 32, 32, 3)` with values 0-255, and uint8
        labels 0-9 of shape `(50000, 1)` and `(10000, 1)`.
    """
    path = get_file(
        fname="cifar-10-batches-py-target",
        origin=ORIGIN_FOLDER + "cifar-10-python.tar.gz",
        extract=True,
        file_hash=FILE_HASH,
    )
    path = os.path.join(path, "cifar-10-batches-py")
    train = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([images for images, _ in train])
    y_train = np.concatenate([labels for _, labels in train]).astype(np.uint8)
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    y_test = np.asarray(y_test).astype(np.uint8)
    return (
        (x_train.transpose(0, 2, 3, 1), y_train.reshape(-1, 1)),
        (x_test.transpose(0, 2, 3, 1), y_test.reshape(-1, 1)),
    )
