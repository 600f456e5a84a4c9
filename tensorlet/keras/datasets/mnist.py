"""MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 grey.

Same file, origin, hash, shapes and dtypes as `keras.datasets.mnist`. The archive
holds plain uint8 arrays, so it is read with `allow_pickle=False`.

License: Yann LeCun and Corinna Cortes hold the copyright of MNIST, a derivative work
of the NIST datasets, made available under the Creative Commons
Attribution-Share Alike 3.0 license (https://creativecommons.org/licenses/by-sa/3.0/).
"""

import numpy as np

from tensorlet.keras.utils.file_utils import get_file

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz"):
    """Loads MNIST, downloading it to the cache on first use.

    Args:
        path: file name of the cached copy under `~/.tensorlet/datasets`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape
        `(60000, 28, 28)` and `(10000, 28, 28)` with values 0-255, and uint8 labels
        0-9 of shape `(60000,)` and `(10000,)`.
    """
    path = get_file(fname=path, origin=ORIGIN_FOLDER + "mnist.npz", file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as archive:
        return (archive["x_train"], archive["y_train"]), (archive["x_test"], archive["y_test"])
