"""Tests of tensorlet.keras.utils.Progbar: format, averaging, TTY and log output."""

import io
import re
import sys
import types

import pytest

from tensorlet.keras.utils import Progbar
from tensorlet.keras.utils import progbar as progbar_module

ANSI = re.compile(r"\x1b\[[0-9;]*m")
BAR = "\u2501"


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def clock(monkeypatch):
    """A settable clock replacing time.monotonic inside the progbar module."""
    state = types.SimpleNamespace(now=100.0)
    monkeypatch.setattr(progbar_module, "time", types.SimpleNamespace(monotonic=lambda: state.now))
    return state


@pytest.fixture
def terminal(monkeypatch):
    """A TTY-like stdout for the progbar module (pytest's capture owns `sys.stdout`)."""
    stream = FakeTerminal()
    fake_sys = types.SimpleNamespace(stdout=stream, modules=sys.modules)
    monkeypatch.setattr(progbar_module, "sys", fake_sys)
    return stream


def frames(stream):
    """The lines drawn on a terminal, colour codes removed, one per redraw."""
    text = ANSI.sub("", stream.getvalue())
    return [frame for frame in re.split(r"[\r\n]", text) if frame]


def test_terminal_redraws_one_line_in_keras_format(clock, terminal):
    bar = Progbar(50)
    clock.now += 1.0
    bar.update(1, [("loss", 0.5)])
    clock.now += 0.22
    bar.update(12, [("loss", 0.1234)])
    text = terminal.getvalue()
    assert text.startswith("\r") and "\n" not in text
    assert "\x1b[1m" in text and "\x1b[32m" in text  # bold count, green bar
    # ETA: 38 steps at 20 ms/step (the slow first step is left out of the estimate).
    expected_loss = (0.5 * 1 + 0.1234 * 11) / 12
    assert frames(terminal)[-1] == (
        f"12/50 {BAR * 4}{BAR * 16} 0s 20ms/step - loss: {expected_loss:.4f}"
    )


def test_finalize_prints_elapsed_time_and_newline(clock, terminal):
    bar = Progbar(4)
    clock.now += 2.0
    bar.update(1)
    clock.now += 3.0
    bar.update(4, [("loss", 0.25)])
    assert terminal.getvalue().endswith("\n")
    assert frames(terminal)[-1] == f"4/4 {BAR * 20} 5s 1s/step - loss: 0.2500"


def test_values_are_averaged_weighted_by_steps(clock, terminal):
    bar = Progbar(10, interval=0)
    bar.update(1, [("loss", 1.0)])
    bar.update(3, [("loss", 4.0)])  # covers 2 steps: (1*1 + 4*2) / 3 = 3
    assert frames(terminal)[-1].endswith("loss: 3.0000")
    bar.add(1, [("loss", 7.0)])  # (9 + 7) / 4 = 4
    assert frames(terminal)[-1].endswith("loss: 4.0000")


def test_stateful_metrics_are_shown_as_given(clock, terminal):
    bar = Progbar(10, interval=0, stateful_metrics=["acc"])
    bar.update(1, [("acc", 0.5), ("loss", 2.0)])
    bar.update(2, [("acc", 0.75), ("loss", 4.0)])
    assert frames(terminal)[-1].endswith("acc: 0.7500 - loss: 3.0000")


def test_stateless_metrics_lists_the_averaged_ones(clock, terminal):
    bar = Progbar(10, interval=0, stateless_metrics=["loss"])
    bar.update(1, [("acc", 0.5), ("loss", 2.0)])
    bar.update(2, [("acc", 0.75), ("loss", 4.0)])
    assert frames(terminal)[-1].endswith("acc: 0.7500 - loss: 3.0000")


def test_finalizing_update_takes_the_given_value(clock, terminal):
    bar = Progbar(3)
    bar.update(1, [("loss", 1.0)])
    bar.update(3, [("loss", 0.5)], finalize=True)
    assert frames(terminal)[-1].endswith("loss: 0.5000")


def test_tiny_values_use_scientific_notation(clock, terminal):
    bar = Progbar(2)
    bar.update(2, [("loss", 0.0001)])
    assert frames(terminal)[-1].endswith("loss: 1.0000e-04")


def test_redraws_are_throttled_by_interval(clock, terminal):
    bar = Progbar(10, interval=0.5)
    bar.update(1)
    clock.now += 0.1
    bar.update(2)
    assert len(frames(terminal)) == 1
    clock.now += 0.5
    bar.update(3)
    bar.update(10)  # finalising redraws even inside the interval
    assert [frame.split()[0] for frame in frames(terminal)] == ["1/10", "3/10", "10/10"]


def test_shorter_line_is_padded_over_the_previous_one(clock, terminal):
    bar = Progbar(10, interval=0, stateful_metrics=["m"])
    bar.update(1, [("m", 123456789.0)])
    bar.update(2, [("m", 1.0)])
    first, second = frames(terminal)
    assert len(second) == len(first)
    assert second.rstrip().endswith("m: 1.0000") and second.endswith(" " * 8)


def test_eta_formats(clock, terminal):
    bar = Progbar(100, interval=0)
    clock.now += 1.0
    bar.update(1)  # 1 s/step, 99 steps left
    assert " 1:39 1s/step" in frames(terminal)[-1]
    long_bar = Progbar(10000, interval=0)
    clock.now += 1.0
    long_bar.update(1)  # 1 s/step, 9999 steps left
    assert " 2:46:39 1s/step" in frames(terminal)[-1]


def test_time_per_step_units(clock, terminal):
    bar = Progbar(10000, interval=0)
    clock.now += 0.00015
    bar.update(1)
    assert "150us/step" in frames(terminal)[-1]


def test_unknown_target(clock, terminal):
    bar = Progbar(None, interval=0)
    clock.now += 1.0
    bar.update(5)
    assert frames(terminal)[-1] == "      5/Unknown 1s 200ms/step"
    bar.update(6, finalize=True)
    assert terminal.getvalue().endswith("\n")


def test_not_a_tty_prints_one_plain_line_at_the_end(clock, capsys):
    bar = Progbar(3)
    bar.update(1, [("loss", 3.0)])
    bar.update(2, [("loss", 1.0)])
    assert capsys.readouterr().out == ""
    clock.now += 4.0
    bar.update(3, [("loss", 0.5)])
    assert capsys.readouterr().out == f"3/3 {BAR * 20} 4s 2s/step - loss: 0.5000\n"


def test_not_a_tty_with_unknown_target_prints_when_finalized(clock, capsys):
    bar = Progbar(None)
    bar.update(7)
    assert capsys.readouterr().out == ""
    bar.update(7, finalize=True)
    assert capsys.readouterr().out == "      7/Unknown 0s 0s/step\n"


def test_verbose_2_prints_keras_terse_line(clock, terminal):
    bar = Progbar(3, verbose=2)
    bar.update(1, [("loss", 1.0)])
    assert terminal.getvalue() == ""
    clock.now += 2.0
    bar.update(3, [("loss", 0.5)])
    assert terminal.getvalue() == "3/3 - 2s - 1s/step - loss: 0.5000\n"


def test_verbose_0_is_silent(clock, terminal):
    bar = Progbar(3, verbose=0)
    bar.update(3, [("loss", 1.0)])
    assert terminal.getvalue() == ""


def test_width_and_unit_name(clock, terminal):
    bar = Progbar(4, width=8, unit_name="sample")
    clock.now += 1.0
    bar.update(2)
    assert frames(terminal)[-1].startswith(f"2/4 {BAR * 8} ")
    assert "500ms/sample" in frames(terminal)[-1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": -1}, "target"),
        ({"target": 2.5}, "target"),
        ({"target": 10, "width": 0}, "width"),
        ({"target": 10, "verbose": 3}, "verbose"),
        ({"target": 10, "stateful_metrics": ["a"], "stateless_metrics": ["b"]}, "at most one"),
    ],
)
def test_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Progbar(**kwargs)
