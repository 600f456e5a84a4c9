"""`keras.callbacks`: hooks into `fit`, `evaluate` and `predict` (Keras 3 names and behaviour)."""
from .callback import Callback, CallbackList, History, ProgbarLogger
from .misc import CSVLogger, LambdaCallback, LearningRateScheduler, TerminateOnNaN
from .monitor import EarlyStopping, ModelCheckpoint, MonitorCallback, ReduceLROnPlateau
from tensorlet.keras.saving.backup import BackupAndRestore  # noqa: E402,F401

__all__ = ["BackupAndRestore", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History",
           "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint", "MonitorCallback",
           "ProgbarLogger", "ReduceLROnPlateau", "TerminateOnNaN"]
