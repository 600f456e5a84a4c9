"""Small 8x8 handwritten digits, bundled with tensorlet: no download needed.

1,797 images of the digits 0-9, each 8x8 pixels holding integers 0-16 (the number
of "on" pixels in a 4x4 block of the original 32x32 bitmap). A quick dataset for
examples and tests that must run offline; Keras has no equivalent.

Source and license: the test set of "Optical Recognition of Handwritten Digits"
(E. Alpaydin and C. Kaynak, 1998), UCI Machine Learning Repository,
https://doi.org/10.24432/C50P49, under CC BY 4.0 (see DIGITS_LICENSE.txt beside this
module). `tools/make_digits_npz.py` built `digits.npz` from scikit-learn's copy and
fixed the split: `np.random.RandomState(113).permutation(1797)`, the first 1,437
indices for training, the last 360 for testing.
"""

import os

import numpy as np

DATA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits.npz")


def load_data():
    """Loads the bundled digits with their fixed train/test split.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape
        `(1437, 8, 8)` and `(360, 8, 8)` with values 0-16, and uint8 labels 0-9 of
        shape `(1437,)` and `(360,)`.

    Raises:
        FileNotFoundError: if `digits.npz` was not installed with the package.
    """
    if not os.path.exists(DATA_FILE):
        raise FileNotFoundError(
            f"The bundled digits data is missing: expected {DATA_FILE}. Reinstall "
            "tensorlet, or rebuild the file with tools/make_digits_npz.py."
        )
    with np.load(DATA_FILE, allow_pickle=False) as archive:
        return (archive["x_train"], archive["y_train"]), (archive["x_test"], archive["y_test"])
