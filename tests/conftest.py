"""Test-wide set-up: the tests folder is importable (gradcheck helpers), each test gets a fresh
default graph."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(autouse=True)
def _fresh_graph():
    import tensorlet as tf
    tf.reset_default_graph()
    yield
