"""`from tensorlet import keras`: the Keras 3 API on tensorlet's core (DESIGN.md rule 2)."""
from tensorlet.keras import (  # noqa: F401
    activations,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    random,
    regularizers,
    utils,
)
from tensorlet.keras.layers import Input, Layer  # noqa: F401
from tensorlet.keras.models import Model, Sequential  # noqa: F401
from tensorlet.keras import saving  # noqa: F401
from tensorlet.keras.variables import Variable  # noqa: F401
