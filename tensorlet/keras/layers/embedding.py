"""Embedding (token ids -> vectors, optional padding mask) and Masking (skip time steps whose
features all equal `mask_value`), as Keras 3."""

import tensorlet as tf
from tensorlet.keras import constraints, initializers, regularizers
from tensorlet.keras.layers.layer import Layer
from tensorlet.keras.layers.layer_args import positive_int



class Embedding(Layer):
    """Maps integer ids in [0, input_dim) to rows of an (input_dim, output_dim) matrix.

    `mask_zero=True` makes id 0 padding: the output mask is `ids != 0` (so input_dim should be
    the vocabulary size + 1). `input_length` (Keras 2) is accepted and ignored.
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, **kwargs):
        kwargs.pop("input_length", None)
        kwargs.pop("lora_rank", None)
        super().__init__(**kwargs)
        self.input_dim = positive_int(input_dim, "input_dim")
        self.output_dim = positive_int(output_dim, "output_dim")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self._initial_weights = weights

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim), name="embeddings",
            initializer=self.embeddings_initializer, regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None
        self.built = True

    def call(self, inputs):
        if inputs.dtype.name not in ("int32", "int64"):
            inputs = tf.cast(inputs, tf.int32)
        return tf.gather(self.embeddings, inputs)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return tf.not_equal(inputs, tf.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {**super().get_config(),
                "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": None if self.embeddings_regularizer is None
                else regularizers.serialize(self.embeddings_regularizer),
                "embeddings_constraint": None if self.embeddings_constraint is None
                else constraints.serialize(self.embeddings_constraint),
                "mask_zero": self.mask_zero}


class Masking(Layer):
    """Masks time steps whose features all equal `mask_value` (their output is zeroed too)."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def _keep(self, inputs):
        return tf.reduce_any(tf.not_equal(inputs, tf.cast(self.mask_value, inputs.dtype)),
                             axis=-1, keepdims=True)

    def call(self, inputs):
        return inputs * tf.cast(self._keep(inputs), inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        return tf.squeeze(self._keep(inputs), axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}


__all__ = ["Embedding", "Masking"]
