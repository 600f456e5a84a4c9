"""String/dict identifiers for Keras objects: `get`, `serialize` and `deserialize` helpers.

Activations, initializers, regularizers, constraints, losses and metrics are named in Keras
code by strings ("relu", "glorot_uniform") or by Keras 3 config dicts
(`{"module": ..., "class_name": ..., "config": ...}`). Names resolve only through each
module's own table of known objects (an allow-list: nothing is imported from a config), and an
unknown name raises a ValueError listing the names that are known.
"""
import inspect
import re
import types


def serialize_object(obj, module):
    """Keras 3's dict for an object with `get_config`, or the name of a known function."""
    if obj is None:
        return None
    if _registered(obj):  # a class or function of keras.saving.register_keras_serializable
        from tensorlet.keras.saving.serialization import serialize_keras_object
        return serialize_keras_object(obj)
    if isinstance(obj, types.FunctionType):
        return {"module": module, "class_name": "function", "config": obj.__name__,
                "registered_name": obj.__name__}
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize {obj!r}: it is neither a function nor an object "
                        "with get_config()")
    return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(),
            "registered_name": None}


def _registered(obj):
    from tensorlet.keras.saving import registry
    return registry.is_registered(obj if isinstance(obj, types.FunctionType) else type(obj))


def _known(objects):
    return ", ".join(sorted(objects))


def deserialize_object(config, objects, kind, custom_objects=None):
    """The object a name or config dict describes, resolved only through `objects`."""
    from tensorlet.keras.saving import registry  # registered and scoped custom objects
    table = dict(objects)
    table.update(registry.custom_objects_in_scope(custom_objects))
    if isinstance(config, str):
        if config not in table:
            raise ValueError(f"Unknown {kind} identifier {config!r}. Known {kind}s: "
                             f"{_known(table)}")
        return table[config]
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"Could not interpret {kind} identifier {config!r}: expected a name or a dict with "
            "'class_name' and 'config'")
    class_name, inner = config["class_name"], config.get("config")
    registered = config.get("registered_name")
    if class_name == "function":
        if isinstance(registered, str) and registered in table:
            return table[registered]
        return deserialize_object(inner, objects, kind, custom_objects)
    cls = table.get(registered) if isinstance(registered, str) else None
    cls = cls or table.get(class_name)
    if cls is None or not inspect.isclass(cls):
        raise ValueError(f"Unknown {kind} class {class_name!r} in config. Known {kind}s: "
                         f"{_known(table)}")
    if inner is None:
        return cls()
    if not isinstance(inner, dict):
        raise ValueError(  # noqa: TRY004  (Keras raises ValueError here)
            f"The config of {kind} {class_name!r} must be a dict, got {type(inner).__name__}")
    return cls.from_config(inner)


def get_object(identifier, objects, kind, instantiate=True):
    """Keras's `get`: a name, a config dict, a class (instantiated) or a callable."""
    if isinstance(identifier, (str, dict)):
        obj = deserialize_object(identifier, objects, kind)
    else:
        obj = identifier
    if inspect.isclass(obj) and instantiate:
        obj = obj()
    if not callable(obj):
        raise ValueError(  # noqa: TRY004  (Keras raises ValueError here)
            f"Could not interpret {kind} identifier {identifier!r}: expected a name, a config "
            f"dict or a callable. Known {kind}s: {_known(objects)}")
    return obj


def fn_wrapper_config(config, fn, fn_kwargs, module):
    """A function wrapper's config (LossFunctionWrapper, MeanMetricWrapper): its base config
    with `fn` serialised and fn's own keyword arguments."""
    config["fn"] = serialize_object(fn, module)
    config.update(fn_kwargs)
    return config


def resolve_fn(config, deserialize):
    """A copy of a function wrapper's config with its `fn` entry deserialised."""
    config = dict(config)
    if "fn" in config:
        config["fn"] = deserialize(config["fn"])
    return config


def snake_case(name):
    """'GlorotUniform' -> 'glorot_uniform' (Keras's aliases for class names)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
