"""The picture of a gradient graph (double backprop): grad(f, x, create_graph=True) drawn with
its values, the backward pass framed as ∇f beside the forward pass it reads from, and the
player's backprop through it ending at the second derivative."""

import re

import pytest

from autograd import Value, grad
from viz import backprop_html, draw_dot, narrate, to_svg

from ..autograd.test_higher import cubic  # f = x³ - 2x + 1 at 2, each step labelled


def frame_of(source, name):
    """The DOT text of the cluster labelled `name` (up to the cluster's closing brace)."""
    start = source.index(f"label=<{name}>")
    begin = source.rindex("subgraph cluster_", 0, start)
    return source[begin : source.index("\n\t}", start)]


def test_the_picture_frames_the_backward_pass_and_names_each_gradient():
    x, f = cubic()
    g = grad(f, x, create_graph=True)
    source = draw_dot(g).source
    inside = frame_of(source, "∇f")
    for name in ("∂f/∂f", "∂f/∂d", "∂f/∂a", "∂f/∂b"):
        assert f"<B>{name}</B>" in inside
    assert "<B>x</B>" in source and "<B>x</B>" not in inside  # the input: the forward pass
    assert source.count("cluster_") == 1


def test_the_player_steps_backprop_through_the_gradient_to_the_second_derivative():
    x, f = cubic()
    g = grad(f, x, create_graph=True)
    told = narrate(g, x)
    assert told.grad == 12.0  # 6x at x = 2
    assert told.text().startswith("∂(∂f/∂x)/∂x = ")
    x2, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x2 + y
    q.label = "q"
    h = q * z
    h.label = "f"
    gx = grad(h, x2, create_graph=True)
    assert narrate(gx, z).grad == 1.0  # ∂²f/∂x∂z: ∂f/∂x = z
    page = backprop_html(g).html
    assert "∂f/∂x" in page and "∇f" in page


@pytest.mark.render
def test_the_drawn_gradient_graph_shows_its_values():
    x, f = cubic()
    svg = to_svg(draw_dot(grad(f, x, create_graph=True)))
    texts = re.findall(r">([^<>]+)</text>", svg)
    assert {"∇f", "∂f/∂x", "∂f/∂a", "10", "12"} <= set(texts)


def test_a_leaf_named_by_its_own_number_is_a_constant_and_a_name_stays_an_input():
    from viz.tape import role_of

    two, x, named_two = Value(2.0, "2"), Value(2.0, "x"), Value(3.0, "2")
    minus = Value(-1.0, "\u22121")  # the minus sign a picture prints
    roles = [role_of(v, None, set()) for v in (two, x, named_two, minus)]
    assert roles == ["constant", "input", "input", "constant"]  # "2" holding 3 is a name
    g = grad(x**3 - two * x + Value(1.0, "1"), [x], create_graph=True)[0]
    source = draw_dot(g).source
    assert "constant (a number: a leaf with no name)" in source  # the legend says so


def test_the_player_says_a_gradient_graph_is_a_backward_pass_and_a_plain_one_does_not():
    import json

    x, f = cubic()
    (g,) = grad(f, [x], create_graph=True)
    g.backward()

    def first_note(root, lang="en"):
        page = backprop_html(root, lang=lang).html
        data = re.search(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S)
        return json.loads(data[1])["steps"][0]["note"]

    assert "This graph is itself a gradient" in first_note(g)
    assert "二阶导数" in first_note(g, "zh-CN")
    assert "itself a gradient" not in first_note(f)
