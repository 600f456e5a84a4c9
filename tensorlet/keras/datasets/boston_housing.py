"""Boston housing prices: 506 samples of 13 attributes, regression target in k$.

Same file, origin, hash, options and split as `keras.datasets.boston_housing`,
read with `allow_pickle=False`. Source: the StatLib library at Carnegie Mellon
University (http://lib.stat.cmu.edu/datasets/boston).

Warning (from Keras): this dataset has an ethical problem: its authors included a
variable, "B", that may appear to assume that racial self-segregation influences
house prices. Its use is discouraged except to illustrate ethical issues in data
science and machine learning.
"""

import numpy as np

from tensorlet.keras.datasets._splits import check_test_split, shuffle_and_split
from tensorlet.keras.utils.file_utils import get_file

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads the Boston housing data, downloading it to the cache on first use.

    Args:
        path: file name of the cached copy under `~/.tensorlet/datasets`.
        test_split: fraction in `[0, 1)` of the samples kept for the test set.
        seed: seed of the shuffle applied before splitting.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float64 arrays of shape
        `(num_samples, 13)` and float64 targets of shape `(num_samples,)`; with the
        defaults, 404 training and 102 test samples.

    Raises:
        ValueError: if `test_split` is not in `[0, 1)`.
    """
    check_test_split(test_split)
    path = get_file(path, origin=ORIGIN_FOLDER + "boston_housing.npz", file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as archive:
        x, y = archive["x"], archive["y"]
    return shuffle_and_split(x, y, test_split, seed)
