"""The layer contract: one call checks what every Keras layer must do (DESIGN.md convention 7).

    from layer_contract import run_layer_test

    run_layer_test(layer_cls, init_kwargs, input_shape, expected_output_shape,
                   expected_num_trainable_weights=None, expected_num_non_trainable_weights=None,
                   input_dtype="float32", input_data=None, expected_output=None,
                   expected_output_dtype=None, run_training_check=True, atol=1e-6,
                   custom_objects=None)

`input_shape` and `expected_output_shape` include the batch axis (an int, e.g. (2, 4, 8)).
The helper checks, in order, and returns the layer built in step 2:

1. config: `layer_cls(**init_kwargs).get_config()` round-trips through `from_config` and
   through `keras.layers.serialize`/`deserialize` to an equal config;
2. symbolic call on `keras.Input(batch_shape=input_shape)`: output static shape equals
   `expected_output_shape` (the batch axis as given), weight counts as expected, and
   `compute_output_shape(input_shape)` agrees;
3. NumPy call (`layer(x)`): the output has `expected_output_shape`, the expected dtype, is
   finite, equals `expected_output` when given, and a second call does not grow the graph;
4. training (when `run_training_check` and the layer has trainable weights): every trainable
   weight gets a gradient from the layer's output, and a model
   `Input -> layer -> (Flatten) -> Dense(1)` trains one `train_on_batch` step with SGD: the
   loss is finite and the layer's weights move (at least one: a relu may be dead);
5. `get_weights`/`set_weights` round-trip on a fresh layer of the same config.

`input_data` (NumPy) replaces the random input (needed for integer inputs such as token ids).

    check_layer_gradients(layer, x, training=False, rtol=1e-5, atol=1e-6, eps=1e-6, seed=0)

compares `tensorlet.gradients` of sum(r * layer(x)) (r random) with central differences, for
the input `x` and every trainable weight. Create the layer with `dtype="float64"`: it is built
in a fresh TF 1.x-style graph on a float64 placeholder, so the check runs in float64.
"""
import numpy as np

import tensorlet as tf
from tensorlet import keras


def _random_input(shape, dtype, rng):
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, 5, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _check_config(layer_cls, init_kwargs, custom_objects):
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config, f"{layer_cls.__name__}: from_config(get_config()) " \
                                         "changed the config"
    objects = dict(custom_objects or {})
    objects.setdefault(layer_cls.__name__, layer_cls)
    again = keras.layers.deserialize(keras.layers.serialize(layer), custom_objects=objects)
    assert type(again) is layer_cls
    assert again.get_config() == config, f"{layer_cls.__name__}: serialize/deserialize " \
                                         "changed the config"


def _graph_size():
    return len(keras.backend.get_graph().get_operations())


def run_layer_test(layer_cls, init_kwargs, input_shape, expected_output_shape,
                   expected_num_trainable_weights=None, expected_num_non_trainable_weights=None,
                   input_dtype="float32", input_data=None, expected_output=None,
                   expected_output_dtype=None, run_training_check=True, atol=1e-6,
                   custom_objects=None):
    """Run the contract checks described in the module docstring; returns the built layer."""
    rng = np.random.default_rng(0)
    input_shape = tuple(input_shape)
    expected_output_shape = tuple(expected_output_shape)
    _check_config(layer_cls, init_kwargs, custom_objects)

    # 2. symbolic call
    layer = layer_cls(**init_kwargs)
    inp = keras.Input(batch_shape=input_shape, dtype=input_dtype)
    out = layer(inp)
    assert tuple(out.shape.dims) == expected_output_shape, \
        f"{layer_cls.__name__}: symbolic output shape {tuple(out.shape.dims)}, expected " \
        f"{expected_output_shape}"
    assert layer.built
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights
    if expected_num_non_trainable_weights is not None:
        assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights
    assert tuple(layer.compute_output_shape(input_shape)) == expected_output_shape

    # 3. NumPy call
    x = input_data if input_data is not None else _random_input(input_shape, input_dtype, rng)
    y = np.asarray(layer(x))
    assert y.shape == expected_output_shape
    if expected_output_dtype is not None:
        assert y.dtype == np.dtype(expected_output_dtype)
    if y.dtype.kind == "f":
        assert np.isfinite(y).all(), f"{layer_cls.__name__}: non-finite output"
    if expected_output is not None:
        np.testing.assert_allclose(y, expected_output, atol=atol, rtol=1e-5)
    before = _graph_size()
    np.asarray(layer(x))
    assert _graph_size() == before, f"{layer_cls.__name__}: a repeated call grew the graph"

    # 4. one training step
    if run_training_check and layer.trainable_weights:
        model_in = keras.Input(batch_shape=(None,) + input_shape[1:], dtype=input_dtype)
        h = layer_cls(**init_kwargs)(model_in)
        if h.shape.ndims > 2:
            h = keras.layers.Flatten()(h)
        model = keras.Model(model_in, keras.layers.Dense(1)(h))
        trained = model.layers[1]
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        before_w = [w.copy() for w in keras.backend.batch_get_value(trained.trainable_weights)]
        target = rng.standard_normal((input_shape[0], 1)).astype("float32")
        loss = model.train_on_batch(x, target)
        assert np.isfinite(loss), f"{layer_cls.__name__}: non-finite training loss"
        after_w = keras.backend.batch_get_value(trained.trainable_weights)
        assert any(not np.array_equal(w0, w1) for w0, w1 in zip(before_w, after_w)), \
            f"{layer_cls.__name__}: no weight moved in a training step"
        graph = keras.backend.get_graph()
        with graph.as_default():
            grads = tf.gradients(tf.reduce_sum(out), layer.trainable_weights)
        missing = [w.name for w, g in zip(layer.trainable_weights, grads) if g is None]
        assert not missing, f"{layer_cls.__name__}: no gradient reaches {missing}"

    # 5. weights round-trip
    weights = layer.get_weights()
    twin = layer_cls.from_config(layer.get_config())
    twin(keras.Input(batch_shape=input_shape, dtype=input_dtype))
    twin.set_weights(weights)
    for a, b in zip(weights, twin.get_weights()):
        np.testing.assert_array_equal(a, b)
    return layer


def check_layer_gradients(layer, x, training=False, rtol=1e-5, atol=1e-6, eps=1e-6, seed=0):
    """Symbolic vs numeric gradients through `layer` for its input and trainable weights."""
    x = np.array(x, dtype=np.float64)
    rng = np.random.default_rng(seed)
    graph = tf.Graph()
    with graph.as_default():
        ph = tf.placeholder(tf.float64, (None,) + x.shape[1:])
        y = layer(ph, training=training)
        r = tf.constant(rng.standard_normal(tuple(y.shape.dims[1:])).astype(np.float64))
        loss = tf.reduce_sum(y * r)
        params = layer.trainable_weights
        grads = tf.gradients(loss, [ph] + params)
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            sym = sess.run(grads, {ph: x})
            values = sess.run(params)

            def f():
                return float(sess.run(loss, {ph: x}))
            num = [np.zeros_like(x)] + [np.zeros_like(v) for v in values]
            targets = [x] + values
            for k, arr in enumerate(targets):
                for idx in np.ndindex(arr.shape):
                    old = arr[idx]
                    for sign in (1, -1):
                        arr[idx] = old + sign * eps
                        if k:
                            params[k - 1].load(arr, sess)
                        num[k][idx] += sign * f() / (2 * eps)
                    arr[idx] = old
                    if k:
                        params[k - 1].load(arr, sess)
    names = ["input"] + [p.name for p in params]
    for name, s_, n_ in zip(names, sym, num):
        np.testing.assert_allclose(s_, n_, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of {name} through {layer.name}")
