"""`keras.layers.serialize/deserialize`: layers as Keras 3 config dicts and back.

Classes resolve only through an allow-list: the Layer subclasses exported by
`tensorlet.keras.layers` and the models of `tensorlet.keras.models`, plus `custom_objects`
(issue 9: files are data; nothing is imported from a config).
"""
import inspect


def _known_classes(custom_objects=None):
    from tensorlet.keras import layers, models
    from tensorlet.keras.layers.layer import Layer
    table = {}
    for module in (layers, models):
        for name in dir(module):
            obj = getattr(module, name)
            if inspect.isclass(obj) and issubclass(obj, Layer):
                table[name] = obj
    table["Functional"] = models.Functional
    table.update(custom_objects or {})
    return table


def serialize(layer):
    """Keras 3's dict for a layer: module, class_name, config, registered_name, build_config."""
    module = "keras.models" if type(layer).__name__ in ("Sequential", "Functional") \
        else "keras.layers"
    out = {"module": module, "class_name": type(layer).__name__, "config": layer.get_config(),
           "registered_name": None}
    build = layer.get_build_config() if hasattr(layer, "get_build_config") else None
    if build is not None and type(layer).__name__ not in ("InputLayer", "Sequential",
                                                           "Functional"):
        out["build_config"] = _listify(build)
    return out


def _listify(x):
    if isinstance(x, dict):
        return {k: _listify(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_listify(v) for v in x]
    return x


def deserialize(config, custom_objects=None):
    """The layer a config dict describes; unknown classes raise, listing the known ones."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A layer config must be a dict with 'class_name' and 'config'; got "
                         f"{config!r:.100}")
    table = _known_classes(custom_objects)
    name = config["class_name"]
    cls = table.get(name)
    if cls is None:
        raise ValueError(f"Unknown layer class {name!r}: only tensorlet's own layers (and "
                         f"`custom_objects`) can be deserialized. Known: "
                         f"{', '.join(sorted(table))}")
    inner = dict(config.get("config") or {})
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        layer = cls.from_config(inner, custom_objects=custom_objects)
    else:
        layer = cls.from_config(inner)
    build = config.get("build_config")
    if build and hasattr(layer, "build_from_config") and not layer.built:
        layer.build_from_config(build)
    return layer
