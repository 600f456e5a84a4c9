"""Legacy Keras `.h5` files (Keras 2 and Keras 3's legacy writer).

A full-model file has the attributes `model_config` (JSON) and `training_config`, a group
`model_weights` (one group per layer, attribute `layer_names`; each layer group lists its
datasets in the attribute `weight_names`, in the order trainable weights then non-trainable
weights) and a group `optimizer_weights`. A weights-only file has the per-layer groups at its
root. Weights load in layer order (layers with weights, matched one to one) or by layer name
(`by_name=True`). The config goes through the same allow-list and safe mode as `.keras`
files, and every dataset is checked before any is read.
"""
import json
import os
import warnings

import numpy as np

from tensorlet._lazy import LazyModule
from tensorlet.keras import backend
from tensorlet.keras.saving import layout, legacy_config, weights_h5
from tensorlet.train import safe_io

h5py = LazyModule("h5py")

MAX_ATTR_CHARS = 64 * 1024**2
_LEGACY_OPTIMIZER_KEYS = ("decay", "is_legacy_optimizer", "jit_compile")


# -- writing ----------------------------------------------------------------------------------


def _legacy_weights(layer):
    return layer.trainable_weights + layer.non_trainable_weights


def keras_layers(model):
    """The model's layers in Keras 3's order (a functional model's differ from tensorlet's)."""
    from tensorlet.keras.models.functional import Functional
    return layout.functional_layers(model) if isinstance(model, Functional) else model.layers


def _weight_paths(layer, prefix, out):
    """{id(variable): 'layer/sublayer/.../name'} for the variables of `layer`'s tree."""
    for w in layer._own_weights:
        out.setdefault(id(w), f"{prefix}/{getattr(w, 'path', w.op.name).rsplit('/', 1)[-1]}")
    for child in layer._layers:
        _weight_paths(child, f"{prefix}/{child.name}", out)
    return out


def _unique(names):
    seen, out = {}, []
    for n in names:
        k = seen.get(n, 0)
        seen[n] = k + 1
        out.append(n if k == 0 else f"{n}_{k}")
    return out


def _write_datasets(group, names, variables):
    names = _unique(names)
    group.attrs["weight_names"] = np.array([n.encode("utf8") for n in names])
    for name, value in zip(names, backend.batch_get_value(variables)):
        group.create_dataset(name, data=np.asarray(value))


def _write_layer_groups(group, layers):
    group.attrs["layer_names"] = np.array([layer.name.encode("utf8") for layer in layers])
    group.attrs["backend"] = b"tensorflow"
    group.attrs["keras_version"] = b"3.15.1"
    for layer in layers:
        weights = _legacy_weights(layer)
        paths = _weight_paths(layer, layer.name, {})
        _write_datasets(group.create_group(layer.name), [paths[id(w)] for w in weights],
                        weights)


def save_model(model, path, include_optimizer=True):
    """`model.save("m.h5")`: Keras 3's legacy layout, written atomically."""
    from tensorlet.keras.saving import compile_config, serialization
    config = serialization.serialize_keras_object(model)
    compile_cfg = config.pop("compile_config", None)
    with safe_io.atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"3.15.1"
        f.attrs["model_config"] = json.dumps(legacy_config.strip_for_legacy(config)).encode()
        if compile_cfg is not None:
            training = {k: v for k, v in compile_cfg.items() if k != "optimizer"}
            opt = compile_cfg["optimizer"]
            training["optimizer_config"] = {"class_name": opt["class_name"],
                                            "config": opt["config"]}
            f.attrs["training_config"] = json.dumps(training).encode()
        _write_layer_groups(f.create_group("model_weights"), keras_layers(model))
        opt = getattr(model, "optimizer", None)
        if include_optimizer and opt is not None and compile_cfg is not None:
            compile_config.build_optimizer(model)
            variables = layout.optimizer_variables(opt, model)
            _write_datasets(f.create_group("optimizer_weights"),
                            [getattr(v, "path", v.op.name) for v in variables], variables)


# -- reading ----------------------------------------------------------------------------------


def _text_attr(node, name, source):
    value = node.attrs.get(name)
    if value is None:
        return None
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        raise safe_io.CorruptFileError(f"{source}: attribute {name!r} is not text.")
    if len(value) > MAX_ATTR_CHARS:
        raise safe_io.CorruptFileError(f"{source}: attribute {name!r} is too large.")
    return value


def _names_attr(node, name):
    """A list-of-strings attribute (possibly chunked as name0, name1, ...)."""
    def decode(values):
        arr = np.atleast_1d(values)
        if arr.dtype.kind not in "SUO":
            return []  # Keras writes an empty float array for "no weights"
        return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in arr]
    if name in node.attrs:
        return decode(node.attrs[name])
    out, i = [], 0
    while f"{name}{i}" in node.attrs:
        out.extend(decode(node.attrs[f"{name}{i}"]))
        i += 1
    return out


def _hard_get(group, path, source):
    """`group[path]` following hard links only (soft and external links are refused)."""
    if not path or path.startswith("/"):
        raise safe_io.CorruptFileError(f"{source}: invalid weight name {path!r}.")
    node = group
    parts = path.split("/")
    for i, part in enumerate(parts):
        link = node.get(part, getlink=True) if isinstance(node, h5py.Group) else None
        if link is None:
            raise safe_io.CorruptFileError(f"{source}: weight {path!r} is missing.")
        if not isinstance(link, h5py.HardLink):
            raise safe_io.CorruptFileError(f"{source}: weight {path!r} goes through a "
                                           f"{type(link).__name__}; refused.")
        if i < len(parts) - 1:
            node = node[part]
    return node, parts[-1]


def _layer_datasets(group, layer_name, source):
    g = group.get(layer_name, getlink=True)
    if not isinstance(g, h5py.HardLink) or not isinstance(group[layer_name], h5py.Group):
        raise safe_io.CorruptFileError(f"{source}: layer group {layer_name!r} is missing or is "
                                       "not a plain group.")
    lg = group[layer_name]
    return lg, _names_attr(lg, "weight_names")


def _check(lg, names, variables, where, source):
    """[(variable, dataset)] after checking count, safety and shapes; or a problem string."""
    if len(names) != len(variables):
        return (f"{where} expects {len(variables)} weight(s), the file holds {len(names)}")
    entries = [(v, *_hard_get(lg, name, source)) for name, v in zip(names, variables)]
    return weights_h5.checked_pairs(entries, f"{source}:{lg.name}", f"{where} weight")


def load_weights(model, f, source, by_name=False, skip_mismatch=False):
    """Legacy weight loading from an open h5py File (full-model or weights-only file)."""
    group = f["model_weights"] if "model_weights" in f else f
    file_layers = _names_attr(group, "layer_names")
    if not file_layers and "layer_names" not in group.attrs:
        raise safe_io.CorruptFileError(f"{source} is neither a Keras 3 weights file nor a "
                                       "legacy Keras weights file (no 'layer_names').")
    if by_name:
        plans = _plan_by_name(model, group, file_layers, source)
    else:
        plans = _plan_in_order(model, group, file_layers, source)
    pairs = weights_h5.loadable_pairs([(where, result, False) for where, result in plans],
                                      model, source, skip_mismatch)
    backend.batch_set_value([(v, ds[()]) for v, ds in pairs])


def _plan_in_order(model, group, file_layers, source):
    layers = [lyr for lyr in keras_layers(model) if _legacy_weights(lyr)]
    saved = []
    for name in file_layers:
        lg, names = _layer_datasets(group, name, source)
        if names:
            saved.append((name, lg, names))
    if len(saved) != len(layers):
        raise ValueError(f"Layer count mismatch when loading weights from {source}: model "
                         f"'{model.name}' has {len(layers)} layers with weights "
                         f"({[lyr.name for lyr in layers]}), the file has {len(saved)} "
                         f"({[s[0] for s in saved]}).")
    return [(f"layer #{k} (named {layer.name}, {name} in the file)",
             _check(lg, names, _legacy_weights(layer), f"layer '{layer.name}'", source))
            for k, ((name, lg, names), layer) in enumerate(zip(saved, layers))]


def _plan_by_name(model, group, file_layers, source):
    plans = []
    by_name = {layer.name: layer for layer in model._flatten_layers(include_self=False)}
    for name in file_layers:
        layer = by_name.get(name)
        if layer is None:
            continue
        lg, names = _layer_datasets(group, name, source)
        plans.append((f"layer '{name}'", _check(lg, names, _legacy_weights(layer),
                                                 f"layer '{name}'", source)))
    return plans


def load_model(path, custom_objects=None, compile=True, safe_mode=True):
    """A model from a legacy `.h5` file: config, weights, compile arguments, optimizer state."""
    from tensorlet.keras.saving import compile_config, keras_zip, registry
    if not os.path.isfile(path):
        raise ValueError(f"File not found: filepath={path}.")
    with weights_h5.open_h5(path, "legacy Keras .h5 model file") as f:
        text = _text_attr(f, "model_config", path)
        if text is None:
            raise ValueError(f"No model config found in the file at {path}.")
        config = keras_zip.parse_config_json(text, f"{path}:model_config")
        model = keras_zip.model_from_config_dict(config, custom_objects, False, safe_mode,
                                                 f"{path}:model_config")
        load_weights(model, f, path)
        training = _text_attr(f, "training_config", path) if compile else None
        if training is None:
            if compile:
                warnings.warn("No training configuration found in the save file, so the model "
                              "was *not* compiled. Compile it manually.", stacklevel=2)
            return model
        cfg = keras_zip.parse_json(training, f"{path}:training_config")
        if not isinstance(cfg, dict):
            raise safe_io.CorruptFileError(f"{path}: training_config is not a JSON object.")
        with registry.SafeModeScope(safe_mode), registry.CustomObjectScope(custom_objects):
            compile_config.compile_from_config(model, _compile_args(cfg))
        if "optimizer_weights" in f:
            _load_optimizer(model, f["optimizer_weights"], path)
    return model


def _compile_args(training):
    args = {k: training.get(k) for k in ("loss", "metrics", "loss_weights", "weighted_metrics")}
    opt = training.get("optimizer_config")
    if isinstance(opt, dict):
        inner = dict(opt.get("config") or {})
        for key in _LEGACY_OPTIMIZER_KEYS:
            inner.pop(key, None)
        if "lr" in inner:
            inner.setdefault("learning_rate", inner.pop("lr"))
        opt = {"module": "keras.optimizers", "class_name": opt.get("class_name"),
               "config": inner}
    args["optimizer"] = opt
    return args


def _load_optimizer(model, group, source):
    opt = model.optimizer
    names = _names_attr(group, "weight_names")
    variables = layout.optimizer_variables(opt, model)
    if len(names) != len(variables):
        warnings.warn(f"Error in loading the saved optimizer state from {source}: it has "
                      f"{len(names)} variables, optimizer '{opt.name}' has {len(variables)}. "
                      "Your model is starting with a freshly initialized optimizer.",
                      stacklevel=3)
        return
    result = _check(group, names, variables, f"optimizer '{opt.name}'", source)
    if isinstance(result, str):
        warnings.warn(f"Error in loading the saved optimizer state from {source}: {result}. "
                      "Your model is starting with a freshly initialized optimizer.",
                      stacklevel=3)
        return
    backend.batch_set_value([(v, ds[()]) for v, ds in result])
