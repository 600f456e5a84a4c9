"""The word-index preprocessing that the IMDB and Reuters loaders share.

Both datasets store each text as a list of word ranks (1 = most frequent word). The
loaders shuffle, shift ranks by `index_from` (reserving 0 for padding, `start_char`
and `oov_char`), drop texts of `maxlen` words or more, and replace ranks outside
`[skip_top, num_words)` by `oov_char`, with the same results as Keras 3, including
two of its quirks that users' numbers depend on:
- `maxlen` keeps only sequences *shorter* than `maxlen` (counting `start_char`);
- without `num_words`, the limit is the largest index present, so that one index
  itself becomes `oov_char`.
"""

import json
import numbers

import numpy as np

from tensorlet.keras.utils.file_utils import get_file


def check_options(num_words, skip_top, maxlen, start_char, oov_char, index_from):
    """Raises ValueError for options Keras would misuse silently or crash on."""
    for name, value, allow_none in (
        ("num_words", num_words, True),
        ("skip_top", skip_top, False),
        ("maxlen", maxlen, True),
        ("start_char", start_char, True),
        ("oov_char", oov_char, True),
        ("index_from", index_from, False),
    ):
        if value is None and allow_none:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            expected = "None or a non-negative integer" if allow_none else "a non-negative integer"
            raise ValueError(f"`{name}` must be {expected}. Received: {name}={value!r}")


def shift_indices(sequences, start_char, index_from):
    """Adds `index_from` to every rank and prepends `start_char` when it is given."""
    head = [] if start_char is None else [start_char]
    return [head + [int(word) + index_from for word in sequence] for sequence in sequences]


def drop_long(maxlen, sequences, labels):
    """Keeps the sequences shorter than `maxlen` (all of them when `maxlen` is falsy)."""
    if not maxlen:
        return list(sequences), list(labels)
    kept = [
        (sequence, label) for sequence, label in zip(sequences, labels) if len(sequence) < maxlen
    ]
    return [sequence for sequence, _ in kept], [label for _, label in kept]


def limit_vocabulary(sequences, num_words, skip_top, oov_char):
    """Maps indices outside `[skip_top, num_words)` to `oov_char` (or drops them)."""
    if not num_words:
        num_words = max((max(sequence) for sequence in sequences if sequence), default=0)
    if oov_char is not None:
        return [
            [word if skip_top <= word < num_words else oov_char for word in sequence]
            for sequence in sequences
        ]
    return [[word for word in sequence if skip_top <= word < num_words] for sequence in sequences]


def object_array(sequences):
    """A 1-D object array of lists (never a 2-D array, even if all lengths agree)."""
    array = np.empty(len(sequences), dtype=object)
    for position, sequence in enumerate(sequences):
        array[position] = sequence
    return array


def load_word_index(fname, origin, file_hash):
    """The word -> frequency rank dict of a JSON word index, downloaded on first use."""
    path = get_file(fname=fname, origin=origin, file_hash=file_hash)
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
