"""ActivityRegularization: the identity whose penalty (l1 * sum|x| + l2 * sum x², divided by the
batch size) lands in `layer.losses`, in the loss that fit/evaluate report and in the gradients of
a training step (checked against a hand-computed SGD update)."""
import numpy as np
import pytest
from layer_contract import check_layer_gradients, run_layer_test

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers

rng = np.random.default_rng(51)


@pytest.fixture(autouse=True)
def _fresh_keras():
    keras.backend.clear_session(free_memory=False)
    yield


def _penalty(h, l1, l2):
    return (l1 * np.abs(h).sum() + l2 * (h ** 2).sum()) / h.shape[0]


def test_identity_output_and_penalty_in_losses():
    x = rng.standard_normal((4, 3))
    layer = layers.ActivityRegularization(l1=0.1, l2=0.05, dtype="float64")
    graph = tf.Graph()
    with graph.as_default():
        ph = tf.placeholder(tf.float64, (None, 3))
        y = layer(ph)
        assert len(layer.losses) == 1
        r = tf.constant(rng.standard_normal((4, 3)))
        total = layer.losses[0] + tf.reduce_sum(y * r)
        (grad,) = tf.gradients(total, [ph])
        with tf.Session(graph=graph) as sess:
            out, loss, g = sess.run([y, layer.losses[0], grad], {ph: x})
            rv = sess.run(r)
    np.testing.assert_array_equal(out, x)
    np.testing.assert_allclose(loss, _penalty(x, 0.1, 0.05), rtol=1e-12)
    # d/dx of the penalty plus the output term, written by hand.
    np.testing.assert_allclose(g, (0.1 * np.sign(x) + 0.1 * x) / 4 + rv, rtol=1e-12)
    check_layer_gradients(layers.ActivityRegularization(l2=0.3, dtype="float64"),
                          rng.standard_normal((2, 3)))


def test_contract_and_config():
    run_layer_test(layers.ActivityRegularization, {"l1": 0.01, "l2": 0.02}, (2, 3), (2, 3),
                   expected_num_trainable_weights=0)
    config = layers.ActivityRegularization(l1=0.5).get_config()
    assert config["l1"] == 0.5 and config["l2"] == 0.0
    assert "activity_regularizer" not in config
    assert layers.ActivityRegularization.from_config(config).activity_regularizer.l1 == 0.5
    with pytest.raises(ValueError, match=r"l1.*-1"):
        layers.ActivityRegularization(l1=-1)
    with pytest.raises(ValueError, match=r"l2.*'x'"):
        layers.ActivityRegularization(l2="x")


def _model(l1, l2, weights=None):
    inp = keras.Input((4,))
    h = layers.Dense(3, name="hidden")(inp)
    if l1 or l2:
        h = layers.ActivityRegularization(l1=l1, l2=l2)(h)
    model = keras.Model(inp, layers.Dense(1, name="head")(h))
    if weights is not None:
        model.set_weights(weights)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    return model


def test_training_loss_and_gradients_include_the_penalty():
    l1, l2, lr = 0.02, 0.05, 0.1
    x = rng.standard_normal((8, 4)).astype(np.float32)
    y = rng.standard_normal((8, 1)).astype(np.float32)
    reg = _model(l1, l2)
    weights = reg.get_weights()
    plain = _model(0, 0, weights)
    w1, b1, w2, b2 = (w.astype(np.float64) for w in weights)
    h = x.astype(np.float64) @ w1 + b1
    mse = np.mean((h @ w2 + b2 - y) ** 2)
    np.testing.assert_allclose(reg.evaluate(x, y, batch_size=8, verbose=0),
                               mse + _penalty(h, l1, l2), rtol=1e-5)
    np.testing.assert_allclose(plain.evaluate(x, y, batch_size=8, verbose=0), mse, rtol=1e-5)
    loss = reg.train_on_batch(x, y)
    plain.train_on_batch(x, y)
    np.testing.assert_allclose(loss, mse + _penalty(h, l1, l2), rtol=1e-5)
    # The penalty's gradient, by hand: d/dh = (l1 sign(h) + 2 l2 h) / batch.
    dh = (l1 * np.sign(h) + 2 * l2 * h) / len(x)
    extra_w1 = -lr * x.astype(np.float64).T @ dh
    extra_b1 = -lr * dh.sum(axis=0)
    got_w1, got_b1 = reg.get_weights()[:2]
    ref_w1, ref_b1 = plain.get_weights()[:2]
    np.testing.assert_allclose(got_w1 - ref_w1, extra_w1, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got_b1 - ref_b1, extra_b1, rtol=1e-4, atol=1e-6)
    hist = reg.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert all(np.isfinite(hist.history["loss"]))
