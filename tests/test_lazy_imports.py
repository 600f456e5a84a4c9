"""`import tensorlet` and `import tensorlet.keras` leave numba, h5py and the network stack
unimported (they cost ≈ 140 MB resident together) until a kernel, a save or a download needs
them."""
import subprocess
import sys

import pytest

from tensorlet._lazy import LazyModule

HEAVY = ("numba", "h5py", "urllib.request", "http.client", "ssl")


def test_importing_tensorlet_and_keras_loads_no_heavy_module():
    code = ("import sys, tensorlet, tensorlet.keras\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_lazy_module_imports_on_first_attribute_read():
    code = ("import sys\nfrom tensorlet._lazy import LazyModule\n"
            "m = LazyModule('colorsys')\nassert 'colorsys' not in sys.modules\n"
            "assert m.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)\n"
            "assert 'colorsys' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lazy_module_reports_a_missing_attribute_or_module():
    with pytest.raises(AttributeError):
        LazyModule("json").no_such_function
    with pytest.raises(ModuleNotFoundError):
        LazyModule("tensorlet_no_such_module").anything
    assert "json" in repr(LazyModule("json"))
