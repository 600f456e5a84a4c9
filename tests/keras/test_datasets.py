"""Tests of tensorlet.keras.datasets: every loader end to end on tiny files.

Each test writes small files in the dataset's real format (npz, gzipped IDX,
Python 2 CIFAR pickles in a tar.gz, JSON word indices), serves them from a local
HTTP server, points the loader's ORIGIN_FOLDER and hash at them, and checks the
shapes, dtypes and values the loader returns. Nothing touches the internet.

The loaders shuffle with np.random.RandomState(seed) as Keras does. For the default
seed 113 that permutes arange(3) to [2, 0, 1] and then arange(2) to [1, 0] (IMDB's
train and test splits), arange(5) to [1, 0, 3, 2, 4] (Reuters) and arange(10) to
[9, 3, 6, 1, 0, 7, 4, 8, 2, 5] (Boston); `test_keras_shuffle_orders` pins these.
"""

import ast
import gzip
import hashlib
import importlib.util
import io
import json
import os
import pickle
import struct
import tarfile
from typing import ClassVar

import numpy as np
import pytest
from local_http_server import LocalFileServer, closed_port_url

from tensorlet.keras.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    digits,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

RECONSTRUCT = np.empty(0).__reduce__()[0]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def home(tmp_path, monkeypatch):
    path = tmp_path / "home"
    monkeypatch.setenv("TENSORLET_HOME", str(path))
    return path


@pytest.fixture
def publish(home, monkeypatch):
    """Serves files for a loader module and points its origin and hashes at them."""
    with LocalFileServer() as server:

        def serve(module, files, hash_attr="FILE_HASH"):
            server.files.update(files)
            monkeypatch.setattr(module, "ORIGIN_FOLDER", server.base_url)
            if hash_attr == "FILE_HASHES":
                monkeypatch.setattr(module, hash_attr, {n: sha256(d) for n, d in files.items()})
            elif hash_attr is not None:
                (data,) = files.values()
                monkeypatch.setattr(module, hash_attr, sha256(data))
            return server

        yield serve


def npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def object_array(lists):
    array = np.empty(len(lists), dtype=object)
    for position, item in enumerate(lists):
        array[position] = item
    return array


class Py2Pickler(pickle._Pickler):
    """Writes pickles as Python 2's cPickle did for the CIFAR files: byte strings
    (SHORT_BINSTRING / BINSTRING) for str and bytes, and NumPy 1 module paths."""

    def save_bytes_as_py2_str(self, obj):
        if isinstance(obj, str):
            obj = obj.encode("latin-1")
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    def save_global(self, obj, name=None):
        module = "numpy.core.multiarray" if obj is RECONSTRUCT else obj.__module__
        self.write(pickle.GLOBAL + f"{module}\n{obj.__name__}\n".encode())
        self.memoize(obj)

    dispatch: ClassVar[dict] = {
        **pickle._Pickler.dispatch,
        bytes: save_bytes_as_py2_str,
        str: save_bytes_as_py2_str,
    }


def py2_pickle(obj):
    buffer = io.BytesIO()
    Py2Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


def tar_gz(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def idx_gz(array, type_code=0x08):
    header = struct.pack(">HBB", 0, type_code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


class Evil:
    """Unpickling this runs a shell command: the restricted unpickler must refuse it."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_keras_shuffle_orders():
    def orders(seed, *sizes):
        rng = np.random.RandomState(seed)
        result = []
        for size in sizes:
            indices = np.arange(size)
            rng.shuffle(indices)
            result.append(indices.tolist())
        return result

    assert orders(113, 3, 2) == [[2, 0, 1], [1, 0]]
    assert orders(113, 5) == [[1, 0, 3, 2, 4]]
    assert orders(113, 10) == [[9, 3, 6, 1, 0, 7, 4, 8, 2, 5]]
    assert orders(7, 3, 2) == [[2, 1, 0], [1, 0]]


# --- MNIST: npz, checksum and offline errors ----------------------------------------

MNIST_ARRAYS = {
    "x_train": np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28),
    "y_train": np.array([5, 0, 4], dtype=np.uint8),
    "x_test": np.full((2, 28, 28), 7, dtype=np.uint8),
    "y_test": np.array([7, 2], dtype=np.uint8),
}


def test_mnist_downloads_and_parses(publish, home):
    publish(mnist, {"mnist.npz": npz_bytes(**MNIST_ARRAYS)})
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    for got, name in (
        (x_train, "x_train"),
        (y_train, "y_train"),
        (x_test, "x_test"),
        (y_test, "y_test"),
    ):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, MNIST_ARRAYS[name])
    assert (home / "datasets" / "mnist.npz").is_file()


def test_mnist_corrupt_download_is_rejected(publish, home):
    good = npz_bytes(**MNIST_ARRAYS)
    server = publish(mnist, {"mnist.npz": good})
    server.files["mnist.npz"] = good[:-10] + b"0123456789"
    with pytest.raises(ValueError, match="corrupted") as error:
        mnist.load_data()
    assert sha256(good) in str(error.value)
    assert not (home / "datasets" / "mnist.npz").exists()
    assert not (home / "datasets" / "mnist.npz.part").exists()


def test_mnist_offline_error_says_where_to_put_the_file(home, monkeypatch):
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", closed_port_url(""))
    with pytest.raises(OSError) as error:
        mnist.load_data()
    message = str(error.value)
    assert mnist.ORIGIN_FOLDER + "mnist.npz" in message
    assert str(home / "datasets" / "mnist.npz") in message
    assert mnist.FILE_HASH in message


# --- Fashion-MNIST: gzipped IDX ------------------------------------------------------

FASHION_IMAGES = np.random.RandomState(0).randint(0, 256, (3, 28, 28)).astype(np.uint8)


def fashion_files(**overrides):
    files = {
        "train-labels-idx1-ubyte.gz": idx_gz(np.array([9, 0])),
        "train-images-idx3-ubyte.gz": idx_gz(FASHION_IMAGES[:2]),
        "t10k-labels-idx1-ubyte.gz": idx_gz(np.array([3])),
        "t10k-images-idx3-ubyte.gz": idx_gz(FASHION_IMAGES[2:]),
    }
    files.update(overrides)
    return files


def test_fashion_mnist_parses_idx(publish, home):
    publish(fashion_mnist, fashion_files(), hash_attr="FILE_HASHES")
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (2, 28, 28) and x_test.shape == (1, 28, 28)
    assert x_train.dtype == y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, FASHION_IMAGES[:2])
    np.testing.assert_array_equal(x_test, FASHION_IMAGES[2:])
    assert y_train.tolist() == [9, 0] and y_test.tolist() == [3]
    assert x_train.flags.writeable
    assert (home / "datasets" / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz").is_file()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"t10k-labels-idx1-ubyte.gz": idx_gz(np.array([3, 4]))}, "1 images but 2 labels"),
        ({"t10k-labels-idx1-ubyte.gz": idx_gz(np.array([3]), type_code=0x0D)}, "magic number"),
        ({"t10k-labels-idx1-ubyte.gz": idx_gz(np.zeros((1, 1)))}, "rank-2 IDX array"),
    ],
)
def test_fashion_mnist_malformed_files(publish, override, message):
    files = fashion_files(**override)
    publish(fashion_mnist, files, hash_attr="FILE_HASHES")
    with pytest.raises(ValueError, match=message):
        fashion_mnist.load_data()


def test_idx_size_mismatch_is_reported(tmp_path):
    from tensorlet.keras.datasets._formats import read_idx_gz

    path = tmp_path / "short.gz"
    path.write_bytes(gzip.compress(struct.pack(">HBBII", 0, 8, 2, 2, 3) + b"\1" * 5))
    with pytest.raises(ValueError, match=r"declares shape \(2, 3\) \(6 values\) but holds 5"):
        read_idx_gz(path, expected_ndim=2)


# --- CIFAR-10 / CIFAR-100: Python 2 pickles in a tar.gz ---------------------------------


def cifar_batch(count, seed, **labels):
    data = np.random.RandomState(seed).randint(0, 256, (count, 3072)).astype(np.uint8)
    return data, {"batch_label": "batch", "data": data, **labels}


def test_cifar10_channels_last_and_labels(publish, home):
    members, datas = {}, []
    for i in range(1, 6):
        data, batch = cifar_batch(1, i, labels=[i])
        datas.append(data)
        members[f"cifar-10-batches-py/data_batch_{i}"] = py2_pickle(batch)
    test_data, test_batch = cifar_batch(2, 9, labels=[8, 0])
    members["cifar-10-batches-py/test_batch"] = py2_pickle(test_batch)
    publish(cifar10, {"cifar-10-python.tar.gz": tar_gz(members)})

    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (5, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    assert x_train.dtype == x_test.dtype == y_train.dtype == y_test.dtype == np.uint8
    assert y_train.tolist() == [[1], [2], [3], [4], [5]] and y_test.tolist() == [[8], [0]]
    # Pixel (row r, column c) of channel ch is data[ch * 1024 + r * 32 + c].
    assert x_train[2, 5, 7, 1] == datas[2][0, 1 * 1024 + 5 * 32 + 7]
    assert x_test[1, 31, 0, 2] == test_data[1, 2 * 1024 + 31 * 32 + 0]
    extracted = home / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    assert (extracted / "test_batch").is_file()


@pytest.mark.parametrize(
    ("label_mode", "train", "test"), [("fine", [10, 55, 99], [42]), ("coarse", [1, 2, 19], [0])]
)
def test_cifar100_label_modes(publish, label_mode, train, test):
    train_data, train_batch = cifar_batch(3, 1, fine_labels=[10, 55, 99], coarse_labels=[1, 2, 19])
    _, test_batch = cifar_batch(1, 2, fine_labels=[42], coarse_labels=[0])
    members = {
        "cifar-100-python/train": py2_pickle(train_batch),
        "cifar-100-python/test": py2_pickle(test_batch),
    }
    publish(cifar100, {"cifar-100-python.tar.gz": tar_gz(members)})
    (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode=label_mode)
    assert x_train.shape == (3, 32, 32, 3) and x_test.shape == (1, 32, 32, 3)
    assert y_train.dtype == np.int64 and y_train.shape == (3, 1)
    assert y_train.ravel().tolist() == train and y_test.ravel().tolist() == test
    assert x_train[0, 0, 1, 2] == train_data[0, 2 * 1024 + 1]


def test_cifar100_rejects_unknown_label_mode():
    with pytest.raises(ValueError, match='"fine", "coarse"'):
        cifar100.load_data(label_mode="medium")


def test_cifar_pickle_that_runs_code_is_refused(publish, home, tmp_path):
    marker = tmp_path / "pwned"
    members = {
        f"cifar-10-batches-py/data_batch_{i}": pickle.dumps(Evil(marker)) for i in range(1, 6)
    }
    members["cifar-10-batches-py/test_batch"] = pickle.dumps(Evil(marker))
    publish(cifar10, {"cifar-10-python.tar.gz": tar_gz(members)})
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load 'posix.system'"):
        cifar10.load_data()
    assert not marker.exists()


def test_cifar_batch_with_wrong_contents(publish):
    _, batch = cifar_batch(1, 0, labels=[1, 2])
    members = {f"cifar-10-batches-py/data_batch_{i}": py2_pickle(batch) for i in range(1, 6)}
    members["cifar-10-batches-py/test_batch"] = py2_pickle(batch)
    publish(cifar10, {"cifar-10-python.tar.gz": tar_gz(members)})
    with pytest.raises(ValueError, match="1 images but 2 'labels' labels"):
        cifar10.load_data()


# --- IMDB: object arrays of word ranks -------------------------------------------------

IMDB_TRAIN = [[1, 2, 3], [4, 5], [6]]
IMDB_TEST = [[2, 7], [1, 1, 1, 1]]


def imdb_npz():
    return npz_bytes(
        x_train=object_array(IMDB_TRAIN),
        y_train=np.array([1, 0, 1]),
        x_test=object_array(IMDB_TEST),
        y_test=np.array([0, 1]),
    )


@pytest.mark.parametrize(
    ("options", "x_train", "y_train", "x_test", "y_test"),
    [
        # Shifted by 3 with start 1: train [1,4,5,6] [1,7,8] [1,9], test [1,5,10]
        # [1,4,4,4,4]; num_words defaults to the largest index, 10, which becomes oov 2.
        ({}, [[1, 9], [1, 4, 5, 6], [1, 7, 8]], [1, 1, 0], [[1, 4, 4, 4, 4], [1, 5, 2]], [1, 0]),
        (
            {"seed": 7},
            [[1, 9], [1, 7, 8], [1, 4, 5, 6]],
            [1, 0, 1],
            [[1, 4, 4, 4, 4], [1, 5, 2]],
            [1, 0],
        ),
        (
            {"num_words": 6},
            [[1, 2], [1, 4, 5, 2], [1, 2, 2]],
            [1, 1, 0],
            [[1, 4, 4, 4, 4], [1, 5, 2]],
            [1, 0],
        ),
        (
            {"skip_top": 5},
            [[2, 9], [2, 2, 5, 6], [2, 7, 8]],
            [1, 1, 0],
            [[2, 2, 2, 2, 2], [2, 5, 2]],
            [1, 0],
        ),
        ({"maxlen": 4}, [[1, 9], [1, 7, 8]], [1, 0], [[1, 5, 2]], [0]),
        (
            {"start_char": None, "index_from": 0},
            [[6], [1, 2, 3], [4, 5]],
            [1, 1, 0],
            [[1, 1, 1, 1], [2, 2]],
            [1, 0],
        ),
        (
            {"oov_char": None, "num_words": 6},
            [[1], [1, 4, 5], [1]],
            [1, 1, 0],
            [[1, 4, 4, 4, 4], [1, 5]],
            [1, 0],
        ),
        (
            {"start_char": 5, "oov_char": 9, "index_from": 10, "num_words": 14},
            [[5, 9], [5, 11, 12, 13], [5, 9, 9]],
            [1, 1, 0],
            [[5, 11, 11, 11, 11], [5, 12, 9]],
            [1, 0],
        ),
    ],
)
def test_imdb_options(publish, options, x_train, y_train, x_test, y_test):
    publish(imdb, {"imdb.npz": imdb_npz()})
    (got_x_train, got_y_train), (got_x_test, got_y_test) = imdb.load_data(**options)
    assert got_x_train.dtype == object and got_x_train.ndim == 1
    assert got_x_train.tolist() == x_train and got_y_train.tolist() == y_train
    assert got_x_test.tolist() == x_test and got_y_test.tolist() == y_test


def test_imdb_errors(publish):
    publish(imdb, {"imdb.npz": imdb_npz()})
    with pytest.raises(ValueError, match="Increase maxlen"):
        imdb.load_data(maxlen=2)
    with pytest.raises(ValueError, match="num_words"):
        imdb.load_data(num_words=-5)
    with pytest.raises(ValueError, match="index_from"):
        imdb.load_data(index_from=None)


def test_imdb_equal_lengths_still_give_a_1d_object_array(publish):
    data = npz_bytes(
        x_train=object_array([[1, 2], [3, 4]]),
        y_train=np.array([0, 1]),
        x_test=object_array([[5, 6]]),
        y_test=np.array([1]),
    )
    publish(imdb, {"imdb.npz": data})
    (x_train, _), _ = imdb.load_data()
    assert x_train.shape == (2,)


def test_imdb_object_array_that_runs_code_is_refused(publish, tmp_path):
    marker = tmp_path / "pwned"
    data = npz_bytes(
        x_train=object_array([Evil(marker)]),
        y_train=np.array([0]),
        x_test=object_array([[1]]),
        y_test=np.array([0]),
    )
    publish(imdb, {"imdb.npz": data})
    with pytest.raises(pickle.UnpicklingError, match="posix.system"):
        imdb.load_data()
    assert not marker.exists()


def test_word_indices(publish, monkeypatch):
    words = {"the": 1, "film": 2}
    data = json.dumps(words).encode()
    for module, name in ((imdb, "imdb_word_index.json"), (reuters, "reuters_word_index.json")):
        publish(module, {name: data}, hash_attr=None)
        monkeypatch.setattr(module, "WORD_INDEX_HASH", hashlib.md5(data).hexdigest())
        assert module.get_word_index() == words


# --- Reuters: object arrays, split after filtering ----------------------------------------

REUTERS_X = [[1, 2], [3], [4, 5, 6], [2, 2], [7]]
REUTERS_Y = [0, 3, 5, 1, 2]


@pytest.mark.parametrize(
    ("options", "x_train", "y_train", "x_test", "y_test"),
    [
        # Shifted: [1,4,5] [1,6] [1,7,8,9] [1,5,5] [1,10]; 10 becomes oov 2; order
        # [1, 0, 3, 2, 4]; 4 of 5 for training.
        ({}, [[1, 6], [1, 4, 5], [1, 5, 5], [1, 7, 8, 9]], [3, 0, 1, 5], [[1, 2]], [2]),
        (
            {"test_split": 0.4},
            [[1, 6], [1, 4, 5], [1, 5, 5]],
            [3, 0, 1],
            [[1, 7, 8, 9], [1, 2]],
            [5, 2],
        ),
        ({"maxlen": 3}, [[1, 6]], [3], [[1, 2]], [2]),
        (
            {"num_words": 6, "skip_top": 2},
            [[2, 2], [2, 4, 5], [2, 5, 5], [2, 2, 2, 2]],
            [3, 0, 1, 5],
            [[2, 2]],
            [2],
        ),
    ],
)
def test_reuters_options(publish, options, x_train, y_train, x_test, y_test):
    publish(reuters, {"reuters.npz": npz_bytes(x=object_array(REUTERS_X), y=np.array(REUTERS_Y))})
    (got_x_train, got_y_train), (got_x_test, got_y_test) = reuters.load_data(**options)
    assert got_x_train.tolist() == x_train and got_y_train.tolist() == y_train
    assert got_x_test.tolist() == x_test and got_y_test.tolist() == y_test


def test_reuters_errors_and_label_names(publish):
    publish(reuters, {"reuters.npz": npz_bytes(x=object_array(REUTERS_X), y=np.array(REUTERS_Y))})
    with pytest.raises(ValueError, match="Increase maxlen"):
        reuters.load_data(maxlen=1)
    for bad in (1.0, -0.1, "0.2"):
        with pytest.raises(ValueError, match="test_split"):
            reuters.load_data(test_split=bad)
    names = reuters.get_label_names()
    assert len(names) == 46 and names[3] == "earn" and names[-1] == "lead"


# --- Boston and California housing: numeric npz, seeded split ------------------------------


def test_boston_housing_split(publish):
    x = np.arange(130, dtype=np.float64).reshape(10, 13)
    y = np.arange(10, dtype=np.float64) * 1.5
    publish(boston_housing, {"boston_housing.npz": npz_bytes(x=x, y=y)})
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    assert x_train.shape == (8, 13) and x_test.shape == (2, 13) and x_train.dtype == np.float64
    assert (y_train / 1.5).tolist() == [9, 3, 6, 1, 0, 7, 4, 8]
    assert (y_test / 1.5).tolist() == [2, 5]
    np.testing.assert_array_equal(x_test[1], x[5])
    (x_train, _), (x_test, _) = boston_housing.load_data(test_split=0.0)
    assert x_train.shape == (10, 13) and x_test.shape == (0, 13)
    (_, y_train), _ = boston_housing.load_data(seed=7, test_split=0.5)
    assert (y_train / 1.5).tolist() == [8, 5, 0, 2, 1]
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=1)


def test_california_housing_versions(publish):
    x = np.repeat(np.arange(610, dtype=np.float32)[:, None], 8, axis=1)
    y = np.arange(610, dtype=np.float32)
    publish(california_housing, {"california_housing.npz": npz_bytes(x=x, y=y)})
    (x_train, y_train), (x_test, y_test) = california_housing.load_data()
    assert x_train.shape == (488, 8) and x_test.shape == (122, 8) and y_train.dtype == np.float32
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(610))
    np.testing.assert_array_equal(x_train[:, 3], y_train)
    (x_train, y_train), (x_test, y_test) = california_housing.load_data(version="small")
    assert x_train.shape == (480, 8) and x_test.shape == (120, 8)
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(600))
    with pytest.raises(ValueError, match="version"):
        california_housing.load_data(version="medium")
    with pytest.raises(ValueError, match="test_split"):
        california_housing.load_data(test_split=-0.5)


# --- digits: bundled -------------------------------------------------------------------


def test_digits_bundled_split():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert y_train.shape == (1437,) and y_test.shape == (360,)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert x_train.max() == 16 and x_train.min() == 0
    assert set(y_train.tolist()) == set(y_test.tolist()) == set(range(10))


def test_digits_match_the_documented_source_and_split():
    """Compares with scikit-learn's digits.csv.gz (64 pixels then the label per row),
    read directly: importing scikit-learn alone would take longer than this file."""
    spec = importlib.util.find_spec("sklearn")
    source = spec and os.path.join(
        os.path.dirname(spec.origin), "datasets", "data", "digits.csv.gz"
    )
    if not source or not os.path.exists(source):
        pytest.skip("scikit-learn's digits.csv.gz is not available")
    table = np.loadtxt(source, delimiter=",")
    images, labels = table[:, :64].reshape(-1, 8, 8), table[:, 64]
    order = np.random.RandomState(113).permutation(1797)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    np.testing.assert_array_equal(x_train, images[order[:1437]])
    np.testing.assert_array_equal(y_train, labels[order[:1437]])
    np.testing.assert_array_equal(x_test, images[order[1437:]])
    np.testing.assert_array_equal(y_test, labels[order[1437:]])


def test_digits_missing_file_error(monkeypatch, tmp_path):
    monkeypatch.setattr(digits, "DATA_FILE", str(tmp_path / "nope.npz"))
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        digits.load_data()


def test_no_dataset_module_imports_scikit_learn():
    package = os.path.dirname(digits.__file__)
    for name in os.listdir(package):
        if name.endswith(".py"):
            with open(os.path.join(package, name), encoding="utf-8") as handle:
                tree = ast.parse(handle.read())
            imported = [
                alias.name
                for node in ast.walk(tree)
                if isinstance(node, ast.Import)
                for alias in node.names
            ]
            imported += [
                node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            ]
            assert not [module for module in imported if module.startswith("sklearn")], name
