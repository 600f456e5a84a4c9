"""Convolution ops (tf.nn.conv2d and its family).

Three ops, each the adjoint of the others, so gradients of any order are cheap graphs:
Conv2D(x, w), Conv2DBackpropInput(input_sizes, w, dy) and Conv2DBackpropFilter(x, filter_sizes,
dy). Kernels: im2col with stride tricks in (kh, kw, C) patch order feeding one GEMM (a batched
GEMM for grouped convolutions); the input gradient is a GEMM plus col2im over kernel offsets.
Filters are (kh, kw, in / groups, out); groups = input channels / filter input channels, as TF.
conv1d, conv2d_transpose, depthwise_conv2d and separable_conv2d are composites of these ops.
"""
import numpy as np

from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.graph import name_scope
from tensorlet.framework.shapes import TensorShape

from . import windows as _win
from .array import constant, expand_dims, reshape, shape, squeeze, static_shape_from
from .base import apply, as_tensor, binary_operands, declare

_rng = np.random.default_rng(4)


# -- GEMM kernels on (N, Ho, Wo, kh, kw, C) patches ----------------------------------------------


def _groups(c, fc, o):
    """Number of groups for input channels c and a filter (.., fc, o); InvalidArgumentError for
    a mismatch found only at run time."""
    if fc < 1 or c % fc or o % (c // fc):
        raise InvalidArgumentError(f"input has {c} channels, which the filter's {fc} input "
                                   f"channels and {o} output channels cannot group")
    return c // fc


def gemm_forward(cols, w):
    """(N, Ho, Wo, O) = patches (N, Ho, Wo, kh, kw, C) contracted with the filter."""
    n, ho, wo, kh, kw, c = cols.shape
    fc, o = w.shape[2], w.shape[3]
    p, k = n * ho * wo, kh * kw
    g = _groups(c, fc, o)
    if g == 1:
        return (cols.reshape(p, k * c) @ w.reshape(k * c, o)).reshape(n, ho, wo, o)
    a = cols.reshape(p, k, g, fc).transpose(2, 0, 1, 3).reshape(g, p, k * fc)
    b = w.reshape(k, fc, g, o // g).transpose(2, 0, 1, 3).reshape(g, k * fc, o // g)
    return (a @ b).transpose(1, 0, 2).reshape(n, ho, wo, o)


def gemm_input_grad(dy, w, c):
    """Patch gradients (N, Ho, Wo, kh, kw, C) from the output gradient dy (N, Ho, Wo, O)."""
    n, ho, wo, o = dy.shape
    kh, kw, fc = w.shape[:3]
    p, k = n * ho * wo, kh * kw
    g = _groups(c, fc, o)
    if g == 1:
        return (dy.reshape(p, o) @ w.reshape(k * c, o).T).reshape(n, ho, wo, kh, kw, c)
    a = dy.reshape(p, g, o // g).transpose(1, 0, 2)
    b = w.reshape(k, fc, g, o // g).transpose(2, 3, 0, 1).reshape(g, o // g, k * fc)
    r = (a @ b).reshape(g, p, k, fc).transpose(1, 2, 0, 3)
    return r.reshape(n, ho, wo, kh, kw, c)


def gemm_filter_grad(cols, dy, fc):
    """Filter gradient (kh, kw, fc, O) from patches and the output gradient dy (N, Ho, Wo, O)."""
    n, ho, wo, kh, kw, c = cols.shape
    o = dy.shape[3]
    p, k = n * ho * wo, kh * kw
    g = _groups(c, fc, o)
    if g == 1:
        return (cols.reshape(p, k * c).T @ dy.reshape(p, o)).reshape(kh, kw, c, o)
    a = cols.reshape(p, k, g, fc).transpose(2, 1, 3, 0).reshape(g, k * fc, p)
    b = dy.reshape(p, g, o // g).transpose(1, 0, 2)
    r = (a @ b).reshape(g, k, fc, o // g).transpose(1, 2, 0, 3)
    return r.reshape(kh, kw, fc, o)


def _input_patches(x, khw, attrs):
    """(patches of NHWC x, output (Ho, Wo), pads) for a filter of spatial size khw."""
    xn = _win.to_nhwc(x, attrs["data_format"])
    out_hw, pads = _win.geometry(xn.shape[1:3], khw, attrs)
    cols = _win.patches(_win.padded(xn, pads), khw, attrs["strides"], attrs["dilations"],
                        out_hw)
    return cols, out_hw, pads


def _conv_kernel(attrs, x, w):
    cols, _, _ = _input_patches(x, w.shape[:2], attrs)
    return _win.from_nhwc(gemm_forward(cols, w), attrs["data_format"])


def _backprop_input_kernel(attrs, sizes, w, dy):
    fmt = attrs["data_format"]
    n, h, wd, c = _win.nhwc_dims([int(v) for v in sizes], fmt)
    out_hw, pads = _win.geometry((h, wd), w.shape[:2], attrs)
    dyn = _win.to_nhwc(dy, fmt)
    if dyn.shape != (n,) + out_hw + (w.shape[3],):
        expect = [n, *out_hw, w.shape[3]]
        raise InvalidArgumentError(
            f"out_backprop has shape {list(dyn.shape)} (NHWC) but an input of size "
            f"{[n, h, wd, c]} and a filter of shape {list(w.shape)} give {expect}")
    dcols = gemm_input_grad(dyn, w, c)
    dx = _win.col2im(dcols, (h, wd), pads, attrs["strides"], attrs["dilations"])
    return _win.from_nhwc(dx, fmt)


def _backprop_filter_kernel(attrs, x, sizes, dy):
    kh, kw, fc, _ = (int(v) for v in sizes)
    cols, out_hw, _ = _input_patches(x, (kh, kw), attrs)
    dyn = _win.to_nhwc(dy, attrs["data_format"])
    if dyn.shape[1:3] != out_hw:
        raise InvalidArgumentError(f"out_backprop spatial size {list(dyn.shape[1:3])} does not "
                                   f"match the convolution's output {list(out_hw)}")
    return gemm_filter_grad(cols, dyn, fc)


# -- Shape rules ----------------------------------------------------------------------------------


_LAYOUTS = {"NHWC": "NHWC: batch, height, width, channels",
            "NCHW": "NCHW: batch, channels, height, width",
            None: "height, width, in_channels, out_channels"}


def _dims4(t, what, fmt=None):
    """The 4 static dims of `t` (None each for an unknown rank); ValueError for another rank."""
    nd = t.shape.ndims
    if nd is None:
        return (None,) * 4
    if nd != 4:
        raise ValueError(f"{what} must be 4-D ({_LAYOUTS.get(fmt, fmt)}), got shape {t.shape}")
    return t.shape.dims


def _float_types(*ts):
    dt = ts[0].dtype
    if not dt.is_floating or any(t.dtype is not dt for t in ts):
        raise TypeError(f"expected floating-point tensors of one dtype, got "
                        f"{[t.dtype.name for t in ts]}")
    return dt


def _check_channels(c, fshape):
    """Output channels for input channels c and filter dims; ValueError for a mismatch."""
    fc, o = fshape[2], fshape[3]
    if c is not None and fc is not None:
        if fc < 1 or c % fc:
            raise ValueError(f"the input has {c} channels but the filter {list(fshape)} expects "
                             f"{fc} input channels (or a divisor of {c} for grouped convolution)")
        if o is not None and o % (c // fc):
            raise ValueError(f"a grouped convolution of {c // fc} groups needs filter output "
                             f"channels divisible by {c // fc}, got {o}")
    return o


def _sizes_dims(t, what, n=4):
    if t.dtype.name not in ("int32", "int64"):
        raise TypeError(f"{what} must be int32 or int64, got {t.dtype.name}")
    if t.shape.ndims not in (None, 1) or t.shape.ndims == 1 and t.shape[0] not in (None, n):
        raise ValueError(f"{what} must be a vector of {n} ints, got shape {t.shape}")
    dims = static_shape_from(t).dims
    return (None,) * n if dims is None or len(dims) != n else dims


def _conv_spec(inputs, attrs):
    x, w = inputs
    _win.check_window_attrs(attrs)
    fmt = attrs["data_format"]
    dt = _float_types(x, w)
    n, h, wd, c = _win.nhwc_dims(_dims4(x, "input", fmt), fmt)
    fs = _dims4(w, "filter")
    o = _check_channels(c, fs)
    ho, wo = _win.static_out_hw((h, wd), fs[:2], attrs)
    return [(TensorShape(_win.from_nhwc_dims((n, ho, wo, o), fmt)), dt)]


def _backprop_input_spec(inputs, attrs):
    sizes, w, dy = inputs
    _win.check_window_attrs(attrs)
    fmt = attrs["data_format"]
    dt = _float_types(w, dy)
    fs = _dims4(w, "filter")
    out = _sizes_dims(sizes, "input_sizes")
    n, h, wd, c = _win.nhwc_dims(out, fmt)
    _check_channels(c, fs)
    expect = (n,) + _win.static_out_hw((h, wd), fs[:2], attrs) + (fs[3],)
    got = _win.nhwc_dims(_dims4(dy, "out_backprop", fmt), fmt)
    if not TensorShape(expect).is_compatible_with(got):
        raise ValueError(f"out_backprop has shape {list(got)} (NHWC) but an input of size "
                         f"{list(_win.nhwc_dims(out, fmt))} (NHWC) and filter {list(fs)} give "
                         f"{list(expect)}")
    return [(TensorShape(out), dt)]


def _backprop_filter_spec(inputs, attrs):
    x, sizes, dy = inputs
    _win.check_window_attrs(attrs)
    fmt = attrs["data_format"]
    dt = _float_types(x, dy)
    fs = _sizes_dims(sizes, "filter_sizes")
    n, h, wd, c = _win.nhwc_dims(_dims4(x, "input", fmt), fmt)
    _check_channels(c, fs)
    expect = (n,) + _win.static_out_hw((h, wd), fs[:2], attrs) + (fs[3],)
    got = _win.nhwc_dims(_dims4(dy, "out_backprop", fmt), fmt)
    if not TensorShape(expect).is_compatible_with(got):
        raise ValueError(f"out_backprop has shape {list(got)} (NHWC) but the input and filter "
                         f"sizes {list(fs)} give {list(expect)}")
    return [(TensorShape(fs), dt)]


# -- Gradient rules (each op's adjoints are the other two) ----------------------------------------


def _conv_grad(op, g, n):
    x, w = op.inputs
    return [apply("Conv2DBackpropInput", [shape(x), w, g[0]], op.attrs) if n[0] else None,
            apply("Conv2DBackpropFilter", [x, shape(w), g[0]], op.attrs) if n[1] else None]


def _backprop_input_grad(op, g, n):
    _, w, dy = op.inputs
    return [None,
            apply("Conv2DBackpropFilter", [g[0], shape(w), dy], op.attrs) if n[1] else None,
            apply("Conv2D", [g[0], w], op.attrs) if n[2] else None]


def _backprop_filter_grad(op, g, n):
    x, _, dy = op.inputs
    return [apply("Conv2DBackpropInput", [shape(x), g[0], dy], op.attrs) if n[0] else None,
            None,
            apply("Conv2D", [x, g[0]], op.attrs) if n[2] else None]


# -- Gradient-check samples: strides, paddings, dilations, groups and both layouts --------------


def _attrs(strides=(1, 1), padding="SAME", dilations=(1, 1), data_format="NHWC"):
    return {"strides": strides, "padding": padding, "dilations": dilations,
            "data_format": data_format}


_CASES = [  # (input NHWC, filter, attrs)
    ((2, 5, 5, 2), (3, 3, 2, 3), _attrs()),
    ((1, 6, 5, 2), (2, 3, 2, 2), _attrs(strides=(2, 1), padding="VALID")),
    ((1, 5, 6, 2), (3, 2, 2, 2), _attrs(strides=(2, 2), data_format="NCHW")),
    ((1, 7, 6, 2), (2, 2, 2, 2), _attrs(dilations=(2, 2), padding=((1, 0), (2, 1)))),
    ((1, 6, 6, 4), (2, 2, 2, 4), _attrs(strides=(2, 1), dilations=(1, 2), data_format="NCHW")),
]


def _layout(dims, fmt):
    return _win.from_nhwc_dims(dims, fmt)


def _case_arrays(xs, fs, attrs):
    fmt = attrs["data_format"]
    x = _rng.standard_normal(_layout(xs, fmt))
    w = _rng.standard_normal(fs)
    y = _conv_kernel(attrs, x, w)
    return x, w, _rng.standard_normal(y.shape)


def _conv_samples():
    return [([x, w], a) for xs, fs, a in _CASES for x, w, _ in [_case_arrays(xs, fs, a)]]


def _backprop_input_samples():
    return [([np.array(x.shape, np.int32), w, dy], a)
            for xs, fs, a in _CASES for x, w, dy in [_case_arrays(xs, fs, a)]]


def _backprop_filter_samples():
    return [([x, np.array(w.shape, np.int32), dy], a)
            for xs, fs, a in _CASES for x, w, dy in [_case_arrays(xs, fs, a)]]


declare("Conv2D", _conv_spec, _conv_kernel, grad=_conv_grad, samples=_conv_samples)
declare("Conv2DBackpropInput", _backprop_input_spec, _backprop_input_kernel,
        grad=_backprop_input_grad, samples=_backprop_input_samples, nondiff_inputs=(0,))
declare("Conv2DBackpropFilter", _backprop_filter_spec, _backprop_filter_kernel,
        grad=_backprop_filter_grad, samples=_backprop_filter_samples, nondiff_inputs=(1,))


# -- Public functions -----------------------------------------------------------------------------


def _one_of(a, b, names, what):
    if a is not None and b is not None:
        raise ValueError(f"{what}: give {names[0]} or {names[1]}, not both")
    return a if a is not None else b


def conv_attrs(what, strides, padding, dilations, data_format):
    """Canonical Conv2D attrs from TF's arguments (strides and padding are required)."""
    if strides is None:
        raise ValueError(f"{what}: strides is required")
    if padding is None:
        raise ValueError(f"{what}: padding is required ('SAME', 'VALID' or explicit pairs)")
    fmt = _win.data_format_2d(data_format, what)
    return _attrs(_win.spatial_pair(strides, what, fmt, "strides"),
                  _win.padding_arg(padding, what, fmt),
                  _win.spatial_pair(dilations, what, fmt, "dilations"), fmt)


def _sizes_tensor(sizes, what):
    if isinstance(sizes, (list, tuple, np.ndarray)):
        arr = np.asarray(sizes)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"{what} must be integers, got {sizes!r}")
        return constant(arr.astype(np.int32))
    return as_tensor(sizes)


def conv2d(input, filter=None, strides=None, padding=None, use_cudnn_on_gpu=True,
           data_format="NHWC", dilations=None, name=None, filters=None):
    """2-D convolution (cross-correlation) of a 4-D `input` with a (kh, kw, in, out) filter.
    `padding`: 'SAME', 'VALID' or explicit [before, after] pairs for all four dimensions."""
    w = _one_of(filter, filters, ("filter", "filters"), "conv2d")
    attrs = conv_attrs("conv2d", strides, padding, dilations, data_format)
    x, w = binary_operands(input, w, "conv2d")
    return apply("Conv2D", [x, w], attrs, name=name)


def conv2d_backprop_input(input_sizes, filter=None, out_backprop=None, strides=None,
                          padding=None, use_cudnn_on_gpu=True, data_format="NHWC",
                          dilations=None, name=None, filters=None):
    """The gradient of conv2d with respect to its input, of shape `input_sizes`."""
    w = _one_of(filter, filters, ("filter", "filters"), "conv2d_backprop_input")
    attrs = conv_attrs("conv2d_backprop_input", strides, padding, dilations, data_format)
    w, dy = binary_operands(w, out_backprop, "conv2d_backprop_input")
    sizes = _sizes_tensor(input_sizes, "input_sizes")
    return apply("Conv2DBackpropInput", [sizes, w, dy], attrs, name=name)


def conv2d_backprop_filter(input, filter_sizes, out_backprop, strides, padding,
                           use_cudnn_on_gpu=True, data_format="NHWC", dilations=None, name=None):
    """The gradient of conv2d with respect to its filter, of shape `filter_sizes`."""
    attrs = conv_attrs("conv2d_backprop_filter", strides, padding, dilations, data_format)
    x, dy = binary_operands(input, out_backprop, "conv2d_backprop_filter")
    sizes = _sizes_tensor(filter_sizes, "filter_sizes")
    return apply("Conv2DBackpropFilter", [x, sizes, dy], attrs, name=name)


def conv2d_transpose(value=None, filter=None, output_shape=None, strides=None, padding="SAME",
                     data_format="NHWC", name=None, input=None, filters=None, dilations=None):
    """The transpose of conv2d (its input gradient): `filter` is (kh, kw, out, in) and the
    result has `output_shape`."""
    x = _one_of(value, input, ("value", "input"), "conv2d_transpose")
    w = _one_of(filter, filters, ("filter", "filters"), "conv2d_transpose")
    if output_shape is None:
        raise ValueError("conv2d_transpose: output_shape is required")
    return conv2d_backprop_input(output_shape, w, x, strides, padding, data_format=data_format,
                                 dilations=dilations, name=name)


def conv1d(value=None, filters=None, stride=None, padding=None, use_cudnn_on_gpu=None,
           data_format=None, name=None, input=None, dilations=None):
    """1-D convolution of (batch, width, in) (or NCW) with a (kw, in, out) filter: a conv2d
    over a height of 1, as TF computes it."""
    x = as_tensor(_one_of(value, input, ("value", "input"), "conv1d"))
    fmt = "NWC" if data_format is None else str(data_format).upper()
    if fmt not in ("NWC", "NCW"):
        raise ValueError(f"conv1d: data_format must be 'NWC' or 'NCW', got {data_format!r}")
    if stride is None or padding is None:
        raise ValueError("conv1d: stride and padding are required")
    if x.shape.ndims not in (None, 3):
        raise ValueError(f"conv1d: input must be 3-D ({fmt}), got shape {x.shape}")
    w = as_tensor(filters)
    if w.shape.ndims not in (None, 3):
        raise ValueError(f"conv1d: filters must be 3-D (width, in, out), got shape {w.shape}")
    fmt2 = "NHWC" if fmt == "NWC" else "NCHW"
    if not isinstance(padding, str):
        pairs = np.asarray(padding)
        if pairs.shape != (3, 2):
            raise ValueError(f"conv1d: explicit padding must be 3 [before, after] pairs, got "
                             f"{padding!r}")
        padding = np.insert(pairs, 1 if fmt == "NWC" else 2, 0, axis=0)
    with name_scope(name, "conv1d") as scope:
        axis = 1 if fmt == "NWC" else 2
        y = conv2d(expand_dims(x, axis), expand_dims(w, 0),
                   _win.width_arg(stride, fmt, "conv1d", "stride"), padding, data_format=fmt2,
                   dilations=_win.width_arg(dilations, fmt, "conv1d", "dilations"))
        return squeeze(y, [axis], name=scope.rstrip("/") + "/")


def _depthwise_filter(x, w, attrs, what):
    """The (kh, kw, 1, C * M) grouped-convolution filter of a (kh, kw, C, M) depthwise one."""
    if max(attrs["strides"]) > 1 and max(attrs["dilations"]) > 1:
        raise ValueError(f"{what}: rate (dilations) > 1 is not supported together with strides "
                         f"> 1, got strides {list(attrs['strides'])} and rate "
                         f"{list(attrs['dilations'])}")
    fmt = attrs["data_format"]
    c = _win.nhwc_dims(_dims4(x, "input", fmt), fmt)[3]
    fs = _dims4(w, f"{what} filter")
    if c is None or not TensorShape(fs).is_fully_defined():
        raise ValueError(f"{what} needs the input's channels and the filter shape at build "
                         f"time, got input {x.shape} and filter {w.shape}")
    if fs[2] != c:
        raise ValueError(f"{what}: the input has {c} channels but the filter {list(fs)} is "
                         f"for {fs[2]} (filter is (kh, kw, in_channels, channel_multiplier))")
    return reshape(w, [fs[0], fs[1], 1, fs[2] * fs[3]])


def _depthwise_attrs(what, strides, padding, rate, dilations, data_format):
    fmt = _win.data_format_2d(data_format, what)
    dil = _one_of(rate, dilations, ("rate", "dilations"), what)
    return conv_attrs(what, strides, padding, dil, fmt)


def depthwise_conv2d(input, filter, strides, padding, rate=None, name=None, data_format=None,
                     dilations=None):
    """Each input channel convolved with its own `channel_multiplier` filters: filter
    (kh, kw, in, multiplier), output channel c * multiplier + m. A grouped Conv2D."""
    attrs = _depthwise_attrs("depthwise_conv2d", strides, padding, rate, dilations, data_format)
    x, w = binary_operands(input, filter, "depthwise_conv2d")
    with name_scope(name, "depthwise") as scope:
        wg = _depthwise_filter(x, w, attrs, "depthwise_conv2d")
        return apply("Conv2D", [x, wg], attrs, name=scope.rstrip("/") + "/")


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding, rate=None,
                     name=None, data_format=None, dilations=None):
    """depthwise_conv2d followed by a 1x1 convolution with pointwise_filter (1, 1, in * m, out)."""
    attrs = _depthwise_attrs("separable_conv2d", strides, padding, rate, dilations, data_format)
    x, dw = binary_operands(input, depthwise_filter, "separable_conv2d")
    pw = as_tensor(pointwise_filter, dw.dtype)
    ps = _dims4(pw, "pointwise_filter")
    if ps[:2] not in ((1, 1), (None, None)):
        raise ValueError(f"separable_conv2d: pointwise_filter must be (1, 1, in, out), got "
                         f"{pw.shape}")
    with name_scope(name, "separable_conv2d") as scope:
        wg = _depthwise_filter(x, dw, attrs, "separable_conv2d")
        y = apply("Conv2D", [x, wg], attrs, name="depthwise")
        one = _attrs(data_format=attrs["data_format"], padding="VALID")
        return apply("Conv2D", [y, pw], one, name=scope.rstrip("/") + "/")


__all__ = ["conv1d", "conv2d", "conv2d_backprop_filter", "conv2d_backprop_input",
           "conv2d_transpose", "depthwise_conv2d", "separable_conv2d"]
