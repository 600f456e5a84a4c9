"""keras.random: the draws' distributions, shapes and dtypes, Keras 3's seed semantics
(SeedGenerator: new numbers per call; int: the same numbers per call; None: repeatable under
set_random_seed), graph ops in a layer's call, and errors."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers, ops

R = keras.random


def _np(x):
    return np.asarray(x)


# -- seeds ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("draw", [
    lambda seed: R.normal((4,), seed=seed),
    lambda seed: R.truncated_normal((4,), seed=seed),
    lambda seed: R.uniform((4,), seed=seed),
    lambda seed: R.randint((4,), 0, 1000, seed=seed),
    lambda seed: R.categorical(np.zeros((1, 50), np.float32), 4, seed=seed),
    lambda seed: R.shuffle(np.arange(20), seed=seed),
    lambda seed: R.dropout(np.ones(20, np.float32), 0.5, seed=seed),
    lambda seed: R.gamma((4,), 2.0, seed=seed),
    lambda seed: R.beta((4,), 2.0, 3.0, seed=seed),
    lambda seed: R.binomial((8,), 100, 0.5, seed=seed),
])
def test_seed_semantics(draw):
    g, same = R.SeedGenerator(7), R.SeedGenerator(7)
    first, second = _np(draw(g)), _np(draw(g))
    assert not np.array_equal(first, second)  # a generator: new numbers at every call
    np.testing.assert_array_equal(_np(draw(same)), first)  # ...repeatable from its seed
    np.testing.assert_array_equal(_np(draw(3)), _np(draw(3)))  # an int: the same numbers
    assert not np.array_equal(_np(draw(3)), _np(draw(4)))
    assert not np.array_equal(_np(draw(None)), _np(draw(None)))
    keras.utils.set_random_seed(11)
    a = _np(draw(None))
    keras.utils.set_random_seed(11)
    np.testing.assert_array_equal(_np(draw(None)), a)


def test_seed_generator_config_and_errors():
    g = R.SeedGenerator(5, name="sg")
    assert g.get_config() == {"seed": 5, "name": "sg"}
    clone = R.SeedGenerator.from_config(g.get_config())
    assert [clone.next() for _ in range(3)] == [g.next() for _ in range(3)]
    for bad in (1.5, "1", True):
        with pytest.raises(ValueError, match="must be an integer"):
            R.SeedGenerator(bad)
        with pytest.raises(ValueError, match="must be an integer"):
            R.normal((2,), seed=bad)
    with pytest.raises(TypeError, match="unexpected keyword"):
        R.SeedGenerator(1, sead=2)


# -- distributions, shapes, dtypes ---------------------------------------------------------------


def test_normal_truncated_and_uniform():
    n = _np(R.normal((200, 100), mean=1.0, stddev=2.0, seed=1))
    assert n.shape == (200, 100) and n.dtype == np.float32
    assert abs(n.mean() - 1.0) < 0.05 and abs(n.std() - 2.0) < 0.05
    t = _np(R.truncated_normal((20000,), mean=-1.0, stddev=0.5, dtype="float64", seed=1))
    assert t.dtype == np.float64 and t.min() >= -2.0 and t.max() <= 0.0
    u = _np(R.uniform((20000,), minval=-2.0, maxval=6.0, seed=1))
    assert u.min() >= -2.0 and u.max() < 6.0 and abs(u.mean() - 2.0) < 0.1


def test_randint_and_categorical():
    i = _np(R.randint((3, 4000), 5, 8, seed=1))
    assert i.shape == (3, 4000) and i.dtype == np.int32 and set(np.unique(i)) == {5, 6, 7}
    assert _np(R.randint((2,), 0, 3, dtype="int64", seed=1)).dtype == np.int64
    logits = np.array([[np.log(0.2), np.log(0.8), -np.inf]], np.float32)
    c = _np(R.categorical(logits, 5000, seed=1))
    assert c.shape == (1, 5000) and c.dtype == np.int32
    assert set(np.unique(c)) == {0, 1} and abs((c == 1).mean() - 0.8) < 0.03


def test_shuffle_permutes_along_the_axis():
    x = np.arange(24).reshape(2, 3, 4)
    for axis in (0, 1, 2, -1):
        y = _np(R.shuffle(x, axis=axis, seed=2))
        np.testing.assert_array_equal(np.sort(y, axis=axis), x)
        moved = np.moveaxis(y, axis, 0).reshape(x.shape[axis], -1)
        rows = np.moveaxis(x, axis, 0).reshape(x.shape[axis], -1)
        assert sorted(map(tuple, moved)) == sorted(map(tuple, rows))  # whole slices move


def test_dropout_zeroes_a_fraction_and_scales_the_rest():
    x = np.full((400, 50), 3.0, np.float32)
    y = _np(R.dropout(x, 0.25, seed=1))
    assert abs((y == 0).mean() - 0.25) < 0.02
    np.testing.assert_allclose(y[y != 0], 3.0 / 0.75, rtol=1e-6)
    cols = _np(R.dropout(x, 0.5, noise_shape=(1, 50), seed=1))  # whole columns
    assert all(len(np.unique(cols[:, j])) == 1 for j in range(50))
    np.testing.assert_array_equal(_np(R.dropout(x, 0.0, seed=1)), x)


def test_binomial_moments_and_a_tensor_rate_for_dropout():
    b = _np(R.binomial((40000,), np.array([10.0, 20.0] * 20000).reshape(-1)[:40000], 0.3,
                       seed=1))
    assert b.dtype == np.float32 and set(np.unique(b)) <= set(range(21))
    assert abs(b[0::2].mean() - 3.0) < 0.05 and abs(b[1::2].mean() - 6.0) < 0.08
    assert abs(b[0::2].var() - 2.1) < 0.1
    with tf.eager_mode():
        y = R.dropout(np.ones(4000, np.float32), tf.constant(0.25), seed=1).numpy()
    assert abs((y == 0).mean() - 0.25) < 0.03
    np.testing.assert_allclose(y[y != 0], 1 / 0.75, rtol=1e-6)


def test_gamma_and_beta_moments():
    g = _np(R.gamma((40000,), 3.0, seed=1))
    assert g.dtype == np.float32 and g.min() > 0 and abs(g.mean() - 3.0) < 0.06
    b = _np(R.beta((40000,), 2.0, 6.0, seed=1))
    assert b.min() > 0 and b.max() < 1 and abs(b.mean() - 0.25) < 0.01


def test_errors_name_what_was_expected():
    with pytest.raises(ValueError, match="floating point `dtype`"):
        R.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="floating point `dtype`"):
        R.normal((2,), dtype="int64")
    with pytest.raises(ValueError, match="integer `dtype`"):
        R.randint((2,), 0, 3, dtype="float32")
    for rate in (1.0, -0.1, "0.5"):
        with pytest.raises(ValueError, match="rate"):
            R.dropout(np.ones(3, np.float32), rate)
    with pytest.raises(ValueError, match="axis"):
        R.shuffle(np.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match="2-D"):
        R.categorical(np.zeros(3, np.float32), 2)


# -- in a model ----------------------------------------------------------------------------------


class Sampling(layers.Layer):
    """The VAE example's reparameterisation: z = mean + exp(log_var / 2) * eps."""

    def __init__(self, seed, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(shape=ops.shape(z_mean), seed=self.seed)
        return z_mean + ops.exp(0.5 * z_log_var) * eps


def _sampler(seed):
    mean, log_var = keras.Input((3,)), keras.Input((3,))
    out = Sampling(seed)([mean, log_var])
    assert out.shape.as_list() == [None, 3]
    return keras.Model([mean, log_var], out)


def test_in_a_layer_a_generator_draws_anew_at_every_run():
    model = _sampler(R.SeedGenerator(1337))
    z = np.zeros((64, 3), np.float32)
    a, b = model.predict([z, z], verbose=0), model.predict([z, z], verbose=0)
    assert a.shape == (64, 3) and not np.array_equal(a, b)
    assert abs(a.std() - 1.0) < 0.15
    scaled = model.predict([z + 5, np.full_like(z, np.log(4.0))], verbose=0)  # sd 2 around 5
    assert abs(scaled.mean() - 5.0) < 0.3 and abs(scaled.std() - 2.0) < 0.3


def test_in_a_layer_an_int_seed_draws_the_same_at_every_run():
    model = _sampler(9)
    z = np.zeros((8, 3), np.float32)
    np.testing.assert_array_equal(model.predict([z, z], verbose=0),
                                  model.predict([z, z], verbose=0))


def test_a_model_with_random_draws_trains():
    x = keras.Input((4,))
    h = layers.Dense(8)(x)
    noisy = layers.Lambda(lambda t: t + 0.01 * keras.random.normal(ops.shape(t), seed=None))(h)
    model = keras.Model(x, layers.Dense(1)(noisy))
    model.compile(optimizer="sgd", loss="mse")
    data = np.random.default_rng(0).random((64, 4), dtype=np.float32)
    history = model.fit(data, data.sum(axis=1, keepdims=True), epochs=3, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_traced_function_draws_anew_at_every_call():
    with tf.eager_mode():
        g = R.SeedGenerator(3)
        f = tf.function(lambda: keras.random.uniform((5,), seed=g))
        assert not np.array_equal(f().numpy(), f().numpy())


# -- review findings ------------------------------------------------------------------------------


def test_shapes_dtypes_and_seeds_keras_accepts():
    alpha = np.array([1.0, 2.0, 3.0], np.float32)
    assert _np(R.gamma((4, 3), alpha, seed=1)).shape == (4, 3)  # alpha broadcast to shape
    inputs = keras.Input((3,))
    assert layers.Lambda(lambda x: R.gamma(ops.shape(x), alpha))(inputs).shape.as_list() == \
        [None, 3]
    rows = _np(R.dropout(np.ones((40, 3), np.float32), 0.5, noise_shape=(None, 1), seed=2))
    assert all(len(set(r)) == 1 for r in rows)  # None takes the input's dimension
    dropped = layers.Lambda(lambda x: R.dropout(x, 0.5, noise_shape=(ops.shape(x)[0], 1)))
    assert dropped(inputs).shape.as_list() == [None, 3]
    assert _np(R.randint((3,), 0, 5, dtype="uint8", seed=1)).dtype == np.uint8
    assert _np(R.categorical([[0.0, 1.0]], 2, dtype="int16", seed=1)).dtype == np.int16
    g, same = R.SeedGenerator(-3), R.SeedGenerator(-3)
    np.testing.assert_array_equal(_np(R.normal((2,), seed=g)), _np(R.normal((2,), seed=same)))


def test_a_draw_in_build_is_a_fixed_value_and_one_in_call_is_drawn_at_every_run():
    class Projection(layers.Layer):
        def build(self, shape):
            self.proj = R.normal((shape[-1], 2))  # Keras 3 builds eagerly: a fixed value

        def call(self, x):
            return ops.matmul(x, self.proj)

    model = keras.Sequential([keras.Input((3,)), Projection()])
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))

    class Noisy(keras.Model):  # a draw in a subclassed model's own call
        def __init__(self):
            super().__init__()
            self.dense, self.seeds = layers.Dense(2), R.SeedGenerator(1)

        def call(self, x):
            return self.dense(x) + R.normal(ops.shape(x), seed=self.seeds)[:, :2]

    noisy = Noisy()
    noisy(x)
    assert not np.array_equal(noisy.predict(x, verbose=0), noisy.predict(x, verbose=0))


def test_a_keras_layer_in_a_graph_of_ones_own_draws_at_every_run():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [None, 3])
        y = layers.Lambda(lambda t: t + R.normal((3,)))(p)
        with tf.Session() as sess:
            feed = {p: np.zeros((1, 3), np.float32)}
            assert not np.array_equal(sess.run(y, feed), sess.run(y, feed))


def test_a_draw_in_a_custom_loss_is_drawn_at_every_step():
    def noisy_mse(y, p):
        return ops.mean(ops.square(y - p + R.normal((1,))))

    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile("sgd", noisy_mse)
    x, y = np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32)
    assert model.evaluate(x, y, verbose=0) != model.evaluate(x, y, verbose=0)


def test_build_runs_as_top_level_code_also_when_loaded_or_built_directly(tmp_path):
    @keras.saving.register_keras_serializable(package="test_random")
    class FixedNoise(layers.Layer):
        def build(self, shape):
            self.noise = R.normal((shape[-1],), seed=R.SeedGenerator(1))  # a value
            self.scale = self.add_weight(shape=(shape[-1],), initializer="zeros",
                                         trainable=False)
            self.scale.assign(np.full(shape[-1], 2.0, np.float32))  # written at once

        def call(self, x):
            return (x + self.noise) * self.scale

    inputs = keras.Input((3,))
    model = keras.Model(inputs, FixedNoise()(inputs))
    x = np.zeros((1, 3), np.float32)
    first = model.predict(x, verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), first)
    assert np.all(first != 0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), loaded.predict(x, verbose=0))
    direct = FixedNoise()
    direct.build((None, 3))
    np.testing.assert_array_equal(direct.scale.numpy(), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(np.asarray(direct(x)), np.asarray(direct(x)))


def test_assign_in_build_in_a_graph_of_ones_own_builds_an_assign_op():
    class Preset(layers.Layer):
        def build(self, shape):
            self.w = self.add_weight(shape=(shape[-1],), initializer="zeros", trainable=False)
            self.w.assign(np.ones(shape[-1], np.float32))

        def call(self, x):
            return x * self.w

    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, (None, 3))
        y = Preset()(p)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            assert sess.run(y, {p: np.ones((1, 3), np.float32)}).shape == (1, 3)
