"""tf.train.Saver: checkpoints round-trip with dtypes kept, the `checkpoint` index, pruning,
clear errors on mismatched graphs and corrupt files, atomic writes."""
import os
import pickle
import zipfile

import numpy as np
import pytest

import tensorlet as tf
from tensorlet.train import safe_io


def _graph_vars():
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="layer/w")
    d = tf.Variable(np.array([1.5, -2.25]), name="d64")  # float64
    n = tf.Variable(np.int64(7), name="count")
    b = tf.Variable(np.array([True, False]), name="flags")
    h = tf.Variable(np.array([0.5], np.float16), name="half")
    return [w, d, n, b, h]


def test_round_trip_keeps_values_and_dtypes(tmp_path):
    vs = _graph_vars()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(vs[0].assign(vs[0] * 2.0))
        expected = sess.run(vs)
        prefix = saver.save(sess, str(tmp_path / "model.ckpt"))
    assert prefix == str(tmp_path / "model.ckpt")
    assert os.path.isfile(prefix + ".npz")
    # documented format: a plain .npz readable without pickle
    with np.load(prefix + ".npz", allow_pickle=False) as z:
        assert z["layer/w"].dtype == np.float32 and z["d64"].dtype == np.float64
        assert z["count"].dtype == np.int64 and z["flags"].dtype == np.bool_
        assert z["half"].dtype == np.float16
    tf.reset_default_graph()
    vs2 = _graph_vars()
    with tf.Session() as sess:
        tf.train.Saver().restore(sess, prefix)  # no initializer needed
        got = sess.run(vs2)
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(np.asarray(e), np.asarray(g))
        assert np.asarray(e).dtype == np.asarray(g).dtype
    assert tf.train.list_variables(prefix) == [
        ("count", []), ("d64", [2]), ("flags", [2]), ("half", [1]), ("layer/w", [2, 3])]
    np.testing.assert_array_equal(tf.train.load_variable(prefix, "layer/w:0"), expected[0])


def test_global_step_pruning_and_index_file(tmp_path):
    v = tf.Variable(0.0, name="v")
    step = tf.Variable(0, name="global_step", trainable=False)
    inc = [v.assign_add(1.0), step.assign_add(1)]
    saver = tf.train.Saver(max_to_keep=2)
    base = str(tmp_path / "model.ckpt")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        paths = []
        for _ in range(4):
            sess.run(inc)
            paths.append(saver.save(sess, base, global_step=step))
    assert paths == [f"{base}-{i}" for i in range(1, 5)]
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "model.ckpt-3.npz", "model.ckpt-4.npz"]
    with open(tmp_path / "checkpoint") as f:
        assert f.read() == ('model_checkpoint_path: "model.ckpt-4"\n'
                            'all_model_checkpoint_paths: "model.ckpt-3"\n'
                            'all_model_checkpoint_paths: "model.ckpt-4"\n')
    assert tf.train.latest_checkpoint(str(tmp_path)) == f"{base}-4"
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == f"{base}-4"
    assert state.all_model_checkpoint_paths == [f"{base}-3", f"{base}-4"]
    assert saver.last_checkpoints == [f"{base}-3", f"{base}-4"]
    assert tf.train.load_variable(str(tmp_path), "v") == 4.0  # a directory means its latest


def test_max_to_keep_none_keeps_every_file(tmp_path):
    tf.Variable(1.0, name="v")
    saver = tf.train.Saver(max_to_keep=None)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i in range(3):
            saver.save(sess, str(tmp_path / "m"), global_step=i)
    assert sorted(p for p in os.listdir(tmp_path) if p.endswith(".npz")) == [
        "m-0.npz", "m-1.npz", "m-2.npz"]
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.all_model_checkpoint_paths == [str(tmp_path / "m-2")]


def test_latest_checkpoint_absent_and_custom_var_list(tmp_path):
    assert tf.train.latest_checkpoint(str(tmp_path)) is None
    assert tf.train.get_checkpoint_state(str(tmp_path)) is None
    a = tf.Variable([1.0, 2.0], name="a")
    tf.Variable(5.0, name="b")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        prefix = tf.train.Saver({"renamed": a}).save(sess, str(tmp_path / "c"))
    assert tf.train.list_variables(prefix) == [("renamed", [2])]
    tf.reset_default_graph()
    other = tf.Variable([0.0, 0.0], name="other_name")
    with tf.Session() as sess:
        tf.train.Saver({"renamed": other}).restore(sess, prefix)
        np.testing.assert_array_equal(sess.run(other), [1.0, 2.0])


def _save_simple(tmp_path):
    tf.Variable(np.ones((2, 3), np.float32), name="w")
    tf.Variable(np.zeros(3, np.float32), name="b")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        prefix = tf.train.Saver().save(sess, str(tmp_path / "m"))
    tf.reset_default_graph()
    return prefix


def test_restore_missing_key_names_it_and_changes_nothing(tmp_path):
    prefix = _save_simple(tmp_path)
    w = tf.Variable(np.full((2, 3), 9, np.float32), name="w")
    tf.Variable(np.zeros(3, np.float32), name="extra")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(tf.errors.NotFoundError, match="extra"):
            tf.train.Saver().restore(sess, prefix)
        np.testing.assert_array_equal(sess.run(w), np.full((2, 3), 9))


def test_restore_shape_and_dtype_mismatch(tmp_path):
    prefix = _save_simple(tmp_path)
    tf.Variable(np.ones((3, 2), np.float32), name="w")
    tf.Variable(np.zeros(3, np.float64), name="b")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            tf.train.Saver().restore(sess, prefix)
    msg = str(info.value)
    assert "w: the graph's variable has shape [3, 2], the checkpoint holds shape [2, 3]" in msg
    assert "b: expected dtype float64 does not equal the checkpoint's dtype float32" in msg


def test_saver_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="No variables to save"):
        tf.train.Saver()
    tf.train.Saver(allow_empty=True)
    x = tf.placeholder(tf.float32)
    with pytest.raises(TypeError, match="only save variables"):
        tf.train.Saver([x])
    v = tf.Variable(1.0, name="v")
    saver = tf.train.Saver([v])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(ValueError, match="Parent directory"):
            saver.save(sess, str(tmp_path / "missing" / "m"))
        with pytest.raises(ValueError, match="None"):
            saver.restore(sess, None)
        with pytest.raises(ValueError, match="not a valid checkpoint"):
            saver.restore(sess, str(tmp_path / "nothing"))


def test_failed_save_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    v = tf.Variable(np.arange(4.0), name="v")
    tf.Variable(np.ones(3), name="u")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        prefix = saver.save(sess, str(tmp_path / "m"))
        before = (tmp_path / "m.npz").read_bytes()
        sess.run(v.assign(v * 10))
        calls = []

        def failing(stream, array):
            calls.append(1)
            if len(calls) == 2:
                raise OSError("disk full (simulated)")
            np.lib.format.write_array(stream, array, allow_pickle=False)
        monkeypatch.setattr(safe_io, "write_npy", failing)
        with pytest.raises(OSError, match="simulated"):
            saver.save(sess, prefix)
    assert (tmp_path / "m.npz").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "m.npz"]


def test_corrupt_checkpoints_raise_clear_errors(tmp_path):
    prefix = _save_simple(tmp_path)
    tf.Variable(np.ones((2, 3), np.float32), name="w")
    tf.Variable(np.zeros(3, np.float32), name="b")
    data = (tmp_path / "m.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with tf.Session() as sess:
        with pytest.raises(safe_io.CorruptFileError, match="cut.npz.*truncated or corrupt"):
            tf.train.Saver().restore(sess, str(tmp_path / "cut"))
    # a pickled (object) array member is refused without being unpickled
    with zipfile.ZipFile(tmp_path / "evil.npz", "w") as zf:
        with zf.open("w.npy", "w") as f:
            np.lib.format.write_array(f, np.array([os.system], dtype=object), allow_pickle=True)
        with zf.open("b.npy", "w") as f:
            np.lib.format.write_array(f, np.zeros(3, np.float32))
    with tf.Session() as sess:
        with pytest.raises(safe_io.CorruptFileError, match="pickle"):
            tf.train.Saver().restore(sess, str(tmp_path / "evil"))
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "m"\nimport os\n')
    with pytest.raises(safe_io.CorruptFileError, match="not a checkpoint index line"):
        tf.train.latest_checkpoint(str(tmp_path))
    assert prefix


def test_pickle_is_never_imported_by_restore(tmp_path, monkeypatch):
    prefix = _save_simple(tmp_path)
    tf.Variable(np.ones((2, 3), np.float32), name="w")
    tf.Variable(np.zeros(3, np.float32), name="b")

    def no_pickle(*a, **k):
        raise AssertionError("pickle used")
    monkeypatch.setattr(pickle, "loads", no_pickle)
    monkeypatch.setattr(pickle, "load", no_pickle)
    with tf.Session() as sess:
        tf.train.Saver().restore(sess, prefix)


def test_a_restarted_saver_adopts_and_prunes_existing_checkpoints(tmp_path):
    tf.Variable(1.0, name="v")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = tf.train.Saver(max_to_keep=2)
        for i in range(2):
            first.save(sess, str(tmp_path / "m"), global_step=i)
        second = tf.train.Saver(max_to_keep=2)  # e.g. after the program restarted
        second.recover_last_checkpoints(
            tf.train.get_checkpoint_state(str(tmp_path)).all_model_checkpoint_paths)
        second.save(sess, str(tmp_path / "m"), global_step=2)
    assert sorted(p for p in os.listdir(tmp_path) if p.endswith(".npz")) == [
        "m-1.npz", "m-2.npz"]
    assert tf.train.checkpoint_exists(str(tmp_path / "m-2"))
    assert not tf.train.checkpoint_exists(str(tmp_path / "m-0"))
