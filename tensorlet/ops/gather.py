"""Gathering and scattering: gather / gather_nd with their scatter-add adjoints (GatherGrad,
ScatterNd; dense gradients, second order included), scatter_nd, the variable scatter ops
(scatter_add / scatter_sub / scatter_update), top_k and unique. Out-of-range indices raise
InvalidArgumentError naming the index and the valid range."""
import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.graph import TensorLike
from tensorlet.framework.shapes import TensorShape

from .array import (
    _any,
    _int_tensor,
    canonical_axis,
    fold_small,
    shape,
    static_int,
    static_shape_from,
)
from .base import apply, as_tensor, declare

# Scatter-adds use np.add.at: in NumPy 2 it beat a sort + np.add.reduceat at every size measured
# (e.g. 2560 rows of 128 into 20000: 2.7 ms vs 3.7 ms).

# -- Index helpers -------------------------------------------------------------------------------


def _check_indices(idx, n):
    """Every index in [0, n), else InvalidArgumentError naming the first bad one."""
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        pos = tuple(np.argwhere((idx < 0) | (idx >= n))[0])
        where = f"indices[{','.join(map(str, pos))}]" if pos else "indices"
        raise InvalidArgumentError(f"{where} = {idx[pos]} is not in [0, {n})")


def _flat_rows(idx, shape, batch_dims, what):
    """Row numbers into `shape` viewed as [prod(shape[:b + K]), -1] for the index tuples in the
    last axis of `idx` (K entries each), with b leading batch dims shared by idx and shape."""
    k = idx.shape[-1]
    dims = np.array(shape[batch_dims:batch_dims + k], dtype=np.int64)
    if idx.shape[:batch_dims] != tuple(shape[:batch_dims]) or len(dims) != k:
        raise InvalidArgumentError(f"indices of shape {list(idx.shape)} (batch_dims "
                                   f"{batch_dims}) do not index into {what} shape {list(shape)}")
    flat = idx.reshape(-1, k).astype(np.int64, copy=False)
    bad = ((flat < 0) | (flat >= dims)).any(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        pos = ",".join(map(str, np.unravel_index(i, idx.shape[:-1]))) if idx.ndim > 1 else None
        where = "indices" if pos is None else f"indices[{pos}]"
        raise InvalidArgumentError(f"{where} = {flat[i].tolist()} does not index into "
                                   f"{what} shape {list(shape)}")
    rows = np.ravel_multi_index(flat.T, dims) if k else np.zeros(len(flat), np.int64)
    if batch_dims:
        nb = int(np.prod(shape[:batch_dims]))
        rows = rows + np.repeat(np.arange(nb) * int(np.prod(dims)), len(flat) // max(nb, 1))
    return rows


# -- gather and its adjoint ----------------------------------------------------------------------


def _gather_axes(attrs, params_ndim, indices_ndim):
    axis, bd = attrs["axis"], attrs["batch_dims"]
    return axis % params_ndim, bd + indices_ndim if bd < 0 else bd


def _gather_spec(inputs, attrs):
    p, i = inputs[0], inputs[1]
    if not i.dtype.is_integer:
        raise TypeError(f"indices must be int32 or int64, got {i.dtype.name}")
    pn, inn = p.shape.ndims, i.shape.ndims
    bd = attrs["batch_dims"]
    if inn is not None:
        if not -inn <= bd <= inn:
            raise ValueError(f"batch_dims {bd} is out of range for indices of rank {inn}")
        bd = attrs["batch_dims"] = bd + inn if bd < 0 else bd
    if pn is not None:
        attrs["axis"] = canonical_axis(attrs["axis"], pn)
    if pn is None or inn is None or bd < 0:
        return [(TensorShape(None), p.dtype)]
    axis = attrs["axis"]
    if bd > axis:
        raise ValueError(f"batch_dims ({bd}) must be <= axis ({axis})")
    pd, idd = p.shape.dims, i.shape.dims
    batch = []
    for j in range(bd):
        if pd[j] is not None and idd[j] is not None and pd[j] != idd[j]:
            raise ValueError(f"params shape {p.shape} and indices shape {i.shape} must agree on "
                             f"the first {bd} (batch) dimensions")
        batch.append(pd[j] if pd[j] is not None else idd[j])
    return [(tuple(batch) + pd[bd:axis] + idd[bd:] + pd[axis + 1:], p.dtype)]


def _gather_layout(shape, axis, bd):
    """(B, A, N, C): params viewed as [batch, before axis, axis, after axis]."""
    def prod(dims):
        return int(np.prod(dims, dtype=np.int64))
    return prod(shape[:bd]), prod(shape[bd:axis]), shape[axis], prod(shape[axis + 1:])


def _gather_kernel(attrs, params, indices):
    axis, bd = _gather_axes(attrs, params.ndim, indices.ndim)
    _check_indices(indices, params.shape[axis])
    if bd == 0:
        return np.take(params, indices, axis=axis, mode="clip")
    b, a, n, c = _gather_layout(params.shape, axis, bd)
    idx = indices.reshape(b, -1)
    r = params.reshape(b, a, n, c)[np.arange(b)[:, None], :, idx]  # (B, J, A, C)
    return r.transpose(0, 2, 1, 3).reshape(
        params.shape[:axis] + indices.shape[bd:] + params.shape[axis + 1:])


def _gather_grad_spec(inputs, attrs):
    return [(static_shape_from(inputs[2]), inputs[0].dtype)]


def _gather_grad_kernel(attrs, g, indices, params_shape):
    """Scatter-add g into zeros of the params' shape (UnsortedSegmentSum-like, dense)."""
    shp = tuple(int(d) for d in params_shape)
    axis, bd = _gather_axes(attrs, len(shp), indices.ndim)
    _check_indices(indices, shp[axis])
    b, a, n, c = _gather_layout(shp, axis, bd)
    idx = indices.reshape(b, -1)
    j = idx.shape[1]
    out = np.zeros((b, n, a, c), dtype=g.dtype)
    rows = (np.arange(b)[:, None] * n + idx).reshape(-1)
    vals = g.reshape(b, a, j, c).transpose(0, 2, 1, 3).reshape(b * j, a * c)
    np.add.at(out.reshape(b * n, a * c), rows, vals)
    return out.transpose(0, 2, 1, 3).reshape(shp)


def _gather_grad(op, g, needed):
    p, i = op.inputs
    return [apply("GatherGrad", [g[0], i, shape(p)], dict(op.attrs)), None]


def _gather_samples(grad=False):
    cases = [((5, 3), np.array([[0, 2], [4, 0]]), 0, 0),
             ((2, 4, 3), np.array([3, 1, 1]), 1, 0),
             ((2, 4, 3), np.array([2, 0]), -1, 0),
             ((2, 4, 3), np.array([[1, 0, 1], [3, 3, 2]]), 1, 1),
             ((2, 3, 4), np.array([[[1], [0], [3]], [[2], [2], [0]]]), 2, 2)]
    out = []
    for shp, idx, axis, bd in cases:
        attrs = {"axis": axis, "batch_dims": bd}
        x = _any(*shp)
        if grad:
            y = _gather_kernel(attrs, x, idx)
            out.append(([_any(*y.shape), idx, np.array(shp, np.int32)], attrs))
        else:
            out.append(([x, idx], attrs))
    return out


declare("GatherV2", _gather_spec, _gather_kernel, grad=_gather_grad,
        nondiff_inputs=(1,), fold=fold_small, samples=_gather_samples)
declare("GatherGrad", _gather_grad_spec, _gather_grad_kernel, nondiff_inputs=(1, 2),
        grad=lambda op, g, needed: [apply("GatherV2", [g[0], op.inputs[1]], dict(op.attrs)),
                                    None, None],
        samples=lambda: _gather_samples(grad=True))


def gather(params, indices, validate_indices=None, name=None, axis=None, batch_dims=0):
    """Slices of `params` along `axis` (default batch_dims) at `indices`; with batch_dims=b,
    the first b dimensions of params and indices are batch dimensions gathered in step."""
    params, indices = as_tensor(params), as_tensor(indices)
    bd = int(batch_dims)
    axis = bd if axis is None else axis
    return apply("GatherV2", [params, indices],
                 {"axis": static_int(axis, "axis"), "batch_dims": bd}, name=name)


# -- gather_nd / scatter_nd ----------------------------------------------------------------------


def _gather_nd_spec(inputs, attrs):
    p, i = inputs
    if not i.dtype.is_integer:
        raise TypeError(f"indices must be int32 or int64, got {i.dtype.name}")
    bd = attrs["batch_dims"]
    if p.shape.ndims is None or i.shape.ndims is None or i.shape.dims[-1] is None:
        return [(TensorShape(None), p.dtype)]
    if i.shape.ndims < 1 + bd:
        raise ValueError(f"indices of shape {i.shape} need rank >= {bd + 1} (batch_dims "
                         f"{bd} plus the index depth)")
    k = i.shape.dims[-1]
    if bd + k > p.shape.ndims:
        raise ValueError(f"index depth {k} (indices shape {i.shape}) is larger than the rank "
                         f"{p.shape.ndims - bd} of params {p.shape} (batch_dims {bd})")
    return [(i.shape.dims[:-1] + p.shape.dims[bd + k:], p.dtype)]


def _gather_nd_kernel(attrs, params, indices):
    bd = attrs["batch_dims"]
    rows = _flat_rows(indices, params.shape, bd, "param")
    lead = int(np.prod(params.shape[:bd + indices.shape[-1]], dtype=np.int64))
    flat = params.reshape(lead, -1)
    return flat[rows].reshape(indices.shape[:-1] + params.shape[bd + indices.shape[-1]:])


def _scatter_nd_spec(inputs, attrs):
    i, u, s = inputs
    if not i.dtype.is_integer or not s.dtype.is_integer:
        raise TypeError(f"indices and shape must be integers, got {i.dtype.name} and "
                        f"{s.dtype.name}")
    out = static_shape_from(s)
    bd = attrs["batch_dims"]
    if out.ndims is not None and i.shape.ndims is not None and i.shape.dims[-1] is not None \
            and u.shape.ndims is not None:
        k = i.shape.dims[-1]
        if bd + k > out.ndims:
            raise ValueError(f"index depth {k} is larger than the rank of shape {out}")
        want = TensorShape(i.shape.dims[:-1] + out.dims[bd + k:])
        if not want.is_compatible_with(u.shape):
            raise ValueError(f"updates must have shape indices.shape[:-1] + shape[{bd + k}:] = "
                             f"{want}, got {u.shape}")
    return [(out, u.dtype)]


def _scatter_nd_kernel(attrs, indices, updates, shp):
    shp = tuple(int(d) for d in shp)
    bd = attrs["batch_dims"]
    rows = _flat_rows(indices, shp, bd, "output")
    lead = int(np.prod(shp[:bd + indices.shape[-1]], dtype=np.int64))
    out = np.zeros(shp, dtype=updates.dtype)
    tail = out.size // max(lead, 1)
    if updates.size != rows.size * tail:
        raise InvalidArgumentError(f"updates of shape {list(updates.shape)} do not match "
                                   f"indices {list(indices.shape)} into shape {list(shp)}")
    np.add.at(out.reshape(lead, tail), rows, updates.reshape(rows.size, tail))
    return out


def _nd_samples(scatter=False):
    cases = [((4, 3), np.array([[0], [3], [0]]), 0), ((3, 4, 2), np.array([[2, 1], [0, 3]]), 0),
             ((2, 3, 2), np.array([[[1], [1]], [[0], [2]]]), 1)]
    out = []
    for shp, idx, bd in cases:
        if scatter:
            y = _gather_nd_kernel({"batch_dims": bd}, np.zeros(shp), idx)
            out.append(([idx, _any(*y.shape), np.array(shp, np.int32)], {"batch_dims": bd}))
        else:
            out.append(([_any(*shp), idx], {"batch_dims": bd}))
    return out


declare("GatherNd", _gather_nd_spec, _gather_nd_kernel, nondiff_inputs=(1,),
        grad=lambda op, g, needed: [apply("ScatterNd", [op.inputs[1], g[0], shape(op.inputs[0])],
                                          dict(op.attrs)), None],
        samples=_nd_samples)
declare("ScatterNd", _scatter_nd_spec, _scatter_nd_kernel, nondiff_inputs=(0, 2),
        grad=lambda op, g, needed: [None, apply("GatherNd", [g[0], op.inputs[0]],
                                                dict(op.attrs)), None],
        samples=lambda: _nd_samples(scatter=True))


def gather_nd(params, indices, name=None, batch_dims=0):
    """params at the index tuples in the last axis of `indices`: output shape
    indices.shape[:-1] + params.shape[batch_dims + depth:]."""
    return apply("GatherNd", [as_tensor(params), as_tensor(indices)],
                 {"batch_dims": int(batch_dims)}, name=name)


def scatter_nd(indices, updates, shape, name=None):
    """Zeros of `shape` with `updates` added at the index tuples of `indices` (duplicates sum)."""
    return apply("ScatterNd", [as_tensor(indices), as_tensor(updates),
                               _int_tensor(shape, "shape")], {"batch_dims": 0}, name=name)


# -- Variable scatter ops (stateful) -------------------------------------------------------------


def _var_scatter_spec(inputs, attrs):
    i, u = inputs
    vshape, dt = attrs["shape"], attrs["dtype"]
    if not i.dtype.is_integer:
        raise TypeError(f"indices must be int32 or int64, got {i.dtype.name}")
    if u.dtype is not dt:
        raise TypeError(f"updates must have the variable's dtype {dt.name}, got {u.dtype.name}")
    if vshape.ndims == 0:
        raise ValueError("cannot scatter into a scalar variable")
    want = i.shape.concatenate(vshape[1:])
    if u.shape.ndims != 0 and not want.is_compatible_with(u.shape):
        raise ValueError(f"updates must have shape indices.shape + variable.shape[1:] = {want} "
                         f"(or be a scalar), got {u.shape}")
    return [(vshape, dt)]


def _var_scatter(mode):
    def kernel(ctx, attrs, indices, updates):
        old = ctx.read(attrs["var_name"])
        _check_indices(indices, old.shape[0])
        new = old.copy()
        rows = indices.reshape(-1)
        flat = new.reshape(old.shape[0], -1)
        try:
            vals = np.broadcast_to(updates, indices.shape + old.shape[1:]).reshape(rows.size, -1)
        except ValueError:
            raise InvalidArgumentError(f"updates of shape {list(updates.shape)} do not match "
                                       f"indices {list(indices.shape)} into a variable of "
                                       f"shape {list(old.shape)}") from None
        if mode == "update":
            flat[rows] = vals
        else:
            np.add.at(flat, rows, -vals if mode == "sub" else vals)
        ctx.vars[attrs["var_name"]] = new
        return new
    return kernel


for _type, _how in (("ScatterAdd", "add"), ("ScatterSub", "sub"), ("ScatterUpdate", "update")):
    declare(_type, _var_scatter_spec, _var_scatter(_how), stateful=True, writes_variables=True)


def _var_scatter_op(op_type, ref, indices, updates, name):
    from .state import Variable
    if not isinstance(ref, Variable):
        raise TypeError(f"{op_type}: ref must be a tf.Variable, got {type(ref).__name__}")
    updates = as_tensor(updates, ref.dtype) if not isinstance(updates, TensorLike) \
        else as_tensor(updates)
    return apply(op_type, [as_tensor(indices), updates],
                 {"var_name": ref.op.name, "shape": ref.shape, "dtype": ref.dtype}, name=name)


def scatter_add(ref, indices, updates, use_locking=False, name=None):
    """ref[indices] += updates (duplicate indices accumulate); returns the new value."""
    return _var_scatter_op("ScatterAdd", ref, indices, updates, name)


def scatter_sub(ref, indices, updates, use_locking=False, name=None):
    """ref[indices] -= updates (duplicate indices accumulate); returns the new value."""
    return _var_scatter_op("ScatterSub", ref, indices, updates, name)


def scatter_update(ref, indices, updates, use_locking=True, name=None):
    """ref[indices] = updates; returns the new value."""
    return _var_scatter_op("ScatterUpdate", ref, indices, updates, name)


# -- top_k, unique -------------------------------------------------------------------------------


def _top_k_spec(inputs, attrs):
    x, k = inputs
    if not x.dtype.is_numeric:
        raise TypeError(f"top_k expects a real-valued input, got {x.dtype.name}")
    if x.shape.ndims == 0:
        raise ValueError("top_k needs an input of rank >= 1")
    if not k.dtype.is_integer or k.shape.ndims not in (None, 0):
        raise TypeError(f"k must be a scalar integer, got {k.dtype.name} of shape {k.shape}")
    kv = k.constant_value()
    n = x.shape.dims[-1] if x.shape.ndims else None
    if kv is not None and (kv < 0 or (n is not None and kv > n)):
        raise ValueError(f"k must be in [0, {n}] (the last dimension of {x.shape}), got {kv}")
    if x.shape.ndims is None:
        return [(TensorShape(None), x.dtype), (TensorShape(None), _dt.int32)]
    dims = x.shape.dims[:-1] + (None if kv is None else int(kv),)
    return [(dims, x.dtype), (dims, _dt.int32)]


def _top_k_kernel(attrs, x, k):
    n, k = x.shape[-1], int(k)
    if not 0 <= k <= n:
        raise InvalidArgumentError(f"input must have at least k={k} columns, got shape "
                                   f"{list(x.shape)}")
    if 0 < 4 * k < n and not (x.dtype.kind == "f" and np.isnan(x).any()):
        x = np.ascontiguousarray(x)  # few of many: select in O(n), sort only the k chosen
        kth = np.partition(x, n - k, axis=-1)[..., n - k:n - k + 1]
        above, tie = x > kth, x == kth
        need = k - above.sum(axis=-1, keepdims=True)
        chosen = above | (tie & (np.cumsum(tie, axis=-1) <= need))  # ties: lowest index
        cols = (np.flatnonzero(chosen) % n).reshape(x.shape[:-1] + (k,))
    else:
        cols = np.broadcast_to(np.arange(n), x.shape)
    vals = np.take_along_axis(x, cols, axis=-1)
    # Descending order, ties by ascending index: a stable ascending sort of the reversed rows.
    m = cols.shape[-1]
    order = (m - 1) - np.argsort(vals[..., ::-1], axis=-1, kind="stable")[..., ::-1]
    idx = np.take_along_axis(cols, order[..., :k], axis=-1).astype(np.int32)
    return np.take_along_axis(x, idx, axis=-1), idx


def _top_k_grad(op, g, needed):
    x, idx = op.inputs[0], op.outputs[1]
    attrs = {"axis": -1, "batch_dims": -1}
    return [apply("GatherGrad", [g[0], idx, shape(x)], attrs), None]


declare("TopKV2", _top_k_spec, _top_k_kernel, grad=_top_k_grad, nondiff_inputs=(1,),
        samples=lambda: [([_any(5), np.array(3, np.int32)], {"sorted": True}),
                         ([_any(2, 3, 4), np.array(2, np.int32)], {"sorted": True})])


def top_k(input, k=1, sorted=True, name=None):
    """The k largest entries of the last dimension and their int32 indices, largest first
    (ties: the lower index first)."""
    k = as_tensor(k) if isinstance(k, TensorLike) else as_tensor(k, _dt.int32)
    return apply("TopKV2", [as_tensor(input), k], {"sorted": bool(sorted)}, name=name)


def _unique_spec(inputs, attrs):
    x = inputs[0]
    if x.shape.ndims not in (None, 1):
        raise ValueError(f"unique expects a 1-D tensor, got shape {x.shape}")
    return [((None,), x.dtype), (x.shape, attrs["out_idx"])]


def _unique_kernel(attrs, x):
    if x.ndim != 1:
        raise InvalidArgumentError(f"unique expects a 1-D tensor, got shape {list(x.shape)}")
    u, first, inv = np.unique(x, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # values in order of first occurrence, as TF
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return u[order], rank[inv.reshape(-1)].astype(attrs["out_idx"].np)


declare("Unique", _unique_spec, _unique_kernel)


def unique(x, out_idx=_dt.int32, name=None):
    """The distinct values y of a 1-D tensor in order of first occurrence, and idx with
    x == y[idx]."""
    return apply("Unique", [as_tensor(x)], {"out_idx": _dt.as_dtype(out_idx)}, name=name)


__all__ = ["gather", "gather_nd", "scatter_add", "scatter_nd", "scatter_sub", "scatter_update",
           "top_k", "unique"]
