"""`keras.models.clone_model`: the same architecture with new layers (so new, freshly
initialised weights), as Keras 3 clones Sequential and functional models."""
from tensorlet.keras import tree
from tensorlet.keras.layers import node as _node
from tensorlet.keras.layers.input_layer import InputLayer
from tensorlet.keras.models import config as _config
from tensorlet.keras.models.functional import Functional
from tensorlet.keras.models.sequential import Sequential


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A copy of `model` built from new layers: `clone_function(layer)` makes each (default:
    `layer.__class__.from_config(layer.get_config())`), `call_function(layer, *args,
    **kwargs)` calls each in a functional model, `input_tensors` (Keras inputs) replace the
    model's inputs, `recursive` clones nested Sequential/functional models layer by layer.
    The copy is not compiled and shares no weights with `model`."""
    from tensorlet.keras.models.model import Model
    if not isinstance(model, Model):
        raise TypeError(f"clone_model expects a Keras model (Sequential, functional or "
                        f"subclassed), got {type(model).__name__}.")
    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s) {sorted(kwargs)} to clone_model.")
    clone = clone_function or _default_clone
    if recursive:
        def clone(layer, _own=clone):
            if isinstance(layer, (Sequential, Functional)):
                return clone_model(layer, clone_function=clone_function,
                                   call_function=call_function, recursive=True)
            return _own(layer)
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError("clone_model: `call_function` is not supported for Sequential "
                             "models; rebuild the model with the functional API first.")
        return _clone_sequential(model, input_tensors, clone)
    if isinstance(model, Functional):
        return _clone_functional(model, input_tensors, clone, call_function)
    if input_tensors is not None or clone_function is not None or call_function is not None:
        raise ValueError(f"clone_model: '{model.name}' is a subclassed model: it can only be "
                         "cloned as a whole (from its get_config()), without `input_tensors`, "
                         "`clone_function` or `call_function`.")
    return model.__class__.from_config(model.get_config())


def _default_clone(layer):
    return layer.__class__.from_config(layer.get_config())


def _keras_inputs(input_tensors, count, name):
    tensors = tree.flatten(input_tensors)
    if len(tensors) != count:
        raise ValueError(f"clone_model: model '{name}' has {count} input(s), `input_tensors` "
                         f"holds {len(tensors)}.")
    layers = []
    for t in tensors:
        history = _node.keras_history(t)
        if history is None or not isinstance(history[0], InputLayer):
            raise ValueError(f"clone_model: `input_tensors` must be Keras inputs "
                             f"(keras.Input(...)), got {t!r}.")
        layers.append(history[0])
    return layers


def _clone_sequential(model, input_tensors, clone):
    layers = [clone(layer) for layer in model.layers]
    if input_tensors is not None:
        first = _keras_inputs(input_tensors, 1, model.name)
    elif model._input_layer is not None:
        source = model._input_layer
        first = [InputLayer(batch_shape=source.batch_shape, dtype=source.dtype)]
    else:
        first = []
    return Sequential(first + layers, name=model.name, trainable=model.trainable)


def _clone_functional(model, input_tensors, clone, call_function):
    config = _config.functional_config(model)
    originals = {layer.name: layer for layer in model.layers}
    given = {}
    if input_tensors is not None:
        names = [ref[0] for ref in _input_refs(config["input_layers"])]
        given = dict(zip(names, _keras_inputs(input_tensors, len(names), model.name)))

    def make_layer(entry):
        layer = originals[entry["name"]]
        if isinstance(layer, InputLayer):
            return given[entry["name"]] if entry["name"] in given else _default_clone(layer)
        return clone(layer)
    return _config.functional_from_config(config, make_layer=make_layer,
                                          call_layer=call_function)


def _input_refs(refs):
    """The [layer name, node, index] histories of a config's input layers, in order."""
    if isinstance(refs, dict):
        return [r for v in refs.values() for r in _input_refs(v)]
    if refs and isinstance(refs[0], str):
        return [refs]
    return [r for v in refs for r in _input_refs(v)]
