"""Builds tensorlet/keras/datasets/digits.npz, the bundled 8x8 handwritten digits.

Run once, on a machine with scikit-learn installed (tensorlet itself never imports
it):

    python tools/make_digits_npz.py [output.npz]

The source is scikit-learn's copy of the UCI "Optical Recognition of Handwritten
Digits" test set: 1,797 images of 8x8 pixels with integer values 0-16, labels 0-9
(Alpaydin & Kaynak, 1998; https://doi.org/10.24432/C50P49; CC BY 4.0). The script
stores them as uint8 and fixes the train/test split once, here, so the loader only
reads arrays: `np.random.RandomState(113).permutation(1797)`, the first 1,437
indices for training and the last 360 for testing.
"""

import os
import sys
import tempfile

import numpy as np
from sklearn.datasets import load_digits

SEED = 113
TRAIN_SIZE = 1437
DEFAULT_OUTPUT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    "tensorlet",
    "keras",
    "datasets",
    "digits.npz",
)


def build_arrays():
    """Returns `{x_train, y_train, x_test, y_test}` as uint8 arrays."""
    digits = load_digits()
    images, labels = digits.images, digits.target
    if images.shape != (1797, 8, 8) or np.any(images != np.round(images)):
        raise ValueError(f"Unexpected digits images: shape {images.shape}, non-integer values.")
    if images.min() < 0 or images.max() > 16 or set(np.unique(labels)) != set(range(10)):
        raise ValueError("Unexpected digits values: pixels outside 0-16 or labels not 0-9.")
    order = np.random.RandomState(SEED).permutation(len(images))
    train, test = order[:TRAIN_SIZE], order[TRAIN_SIZE:]
    x, y = images.astype(np.uint8), labels.astype(np.uint8)
    return {"x_train": x[train], "y_train": y[train], "x_test": x[test], "y_test": y[test]}


def main(output):
    """Writes the arrays to `output` atomically (temporary file, then rename)."""
    arrays = build_arrays()
    directory = os.path.dirname(os.path.abspath(output))
    handle, temporary = tempfile.mkstemp(suffix=".npz", dir=directory)
    os.close(handle)
    try:
        np.savez_compressed(temporary, **arrays)
        os.chmod(temporary, 0o644)  # mkstemp creates 0600; package data must be readable
        os.replace(temporary, output)
    except BaseException:
        os.remove(temporary)
        raise
    sizes = ", ".join(f"{name} {array.shape}" for name, array in arrays.items())
    print(f"Wrote {output}: {sizes}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUTPUT)
