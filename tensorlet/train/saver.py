"""`tf.train.Saver`: checkpoints of graph variables, and the `checkpoint` index file (TF 1.x).

Format (tensorlet's own, documented here): a checkpoint with prefix `P` is ONE file `P.npz`, a
NumPy `.npz` archive (uncompressed zip) holding one `.npy` member per variable, named by the
variable's checkpoint key (its op name, e.g. `layer1/weights`) and keeping its dtype. It can be
read with `np.load("P.npz", allow_pickle=False)`. Writes are atomic (temporary file, then
`os.replace`); reads check the archive directory and each array header against the graph's
variable before reading data, and never unpickle. Meta graphs are not written: tensorlet has
no graph serialisation, so `write_meta_graph` is accepted and ignored.

The `checkpoint` file beside the checkpoints is TF's text format:

    model_checkpoint_path: "model.ckpt-200"
    all_model_checkpoint_paths: "model.ckpt-100"
    all_model_checkpoint_paths: "model.ckpt-200"

(paths relative to the directory when the checkpoints are in it).
"""
import collections
import os
import time
import zipfile

import numpy as np

from tensorlet.framework.errors import InvalidArgumentError, NotFoundError
from tensorlet.framework.graph import GraphKeys, Tensor, get_default_graph
from tensorlet.ops.state import Variable
from tensorlet.train import safe_io

SUFFIX = ".npz"
_INDEX = "checkpoint"


class Saver:
    """Saves and restores variables: `saver.save(sess, "dir/model.ckpt", global_step=step)`
    returns the checkpoint prefix; `saver.restore(sess, prefix)` loads it back."""

    def __init__(self, var_list=None, reshape=False, sharded=False, max_to_keep=5,
                 keep_checkpoint_every_n_hours=10000.0, name=None, restore_sequentially=False,
                 saver_def=None, builder=None, defer_build=False, allow_empty=False,
                 write_version=2, pad_step_number=False, save_relative_paths=False,
                 filename=None):
        self._vars = _checkpoint_keys(var_list)
        if not self._vars and not allow_empty:
            raise ValueError("No variables to save")
        self._max_to_keep = max_to_keep
        self._keep_every = keep_checkpoint_every_n_hours * 3600.0
        self._next_keep_time = time.time() + self._keep_every
        self._pad_step_number = pad_step_number
        self._filename = filename
        self._last = []  # [(prefix, timestamp)] oldest first

    # -- saving ---------------------------------------------------------------------------------
    def save(self, sess, save_path, global_step=None, latest_filename=None,
             meta_graph_suffix="meta", write_meta_graph=True, write_state=True,
             strip_default_attrs=False, save_debug_info=False):
        """Write the variables' values to `save_path[-global_step].npz`; returns the prefix."""
        if latest_filename is None:
            latest_filename = _INDEX
        elif os.path.basename(latest_filename) != latest_filename:
            raise ValueError(f"'latest_filename' collides with 'save_path': "
                             f"'{latest_filename}' and '{save_path}'")
        save_path = os.fspath(save_path)
        if global_step is not None:
            step = global_step
            if not isinstance(step, (int, np.integer)):
                step = sess.run(step)
            step = int(step)
            prefix = f"{save_path}-{step:08d}" if self._pad_step_number else f"{save_path}-{step}"
        else:
            prefix = save_path
        directory = os.path.dirname(os.path.abspath(prefix))
        if not os.path.isdir(directory):
            raise ValueError(f"Parent directory of {save_path} doesn't exist, can't save.")
        values = self._values(sess)
        _write_checkpoint(prefix + SUFFIX, values)
        if write_state:
            self._record(prefix)
            update_checkpoint_state(os.path.dirname(prefix), prefix,
                                    [p for p, _ in self._last] if self._max_to_keep else None,
                                    latest_filename)
        return prefix

    def _values(self, sess):
        if sess is None:
            raise TypeError("Saver.save needs a session (got None).")
        names = list(self._vars)
        fetched = sess.run([self._vars[n]._as_graph_tensor() for n in names])
        return {n: np.asarray(v, dtype=self._vars[n].dtype.np) for n, v in zip(names, fetched)}

    def _record(self, prefix):
        """Add `prefix` to the kept checkpoints and delete those past `max_to_keep` (except
        one every `keep_checkpoint_every_n_hours`)."""
        if not self._max_to_keep:
            return
        self._last = [(p, t) for p, t in self._last if p != prefix]
        self._last.append((prefix, time.time()))
        while len(self._last) > self._max_to_keep:
            old, stamp = self._last.pop(0)
            if stamp > self._next_keep_time:
                self._next_keep_time += self._keep_every
                continue
            delete_checkpoint(old)

    @property
    def last_checkpoints(self):
        """Prefixes of the checkpoints this saver keeps, oldest first."""
        return [p for p, _ in self._last]

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time):
        self._last = [(os.fspath(p), float(t)) for p, t in last_checkpoints_with_time]

    def recover_last_checkpoints(self, checkpoint_paths):
        """Adopt existing checkpoints (e.g. after a restart) so they are pruned in turn."""
        now = time.time()
        self._last = [(os.fspath(p), now) for p in checkpoint_paths
                      if checkpoint_exists(p)]

    # -- restoring ----------------------------------------------------------------------------
    def restore(self, sess, save_path):
        """Assign every variable the value stored under its key in checkpoint `save_path`.

        All keys, shapes and dtypes are checked before any variable changes: a missing key
        raises NotFoundError, a shape or dtype mismatch InvalidArgumentError, each naming the
        variables concerned."""
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        values = read_checkpoint(os.fspath(save_path), _expected(self._vars))
        for name, var in self._vars.items():
            var.load(values[name], session=sess)


def _checkpoint_keys(var_list):
    """{checkpoint key: Variable} from None (all global variables), a list or a dict."""
    if var_list is None:
        var_list = get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES)
    if isinstance(var_list, dict):
        items = list(var_list.items())
    else:
        items = []
        for v in var_list:
            if isinstance(v, (list, tuple)):
                raise TypeError(f"Saver var_list entries must be variables, got {v!r:.80}")
            items.append((v.op.name if isinstance(v, Variable) else repr(v), v))
    out = collections.OrderedDict()
    for key, v in items:
        if not isinstance(v, Variable):
            what = "a Tensor" if isinstance(v, Tensor) else type(v).__name__
            raise TypeError(f"Saver can only save variables; {key!r} is {what}.")
        if v.dtype.np is None or v.dtype.np.kind not in "biuf":
            raise TypeError(f"Saver cannot save variable {key!r} of dtype {v.dtype.name} (only "
                            "numeric and bool variables are saved).")
        if key in out and out[key] is not v:
            raise ValueError(f"At least two variables have the same name: {key}")
        out[key] = v
    return out


def _expected(variables):
    return {name: (tuple(v.shape.as_list()), v.dtype.np) for name, v in variables.items()}


# -- the file format -------------------------------------------------------------------------


def _write_checkpoint(path, values):
    with safe_io.atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            for name, arr in values.items():
                with zf.open(name + ".npy", "w", force_zip64=arr.nbytes > 2**31) as f:
                    safe_io.write_npy(f, arr)


def _data_file(prefix):
    if prefix.endswith(SUFFIX) and os.path.isfile(prefix):
        return prefix
    return prefix + SUFFIX


def _members(archive, path):
    """{key: member name} of a checkpoint archive (every member must be a `.npy`)."""
    out = {}
    for name in archive.namelist():
        if not name.endswith(".npy"):
            raise safe_io.CorruptFileError(f"{path} is not a tensorlet checkpoint: member "
                                           f"{name!r} is not a .npy array.")
        out[name[:-4]] = name
    return out


def read_checkpoint(prefix, expected=None):
    """{key: array} of checkpoint `prefix`; with `expected` ({key: (shape, dtype)}) only those
    keys, each checked before it is read."""
    path = _data_file(prefix)
    if not os.path.isfile(path):
        raise ValueError(f"The passed save_path is not a valid checkpoint: {prefix} (no file "
                         f"{path}).")
    with safe_io.open_zip(path, "tensorlet checkpoint") as archive:
        members = _members(archive, path)
        if expected is None:
            return {k: safe_io.read_npy_member(archive, m, f"{path}[{k}]")
                    for k, m in members.items()}
        missing = [k for k in expected if k not in members]
        if missing:
            raise NotFoundError(None, None, (
                f"Restoring from checkpoint {prefix} failed: key(s) not found in the checkpoint: "
                f"{', '.join(missing)}. This most likely means the graph's variables differ from "
                f"those saved (checkpoint keys: {', '.join(sorted(members)[:50])})."))
        problems = []
        headers = {}
        for key, (shape, dtype) in expected.items():
            with archive.open(members[key]) as f:
                got_shape, got_dtype, _ = safe_io.npy_header(f, f"{path}[{key}]")
            headers[key] = (got_shape, got_dtype)
            if got_shape != shape:
                problems.append(f"{key}: the graph's variable has shape {list(shape)}, the "
                                f"checkpoint holds shape {list(got_shape)}")
            elif np.dtype(got_dtype).newbyteorder("=") != dtype:
                problems.append(f"{key}: expected dtype {np.dtype(dtype).name} does not equal "
                                f"the checkpoint's dtype {np.dtype(got_dtype).name}")
        if problems:
            raise InvalidArgumentError(None, None, (
                f"Restoring from checkpoint {prefix} failed; the graph's variables do not match "
                "the checkpoint:\n  " + "\n  ".join(problems)))
        return {k: safe_io.read_npy_member(archive, members[k], f"{path}[{k}]").astype(
            expected[k][1], copy=False) for k in expected}


def checkpoint_exists(checkpoint_prefix):
    """Whether the data file of a checkpoint prefix exists."""
    return os.path.isfile(_data_file(os.fspath(checkpoint_prefix)))


def delete_checkpoint(prefix):
    path = _data_file(prefix)
    if os.path.isfile(path):
        os.remove(path)


def list_variables(ckpt_dir_or_file):
    """[(key, shape)] of a checkpoint (a prefix, or a directory's latest), sorted by key."""
    prefix = _resolve(ckpt_dir_or_file)
    path = _data_file(prefix)
    with safe_io.open_zip(path, "tensorlet checkpoint") as archive:
        out = []
        for key, member in sorted(_members(archive, path).items()):
            with archive.open(member) as f:
                shape, _, _ = safe_io.npy_header(f, f"{path}[{key}]")
            out.append((key, list(shape)))
    return out


def load_variable(ckpt_dir_or_file, name):
    """The value stored under key `name` (a ':0' suffix is ignored)."""
    prefix = _resolve(ckpt_dir_or_file)
    name = name[:-2] if name.endswith(":0") else name
    path = _data_file(prefix)
    with safe_io.open_zip(path, "tensorlet checkpoint") as archive:
        members = _members(archive, path)
        if name not in members:
            raise NotFoundError(None, None, f"Key {name} not found in checkpoint {prefix}")
        return safe_io.read_npy_member(archive, members[name], f"{path}[{name}]")


def _resolve(ckpt_dir_or_file):
    p = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(p):
        latest = latest_checkpoint(p)
        if latest is None:
            raise ValueError(f"Couldn't find 'checkpoint' file or checkpoints in given "
                             f"directory {p}")
        return latest
    if not checkpoint_exists(p):
        raise ValueError(f"{p} is not a checkpoint prefix (no file {_data_file(p)}).")
    return p


# -- the `checkpoint` index file -------------------------------------------------------------


class CheckpointState:
    """The content of a `checkpoint` file (TF's CheckpointState message)."""

    def __init__(self, model_checkpoint_path="", all_model_checkpoint_paths=()):
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = list(all_model_checkpoint_paths)

    def __repr__(self):
        lines = [f"model_checkpoint_path: {_quote(self.model_checkpoint_path)}"]
        lines += [f"all_model_checkpoint_paths: {_quote(p)}"
                  for p in self.all_model_checkpoint_paths]
        return "\n".join(lines) + "\n"


def _quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _unquote(s, path):
    s = s.strip()
    if len(s) < 2 or s[0] != '"' or s[-1] != '"':
        raise safe_io.CorruptFileError(f"{path}: malformed value {s[:80]!r} (expected a quoted "
                                       "string).")
    out, i, body = [], 0, s[1:-1]
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "'": "'"}
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            out.append(escapes.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def update_checkpoint_state(save_dir, model_checkpoint_path, all_model_checkpoint_paths=None,
                            latest_filename=None):
    """Write the `checkpoint` file of `save_dir` (atomically); paths inside `save_dir` are
    written relative to it."""
    save_dir = save_dir or "."
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths = [p for p in paths if p != model_checkpoint_path] + [model_checkpoint_path]

    def rel(p):
        if os.path.abspath(os.path.dirname(p)) == os.path.abspath(save_dir):
            return os.path.basename(p)
        return p
    state = CheckpointState(rel(model_checkpoint_path), [rel(p) for p in paths])
    index = os.path.join(save_dir, latest_filename or _INDEX)
    with safe_io.atomic_path(index) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(repr(state))


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """The CheckpointState of `checkpoint_dir/checkpoint` (relative paths made absolute by
    joining them to the directory), or None when there is no such file."""
    index = os.path.join(os.fspath(checkpoint_dir), latest_filename or _INDEX)
    if not os.path.isfile(index):
        return None
    if os.path.getsize(index) > 16 * 1024**2:
        raise safe_io.CorruptFileError(f"{index} is too large to be a checkpoint index.")
    with open(index, encoding="utf-8", errors="replace") as f:
        text = f.read()
    state = CheckpointState()
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or key not in ("model_checkpoint_path", "all_model_checkpoint_paths",
                                  "all_model_checkpoint_timestamps", "last_preserved_timestamp"):
            raise safe_io.CorruptFileError(f"{index}:{lineno}: not a checkpoint index line: "
                                           f"{line[:80]!r}")
        if key == "model_checkpoint_path":
            state.model_checkpoint_path = _unquote(value, index)
        elif key == "all_model_checkpoint_paths":
            state.all_model_checkpoint_paths.append(_unquote(value, index))
    if not state.model_checkpoint_path:
        raise safe_io.CorruptFileError(f"Invalid checkpoint state loaded from {checkpoint_dir}: "
                                       "no model_checkpoint_path.")

    def absolute(p):
        return p if os.path.isabs(p) else os.path.join(os.fspath(checkpoint_dir), p)
    state.model_checkpoint_path = absolute(state.model_checkpoint_path)
    state.all_model_checkpoint_paths = [absolute(p) for p in state.all_model_checkpoint_paths]
    return state


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The prefix of the newest checkpoint recorded in `checkpoint_dir`, or None."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state and checkpoint_exists(state.model_checkpoint_path):
        return state.model_checkpoint_path
    return None


def get_checkpoint_mtimes(checkpoint_prefixes):
    return [os.path.getmtime(_data_file(p)) for p in checkpoint_prefixes if checkpoint_exists(p)]


__all__ = ["CheckpointState", "Saver", "checkpoint_exists", "get_checkpoint_mtimes",
           "get_checkpoint_state", "latest_checkpoint", "list_variables", "load_variable",
           "update_checkpoint_state"]
