"""California housing prices: 20,640 districts of the 1990 US census, 8 features each.

Same file, origin, hash, options and split as `keras.datasets.california_housing`,
read with `allow_pickle=False`. Source: the StatLib repository
(https://www.dcc.fc.up.pt/~ltorgo/Regression/cal_housing.html).

Features: MedInc, HouseAge, AveRooms, AveBedrms, Population, AveOccup, Latitude,
Longitude; the target is the median house value in dollars.
"""

import numpy as np

from tensorlet.keras.datasets._splits import check_test_split, shuffle_and_split
from tensorlet.keras.utils.file_utils import get_file

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"

# The "small" version: the first 600 samples, a stand-in for Boston housing.
SMALL_VERSION_SIZE = 600


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Loads the California housing data, downloading it to the cache on first use.

    Args:
        version: `"large"` for all 20,640 samples or `"small"` for the first 600.
        path: file name of the cached copy under `~/.tensorlet/datasets`.
        test_split: fraction in `[0, 1)` of the samples kept for the test set.
        seed: seed of the shuffle applied before splitting.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: arrays of shape `(num_samples, 8)`
        and targets of shape `(num_samples,)`, in the file's dtypes.

    Raises:
        ValueError: for an unknown `version` or a `test_split` outside `[0, 1)`.
    """
    if version not in ("large", "small"):
        raise ValueError(
            f"`version` must be one of 'small', 'large'. Received: version={version!r}"
        )
    check_test_split(test_split)
    path = get_file(path, origin=ORIGIN_FOLDER + "california_housing.npz", file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as archive:
        x, y = archive["x"], archive["y"]
    if version == "small":
        x, y = x[:SMALL_VERSION_SIZE], y[:SMALL_VERSION_SIZE]
    return shuffle_and_split(x, y, test_split, seed)
