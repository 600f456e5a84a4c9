"""keras.config: Keras 3's spelling of the global settings, sharing state with keras.backend."""
import pytest

from tensorlet import keras
from tensorlet.framework.traceback_utils import is_traceback_filtering_enabled


def test_config_reads_and_writes_the_backend_settings():
    config, backend = keras.config, keras.backend
    assert config.floatx() == "float32" and config.epsilon() == 1e-7
    assert config.image_data_format() == "channels_last" and config.backend() == "tensorlet"
    try:
        config.set_floatx("float64")
        config.set_epsilon(1e-5)
        config.set_image_data_format("channels_first")
        assert backend.floatx() == "float64" and backend.epsilon() == 1e-5
        assert backend.image_data_format() == "channels_first"
        assert keras.layers.Dense(2).dtype == "float64"
    finally:
        config.set_floatx("float32")
        config.set_epsilon(1e-7)
        config.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="floatx"):
        config.set_floatx("int8")
    with pytest.raises(ValueError, match="channels_last"):
        config.set_image_data_format("NHWC")


def test_traceback_filtering_switches():
    assert keras.config.is_traceback_filtering_enabled()
    keras.config.disable_traceback_filtering()
    try:
        assert not is_traceback_filtering_enabled()
    finally:
        keras.config.enable_traceback_filtering()
    assert is_traceback_filtering_enabled()


def test_no_process_wide_unsafe_deserialization_switch():
    assert not hasattr(keras.config, "enable_unsafe_deserialization")
