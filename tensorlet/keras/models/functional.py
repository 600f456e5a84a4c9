"""Functional models: `Model(inputs, outputs)` over the layer graph that `keras.Input` starts.

The model keeps the recorded layer calls (nodes) between its inputs and outputs. Calling it on
new tensors replays them: each layer is called again on the new inputs (with the training flag
of the call), and core ops applied between layers (`x * 2`, `tf.concat`) are re-created on the
new tensors. Shared layers, nested models and several inputs/outputs fall out of this.
"""
from tensorlet.framework.graph import Tensor
from tensorlet.keras import tree
from tensorlet.keras.layers import node as _node
from tensorlet.keras.layers.input_layer import InputLayer
from tensorlet.keras.layers.input_spec import shape_str
from tensorlet.keras.layers.layer import Layer
from tensorlet.keras.models.model import Model
from tensorlet.ops.math import cast


class Functional(Model):
    """A model defined by its input and output tensors."""

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        Layer.__init__(self, name=name or None, trainable=trainable, **kwargs)
        self._init_model_state()
        flat_in, flat_out = tree.flatten(inputs), tree.flatten(outputs)
        for what, flat in (("inputs", flat_in), ("outputs", flat_out)):
            if not flat or not all(isinstance(t, Tensor) for t in flat):
                raise ValueError(f"All `{what}` of a functional model must be tensors made by "
                                 f"keras.Input and layer calls. Received: {what}={flat!r:.200}")
        for t in flat_in:
            h = _node.keras_history(t)
            if h is None or not isinstance(h[0], InputLayer):
                raise ValueError(f"Model inputs must come from `keras.Input` (an InputLayer); "
                                 f"received {t.name} which was not.")
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._flat_inputs = flat_in
        self._flat_outputs = flat_out
        self._graph = flat_in[0].graph
        self._dependent = _tensors_between(flat_in, flat_out)
        self._layer_list = self._collect_layers()
        self._set_input_signature(inputs)
        self.built = True

    # -- structure ------------------------------------------------------------------------
    def _collect_layers(self):
        """Input layers (in input order), then the other layers in call order."""
        nodes = {}
        for t in self._dependent:
            h = _node.keras_history(t)
            if h is not None:
                nodes[id(h[1])] = h[1]
        order = sorted(nodes.values(), key=lambda n: min(t.op._id for t in n.output_tensors))
        layers = [_node.keras_history(t)[0] for t in self._flat_inputs]
        for n in order:
            if not any(layer is n.layer for layer in layers):
                layers.append(n.layer)
        return layers

    @property
    def layers(self):
        return list(self._layer_list)

    @property
    def _layers(self):
        return list(self._layer_list)

    @property
    def inputs(self):
        return list(self._flat_inputs)

    @property
    def outputs(self):
        return list(self._flat_outputs)

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def input_names(self):
        return [_node.keras_history(t)[0].name for t in self._flat_inputs]

    @property
    def output_names(self):
        names = []
        for t in self._flat_outputs:
            h = _node.keras_history(t)
            names.append(h[0].name if h is not None else t.op.name)
        return names

    @property
    def input_shape(self):
        shapes = [tuple(t.shape.dims) for t in self._flat_inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [tuple(t.shape.dims) for t in self._flat_outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    # -- calling ------------------------------------------------------------------------
    def call(self, inputs, training=None, mask=None):
        flat = self._standardize_call_inputs(inputs)
        memo = dict(zip(self._flat_inputs, flat))
        for t in self._flat_outputs:
            _compute(t, memo, self._dependent, training)
        return tree.pack_sequence_as(self._outputs_struct, [memo[t] for t in self._flat_outputs])

    def _standardize_call_inputs(self, inputs):
        """The given tensors in the order of the model's inputs, cast and shape-checked."""
        if isinstance(inputs, dict) and not isinstance(self._inputs_struct, dict):
            names = self.input_names
            missing = [n for n in names if n not in inputs]
            if missing:
                raise ValueError(f"Model '{self.name}' expects inputs named {names}; the dict "
                                 f"given lacks {missing}.")
            flat = [inputs[n] for n in names]
        else:
            flat = tree.flatten(inputs)
        if len(flat) != len(self._flat_inputs):
            raise ValueError(f"Model '{self.name}' expects {len(self._flat_inputs)} input(s), "
                             f"but it received {len(flat)} input tensors.")
        return [conform_input(self.name, name, want, got)
                for name, want, got in zip(self.input_names, self._flat_inputs, flat)]

    def get_config(self):
        from tensorlet.keras.models import config as _config
        return _config.functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from tensorlet.keras.models import config as _config
        return _config.functional_from_config(config, custom_objects)


def conform_input(model_name, input_name, want, got):
    """`got` checked against the model input `want` (shape with the batch axis free) and cast to
    its dtype; the error names the input and both shapes with the batch axis as None."""
    if not want.shape.is_compatible_with(got.shape) and not _compatible_batchless(want, got):
        raise ValueError(
            f"Input '{input_name}' of model '{model_name}' expects shape "
            f"{shape_str(_batch_none(want))}, received shape {shape_str(_batch_none(got))}"
            + _axis_hint(want, got))
    return got if got.dtype is want.dtype else cast(got, want.dtype)


def _batch_none(t):
    dims = t.shape.dims
    if dims is None:
        return None
    return (None,) + tuple(dims[1:]) if dims else ()


def _compatible_batchless(want, got):
    """Compatible once both batch axes are ignored (a fixed Input batch size vs other data)."""
    a, b = want.shape.dims, got.shape.dims
    if a is None or b is None or len(a) != len(b) or not a:
        return False
    return all(x is None or y is None or x == y for x, y in zip(a[1:], b[1:]))


def _axis_hint(want, got):
    a, b = want.shape.ndims, got.shape.ndims
    if a is not None and b is not None and a == b + 1:
        return " (hint: the input seems to lack the batch axis)."
    if a is not None and b is not None and b == a + 1:
        return " (hint: the input has one axis too many)."
    return "."


def _tensors_between(inputs, outputs):
    """Tensors on a path from the inputs to the outputs (through layer calls and core ops);
    raises when an output needs an input that is not among the model's inputs."""
    inputs_set = set(inputs)
    depends = {}
    stack = list(outputs)
    while stack:
        t = stack[-1]
        if t in depends:
            stack.pop()
            continue
        if t in inputs_set:
            depends[t] = True
            stack.pop()
            continue
        parents = _parents(t)
        todo = [p for p in parents if p not in depends]
        if todo:
            stack.extend(todo)
            continue
        stack.pop()
        h = _node.keras_history(t)
        if h is not None and isinstance(h[0], InputLayer):
            raise ValueError(
                f"Graph disconnected: cannot obtain value for tensor {t.name} (the output of "
                f"input layer '{h[0].name}'), which is not among the model's inputs "
                f"{[x.name for x in inputs]}.")
        if t.op.type == "Placeholder":
            raise ValueError(f"Graph disconnected: the outputs depend on placeholder {t.name}, "
                             "which is not among the model's inputs.")
        depends[t] = any(depends[p] for p in parents)
    return {t for t, d in depends.items() if d}


def _parents(t):
    h = _node.keras_history(t)
    if h is not None:
        return list(h[1].input_tensors)
    return list(t.op.inputs)


def _compute(target, memo, dependent, training):
    """Fill memo[target] by replaying the layer calls and core ops it depends on."""
    stack = [target]
    while stack:
        t = stack[-1]
        if t in memo:
            stack.pop()
            continue
        if t not in dependent:
            memo[t] = t  # constants, variables: the same tensors serve the new call
            stack.pop()
            continue
        todo = [p for p in _parents(t) if p not in memo]
        if todo:
            stack.extend(todo)
            continue
        stack.pop()
        h = _node.keras_history(t)
        if h is not None:
            _replay_node(h[1], memo, training)
        else:
            _replay_op(t.op, memo)


def _replay_node(node, memo, training):
    def sub(v):
        return memo[v] if isinstance(v, Tensor) else v
    args = tree.map_structure(sub, node.call_args)
    kwargs = tree.map_structure(sub, dict(node.call_kwargs))
    if "training" not in kwargs and training is not None:
        kwargs["training"] = training
    outs = node.layer(*args, **kwargs)
    for old, new in zip(node.output_tensors, tree.flatten(outs)):
        memo[old] = new


def _replay_op(op, memo):
    new_inputs = [memo[t] for t in op.inputs]
    graph = new_inputs[0].graph
    new = graph.create_op(op.type, new_inputs, dict(op.attrs), name=op.name.rsplit("/", 1)[-1])
    for old, t in zip(op.outputs, new.outputs):
        memo[old] = t
