"""Keras 3's weights file (`.weights.h5`, and `model.weights.h5` inside a `.keras` zip).

Layout (see `layout`): `<path>/vars/<i>` datasets, one per variable, keeping its dtype; each
`vars` group has a `name` attribute (the object's name). Loading checks every dataset before
reading anything: it must be a plain HDF5 dataset (no external, soft or virtual storage that
could read other files), of a numeric dtype, and of exactly the shape of the variable it goes
to; the model's variables are assigned only once all of them have been read.
"""
import contextlib
import os
import warnings

import numpy as np

from tensorlet._lazy import LazyModule
from tensorlet.keras import backend
from tensorlet.keras.saving import layout
from tensorlet.keras.saving.compile_config import build_optimizer
from tensorlet.keras.optimizers.base import Optimizer
from tensorlet.train import safe_io

h5py = LazyModule("h5py")

SUFFIX = ".weights.h5"


# -- writing ----------------------------------------------------------------------------------


def write_weights(model, h5file):
    """Write the model's (and its optimizer's) variables into an open, writable h5py File."""
    entries = layout.saveables(model)
    variables = [v for _, _, vs in entries for v in vs]
    values = iter(backend.batch_get_value(variables))
    for path, obj, vs in entries:
        group = h5file.require_group(f"{path}/vars" if path else "vars")
        if isinstance(getattr(obj, "name", None), str):
            group.attrs["name"] = obj.name
        for i, _ in enumerate(vs):
            group.create_dataset(str(i), data=np.asarray(next(values)))


def save_weights(model, filepath, overwrite=True, attrs=None):
    """`model.save_weights("x.weights.h5")`: Keras 3's layout, written atomically (`attrs`:
    extra root attributes written in the same file, e.g. BackupAndRestore's epoch)."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(SUFFIX):
        raise ValueError(f"The filename must end in `{SUFFIX}`. Received: filepath={filepath}")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} already exists; pass overwrite=True to replace it.")
    with safe_io.atomic_path(filepath) as tmp:
        with h5py.File(tmp, "w") as f:
            write_weights(model, f)
            for key, value in (attrs or {}).items():
                f.attrs[key] = value


# -- reading ----------------------------------------------------------------------------------


@contextlib.contextmanager
def open_h5(source, what="HDF5 weights file"):
    """An h5py File opened read-only, or CorruptFileError naming the file."""
    try:
        f = h5py.File(source, "r")
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as e:
        name = getattr(source, "name", source)
        raise safe_io.CorruptFileError(f"{name} is not a valid {what}: {e}") from None
    try:
        yield f
    finally:
        f.close()


def checked_dataset(group, key, where, shape):
    """`group[key]` as an h5py Dataset that is safe to read and has `shape`; raises
    CorruptFileError (unsafe or non-numeric) or returns a mismatch message (wrong shape)."""
    link = group.get(key, getlink=True)
    if link is None:
        return None, f"{where}/{key}: missing"
    if not isinstance(link, h5py.HardLink):
        raise safe_io.CorruptFileError(f"{where}/{key} is a {type(link).__name__}; only plain "
                                       "datasets are read (links could read other files).")
    ds = group[key]
    if not isinstance(ds, h5py.Dataset):
        raise safe_io.CorruptFileError(f"{where}/{key} is not a dataset.")
    if ds.is_virtual or ds.id.get_create_plist().get_external_count():
        raise safe_io.CorruptFileError(f"{where}/{key} stores its data outside the file "
                                       "(virtual or external dataset); refused.")
    if ds.dtype.kind not in "biuf" or ds.dtype.fields is not None:
        raise safe_io.CorruptFileError(f"{where}/{key} has dtype {ds.dtype}; only numeric "
                                       "arrays are accepted as weights.")
    safe_io.check_shape(ds.shape, f"{where}/{key}")
    if tuple(ds.shape) != tuple(shape):
        return None, (f"{where}/{key}: the file holds shape {tuple(ds.shape)}, the variable "
                      f"has shape {tuple(shape)}")
    return ds, None


def _vars_group(h5file, path, source):
    gpath = f"{path}/vars" if path else "vars"
    node = h5file
    for part in gpath.split("/"):
        link = node.get(part, getlink=True)
        if link is None:
            return None
        if not isinstance(link, h5py.HardLink):
            raise safe_io.CorruptFileError(f"{source}: {gpath} goes through a "
                                           f"{type(link).__name__}; refused.")
        node = node[part]
        if not isinstance(node, h5py.Group):
            raise safe_io.CorruptFileError(f"{source}: {gpath} is not a group.")
    return node


def _describe(obj):
    kind = "optimizer" if isinstance(obj, Optimizer) else "layer"
    return f"{kind} '{getattr(obj, 'name', type(obj).__name__)}'"


def _plan(h5file, entries, source):
    """For each object: (obj, [(variable, dataset)]) or (obj, problem message)."""
    out = []
    for path, obj, variables in entries:
        group = _vars_group(h5file, path, source)
        keys = sorted(group.keys(), key=lambda k: (len(k), k)) if group is not None else []
        where = f"{source}:/{path + '/' if path else ''}vars"
        if not variables and not keys:
            continue
        if len(keys) != len(variables) or keys != [str(i) for i in range(len(keys))]:
            names = [getattr(v, "path", v.name) for v in variables]
            out.append((obj, f"{_describe(obj)} expected {len(variables)} variables ({names}), "
                             f"but {where} holds {len(keys)}"))
            continue
        entries = [(v, group, str(i)) for i, v in enumerate(variables)]
        out.append((obj, checked_pairs(entries, where, f"{_describe(obj)} variable")))
    return out


def checked_pairs(entries, where, owner):
    """[(variable, dataset)] for `entries` [(variable, parent group, key)] when every dataset
    is safe and has its variable's shape; else one message with the first few problems."""
    pairs, problems = [], []
    for v, parent, key in entries:
        ds, problem = checked_dataset(parent, key, where, v.shape.as_list())
        if problem:
            problems.append(f"{owner} '{getattr(v, 'path', v.name)}': {problem}")
        pairs.append((v, ds))
    if not problems:
        return pairs
    more = len(problems) - 4
    return "; ".join(problems[:4]) + (f"; and {more} more" if more > 0 else "")


def loadable_pairs(plan, model, source, skip_mismatch):
    """The (variable, dataset) pairs of a plan [(what, pairs or problem, optional)]: a problem
    is skipped with a warning when its entry is optional (an optimizer) or `skip_mismatch`;
    any other raises one ValueError listing them all, before anything is assigned."""
    pairs, errors = [], []
    for what, result, optional in plan:
        if not isinstance(result, str):
            pairs.extend(result)
        elif optional or skip_mismatch:
            action = "variable loading" if optional else "loading weights"
            warnings.warn(f"Skipping {action} for {what}: {result}.", stacklevel=4)
        else:
            errors.append(result)
    if errors:
        raise ValueError(f"Cannot load weights from {source} into model '{model.name}':\n  "
                         + "\n  ".join(errors))
    return pairs


def read_weights(model, h5file, source, skip_mismatch=False):
    """Load the model's variables from an open h5py File in Keras 3's layout.

    Everything is checked before anything is read; a mismatch raises ValueError naming each
    variable concerned (or, with `skip_mismatch`, that object is skipped with a warning). An
    optimizer whose variable count differs is skipped with a warning, as in Keras."""
    opt_group = _vars_group(h5file, "optimizer", source)
    if opt_group is not None and len(opt_group.keys()) > 2:
        build_optimizer(model)
    entries = layout.saveables(model)
    plan = [(_describe(obj), result, isinstance(obj, Optimizer))
            for obj, result in _plan(h5file, entries, source)]
    pairs = loadable_pairs(plan, model, source, skip_mismatch)
    _warn_unused(h5file, entries, model, source)
    backend.batch_set_value([(v, ds[()]) for v, ds in pairs])


def _warn_unused(h5file, entries, model, source):
    used = {f"{p}/vars" if p else "vars" for p, _, _ in entries}
    unused = []

    def visit(name, obj):
        if isinstance(obj, h5py.Group) and name.endswith("vars") and len(obj) and \
                name not in used and not name.startswith("optimizer"):
            unused.append(name)
    h5file.visititems(visit)
    if unused:
        warnings.warn(f"{source} holds weights that model '{model.name}' has no place for: "
                      f"{unused[:10]}", stacklevel=4)


def is_keras3_layout(h5file):
    return "layer_names" not in h5file.attrs and "model_weights" not in h5file
