"""`keras.saving`: `.keras` / `.weights.h5` / legacy `.h5` files laid out as Keras 3 lays them
out, Keras 3's config serialisation, and the registry (an allow-list) that loading resolves
every name through (DESIGN.md rule 8: files are data, never code)."""
from tensorlet.keras.saving.keras_zip import load_model, load_weights, model_from_config
from tensorlet.keras.saving.keras_zip import model_from_json, save_model
from tensorlet.keras.saving.registry import (CustomObjectScope, custom_object_scope,
                                             get_custom_objects, get_registered_name,
                                             get_registered_object,
                                             register_keras_serializable)
from tensorlet.keras.saving.serialization import (deserialize_keras_object,
                                                  serialize_keras_object)
from tensorlet.keras.saving.weights_h5 import save_weights

__all__ = ["CustomObjectScope", "custom_object_scope", "deserialize_keras_object",
           "get_custom_objects", "get_registered_name", "get_registered_object", "load_model",
           "load_weights", "model_from_config", "model_from_json", "register_keras_serializable",
           "save_model", "save_weights", "serialize_keras_object"]
