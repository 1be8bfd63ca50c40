"""The player in forward mode: the page's tangents are forward mode's own (random graphs), one
step per node with its value and tangent, both sweeps on one graph, the cost panel's numbers,
bad wrt= refused before any work, and the page's words in Chinese."""

import html
import json
import math
import re
import unicodedata
import xml.etree.ElementTree as ET

import pytest

from autograd import Value, forward_derivative, mode_costs, topological_order
from demos.lesson02_chain_rule import build  # f = (x + y) z at (-2, 5, -4)
from tests.autograd.test_forward import random_graph
from viz.format import fmt
from viz.player import backprop_html

pytestmark = pytest.mark.render  # every page lays its graph out with Graphviz

SVG = "{http://www.w3.org/2000/svg}"
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z_'-]{2,}")


def page_data(page):
    """The page's JSON, its text in NFC (ẋ as one character), as this file writes it."""
    found = re.search(r'<script type="application/json" id="cr-data">(.*?)</script>', page, re.S)
    return json.loads(unicodedata.normalize("NFC", found.group(1)))


def chain():
    """f = (x + y) z at (-2, 5, -4), and its nodes by name."""
    f = build()
    return f, {node.label: node for node in topological_order(f)}


def exact(number):
    return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}.get(number, number)


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("seed", range(6))
def test_every_tangent_on_the_page_is_forward_modes_own_on_random_graphs(seed):
    xs, root = random_graph(seed, n_inputs=3, n_nodes=10)
    order = topological_order(root)
    wrt = [x for x in xs if any(node is x for node in order)][seed % 2]
    data = page_data(backprop_html(root, mode="forward", wrt=wrt).html)
    found = forward_derivative(root, wrt)
    assert len(data["nodes"]) == len(order) == len(data["steps"])
    for node, shown in zip(order, data["nodes"]):
        t = found.of(node)
        assert same(exact(shown["tangent_exact"]), t)  # the number a quiz answer is checked by
        assert shown["tangent"] == fmt(t)
        assert "grad" not in shown  # forward mode alone finds no gradient
    for s, step in enumerate(data["steps"]):
        assert step["phase"] == "tangent" and step["node"] == s
        assert data["nodes"][s]["tangent_step"] == data["nodes"][s]["value_step"] == s
        t = found.of(order[s])
        assert step["tangent"] == (t if math.isfinite(t) else None)


@pytest.mark.parametrize("seed", range(3))
def test_both_modes_show_the_tangents_then_backprops_gradients_on_random_graphs(seed):
    xs, root = random_graph(seed, n_inputs=3, n_nodes=8)
    order = topological_order(root)
    wrt = next(x for x in xs if any(node is x for node in order))
    data = page_data(backprop_html(root, mode="both", wrt=wrt).html)
    n = len(data["nodes"])
    assert [s["phase"] for s in data["steps"]] == ["tangent"] * n + ["backward"] * n
    root.backward()
    for node, shown in zip(topological_order(root), data["nodes"]):
        assert same(exact(shown["exact"]), node.grad)
        assert same(exact(shown["tangent_exact"]), forward_derivative(root, wrt).of(node))


def test_each_step_shows_the_value_and_the_tangent_in_symbols_then_in_numbers():
    f, by = chain()
    data = page_data(backprop_html(f, mode="forward", wrt=by["x"]).html)
    steps = {data["nodes"][s["node"]]["name"]: s for s in data["steps"]}
    q, top, x, y = steps["q"], steps["f"], steps["x"], steps["y"]
    # Said aloud: q = x + y = -2 + 5 = 3; q̇ = ẋ + ẏ = 1 + 0 = 1; ḟ = z·q̇ + q·ż = -4 + 0 = -4.
    assert q["lines"] == ["q = x + y = -2 + 5 = 3", "q̇ = ẋ + ẏ"]
    assert q["answer"] == ["= 1 + 0", "= 1"] and q["ask"] == "q̇"
    assert top["lines"] == ["f = q * z = 3 * (-4) = -12", "ḟ = z·q̇ + q·ż"]
    assert top["answer"] == ["= -4 · 1 + 3 · 0", "= -4"]
    assert top["after"] == (
        "The output's tangent is the derivative: ḟ = ∂f/∂x = -4, after one forward-mode pass."
    )
    # A leaf's tangent is all answer: the quiz asks it too, and shows nothing of it first.
    assert x["lines"] == ["x = -2  (an input)"] and x["answer"][0] == "ẋ = 1"
    assert y["answer"][0] == "ẏ = 0" and y["ask"] == "ẏ"
    assert "x moves at 1" in x["note"]  # the first step says what a tangent is
    hints = " ".join(q["hints"])  # the local derivatives, then the inputs' tangents
    assert "∂(x + y)/∂x = 1" in hints and "ẋ = 1, ẏ = 0" in hints
    assert data["title"] == "Forward mode: f = q * z" and data["wrt_dot"] == "ẋ"


def test_both_modes_end_by_saying_the_two_sweeps_agree():
    f, by = chain()
    data = page_data(backprop_html(f, mode="both", wrt=by["z"]).html)
    assert data["title"] == "Both modes: f = q * z"
    # ż = 1 gives ḟ = q = 3, as backprop's ∂f/∂z = q = 3.
    assert data["steps"][-1]["after"] == (
        "Both sweeps agree: forward mode's ḟ = 3 equals reverse mode's ∂f/∂z = 3."
    )
    assert data["steps"][4]["after"].endswith("ḟ = ∂f/∂z = 3, after one forward-mode pass.")


def costs_table(page):
    """The cost panel's rows, {mode: [passes, multiplications]}, and its line above them."""
    page = unicodedata.normalize("NFC", page)
    section = re.search(r'<section id="costs".*?</section>', page, re.S).group(0)
    rows = {
        kind: [html.unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row)]
        for kind, row in re.findall(r'<tr class="(\w+)">(.*?)</tr>', section)
    }
    what = re.search(r'<p class="costs-what">(.*?)</p>', section).group(1)
    what = html.unescape(re.sub(r"<[^>]+>", "", what))  # its parts, each a nowrap span
    return rows, what


def test_the_side_panel_counts_each_modes_passes_and_multiplications():
    f, by = chain()
    for mode in ("forward", "both"):
        rows, what = costs_table(backprop_html(f, mode=mode, wrt=by["y"]).html)
        costs = mode_costs(f, [by["x"], by["y"], by["z"]])
        assert (costs.forward_passes, costs.forward_multiplications) == (3, 12)
        assert rows == {"forward": ["3", "12 = 3 × 4"], "reverse": ["1", "4 = 1 × 4"]}
        assert what == "∂f/∂(each input) · inputs: 3 (x, y, z) · outputs: 1 · edges: 4"
    assert 'id="costs"' not in backprop_html(f).html  # backprop's own page: as it was


def test_a_neuron_of_three_inputs_costs_three_times_as_much_forward():
    xs = [Value(v, f"x{i}") for i, v in enumerate([0.5, -1.0, 2.0])]
    ws = [Value(v, f"w{i}") for i, v in enumerate([0.3, 0.2, -0.4])]
    y = (xs[0] * ws[0] + xs[1] * ws[1] + xs[2] * ws[2]).tanh()
    y.label = "y"
    rows, what = costs_table(backprop_html(y, mode="both", wrt=ws[1]).html)
    costs = mode_costs(y, xs + ws)
    n, e = costs.inputs, costs.edges
    assert (n, e) == (6, 11)
    assert rows == {"forward": [f"{n}", f"{n * e} = {n} × {e}"], "reverse": ["1", f"{e} = 1 × {e}"]}
    assert "inputs: 6 (x0, w0, x1, w1, x2, w2)" in what


def svg_of(page):
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    return ET.fromstring(svg)


def cell_texts(tree, word):
    return {
        g.get("id"): "".join(g.itertext()).strip()
        for g in tree.iter(f"{SVG}g")
        if (g.get("id") or "").endswith(f"-{word}")
    }


def test_the_picture_has_a_tangent_cell_per_box_and_forward_mode_no_gradients():
    f, by = chain()
    forward = svg_of(backprop_html(f, mode="forward", wrt=by["x"]).html)
    assert cell_texts(forward, "tangent") == {
        "v0-tangent": "1", "v1-tangent": "0", "v2-tangent": "1", "v3-tangent": "0",
        "v4-tangent": "-4",
    }  # fmt: skip
    assert cell_texts(forward, "grad") == {}
    both = svg_of(backprop_html(f, mode="both", wrt=by["x"]).html)
    assert len(cell_texts(both, "grad")) == len(cell_texts(both, "tangent")) == 5
    assert cell_texts(svg_of(backprop_html(f).html), "tangent") == {}


def test_a_reverse_page_carries_no_forward_mode_data():
    f, _ = chain()
    data = page_data(backprop_html(f).html)
    assert "wrt" not in data and all("tangent" not in node for node in data["nodes"])
    assert {s["phase"] for s in data["steps"]} == {"forward", "backward"}
    assert data["title"] == "Backprop through f = q * z"


@pytest.mark.parametrize(
    "options, message",
    [
        ({"mode": "forward"}, "backprop_html: mode='forward' needs wrt="),
        ({"mode": "both"}, "backprop_html: mode='both' needs wrt="),
        ({"mode": "sideways", "wrt": "x"}, "backprop_html: mode='sideways'; choose one of"),
        ({"wrt": "x"}, "backprop_html: wrt='x' is for forward mode"),
        ({"mode": "forward", "wrt": "q"}, "backprop_html: wrt='q' was made by add"),
        ({"mode": "both", "wrt": "w"}, "backprop_html: no node is labelled 'w'"),
    ],
)
def test_a_bad_mode_or_wrt_is_refused_before_any_work(tmp_path, options, message):
    f, by = chain()
    grads = [node.grad for node in topological_order(f)]
    with pytest.raises(ValueError) as raised:
        backprop_html(f, tmp_path / "p.html", **options)
    assert str(raised.value).startswith(message)
    assert not (tmp_path / "p.html").exists()
    assert [node.grad for node in topological_order(f)] == grads


def test_a_value_outside_the_graph_or_not_a_value_is_refused():
    f, by = chain()
    stranger = Value(1.0, "s")
    with pytest.raises(ValueError, match=r"backprop_html: Value\(.*\) is not in the graph"):
        backprop_html(f, mode="forward", wrt=stranger)
    with pytest.raises(ValueError, match="backprop_html: wrt=Value.* was made by mul"):
        backprop_html(f, mode="forward", wrt=f)
    with pytest.raises(TypeError, match="backprop_html: wrt must be an input.*got float 1.0"):
        backprop_html(f, mode="forward", wrt=1.0)


def test_a_label_names_the_input_as_well_as_the_value():
    f, by = chain()
    by_label = page_data(backprop_html(f, mode="forward", wrt="y").html)
    by_value = page_data(backprop_html(f, mode="forward", wrt=by["y"]).html)
    assert by_label == by_value and by_label["nodes"][-1]["tangent"] == "-4"


def english_left(text, names):
    """English words of 3+ letters outside names, numbers and symbols."""
    plain = re.sub(r"\S*[\d_]\S*", " ", text)
    return [w for w in ENGLISH_WORD.findall(plain) if w not in names]


def test_a_chinese_page_says_forward_mode_in_chinese():
    f, by = chain()
    page = backprop_html(f, mode="both", wrt=by["x"], lang="zh-CN").html
    data = page_data(page)
    assert data["title"] == "两种模式：f = q * z"
    first, root = data["steps"][0], data["steps"][4]
    assert first["heading"] == "x 的值和切向量" and "切向量" in first["note"]
    assert root["lines"][1] == "ḟ = z·q̇ + q·ż" and root["answer"][-1] == "= -4"
    assert root["after"] == "输出的切向量就是导数：ḟ = ∂f/∂x = -4，只用了一遍前向模式计算。"
    assert data["steps"][-1]["after"].startswith("两次遍历结果一致：前向模式的 ḟ = -4")
    assert data["messages"]["Forward mode, {dot} = 1"] == "前向模式，{dot} = 1"
    rows, what = costs_table(page)
    assert rows["forward"] == ["3", "12 = 3 × 4"]
    assert what == "∂f/∂(每个输入) · 输入：3 个（x、y、z）· 输出：1 个 · 边：4 条"
    assert "遍数" in page and "乘法次数" in page and "反向模式" in page
    said = [s["heading"] for s in data["steps"]] + [s["note"] for s in data["steps"]]
    said += [line for s in data["steps"] for line in s["lines"] + s["answer"] + s["hints"]]
    said += [s.get("after", "") for s in data["steps"]] + [what]
    assert [w for text in said for w in english_left(text, {"x", "y", "z", "q", "f"})] == []
    english = page_data(backprop_html(f, mode="both", wrt=by["x"], lang="en").html)
    assert english["steps"][0]["heading"] == "Value and tangent of x"


def test_a_batch_page_checks_the_told_examples_numbers():
    import numpy as np

    x, w = Value(np.array([1.0, 2.0, 3.0]), "x"), Value(0.5, "w")
    loss = (x * x * w).mean()
    loss.label = "L"
    data = page_data(backprop_html(loss, mode="both", wrt=w, example=2).html)
    by = {node["name"]: node for node in data["nodes"]}
    assert by["L"]["tangent_exact"] == pytest.approx(14 / 3)  # ∂L/∂w = mean(x²)
    assert by["x"]["exact"] == 1.0  # ∂L/∂x = 2 x w / 3 = 2 · 3 · 0.5 / 3 for example 2
    assert by["w"]["exact"] == pytest.approx(14 / 3) and by["w"]["grad"] == "4.667"
