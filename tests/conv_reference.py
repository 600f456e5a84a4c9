"""Independent direct-loop NumPy float64 references for the convolution and pooling ops and
layers (explicit loops over output positions and window taps; bounds checked instead of padded
arrays), and a numeric gradient check through a Keras layer. Shared by tests/ops and
tests/keras."""
import numpy as np


def ref_axis(size, k, s, d, padding):
    """(out, pad_before) along one axis, computed from TF's documented formulas."""
    eff = (k - 1) * d + 1
    if padding == "VALID":
        return int(np.ceil((size - eff + 1) / s)), 0
    if padding == "SAME":
        out = int(np.ceil(size / s))
        return out, max((out - 1) * s + eff - size, 0) // 2
    lo, hi = padding
    return (size + lo + hi - eff) // s + 1, lo


def ref_taps(x_hw, w_hw, strides, padding, dilations):
    """Yield (i, j, a, b, r, c): output (i, j) reads input (r, c) through tap (a, b)."""
    pads = [padding if isinstance(padding, str) else padding[ax] for ax in range(2)]
    (ho, pt), (wo, pl) = (ref_axis(x_hw[ax], w_hw[ax], strides[ax], dilations[ax], pads[ax])
                          for ax in range(2))
    for i in range(ho):
        for j in range(wo):
            for a in range(w_hw[0]):
                for b in range(w_hw[1]):
                    r = i * strides[0] + a * dilations[0] - pt
                    c = j * strides[1] + b * dilations[1] - pl
                    if 0 <= r < x_hw[0] and 0 <= c < x_hw[1]:
                        yield i, j, a, b, r, c


def out_hw(x_hw, w_hw, strides, padding, dilations):
    pads = [padding if isinstance(padding, str) else padding[ax] for ax in range(2)]
    return tuple(ref_axis(x_hw[ax], w_hw[ax], strides[ax], dilations[ax], pads[ax])[0]
                 for ax in range(2))


def ref_conv(x, w, strides, padding, dilations):
    """NHWC float64 grouped convolution, one output position at a time."""
    n, h, wd, c = x.shape
    kh, kw, fc, o = w.shape
    g, og = c // fc, o // (c // fc)
    y = np.zeros((n,) + out_hw((h, wd), (kh, kw), strides, padding, dilations) + (o,))
    for i, j, a, b, r, cc in ref_taps((h, wd), (kh, kw), strides, padding, dilations):
        for gi in range(g):
            y[:, i, j, gi * og:(gi + 1) * og] += (x[:, r, cc, gi * fc:(gi + 1) * fc]
                                                  @ w[a, b, :, gi * og:(gi + 1) * og])
    return y


def ref_conv_input_grad(x_shape, w, dy, strides, padding, dilations):
    _, h, wd, c = x_shape
    kh, kw, fc, o = w.shape
    g, og = c // fc, o // (c // fc)
    dx = np.zeros(x_shape)
    for i, j, a, b, r, cc in ref_taps((h, wd), (kh, kw), strides, padding, dilations):
        for gi in range(g):
            dx[:, r, cc, gi * fc:(gi + 1) * fc] += (dy[:, i, j, gi * og:(gi + 1) * og]
                                                    @ w[a, b, :, gi * og:(gi + 1) * og].T)
    return dx


def ref_conv_filter_grad(x, w_shape, dy, strides, padding, dilations):
    _, h, wd, c = x.shape
    kh, kw, fc, o = w_shape
    g, og = c // fc, o // (c // fc)
    dw = np.zeros(w_shape)
    for i, j, a, b, r, cc in ref_taps((h, wd), (kh, kw), strides, padding, dilations):
        for gi in range(g):
            dw[a, b, :, gi * og:(gi + 1) * og] += (x[:, r, cc, gi * fc:(gi + 1) * fc].T
                                                   @ dy[:, i, j, gi * og:(gi + 1) * og])
    return dw


def nchw(a):
    return np.ascontiguousarray(a.transpose(0, 3, 1, 2))


def nhwc(a):
    return a.transpose(0, 2, 3, 1)



def ref_depthwise(x, w, strides, padding, dilations):
    n, h, wd, c = x.shape
    kh, kw, _, m = w.shape
    y = np.zeros((n,) + out_hw((h, wd), (kh, kw), strides, padding, dilations) + (c, m))
    for i, j, a, b, r, cc in ref_taps((h, wd), (kh, kw), strides, padding, dilations):
        y[:, i, j] += x[:, r, cc, :, None] * w[a, b]
    return y.reshape(y.shape[:3] + (c * m,))


def ref_windows(hw, k, s, padding):
    """Yield (i, j, row range, column range) of each output's real input window."""
    pads = [padding if isinstance(padding, str) else padding[ax] for ax in range(2)]
    (ho, pt), (wo, pl) = (ref_axis(hw[ax], k[ax], s[ax], 1, pads[ax]) for ax in range(2))
    for i in range(ho):
        for j in range(wo):
            r0, c0 = i * s[0] - pt, j * s[1] - pl
            yield i, j, (max(r0, 0), min(r0 + k[0], hw[0])), (max(c0, 0), min(c0 + k[1], hw[1]))


def ref_pool(x, k, s, padding, kind):
    n, h, w, c = x.shape
    wins = list(ref_windows((h, w), k, s, padding))
    y = np.zeros((n, wins[-1][0] + 1, wins[-1][1] + 1, c), x.dtype)
    for i, j, (r0, r1), (c0, c1) in wins:
        win = x[:, r0:r1, c0:c1, :]
        y[:, i, j] = win.max(axis=(1, 2)) if kind == "max" else win.mean(axis=(1, 2))
    return y


def ref_pool_grad(x, g, k, s, padding, kind):
    n, h, w, c = x.shape
    dx = np.zeros(x.shape)
    for i, j, (r0, r1), (c0, c1) in ref_windows((h, w), k, s, padding):
        if kind == "avg":
            dx[:, r0:r1, c0:c1] += g[:, i, j, None, None, :] / ((r1 - r0) * (c1 - c0))
            continue
        win = x[:, r0:r1, c0:c1, :].reshape(n, -1, c)
        first = win.argmax(axis=1)  # the first maximum in row-major window order
        for b in range(n):
            for ch in range(c):
                a = first[b, ch]
                dx[b, r0 + a // (c1 - c0), c0 + a % (c1 - c0), ch] += g[b, i, j, ch]
    return dx


def layer_gradcheck(layer, x, training=False, eps=1e-6, rtol=1e-5, atol=1e-6, seed=0):
    """d sum(r * layer(x)) / d(x and trainable weights): tf.gradients against central
    differences, in float64 (the layer must be created with dtype='float64')."""
    import tensorlet as tf
    from tensorlet.keras import backend
    g = backend.get_graph()
    with g.as_default():
        xp = tf.placeholder(tf.float64, x.shape)
        y = layer(xp, training=training)
        r = np.random.default_rng(seed).standard_normal(y.shape.as_list())
        loss = tf.reduce_sum(y * r)
        weights = layer.trainable_weights
        grads = tf.gradients(loss, [xp] + weights)
    assert all(gr is not None for gr in grads), "a weight gets no gradient"
    sym = backend.run(grads, {xp: x})
    values = [np.array(v) for v in layer.get_weights()]
    index = [next(i for i, w in enumerate(layer.weights) if w is tw) for tw in weights]

    def loss_at(xv, vals):
        layer.set_weights(vals)
        return float(backend.run(loss, {xp: xv}))

    def numeric(arr, f):
        out = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + eps
            fp = f()
            arr[idx] = old - eps
            fm = f()
            arr[idx] = old
            out[idx] = (fp - fm) / (2 * eps)
        return out

    xv = np.array(x, np.float64)
    nums = [numeric(xv, lambda: loss_at(xv, values))]
    for i in index:
        nums.append(numeric(values[i], lambda: loss_at(xv, values)))
    layer.set_weights(values)
    names = ["input"] + [w.name for w in weights]
    for name, s, n in zip(names, sym, nums):
        np.testing.assert_allclose(s, n, rtol=rtol, atol=atol, err_msg=f"gradient of {name}")
