"""`chainrule draw EXPR` and `chainrule step EXPR`, as a teacher meets them: the numbers
printed, the three files written and readable, every mistake one line with exit status 2
(in English and Chinese), and the installed command run in a subprocess."""

import html.parser
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from demos import cli

CHAINRULE = os.path.join(os.path.dirname(sys.executable), "chainrule")  # the venv's script
NEURON = ["tanh(w1*x1 + w2*x2 + b)", "--at", "w1=0.5,x1=2,w2=-1,x2=1,b=0.1", "--param", "w1,w2,b"]
SVG = "{http://www.w3.org/2000/svg}"


def run(capsys, *args):
    """demos.cli.main(args): (status, stdout, stderr)."""
    status = cli.main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def gradients(out, heading="The gradient of f for each name:"):
    """The block under `heading`: {name: number} from lines `∂f/∂x = -4.0`."""
    block = out.split(heading, 1)[1].strip().split("\n\n")[0]
    return {m[1]: float(m[2]) for m in re.finditer(r"∂f/∂(\w+) = (\S+)", block)}


def svg_text(path):
    """Every text an SVG file draws (ET parses it, so it is well-formed XML)."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return [t.text for t in root.iter(f"{SVG}text") if t.text]


class Page(html.parser.HTMLParser):
    """Tags seen, checking every non-void tag closes in order; the player's JSON data."""

    VOID = {"meta", "link", "br", "img", "input", "hr", "path", "polygon", "ellipse", "polyline"}

    def __init__(self):
        super().__init__()
        self.open, self.seen, self.data, self._in_data = [], set(), None, False

    def handle_starttag(self, tag, attrs):
        self.seen.add(tag)
        if tag not in self.VOID:
            self.open.append(tag)
        self._in_data = tag == "script" and ("type", "application/json") in attrs

    def handle_startendtag(self, tag, attrs):
        self.seen.add(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        assert self.open and self.open[-1] == tag, (self.open[-3:], tag)
        self.open.pop()

    def handle_data(self, data):
        if self._in_data and data.strip():
            self.data = json.loads(data)
            self._in_data = False


def page(path):
    parser = Page()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    assert parser.open == [] and {"html", "body", "svg"} <= parser.seen
    return parser


@pytest.mark.render
def test_draw_prints_the_gradients_and_writes_three_readable_files(tmp_path, capsys):
    status, out, err = run(
        capsys, "draw", "(x + y) * z", "--at", "x=-2,y=5,z=-4", "--out", str(tmp_path)
    )
    assert (status, err) == (0, "")
    assert "Forward pass" in out and "f = v2 * z = -12.0" in out
    assert gradients(out) == {"x": -4.0, "y": -4.0, "z": 3.0}
    for name in ("graph.svg", "backprop.html", "path_x.svg"):
        assert f"{tmp_path / name}  - " in out  # said what it wrote
    graph = svg_text(tmp_path / "graph.svg")
    assert {"x", "y", "z", "f", "f = (x + y) * z"} <= set(graph)
    assert {"-12", "-4", "3"} <= set(graph)  # f's value; x's, y's and z's gradients
    path = svg_text(tmp_path / "path_x.svg")
    assert any("∂f/∂x" in t for t in path) and "x" in path
    shown = page(tmp_path / "backprop.html")
    assert shown.data is not None and "f = (x + y) * z" in json.dumps(
        shown.data, ensure_ascii=False
    )


@pytest.mark.render
def test_the_path_view_is_of_the_input_asked_for_and_parameters_are_coloured(tmp_path, capsys):
    status, out, _ = run(capsys, "draw", *NEURON, "--path", "x2", "--out", str(tmp_path))
    assert status == 0
    grads = gradients(out)
    slope = 1 - 0.09966799462495582**2  # tanh'(0.1): w1*x1 + w2*x2 + b = 0.1
    assert grads == pytest.approx(
        {"w1": 2 * slope, "x1": 0.5 * slope, "w2": slope, "x2": -slope, "b": slope}, abs=1e-5
    )
    assert (tmp_path / "path_x2.svg").is_file() and not (tmp_path / "path_w1.svg").exists()
    legend = " ".join(svg_text(tmp_path / "graph.svg"))
    assert "parameter" in legend  # --param: w1, w2, b drawn as parameters


@pytest.mark.render
def test_draw_speaks_chinese_with_the_same_numbers(tmp_path, capsys):
    status, out, err = run(
        capsys, "--lang", "zh-CN", "draw", "(x + y) * z", "--at", "ｘ＝－２，ｙ＝５，ｚ＝−４",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert (status, err) == (0, "")
    assert "前向传播" in out and "反向传播" in out and "打开：" in out
    assert gradients(out, "f 对每个名字的梯度：") == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert "从 x 到 f 的每条路径，路径上的局部导数相乘" in out
    english = re.findall(r"\b[A-Za-z]{3,}\b", re.sub(r"\S+\.(svg|html)|∂\S+", " ", out))
    assert english == []
    assert page(tmp_path / "backprop.html").data is not None
    assert '<html lang="zh-CN"' in (tmp_path / "backprop.html").read_text(encoding="utf-8")


MISTAKES = [
    ("__import__('os')", [], "at column 1, `__import__`: __import__ is not a function here"),
    ("x.y", ["--at", "x=1"], "at column 1, `x.y`: an attribute is not allowed"),
    ("(lambda: 1)()", [], "at column 2, `lambda: 1`: a lambda is not allowed"),
    ("[x for x in y]", [], "at column 1, `[x for x in y]`: a comprehension is not allowed"),
    ("9**9**9", [], "at column 4, `9**9`: the exponent 387420489 is too large"),
    ("x +", ["--at", "x=1"], "at column 3, `+`: the expression ends too early"),
    ("(x + y) * z", ["--at", "x=1"], "at column 6, `y`: y has no value in --at "
     "(missing: y, z; given: x)"),
    ("(x + y) * z", [], "y=1,z=1"),
    ("x" * 10_000, [], "the expression has 10000 characters; the most is 500"),
    ("x * 2", ["--at", "x=abc"], "--at: 'abc' is not a number (for x)"),
    ("x * w", ["--at", "x=1,w=2", "--param", "v"], "--param: the expression has no v"),
    ("x * 2", ["--at", "x=1", "--path", "q"], "--path 'q': the expression has no such name"),
]  # fmt: skip


@pytest.mark.parametrize("text, options, says", MISTAKES, ids=[m[0][:20] for m in MISTAKES])
def test_each_mistake_is_one_line_on_stderr_with_exit_two_and_no_files(
    tmp_path, capsys, text, options, says
):
    status, out, err = run(capsys, "draw", text, *options, "--out", str(tmp_path / "out"))
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("chainrule: ") and says in err
    assert not (tmp_path / "out").exists()


def test_a_mistake_in_chinese_says_the_column_in_chinese(capsys):
    status, _, err = run(capsys, "--lang", "zh-CN", "draw", "2 * x.y", "--at", "x=1")
    assert status == 2
    assert err == (
        "chainrule: 第 5 列 `x.y`：不允许使用属性访问：只能写数字、名字、+ - * / **、括号，"
        "以及 tanh(x) 这样的函数\n"
    )
    status, _, err = run(capsys, "--lang", "zh-CN", "draw", "(x + y) * z", "--at", "x=1")
    assert err == "chainrule: 第 6 列 `y`：--at 没有给 y 赋值（缺少：y, z；已给出：x）\n"


def test_step_takes_an_expression_and_tells_its_backprop(capsys):
    status, out, err = run(capsys, "step", "(x + y) * z", "--at", "x=-2,y=5,z=-4", "--no-pause")
    assert (status, err) == (0, "")
    assert "∂f/∂x = -4" in out and "∂f/∂z = 3" in out and "v2 = x + y" in out


def test_step_still_steps_lessons_and_says_which_names_are_lessons(capsys):
    status, out, _ = run(capsys, "step", "chain-rule", "--no-pause")
    assert status == 0 and "∂f/∂x = -4" in out
    status, _, err = run(capsys, "step", "chain-rul", "--no-pause")
    assert status == 2 and "no lesson named 'chain-rul'" in err
    status, _, err = run(capsys, "step", "chain-rule", "--at", "x=1")
    assert status == 2 and "'chain-rule' is a lesson: --at and --param are for an expression" in err
    status, _, err = run(capsys, "step", "x.y", "--at", "x=1")
    assert (status, err.count("\n")) == (2, 1) and "at column 1, `x.y`" in err


@pytest.mark.render
def test_the_installed_command_draws_into_out_draw_and_refuses_in_one_line(tmp_path):
    done = subprocess.run(
        [CHAINRULE, "draw", "(x + y) * z", "--at", "x=-2,y=5,z=-4"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    assert gradients(done.stdout) == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert sorted(p.name for p in (tmp_path / "out" / "draw").iterdir()) == [
        "backprop.html", "graph.svg", "path_x.svg",
    ]  # fmt: skip
    done = subprocess.run(
        [CHAINRULE, "draw", "__import__('os').system('touch hacked')"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        "chainrule: at column 1, `__import__('os').system`: an attribute is not allowed: write "
        "numbers, names, + - * / **, brackets and functions such as tanh(x)\n"
    )
    assert not (tmp_path / "hacked").exists()


def test_an_out_folder_that_cannot_be_made_is_exit_one(tmp_path, capsys):
    (tmp_path / "a-file").write_text("not a folder")
    status, _, err = run(capsys, "draw", "x * 2", "--at", "x=1", "--out", str(tmp_path / "a-file"))
    assert status == 1 and err.startswith("chainrule: cannot write") and err.count("\n") == 1
