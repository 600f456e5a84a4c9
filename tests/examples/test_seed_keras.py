"""The seed's Keras program runs with only its imports changed."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_seed_keras_program_runs():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "seed_keras.py")],
                         capture_output=True, text=True, check=True, timeout=300).stdout
    assert "Epoch 2/2" in out and 'Model: "sequential"' in out
    assert " Total params: 25,450 (99.41 KB)" in out
