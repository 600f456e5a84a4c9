"""`get_file`: download a file once, verify it, cache it, optionally extract it.

Same signature, cache layout and return values as `keras.utils.get_file` in Keras 3,
with the cache under `~/.tensorlet` (or `$TENSORLET_HOME`) instead of `~/.keras`.
What it adds over Keras:
- Downloads go to `<target>.part` and become the cached file only after the hash
  check passed, by an atomic rename; a partial or corrupt download never poses as a
  cached file. A corrupt one is deleted and reported with the expected and actual
  hashes.
- An interrupted download leaves its `.part` behind and the next call resumes it
  with an HTTP `Range` request; if the server ignores the range the download starts
  again from the beginning, and a resumed file that fails the hash check is fetched
  once more from scratch before giving up.
- When the download fails (offline, HTTP error) the error names the URL and the
  exact path where the file can be placed by hand.
- Archives are extracted safely (see `archive_utils`), once, and again only when the
  archive itself was downloaded anew.
"""

import hashlib
import os
import tempfile
import urllib.parse
import warnings

from tensorlet._lazy import LazyModule
from tensorlet.keras.utils.archive_utils import extract_archive
from tensorlet.keras.utils.progbar import Progbar

http_client = LazyModule("http.client")
ssl = LazyModule("ssl")
url_error = LazyModule("urllib.error")
url_request = LazyModule("urllib.request")

# Seconds to wait for the server to answer or send more data.
DOWNLOAD_TIMEOUT_S = 60

_CHUNK = 1 << 16
_HASH_LENGTHS = {64: "sha256", 32: "md5"}


def _network_errors():
    """What a failed transfer raises; other OSErrors (a full disk, say) pass through as is."""
    return (url_error.URLError, http_client.HTTPException, ConnectionError, TimeoutError,
            ssl.SSLError)


def cache_home():
    """The default cache root: `$TENSORLET_HOME` if set, else `~/.tensorlet`."""
    return os.environ.get("TENSORLET_HOME") or os.path.join(os.path.expanduser("~"), ".tensorlet")


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
):
    """Downloads a file from a URL unless it is already in the cache.

    The file lands in `<cache_dir>/<cache_subdir>/<fname>`, where `cache_dir`
    defaults to `cache_home()`. With `extract=True` (or `untar=True`) the archive
    is kept as `<fname>` and extracted to `<stem>_extracted` when `fname` has an
    extension, or kept as `<fname>_archive` and extracted to `<fname>` when it has
    none, as in Keras 3; the extraction directory is returned.

    Args:
        fname: local file name; `None` takes the last component of `origin`'s path.
            Must not contain a path separator (use `cache_dir` for that).
        origin: URL of the file.
        untar: deprecated spelling of `extract=True, archive_format="tar"`.
        md5_hash: deprecated spelling of `file_hash` with `hash_algorithm="md5"`.
        file_hash: expected SHA-256 (64 hex digits) or MD5 (32) of the file.
        cache_subdir: subdirectory of the cache; an absolute path is used as is.
        hash_algorithm: `"auto"` (by the hash's length), `"sha256"` or `"md5"`.
        extract: whether to extract the downloaded tar or zip archive.
        archive_format: `"auto"`, `"tar"`, `"zip"` or a list of those.
        cache_dir: cache root instead of `cache_home()`.
        force_download: download even when a valid cached copy exists.

    Returns:
        The path of the cached file, or of the extraction directory.

    Raises:
        ValueError: for invalid arguments, or a download whose hash does not match.
        OSError: when the file cannot be downloaded; the message names the URL and
            where to put the file by hand.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    if file_hash is not None:
        hash_algorithm = _resolve_algorithm(file_hash, hash_algorithm)
    if fname is not None:
        fname = os.fspath(fname)
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"Cannot derive a file name from origin '{origin}'; pass `fname`.")
        named_by_user = False
    else:
        named_by_user = True
        if os.sep in fname or (os.altsep and os.altsep in fname):
            raise ValueError(
                "`fname` must be a file name, not a path; use `cache_dir` to choose the "
                f"directory. Received: fname={fname!r}"
            )

    datadir = _writable_cache_dir(cache_dir, cache_subdir)
    extraction_dir = None
    if extract or untar:
        if named_by_user and "." in fname:
            download_target = os.path.join(datadir, fname)
            extraction_dir = os.path.join(datadir, fname[: fname.find(".")] + "_extracted")
        else:
            download_target = os.path.join(datadir, fname + "_archive")
            extraction_dir = os.path.join(datadir, fname)
    else:
        download_target = os.path.join(datadir, fname)

    downloaded = False
    if force_download or not os.path.exists(download_target):
        downloaded = True
    elif file_hash is not None and not validate_file(download_target, file_hash, hash_algorithm):
        print(
            f"A local file was found at {download_target}, but its {hash_algorithm} hash "
            f"does not match the expected {file_hash}; downloading it again."
        )
        downloaded = True
    if downloaded:
        _fetch_verified(origin, download_target, file_hash, hash_algorithm)

    if extraction_dir is None:
        return download_target
    if downloaded or not os.path.isdir(extraction_dir):
        extract_archive(download_target, extraction_dir, "tar" if untar else archive_format)
    return extraction_dir


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """Returns the hex digest of the file at `fpath` (`"sha256"` or `"md5"`)."""
    if algorithm not in ("sha256", "md5"):
        raise ValueError(
            f'`algorithm` must be "sha256" or "md5". Received: algorithm={algorithm!r}'
        )
    hasher = hashlib.new(algorithm)
    with open(fpath, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether the file at `fpath` has the hash `file_hash` (SHA-256 or MD5)."""
    algorithm = _resolve_algorithm(file_hash, algorithm)
    return hash_file(fpath, algorithm, chunk_size) == file_hash.lower()


def _resolve_algorithm(file_hash, algorithm):
    """Picks the hash algorithm, checking that `file_hash` has the right length."""
    if algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(
            '`hash_algorithm` must be "auto", "sha256" or "md5". '
            f"Received: hash_algorithm={algorithm!r}"
        )
    expected = _HASH_LENGTHS.get(len(file_hash))
    if expected is None or (algorithm != "auto" and algorithm != expected):
        raise ValueError(
            f"`file_hash` {file_hash!r} has {len(file_hash)} characters; a sha256 hash has "
            f"64 and an md5 hash 32 (hash_algorithm={algorithm!r})."
        )
    return expected


def _writable_cache_dir(cache_dir, cache_subdir):
    """Creates and returns the cache directory, falling back to the temp dir.

    As in Keras, an unwritable cache root (a read-only home, say) does not stop
    the download: the file goes under `<tempdir>/.tensorlet` instead, with a warning.
    """
    base = os.path.expanduser(os.fspath(cache_dir)) if cache_dir is not None else cache_home()
    datadir = os.path.join(base, cache_subdir)
    try:
        os.makedirs(datadir, exist_ok=True)
        if os.access(datadir, os.W_OK):
            return datadir
    except OSError:
        pass
    fallback = os.path.join(tempfile.gettempdir(), ".tensorlet", cache_subdir)
    warnings.warn(
        f"Cache directory {datadir} is not writable; using {fallback} instead.",
        stacklevel=3,
    )
    os.makedirs(fallback, exist_ok=True)
    return fallback


def _fetch_verified(origin, target, file_hash, algorithm):
    """Downloads `origin` to `target` via `target.part`, checking the hash first."""
    part = target + ".part"
    print(f"Downloading data from {origin}")
    resumed = _download(origin, part, target, file_hash)
    if file_hash is not None:
        actual = hash_file(part, algorithm)
        if actual != file_hash.lower() and resumed:
            # The kept prefix may come from an older version of the remote file.
            os.remove(part)
            _download(origin, part, target, file_hash)
            actual = hash_file(part, algorithm)
        if actual != file_hash.lower():
            os.remove(part)
            raise ValueError(
                f"The file downloaded from {origin} for {target} is incomplete or "
                f"corrupted: its {algorithm} hash is {actual}, expected {file_hash}. "
                "The download was deleted; try again."
            )
    os.replace(part, target)


def _download(origin, part, target, file_hash):
    """Streams `origin` into `part`, resuming an existing partial file if possible.

    Returns whether an existing prefix was kept (the server honoured the range).
    """
    offset = os.path.getsize(part) if os.path.exists(part) else 0
    try:
        try:
            response = _request(origin, offset)
        except url_error.HTTPError as error:
            if error.code != 416 or not offset:
                raise
            # Range not satisfiable: the partial file is no prefix of this one.
            offset = 0
            response = _request(origin, offset)
        if offset and not (response.status == 206 and _range_start(response) == offset):
            if response.status == 206:  # a range other than the one asked for
                response.close()
                response = _request(origin, 0)
            offset = 0  # the server sends the whole file: start again
        with response:
            length = response.headers.get("Content-Length")
            total = offset + int(length) if length and length.isdigit() else None
            done = offset
            progbar = Progbar(total)
            with open(part, "ab" if offset else "wb") as out:
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    out.write(chunk)
                    done += len(chunk)
                    progbar.update(done)
            if total is None:
                progbar.update(done, finalize=True)
            elif done < total:
                raise http_client.IncompleteRead(b"", total - done)
        return offset > 0
    except _network_errors() as error:
        raise OSError(_offline_message(origin, target, file_hash, error)) from error


def _request(origin, offset):
    """Opens `origin`, asking for the bytes from `offset` on when it is not 0."""
    request = url_request.Request(origin)
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    return url_request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S)


def _range_start(response):
    """The first byte offset of a 206 response's `Content-Range`, or None."""
    content_range = response.headers.get("Content-Range", "")
    unit, _, span = content_range.partition(" ")
    start = span.partition("-")[0]
    return int(start) if unit == "bytes" and start.isdigit() else None


def _offline_message(origin, target, file_hash, error):
    """The download error: which URL failed, why, and where the file can go by hand."""
    if isinstance(error, url_error.HTTPError):
        reason = f"HTTP {error.code} {error.reason}"
    elif isinstance(error, url_error.URLError):
        reason = str(error.reason)
    elif isinstance(error, http_client.IncompleteRead):
        reason = f"the connection closed with {error.expected} bytes still to come"
    else:
        reason = str(error) or type(error).__name__
    message = (
        f"Could not download {origin}: {reason}.\n"
        f"If this machine is offline, download that URL by other means and save it as\n"
        f"    {target}\n"
    )
    if file_hash is not None:
        message += f"(its hash must be {file_hash}). "
    return message + f"Any partial download is kept as {target}.part and resumed next time."
