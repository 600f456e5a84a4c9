"""Keras utilities: label encoding, sequence padding, progress bars, downloads."""

from tensorlet.keras.utils.file_utils import get_file as get_file
from tensorlet.keras.utils.numerical import normalize as normalize
from tensorlet.keras.utils.numerical import to_categorical as to_categorical
from tensorlet.keras.utils.progbar import Progbar as Progbar
from tensorlet.keras.utils.sequence_utils import pad_sequences as pad_sequences
from tensorlet.keras.utils.random_seed import set_random_seed as set_random_seed
from tensorlet.keras.utils.py_dataset import PyDataset as PyDataset
from tensorlet.keras.utils.py_dataset import Sequence as Sequence
