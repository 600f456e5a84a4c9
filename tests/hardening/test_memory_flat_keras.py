"""Issue 9, "Flat memory in loops" for Keras: 1,000 calls of `predict`, `model(x)`,
`evaluate`, `train_on_batch` (and the other one-batch methods) neither grow the traced Python
memory beyond a small bound nor add ops to the Keras graph; every per-shape cache is bounded
(least recently used entries go first), so a loop over many distinct input shapes stays flat."""
import gc
import tracemalloc

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import backend
from tensorlet.keras.layers import layer as layer_module
from tensorlet.keras.models import plans

BOUND = 64 * 1024  # bytes of traced growth allowed over a whole loop (~64 bytes per call)


def _growth(fn, n=1000):
    """Traced memory growth (bytes) and Keras-graph growth (ops) over `n` calls of `fn`, after
    a few warm-up calls that build the plans."""
    for _ in range(3):
        fn()
    graph = backend.get_graph()
    ops_before = graph.version
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(n):
            fn()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before, graph.version - ops_before


@pytest.fixture(scope="module")
def model():
    backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dropout(0.2), keras.layers.Dense(3, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    yield m
    backend.clear_session(free_memory=False)


X = np.random.default_rng(0).random((16, 8), dtype=np.float32)
Y = np.arange(16) % 3


@pytest.mark.parametrize("name, call", [
    ("predict", lambda m: m.predict(X, verbose=0)),
    ("predict, several batches", lambda m: m.predict(np.tile(X, (5, 1)), batch_size=32,
                                                     verbose=0)),
    ("model(x)", lambda m: m(X)),
    ("model(x, training=True)", lambda m: m(X, training=True)),
    ("evaluate", lambda m: m.evaluate(X, Y, verbose=0)),
    ("train_on_batch", lambda m: m.train_on_batch(X, Y)),
    ("test_on_batch", lambda m: m.test_on_batch(X, Y, return_dict=True)),
    ("predict_on_batch", lambda m: m.predict_on_batch(X)),
    ("layer(x)", lambda m: m.layers[0](X)),
])
def test_thousand_calls_keep_memory_flat(model, name, call):
    grown, new_ops = _growth(lambda: call(model))
    assert new_ops == 0, f"{name}: the Keras graph grew by {new_ops} ops in the loop"
    assert grown < BOUND, f"{name}: traced memory grew by {grown} bytes over 1,000 calls"


def test_fit_in_a_loop_keeps_memory_flat(model):
    grown, new_ops = _growth(lambda: model.fit(X, Y, batch_size=8, verbose=0), n=200)
    assert new_ops == 0
    assert grown < BOUND, f"fit: traced memory grew by {grown} bytes over 200 calls"


def test_a_metric_object_called_in_a_loop_keeps_memory_flat():
    metric = keras.metrics.SparseCategoricalAccuracy()
    y_pred = np.eye(3, dtype=np.float32)[Y]
    grown, new_ops = _growth(lambda: metric(Y, y_pred), n=500)
    assert new_ops == 0 and grown < BOUND


def test_memory_is_released_when_the_model_is_dropped():
    """Plans, placeholders and values belong to the Keras graph and session: clear_session
    gives them back once no model refers to them (nothing is held by module-level state)."""
    def build_and_run():
        backend.clear_session()  # the default, free_memory=True
        m = keras.Sequential([keras.Input((32,)), keras.layers.Dense(64),
                              keras.layers.Dense(1)])
        m.compile(optimizer="sgd", loss="mse")
        m.train_on_batch(np.ones((4, 32), np.float32), np.ones((4, 1), np.float32))
        m.predict(np.ones((4, 32), np.float32), verbose=0)
    grown, _ = _growth(build_and_run, n=30)
    backend.clear_session(free_memory=False)
    assert grown < 4 * BOUND, f"30 build/train/clear cycles kept {grown} bytes"


# -- bounded caches -----------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:The graph grew")  # new shapes build ops
def test_layer_call_cache_is_bounded_with_many_input_shapes():
    flatten = keras.layers.Flatten()
    for k in range(1, 3 * layer_module._EAGER_CACHE_SIZE):
        out = flatten(np.ones((2, k, 2), np.float32))
        assert out.shape == (2, 2 * k)
    assert len(flatten._eager_cache) <= layer_module._EAGER_CACHE_SIZE
    # least recently used goes first: a shape in steady use stays cached (never retraced)
    flatten(np.ones((2, 1, 2), np.float32))
    kept = [entry for key, entry in flatten._eager_cache.items() if key[1] == (1, 2)]
    for k in range(200, 200 + 2 * layer_module._EAGER_CACHE_SIZE):
        flatten(np.ones((2, k, 2), np.float32))
        flatten(np.ones((2, 1, 2), np.float32))
    now = [entry for key, entry in flatten._eager_cache.items() if key[1] == (1, 2)]
    assert len(kept) == 1 and now[0] is kept[0]


class _SumLastAxis(keras.layers.Layer):
    """A layer without its own compute_output_shape: the base class traces `call` per shape."""

    def call(self, x):
        return tf.reduce_sum(x, axis=-1)


def test_compute_output_shape_cache_is_bounded():
    layer = _SumLastAxis()
    for k in range(1, 3 * layer_module._EAGER_CACHE_SIZE):
        assert layer.compute_output_shape((None, k, 3)) == (None, k)
    assert len(layer._eager_cache) <= layer_module._EAGER_CACHE_SIZE


@pytest.mark.filterwarnings("ignore:The graph grew")  # new shapes build ops
def test_model_step_cache_is_bounded_with_many_label_shapes():
    """Train/test steps are keyed by the label shapes; a loop over many of them keeps at most
    `plans._MAX_FUNCTIONS` steps."""
    backend.clear_session(free_memory=False)
    inp = keras.Input((None,))
    model = keras.Model(inp, keras.layers.Activation("linear")(inp))
    model.compile(optimizer="sgd", loss="mse")
    for k in range(1, 2 * plans._MAX_FUNCTIONS + 5):
        x = np.ones((2, k), np.float32)
        assert model.test_on_batch(x, x) == 0.0
    assert len(model._functions) <= plans._MAX_FUNCTIONS


def test_session_plan_cache_is_bounded_with_many_fetch_sets():
    from tensorlet.runtime import session as session_module
    x = tf.placeholder(tf.float32, [None])
    outs = [x * float(i) for i in range(session_module._MAX_PLANS + 40)]
    with tf.Session() as s:
        for i, out in enumerate(outs):
            assert s.run(out, {x: [1.0]})[0] == float(i)
        assert len(s._plans) <= session_module._MAX_PLANS
