"""keras.initializers: Keras 3 defaults, statistics, fan rules, seeds, Orthogonal, Identity,
configs and errors."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet.keras import initializers


def run(t):
    with tf.Session() as sess:
        return sess.run(t)


def draw(init, shape, dtype=None):
    return run(init(shape, dtype))


@pytest.mark.parametrize("cls, scale, mode, uniform", [
    (initializers.GlorotUniform, 1.0, "fan_avg", True),
    (initializers.GlorotNormal, 1.0, "fan_avg", False),
    (initializers.HeNormal, 2.0, "fan_in", False),
    (initializers.HeUniform, 2.0, "fan_in", True),
    (initializers.LecunNormal, 1.0, "fan_in", False),
    (initializers.LecunUniform, 1.0, "fan_in", True),
])
def test_variance_scaling_family_statistics(cls, scale, mode, uniform):
    shape = (300, 200)
    fan_in, fan_out = shape
    n = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode]
    w = draw(cls(seed=3), shape)
    assert w.shape == shape and w.dtype == np.float32
    std = np.sqrt(scale / n)
    assert abs(w.mean()) < 0.05 * std
    assert abs(w.std() / std - 1) < 0.03  # the variance is scale / n in every case
    bound = np.sqrt(3 * scale / n) if uniform else 2 * std / 0.87962566103423978
    assert np.abs(w).max() <= bound * (1 + 1e-6)
    if uniform:
        assert np.abs(w).max() > 0.98 * bound


def test_fan_rules():
    assert initializers.compute_fans(()) == (1, 1)
    assert initializers.compute_fans((7,)) == (7, 7)
    assert initializers.compute_fans((4, 9)) == (4, 9)
    assert initializers.compute_fans((3, 3, 16, 32)) == (144, 288)
    w = draw(initializers.VarianceScaling(2.0, "fan_out", "untruncated_normal", seed=1),
             (3, 3, 64, 128))
    assert abs(w.std() / np.sqrt(2.0 / (9 * 128)) - 1) < 0.02


def test_random_defaults_are_keras_3s():
    w = draw(initializers.RandomNormal(seed=1), (200, 200))
    assert abs(w.std() - 0.05) < 0.002 and abs(w.mean()) < 0.002
    w = draw(initializers.RandomUniform(seed=1), (200, 200))
    assert w.min() >= -0.05 and w.max() < 0.05 and w.max() > 0.0499
    w = draw(initializers.TruncatedNormal(seed=1), (200, 200))
    assert np.abs(w).max() <= 0.1 and abs(w.std() - 0.05 * 0.8796) < 0.002
    w = draw(initializers.RandomNormal(mean=3.0, stddev=0.5, seed=1), (100, 100))
    assert abs(w.mean() - 3.0) < 0.02 and abs(w.std() - 0.5) < 0.02


def test_seeded_initializers_repeat_across_calls_graphs_and_sessions():
    init = initializers.GlorotUniform(seed=42)
    a, b = draw(init, (4, 5)), draw(init, (4, 5))
    np.testing.assert_array_equal(a, b)
    with tf.Graph().as_default():
        c = draw(initializers.GlorotUniform(seed=42), (4, 5))
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, draw(initializers.GlorotUniform(seed=43), (4, 5)))


@pytest.mark.parametrize("cls", [initializers.RandomNormal, initializers.TruncatedNormal,
                                 initializers.RandomUniform, initializers.HeNormal,
                                 initializers.Orthogonal])
def test_a_seed_generator_gives_new_values_per_call_repeatable_from_its_seed(cls):
    from tensorlet import keras
    init = cls(seed=keras.random.SeedGenerator(7))
    a, b = draw(init, (4, 4)), draw(init, (4, 4))
    assert not np.array_equal(a, b)
    again = cls(seed=keras.random.SeedGenerator(7))
    np.testing.assert_array_equal(draw(again, (4, 4)), a)
    with tf.eager_mode():  # eagerly too
        first = cls(seed=keras.random.SeedGenerator(7))((4, 4)).numpy()
        np.testing.assert_array_equal(cls(seed=keras.random.SeedGenerator(7))((4, 4)).numpy(),
                                      first)
    clone = initializers.deserialize(initializers.serialize(init))  # the config names it
    assert clone.get_config()["seed"]["class_name"] == "SeedGenerator"
    np.testing.assert_array_equal(draw(clone, (4, 4)), a)
    with pytest.raises(ValueError, match="SeedGenerator"):
        cls(seed="7")
    keras.utils.set_random_seed(123)  # the generator's own stream: the global seed is no input
    np.testing.assert_array_equal(draw(cls(seed=keras.random.SeedGenerator(7)), (4, 4)), a)


def test_unseeded_initializers_follow_the_graph_seed():
    def build():
        g = tf.Graph()
        with g.as_default():
            tf.set_random_seed(7)
            ts = [initializers.HeNormal()((3, 4)), initializers.RandomUniform()((2, 2))]
            with tf.Session(graph=g) as sess:
                return sess.run(ts)
    first, second = build(), build()
    for x, y in zip(first, second):
        np.testing.assert_array_equal(x, y)
    init = initializers.GlorotNormal()  # no seeds at all: two draws differ
    assert not np.array_equal(draw(init, (6, 6)), draw(init, (6, 6)))


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 2, 3, 4), (6, 6)])
def test_orthogonal_is_orthogonal(shape):
    w = draw(initializers.Orthogonal(gain=2.0, seed=5), shape)
    assert w.shape == shape
    flat = w.reshape(-1, shape[-1]).astype(np.float64) / 2.0
    if flat.shape[0] >= flat.shape[1]:
        np.testing.assert_allclose(flat.T @ flat, np.eye(flat.shape[1]), atol=1e-5)
    else:
        np.testing.assert_allclose(flat @ flat.T, np.eye(flat.shape[0]), atol=1e-5)


def test_orthogonal_needs_two_dimensions():
    with pytest.raises(ValueError, match="at least two-dimensional"):
        initializers.OrthogonalInitializer()((4,))


def test_identity_zeros_ones_constant():
    np.testing.assert_array_equal(draw(initializers.Identity(), (3, 3)), np.eye(3))
    np.testing.assert_array_equal(draw(initializers.Identity(gain=0.5), (2, 4)),
                                  0.5 * np.eye(2, 4))
    with pytest.raises(ValueError, match="2D"):
        initializers.Identity()((2, 2, 2))
    z = draw(initializers.Zeros(), (2, 3))
    assert z.dtype == np.float32 and not z.any()
    o = draw(initializers.Ones(), (2,), "float64")
    assert o.dtype == np.float64 and o.tolist() == [1.0, 1.0]
    np.testing.assert_array_equal(draw(initializers.Constant(2.5), (2, 2)), np.full((2, 2), 2.5))
    np.testing.assert_array_equal(draw(initializers.Constant([1.0, 2.0, 3.0]), (2, 3)),
                                  [[1, 2, 3], [1, 2, 3]])
    with pytest.raises(ValueError, match=r"shape \(3,\) cannot fill a variable of shape "
                                         r"\(2, 2\)"):
        initializers.Constant([1.0, 2.0, 3.0])((2, 2))
    with pytest.raises(ValueError, match="must be a number"):
        initializers.Constant("x")


def test_values_can_initialise_a_variable():
    v = tf.Variable(initializers.get("glorot_uniform")((3, 2)))
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(v).shape == (3, 2)


@pytest.mark.parametrize("name", [
    "zeros", "ones", "constant", "random_normal", "random_uniform", "truncated_normal",
    "variance_scaling", "glorot_uniform", "glorot_normal", "he_normal", "he_uniform",
    "lecun_normal", "lecun_uniform", "orthogonal", "identity", "GlorotUniform", "uniform",
    "normal", "one", "zero", "Orthogonal", "IdentityInitializer", "OrthogonalInitializer"])
def test_get_by_name_and_config_round_trip(name):
    init = initializers.get(name)
    assert isinstance(init, initializers.Initializer)
    config = initializers.serialize(init)
    assert config["class_name"] == type(init).__name__ and config["module"] == \
        "keras.initializers"
    again = initializers.deserialize(config)
    assert type(again) is type(init) and again.get_config() == init.get_config()


def test_configs_carry_arguments():
    init = initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform",
                                        seed=9)
    assert init.get_config() == {"scale": 2.0, "mode": "fan_out", "distribution": "uniform",
                                 "seed": 9}
    assert initializers.GlorotUniform(seed=3).get_config() == {"seed": 3}
    assert initializers.RandomUniform().get_config() == {"minval": -0.05, "maxval": 0.05,
                                                         "seed": None}
    clone = initializers.get({"class_name": "RandomNormal", "config": {"stddev": 0.2}})
    assert clone.stddev == 0.2 and clone.mean == 0.0
    assert initializers.get(initializers.HeUniform).get_config() == {"seed": None}


def test_errors_name_what_is_wrong():
    with pytest.raises(ValueError, match="Unknown initializer identifier 'glorot'") as e:
        initializers.get("glorot")
    assert "glorot_uniform" in str(e.value)
    with pytest.raises(ValueError, match="`seed` must be an integer"):
        initializers.GlorotUniform(seed="a")
    with pytest.raises(ValueError, match="positive float"):
        initializers.VarianceScaling(scale=0)
    with pytest.raises(ValueError, match="invalid `mode`"):
        initializers.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="invalid `distribution`"):
        initializers.VarianceScaling(distribution="normal")
    with pytest.raises(ValueError, match="fully defined"):
        initializers.Zeros()((None, 3))
