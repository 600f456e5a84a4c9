"""EagerTensor: a Tensor that holds its value (what ops return in eager mode).

It is a `Tensor` (so code that checks for tensors accepts it and `convert_to_tensor` passes it
through) whose `constant_value()` is always known, so shape inference sees concrete shapes and
values. Python operators come from the same `TensorLike` mixin as graph tensors (they run the
registered ops). The value is never mutated: kernels do not write their inputs and eager
variables copy-on-write (tensorlet.eager.execute).
"""
import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.graph import OPERATORS, Tensor, TensorLike, get_default_graph
from tensorlet.framework.shapes import TensorShape

from .context import EAGER_GRAPH, shares_eager_state


class _OpInfo:
    """What `t.op` shows for an eager tensor: the type of the op that produced it (gradient
    rules test e.g. `g.op.type == "ZerosLike"`); eager tensors keep no graph."""

    __slots__ = ("type",)
    inputs = outputs = ()
    _id = -1

    def __init__(self, op_type):
        self.type = op_type

    @property
    def name(self):
        return self.type

    def __repr__(self):
        return f"<eager op {self.type}>"


_OP_INFOS = {}


class EagerTensor(Tensor):
    """A concrete tensor: `.numpy()`, NumPy interoperability, printing of its value."""

    __slots__ = ("_value", "_op_type")
    _eager = True

    def __init__(self, value, dtype=None, index=0, op_type="Const"):
        value = np.asarray(value)
        self._value = value
        self.dtype = _dt.as_dtype(value.dtype) if dtype is None else dtype
        self.value_index = index
        self._shape = None
        self._op_type = op_type

    # -- Tensor interface ---------------------------------------------------------------------
    @property
    def op(self):
        info = _OP_INFOS.get(self._op_type)
        if info is None:
            info = _OP_INFOS[self._op_type] = _OpInfo(self._op_type)
        return info

    @property
    def shape(self):
        s = self._shape
        if s is None:  # a concrete shape: a tuple of ints already
            s = self._shape = TensorShape.__new__(TensorShape)
            s.dims = self._value.shape
        return s

    def get_shape(self):
        return self.shape

    def set_shape(self, shape):
        if not self.shape.is_compatible_with(shape):
            raise ValueError(f"Tensor's shape {self.shape} is not compatible with supplied "
                             f"shape {TensorShape(shape)}")

    @property
    def ndim(self):
        return self._value.ndim

    @property
    def name(self):
        raise AttributeError("Tensor.name is undefined when eager execution is enabled.")

    @property
    def graph(self):
        return EAGER_GRAPH

    @property
    def device(self):
        return "/job:localhost/replica:0/task:0/device:CPU:0"

    def constant_value(self):
        return self._value

    def consumers(self):
        raise AttributeError("Tensor.consumers is undefined when eager execution is enabled.")

    def eval(self, feed_dict=None, session=None):
        raise NotImplementedError("eval is not supported when eager execution is enabled, is "
                                  ".numpy() what you're looking for?")

    # -- values -------------------------------------------------------------------------------
    def numpy(self):
        """The value as a NumPy array (a copy), or a NumPy scalar for a 0-d tensor."""
        v = self._value
        return v[()] if v.ndim == 0 else v.copy()

    def __array__(self, dtype=None, copy=None):
        v = self._value
        if dtype is not None and v.dtype != dtype:
            return v.astype(dtype)
        if copy:
            return v.copy()
        view = v.view()
        view.flags.writeable = False
        return view

    def _scalar(self, what):
        if self._value.size != 1:
            raise TypeError(f"only a tensor with one element can be converted to a Python "
                            f"{what}, got shape {self.shape}")
        return self._value.reshape(())[()]

    def __bool__(self):
        if self._value.size != 1:
            raise ValueError(f"The truth value of a tensor of shape {self.shape} is ambiguous "
                             "(use tf.reduce_any or tf.reduce_all).")
        return bool(self._value.reshape(()))

    def __float__(self):
        return float(self._scalar("float"))

    def __int__(self):
        return int(self._scalar("int"))

    def __index__(self):
        if not (self.dtype.is_integer and self._value.ndim == 0):
            raise TypeError(f"only an integer scalar tensor can be used as an index, got "
                            f"{self.dtype.name} of shape {self.shape}")
        return int(self._value)

    def __complex__(self):
        return complex(self._scalar("complex"))

    def __len__(self):
        if self._value.ndim == 0:
            raise TypeError("Scalar tensor has no `len()`")
        return self._value.shape[0]

    def __iter__(self):
        if self._value.ndim == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        if shares_eager_state(get_default_graph()):
            return super().__iter__()
        with EAGER_GRAPH.as_default():  # rows as values, not graph ops (see _computing_now)
            return iter(list(super().__iter__()))

    def __format__(self, spec):
        if self._value.ndim == 0:
            return format(self.numpy(), spec)
        return format(str(self), spec)

    def __reduce__(self):
        return EagerTensor, (self._value, self.dtype)

    def __copy__(self):
        return self  # immutable

    def __deepcopy__(self, memo):
        return self

    def __repr__(self):
        v = self._value
        shown = str(v[()]) if v.ndim == 0 else repr(v)
        return (f"<tf.Tensor: shape={tuple(v.shape)}, dtype={self.dtype.name}, "
                f"numpy={shown}>")

    def __str__(self):
        v = self._value
        text = str(v[()] if v.ndim == 0 else v)
        if "\n" in text:
            text = "\n" + text
        return f"tf.Tensor({text}, shape={tuple(v.shape)}, dtype={self.dtype.name})"


def holds_graph_tensor(x):
    """Whether x (a tensor, or a tuple/list/dict/slice of them) holds a graph tensor."""
    if isinstance(x, (tuple, list)):
        return any(holds_graph_tensor(v) for v in x)
    if isinstance(x, dict):
        return any(holds_graph_tensor(v) for v in x.values())
    if isinstance(x, slice):
        return holds_graph_tensor((x.start, x.stop, x.step))
    return isinstance(x, TensorLike) and not x._eager


def value_at_top(x):
    """x, or the value a variable stands for at the top of a program (Keras's variables)."""
    value = getattr(x, "_concrete_here", None)
    value = value() if value is not None else None
    return x if value is None else value


def _computing_now(base):
    """An operator of TensorLike that computes at once when no graph tensor takes part, even
    while a plain graph is the default (`ops.ones(3) + 1` at the top of a Keras program). In
    eager mode it is eager anyway; while a function is traced (a graph holding eager
    variables) it builds graph ops, so variables are read when the function runs."""
    def operator(self, *other):
        if shares_eager_state(get_default_graph()):
            return base(self, *other)
        other = tuple(value_at_top(o) for o in other)
        if holds_graph_tensor(other):
            return base(self, *other)
        with EAGER_GRAPH.as_default():
            return base(self, *other)
    operator.__name__ = base.__name__
    return operator


for _name in OPERATORS:
    setattr(EagerTensor, _name, _computing_now(getattr(TensorLike, _name)))


def make(value, dtype, index, op_type):
    """An EagerTensor of a kernel's output (already an array of `dtype`): the hot path."""
    t = EagerTensor.__new__(EagerTensor)
    t._value = value
    t.dtype = dtype
    t.value_index = index
    t._shape = None
    t._op_type = op_type
    return t
