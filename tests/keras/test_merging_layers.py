"""Merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot) and their
functional forms against NumPy float64 references, gradients through each layer for every input,
masks, a contract check for several inputs (config, shapes, calls, saving), errors, and a
two-input functional model with a shared Dense trained with fit."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers
from tensorlet.keras.layers import node

rng = np.random.default_rng(31)

ELEMENTWISE = {
    "Add": (layers.Add, layers.add, lambda xs: sum(xs[1:], xs[0])),
    "Subtract": (layers.Subtract, layers.subtract, lambda xs: xs[0] - xs[1]),
    "Multiply": (layers.Multiply, layers.multiply, lambda xs: np.prod(_stack(xs), axis=0)),
    "Average": (layers.Average, layers.average, lambda xs: np.mean(_stack(xs), axis=0)),
    "Maximum": (layers.Maximum, layers.maximum, lambda xs: np.max(_stack(xs), axis=0)),
    "Minimum": (layers.Minimum, layers.minimum, lambda xs: np.min(_stack(xs), axis=0)),
}


def _stack(xs):
    return np.stack(np.broadcast_arrays(*xs))


@pytest.fixture(autouse=True)
def _fresh_keras():
    keras.backend.clear_session(free_memory=False)
    yield


def _xs(*shapes):
    return [rng.standard_normal(s) for s in shapes]


def _f32(xs):
    return [x.astype(np.float32) for x in xs]


def _gradcheck(layer, xs, eps=1e-6, rtol=1e-5, atol=1e-6):
    """tensorlet.gradients of sum(r * layer(xs)) for every input against central differences,
    in float64 (`layer` made with dtype='float64')."""
    graph = tf.Graph()
    with graph.as_default():
        phs = [tf.placeholder(tf.float64, (None,) + x.shape[1:]) for x in xs]
        y = layer(phs)
        r = tf.placeholder(tf.float64)
        loss = tf.reduce_sum(y * r)
        grads = tf.gradients(loss, phs)
        with tf.Session(graph=graph) as sess:
            feed = dict(zip(phs, xs))
            feed[r] = rng.standard_normal(sess.run(y, feed).shape)
            sym = sess.run(grads, feed)
            for x, s in zip(xs, sym):
                num = np.zeros_like(x)
                for idx in np.ndindex(x.shape):
                    old = x[idx]
                    for sign in (1, -1):
                        x[idx] = old + sign * eps
                        num[idx] += sign * sess.run(loss, feed) / (2 * eps)
                    x[idx] = old
                np.testing.assert_allclose(s, num, rtol=rtol, atol=atol,
                                           err_msg=f"gradient through {layer.name}")


def _contract(cls, kwargs, shapes, expected_shape):
    """The layer contract for several inputs: config round-trips, symbolic and NumPy calls
    agree with compute_output_shape, a repeated call does not grow the graph."""
    layer = cls(**kwargs)
    config = layer.get_config()
    assert cls.from_config(config).get_config() == config
    again = layers.deserialize(layers.serialize(layer))
    assert type(again) is cls and again.get_config() == config
    out = layer([keras.Input(batch_shape=(None,) + s[1:]) for s in shapes])
    assert tuple(out.shape.dims) == (None,) + tuple(expected_shape[1:])
    assert layer.compute_output_shape([(None,) + s[1:] for s in shapes]) == \
        (None,) + tuple(expected_shape[1:])
    xs = _f32(_xs(*shapes))
    y = layer(xs)
    assert y.shape == tuple(expected_shape) and y.dtype == np.float32
    size = len(keras.backend.get_graph().get_operations())
    layer(xs)
    assert len(keras.backend.get_graph().get_operations()) == size
    assert layer.weights == []


# -- elementwise merges ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_merges_match_numpy(name):
    cls, fn, ref = ELEMENTWISE[name]
    counts = (2,) if name == "Subtract" else (2, 3)
    for n in counts:
        xs = _xs(*[(3, 4, 2)] * n)
        np.testing.assert_allclose(cls()(_f32(xs)), ref(xs), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(fn(_f32(xs)), ref(xs), rtol=1e-5, atol=1e-6)
    ins = [keras.Input((4,)), keras.Input((4,))]
    out = fn(ins)
    assert tuple(out.shape.dims) == (None, 4)
    assert isinstance(node.keras_history(out)[0], cls)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_merges_broadcast_like_keras(name):
    cls, _, ref = ELEMENTWISE[name]
    a, b = _xs((2, 3, 4), (2, 1, 4))
    np.testing.assert_allclose(cls()(_f32([a, b])), ref([a, b]), rtol=1e-5, atol=1e-6)
    # A lower-rank input gets size-1 axes after the batch axis.
    c, d = _xs((2, 3, 4), (2, 4))
    np.testing.assert_allclose(cls()(_f32([c, d])), ref([c, d[:, None, :]]), rtol=1e-5,
                               atol=1e-6)
    assert cls().compute_output_shape([(None, 3, 4), (None, 4)]) == (None, 3, 4)
    assert cls().compute_output_shape([(None, 3, 1), (5, 1, 4)]) == (5, 3, 4)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_merge_gradients_and_contract(name):
    cls = ELEMENTWISE[name][0]
    n = 2 if name == "Subtract" else 3
    _gradcheck(cls(dtype="float64"), _xs(*[(2, 3)] * n))
    _gradcheck(cls(dtype="float64"), _xs((2, 3, 2), (2, 1, 2)))
    _contract(cls, {}, [(2, 3, 4)] * n, (2, 3, 4))


def test_elementwise_merge_errors():
    with pytest.raises(ValueError, match=r"'add' \(Add\).*incompatible shapes: \(None, 3\) and "
                                         r"\(None, 4\)"):
        layers.Add(name="add")([keras.Input((3,)), keras.Input((4,))])
    with pytest.raises(ValueError, match=r"Subtract.*exactly 2 inputs.*3 input"):
        layers.Subtract()([keras.Input((3,))] * 3)
    with pytest.raises(ValueError, match="should be called on a list of inputs"):
        layers.Add()(keras.Input((3,)))
    with pytest.raises(ValueError, match="different batch sizes"):
        layers.Add().compute_output_shape([(2, 3), (4, 3)])
    with pytest.raises(ValueError, match="different batch sizes"):
        layers.Maximum()([keras.Input(batch_shape=(2, 3)), keras.Input(batch_shape=(4, 3))])


# -- masks ----------------------------------------------------------------------------------


def test_merge_masks_are_ored_and_masked_values_follow_keras():
    ids_a = keras.Input((4,), dtype="int32")
    ids_b = keras.Input((4,), dtype="int32")
    ea = layers.Embedding(5, 2, mask_zero=True)(ids_a)
    eb = layers.Embedding(5, 2, mask_zero=True)(ids_b)
    dense = layers.Dense(2)(keras.Input((4, 3)))
    for cls in (layers.Add, layers.Maximum, layers.Multiply, layers.Concatenate):
        assert node.get_mask(cls()([ea, eb])) is not None
    assert node.get_mask(layers.Add()([ea, dense])) is None  # an input without a mask
    assert node.get_mask(layers.Dot(axes=2)([ea, eb])) is None

    a, b = _f32(_xs((2, 3, 2), (2, 3, 2)))
    ma = np.array([[True, False, True], [False, False, True]])
    mb = np.array([[True, True, False], [False, True, True]])
    both = (ma[..., None], mb[..., None])
    got = layers.Maximum()([a, b], mask=[ma, mb])
    want = np.where(both[0] & both[1], np.maximum(a, b), np.where(both[1] & ~both[0], b, a))
    np.testing.assert_allclose(got, want, rtol=1e-6)
    got = layers.Minimum()([a, b], mask=[ma, mb])
    want = np.where(both[0] & both[1], np.minimum(a, b), np.where(both[1] & ~both[0], b, a))
    np.testing.assert_allclose(got, want, rtol=1e-6)
    got = layers.Multiply()([a, b], mask=[ma, mb])
    prod = np.where(both[0], a, 1) * np.where(both[1], b, 1)
    np.testing.assert_allclose(got, np.where(both[0] | both[1], prod, 0), rtol=1e-6)


def test_concatenate_mask_follows_keras():
    a, b = _f32(_xs((2, 3, 2), (2, 3, 4)))
    ma = np.array([[True, False, True], [False, False, True]])
    layer = layers.Concatenate()
    out = layer([a, b], mask=[ma, None])
    np.testing.assert_allclose(out, np.concatenate([a, b], axis=-1))
    graph = tf.Graph()
    with graph.as_default():
        ta, tc = tf.constant(a), tf.constant(np.ones((2, 2, 2), np.float32))
        mask = layers.Concatenate(axis=1).compute_mask([ta, tc], [tf.constant(ma), None])
        with tf.Session(graph=graph) as sess:
            got = sess.run(mask)
    np.testing.assert_array_equal(got, np.concatenate([ma, np.ones((2, 2), bool)], axis=1))


# -- Concatenate ----------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [-1, 1, 2, -2])
def test_concatenate_matches_numpy(axis):
    shapes = {-1: [(2, 3, 4), (2, 3, 1), (2, 3, 2)], 2: [(2, 3, 4), (2, 3, 2)],
              1: [(2, 1, 4), (2, 3, 4)], -2: [(2, 2, 4), (2, 3, 4)]}[axis]
    xs = _xs(*shapes)
    want = np.concatenate(xs, axis=axis)
    np.testing.assert_allclose(layers.Concatenate(axis=axis)(_f32(xs)), want, rtol=1e-6)
    np.testing.assert_allclose(layers.concatenate(_f32(xs), axis=axis), want, rtol=1e-6)
    _gradcheck(layers.Concatenate(axis=axis, dtype="float64"), xs)
    _contract(layers.Concatenate, {"axis": axis}, shapes, want.shape)


def test_concatenate_shapes_and_errors():
    out = layers.Concatenate(axis=1)([keras.Input((None, 3)), keras.Input((2, 3))])
    assert tuple(out.shape.dims) == (None, None, 3)
    assert layers.Concatenate().compute_output_shape([(None, 2, None), (None, 2, 3)]) == \
        (None, 2, None)
    with pytest.raises(ValueError, match=r"'concat' \(Concatenate\) requires inputs with "
                                         r"matching shapes except for the concatenation axis -1"
                                         r".*\(None, 3, 4\) and \(None, 5, 5\)"):
        layers.Concatenate(name="concat")([keras.Input((3, 4)), keras.Input((5, 5))])
    with pytest.raises(ValueError, match=r"one rank.*\(None, 3\) and \(None, 3, 1\)"):
        layers.Concatenate()([keras.Input((3,)), keras.Input((3, 1))])
    with pytest.raises(ValueError, match=r"axis=3, out of range.*rank 2"):
        layers.Concatenate(axis=3)([keras.Input((3,)), keras.Input((3,))])
    with pytest.raises(TypeError, match="Concatenate.*axis.*'x'"):
        layers.Concatenate(axis="x")
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Concatenate().compute_output_shape((None, 3))


def test_concatenate_mixed_dtypes_give_the_compute_dtype():
    a = np.ones((2, 2), np.float32)
    b = np.arange(4, dtype=np.int32).reshape(2, 2)
    y = layers.Concatenate()([a, b])
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, np.concatenate([a, b], axis=1))


# -- Dot ------------------------------------------------------------------------------------


def _l2n(x, axis):
    return x / np.maximum(np.sqrt((x * x).sum(axis=axis, keepdims=True)), 1e-7)


@pytest.mark.parametrize("shapes,axes,subscripts", [
    ([(2, 3), (2, 3)], 1, "bi,bi->b"),
    ([(2, 3), (2, 3)], -1, "bi,bi->b"),
    ([(2, 3, 5), (2, 4, 3)], (1, 2), "bkx,byk->bxy"),
    ([(2, 5, 3), (2, 4, 3)], 2, "bxk,byk->bxy"),
    ([(2, 3), (2, 3, 4)], (1, 1), "bk,bky->by"),
    ([(2, 4, 3), (2, 3)], (2, 1), "bxk,bk->bx"),
    ([(2, 2, 3, 4), (2, 4, 5)], (3, 1), "bxyk,bkz->bxyz"),
])
def test_dot_matches_einsum(shapes, axes, subscripts):
    a, b = _xs(*shapes)
    want = np.einsum(subscripts, a, b)
    if want.ndim == 1:
        want = want[:, None]
    for normalize in (False, True):
        layer = layers.Dot(axes=axes, normalize=normalize)
        if normalize:
            ax = [axes, axes] if isinstance(axes, int) else list(axes)
            ax = [ax[0] % a.ndim, ax[1] % b.ndim]
            want = np.einsum(subscripts, _l2n(a, ax[0]), _l2n(b, ax[1]))
            want = want[:, None] if want.ndim == 1 else want
        np.testing.assert_allclose(layer(_f32([a, b])), want, rtol=1e-5, atol=1e-6)
        assert layer.compute_output_shape([(None,) + s[1:] for s in shapes]) == \
            (None,) + want.shape[1:]
    np.testing.assert_allclose(layers.dot(_f32([a, b]), axes=axes), np.einsum(
        subscripts, a, b).reshape(want.shape), rtol=1e-5, atol=1e-6)


def test_dot_gradients_unknown_dims_and_contract():
    _gradcheck(layers.Dot(axes=(1, 2), dtype="float64"), _xs((2, 3, 2), (2, 4, 3)))
    _gradcheck(layers.Dot(axes=1, normalize=True, dtype="float64"), _xs((2, 3), (2, 3)))
    _gradcheck(layers.Dot(axes=(3, 1), dtype="float64"), _xs((2, 2, 2, 3), (2, 3, 2)))
    inp_a, inp_b = keras.Input((None, 3)), keras.Input((None, 3))
    out = layers.Dot(axes=2)([inp_a, inp_b])
    assert tuple(out.shape.dims) == (None, None, None)
    model = keras.Model([inp_a, inp_b], out)
    a, b = _xs((2, 4, 3), (2, 5, 3))
    np.testing.assert_allclose(model.predict(_f32([a, b]), verbose=0),
                               np.einsum("bxk,byk->bxy", a, b), rtol=1e-5, atol=1e-6)
    _contract(layers.Dot, {"axes": (1, 2), "normalize": True}, [(2, 3, 5), (2, 4, 3)],
              (2, 5, 4))
    config = layers.Dot(axes=[1, 2]).get_config()
    assert config["axes"] == [1, 2] and config["normalize"] is False


def test_dot_errors():
    with pytest.raises(ValueError, match=r"'dot' \(Dot\) got incompatible input shapes: axis 1 "
                                         r"of the first input has size 3, axis 2 of the second "
                                         r"has size 4.*\(None, 3\) and \(None, 5, 4\)"):
        layers.Dot(axes=(1, 2), name="dot")([keras.Input((3,)), keras.Input((5, 4))])
    with pytest.raises(ValueError, match="axis 0"):
        layers.Dot(axes=0)([keras.Input((3,)), keras.Input((3,))])
    with pytest.raises(ValueError, match=r"Dot.*2 inputs"):
        layers.Dot(axes=1)([keras.Input((3,))] * 3)
    with pytest.raises(ValueError, match="two elements"):
        layers.Dot(axes=(1, 2, 3))
    with pytest.raises(TypeError, match="Dot.*axes.*integer"):
        layers.Dot(axes="1")
    with pytest.raises(ValueError, match=r"axes=4, out of range.*\(None, 3\)"):
        layers.Dot(axes=4)([keras.Input((3,)), keras.Input((3,))])


# -- a functional model ---------------------------------------------------------------------


def test_two_input_model_with_concatenate_and_shared_dense_trains_and_saves(tmp_path):
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    shared = layers.Dense(3, activation="tanh", name="shared")
    merged = layers.Concatenate(name="concat")([shared(a), shared(b)])
    out = layers.Dense(1, name="out")(merged)
    model = keras.Model([a, b], out)
    assert len(model.trainable_weights) == 4  # the shared Dense counts once
    model.compile(keras.optimizers.Adam(0.05), "mse")
    xa, xb = _f32(_xs((64, 4), (64, 4)))
    y = (xa[:, :1] - 2 * xb[:, 1:2]).astype(np.float32)
    hist = model.fit([xa, xb], y, epochs=8, batch_size=16, verbose=0)
    losses = hist.history["loss"]
    assert len(losses) == 8 and losses[-1] < 0.5 * losses[0]
    # The shared kernel got gradients from both branches: compare with a hand-built forward.
    w1, b1, w2, b2 = model.get_weights()
    want = np.concatenate([np.tanh(xa @ w1 + b1), np.tanh(xb @ w1 + b1)], axis=1) @ w2 + b2
    np.testing.assert_allclose(model.predict([xa, xb], verbose=0), want, rtol=1e-5, atol=1e-5)
    model.save(tmp_path / "two.keras")
    keras.backend.clear_session(free_memory=False)
    loaded = keras.models.load_model(tmp_path / "two.keras")
    np.testing.assert_allclose(loaded.predict([xa, xb], verbose=0), want, rtol=1e-5, atol=1e-5)
    assert type(loaded.get_layer("concat")) is layers.Concatenate
