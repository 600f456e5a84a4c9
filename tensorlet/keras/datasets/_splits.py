"""Seeded shuffling and train/test splitting for the datasets that ship unsplit."""

import numbers

import numpy as np


def check_test_split(test_split):
    """Raises ValueError unless `0 <= test_split < 1`."""
    if (
        isinstance(test_split, bool)
        or not isinstance(test_split, numbers.Real)
        or not 0 <= test_split < 1
    ):
        raise ValueError(
            f"`test_split` must be a number in [0, 1). Received: test_split={test_split!r}"
        )


def train_size(count, test_split):
    """How many of `count` samples go to the training set (Keras's rounding down)."""
    return int(count * (1 - test_split))


def shuffled(rng, *arrays):
    """Applies one permutation drawn from `rng` (a `RandomState`) to every array."""
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return tuple(array[indices] for array in arrays)


def shuffle_and_split(x, y, test_split, seed):
    """Shuffles `x` and `y` with `np.random.RandomState(seed)`, then splits them.

    Returns `(x_train, y_train), (x_test, y_test)`, the first
    `int(len(x) * (1 - test_split))` shuffled samples forming the training set, as
    Keras's Boston and California housing loaders do.
    """
    check_test_split(test_split)
    x, y = shuffled(np.random.RandomState(seed), x, y)
    cut = train_size(len(x), test_split)
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
