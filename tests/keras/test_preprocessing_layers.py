"""Rescaling, Normalization (adapt, given statistics, axes, invert), UnitNormalization and
Identity against NumPy (float64), in models, configs and errors."""
import numpy as np
import pytest

from tensorlet import keras

L = keras.layers
RNG = np.random.default_rng(0)
X = RNG.normal(3.0, 2.0, (64, 5, 3)).astype(np.float32)


def test_rescaling_identity_unit_normalization():
    img = RNG.integers(0, 256, (2, 4, 4, 3)).astype(np.uint8)
    out = np.asarray(L.Rescaling(1 / 127.5, offset=-1)(img))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, img / 127.5 - 1, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(L.Identity()(X)), X)
    unit = np.asarray(L.UnitNormalization(axis=(1, 2))(X))
    ref = X / np.sqrt((X.astype(np.float64) ** 2).sum(axis=(1, 2), keepdims=True))
    np.testing.assert_allclose(unit, ref, rtol=1e-5)
    assert np.all(np.asarray(L.UnitNormalization()(np.zeros((1, 3), np.float32))) == 0)


@pytest.mark.parametrize("axis, reduce", [(-1, (0, 1)), ((1, 2), (0,)), (None, (0, 1, 2))])
def test_normalization_adapt_matches_numpy(axis, reduce):
    layer = L.Normalization(axis=axis)
    layer.adapt(X)
    x64 = X.astype(np.float64)
    mean, std = x64.mean(axis=reduce, keepdims=True), x64.std(axis=reduce, keepdims=True)
    np.testing.assert_allclose(np.asarray(layer(X)), (x64 - mean) / std, rtol=1e-4, atol=1e-4)


def test_normalization_from_batches_given_statistics_and_invert():
    layer = L.Normalization()
    layer.adapt(X[i:i + 16] for i in range(0, 64, 16))  # a generator of batches
    x64 = X.astype(np.float64)
    np.testing.assert_allclose(layer.adapt_mean.numpy(), x64.mean(axis=(0, 1)), rtol=1e-5)
    fixed = L.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 0.25])
    np.testing.assert_allclose(np.asarray(fixed(np.ones((2, 3), np.float32))),
                               [[0.0, -1.0, -4.0]] * 2)
    back = L.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 0.25], invert=True)
    np.testing.assert_allclose(np.asarray(back(np.zeros((1, 3), np.float32))), [[1, 2, 3]])


def test_in_a_model_saved_and_loaded(tmp_path):
    norm = L.Normalization()
    norm.adapt(X.reshape(-1, 3))
    model = keras.Sequential([keras.Input((3,)), L.Rescaling(2.0), norm, L.UnitNormalization(),
                              L.Identity(), L.Dense(1)])
    model.compile("adam", "mse")
    model.fit(X.reshape(-1, 3), X.reshape(-1, 3)[:, :1], epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(X[0], verbose=0), model.predict(X[0], verbose=0),
                               rtol=1e-6)
    config = L.Normalization(axis=(1, 2), mean=0.5, variance=2.0, invert=True).get_config()
    assert L.Normalization.from_config(config).get_config() == config


def test_errors():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        L.Normalization(mean=1.0)
    fixed = L.Normalization(mean=1.0, variance=1.0)
    with pytest.raises(ValueError, match="cannot adapt"):
        fixed.adapt(X)
    with pytest.raises(ValueError, match="no data"):
        L.Normalization().adapt(iter([]))
    with pytest.raises(ValueError, match="size of axis"):
        L.Normalization(axis=1)(keras.Input((None, 3)))


def test_review_findings(tmp_path):
    given = L.Normalization(axis=1, mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0])
    np.testing.assert_allclose(np.asarray(given(np.ones((2, 3, 4), np.float32)))[0, :, 0],
                               [0.0, -0.5, -2 / 3], rtol=1e-6)
    with pytest.raises(ValueError, match="one shape"):
        L.Normalization(mean=[1.0, 2.0], variance=[1.0])
    batches = L.Normalization()
    batches.adapt([X[:8], X[8:]])  # a list of batches
    np.testing.assert_allclose(batches.adapt_mean.numpy(), X.mean(axis=(0, 1)), rtol=1e-5)
    with pytest.raises(ValueError, match="adapt"):
        batches.adapt(np.zeros((4, 5), np.float32))
    model = keras.Sequential([keras.Input((3,)), L.Rescaling(np.array([1.0, 2.0, 3.0]))])
    model.save(tmp_path / "r.keras")
    np.testing.assert_array_equal(
        keras.models.load_model(tmp_path / "r.keras").predict(np.ones((1, 3)), verbose=0),
        [[1.0, 2.0, 3.0]])


def test_rescaling_per_channel_follows_the_image_data_format():
    keras.backend.set_image_data_format("channels_first")
    try:
        first = np.asarray(L.Rescaling([1.0, 2.0, 3.0])(np.ones((1, 3, 2, 2), np.float32)))
    finally:
        keras.backend.set_image_data_format("channels_last")
    np.testing.assert_array_equal(first[0, :, 0, 0], [1.0, 2.0, 3.0])
    last = np.asarray(L.Rescaling([1.0, 2.0, 3.0])(np.ones((1, 2, 2, 3), np.float32)))
    np.testing.assert_array_equal(last[0, 0, 0], [1.0, 2.0, 3.0])
