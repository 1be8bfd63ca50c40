"""The terminal stepper: straight through when piped, colour only where it can show, and a
real terminal (tmux) where it waits for Enter and stops on q."""

import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograd import Value
from demos.lesson02_chain_rule import build as chain_rule  # f = (x + y) z, not backpropagated
from viz.stepper import colour_supported, step_terminal

REPO = Path(__file__).resolve().parents[2]


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self):
        return True


class NoKeys:
    """A key source that must not be read (the stepper should not wait)."""

    def isatty(self):
        return True

    def fileno(self):
        raise AssertionError("the stepper waited for a key")


def test_piped_output_runs_straight_through_every_step():
    out = io.StringIO()
    shown = step_terminal(chain_rule(), pause=True, out=out, keys=NoKeys())
    text = out.getvalue()
    assert shown == 5
    assert "q = x + y = -2 + 5 = 3" in text
    assert text.index("Step 1/5: f") < text.index("Step 5/5: x")
    assert "from q = x + y: upstream df/dq = -4, local dq/dx = 1, contributes -4 · 1 = -4" in text
    assert "df/dx = df/dq · dq/dx\n        = -4 · 1\n        = -4" in text
    assert "Done: df/dx = -4, df/dy = -4, df/dz = 3" in text
    assert "\033[" not in text  # no colour into a pipe


def test_fan_out_shows_the_running_sum():
    x = Value(3.0, "x")
    a = x * x + x
    a.label = "a"
    out = io.StringIO()
    step_terminal(a, pause=False, out=out)
    text = out.getvalue()
    assert "(input 2)" in text
    assert "running sum 1" in text and "running sum 4" in text and "running sum 7" in text


def test_colour_follows_the_terminal_and_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert colour_supported(FakeTerminal())
    assert not colour_supported(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not colour_supported(FakeTerminal())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not colour_supported(FakeTerminal())


def test_colour_can_be_forced_either_way():
    out = io.StringIO()
    step_terminal(chain_rule(), pause=False, out=out, color=True)
    assert "\033[1;33m" in out.getvalue()
    out = FakeTerminal()
    step_terminal(chain_rule(), pause=False, out=out, keys=NoKeys(), color=False)
    assert "\033[" not in out.getvalue()


def test_stepping_leaves_gradients_untouched():
    f = chain_rule()
    step_terminal(f, pause=False, out=io.StringIO())
    assert f.grad == 0.0 and f.inputs[1].grad == 0.0


# A real terminal: tmux runs `chainrule step chain-rule`, we press keys and read the screen.

CHAINRULE = Path(sys.executable).with_name("chainrule")


def screen(server):
    done = subprocess.run(
        ["tmux", "-L", server, "capture-pane", "-p", "-t", "stepper"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def wait_for(server, text, seconds=20.0):
    """The screen once `text` is on it (polls; fails with the screen if it never comes)."""
    end = time.monotonic() + seconds
    while True:
        shown = screen(server)
        if text in shown:
            return shown
        if time.monotonic() > end:
            pytest.fail(f"{text!r} never appeared; the screen was:\n{shown}")
        time.sleep(0.1)


def need_tmux():
    """Skip where tmux or the command is missing, except in CI, which must run this test."""
    missing = None if shutil.which("tmux") else "tmux is not installed"
    if missing is None and not CHAINRULE.exists():
        missing = f"the chainrule command is not installed at {CHAINRULE}"
    if missing and os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the terminal test: {missing}", pytrace=False)
    if missing:
        pytest.skip(missing)


def test_a_real_terminal_waits_for_enter_and_quits_on_q():
    need_tmux()
    server = f"chainrule-test-{os.getpid()}"  # our own tmux server: nobody else's sessions
    command = f"{CHAINRULE} step chain-rule; echo EXIT=$?; sleep 60"
    subprocess.run(
        [
            "tmux",
            "-L",
            server,
            "new-session",
            "-d",
            "-s",
            "stepper",
            "-x",
            "160",
            "-y",
            "50",
            "-c",
            str(REPO),
            command,
        ],
        check=True,
    )
    try:
        shown = wait_for(server, "[Enter] next step")
        assert "q = x + y = -2 + 5 = 3" in shown
        assert "Step 1/5" not in shown  # it waits before the first backward step
        subprocess.run(["tmux", "-L", server, "send-keys", "-t", "stepper", "Enter"], check=True)
        shown = wait_for(server, "Step 1/5: f")
        assert "Step 2/5" not in shown
        subprocess.run(["tmux", "-L", server, "send-keys", "-t", "stepper", "Enter"], check=True)
        shown = wait_for(server, "Step 2/5: z")
        assert "df/dz = df/df · df/dz" in shown
        subprocess.run(["tmux", "-L", server, "send-keys", "-t", "stepper", "q"], check=True)
        shown = wait_for(server, "EXIT=")
        assert "(stopped before step 3/5)" in shown
        assert "EXIT=0" in shown
        assert "Step 3/5" not in shown
    finally:
        subprocess.run(["tmux", "-L", server, "kill-server"], check=False)
