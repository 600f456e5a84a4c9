"""The shared optimizer update ops (tensorlet.ops.training) against float64 references."""
import numpy as np
import pytest

import tensorlet as tf
from tensorlet.ops import training, training_kernels

RNG = np.random.default_rng(7)
SHAPES = [(3, 4), (5,)]


# -- float64 references of each rule, written from the published formulas -------------------


def ref_gd(w, g, slots, lr):
    return w - lr * g, []


def ref_momentum(w, g, slots, alpha, beta, mu, use_nesterov=False):
    (a,) = slots
    a = mu * a + alpha * g
    step = mu * a + alpha * g if use_nesterov else a
    return w + beta * step, [a]


def ref_adam(w, g, slots, lr, b1p, b2p, b1, b2, eps, amsgrad=False, use_nesterov=False):
    m, v = slots[:2]
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    out = [m, v]
    vv = v
    if amsgrad:
        vv = np.maximum(slots[2], v)
        out.append(vv)
    alpha = lr * np.sqrt(1 - b2p) / (1 - b1p)
    num = b1 * m + (1 - b1) * g if use_nesterov else m
    return w - alpha * num / (np.sqrt(vv) + eps), out


def ref_rmsprop(w, g, slots, lr, rho, mu, eps, centered=False, use_momentum=True):
    ms = rho * slots[0] + (1 - rho) * g * g
    out = [ms]
    denom = ms + eps
    if centered:
        mg = rho * slots[-1] + (1 - rho) * g
        denom = ms - mg * mg + eps
    step = lr * g / np.sqrt(denom)
    if use_momentum:
        mom = mu * slots[1] + step
        out.append(mom)
        step = mom
    if centered:
        out.append(mg)
    return w - step, out


def ref_adagrad(w, g, slots, lr, eps):
    acc = slots[0] + g * g
    return w - lr * g / np.sqrt(acc + eps), [acc]


def ref_adadelta(w, g, slots, lr, rho, eps):
    acc = rho * slots[0] + (1 - rho) * g * g
    upd = np.sqrt(slots[1] + eps) / np.sqrt(acc + eps) * g
    accu = rho * slots[1] + (1 - rho) * upd * upd
    return w - lr * upd, [acc, accu]


def ref_adamax(w, g, slots, lr, b1p, b1, b2, eps):
    m = b1 * slots[0] + (1 - b1) * g
    u = np.maximum(b2 * slots[1], np.abs(g))
    return w - lr / (1 - b1p) * m / (u + eps), [m, u]


def ref_nadam(w, g, slots, lr, c_m, c_g, c_v, b1, b2, eps):
    m = b1 * slots[0] + (1 - b1) * g
    v = b2 * slots[1] + (1 - b2) * g * g
    return w - lr * (c_m * m + c_g * g) / (np.sqrt(c_v * v) + eps), [m, v]


def ref_decay(w, g, slots, lr, wd):
    return w - w * wd * lr, []


# (op type, reference, slot initial values (callables of shape), scalars, flags)
CASES = [
    ("ApplyGradientDescent", ref_gd, [], [0.1], {}),
    ("ApplyMomentum", ref_momentum, [np.zeros], [1.0, -0.05, 0.9], {}),
    ("ApplyMomentum", ref_momentum, [np.zeros], [1.0, -0.05, 0.9], {"use_nesterov": True}),
    ("ApplyMomentum", ref_momentum, [np.zeros], [-0.05, 1.0, 0.9], {"use_nesterov": True}),
    ("ApplyAdam", ref_adam, [np.zeros, np.zeros], [0.01, 0.9, 0.999, 0.9, 0.999, 1e-7], {}),
    ("ApplyAdam", ref_adam, [np.zeros] * 3, [0.01, 0.9, 0.999, 0.9, 0.999, 1e-7],
     {"amsgrad": True}),
    ("ApplyAdam", ref_adam, [np.zeros] * 2, [0.01, 0.9, 0.999, 0.9, 0.999, 1e-8],
     {"use_nesterov": True}),
    ("ApplyRMSProp", ref_rmsprop, [np.ones, np.zeros], [0.01, 0.9, 0.5, 1e-10], {}),
    ("ApplyRMSProp", ref_rmsprop, [np.zeros, np.zeros, np.zeros], [0.01, 0.9, 0.5, 1e-7],
     {"centered": True}),
    ("ApplyRMSProp", ref_rmsprop, [np.zeros], [0.01, 0.9, 0.0, 1e-7],
     {"use_momentum": False}),
    ("ApplyAdagrad", ref_adagrad, [lambda s: np.full(s, 0.1)], [0.1, 0.0], {}),
    ("ApplyAdagrad", ref_adagrad, [lambda s: np.full(s, 0.1)], [0.1, 1e-7], {}),
    ("ApplyAdadelta", ref_adadelta, [np.zeros, np.zeros], [1.0, 0.95, 1e-6], {}),
    ("ApplyAdamax", ref_adamax, [np.zeros, np.zeros], [0.01, 0.9, 0.9, 0.999, 1e-7], {}),
    ("ApplyNadam", ref_nadam, [np.zeros, np.zeros], [0.01, 1.3, 0.7, 1.5, 0.9, 0.999, 1e-7],
     {}),
    ("ApplyWeightDecay", ref_decay, [], [0.1, 0.004], {}),
]


def _run_case(op_type, ref, slot_inits, scalars, flags, steps=3, dtype=np.float32):
    """Build one grouped op over two variables; compare w and slots with the reference."""
    ws = [RNG.standard_normal(s) for s in SHAPES]
    slots = [[init(s).astype(np.float64) for init in slot_inits] for s in SHAPES]
    vs = [tf.Variable(w.astype(dtype)) for w in ws]
    svs = [[tf.Variable(s.astype(dtype), trainable=False) for s in row] for row in slots]
    phs = [tf.placeholder(dtype, s) for s in SHAPES]
    op = training.apply_update(op_type, phs, vs, svs, scalars, **flags)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(steps):
            gs = [RNG.standard_normal(s) for s in SHAPES]
            sess.run(op, {p: g.astype(dtype) for p, g in zip(phs, gs)})
            for i, g in enumerate(gs):
                ws[i], slots[i] = ref(ws[i], g, slots[i], *scalars, **flags)
        tol = {np.float16: 1e-2, np.float32: 2e-5}.get(dtype, 1e-12)
        for v, w, srow, vrow in zip(vs, ws, slots, svs):
            np.testing.assert_allclose(sess.run(v), w, rtol=tol, atol=tol)
            assert sess.run(v).dtype == dtype
            for sv, s in zip(vrow, srow):
                np.testing.assert_allclose(sess.run(sv), s, rtol=tol, atol=tol)
    return op


@pytest.fixture(params=["numba", "numpy"])
def kernel_path(request, monkeypatch):
    monkeypatch.setenv("TENSORLET_DISABLE_NUMBA", "1" if request.param == "numpy" else "0")
    return request.param


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0] + "".join(f"-{k}" for k in c[4]))
def test_rule_matches_reference(case, kernel_path):
    op = _run_case(*case)
    assert op.outputs == ()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0] + "".join(f"-{k}" for k in c[4]))
def test_rule_float64(case, kernel_path):
    _run_case(*case, dtype=np.float64)


def test_float16_uses_the_numpy_rule(monkeypatch):
    monkeypatch.setenv("TENSORLET_DISABLE_NUMBA", "0")
    monkeypatch.setattr(training_kernels, "_FAST", {})
    _run_case(*CASES[1], dtype=np.float16, steps=1)
    assert "ApplyMomentum" not in training_kernels._FAST  # compiled kernels: float32/64 only


def test_numpy_fallback_when_numba_is_missing(monkeypatch):
    def missing():
        raise ImportError("no numba")
    for op_type in training.UPDATE_RULES:
        monkeypatch.setitem(training_kernels._BUILDERS, op_type, missing)
    monkeypatch.setattr(training_kernels, "_FAST", {})
    monkeypatch.setenv("TENSORLET_DISABLE_NUMBA", "0")
    for case in CASES:
        _run_case(*case)
    assert training_kernels._FAST == dict.fromkeys(training.UPDATE_RULES)


def test_updates_in_place_and_keep_dtype():
    w = tf.Variable(np.ones((4, 4), np.float32))
    op = training.apply_update("ApplyGradientDescent", [tf.ones((4, 4))], [w], [[]], [0.5])
    with tf.Session() as sess:
        sess.run(w.initializer)
        storage = sess._ctx.vars[w.op.name]
        sess.run(op)
        assert sess._ctx.vars[w.op.name] is storage
        np.testing.assert_array_equal(storage, np.full((4, 4), 0.5, np.float32))
        assert storage.dtype == np.float32


def test_gradient_aliasing_another_variable_is_read_before_update():
    # d/dw1 of sum(w1 * w2) is w2 itself: the op must not see w2 already updated.
    w1 = tf.Variable(np.full(3, 2.0, np.float32))
    w2 = tf.Variable(np.full(3, 3.0, np.float32))
    op = training.apply_update("ApplyGradientDescent", [w1.value(), w2.value()], [w2, w1],
                               [[], []], [1.0])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op)
        np.testing.assert_array_equal(sess.run(w2), [1.0, 1.0, 1.0])   # 3 - 2
        np.testing.assert_array_equal(sess.run(w1), [-1.0, -1.0, -1.0])  # 2 - 3


def test_update_batch_groups_by_rule_and_dtype():
    v32 = [tf.Variable(np.ones(2, np.float32)) for _ in range(3)]
    v64 = tf.Variable(np.ones(2, np.float64))
    lr = tf.constant(0.5)
    batch = training.UpdateBatch()
    for v in v32:
        batch.add("ApplyGradientDescent", tf.ones(2), v, scalars=(lr,))
    batch.add("ApplyGradientDescent", tf.ones(2, tf.float64), v64,
              scalars=(tf.cast(lr, tf.float64),))
    ops = batch.build()
    assert [len(op.inputs) for op in ops] == [4, 2]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(ops)
        assert [list(x) for x in sess.run(v32 + [v64])] == [[0.5, 0.5]] * 4


def test_build_errors_name_what_was_expected():
    w = tf.Variable(np.ones((2, 3), np.float32), name="w")
    m = tf.Variable(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="gradient of w has shape"):
        training.apply_update("ApplyGradientDescent", [tf.ones((3, 2))], [w], [[]], [0.1])
    with pytest.raises(TypeError, match="gradient of w is float64"):
        training.apply_update("ApplyGradientDescent", [tf.ones((2, 3), tf.float64)], [w],
                              [[]], [0.1])
    with pytest.raises(ValueError, match="expected 2 slot variables"):
        training.apply_update("ApplyAdam", [tf.ones((2, 3))], [w], [[m]], [0.1] * 6)
    with pytest.raises(ValueError, match="expected 1 gradients and 6 scalars"):
        training.apply_update("ApplyAdam", [tf.ones((2, 3))], [w], [[m, m]], [0.1] * 5)
    with pytest.raises(ValueError, match="hyper-parameter lr must be a float32 scalar"):
        training.apply_update("ApplyGradientDescent", [tf.ones((2, 3))], [w], [[]],
                              [tf.ones(2)])
    with pytest.raises(TypeError, match="unknown flags"):
        training.apply_update("ApplyGradientDescent", [tf.ones((2, 3))], [w], [[]], [0.1],
                              nesterov=True)
    with pytest.raises(ValueError, match="no variables"):
        training.apply_update("ApplyGradientDescent", [], [], [], [0.1])


def test_run_errors_are_clear():
    w = tf.Variable(np.ones((2, 3), np.float32), name="w")
    g = tf.placeholder(tf.float32, None)
    op = training.apply_update("ApplyGradientDescent", [g], [w], [[]], [0.1])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value w"):
            sess.run(op, {g: np.ones((2, 3), np.float32)})
        sess.run(w.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"gradient of w has shape"):
            sess.run(op, {g: np.ones((3, 2), np.float32)})


@pytest.fixture
def no_packing(monkeypatch):
    monkeypatch.setattr(training, "_PACK_MAX", 0)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0] + "".join(f"-{k}" for k in c[4]))
def test_rule_one_variable_at_a_time(case, no_packing):
    _run_case(*case)


def test_aliasing_gradient_without_packing(no_packing):
    test_gradient_aliasing_another_variable_is_read_before_update()


def _small_and_big(monkeypatch):
    """Three variables of which two are packed (small) and one is updated on its own."""
    monkeypatch.setattr(training, "_PACK_MAX", 8)
    vs = [tf.Variable(np.full(s, 1.0, np.float32)) for s in [(2, 2), (3,), (4, 5)]]
    ms = [[tf.Variable(np.zeros(v.shape.as_list(), np.float32))] for v in vs]
    gs = [tf.placeholder(tf.float32, None) for v in vs]
    op = training.apply_update("ApplyMomentum", gs, vs, ms, [1.0, -0.5, 0.5])
    feed = {g: np.ones(v.shape.as_list(), np.float32) for g, v in zip(gs, vs)}
    return vs, ms, op, feed


def test_packed_storage_is_rebuilt_after_reinitialisation(monkeypatch):
    vs, ms, op, feed = _small_and_big(monkeypatch)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op, feed)
        stored = sess._ctx.vars
        assert stored[vs[0].op.name].base is stored[vs[1].op.name].base  # packed together
        assert stored[vs[2].op.name].base is None                        # on its own
        sess.run(op, feed)  # accum = 1 then 1.5; w = 1 - 0.5 - 0.75
        assert [float(x.flat[0]) for x in sess.run(vs)] == [-0.25] * 3
        sess.run(tf.global_variables_initializer())   # Assign replaces the storage
        vs[1].load(np.full(3, 7.0, np.float32), sess)
        sess.run(op, feed)
        assert [float(x.flat[0]) for x in sess.run(vs)] == [0.5, 6.5, 0.5]
        assert [float(x.flat[0]) for x in sess.run([m[0] for m in ms])] == [1.0] * 3
        sess.run(vs[0].assign(np.full((2, 2), 3.0, np.float32)))
        sess.run(op, feed)
        assert [float(x.flat[0]) for x in sess.run(vs)] == [2.25, 5.75, -0.25]


def test_packing_runtime_shape_errors(monkeypatch):
    vs, _, op, feed = _small_and_big(monkeypatch)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for which in (1, 2):  # a packed variable, the one updated on its own
            bad = dict(feed)
            bad[list(feed)[which]] = np.ones((1, 3), np.float32)
            with pytest.raises(tf.errors.InvalidArgumentError, match="the gradient of .* has "
                                                                   "shape"):
                sess.run(op, bad)
        # nothing was updated by the failed runs
        assert [float(x.flat[0]) for x in sess.run(vs)] == [1.0] * 3


def test_same_variable_twice_is_updated_twice(monkeypatch):
    w = tf.Variable(np.ones(3, np.float32))
    op = training.apply_update("ApplyGradientDescent", [tf.ones(3), tf.ones(3)], [w, w],
                               [[], []], [0.25])
    with tf.Session() as sess:
        sess.run(w.initializer)
        sess.run(op)
        np.testing.assert_array_equal(sess.run(w), [0.5, 0.5, 0.5])


def test_reads_after_the_update_in_the_same_run_see_it():
    # TF 1.x weight clipping: assign(clip(w)) under a control dependency on the train op reads
    # w after the update; that must hold on every step, packed variables included.
    w = tf.Variable(np.array([0.5, -0.5], np.float32))
    b = tf.Variable(np.array([2.25], np.float32))
    loss = tf.reduce_sum(w * tf.constant([1.0, -1.0])) + tf.reduce_sum(b * 2.0)
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    with tf.control_dependencies([train]):
        clip = tf.group(w.assign(tf.maximum(w, -0.8)), b.assign(tf.maximum(b, -0.5)))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        seen = []
        for _ in range(3):
            sess.run(clip)
            seen.append(sess.run([w, b]))
    np.testing.assert_allclose([x[0] for x in seen], [[0.0, 0.0], [-0.5, 0.5], [-0.8, 1.0]])
    assert [float(x[1][0]) for x in seen] == [1.25, 0.25, -0.5]


def test_fetching_the_variables_with_the_train_op():
    w = tf.Variable(np.ones(2, np.float32))
    b = tf.Variable(np.ones(1, np.float32))
    train = tf.train.GradientDescentOptimizer(0.25).minimize(tf.reduce_sum(w) + tf.reduce_sum(b))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(1, 4):
            _, w_, b_ = sess.run([train, w, b])
            # read and update race in one run, as in TF: either value, never a mix
            assert w_.tolist() in ([1 - 0.25 * (step - 1)] * 2, [1 - 0.25 * step] * 2)
            assert b_.tolist() in ([1 - 0.25 * (step - 1)], [1 - 0.25 * step])
            assert sess.run(w).tolist() == [1 - 0.25 * step] * 2
            assert sess.run(b).tolist() == [1 - 0.25 * step]


# -- Flush to zero and the two kernel paths ----------------------------------------------------


def _slot_names(case):
    return training.UPDATE_RULES[case[0]].slot_kinds(case[4])


STATEFUL = [c for c in CASES if c[2]]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_flush_zeroes_subnormals_and_keeps_the_rest(kernel_path, dtype):
    """|x| < smallest normal becomes +0 exactly; normals, NaN and +-Inf are kept (a momentum
    slot with momentum 1 and alpha 0 is only flushed: accum = accum*1 + g*0)."""
    tiny = np.finfo(dtype).tiny
    start = np.array([tiny / 2, -tiny / 2, -0.0, tiny, -tiny, np.nan, np.inf, -np.inf, 1.0],
                     dtype)
    w = tf.Variable(np.ones(start.shape, dtype))
    accum = tf.Variable(start)
    op = training.apply_update("ApplyMomentum", [tf.zeros(start.shape, dtype)], [w], [[accum]],
                               [0.0, 0.0, 1.0])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op)
        got = sess.run(accum)
    np.testing.assert_array_equal(got, [0, 0, 0, tiny, -tiny, np.nan, np.inf, -np.inf, 1.0])
    assert not np.signbit(got[:3]).any()


@pytest.mark.parametrize("case", STATEFUL, ids=lambda c: c[0] + "".join(f"-{k}" for k in c[4]))
def test_decaying_slots_are_flushed_to_zero(case, kernel_path):
    """With a zero gradient every decaying slot sinks; values that end below float32's smallest
    normal are exactly 0 (as under TF's and XLA's flush-to-zero). Adagrad's accumulator only
    grows, so it is never flushed."""
    op_type, ref, _, scalars, flags = case
    tiny = float(np.finfo(np.float32).tiny)
    start = np.array([tiny / 2, -tiny / 2, tiny * 1.05, -tiny * 1.05, 1e-3, -1e-3, np.nan, 0.0],
                     np.float32).astype(np.float64)
    n = len(_slot_names(case))
    w = tf.Variable(np.ones(start.shape, np.float32))
    slots = [tf.Variable(start.astype(np.float32)) for _ in range(n)]
    op = training.apply_update(op_type, [tf.zeros(start.shape)], [w], [slots], scalars, **flags)
    with tf.Session() as sess, np.errstate(invalid="ignore"):
        sess.run(tf.global_variables_initializer())
        sess.run(op)
        got = sess.run(slots)
        _, want = ref(np.ones(start.shape), np.zeros(start.shape), [start] * n, *scalars,
                      **flags)
    for g, x in zip(got, want):
        if op_type != "ApplyAdagrad":
            x = np.where(np.abs(x) < tiny, 0.0, x)
        np.testing.assert_allclose(g, x, rtol=1e-6, atol=0)
    flushed = [np.abs(x) < tiny for x in want]
    assert any(f[:4].any() for f in flushed)  # the case really reaches the subnormal range
    if op_type == "ApplyAdagrad":
        assert got[0][0] == np.float32(tiny / 2)


def _messy(rng, shape, dtype, tiny):
    """Normal values with subnormals, near-subnormals, signed zeros, NaN and Inf mixed in."""
    x = (rng.standard_normal(shape) * 0.1).astype(dtype).reshape(-1)
    x[:10] = [tiny / 3, -tiny / 3, tiny * 1.01, -tiny * 1.01, 0.0, -0.0, np.nan, np.inf,
              -np.inf, tiny]
    return x.reshape(shape)


def _assert_same_bits(a, b):
    nan = np.isnan(a)
    np.testing.assert_array_equal(nan, np.isnan(b))
    np.testing.assert_array_equal(a[~nan].view(f"u{a.itemsize}"), b[~nan].view(f"u{b.itemsize}"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0] + "".join(f"-{k}" for k in c[4]))
def test_numba_and_numpy_give_the_same_bits(case, dtype, monkeypatch):
    """The compiled kernels and the NumPy rules do the same float operations in the same order:
    identical results, flushes, signed zeros, NaN and Inf included, in float32 and float64."""
    pytest.importorskip("numba")
    op_type, _, _, scalars, flags = case
    tiny = np.finfo(dtype).tiny
    shapes = [(64, 33), (12,)]
    results = []
    for disable in ("0", "1"):
        monkeypatch.setenv("TENSORLET_DISABLE_NUMBA", disable)
        tf.reset_default_graph()
        rng = np.random.default_rng(3)
        ws = [tf.Variable(_messy(rng, s, dtype, tiny)) for s in shapes]
        slots = [[tf.Variable(np.abs(_messy(rng, s, dtype, tiny)) + (k == 0) * dtype(0.1))
                  if op_type == "ApplyAdagrad" else tf.Variable(_messy(rng, s, dtype, tiny))
                  for k in range(len(_slot_names(case)))] for s in shapes]
        gs = [tf.placeholder(dtype, s) for s in shapes]
        op = training.apply_update(op_type, gs, ws, slots, scalars, **flags)
        with tf.Session() as sess, np.errstate(all="ignore"):
            sess.run(tf.global_variables_initializer())
            for step in range(4):
                feed = {}
                for g, s in zip(gs, shapes):
                    x = _messy(rng, s, dtype, tiny)
                    x[..., ::3] = 0  # dead units: their slots decay
                    feed[g] = x
                sess.run(op, feed)
            results.append(sess.run(ws + [s for row in slots for s in row]))
    assert training_kernels._FAST[op_type] is not None
    for a, b in zip(*results):
        assert a.dtype == dtype
        _assert_same_bits(a, b)
