"""Pooling ops (tf.nn.max_pool / avg_pool and their 1-D forms).

MaxPool's gradient is a MaxPoolGrad op routing each window's gradient to its first maximum (as
TF's CPU kernel does); MaxPoolGradGrad gathers at those maxima, and the two are each other's
adjoints. AvgPool with SAME padding divides by the number of real (unpadded) elements in each
window; AvgPoolGrad is its adjoint. Kernels loop over the kh x kw window offsets, each a strided
slice of the whole batch, never over output positions.
"""
import numpy as np

from tensorlet.framework.graph import name_scope
from tensorlet.framework.shapes import TensorShape

from . import windows as _win
from .array import expand_dims, shape, squeeze, static_shape_from
from .base import apply, as_tensor, declare

_rng = np.random.default_rng(5)


# -- Kernels --------------------------------------------------------------------------------------


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _window(xn, attrs, fill):
    """(padded NHWC input, (Ho, Wo), pads, offset slices) of a pooling window."""
    ksize = attrs["ksize"]
    out_hw, pads = _win.geometry(xn.shape[1:3], ksize, {**attrs, "dilations": (1, 1)})
    slices = _win.offset_slices(ksize, attrs["strides"], (1, 1), out_hw)
    return _win.padded(xn, pads, fill), out_hw, pads, slices


def _max_pool_kernel(attrs, x):
    fmt = attrs["data_format"]
    xp, _, _, slices = _window(_win.to_nhwc(x, fmt), attrs, _lowest(x.dtype))
    out = None
    for _, rows, cols in slices:
        if out is None:
            out = xp[:, rows, cols].copy()
        else:
            np.maximum(out, xp[:, rows, cols], out=out)
    return _win.from_nhwc(out, fmt)


def _argmax(xp, slices):
    """Index (into `slices`) of the first maximum of each window, as uint16."""
    best = xp[:, slices[0][1], slices[0][2]].copy()
    idx = np.zeros(best.shape, np.uint16)
    better = np.empty(best.shape, bool)
    step = np.empty(best.shape, np.uint16)
    for k, (_, rows, cols) in enumerate(slices[1:], 1):
        v = xp[:, rows, cols]
        # k exceeds every earlier index: max(idx, k * better) sets idx = k where v wins.
        np.greater(v, best, out=better)
        np.multiply(better, np.uint16(k), out=step)
        np.maximum(idx, step, out=idx)
        np.maximum(best, v, out=best)
    return idx


def _max_pool_grad_kernel(attrs, x, y, g):
    fmt = attrs["data_format"]
    xn = _win.to_nhwc(x, fmt)
    xp, _, pads, slices = _window(xn, attrs, _lowest(x.dtype))
    idx = _argmax(xp, slices)
    gn = _win.to_nhwc(g, fmt)
    dxp = np.zeros(xp.shape, g.dtype)
    hit = np.empty(idx.shape, bool)
    for k, (_, rows, cols) in enumerate(slices):
        np.equal(idx, k, out=hit)
        view = dxp[:, rows, cols]
        np.add(view, gn, out=view, where=hit)
    (pt, _), (pl, _) = pads
    return _win.from_nhwc(dxp[:, pt:pt + xn.shape[1], pl:pl + xn.shape[2]], fmt)


def _max_pool_grad_grad_kernel(attrs, x, y, gg):
    fmt = attrs["data_format"]
    xp, _, pads, slices = _window(_win.to_nhwc(x, fmt), attrs, _lowest(x.dtype))
    idx = _argmax(xp, slices)
    ggp = _win.padded(_win.to_nhwc(gg, fmt), pads)
    out = np.zeros(idx.shape, gg.dtype)
    for k, (_, rows, cols) in enumerate(slices):
        np.copyto(out, ggp[:, rows, cols], where=idx == k)
    return _win.from_nhwc(out, fmt)


def _window_counts(hw, attrs, dtype):
    """(1, Ho, Wo, 1) number of real (unpadded) elements in each window."""
    out_hw, pads = _win.geometry(hw, attrs["ksize"], {**attrs, "dilations": (1, 1)})
    per_axis = []
    for ax in range(2):
        starts = np.arange(out_hw[ax]) * attrs["strides"][ax] - pads[ax][0]
        ends = starts + attrs["ksize"][ax]
        per_axis.append(np.minimum(ends, hw[ax]) - np.maximum(starts, 0))
    return np.multiply.outer(*per_axis).astype(dtype)[None, :, :, None]


def _avg_pool_kernel(attrs, x):
    fmt = attrs["data_format"]
    xn = _win.to_nhwc(x, fmt)
    xp, _, _, slices = _window(xn, attrs, 0)
    out = None
    for _, rows, cols in slices:
        if out is None:
            out = xp[:, rows, cols].copy()
        else:
            out += xp[:, rows, cols]
    out /= _window_counts(xn.shape[1:3], attrs, x.dtype)
    return _win.from_nhwc(out, fmt)


def _avg_pool_grad_kernel(attrs, sizes, g):
    fmt = attrs["data_format"]
    n, h, w, c = _win.nhwc_dims([int(v) for v in sizes], fmt)
    gs = _win.to_nhwc(g, fmt) / _window_counts((h, w), attrs, g.dtype)
    out_hw, pads = _win.geometry((h, w), attrs["ksize"], {**attrs, "dilations": (1, 1)})
    if gs.shape != (n,) + out_hw + (c,):
        raise ValueError(f"grad has shape {list(gs.shape)} (NHWC) but pooling an input of size "
                         f"{[n, h, w, c]} gives {[n, *out_hw, c]}")
    (pt, pb), (pl, pr) = pads
    dxp = np.zeros((n, h + pt + pb, w + pl + pr, c), g.dtype)
    for _, rows, cols in _win.offset_slices(attrs["ksize"], attrs["strides"], (1, 1), out_hw):
        dxp[:, rows, cols] += gs
    return _win.from_nhwc(dxp[:, pt:pt + h, pl:pl + w], fmt)


# -- Shape rules ----------------------------------------------------------------------------------


def _check_pool_attrs(attrs):
    _win.check_window_attrs(attrs)
    pad = attrs["padding"]
    if isinstance(pad, tuple) and any(p >= k for pair, k in zip(pad, attrs["ksize"])
                                      for p in pair):
        raise ValueError(f"explicit padding {pad} must be smaller than the window "
                         f"{attrs['ksize']} (a window of padding only has no maximum)")


def _pooled_dims(x, attrs, what="input"):
    fmt = attrs["data_format"]
    nd = x.shape.ndims
    if nd is not None and nd != 4:
        raise ValueError(f"{what} must be 4-D ({fmt}), got shape {x.shape} (use max_pool1d / "
                         "avg_pool1d for 3-D input)")
    dims = (None,) * 4 if nd is None else x.shape.dims
    n, h, w, c = _win.nhwc_dims(dims, fmt)
    ho, wo = _win.static_out_hw((h, w), attrs["ksize"], {**attrs, "dilations": (1, 1)})
    return (n, ho, wo, c), _win.from_nhwc_dims((n, ho, wo, c), fmt)


def _pool_spec(numeric):
    def infer(inputs, attrs):
        x = inputs[0]
        _check_pool_attrs(attrs)
        ok = x.dtype.is_numeric if numeric else x.dtype.is_floating
        if not ok:
            raise TypeError(f"expected a {'numeric' if numeric else 'floating-point'} input, "
                            f"got {x.dtype.name}")
        return [(TensorShape(_pooled_dims(x, attrs)[1]), x.dtype)]
    return infer


def _same_dtype(*ts):
    if any(t.dtype is not ts[0].dtype for t in ts):
        raise TypeError(f"inputs must have one dtype, got {[t.dtype.name for t in ts]}")
    return ts[0].dtype


def _max_pool_grad_spec(inputs, attrs):
    x, y, g = inputs
    _check_pool_attrs(attrs)
    dt = _same_dtype(x, y, g)
    out = _pooled_dims(x, attrs, "orig_input")[1]
    for t, what in ((y, "orig_output"), (g, "grad")):
        if not t.shape.is_compatible_with(out):
            raise ValueError(f"{what} has shape {t.shape} but pooling orig_input {x.shape} "
                             f"gives {list(out)}")
    return [(x.shape, dt)]


def _max_pool_grad_grad_spec(inputs, attrs):
    x, y, gg = inputs
    _check_pool_attrs(attrs)
    dt = _same_dtype(x, y, gg)
    if not gg.shape.is_compatible_with(x.shape):
        raise ValueError(f"grad has shape {gg.shape} but orig_input has {x.shape}")
    return [(TensorShape(_pooled_dims(x, attrs, "orig_input")[1]), dt)]


def _avg_pool_grad_spec(inputs, attrs):
    sizes, g = inputs
    _check_pool_attrs(attrs)
    if not g.dtype.is_floating:
        raise TypeError(f"grad must be floating-point, got {g.dtype.name}")
    dims = static_shape_from(sizes).dims
    out = TensorShape(dims if dims is not None and len(dims) == 4 else [None] * 4)
    return [(out, g.dtype)]


# -- Gradient rules -------------------------------------------------------------------------------


def _max_pool_grad(op, g, n):
    return [apply("MaxPoolGrad", [op.inputs[0], op.outputs[0], g[0]], op.attrs)]


def _max_pool_grad_grad(op, g, n):
    x, y, _ = op.inputs
    return [None, None, apply("MaxPoolGradGrad", [x, y, g[0]], op.attrs)]


def _max_pool_grad_grad_grad(op, g, n):
    x, y, _ = op.inputs
    return [None, None, apply("MaxPoolGrad", [x, y, g[0]], op.attrs)]


def _avg_pool_grad(op, g, n):
    return [apply("AvgPoolGrad", [shape(op.inputs[0]), g[0]], op.attrs)]


def _avg_pool_grad_grad(op, g, n):
    return [None, apply("AvgPool", [g[0]], op.attrs)]


# -- Gradient-check samples (distinct values keep each window's maximum unique) -----------------


def _attrs(ksize=(2, 2), strides=(2, 2), padding="VALID", data_format="NHWC"):
    return {"ksize": ksize, "strides": strides, "padding": padding, "data_format": data_format}


_CASES = [  # (input NHWC, attrs)
    ((2, 4, 4, 2), _attrs()),
    ((1, 5, 6, 2), _attrs(ksize=(3, 2), strides=(2, 1), padding="SAME")),
    ((1, 5, 5, 3), _attrs(ksize=(3, 3), strides=(2, 2), padding="SAME", data_format="NCHW")),
    ((1, 5, 4, 1), _attrs(ksize=(2, 3), strides=(1, 2), padding=((1, 0), (0, 2)))),
]


def _distinct(dims):
    n = int(np.prod(dims))
    return (_rng.permutation(n).reshape(dims) - n / 2) * 0.05


def _case(xs, attrs, kernel):
    x = _distinct(_win.from_nhwc_dims(xs, attrs["data_format"]))
    y = kernel(attrs, x)
    return x, y, _rng.standard_normal(y.shape)


def _max_samples():
    return [([_case(xs, a, _max_pool_kernel)[0]], a) for xs, a in _CASES]


def _max_grad_samples():
    return [([x, y, g], a) for xs, a in _CASES for x, y, g in [_case(xs, a, _max_pool_kernel)]]


def _max_grad_grad_samples():
    return [([x, y, _rng.standard_normal(x.shape)], a)
            for xs, a in _CASES for x, y, _ in [_case(xs, a, _max_pool_kernel)]]


_AVG_CASES = [(xs, a) for xs, a in _CASES if isinstance(a["padding"], str)]


def _avg_samples():
    return [([_rng.standard_normal(_win.from_nhwc_dims(xs, a["data_format"]))], a)
            for xs, a in _AVG_CASES]


def _avg_grad_samples():
    return [([np.array(x.shape, np.int32), g], a)
            for xs, a in _AVG_CASES for x, _, g in [_case(xs, a, _avg_pool_kernel)]]


declare("MaxPool", _pool_spec(True), _max_pool_kernel, grad=_max_pool_grad,
        samples=_max_samples)
declare("MaxPoolGrad", _max_pool_grad_spec, _max_pool_grad_kernel, grad=_max_pool_grad_grad,
        samples=_max_grad_samples, nondiff_inputs=(0, 1))
declare("MaxPoolGradGrad", _max_pool_grad_grad_spec, _max_pool_grad_grad_kernel,
        grad=_max_pool_grad_grad_grad, samples=_max_grad_grad_samples, nondiff_inputs=(0, 1))
declare("AvgPool", _pool_spec(False), _avg_pool_kernel, grad=_avg_pool_grad,
        samples=_avg_samples)
declare("AvgPoolGrad", _avg_pool_grad_spec, _avg_pool_grad_kernel, grad=_avg_pool_grad_grad,
        samples=_avg_grad_samples, nondiff_inputs=(0,))


# -- Public functions -----------------------------------------------------------------------------


def pool_attrs(what, ksize, strides, padding, data_format, explicit_ok):
    """Canonical pooling attrs from TF's arguments."""
    if ksize is None or strides is None or padding is None:
        raise ValueError(f"{what}: ksize, strides and padding are required")
    fmt = _win.data_format_2d(data_format, what)
    return _attrs(_win.spatial_pair(ksize, what, fmt, "ksize"),
                  _win.spatial_pair(strides, what, fmt, "strides"),
                  _win.padding_arg(padding, what, fmt, explicit_ok), fmt)


def _input(value, input, what):
    if value is not None and input is not None:
        raise ValueError(f"{what}: give value or input, not both")
    return as_tensor(value if value is not None else input)


def max_pool(value=None, ksize=None, strides=None, padding=None, data_format="NHWC", name=None,
             input=None):
    """Maximum over ksize windows of a 4-D input; padding 'SAME', 'VALID' or explicit pairs
    (padded elements never win)."""
    attrs = pool_attrs("max_pool", ksize, strides, padding, data_format, True)
    return apply("MaxPool", [_input(value, input, "max_pool")], attrs, name=name)


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """max_pool of a 4-D input."""
    return max_pool(input, ksize, strides, padding, data_format, name)


def avg_pool(value=None, ksize=None, strides=None, padding=None, data_format="NHWC", name=None,
             input=None):
    """Mean over ksize windows of a 4-D input; with SAME padding each window's mean is over its
    real (unpadded) elements only."""
    attrs = pool_attrs("avg_pool", ksize, strides, padding, data_format, False)
    return apply("AvgPool", [_input(value, input, "avg_pool")], attrs, name=name)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """avg_pool of a 4-D input."""
    return avg_pool(input, ksize, strides, padding, data_format, name)


def _pool1d(op_type, what, input, ksize, strides, padding, data_format, name):
    x = as_tensor(input)
    fmt = "NWC" if data_format is None else str(data_format).upper()
    if fmt not in ("NWC", "NCW"):
        raise ValueError(f"{what}: data_format must be 'NWC' or 'NCW', got {data_format!r}")
    if x.shape.ndims not in (None, 3):
        raise ValueError(f"{what}: input must be 3-D ({fmt}), got shape {x.shape}")
    fmt2 = "NHWC" if fmt == "NWC" else "NCHW"
    attrs = pool_attrs(what, _win.width_arg(ksize, fmt, what, "ksize"),
                       _win.width_arg(strides, fmt, what, "strides"), padding, fmt2, False)
    axis = 1 if fmt == "NWC" else 2
    with name_scope(name, what) as scope:
        y = apply(op_type, [expand_dims(x, axis)], attrs)
        return squeeze(y, [axis], name=scope.rstrip("/") + "/")


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """Maximum over windows of a 3-D (batch, width, channels) input."""
    return _pool1d("MaxPool", "max_pool1d", input, ksize, strides, padding, data_format, name)


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """Mean over windows of a 3-D input (SAME: over the real elements)."""
    return _pool1d("AvgPool", "avg_pool1d", input, ksize, strides, padding, data_format, name)


__all__ = ["avg_pool", "avg_pool1d", "avg_pool2d", "max_pool", "max_pool1d", "max_pool2d"]
