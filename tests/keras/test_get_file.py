"""Tests of tensorlet.keras.utils.get_file and the safe archive extraction.

Every download comes from a local HTTP server on 127.0.0.1 (local_http_server.py);
nothing touches the internet.
"""

import hashlib
import io
import os
import tarfile
import zipfile

import pytest
from local_http_server import LocalFileServer, closed_port_url

from tensorlet.keras.utils import archive_utils, file_utils, get_file

PAYLOAD = bytes(range(256)) * 40  # 10,240 bytes
SHA256 = hashlib.sha256(PAYLOAD).hexdigest()
MD5 = hashlib.md5(PAYLOAD).hexdigest()


@pytest.fixture
def server():
    with LocalFileServer() as running:
        running.files["data.bin"] = PAYLOAD
        yield running


@pytest.fixture
def cache(tmp_path):
    return str(tmp_path / "cache")


def target_path(cache, name="data.bin"):
    return os.path.join(cache, "datasets", name)


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def tar_bytes(members):
    """A .tar.gz holding `members`: list of (TarInfo, bytes-or-None)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def regular(name, data):
    return (tarfile.TarInfo(name), data)


def link(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return (info, None)


def zip_bytes(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


# --- downloading and caching -------------------------------------------------------


def test_downloads_into_cache_and_reuses_it(server, cache, capsys):
    path = get_file("data.bin", origin=server.base_url + "data.bin", cache_dir=cache)
    assert path == target_path(cache)
    assert read(path) == PAYLOAD
    assert not os.path.exists(path + ".part")
    assert "Downloading data from" in capsys.readouterr().out
    assert get_file("data.bin", origin=server.base_url + "data.bin", cache_dir=cache) == path
    assert len(server.requests) == 1


def test_fname_defaults_to_the_url_file_name(server, cache):
    path = get_file(origin=server.base_url + "data.bin", cache_dir=cache)
    assert path == target_path(cache)


def test_verifies_sha256_and_md5(server, cache):
    origin = server.base_url + "data.bin"
    assert read(get_file("a.bin", origin, file_hash=SHA256, cache_dir=cache)) == PAYLOAD
    assert read(get_file("b.bin", origin, md5_hash=MD5, cache_dir=cache)) == PAYLOAD
    path = get_file("c.bin", origin, file_hash=MD5, hash_algorithm="md5", cache_dir=cache)
    assert read(path) == PAYLOAD


def test_corrupt_download_is_deleted_and_reported(server, cache):
    wrong = "0" * 64
    with pytest.raises(ValueError) as error:
        get_file("data.bin", server.base_url + "data.bin", file_hash=wrong, cache_dir=cache)
    message = str(error.value)
    assert target_path(cache) in message and wrong in message and SHA256 in message
    assert not os.path.exists(target_path(cache))
    assert not os.path.exists(target_path(cache) + ".part")


def test_cached_file_with_wrong_hash_is_downloaded_again(server, cache, capsys):
    os.makedirs(os.path.dirname(target_path(cache)))
    with open(target_path(cache), "wb") as handle:
        handle.write(b"stale")
    path = get_file("data.bin", server.base_url + "data.bin", file_hash=SHA256, cache_dir=cache)
    assert read(path) == PAYLOAD
    assert "does not match" in capsys.readouterr().out


def test_force_download_fetches_again(server, cache):
    origin = server.base_url + "data.bin"
    get_file("data.bin", origin, cache_dir=cache)
    get_file("data.bin", origin, cache_dir=cache, force_download=True)
    assert len(server.requests) == 2


def test_cache_root_comes_from_tensorlet_home(server, tmp_path, monkeypatch):
    monkeypatch.setenv("TENSORLET_HOME", str(tmp_path / "home"))
    path = get_file("data.bin", server.base_url + "data.bin")
    assert path == str(tmp_path / "home" / "datasets" / "data.bin")
    monkeypatch.delenv("TENSORLET_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert file_utils.cache_home() == str(tmp_path / "user" / ".tensorlet")


def test_absolute_cache_subdir_is_used_as_is(server, cache, tmp_path):
    elsewhere = str(tmp_path / "elsewhere")
    path = get_file(
        "data.bin", server.base_url + "data.bin", cache_subdir=elsewhere, cache_dir=cache
    )
    assert path == os.path.join(elsewhere, "data.bin")


def test_unwritable_cache_falls_back_to_temp_dir(server, cache, tmp_path, monkeypatch):
    monkeypatch.setattr(file_utils.os, "access", lambda *args: False)
    monkeypatch.setattr(file_utils.tempfile, "tempdir", str(tmp_path / "tmp"))
    with pytest.warns(UserWarning, match="not writable"):
        path = get_file("data.bin", server.base_url + "data.bin", cache_dir=cache)
    assert path == str(tmp_path / "tmp" / ".tensorlet" / "datasets" / "data.bin")


def test_argument_errors(cache):
    with pytest.raises(ValueError, match="origin"):
        get_file("data.bin", cache_dir=cache)
    with pytest.raises(ValueError, match="not a path"):
        get_file(os.path.join("sub", "data.bin"), "http://127.0.0.1/x", cache_dir=cache)
    with pytest.raises(ValueError, match="file name from origin"):
        get_file(origin="http://127.0.0.1/", cache_dir=cache)
    with pytest.raises(ValueError, match="64 and an md5 hash 32"):
        get_file("data.bin", "http://127.0.0.1/x", file_hash="abc", cache_dir=cache)
    with pytest.raises(ValueError, match="hash_algorithm"):
        get_file(
            "data.bin",
            "http://127.0.0.1/x",
            file_hash=SHA256,
            hash_algorithm="sha1",
            cache_dir=cache,
        )
    with pytest.raises(ValueError, match="64 and an md5 hash 32"):
        get_file(
            "data.bin",
            "http://127.0.0.1/x",
            file_hash=SHA256,
            hash_algorithm="md5",
            cache_dir=cache,
        )


def test_hash_file_and_validate_file(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(PAYLOAD)
    assert file_utils.hash_file(path) == SHA256
    assert file_utils.hash_file(path, "md5") == MD5
    assert file_utils.validate_file(path, SHA256.upper())
    assert file_utils.validate_file(path, MD5)
    assert not file_utils.validate_file(path, "f" * 64)
    with pytest.raises(ValueError, match="algorithm"):
        file_utils.hash_file(path, "sha1")


# --- interrupted downloads: resume and restart -------------------------------------


def test_resumes_a_partial_download_with_a_range_request(server, cache):
    os.makedirs(os.path.dirname(target_path(cache)))
    with open(target_path(cache) + ".part", "wb") as handle:
        handle.write(PAYLOAD[:4000])
    path = get_file("data.bin", server.base_url + "data.bin", file_hash=SHA256, cache_dir=cache)
    assert read(path) == PAYLOAD
    assert server.requests == [("data.bin", "bytes=4000-")]
    assert not os.path.exists(path + ".part")


def test_restarts_when_the_server_ignores_range(server, cache):
    server.honour_range = False
    os.makedirs(os.path.dirname(target_path(cache)))
    with open(target_path(cache) + ".part", "wb") as handle:
        handle.write(b"x" * 3000)  # not even a prefix of the file
    path = get_file("data.bin", server.base_url + "data.bin", file_hash=SHA256, cache_dir=cache)
    assert read(path) == PAYLOAD
    assert server.requests == [("data.bin", "bytes=3000-")]


def test_restarts_when_the_server_sends_another_range(server, cache):
    server.misplace_range = True
    os.makedirs(os.path.dirname(target_path(cache)))
    with open(target_path(cache) + ".part", "wb") as handle:
        handle.write(PAYLOAD[:4000])
    path = get_file("data.bin", server.base_url + "data.bin", cache_dir=cache)
    assert read(path) == PAYLOAD
    assert server.requests == [("data.bin", "bytes=4000-"), ("data.bin", None)]


def test_dropped_connection_keeps_part_then_resumes(server, cache):
    origin = server.base_url + "data.bin"
    server.cut_after["data.bin"] = 6000
    with pytest.raises(OSError, match="bytes still to come") as error:
        get_file("data.bin", origin, file_hash=SHA256, cache_dir=cache)
    assert target_path(cache) in str(error.value)
    assert not os.path.exists(target_path(cache))
    assert read(target_path(cache) + ".part") == PAYLOAD[:6000]
    assert read(get_file("data.bin", origin, file_hash=SHA256, cache_dir=cache)) == PAYLOAD
    assert server.requests[-1] == ("data.bin", "bytes=6000-")


def test_stale_resumed_prefix_is_fetched_again_from_scratch(server, cache):
    os.makedirs(os.path.dirname(target_path(cache)))
    with open(target_path(cache) + ".part", "wb") as handle:
        handle.write(b"y" * 100)  # the server honours the range, but the prefix is wrong
    path = get_file("data.bin", server.base_url + "data.bin", file_hash=SHA256, cache_dir=cache)
    assert read(path) == PAYLOAD
    assert server.requests == [("data.bin", "bytes=100-"), ("data.bin", None)]


def test_part_longer_than_the_file_restarts(server, cache):
    os.makedirs(os.path.dirname(target_path(cache)))
    with open(target_path(cache) + ".part", "wb") as handle:
        handle.write(b"z" * (len(PAYLOAD) + 10))
    path = get_file("data.bin", server.base_url + "data.bin", cache_dir=cache)
    assert read(path) == PAYLOAD
    assert server.requests == [("data.bin", f"bytes={len(PAYLOAD) + 10}-"), ("data.bin", None)]


# --- failures name the URL and the place for a manual download --------------------


def test_offline_error_names_url_and_destination(cache):
    origin = closed_port_url("mnist.npz")
    with pytest.raises(OSError) as error:
        get_file("mnist.npz", origin, file_hash=SHA256, cache_dir=cache)
    message = str(error.value)
    assert origin in message
    assert target_path(cache, "mnist.npz") in message
    assert SHA256 in message
    assert not os.path.exists(target_path(cache, "mnist.npz"))


def test_local_write_errors_are_not_reported_as_download_failures(server, cache):
    os.makedirs(target_path(cache) + ".part")  # a directory where the .part file goes
    with pytest.raises(IsADirectoryError):
        get_file("data.bin", server.base_url + "data.bin", cache_dir=cache)


def test_http_error_names_status_url_and_destination(server, cache):
    origin = server.base_url + "absent.bin"
    with pytest.raises(OSError, match="HTTP 404") as error:
        get_file("absent.bin", origin, cache_dir=cache)
    assert origin in str(error.value) and target_path(cache, "absent.bin") in str(error.value)


# --- extraction --------------------------------------------------------------------


def test_extracts_tar_to_fname_and_keeps_archive(server, cache):
    server.files["pack.tar.gz"] = tar_bytes(
        [regular("pack/a.txt", b"A"), regular("pack/sub/b.txt", b"B")]
    )
    origin = server.base_url + "pack.tar.gz"
    path = get_file("pack", origin, extract=True, cache_dir=cache)
    assert path == target_path(cache, "pack")
    assert read(os.path.join(path, "pack", "a.txt")) == b"A"
    assert read(os.path.join(path, "pack", "sub", "b.txt")) == b"B"
    assert os.path.isfile(target_path(cache, "pack_archive"))
    assert not [name for name in os.listdir(os.path.dirname(path)) if "partial" in name]


def test_extraction_happens_once_until_the_archive_is_downloaded_again(server, cache):
    server.files["pack.tar.gz"] = tar_bytes([regular("a.txt", b"A")])
    origin = server.base_url + "pack.tar.gz"
    path = get_file("pack", origin, extract=True, cache_dir=cache)
    with open(os.path.join(path, "a.txt"), "wb") as handle:
        handle.write(b"edited")
    get_file("pack", origin, extract=True, cache_dir=cache)
    assert read(os.path.join(path, "a.txt")) == b"edited"
    get_file("pack", origin, extract=True, cache_dir=cache, force_download=True)
    assert read(os.path.join(path, "a.txt")) == b"A"


def test_fname_with_extension_extracts_beside_it(server, cache):
    server.files["pack.zip"] = zip_bytes([("dir/z.txt", b"Z")])
    path = get_file("pack.zip", server.base_url + "pack.zip", extract=True, cache_dir=cache)
    assert path == target_path(cache, "pack_extracted")
    assert read(os.path.join(path, "dir", "z.txt")) == b"Z"
    assert os.path.isfile(target_path(cache, "pack.zip"))


def test_untar_and_archive_format(server, cache):
    server.files["t.tar.gz"] = tar_bytes([regular("t.txt", b"T")])
    server.files["z.zip"] = zip_bytes([("z.txt", b"Z")])
    path = get_file("t", server.base_url + "t.tar.gz", untar=True, cache_dir=cache)
    assert read(os.path.join(path, "t.txt")) == b"T"
    with pytest.raises(ValueError, match="accepted format"):
        get_file(
            "z", server.base_url + "z.zip", extract=True, archive_format="tar", cache_dir=cache
        )
    with pytest.raises(ValueError, match="archive_format"):
        get_file(
            "z2", server.base_url + "z.zip", extract=True, archive_format="rar", cache_dir=cache
        )


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ([regular("../evil.txt", b"E")], "'..' components"),
        ([regular("/abs/evil.txt", b"E")], "absolute path"),
        ([regular("ok/../../evil.txt", b"E")], "'..' components"),
        ([link("escape", "../../outside")], "climbs with '..'"),
        ([link("escape", "/etc/passwd")], "absolute"),
        ([link("hard", "/etc/passwd", tarfile.LNKTYPE)], "absolute path"),
        ([link("hard", "missing.txt", tarfile.LNKTYPE)], "not an earlier regular file"),
        ([link("fifo", "", tarfile.FIFOTYPE)], "device file or FIFO"),
    ],
)
def test_unsafe_tar_members_are_refused(tmp_path, members, reason):
    archive = tmp_path / "bad.tar.gz"
    archive.write_bytes(tar_bytes([regular("fine.txt", b"F"), *members]))
    destination = tmp_path / "out" / "x"
    with pytest.raises(ValueError, match=reason):
        archive_utils.extract_archive(str(archive), str(destination))
    assert not destination.exists()
    assert sorted(os.listdir(tmp_path / "out")) == []
    assert not (tmp_path / "evil.txt").exists()


def test_safe_links_inside_the_directory_are_kept(tmp_path):
    archive = tmp_path / "links.tar.gz"
    archive.write_bytes(
        tar_bytes(
            [
                regular("d/a.txt", b"A"),
                link("d/soft", "a.txt"),
                link("d/hard", "d/a.txt", tarfile.LNKTYPE),
            ]
        )
    )
    archive_utils.extract_archive(str(archive), str(tmp_path / "out"))
    assert os.readlink(tmp_path / "out" / "d" / "soft") == "a.txt"
    assert read(tmp_path / "out" / "d" / "soft") == b"A"
    assert read(tmp_path / "out" / "d" / "hard") == b"A"


def test_unsafe_zip_members_are_refused(tmp_path):
    archive = tmp_path / "bad.zip"
    archive.write_bytes(zip_bytes([("fine.txt", b"F"), ("../evil.txt", b"E")]))
    with pytest.raises(ValueError, match="'..' components"):
        archive_utils.extract_archive(str(archive), str(tmp_path / "out"))
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.txt").exists()


def test_zip_symlink_escaping_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("escape")
        info.create_system = 3
        info.external_attr = 0o120777 << 16
        archive.writestr(info, "../../outside")
    (tmp_path / "links.zip").write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match="climbs with '..'"):
        archive_utils.extract_archive(str(tmp_path / "links.zip"), str(tmp_path / "out"))


def test_extraction_size_is_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(archive_utils, "MAX_EXTRACTED_BYTES", 1000)
    archive = tmp_path / "big.zip"
    archive.write_bytes(zip_bytes([("a.bin", b"\0" * 600), ("b.bin", b"\0" * 600)]))
    with pytest.raises(ValueError, match="more than 1000 bytes"):
        archive_utils.extract_archive(str(archive), str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()
    assert os.listdir(tmp_path) == ["big.zip"]
    # Each member also costs 512 bytes, so many empty members are stopped too.
    archive.write_bytes(zip_bytes([(f"{i}.txt", b"") for i in range(3)]))
    with pytest.raises(ValueError, match="more than 1000 bytes"):
        archive_utils.extract_archive(str(archive), str(tmp_path / "out"))


def test_not_an_archive_is_an_error(tmp_path):
    (tmp_path / "plain.bin").write_bytes(PAYLOAD)
    with pytest.raises(ValueError, match="not an archive"):
        archive_utils.extract_archive(str(tmp_path / "plain.bin"), str(tmp_path / "out"))
