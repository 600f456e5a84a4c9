"""`keras.models`: Model (functional and subclassed) and Sequential."""
from tensorlet.keras.models.functional import Functional as Functional
from tensorlet.keras.models.model import Model as Model
from tensorlet.keras.models.sequential import Sequential as Sequential
from tensorlet.keras.models.cloning import clone_model as clone_model
from tensorlet.keras.saving.keras_zip import load_model, model_from_config  # noqa: E402,F401
from tensorlet.keras.saving.keras_zip import model_from_json, save_model  # noqa: E402,F401
