"""Array helpers for labels and feature vectors: `to_categorical` and `normalize`.

Both work on NumPy arrays (or anything `np.asarray` accepts) and return NumPy arrays,
with the names, defaults and results of `keras.utils.to_categorical` and
`keras.utils.normalize` in Keras 3. Where Keras would silently produce a wrong
answer (negative labels wrapping around, `axis=0` being treated as `-1`), these raise
or do the right thing instead.
"""

import numbers

import numpy as np


def to_categorical(x, num_classes=None):
    """Converts a vector of integer class labels to a one-hot matrix.

    Args:
        x: array-like of integer labels in `[0, num_classes)`, of any shape. Float
            arrays are accepted when every value is a whole number.
        num_classes: total number of classes; `None` infers `max(x) + 1`.

    Returns:
        A float64 NumPy array of shape `x.shape + (num_classes,)`, except that a
        trailing dimension of size 1 in `x` (labels shaped `(n, 1)`, as
        `cifar10.load_data` returns them) is dropped first, as Keras does.

    Raises:
        ValueError: for non-integral or negative labels, labels `>= num_classes`, a
            non-positive `num_classes`, or an empty `x` without `num_classes`.
    """
    labels = _integer_labels(x)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = labels.reshape(-1)

    if num_classes is None:
        if flat.size == 0:
            raise ValueError(
                "to_categorical cannot infer `num_classes` from an empty `x`; "
                "pass num_classes explicitly."
            )
        num_classes = int(flat.max()) + 1
    elif (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, numbers.Integral)
        or num_classes <= 0
    ):
        raise ValueError(
            f"`num_classes` must be a positive integer or None. Received: "
            f"num_classes={num_classes!r}"
        )
    num_classes = int(num_classes)

    if flat.size:
        low, high = int(flat.min()), int(flat.max())
        if low < 0:
            raise ValueError(
                f"to_categorical expects labels in [0, {num_classes}); received a "
                f"negative label {low}."
            )
        if high >= num_classes:
            raise ValueError(
                f"to_categorical expects labels in [0, {num_classes}) for "
                f"num_classes={num_classes}; received label {high}."
            )

    categorical = np.zeros((flat.size, num_classes), dtype=np.float64)
    categorical[np.arange(flat.size), flat] = 1.0
    return categorical.reshape(shape + (num_classes,))


def _integer_labels(x):
    """Returns `x` as an int64 array, refusing values that are not whole numbers.

    Keras casts with `np.array(x, dtype="int64")`, which truncates 2.7 to 2 without
    a word; a label that is not a whole number is almost always a bug upstream.
    """
    array = np.asarray(x)
    if array.dtype == np.bool_ or np.issubdtype(array.dtype, np.integer):
        return array.astype(np.int64)
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise ValueError(
                "to_categorical expects integer class labels; received "
                f"non-integral values in an array of dtype {array.dtype}."
            )
        return array.astype(np.int64)
    raise ValueError(
        f"to_categorical expects integer class labels; received an array of dtype {array.dtype}."
    )


def normalize(x, axis=-1, order=2):
    """Scales `x` so that its `order`-norm along `axis` is 1.

    Slices whose norm is 0 are left unchanged (their norm is treated as 1), as
    Keras does.

    Args:
        x: array-like to normalise.
        axis: integer axis along which the norm is taken. Defaults to `-1`.
        order: normalisation order passed to `np.linalg.norm` (e.g. `2` for the L2
            norm, `1` for L1, `np.inf` for the max norm). Defaults to `2`.

    Returns:
        A normalised copy of `x` as a NumPy array. Float inputs keep their dtype;
        integer inputs give float64, following NumPy's division.

    Raises:
        TypeError: if `axis` is not an integer or `order` is not a number.
        ValueError: if `axis` is out of range for `x`.
    """
    array = np.asarray(x)
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"`axis` must be an integer. Received: axis={axis!r}")
    if not -array.ndim <= axis < array.ndim:
        raise ValueError(
            f"`axis` {axis} is out of range for an input of rank {array.ndim} "
            f"(shape {array.shape})."
        )
    if isinstance(order, bool) or not isinstance(order, numbers.Real):
        raise TypeError(f"`order` must be a number. Received: order={order!r}")
    norm = np.linalg.norm(array, ord=order, axis=axis, keepdims=True)
    norm[norm == 0] = 1
    return array / norm
