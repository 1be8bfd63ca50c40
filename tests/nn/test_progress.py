"""fit's progress bar (tqdm's): silent in logs and pipes, drawn on a terminal or when asked."""

import io
import sys
import types

import numpy as np
import pytest

import nn


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self):
        return True


def train(stream, **options):
    """Three epochs of two batches on the AND gate: six steps. Returns the History."""
    X, y = nn.logic_gate("and")
    model = nn.MLP(2, [1], rng=0)
    opt = nn.SGD(model.parameters(), lr=0.5)
    return nn.fit(model, X, y, loss="mse", optimizer=opt, epochs=3, batch_size=2,
                  stream=stream, **options)  # fmt: skip


def last_frame(text):
    """The line the bar left: the last of the frames tqdm redraws with carriage returns."""
    return text.rstrip("\n").split("\r")[-1]


def test_silent_when_the_stream_is_not_a_terminal():
    stream = io.StringIO()
    train(stream)
    assert stream.getvalue() == ""


def test_on_a_terminal_the_bar_shows_the_count_epoch_loss_and_accuracy():
    stream = FakeTerminal()
    history = train(stream)
    text = stream.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1  # one line, redrawn, then ended
    line = last_frame(text)
    assert "6/6 [" in line and "step" in line
    # the final line holds the last epoch's numbers, as History records them
    assert f"epoch=3/3, loss={history.loss[-1]:.4f}, acc={history.accuracy[-1]:.1%}" in line


def test_verbose_true_draws_even_when_the_stream_is_not_a_terminal():
    stream = io.StringIO()
    history = train(stream, verbose=True)
    assert f"loss={history.loss[-1]:.4f}" in last_frame(stream.getvalue())


def test_verbose_false_writes_nothing_even_on_a_terminal():
    stream = FakeTerminal()
    train(stream, verbose=False)
    assert stream.getvalue() == ""


def test_in_a_jupyter_kernel_the_default_draws_though_output_is_no_terminal(monkeypatch):
    # What tqdm.autonotebook looks for; a kernel's output stream is never a terminal.
    monkeypatch.setitem(sys.modules, "ipykernel.zmqshell", types.ModuleType("ipykernel.zmqshell"))
    stream = io.StringIO()
    train(stream)
    assert "6/6 [" in last_frame(stream.getvalue())


def test_a_fit_that_diverges_still_ends_the_bar_line():
    X, y = nn.make_blobs(32, centers=2, seed=0)
    model = nn.MLP(2, [8, 1], activation="relu", rng=0)
    stream = FakeTerminal()
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(nn.DivergedError):
        nn.fit(model, X, y * 1e3, loss="mse", optimizer=nn.SGD(model.parameters(), lr=1e6),
               epochs=50, batch_size=8, stream=stream)  # fmt: skip
    text = stream.getvalue()
    assert text.endswith("\n") and "/200 [" in last_frame(text)  # stopped short of 200 steps


@pytest.mark.parametrize("verbose", [1, 0, 2, "yes", 1.0])
def test_a_bad_verbose_is_refused_before_training(verbose):
    X, y = nn.logic_gate("and")
    model = nn.MLP(2, [1], rng=0)
    before = [p.data for p in model.parameters()]
    stream = FakeTerminal()
    with pytest.raises(ValueError) as caught:
        nn.fit(model, X, y, loss="mse", optimizer=nn.SGD(model.parameters()), epochs=2,
               verbose=verbose, stream=stream)  # fmt: skip
    assert str(caught.value) == f"fit: verbose must be None, True or False, got {verbose!r}"
    assert [p.data for p in model.parameters()] == before and stream.getvalue() == ""
