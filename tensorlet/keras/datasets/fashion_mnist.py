"""Fashion-MNIST: 60,000 training and 10,000 test images of clothing, 28x28 grey.

Same files (the four gzipped IDX files), origin, hashes, shapes and dtypes as
`keras.datasets.fashion_mnist`; the IDX files are parsed with `struct`.

Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt,
7 Sneaker, 8 Bag, 9 Ankle boot.

License: the copyright for Fashion-MNIST is held by Zalando SE; it is released under
the MIT license (https://github.com/zalandoresearch/fashion-mnist/blob/master/LICENSE).
"""

import os

from tensorlet.keras.datasets._formats import read_idx_gz
from tensorlet.keras.utils.file_utils import get_file

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILE_HASHES = {
    "train-labels-idx1-ubyte.gz":
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz":
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz":
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz":
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}


def load_data():
    """Loads Fashion-MNIST, downloading it to the cache on first use.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape
        `(60000, 28, 28)` and `(10000, 28, 28)`, and uint8 labels 0-9 of shape
        `(60000,)` and `(10000,)`.

    Raises:
        ValueError: if a file is not a valid IDX file or images and labels disagree
            in number.
    """
    (x_train, y_train) = _load_split("train")
    (x_test, y_test) = _load_split("t10k")
    return (x_train, y_train), (x_test, y_test)


def _load_split(prefix):
    """Reads one split's labels and images, checking that their counts agree."""
    labels = read_idx_gz(_fetch(f"{prefix}-labels-idx1-ubyte.gz"), expected_ndim=1)
    images = read_idx_gz(_fetch(f"{prefix}-images-idx3-ubyte.gz"), expected_ndim=3)
    if len(images) != len(labels):
        raise ValueError(
            f"Fashion-MNIST {prefix} files disagree: {len(images)} images but {len(labels)} labels."
        )
    return images, labels


def _fetch(fname):
    return get_file(
        fname,
        origin=ORIGIN_FOLDER + fname,
        cache_subdir=os.path.join("datasets", "fashion-mnist"),
        file_hash=FILE_HASHES[fname],
    )
