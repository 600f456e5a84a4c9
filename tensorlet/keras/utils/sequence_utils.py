"""`pad_sequences`: turns a list of variable-length sequences into one 2-D array.

Same name, defaults and results as `keras.utils.pad_sequences` in Keras 3 (also known
as `keras.preprocessing.sequence.pad_sequences`). Arguments are checked before any
work is done, so a bad `padding` or `truncating` fails even when every sequence is
empty, and `maxlen=0` gives empty rows rather than Keras's untruncated ones.
"""

import numbers

import numpy as np

_SIDES = ("pre", "post")


def pad_sequences(
    sequences,
    maxlen=None,
    dtype="int32",
    padding="pre",
    truncating="pre",
    value=0.0,
):
    """Pads (and truncates) sequences to a common length.

    Args:
        sequences: a sized collection (list, tuple, array) of sequences; each
            sequence is a list or array whose items are scalars or arrays of one
            common shape.
        maxlen: length of every output row; `None` uses the longest sequence.
        dtype: dtype of the output. Use `object` (or a string dtype) to pad
            sequences of strings.
        padding: `"pre"` or `"post"`: add the padding before or after each sequence.
        truncating: `"pre"` or `"post"`: drop items from the beginning or the end
            of sequences longer than `maxlen`.
        value: the padding value.

    Returns:
        A NumPy array of shape `(len(sequences), maxlen) + item_shape`.

    Raises:
        ValueError: if `sequences` is not sized or holds a non-sequence, if
            `padding`, `truncating` or `maxlen` is invalid, if a string `value` is
            used with a non-string dtype, or if items' shapes differ.
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(
            "`sequences` must be a list (or other sized collection) of sequences. "
            f"Received an object of type {type(sequences).__name__}."
        )
    for name, side in (("padding", padding), ("truncating", truncating)):
        if side not in _SIDES:
            raise ValueError(f'`{name}` must be "pre" or "post". Received: {name}={side!r}')
    if maxlen is not None and (
        isinstance(maxlen, bool) or not isinstance(maxlen, numbers.Integral) or maxlen < 0
    ):
        raise ValueError(
            f"`maxlen` must be None or a non-negative integer. Received: maxlen={maxlen!r}"
        )
    # Object, str and bytes dtypes (kinds O, U, S) can hold a string padding value.
    if isinstance(value, str) and np.dtype(dtype).kind not in "OUS":
        raise ValueError(
            f"`dtype` {dtype} is not compatible with the string padding value {value!r}; "
            "use dtype=object for variable-length strings."
        )

    lengths, item_shape = _lengths_and_item_shape(sequences)
    if maxlen is None:
        maxlen = max(lengths, default=0)
    maxlen = int(maxlen)

    padded = np.full((len(sequences), maxlen) + item_shape, value, dtype=dtype)
    if maxlen == 0:
        return padded
    for row, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != item_shape:
            raise ValueError(
                f"Items of the sequence at position {row} have shape {kept.shape[1:]}; "
                f"expected {item_shape} (the shape of the first non-empty sequence's items)."
            )
        if padding == "post":
            padded[row, : len(kept)] = kept
        else:
            padded[row, -len(kept) :] = kept
    return padded


def _lengths_and_item_shape(sequences):
    """Returns each sequence's length and the item shape of the first non-empty one."""
    lengths = []
    item_shape = None
    for position, sequence in enumerate(sequences):
        try:
            lengths.append(len(sequence))
        except TypeError as error:
            raise ValueError(
                "`sequences` must be a list of sequences; the item at position "
                f"{position} is not one: {sequence!r}"
            ) from error
        if item_shape is None and len(sequence):
            item_shape = np.asarray(sequence).shape[1:]
    return lengths, item_shape or ()
