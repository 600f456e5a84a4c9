"""`Lambda`: wraps a Python function of tensors as a layer.

Its config stores the function as Keras 3 does: a named function by its (registered) name, a
Python lambda as marshalled bytecode in base64 (`{"class_name": "__lambda__", "config":
{"code", "defaults", "closure"}}`). Loading bytecode runs code from the file, so it goes
through `keras.saving`'s deserialiser, which refuses it unless the load call passed
`safe_mode=False` (DESIGN.md rule 8); `from_config` outside a load call refuses it too.
"""
import base64
import inspect
import marshal
import types

from tensorlet.framework.graph import Tensor
from tensorlet.keras import tree
from tensorlet.keras.layers.layer import Layer
from tensorlet.ops.base import as_tensor

_PLAIN = (str, int, float, bool, type(None))
_LOADED_FROM = "_tensorlet_lambda_config"  # attribute of a lambda loaded from a config


def _is_lambda(fn):
    return isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>"


def _plain(value):
    """Whether `value` is JSON data (numbers, strings, None, lists/tuples/dicts of them)."""
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def _serialize(obj):
    from tensorlet.keras.saving.serialization import serialize_keras_object
    return serialize_keras_object(obj)


def _deserialize(config, custom_objects):
    from tensorlet.keras.saving.serialization import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects=custom_objects)


def _function_config(fn, layer_name, what):
    """Keras 3's config of `fn`: bytecode for a Python lambda, else the function's name. A
    lambda loaded from a config is written back with the bytecode it came with (marshal does
    not reproduce its bytes)."""
    saved = getattr(fn, _LOADED_FROM, None)
    if saved is not None:
        return saved
    if not _is_lambda(fn):
        return _serialize(fn)
    closure = tuple(c.cell_contents for c in fn.__closure__) if fn.__closure__ else None
    defaults = fn.__defaults__
    for part, value in (("closure", closure), ("defaults", defaults)):
        if not _plain(value):
            raise ValueError(
                f"Lambda layer '{layer_name}': the Python lambda given as `{what}` uses "
                f"non-JSON values in its {part} ({value!r:.80}), which cannot be saved with "
                f"its bytecode. Pass such values through `arguments=`, or write a Layer "
                f"subclass with get_config().")
    code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
    return {"class_name": "__lambda__",
            "config": {"code": code, "defaults": defaults, "closure": closure}}


def _legacy_function(value, function_type):
    """Keras 2's form (`function_type` 'lambda': (code, defaults, closure); 'function': a
    name) as a Keras 3 function config."""
    if function_type == "lambda":
        if isinstance(value, str):
            value = (value, None, None)
        if not isinstance(value, (list, tuple)) or len(value) != 3:
            raise ValueError(f"Malformed Keras 2 lambda config: {value!r:.100}")
        code, defaults, closure = value
        return {"class_name": "__lambda__",
                "config": {"code": code, "defaults": defaults, "closure": closure}}
    if function_type == "function" and isinstance(value, str):
        return {"class_name": "function", "config": value, "registered_name": value}
    return value


def _load_callable(value, custom_objects):
    """A function from its config (a `__lambda__` dict goes through the safe-mode check)."""
    if not isinstance(value, dict) or "class_name" not in value:
        return value
    fn = _deserialize(value, custom_objects)
    if value["class_name"] == "__lambda__" and isinstance(fn, types.FunctionType):
        setattr(fn, _LOADED_FROM, value)
    return fn


class Lambda(Layer):
    """`Lambda(function, output_shape=None, mask=None, arguments=None)`: calls
    `function(inputs, **arguments)` (passing `mask=`/`training=` when the function takes them).

    `output_shape` is a shape without the batch axis, or a function of the input shape; when
    None the shape is found by tracing. `mask` is a function `(inputs, mask) -> mask` or a
    fixed mask; without it the layer does not propagate masks.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable. Received: "
                            f"function={function!r:.80}")
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(f"Lambda: `arguments` must be a dict of keyword arguments for the "
                            f"function. Received: arguments={arguments!r:.80}")
        if output_shape is not None and not callable(output_shape):
            output_shape = _as_shape(output_shape)
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_expects_mask = "mask" in params
        self._fn_expects_training = "training" in params

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask:
            kwargs["mask"] = mask
        if self._fn_expects_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        if self.mask is None or isinstance(self.mask, Tensor):
            return self.mask
        return as_tensor(self.mask)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = tree.flatten(input_shape)[0] if input_shape else None
        if _is_shape(self._output_shape):
            return (batch,) + self._output_shape
        return [(batch,) + s for s in self._output_shape]

    def get_config(self):
        config = {"function": _function_config(self.function, self.name, "function")}
        if self._output_shape is not None:
            config["output_shape"] = (
                _function_config(self._output_shape, self.name, "output_shape")
                if callable(self._output_shape) else self._output_shape)
        if self.mask is not None:
            config["mask"] = (_function_config(self.mask, self.name, "mask")
                              if callable(self.mask) else _serialize(self.mask))
        config["arguments"] = _serialize(self.arguments)
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        function_type = config.pop("function_type", None)
        shape_type = config.pop("output_shape_type", None)
        config.pop("module", None)
        config.pop("output_shape_module", None)
        config["function"] = _load_callable(
            _legacy_function(config["function"], function_type), custom_objects)
        shape = config.get("output_shape")
        if shape is not None:
            shape = _load_callable(_legacy_function(shape, shape_type), custom_objects)
            config["output_shape"] = shape if callable(shape) else _as_shape(shape)
        if config.get("mask") is not None:
            config["mask"] = _load_callable(config["mask"], custom_objects)
        if config.get("arguments") is not None:
            config["arguments"] = _deserialize(config["arguments"], custom_objects)
        return cls(**config)


def _is_shape(value):
    return all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in value)


def _as_shape(value):
    """`output_shape` as a tuple (or a list of tuples for several outputs)."""
    if isinstance(value, (list, tuple)) and _is_shape(value):
        return tuple(value)
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(s, (list, tuple)) and _is_shape(s) for s in value):
        return [tuple(s) for s in value]
    raise ValueError(f"Lambda: `output_shape` must be a shape tuple without the batch axis, a "
                     f"list of them, or a function of the input shape. Received: "
                     f"output_shape={value!r:.80}")


__all__ = ["Lambda"]
