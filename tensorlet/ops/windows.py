"""Sliding-window helpers shared by the convolution and pooling ops: TF's padding arithmetic,
argument normalisation (strides, padding, data formats) and patch extraction with stride tricks
(im2col) and its adjoint (col2im as a loop over kernel offsets, never over output positions)."""
import numpy as np
from numpy.lib.stride_tricks import as_strided

FORMATS_2D = ("NHWC", "NCHW")


# -- Arguments ----------------------------------------------------------------------------------


def data_format_2d(data_format, what):
    """'NHWC' (default) or 'NCHW'; ValueError naming what arrived."""
    fmt = "NHWC" if data_format is None else str(data_format).upper()
    if fmt not in FORMATS_2D:
        raise ValueError(f"{what}: data_format must be 'NHWC' or 'NCHW', got {data_format!r}")
    return fmt


def spatial_pair(value, what, fmt, name):
    """TF's strides/dilations/ksize argument as (h, w): an int, 1, 2 or 4 numbers; in the
    4-number form the batch and channel entries must be 1."""
    if value is None:
        return (1, 1)
    vals = [value] if np.ndim(value) == 0 else list(np.asarray(value).reshape(-1))
    if any(np.asarray(v).dtype.kind not in "iu" for v in vals):
        raise TypeError(f"{what}: {name} must be integers, got {value!r}")
    vals = [int(v) for v in vals]
    if len(vals) == 1:
        vals = vals * 2
    elif len(vals) == 4:
        outer = (vals[0], vals[3]) if fmt == "NHWC" else (vals[0], vals[1])
        if outer != (1, 1):
            raise ValueError(f"{what}: {name} {vals} must be 1 in the batch and channel "
                             f"dimensions ({fmt} layout)")
        vals = vals[1:3] if fmt == "NHWC" else vals[2:4]
    elif len(vals) != 2:
        raise ValueError(f"{what}: {name} must be an int or a list of 1, 2 or 4 ints, got "
                         f"{value!r}")
    if min(vals) < 1:
        raise ValueError(f"{what}: {name} must be >= 1, got {value!r}")
    return tuple(vals)


def width_arg(value, fmt, what, name):
    """A 1-D window argument (an int, [k] or [1, k, 1] in NWC/NCW order) as the (1, k) of the
    equivalent 2-D op over a height of 1; None stays None."""
    if value is None:
        return None
    vals = [value] if np.ndim(value) == 0 else list(np.asarray(value).reshape(-1))
    if len(vals) == 3:
        outer = (vals[0], vals[2]) if fmt == "NWC" else (vals[0], vals[1])
        if tuple(outer) != (1, 1):
            raise ValueError(f"{what}: {name} {vals} must be 1 in the batch and channel "
                             "dimensions")
        vals = [vals[1] if fmt == "NWC" else vals[2]]
    if len(vals) != 1:
        raise ValueError(f"{what}: {name} must be an int or a list of 1 or 3 ints, got "
                         f"{value!r}")
    return [1, vals[0]]


def padding_arg(padding, what, fmt, explicit_ok=True):
    """'SAME', 'VALID' or (explicit) ((top, bottom), (left, right)) from TF's argument: a string
    or four [before, after] pairs in data_format order (zeros for batch and channels)."""
    if isinstance(padding, str):
        p = padding.upper()
        if p in ("SAME", "VALID"):
            return p
        raise ValueError(f"{what}: padding must be 'SAME', 'VALID' or a list of pairs, got "
                         f"{padding!r}")
    if not explicit_ok:
        raise ValueError(f"{what}: padding must be 'SAME' or 'VALID', got {padding!r}")
    try:
        pairs = np.asarray(padding)
    except ValueError:
        pairs = np.zeros(0)
    if pairs.shape != (4, 2) or pairs.dtype.kind not in "iu":
        raise ValueError(f"{what}: explicit padding must be 4 [before, after] pairs of ints in "
                         f"{fmt} order, got {padding!r}")
    outer = (0, 3) if fmt == "NHWC" else (0, 1)
    if pairs[list(outer)].any():
        raise ValueError(f"{what}: explicit padding {pairs.tolist()} must be [0, 0] for the "
                         f"batch and channel dimensions ({fmt} layout)")
    if (pairs < 0).any():
        raise ValueError(f"{what}: explicit padding must be >= 0, got {pairs.tolist()}")
    h, w = (1, 2) if fmt == "NHWC" else (2, 3)
    return ((int(pairs[h, 0]), int(pairs[h, 1])), (int(pairs[w, 0]), int(pairs[w, 1])))


def check_window_attrs(attrs):
    """Validate the canonical attrs an op receives (public functions produce them)."""
    if attrs.get("data_format") not in FORMATS_2D:
        raise ValueError(f"data_format must be 'NHWC' or 'NCHW', got {attrs.get('data_format')!r}")
    for key in ("strides", "dilations", "ksize"):
        v = attrs.get(key, (1, 1))
        if len(v) != 2 or min(v) < 1:
            raise ValueError(f"{key} must be two ints >= 1, got {v!r}")
    pad = attrs.get("padding")
    if pad not in ("SAME", "VALID") and (
            not isinstance(pad, tuple) or len(pad) != 2 or any(len(p) != 2 for p in pad)):
        raise ValueError(f"padding must be 'SAME', 'VALID' or ((top, bottom), (left, right)), "
                         f"got {pad!r}")


# -- Geometry -----------------------------------------------------------------------------------


def axis_geometry(size, k, stride, dilation, padding):
    """(output size, pad before, pad after) along one spatial axis, with TF's arithmetic: SAME
    gives ceil(size / stride) outputs and puts the odd pad after (bottom/right)."""
    eff = (k - 1) * dilation + 1
    if padding == "VALID":
        return (size - eff) // stride + 1, 0, 0
    if padding == "SAME":
        out = -(-size // stride)
        total = max((out - 1) * stride + eff - size, 0)
        return out, total // 2, total - total // 2
    lo, hi = padding
    return (size + lo + hi - eff) // stride + 1, lo, hi


def _axis_pad(padding, axis):
    return padding if isinstance(padding, str) else padding[axis]


def _checked_axis(hw, khw, attrs, ax):
    strides, dil = attrs["strides"], attrs.get("dilations", (1, 1))
    pad = _axis_pad(attrs["padding"], ax)
    out, lo, hi = axis_geometry(hw[ax], khw[ax], strides[ax], dil[ax], pad)
    if out < 1:
        eff = (khw[ax] - 1) * dil[ax] + 1
        side = "height" if ax == 0 else "width"
        kind = pad if isinstance(pad, str) else "EXPLICIT"
        raise ValueError(f"the window ({khw[0]}x{khw[1]}, dilations {tuple(dil)}: {eff} along "
                         f"the {side}) is larger than the input {side} {hw[ax]} padded by "
                         f"{lo + hi} ({kind} padding)")
    return out, (lo, hi)


def geometry(hw, khw, attrs):
    """((Ho, Wo), ((top, bottom), (left, right))) for concrete sizes; ValueError when the
    (dilated) window does not fit the padded input."""
    (ho, ph), (wo, pw) = (_checked_axis(hw, khw, attrs, ax) for ax in range(2))
    return (ho, wo), (ph, pw)


def static_out_hw(hw, khw, attrs):
    """The output (Ho, Wo) at build time, None where an input or window size is unknown."""
    return tuple(None if hw[ax] is None or khw[ax] is None
                 else _checked_axis(hw, khw, attrs, ax)[0] for ax in range(2))


# -- Layouts ------------------------------------------------------------------------------------


def nhwc_dims(shape, fmt):
    """(N, H, W, C) of a static TensorShape dims tuple given in `fmt`."""
    return tuple(shape) if fmt == "NHWC" else (shape[0], shape[2], shape[3], shape[1])


def from_nhwc_dims(dims, fmt):
    n, h, w, c = dims
    return (n, h, w, c) if fmt == "NHWC" else (n, c, h, w)


def to_nhwc(x, fmt):
    """A view of `x` in NHWC order."""
    return x if fmt == "NHWC" else x.transpose(0, 2, 3, 1)


def from_nhwc(y, fmt):
    """`y` (NHWC) in the op's layout, contiguous."""
    return y if fmt == "NHWC" else np.ascontiguousarray(y.transpose(0, 3, 1, 2))


# -- im2col / col2im ----------------------------------------------------------------------------


def padded(x, pads, fill=0):
    """`x` (NHWC) with `pads` rows/columns of `fill` around its spatial dimensions."""
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    n, h, w, c = x.shape
    out = np.empty((n, h + pt + pb, w + pl + pr, c), x.dtype)
    out[:, :pt] = fill
    out[:, pt + h:] = fill
    out[:, pt:pt + h, :pl] = fill
    out[:, pt:pt + h, pl + w:] = fill
    out[:, pt:pt + h, pl:pl + w] = x
    return out


def patches(xp, khw, strides, dilations, out_hw):
    """A read-only (N, Ho, Wo, kh, kw, C) strided view of the padded NHWC input `xp`: entry
    [n, i, j, a, b] is the window element (a, b) of output position (i, j)."""
    n, _, _, c = xp.shape
    s0, s1, s2, s3 = xp.strides
    return as_strided(xp, (n, out_hw[0], out_hw[1], khw[0], khw[1], c),
                      (s0, s1 * strides[0], s2 * strides[1], s1 * dilations[0],
                       s2 * dilations[1], s3), writeable=False)


def offset_slices(khw, strides, dilations, out_hw):
    """For each kernel offset (a, b): the (rows, cols) slices of the padded input it reads."""
    out = []
    for a in range(khw[0]):
        r0 = a * dilations[0]
        rows = slice(r0, r0 + (out_hw[0] - 1) * strides[0] + 1, strides[0])
        for b in range(khw[1]):
            c0 = b * dilations[1]
            out.append(((a, b), rows, slice(c0, c0 + (out_hw[1] - 1) * strides[1] + 1,
                                             strides[1])))
    return out


def col2im(dcols, in_hw, pads, strides, dilations):
    """Adjoint of `patches` followed by the crop of the padding: sums the (N, Ho, Wo, kh, kw, C)
    window gradients into an (N, H, W, C) input gradient, one strided add per kernel offset."""
    n, ho, wo, kh, kw, c = dcols.shape
    (pt, pb), (pl, pr) = pads
    dxp = np.zeros((n, in_hw[0] + pt + pb, in_hw[1] + pl + pr, c), dcols.dtype)
    for (a, b), rows, cols in offset_slices((kh, kw), strides, dilations, (ho, wo)):
        dxp[:, rows, cols] += dcols[:, :, :, a, b]
    return dxp[:, pt:pt + in_hw[0], pl:pl + in_hw[1]]
