"""Keras in eager mode: `model(x)` runs at once, a TF2-style custom training loop (GradientTape +
optimizer.apply_gradients) trains the digits MLP, tf.function of that step gives the same
numbers, and `fit`/`evaluate` still compile their steps."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.eager import EagerTensor, EagerVariable


@pytest.fixture(autouse=True)
def eager():
    with tf.eager_mode():
        keras.backend.clear_session(free_memory=False)
        keras.utils.set_random_seed(1)
        yield
        keras.backend.clear_session(free_memory=False)


@pytest.fixture(scope="module")
def digits():
    (x, y), (xt, yt) = keras.datasets.digits.load_data()
    x = x.reshape(len(x), -1).astype("float32") / 16.0
    xt = xt.reshape(len(xt), -1).astype("float32") / 16.0
    return x, y.astype("int32"), xt, yt.astype("int32")


def _mlp():
    return keras.Sequential([keras.layers.Dense(64, activation="relu"),
                             keras.layers.Dense(10)])


def _train(model, x, y, epochs, compiled, batch=32):
    opt = keras.optimizers.Adam(1e-2)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def step(xb, yb):
        with tf.GradientTape() as tape:
            logits = model(xb, training=True)
            loss = loss_fn(yb, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss
    if compiled:
        step = tf.function(step)
    losses = []
    for _ in range(epochs):
        for i in range(0, len(x), batch):
            losses.append(step(tf.constant(x[i:i + batch]), tf.constant(y[i:i + batch])))
    return np.array([float(v) for v in losses])


def test_model_call_runs_eagerly_and_leaves_no_history(digits):
    x = digits[0][:4]
    model = _mlp()
    out = model(tf.constant(x))
    assert isinstance(out, EagerTensor) and out.shape.as_list() == [4, 10]
    assert isinstance(model(x), EagerTensor)  # NumPy input too, as in TF 2
    assert all(isinstance(w, EagerVariable) for w in model.weights)
    assert [w.path for w in model.weights] == ["dense/kernel", "dense/bias", "dense_1/kernel",
                                               "dense_1/bias"]
    for _ in range(3):
        model(x)
    assert model._inbound_nodes == [] and model.layers[0]._inbound_nodes == []
    w = model.get_weights()
    np.testing.assert_allclose(out.numpy(), np.maximum(x @ w[0] + w[1], 0) @ w[2] + w[3],
                               rtol=1e-5, atol=1e-6)
    model.set_weights([np.zeros_like(a) for a in w])
    np.testing.assert_array_equal(model(x).numpy(), np.zeros((4, 10)))


def test_custom_training_loop_learns_digits(digits):
    x, y, xt, yt = digits
    model = _mlp()
    losses = _train(model, x, y, epochs=5, compiled=False)
    assert losses[-5:].mean() < losses[:5].mean() / 5
    accuracy = np.mean(np.argmax(model(xt).numpy(), axis=1) == yt)
    assert accuracy >= 0.95


def test_compiled_training_step_gives_the_eager_numbers(digits):
    x, y = digits[0][:320], digits[1][:320]
    model = _mlp()
    model(x[:1])
    start = model.get_weights()
    eager_losses = _train(model, x, y, epochs=2, compiled=False)
    eager_weights = model.get_weights()
    model.set_weights(start)
    fn_losses = _train(model, x, y, epochs=2, compiled=True)
    np.testing.assert_array_equal(fn_losses, eager_losses)
    for a, b in zip(model.get_weights(), eager_weights):
        np.testing.assert_array_equal(a, b)


def test_fit_and_evaluate_still_compile_in_eager_mode(digits):
    x, y, xt, yt = digits
    model = _mlp()
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(xt, yt, verbose=0)
    assert accuracy >= 0.9
    # the weights fit trained are the eager model's: an eager call agrees with predict
    np.testing.assert_allclose(model(xt[:8]).numpy(), model.predict(xt[:8], verbose=0),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "tf.function"])
def test_metrics_in_a_custom_loop(compiled):
    acc = keras.metrics.SparseCategoricalAccuracy()
    mean = keras.metrics.Mean()

    def update(y, probs):
        acc.update_state(y, probs)
        mean.update_state(tf.reduce_max(probs, axis=1))
        return acc.result()
    if compiled:
        update = tf.function(update)
    y = tf.constant([0, 1, 1, 0])
    probs = tf.constant([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    assert float(update(y, probs)) == 0.5
    assert float(update(y[:2], probs[:2])) == pytest.approx(4 / 6)
    assert float(mean.result()) == pytest.approx((0.9 + 0.8 + 0.6 + 0.7 + 0.9 + 0.8) / 6)
    acc.reset_state()
    assert float(acc.result()) == 0.0
    assert float(update(y, probs)) == 0.5
    assert float(acc(np.array([1]), np.array([[0.2, 0.8]]))) == pytest.approx(0.6)

