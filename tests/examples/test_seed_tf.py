"""The seed's TensorFlow programs run unchanged (but for the import) and print what they should."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_seed_tf_program_output():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "seed_tf.py")],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    assert out.split("\n") == ["[[4.]", " [5.]]", "[1 2] [3 4]", "[2 3] [3 4]", "[2 3] [3 4]",
                               ""]
