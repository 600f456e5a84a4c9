"""`keras.layers.serialize/deserialize`: layers as Keras 3 config dicts and back.

Both go through `tensorlet.keras.saving.serialization`, where classes resolve only through
tensorlet's allow-list of serialisable objects plus registered and `custom_objects` classes
(issue 9: files are data; nothing is imported from a config).
"""


def serialize(layer):
    """Keras 3's dict for a layer: module, class_name, config, registered_name, build_config."""
    from tensorlet.keras.saving.serialization import serialize_keras_object
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """The layer a config dict describes; unknown classes raise, listing the known ones."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A layer config must be a dict with 'class_name' and 'config'; got "
                         f"{config!r:.100}")
    from tensorlet.keras.saving.serialization import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects, family="layers")
