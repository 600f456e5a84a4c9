"""Linear algebra: einsum (any number of operands, `...` broadcasting, repeated labels),
tensordot, trace, matrix_transpose, norm, and square-matrix inverse, determinant, slogdet and
solve over batches. `tf.linalg` is this module."""
import functools
import string

import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.shapes import TensorShape

from .array import _any, broadcast_like, expand_dims, eye, reshape, shape, static_ints
from .array import transpose as _transpose
from .base import apply, as_tensor, binary_operands, declare
from .math import matmul  # noqa: F401  (tf.linalg.matmul; eye too)

# -- Equation parsing ----------------------------------------------------------------------------


def _parse(equation, ranks):
    """(input label strings, output label string) with `...` spelled out as fresh letters,
    right-aligned across operands; `ranks` are the operands' ranks (None: unknown)."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ranks):
        raise ValueError(f"equation {equation!r} has {len(terms)} operand terms but "
                         f"{len(ranks)} operands were given")
    for t in terms + ([out] if arrow else []):
        if any(c not in string.ascii_letters for c in t.replace("...", "")):
            raise ValueError(f"invalid einsum equation {equation!r}: labels must be letters")
    free = [c for c in string.ascii_letters if c not in eq]
    ell_ranks = []
    for t, r in zip(terms, ranks):
        if "..." not in t:
            if r is not None and r != len(t):
                raise ValueError(f"term {t!r} of {equation!r} has {len(t)} labels for an "
                                 f"operand of rank {r}")
            ell_ranks.append(0)
            continue
        if r is None:
            raise ValueError(f"einsum with '...' needs operands of known rank ({equation!r})")
        n = r - (len(t) - 3)
        if n < 0:
            raise ValueError(f"term {t!r} of {equation!r} has more labels than the operand's "
                             f"rank {r}")
        ell_ranks.append(n)
    width = max(ell_ranks)
    ell = "".join(free[:width])
    terms = [t.replace("...", ell[width - n:]) for t, n in zip(terms, ell_ranks)]
    if not arrow:
        counts = {c: "".join(terms).count(c) for c in "".join(terms)}
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    else:
        if width and "..." not in out:
            raise ValueError(f"the output of {equation!r} needs '...' for the operands' "
                             "broadcast dimensions")
        out = out.replace("...", ell)
    if len(set(out)) != len(out) or any(c not in "".join(terms) for c in out):
        raise ValueError(f"output labels of {equation!r} must be distinct and appear in an "
                         "input")
    return terms, out, set(ell)


def _label_sizes(terms, shapes, ell, equation):
    """Static size of each label (None: unknown); ValueError for a certain mismatch. Only the
    `...` labels broadcast (size 1 against n)."""
    seen = {}
    for t, s in zip(terms, shapes):
        for p, c in enumerate(t):
            seen.setdefault(c, []).append(None if s.dims is None else s.dims[p])
    sizes = {}
    for c, dims in seen.items():
        known = {d for d in dims if d is not None and (d != 1 or c not in ell)}
        if len(known) > 1:
            raise ValueError(f"label {c!r} of {equation!r} has sizes {sorted(known)} (shapes "
                             f"{[str(x) for x in shapes]})")
        sizes[c] = known.pop() if known else (1 if None not in dims else None)
    return sizes


# -- Einsum --------------------------------------------------------------------------------------


def _einsum_spec(inputs, attrs):
    if any(t.dtype is not inputs[0].dtype for t in inputs):
        raise TypeError(f"operands must have one dtype, got {[t.dtype.name for t in inputs]}")
    shapes = [t.shape for t in inputs]
    terms, out, ell = _parse(attrs["equation"], [s.ndims for s in shapes])
    ell = attrs["broadcast"] = frozenset(ell | set(attrs.get("broadcast", ())))
    sizes = _label_sizes(terms, shapes, ell, attrs["equation"])
    attrs["canonical"] = ",".join(terms) + "->" + out
    # Operand positions whose static size is 1: the only places broadcasting may happen.
    attrs["ones"] = frozenset((i, p) for i, s in enumerate(shapes) if s.dims is not None
                              for p, d in enumerate(s.dims) if d == 1)
    return [([sizes.get(c) for c in out], inputs[0].dtype)]


def _einsum_kernel(attrs, *xs):
    eq = attrs.get("canonical")
    if eq is None:
        terms, out, _ = _parse(attrs["equation"], [x.ndim for x in xs])
        eq = ",".join(terms) + "->" + out
    terms = eq.split("->")[0].split(",")
    full = {}
    for t, x in zip(terms, xs):
        for c, d in zip(t, x.shape):
            full[c] = d if full.get(c, 1) == 1 else full[c]
    ones = attrs.get("ones")
    for i, (t, x) in enumerate(zip(terms, xs)):
        for p, (c, d) in enumerate(zip(t, x.shape)):
            if d != full[c] and (d != 1 or (ones is not None and (i, p) not in ones)):
                raise InvalidArgumentError(
                    f"einsum {attrs['equation']!r}: label {c!r} has sizes {d} and {full[c]} "
                    f"(shapes {[list(a.shape) for a in xs]}); only dimensions known to be 1 "
                    "when the graph is built may broadcast")
    return np.einsum(eq, *xs, optimize=len(xs) > 1)


def _operand_grad(op, g, i):
    """d(out)/d(operand i): einsum of g with the other operands onto i's labels; labels only i
    has (summed away) or that i broadcasts come back as size 1 and are broadcast; repeated
    labels (diagonals) are masked with an identity matrix."""
    eq = op.attrs["canonical"]
    terms, out = eq.split("->")[0].split(","), eq.split("->")[1]
    x = op.inputs[i]
    a = terms[i]
    others = [j for j in range(len(terms)) if j != i]
    avail = set(out).union(*[terms[j] for j in others])
    dims = x.shape.dims or (None,) * len(a)
    kept = []
    for p, c in enumerate(a):
        if c not in kept and c in avail and dims[p] != 1:
            kept.append(c)
    t = apply("Einsum", [g] + [op.inputs[j] for j in others],
              {"equation": ",".join([out] + [terms[j] for j in others]) + "->" + "".join(kept),
               "broadcast": op.attrs["broadcast"]})
    seen, repeats = set(), []
    for p, c in enumerate(a):  # a size-1 axis wherever a's layout has no axis of t yet
        if c in kept and c not in seen:
            seen.add(c)
            continue
        t = expand_dims(t, p)
        if a.index(c) < p:
            repeats.append((a.index(c), p))
    for first, p in repeats:  # a repeated label: only its diagonal gets gradient
        n = dims[first] if dims[first] is not None else shape(x)[first]
        mask = eye(n, dtype=x.dtype)
        for ax in [0] * first + [first + 1] * (p - first - 1) + [-1] * (len(a) - p - 1):
            mask = expand_dims(mask, ax)
        t = t * mask
    return broadcast_like(t, x)


def _einsum_grad(op, grads, needed):
    return [_operand_grad(op, grads[0], i) if need else None for i, need in enumerate(needed)]


def _einsum_samples():
    cases = [("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,ij->", [(2, 3), (2, 3)]),
             ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]), ("ij->ji", [(2, 3)]),
             ("ijk->j", [(2, 3, 2)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]),
             ("iij,j->i", [(2, 2, 3), (3,)]), ("ij,k->ijk", [(2, 3), (2,)]),
             ("ab,bc", [(2, 3), (3, 2)]), ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)]),
             ("i...,i->...", [(3, 1, 2), (3,)]), ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)])]
    return [([_any(*s) for s in shapes], {"equation": eq}) for eq, shapes in cases]


declare("Einsum", _einsum_spec, _einsum_kernel, grad=_einsum_grad, samples=_einsum_samples)


def einsum(equation, *inputs, **kwargs):
    """Einstein summation (NumPy's notation: `'ij,jk->ik'`, `...` broadcasts, implicit output
    = the labels used once, sorted)."""
    from .math import cast
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"einsum got unexpected keyword arguments {sorted(kwargs)}")
    if not inputs:
        raise ValueError("einsum needs at least one operand")
    xs = [as_tensor(x) for x in inputs]
    dt = functools.reduce(_dt.promote, [x.dtype for x in xs])
    xs = [x if x.dtype is dt else cast(x, dt) for x in xs]
    return apply("Einsum", xs, {"equation": str(equation)}, name=name)


# -- tensordot, trace, matrix_transpose ----------------------------------------------------------


def tensordot(a, b, axes, name=None):
    """Sum over `axes` of a and b: an int n (a's last n with b's first n) or a pair of axis
    lists; the result has a's free axes followed by b's."""
    a, b = binary_operands(a, b, "tensordot")
    ra, rb = a.shape.ndims, b.shape.ndims
    if ra is None or rb is None:
        raise ValueError(f"tensordot needs operands of known rank, got {a.shape} and {b.shape}")
    if isinstance(axes, (list, tuple)) and len(axes) == 2:
        axa, axb = static_ints(axes[0], "axes"), static_ints(axes[1], "axes")
    else:
        n = static_ints(axes, "axes")
        if len(n) != 1 or not 0 <= n[0] <= min(ra, rb):
            raise ValueError(f"axes must be an int in [0, {min(ra, rb)}] or a pair of lists, "
                             f"got {axes!r}")
        axa, axb = list(range(ra - n[0], ra)), list(range(n[0]))
    if len(axa) != len(axb):
        raise ValueError(f"axes lists must have one length, got {axa} and {axb}")
    letters = iter(string.ascii_letters)
    la = [next(letters) for _ in range(ra)]
    lb = [next(letters) for _ in range(rb)]
    for i, j in zip(axa, axb):
        for ax, r in ((i, ra), (j, rb)):
            if not -r <= ax < r:
                raise ValueError(f"axis {ax} is out of range for rank {r}")
        da, db = a.shape.dims[i], b.shape.dims[j]
        if da is not None and db is not None and da != db:
            raise ValueError(f"axis {i} of a (shape {a.shape}) and axis {j} of b (shape "
                             f"{b.shape}) have sizes {da} and {db}")
        lb[j % rb] = la[i % ra]
    out = [c for c in la if c not in lb] + [c for c in lb if c not in la]
    return einsum("".join(la) + "," + "".join(lb) + "->" + "".join(out), a, b, name=name)


def trace(x, name=None):
    """Sum of the main diagonal of the last two dimensions."""
    return einsum("...ii->...", as_tensor(x), name=name)


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """`a` with its last two dimensions swapped."""
    a = as_tensor(a)
    nd = a.shape.ndims
    if nd is None or nd < 2:
        raise ValueError(f"matrix_transpose needs a tensor of known rank >= 2, got shape "
                         f"{a.shape}")
    return _transpose(a, list(range(nd - 2)) + [nd - 1, nd - 2], name=name)


transpose = matrix_transpose  # tf.linalg.transpose swaps the last two dimensions


# -- Square matrices: inverse, determinant, solve ------------------------------------------------


def _square_spec(what, outputs):
    """Shape rule of an op on a batch of square float matrices (..., n, n)."""
    def spec(inputs, attrs):
        a = inputs[0]
        if not a.dtype.is_floating or a.dtype is _dt.float16:
            raise TypeError(f"{what} needs float32 or float64 matrices, got {a.dtype.name}")
        dims = a.shape.dims
        if dims is not None and (len(dims) < 2 or None not in dims[-2:] and
                                 dims[-1] != dims[-2]):
            raise ValueError(f"{what} needs square matrices (..., n, n), got shape {a.shape}")
        return outputs(a)
    return spec


def _linalg_call(what, fn, *arrays):
    """fn(*arrays), a singular matrix reported as an InvalidArgumentError naming `what`."""
    try:
        return fn(*arrays)
    except np.linalg.LinAlgError as e:
        raise InvalidArgumentError(f"{what}: the input is not invertible ({e})") from None


def _well_conditioned(*shape):
    return _any(*shape) + 3 * np.eye(shape[-1])


def _adjointed(a, attrs):
    """a, or each matrix transposed when the op's `adjoint` attr asks for it."""
    return np.swapaxes(a, -1, -2) if attrs.get("adjoint") else a


def _inverse_grad(op, g, needed):
    """y = inv(a): da = -y^T g y^T; with adjoint, y = inv(a^T): da = -y g^T y. Written with
    matmul's transpose flags, so it needs no static rank."""
    y = op.outputs[0]
    if op.attrs["adjoint"]:
        return [-matmul(matmul(y, g[0], transpose_b=True), y)]
    return [-matmul(matmul(y, g[0], transpose_a=True), y, transpose_b=True)]


_ADJOINT_SAMPLES = [{"adjoint": False}, {"adjoint": True}]
declare("MatrixInverse", _square_spec("matrix_inverse", lambda a: [(a.shape, a.dtype)]),
        lambda attrs, a: _linalg_call("matrix_inverse", np.linalg.inv, _adjointed(a, attrs)),
        grad=_inverse_grad,
        samples=lambda: [([_well_conditioned(3, 3)], dict(a)) for a in _ADJOINT_SAMPLES] +
        [([_well_conditioned(2, 3, 3)], {"adjoint": False})])


def matrix_inverse(input, adjoint=False, name=None):  # noqa: A002  (TF's argument name)
    """The inverse of each square matrix in the last two dimensions (of its transpose with
    `adjoint`); a singular matrix raises InvalidArgumentError when run."""
    return apply("MatrixInverse", [as_tensor(input)], {"adjoint": bool(adjoint)}, name=name)


def _inverse_transposed(a):
    """inv(a)^T = inv(a^T), for the determinant gradients (any rank)."""
    return matrix_inverse(a, adjoint=True)


def _det_grad(op, g, needed):
    scale = expand_dims(expand_dims(g[0] * op.outputs[0], -1), -1)
    return [scale * _inverse_transposed(op.inputs[0])]


declare("MatrixDeterminant",
        _square_spec("matrix_determinant", lambda a: [(a.shape[:-2], a.dtype)]),
        lambda attrs, a: np.asarray(np.linalg.det(a), a.dtype), grad=_det_grad,
        samples=lambda: [([_well_conditioned(3, 3)], {}), ([_well_conditioned(2, 3, 3)], {})])


def matrix_determinant(input, name=None):  # noqa: A002
    """The determinant of each square matrix in the last two dimensions."""
    return apply("MatrixDeterminant", [as_tensor(input)], name=name)


def _slogdet_kernel(attrs, a):
    sign, logdet = np.linalg.slogdet(a)
    return np.asarray(sign, a.dtype), np.asarray(logdet, a.dtype)


def _slogdet_grad(op, g, needed):
    return [expand_dims(expand_dims(g[1], -1), -1) * _inverse_transposed(op.inputs[0])]


declare("LogMatrixDeterminant",
        _square_spec("slogdet", lambda a: [(a.shape[:-2], a.dtype)] * 2), _slogdet_kernel,
        grad=_slogdet_grad,
        samples=lambda: [([_well_conditioned(3, 3)], {}), ([_well_conditioned(2, 3, 3)], {})])


def slogdet(input, name=None):  # noqa: A002
    """(sign, log |determinant|) of each square matrix: the log-determinant without
    overflow."""
    return tuple(apply("LogMatrixDeterminant", [as_tensor(input)], name=name))


def logdet(matrix, name=None):
    """log determinant of each Hermitian positive-definite matrix."""
    return slogdet(matrix, name=name)[1]


def _solve_spec(inputs, attrs):
    a, b = inputs
    _square_spec("matrix_solve", lambda t: None)([a], attrs)
    if b.dtype is not a.dtype:
        raise TypeError(f"matrix_solve: rhs is {b.dtype.name}, the matrix {a.dtype.name}")
    if b.shape.ndims is not None and b.shape.ndims < 2:
        raise ValueError(f"matrix_solve: rhs must be (..., n, k), got shape {b.shape}")
    if a.shape.dims is not None and b.shape.dims is not None and (
            len(a.shape.dims) != len(b.shape.dims) or
            not TensorShape(a.shape.dims[:-1]).is_compatible_with(b.shape.dims[:-1])):
        raise ValueError(f"matrix_solve: matrix {a.shape} and rhs {b.shape} do not match "
                         "(the same batch dimensions, and rhs (..., n, k) for (..., n, n))")
    return [(b.shape, b.dtype)]


def _solve_kernel(attrs, a, b):
    if a.shape[:-1] != b.shape[:-1]:
        raise InvalidArgumentError(f"matrix_solve: matrix {list(a.shape)} and rhs "
                                   f"{list(b.shape)} do not match")
    return _linalg_call("matrix_solve", np.linalg.solve, _adjointed(a, attrs), b)


def _solve_grad(op, g, needed):
    """X = solve(A', B) with A' = A or A^T: dB = solve(A'^T, g), dA' = -dB X^T."""
    a, adjoint, x = op.inputs[0], op.attrs["adjoint"], op.outputs[0]
    gb = matrix_solve(a, g[0], adjoint=not adjoint)
    if not needed[0]:
        return [None, gb]
    ga = matmul(x, gb, transpose_b=True) if adjoint else matmul(gb, x, transpose_b=True)
    return [-ga, gb]


declare("MatrixSolve", _solve_spec, _solve_kernel, grad=_solve_grad,
        samples=lambda: [([_well_conditioned(3, 3), _any(3, 2)], dict(a))
                         for a in _ADJOINT_SAMPLES] +
        [([_well_conditioned(2, 3, 3), _any(2, 3, 1)], {"adjoint": False})])


def matrix_solve(matrix, rhs, adjoint=False, name=None):
    """X with matrix @ X = rhs (matrix^T @ X = rhs with `adjoint`), per matrix in a batch."""
    a, b = binary_operands(matrix, rhs, "MatrixSolve")
    return apply("MatrixSolve", [a, b], {"adjoint": bool(adjoint)}, name=name)


inv, det, solve = matrix_inverse, matrix_determinant, matrix_solve  # tf.linalg spellings


# -- norm ----------------------------------------------------------------------------------------


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None, keep_dims=None):
    """Vector norms (ord 'euclidean', a p > 0, or inf) over one axis or the whole tensor;
    matrix norms ('euclidean'/'fro', 1, inf) over a pair of axes."""
    from .math import abs as _abs
    from .math import pow as _pow
    from .math import sqrt
    from .reduction import reduce_max, reduce_sum
    keepdims = bool(keep_dims if keepdims is None else keepdims)
    x = as_tensor(tensor)
    if not x.dtype.is_floating:
        raise TypeError(f"norm expects a floating-point tensor, got {x.dtype.name}")
    axes = None if axis is None else static_ints(axis, "axis")
    matrix = axes is not None and len(axes) == 2
    if axes is not None and len(axes) not in (1, 2):
        raise ValueError(f"axis must be None, an int or a pair of ints, got {axis!r}")
    if matrix:
        nd = x.shape.ndims
        if nd is not None and (axes[0] % nd) == (axes[1] % nd):
            raise ValueError(f"axis must name two distinct dimensions, got {axes}")
        if ord not in ("euclidean", "fro", 1, np.inf):
            raise ValueError(f"'ord' must be a supported matrix norm in ['euclidean', 'fro', "
                             f"1, inf], got {ord!r}")
    elif ord == "fro" or not (ord == "euclidean" or (
            isinstance(ord, (int, float)) and not isinstance(ord, bool) and ord > 0)):
        raise ValueError(f"'ord' must be a supported vector norm ('euclidean', a number > 0 "
                         f"or inf), got {ord!r}")
    if ord in ("euclidean", "fro") or (not matrix and ord == 2):
        out = sqrt(reduce_sum(x * x, axes, keepdims=True))
    elif matrix:  # 1: largest column sum, inf: largest row sum
        s_ax, m_ax = (axes[0], axes[1]) if ord == 1 else (axes[1], axes[0])
        out = reduce_max(reduce_sum(_abs(x), s_ax, keepdims=True), m_ax, keepdims=True)
    elif ord == np.inf:
        out = reduce_max(_abs(x), axes, keepdims=True)
    elif ord == 1:
        out = reduce_sum(_abs(x), axes, keepdims=True)
    else:
        out = _pow(reduce_sum(_pow(_abs(x), ord), axes, keepdims=True), 1.0 / ord)
    if not keepdims:
        from .array import squeeze
        out = squeeze(out, axes) if axes is not None else reshape(out, [])
    if name is not None:
        from .array import identity
        out = identity(out, name=name)
    return out


__all__ = ["einsum", "matrix_determinant", "matrix_inverse", "matrix_solve", "matrix_transpose",
           "norm", "tensordot", "trace"]
