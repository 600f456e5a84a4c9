"""get_config/from_config of Sequential and functional models, in Keras 3's layout.

A functional config lists each layer with its inbound nodes (the call arguments, tensors
written as `["layer_name", node_index, tensor_index]` histories) and the model's input and
output layers; `from_config` re-creates the layers and calls them in order. Core ops applied
between layers (`x * 2`) have no config and make a model unserialisable (a clear error).
"""
from tensorlet.framework.graph import Tensor
from tensorlet.keras.layers import node as _node
from tensorlet.keras.layers import serialization


def sequential_config(model):
    layers = ([model._input_layer] if model._input_layer is not None else []) + model.layers
    config = {"name": model.name, "trainable": model.trainable, "dtype": model.dtype_policy,
              "layers": [serialization.serialize(layer) for layer in layers]}
    if model._input_layer is not None:
        config["build_input_shape"] = list(model._input_layer.batch_shape)
    return config


def sequential_from_config(config, custom_objects=None):
    from tensorlet.keras.models.sequential import Sequential
    model = Sequential(name=config.get("name"), trainable=config.get("trainable", True))
    for layer_config in config.get("layers", []):
        model.add(serialization.deserialize(layer_config, custom_objects), rebuild=False)
    shape = config.get("build_input_shape")
    if shape is not None and model._input_layer is None:
        model.build(tuple(shape))
    else:
        model._maybe_rebuild()
    return model


def _history_ref(t, owners):
    h = _node.keras_history(t)
    if h is None or id(h[0]) not in owners:
        raise ValueError(f"Tensor {t.name} was made by a core op applied outside any layer "
                         "(for example `x * 2` between layers); such a model cannot be "
                         "serialized. Wrap the computation in a layer.")
    layer, node, index = h
    return [layer.name, layer._inbound_nodes.index(node), index]


def _encode(value, owners):
    if isinstance(value, Tensor):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(value.shape.dims), "dtype": value.dtype.name,
                           "keras_history": _history_ref(value, owners)}}
    if isinstance(value, (list, tuple)):
        return [_encode(v, owners) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v, owners) for k, v in value.items()}
    return value


def functional_config(model):
    owners = {id(layer) for layer in model.layers}
    layer_configs = []
    for layer in model.layers:
        entry = serialization.serialize(layer)
        entry["name"] = layer.name
        nodes = [n for n in layer._inbound_nodes
                 if all(t in model._dependent or t in model._flat_inputs
                        for t in n.output_tensors)]
        entry["inbound_nodes"] = [] if type(layer).__name__ == "InputLayer" else [
            {"args": _encode(list(n.call_args), owners),
             "kwargs": _encode(dict(n.call_kwargs), owners)} for n in nodes]
        layer_configs.append(entry)
    return {"name": model.name, "trainable": model.trainable, "layers": layer_configs,
            "input_layers": _top_refs(model._inputs_struct, owners),
            "output_layers": _top_refs(model._outputs_struct, owners)}


def _top_refs(struct, owners):
    """Keras 3 (3.15) mirrors the structure: a single input tensor is written as its history
    `[name, node, index]`, a list of tensors as a list of histories."""
    return _structure_refs(struct, owners)


def _structure_refs(struct, owners):
    if isinstance(struct, Tensor):
        return _history_ref(struct, owners)
    if isinstance(struct, dict):
        return {k: _structure_refs(v, owners) for k, v in struct.items()}
    return [_structure_refs(v, owners) for v in struct]


def _decode(value, created):
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        name, node_index, index = value["config"]["keras_history"]
        return _output_of(created, name, node_index, index)
    if isinstance(value, list):
        return [_decode(v, created) for v in value]
    if isinstance(value, dict):
        return {k: _decode(v, created) for k, v in value.items()}
    return value


def _output_of(created, name, node_index, index):
    """Output `index` of node `node_index` of the rebuilt layer `name`: nodes count from the
    calls made by this rebuild (a layer reused by clone_model already has nodes)."""
    layer, offset = created.get(name, (None, 0))
    if layer is None or offset + node_index >= len(layer._inbound_nodes):
        raise KeyError(name)
    return layer._inbound_nodes[offset + node_index].output_tensors[index]


def functional_from_config(config, custom_objects=None, make_layer=None, call_layer=None):
    """Re-create the layers, then call each on its inbound nodes' inputs (in dependency
    order: a node waits until the layers it reads from have been called). `make_layer(entry)`
    and `call_layer(layer, *args, **kwargs)` replace deserialisation and the plain call
    (`clone_model`)."""
    from tensorlet.keras.models.functional import Functional
    created, pending = {}, []
    for entry in config["layers"]:
        layer = (make_layer(entry) if make_layer is not None
                 else serialization.deserialize(entry, custom_objects))
        # an input layer's one node is its creation; another layer's nodes before this
        # rebuild (a layer clone_model reuses) do not count
        offset = 0 if type(layer).__name__ == "InputLayer" else len(layer._inbound_nodes)
        created[entry.get("name", layer.name)] = (layer, offset)
        pending.extend((layer, node) for node in entry.get("inbound_nodes", []))
    while pending:
        progress = []
        for layer, node in pending:
            try:
                args = _decode(node.get("args", []), created)
                kwargs = _decode(node.get("kwargs", {}), created)
            except KeyError:
                continue
            with _node.top_level():
                if call_layer is None:
                    layer(*args, **kwargs)
                else:
                    call_layer(layer, *args, **kwargs)
            progress.append((layer, node))
        if not progress:
            raise ValueError("Cannot rebuild the functional model: some layers read from "
                             "layers that are never created or called.")
        pending = [p for p in pending if p not in progress]

    def tensors(refs):
        if isinstance(refs, dict):
            return {k: tensors(v) for k, v in refs.items()}
        if refs and isinstance(refs[0], str):
            return _output_of(created, *refs)
        return [tensors(r) for r in refs]
    inputs, outputs = tensors(config["input_layers"]), tensors(config["output_layers"])
    inputs = inputs[0] if isinstance(inputs, list) and len(inputs) == 1 else inputs
    outputs = outputs[0] if isinstance(outputs, list) and len(outputs) == 1 else outputs
    return Functional(inputs, outputs, name=config.get("name"),
                      trainable=config.get("trainable", True))

