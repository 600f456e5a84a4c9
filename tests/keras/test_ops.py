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
    public = {n for n, v in vars(ops).items()
              if not n.startswith("_") and callable(v) and not inspect.ismodule(v)
              and getattr(v, "__module__", None) == ops.__name__}
    assert public - set(CASES) - {"shape", "moments"} == set()


def test_shape_and_moments():
    assert ops.shape(A) == (3, 4) and ops.shape(ops.add(A, 1)) == (3, 4)
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
    with pytest.raises(ValueError, match="ord must be"):
        ops.norm(A, ord=3)
    x = tf.placeholder(tf.float32, [None, 4])
    with pytest.raises(ValueError, match="concrete value"):
        ops.convert_to_numpy(ops.add(x, 1))
    with pytest.raises(ValueError, match="size of that axis"):
        ops.split(x, [1], axis=0)
    indices = ops.where(A > 0)
    assert len(indices) == 2 and indices[0].dtype == tf.int32
    np.testing.assert_array_equal(np.stack(indices), np.stack(np.nonzero(A > 0)))
