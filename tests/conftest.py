"""Test-wide set-up: the tests folder is importable (gradcheck helpers), each test gets a fresh
default graph, and compiled kernels run on arrays of every size (the tests' arrays are small;
runtime/jit.py leaves small arrays to NumPy in normal use)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(autouse=True)
def _fresh_graph():
    import tensorlet as tf
    tf.reset_default_graph()
    yield


def _jit():
    from tensorlet.runtime import jit
    return jit


_DEFAULT_MIN_COMPILED_SIZE = _jit().MIN_COMPILED_SIZE


@pytest.fixture(autouse=True)
def _compile_small_arrays(monkeypatch):
    monkeypatch.setattr(_jit(), "MIN_COMPILED_SIZE", 0)


@pytest.fixture
def real_compile_threshold(monkeypatch):
    """The library's own size threshold for compiled kernels (as in a user's process)."""
    monkeypatch.setattr(_jit(), "MIN_COMPILED_SIZE", _DEFAULT_MIN_COMPILED_SIZE)


@pytest.fixture
def isolated_registry():
    """keras.saving's global custom-object registry, restored after the test."""
    from tensorlet.keras.saving import registry
    objects = dict(registry._GLOBAL_CUSTOM_OBJECTS)
    names = dict(registry._GLOBAL_CUSTOM_NAMES)
    yield
    registry._GLOBAL_CUSTOM_OBJECTS.clear()
    registry._GLOBAL_CUSTOM_OBJECTS.update(objects)
    registry._GLOBAL_CUSTOM_NAMES.clear()
    registry._GLOBAL_CUSTOM_NAMES.update(names)
