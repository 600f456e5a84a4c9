"""Filled tensors: zeros, ones, fill, zeros_like, ones_like (TF 1.x names and dtypes); small
static zeros/ones are constants, bigger or run-time shapes Fill ops. Re-exported by array.py."""
import math

import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.graph import holds_tensor
from tensorlet.framework.shapes import TensorShape, as_shape

from .array import _int_tensor, constant
from .base import apply, as_tensor, declare


def _like_spec(inputs, attrs):
    return [(inputs[0].shape, attrs["dtype"] or inputs[0].dtype)]


def _fill_like(value):
    def kernel(attrs, x):
        dt = attrs["dtype"].np if attrs["dtype"] is not None else x.dtype
        return np.full(x.shape, value, dtype=dt)
    return kernel


declare("ZerosLike", _like_spec, _fill_like(0))
declare("OnesLike", _like_spec, _fill_like(1))


def zeros_like(input, dtype=None, name=None):
    """Zeros with the (run-time) shape of `input`."""
    return apply("ZerosLike", [input], {"dtype": _dt.as_dtype(dtype) if dtype else None},
                 name=name)


def ones_like(input, dtype=None, name=None):
    """Ones with the (run-time) shape of `input`."""
    return apply("OnesLike", [input], {"dtype": _dt.as_dtype(dtype) if dtype else None},
                 name=name)


def _fill_spec(inputs, attrs):
    dims, value = inputs
    d = dims.constant_value()
    if value.shape.ndims not in (None, 0):
        raise ValueError(f"value must be a scalar, got shape {value.shape}")
    if d is None:
        n = dims.shape[0] if dims.shape.ndims == 1 else None
        return [(TensorShape(None if n is None else [None] * n), value.dtype)]
    return [(TensorShape([int(v) for v in np.asarray(d).reshape(-1)]), value.dtype)]


def _fill_kernel(attrs, dims, value):
    return np.full(tuple(int(d) for d in dims), value, dtype=value.dtype)


def _fill_grad(op, g, needed):
    from .reduction import reduce_sum
    return [None, reduce_sum(g[0])]


declare("Fill", _fill_spec, _fill_kernel, grad=_fill_grad, nondiff_inputs=(0,),
        samples=lambda: [([np.array([2, 3], np.int32), np.array(1.5)], {})])


def _shape_tensor(shape):
    if hasattr(shape, "dtype") and not isinstance(shape, np.ndarray) or holds_tensor(shape):
        return _int_tensor(shape, "shape")
    dims = as_shape(shape).as_list()
    if any(d is None for d in dims):
        raise ValueError(f"shape must be fully defined, got {dims}")
    return _int_tensor(np.asarray(dims, dtype=np.int64).reshape(-1), "shape")


def fill(dims, value, name=None):
    """A tensor of shape `dims` filled with the scalar `value`."""
    return apply("Fill", [_shape_tensor(dims), as_tensor(value)], name=name)


def _small_static_dims(shape):
    """The dims of a static `shape` with under 1,000 elements, else None: as in TF, zeros/ones
    of such shapes are constants, bigger ones Fill ops (nothing big is allocated at build)."""
    if hasattr(shape, "dtype") and not isinstance(shape, np.ndarray) or holds_tensor(shape):
        return None
    dims = as_shape(shape).as_list()
    if any(d is None for d in dims) or math.prod(d for d in dims if d) >= 1000:
        return None
    return dims


def _filled(shape, dtype, value, name, default_name):
    dt = _dt.as_dtype(dtype)
    dims = _small_static_dims(shape)
    if dims is not None:
        return constant(np.full(dims, value, dt.np), name=name or default_name)
    return fill(shape, constant(value, dtype=dt), name=name)


def zeros(shape, dtype=_dt.float32, name=None):
    """A tensor of `shape` filled with zeros."""
    return _filled(shape, dtype, 0, name, "zeros")


def ones(shape, dtype=_dt.float32, name=None):
    """A tensor of `shape` filled with ones."""
    return _filled(shape, dtype, 1, name, "ones")
