"""Every layer and model kind survives `.keras`, `.weights.h5`, legacy `.h5` and JSON round
trips with equal predictions; optimizer state round-trips (train 2 epochs, save, load, train 1
== train 3 straight); saves are atomic; mismatches give clear errors."""
import json
import os
import warnings
import zipfile

import h5py
import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras.saving import weights_h5

L = keras.layers


@pytest.fixture(autouse=True)
def _fresh(isolated_registry):
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(3)


RNG = np.random.default_rng(0)

LAYER_STACKS = {
    "dense": ((6,), lambda: [L.Dense(4, activation="relu", kernel_regularizer="l2"),
                             L.Dropout(0.5), L.Activation("tanh"), L.Dense(2, use_bias=False)]),
    "conv1d": ((10, 3), lambda: [L.Conv1D(4, 3, padding="same"), L.MaxPooling1D(2),
                                 L.AveragePooling1D(1), L.GlobalAveragePooling1D()]),
    "conv2d": ((8, 8, 2), lambda: [L.Conv2D(3, 3, strides=2), L.Conv2DTranspose(2, 2),
                                   L.DepthwiseConv2D(3), L.SeparableConv2D(2, 1),
                                   L.MaxPooling2D(), L.Flatten()]),
    "pool2d": ((6, 6, 2), lambda: [L.AveragePooling2D(2), L.GlobalMaxPooling2D()]),
    "pool_global": ((6, 6, 2), lambda: [L.GlobalAveragePooling2D()]),
    "pool1d_global": ((6, 2), lambda: [L.GlobalMaxPooling1D()]),
    "norm": ((5, 4), lambda: [L.BatchNormalization(), L.LayerNormalization(),
                              L.GroupNormalization(2)]),
    "reshape2d": ((6, 6, 2), lambda: [L.ZeroPadding2D(1), L.Cropping2D(1), L.UpSampling2D(2)]),
    "reshape1d": ((6, 2), lambda: [L.ZeroPadding1D(1), L.Cropping1D(1), L.UpSampling1D(2)]),
    "noise": ((6, 4), lambda: [L.GaussianNoise(0.1), L.GaussianDropout(0.1),
                               L.SpatialDropout1D(0.2)]),
    "noise2d": ((6, 6, 4), lambda: [L.SpatialDropout2D(0.2)]),
    "rnn": ((5, 3), lambda: [L.Masking(0.0), L.SimpleRNN(3, return_sequences=True),
                             L.LSTM(4, return_sequences=True),
                             L.GRU(2, reset_after=False, return_sequences=True),
                             L.Bidirectional(L.GRU(2))]),
    "rnn_cells": ((5, 3), lambda: [L.RNN(L.StackedRNNCells([L.LSTMCell(3), L.GRUCell(2),
                                                           L.SimpleRNNCell(2)]),
                                         return_sequences=True),
                                   L.TimeDistributed(L.Dense(2))]),
    "embedding": ((4,), lambda: [L.Embedding(10, 3, mask_zero=True), L.LSTM(2)]),
    "einsum_dense": ((5, 4), lambda: [L.EinsumDense("abc,cde->abde", (None, 3, 2),
                                                    bias_axes="de"), L.Reshape((5, 6)),
                                      L.EinsumDense("abc,cd->abd", (None, 2))]),
    "preprocessing": ((6,), lambda: [L.Rescaling(0.5, offset=1.0), L.Identity(),
                                     L.Normalization(mean=0.5, variance=2.0),
                                     L.UnitNormalization(), L.Dense(2)]),
}


def _data(shape, dtype="float32", n=4):
    if dtype == "int32":
        return RNG.integers(0, 10, size=(n,) + shape).astype("int32")
    return RNG.normal(size=(n,) + shape).astype("float32")


def _trained_sequential(name):
    shape, make = LAYER_STACKS[name]
    dtype = "int32" if name == "embedding" else "float32"
    model = keras.Sequential([keras.Input(shape, dtype=dtype)] + make())
    x = _data(shape, dtype)
    model.compile("adam", "mse")
    y = model.predict(x, verbose=0)
    model.fit(x, np.ones_like(y), verbose=0)  # moves BN statistics and the optimizer too
    return model, x


@pytest.mark.parametrize("name", sorted(LAYER_STACKS))
def test_every_layer_round_trips_through_every_format(name, tmp_path):
    model, x = _trained_sequential(name)
    expected = model.predict(x, verbose=0)
    config = model.get_config()
    for fname in ("m.keras", "m.h5"):
        model.save(tmp_path / fname)
        loaded = keras.models.load_model(tmp_path / fname)
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)
        assert json.dumps(loaded.get_config()) == json.dumps(config)
    model.save_weights(tmp_path / "w.weights.h5")
    fresh = keras.Sequential.from_config(config)
    fresh.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), expected)
    clone = keras.models.model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(x, verbose=0), expected)


def _functional():
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    shared = L.Dense(4, activation="tanh", name="shared")
    inner = keras.Sequential([L.Dense(3, activation="relu"), L.Dense(4)], name="inner")
    ha = shared(L.Dense(4, name="proj_a")(a))
    hb = shared(inner(b))
    out1 = L.Dense(2, name="out1")(ha)
    out2 = L.Dense(1, name="out2")(shared(hb))
    return keras.Model([a, b], [out1, out2], name="two_in_two_out")


def test_functional_with_shared_layers_nested_model_and_two_inputs(tmp_path):
    model = _functional()
    xa, xb = _data((4,)), _data((3,))
    model.compile("adam", ["mse", "mae"])
    model.fit([xa, xb], [np.ones((4, 2)), np.zeros((4, 1))], verbose=0)
    expected = model.predict([xa, xb], verbose=0)
    model.save(tmp_path / "f.keras")
    loaded = keras.models.load_model(tmp_path / "f.keras")
    for e, g in zip(expected, loaded.predict([xa, xb], verbose=0)):
        np.testing.assert_array_equal(e, g)
    assert [lyr.name for lyr in loaded.layers] == [lyr.name for lyr in model.layers]
    shared = loaded.get_layer("shared")
    assert len(shared._inbound_nodes) == 3  # still one layer called three times
    again = keras.Model.from_config(model.get_config())
    assert [type(lyr).__name__ for lyr in again.layers] == \
        [type(lyr).__name__ for lyr in model.layers]


def test_functional_with_core_ops_between_layers_cannot_be_serialized(tmp_path):
    i = keras.Input((3,))
    model = keras.Model(i, L.Dense(2)(i * 2.0))
    with pytest.raises(ValueError, match="core op applied outside any layer"):
        model.save(tmp_path / "m.keras")
    assert not os.path.exists(tmp_path / "m.keras")


def _register_subclassed():
    @keras.saving.register_keras_serializable(package="RoundTrip")
    class Tower(keras.Model):
        def __init__(self, width=5, **kwargs):
            super().__init__(**kwargs)
            self.width = width
            self.zeta = L.Dense(width, activation="relu")
            self.blocks = [L.Dense(width), L.BatchNormalization()]
            self._head = L.Dense(2)

        def call(self, x, training=None):
            h = self.blocks[1](self.blocks[0](self.zeta(x)), training=training)
            return self._head(h)

        def get_config(self):
            return {**super().get_config(), "width": self.width}
    return Tower


def test_registered_subclassed_model_round_trips(tmp_path):
    Tower = _register_subclassed()
    model = Tower(width=6, name="tower")
    x = _data((3,), n=8)
    model.compile("rmsprop", "mse")
    model.fit(x, np.ones((8, 2)), verbose=0, epochs=2)
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "t.keras")
    with zipfile.ZipFile(tmp_path / "t.keras") as zf:
        config = json.loads(zf.read("config.json"))
    assert config["registered_name"] == "RoundTrip>Tower" and config["config"]["width"] == 6
    loaded = keras.models.load_model(tmp_path / "t.keras")
    assert isinstance(loaded, Tower) and loaded.width == 6
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)
    with h5py.File(tmp_path / "w.weights.h5", "w") as f:
        weights_h5.write_weights(model, f)
        paths = []
        f.visititems(lambda n, o: paths.append(n) if isinstance(o, h5py.Dataset) else None)
    # Keras 3's layout: attributes in sorted order ("blocks" < "layers" < "zeta"), private
    # ones last, the model's `layers` list among them; each object written once
    assert {p.rsplit("/vars", 1)[0] for p in paths} == {
        "blocks/dense", "blocks/batch_normalization", "layers/dense", "layers/dense_2",
        "optimizer"}


def test_custom_objects_argument_and_unknown_custom_class(tmp_path):
    class Shift(L.Layer):
        def call(self, x):
            return x + 1.0

    model = keras.Sequential([keras.Input((2,)), Shift(name="shift"), L.Dense(1)])
    x = _data((2,))
    model.save(tmp_path / "s.keras")
    with pytest.raises(ValueError, match=r"Shift.*custom_objects"):
        keras.models.load_model(tmp_path / "s.keras")
    loaded = keras.models.load_model(tmp_path / "s.keras", custom_objects={"Shift": Shift})
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def _mlp():
    return keras.Sequential([keras.Input((5,)), L.Dense(8, activation="tanh"),
                             L.BatchNormalization(), L.Dense(3)])


@pytest.mark.parametrize("opt", [
    lambda: keras.optimizers.Adam(0.01),
    lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    lambda: keras.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    lambda: keras.optimizers.Nadam(0.01),
    lambda: keras.optimizers.Adadelta(1.0)])
@pytest.mark.parametrize("fmt", ["keras", "h5"])
def test_optimizer_state_round_trip_continues_training_exactly(opt, fmt, tmp_path):
    x, y = _data((5,), n=32), _data((3,), n=32)

    def fresh():
        keras.backend.clear_session(free_memory=False)
        keras.utils.set_random_seed(11)
        model = _mlp()
        model.compile(opt(), "mse")
        return model
    straight = fresh()
    h = straight.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    expected = straight.get_weights()
    resumed = fresh()
    resumed.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    resumed.save(tmp_path / f"m.{fmt}")
    keras.backend.clear_session(free_memory=False)
    loaded = keras.models.load_model(tmp_path / f"m.{fmt}")
    assert int(loaded.optimizer.iterations.numpy()) == 8
    h2 = loaded.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    assert h2.history["loss"][0] == h.history["loss"][2]
    for a, b in zip(expected, loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_optimizer_state_of_a_functional_model_in_keras_order(tmp_path):
    """tensorlet lists this model's layers in another order than Keras; the optimizer's slots
    are still written in Keras's order and read back onto the right variables."""
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    da = L.Dense(4, name="da")(a)
    out = L.Dense(1, name="out")(L.Dense(4, name="db2")(L.Dense(4, name="db")(b)))
    model = keras.Model([a, b], [out, da])
    model.compile(keras.optimizers.Adam(0.05), "mse")
    xs = [_data((4,), n=8), _data((3,), n=8)]
    ys = [_data((1,), n=8), _data((4,), n=8)]
    model.fit(xs, ys, epochs=2, batch_size=4, shuffle=False, verbose=0)
    model.save(tmp_path / "f.keras")
    with zipfile.ZipFile(tmp_path / "f.keras") as zf, \
            h5py.File(__import__("io").BytesIO(zf.read("model.weights.h5"))) as f:
        shapes = [f[f"optimizer/vars/{i}"].shape for i in range(2, 18)]
    # Keras order: b, db, db2, a, out, da -> db (3,4) slots come first
    assert shapes[:4] == [(3, 4), (3, 4), (4,), (4,)]
    loaded = keras.models.load_model(tmp_path / "f.keras")
    model.fit(xs, ys, epochs=1, batch_size=4, shuffle=False, verbose=0)
    loaded.fit(xs, ys, epochs=1, batch_size=4, shuffle=False, verbose=0)
    for p, q in zip(model.predict(xs, verbose=0), loaded.predict(xs, verbose=0)):
        np.testing.assert_array_equal(p, q)


def test_weight_dtypes_are_kept(tmp_path):
    model = keras.Sequential([keras.Input((3,), dtype="float64"), L.Dense(2, dtype="float64"),
                              L.Embedding(5, 2, dtype="float16")])
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5") as f:
        assert f["layers/dense/vars/0"].dtype == np.float64
        assert f["layers/embedding/vars/0"].dtype == np.float16


def test_compile_false_and_missing_compile(tmp_path):
    model = _mlp()
    model.compile("adam", "mse")
    model.save(tmp_path / "m.keras")
    assert not keras.models.load_model(tmp_path / "m.keras", compile=False).compiled
    _mlp().save(tmp_path / "plain.keras")
    assert not keras.models.load_model(tmp_path / "plain.keras").compiled


def test_save_weights_and_load_weights_errors(tmp_path):
    model = _mlp()
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        model.save_weights(tmp_path / "w.h5")
    model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(FileExistsError):
        model.save_weights(tmp_path / "w.weights.h5", overwrite=False)
    with pytest.raises(ValueError, match="Invalid filepath extension"):
        model.save(tmp_path / "m.pkl")
    with pytest.raises(ValueError, match="File format not supported"):
        model.load_weights(__file__)
    with pytest.raises(FileNotFoundError):
        model.load_weights(tmp_path / "nothing.weights.h5")
    other = keras.Sequential([keras.Input((5,)), L.Dense(8), L.BatchNormalization(),
                              L.Dense(4)])
    before = other.get_weights()
    with pytest.raises(ValueError) as info:
        other.load_weights(tmp_path / "w.weights.h5")
    msg = str(info.value)
    assert "layer 'dense_3' variable 'dense_3/kernel'" in msg and "(8, 3)" in msg \
        and "(8, 4)" in msg
    for a, b in zip(before, other.get_weights()):  # nothing was assigned
        np.testing.assert_array_equal(a, b)
    with pytest.warns(UserWarning, match="Skipping loading weights for layer 'dense_3'"):
        other.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(other.layers[0].get_weights()[0],
                                  model.layers[0].get_weights()[0])
    np.testing.assert_array_equal(other.layers[2].get_weights()[0], before[-2])
    small = keras.Sequential([keras.Input((5,)), L.Dense(8, activation="tanh")])
    with pytest.warns(UserWarning, match="has no place for"):
        small.load_weights(tmp_path / "w.weights.h5")


@pytest.mark.parametrize("fname", ["m.keras", "w.weights.h5", "m.h5"])
def test_a_failing_save_leaves_the_previous_file_intact(fname, tmp_path, monkeypatch):
    model = _mlp()
    model.compile("adam", "mse")
    path = tmp_path / fname
    save = model.save_weights if fname.endswith(".weights.h5") else model.save
    save(path)
    before = path.read_bytes()
    model.layers[0].set_weights([np.ones((5, 8)), np.ones(8)])
    calls = []
    real = h5py.Group.create_dataset

    def failing(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full (simulated)")
        return real(self, *args, **kwargs)
    monkeypatch.setattr(h5py.Group, "create_dataset", failing)
    with pytest.raises(OSError, match="simulated"):
        save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [fname]


def test_legacy_h5_by_name_loading(tmp_path):
    model = keras.Sequential([keras.Input((4,)), L.Dense(3, name="first"),
                              L.Dense(2, name="second")])
    model.save(tmp_path / "m.h5")
    target = keras.Sequential([keras.Input((4,)), L.Dense(3, name="other"),
                               L.Dense(2, name="second")])
    target.load_weights(tmp_path / "m.h5", by_name=True)
    np.testing.assert_array_equal(target.layers[1].get_weights()[0],
                                  model.layers[1].get_weights()[0])
    assert not np.array_equal(target.layers[0].get_weights()[0],
                              model.layers[0].get_weights()[0])
    wrong = keras.Sequential([keras.Input((4,)), L.Dense(5, name="second")])
    with pytest.raises(ValueError, match="layer 'second'"):
        wrong.load_weights(tmp_path / "m.h5", by_name=True)
    short = keras.Sequential([keras.Input((4,)), L.Dense(3)])
    with pytest.raises(ValueError, match="Layer count mismatch"):
        short.load_weights(tmp_path / "m.h5")


def test_model_checkpoint_writes_loadable_files(tmp_path):
    model = _mlp()
    model.compile("adam", "mse")
    x, y = _data((5,), n=16), _data((3,), n=16)
    cbs = [keras.callbacks.ModelCheckpoint(str(tmp_path / "e{epoch}.keras")),
           keras.callbacks.ModelCheckpoint(str(tmp_path / "w{epoch}.weights.h5"),
                                           save_weights_only=True),
           keras.callbacks.ModelCheckpoint(str(tmp_path / "best.h5"), monitor="loss",
                                           save_best_only=True)]
    model.fit(x, y, epochs=2, verbose=0, callbacks=cbs)
    expected = model.predict(x, verbose=0)
    np.testing.assert_array_equal(
        keras.models.load_model(tmp_path / "e2.keras").predict(x, verbose=0), expected)
    fresh = _mlp()
    fresh.load_weights(tmp_path / "w2.weights.h5")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), expected)
    assert keras.models.load_model(tmp_path / "best.h5").compiled


def test_saving_a_compiled_lambda_loss_warns_and_loads_uncompiled(tmp_path):
    model = _mlp()
    model.compile("adam", loss=lambda t, p: tf.reduce_mean(tf.square(t - p)))
    with pytest.warns(UserWarning, match="load uncompiled"):
        model.save(tmp_path / "m.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not keras.models.load_model(tmp_path / "m.keras").compiled
