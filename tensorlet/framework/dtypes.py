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
    def is_complex(self):
        return False

    @property
    def is_quantized(self):
        return False

    @property
    def real_dtype(self):
        return self

    @property
    def min(self):
        if not self.is_numeric:
            raise TypeError(f"Cannot find minimum value of {self.name}.")
        return np.finfo(self.np).min if self.is_floating else np.iinfo(self.np).min

    @property
    def max(self):
        if not self.is_numeric:
            raise TypeError(f"Cannot find maximum value of {self.name}.")
        return np.finfo(self.np).max if self.is_floating else np.iinfo(self.np).max

    @property
    def limits(self):
        """(min, max) of the type (TF's `limits(clip_negative=False)`)."""
        return self.min, self.max

    def is_compatible_with(self, other):
        return self == other

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


# Promotion lattice (rule 7), as JAX's: bool < ints < floats; int + float -> that float; a
# signed and an unsigned int join at the smallest signed int holding both (uint64 + int64 ->
# int64, where JAX leaves the ints).
_SIGNED = {1: int8, 2: int16, 4: int32, 8: int64}


def promote(a, b):
    """The common dtype of two tensor dtypes: the least one on the lattice above both."""
    a, b = as_dtype(a), as_dtype(b)
    if a is b:
        return a
    if a is string or b is string:
        raise TypeError(f"Cannot combine dtypes {a.name} and {b.name}")
    if a.is_bool or b.is_bool:
        return b if a.is_bool else a
    if a.is_floating or b.is_floating:
        if a.is_floating and b.is_floating:
            return a if a.size >= b.size else b
        return a if a.is_floating else b
    if a.is_unsigned == b.is_unsigned:
        return a if a.size >= b.size else b
    u, i = (a, b) if a.is_unsigned else (b, a)
    return i if i.size > u.size else _SIGNED[min(2 * u.size, 8)]


def check_fits(arr, dtype, what):
    """Raise TypeError when integer/float values in `arr` cannot be held by integer `dtype`
    (a cast would wrap them silently); `what` names the value in the message."""
    if not dtype.is_integer or arr.dtype.kind not in "iuf" or not arr.size:
        return
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise TypeError(f"{what}: non-finite values cannot be converted to {dtype.name}")
    lo, hi = np.iinfo(dtype.np).min, np.iinfo(dtype.np).max
    if arr.dtype.kind in "iu" and np.can_cast(arr.dtype, dtype.np):
        return
    amin, amax = arr.min(), arr.max()
    if amin < lo or amax > hi:
        bad = amin if amin < lo else amax
        raise TypeError(f"{what}: value {bad} is out of range for {dtype.name} "
                        f"[{lo}, {hi}]")


def default_dtype_for_python(value):
    """TF's dtype for a Python / NumPy value: floats float32, ints int32, NumPy dtypes kept."""
    if isinstance(value, np.ndarray | np.generic):
        return as_dtype(value.dtype)
    if value is None:
        raise ValueError("None values not supported (a tensor cannot hold None).")
    try:
        arr = np.asarray(value)
    except OverflowError:
        arr = np.asarray(value, dtype=object)
    if arr.dtype.kind == "f":
        return float32
    if arr.dtype.kind in "iu":
        if arr.size and (arr.max() > np.iinfo(np.int32).max or arr.min() < np.iinfo(np.int32).min):
            return int64
        return int32
    if arr.dtype.kind == "b":
        return bool_
    if arr.dtype.kind == "O" and _holds_int(value):
        raise ValueError(f"Python integer {value!r:.60} is out of range for int64")
    if arr.dtype.kind in "OSU":
        return string
    if arr.dtype.kind == "c":
        raise TypeError("Complex values are not supported")
    return as_dtype(arr.dtype)


def _holds_int(value):
    if isinstance(value, (list, tuple)):
        return any(_holds_int(v) for v in value)
    return isinstance(value, int) and not isinstance(value, bool)
