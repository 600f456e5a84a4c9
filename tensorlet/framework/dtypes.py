"""DType objects with TensorFlow's names, and the promotion lattice of DESIGN.md rule 7."""
import numpy as np


class DType:
    """A tensor element type: a thin, hashable wrapper over a NumPy dtype with TF's name."""

    __slots__ = ("name", "np", "_kind")

    def __init__(self, name, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype) if np_dtype is not None else None
        self._kind = self.np.kind if self.np is not None else "O"

    @property
    def as_numpy_dtype(self):
        return self.np.type

    @property
    def base_dtype(self):
        return self

    @property
    def is_floating(self):
        return self._kind == "f"

    @property
    def is_integer(self):
        return self._kind in "iu"

    @property
    def is_unsigned(self):
        return self._kind == "u"

    @property
    def is_bool(self):
        return self._kind == "b"

    @property
    def is_numeric(self):
        return self._kind in "fiu"

    @property
    def size(self):
        return self.np.itemsize

    @property
    def min(self):
        return np.finfo(self.np).min if self.is_floating else np.iinfo(self.np).min

    @property
    def max(self):
        return np.finfo(self.np).max if self.is_floating else np.iinfo(self.np).max

    def __repr__(self):
        return f"tf.{self.name}"

    def __eq__(self, other):
        try:
            return self is as_dtype(other)
        except TypeError:
            return False

    def __hash__(self):
        return hash(self.name)


float16 = half = DType("float16", np.float16)
float32 = DType("float32", np.float32)
float64 = double = DType("float64", np.float64)
int8 = DType("int8", np.int8)
int16 = DType("int16", np.int16)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
uint8 = DType("uint8", np.uint8)
uint16 = DType("uint16", np.uint16)
uint32 = DType("uint32", np.uint32)
uint64 = DType("uint64", np.uint64)
bool_ = DType("bool", np.bool_)
string = DType("string", np.object_)

_ALL = [float16, float32, float64, int8, int16, int32, int64,
        uint8, uint16, uint32, uint64, bool_]
_BY_NAME = {d.name: d for d in _ALL + [string]}
_BY_NAME.update({"float": float32, "double": float64, "half": float16, "int": int32,
                 "bool_": bool_, "str": string})
_BY_NP = {d.np: d for d in _ALL}


def as_dtype(value):
    """Return the DType for a DType, a name ('float32'), a NumPy dtype or a Python type."""
    if isinstance(value, DType):
        return value
    if isinstance(value, str):
        if value in _BY_NAME:
            return _BY_NAME[value]
        raise TypeError(f"Unknown dtype name {value!r}; expected one of {sorted(_BY_NAME)}")
    if value is float:
        return float32
    if value is int:
        return int32
    if value is bool:
        return bool_
    if value is str or value is bytes:
        return string
    try:
        npd = np.dtype(value)
    except TypeError:
        raise TypeError(f"Cannot interpret {value!r} as a dtype") from None
    if npd.kind in "OSU":
        return string
    if npd in _BY_NP:
        return _BY_NP[npd]
    raise TypeError(f"Unsupported dtype {npd}")


# Promotion lattice (rule 7): bool < unsigned/signed ints < floats; int + float -> that float.
_RANK = {bool_: 0, uint8: 1, int8: 2, uint16: 3, int16: 4, uint32: 5, int32: 6,
         uint64: 7, int64: 8, float16: 10, float32: 11, float64: 12}


def promote(a, b):
    """The common dtype of two tensor dtypes: the higher on the lattice (ints join floats)."""
    a, b = as_dtype(a), as_dtype(b)
    if a is b:
        return a
    if a is string or b is string:
        raise TypeError(f"Cannot combine dtypes {a.name} and {b.name}")
    return a if _RANK[a] >= _RANK[b] else b


def default_dtype_for_python(value):
    """TF's dtype for a Python / NumPy value: floats float32, ints int32, NumPy dtypes kept."""
    if isinstance(value, np.ndarray | np.generic):
        return as_dtype(value.dtype)
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        return float32
    if arr.dtype.kind in "iu":
        if arr.size and (arr.max() > np.iinfo(np.int32).max or arr.min() < np.iinfo(np.int32).min):
            return int64
        return int32
    if arr.dtype.kind == "b":
        return bool_
    if arr.dtype.kind in "OSU":
        return string
    if arr.dtype.kind == "c":
        raise TypeError("Complex values are not supported")
    return as_dtype(arr.dtype)
