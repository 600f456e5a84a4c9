"""`Progbar`: the text progress bar that Keras 3 prints during `fit` and downloads.

On a terminal (stdout is a TTY, or inside a Jupyter kernel) the bar redraws one line
in place with `\\r`, throttled to one redraw per `interval` seconds:

    12/50 ━━━━━━━━━━━━━━━━━━━━ 1s 20ms/step - loss: 0.1234

When stdout is redirected to a file or a pipe, redrawing would fill the log with
hundreds of lines, so the bar prints one plain line (no ANSI colours) when it is
finalised. `verbose=2` prints Keras's terse end-of-run line
(`50/50 - 1s - 20ms/step - loss: 0.1234`) and `verbose=0` prints nothing.

Metric values passed to `update` are averaged over the steps they cover, weighted by
the number of steps each update advanced, exactly as Keras does; metrics named in
`stateful_metrics` (or not named in `stateless_metrics`) are shown as given. As in
Keras, the finalising update replaces each averaged metric with the value it is given,
because Keras's training loop passes the epoch's final result there.
"""

import math
import numbers
import sys
import time

import numpy as np

_BOLD = "\x1b[1m"
_GREEN = "\x1b[32m"
_GREY = "\x1b[37m"
_RESET = "\x1b[0m"
_BAR_CHAR = "\u2501"


class Progbar:
    """Displays a progress bar.

    Args:
        target: total number of steps expected, or `None` if unknown.
        width: width of the bar in characters. Defaults to 20, as in Keras 3.
        verbose: 0 (silent), 1 (progress bar) or 2 (one line at the end).
        interval: minimum time in seconds between two redraws of the bar.
        stateful_metrics: names of metrics displayed as given instead of averaged.
        stateless_metrics: names of metrics that are averaged; every other metric is
            then displayed as given. Give at most one of the two lists.
        unit_name: name of one step in the time-per-step display (`"step"`,
            `"sample"`, ...).
    """

    def __init__(
        self,
        target,
        width=20,
        verbose=1,
        interval=0.05,
        stateful_metrics=None,
        stateless_metrics=None,
        unit_name="step",
    ):
        if target is not None and (
            isinstance(target, bool) or not isinstance(target, numbers.Integral) or target < 0
        ):
            raise ValueError(
                f"`target` must be None or a non-negative integer. Received: target={target!r}"
            )
        if isinstance(width, bool) or not isinstance(width, numbers.Integral) or width < 1:
            raise ValueError(f"`width` must be a positive integer. Received: width={width!r}")
        if verbose not in (0, 1, 2):
            raise ValueError(f"`verbose` must be 0, 1 or 2. Received: verbose={verbose!r}")
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Give at most one of `stateful_metrics` (metrics shown as given) and "
                "`stateless_metrics` (metrics averaged); received both."
            )
        self.target = None if target is None else int(target)
        self.width = int(width)
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)

        stdout = sys.stdout
        self._dynamic_display = (
            hasattr(stdout, "isatty") and stdout.isatty()
        ) or "ipykernel" in sys.modules
        self._seen_so_far = 0
        self._values = {}  # name -> [weighted sum, total weight]; insertion-ordered
        self._start = time.monotonic()
        self._last_update = None
        self._time_after_first_step = None
        self._prev_total_width = 0

    def update(self, current, values=None, finalize=None):
        """Moves the bar to step `current` and records metric values.

        Args:
            current: index of the current step (steps done so far).
            values: list of `(name, value)` pairs for the step(s) since the last
                update. Averaged metrics accumulate `value` weighted by the number of
                steps advanced; stateful ones are displayed as given.
            finalize: whether this is the last update; `None` means
                `current >= target` (never, when the target is unknown).
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._record(current, values or (), finalize)
        self._seen_so_far = current

        now = time.monotonic()
        time_per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 1:
            if self._dynamic_display:
                if (
                    not finalize
                    and self._last_update is not None
                    and now - self._last_update < self.interval
                ):
                    return
                self._draw_dynamic(current, now, time_per_unit, finalize)
            elif finalize:
                line = self._bar(current, color=False)
                line += f" {now - self._start:.0f}s{_format_time(time_per_unit, self.unit_name)}"
                _write(line + self._metrics_text() + "\n")
        elif self.verbose == 2 and finalize:
            line = self._count(current) if self._has_target() else f"{int(current)}/Unknown"
            line += f" - {now - self._start:.0f}s -{_format_time(time_per_unit, self.unit_name)}"
            _write(line + self._metrics_text() + "\n")
        self._last_update = now

    def add(self, n, values=None):
        """Advances the bar by `n` steps; `values` as in `update`."""
        self.update(self._seen_so_far + n, values)

    def _record(self, current, values, finalize):
        """Folds the new metric values into the running sums."""
        for name, value in values:
            if self.stateless_metrics is not None:
                averaged = name in self.stateless_metrics
            else:
                averaged = name not in self.stateful_metrics
            if averaged and not finalize:
                weight = max(current - self._seen_so_far, 1)
                total = self._values.setdefault(name, [0.0, 0])
                total[0] = total[0] + value * weight
                total[1] += weight
            else:
                self._values[name] = [value, 1]

    def _draw_dynamic(self, current, now, time_per_unit, finalize):
        """Redraws the line in place: count, coloured bar, ETA or elapsed, metrics."""
        bar = self._bar(current, color=True)
        if self._has_target() and not finalize:
            info = f" {_BOLD}{_format_eta(time_per_unit * (self.target - current))}{_RESET}"
        else:
            info = f" {_BOLD}{now - self._start:.0f}s{_RESET}"
        info += _format_time(time_per_unit, self.unit_name) + self._metrics_text()
        line = bar + info
        visible_width = len(_strip_ansi(line))
        padding = " " * max(self._prev_total_width - visible_width, 0)
        self._prev_total_width = visible_width
        _write("\r" + line + padding + ("\n" if finalize else ""))

    def _has_target(self):
        return self.target is not None and self.target > 0

    def _count(self, current):
        """`' 7/50'`: the step count, right-aligned to the target's width."""
        digits = int(math.log10(self.target)) + 1
        return f"{int(current):{digits}d}/{self.target}"

    def _bar(self, current, color):
        """The count and the bar (or `'    123/Unknown'` without a target)."""
        if not self._has_target():
            return f"{int(current):7d}/Unknown"
        filled = min(int(self.width * float(current) / self.target), self.width)
        done, left = _BAR_CHAR * filled, _BAR_CHAR * (self.width - filled)
        if not color:
            return f"{self._count(current)} {done}{left}"
        text = f"{_BOLD}{self._count(current)}{_RESET} "
        if filled:
            text += f"{_GREEN}{done}{_RESET}"
        return text + f"{_GREY}{left}{_RESET}"

    def _metrics_text(self):
        """`' - loss: 0.1234 - acc: 0.9000'` for every metric seen so far."""
        parts = []
        for name, (total, weight) in self._values.items():
            average = np.mean(total) / max(1, weight)
            shown = f"{average:.4f}" if abs(average) > 1e-3 else f"{average:.4e}"
            parts.append(f" - {name}: {shown}")
        return "".join(parts)

    def _estimate_step_duration(self, current, now):
        """Seconds per step, leaving out the first (usually slow) step when possible."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_unit


def _format_time(time_per_unit, unit_name):
    """`' 20ms/step'`, `' 3s/step'` or `' 150us/step'`."""
    if time_per_unit >= 1 or time_per_unit == 0:
        return f" {time_per_unit:.0f}s/{unit_name}"
    if time_per_unit >= 1e-3:
        return f" {time_per_unit * 1e3:.0f}ms/{unit_name}"
    return f" {time_per_unit * 1e6:.0f}us/{unit_name}"


def _format_eta(seconds):
    """`'1:02:03'`, `'2:03'` or `'7s'`, as Keras shows the time left."""
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def _strip_ansi(text):
    """Removes this module's colour codes, to measure the visible width of a line."""
    for code in (_BOLD, _GREEN, _GREY, _RESET):
        text = text.replace(code, "")
    return text


def _write(text):
    """Writes to the current `sys.stdout` (looked up each time, so redirection works)."""
    sys.stdout.write(text)
    sys.stdout.flush()
