"""Where a training step's time goes: per-op-type time of tensorlet's compiled training plan.

    python -m bench.profile_step {mlp,cnn,lstm,gru} [--steps N]

Builds the benchmark's Keras model on tensorlet, trains one warm-up epoch, then replays
the training-step plan (the one applying optimizer updates) N times with each kernel timed,
and prints the total per op type, largest first, as microseconds per step and a share.
"""
import argparse
import sys

import numpy as np

import tensorlet  # noqa: F401  (registers the ops)
from tensorlet import keras
from tensorlet.runtime.plan import Plan

sys.modules.setdefault("keras", keras)  # the peers' Keras program, run on tensorlet

from bench import worker  # noqa: E402
from bench.peers import keras_models  # noqa: E402


def capture_plans(fit):
    """Run `fit()` and return {plan: its last feed values} for every plan run meanwhile."""
    seen = {}
    original = Plan.run

    def run(self, feed_values):
        seen[self] = list(feed_values)
        return original(self, feed_values)
    Plan.run = run
    try:
        fit()
    finally:
        Plan.run = original
    return seen


def _updates(plan):
    """Whether `plan` applies optimizer updates (the training step, not the initialiser)."""
    return any(step[5].type.startswith("Apply") for step in plan.steps)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workload", choices=worker.TRAIN)
    p.add_argument("--steps", type=int, default=200)
    args = p.parse_args(argv)
    data = worker.make_data(args.workload)
    model = keras_models.compiled(args.workload)
    plans = capture_plans(lambda: model.fit(data["x"], data["y"], batch_size=data["batch_size"],
                                            epochs=1, verbose=0))
    plan, feeds = max(plans.items(), key=lambda kv: (_updates(kv[0]), len(kv[0].steps)))
    plan.profile(feeds, 10)  # warm-up
    per_type = plan.profile(feeds, args.steps)
    total = sum(per_type.values())
    print(f"{args.workload}: {len(plan.steps)} kernels, {total * 1e6:.0f} us per step "
          f"({data['batch_size'] / total:.0f} samples/s of kernel time)")
    for op_type, t in sorted(per_type.items(), key=lambda kv: -kv[1]):
        print(f"  {op_type:<32} {t * 1e6:8.1f} us  {100 * t / total:5.1f} %")
    return per_type


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
