"""Modules imported when first used, so that `import tensorlet.keras` does not pay for h5py and
the network stack (≈ 20 MB resident, ≈ 60 ms) in programs that never save, load or download."""
import importlib


class LazyModule:
    """Stands for the module `name`; reading an attribute imports it (once) and reads it there."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self):
        return f"<lazily imported module {self._name!r}>"
