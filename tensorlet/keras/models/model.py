"""`Model`: a layer with training. `Model(inputs, outputs)` makes a functional model; a subclass
defines layers in `__init__` and the math in `call`.

compile/fit/evaluate/predict and the *_on_batch methods delegate to `trainer` (the loops),
which runs plans compiled once per data signature by `plans` (DESIGN.md rule 3).
"""

from tensorlet.framework.traceback_utils import filter_traceback
from tensorlet.keras import backend, tree
from tensorlet.keras.layers import node as _node
from tensorlet.keras.layers.layer import Layer
from tensorlet.keras.models import trainer
from tensorlet.keras.layers.layer_utils import is_shape_list
from tensorlet.ops.array import placeholder


class Model(Layer):
    """A trainable stack of layers: `compile`, `fit`, `evaluate`, `predict`, `summary`."""

    def __new__(cls, *args, **kwargs):
        if cls is Model and (len(args) >= 2 or "outputs" in kwargs or
                             ("inputs" in kwargs and len(args) == 1)):
            from tensorlet.keras.models.functional import Functional
            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise TypeError("Model(inputs, outputs) makes a functional model; a subclass of "
                            "Model takes its own arguments and calls super().__init__(name=...)")
        super().__init__(**kwargs)
        self._init_model_state()

    def _init_model_state(self):
        self.stop_training = False
        self.history = None
        self.optimizer = None
        self.compiled = False
        self._compile_state = None
        self._functions = None
        self._input_signature = None  # [(batch shape, dtype name)] of the flat inputs
        self._input_structure = None  # how the flat inputs nest (for `call`)

    # -- structure ----------------------------------------------------------------------------
    @property
    def layers(self):
        return self._layers

    def get_layer(self, name=None, index=None):
        """A layer by `name` or by `index` in `model.layers`."""
        if index is not None and name is not None:
            raise ValueError(f"Provide only a layer name or a layer index. Received: "
                             f"index={index}, name={name}.")
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(layers)} layers.")
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: {name}. Existing layers are: "
                             f"{[layer.name for layer in layers]}.")
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    @property
    def input_names(self):
        return [f"input_{i}" if i else "input" for i in range(len(self._input_signature or ()))]

    @property
    def output_names(self):
        return None

    # -- building -------------------------------------------------------------------------
    def _build_from(self, graph, first):
        """Subclassed models build their sub-layers while `call` runs; a user-written `build`
        runs first."""
        self._graph = self._graph or graph
        if type(self).build is not Model.build:
            with graph.as_default():
                self.build(tree.map_structure(lambda t: tuple(t.shape.dims), first))
        self.built = True
        self._build_shapes = tree.map_structure(lambda t: tuple(t.shape.dims), first)
        if self._input_signature is None:
            self._set_input_signature(first)

    def _set_input_signature(self, structure):
        flat = tree.flatten(structure)
        self._input_signature = [(tuple(t.shape.dims), t.dtype.name) for t in flat]
        self._input_structure = structure

    def build(self, input_shape=None):
        """Create the weights by tracing `call` on symbolic inputs of `input_shape`; called as
        `super().build(...)` from a subclass's own build, only mark the model built (Keras 3:
        its layers build when it is first called)."""
        if self.built or self.__dict__.get("_build_depth", 0) > 1:
            return
        if input_shape is None:
            raise ValueError(f"Model '{self.name}' can only be built from an input shape: "
                             "call `build(input_shape)` with the batch axis, e.g. "
                             "(None, 784), or call the model on data.")
        graph = backend.get_graph()
        dtype = self.compute_dtype
        with graph.as_default(), graph.name_scope(None):
            if is_shape_list(input_shape):
                phs = [placeholder(dtype, tuple(s)) for s in input_shape]
            elif isinstance(input_shape, dict):
                phs = {k: placeholder(dtype, tuple(s)) for k, s in input_shape.items()}
            else:
                phs = placeholder(dtype, tuple(input_shape))
        with _node.trace(False, []):
            self(phs)

    def _ensure_built_for(self, flat_arrays, structure):
        """Build from the first data: the input signature comes from the arrays."""
        if self._input_signature is not None and self.built:
            return
        graph = backend.get_graph()
        with graph.as_default(), graph.name_scope(None):
            phs = [placeholder(_data_dtype(self, a), (None,) + a.shape[1:]) for a in flat_arrays]
        packed = tree.pack_sequence_as(structure, phs)
        with _node.trace(False, []):
            self(packed)
        self._set_input_signature(packed)

    def _trace_forward(self, flat_inputs, training, losses):
        """Outputs of `call` on the flat input tensors, with `add_loss` tensors collected."""
        packed = tree.pack_sequence_as(self._input_structure, flat_inputs)
        with _node.trace(training, losses):
            return self(packed, training=training)

    def _eager_input_dtype(self, index, array):
        sig = self._input_signature
        if sig is not None and index < len(sig):
            return sig[index][1]
        return super()._eager_input_dtype(index, array)

    @filter_traceback
    def __call__(self, *args, **kwargs):
        """`model(x)`: as `Layer.__call__`, with errors raised through tensorlet's internal
        frames trimmed from the traceback (as for fit/predict)."""
        return super().__call__(*args, **kwargs)

    # -- training API -----------------------------------------------------------------------
    @backend.in_own_graph
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Configure the model for training (strings or objects for each argument)."""
        trainer.compile_model(self, optimizer, loss, loss_weights, metrics, weighted_metrics)

    @filter_traceback
    @backend.in_own_graph
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, on_nan="stop"):
        """Train for `epochs` epochs; returns the `History`.

        `on_nan` (tensorlet's addition, issue 9) says what a non-finite loss does: "stop" (the
        default: warn naming the epoch, batch and loss term, then stop training, like Keras's
        TerminateOnNaN), "raise" (raise FloatingPointError with the same message) or
        "continue".
        """
        return trainer.fit(self, x, y, batch_size=batch_size, epochs=epochs, verbose=verbose,
                           callbacks=callbacks, validation_split=validation_split,
                           validation_data=validation_data, shuffle=shuffle,
                           class_weight=class_weight, sample_weight=sample_weight,
                           initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch,
                           validation_steps=validation_steps,
                           validation_batch_size=validation_batch_size,
                           validation_freq=validation_freq, on_nan=on_nan)

    @filter_traceback
    @backend.in_own_graph
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """The loss (and metrics) on the data: a scalar, a list, or a dict (`return_dict`)."""
        return trainer.evaluate(self, x, y, batch_size=batch_size, verbose=verbose,
                                sample_weight=sample_weight, steps=steps, callbacks=callbacks,
                                return_dict=return_dict)

    @filter_traceback
    @backend.in_own_graph
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The outputs for `x`, computed in batches (default 32) and concatenated."""
        return trainer.predict(self, x, batch_size=batch_size, verbose=verbose, steps=steps,
                               callbacks=callbacks)

    @filter_traceback
    @backend.in_own_graph
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """One gradient update on one batch; returns the loss (and metrics)."""
        return trainer.train_on_batch(self, x, y, sample_weight, class_weight, return_dict)

    @filter_traceback
    @backend.in_own_graph
    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        return trainer.test_on_batch(self, x, y, sample_weight, return_dict)

    @filter_traceback
    @backend.in_own_graph
    def predict_on_batch(self, x):
        return trainer.predict_on_batch(self, x)

    @property
    def metrics(self):
        """The loss tracker's name and the compiled metrics, as Keras lists them."""
        state = self._compile_state
        return [] if state is None else state.metric_objects()

    @property
    def metrics_names(self):
        state = self._compile_state
        return [] if state is None else state.log_names()

    def reset_metrics(self):
        if self._compile_state is not None:
            self._compile_state.reset()

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print Keras 3's table: layer (type), output shape, params, and the totals."""
        from tensorlet.keras.models import summary
        summary.print_summary(self, line_length=line_length, positions=positions,
                              print_fn=print_fn, show_trainable=show_trainable)

    # -- saving (tensorlet.keras.saving) -----------------------------------------------------
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save architecture, weights and optimizer state: `.keras` (or legacy `.h5`)."""
        from tensorlet.keras.saving import keras_zip
        keras_zip.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights (and optimizer state) to a `.weights.h5` file."""
        from tensorlet.keras.saving import weights_h5
        weights_h5.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights from `.weights.h5`, `.keras` or legacy `.h5` (`by_name=True`)."""
        from tensorlet.keras.saving import keras_zip
        keras_zip.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def to_json(self, **kwargs):
        """The model's Keras 3 config as a JSON string (`keras.models.model_from_json`)."""
        import json

        from tensorlet.keras.saving import serialization
        return json.dumps(serialization.serialize_keras_object(self), **kwargs)

    def get_compile_config(self):
        if self._compile_state is None:
            return None
        from tensorlet.keras.saving import compile_config
        return compile_config.get_compile_config(self)

    def compile_from_config(self, config):
        from tensorlet.keras.saving import compile_config
        compile_config.compile_from_config(self, config)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A functional config rebuilds a functional model; otherwise `cls(**config)`."""
        if "layers" in config and "input_layers" in config and "output_layers" in config:
            from tensorlet.keras.models import config as _config
            return _config.functional_from_config(config, custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _data_dtype(model, array):
    """The placeholder dtype for data that builds a model: floats -> the model's dtype,
    integers stay integers (labels, token ids)."""
    if array.dtype.kind in "fb":
        return model.compute_dtype
    return "int64" if array.dtype.itemsize > 4 and array.dtype.kind == "i" else "int32"
