"""Readers for the file formats the built-in datasets come in, none executing code.

A downloaded file is untrusted input (the hash protects against corruption, not
against a compromised mirror or a planted cache entry), and a plain `pickle.load`
or `np.load(allow_pickle=True)` runs whatever code the file asks for. So:
- `load_npz` reads numeric `.npy` members with pickling disabled and the object
  arrays of IMDB and Reuters (ragged lists of word indices, which NumPy can only
  store as a pickle stream) with `RestrictedUnpickler`;
- `load_pickle` reads the CIFAR batches (Python pickles of dicts of bytes, lists,
  ints and one uint8 array) with the same unpickler;
- `read_idx_gz` parses Fashion-MNIST's gzipped IDX files with `struct`.

`RestrictedUnpickler` resolves only the four globals that rebuilding a NumPy array
needs (`ndarray`, `dtype`, and `_reconstruct` under its NumPy 1 and NumPy 2 module
names), to the objects of the NumPy running here, without importing anything by
name. Dicts, lists, tuples, strings, bytes and numbers need no globals. Anything
else (`os.system`, `builtins.eval`, ...) is refused.
"""

import gzip
import io
import pickle
import struct
import zipfile

import numpy as np

from tensorlet.train.safe_io import read_npy_header

_RECONSTRUCT = np.empty(0).__reduce__()[0]
_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
}

# An npz member declaring more than this many bytes is refused (a decompression
# bomb); the largest real member, MNIST's x_train, is 47 MB.
MAX_NPZ_MEMBER_BYTES = 4 * 1024**3

_IDX_DTYPES = {0x08: np.uint8}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild NumPy arrays and plain containers, nothing else."""

    def find_class(self, module, name):
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"Refusing to load '{module}.{name}' from a dataset file: only NumPy "
                "arrays and plain Python containers are allowed. The file may be "
                "corrupted or malicious."
            ) from None


def load_pickle(path):
    """Loads a Python 2 or 3 pickle (such as a CIFAR batch) with the restricted unpickler.

    Python 2 `str` values come back as `bytes` (`encoding="bytes"`), as Keras reads
    the CIFAR files.
    """
    with open(path, "rb") as handle:
        return RestrictedUnpickler(handle, encoding="bytes").load()


def load_npz(path):
    """Loads every `.npy` member of the `.npz` archive `path` into a dict of arrays.

    Raises:
        ValueError: for a member declaring more than `MAX_NPZ_MEMBER_BYTES`, or a
            `.npy` stream NumPy cannot parse.
        pickle.UnpicklingError: for an object array needing anything but NumPy
            array reconstruction.
    """
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                continue
            if info.file_size > MAX_NPZ_MEMBER_BYTES:
                raise ValueError(
                    f"Refusing to load member '{info.filename}' of {path}: it declares "
                    f"{info.file_size} bytes, more than MAX_NPZ_MEMBER_BYTES."
                )
            with archive.open(info) as member:
                stream = io.BytesIO(member.read())
            arrays[info.filename[: -len(".npy")]] = _read_npy(stream)
    return arrays


def _read_npy(stream):
    """Reads one `.npy` stream; object arrays go through `RestrictedUnpickler`."""
    _, _, dtype = read_npy_header(stream)
    if not dtype.hasobject:
        stream.seek(0)
        return np.lib.format.read_array(stream, allow_pickle=False)
    array = RestrictedUnpickler(stream).load()
    if not isinstance(array, np.ndarray):
        # A malformed file, not a wrongly typed argument: ValueError, like the rest.
        raise ValueError(  # noqa: TRY004
            f"An object .npy member holds a {type(array).__name__}, not a NumPy array."
        )
    return array


def read_idx_gz(path, expected_ndim):
    """Parses a gzipped IDX file (the MNIST / Fashion-MNIST format) into an array.

    The format is a 4-byte magic number (two zero bytes, a type code, the number of
    dimensions), one big-endian uint32 per dimension, then the values.

    Raises:
        ValueError: for a bad magic number, an unexpected rank or type, or a data
            size that does not match the declared dimensions.
    """
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    if len(data) < 4:
        raise ValueError(f"{path} is too short to be an IDX file ({len(data)} bytes).")
    zero, type_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or type_code not in _IDX_DTYPES:
        raise ValueError(
            f"{path} is not an IDX file of unsigned bytes: magic number {data[:4].hex()}, "
            "expected 000008xx."
        )
    if ndim != expected_ndim:
        raise ValueError(f"{path} holds a rank-{ndim} IDX array; expected rank {expected_ndim}.")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise ValueError(f"{path} ends inside its IDX header.")
    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    values = np.frombuffer(data, dtype=_IDX_DTYPES[type_code], offset=header_size)
    if values.size != int(np.prod(shape)):
        raise ValueError(
            f"{path} declares shape {shape} ({int(np.prod(shape))} values) but holds "
            f"{values.size} values."
        )
    # A copy, so that callers get a writable array rather than a view of `bytes`.
    return values.reshape(shape).copy()
