"""`keras.config`: where Keras 3 keeps the global settings (float type, fuzz factor, image
data format, backend name, traceback filtering). The same functions as `keras.backend`'s, so
either spelling changes the one setting.

Deserialising code-carrying layers is allowed only through a load call's `safe_mode=False`
(issue 9, "Files are data"): there is no process-wide `enable_unsafe_deserialization()`.
"""
from tensorlet.framework.traceback_utils import (  # noqa: F401
    disable_traceback_filtering,
    enable_traceback_filtering,
    is_traceback_filtering_enabled,
)
from tensorlet.keras.backend import (  # noqa: F401
    backend,
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
