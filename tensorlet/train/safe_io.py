"""File safety shared by `tf.train.Saver` and `keras.saving` (DESIGN.md rule 8).

- `atomic_path(path)`: write to a temporary file beside `path`, then `os.replace` it into place;
  a writer that raises (or a process that dies) never leaves a half-written file where a good
  one was.
- `open_zip(path)`: a zip archive whose directory is checked before any member is read (member
  count, declared sizes, compression ratio, total), so a zip bomb is refused up front; a
  truncated or foreign file raises `CorruptFileError` naming the file.
- `npy_header` / `read_npy`: `.npy` members parsed from their headers; object (pickled) arrays
  are refused and shapes are checked before the data is allocated. Nothing is ever unpickled.
"""
import contextlib
import math
import os
import secrets
import shutil
import zipfile

import numpy as np

# Limits on archives (generous for real models, fatal to bombs). Our writers store members
# uncompressed, as Keras does, so a high compression ratio on a large member means a bomb.
MAX_MEMBERS = 100_000
MAX_MEMBER_BYTES = 64 * 1024**3
MAX_TOTAL_BYTES = 128 * 1024**3
MAX_RATIO = 200
RATIO_FLOOR_BYTES = 16 * 1024**2  # small members may compress well (e.g. zeros); no ratio check
MAX_ELEMENTS = 2**40  # an array header claiming more elements than this is absurd


class CorruptFileError(ValueError):
    """A model or checkpoint file is truncated, corrupt, malicious, or not of the expected kind;
    the message names the file and what is wrong."""


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; on success it replaces `path` atomically, on error
    it is deleted and `path` is left as it was."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"Cannot save to {path!r}: the directory {directory!r} does not "
                                "exist.")
    for _ in range(100):  # a fresh name, created with the usual permissions (umask applies)
        tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(f"Cannot create a temporary file beside {path!r}.")
    if os.path.exists(path):
        with contextlib.suppress(OSError):
            shutil.copymode(path, tmp)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def open_zip(path, what="archive", max_members=MAX_MEMBERS):
    """A `zipfile.ZipFile` for `path` whose directory passed the size checks."""
    try:
        archive = zipfile.ZipFile(path, "r")
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise CorruptFileError(f"{path!s} is not a valid {what}: the zip archive is truncated "
                               f"or corrupt ({e}).") from None
    try:
        check_zip_directory(archive, path, what, max_members)
    except BaseException:
        archive.close()
        raise
    return archive


def check_zip_directory(archive, path, what="archive", max_members=MAX_MEMBERS):
    """Refuse archives whose directory declares too many members, huge members, a huge total
    or a bomb-like compression ratio."""
    infos = archive.infolist()
    if len(infos) > max_members:
        raise CorruptFileError(f"{path!s} is not a valid {what}: it has {len(infos)} members "
                               f"(at most {max_members} are accepted).")
    total = 0
    for info in infos:
        size, packed = info.file_size, info.compress_size
        if size > MAX_MEMBER_BYTES:
            raise CorruptFileError(f"{path!s}: member {info.filename!r} declares {size} bytes "
                                   f"(more than the limit of {MAX_MEMBER_BYTES}); refusing a "
                                   "possible zip bomb.")
        if size > RATIO_FLOOR_BYTES and size > MAX_RATIO * max(packed, 1):
            raise CorruptFileError(f"{path!s}: member {info.filename!r} expands {packed} bytes "
                                   f"to {size} (ratio above {MAX_RATIO}); refusing a possible "
                                   "zip bomb.")
        total += size
    if total > MAX_TOTAL_BYTES:
        raise CorruptFileError(f"{path!s}: the members declare {total} bytes in all (more than "
                               f"the limit of {MAX_TOTAL_BYTES}); refusing a possible zip bomb.")


def read_member(archive, name, path, limit=MAX_MEMBER_BYTES):
    """The bytes of one member (its declared size checked against `limit` first)."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise CorruptFileError(f"{path!s} has no member {name!r}; members: "
                               f"{archive.namelist()[:20]}") from None
    if info.file_size > limit:
        raise CorruptFileError(f"{path!s}: member {name!r} declares {info.file_size} bytes, "
                               f"more than the {limit} accepted for it.")
    try:
        with archive.open(info) as f:
            data = f.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as e:
        raise CorruptFileError(f"{path!s}: member {name!r} cannot be read: the archive is "
                               f"truncated or corrupt ({e}).") from None
    if len(data) != info.file_size:
        raise CorruptFileError(f"{path!s}: member {name!r} holds {len(data)} bytes but declares "
                               f"{info.file_size}.")
    return data


def read_npy_header(stream):
    """(shape, fortran_order, dtype) of a `.npy` stream of format 1, 2 or 3 (3 differs from 2
    only in the header's text encoding); ValueError for another version."""
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(stream)
    if version in ((2, 0), (3, 0)):
        return np.lib.format.read_array_header_2_0(stream)
    raise ValueError(f"unsupported .npy version {version}")


def npy_header(stream, where):
    """(shape, dtype, fortran_order) read from a `.npy` stream, validated."""
    try:
        shape, fortran, dtype = read_npy_header(stream)
    except (ValueError, EOFError, SyntaxError, TypeError) as e:
        raise CorruptFileError(f"{where}: not a valid .npy array ({e}).") from None
    if dtype.hasobject:
        raise CorruptFileError(f"{where}: the array holds Python objects (a pickle stream); "
                               "tensorlet never unpickles data from files.")
    if dtype.kind not in "biuf" or dtype.fields is not None:
        raise CorruptFileError(f"{where}: unsupported array dtype {dtype} (only bool, integer "
                               "and float arrays are accepted).")
    check_shape(shape, where)
    return tuple(int(d) for d in shape), dtype, fortran


def check_shape(shape, where):
    """Refuse negative dimensions and shapes too large for any real weight."""
    if any(not isinstance(d, (int, np.integer)) or d < 0 for d in shape):
        raise CorruptFileError(f"{where}: invalid array shape {shape}.")
    if math.prod(int(d) for d in shape) > MAX_ELEMENTS:
        raise CorruptFileError(f"{where}: array shape {tuple(shape)} is absurdly large; "
                               "refusing to allocate it.")


def read_npy_member(archive, name, where, check=None):
    """The array stored in `.npy` member `name`: its header is parsed and passed to
    `check(shape, dtype)` (which raises to refuse it) before the data is allocated."""
    info = archive.getinfo(name)
    try:
        with archive.open(info) as f:
            shape, dtype, fortran = npy_header(f, where)
            if check is not None:
                check(shape, dtype)
            n = math.prod(shape) * dtype.itemsize
            if f.tell() + n != info.file_size:
                raise CorruptFileError(f"{where}: the member holds {info.file_size - f.tell()} "
                                       f"data bytes, but shape {shape} of {dtype} needs {n}; "
                                       "the file is truncated or corrupt.")
            data = f.read(n)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as e:
        raise CorruptFileError(f"{where}: cannot be read, the archive is truncated or corrupt "
                               f"({e}).") from None
    if len(data) != n:
        raise CorruptFileError(f"{where}: truncated data ({len(data)} of {n} bytes).")
    arr = np.frombuffer(data, dtype=dtype, count=math.prod(shape))
    return arr.reshape(shape, order="F" if fortran else "C").copy()


def write_npy(stream, array):
    """Write one array in `.npy` format with pickling disabled."""
    np.lib.format.write_array(stream, np.asarray(array), allow_pickle=False)
