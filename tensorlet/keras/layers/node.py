"""Bookkeeping of symbolic layer calls: nodes, tensor history, masks and the call context.

A *node* records one call of a layer on symbolic tensors (its inputs, keyword arguments and
outputs); each output tensor remembers the node that made it (its "Keras history"), which is
how a functional model finds its layers and replays them on new inputs. The *call context*
carries what nested layer calls share: the training flag and the losses added during a traced
forward pass; only top-level calls (outside any context) are recorded as nodes.
"""
import contextlib
import weakref

from tensorlet.keras import backend, tree

# Tensor -> (layer, node, index in node outputs) and Tensor -> mask. A graph tensor's entries
# live in a table on its graph, so dropping the graph frees them; a module-level
# WeakKeyDictionary would keep every graph alive, since its values (layers, nodes, masks) refer
# back to the key's graph. Eager tensors, which belong to no graph, use these fallbacks.
_eager_history = weakref.WeakKeyDictionary()
_eager_masks = weakref.WeakKeyDictionary()


def _table(tensor, name, fallback):
    graph = getattr(getattr(tensor, "op", None), "graph", None)
    if graph is None:
        return fallback
    table = graph.__dict__.get(name)
    if table is None:
        table = graph.__dict__[name] = {}
    return table


def _history(tensor):
    return _table(tensor, "_keras_history", _eager_history)


def _masks(tensor):
    return _table(tensor, "_keras_masks", _eager_masks)


class Node:
    """One symbolic call: `layer(*call_args, **call_kwargs) -> outputs`."""

    def __init__(self, layer, call_args, call_kwargs, outputs):
        self.layer = layer
        self.call_args = call_args
        self.call_kwargs = call_kwargs
        self.outputs = outputs
        self.input_tensors = [t for t in tree.flatten((call_args, call_kwargs))
                              if is_symbolic(t)]
        self.output_tensors = tree.flatten(outputs)
        for i, t in enumerate(self.output_tensors):
            _history(t)[t] = (layer, self, i)
        layer._inbound_nodes.append(self)

    @property
    def parent_nodes(self):
        """Nodes that produced this node's inputs."""
        out = []
        for t in self.input_tensors:
            h = _history(t).get(t)
            if h is not None and h[1] not in out:
                out.append(h[1])
        return out


def is_symbolic(x):
    from tensorlet.framework.graph import Tensor
    return isinstance(x, Tensor)


def keras_history(tensor):
    """(layer, node, index) of the layer call that produced `tensor`, or None."""
    try:
        return _history(tensor).get(tensor)
    except TypeError:
        return None


def get_mask(tensor):
    try:
        return _masks(tensor).get(tensor)
    except TypeError:
        return None


def set_mask(tensor, mask):
    if mask is None:
        _masks(tensor).pop(tensor, None)
    else:
        _masks(tensor)[tensor] = mask


# -- call context -------------------------------------------------------------------------------


class CallContext:
    """What the layer calls inside one outer call share (Keras 3's CallContext)."""

    def __init__(self, training=None, losses=None):
        self.training = training
        self.losses = losses  # list collecting add_loss() tensors of a traced forward pass


_stack = []


def current():
    """The innermost active call context; None at top level, where layer calls record nodes."""
    return _stack[-1] if _stack else None


@contextlib.contextmanager
def call_context(training=None):
    """Enter a nested call context; inner calls inherit the training flag and loss list."""
    outer = current()
    losses = None
    if outer is not None:
        training = outer.training if training is None else training
        losses = outer.losses
    _stack.append(CallContext(training, losses))
    try:
        yield _stack[-1]
    finally:
        _stack.pop()


@contextlib.contextmanager
def trace(training, losses):
    """Trace a model's forward pass for a compiled function: no nodes are recorded, training
    is fixed and every `add_loss` tensor is collected in `losses`."""
    _stack.append(CallContext(training, losses))
    try:
        with backend.layer_call_scope():
            yield
    finally:
        _stack.pop()


@contextlib.contextmanager
def top_level():
    """Calls made inside behave as top-level calls (recorded as nodes), even within a trace:
    a model that builds its layer graph lazily records it as if built up front."""
    saved = _stack[:]
    _stack.clear()
    try:
        yield
    finally:
        _stack[:] = saved
