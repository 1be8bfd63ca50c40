"""draw_dot(wrt=x): each box also shows its forward-mode tangent ∂(box)/∂x in a row named with
a dot (ẋ, q̇), the legend says what that row is, and without wrt= every picture is as before."""

import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from autograd import Value, forward_derivative, topological_order
from demos.lesson02_chain_rule import build  # f = (x + y) z at (-2, 5, -4)
from tests.autograd.test_forward import random_graph
from viz.dot import draw_dot
from viz.format import fmt

GOLDEN = Path(__file__).with_name("golden") / "chain_rule.dot"
DOT = "\u0307"  # the combining dot above, as the picture writes q̇


def chain():
    f = build()
    f.backward()
    return f, {node.label: node for node in topological_order(f)}


def tangent_cells(source):
    """{cell id: (the row's name, the number)} for every tangent row in a DOT source."""
    found = re.findall(
        r'<TR><TD ALIGN="LEFT" WIDTH="\d+">([^<]*)</TD>'
        r'<TD ALIGN="RIGHT" ID="(v\d+-tangent)"[^>]*>([^<]*)</TD></TR>',
        source,
    )
    return {cell: (name, number) for name, cell, number in found}


def test_each_box_shows_its_tangent_by_x_in_a_dotted_row():
    f, by = chain()
    cells = tangent_cells(draw_dot(f, wrt=by["x"]).source)
    # ẋ = 1, ẏ = 0, q̇ = ẋ + ẏ = 1, ż = 0, ḟ = z·q̇ + q·ż = -4 · 1 + 3 · 0 = -4
    assert cells == {
        "v0-tangent": (f"x{DOT}", "1"), "v1-tangent": (f"y{DOT}", "0"),
        "v2-tangent": (f"q{DOT}", "1"), "v3-tangent": (f"z{DOT}", "0"),
        "v4-tangent": (f"f{DOT}", "-4"),
    }  # fmt: skip
    by_z = tangent_cells(draw_dot(f, wrt="z").source)  # a label names the input too
    assert by_z["v4-tangent"] == (f"f{DOT}", "3") and by_z["v2-tangent"][1] == "0"


def test_the_tangent_row_sits_under_the_value_it_moves_with():
    f, by = chain()
    source = draw_dot(f, wrt=by["x"]).source
    box = re.search(r"v2 \[label=<(.*?)> ", source).group(1)
    assert box.index("v2-data") < box.index("v2-tangent") < box.index("v2-grad")


@pytest.mark.parametrize("seed", range(5))
def test_the_picture_shows_forward_modes_tangents_on_random_graphs(seed):
    xs, root = random_graph(seed, n_inputs=3, n_nodes=12)
    order = topological_order(root)
    wrt = next(x for x in xs if any(node is x for node in order))
    found = forward_derivative(root, wrt)
    cells = tangent_cells(draw_dot(root, wrt=wrt).source)
    assert len(cells) == len(order)
    for i, node in enumerate(order):
        assert cells[f"v{i}-tangent"][1] == fmt(found.of(node))


def test_the_legend_says_what_the_dotted_row_is():
    f, by = chain()
    source = unicodedata.normalize("NFC", draw_dot(f, wrt=by["x"]).source)
    assert "dotted row: tangent = ∂(box)/∂x, as forward mode finds it" in source
    assert "(ẋ = 1: x moves at 1, every other input stays still)" in source
    zh = unicodedata.normalize("NFC", draw_dot(f, wrt=by["x"], lang="zh-CN").source)
    assert "带点的一行：切向量 = ∂(方框)/∂x，由前向模式求出" in zh
    assert "（ẋ = 1：x 以速度 1 变化，其他输入都不动）" in zh


def test_without_wrt_the_picture_is_as_it_always_was():
    f = build()
    f.backward()
    source = draw_dot(f).source
    assert source == GOLDEN.read_text(encoding="utf-8")
    assert "tangent" not in source and DOT not in source


def test_a_batch_picture_shows_the_chosen_examples_tangent():
    x = Value(np.array([1.0, 2.0, 3.0]), "x")
    w = Value(0.5, "w")
    loss = (x * x * w).mean()
    loss.label = "L"
    found = forward_derivative(loss, w)  # ∂L/∂w = mean(x²) = 14/3
    cells = tangent_cells(draw_dot(loss, wrt=w, example=2).source)
    assert cells["v0-tangent"][1] == "0" and cells["v1-tangent"][1] == "0"  # x, x·x
    assert cells["v2-tangent"][1] == "1"  # w itself
    assert cells["v3-tangent"][1] == "9"  # x² w for example 2: ∂/∂w = x² = 9
    assert cells["v4-tangent"][1] == fmt(found.root) == "4.667"


@pytest.mark.parametrize(
    "wrt, error, message",
    [
        ("q", ValueError, "draw_dot: wrt='q' was made by add; forward mode starts from an input"),
        ("w", ValueError, "draw_dot: no node is labelled 'w'"),
        (2.0, TypeError, "draw_dot: wrt must be an input of the graph"),
    ],
)
def test_a_wrt_that_is_not_an_input_of_the_graph_is_refused(wrt, error, message):
    f, by = chain()
    with pytest.raises(error) as raised:
        draw_dot(f, wrt=wrt)
    assert str(raised.value).startswith(message)
    with pytest.raises(ValueError, match=r"draw_dot: Value\(.*\) is not in the graph"):
        draw_dot(f, wrt=Value(1.0, "elsewhere"))


def test_a_weight_in_a_scope_is_named_with_its_scope_in_the_legend():
    from nn import MLP

    model = MLP(2, [2, 1])
    y = model([Value(1.0, "u0"), Value(2.0, "u1")])
    w0 = model.parameters()[0]
    assert w0.scope and w0.label == "w0"  # e.g. layer1.neuron1: every neuron has a w0
    source = unicodedata.normalize("NFC", draw_dot(y, wrt=w0, params=model).source)
    name = f"{w0.scope}.w0"
    assert f"tangent = ∂(box)/∂{name}, as forward mode finds it" in source
    assert f"({w0.scope}.ẇ0 = 1: {name} moves at 1, every other input stays still)" in source
