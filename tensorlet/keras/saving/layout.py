"""Where each variable of a model lives in Keras 3's weights file (`model.weights.h5`).

Keras 3 walks the model's object graph: the model's own variables go to `vars/0, 1, ...`;
then (for Sequential and functional models) the list `layers`, then every other attribute in
sorted order (private ones last), recursing into layers and optimizers (`<path>/<attribute>`)
and into lists (`<path>/<attribute>/<snake_case class name>[_n]`). Each object's own variables,
trainable first, are numbered in its `vars` group; an object reached twice is written once.
A functional model's `layers` are ordered as Keras orders them (by depth from the outputs,
then by traversal order), so that the paths, and the optimizer's slot order, match Keras.
"""
from tensorlet.keras import backend
from tensorlet.keras.layers import node as _node
from tensorlet.keras.layers.layer import Layer
from tensorlet.keras.optimizers.base import Optimizer

# tensorlet's own bookkeeping attributes: their layers are reached through Keras's names.
_SKIP = frozenset({"_stack", "_input_layer", "_layer_list", "_inbound_nodes", "_eager_cache",
                   "_compile_state", "_functions"})


def saveables(model):
    """[(path, object, [variables])] in Keras 3's walk order, each object once."""
    out, visited = [], set()
    _walk(model, "", visited, out, model)
    return out


def own_variables(obj, model):
    """The variables an object writes in its own `vars` group, in Keras's order."""
    if isinstance(obj, Optimizer):
        return optimizer_variables(obj, model)
    own = list(obj._own_weights)
    return [v for v in own if v.trainable] + [v for v in own if not v.trainable]


def _walk(obj, path, visited, out, model):
    if id(obj) in visited:
        return
    visited.add(id(obj))
    out.append((path, obj, own_variables(obj, model)))
    for attr, child in _children(obj):
        child_path = f"{path}/{attr}" if path else attr
        if _saveable(child):
            _walk(child, child_path, visited, out, model)
        elif isinstance(child, (list, tuple, dict)):
            _walk_container(child, child_path, visited, out, model, set())


def _walk_container(container, path, visited, out, model, seen_containers):
    if id(container) in seen_containers:
        return
    seen_containers.add(id(container))
    items = list(container.values()) if isinstance(container, dict) else list(container)
    used = {}
    for item in items:
        if _saveable(item):
            name = _unique(backend.to_snake_case(type(item).__name__), used)
            _walk(item, f"{path}/{name}", visited, out, model)
        elif isinstance(item, (list, tuple, dict)):
            name = _unique("container", used)
            _walk_container(item, f"{path}/{name}", visited, out, model, seen_containers)


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _saveable(x):
    return isinstance(x, (Layer, Optimizer))


def _children(obj):
    """(attribute name, value) pairs in the order Keras 3 visits them."""
    from tensorlet.keras.models.functional import Functional
    from tensorlet.keras.models.model import Model
    from tensorlet.keras.models.sequential import Sequential
    if not isinstance(obj, Layer):
        return []
    attrs = {k: v for k, v in vars(obj).items() if k not in _SKIP}
    if isinstance(obj, Functional):
        return [("layers", functional_layers(obj))] + _sorted(attrs)
    if isinstance(obj, Sequential):
        return [("layers", obj.layers)] + _sorted(attrs)
    if isinstance(obj, Model):  # a subclassed model: its `layers` property is walked too
        attrs["layers"] = obj.layers
    return _sorted(attrs)


def _sorted(attrs):
    return sorted(attrs.items(), key=lambda kv: "~" + kv[0] if kv[0].startswith("_") else kv[0])


# -- Keras's order of trainable weights and optimizer slots ---------------------------------------


def keras_trainable_weights(model):
    """The model's trainable weights in Keras 3's order: depth first through the layers, with
    functional (sub-)models' layers in Keras's order."""
    from tensorlet.keras.models.functional import Functional
    out, seen_w, seen_l = [], set(), set()

    def visit(layer):
        if id(layer) in seen_l or not layer.trainable:
            return
        seen_l.add(id(layer))
        for w in layer._own_weights:
            if w.trainable and id(w) not in seen_w:
                seen_w.add(id(w))
                out.append(w)
        for child in functional_layers(layer) if isinstance(layer, Functional) \
                else layer._layers:
            visit(child)
    visit(model)
    return out


def optimizer_variables(opt, model):
    """The optimizer's variables in the order Keras 3 would hold them for this model.

    An optimizer creates its slots in the order of the variables it was built on; when that
    order differs from Keras's (a functional model whose layers tensorlet lists in another
    order), each slot is swapped for the same kind of slot of the variable Keras has there."""
    variables = list(opt.variables)
    built = list(getattr(opt, "_trainable_variables", ()))
    wanted = keras_trainable_weights(model)
    if [id(v) for v in built] == [id(v) for v in wanted] or \
            {id(v) for v in built} != {id(v) for v in wanted}:
        return variables
    position = {id(v): i for i, v in enumerate(built)}
    slots = {(id(v.slot_of[0]), v.slot_of[1]): v for v in variables if hasattr(v, "slot_of")}
    out = []
    for v in variables:
        ref = getattr(v, "slot_of", None)
        if ref is not None and id(ref[0]) in position:
            v = slots.get((id(wanted[position[id(ref[0])]]), ref[1]), v)
        out.append(v)
    return out


# -- Keras's order of a functional model's layers ------------------------------------------------


def _producers(tensor, out, seen):
    """Append the nodes whose outputs feed `tensor` (through core ops between layers)."""
    h = _node.keras_history(tensor)
    if h is not None:
        out.append(h[1])
        return
    if id(tensor) in seen:
        return
    seen.add(id(tensor))
    for t in tensor.op.inputs:
        _producers(t, out, seen)


def _parents(node):
    out = []
    for t in node.input_tensors:
        _producers(t, out, set())
    return out


def functional_layers(model):
    """The layers of a functional model in Keras 3's order: by decreasing depth (distance from
    the outputs), ties broken by the order a depth-first walk from the outputs meets them."""
    finished, order, index = set(), [], {}

    def enter(node):
        index.setdefault(id(node.layer), len(index))
        return (node, iter(_parents(node)))

    for out in model.outputs:
        roots = []
        _producers(out, roots, set())
        for root in roots:
            if id(root) in finished:
                continue
            stack, on_stack = [enter(root)], {id(root)}
            while stack:
                node, it = stack[-1]
                child = next(it, None)
                if child is None:
                    stack.pop()
                    finished.add(id(node))
                    order.append(node)
                elif id(child) not in finished and id(child) not in on_stack:
                    on_stack.add(id(child))
                    stack.append(enter(child))
    node_depth, layer_depth, layers = {}, {}, {}
    in_graph = {id(n) for n in order}
    for node in reversed(order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        layers[id(node.layer)] = node.layer
        node_depth[id(node)] = depth
        for parent in _parents(node):
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for t in model.inputs:  # inputs that no output depends on
        layer = _node.keras_history(t)[0]
        if id(layer) not in layer_depth:
            layer_depth[id(layer)], index[id(layer)], layers[id(layer)] = 0, -1, layer
    return sorted(layers.values(), key=lambda lyr: (-layer_depth[id(lyr)], index[id(lyr)]))
