"""`keras.callbacks.BackupAndRestore`: an interrupted `fit` resumes where it stopped.

At the end of every epoch (or every `save_freq` batches) the weights and the optimizer state
are written to `backup_dir/latest.weights.h5` together with the epoch counter (a root
attribute of that same file, so weights and counter can never disagree, however the process
dies; the write is atomic). When the same script runs `fit` again, the callback loads them
and `fit` starts at the first epoch not completed. As in Keras, a resumed run repeats the
interrupted epoch from its start; it reproduces an uninterrupted run exactly when the data
order does not depend on earlier epochs (e.g. `shuffle=False`) and no randomness (dropout)
is involved. At the end of training the backup files are deleted (`delete_checkpoint`).
"""
import json
import os
import shutil
import warnings

from tensorlet.keras.callbacks.callback import Callback
from tensorlet.train import safe_io

_META_ATTR = "tensorlet_training_metadata"


class BackupAndRestore(Callback):
    """Back up the training state to `backup_dir` and restore it when `fit` starts again."""

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or
                                     not isinstance(save_freq, int) or save_freq < 1):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: save_freq="
                             f"{save_freq}. Expected either 'epoch' or a positive integer.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._prev_weights_path = self._weights_path + ".bkp"
        self._current_epoch = 0
        self._last_batch_seen = 0
        self._batches_since_saving = 0

    # -- restoring ------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        if not self.model.built:
            raise ValueError("To use the BackupAndRestore callback, your model must be built "
                             f"before you call `fit()`. Model '{self.model.name}' is unbuilt.")
        if not os.path.exists(self._weights_path):
            return
        try:
            epoch = self._restore(self._weights_path)
        except (OSError, ValueError) as e:
            if not os.path.exists(self._prev_weights_path):
                raise
            warnings.warn(f"The backup {self._weights_path} could not be loaded ({e}); using "
                          f"the previous one.", stacklevel=2)
            epoch = self._restore(self._prev_weights_path)
        self._current_epoch = epoch
        self.model._initial_epoch = epoch

    def _restore(self, path):
        from tensorlet.keras.saving import weights_h5
        with weights_h5.open_h5(path, "backup weights file") as f:
            weights_h5.read_weights(self.model, f, path)
            text = f.attrs.get(_META_ATTR)
        if text is None:
            raise safe_io.CorruptFileError(f"{path} holds no training metadata (epoch).")
        meta = json.loads(text.decode() if isinstance(text, bytes) else str(text))
        epoch = meta.get("epoch") if isinstance(meta, dict) else None
        if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
            raise safe_io.CorruptFileError(f"{path}: invalid epoch counter {epoch!r}.")
        return epoch

    # -- backing up ---------------------------------------------------------------------------
    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        added = batch + 1 if batch <= self._last_batch_seen else batch - self._last_batch_seen
        self._last_batch_seen = batch
        self._batches_since_saving += added
        if self._batches_since_saving >= self.save_freq:
            self._batches_since_saving = 0
            self._save()

    def _save(self):
        from tensorlet.keras.saving import weights_h5
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._weights_path):
            with safe_io.atomic_path(self._prev_weights_path) as tmp:
                shutil.copyfile(self._weights_path, tmp)
        meta = json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen})
        weights_h5.save_weights(self.model, self._weights_path, attrs={_META_ATTR: meta})
        with safe_io.atomic_path(self._metadata_path) as tmp, open(tmp, "w") as f:
            f.write(meta)

    def on_train_end(self, logs=None):
        self.model._initial_epoch = None
        if not self.delete_checkpoint:
            return
        for path in (self._weights_path, self._prev_weights_path, self._metadata_path):
            if os.path.exists(path):
                os.remove(path)
        try:
            os.rmdir(self.backup_dir)
        except OSError:  # not empty (other files of the user's) or already gone
            pass
