"""`Layer`: the base of every Keras layer and model (Keras 3's anatomy on tensorlet's core).

`__init__` validates arguments; `build(input_shape)` creates weights with `add_weight` (core
variables in the graph of the first input); `call(inputs, training=None, mask=None)` builds a
few core ops. Calling a layer on symbolic tensors adds ops to their graph and, at top level,
records a node (functional construction). Calling it on NumPy arrays runs a cached compiled
plan per (input shapes without the batch axis, dtypes, training), so calling it in a loop never
grows the graph.
"""
import collections
import functools
import inspect

import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.graph import Tensor, convert_to_tensor, get_default_graph
from tensorlet.keras import backend, tree
from tensorlet.keras.layers import node as _node
from tensorlet.keras.layers.input_spec import assert_input_compatibility
from tensorlet.keras.layers.layer_utils import (
    after_state_changes,
    as_tuple,
    broadcast_masks,
    freeze,
    fresh_outputs,
    get_object,
    is_shape_list,
    same_state,
    pop_input_shape_kwargs,
    serialize_object,
    standardize_data,
    to_array,
)
from tensorlet.ops.array import placeholder
from tensorlet.ops.math import cast
from tensorlet.ops.state import Variable

_EAGER_CACHE_SIZE = 32
# Attributes that hold bookkeeping, never sub-layers (skipped when looking for sub-layers).
_NOT_TRACKED = frozenset({"_eager_cache", "_inbound_nodes", "_functions", "_compile_state",
                          "_own_weights", "_weight_losses", "_call_losses", "history"})


class Layer:
    """Base class of layers: weights, build/call, config, symbolic and NumPy calls."""

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True,
                 name=None, **kwargs):
        self._input_shape_arg = pop_input_shape_kwargs(kwargs)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to "
                             f"{type(self).__name__}: {kwargs}")
        if name is None:
            name = backend.unique_object_name(backend.to_snake_case(type(self).__name__))
        elif not isinstance(name, str) or "/" in name or not name:
            raise ValueError(f"Argument `name` must be a non-empty string without '/'. "
                             f"Received: name={name!r}")
        self.name = name
        self.built = False
        self._trainable = bool(trainable)
        self._dtype = backend.standardize_dtype(dtype)
        self.autocast = autocast
        self.activity_regularizer = get_object("regularizers", activity_regularizer)
        self.input_spec = None
        # As in Keras 3: a layer that defines compute_mask supports masking.
        self.supports_masking = type(self).compute_mask is not Layer.compute_mask
        self._own_weights = []
        self._weight_losses = []
        self._call_losses = []
        self._inbound_nodes = []
        self._graph = None
        self._build_shapes = None
        self._eager_cache = collections.OrderedDict()
        params = inspect.signature(self.call).parameters
        self._call_has_training = "training" in params
        self._call_has_mask = "mask" in params

    def __init_subclass__(cls, **kwargs):
        """Wrap each subclass's `build` (as Keras 3 does): a direct `layer.build(shape)` call
        builds in the layer's graph and records `built` and the input shape."""
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_build_wrapper", False):
            cls.build = _wrap_build(build)

    # -- dtype, trainable ---------------------------------------------------------------------
    @property
    def dtype(self):
        """The dtype of the layer's weights ('float32')."""
        return self._dtype

    @property
    def compute_dtype(self):
        return self._dtype

    @property
    def variable_dtype(self):
        return self._dtype

    @property
    def dtype_policy(self):
        return {"module": "keras", "class_name": "DTypePolicy",
                "config": {"name": self._dtype}, "registered_name": None}

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self._flatten_layers(include_self=False):
            layer._trainable = bool(value)

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        if getattr(value, "_attribute_weight", False):  # a keras.Variable as an attribute
            weights = self.__dict__.get("_own_weights")
            if weights is None:
                raise RuntimeError(f"{type(self).__name__}: call super().__init__() before "
                                   f"setting the keras.Variable attribute {name!r}.")
            if not any(w is value for w in weights):
                weights.append(value)

    # -- sub-layers ---------------------------------------------------------------------------
    def _flatten_layers(self, include_self=True, recursive=True):
        """This layer and the layers it holds in attributes (lists, dicts too), depth first."""
        seen = {id(self)}
        out = [self] if include_self else []

        def visit(layer):
            values = [v for k, v in vars(layer).items() if k not in _NOT_TRACKED]
            for child in _layers_in(values):
                if id(child) not in seen:
                    seen.add(id(child))
                    out.append(child)
                    if recursive:
                        visit(child)
        visit(self)
        return out

    @property
    def _layers(self):
        """Direct sub-layers, in attribute order."""
        return self._flatten_layers(include_self=False, recursive=False)

    # -- weights ----------------------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                   autocast=True, regularizer=None, constraint=None, aggregation="none",
                   name=None, **kwargs):
        """Create a weight (a core variable) of this layer; `add_weight('w', (3, 4))` works too."""
        if isinstance(shape, str):  # Keras 2 order: add_weight(name, shape, ...)
            name, shape, initializer = shape, initializer, None
        if kwargs:
            raise TypeError(f"add_weight() of layer '{self.name}' got unexpected arguments "
                            f"{sorted(kwargs)}")
        shape = () if shape is None else tuple(int(d) for d in as_tuple(shape))
        dtype = backend.standardize_dtype(dtype or self._dtype)
        if initializer is None:
            initializer = "glorot_uniform" if _dt.as_dtype(dtype).is_floating else "zeros"
        init = _with_seed(get_object("initializers", initializer))
        regularizer = get_object("regularizers", regularizer)
        constraint = get_object("constraints", constraint)
        name = name or "variable"
        graph = self._graph or backend.get_graph()
        self._graph = graph
        with graph.as_default(), graph.name_scope(self.name + "/"):
            var = backend.KerasVariable(
                lambda: init(shape, dtype=dtype), path=f"{self.name}/{name}",
                regularizer=regularizer, trainable=trainable, name=name, dtype=dtype,
                constraint=constraint)
            if regularizer is not None:
                # graph code (recomputed from the weights at every step), also in a build
                with graph.name_scope(f"{name}_regularizer"), backend.layer_call_scope():
                    self._weight_losses.append(regularizer(var))
        self._own_weights.append(var)
        return var

    @property
    def weights(self):
        """Own weights, then those of sub-layers (no duplicates)."""
        out, seen = [], set()
        for layer in self._flatten_layers():
            for w in layer._own_weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        out, seen = [], set()
        for layer in self._flatten_layers():
            if not layer.trainable:
                continue
            for w in layer._own_weights:
                if w.trainable and id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def non_trainable_weights(self):
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def get_weights(self):
        """The weights' values as a list of NumPy arrays."""
        return backend.batch_get_value(self.weights)

    def set_weights(self, weights):
        """Set the weights from NumPy arrays (same order and shapes as `get_weights()`)."""
        params = self.weights
        weights = list(weights)
        if len(weights) != len(params):
            raise ValueError(
                f"Layer '{self.name}' expects {len(params)} weight array(s) "
                f"({[w.path if hasattr(w, 'path') else w.name for w in params]}), but "
                f"received {len(weights)}.")
        for p, value in zip(params, weights):
            arr = np.asarray(value)
            want = tuple(p.shape.as_list())
            if arr.shape != want:
                raise ValueError(
                    f"Layer '{self.name}' weight '{getattr(p, 'path', p.name)}' has shape "
                    f"{want}, but the value given for it has shape {arr.shape}.")
        backend.batch_set_value(zip(params, weights))

    def count_params(self):
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but "
                             "the layer isn't built. Build it first (call it on data, or "
                             "call `build(input_shape)`).")
        return int(sum(np.prod(w.shape.as_list(), dtype=np.int64) for w in self.weights))

    # -- losses ---------------------------------------------------------------------------
    def add_loss(self, loss):
        """Add a loss tensor (e.g. an activity regularisation) from inside `call`."""
        self._call_losses.append(loss)
        ctx = _node.current()
        if ctx is not None and ctx.losses is not None:
            ctx.losses.append(loss)

    @property
    def losses(self):
        """Weight-regularisation losses and the losses added by the latest call."""
        out = []
        for layer in self._flatten_layers():
            out.extend(layer._weight_losses)
            out.extend(layer._call_losses)
        return out

    def _weight_regularization_losses(self):
        out = []
        for layer in self._flatten_layers():
            out.extend(layer._weight_losses)
        return out

    # -- building and calling -------------------------------------------------------------
    def build(self, input_shape):
        self.built = True

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not have a `call()` "
                                  "method implemented.")

    def compute_mask(self, inputs, mask=None):
        return mask if self.supports_masking else None

    def __call__(self, *args, **kwargs):
        if get_default_graph()._eager:  # eager mode (TF 2): arrays become eager tensors
            args = tree.map_structure(_eager_value, args)
        if len(args) == 1 and type(args[0]) is np.ndarray and (
                not kwargs or (len(kwargs) == 1 and "training" in kwargs)):
            return self._eager_array_call(args[0], kwargs.get("training"))
        if not args:
            if "inputs" not in kwargs:
                raise ValueError(f"Layer '{self.name}' was called without inputs.")
            args = (kwargs.pop("inputs"),)
        args = tree.map_structure(_unwrap_variable, args)
        leaves = tree.flatten((args, kwargs))
        if any(isinstance(v, Tensor) for v in leaves):
            return self._symbolic_call(args, kwargs)
        return self._eager_call(args, kwargs)

    def _symbolic_call(self, args, kwargs):
        record = _node.current() is None
        first = args[0]
        tensors = [t for t in tree.flatten((args, kwargs)) if isinstance(t, Tensor)]
        graph = tensors[0].graph
        record = record and not graph._eager  # eager calls leave no functional history
        explicit = dict(kwargs)
        with graph.as_default():
            first = tree.map_structure(self._convert_input, first)
        flat_first = [t for t in tree.flatten(first) if isinstance(t, Tensor)]
        assert_input_compatibility(self.input_spec, flat_first, self.name)
        if not self.built:
            with backend.layer_call_scope(active=False):
                self._build_from(graph, first)
            assert_input_compatibility(self.input_spec, flat_first, self.name)
        elif self.weights and not same_state(self._graph, graph):
            raise ValueError(
                f"Layer '{self.name}' has its weights in another graph than its input: it was "
                "built before keras.backend.clear_session() (or in a graph of your own). Such a "
                "layer or model can still be called on arrays, trained and saved, but not "
                "combined with layers built after it: build the new model from new layers.")
        training = kwargs.pop("training", None)
        previous_mask = kwargs.get("mask")
        if previous_mask is None:
            previous_mask = tree.map_structure(_node.get_mask, first)
            if not any(m is not None for m in tree.flatten(previous_mask)):
                previous_mask = None
            elif self._call_has_mask:
                kwargs["mask"] = previous_mask
        with _node.call_context(training) as ctx, graph.as_default(), \
                graph.name_scope(self.name + "/"), backend.layer_call_scope():
            if self._call_has_training and ctx.training is not None:
                kwargs["training"] = ctx.training
            self._call_losses = []
            start = graph.version
            outputs = self.call(first, *args[1:], **kwargs)
            outputs = fresh_outputs(outputs, tensors)
            outputs = after_state_changes(graph, start, outputs)
            if self.activity_regularizer is not None:
                self._add_activity_losses(outputs)
            if self.supports_masking:
                out_mask = self.compute_mask(first, previous_mask)
                for t, m in zip(tree.flatten(outputs), broadcast_masks(out_mask, outputs)):
                    _node.set_mask(t, m)
        if record:
            _node.Node(self, (first,) + tuple(args[1:]), explicit, outputs)
        return outputs

    def _add_activity_losses(self, outputs):
        from tensorlet.ops.array import shape as _shape
        for out in tree.flatten(outputs):
            if isinstance(out, Tensor):
                loss = self.activity_regularizer(out)
                if out.shape.ndims:
                    batch = cast(_shape(out)[0], loss.dtype)
                    from tensorlet.ops.math import div_no_nan
                    loss = div_no_nan(loss, batch)
                self.add_loss(loss)

    def _convert_input(self, x):
        """Cast float inputs to the layer's compute dtype (Keras's autocast)."""
        if isinstance(x, Tensor) and self.autocast and x.dtype.is_floating \
                and x.dtype.name != self.compute_dtype \
                and _dt.as_dtype(self.compute_dtype).is_floating:
            return cast(x, self.compute_dtype)
        return x

    def _build_from(self, graph, first):
        shapes = tree.map_structure(
            lambda t: tuple(t.shape.dims) if isinstance(t, Tensor) and t.shape.dims is not None
            else None, first)
        self._graph = self._graph or graph
        if self._graph is not graph:
            raise ValueError(f"Layer '{self.name}' has weights in another graph than its input.")
        with graph.as_default():
            self.build(shapes)
        self.built = True
        self._build_shapes = shapes

    def _maybe_build_from_shape(self, input_shape):
        """Build without calling (used by models and `build(input_shape)` of containers)."""
        if not self.built:
            graph = self._graph or backend.get_graph()
            self._graph = graph
            with graph.as_default():
                self.build(input_shape)
            self.built = True
            self._build_shapes = input_shape

    # -- calls on NumPy arrays --------------------------------------------------------------
    def _eager_input_dtype(self, index, array):
        """The placeholder dtype for the `index`-th array input: floats -> compute dtype."""
        if array.dtype.kind == "f":
            return self.compute_dtype
        return _dt.as_dtype(array.dtype).name

    def _static_batch(self):
        """Whether calls on arrays keep the batch size static: a layer built for a fixed batch
        size (a stateful RNN, or `batch_input_shape=`) gets placeholders of that size."""
        shapes = self._build_shapes
        return isinstance(shapes, tuple) and bool(shapes) and isinstance(shapes[0], int)

    def _eager_array_call(self, x, training):
        """The common case `layer(array)`, keyed without walking structures."""
        dtype = self._eager_input_dtype(0, x)
        batch = x.shape[0] if x.ndim and self._static_batch() else None
        key = ("<one array>", x.shape[1:] if x.ndim else None, batch, dtype, training)
        entry = self._eager_cache.get(key)
        if entry is None:  # a session callable per traced signature: no per-call walk
            phs, outputs = self._trace_eager(((x,), {}), [x], [dtype], training)
            entry = (backend.SessionCall(tree.flatten(outputs), phs), outputs)
            remember_in_cache(self._eager_cache, key, entry)
        else:
            self._eager_cache.move_to_end(key)
        call, outputs = entry
        values = call([x])
        if len(values) == 1 and not tree.is_nested(outputs):
            return np.asarray(values[0])
        return tree.pack_sequence_as(outputs, [np.asarray(v) for v in values])

    def _eager_call(self, args, kwargs):
        training = kwargs.pop("training", None)
        args = (standardize_data(args[0]),) + tuple(args[1:])
        struct = tree.map_structure(to_array, (args, kwargs))
        leaves = tree.flatten(struct)
        arrays = [v for v in leaves if isinstance(v, np.ndarray)]
        if not arrays:
            raise ValueError(f"Layer '{self.name}' was called without any array or tensor "
                             f"input: {args!r:.100}")
        dtypes = [self._eager_input_dtype(i, a) for i, a in enumerate(arrays)]
        static = self._static_batch()
        key = (freeze(tree.map_structure(
            lambda v: ("<array>", v.shape if static or not v.ndim else v.shape[1:])
            if isinstance(v, np.ndarray) else v, struct)), tuple(dtypes), training)
        entry = self._eager_cache.get(key)
        if entry is None:
            entry = self._trace_eager(struct, arrays, dtypes, training)
            remember_in_cache(self._eager_cache, key, entry)
        else:
            self._eager_cache.move_to_end(key)
        placeholders, outputs = entry
        values = backend.run(tree.flatten(outputs), dict(zip(placeholders, arrays)),
                             graph=placeholders[0].graph)
        return tree.pack_sequence_as(outputs, [np.asarray(v) for v in values])

    @backend.in_own_graph
    def _trace_eager(self, struct, arrays, dtypes, training):
        graph = backend.get_graph()
        if self._graph is not None and self._graph is not graph:
            raise ValueError(f"Layer '{self.name}' was built in a graph of your own (TF 1.x "
                             "style); call it on that graph's tensors, not on NumPy arrays.")
        batch = None
        if self._static_batch():
            batch = arrays[0].shape[0] if arrays[0].ndim else None
        with graph.as_default(), graph.name_scope(None):
            phs = [placeholder(dt, (batch,) + a.shape[1:] if a.ndim else (),
                               name=f"{self.name}_in") for a, dt in zip(arrays, dtypes)]
        it = iter(phs)
        args, kwargs = tree.map_structure(
            lambda v: next(it) if isinstance(v, np.ndarray) else v, struct)
        if training is not None:
            kwargs["training"] = training
        with _node.trace(training, []):
            outputs = self(*args, **kwargs)
        return phs, outputs

    # -- shapes, config, misc -------------------------------------------------------------
    def compute_output_shape(self, input_shape):
        """The output shape for `input_shape`, found by tracing the layer once per shape."""
        key = ("<shape>", freeze(input_shape))
        entry = self._eager_cache.get(key)
        if entry is None:
            graph = self._graph or backend.get_graph()
            with graph.as_default(), graph.name_scope(None):
                if is_shape_list(input_shape):
                    phs = [placeholder(self.compute_dtype, s) for s in input_shape]
                else:
                    phs = placeholder(self.compute_dtype, tuple(input_shape))
            with _node.trace(False, []):
                outs = self(phs)
            entry = tree.map_structure(lambda t: tuple(t.shape.dims), outs)
            remember_in_cache(self._eager_cache, key, entry)
        else:
            self._eager_cache.move_to_end(key)
        return entry

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype_policy}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = serialize_object("regularizers",
                                                              self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        if self._build_shapes is not None:
            return {"input_shape": self._build_shapes}
        return None

    def build_from_config(self, config):
        if config and "input_shape" in config:
            self._maybe_build_from_shape(config["input_shape"])

    @property
    def input(self):
        return self._node_attr("input_tensors", "input")

    @property
    def output(self):
        return self._node_attr("outputs", "output")

    def _node_attr(self, attr, what):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called and thus has no "
                                 f"defined {what}.")
        value = getattr(self._inbound_nodes[0], attr)
        if attr == "input_tensors" and len(value) == 1:
            return value[0]
        return value

    @property
    def path(self):
        return self.name

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


# -- helpers -----------------------------------------------------------------------------------


def remember_in_cache(cache, key, entry):
    """Add to a per-shape cache, dropping the least recently used entry beyond the bound."""
    cache[key] = entry
    if len(cache) > _EAGER_CACHE_SIZE:
        cache.popitem(last=False)


def _wrap_build(build):
    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        graph = self._graph or backend.get_graph()
        self._graph = graph
        depth = self.__dict__.get("_build_depth", 0)
        self.__dict__["_build_depth"] = depth + 1  # builds of this layer running (super())
        try:
            with graph.as_default(), backend.layer_call_scope(active=False):
                out = build(self, *args, **kwargs)
        finally:
            self.__dict__["_build_depth"] = depth
        self.built = True
        shape = args[0] if args else kwargs.get("input_shape")
        if shape is not None and self._build_shapes is None:
            self._build_shapes = tuple(shape) if isinstance(shape, list) and not \
                is_shape_list(shape) else shape
        return out
    wrapper._build_wrapper = True
    return wrapper


def _with_seed(init):
    """An unseeded random initializer gets a seed drawn from Python's `random` for this weight
    (Keras 3's rule), so `set_random_seed` repeats a model's initial weights even when the same
    Keras graph already holds other ops; the layer's config keeps the unseeded initializer."""
    if getattr(init, "seed", 0) is None and hasattr(init, "get_config"):
        config = dict(init.get_config())
        if "seed" in config:
            config["seed"] = backend.make_default_seed()
            return type(init).from_config(config)
    return init










def _layers_in(values):
    for v in values:
        if isinstance(v, Layer):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from _layers_in(v)
        elif isinstance(v, dict):
            yield from _layers_in(v.values())


def _eager_value(x):
    return convert_to_tensor(x) if isinstance(x, np.ndarray) else x


def _unwrap_variable(x):
    return x._as_graph_tensor() if isinstance(x, Variable) else x














__all__ = ["Layer"]
