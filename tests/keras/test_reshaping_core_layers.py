"""Reshape, Permute and RepeatVector against NumPy float64 references (reshape, transpose,
repeat), gradients through each layer, the layer contract, configs and build-time errors."""
import numpy as np
import pytest
from layer_contract import check_layer_gradients, run_layer_test

from tensorlet import keras
from tensorlet.keras import layers

rng = np.random.default_rng(11)


@pytest.fixture(autouse=True)
def _fresh_keras():
    keras.backend.clear_session(free_memory=False)
    yield


# -- Reshape --------------------------------------------------------------------------------


@pytest.mark.parametrize("target,ref_shape", [((3, 4), (2, 3, 4)), ((-1, 2, 2), (2, 3, 2, 2)),
                                              ((12,), (2, 12)), ((4, -1), (2, 4, 3))])
def test_reshape_matches_numpy(target, ref_shape):
    x = rng.standard_normal((2, 6, 2))
    y = layers.Reshape(target)(x.astype(np.float32))
    np.testing.assert_allclose(y, x.reshape(ref_shape), rtol=1e-6)
    assert layers.Reshape(target).compute_output_shape((None, 6, 2)) == (None,) + ref_shape[1:]


def test_reshape_symbolic_shapes_with_unknown_dims():
    inp = keras.Input((None, 4))
    out = layers.Reshape((-1, 2))(inp)
    assert tuple(out.shape.dims) == (None, None, 2)
    out2 = layers.Reshape((2, -1))(keras.Input((12,)))
    assert tuple(out2.shape.dims) == (None, 2, 6)
    model = keras.Model(inp, out)
    x = rng.standard_normal((3, 5, 4)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x.reshape(3, 10, 2))
    assert layers.Reshape((-1, 2)).compute_output_shape((None, None, 4)) == (None, None, 2)


def test_reshape_gradients_and_contract():
    check_layer_gradients(layers.Reshape((3, -1), dtype="float64"),
                          rng.standard_normal((2, 2, 6)))
    run_layer_test(layers.Reshape, {"target_shape": (2, -1)}, (3, 8), (3, 2, 4),
                   expected_num_trainable_weights=0)
    config = layers.Reshape([5, -1]).get_config()
    assert config["target_shape"] == (5, -1)
    assert layers.Reshape.from_config(config).target_shape == (5, -1)


def test_reshape_errors():
    with pytest.raises(ValueError, match=r"'reshape'.*\(None, 12\) \(12 values.*"
                                         r"target_shape \(3, 5\) \(15"):
        layers.Reshape((3, 5))(keras.Input((12,)))
    with pytest.raises(ValueError, match=r"\(None, 12\).*target_shape \(5, -1\).*multiple"):
        layers.Reshape((5, -1))(keras.Input((12,)))
    with pytest.raises(ValueError, match="at most one -1"):
        layers.Reshape((-1, -1))
    with pytest.raises(ValueError, match="tuple of integers"):
        layers.Reshape("34")
    with pytest.raises(ValueError, match="tuple of integers"):
        layers.Reshape((2.5, 2))
    with pytest.raises(ValueError, match=r"Layer 'r' \(Reshape\).*\(None, 3, 2\)"):
        layers.Reshape((7,), name="r").compute_output_shape((None, 3, 2))


# -- Permute --------------------------------------------------------------------------------


@pytest.mark.parametrize("dims", [(2, 1), (1, 2), (3, 1, 2), (2, 3, 1)])
def test_permute_matches_numpy(dims):
    shape = (2, 3, 4) if len(dims) == 2 else (2, 3, 4, 5)
    x = rng.standard_normal(shape)
    y = layers.Permute(dims)(x.astype(np.float32))
    np.testing.assert_allclose(y, np.transpose(x, (0,) + dims), rtol=1e-6)
    want = (None,) + tuple(shape[d] for d in dims)
    assert layers.Permute(dims).compute_output_shape((None,) + shape[1:]) == want


def test_permute_gradients_contract_and_errors():
    check_layer_gradients(layers.Permute((2, 3, 1), dtype="float64"),
                          rng.standard_normal((2, 2, 3, 4)))
    run_layer_test(layers.Permute, {"dims": (2, 1)}, (2, 3, 5), (2, 5, 3))
    assert layers.Permute([2, 1]).get_config()["dims"] == (2, 1)
    with pytest.raises(ValueError, match="consecutive and start from 1"):
        layers.Permute((0, 1))
    with pytest.raises(ValueError, match="consecutive"):
        layers.Permute((1, 3))
    with pytest.raises(ValueError, match=r"permute.*expected ndim=3, found ndim=4.*"
                                         r"\(None, 2, 3, 4\)"):
        layers.Permute((2, 1))(keras.Input((2, 3, 4)))


# -- RepeatVector ---------------------------------------------------------------------------


def test_repeat_vector_matches_numpy():
    x = rng.standard_normal((3, 4))
    y = layers.RepeatVector(5)(x.astype(np.float32))
    ref = np.repeat(x[:, None, :], 5, axis=1)
    np.testing.assert_allclose(y, ref, rtol=1e-6)
    assert layers.RepeatVector(5).compute_output_shape((None, 4)) == (None, 5, 4)
    out = layers.RepeatVector(2)(keras.Input((7,)))
    assert tuple(out.shape.dims) == (None, 2, 7)


def test_repeat_vector_gradients_contract_and_errors():
    check_layer_gradients(layers.RepeatVector(3, dtype="float64"), rng.standard_normal((2, 4)))
    run_layer_test(layers.RepeatVector, {"n": 3}, (2, 4), (2, 3, 4))
    assert layers.RepeatVector(3).get_config()["n"] == 3
    with pytest.raises(TypeError, match="integer value for `n`"):
        layers.RepeatVector(2.0)
    with pytest.raises(ValueError, match="positive"):
        layers.RepeatVector(0)
    with pytest.raises(ValueError, match=r"repeat_vector.*expected ndim=2, found ndim=3.*"
                                         r"received shape \(None, 2, 3\)"):
        layers.RepeatVector(2)(keras.Input((2, 3)))


def test_reshaping_layers_in_a_trained_model(tmp_path):
    """Reshape -> Permute -> Flatten -> Dense -> RepeatVector trains (gradients flow through
    every layer) and the model saves and loads with the same predictions."""
    model = keras.Sequential([keras.Input((12,)), layers.Reshape((3, 4)),
                              layers.Permute((2, 1)), layers.Flatten(), layers.Dense(2),
                              layers.RepeatVector(3), layers.Reshape((6,))])
    model.compile(keras.optimizers.SGD(0.05), "mse")
    x = rng.standard_normal((16, 12)).astype(np.float32)
    y = rng.standard_normal((16, 6)).astype(np.float32)
    hist = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert model.output_shape == (None, 6)
    model.save(tmp_path / "m.keras")
    want = model.predict(x, verbose=0)
    keras.backend.clear_session(free_memory=False)
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert [type(la).__name__ for la in loaded.layers[:3]] == ["Reshape", "Permute", "Flatten"]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, rtol=1e-6)
