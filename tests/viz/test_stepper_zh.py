"""The terminal stepper in Chinese (zh-CN): its headings, prompts, counters and the sentence of
each step speak Chinese, continuation lines line up by display width (a CJK character takes
two columns), the environment can choose Chinese, and English is unchanged."""

import io
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograd import Value
from demos.lesson02_chain_rule import build as chain_rule  # f = (x + y) z at (-2, 5, -4)
from viz.format import width
from viz.stepper import step_terminal

REPO = Path(__file__).resolve().parents[2]
# A word of three or more Latin letters is English, unless it is a key or a name kept as it is.
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z_'-]{2,}")
KEPT = {"enter"}


def chinese(root, **options):
    out = io.StringIO()
    shown = step_terminal(root, pause=False, out=out, lang="zh-CN", **options)
    return shown, out.getvalue()


def test_every_step_is_told_in_chinese_with_its_numbers():
    shown, text = chinese(chain_rule())
    assert shown == 5
    assert text.startswith("前向传播：每个值都由它的输入算出，先算输入\n")
    assert "\n反向传播：∂f/∂(每个节点)，从 f 往回一直算到输入\n" in text
    assert text.index("第 1/5 步：f") < text.index("第 5/5 步：x")
    assert (
        "经由 f = q * z：上游梯度 ∂f/∂f = 1，局部导数 ∂(q * z)/∂z = q = 3，贡献 1 · 3 = 3"
    ) in text
    assert "经由 q = x + y：上游梯度 ∂f/∂q = -4，局部导数 ∂(x + y)/∂x = 1，贡献 -4 · 1 = -4" in text
    assert "完成：\n  ∂f/∂x = -4\n  ∂f/∂y = -4\n  ∂f/∂z = 3\n" in text
    english = ENGLISH_WORD.findall(text)
    assert [w for w in english if w.lower() not in KEPT] == []


def test_fan_out_says_which_input_and_the_running_sum_in_chinese():
    x = Value(3.0, "x")
    a = x * x + x
    a.label = "a"
    _, text = chinese(a)
    assert "经由 v1 = x * x（第 1 个输入）：" in text and "经由 v1 = x * x（第 2 个输入）：" in text
    assert "；累计和 1\n" in text and "；累计和 4\n" in text and "；累计和 7\n" in text


def test_a_weight_met_by_a_batch_keeps_its_share_in_the_chinese_sentence():
    import numpy as np

    w, x = Value(0.5, "w"), Value(np.array([1.0, 2.0, 3.0]), "x")
    loss = ((w * x - 1.0) ** 2).mean()
    loss.label = "L"
    _, text = chinese(loss, example=1)
    loss.backward()
    line = next(line for line in text.splitlines() if "局部导数 ∂(w * x)/∂w" in line)
    assert " = w * x：上游梯度 ∂L/∂v2 = " in line and "/∂w = x = 2" in line  # example 1's x
    assert line.endswith(f" {w.grad:.4g}")  # the share of all three examples, last
    assert f"∂L/∂w = {w.grad:.4g}" in text


def equals_columns(lines, first):
    """The terminal column of the '=' that each line of one step's equation lines up on."""
    columns = [width(lines[first][: lines[first].index(" = ") + 1])]
    for line in lines[first + 1 : first + 3]:
        columns.append(width(line[: line.index("=")]))
    return columns


def test_continuation_lines_line_up_under_chinese_names_by_display_width():
    price, count = Value(15.0, "单价"), Value(2.0, "数量")
    total = price * count
    total.label = "总价"
    _, text = chinese(total)
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("  ∂总价/∂单价 = "))
    assert lines[first + 1].strip() == "= 1 · 2" and lines[first + 2].strip() == "= 2"
    assert equals_columns(lines, first) == [2 + 11 + 1] * 3  # "∂总价/∂单价" takes 11 columns
    assert len(lines[first + 1]) - len(lines[first + 1].lstrip()) == 14  # spaces, not CJK


def test_an_unknown_language_is_refused_before_anything_is_printed():
    out = io.StringIO()
    with pytest.raises(ValueError, match=r"step_terminal: lang='fr'; choose one of 'en', 'zh-CN'"):
        step_terminal(chain_rule(), pause=False, out=out, lang="fr")
    assert out.getvalue() == ""


def test_english_is_unchanged_with_lang_en():
    out, english = io.StringIO(), io.StringIO()
    step_terminal(chain_rule(), pause=False, out=out)
    step_terminal(chain_rule(), pause=False, out=english, lang="en")
    assert english.getvalue() == out.getvalue()
    assert english.getvalue().startswith("Forward pass: each value from its inputs, inputs first")
    assert "Done:\n  ∂f/∂x = -4" in english.getvalue()


def test_a_chinese_environment_chooses_chinese():
    program = (
        "import viz; from demos.lesson02_chain_rule import build; "
        "viz.step_terminal(build(), pause=False)"
    )
    env = dict(os.environ, LANGUAGE="", LC_ALL="", LC_MESSAGES="", LANG="zh_CN.UTF-8")
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=REPO, env=env, capture_output=True, check=True
    )
    text = done.stdout.decode("utf-8")
    assert text.startswith("前向传播：") and "第 5/5 步：x" in text and "完成：" in text


class Terminal:
    """A program on a pseudo-terminal of its own: we read its screen and press its keys."""

    def __init__(self, program):
        import pty

        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the program, its stdin and stdout the terminal
            os.chdir(REPO)
            env = dict(os.environ, NO_COLOR="1")  # plain text to read
            os.execve(sys.executable, [sys.executable, "-c", program], env)
        self.seen = b""

    def wait_for(self, text, seconds=20.0):
        """Everything shown so far, once `text` is among it (fails with the screen if not)."""
        end = time.monotonic() + seconds
        while text.encode() not in self.seen:
            ready, _, _ = select.select([self.fd], [], [], max(end - time.monotonic(), 0))
            if not ready:
                pytest.fail(f"{text!r} never appeared; the screen was:\n{self.shown()}")
            try:
                self.seen += os.read(self.fd, 4096)
            except OSError:  # the program ended
                pytest.fail(f"{text!r} never appeared; the screen was:\n{self.shown()}")
        return self.shown()

    def shown(self):
        return self.seen.decode("utf-8", "replace").replace("\r\n", "\n")

    def press(self, key):
        os.write(self.fd, key)

    def close(self):
        """The program's exit status, once it ends (a program still waiting is killed)."""
        self.wait_for_end()
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:  # still running: a test that failed left it waiting for a key
            os.kill(self.pid, 9)
            _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)

    def wait_for_end(self, seconds=20.0):
        """Read the screen until the program closes its end of the terminal (or time is up)."""
        end = time.monotonic() + seconds
        while select.select([self.fd], [], [], max(end - time.monotonic(), 0))[0]:
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:  # the program ended
                return
            if not chunk:
                return
            self.seen += chunk


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_a_real_terminal_prompts_and_counts_in_chinese():
    program = (
        "import viz; from demos.lesson02_chain_rule import build; "
        "viz.step_terminal(build(), lang='zh-CN')"
    )
    terminal = Terminal(program)
    try:
        shown = terminal.wait_for("[Enter] 下一步   [b] 上一步   [q] 退出")
        assert "q = x + y = -2 + 5 = 3" in shown and "第 1/5 步" not in shown
        terminal.press(b"\n")
        terminal.wait_for("第 1/5 步：f")
        terminal.press(b"\n")
        shown = terminal.wait_for("第 2/5 步：z")
        terminal.press(b"b")  # back: step 1 again
        terminal.wait_for("第 1/5 步：f  （再看一遍）")
        terminal.press(b"q")
        shown = terminal.wait_for("（停在第 2/5 步之前）")
        assert "第 3/5 步" not in shown
    finally:
        status = terminal.close()
    assert status == 0
