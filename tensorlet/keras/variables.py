"""`keras.Variable`: Keras 3's standalone variable, a Keras variable of the current Keras
graph (what `add_weight` makes too, so `isinstance(layer.kernel, keras.Variable)` holds).
Set as an attribute of a layer it becomes one of the layer's weights (trained and saved)."""
import numpy as np

from tensorlet.framework.graph import get_default_graph
from tensorlet.keras import backend, initializers


class _VariableType(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, backend.KerasVariable)


class Variable(metaclass=_VariableType):
    """`keras.Variable(initializer, shape=None, dtype=None, trainable=True, name=None)`: the
    initializer is a value (array, number) or an initializer (a name, an initializer object or
    any callable fn(shape, dtype), with `shape`);
    dtype defaults to floatx(), as in Keras 3."""

    def __new__(cls, initializer, shape=None, dtype=None, trainable=True, autocast=True,
                aggregation="none", synchronization="auto", name=None):
        dtype = backend.standardize_dtype(dtype)
        if isinstance(initializer, (str, dict)) or callable(initializer):
            if shape is None:
                raise ValueError("keras.Variable: an initializer needs a `shape`, e.g. "
                                 f"keras.Variable({initializer!r}, shape=(3, 4)).")
            init = initializer if callable(initializer) else initializers.get(initializer)
            shape = tuple(int(d) for d in shape)
            value = lambda: init(shape, dtype=dtype)  # noqa: E731
        else:
            value = np.asarray(initializer, dtype=np.dtype(dtype))
            if shape is not None and tuple(shape) != value.shape:
                raise ValueError(f"keras.Variable: the initial value has shape {value.shape}, "
                                 f"`shape` says {tuple(shape)}.")
        graph = get_default_graph()
        if not (graph._eager or backend.is_keras_graph(graph)):
            graph = backend.get_graph()
        name = name or "variable"
        with graph.as_default():
            var = backend.KerasVariable(value, path=name, trainable=trainable, name=name,
                                        dtype=dtype)
        var._attribute_weight = True  # a layer attribute holding it makes it a weight
        return var
