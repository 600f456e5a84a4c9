"""`serialize_keras_object` / `deserialize_keras_object` in Keras 3's dict format.

An object becomes `{"module", "class_name", "config", "registered_name"}` (plus
`build_config` and `compile_config` for layers and models), with Keras's module names
("keras.layers", "keras.optimizers", ...) so the files load in Keras 3. Reading resolves
classes and functions only through `registry` (the allow-list); code-carrying configs
(`__lambda__`, Lambda layers) are refused in safe mode with the reason.
"""
import inspect
import types
import warnings

import numpy as np

from tensorlet.keras.saving import registry

_PLAIN = (str, int, float, bool)
_MODEL_MODULES = {"Sequential": "keras", "Functional": "keras.src.models.functional",
                  "Model": "keras"}
_MAX_ARRAY_ELEMENTS = 2**26  # a literal array in a JSON config; weights live in HDF5


# -- serialising ------------------------------------------------------------------------------


def serialize_keras_object(obj):
    """Keras 3's config of a Keras object (or of a structure of them / plain values)."""
    if obj is None or isinstance(obj, _PLAIN):
        return obj
    if isinstance(obj, (list, tuple)):
        items = [serialize_keras_object(x) for x in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray) and obj.ndim > 0:
        return {"class_name": "__numpy__",
                "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.item()
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        return {"class_name": "__slice__", "config": {
            "start": serialize_keras_object(obj.start), "stop": serialize_keras_object(obj.stop),
            "step": serialize_keras_object(obj.step)}}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, types.FunctionType):
        return _serialize_function(obj)
    return _serialize_instance(obj)


def _serialize_function(fn):
    if fn.__name__ == "<lambda>":
        raise ValueError(
            "Cannot serialize a Python lambda: tensorlet files hold data, never code. Use a "
            "named function registered with keras.saving.register_keras_serializable().")
    if registry.is_registered(fn):
        name = registry.get_registered_name(fn)
        return {"module": fn.__module__, "class_name": "function", "config": name,
                "registered_name": name}
    family = registry.family_of_object(fn)
    module = f"keras.{family}" if family else fn.__module__
    return {"module": module, "class_name": "function", "config": fn.__name__,
            "registered_name": fn.__name__}


def _serialize_instance(obj):
    cls = type(obj)
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize object {obj!r} of type {cls.__name__}: to be "
                        "serializable, a class must implement `get_config()`.")
    config = obj.get_config()
    if not isinstance(config, dict):
        raise TypeError(f"The `get_config()` method of {obj!r} should return a dict. It "
                        f"returned: {config!r:.100}")
    if registry.is_registered(cls):
        module, registered = cls.__module__, registry.get_registered_name(cls)
    elif cls.__name__ in _MODEL_MODULES and registry.family_table("models").get(
            cls.__name__) is cls:
        module, registered = _MODEL_MODULES[cls.__name__], None
    else:
        family = registry.family_of_object(obj)
        if family == "schedules":
            module = "keras.optimizers.schedules"
        else:
            module = f"keras.{family}" if family else cls.__module__
        registered = None
    out = {"module": module, "class_name": cls.__name__,
           "config": serialize_keras_object(config), "registered_name": registered}
    build = _build_config(obj)
    if build is not None:
        out["build_config"] = serialize_keras_object(build)
    if getattr(obj, "compiled", False) and getattr(obj, "_compile_state", None) is not None:
        from tensorlet.keras.saving import compile_config
        try:
            out["compile_config"] = compile_config.get_compile_config(obj)
        except (TypeError, ValueError) as e:
            warnings.warn(f"The compile arguments of model '{obj.name}' cannot be serialized "
                          f"({e}); it is saved without them and will load uncompiled.",
                          stacklevel=3)
    return out


def _build_config(obj):
    """Keras 3's rule: a layer whose class has no `build` of its own writes no build_config;
    a functional model writes {"input_shape": None} (it is built by its constructor)."""
    from tensorlet.keras.layers.layer import Layer
    from tensorlet.keras.models.functional import Functional
    if not isinstance(obj, Layer):
        return obj.get_build_config() if hasattr(obj, "get_build_config") else None
    if isinstance(obj, Functional):
        return obj.get_build_config() or {"input_shape": None}
    if type(obj).build is Layer.build:
        return None
    return obj.get_build_config()


# -- deserialising ----------------------------------------------------------------------------


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, family=None,
                             **kwargs):
    """The object a Keras config describes, resolved through the allow-list only.

    `family` ("layers", "losses", ...) says what kind of object is expected when the config's
    `module` does not; `safe_mode` applies unless an outer load call already set it."""
    with registry.SafeModeScope(safe_mode), registry.CustomObjectScope(custom_objects):
        return _deserialize(config, family)


def _deserialize(config, family):
    if config is None or isinstance(config, _PLAIN):
        if isinstance(config, str) and family is not None:
            return _resolve_name(config, family)
        return config
    if isinstance(config, (list, tuple)):
        return [_deserialize(x, family) for x in config]
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: {config!r:.100}")
    if "class_name" not in config:
        return {k: _deserialize(v, family) for k, v in config.items()}
    class_name = config["class_name"]
    if not isinstance(class_name, str):
        raise ValueError(f"A config's class_name must be a string, got {class_name!r:.80}")
    inner = config.get("config")
    special = _special(class_name, inner, family)
    if special is not _NOT_SPECIAL:
        return special
    if class_name == "function":
        return _resolve_function(config, inner, family)
    cls = resolve_class(class_name, config.get("module"), config.get("registered_name"),
                        family)
    if inspect.isfunction(cls):
        return cls
    if inner is None:
        inner = {}
    from tensorlet.keras.saving import legacy_config
    if class_name in ("Sequential", "Functional", "Model") or (
            isinstance(inner, dict) and "input_layers" in inner):
        inner = legacy_config.normalize_model_config(class_name, inner)
    inner = legacy_config.drop_unused_keys(inner)
    if not isinstance(inner, dict):
        raise ValueError(f"Expected 'config' to be a dict for {class_name}, got "
                         f"{type(inner).__name__}")
    if not hasattr(cls, "from_config"):
        raise TypeError(f"Unable to reconstruct an instance of '{class_name}' because the class "
                        "is missing a `from_config()` method.")
    params = inspect.signature(cls.from_config).parameters
    try:
        if "custom_objects" in params:
            obj = cls.from_config(dict(inner),
                                  custom_objects=registry.custom_objects_in_scope())
        else:
            obj = cls.from_config(dict(inner))
    except (ValueError, TypeError) as e:
        if type(e) not in (ValueError, TypeError):
            raise
        raise type(e)(f"{class_name} '{inner.get('name', '?')}': {e}") from e
    build = config.get("build_config")
    if build and hasattr(obj, "build_from_config") and not getattr(obj, "built", True):
        obj.build_from_config(build)
    compile_cfg = config.get("compile_config")
    if compile_cfg and hasattr(obj, "compile"):
        from tensorlet.keras.saving import compile_config
        compile_config.compile_from_config(obj, compile_cfg)
    return obj


_NOT_SPECIAL = object()


def _special(class_name, inner, family):
    """Keras's special markers for plain values; `__lambda__` (bytecode) is refused."""
    if class_name == "__lambda__":
        if registry.in_safe_mode():
            raise ValueError(registry.code_refusal("This config holds a Python lambda, which"))
        return _load_lambda(inner)
    if class_name == "__numpy__":
        return _numpy_literal(inner)
    if class_name == "__tensor__":
        return _numpy_literal(inner)
    if class_name == "__bytes__":
        return str(inner["value"]).encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        return slice(*(_deserialize(inner.get(k), None) for k in ("start", "stop", "step")))
    if class_name == "__keras_tensor__":
        return {"class_name": class_name, "config": inner}
    return _NOT_SPECIAL


def _load_lambda(inner):
    """The function of a `__lambda__` config (marshalled bytecode, as Keras writes it); only
    reached with safe_mode=False, which the caller chose knowing the code will run."""
    import base64
    import builtins
    import marshal

    import tensorlet
    value = inner.get("value") if isinstance(inner, dict) else None
    if isinstance(value, (list, tuple)) and len(value) == 3:
        code, defaults, closure = value
    elif isinstance(inner, dict):
        code, defaults, closure = inner.get("code"), inner.get("defaults"), inner.get("closure")
    else:
        code = None
    if not isinstance(code, str):
        raise ValueError(f"Malformed lambda config: {inner!r:.100}")
    try:
        fn_code = marshal.loads(base64.decodebytes(code.encode("ascii")))
    except (ValueError, EOFError, TypeError) as e:
        raise ValueError(f"The lambda's bytecode cannot be read (written by another Python "
                         f"version?): {e}") from None
    if not isinstance(fn_code, types.CodeType):
        raise ValueError("The lambda config does not hold Python bytecode.")
    cells = tuple(types.CellType(c) for c in closure) if closure else None
    namespace = {"__builtins__": builtins, "keras": tensorlet.keras, "tf": tensorlet, "np": np}
    return types.FunctionType(fn_code, namespace, fn_code.co_name,
                              tuple(defaults) if defaults else None, cells)


def _numpy_literal(inner):
    dtype = np.dtype(str(inner.get("dtype", "float32")))
    if dtype.kind not in "biuf":
        raise ValueError(f"Refusing a literal array of dtype {dtype} in a config (only numeric "
                         "arrays are accepted).")
    arr = np.array(inner["value"], dtype=dtype)
    if arr.size > _MAX_ARRAY_ELEMENTS:
        raise ValueError(f"A literal array in the config has {arr.size} elements; refusing it.")
    return arr


def resolve_class(class_name, module=None, registered_name=None, family=None):
    """The class (or function) a config names: custom objects first (by registered name, then
    class name), then the built-in family its module points at. Nothing is imported."""
    if class_name in registry.CODE_CARRYING_CLASSES and registry.in_safe_mode():
        raise ValueError(registry.code_refusal(f"The '{class_name}' layer in this file"))
    custom = registry.custom_objects_in_scope()
    for key in (registered_name, class_name):
        if isinstance(key, str) and key in custom:
            return custom[key]
    if module is not None and not isinstance(module, str):
        raise ValueError(f"A config's module must be a string, got {module!r:.80}")
    fam = registry.family_of_module(module) or family
    searched = [fam] if fam not in (None, "layers", "models") else \
        [f for f in (fam, "layers", "models") if f is not None]
    searched = list(dict.fromkeys(searched))
    for f in searched:
        table = registry.family_table(f)
        name = class_name.lower() if f == "optimizers" and class_name not in table \
            else class_name
        if name in table:
            return table[name]
    raise ValueError(_unknown_message(class_name, module, registered_name, searched))


def _unknown_message(name, module, registered_name, families):
    known = sorted({n for f in families for n in registry.family_table(f)})
    custom = sorted(registry.custom_objects_in_scope())
    where = f" from module {module!r}" if module else ""
    reg = f" (registered name {registered_name!r})" if registered_name and \
        registered_name != name else ""
    return (f"Unknown {'/'.join(families)} class or function {name!r}{where}{reg}. tensorlet "
            "resolves names in files only through its registry of serializable objects and "
            "never imports a module named in a file. Registered custom objects: "
            f"{custom or 'none'}. Known {'/'.join(families)}: {', '.join(known)}. To load a "
            "custom object, decorate it with keras.saving.register_keras_serializable() or "
            "pass it in custom_objects={'Name': object}.")


def _resolve_function(config, inner, family):
    if not isinstance(inner, str):
        raise ValueError(f"Expected 'config' to be a function name for a function config, got "
                         f"{inner!r:.80}")
    custom = registry.custom_objects_in_scope()
    for key in (config.get("registered_name"), inner):
        if isinstance(key, str) and key in custom:
            return custom[key]
    if ">" not in inner:  # Keras <= 3.6 saved registered functions by their bare name
        for key, obj in custom.items():
            if key.endswith(">" + inner):
                return obj
    fam = registry.family_of_module(config.get("module")) or family
    families = [fam] if fam else ["activations", "losses", "metrics"]
    for f in families:
        obj = registry.family_table(f).get(inner)
        if obj is not None:
            return obj
    raise ValueError(_unknown_message(inner, config.get("module"), config.get("registered_name"),
                                      families))


def _resolve_name(name, family):
    """A bare name where an object is expected: a custom object, else left as the string
    (the consumer's own `get()` resolves built-in names like 'mse' or 'adam')."""
    custom = registry.custom_objects_in_scope()
    return custom.get(name, name)
