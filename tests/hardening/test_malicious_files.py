"""Issue 9, "Files are data": each malicious or corrupt fixture of tests/fixtures/malicious
(see make_malicious_fixtures.py there) gives a clear error naming the file and the problem,
and no code from the file runs: the sentinel file its payload would create never appears,
`os.system` is never called, and no module named in a file is imported."""
import os
import sys

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras.saving import registry
from tensorlet.train import safe_io

HERE = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "malicious")


def _path(name):
    return os.path.join(HERE, name)


@pytest.fixture
def trusted_file():
    """Marks a test whose caller passed safe_mode=False: the file's code may run."""


@pytest.fixture(autouse=True)
def no_code_runs(tmp_path, monkeypatch, request):
    """Arms the sentinel and traps os.system; after the test, checks neither was touched and
    that safe mode is still on."""
    sentinel = tmp_path / "CODE_RAN"
    monkeypatch.setenv("TENSORLET_SENTINEL", str(sentinel))
    calls = []
    monkeypatch.setattr(os, "system", lambda *a, **k: calls.append(a) or 0)
    keras.backend.clear_session(free_memory=False)
    yield
    if "trusted_file" not in request.fixturenames:
        assert not sentinel.exists(), "code from a file was executed"
    assert calls == [], f"os.system was called with {calls}"
    assert "evil_pkg" not in sys.modules
    assert registry.in_safe_mode()


def _victim():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3),
                             keras.layers.Dense(2)])


def test_config_naming_os_system_as_a_layer():
    with pytest.raises(ValueError) as info:
        keras.models.load_model(_path("os_system_layer.keras"))
    msg = str(info.value)
    assert "os_system_layer.keras" in msg and "'system' from module 'os'" in msg
    assert "never imports a module named in a file" in msg


def test_config_naming_os_system_as_an_activation():
    with pytest.raises(ValueError, match=r"os_system_activation\.keras.*Dense 'd1'.*"
                                         r"Unknown activation identifier 'system'"):
        keras.models.load_model(_path("os_system_activation.keras"))


def test_config_naming_an_unregistered_module_class():
    with pytest.raises(ValueError, match=r"'Backdoor' from module 'evil_pkg\.layers'"):
        keras.models.load_model(_path("unregistered_module.keras"))


def test_lambda_nested_inside_a_sub_model():
    with pytest.raises(ValueError) as info:
        keras.models.load_model(_path("nested_lambda.keras"))
    msg = str(info.value)
    assert "Functional 'outer': Sequential 'inner'" in msg
    assert "'Lambda' layer in this file carries Python code" in msg
    assert "safe_mode=False" in msg


def test_lambda_loads_only_when_the_caller_turns_safe_mode_off(trusted_file):
    """safe_mode=False is the caller's decision to trust the file (its lambda then runs when
    the model is rebuilt, as in Keras); it holds for that one call only."""
    model = keras.models.load_model(_path("nested_lambda.keras"), safe_mode=False)
    inner = model.get_layer("inner")
    assert [type(layer).__name__ for layer in inner.layers][-1] == "Lambda"
    assert registry.in_safe_mode()
    with pytest.raises(ValueError, match="carries Python code"):
        keras.models.load_model(_path("nested_lambda.keras"))


def test_config_calling_a_configuration_api_cannot_turn_safe_mode_off():
    with pytest.raises(ValueError, match="enable_unsafe_deserialization"):
        keras.models.load_model(_path("config_api.keras"))
    assert registry.in_safe_mode()
    # nor can config keys, at any level, claiming safe_mode=False
    with pytest.raises(ValueError, match="refused in safe mode"):
        keras.models.load_model(_path("safe_mode_keys.keras"))


def test_legacy_h5_honours_safe_mode():
    with pytest.raises(ValueError, match=r"legacy_lambda\.h5.*'Lambda' layer.*safe mode"):
        keras.models.load_model(_path("legacy_lambda.h5"))


def test_json_config_goes_through_the_same_allow_list():
    with open(_path("os_system.json")) as f:
        text = f.read()
    with pytest.raises(ValueError, match="'system' from module 'os'"):
        keras.models.model_from_json(text)


def test_pickled_npy_is_refused_without_unpickling():
    with open(_path("pickled.npy"), "rb") as f:
        with pytest.raises(safe_io.CorruptFileError, match="pickle stream"):
            safe_io.npy_header(f, _path("pickled.npy"))


def test_pickled_checkpoint_member_is_refused():
    tf.Variable(np.zeros(1, np.float32), name="w")
    with tf.Session() as sess:
        with pytest.raises(safe_io.CorruptFileError, match=r"pickled_checkpoint\.npz\[w\].*"
                                                           r"pickle stream"):
            tf.train.Saver().restore(sess, _path("pickled_checkpoint"))
    with pytest.raises(safe_io.CorruptFileError, match="pickle stream"):
        tf.train.load_variable(_path("pickled_checkpoint"), "w")


def test_zip_bomb_is_refused_before_decompression(monkeypatch):
    import zipfile
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open",
                        lambda self, name, *a, **k: opened.append(getattr(name, "filename",
                                                                          name))
                        or real_open(self, name, *a, **k))
    with pytest.raises(safe_io.CorruptFileError, match=r"zip_bomb\.keras.*zip bomb"):
        keras.models.load_model(_path("zip_bomb.keras"))
    assert opened == []  # rejected from the directory alone


def test_zip_directory_lying_about_sizes():
    with pytest.raises(safe_io.CorruptFileError, match=r"lying_sizes\.keras.*4294967280"):
        keras.models.load_model(_path("lying_sizes.keras"))


def test_truncated_zip():
    with pytest.raises(safe_io.CorruptFileError, match=r"truncated\.keras is not a valid Keras "
                                                       r"model file.*truncated or corrupt"):
        keras.models.load_model(_path("truncated.keras"))


def test_hdf5_shapes_disagreeing_with_the_config():
    with pytest.raises(ValueError, match=r"(?s)bad_shapes\.keras.*layer 'd1'.*holds shape "
                                         r"\(5, 7\).*has shape \(4, 3\)"):
        keras.models.load_model(_path("bad_shapes.keras"))


def test_absurd_hdf5_shape_is_refused_before_reading(monkeypatch):
    import h5py
    reads = []
    real = h5py.Dataset.__getitem__
    monkeypatch.setattr(h5py.Dataset, "__getitem__",
                        lambda self, key: reads.append(self.name) or real(self, key))
    model = _victim()
    with pytest.raises(ValueError, match=r"\(1048576, 1048576\)"):
        model.load_weights(_path("absurd_shape.weights.h5"))
    assert reads == []  # nothing read, nothing allocated


def test_hdf5_links_and_external_storage_are_refused():
    model = _victim()
    with pytest.raises(safe_io.CorruptFileError, match="ExternalLink"):
        model.load_weights(_path("external_link.weights.h5"))
    with pytest.raises(safe_io.CorruptFileError, match="outside the file"):
        model.load_weights(_path("external_storage.weights.h5"))


def test_zip_member_count_limit(tmp_path, monkeypatch):
    import zipfile
    with zipfile.ZipFile(tmp_path / "many.keras", "w") as zf:
        for i in range(20):
            zf.writestr(f"m{i}", b"")
    monkeypatch.setattr("tensorlet.keras.saving.keras_zip.MAX_KERAS_MEMBERS", 10)
    with pytest.raises(safe_io.CorruptFileError, match="20 members"):
        keras.models.load_model(tmp_path / "many.keras")


def test_deeply_nested_json_is_refused_cleanly():
    text = '{"class_name": "Sequential", "config": ' + "[" * 100000 + "]" * 100000 + "}"
    with pytest.raises(ValueError, match="not valid JSON|nested too deeply"):
        keras.models.model_from_json(text)
