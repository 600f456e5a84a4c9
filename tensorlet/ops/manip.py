"""Rearranging: transpose, reverse, broadcast_to, joining and splitting (concat, stack, unstack,
split), tiling and padding, with adjoint ops (TileGrad, PadGrad) so that second derivatives
work."""
import functools

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
    identity,
    shape,
    static_int,
    static_ints,
    static_shape_from,
    sum_to,
)
from .base import apply, as_tensor, binary_operands, declare

# -- Transpose, reverse, broadcast_to -----------------------------------------------------------


def _transpose_spec(inputs, attrs):
    x = inputs[0]
    nd, perm = x.shape.ndims, attrs["perm"]
    if perm is None:
        return [(TensorShape(None) if nd is None else x.shape.dims[::-1], x.dtype)]
    if sorted(perm) != list(range(len(perm))) or (nd is not None and len(perm) != nd):
        raise ValueError(f"perm must be a permutation of [0, {nd if nd is not None else 'n'})"
                         f" for a tensor of rank {nd}, got {list(perm)}")
    if nd is None:
        return [([None] * len(perm), x.dtype)]
    return [([x.shape.dims[p] for p in perm], x.dtype)]


def _transpose_grad(op, g, needed):
    perm = op.attrs["perm"]
    return [transpose(g[0], None if perm is None else tuple(np.argsort(perm)))]


declare("Transpose", _transpose_spec, lambda attrs, x: np.transpose(x, attrs["perm"]),
        grad=_transpose_grad, fold=fold_small,
        samples=lambda: [([_any(2, 3)], {"perm": None}), ([_any(2, 3, 4)], {"perm": (1, 2, 0)}),
                         ([_any(2, 3, 4)], {"perm": (0, 2, 1)})])


def transpose(a, perm=None, name="transpose", conjugate=False):
    """`a` with its dimensions permuted by `perm` (default: reversed)."""
    if perm is not None:
        perm = tuple(static_ints(perm, "perm"))
    return apply("Transpose", [as_tensor(a)], {"perm": perm}, name=name)


def _reverse_spec(inputs, attrs):
    x = inputs[0]
    axes = [canonical_axis(a, x.shape.ndims) for a in attrs["axis"]]
    if x.shape.ndims is not None and len(set(axes)) != len(axes):
        raise ValueError(f"axis {list(attrs['axis'])} names a dimension twice")
    attrs["axis"] = tuple(axes)
    return [(x.shape, x.dtype)]


declare("ReverseV2", _reverse_spec, lambda attrs, x: np.flip(x, attrs["axis"]),
        grad=lambda op, g, needed: [reverse(g[0], op.attrs["axis"])],
        samples=lambda: [([_any(3, 4)], {"axis": (0,)}), ([_any(2, 3, 4)], {"axis": (0, 2)})])


def reverse(tensor, axis, name=None):
    """`tensor` with the dimensions in `axis` reversed."""
    return apply("ReverseV2", [as_tensor(tensor)], {"axis": tuple(static_ints(axis, "axis"))},
                 name=name)


reverse_v2 = reverse


def _broadcast_to_spec(inputs, attrs):
    x, s = inputs
    target = static_shape_from(s)
    if x.shape.ndims is None or target.ndims is None:
        return [(target, x.dtype)]
    if x.shape.ndims > target.ndims:
        raise ValueError(f"cannot broadcast a tensor of shape {x.shape} to the lower-rank "
                         f"shape {target}")
    dims = list(target.dims)
    for i, d in enumerate(x.shape.dims):
        j = i + target.ndims - x.shape.ndims
        if d is not None and d != 1:
            if dims[j] is not None and dims[j] != d:
                raise ValueError(f"cannot broadcast a tensor of shape {x.shape} to shape "
                                 f"{target}")
            dims[j] = d
    return [(dims, x.dtype)]


def _broadcast_to_kernel(attrs, x, s):
    try:
        return np.broadcast_to(x, tuple(int(d) for d in s))
    except ValueError:
        raise InvalidArgumentError(f"cannot broadcast a tensor of shape {list(x.shape)} to "
                                   f"shape {list(map(int, s))}") from None


declare("BroadcastTo", _broadcast_to_spec, _broadcast_to_kernel,
        grad=lambda op, g, needed: [sum_to(g[0], op.inputs[0]), None], nondiff_inputs=(1,),
        samples=lambda: [([_any(3, 1), np.array([2, 3, 4], np.int32)], {}),
                         ([_any(4), np.array([3, 4], np.int32)], {})])


def broadcast_to(input, shape, name=None):
    """`input` broadcast (NumPy rules) to `shape`."""
    return apply("BroadcastTo", [as_tensor(input), _int_tensor(shape, "shape")], name=name)


# -- Joining: concat, stack; splitting: unstack, split --------------------------------------------


def _same_dtype(values, what):
    """Tensors of one dtype, promoted along the lattice (DESIGN.md rule 7); Python values are
    weak (they take the tensors' dtype, a float value making it float32 at least)."""
    from .math import cast
    if not values:
        raise ValueError(f"{what} needs at least one tensor")
    ts = [as_tensor(v) if isinstance(v, TensorLike) else v for v in values]
    strong = [t.dtype for t in ts if isinstance(t, TensorLike)]
    weak = [_dt.default_dtype_for_python(t) for t in ts if not isinstance(t, TensorLike)]
    target = functools.reduce(_dt.promote, strong or weak)
    if strong and any(d.is_floating for d in weak) and not target.is_floating:
        target = _dt.float32
    return [(t if t.dtype is target else cast(t, target)) if isinstance(t, TensorLike)
            else as_tensor(t, target) for t in ts]


def _concat_spec(inputs, attrs):
    if not inputs:
        raise ValueError("concat needs at least one tensor")
    ranks = {t.shape.ndims for t in inputs if t.shape.ndims is not None}
    if len(ranks) > 1:
        raise ValueError(f"all inputs must have the same rank, got shapes "
                         f"{[str(t.shape) for t in inputs]}")
    if any(t.dtype is not inputs[0].dtype for t in inputs):
        raise TypeError(f"all inputs must have one dtype, got {[t.dtype.name for t in inputs]}")
    if not ranks:
        return [(TensorShape(None), inputs[0].dtype)]
    nd = ranks.pop()
    if nd == 0:
        raise ValueError("cannot concatenate scalars (use tf.stack)")
    axis = attrs["axis"] = canonical_axis(attrs["axis"], nd)
    dims = [None] * nd
    total = 0
    for t in inputs:
        if t.shape.ndims is None:
            total = None
            continue
        for i, d in enumerate(t.shape.dims):
            if i == axis:
                total = None if total is None or d is None else total + d
            elif d is not None:
                if dims[i] is not None and dims[i] != d:
                    raise ValueError(
                        f"dimension {i} of the inputs must be equal (all but axis {axis} must "
                        f"match), got shapes {[str(t.shape) for t in inputs]}")
                dims[i] = d
    dims[axis] = total
    return [(dims, inputs[0].dtype)]


def _concat_kernel(attrs, *xs):
    try:
        return np.concatenate(xs, axis=attrs["axis"])
    except ValueError:
        raise InvalidArgumentError(
            f"ConcatV2: all inputs must have the same shape except along axis {attrs['axis']}, "
            f"got shapes {[list(x.shape) for x in xs]}") from None


def _dim_sizes(tensors, axis):
    """The sizes of `tensors` along `axis`: a list of ints when static, else an int tensor."""
    dims = [t.shape.dims[axis] if t.shape.ndims else None for t in tensors]
    if all(d is not None for d in dims):
        return dims
    from .indexing import gather
    return stack([d if d is not None else gather(shape(t), axis)
                  for d, t in zip(dims, tensors)])


def _concat_grad(op, g, needed):
    if len(op.inputs) == 1:
        return [g[0]]
    return list(split(g[0], _dim_sizes(op.inputs, op.attrs["axis"]), op.attrs["axis"],
                      num=len(op.inputs)))


declare("ConcatV2", _concat_spec, _concat_kernel, grad=_concat_grad, fold=fold_small,
        samples=lambda: [([_any(2, 3), _any(4, 3)], {"axis": 0}),
                         ([_any(2, 3), _any(2, 1), _any(2, 2)], {"axis": 1}),
                         ([_any(2, 3, 2), _any(2, 3, 3)], {"axis": -1})])


def concat(values, axis, name="concat"):
    """Join tensors along an existing dimension `axis`."""
    if isinstance(values, TensorLike) or not isinstance(values, (list, tuple)):
        raise TypeError(f"concat expects a list of tensors, got {type(values).__name__}")
    values = _same_dtype(values, "concat")
    if len(values) == 1:
        _concat_spec(values, {"axis": static_int(axis, "axis")})
        return identity(values[0], name=name)
    return apply("ConcatV2", values, {"axis": static_int(axis, "axis")}, name=name)


def _pack_spec(inputs, attrs):
    if not inputs:
        raise ValueError("stack needs at least one tensor")
    if any(t.dtype is not inputs[0].dtype for t in inputs):
        raise TypeError(f"all inputs must have one dtype, got {[t.dtype.name for t in inputs]}")
    s = TensorShape(None)
    for t in inputs:
        if not s.is_compatible_with(t.shape):
            raise ValueError(f"all inputs must have the same shape, got shapes "
                             f"{[str(t.shape) for t in inputs]}")
        s = s.merge_with(t.shape)
    attrs["axis"] = canonical_axis(attrs["axis"], s.ndims, extra=1)
    if s.ndims is None:
        return [(TensorShape(None), inputs[0].dtype)]
    dims = list(s.dims)
    dims.insert(attrs["axis"], len(inputs))
    return [(dims, inputs[0].dtype)]


def _pack_kernel(attrs, *xs):
    try:
        return np.stack(xs, axis=attrs["axis"])
    except ValueError:
        raise InvalidArgumentError(f"Pack: all inputs must have the same shape, got shapes "
                                   f"{[list(x.shape) for x in xs]}") from None


declare("Pack", _pack_spec, _pack_kernel, fold=fold_small,
        grad=lambda op, g, needed: list(unstack(g[0], len(op.inputs), op.attrs["axis"])),
        samples=lambda: [([_any(2, 3), _any(2, 3)], {"axis": 0}),
                         ([_any(2, 3), _any(2, 3), _any(2, 3)], {"axis": 2}),
                         ([_any(3), _any(3)], {"axis": -1})])


def stack(values, axis=0, name="stack"):
    """Join tensors of one shape along a new dimension `axis`."""
    if isinstance(values, TensorLike) or not isinstance(values, (list, tuple)):
        raise TypeError(f"stack expects a list of tensors, got {type(values).__name__}")
    return apply("Pack", _same_dtype(values, "stack"), {"axis": static_int(axis, "axis")},
                 name=name)


def _unpack_spec(inputs, attrs):
    x = inputs[0]
    num, nd = attrs["num"], x.shape.ndims
    if nd == 0:
        raise ValueError("cannot unstack a scalar")
    attrs["axis"] = axis = canonical_axis(attrs["axis"], nd)
    if nd is None:
        return [(TensorShape(None), x.dtype)] * num
    if x.shape.dims[axis] is not None and x.shape.dims[axis] != num:
        raise ValueError(f"cannot unstack {num} tensors from dimension {axis} of size "
                         f"{x.shape.dims[axis]} (shape {x.shape})")
    dims = [d for i, d in enumerate(x.shape.dims) if i != axis]
    return [(dims, x.dtype)] * num


def _unpack_kernel(attrs, x):
    if x.shape[attrs["axis"]] != attrs["num"]:
        raise InvalidArgumentError(f"Unpack: expected {attrs['num']} slices along axis "
                                   f"{attrs['axis']}, got shape {list(x.shape)}")
    return _outputs(tuple(np.moveaxis(x, attrs["axis"], 0)))


declare("Unpack", _unpack_spec, _unpack_kernel,
        grad=lambda op, g, needed: [stack(list(g), op.attrs["axis"])],
        samples=lambda: [([_any(3, 2)], {"num": 3, "axis": 0}),
                         ([_any(2, 3, 4)], {"num": 4, "axis": -1})])


def unstack(value, num=None, axis=0, name="unstack"):
    """The slices of `value` along `axis`, as a list of `num` tensors."""
    value = as_tensor(value)
    axis = static_int(axis, "axis")
    if num is None:
        nd = value.shape.ndims
        d = value.shape.dims[canonical_axis(axis, nd)] if nd else None
        if d is None:
            raise ValueError(f"cannot infer num from shape {value.shape}; pass num=")
        num = d
    out = apply("Unpack", [value], {"num": static_int(num, "num"), "axis": axis}, name=name)
    return list(out) if isinstance(out, tuple) else [out]


def _split_sizes(dim, sizes):
    """Resolve a -1 in `sizes` against `dim` (None when unknown); ValueError for a mismatch."""
    if sum(1 for s in sizes if s == -1) > 1 or any(s < -1 for s in sizes):
        raise ValueError(f"size_splits may hold one -1 and no other negative value, got {sizes}")
    known = sum(s for s in sizes if s != -1)
    if dim is None:
        return [None if s == -1 else s for s in sizes]
    if (-1 in sizes and known > dim) or (-1 not in sizes and known != dim):
        raise ValueError(f"size_splits {sizes} do not add up to the dimension size {dim}")
    return [dim - known if s == -1 else s for s in sizes]


def _split_spec(inputs, attrs):
    x = inputs[0]
    n, nd = attrs["num_split"], x.shape.ndims
    if nd == 0:
        raise ValueError("cannot split a scalar")
    attrs["axis"] = axis = canonical_axis(attrs["axis"], nd)
    if len(inputs) == 2:  # SplitV
        sizes = inputs[1].constant_value()
        if inputs[1].shape.ndims != 1 or inputs[1].shape.dims[0] not in (None, n):
            raise ValueError(f"size_splits must be a 1-D tensor of {n} sizes, got shape "
                             f"{inputs[1].shape}")
        dim = x.shape.dims[axis] if nd is not None else None
        out = [None] * n if sizes is None else _split_sizes(dim, [int(s) for s in sizes])
    else:
        dim = x.shape.dims[axis] if nd is not None else None
        if dim is not None and dim % n:
            raise ValueError(f"cannot split dimension {axis} of size {dim} into {n} equal "
                             f"parts (shape {x.shape})")
        out = [None if dim is None else dim // n] * n
    if nd is None:
        return [(TensorShape(None), x.dtype)] * n
    return [(x.shape.dims[:axis] + (d,) + x.shape.dims[axis + 1:], x.dtype) for d in out]


def _split_kernel(attrs, x):
    n, axis = attrs["num_split"], attrs["axis"]
    if x.shape[axis] % n:
        raise InvalidArgumentError(f"Split: dimension {axis} of size {x.shape[axis]} is not "
                                   f"divisible by {n} (shape {list(x.shape)})")
    return _outputs(tuple(np.split(x, n, axis)))


def _splitv_kernel(attrs, x, sizes):
    axis = attrs["axis"]
    try:
        sizes = _split_sizes(x.shape[axis], [int(s) for s in sizes])
    except ValueError as e:
        raise InvalidArgumentError(f"SplitV: {e} (shape {list(x.shape)}, axis {axis})") from None
    return _outputs(tuple(np.split(x, np.cumsum(sizes)[:-1], axis)))


def _outputs(parts):
    """A kernel's result: the array itself for an op with one output, else the tuple."""
    return parts[0] if len(parts) == 1 else parts


def _split_grad(op, g, needed):
    return [concat(list(g), op.attrs["axis"])] + [None] * (len(op.inputs) - 1)


declare("Split", _split_spec, _split_kernel, grad=_split_grad,
        samples=lambda: [([_any(4, 3)], {"num_split": 2, "axis": 0}),
                         ([_any(2, 6)], {"num_split": 3, "axis": -1})])
declare("SplitV", _split_spec, _splitv_kernel, grad=_split_grad, nondiff_inputs=(1,),
        samples=lambda: [([_any(5, 3), np.array([2, 3], np.int32)], {"num_split": 2, "axis": 0}),
                         ([_any(2, 6), np.array([1, -1, 2], np.int32)],
                          {"num_split": 3, "axis": 1})])


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """Split `value` along `axis` into `num_or_size_splits` equal parts, or parts of the given
    sizes (one size may be -1); returns a list of tensors."""
    value = as_tensor(value)
    axis = static_int(axis, "axis")
    if not isinstance(num_or_size_splits, TensorLike) and np.ndim(num_or_size_splits) == 0:
        n = static_int(num_or_size_splits, "num_or_size_splits")
        if n < 1:
            raise ValueError(f"num_or_size_splits must be >= 1, got {n}")
        out = apply("Split", [value], {"num_split": n, "axis": axis}, name=name)
    else:
        sizes = _int_tensor(num_or_size_splits, "size_splits")
        n = sizes.shape.dims[0] if sizes.shape.ndims == 1 else None
        n = n if n is not None else num
        if n is None:
            raise ValueError(f"cannot infer the number of splits from size_splits of shape "
                             f"{sizes.shape}; pass num=")
        out = apply("SplitV", [value, sizes], {"num_split": int(n), "axis": axis}, name=name)
    return list(out) if isinstance(out, tuple) else [out]


# -- Tile and pad --------------------------------------------------------------------------------


def _tile_spec(inputs, attrs):
    x, m = inputs
    nd = x.shape.ndims
    if m.shape.ndims != 1 or (nd is not None and m.shape.dims[0] not in (None, nd)):
        raise ValueError(f"multiples must be a 1-D tensor of length {nd} (the input's rank), "
                         f"got shape {m.shape}")
    mv = m.constant_value()
    if nd is None:
        return [(TensorShape(None), x.dtype)]
    if mv is None:
        return [([None] * nd, x.dtype)]
    if any(v < 0 for v in mv):
        raise ValueError(f"multiples must be >= 0, got {list(mv)}")
    return [([None if d is None else d * int(k) for d, k in zip(x.shape.dims, mv)], x.dtype)]


def _tile_kernel(attrs, x, m):
    if len(m) != x.ndim or np.any(m < 0):
        raise InvalidArgumentError(f"Tile: multiples {list(m)} must be {x.ndim} values >= 0 "
                                   f"for an input of shape {list(x.shape)}")
    return np.tile(x, tuple(int(k) for k in m))


def _tile_grad_spec(inputs, attrs):
    g, m = inputs
    mv = m.constant_value()
    if g.shape.ndims is None or mv is None:
        return [(TensorShape(None) if g.shape.ndims is None else [None] * g.shape.ndims,
                 g.dtype)]
    return [([None if d is None or k == 0 else d // int(k) for d, k in zip(g.shape.dims, mv)],
             g.dtype)]


def _tile_grad_kernel(attrs, g, m):
    """Sum of the tiled copies: g viewed as (m0, d0, m1, d1, ...) summed over the m axes."""
    m = [int(k) for k in m]
    if 0 in m:
        raise InvalidArgumentError("Tile gradient: a multiple of 0 loses the input's shape")
    split = [v for k, d in zip(m, g.shape) for v in (k, d // k)]
    return g.reshape(split).sum(axis=tuple(range(0, 2 * g.ndim, 2)), dtype=g.dtype)


declare("Tile", _tile_spec, _tile_kernel, nondiff_inputs=(1,), fold=fold_small,
        grad=lambda op, g, needed: [apply("TileGrad", [g[0], op.inputs[1]]), None],
        samples=lambda: [([_any(2, 3), np.array([2, 1], np.int32)], {}),
                         ([_any(2, 1, 2), np.array([1, 3, 2], np.int32)], {})])
declare("TileGrad", _tile_grad_spec, _tile_grad_kernel, nondiff_inputs=(1,),
        grad=lambda op, g, needed: [tile(g[0], op.inputs[1]), None],
        samples=lambda: [([_any(4, 3), np.array([2, 1], np.int32)], {})])


def tile(input, multiples, name=None):
    """`input` repeated `multiples[i]` times along each dimension i."""
    return apply("Tile", [as_tensor(input), _int_tensor(multiples, "multiples")], name=name)


_PAD_MODES = ("CONSTANT", "REFLECT", "SYMMETRIC")


def _pad_spec(inputs, attrs):
    x, p = inputs[0], inputs[1]
    nd = x.shape.ndims
    if len(inputs) == 3 and inputs[2].shape.ndims not in (None, 0):
        raise ValueError(f"constant_values must be a scalar, got shape {inputs[2].shape}")
    if p.shape.ndims is not None and (p.shape.ndims != 2 or p.shape.dims[1] not in (None, 2)
                                      or (nd is not None and p.shape.dims[0] not in (None, nd))):
        raise ValueError(f"paddings must have shape [{nd if nd is not None else 'rank'}, 2], "
                         f"got {p.shape}")
    pv = p.constant_value()
    if nd is None:
        return [(TensorShape(None), x.dtype)]
    if pv is None:
        return [([None] * nd, x.dtype)]
    pv = np.asarray(pv).reshape(-1, 2)
    if (pv < 0).any():
        raise ValueError(f"paddings must be >= 0, got {pv.tolist()}")
    limit = {"REFLECT": 1, "SYMMETRIC": 0}.get(attrs["mode"])
    for i, (d, (lo, hi)) in enumerate(zip(x.shape.dims, pv)):
        if limit is not None and d is not None and max(lo, hi) > d - limit:
            raise ValueError(f"paddings {[int(lo), int(hi)]} of dimension {i} must be no "
                             f"greater than {d - limit} in {attrs['mode']} mode (shape "
                             f"{x.shape})")
    if attrs.get("grad"):  # PadGrad: the padded size back to the input's
        return [([None if d is None else d - int(lo) - int(hi)
                  for d, (lo, hi) in zip(x.shape.dims, pv)], x.dtype)]
    return [([None if d is None else d + int(lo) + int(hi)
              for d, (lo, hi) in zip(x.shape.dims, pv)], x.dtype)]


def _check_paddings(attrs, x, p):
    p = np.asarray(p).reshape(-1, 2)
    limit = {"REFLECT": 1, "SYMMETRIC": 0}.get(attrs["mode"], None)
    if len(p) != x.ndim or (p < 0).any() or (
            limit is not None and (p.max(axis=1, initial=0) > np.array(x.shape) - limit).any()):
        raise InvalidArgumentError(f"Pad: invalid paddings {p.tolist()} for an input of shape "
                                   f"{list(x.shape)} in {attrs['mode']} mode")
    return [(int(lo), int(hi)) for lo, hi in p]


def _pad_kernel(attrs, x, p, c):
    p = _check_paddings(attrs, x, p)
    if attrs["mode"] != "CONSTANT":
        return np.pad(x, p, mode=attrs["mode"].lower())
    out = np.full([d + lo + hi for d, (lo, hi) in zip(x.shape, p)], c, dtype=x.dtype)
    out[tuple(slice(lo, lo + d) for d, (lo, _) in zip(x.shape, p))] = x
    return out


def _pad_grad_kernel(attrs, g, p):
    """The adjoint of padding: the interior, plus (mirror modes) the folded-back borders."""
    p = [(int(lo), int(hi)) for lo, hi in np.asarray(p).reshape(-1, 2)]
    shift = 1 if attrs["mode"] == "REFLECT" else 0
    for ax, (lo, hi) in enumerate(p):
        d = g.shape[ax] - lo - hi
        core = g[_axis_slice(ax, lo, lo + d)]
        if attrs["mode"] != "CONSTANT" and (lo or hi):
            core = core.copy()
            core[_axis_slice(ax, shift, shift + lo)] += np.flip(g[_axis_slice(ax, 0, lo)], ax)
            core[_axis_slice(ax, d - shift - hi, d - shift)] += np.flip(
                g[_axis_slice(ax, lo + d, lo + d + hi)], ax)
        g = core
    return g


def _axis_slice(ax, start, stop):
    return (slice(None),) * ax + (slice(start, stop),)


def _pad_grad(op, g, needed):
    mode = op.attrs["mode"]
    gx = apply("PadGrad", [g[0], op.inputs[1]], {"mode": mode, "grad": True})
    gc = None
    if needed[2] and mode == "CONSTANT":
        from .reduction import reduce_sum
        gc = reduce_sum(g[0]) - reduce_sum(gx)
    return [gx, None, gc]


def _pad_samples():
    p = np.array([[1, 2], [0, 1]], np.int32)
    return [([_any(3, 4), p, np.array(0.5)], {"mode": m}) for m in _PAD_MODES] + \
        [([_any(3, 3, 2), np.array([[2, 0], [1, 2], [1, 1]], np.int32), np.array(0.0)],
          {"mode": "REFLECT"})]


declare("Pad", _pad_spec, _pad_kernel, grad=_pad_grad, nondiff_inputs=(1,),
        samples=_pad_samples)
declare("PadGrad", _pad_spec, _pad_grad_kernel, nondiff_inputs=(1,),
        grad=lambda op, g, needed: [pad(g[0], op.inputs[1], op.attrs["mode"]), None],
        samples=lambda: [([_any(6, 5), np.array([[1, 2], [0, 1]], np.int32)],
                          {"mode": m, "grad": True}) for m in _PAD_MODES])


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0):
    """Pad `tensor` by `paddings` ([rank, 2]: before and after each dimension). CONSTANT fills
    with `constant_values`; REFLECT mirrors without the edge, SYMMETRIC with it."""
    mode = str(mode).upper()
    if mode not in _PAD_MODES:
        raise ValueError(f"mode must be one of {list(_PAD_MODES)}, got {mode!r}")
    x = as_tensor(tensor)
    c = binary_operands(x, constant_values, "pad")[1]
    return apply("Pad", [x, _int_tensor(paddings, "paddings"), c], {"mode": mode}, name=name)


__all__ = ["broadcast_to", "concat", "pad", "reverse", "reverse_v2", "split", "stack", "tile",
           "transpose", "unstack"]
