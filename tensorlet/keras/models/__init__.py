"""`keras.models`: Model (functional and subclassed) and Sequential."""
from tensorlet.keras.models.functional import Functional as Functional
from tensorlet.keras.models.model import Model as Model
from tensorlet.keras.models.sequential import Sequential as Sequential
