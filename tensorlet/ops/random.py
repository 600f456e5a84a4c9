"""Random ops and seeding with TF 1.x semantics: graph seed + op seed make runs repeatable.

Each random op draws from its own stream in the running Session (RunContext.rng_for): the same
seeds give the same sequence in every new Session and in every freshly built identical graph.
Random ops have no gradient; the composites (mean + stddev * noise) differentiate in their
mean and stddev like TF's.
"""
import numpy as np

from tensorlet.framework import dtypes as _dt
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.graph import Tensor, get_default_graph, name_scope
from tensorlet.framework.shapes import TensorShape

from .base import apply, as_tensor, declare

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2**31 - 1


# -- Seeds ----------------------------------------------------------------------------------


def set_random_seed(seed):
    """Set the default graph's seed: later random ops without an op seed become repeatable."""
    get_default_graph().seed = None if seed is None else int(seed)


def op_seeds(seed=None, graph=None):
    """The (seed, seed2) pair of a new random op under TF 1.x's rule.

    Graph seed set: (graph seed, op seed or the op's index in the graph). Only an op seed:
    (87654321, op seed). Neither: (None, None), a nondeterministic stream. Call it right before
    creating the op so the index is the op's own.
    """
    g = graph if graph is not None else get_default_graph()
    if g.seed is not None:
        op_seed = len(g._ops) if seed is None else int(seed)
        seeds = (int(g.seed) % _MAXINT32, op_seed % _MAXINT32)
    elif seed is not None:
        seeds = (DEFAULT_GRAPH_SEED, int(seed) % _MAXINT32)
    else:
        return None, None
    # (0, 0) means "nondeterministic" to TF's kernels; TF maps it away, and so do we.
    return (0, _MAXINT32) if seeds == (0, 0) else seeds


# -- Shared rules -----------------------------------------------------------------------------


def fully_defined_dims(shape, what="shape"):
    """`shape` (a list or TensorShape) as a list of ints; a ValueError naming `what` when it is
    not a shape or has unknown dimensions (shared with tensorlet.initializers)."""
    try:
        dims = TensorShape(shape).as_list()
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what} must be a list of non-negative ints, got {shape!r}: {e}") \
            from None
    if any(d is None for d in dims):
        raise ValueError(f"{what} must be fully defined, got {shape!r}")
    return dims


def _shape_input(shape):
    """An int32/int64 1-D tensor for a shape given as a list, TensorShape or tensor."""
    if hasattr(shape, "dtype") and not isinstance(shape, np.ndarray):
        t = as_tensor(shape)
        if t.dtype not in (_dt.int32, _dt.int64) or t.shape.ndims not in (None, 1):
            raise TypeError(f"shape must be a 1-D int32/int64 tensor, got {t.dtype.name} "
                            f"{t.shape}")
        return t
    dims = fully_defined_dims(shape)
    from .array import constant
    # int64 when a dimension does not fit int32 (e.g. Dense(10**12)), so that the size guard
    # (framework/limits.py) reports the absurd shape instead of an OverflowError here
    wide = any(d > np.iinfo(np.int32).max for d in dims)
    return constant(np.asarray(dims, dtype=np.int64 if wide else np.int32).reshape(-1),
                    name="shape")


def _static_shape(shape_tensor):
    """The output shape a shape tensor describes, with None where only known at run time."""
    v = shape_tensor.constant_value()
    if v is not None:
        return TensorShape([int(d) for d in np.asarray(v).reshape(-1)])
    n = shape_tensor.shape[0] if shape_tensor.shape.ndims == 1 else None
    return TensorShape(None if n is None else [None] * n)


def _dims(shape_array):
    dims = tuple(int(d) for d in np.asarray(shape_array).reshape(-1))
    if any(d < 0 for d in dims):
        raise InvalidArgumentError(f"shape must be non-negative, got {list(dims)}")
    return dims


def _float_dtype(dtype, what):
    dt = _dt.as_dtype(dtype)
    if not dt.is_floating:
        raise ValueError(f"{what}: dtype must be a floating-point type, got {dt.name}")
    return dt


class StatelessSeed(tuple):
    """The `seed` of a stateless draw: a pair of ints that fixes the numbers of every run."""


def stateless_seed(seed):
    """`seed` (a shape-[2] list, tuple, array or constant tensor of ints) as a StatelessSeed; a
    clear error for anything else (a seed known only at run time too)."""
    if isinstance(seed, StatelessSeed):
        return seed
    if isinstance(seed, Tensor) and not getattr(seed, "_eager", False):
        value = seed.constant_value()
        if value is None:
            raise TypeError(f"seed must be known when the op is built (ints, or a constant "
                            f"tensor); got the tensor {seed.name!r}, whose value is only known "
                            "at run time (a fed or computed seed, or a tf.function argument)")
        seed = value
    arr = np.asarray(seed)
    if arr.shape != (2,) or arr.dtype.kind not in "iu":
        raise ValueError(f"seed must have shape [2] and an integer dtype, got shape "
                         f"{list(arr.shape)} and dtype {arr.dtype}: {seed!r}")
    return StatelessSeed(int(v) % 2**63 for v in arr)


def _seed_attrs(seed, **attrs):
    if isinstance(seed, StatelessSeed):
        attrs.update(seed=seed[0], seed2=seed[1], stateless=True)
        return attrs
    s, s2 = op_seeds(seed)
    attrs.update(seed=s, seed2=s2)
    return attrs


def _shaped_spec(inputs, attrs):
    return [(_static_shape(inputs[0]), attrs["dtype"])]


def _draw(fn):
    """A kernel drawing `fn(gen, dims, np_dtype)` in float32/float64 (float16 via float32)."""
    def kernel(ctx, attrs, shape):
        np_dt = attrs["dtype"].np
        work = np_dt if np_dt in (np.float32, np.float64) else np.dtype(np.float32)
        out = fn(ctx.rng_for(attrs), _dims(shape), work)
        return out if out.dtype == np_dt else out.astype(np_dt)
    return kernel


def _truncated(gen, dims, dt):
    """Standard normal values, each beyond two standard deviations drawn again (as TF)."""
    x = gen.standard_normal(dims, dtype=dt)
    bad = np.abs(x) > 2
    while bad.any():
        x[bad] = gen.standard_normal(int(bad.sum()), dtype=dt)
        bad = np.abs(x) > 2
    return x


declare("RandomStandardNormal", _shaped_spec,
        _draw(lambda gen, dims, dt: gen.standard_normal(dims, dtype=dt)), stateful=True)
declare("TruncatedNormal", _shaped_spec, _draw(_truncated), stateful=True)
_draw_uniform = _draw(lambda gen, dims, dt: gen.random(dims, dtype=dt))


def _uniform_kernel(ctx, attrs, shape):
    """Uniform draws in [0, 1); float16 ones are drawn in float32, and the few that round up
    to 1 become the largest float16 below 1."""
    out = _draw_uniform(ctx, attrs, shape)
    if out.dtype == np.float16:
        np.minimum(out, np.nextafter(np.float16(1), np.float16(0)), out=out)
    return out


declare("RandomUniform", _shaped_spec, _uniform_kernel, stateful=True)


def _uniform_int_spec(inputs, attrs):
    shape, lo, hi = inputs
    for t, what in ((lo, "minval"), (hi, "maxval")):
        if t.dtype is not attrs["dtype"] or t.shape.ndims not in (None, 0):
            raise ValueError(f"{what} must be a {attrs['dtype'].name} scalar, got "
                             f"{t.dtype.name} {t.shape}")
    a, b = lo.constant_value(), hi.constant_value()
    if a is not None and b is not None and not a < b:
        raise ValueError(f"Need minval < maxval, got {a} >= {b}")
    return [(_static_shape(shape), attrs["dtype"])]


def _uniform_int_kernel(ctx, attrs, shape, lo, hi):
    if not lo < hi:
        raise InvalidArgumentError(f"Need minval < maxval, got {lo} >= {hi}")
    return ctx.rng_for(attrs).integers(lo, hi, _dims(shape), dtype=attrs["dtype"].np)


declare("RandomUniformInt", _uniform_int_spec, _uniform_int_kernel, stateful=True)


# -- Public random tensors --------------------------------------------------------------------


def _scaled_normal(op_type, what, shape, mean, stddev, dtype, seed, name):
    """mean + stddev * (a standard normal draw of `op_type`), under the name scope `what`."""
    dt = _float_dtype(dtype, what)
    with name_scope(name, what) as scope:
        shape_t = _shape_input(shape)
        mean_t, std_t = as_tensor(mean, dt), as_tensor(stddev, dt)
        rnd = apply(op_type, [shape_t], _seed_attrs(seed, dtype=dt))
        from .math import add, multiply
        return add(multiply(rnd, std_t, name="mul"), mean_t, name=scope)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    """Values from a normal distribution: mean + stddev * N(0, 1)."""
    return _scaled_normal("RandomStandardNormal", "random_normal", shape, mean, stddev, dtype,
                          seed, name)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    """A normal distribution cut at two standard deviations (values beyond are drawn again)."""
    return _scaled_normal("TruncatedNormal", "truncated_normal", shape, mean, stddev, dtype,
                          seed, name)


def random_uniform(shape, minval=0, maxval=None, dtype=_dt.float32, seed=None, name=None):
    """Uniform values in [minval, maxval): maxval defaults to 1 for floats, ints need one."""
    dt = _dt.as_dtype(dtype)
    if not (dt.is_floating or dt in (_dt.int32, _dt.int64)):
        raise ValueError(f"random_uniform: dtype must be a float type, int32 or int64, got "
                         f"{dt.name}")
    if maxval is None:
        if dt.is_integer:
            raise ValueError(f"Must specify maxval for integer dtype {dt.name}")
        maxval = 1
    with name_scope(name, "random_uniform") as scope:
        shape_t = _shape_input(shape)
        lo, hi = as_tensor(minval, dt), as_tensor(maxval, dt)
        if dt.is_integer:
            return apply("RandomUniformInt", [shape_t, lo, hi], _seed_attrs(seed, dtype=dt),
                         name=scope)
        rnd = apply("RandomUniform", [shape_t], _seed_attrs(seed, dtype=dt))
        from .math import add, multiply, subtract
        return add(multiply(rnd, subtract(hi, lo), name="mul"), lo, name=scope)


# -- Shuffle ----------------------------------------------------------------------------------


def _shuffle_kernel(ctx, attrs, x):
    if x.ndim == 0:
        return x
    return x[ctx.rng_for(attrs).permutation(x.shape[0])]


declare("RandomShuffle", lambda inputs, attrs: [(inputs[0].shape, inputs[0].dtype)],
        _shuffle_kernel, stateful=True)


def random_shuffle(value, seed=None, name=None):
    """`value` with its first dimension randomly permuted."""
    value = as_tensor(value)
    return apply("RandomShuffle", [value], _seed_attrs(seed), name=name)


# -- Categorical sampling -----------------------------------------------------------------------


def _multinomial_spec(inputs, attrs):
    logits, n = inputs
    if not logits.dtype.is_floating or logits.shape.ndims not in (None, 2):
        raise ValueError(f"logits must be a 2-D float tensor [batch, classes], got "
                         f"{logits.dtype.name} {logits.shape}")
    if not n.dtype.is_integer or n.shape.ndims not in (None, 0):
        raise ValueError(f"num_samples must be an integer scalar, got {n.dtype.name} {n.shape}")
    nv = n.constant_value()
    if nv is not None and nv < 0:
        raise ValueError(f"num_samples must be >= 0, got {nv}")
    batch = logits.shape[0] if logits.shape.ndims == 2 else None
    return [((batch, None if nv is None else int(nv)), attrs["output_dtype"])]


def _multinomial_kernel(ctx, attrs, logits, n):
    n = int(n)
    if n < 0:
        raise InvalidArgumentError(f"num_samples must be >= 0, got {n}")
    out = np.empty((logits.shape[0], n), dtype=attrs["output_dtype"].np)
    if out.size == 0:
        return out
    if logits.shape[1] == 0:
        raise InvalidArgumentError("logits must have at least one class")
    lg = logits.astype(np.float64)
    top = lg.max(axis=1, keepdims=True)
    bad = ~np.isfinite(top[:, 0])
    if bad.any():
        raise InvalidArgumentError(f"logits row {int(np.argmax(bad))} has no finite maximum "
                                   "(all -inf, or NaN/+inf present)")
    cdf = np.cumsum(np.exp(lg - top), axis=1)
    u = ctx.rng_for(attrs).random((lg.shape[0], n)) * cdf[:, -1:]
    last = lg.shape[1] - 1
    for r in range(lg.shape[0]):
        out[r] = np.minimum(np.searchsorted(cdf[r], u[r], side="right"), last)
    return out


declare("Multinomial", _multinomial_spec, _multinomial_kernel, stateful=True)


def multinomial(logits, num_samples, seed=None, name=None, output_dtype=None):
    """`num_samples` class indices per row of `logits` ([batch, classes], unnormalised)."""
    dt = _dt.as_dtype(output_dtype) if output_dtype is not None else _dt.int64
    if dt not in (_dt.int32, _dt.int64):
        raise ValueError(f"output_dtype must be int32 or int64, got {dt.name}")
    logits = as_tensor(logits)
    n = as_tensor(num_samples, _dt.int32) if not hasattr(num_samples, "dtype") \
        else as_tensor(num_samples)
    return apply("Multinomial", [logits, n], _seed_attrs(seed, output_dtype=dt), name=name)


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """TF 2 spelling of `multinomial`: class indices drawn from each row's softmax."""
    return multinomial(logits, num_samples, seed=seed, name=name, output_dtype=dtype)


# -- Gamma ------------------------------------------------------------------------------------


def _gamma_spec(inputs, attrs):
    shape, alpha = inputs
    if not alpha.dtype.is_floating:
        raise ValueError(f"alpha must be floating-point, got {alpha.dtype.name}")
    return [(_static_shape(shape).concatenate(alpha.shape), alpha.dtype)]


def _gamma_kernel(ctx, attrs, shape, alpha):
    if not np.all(alpha > 0):
        raise InvalidArgumentError("random_gamma: alpha must be positive (and not NaN)")
    work = alpha.dtype if alpha.dtype in (np.float32, np.float64) else np.dtype(np.float32)
    out = ctx.rng_for(attrs).standard_gamma(alpha.astype(work, copy=False),
                                            size=_dims(shape) + alpha.shape, dtype=work)
    return out if out.dtype == alpha.dtype else out.astype(alpha.dtype)


declare("RandomGamma", _gamma_spec, _gamma_kernel, stateful=True)


def random_gamma(shape, alpha, beta=None, dtype=_dt.float32, seed=None, name=None):
    """Gamma(alpha, rate=beta) samples of shape `shape + broadcast(alpha, beta).shape`."""
    dt = _float_dtype(dtype, "random_gamma")
    with name_scope(name, "random_gamma") as scope:
        shape_t = _shape_input(shape)
        alpha = as_tensor(alpha, dt)
        if beta is not None:
            from .math import add, zeros_like
            beta = as_tensor(beta, dt)
            alpha = add(alpha, zeros_like(beta))  # broadcast alpha against beta
        rnd = apply("RandomGamma", [shape_t, alpha], _seed_attrs(seed))
        if beta is None:
            from .array import identity
            return identity(rnd, name=scope)
        from .math import truediv
        return truediv(rnd, beta, name=scope)


# -- Binomial ---------------------------------------------------------------------------------


def _binomial_spec(inputs, attrs):
    shape, counts, probs = inputs
    for t, what in ((counts, "counts"), (probs, "probs")):
        if not (t.dtype.is_floating or t.dtype.is_integer):
            raise ValueError(f"{what} must be numeric, got {t.dtype.name}")
    return [(_static_shape(shape), attrs["dtype"])]


def _binomial_kernel(ctx, attrs, shape, counts, probs):
    dims = _dims(shape)
    try:
        n = np.broadcast_to(counts, dims)
        p = np.broadcast_to(probs, dims).astype(np.float64)
    except ValueError:
        raise InvalidArgumentError(f"counts {list(np.shape(counts))} and probs "
                                   f"{list(np.shape(probs))} must broadcast to the shape "
                                   f"{list(dims)}") from None
    if not (np.all(n >= 0) and np.all((p >= 0) & (p <= 1))):
        raise InvalidArgumentError("binomial: counts must be >= 0 and probs in [0, 1]")
    draws = ctx.rng_for(attrs).binomial(n.astype(np.int64), p)
    return draws.astype(attrs["dtype"].np)


declare("RandomBinomial", _binomial_spec, _binomial_kernel, stateful=True)


def random_binomial(shape, counts, probs, dtype=_dt.int32, seed=None, name=None):
    """Binomial(counts, probs) draws of exactly `shape` (counts and probs broadcast to it)."""
    dt = _dt.as_dtype(dtype)
    return apply("RandomBinomial", [_shape_input(shape), as_tensor(counts), as_tensor(probs)],
                 _seed_attrs(seed, dtype=dt), name=name)


# -- Stateless draws (TF 2's tf.random.stateless_*) ------------------------------------------
# `alg` (TF's choice of counter-based generator) is accepted and checked; a NumPy generator
# seeded with the pair draws here, so the numbers are tensorlet's own, not TF's.

_ALGS = ("auto_select", "philox", "threefry")


def _stateless(seed, alg):
    if isinstance(alg, str) and alg.lower() in _ALGS or alg in (1, 2, 3):
        return stateless_seed(seed)
    raise ValueError(f"alg must be one of {list(_ALGS)}, got {alg!r}")


def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None,
                     alg="auto_select"):
    """`random_normal` whose numbers depend on `seed` (a pair of ints) only: the same at every
    run and in every session."""
    return random_normal(shape, mean, stddev, dtype, _stateless(seed, alg), name)


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=_dt.float32,
                               name=None, alg="auto_select"):
    """`truncated_normal`, the same numbers at every run for one `seed` pair."""
    return truncated_normal(shape, mean, stddev, dtype, _stateless(seed, alg), name)


def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=_dt.float32, name=None,
                      alg="auto_select"):
    """`random_uniform` (floats, or ints with `maxval`), the same numbers at every run for one
    `seed` pair."""
    return random_uniform(shape, minval, maxval, dtype, _stateless(seed, alg), name)


def stateless_categorical(logits, num_samples, seed, dtype=_dt.int64, name=None):
    """`categorical`, the same class indices at every run for one `seed` pair."""
    return multinomial(logits, num_samples, stateless_seed(seed), name, dtype)


def stateless_binomial(shape, seed, counts, probs, output_dtype=_dt.int32, name=None):
    """Binomial(counts, probs) draws of `shape`, the same at every run for one `seed` pair."""
    return random_binomial(shape, counts, probs, output_dtype, stateless_seed(seed), name)


def stateless_gamma(shape, seed, alpha, beta=None, dtype=_dt.float32, name=None):
    """Gamma(alpha, rate=beta) samples of exactly `shape` (alpha and beta broadcast to it, as
    TF 2 asks of them), the same numbers at every run for one `seed` pair."""
    return gamma_of_shape(shape, alpha, beta, dtype, stateless_seed(seed), name)


def gamma_of_shape(shape, alpha, beta=None, dtype=_dt.float32, seed=None, name=None):
    """Gamma(alpha, rate=beta) samples of exactly `shape`, alpha and beta broadcast to it
    (where `random_gamma` puts `shape` in front of alpha's shape)."""
    dt = _float_dtype(dtype, "gamma")
    from .array import broadcast_to
    from .math import cast
    shape_t = _shape_input(shape)
    alpha = broadcast_to(cast(as_tensor(alpha), dt), shape_t)
    beta = None if beta is None else broadcast_to(cast(as_tensor(beta), dt), shape_t)
    return random_gamma([], alpha, beta, dt, seed, name)


# -- Orthogonal matrices (the orthogonal initializer) -----------------------------------------


def _orthogonal_spec(inputs, attrs):
    return [((attrs["rows"], attrs["cols"]), attrs["dtype"])]


def _orthogonal_kernel(ctx, attrs):
    """Q of the QR decomposition of a Gaussian matrix, signs fixed by diag(R) (Haar measure)."""
    rows, cols, np_dt = attrs["rows"], attrs["cols"], attrs["dtype"].np
    work = np_dt if np_dt in (np.float32, np.float64) else np.dtype(np.float32)
    a = ctx.rng_for(attrs).standard_normal((max(rows, cols), min(rows, cols)), dtype=work)
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diagonal(r))
    q = q.T if rows < cols else q
    return np.ascontiguousarray(q, dtype=np_dt)


declare("RandomOrthogonal", _orthogonal_spec, _orthogonal_kernel, stateful=True)


def random_orthogonal(rows, cols, dtype=_dt.float32, seed=None, name=None):
    """A random [rows, cols] matrix with orthonormal rows or columns (whichever are fewer)."""
    dt = _float_dtype(dtype, "random_orthogonal")
    return apply("RandomOrthogonal", [],
                 _seed_attrs(seed, rows=int(rows), cols=int(cols), dtype=dt), name=name)


set_seed = set_random_seed

__all__ = [
    "multinomial",
    "random_gamma",
    "random_normal",
    "random_shuffle",
    "random_uniform",
    "set_random_seed",
    "truncated_normal",
]
