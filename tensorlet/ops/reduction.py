"""Reductions, arg-reductions and scans: reduce_sum/mean/max/min/prod/any/all, argmax, cumsum."""
import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.shapes import TensorShape
from .array import broadcast_like, reshape, static_int, static_ints
from .base import apply, as_tensor, declare

_rng = np.random.default_rng(1)


def _norm_axis(axis, ndims, what="axis"):
    """A sorted tuple of non-negative axes, or None for all; raises for out-of-range axes."""
    if axis is None:
        return None
    axes = [int(a) for a in np.atleast_1d(np.asarray(axis)).reshape(-1)]
    if ndims is None:
        return tuple(axes)
    out = []
    for a in axes:
        if not -ndims <= a < max(ndims, 1):
            raise ValueError(f"{what} {a} is out of range for a tensor of rank {ndims}")
        out.append(a % ndims if ndims else 0)
    return tuple(sorted(set(out)))


def _reduced_shape(shape, axes, keepdims):
    if shape.ndims is None:
        return TensorShape(None)
    if axes is None:
        return TensorShape([1] * shape.ndims if keepdims else [])
    if any(a < 0 for a in axes):
        return TensorShape(None)
    return TensorShape([1 if i in axes else d for i, d in enumerate(shape.dims)
                        if keepdims or i not in axes])


def _reduce_spec(out_dtype=None):
    def spec(inputs, attrs):
        x = inputs[0]
        axes = _norm_axis(attrs["axis"], x.shape.ndims)
        attrs["axis"] = axes
        dt = out_dtype(x.dtype) if out_dtype else x.dtype
        return [(_reduced_shape(x.shape, axes, attrs["keepdims"]), dt)]
    return spec


def _keepdims_grad(op, g):
    """The output gradient reshaped to keepdims form, then broadcast to the input's shape."""
    x = op.inputs[0]
    if not op.attrs["keepdims"]:
        g = apply("ExpandReduced", [g, x], {"axis": op.attrs["axis"]})
    return broadcast_like(g, x)


def _expand_reduced_kernel(attrs, g, x):
    axes = attrs["axis"] if attrs["axis"] is not None else tuple(range(x.ndim))
    return g.reshape([1 if i in axes else d for i, d in enumerate(x.shape)])


def _expand_reduced_spec(inputs, attrs):
    g, x = inputs
    return [(_reduced_shape(x.shape, attrs["axis"], True), g.dtype)]


declare("ExpandReduced", _expand_reduced_spec, _expand_reduced_kernel,
        grad=lambda op, g, n: [reshape(g[0], _shape_of(op.inputs[0])), None],
        nondiff_inputs=(1,),
        samples=lambda: [([_rng.standard_normal((3,)), np.zeros((3, 4))], {"axis": (1,)})])


def _shape_of(t):
    from .array import shape
    return shape(t)


def _samples(positive=False):
    def make():
        f = (lambda *s: _rng.uniform(0.5, 1.5, s)) if positive else \
            (lambda *s: _rng.standard_normal(s))
        return [([f(3, 4)], {"axis": None, "keepdims": False}),
                ([f(3, 4)], {"axis": (1,), "keepdims": False}),
                ([f(2, 3, 4)], {"axis": (0, 2), "keepdims": True}),
                ([f(2, 3, 4)], {"axis": (-1,), "keepdims": False})]
    return make


def _sum_kernel(attrs, x):
    return np.asarray(np.sum(x, axis=attrs["axis"], keepdims=attrs["keepdims"], dtype=x.dtype))


def _mean_kernel(attrs, x):
    if x.dtype.kind in "iu":  # TF truncates integer means toward zero
        s = np.sum(x, axis=attrs["axis"], keepdims=attrs["keepdims"], dtype=np.int64)
        n = x.size // max(np.size(s), 1) if x.size else 1
        return np.asarray(np.trunc(s / max(n, 1)).astype(x.dtype))
    if x.size == 0:  # 0 / 0 = NaN over an empty axis, without NumPy's "empty slice" warning
        s = np.sum(x, axis=attrs["axis"], keepdims=attrs["keepdims"], dtype=x.dtype)
        with np.errstate(all="ignore"):
            return np.asarray(s / s.dtype.type(0))
    return np.asarray(np.mean(x, axis=attrs["axis"], keepdims=attrs["keepdims"], dtype=x.dtype))


def _extreme_kernel(np_fn, largest):
    """max/min; over an empty axis the result is the reduction's identity, as TF gives:
    -inf (or the lowest integer) for max, +inf (or the highest) for min."""
    def kernel(a, x):
        if x.size == 0:
            if x.dtype.kind == "b":
                init = not largest
            elif x.dtype.kind == "f":
                init = -np.inf if largest else np.inf
            else:
                info = np.iinfo(x.dtype)
                init = info.min if largest else info.max
            return np.asarray(np_fn(x, a["axis"], keepdims=a["keepdims"], initial=init))
        return np.asarray(np_fn(x, a["axis"], keepdims=a["keepdims"]))
    return kernel


def _mean_grad(op, g, n):
    x, y = op.inputs[0], op.outputs[0]
    count = apply("ReductionSize", [x, y])
    return [_keepdims_grad(op, g[0]) / count]


def _minmax_grad(op, g, n):
    x, y = op.inputs[0], op.outputs[0]
    from .math import cast, equal
    yb = _keepdims_grad(op, y)
    mask = cast(equal(x, yb), x.dtype)
    ties = _keepdims_grad(op, _reduce("Sum", mask, op.attrs["axis"], op.attrs["keepdims"]))
    return [_keepdims_grad(op, g[0]) * mask / ties]


def _prod_grad(op, g, n):
    return [_keepdims_grad(op, g[0]) * apply("ProdOthers", [op.inputs[0]],
                                             {"axis": op.attrs["axis"]})]


def _bool_spec(inputs, attrs):
    if not inputs[0].dtype.is_bool:
        raise TypeError(f"expected a bool input, got {inputs[0].dtype.name}")
    return _reduce_spec()(inputs, attrs)


def _numeric_spec(inputs, attrs):
    """Sums and products of bools or strings raise (NumPy would give a logical or/and)."""
    if not inputs[0].dtype.is_numeric:
        raise TypeError(f"expected a numeric input, got {inputs[0].dtype.name} (cast it with "
                        "tf.cast first)")
    return _reduce_spec()(inputs, attrs)


declare("Sum", _numeric_spec, _sum_kernel,
        grad=lambda op, g, n: [_keepdims_grad(op, g[0])], samples=_samples())
declare("Mean", _numeric_spec, _mean_kernel, grad=_mean_grad, samples=_samples())
declare("Max", _reduce_spec(), _extreme_kernel(np.max, True), grad=_minmax_grad,
        samples=_samples())
declare("Min", _reduce_spec(), _extreme_kernel(np.min, False), grad=_minmax_grad,
        samples=_samples())
declare("Prod", _numeric_spec,
        lambda a, x: np.asarray(np.prod(x, a["axis"], keepdims=a["keepdims"], dtype=x.dtype)),
        grad=_prod_grad, samples=_samples())
declare("Any", _bool_spec, lambda a, x: np.asarray(np.any(x, a["axis"], keepdims=a["keepdims"])))
declare("All", _bool_spec, lambda a, x: np.asarray(np.all(x, a["axis"], keepdims=a["keepdims"])))


def _size_ratio_spec(inputs, attrs):
    return [((), inputs[0].dtype)]


declare("ReductionSize", _size_ratio_spec,
        lambda attrs, x, y: np.asarray(x.size // max(y.size, 1), dtype=x.dtype))


def _prod_others_kernel(attrs, x):
    """For each element, the product of the other elements in its reduction group (zeros ok)."""
    axes = attrs["axis"] if attrs["axis"] is not None else tuple(range(x.ndim))
    rest = [i for i in range(x.ndim) if i not in axes]
    moved = np.transpose(x, rest + list(axes))
    flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,), x.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], -1), -1)[..., ::-1]
    out = (left * right).reshape(moved.shape)
    return np.transpose(out, np.argsort(rest + list(axes)))


declare("ProdOthers", lambda i, a: [(i[0].shape, i[0].dtype)], _prod_others_kernel)


def _static_axis(axis):
    """`axis` as None or a tuple of Python ints (from ints, lists or a build-time constant)."""
    return None if axis is None else tuple(static_ints(axis, "axis"))


def _reduce(op_type, x, axis, keepdims, name=None):
    x = as_tensor(x)
    return apply(op_type, [x], {"axis": _static_axis(axis), "keepdims": bool(keepdims)},
                 name=name)


def _public(op_type, doc):
    def fn(input_tensor, axis=None, keepdims=False, name=None, reduction_indices=None,
           keep_dims=None):
        if reduction_indices is not None:
            axis = reduction_indices
        if keep_dims is not None:
            keepdims = keep_dims
        return _reduce(op_type, input_tensor, axis, keepdims, name)
    fn.__name__ = "reduce_" + op_type.lower()
    fn.__doc__ = doc
    return fn


reduce_sum = _public("Sum", "Sum over `axis` (all axes when None).")
reduce_mean = _public("Mean", "Mean over `axis`; integer inputs give a truncated integer.")
reduce_max = _public("Max", "Maximum over `axis`; the gradient is split among ties.")
reduce_min = _public("Min", "Minimum over `axis`; the gradient is split among ties.")
reduce_prod = _public("Prod", "Product over `axis`.")
reduce_any = _public("Any", "Logical or over `axis`.")
reduce_all = _public("All", "Logical and over `axis`.")


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """log(sum(exp(x))) over `axis`, computed stably."""
    from .array import stop_gradient
    from .math import exp, is_finite, log, where, zeros_like
    x = as_tensor(input_tensor)
    axis = _static_axis(axis)
    m = reduce_max(x, axis, keepdims=True)
    # a slice of -inf only has max -inf and x - m = nan: shift it by 0 (its result is -inf)
    m = stop_gradient(where(is_finite(m), m, zeros_like(m)))
    out = log(reduce_sum(exp(x - m), axis, keepdims=True)) + m
    if not keepdims:
        axes = _norm_axis(axis, x.shape.ndims)
        out = apply("SqueezeReduced", [out], {"axis": axes})
    return out if name is None else _identity(out, name)


def _identity(x, name):
    from .array import identity
    return identity(x, name=name)


def _squeeze_reduced_spec(inputs, attrs):
    return [(_reduced_shape(inputs[0].shape, attrs["axis"], False), inputs[0].dtype)]


def _squeeze_reduced_kernel(attrs, x):
    axes = attrs["axis"] if attrs["axis"] is not None else tuple(range(x.ndim))
    return x.reshape([d for i, d in enumerate(x.shape) if i not in axes])


declare("SqueezeReduced", _squeeze_reduced_spec, _squeeze_reduced_kernel,
        grad=lambda op, g, n: [reshape(g[0], _shape_of(op.inputs[0]))],
        samples=lambda: [([_rng.standard_normal((3, 1))], {"axis": (1,)})])


# -- Arg reductions ---------------------------------------------------------------------------


def _arg_spec(inputs, attrs):
    x = inputs[0]
    nd = x.shape.ndims
    attrs["axis"] = _norm_axis(attrs["axis"], nd)[0] if nd else attrs["axis"]
    if nd == 0:
        raise ValueError("argmax/argmin need an input of rank >= 1")
    shape = TensorShape(None) if nd is None else \
        TensorShape([d for i, d in enumerate(x.shape.dims) if i != attrs["axis"]])
    return [(shape, attrs["output_type"])]


def _arg_kernel(np_fn):
    def kernel(a, x):
        axis = a["axis"] % max(x.ndim, 1)
        if x.shape[axis] == 0:
            raise ValueError(f"reduction axis {axis} is empty in shape {list(x.shape)}")
        return np.asarray(np_fn(x, axis=axis), dtype=a["output_type"].np)
    return kernel


declare("ArgMax", _arg_spec, _arg_kernel(np.argmax))
declare("ArgMin", _arg_spec, _arg_kernel(np.argmin))


def _arg(op_type, input, axis, dimension, output_type, name):
    axis = dimension if axis is None else axis
    return apply(op_type, [as_tensor(input)],
                 {"axis": 0 if axis is None else static_int(axis, "axis"),
                  "output_type": _dt.as_dtype(output_type)}, name=name)


def argmax(input, axis=None, name=None, dimension=None, output_type=_dt.int64):
    """Index of the largest value along `axis` (default 0), int64 as in TF."""
    return _arg("ArgMax", input, axis, dimension, output_type, name)


def argmin(input, axis=None, name=None, dimension=None, output_type=_dt.int64):
    """Index of the smallest value along `axis` (default 0), int64 as in TF."""
    return _arg("ArgMin", input, axis, dimension, output_type, name)


# -- Scans ------------------------------------------------------------------------------------


def _scan_kernel(scan, identity):
    """The kernel of a cumulative op: `scan` (np.cumsum, np.cumprod) along the axis, from the
    end with `reverse`, shifted by one (starting at `identity`) with `exclusive`."""
    def kernel(attrs, x):
        ax = attrs["axis"]
        if attrs["reverse"]:
            x = np.flip(x, ax)
        out = scan(x, axis=ax, dtype=x.dtype)
        if attrs["exclusive"] and out.shape[ax]:
            first = np.full_like(np.take(out, [0], axis=ax), identity)
            out = np.concatenate([first, np.take(out, np.arange(out.shape[ax] - 1), axis=ax)],
                                 axis=ax)
        return np.flip(out, ax) if attrs["reverse"] else out
    return kernel


def _cumsum_spec(inputs, attrs):
    x = inputs[0]
    if not x.dtype.is_numeric:
        raise TypeError(f"expected a numeric input, got {x.dtype.name} (cast it with tf.cast "
                        "first)")
    if x.shape.ndims == 0:
        raise ValueError("a cumulative sum or product needs an input of rank >= 1, got a "
                         "scalar")
    attrs["axis"] = _norm_axis(attrs["axis"], x.shape.ndims)[0]
    return [(x.shape, x.dtype)]


_SCAN_SAMPLES = [{"axis": ax, "exclusive": ex, "reverse": rv}
                 for ax in (0, 1) for ex in (False, True) for rv in (False, True)]
declare("Cumsum", _cumsum_spec, _scan_kernel(np.cumsum, 0),
        grad=lambda op, g, n: [cumsum(g[0], op.attrs["axis"], op.attrs["exclusive"],
                                      not op.attrs["reverse"])],
        samples=lambda: [([_rng.standard_normal((3, 4))], dict(a)) for a in _SCAN_SAMPLES])


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative sum along `axis` (exclusive: starts at 0; reverse: from the end)."""
    return apply("Cumsum", [as_tensor(x)], {"axis": static_int(axis, "axis"),
                                            "exclusive": bool(exclusive),
                                            "reverse": bool(reverse)}, name=name)


def _cumprod_grad(op, g, needed):
    """TF's rule: the reverse cumulative sum of y * g over x (0 where x is 0, where the
    true gradient needs the products without that entry)."""
    from .math import div_no_nan
    x, a = op.inputs[0], op.attrs
    prods = cumprod(x, a["axis"], a["exclusive"], a["reverse"])
    total = cumsum(prods * g[0], a["axis"], a["exclusive"], not a["reverse"])
    return [div_no_nan(total, x)]


declare("Cumprod", _cumsum_spec, _scan_kernel(np.cumprod, 1), grad=_cumprod_grad,
        samples=lambda: [([_rng.uniform(0.5, 1.5, (3, 4))], dict(a)) for a in _SCAN_SAMPLES])


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative product along `axis` (exclusive: starts at 1; reverse: from the end)."""
    return apply("Cumprod", [as_tensor(x)], {"axis": static_int(axis, "axis"),
                                             "exclusive": bool(exclusive),
                                             "reverse": bool(reverse)}, name=name)


def count_nonzero(input, axis=None, keepdims=False, dtype=_dt.int64, name=None):
    from .math import cast, not_equal
    return cast(reduce_sum(cast(not_equal(input, 0), _dt.int64), axis, keepdims), dtype,
                name=name)


__all__ = ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod",
           "reduce_any", "reduce_all", "reduce_logsumexp", "argmax", "argmin", "cumsum",
           "cumprod", "count_nonzero"]
