"""Files move both ways between tensorlet and Keras 3.

- Files written by real Keras 3.15 (tests/fixtures/keras3, see its README) load in tensorlet
  with the predictions Keras recorded; training after loading continues as Keras's did.
- A tensorlet-written `.keras` file has Keras's zip members, JSON structure and HDF5 layout:
  re-saving a Keras file in tensorlet gives the same datasets, shapes, dtypes and names.
- Keras itself loads tensorlet's files (run when a Python with Keras is available: this one,
  or the one named by TENSORLET_INTEROP_PYTHON; skipped otherwise).
"""
import importlib.util
import io
import json
import os
import subprocess
import sys
import zipfile

import h5py
import numpy as np
import pytest

from tensorlet import keras

L = keras.layers
FIXTURES = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "keras3")
KERAS_FIXTURES = ["seq", "mlp", "func", "cnn", "lstm_model", "gru_model", "nested"]


@pytest.fixture(autouse=True)
def _fresh():
    keras.backend.clear_session(free_memory=False)
    yield


def _fixture(name):
    return os.path.join(FIXTURES, name)


def _needs_layers(name):
    if name == "func" and not hasattr(L, "Concatenate"):
        pytest.skip("tensorlet has no Concatenate layer yet")


def _inputs(io_file):
    xs = [io_file[k] for k in sorted(k for k in io_file.files if k.startswith("x"))]
    return xs if len(xs) > 1 else xs[0]


@pytest.mark.parametrize("name", KERAS_FIXTURES)
def test_keras_files_load_with_keras_predictions(name):
    _needs_layers(name)
    io_file = np.load(_fixture(f"{name}_io.npz"))
    model = keras.models.load_model(_fixture(f"{name}.keras"))
    np.testing.assert_allclose(model.predict(_inputs(io_file), verbose=0), io_file["y"],
                               rtol=1e-5, atol=1e-6)
    assert model.compiled and int(model.optimizer.iterations.numpy()) == 4


@pytest.mark.parametrize("name", ["seq", "func", "lstm_model"])
def test_keras_legacy_h5_files_load(name):
    _needs_layers(name)
    io_file = np.load(_fixture(f"{name}_io.npz"))
    model = keras.models.load_model(_fixture(f"{name}.h5"))
    np.testing.assert_allclose(model.predict(_inputs(io_file), verbose=0), io_file["y"],
                               rtol=1e-5, atol=1e-6)
    assert int(model.optimizer.iterations.numpy()) == 4  # optimizer_weights were read


@pytest.mark.parametrize("name", ["seq", "nested"])
def test_keras_weights_files_load_into_a_rebuilt_model(name):
    io_file = np.load(_fixture(f"{name}_io.npz"))
    model = keras.models.load_model(_fixture(f"{name}.keras"), compile=False)
    for w in model.weights:
        keras.backend.set_value(w, np.zeros(w.shape.as_list()))
    model.load_weights(_fixture(f"{name}.weights.h5"))
    np.testing.assert_allclose(model.predict(_inputs(io_file), verbose=0), io_file["y"],
                               rtol=1e-5, atol=1e-6)


def test_training_continues_from_keras_optimizer_state():
    data = np.load(_fixture("mlp_continue.npz"))
    model = keras.models.load_model(_fixture("mlp.keras"))
    hist = model.fit(data["x"], data["y"], epochs=1, batch_size=4, shuffle=False, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == int(data["iterations"])
    np.testing.assert_allclose(hist.history["loss"][0], data["loss"], rtol=1e-5)
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["pred"], rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("name", ["seq", "func"])
def test_keras2_legacy_files_load(name):
    io_file = np.load(_fixture("keras2_io.npz"))
    model = keras.models.load_model(_fixture(f"keras2_{name}.h5"), compile=(name == "seq"))
    np.testing.assert_allclose(model.predict(io_file[f"{name}_x0"], verbose=0),
                               io_file[f"{name}_y"], rtol=1e-5, atol=1e-6)
    if name == "seq":
        assert model.compiled and model.optimizer.learning_rate.numpy() == np.float32(0.01)


# -- the structure of tensorlet-written files ----------------------------------------------------


def _h5_structure(data):
    datasets, names = {}, {}
    with h5py.File(io.BytesIO(data), "r") as f:
        def visit(path, obj):
            if isinstance(obj, h5py.Dataset):
                datasets[path] = (obj.shape, obj.dtype.str)
            elif path.endswith("vars") or path == "vars":
                names[path] = obj.attrs.get("name")
        f.visititems(visit)
        assert dict(f.attrs) == {}
    return datasets, names


def _entries(config):
    """{layer name: (module, class_name)} of a model config (nested models too), and
    {layer name: build_config}."""
    out, builds = {}, {}
    for entry in config["config"].get("layers", []):
        out[entry["config"]["name"]] = (entry["module"], entry["class_name"])
        if "build_config" in entry:
            builds[entry["config"]["name"]] = entry["build_config"]
        if entry["class_name"] in ("Sequential", "Functional"):
            sub_out, sub_builds = _entries(entry)
            out.update(sub_out)
            builds.update(sub_builds)
    return out, builds


@pytest.mark.parametrize("name", KERAS_FIXTURES)
def test_tensorlet_keras_file_has_keras_layout(name, tmp_path):
    _needs_layers(name)
    model = keras.models.load_model(_fixture(f"{name}.keras"))
    model.save(tmp_path / "again.keras")
    with zipfile.ZipFile(_fixture(f"{name}.keras")) as theirs, \
            zipfile.ZipFile(tmp_path / "again.keras") as ours:
        assert ours.namelist() == theirs.namelist() == [
            "metadata.json", "config.json", "model.weights.h5"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in ours.infolist())
        assert set(json.loads(ours.read("metadata.json"))) >= {"keras_version", "date_saved"}
        our_cfg, their_cfg = (json.loads(z.read("config.json")) for z in (ours, theirs))
        our_h5 = _h5_structure(ours.read("model.weights.h5"))
        assert our_h5 == _h5_structure(theirs.read("model.weights.h5"))
    assert set(our_cfg) == set(their_cfg) == {"module", "class_name", "config",
                                              "registered_name", "build_config",
                                              "compile_config"}
    assert (our_cfg["module"], our_cfg["class_name"]) == \
        (their_cfg["module"], their_cfg["class_name"])
    assert our_cfg["build_config"] == their_cfg["build_config"]
    assert set(our_cfg["compile_config"]) == set(their_cfg["compile_config"])
    assert our_cfg["compile_config"]["optimizer"]["class_name"] == \
        their_cfg["compile_config"]["optimizer"]["class_name"]
    (ours_e, our_builds), (theirs_e, their_builds) = _entries(our_cfg), _entries(their_cfg)
    assert ours_e == theirs_e
    # layers with weights record how they were built, as in Keras (a weightless layer may
    # differ: Keras's Flatten has a build() of its own, tensorlet's does not)
    datasets, group_names = our_h5
    weighted = {group_names[g] for g in group_names
                if any(p.startswith(g + "/") for p in datasets)}
    assert weighted & set(their_builds)
    for name in weighted & set(their_builds):
        assert our_builds.get(name) == their_builds[name], name
    if "input_layers" in their_cfg["config"]:
        assert our_cfg["config"]["input_layers"] == their_cfg["config"]["input_layers"]
        assert our_cfg["config"]["output_layers"] == their_cfg["config"]["output_layers"]


# -- Keras loads tensorlet's files ----------------------------------------------------------------


def _keras_python():
    env = os.environ.get("TENSORLET_INTEROP_PYTHON")
    if env:
        return env
    spec = importlib.util.find_spec("keras")
    # (tests/keras is on sys.path as a namespace package "keras": it has no origin)
    return sys.executable if spec is not None and spec.origin else None


def _write_models(directory):
    rng = np.random.default_rng(5)
    keras.utils.set_random_seed(5)
    manifest = {}

    def record(name, model, xs, ys, legacy=False, cont=False):
        x = xs if len(xs) > 1 else xs[0]
        y = ys if len(ys) > 1 else ys[0]
        model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
        model.save(os.path.join(directory, f"{name}.keras"))
        model.save_weights(os.path.join(directory, f"{name}.weights.h5"))
        if legacy:
            model.save(os.path.join(directory, f"{name}.h5"))
        pred = model.predict(x, verbose=0)
        arrays = {"y": pred[0] if isinstance(pred, list) else pred}
        arrays.update({f"x{i}": v for i, v in enumerate(xs)})
        arrays.update({f"t{i}": v for i, v in enumerate(ys)})
        if cont:
            model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
            after = model.predict(x, verbose=0)
            arrays["after"] = after[0] if isinstance(after, list) else after
        np.savez(os.path.join(directory, f"{name}_io.npz"), **arrays)
        manifest[name] = {"inputs": len(xs), "outputs": len(ys), "legacy": legacy,
                          "continue": cont}

    def normal(*shape):
        return rng.normal(size=shape).astype("float32")

    seq = keras.Sequential([keras.Input((6,)), L.Dense(5, activation="relu"), L.Dropout(0.3),
                            L.Dense(3, activation="softmax")])
    seq.compile(keras.optimizers.Adam(0.01), "categorical_crossentropy", metrics=["accuracy"])
    record("seq", seq, [normal(8, 6)], [np.eye(3, dtype="float32")[rng.integers(0, 3, 8)]],
           legacy=True)
    cnn = keras.Sequential([keras.Input((8, 8, 2)), L.Conv2D(3, 3, activation="relu"),
                            L.MaxPooling2D(2), L.Flatten(),
                            L.Dense(2)])
    cnn.compile("rmsprop", "mean_squared_error")
    record("cnn", cnn, [normal(8, 8, 8, 2)], [normal(8, 2)], legacy=True, cont=True)
    rnn = keras.Sequential([keras.Input((5, 3)), L.SimpleRNN(3, return_sequences=True),
                            L.LSTM(4, return_sequences=True), L.Bidirectional(L.GRU(2,
                            return_sequences=True)), L.TimeDistributed(L.Dense(2)), L.GRU(2),
                            L.Dense(1)])
    rnn.compile(keras.optimizers.Adam(0.01), "mse")
    record("rnn", rnn, [normal(8, 5, 3)], [normal(8, 1)], cont=True)
    norm = keras.Sequential([keras.Input((6,), dtype="int32"), L.Embedding(10, 4),
                             L.Conv1D(3, 2), L.BatchNormalization(), L.LayerNormalization(),
                             L.GroupNormalization(3), L.GlobalAveragePooling1D(), L.Dense(2)])
    norm.compile(keras.optimizers.SGD(0.01, momentum=0.9), "mse")
    record("norm", norm, [rng.integers(0, 10, (8, 6)).astype("int32")], [normal(8, 2)],
           cont=True)
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    inner = keras.Sequential([L.Dense(3, activation="relu"), L.Dense(4)], name="inner")
    shared = L.Dense(4, activation="tanh", name="shared")
    da = shared(L.Dense(4, name="da")(a))
    out = L.Dense(1, name="out")(shared(inner(b)))
    func = keras.Model([a, b], [out, da])
    func.compile(keras.optimizers.Adam(0.02), "mse")
    record("func", func, [normal(8, 4), normal(8, 3)], [normal(8, 1), normal(8, 4)],
           cont=True)
    with open(os.path.join(directory, "manifest.json"), "w") as f:
        json.dump(manifest, f)


def test_keras_loads_tensorlet_files(tmp_path):
    python = _keras_python()
    if python is None:
        pytest.skip("Keras 3 is not importable (set TENSORLET_INTEROP_PYTHON to a Python "
                    "that has it)")
    _write_models(str(tmp_path))
    script = os.path.join(os.path.dirname(__file__), "keras_side_check.py")
    proc = subprocess.run([python, script, str(tmp_path)], capture_output=True, text=True,
                          timeout=600)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("REPORT ")]
    assert lines, f"Keras side failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    report = json.loads(lines[-1][len("REPORT "):])
    for name, result in report.items():
        assert "error" not in result, f"{name}: {result['error']}"
        assert result["keras"] < 1e-5 and result["weights_h5"] < 1e-5, (name, result)
        assert result["iterations"] == 4, (name, result)
        if "legacy_h5" in result:
            assert result["legacy_h5"] < 1e-5, (name, result)
        if "continued" in result:
            assert result["continued"] < 1e-4, (name, result)
    assert set(report) == {"seq", "cnn", "rnn", "norm", "func"}
