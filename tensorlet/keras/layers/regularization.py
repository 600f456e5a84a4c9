"""`ActivityRegularization`: the identity, adding l1 * sum(|x|) + l2 * sum(x²) of its input to
the layer's losses (the base Layer's activity-regulariser path, so the training loss of a model
includes it, divided by the batch size as Keras 3 does)."""
from tensorlet.keras import regularizers
from tensorlet.keras.layers.layer import Layer


class ActivityRegularization(Layer):
    """Passes its input through and penalises it with `L1L2(l1, l2)`."""

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True
        self.l1 = self.activity_regularizer.l1
        self.l2 = self.activity_regularizer.l2

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}


__all__ = ["ActivityRegularization"]
