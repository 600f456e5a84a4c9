"""Reuters newswires labelled over 46 topics: 11,228 texts, split train/test on load.

Each newswire is a list of word indices, a word's index being its frequency rank.
Same files, origins, hashes, options and results as `keras.datasets.reuters`. The
`.npz` stores the texts as NumPy object arrays, read with a restricted unpickler
that can rebuild NumPy arrays and nothing else (see `_formats`).
"""

import numpy as np

from tensorlet.keras.datasets import _word_sequences as words
from tensorlet.keras.datasets._formats import load_npz
from tensorlet.keras.datasets._splits import check_test_split, shuffled, train_size
from tensorlet.keras.utils.file_utils import get_file

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"  # md5, as Keras records it

_LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing",
    "money-supply", "coffee", "sugar", "trade", "reserves", "ship", "cotton",
    "carcass", "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp", "meal-feed",
    "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi",
    "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange",
    "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)  # fmt: skip


def load_data(
    path="reuters.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    test_split=0.2,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    """Loads the Reuters newswires, downloading them to the cache on first use.

    Args:
        path: file name of the cached copy under `~/.tensorlet/datasets`.
        num_words, skip_top, maxlen, start_char, oov_char, index_from: as in
            `tensorlet.keras.datasets.imdb.load_data`.
        test_split: fraction in `[0, 1)` of the (shuffled, filtered) texts that
            form the test set.
        seed: seed of the shuffle applied before splitting.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: 1-D object arrays of lists of int
        word indices, and int topic labels 0-45 (see `get_label_names`).

    Raises:
        ValueError: for invalid options, or a `maxlen` that keeps no text.
    """
    words.check_options(num_words, skip_top, maxlen, start_char, oov_char, index_from)
    check_test_split(test_split)
    path = get_file(fname=path, origin=ORIGIN_FOLDER + "reuters.npz", file_hash=FILE_HASH)
    arrays = load_npz(path)
    texts, labels = shuffled(np.random.RandomState(seed), arrays["x"], arrays["y"])

    texts = words.shift_indices(texts, start_char, index_from)
    texts, labels = words.drop_long(maxlen, texts, labels)
    if not texts:
        raise ValueError(
            f"No sequence is shorter than maxlen={maxlen}, so none was kept. Increase maxlen."
        )
    texts = words.limit_vocabulary(texts, num_words, skip_top, oov_char)

    cut = train_size(len(texts), test_split)
    return (
        (words.object_array(texts[:cut]), np.array(labels[:cut])),
        (words.object_array(texts[cut:]), np.array(labels[cut:])),
    )


def get_word_index(path="reuters_word_index.json"):
    """Returns the dict mapping each word to its frequency rank (1 = most frequent).

    Indices in `load_data`'s sequences are these ranks plus `index_from` (3 by
    default: 0 is padding, 1 the start mark, 2 out-of-vocabulary).
    """
    return words.load_word_index(path, ORIGIN_FOLDER + "reuters_word_index.json", WORD_INDEX_HASH)


def get_label_names():
    """Returns the 46 topic names, position `i` naming label `i`."""
    return _LABEL_NAMES
