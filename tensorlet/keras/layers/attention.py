"""MultiHeadAttention (Keras 3) over sequences (batch, steps, features): EinsumDense
projections of query, key and value into heads, scaled dot-product attention with masks and
dropout on the scores, and an EinsumDense back to the features."""
import functools
import numbers

import numpy as np

from tensorlet.keras.layers.core import Dropout
from tensorlet.keras.layers import node as _node
from tensorlet.keras.layers.einsum_dense import EinsumDense
from tensorlet.keras.layers.layer import Layer
from tensorlet.keras.layers.layer_args import set_weight_args, weight_args_config
from tensorlet.ops import array as _array
from tensorlet.ops import linalg as _linalg
from tensorlet.ops import math as _math
from tensorlet.ops import nn as _nn
from tensorlet.ops.generate import range as _range

_LARGE_NEGATIVE = -1e9  # what masked scores get before the softmax (Keras's float32 value)


def _positive(value, what):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"MultiHeadAttention: `{what}` must be a positive integer, got "
                         f"{value!r}")
    return int(value)


class MultiHeadAttention(Layer):
    """`num_heads` heads of scaled dot-product attention of `query` over `value` (and `key`,
    default `value`), all of shape (batch, steps, features). Masks: `attention_mask`
    (batch, query steps, value steps), `query_mask`/`value_mask`/`key_mask` (batch, steps) and
    `use_causal_mask`; True (or 1) lets a position attend. Inputs that carry a Keras mask
    (after `Embedding(mask_zero=True)` or `Masking`) are masked without being asked."""

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 seed=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.num_heads = _positive(num_heads, "num_heads")
        self.key_dim = _positive(key_dim, "key_dim")
        self.value_dim = _positive(value_dim, "value_dim") if value_dim else self.key_dim
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self._output_shape = output_shape
        if attention_axes not in (None, 1, (1,), [1]):
            raise ValueError(f"MultiHeadAttention here attends over the steps of (batch, "
                             f"steps, features) inputs (attention_axes None or (1,)); got "
                             f"attention_axes={attention_axes!r}")
        self.attention_axes = attention_axes
        self.seed = seed
        set_weight_args(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        set_weight_args(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        bias = "de" if self.use_bias else None
        self._query_dense = self._dense("abc,cde->abde", (None, self.num_heads, self.key_dim),
                                        bias, "query")
        self._key_dense = self._dense("abc,cde->abde", (None, self.num_heads, self.key_dim),
                                      bias, "key")
        self._value_dense = self._dense("abc,cde->abde",
                                        (None, self.num_heads, self.value_dim), bias, "value")
        self._output_dense = None  # its width is the query's unless output_shape says
        self._dropout_layer = Dropout(self.dropout, seed=seed, dtype=self.dtype_policy)
        self.supports_masking = True  # the output keeps the query's mask

    def _dense(self, equation, shape, bias_axes, name):
        """One projection, with this layer's initializers, regularizers and constraints."""
        args = {f"{w}_{kind}": getattr(self, f"{w}_{kind}") for w in ("kernel", "bias")
                for kind in ("initializer", "regularizer", "constraint")}
        return EinsumDense(equation, shape, bias_axes=bias_axes, name=name,
                           dtype=self.dtype_policy, **args)

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        key = value if key is None else key
        # the Keras masks of the inputs (Embedding(mask_zero=True), Masking); the query's
        # own mask wins (Keras 3)
        query_mask = _node.get_mask(query) if _node.get_mask(query) is not None else query_mask
        value_mask = _node.get_mask(value) if value_mask is None else value_mask
        key_mask = _node.get_mask(key) if key_mask is None and key is not value else key_mask
        for t, what in ((query, "query"), (value, "value"), (key, "key")):
            if t.shape.ndims != 3:
                raise ValueError(f"MultiHeadAttention expects {what} of shape (batch, steps, "
                                 f"features), got {t.shape}")
        if not key.shape[:-1].is_compatible_with(value.shape[:-1]):
            raise ValueError(f"All dimensions of `value` and `key`, except the last one, must "
                             f"be equal; got value {value.shape} and key {key.shape}")
        if self._output_dense is None:
            width = self._output_width(query.shape[-1])
            out = "efgh"[:len(width)]
            self._output_dense = self._dense(f"abcd,cd{out}->ab{out}", (None,) + width,
                                             out if self.use_bias else None,
                                             "attention_output")
        scale = np.asarray(1.0 / np.sqrt(self.key_dim), self._query_dense.compute_dtype)
        q = self._query_dense(query) * scale
        k, v = self._key_dense(key), self._value_dense(value)
        scores = _linalg.einsum("aecd,abcd->acbe", k, q)  # (batch, heads, T, S)
        mask = self._attention_mask(query, value, query_mask, value_mask, key_mask,
                                    attention_mask, use_causal_mask)
        if mask is not None:
            allowed = _math.cast(_array.expand_dims(mask, 1), scores.dtype)
            scores = scores + (1.0 - allowed) * _LARGE_NEGATIVE
        weights = _nn.softmax(scores, axis=-1)
        dropped = self._dropout_layer(weights, training=training)
        heads = _linalg.einsum("acbe,aecd->abcd", dropped, v)  # (batch, T, heads, value_dim)
        output = self._output_dense(heads)
        return (output, weights) if return_attention_scores else output

    @staticmethod
    def _attention_mask(query, value, query_mask, value_mask, key_mask, attention_mask,
                        use_causal_mask):
        """The (batch, T, S) bool mask of the positions each query step may attend, or None."""
        parts = []
        if query_mask is not None:
            parts.append(_array.expand_dims(_math.cast(query_mask, "bool"), -1))
        for m in (value_mask, key_mask):
            if m is not None:
                parts.append(_array.expand_dims(_math.cast(m, "bool"), 1))
        if use_causal_mask:  # query step i attends value steps j <= i
            rows = _array.expand_dims(_range(_array.shape(query)[1]), -1)
            cols = _array.expand_dims(_range(_array.shape(value)[1]), 0)
            parts.append(_array.expand_dims(_math.less_equal(cols, rows), 0))
        if attention_mask is not None:
            parts.append(_math.cast(attention_mask, "bool"))
        return functools.reduce(_math.logical_and, parts) if parts else None

    def _output_width(self, query_features):
        """The output's feature dimensions: output_shape (an int or a tuple), else the
        query's feature size."""
        width = self._output_shape or query_features
        return tuple(width) if isinstance(width, (list, tuple)) else (width,)

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        return tuple(query_shape[:-1]) + self._output_width(query_shape[-1])

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "dropout": self.dropout,
                "use_bias": self.use_bias, "output_shape": self._output_shape,
                "attention_axes": self.attention_axes, "seed": self.seed,
                **weight_args_config(self, "kernel", "bias")}


__all__ = ["MultiHeadAttention"]
