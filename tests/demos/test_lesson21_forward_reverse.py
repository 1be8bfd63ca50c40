"""Lesson 21, forward vs reverse mode: each forward-mode pass gives the derivative worked by
hand (and by finite differences for the neuron), reverse mode gives them all at once, the cost
tables are what mode_costs says and what a hand count says, every printed equation is true,
the pictures are written, and the same lesson runs in Chinese."""

import importlib.util
import math
import os
import unicodedata
import xml.etree.ElementTree as ET

import pytest

from autograd import Value, mode_costs
from demos import cli
from demos import lesson21_forward_reverse as lesson21
from viz import i18n, render

from .test_lesson15_skip import true_equations

HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
HAVE_DOT = any(render.find(name) for name in render.RENDERERS)
TANH_SLOPE = 1 - math.tanh(0.5) ** 2  # the neuron's n = w·x + b is 0.5 by its numbers


def dotted(text):
    """`text` with each dotted letter as the lesson writes it: the letter, then U+0307 (the
    precomposed ẋ typed here is one character, the lesson's x + dot two)."""
    return unicodedata.normalize("NFD", text)


def run(out, lang="en", small=True):
    """Run the lesson into `out`: its numbers, its printed text, the lesson."""
    lines = []
    lesson = cli.LESSONS["forward-reverse"]
    with i18n.language(lang):
        results = lesson(out=str(out), small=small, echo=lines.append)
        lesson.finish()
    return results, "\n".join(lines), lesson


def test_each_forward_mode_pass_gives_one_derivative_worked_by_hand(tmp_path):
    results, text, _ = run(tmp_path)
    assert results["f"] == -12.0 and results["q"] == 3.0  # q = -2 + 5, f = 3 · (-4)
    # ∂f/∂x = ∂f/∂y = z = -4 (through q, whose local derivatives are 1); ∂f/∂z = q = 3
    assert results["forward"] == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert results["reverse"] == results["forward"]
    x, y, z = Value(-2.0), Value(5.0), Value(-4.0)  # an independent reverse pass
    f = (x + y) * z
    f.backward()
    assert [x.grad, y.grad, z.grad] == [results["forward"][k] for k in "xyz"]
    lines = text.splitlines()
    for line in (
        "Forward-mode pass 1 of 3: ẋ = 1, every other input's tangent 0",
        "  ẋ = 1,  ẏ = 0,  ż = 0",
        "  q̇ = ẋ + ẏ = 1 + 0 = 1",
        "  ḟ = z·q̇ + q·ż = -4 · 1 + 3 · 0 = -4",
        "  pass 1 gives one derivative: ∂f/∂x = ḟ = -4",
        "  q̇ = ẋ + ẏ = 0 + 1 = 1",  # pass 2: ẏ = 1
        "  ḟ = z·q̇ + q·ż = -4 · 0 + 3 · 1 = 3",  # pass 3: ż = 1
        "  pass 3 gives one derivative: ∂f/∂z = ḟ = 3",
        "  ∂f/∂z: forward mode 3, reverse mode 3",
    ):
        assert dotted(line) in lines, line
    assert text.count("Forward-mode pass") == 3 + 1  # three for f, one printed for the neuron
    assert text.count("Backward pass") == 1


def test_the_cost_table_is_mode_costs_and_a_hand_count(tmp_path):
    results, text, _ = run(tmp_path)
    f = lesson21.build()
    x, y = f.inputs[0].inputs
    z = f.inputs[1]
    assert results["costs"] == mode_costs(f, [x, y, z])
    # by hand: q = x + y has 2 input edges and f = q·z has 2, so 4 edges; forward mode walks
    # them once per input (3 passes), reverse mode once
    costs = results["costs"]
    assert (costs.edges, costs.forward_passes, costs.reverse_passes) == (4, 3, 1)
    assert (costs.forward_multiplications, costs.reverse_multiplications) == (12, 4)
    assert results["counted"] == {"forward": 12, "reverse": 4}  # as the passes really ran
    lines = text.splitlines()
    assert "  forward mode       3               12" in lines
    assert "  reverse mode       1                4" in lines
    said = (
        "counted while the passes above ran: 12 multiplications in forward mode, 4 in reverse mode"
    )
    assert said in lines


def neuron_output(w, b, x=lesson21.XS):
    """The neuron by its formula, in plain floats: tanh(w·x + b)."""
    return math.tanh(sum(wi * xi for wi, xi in zip(w, x)) + b)


def test_the_neurons_forward_and_reverse_derivatives_match_finite_differences(tmp_path):
    results, text, _ = run(tmp_path)
    neuron = results["neuron"]
    w, b, h = list(lesson21.WS), lesson21.BIAS, 1e-6
    assert neuron["o"] == pytest.approx(neuron_output(w, b))
    for i in range(3):
        up, down = list(w), list(w)
        up[i] += h
        down[i] -= h
        numeric = (neuron_output(up, b) - neuron_output(down, b)) / (2 * h)
        assert neuron["forward"][f"w{i + 1}"] == pytest.approx(numeric, rel=1e-7)
        assert neuron["reverse"][f"w{i + 1}"] == pytest.approx(numeric, rel=1e-7)
    numeric = (neuron_output(w, b + h) - neuron_output(w, b - h)) / (2 * h)
    assert neuron["forward"]["b"] == pytest.approx(numeric, rel=1e-7)
    assert neuron["reverse"]["b"] == pytest.approx(numeric, rel=1e-7)
    # 4 parameters: 4 forward-mode passes over 13 edges (3 products, 3 adds of 2 edges each,
    # tanh's 1) against 1 reverse pass
    assert neuron["counted"] == {"forward": 4 * 13, "reverse": 13}
    assert neuron["costs"].forward_multiplications == 4 * 13
    slope = f"{TANH_SLOPE:.6g}"
    assert dotted(f"  ȯ = (1 - tanh(n)²)·ṅ = {slope} · 1 = {slope}") in text.splitlines()
    assert dotted(f"  pass 2 gives one derivative: ∂o/∂w2 = ȯ = {TANH_SLOPE * -2:.6g}") in text


@pytest.mark.parametrize("small", [True, False])
def test_the_growing_tables_count_what_mode_costs_and_a_closed_form_say(tmp_path, small):
    results, _text, _ = run(tmp_path, small=small)
    inputs, outputs = results["growing"]["inputs"], results["growing"]["outputs"]
    sizes = lesson21.SMALL_SIZES if small else lesson21.SIZES
    assert [r["n"] for r in inputs] == [r["n"] for r in outputs] == list(sizes)
    for row in inputs:
        n = row["n"]
        # n - 1 products and n - 1 adds (the bias's too), 2 edges each, and tanh's 1
        edges = 4 * (n - 1) + 1
        o = lesson21.neuron([1.0] * (n - 1), [0.1] * (n - 1), 0.1)
        params = [leaf for leaf in lesson21.leaves_named(o).values() if leaf.label[0] in "wb"]
        costs = mode_costs(o, params)
        assert row["edges"] == costs.edges == edges
        assert row["forward"] == costs.forward_multiplications == n * edges
        assert row["reverse"] == costs.reverse_multiplications == edges
        assert (row["forward_passes"], row["reverse_passes"]) == (n, 1)
    for row in outputs:
        n = row["n"]
        # one forward pass walks the n tanh edges; the pass from y_k walks k of them
        assert (row["forward_passes"], row["forward"]) == (1, n)
        assert (row["reverse_passes"], row["reverse"]) == (n, n * (n + 1) // 2)
    assert inputs[-1]["forward"] > inputs[-1]["reverse"] * (sizes[-1] - 1)
    assert outputs[-1]["reverse"] > outputs[-1]["forward"] * (sizes[-1] / 2)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_equation_with_numbers_on_both_sides_is_true_as_printed(tmp_path, lang):
    _results, text, _ = run(tmp_path, lang)
    checked = true_equations(text)
    # f: its values q and f, 2 tangent lines in each of 3 passes, 4 backward edges; the
    # neuron: 7 values (p1..p3, s1, s2, n; o's tanh(0.5) is no arithmetic), 7 tangent lines
    assert checked == 2 + 6 + 4 + 6 + 7


def tooltips(svg):
    """Every tooltip (xlink:title) in an SVG, as a reader's mouse shows it."""
    link = "{http://www.w3.org/1999/xlink}title"
    return {e.attrib[link] for e in ET.fromstring(svg).iter() if link in e.attrib}


@pytest.mark.skipif(not HAVE_DOT, reason="no layout program: pip install graphviz-pure")
def test_the_pictures_and_the_page_are_written(tmp_path):
    _results, _text, lesson = run(tmp_path)
    written = {os.path.basename(p) for p, _ in lesson.files}
    assert {"graph.svg", "neuron.svg", "backprop.html"} <= written
    if HAVE_MATPLOTLIB:
        assert "costs.png" in written
        assert (tmp_path / "costs.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    graph = (tmp_path / "graph.svg").read_text(encoding="utf-8")
    assert "21. Forward vs reverse mode" in graph and ">q<" in graph
    # each box carries its tangent by x beside its gradient: q moves with x, z does not
    for tip in ("q̇ = ∂q/∂x = 1", "ż = ∂z/∂x = 0", "ḟ = ∂f/∂x = -4"):
        assert dotted(tip) in tooltips(graph), tip
    neuron = (tmp_path / "neuron.svg").read_text(encoding="utf-8")
    assert ">w3<" in neuron and ">tanh<" in neuron
    tip = f"ȯ = ∂o/∂w1 = {TANH_SLOPE:.4g}"  # tanh'(n) · x1, with x1 = 1
    assert dotted(tip) in tooltips(neuron)
    page = (tmp_path / "backprop.html").read_text(encoding="utf-8")
    assert "<title>21. Forward vs reverse mode</title>" in page
    # both sweeps on one page: forward mode's ḟ (x moving) met by backprop's ∂f/∂x at the end
    assert dotted("forward mode's ḟ = -4 equals reverse mode's ∂f/∂x = -4") in page


def test_in_chinese_it_speaks_of_forward_and_reverse_mode_with_the_same_numbers(tmp_path):
    english, en_text, _ = run(tmp_path / "en", "en")
    chinese, zh_text, _ = run(tmp_path / "zh", "zh-CN")
    assert chinese == english
    lines = zh_text.splitlines()
    for line in (
        "前向模式第 1 遍（共 3 遍）：ẋ = 1，其他输入的切向量都是 0",
        "  第 3 遍得出一个导数：∂f/∂z = ḟ = 3",
        "  ∂f/∂x：前向模式 -4，反向模式 -4",
        "前向模式算了 3 遍，得到 3 个导数；反向模式只算 1 遍，就全部得到了：",
        "上面这几遍实际运行时数出的乘法次数：前向模式 12 次，反向模式 4 次",
        "n 个输入 → 1 个输出（神经元）：",
    ):
        assert dotted(line) in lines, line
    assert dotted("  ḟ = z·q̇ + q·ż = -4 · 1 + 3 · 0 = -4") in lines  # the maths is the same
    assert "留意：" in lines and "打开：" in lines
    with i18n.language("zh-CN"):
        assert cli.LESSONS["forward-reverse"].title == "21. 前向模式与反向模式"
    again, text, _ = run(tmp_path / "en2", "en")  # English stays English after Chinese
    assert text == en_text.replace(str(tmp_path / "en"), str(tmp_path / "en2"))
