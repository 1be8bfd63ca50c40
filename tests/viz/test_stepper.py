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
from viz.format import width
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
    assert (
        "from f = q * z: upstream ∂f/∂f = 1, local ∂(q * z)/∂z = q = 3, contributes 1 · 3 = 3"
    ) in text
    assert (
        "from q = x + y: upstream ∂f/∂q = -4, local ∂(x + y)/∂x = 1, contributes -4 · 1 = -4"
        in text
    )
    assert "∂f/∂x = ∂f/∂q · ∂(x + y)/∂x\n        = -4 · 1\n        = -4" in text
    assert "Done:\n  ∂f/∂x = -4\n  ∂f/∂y = -4\n  ∂f/∂z = 3" in text
    assert "df/d" not in text
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


def test_continuation_lines_line_up_under_cjk_names():
    price, count = Value(15.0, "单价"), Value(2.0, "数量")
    total = price * count
    total.label = "总价"
    out = io.StringIO()
    step_terminal(total, pause=False, out=out)
    lines = out.getvalue().splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("  ∂总价/∂单价 = "))
    # "∂总价/∂单价" is 11 columns wide on a terminal (each CJK character takes two)
    assert lines[first + 1] == "  " + " " * 11 + " = 1 · 2"
    assert width(lines[first].split(" = ")[0]) == width(lines[first + 1].split("=")[0]) - 1


def test_a_batch_is_stepped_for_one_example_and_says_so():
    import numpy as np

    w, x = Value(0.5, "w"), Value(np.array([1.0, 2.0, 3.0]), "x")
    loss = ((w * x - 1.0) ** 2).mean()
    loss.label = "L"
    out = io.StringIO()
    step_terminal(loss, pause=False, out=out, example=1)
    text = out.getvalue()
    assert "told for example 1" in text
    loss.backward()
    assert f"all 3 examples add {w.grad:.4g}" in text
    assert f"∂L/∂w = {w.grad:.4g}" in text


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


def wait_for(server, text, seconds=20.0, times=1):
    """The screen once `text` is on it `times` times (polls; fails with the screen if not)."""
    end = time.monotonic() + seconds
    while True:
        shown = screen(server)
        if shown.count(text) >= times:
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


def tmux(server, *args):
    subprocess.run(["tmux", "-L", server, *args], check=True)


def start(server, command):
    """A detached 160x50 tmux session `stepper` on our own server, running `command`."""
    tmux(server, "new-session", "-d", "-s", "stepper", "-x", "160", "-y", "50", "-c", str(REPO))
    tmux(server, "send-keys", "-t", "stepper", command, "Enter")


def keys(server, *names):
    tmux(server, "send-keys", "-t", "stepper", *names)


def test_a_real_terminal_waits_for_enter_steps_back_and_quits_on_q():
    need_tmux()
    server = f"chainrule-test-{os.getpid()}"  # our own tmux server: nobody else's sessions
    start(server, f"{CHAINRULE} step chain-rule; echo EXIT=$?")
    try:
        shown = wait_for(server, "[Enter] next step")
        assert "q = x + y = -2 + 5 = 3" in shown
        assert "Step 1/5" not in shown  # it waits before the first backward step
        keys(server, "Enter")
        shown = wait_for(server, "Step 1/5: f")
        assert "Step 2/5" not in shown
        keys(server, "Enter")
        shown = wait_for(server, "Step 2/5: z")
        assert "∂f/∂z = ∂f/∂f · ∂(q * z)/∂z" in shown
        keys(server, "b")  # back: step 1 again
        shown = wait_for(server, "Step 1/5: f  (again)")
        keys(server, "Enter")
        shown = wait_for(server, "Step 2/5: z  (again)")  # forward again from there
        keys(server, "Left")  # the arrow works as b does
        wait_for(server, "Step 1/5: f  (again)", times=2)
        keys(server, "q")
        shown = wait_for(server, "\nEXIT=")  # the echo, not the command line
        assert "(stopped before step 2/5)" in shown
        assert "EXIT=0" in shown
        assert "Step 3/5" not in shown
    finally:
        subprocess.run(["tmux", "-L", server, "kill-server"], check=False)


def test_ctrl_c_ends_on_a_fresh_line_with_status_130_and_the_terminal_restored():
    need_tmux()
    server = f"chainrule-ctrlc-{os.getpid()}"
    start(server, f"{CHAINRULE} step chain-rule; echo EXIT=$?")
    try:
        wait_for(server, "[Enter] next step")
        keys(server, "Enter")
        wait_for(server, "Step 1/5: f")
        keys(server, "C-c")
        shown = wait_for(server, "\nEXIT=")  # the echo, not the command line
        assert "EXIT=130" in shown
        assert "Traceback" not in shown and "KeyboardInterrupt" not in shown
        lines = shown.splitlines()
        stopped = next(i for i, line in enumerate(lines) if "(interrupted at step 1/5)" in line)
        assert lines[stopped].strip() == "(interrupted at step 1/5)"  # its own line, no prompt
        assert lines[stopped + 1].startswith("EXIT=130")
        # the terminal is back to normal: what we type is echoed by the shell again
        keys(server, "echo typed-$((6*7))", "Enter")
        wait_for(server, "typed-42")
        assert "echo typed-$((6*7))" in screen(server)
    finally:
        subprocess.run(["tmux", "-L", server, "kill-server"], check=False)
