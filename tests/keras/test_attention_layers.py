"""EinsumDense and MultiHeadAttention against NumPy einsum references (float64): shapes,
biases, masks (value, query, causal, explicit), dropout, training, saving, configs, errors."""
import numpy as np
import pytest

from tensorlet import keras

L = keras.layers
RNG = np.random.default_rng(0)


def test_einsum_dense_matches_numpy():
    x = RNG.standard_normal((2, 5, 4)).astype(np.float32)
    layer = L.EinsumDense("abc,cde->abde", output_shape=(None, 3, 2), bias_axes="de")
    y = np.asarray(layer(x))
    assert layer.kernel.shape.as_list() == [4, 3, 2] and layer.bias.shape.as_list() == [3, 2]
    ref = np.einsum("abc,cde->abde", x.astype(np.float64), layer.kernel.numpy()) + \
        layer.bias.numpy()
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)
    dense = L.EinsumDense("ab,bc->ac", output_shape=6, bias_axes="c", activation="relu")
    y = np.asarray(dense(x[:, 0]))
    ref = np.maximum(x[:, 0] @ dense.kernel.numpy() + dense.bias.numpy(), 0)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)
    assert L.EinsumDense("abc,cd->abd", (None, 3))(keras.Input((5, 4))).shape.as_list() == \
        [None, 5, 3]
    with pytest.raises(ValueError, match="equation"):
        L.EinsumDense("ab,bc", 3)
    with pytest.raises(ValueError, match="output dimensions"):
        L.EinsumDense("abc,cd->abd", 3)
    with pytest.raises(ValueError, match="bias_axes"):
        L.EinsumDense("ab,bc->ac", 3, bias_axes="z")


def _reference(mha, query, value, mask=None):
    """Multi-head attention in float64 from the layer's own weights."""
    def proj(x, layer, eq="abc,cde->abde"):
        return np.einsum(eq, x.astype(np.float64), layer.kernel.numpy()) + layer.bias.numpy()
    q = proj(query, mha._query_dense) / np.sqrt(mha.key_dim)
    k, v = proj(value, mha._key_dense), proj(value, mha._value_dense)
    s = np.einsum("aecd,abcd->acbe", k, q)
    if mask is not None:
        s = s + (1 - mask[:, None]) * -1e9
    w = np.exp(s - s.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    out = proj(np.einsum("acbe,aecd->abcd", w, v), mha._output_dense, "abcd,cde->abe")
    return out, w


def test_multi_head_attention_matches_numpy_with_masks():
    query = RNG.standard_normal((2, 4, 6)).astype(np.float32)
    value = RNG.standard_normal((2, 5, 6)).astype(np.float32)
    mha = L.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4)
    value_mask = np.ones((2, 5), bool)
    value_mask[1, 3:] = False
    query_mask = np.ones((2, 4), bool)
    query_mask[0, 0] = False
    out, scores = mha(query, value, value_mask=value_mask, query_mask=query_mask,
                      return_attention_scores=True)
    mask = (value_mask[:, None, :] & query_mask[:, :, None]).astype(np.float64)
    ref_out, ref_scores = _reference(mha, query, value, mask)
    # a masked query step attends nothing: its row is uniform in float32 (as in Keras), so
    # the comparison is over the other steps
    np.testing.assert_allclose(np.asarray(out)[query_mask], ref_out[query_mask], rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(np.asarray(scores).transpose(0, 2, 1, 3)[query_mask],
                               ref_scores.transpose(0, 2, 1, 3)[query_mask], rtol=1e-5,
                               atol=1e-6)
    _, causal = mha(query, query, use_causal_mask=True, return_attention_scores=True)
    assert np.all(np.triu(np.asarray(causal), 1) == 0)
    explicit = np.tril(np.ones((2, 4, 4), bool))
    np.testing.assert_allclose(np.asarray(mha(query, query, attention_mask=explicit)),
                               np.asarray(mha(query, query, use_causal_mask=True)), rtol=1e-6)


def test_a_transformer_block_trains_saves_and_reloads(tmp_path):
    inputs = keras.Input((4, 6))
    attended = L.MultiHeadAttention(2, 3, dropout=0.1)(inputs, inputs)
    x = L.LayerNormalization()(L.Add()([inputs, attended]))
    outputs = L.Dense(1)(L.GlobalAveragePooling1D()(x))
    model = keras.Model(inputs, outputs)
    model.compile("adam", "mse")
    x_data = RNG.standard_normal((32, 4, 6)).astype(np.float32)
    y_data = x_data.mean(axis=(1, 2))[:, None]
    history = model.fit(x_data, y_data, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "t.keras")
    loaded = keras.models.load_model(tmp_path / "t.keras")
    np.testing.assert_allclose(loaded.predict(x_data, verbose=0),
                               model.predict(x_data, verbose=0), rtol=1e-5, atol=1e-6)


def test_config_and_errors():
    mha = L.MultiHeadAttention(4, 8, value_dim=2, dropout=0.2, output_shape=5, use_bias=False)
    clone = L.MultiHeadAttention.from_config(mha.get_config())
    assert clone.get_config() == mha.get_config()
    out = clone(np.ones((1, 3, 7), np.float32), np.ones((1, 2, 7), np.float32))
    assert np.asarray(out).shape == (1, 3, 5) and len(clone.weights) == 4  # no biases
    with pytest.raises(ValueError, match="num_heads"):
        L.MultiHeadAttention(0, 4)
    with pytest.raises(ValueError, match="attention_axes"):
        L.MultiHeadAttention(2, 4, attention_axes=(1, 2))
    with pytest.raises(ValueError, match="batch, steps, features"):
        L.MultiHeadAttention(2, 4)(np.ones((2, 3), np.float32), np.ones((2, 3), np.float32))


def test_keras_masks_of_the_inputs_are_used():
    tokens = keras.Input((5,), dtype="int32")
    embedded = L.Embedding(10, 4, mask_zero=True, embeddings_initializer="normal")(tokens)
    _, scores = L.MultiHeadAttention(2, 3)(embedded, embedded, return_attention_scores=True)
    model = keras.Model(tokens, scores)
    got = model.predict(np.array([[1, 2, 3, 0, 0]], np.int32), verbose=0)
    assert np.all(got[0, :, :3, 3:] == 0)  # padding is never attended
    np.testing.assert_allclose(got[0, :, :3].sum(-1), 1.0, rtol=1e-6)


def test_review_findings():
    q = RNG.standard_normal((2, 4, 6)).astype(np.float32)
    assert np.asarray(L.MultiHeadAttention(2, 3, output_shape=(2, 5))(q, q)).shape == \
        (2, 4, 2, 5)
    assert L.MultiHeadAttention(2, 3, output_shape=(2, 5)).compute_output_shape(
        (None, 4, 6)) == (None, 4, 2, 5)
    wide = L.MultiHeadAttention(2, 3, dtype="float64")
    out = wide(q.astype(np.float64), q.astype(np.float64))
    assert out.dtype == "float64" and all(w.dtype == "float64" for w in wide.weights)
    with pytest.raises(ValueError, match="except the last one"):
        L.MultiHeadAttention(2, 3)(q, q[:, :3], key=q)
    tokens = keras.Input((5,), dtype="int32")  # the output keeps the query's mask: pooling
    embedded = L.Embedding(10, 4, mask_zero=True)(tokens)     # skips the padding
    pooled = L.GlobalAveragePooling1D()(L.MultiHeadAttention(2, 3)(embedded, embedded))
    model = keras.Model(tokens, pooled)
    sequences = keras.Model(tokens, L.MultiHeadAttention(2, 3)(embedded, embedded))
    assert model.predict(np.array([[1, 2, 3, 0, 0]]), verbose=0).shape == (1, 4)
    assert sequences.outputs[0].shape.as_list() == [None, 5, 4]
    for bad in [("abc,cd->abd", (6, 4)), ("ab,bc->ad", 3), ("ab,bcd->ac", 3)]:
        with pytest.raises(ValueError, match="EinsumDense"):
            layer = L.EinsumDense(*bad)
            layer(np.ones((2, 5, 4), np.float32))
