"""IMDB movie reviews labelled by sentiment: 25,000 for training, 25,000 for testing.

Each review is a list of word indices, a word's index being its frequency rank
(index 1 is the most frequent word). Same files, origins, hashes, options and results
as `keras.datasets.imdb`. The `.npz` stores the reviews as NumPy object arrays, which
only a pickle stream can hold; they are read with a restricted unpickler that can
rebuild NumPy arrays and nothing else, never with `allow_pickle=True`.
Source: https://ai.stanford.edu/~amaas/data/sentiment/
"""

import numpy as np

from tensorlet.keras.datasets import _word_sequences as words
from tensorlet.keras.datasets._formats import load_npz
from tensorlet.keras.datasets._splits import shuffled
from tensorlet.keras.utils.file_utils import get_file

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"  # md5, as Keras records it


def load_data(
    path="imdb.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    """Loads the IMDB reviews, downloading them to the cache on first use.

    Args:
        path: file name of the cached copy under `~/.tensorlet/datasets`.
        num_words: keep only the `num_words` most frequent words (by shifted
            index); others become `oov_char`. `None` keeps all words.
        skip_top: indices below `skip_top` (shifted) become `oov_char`.
        maxlen: keep only reviews shorter than `maxlen` (counting `start_char`);
            `None` keeps all.
        seed: seed of the shuffle applied to each split.
        start_char: index prepended to every review; `None` prepends nothing.
        oov_char: index replacing filtered-out words; `None` removes them instead.
        index_from: offset added to every word index (indices below it are
            reserved for padding, start and out-of-vocabulary marks).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: 1-D object arrays of lists of int
        word indices, and the int labels (0 negative, 1 positive) as arrays.

    Raises:
        ValueError: for negative or non-integer options, or a `maxlen` that keeps no
            review in a split.
    """
    words.check_options(num_words, skip_top, maxlen, start_char, oov_char, index_from)
    path = get_file(fname=path, origin=ORIGIN_FOLDER + "imdb.npz", file_hash=FILE_HASH)
    arrays = load_npz(path)
    rng = np.random.RandomState(seed)
    x_train, labels_train = shuffled(rng, arrays["x_train"], arrays["y_train"])
    x_test, labels_test = shuffled(rng, arrays["x_test"], arrays["y_test"])

    x_train = words.shift_indices(x_train, start_char, index_from)
    x_test = words.shift_indices(x_test, start_char, index_from)
    x_train, labels_train = words.drop_long(maxlen, x_train, labels_train)
    x_test, labels_test = words.drop_long(maxlen, x_test, labels_test)
    if not x_train or not x_test:
        raise ValueError(
            f"After keeping only the sequences shorter than maxlen={maxlen}, a split is "
            "empty. Increase maxlen."
        )

    sequences = words.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    cut = len(x_train)
    return (
        (words.object_array(sequences[:cut]), labels[:cut]),
        (words.object_array(sequences[cut:]), labels[cut:]),
    )


def get_word_index(path="imdb_word_index.json"):
    """Returns the dict mapping each word to its frequency rank (1 = most frequent).

    Indices in `load_data`'s sequences are these ranks plus `index_from`.
    """
    return words.load_word_index(path, ORIGIN_FOLDER + "imdb_word_index.json", WORD_INDEX_HASH)
