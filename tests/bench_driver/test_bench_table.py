"""The benchmark driver's table logic (bench/__main__.py): rows per workload, extra rows,
ratios against the best peer in the right direction, medians over rounds."""
from bench.__main__ import METRIC, ratio_vs_best, rows_of, summarize


def test_training_row_and_its_peak_memory_row():
    records = {"tensorlet": {"samples_per_s": 300.0, "peak_rss_mb": 100.0},
               "torch": {"samples_per_s": 200.0, "peak_rss_mb": 400.0},
               "keras-jax": {"error": ["boom"]}}
    rows = rows_of("mlp", records)
    assert rows["mlp"] == {"tensorlet": 300.0, "torch": 200.0, "keras-jax": None}
    assert rows["mlp:peak RSS"] == {"tensorlet": 100.0, "torch": 400.0, "keras-jax": None}
    assert ratio_vs_best(rows["mlp"], "mlp") == 1.5            # higher is better
    assert ratio_vs_best(rows["mlp:peak RSS"], "mlp:peak RSS") == 4.0  # lower is better


def test_extra_row_reads_tensorlets_own_key():
    records = {"tensorlet": {"first_step_s": 2.0, "first_step_cold_cache_s": 8.0},
               "torch": {"first_step_s": 4.0}}
    rows = rows_of("first_step", records)
    assert rows["first_step"] == {"tensorlet": 2.0, "torch": 4.0}
    assert rows["first_step:cold cache"] == {"tensorlet": 8.0, "torch": 4.0}
    assert ratio_vs_best(rows["first_step:cold cache"], "first_step:cold cache") == 0.5


def test_predict1_takes_the_faster_call_and_missing_peers_give_no_ratio():
    rows = rows_of("predict1", {"tensorlet": {"us_per_call": 90.0, "us_per_call_direct": 60.0}})
    assert rows["predict1"] == {"tensorlet": 60.0}
    assert ratio_vs_best(rows["predict1"], "predict1") is None


def test_summary_is_the_median_over_rounds():
    rounds = [{"workload": "gru", "values": {"tensorlet": v, "torch": 100.0},
               "ratio": v / 100.0} for v in (100.0, 300.0, 200.0)]
    s = summarize(rounds, ["gru"], ["tensorlet", "torch"])["gru"]
    assert s["median"] == {"tensorlet": 200.0, "torch": 100.0}
    assert s["ratio_median"] == 2.0 and s["unit"] == METRIC["gru"][0]
