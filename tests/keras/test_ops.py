"""keras.ops: every op against NumPy (float64 references) on concrete values, where it
computes at once and returns an eager tensor; the same ops inside a layer's call build graph
ops; dtype rules Keras 3 keeps (argmax int32, mean of ints float, weak Python scalars); errors."""
import inspect

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import backend, ops

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4)).astype(np.float32)
B = rng.standard_normal((4, 5)).astype(np.float32)
P = (rng.random((3, 4)) + 0.1).astype(np.float32)  # positive
N = np.array([[3, -1, 2], [0, 5, -4]], np.int32)
V = rng.standard_normal(4).astype(np.float32)
Y = np.array([0, 2, 1], np.int32)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


A64, P64 = A.astype(np.float64), P.astype(np.float64)
SQ = A[:, :3] + 3 * np.eye(3, dtype=np.float32)  # a well-conditioned square matrix
SQ64 = SQ.astype(np.float64)
CASES = {  # name -> (keras.ops call, NumPy reference)
    "add": (lambda: ops.add(A, 2), lambda: A64 + 2),
    "subtract": (lambda: ops.subtract(A, P), lambda: A64 - P64),
    "multiply": (lambda: ops.multiply(A, P), lambda: A64 * P64),
    "divide": (lambda: ops.divide(N, 2), lambda: N / 2),
    "true_divide": (lambda: ops.true_divide(A, P), lambda: A64 / P64),
    "floor_divide": (lambda: ops.floor_divide(N, 3), lambda: N // 3),
    "mod": (lambda: ops.mod(N, 3), lambda: N % 3),
    "power": (lambda: ops.power(P, 2.5), lambda: P64 ** 2.5),
    "maximum": (lambda: ops.maximum(A, 0.1), lambda: np.maximum(A64, 0.1)),
    "minimum": (lambda: ops.minimum(A, P), lambda: np.minimum(A64, P64)),
    "negative": (lambda: ops.negative(A), lambda: -A64),
    "abs": (lambda: ops.abs(N), lambda: np.abs(N)),
    "absolute": (lambda: ops.absolute(A), lambda: np.abs(A64)),
    "square": (lambda: ops.square(A), lambda: A64 ** 2),
    "sign": (lambda: ops.sign(A), lambda: np.sign(A64)),
    "sqrt": (lambda: ops.sqrt(P), lambda: np.sqrt(P64)),
    "exp": (lambda: ops.exp(A), lambda: np.exp(A64)),
    "log": (lambda: ops.log(P), lambda: np.log(P64)),
    "log1p": (lambda: ops.log1p(P), lambda: np.log1p(P64)),
    "expm1": (lambda: ops.expm1(A), lambda: np.expm1(A64)),
    "sin": (lambda: ops.sin(A), lambda: np.sin(A64)),
    "cos": (lambda: ops.cos(A), lambda: np.cos(A64)),
    "tan": (lambda: ops.tan(A), lambda: np.tan(A64)),
    "tanh": (lambda: ops.tanh(A), lambda: np.tanh(A64)),
    "sinh": (lambda: ops.sinh(A), lambda: np.sinh(A64)),
    "cosh": (lambda: ops.cosh(A), lambda: np.cosh(A64)),
    "arcsin": (lambda: ops.arcsin(P / 3), lambda: np.arcsin(P64 / 3)),
    "arccos": (lambda: ops.arccos(P / 3), lambda: np.arccos(P64 / 3)),
    "arctan": (lambda: ops.arctan(A), lambda: np.arctan(A64)),
    "arcsinh": (lambda: ops.arcsinh(A), lambda: np.arcsinh(A64)),
    "arccosh": (lambda: ops.arccosh(P + 1), lambda: np.arccosh(P64 + 1)),
    "arctanh": (lambda: ops.arctanh(P / 3), lambda: np.arctanh(P64 / 3)),
    "arctan2": (lambda: ops.arctan2(A, np.array([[1], [-2], [0]], np.int32)),
                lambda: np.arctan2(A64, [[1], [-2], [0]])),
    "divide_no_nan": (lambda: ops.divide_no_nan(A, np.array([0, 1, 2, 0], np.float32)),
                      lambda: np.divide(A64, [0, 1, 2, 0], out=np.zeros_like(A64),
                                        where=np.array([0, 1, 2, 0]) != 0)),
    "logaddexp": (lambda: ops.logaddexp(A * 500, P * 500),
                  lambda: np.logaddexp(A64 * 500, P64 * 500)),
    "ravel": (lambda: ops.ravel(A), lambda: np.ravel(A64)),
    "map": (lambda: ops.map(lambda r: r * 2, A), lambda: A64 * 2),
    "scan": (lambda: ops.scan(lambda c, r: (c + r, c), np.zeros(4, np.float32), A,
                              reverse=True)[1],
             lambda: np.concatenate([np.cumsum(A64[::-1], 0)[::-1][1:], np.zeros((1, 4))])),
    "segment_sum": (lambda: ops.segment_sum(A, np.array([1, 0, 1])),
                    lambda: np.stack([A64[1], A64[0] + A64[2]])),
    "segment_max": (lambda: ops.segment_max(A, np.array([1, 0, 1]), num_segments=2),
                    lambda: np.stack([A64[1], np.maximum(A64[0], A64[2])])),
    "in_top_k": (lambda: ops.in_top_k(np.array([0, 3, 1]), A, 2),
                 lambda: [(A[i] > A[i, t]).sum() < 2 for i, t in enumerate([0, 3, 1])]),
    "cumprod": (lambda: ops.cumprod(P, axis=1), lambda: np.cumprod(P64, axis=1)),
    "inv": (lambda: ops.inv(SQ), lambda: np.linalg.inv(SQ64)),
    "det": (lambda: ops.det(SQ), lambda: np.linalg.det(SQ64)),
    "slogdet": (lambda: ops.slogdet(SQ)[1], lambda: np.linalg.slogdet(SQ64)[1]),
    "solve": (lambda: ops.solve(SQ, V[:3]), lambda: np.linalg.solve(SQ64, V[:3])),
    "take_along_axis": (lambda: ops.take_along_axis(A, np.array([[0, -1, 2, 1]]), axis=0),
                        lambda: np.take_along_axis(A64, np.array([[0, -1, 2, 1]]), axis=0)),
    "while_loop": (lambda: ops.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s * 2),
                                          (0, 1.5))[1], lambda: 24.0),
    "fori_loop": (lambda: ops.fori_loop(1, 5, lambda i, v: v * i, 1), lambda: 24),
    "cond": (lambda: ops.cond(np.array(False), lambda: ops.ones(2), lambda: ops.zeros(2)),
             lambda: np.zeros(2)),
    "slice": (lambda: ops.slice(A, (1, 2), (2, 2)), lambda: A64[1:3, 2:4]),
    "append": (lambda: ops.append(A, P, axis=1), lambda: np.append(A64, P64, axis=1)),
    "hstack": (lambda: ops.hstack([A, P]), lambda: np.hstack([A64, P64])),
    "vstack": (lambda: ops.vstack([V, V * 2]), lambda: np.vstack([V, V * 2])),
    "identity": (lambda: ops.identity(3), lambda: np.identity(3)),
    "outer": (lambda: ops.outer(V, N), lambda: np.outer(V, N)),
    "diff": (lambda: ops.diff(A, n=2, axis=0), lambda: np.diff(A64, n=2, axis=0)),
    "roll": (lambda: ops.roll(A, (1, -2), axis=(0, 1)), lambda: np.roll(A64, (1, -2), (0, 1))),
    "trunc": (lambda: ops.trunc(A * 3), lambda: np.trunc(A64 * 3)),
    "isclose": (lambda: ops.isclose(A, A + np.float32(1e-6) * np.arange(12).reshape(3, 4)),
                lambda: np.isclose(A, A + np.float32(1e-6) * np.arange(12).reshape(3, 4))),
    "nan_to_num": (lambda: ops.nan_to_num(np.array([np.nan, np.inf, -np.inf, 1.5]), neginf=-9),
                   lambda: np.nan_to_num(np.array([np.nan, np.inf, -np.inf, 1.5]), neginf=-9)),
    "average": (lambda: ops.average(A, axis=0, weights=[1, 2, 3]),
                lambda: np.average(A64, axis=0, weights=[1, 2, 3])),
    "floor": (lambda: ops.floor(A * 3), lambda: np.floor(A64 * 3)),
    "ceil": (lambda: ops.ceil(A * 3), lambda: np.ceil(A64 * 3)),
    "round": (lambda: ops.round(np.array([0.5, 1.5, 2.5, -0.5, 1.26], np.float32), 0),
              lambda: np.round([0.5, 1.5, 2.5, -0.5, 1.26])),
    "reciprocal": (lambda: ops.reciprocal(P), lambda: 1 / P64),
    "clip": (lambda: ops.clip(A, -0.5, 0.5), lambda: np.clip(A64, -0.5, 0.5)),
    "equal": (lambda: ops.equal(N, 2), lambda: N == 2),
    "not_equal": (lambda: ops.not_equal(N, 2), lambda: N != 2),
    "greater": (lambda: ops.greater(A, 0), lambda: A > 0),
    "greater_equal": (lambda: ops.greater_equal(N, 0), lambda: N >= 0),
    "less": (lambda: ops.less(A, P), lambda: A < P),
    "less_equal": (lambda: ops.less_equal(N, 0), lambda: N <= 0),
    "logical_and": (lambda: ops.logical_and(A > 0, P > 0.5), lambda: (A > 0) & (P > 0.5)),
    "logical_or": (lambda: ops.logical_or(A > 0, P > 0.5), lambda: (A > 0) | (P > 0.5)),
    "logical_not": (lambda: ops.logical_not(A > 0), lambda: ~(A > 0)),
    "isnan": (lambda: ops.isnan(np.array([1, np.nan, np.inf], np.float32)),
              lambda: np.array([False, True, False])),
    "isinf": (lambda: ops.isinf(np.array([1, np.nan, -np.inf], np.float32)),
              lambda: np.array([False, False, True])),
    "isfinite": (lambda: ops.isfinite(np.array([1, np.nan, np.inf], np.float32)),
                 lambda: np.array([True, False, False])),
    "where": (lambda: ops.where(A > 0, A, 0.0), lambda: np.where(A > 0, A64, 0.0)),
    "matmul": (lambda: ops.matmul(A, B), lambda: A64 @ B.astype(np.float64)),
    "dot": (lambda: ops.dot(A, V), lambda: A64 @ V.astype(np.float64)),
    "tensordot": (lambda: ops.tensordot(A, B, axes=1), lambda: A64 @ B.astype(np.float64)),
    "einsum": (lambda: ops.einsum("ij,jk->ik", A, B), lambda: A64 @ B.astype(np.float64)),
    "norm": (lambda: ops.norm(A, axis=1), lambda: np.linalg.norm(A64, axis=1)),
    "sum": (lambda: ops.sum(A, axis=(0, 1)), lambda: A64.sum()),
    "prod": (lambda: ops.prod(P, axis=0), lambda: P64.prod(axis=0)),
    "mean": (lambda: ops.mean(A, axis=1, keepdims=True), lambda: A64.mean(1, keepdims=True)),
    "var": (lambda: ops.var(A, axis=0), lambda: A64.var(axis=0)),
    "std": (lambda: ops.std(A), lambda: A64.std()),
    "max": (lambda: ops.max(A, axis=0), lambda: A64.max(axis=0)),
    "min": (lambda: ops.min(A, initial=-5.0), lambda: np.min(A64, initial=-5.0)),
    "amax": (lambda: ops.amax(N), lambda: N.max()),
    "amin": (lambda: ops.amin(N, axis=1), lambda: N.min(axis=1)),
    "any": (lambda: ops.any(N > 4, axis=1), lambda: (N > 4).any(axis=1)),
    "all": (lambda: ops.all(N > -5), lambda: (N > -5).all()),
    "logsumexp": (lambda: ops.logsumexp(A, axis=1),
                  lambda: np.log(np.exp(A64).sum(axis=1))),
    "argmax": (lambda: ops.argmax(A), lambda: np.argmax(A)),
    "argmin": (lambda: ops.argmin(A, axis=1, keepdims=True),
               lambda: np.argmin(A, axis=1)[:, None]),
    "cumsum": (lambda: ops.cumsum(N), lambda: np.cumsum(N)),
    "reshape": (lambda: ops.reshape(A, (2, -1)), lambda: A64.reshape(2, -1)),
    "transpose": (lambda: ops.transpose(A), lambda: A64.T),
    "expand_dims": (lambda: ops.expand_dims(A, 1), lambda: A64[:, None]),
    "squeeze": (lambda: ops.squeeze(A[:, :1]), lambda: A64[:, 0]),
    "concatenate": (lambda: ops.concatenate([A, P], axis=1),
                    lambda: np.concatenate([A64, P64], axis=1)),
    "stack": (lambda: ops.stack([A, P], axis=-1), lambda: np.stack([A64, P64], axis=-1)),
    "tile": (lambda: ops.tile(V, (2, 2)), lambda: np.tile(V.astype(np.float64), (2, 2))),
    "split": (lambda: ops.split(A, [1, 3], axis=1)[1], lambda: np.split(A64, [1, 3], 1)[1]),
    "take": (lambda: ops.take(A, np.array([-1, 0]), axis=1), lambda: np.take(A64, [-1, 0], 1)),
    "one_hot": (lambda: ops.one_hot(Y, 3), lambda: np.eye(3)[Y]),
    "pad": (lambda: ops.pad(A, ((1, 0), (0, 2))), lambda: np.pad(A64, ((1, 0), (0, 2)))),
    "stop_gradient": (lambda: ops.stop_gradient(A), lambda: A64),
    "convert_to_tensor": (lambda: ops.convert_to_tensor([1.5, 2.0]), lambda: np.array([1.5, 2])),
    "convert_to_numpy": (lambda: ops.convert_to_numpy(ops.add(A, 1)), lambda: A64 + 1),
    "cast": (lambda: ops.cast(A * 10, "int32"), lambda: (A * 10).astype(np.int32)),
    "zeros": (lambda: ops.zeros((2, 3)), lambda: np.zeros((2, 3))),
    "ones": (lambda: ops.ones((2,), "int32"), lambda: np.ones(2, np.int32)),
    "full": (lambda: ops.full((2, 2), 7.0), lambda: np.full((2, 2), 7.0)),
    "zeros_like": (lambda: ops.zeros_like(N), lambda: np.zeros_like(N)),
    "ones_like": (lambda: ops.ones_like(A), lambda: np.ones_like(A64)),
    "arange": (lambda: ops.arange(1, 7, 2), lambda: np.arange(1, 7, 2)),
    "eye": (lambda: ops.eye(3, 4, k=1), lambda: np.eye(3, 4, k=1)),
    "relu": (lambda: ops.relu(A), lambda: np.maximum(A64, 0)),
    "relu6": (lambda: ops.relu6(A * 10), lambda: np.clip(A64 * 10, 0, 6)),
    "sigmoid": (lambda: ops.sigmoid(A), lambda: sigmoid(A64)),
    "softplus": (lambda: ops.softplus(A), lambda: np.log1p(np.exp(A64))),
    "softsign": (lambda: ops.softsign(A), lambda: A64 / (1 + np.abs(A64))),
    "silu": (lambda: ops.silu(A), lambda: A64 * sigmoid(A64)),
    "swish": (lambda: ops.swish(A), lambda: A64 * sigmoid(A64)),
    "selu": (lambda: ops.selu(A), lambda: 1.0507009873554805 * np.where(
        A64 > 0, A64, 1.6732632423543772 * np.expm1(A64))),
    "elu": (lambda: ops.elu(A, alpha=0.5), lambda: np.where(A64 > 0, A64, 0.5 * np.expm1(A64))),
    "hard_sigmoid": (lambda: ops.hard_sigmoid(A * 4),
                     lambda: np.clip((A64 * 4 + 3) / 6, 0, 1)),
    "leaky_relu": (lambda: ops.leaky_relu(A, negative_slope=0.1),
                   lambda: np.where(A64 > 0, A64, 0.1 * A64)),
    "gelu": (lambda: ops.gelu(A), lambda: gelu_tanh(A64)),
    "softmax": (lambda: ops.softmax(A, axis=0), lambda: softmax(A64, axis=0)),
    "log_softmax": (lambda: ops.log_softmax(A), lambda: np.log(softmax(A64))),
    "normalize": (lambda: ops.normalize(A), lambda: A64 / np.linalg.norm(A64, axis=-1,
                                                                         keepdims=True)),
    "binary_crossentropy": (
        lambda: ops.binary_crossentropy(A > 0, sigmoid(A).astype(np.float32)),
        lambda: -np.where(A > 0, np.log(sigmoid(A64)), np.log(1 - sigmoid(A64)))),
    "categorical_crossentropy": (
        lambda: ops.categorical_crossentropy(np.eye(4, dtype=np.float32)[[0, 3, 1]], A,
                                             from_logits=True),
        lambda: -np.log(softmax(A64))[[0, 1, 2], [0, 3, 1]]),
    "logical_xor": (lambda: ops.logical_xor(A > 0, P > 0.5), lambda: (A > 0) ^ (P > 0.5)),
    "rsqrt": (lambda: ops.rsqrt(P), lambda: 1 / np.sqrt(P64)),
    "erf": (lambda: ops.erf(A), lambda: np.vectorize(__import__("math").erf)(A64)),
    "log2": (lambda: ops.log2(P), lambda: np.log2(P64)),
    "log10": (lambda: ops.log10(P), lambda: np.log10(P64)),
    "log_sigmoid": (lambda: ops.log_sigmoid(A), lambda: np.log(sigmoid(A64))),
    "broadcast_to": (lambda: ops.broadcast_to(V, (2, 4)), lambda: np.broadcast_to(V, (2, 4))),
    "repeat": (lambda: ops.repeat(N, 2, axis=1), lambda: np.repeat(N, 2, axis=1)),
    "flip": (lambda: ops.flip(A, axis=1), lambda: np.flip(A64, axis=1)),
    "swapaxes": (lambda: ops.swapaxes(A, 0, 1), lambda: A64.T),
    "moveaxis": (lambda: ops.moveaxis(np.ones((2, 3, 4)), 0, -1),
                 lambda: np.moveaxis(np.ones((2, 3, 4)), 0, -1)),
    "unstack": (lambda: ops.unstack(A)[1], lambda: A64[1]),
    "tril": (lambda: ops.tril(A, -1), lambda: np.tril(A64, -1)),
    "triu": (lambda: ops.triu(A, 1), lambda: np.triu(A64, 1)),
    "full_like": (lambda: ops.full_like(N, 7), lambda: np.full_like(N, 7)),
    "linspace": (lambda: ops.linspace(0, 1, 4, endpoint=False),
                 lambda: np.linspace(0, 1, 4, endpoint=False)),
    "size": (lambda: ops.size(A), lambda: np.array(A.size)),
    "top_k": (lambda: ops.top_k(A, 2)[0], lambda: -np.sort(-A64, axis=1)[:, :2]),
    "sort": (lambda: ops.sort(A, axis=0), lambda: np.sort(A64, axis=0)),
    "argsort": (lambda: ops.argsort(np.array([[3, 1, 2], [0, 9, 4]], np.uint8)),
                lambda: np.argsort([[3, 1, 2], [0, 9, 4]])),
    "count_nonzero": (lambda: ops.count_nonzero(N, axis=0), lambda: np.count_nonzero(N, 0)),
    "sparse_categorical_crossentropy": (
        lambda: ops.sparse_categorical_crossentropy(Y, A, from_logits=True),
        lambda: -np.log(softmax(A64))[[0, 1, 2], Y]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_on_concrete_values_matches_numpy(name):
    call, reference = CASES[name]
    got, want = call(), np.asarray(reference())
    if name == "convert_to_numpy":
        assert type(got) is np.ndarray
    else:
        assert hasattr(got, "numpy"), f"{name} returned {type(got).__name__}, not a tensor"
    got = np.asarray(got)
    assert got.shape == want.shape
    if want.dtype.kind == "b":
        assert got.dtype == bool
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6)


def test_every_public_op_is_tested():
    public = set(ops.__all__)
    assert all(callable(getattr(ops, n)) and not inspect.ismodule(getattr(ops, n))
               for n in public)
    assert public - set(CASES) - {"shape", "moments", "ndim", "dtype", "is_tensor"} == set()
    assert ops.nn.softmax is ops.softmax and ops.numpy.add is ops.add  # Keras 3's namespaces


def test_shape_and_moments():
    assert ops.shape(A) == (3, 4) and ops.shape(ops.add(A, 1)) == (3, 4)
    assert ops.ndim(A) == 2 and ops.dtype(N) == "int32" and ops.is_tensor(ops.ones(2))
    assert not ops.is_tensor(A)
    mean, variance = ops.moments(A, axes=[0])
    np.testing.assert_allclose(mean, A.mean(0), rtol=1e-6)
    np.testing.assert_allclose(variance, A.var(0), rtol=1e-5)
    mean, variance = ops.moments(A, axes=[1], keepdims=True)
    assert mean.shape == variance.shape == (3, 1)


def test_dtype_rules():
    assert ops.argmax(A).dtype == tf.int32 and ops.mean(N).dtype == tf.float32
    assert ops.divide(N, 2).dtype == tf.float32 and ops.arange(3).dtype == tf.int32
    assert ops.arange(0.0, 1.0, 0.25).dtype == tf.float32
    half = ops.cast(A, "float16")
    assert ops.add(half, 1.5).dtype == tf.float16  # a Python scalar takes the tensor's dtype
    assert ops.multiply(N, 2).dtype == tf.int32


def test_ops_inside_a_layer_build_graph_ops():
    class Scaled(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 2), initializer="ones")

        def call(self, x):
            h = ops.relu(ops.matmul(x, self.w))
            return ops.concatenate([ops.softmax(h), ops.expand_dims(ops.sum(h, axis=-1), -1)],
                                   axis=-1)

    backend.clear_session(free_memory=False)
    inputs = keras.Input((4,))
    outputs = Scaled()(inputs)
    assert tf.is_tensor(outputs) and not getattr(outputs, "_eager", False)
    model = keras.Model(inputs, outputs)
    got = model.predict(A, verbose=0)
    h = np.maximum(A64 @ np.ones((4, 2)), 0)
    np.testing.assert_allclose(got, np.concatenate([softmax(h), h.sum(-1, keepdims=True)], -1),
                               rtol=1e-5)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(A, np.zeros((3, 3), np.float32), verbose=0)


def test_errors():
    with pytest.raises(ValueError, match="both x1 and x2"):
        ops.where(A > 0, A)
    with pytest.raises(ValueError, match="matrix norm ord=3 is not supported"):
        ops.norm(A, ord=3)
    with pytest.raises(ValueError, match="needs a matrix"):
        ops.norm(V, ord="fro", axis=0)
    x = tf.placeholder(tf.float32, [None, 4])
    with pytest.raises(ValueError, match="concrete value"):
        ops.convert_to_numpy(ops.add(x, 1))
    with pytest.raises(ValueError, match="size of that axis"):
        ops.split(x, [1], axis=0)
    indices = ops.where(A > 0)
    assert len(indices) == 2 and indices[0].dtype == tf.int32
    np.testing.assert_array_equal(np.stack(indices), np.stack(np.nonzero(A > 0)))


def test_review_findings_follow_numpy():
    """Cases a review found wrong: each against NumPy."""
    x33 = np.arange(9, dtype=np.float32).reshape(3, 3)
    row = np.array([True, False, True])
    np.testing.assert_array_equal(ops.where(row, x33, 0.0), np.where(row, x33, 0.0))
    m = np.array([[1, -2, 3], [-4, 5, -6]], np.float32)
    for order in (None, "fro", 1, -1, np.inf, -np.inf):
        np.testing.assert_allclose(ops.norm(m, ord=order), np.linalg.norm(m, order), rtol=1e-6)
    for order in (0, 1, 3, 0.5, np.inf, -np.inf):
        np.testing.assert_allclose(ops.norm(m[0], ord=order), np.linalg.norm(m[0], order),
                                   rtol=1e-6)
    with pytest.raises(ValueError, match="singular values"):
        ops.norm(m, ord=2)
    assert ops.sum(x33 > 2).numpy() == 6 and ops.sum(x33 > 2).dtype == tf.int32
    assert ops.sum(np.ones(3, np.int8) * 100).numpy() == 300  # no int8 overflow
    np.testing.assert_array_equal(ops.cumsum(row), np.cumsum(row))
    np.testing.assert_allclose(ops.matmul(np.ones(3), np.ones((3, 2))), [3.0, 3.0])
    assert ops.matmul(np.ones(3), np.ones(3)).numpy() == 3.0
    ints = np.array([15, 25, 123, -15])
    np.testing.assert_array_equal(ops.round(ints, -1), np.round(ints, -1))
    assert ops.round(ints.astype(np.int32), 1).dtype == tf.int32
    np.testing.assert_allclose(ops.round(np.array([151.0, 149.0]), -2), [200.0, 100.0])
    assert ops.expand_dims(x33, (0, 2)).shape == (1, 3, 1, 3)
    assert ops.transpose(np.ones((2, 3, 4)), (-1, 0, 1)).shape == (4, 2, 3)
    np.testing.assert_allclose(ops.softmax(x33, axis=(0, 1)), softmax(x33.ravel()).reshape(3, 3),
                               rtol=1e-6)
    assert ops.divide(np.ones(2, np.float16), 2).dtype == tf.float16
    np.testing.assert_array_equal(ops.clip(np.arange(4), 0.5, 2.5), [0.5, 1, 2, 2.5])
    np.testing.assert_array_equal(ops.square(row), [1, 0, 1])
    for points in ([-3], [2, 12], [5, 2]):
        got = ops.split(np.arange(9), points)
        assert [np.asarray(g).tolist() for g in got] == [
            a.tolist() for a in np.split(np.arange(9), points)]
    assert ops.tile(np.ones(2), np.int64(2)).shape == (4,)
    assert ops.reshape(np.ones((2, 3)), np.int64(6)).shape == (6,)
    np.testing.assert_allclose(ops.arange(np.float32(2.5)), [0, 1, 2])
    logits = rng.standard_normal((2, 3, 5)).astype(np.float32)  # classes on axis 1
    labels = np.array([[0, 2, 1, 1, 0], [2, 2, 0, 1, 1]])
    want = -np.log(softmax(logits.astype(np.float64), axis=1))
    want = np.take_along_axis(want, labels[:, None, :], axis=1)[:, 0]
    np.testing.assert_allclose(ops.sparse_categorical_crossentropy(labels, logits, True, axis=1),
                               want, rtol=1e-5)
    np.testing.assert_allclose(ops.normalize(A, epsilon=1e-3), CASES["normalize"][1](),
                               rtol=1e-6)
    np.testing.assert_allclose(ops.logsumexp(np.array([[-np.inf, -np.inf]])), -np.inf)


def test_results_compute_like_values_and_variables_are_values_at_the_top():
    e = ops.ones((2, 3))
    graph = tf.get_default_graph()
    version = graph.version
    y = (e + 1) * 2 - e[0]
    assert (y.numpy() == 3.0).all() and bool((e > 0).numpy().all()) and graph.version == version
    dense = keras.layers.Dense(2, kernel_initializer="ones")
    dense(np.ones((1, 3), np.float32))
    assert ops.sum(dense.kernel).numpy() == 6.0
    np.testing.assert_array_equal(ops.add(dense.kernel, 1), np.full((3, 2), 2.0))


def test_dynamic_batch_from_shape_inside_a_layer():
    class Heads(keras.layers.Layer):
        def call(self, x):
            batch = ops.shape(x)[0]
            return ops.transpose(ops.reshape(x, (batch, 2, 3)), (0, 2, 1))

    backend.clear_session(free_memory=False)
    inputs = keras.Input((6,))
    model = keras.Model(inputs, Heads()(inputs))
    x = np.arange(24, dtype=np.float32).reshape(4, 6)
    np.testing.assert_array_equal(model.predict(x, verbose=0),
                                  x.reshape(4, 2, 3).transpose(0, 2, 1))


def test_reshape_keeps_static_dims_with_a_dynamic_batch_and_bands_need_matrices():
    class Flat(keras.layers.Layer):
        def call(self, x):
            return ops.reshape(x, (ops.shape(x)[0], -1))

    backend.clear_session(free_memory=False)
    inputs = keras.Input((2, 3))
    flat = Flat()(inputs)
    assert flat.shape.as_list() == [None, 6]
    model = keras.Model(inputs, keras.layers.Dense(2)(flat))
    assert model.predict(np.ones((4, 2, 3), np.float32), verbose=0).shape == (4, 2)
    with pytest.raises(ValueError, match="rank >= 2"):
        ops.tril(V)
    np.testing.assert_array_equal(ops.linspace(-10, 0, 4, dtype="int32"),
                                  np.linspace(-10, 0, 4, dtype="int32"))
    assert [row.numpy().tolist() for row in ops.ones((2, 2))] == [[1.0, 1.0], [1.0, 1.0]]


def test_loops_conditionals_and_gathers_inside_a_layer():
    """fori_loop's body reads the layer's input, cond takes a graph predicate, slice and
    take_along_axis take a dynamic batch: all graph ops, run per batch."""
    class Layer(keras.layers.Layer):
        def call(self, x):
            total = ops.fori_loop(0, 3, lambda i, v: v + x, ops.zeros_like(x))
            signed = ops.cond(ops.sum(x) > 0, lambda: total, lambda: -total)
            ordered = ops.take_along_axis(signed, ops.argsort(signed, axis=-1), axis=-1)
            return ops.slice(ordered, (0, 0), (ops.shape(x)[0], 1))

    inputs = keras.Input((2,))
    model = keras.Model(inputs, Layer()(inputs))
    pos = np.array([[2.0, 1.0], [3.0, 4.0]], np.float32)
    np.testing.assert_allclose(model.predict(pos, verbose=0), [[3.0], [9.0]])
    np.testing.assert_allclose(model.predict(-pos[:1], verbose=0), [[3.0]])


def test_review_findings_of_the_new_ops():
    inf = np.inf
    np.testing.assert_array_equal(
        ops.logaddexp(np.array([-inf, inf, 0.0]), np.array([-inf, inf, -inf])).numpy(),
        np.logaddexp([-inf, inf, 0.0], [-inf, inf, -inf]))
    np.testing.assert_array_equal(ops.isclose([inf, 1.0, inf], [-inf, inf, inf]).numpy(),
                                  [False, False, True])
    big = np.array([16777217], np.int32)
    assert not ops.isclose(big, big - 1, rtol=0, atol=0).numpy()[0]  # integers: equality
    assert np.signbit(ops.trunc(np.float32(-0.0)).numpy())
    np.testing.assert_array_equal(ops.hstack([1, 2]).numpy(), [1, 2])
    assert ops.vstack([1, 2]).numpy().shape == (2, 1)
    assert ops.take_along_axis(A, np.zeros((3, 0), np.int32), axis=1).numpy().shape == (3, 0)
    np.testing.assert_allclose(ops.average(A, axis=1, weights=np.arange(1.0, 5.0)).numpy(),
                               np.average(A64, axis=1, weights=np.arange(1.0, 5.0)))
    assert ops.average(A, axis=1, weights=np.arange(1.0, 5.0)).dtype == "float64"
    for bad in (dict(weights=[1.0, 2.0, 3.0, 4.0]), dict(axis=1, weights=[1.0, 2.0]),
                dict(axis=(0, 1), weights=[1.0, 2.0])):
        with pytest.raises(ValueError, match="weights"):
            ops.average(A, **bad)
    with pytest.raises(ValueError, match="non-negative"):
        ops.diff(A, n=-1)
    with pytest.raises(ValueError, match="out of range"):
        ops.roll(A, 1, axis=2)
    with pytest.raises(TypeError, match="integers"):
        ops.take_along_axis(A, np.zeros((3, 1), np.float32), axis=1)


def test_top_level_control_flow_runs_in_python_and_reads_variables():
    v = keras.Variable(np.array([1.0, 2.0], np.float32))
    np.testing.assert_allclose(ops.fori_loop(0, 2, lambda i, s: s + v, ops.zeros(2)).numpy(),
                               [2.0, 4.0])
    np.testing.assert_allclose(ops.cond(ops.sum(v) > 0, lambda: v * 2, lambda: v).numpy(),
                               [2.0, 4.0])
    nested = ops.while_loop(lambda a, b: b < 3, lambda a, b: ((a[0] + 1, a[1] * 2), b + 1),
                            ((0, 1), 0))
    assert [int(t) for t in (nested[0][0], nested[0][1], nested[1])] == [3, 8, 3]
    assert int(ops.fori_loop(0, 3, lambda i, c: {"a": c["a"] + i}, {"a": 0})["a"]) == 3
    with tf.Graph().as_default():  # closures over a TF 1.x placeholder build graph ops
        x = tf.placeholder(tf.float32, [2])
        y = ops.cond(ops.convert_to_tensor(True), lambda: x * 2, lambda: x)
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(y, {x: [1.0, 2.0]}), [2.0, 4.0])


def test_scan_and_map_inside_a_model_and_scan_by_length():
    class Layer(keras.layers.Layer):
        def call(self, x):
            last, running = ops.scan(lambda c, r: (c + r, c + r), ops.zeros_like(x[0]), x)
            return running + ops.map(lambda r: r * 0.0, x) + last * 0.0

    inputs = keras.Input((2,))
    model = keras.Model(inputs, Layer()(inputs))
    x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.cumsum(x, 0))
    count, seen = ops.scan(lambda c, _: (c + 1, c), 0, length=3)
    assert int(count) == 3 and seen.numpy().tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="length"):
        ops.scan(lambda c, x: (c, x), 0)


def test_nested_loop_state_and_roll_over_the_batch_inside_a_model():
    class Layer(keras.layers.Layer):
        def call(self, x):
            (a, b), n = ops.while_loop(lambda s, i: i < 2,
                                       lambda s, i: ((s[0] + x, s[1] * 2.0), i + 1),
                                       ((ops.zeros_like(x), 1.0), 0))
            return ops.roll(a * b, 1, axis=0)

    inputs = keras.Input((2,))
    model = keras.Model(inputs, Layer()(inputs))
    x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.roll(x * 8.0, 1, axis=0))


def test_third_review_findings():
    # a regularizer written with keras.ops stays graph code (recomputed at every step)
    inputs = keras.Input((3,))
    dense = keras.layers.Dense(2, kernel_regularizer=lambda w: 0.5 * ops.sum(ops.square(w)))
    model = keras.Model(inputs, dense(inputs))
    model.compile("sgd", "mse")
    history = model.fit(np.ones((8, 3), np.float32), np.zeros((8, 2), np.float32), epochs=3,
                        verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]

    class Either(keras.layers.Layer):  # a Python bool: only the chosen branch is built
        def call(self, x):
            return ops.cond(False, lambda: ops.concatenate([x, x], -1), lambda: x)

    assert keras.layers.Dense(2)(Either()(keras.Input((3,)))).shape.as_list() == [None, 2]
    with tf.Graph().as_default():  # cond reading a placeholder: the loop becomes a graph loop
        limit = tf.placeholder(tf.float32, [])
        out = ops.while_loop(lambda a: a < limit, lambda a: a + 1.0, 0.0)
        with tf.Session() as sess:
            assert sess.run(out, {limit: 3.5}) == 4.0
