"""Normalising model configs written by Keras 2 (and Keras 3's legacy writer) before they are
rebuilt: Keras 2's functional nodes (`[[layer, node, tensor, kwargs], ...]`) become Keras 3's
`{"args", "kwargs"}` form, Keras 2's Sequential list form gets its `layers` key, and two
call arguments Keras 3 records in nodes are dropped where they change nothing in Keras 3:
`training` (the call of the model decides whether a layer runs in training mode) and
`mask=None` (the same as no mask argument)."""


def _tensor_ref(ref):
    if not isinstance(ref, (list, tuple)) or len(ref) < 3 or not isinstance(ref[0], str):
        raise ValueError(f"Malformed inbound node reference in a legacy config: {ref!r:.100}")
    name, node_index, tensor_index = ref[0], int(ref[1]), int(ref[2])
    return {"class_name": "__keras_tensor__",
            "config": {"keras_history": [name, node_index, tensor_index]}}


def _convert_node(node):
    """One Keras 2 node (a list of references) in Keras 3's form."""
    if isinstance(node, dict):
        kwargs = {k: v for k, v in (node.get("kwargs") or {}).items()
                  if k != "training" and not (k == "mask" and v is None)}
        return {"args": node.get("args", []), "kwargs": kwargs}
    refs = list(node)
    kwargs = {}
    for ref in refs:
        if isinstance(ref, (list, tuple)) and len(ref) > 3 and isinstance(ref[3], dict):
            kwargs.update(ref[3])
    kwargs.pop("training", None)
    tensors = [_tensor_ref(r) for r in refs]
    return {"args": [tensors[0] if len(tensors) == 1 else tensors], "kwargs": kwargs}


def normalize_model_config(class_name, config):
    """A copy of a Sequential/Functional `config` in the form tensorlet's models rebuild."""
    if class_name == "Sequential" and isinstance(config, list):
        return {"name": None, "layers": config}
    if not isinstance(config, dict) or "layers" not in config:
        return config
    if "input_layers" not in config:
        return config
    config = dict(config)
    layers = []
    for entry in config["layers"]:
        if isinstance(entry, dict) and isinstance(entry.get("inbound_nodes"), list):
            entry = dict(entry, inbound_nodes=[_convert_node(n)
                                               for n in entry["inbound_nodes"]])
        layers.append(entry)
    config["layers"] = layers
    return config


def strip_for_legacy(config):
    """Keras 3's legacy `.h5` writer leaves out `module`, `registered_name` and `build_config`
    at the model and layer level."""
    out = {"class_name": config["class_name"], "config": dict(config["config"])}
    inner = out["config"]
    if isinstance(inner.get("layers"), list):
        inner["layers"] = [_strip_entry(e) for e in inner["layers"]]
    return out


def _strip_entry(entry):
    out = {k: v for k, v in entry.items()
           if k not in ("module", "registered_name", "build_config")}
    if isinstance(out.get("config"), dict) and isinstance(out["config"].get("layers"), list):
        out["config"] = dict(out["config"],
                             layers=[_strip_entry(e) for e in out["config"]["layers"]])
    return out


# Arguments newer Keras 3 releases write into configs for features tensorlet does not have
# (quantization, batch renormalisation, fan axes of variance-scaling initializers). Holding
# these values they mean "not used", so they are dropped; any other value is left for the
# class to refuse with its own error.
_UNUSED_DEFAULTS = {"quantization_config": None, "input_axes": None, "output_axes": None,
                    "renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99}


def drop_unused_keys(config):
    """A copy of a (nested) config dict without the keys above when they hold those values."""
    if isinstance(config, dict):
        return {k: drop_unused_keys(v) for k, v in config.items()
                if not (k in _UNUSED_DEFAULTS and v == _UNUSED_DEFAULTS[k]
                        and type(v) is type(_UNUSED_DEFAULTS[k]))}
    if isinstance(config, list):
        return [drop_unused_keys(v) for v in config]
    return config
