"""keras.callbacks.BackupAndRestore: a fit process killed mid-epoch (SIGKILL, no chance to
clean up) resumes, when the same script runs again, from the last completed epoch with the
same weights, optimizer state and epoch counter; the end result equals an uninterrupted run."""
import json
import os
import signal
import subprocess
import sys

import h5py
import numpy as np
import pytest

from tensorlet import keras

SCRIPT = r'''
import os, signal, sys
import numpy as np
from tensorlet import keras

backup, out, kill_epoch = sys.argv[1], sys.argv[2], int(sys.argv[3])
keras.utils.set_random_seed(7)
rng = np.random.default_rng(0)
x = rng.normal(size=(48, 5)).astype("float32")
y = rng.normal(size=(48, 2)).astype("float32")
model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="tanh"),
                          keras.layers.BatchNormalization(), keras.layers.Dense(2)])
model.compile(keras.optimizers.Adam(0.01), "mse")


class Log(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        print("epoch", epoch, "iterations", int(self.model.optimizer.iterations.numpy()),
              flush=True)

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == kill_epoch and batch == 2:
            os.kill(os.getpid(), signal.SIGKILL)  # dies mid-epoch, nothing flushed


model.fit(x, y, epochs=5, batch_size=8, shuffle=False, verbose=0,
          callbacks=[keras.callbacks.BackupAndRestore(backup), Log()])
np.savez(out, *model.get_weights(), iterations=model.optimizer.iterations.numpy())
'''


def _run(tmp_path, backup, out, kill_epoch):
    script = tmp_path / "fit_script.py"
    script.write_text(SCRIPT)
    return subprocess.run([sys.executable, str(script), str(tmp_path / backup),
                           str(tmp_path / out), str(kill_epoch)], capture_output=True,
                          text=True, timeout=300, cwd=str(tmp_path))


def test_killed_fit_resumes_from_last_completed_epoch(tmp_path):
    full = _run(tmp_path, "backup_full", "full.npz", -1)
    assert full.returncode == 0, full.stderr
    killed = _run(tmp_path, "backup", "resumed.npz", 3)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert "epoch 3" in killed.stdout and not (tmp_path / "resumed.npz").exists()
    with h5py.File(tmp_path / "backup" / "latest.weights.h5") as f:  # epochs 0-2 completed
        assert json.loads(f.attrs["tensorlet_training_metadata"])["epoch"] == 3
    resumed = _run(tmp_path, "backup", "resumed.npz", -1)
    assert resumed.returncode == 0, resumed.stderr
    # the second run starts at epoch 3 with the optimizer's step counter of 3 epochs x 6 batches
    assert resumed.stdout.splitlines()[0] == "epoch 3 iterations 18"
    a, b = np.load(tmp_path / "full.npz"), np.load(tmp_path / "resumed.npz")
    assert a.files == b.files
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key])
    assert int(b["iterations"]) == 30
    assert not (tmp_path / "backup").exists()  # deleted once training finished


def _model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    return model


@pytest.fixture(autouse=True)
def _fresh():
    keras.backend.clear_session(free_memory=False)
    yield


def test_backup_files_and_options(tmp_path):
    x, y = np.ones((4, 3), np.float32), np.ones((4, 2), np.float32)
    backup = tmp_path / "b"
    cb = keras.callbacks.BackupAndRestore(str(backup), save_freq=1, delete_checkpoint=False,
                                          double_checkpoint=True)
    model = _model()
    model.fit(x, y, epochs=2, batch_size=2, verbose=0, callbacks=[cb])
    assert sorted(os.listdir(backup)) == ["latest.weights.h5", "latest.weights.h5.bkp",
                                          "training_metadata.json"]
    with open(backup / "training_metadata.json") as f:
        assert json.load(f) == {"epoch": 1, "batch": 1}  # saved after the last batch
    # a corrupt latest backup falls back to the previous one
    (backup / "latest.weights.h5").write_bytes(b"garbage")
    again = _model()
    with pytest.warns(UserWarning, match="previous one"):
        again.fit(x, y, epochs=3, batch_size=2, verbose=0,
                  callbacks=[keras.callbacks.BackupAndRestore(str(backup))])
    assert not backup.exists()


def test_backup_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        keras.callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq"):
        keras.callbacks.BackupAndRestore(str(tmp_path), save_freq="batch")
    model = keras.Sequential([keras.layers.Dense(2)])
    cb = keras.callbacks.BackupAndRestore(str(tmp_path / "b"))
    cb.set_model(model)
    with pytest.raises(ValueError, match="must be built"):
        cb.on_train_begin()
