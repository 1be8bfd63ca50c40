"""`chainrule step ... --forward x` as a teacher meets it: forward mode for that input, then
backprop and the cost table, in English and Chinese; a name that is no input is one line on
stderr with exit status 2 listing the inputs; --help says the option in both languages."""

import os
import subprocess
import sys
import unicodedata

import pytest

from demos import cli

CHAINRULE = os.path.join(os.path.dirname(sys.executable), "chainrule")  # the venv's script
EXPR = ["(x + y) * z", "--at", "x=-2,y=5,z=-4"]


def nfd(text):
    """`text` with each dotted letter as letter + U+0307, as viz.tangent writes it."""
    return unicodedata.normalize("NFD", text)


def run(capsys, *args):
    """demos.cli.main(args): (status, stdout, stderr)."""
    status = cli.main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_step_forward_x_tells_forward_mode_then_backprop_and_the_costs(capsys):
    status, out, err = run(capsys, "step", *EXPR, "--forward", "x", "--no-pause")
    assert (status, err) == (0, "")
    assert out.startswith("Forward mode for x: each value with its tangent")
    assert "v2 = x + y = -2 + 5 = 3\n  " + nfd("v̇2 = ẋ + ẏ\n     = 1 + 0\n     = 1") in out
    assert nfd("ḟ = ∂f/∂x = -4, after one forward-mode pass") in out
    assert "Done:\n  ∂f/∂x = -4\n  ∂f/∂y = -4\n  ∂f/∂z = 3" in out
    assert "  forward mode       3               12\n  reverse mode       1                4" in out
    assert out.rstrip().endswith(nfd("forward mode's ḟ = -4 equals reverse mode's ∂f/∂x = -4"))


def test_step_forward_z_gives_q(capsys):
    status, out, _ = run(capsys, "step", *EXPR, "--forward", "z", "--no-pause")
    assert status == 0
    assert nfd("ḟ = ∂f/∂z = 3, after one forward-mode pass") in out  # q = x + y = 3


def test_a_lesson_steps_forward_mode_too(capsys):
    status, out, _ = run(capsys, "step", "chain-rule", "--forward", "y", "--no-pause")
    assert status == 0
    assert "Step 3/5: q\n  q = x + y = -2 + 5 = 3\n  " + nfd("q̇ = ẋ + ẏ\n    = 0 + 1") in out


def test_without_forward_step_is_backprop_as_before(capsys):
    status, out, _ = run(capsys, "step", *EXPR, "--no-pause")
    assert status == 0
    assert out.startswith("Forward pass: each value from its inputs") and "Forward mode" not in out


@pytest.mark.parametrize("name", ["w", "v2", "f"])
def test_a_name_that_is_no_input_is_one_line_with_exit_two(capsys, name):
    status, out, err = run(capsys, "step", *EXPR, "--forward", name, "--no-pause")
    assert (status, out) == (2, "")
    assert err == f"chainrule: --forward {name!r}: no input has that name; the inputs: x, y, z\n"


def test_the_mistake_in_chinese(capsys):
    status, out, err = run(capsys, "--lang", "zh-CN", "step", *EXPR, "--forward", "w")
    assert (status, out) == (2, "")
    assert err == "chainrule: --forward 'w'：没有叫这个名字的输入；输入有：x, y, z\n"


def test_step_forward_in_chinese_keeps_the_numbers(capsys):
    status, out, _ = run(capsys, "--lang", "zh-CN", "step", *EXPR, "--forward", "x", "--no-pause")
    assert status == 0
    assert out.startswith("对 x 的前向模式：每个值连同它的切向量")
    assert nfd("ḟ = ∂f/∂x = -4，只用了一遍前向模式计算") in out
    assert nfd("前向模式的 ḟ = -4，等于反向模式的 ∂f/∂x = -4") in out
    assert "第 5/5 步：x" in out  # the backward sweep, in Chinese too


def test_help_names_the_option_in_both_languages(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["step", "--help"])
    assert done.value.code == 0
    out = " ".join(capsys.readouterr().out.split())  # as argparse wraps it at any width
    assert "--forward NAME step forward mode for the input NAME first, then backprop" in out
    with pytest.raises(SystemExit):
        cli.main(["--lang", "zh-CN", "step", "--help"])
    out = "".join(capsys.readouterr().out.split())
    assert "--forwardNAME先对这个输入一步步走前向模式，再走反向传播，并比较两者的计算量" in out


def test_the_installed_command_steps_forward_mode_in_a_chinese_environment():
    env = {**os.environ, "LANGUAGE": "", "LC_ALL": "", "LANG": "zh_CN.UTF-8"}
    args = [CHAINRULE, "step", *EXPR, "--forward", "y"]  # piped: no pause needed
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0 and done.stderr == ""
    assert "对 y 的前向模式" in done.stdout and nfd("ḟ = ∂f/∂y = -4") in done.stdout
    done = subprocess.run(args[:-1] + ["nope"], capture_output=True, text=True, env=env)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
