"""Recurrent cells (SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells) and the generic `RNN`
layer, which runs any cell one time step at a time (a Python loop of core ops over a static
number of steps: slower than the fused ops that SimpleRNN/LSTM/GRU use, but it takes any cell).

Masking follows Keras 3 on TensorFlow: a masked step keeps every state and outputs the previous
step's output (zeros before the first unmasked step), or zeros with `zero_output_for_mask`.
"""
import numbers

import numpy as np

import tensorlet as tf
from tensorlet.framework.graph import Tensor
from tensorlet.keras import activations, backend, constraints, initializers, regularizers, tree
from tensorlet.keras.layers.input_spec import InputSpec
from tensorlet.keras.layers.layer import Layer
from tensorlet.keras.layers.layer_args import positive_int



def _maybe(fn, obj):
    return None if obj is None else fn(obj)


class _Cell(Layer):
    """What the three built-in cells share: weights' initializers/regularizers/constraints,
    dropout rates and the per-call dropout masks (one mask for every step of a call)."""

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.units = positive_int(units, "units")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(f"Argument `seed` must be an integer or None, got {seed!r}")
        self.seed = seed
        self._op_seed = seed if seed is not None else backend.make_default_seed()
        self.state_size = self.units
        self.output_size = self.units
        self.reset_dropout_mask()
        self.reset_recurrent_dropout_mask()

    def _add_kernels(self, input_shape, gates, bias_shape, bias_initializer=None):
        dim = input_shape[-1] if input_shape else None
        if dim is None:
            raise ValueError(f"Layer '{self.name}' needs the feature axis of its input to be "
                             f"known to create its kernel; received input shape {input_shape}")
        self.kernel = self.add_weight(
            shape=(dim, gates * self.units), name="kernel", initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, gates * self.units), name="recurrent_kernel",
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=bias_shape, name="bias",
                initializer=bias_initializer or self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    # -- dropout masks (Keras's DropoutRNNCell): made once per RNN call, 0 or 1/(1 - rate) --
    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None

    def get_dropout_mask(self, step_input):
        if self._dropout_mask is None and 0 < self.dropout < 1:
            self._dropout_mask = tf.nn.dropout(tf.ones_like(step_input), rate=self.dropout,
                                               seed=self._op_seed)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, state):
        if self._recurrent_dropout_mask is None and 0 < self.recurrent_dropout < 1:
            self._recurrent_dropout_mask = tf.nn.dropout(
                tf.ones_like(state), rate=self.recurrent_dropout, seed=self._op_seed + 1)
        return self._recurrent_dropout_mask

    def _dropped(self, inputs, h, training):
        if training and 0 < self.dropout < 1:
            inputs = inputs * self.get_dropout_mask(inputs)
        if training and 0 < self.recurrent_dropout < 1:
            h = h * self.get_recurrent_dropout_mask(h)
        return inputs, h

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [tf.zeros(tf.stack([batch_size, s]) if isinstance(batch_size, Tensor)
                         else (batch_size, s), self.compute_dtype) for s in sizes]

    def get_config(self):
        return {**super().get_config(),
                "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": _maybe(regularizers.serialize, self.kernel_regularizer),
                "recurrent_regularizer": _maybe(regularizers.serialize,
                                                self.recurrent_regularizer),
                "bias_regularizer": _maybe(regularizers.serialize, self.bias_regularizer),
                "kernel_constraint": _maybe(constraints.serialize, self.kernel_constraint),
                "recurrent_constraint": _maybe(constraints.serialize,
                                               self.recurrent_constraint),
                "bias_constraint": _maybe(constraints.serialize, self.bias_constraint),
                "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed}


class SimpleRNNCell(_Cell):
    """One step of a fully-connected RNN: h = activation(x W + b + h(t-1) U)."""

    def build(self, input_shape):
        self._add_kernels(input_shape, 1, (self.units,))
        self.built = True

    def call(self, inputs, states, training=False):
        prev = states[0] if isinstance(states, (list, tuple)) else states
        x, h = self._dropped(inputs, prev, training)
        z = tf.matmul(x, self.kernel)
        if self.bias is not None:
            z = z + self.bias
        h = self.activation(z + tf.matmul(h, self.recurrent_kernel))
        return h, [h]


class LSTMCell(_Cell):
    """One LSTM step with Keras's gates i, f, c, o; `unit_forget_bias` starts the forget bias
    at 1."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]

    def build(self, input_shape):
        init = None
        if self.unit_forget_bias:
            base, u = self.bias_initializer, self.units

            def init(shape, dtype=None):
                return tf.concat([base((u,), dtype=dtype), tf.ones((u,), dtype=dtype),
                                  base((2 * u,), dtype=dtype)], 0)
        self._add_kernels(input_shape, 4, (4 * self.units,), init)
        self.built = True

    def call(self, inputs, states, training=False):
        h, c = states[0], states[1]
        x, hd = self._dropped(inputs, h, training)
        z = tf.matmul(x, self.kernel) + tf.matmul(hd, self.recurrent_kernel)
        if self.bias is not None:
            z = z + self.bias
        zi, zf, zc, zo = tf.split(z, 4, axis=1)
        rec = self.recurrent_activation
        c = rec(zf) * c + rec(zi) * self.activation(zc)
        h = rec(zo) * self.activation(c)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class GRUCell(_Cell):
    """One GRU step with Keras's gates z, r, h; `reset_after` applies the reset gate after the
    recurrent GEMM (bias (2, 3*units)) or before it (bias (3*units,))."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 reset_after=True, **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def build(self, input_shape):
        u = self.units
        self._add_kernels(input_shape, 3, (2, 3 * u) if self.reset_after else (3 * u,))
        self.built = True

    def call(self, inputs, states, training=False):
        h = states[0] if isinstance(states, (list, tuple)) else states
        u = self.units
        x, hd = self._dropped(inputs, h, training)
        mx = tf.matmul(x, self.kernel)
        bx = bh = None
        if self.bias is not None:
            bx, bh = (self.bias[0], self.bias[1]) if self.reset_after else (self.bias, None)
            mx = mx + bx
        xz, xr, xh = tf.split(mx, 3, axis=1)
        rec = self.recurrent_activation
        if self.reset_after:
            mh = tf.matmul(hd, self.recurrent_kernel)
            if bh is not None:
                mh = mh + bh
            hz, hr, hh = tf.split(mh, 3, axis=1)
            z, r = rec(xz + hz), rec(xr + hr)
            hh = r * hh
        else:
            hz, hr = tf.split(tf.matmul(hd, self.recurrent_kernel[:, :2 * u]), 2, axis=1)
            z, r = rec(xz + hz), rec(xr + hr)
            hh = tf.matmul(r * hd, self.recurrent_kernel[:, 2 * u:])
        cand = self.activation(xh + hh)
        h = z * h + (1 - z) * cand
        return h, [h]

    def get_config(self):
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


class StackedRNNCells(Layer):
    """Cells run one after another within each step; the states are all cells' states in
    order (flattened), the output is the last cell's."""

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for c in cells:
            if not hasattr(c, "call") or not hasattr(c, "state_size"):
                raise ValueError(f"All cells must have a `call` method and a `state_size`; "
                                 f"received {c!r}")
        self.cells = list(cells)

    @property
    def state_size(self):
        return [s for c in self.cells for s in _sizes(c)]

    @property
    def output_size(self):
        last = self.cells[-1]
        return getattr(last, "output_size", _sizes(last)[0])

    def build(self, input_shape):
        shape = tuple(input_shape)
        for c in self.cells:
            if isinstance(c, Layer):
                c._graph = c._graph or self._graph
                c._maybe_build_from_shape(shape)
            shape = shape[:-1] + (getattr(c, "output_size", _sizes(c)[0]),)
        self.built = True

    def call(self, inputs, states, training=False):
        new_states, i = [], 0
        for c in self.cells:
            n = len(_sizes(c))
            kw = {"training": training} if getattr(c, "_call_has_training", False) else {}
            inputs, s = c.call(inputs, list(states[i:i + n]), **kw)
            new_states.extend(s if isinstance(s, (list, tuple)) else [s])
            i += n
        return inputs, new_states

    def get_initial_state(self, batch_size=None):
        return [s for c in self.cells for s in _initial_state(c, batch_size)]

    def get_config(self):
        from tensorlet.keras.layers.serialization import serialize
        return {**super().get_config(), "cells": [serialize(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from tensorlet.keras.layers.serialization import deserialize
        config = dict(config)
        cells = [deserialize(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)


def _sizes(cell):
    s = cell.state_size
    return list(s) if isinstance(s, (list, tuple)) else [s]


def _initial_state(cell, batch_size, dtype="float32"):
    fn = getattr(cell, "get_initial_state", None)
    if fn is not None:
        s = fn(batch_size=batch_size)
        return list(s) if isinstance(s, (list, tuple)) else [s]
    return [tf.zeros(tf.stack([batch_size, n]), dtype) for n in _sizes(cell)]


class RNN(Layer):
    """Runs a cell over the time axis of (batch, time, features) inputs (Keras 3's `RNN`).

    `cell` may be a list of cells (stacked). Options as Keras: return_sequences, return_state,
    go_backwards (outputs in processing order), stateful (states kept in variables between
    calls, reset with `reset_states()`; needs a static batch size), unroll (accepted; every
    step is a graph op here), zero_output_for_mask. Call with `initial_state=` (a list, one
    tensor (batch, size) per state) and `mask=` (batch, time).
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError(f"Argument `cell` should have a `call` method and a `state_size` "
                             f"attribute. Received: cell={cell!r}")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.states = None

    @property
    def state_size(self):
        return _sizes(self.cell)

    def _check_rank(self, shape):
        if shape is None or len(shape) != 3:
            raise ValueError(f"Layer '{self.name}' expects inputs of shape (batch, time, "
                             f"features), i.e. rank 3; received input shape {shape}")

    def build(self, sequences_shape, initial_state_shape=None):
        shape = tuple(sequences_shape) if sequences_shape is not None else None
        self._check_rank(shape)
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._graph = self.cell._graph or self._graph
            self.cell._maybe_build_from_shape((shape[0], shape[2]))
        if shape[2] is not None:  # later calls must bring the feature size the weights have
            self.input_spec = InputSpec(ndim=3, axes={-1: shape[2]})
        if self.stateful:
            if shape[0] is None:
                raise ValueError(f"Layer '{self.name}': `stateful=True` needs a static batch "
                                 f"size (pass `batch_size=` to `Input`); received input shape "
                                 f"{shape}")
            self._create_state_variables(shape[0])
        self.built = True  # also when build() is called directly, as Keras 3 does

    def _create_state_variables(self, batch):
        graph = self._graph or backend.get_graph()
        self._graph = graph
        with graph.as_default(), graph.name_scope(self.name + "/"):
            self.states = [backend.KerasVariable(
                lambda n=n: tf.zeros((batch, n), self.compute_dtype),
                path=f"{self.name}/rnn_state", trainable=False, name="rnn_state",
                dtype=self.compute_dtype) for n in self.state_size]
        backend.track_variables(self.states)

    def reset_states(self, states=None):
        """Zero the kept states of a stateful layer (or set them to `states`)."""
        if not self.stateful or self.states is None:
            raise AttributeError(f"Layer '{self.name}' is not stateful (or not built).")
        values = states if states is not None else [
            np.zeros(v.shape.as_list(), v.dtype.np) for v in self.states]
        backend.batch_set_value(zip(self.states, values))

    reset_state = reset_states

    def compute_mask(self, inputs, mask=None):
        mask = tree.flatten(mask)[0] if mask is not None else None
        out = mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None] * len(self.state_size)
        return out

    def _initial_states(self, sequences, initial_state):
        """The initial states given or kept (stateful), or None for the cell's defaults."""
        sizes = self.state_size
        if initial_state is None:
            if self.stateful:
                return [tf.convert_to_tensor(v) for v in self.states]
            return None
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) \
            else [initial_state]
        states = [tf.convert_to_tensor(s, dtype=self.compute_dtype) for s in states]
        batch = sequences.shape[0]
        if len(states) != len(sizes) or any(
                s.shape.ndims != 2 or not s.shape.is_compatible_with((batch, n))
                for s, n in zip(states, sizes)):
            want = ", ".join(f"({batch}, {n})" for n in sizes)
            got = ", ".join(str(s.shape) for s in states)
            raise ValueError(f"Layer '{self.name}' expects {len(sizes)} initial state(s) of "
                             f"shape {want}; received {len(states)}: {got}")
        return states

    def call(self, sequences, initial_state=None, mask=None, training=False):
        self._check_rank(tuple(sequences.shape.dims) if sequences.shape.dims else None)
        if not sequences.dtype.is_floating:
            sequences = tf.cast(sequences, self.compute_dtype)
        states = self._initial_states(sequences, initial_state)
        if mask is not None:
            mask = tree.flatten(mask)[0]
            mask = mask if mask.dtype.is_bool else tf.cast(mask, tf.bool)
        output, states = self.inner_loop(sequences, states, mask, bool(training))
        if self.stateful:
            with tf.control_dependencies([v.assign(s) for v, s in zip(self.states, states)]):
                output = tf.identity(output)
                states = [tf.identity(s) for s in states]
        return [output] + list(states) if self.return_state else output

    def inner_loop(self, sequences, states, mask, training):
        """One cell call per step; returns (output per return_sequences, final states)."""
        if states is None:
            states = _initial_state(self.cell, tf.shape(sequences)[0], self.compute_dtype)
        steps = sequences.shape[1]
        if steps is None:
            raise ValueError(f"Layer '{self.name}' runs its cell step by step and needs a static "
                             f"number of time steps; received input shape {sequences.shape}")
        xs = tf.unstack(sequences, num=steps, axis=1)
        ms = None
        if mask is not None:
            ms = tf.unstack(tf.expand_dims(tf.cast(mask, sequences.dtype), -1), num=steps, axis=1)
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        kw = {"training": training} if getattr(self.cell, "_call_has_training", False) else {}
        outputs, prev = [], None
        for t in order:
            out, new = self.cell(xs[t], list(states), **kw)
            new = list(new) if isinstance(new, (list, tuple)) else [new]
            if ms is not None:
                m = ms[t]
                prev = tf.zeros_like(out) if prev is None else prev
                out = m * out if self.zero_output_for_mask else m * out + (1 - m) * prev
                new = [m * n + (1 - m) * s for n, s in zip(new, states)]
            states, prev = new, out
            outputs.append(out)
        for c in _cells(self.cell):
            if hasattr(c, "reset_dropout_mask"):
                c.reset_dropout_mask()
                c.reset_recurrent_dropout_mask()
        out = tf.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        return out, states

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        b, t = sequences_shape[0], sequences_shape[1]
        size = getattr(self.cell, "output_size", self.state_size[0])
        out = (b, t, size) if self.return_sequences else (b, size)
        if self.return_state:
            return [out] + [(b, n) for n in self.state_size]
        return out

    def get_config(self):
        from tensorlet.keras.layers.serialization import serialize
        return {**super().get_config(), "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards,
                "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask,
                "cell": serialize(self.cell)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from tensorlet.keras.layers.serialization import deserialize
        config = dict(config)
        cell = deserialize(config.pop("cell"), custom_objects)
        return cls(cell, **config)


def _cells(cell):
    return cell.cells if isinstance(cell, StackedRNNCells) else [cell]


__all__ = ["GRUCell", "LSTMCell", "RNN", "SimpleRNNCell", "StackedRNNCells"]
