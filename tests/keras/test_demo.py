"""The demo reaches >= 0.95 test accuracy on the bundled digits, and one seed makes two fits
bitwise identical (weights compared with ==)."""
import os
import subprocess
import sys

import numpy as np

from tensorlet import keras
from tensorlet import demo

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_demo_reaches_95_percent():
    keras.backend.clear_session(free_memory=False)
    model, loss, accuracy, seconds = demo.run(verbose=0)
    assert accuracy >= 0.95, f"test accuracy {accuracy:.4f} after {demo.EPOCHS} epochs"
    assert loss < 0.3


def _train(seed, clear=True):
    if clear:
        keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(seed)
    (x, y), _ = demo.load_digits()
    model = demo.build_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=64, epochs=2, validation_split=0.1, verbose=0)
    return model.get_weights(), history.history


def test_same_seed_gives_bitwise_identical_fits():
    w1, h1 = _train(123)
    w2, h2 = _train(123)
    assert h1 == h2
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2))
    w3, _ = _train(124)
    assert not all(np.array_equal(a, b) for a, b in zip(w1, w3))


def test_same_seed_repeats_in_one_session_too():
    """As in Keras 3, without clear_session: the second model's ops sit elsewhere in the
    graph, yet its initial weights, dropout masks and shuffling repeat."""
    keras.backend.clear_session(free_memory=False)
    w1, h1 = _train(5, clear=False)
    w2, h2 = _train(5, clear=False)
    assert h1 == h2
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2))


def test_python_m_tensorlet_demo_prints_accuracy_and_summary():
    out = subprocess.run([sys.executable, "-m", "tensorlet.demo"], capture_output=True,
                         text=True, check=True, timeout=300, cwd=ROOT).stdout
    lines = out.strip().splitlines()
    assert lines[0] == f"Epoch 1/{demo.EPOCHS}"
    accuracy = float(lines[-2].split(":")[1])
    assert accuracy >= 0.95
    assert lines[-1].startswith("sequential: 5 layers, 2,410 params")
