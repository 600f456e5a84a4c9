"""The allow-list of serialisable objects, custom-object scopes and the safe-mode flag.

Every class or function named in a file (a `.keras` config, a legacy `.h5` `model_config`, a
JSON string) is resolved here and only here (issue 9, "Files are data"): through the objects
tensorlet's own Keras modules export (layers, models, losses, metrics, optimizers, schedules,
initializers, regularizers, constraints, activations), the classes and functions registered
with `register_keras_serializable`, and the `custom_objects` of the load call or of an active
`CustomObjectScope`. A module path in a file is a hint for which family to search, never
something to import.

Safe mode is set only by the load functions' `safe_mode` argument (`SafeModeScope`); nested
deserialisation inherits the outermost scope, and no config key, nested model or file
attribute can change it.
"""
import inspect
import threading

_GLOBAL_CUSTOM_OBJECTS = {}  # registered name -> object (a live dict: get_custom_objects())
_GLOBAL_CUSTOM_NAMES = {}  # object -> registered name
_local = threading.local()

# Layers whose configs carry Python code (marshalled bytecode): refused in safe mode.
CODE_CARRYING_CLASSES = frozenset({"Lambda", "TFOpLambda", "SlicingOpLambda"})

FAMILIES = ("layers", "models", "losses", "metrics", "optimizers", "schedules", "initializers",
            "regularizers", "constraints", "activations")


def _stack(name):
    s = getattr(_local, name, None)
    if s is None:
        s = []
        setattr(_local, name, s)
    return s


# -- registration ---------------------------------------------------------------------------


def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a class or function as `'{package}>{name}'` (name defaults to the
    object's `__name__`), so configs naming it resolve."""
    def decorator(obj):
        registered = f"{package}>{name or obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _GLOBAL_CUSTOM_OBJECTS[registered] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = registered
        return obj
    return decorator


def get_registered_name(obj):
    """The name `obj` was registered under, else its `__name__`."""
    try:
        return _GLOBAL_CUSTOM_NAMES[obj]
    except (KeyError, TypeError):
        return getattr(obj, "__name__", None)


def is_registered(obj):
    try:
        return obj in _GLOBAL_CUSTOM_NAMES
    except TypeError:
        return False


def get_custom_objects():
    """The live dict of globally registered objects (adding to it registers an object)."""
    return _GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    """`with CustomObjectScope({"MyLayer": MyLayer}):` makes these names resolve while loading."""

    def __init__(self, custom_objects=None):
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self):
        _stack("custom").append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _stack("custom").pop()


custom_object_scope = CustomObjectScope


def custom_objects_in_scope(custom_objects=None):
    """{name: object}: global registrations, then active scopes, then `custom_objects` (later
    entries win)."""
    table = dict(_GLOBAL_CUSTOM_OBJECTS)
    for scoped in _stack("custom"):
        table.update(scoped)
    table.update(custom_objects or {})
    return table


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered or given under `name` (None when there is none)."""
    table = custom_objects_in_scope(custom_objects)
    if name in table:
        return table[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


# -- safe mode ------------------------------------------------------------------------------


class SafeModeScope:
    """Entered by a load call with its `safe_mode` argument; nested scopes inherit the outermost
    one (a nested load cannot switch safe mode off)."""

    def __init__(self, safe_mode=True):
        self.safe_mode = bool(safe_mode)

    def __enter__(self):
        stack = _stack("safe")
        stack.append(stack[0] if stack else self.safe_mode)
        return self

    def __exit__(self, *exc):
        _stack("safe").pop()


def in_safe_mode():
    """Whether code-carrying objects are refused right now (True outside any load call)."""
    stack = _stack("safe")
    return stack[0] if stack else True


def code_refusal(what):
    return (f"{what} carries Python code that would be executed when loaded, so it is refused "
            "in safe mode (the default). Files are data: tensorlet never runs code from a file "
            "unless you ask it to. If you trust the source of this file, pass safe_mode=False "
            "to the load call (load_model, model_from_json, deserialize_keras_object).")


# -- the built-in families -------------------------------------------------------------------


def family_table(family):
    """{name: object} that tensorlet exports for `family`."""
    import tensorlet.keras as k
    if family == "layers":
        from tensorlet.keras.layers.layer import Layer
        return {n: o for n in dir(k.layers) for o in [getattr(k.layers, n)]
                if inspect.isclass(o) and issubclass(o, Layer)}
    if family == "models":
        return {"Sequential": k.models.Sequential, "Functional": k.models.Functional,
                "Model": k.models.Model}
    if family == "optimizers":
        table = {c.__name__: c for c in k.optimizers.ALL_OBJECTS}
        table.update(k.optimizers.ALL_OBJECTS_DICT)
        return table
    if family == "schedules":
        return dict(k.optimizers.schedules._OBJECTS)
    module = {"losses": k.losses, "metrics": k.metrics, "initializers": k.initializers,
              "regularizers": k.regularizers, "constraints": k.constraints,
              "activations": k.activations}[family]
    return dict(module.ALL_OBJECTS_DICT)


def family_of_module(module):
    """The family a config's `module` string points at ('keras.layers' -> 'layers'), or None."""
    if not isinstance(module, str):
        return None
    parts = module.split(".")
    if parts[0] != "keras":
        return None
    if "schedules" in parts:
        return "schedules"
    for part in parts:
        if part in FAMILIES:
            return part
        if part in ("src", "keras"):
            continue
        if part == "optimizer":
            return "optimizers"
    return None


def family_of_object(obj):
    """The family whose table holds `obj`'s class (or the function itself), or None."""
    target = obj if inspect.isclass(obj) or inspect.isfunction(obj) else type(obj)
    for family in FAMILIES:
        if any(v is target for v in family_table(family).values()):
            return family
    return None
