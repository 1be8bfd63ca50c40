"""`chainrule draw EXPR ... --forward x`: forward mode's tangent lines printed beside the
gradients they equal, forward.html (forward mode, then backprop, on one page) written beside
backprop.html, in English and Chinese; a name that is no input is exit 2 and writes nothing."""

import json
import re

import pytest

from demos import cli

from .test_step_forward import EXPR, nfd, run


def page_data(path):
    """The player's JSON from a written page."""
    text = path.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json"[^>]*>(.*?)</script>', text, re.S)
    return json.loads(found[1])


@pytest.mark.render
def test_draw_forward_prints_the_tangents_and_writes_forward_html(tmp_path, capsys):
    status, out, err = run(capsys, "draw", *EXPR, "--forward", "x", "--out", str(tmp_path))
    assert (status, err) == (0, "")
    assert nfd("  v̇2 = ẋ + ẏ = 1 + 0 = 1\n") in out
    assert nfd("  ḟ = z·v̇2 + v2·ż = -4 · 1 + 3 · 0 = -4\n") in out  # z = -4: ∂f/∂x
    assert nfd("forward mode's ḟ = -4 equals reverse mode's ∂f/∂x = -4") in out
    assert f"{tmp_path / 'forward.html'}  - forward mode for x, then backprop" in out
    assert (tmp_path / "backprop.html").is_file()  # the reverse page is still there
    data = page_data(tmp_path / "forward.html")
    assert data["wrt"] == "x"
    tangents = [s["tangent"] for s in data["steps"] if "tangent" in s]
    assert len(tangents) == 5 and tangents[-1] == -4.0
    assert len(data["steps"]) == 10  # five forward-mode steps, then five backward ones


@pytest.mark.render
def test_draw_forward_in_chinese(tmp_path, capsys):
    args = ["--lang", "zh-CN", "draw", *EXPR, "--forward", "z", "--out", str(tmp_path)]
    status, out, _ = run(capsys, *args)
    assert status == 0
    assert "对 z 的前向模式" in out
    assert nfd("  ḟ = z·v̇2 + v2·ż = -4 · 0 + 3 · 1 = 3\n") in out  # q = x + y = 3
    assert nfd("前向模式的 ḟ = 3，等于反向模式的 ∂f/∂z = 3") in out
    assert (tmp_path / "forward.html").is_file()


def test_draw_without_forward_writes_no_forward_page(tmp_path, capsys):
    status, out, _ = run(capsys, "draw", *EXPR, "--out", str(tmp_path))
    assert status == 0 and "forward.html" not in out and not (tmp_path / "forward.html").exists()


def test_a_name_that_is_no_input_writes_nothing_and_exits_two(tmp_path, capsys):
    status, out, err = run(capsys, "draw", *EXPR, "--forward", "v2", "--out", str(tmp_path))
    assert (status, out) == (2, "")
    assert err == "chainrule: --forward 'v2': no input has that name; the inputs: x, y, z\n"
    assert list(tmp_path.iterdir()) == []


def test_draw_help_names_the_option_in_both_languages(capsys):
    with pytest.raises(SystemExit):
        cli.main(["draw", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--forward NAME also write forward.html: forward mode for the input NAME" in out
    with pytest.raises(SystemExit):
        cli.main(["--lang", "zh-CN", "draw", "--help"])
    out = "".join(capsys.readouterr().out.split())
    assert "--forwardNAME另外写出`forward.html`：先对这个输入走前向模式，再走反向传播" in out
