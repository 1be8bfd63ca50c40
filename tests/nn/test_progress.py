"""The progress bar: silent off a terminal, one redrawn line on one, never wider than it."""

import io

import pytest

from nn import ProgressBar


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal (its width comes from COLUMNS)."""

    def isatty(self):
        return True


def test_silent_when_the_stream_is_not_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar(5, stream=stream)
    for _ in range(5):
        bar.update(loss="0.5")
    bar.close()
    assert stream.getvalue() == ""


def test_on_a_terminal_one_line_is_redrawn_with_carriage_returns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    stream = FakeTerminal()
    bar = ProgressBar(4, stream=stream, min_interval=0.0)
    for i in range(4):
        bar.update(loss=f"{1 / (i + 1):.2f}", acc=f"{25 * (i + 1)}%")
    bar.close()
    bar.close()  # a second close adds nothing
    text = stream.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    frames = text.rstrip("\n").split("\r")[1:]
    assert len(frames) == 5  # four updates and the final draw
    assert frames[0].startswith("1/4 [#####---------------] ") and "eta " in frames[0]
    assert frames[-1].startswith("4/4 [####################] ") and "eta" not in frames[-1]
    assert frames[-1].rstrip().endswith("loss 0.25  acc 100%")


def test_a_shorter_line_wipes_the_longer_one_before_it(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    stream = FakeTerminal()
    bar = ProgressBar(2, stream=stream, min_interval=0.0)
    bar.update(note="a long message here")
    bar.update(note="short")
    first, second = stream.getvalue().split("\r")[1:]
    assert len(second) == len(first)  # padded with spaces over the old text


def test_never_wider_than_the_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "30")
    stream = FakeTerminal()
    bar = ProgressBar(10, stream=stream, min_interval=0.0)
    bar.update(loss="0.123456", acc="99.9%", epoch="1/10")
    assert len(stream.getvalue().split("\r")[1]) == 29


def test_redraws_are_rate_limited_but_the_last_step_always_shows(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    stream = FakeTerminal()
    bar = ProgressBar(1000, stream=stream, min_interval=60.0)
    for _ in range(1000):
        bar.update()
    frames = stream.getvalue().split("\r")[1:]
    assert len(frames) == 2 and frames[-1].startswith("1000/1000")


@pytest.mark.parametrize("total", [0, -3])
def test_a_total_below_one_still_draws(total):
    bar = ProgressBar(total, stream=FakeTerminal(), min_interval=0.0)
    bar.update()
    assert bar.line(0.0).startswith("1/1 [")
