"""The benchmark suite: tensorlet against every installed peer, interleaved, as ratios.

    python -m bench [--workloads mlp,cnn,...] [--rounds 3] [--seconds 8] [--out bench/results]

Each round runs every workload once per framework in turn (tensorlet, torch, keras-tf,
keras-jax: A B C D A B C D ...), each in its own process (`bench/worker.py`), because this
machine has fast and slow phases (PERF-NOTES.md): only ratios taken within one round are
compared, and the table reports their medians over rounds. Missing peers are reported as
missing, never faked. `eager_step` (a custom training step) runs on tensorlet and PyTorch only;
its table has two rows, tensorlet eager and tensorlet `tf.function`, each against PyTorch's
eager loop. Training workloads add a row for the peak resident memory of their process;
`first_step` (interpreter start to one training step of the MLP, CNN and LSTM) adds tensorlet
with an empty numba cache; `install_size` sums the distributions on disk; `plan_overhead` (a
cached plan's run on a trivial graph) is tensorlet's alone.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.peers import find_peers
from bench.worker import RUNS_ON, WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
# The figure compared for each table row, and whether larger is better.
METRIC = {"mlp": ("samples_per_s", True), "cnn": ("samples_per_s", True),
          "lstm": ("samples_per_s", True), "gru": ("samples_per_s", True),
          "eager_step": ("samples_per_s", True),
          "eager_step:tf.function": ("samples_per_s", True),
          "predict1": ("us_per_call", False), "predict1024": ("samples_per_s", True),
          "import": ("import_s", False), "first_step": ("first_step_s", False),
          "first_step:cold cache": ("first_step_s", False),
          "install_size": ("installed_mb", False),
          "plan_overhead": ("us_per_run", False), "plan_overhead:fed": ("us_per_run", False)}
# Extra rows of a workload: row -> (key of tensorlet's figure, key of each peer's figure).
EXTRA_ROWS = {"eager_step": {"eager_step:tf.function": ("samples_per_s_function",
                                                        "samples_per_s")},
              "first_step": {"first_step:cold cache": ("first_step_cold_cache_s",
                                                       "first_step_s")},
              "plan_overhead": {"plan_overhead:fed": ("us_per_run_fed", None)}}
for _w in ("mlp", "cnn", "lstm", "gru"):  # peak resident memory of each training process
    EXTRA_ROWS[_w] = {f"{_w}:peak RSS": ("peak_rss_mb", "peak_rss_mb")}
    METRIC[f"{_w}:peak RSS"] = ("peak_rss_mb", False)


def frameworks():
    """(label, worker framework, python, env) for tensorlet and each installed peer."""
    found, missing = find_peers()
    out = [("tensorlet", "tensorlet", sys.executable, dict(os.environ))]
    for label, (python, env) in found.items():
        out.append((label, "torch" if label == "torch" else "keras", python, env))
    return out, missing


def run_worker(framework, python, env, workload, seconds):
    cmd = [python, str(ROOT / "bench" / "worker.py"), "--framework", framework, "--workload",
           workload, "--seconds", str(seconds), "--json"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT,
                       timeout=max(600, 20 * seconds))
    if p.returncode != 0:
        return {"error": (p.stderr or p.stdout).strip().splitlines()[-1:]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def value(record, workload):
    key, _ = METRIC[workload]
    if workload == "predict1":  # the faster of predict() and a direct call, as a user would
        vals = [record.get(k) for k in ("us_per_call", "us_per_call_direct")]
        vals = [v for v in vals if v]
        return min(vals) if vals else None
    if workload == "predict1024":
        vals = [record.get(k) for k in ("samples_per_s", "samples_per_s_direct")]
        vals = [v for v in vals if v]
        return max(vals) if vals else None
    return record.get(key)


def rows_of(workload, records):
    """The table rows of one round of a workload: row name -> {label: figure or None}."""
    main = {label: None if "error" in rec else value(rec, workload)
            for label, rec in records.items()}
    out = {workload: main}
    for row, (mine, theirs) in EXTRA_ROWS.get(workload, {}).items():
        out[row] = {label: None if "error" in rec else
                    rec.get(mine if label == "tensorlet" else theirs)
                    for label, rec in records.items()}
    return out


def ratio_vs_best(row, workload):
    """tensorlet relative to the best peer of one round (>1 means tensorlet is better)."""
    _, higher = METRIC[workload]
    mine = row.get("tensorlet")
    peers = [v for k, v in row.items() if k != "tensorlet" and v]
    if not mine or not peers:
        return None
    best = max(peers) if higher else min(peers)
    return mine / best if higher else best / mine


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = p.parse_args(argv)
    workloads = [w for w in args.workloads.split(",") if w]
    unknown = [w for w in workloads if w not in WORKLOADS]
    if unknown:
        p.error(f"unknown workloads {unknown}; choose from {', '.join(WORKLOADS)}")
    fws, missing = frameworks()
    for name, why in missing.items():
        print(f"peer {name}: missing ({why})", file=sys.stderr)
    rounds = []
    for r in range(args.rounds):
        for w in workloads:
            records = {}
            for label, fw, python, env in fws:
                if fw not in RUNS_ON.get(w, (fw,)):
                    continue
                rec = records[label] = run_worker(fw, python, env, w, args.seconds)
                shown = rec.get("error") if "error" in rec else value(rec, w)
                print(f"round {r + 1} {w:12s} {label:10s} {shown}", file=sys.stderr,
                      flush=True)
            for row, values in rows_of(w, records).items():
                rounds.append({"round": r, "workload": row, "values": values,
                               "records": records if row == w else None,
                               "ratio": ratio_vs_best(values, row)})
    rows = [row for w in workloads for row in (w, *EXTRA_ROWS.get(w, {}))]
    summary = summarize(rounds, rows, [f[0] for f in fws])
    print_table(summary, [f[0] for f in fws])
    os.makedirs(args.out, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(args.out, f"bench-{stamp}.json"), "w") as f:
        json.dump({"summary": summary, "rounds": rounds, "missing": missing}, f, indent=1)
    chart(summary, [f[0] for f in fws], os.path.join(args.out, f"bench-{stamp}.png"))


def summarize(rounds, workloads, labels):
    """Per table row: each framework's median figure (absent: the row does not run on it)."""
    out = {}
    for w in workloads:
        rs = [r for r in rounds if r["workload"] == w]
        med = {}
        for label in labels:
            if not any(label in r["values"] for r in rs):
                continue
            vals = [r["values"].get(label) for r in rs if r["values"].get(label)]
            med[label] = statistics.median(vals) if vals else None
        ratios = [r["ratio"] for r in rs if r["ratio"]]
        out[w] = {"median": med, "ratio_median": statistics.median(ratios) if ratios else None,
                  "unit": METRIC[w][0]}
    return out


def print_table(summary, labels):
    width = max([12] + [len(w) for w in summary])
    head = f"{'workload':{width}s} {'unit':14s} " + " ".join(f"{lb:>11s}" for lb in labels) \
        + "  tensorlet/best peer"
    print(head)
    print("-" * len(head))
    for w, s in summary.items():
        cells = " ".join(f"{_fmt(s['median'][lb]) if lb in s['median'] else '-':>11s}"
                         for lb in labels)
        ratio = f"{s['ratio_median']:.2f}x" if s["ratio_median"] else "n/a"
        print(f"{w:{width}s} {s['unit']:14s} {cells}  {ratio}")


def _fmt(v):
    if v is None:
        return "missing"
    return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


def chart(summary, labels, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    ws = [w for w, s in summary.items() if s["ratio_median"]]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar(ws, [summary[w]["ratio_median"] for w in ws])
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_ylabel("tensorlet / best peer (median)")
    fig.tight_layout()
    fig.savefig(path)


if __name__ == "__main__":
    main()
