"""PyTorch versions of the benchmark workloads (eager mode, default threads).

``run(workload, data, seconds)`` builds the model, warms up (not timed), measures for about
``seconds`` and returns the metrics as a dict; ``data`` comes from ``bench/worker.py``.

Adam is PyTorch's default implementation, which on CPU is the per-parameter loop;
``TENSORLET_BENCH_TORCH_ADAM=foreach`` or ``=fused`` picks a faster one (about 1.2x and 1.4x
on the MLP here).
"""

import os

import torch
from torch import nn

from bench.timing import per_call, timed_epochs

ADAM = os.environ.get("TENSORLET_BENCH_TORCH_ADAM", "default")
ADAM_KWARGS = {"default": {}, "foreach": {"foreach": True}, "fused": {"fused": True}}


class _Recurrent(nn.Module):
    """LSTM(128) or GRU(128) over (batch, 28, 28), last output -> Dense 10."""

    def __init__(self, cell):
        super().__init__()
        self.rnn = cell(28, 128, batch_first=True)
        self.out = nn.Linear(128, 10)

    def forward(self, x):
        """Logits from the last time step's output."""
        return self.out(self.rnn(x)[0][:, -1])


def build(workload):
    """The model for ``workload``; it returns logits (the softmax is in the loss)."""
    if workload == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10))
    if workload in ("lstm", "gru"):
        return _Recurrent(nn.LSTM if workload == "lstm" else nn.GRU)
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, 10))


def _tensor(x, workload):
    """Data as a torch tensor; cnn images go from (n, 28, 28, 1) to NCHW (same memory for C=1)."""
    x = torch.from_numpy(x)
    return x.reshape(-1, 1, 28, 28) if workload == "cnn" else x


def train(workload, data, seconds):
    """Samples/s of a standard training loop over preloaded batches, whole epochs."""
    model = build(workload).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, **ADAM_KWARGS[ADAM])
    loss_fn = nn.CrossEntropyLoss()
    bs = data["batch_size"]
    batches = list(zip(_tensor(data["x"], workload).split(bs),
                       torch.from_numpy(data["y"]).split(bs)))

    def epoch():
        for xb, yb in batches:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()

    epochs, elapsed = timed_epochs(epoch, seconds)
    return {"samples_per_s": epochs * len(data["x"]) / elapsed, "epochs": epochs,
            "measured_s": elapsed, "adam": ADAM}


def first_step(workload, data):
    """One training step of a new model on the first batch (start-up cost, not speed)."""
    model = build(workload).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, **ADAM_KWARGS[ADAM])
    bs = data["batch_size"]
    loss = nn.CrossEntropyLoss()(model(_tensor(data["x"][:bs], workload)),
                                 torch.from_numpy(data["y"][:bs]))
    loss.backward()
    opt.step()


def predict(workload, data, seconds):
    """Eager inference of the MLP under no_grad: latency (predict1) or throughput."""
    model = build("mlp").eval()
    x = torch.from_numpy(data["x"])
    with torch.no_grad():
        t = per_call(lambda: model(x), seconds)
    if workload == "predict1":
        return {"us_per_call": t * 1e6}
    return {"samples_per_s": len(x) / t}


def run(workload, data, seconds):
    """Run one workload; see the module docstring. ``eager_step`` (a hand-written training
    step, run eagerly) is the MLP's training loop: PyTorch's loop is that already."""
    torch.manual_seed(0)
    if workload == "eager_step":
        workload = "mlp"
    fn = predict if workload.startswith("predict") else train
    return {**fn(workload, data, seconds), "threads": torch.get_num_threads()}
