"""`.keras` files: `model.save("m.keras")` and `keras.models.load_model(path)`.

A `.keras` file is a zip archive (members stored uncompressed, as Keras writes them) of
`metadata.json`, `config.json` (the model's Keras 3 config, with `build_config` and
`compile_config`) and `model.weights.h5` (the weights and optimizer state in Keras 3's HDF5
layout, see `weights_h5`). Files move both ways between tensorlet and Keras 3.

Loading checks the archive directory first (member count, declared sizes, compression ratio),
parses the config as JSON data, resolves every class through the allow-list (`registry`) in
the safe mode given to the call, then checks every weight against the model before reading.
"""
import datetime
import io
import json
import os
import zipfile

from tensorlet._lazy import LazyModule
from tensorlet.keras.saving import legacy_h5, registry, serialization, weights_h5
from tensorlet.train import safe_io

h5py = LazyModule("h5py")

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
FORMAT_KERAS_VERSION = "3.15.1"  # the Keras release whose file format this follows
MAX_CONFIG_BYTES = 64 * 1024**2
MAX_KERAS_MEMBERS = 10_000


def save_model(model, filepath, overwrite=True, zipped=None, include_optimizer=True, **kwargs):
    """`model.save(filepath)`: `.keras` (the native format) or legacy `.h5`."""
    path = os.fspath(filepath)
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs)}")
    if zipped is False:
        raise ValueError("tensorlet writes `.keras` files zipped only (zipped=False is not "
                         "supported).")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} already exists; pass overwrite=True to replace it.")
    if path.endswith(".keras"):
        _save_keras(model, path)
    elif path.endswith((".h5", ".hdf5")):
        legacy_h5.save_model(model, path, include_optimizer=include_optimizer)
    else:
        raise ValueError("Invalid filepath extension for saving. Please add either a `.keras` "
                         "extension for the native Keras format (recommended) or a `.h5` "
                         f"extension. Received: filepath={path}")


def model_json(model):
    return json.dumps(serialization.serialize_keras_object(model))


def _save_keras(model, path):
    import tensorlet
    config_json = model_json(model).encode("utf-8")
    metadata = json.dumps({"keras_version": FORMAT_KERAS_VERSION,
                           "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                           "producer": f"tensorlet {tensorlet.__version__}"}).encode("utf-8")
    with safe_io.atomic_path(path) as tmp:
        tmp_h5 = tmp + ".weights.h5"
        try:
            with h5py.File(tmp_h5, "w") as f:
                weights_h5.write_weights(model, f)
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
                zf.writestr(METADATA, metadata)
                zf.writestr(CONFIG, config_json)
                zf.write(tmp_h5, WEIGHTS)
        finally:
            if os.path.exists(tmp_h5):
                os.remove(tmp_h5)


def parse_json(text, source):
    """JSON text parsed as data (no custom decoding); CorruptFileError naming `source`."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:
        raise safe_io.CorruptFileError(f"{source}: not valid JSON ({str(e)[:200]}).") from None


def parse_config_json(text, source):
    """A model config dict from JSON text."""
    config = parse_json(text, source)
    if not isinstance(config, dict) or "class_name" not in config:
        raise safe_io.CorruptFileError(f"{source}: the model config must be a JSON object with "
                                       "a 'class_name'.")
    return config


def model_from_config_dict(config, custom_objects, compile, safe_mode, source):
    """Deserialize a model config under the load call's safe mode and custom objects."""
    from tensorlet.keras.layers.layer import Layer
    config = dict(config)
    if not compile:
        config.pop("compile_config", None)
    try:
        with registry.SafeModeScope(safe_mode), registry.CustomObjectScope(custom_objects):
            model = serialization.deserialize_keras_object(config, family="models")
    except RecursionError:
        raise safe_io.CorruptFileError(f"{source}: the model config is nested too deeply."
                                       ) from None
    except (ValueError, TypeError) as e:
        if type(e) not in (ValueError, TypeError):
            raise
        raise type(e)(f"Cannot load {source}: {e}") from e
    if not isinstance(model, Layer):
        raise safe_io.CorruptFileError(f"{source}: the config describes a "
                                       f"{type(model).__name__}, not a model.")
    return model


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a `.keras` (or legacy `.h5`) model: architecture, weights, optimizer state."""
    path = os.fspath(filepath)
    if path.endswith((".h5", ".hdf5")):
        return legacy_h5.load_model(path, custom_objects, compile, safe_mode)
    if not path.endswith(".keras"):
        raise ValueError(f"File format not supported: filepath={path}. tensorlet (like Keras 3) "
                         "loads `.keras` files and legacy `.h5` files.")
    if not os.path.isfile(path):
        raise ValueError(f"File not found: filepath={path}. Please ensure the file is an "
                         "accessible `.keras` zip file.")
    with safe_io.open_zip(path, "Keras model file (.keras)", MAX_KERAS_MEMBERS) as zf:
        names = zf.namelist()
        if CONFIG not in names:
            raise safe_io.CorruptFileError(f"{path} is not a Keras model file: it has no "
                                           f"{CONFIG} (members: {names[:10]}).")
        text = safe_io.read_member(zf, CONFIG, path, MAX_CONFIG_BYTES)
        config = parse_config_json(text.decode("utf-8", errors="replace"), f"{path}:{CONFIG}")
        model = model_from_config_dict(config, custom_objects, compile, safe_mode,
                                       f"{path}:{CONFIG}")
        _load_zip_weights(model, zf, path, skip_mismatch=False)
    return model


def _load_zip_weights(model, zf, path, skip_mismatch):
    names = zf.namelist()
    if WEIGHTS not in names:
        other = " (tensorlet reads the HDF5 weights format, not npz)" \
            if "model.weights.npz" in names else ""
        raise safe_io.CorruptFileError(f"{path} has no {WEIGHTS}{other}.")
    data = safe_io.read_member(zf, WEIGHTS, path)
    with weights_h5.open_h5(io.BytesIO(data), f"{WEIGHTS} in {path}") as f:
        weights_h5.read_weights(model, f, f"{path}:{WEIGHTS}", skip_mismatch)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """`model.load_weights(path)`: `.weights.h5`, `.keras`, or legacy `.h5` (`by_name=`)."""
    path = os.fspath(filepath)
    by_name = kwargs.pop("by_name", False)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {list(kwargs)}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such weights file: {path}")
    if path.endswith(".keras"):
        if by_name:
            raise ValueError("by_name=True is only supported for legacy `.h5` files.")
        with safe_io.open_zip(path, "Keras model file (.keras)", MAX_KERAS_MEMBERS) as zf:
            _load_zip_weights(model, zf, path, skip_mismatch)
    elif path.endswith((".h5", ".hdf5")):
        with weights_h5.open_h5(path) as f:
            if path.endswith(weights_h5.SUFFIX) and weights_h5.is_keras3_layout(f) \
                    and not by_name:
                weights_h5.read_weights(model, f, path, skip_mismatch)
            else:
                legacy_h5.load_weights(model, f, path, by_name, skip_mismatch)
    else:
        raise ValueError(f"File format not supported: filepath={path}. tensorlet (like Keras "
                         "3) loads `.weights.h5`, `.keras` and legacy `.h5` files.")


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """`keras.models.model_from_json`: a model (uncompiled weights) from `model.to_json()`."""
    config = parse_config_json(json_string, "the JSON model config")
    return model_from_config_dict(config, custom_objects, True, safe_mode,
                                  "the JSON model config")


def model_from_config(config, custom_objects=None, safe_mode=True):
    """`keras.models.model_from_config`: a model from a config dict."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"`model_from_config` expects a dict with 'class_name' and 'config'; "
                         f"got {config!r:.100}")
    return model_from_config_dict(config, custom_objects, True, safe_mode, "the model config")
