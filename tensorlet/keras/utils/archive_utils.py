"""Safe, all-or-nothing extraction of downloaded tar and zip archives.

`extract_archive` is what `get_file(extract=True)` uses. A downloaded archive is
untrusted input, so, unlike a plain `extractall`, it:
- refuses (raises, extracting nothing) members with absolute paths, drive letters or
  `..` components, symlinks with absolute or `..` targets (which could point outside
  the extraction directory), hard links to anything but an earlier regular file, and
  device files or FIFOs;
- stops once more than `MAX_EXTRACTED_BYTES` have been written, counting the bytes
  really written rather than trusting the sizes the archive declares, plus 512 bytes
  (a tar header) per member, so that millions of empty members are stopped too;
- extracts into a staging directory beside the destination and renames it into
  place only when everything succeeded, so a failed extraction never leaves a
  half-filled directory where a later call would take it for a complete one.
File permissions and times stored in the archive are not restored.
"""

import os
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile

# Upper bound on the bytes one archive may expand to. The largest built-in dataset
# (CIFAR-100) expands to about 180 MB; this leaves room for users' own archives
# while stopping decompression bombs.
MAX_EXTRACTED_BYTES = 16 * 1024**3

_CHUNK = 1 << 20
_MEMBER_COST = 512
_FORMATS = ("tar", "zip")


def extract_archive(file_path, path, archive_format="auto"):
    """Extracts the tar or zip archive `file_path` into the directory `path`.

    Args:
        file_path: the archive (`.tar`, `.tar.gz`, `.tar.bz2`, `.tar.xz` or `.zip`).
        path: destination directory; an existing one is replaced as a whole.
        archive_format: `"auto"` (try tar, then zip), `"tar"`, `"zip"`, or a list
            of those.

    Raises:
        ValueError: if `archive_format` is invalid, the file is not an archive of
            the accepted formats, or a member is unsafe (see the module docstring).
    """
    for kind in _accepted_formats(archive_format):
        if kind == "tar" and tarfile.is_tarfile(file_path):
            extractor = _extract_tar
            break
        if kind == "zip" and zipfile.is_zipfile(file_path):
            extractor = _extract_zip
            break
    else:
        raise ValueError(
            f"Cannot extract '{file_path}': it is not an archive of the accepted "
            f"format(s) {_accepted_formats(archive_format)}."
        )

    path = os.path.abspath(path)
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=os.path.basename(path) + ".", suffix=".partial", dir=parent)
    try:
        extractor(file_path, staging, _ByteBudget(file_path, MAX_EXTRACTED_BYTES))
        _move_into_place(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _accepted_formats(archive_format):
    """Turns `archive_format` into a tuple of names from `("tar", "zip")`."""
    if archive_format == "auto":
        return _FORMATS
    names = (archive_format,) if isinstance(archive_format, str) else archive_format
    try:
        names = tuple(names)
    except TypeError:
        names = (archive_format,)
    if not names or any(name not in _FORMATS for name in names):
        raise ValueError(
            '`archive_format` must be "auto", "tar", "zip" or a list of "tar"/"zip". '
            f"Received: archive_format={archive_format!r}"
        )
    return names


class _ByteBudget:
    """Counts the bytes written by one extraction and stops it past the limit."""

    def __init__(self, archive, limit):
        self.archive = archive
        self.limit = limit
        self.used = 0

    def charge(self, count):
        self.used += count
        if self.used > self.limit:
            raise ValueError(
                f"Refusing to extract '{self.archive}': it expands to more than "
                f"{self.limit} bytes (MAX_EXTRACTED_BYTES)."
            )


def _member_destination(root, name, archive):
    """Returns where member `name` goes under `root`, refusing names that escape it."""
    parts = [part for part in re.split(r"[\\/]", name) if part not in ("", ".")]
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts or not parts:
        raise ValueError(
            f"Refusing to extract '{archive}': member '{name}' has an absolute path or "
            "'..' components and would be written outside the extraction directory."
        )
    destination = os.path.join(root, *parts)
    real_root = os.path.realpath(root)
    real_parent = os.path.realpath(os.path.dirname(destination))
    if os.path.commonpath([real_parent, real_root]) != real_root:
        raise ValueError(
            f"Refusing to extract '{archive}': member '{name}' would be written "
            "through a link outside the extraction directory."
        )
    return destination


def _make_symlink(destination, target, name, archive):
    """Creates a symlink whose target is relative and never climbs with `..`.

    Every link then resolves to a path below its own directory, which is inside the
    extraction directory; allowing `..` would let a link made before another one
    (`x -> y/..`, then `y -> .`) resolve outside it.
    """
    parts = re.split(r"[\\/]", target)
    if (
        not target
        or target.startswith(("/", "\\"))
        or re.match(r"^[A-Za-z]:", target)
        or (".." in parts)
    ):
        raise ValueError(
            f"Refusing to extract '{archive}': symlink '{name}' points to '{target}', "
            "which is absolute or climbs with '..' and may leave the extraction directory."
        )
    _clear(destination)
    os.symlink(target, destination)


def _clear(destination):
    """Removes a file or link already at `destination` so a member replaces it."""
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    if os.path.islink(destination) or os.path.isfile(destination):
        os.remove(destination)


def _write_stream(source, destination, budget):
    """Copies a file-like member into `destination`, charging the byte budget."""
    _clear(destination)
    with open(destination, "wb") as out:
        while True:
            chunk = source.read(_CHUNK)
            if not chunk:
                break
            budget.charge(len(chunk))
            out.write(chunk)


def _extract_tar(file_path, root, budget):
    with tarfile.open(file_path) as archive:
        for member in archive:
            budget.charge(_MEMBER_COST)
            destination = _member_destination(root, member.name, file_path)
            if member.isdir():
                os.makedirs(destination, exist_ok=True)
            elif member.isreg():
                with archive.extractfile(member) as source:
                    _write_stream(source, destination, budget)
            elif member.issym():
                _make_symlink(destination, member.linkname, member.name, file_path)
            elif member.islnk():
                linked = _member_destination(root, member.linkname, file_path)
                if not os.path.isfile(linked) or os.path.islink(linked):
                    raise ValueError(
                        f"Refusing to extract '{file_path}': hard link '{member.name}' "
                        f"points to '{member.linkname}', not an earlier regular file."
                    )
                with open(linked, "rb") as source:
                    _write_stream(source, destination, budget)
            else:
                raise ValueError(
                    f"Refusing to extract '{file_path}': member '{member.name}' is a "
                    "device file or FIFO."
                )


def _extract_zip(file_path, root, budget):
    with zipfile.ZipFile(file_path) as archive:
        for info in archive.infolist():
            budget.charge(_MEMBER_COST)
            destination = _member_destination(root, info.filename, file_path)
            mode = info.external_attr >> 16
            if info.is_dir():
                os.makedirs(destination, exist_ok=True)
            elif info.create_system == 3 and stat.S_ISLNK(mode):
                target = archive.read(info).decode("utf-8")
                _make_symlink(destination, target, info.filename, file_path)
            else:
                with archive.open(info) as source:
                    _write_stream(source, destination, budget)


def _move_into_place(staging, path):
    """Renames `staging` to `path`, replacing an existing directory there."""
    if os.path.lexists(path):
        retired = tempfile.mkdtemp(
            prefix=os.path.basename(path) + ".", suffix=".old", dir=os.path.dirname(path)
        )
        os.rmdir(retired)
        os.rename(path, retired)
        os.rename(staging, path)
        if os.path.isdir(retired) and not os.path.islink(retired):
            shutil.rmtree(retired)
        else:
            os.remove(retired)
    else:
        os.rename(staging, path)
