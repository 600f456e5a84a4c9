"""keras.optimizers: Keras 3's optimizers, on the update ops shared with tf.train."""
from tensorlet.keras import _identifiers
from tensorlet.keras.optimizers import schedules
from tensorlet.keras.optimizers.adagrad import Adadelta, Adagrad
from tensorlet.keras.optimizers.adam import Adam, AdamW
from tensorlet.keras.optimizers.adamax import Adamax, Nadam
from tensorlet.keras.optimizers.base import Optimizer
from tensorlet.keras.optimizers.rmsprop import RMSprop
from tensorlet.keras.optimizers.sgd import SGD

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]

ALL_OBJECTS = (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam)
ALL_OBJECTS_DICT = {c.__name__.lower(): c for c in ALL_OBJECTS}


def serialize(optimizer):
    """Keras 3's config dict of an optimizer."""
    return _identifiers.serialize_object(optimizer, "keras.optimizers")


def deserialize(config, custom_objects=None):
    """The optimizer a config dict describes (class names are case-insensitive)."""
    if isinstance(config, dict) and isinstance(config.get("class_name"), str):
        config = dict(config, class_name=config["class_name"].lower())
    custom = {k.lower(): v for k, v in (custom_objects or {}).items()}
    return _identifiers.deserialize_object(config, ALL_OBJECTS_DICT, "optimizer", custom)


def get(identifier):
    """An optimizer from a name ('adam'), a config dict, or an Optimizer (returned as is)."""
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = ALL_OBJECTS_DICT.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. Known "
                             f"optimizers: {', '.join(sorted(ALL_OBJECTS_DICT))}")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r} (expected a "
                     f"name, a config dict or an Optimizer). Known optimizers: "
                     f"{', '.join(sorted(ALL_OBJECTS_DICT))}")
