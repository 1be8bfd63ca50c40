"""The walk's picture: the SVG that the player and the slide frames light step by step is
graph.svg's drawing (parameters, batches, folded scopes), with graph.svg's colour key."""

import json
import random
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import nn
import viz
from autograd import Value
from demos.lesson02_chain_rule import build  # f = (x + y) z at (-2, 5, -4)
from viz import palette
from viz.format import fmt
from viz.walk import make_walk

pytestmark = pytest.mark.render  # the walk's picture is laid out by Graphviz

SVG = "{http://www.w3.org/2000/svg}"


def elements(svg):
    """Every element of the walk's SVG that has an id, by that id."""
    return {el.get("id"): el for el in ET.fromstring(svg).iter() if el.get("id")}


def fill_of(svg, element_id):
    """The fill colour of a box's outline in the SVG."""
    shape = elements(svg)[element_id].find(f"{SVG}path")
    return shape.get("fill").upper()


def cell(svg, cell_id):
    """The number shown in a v{i}-data or v{i}-grad cell."""
    return elements(svg)[cell_id].find(f"{SVG}text").text


def relu_net(seed=1):
    """An MLP(2, [3, 1]) of ReLUs on one point (neuron 1 is off for it) and its squared error."""
    random.seed(seed)
    model = nn.MLP(2, [3, 1], activation="relu")
    loss = (model([Value(0.5, "x0"), Value(-1.2, "x1")]) - 1.0) ** 2
    loss.label = "loss"
    return model, loss


def test_parameters_are_orange_in_the_walk_as_in_graph_svg_and_the_legend_is_the_same():
    w, b, x = Value(0.5, "w"), Value(-1.0, "b"), Value(2.0, "x")
    y = w * x + b
    y.label = "y"
    walk = make_walk(y, "backprop_html", params=[w, b])
    assert fill_of(walk.svg, "v0") == palette.ROLES["parameter"][0]  # w
    assert fill_of(walk.svg, "v1") == palette.ROLES["input"][0]  # x
    y.backward()
    picture = viz.dot.draw(y, "draw_dot", params=[w, b])
    assert walk.legend == picture.legend  # one source: the page shows graph.svg's key
    assert json.loads(json.dumps(walk.legend)) == walk.legend
    texts = [entry["text"] for entry in walk.legend]
    assert texts == [palette.ROLES[r][2] for r in ("parameter", "input", "intermediate", "output")]
    assert walk.legend[0]["swatches"] == [
        {
            "fill": palette.ROLES["parameter"][0],
            "border": palette.ROLES["parameter"][1],
            "dashed": False,
        }
    ]


def test_without_params_the_same_leaves_are_inputs():
    w, x = Value(0.5, "w"), Value(2.0, "x")
    y = w * x
    walk = make_walk(y, "backprop_html")
    assert fill_of(walk.svg, "v0") == palette.ROLES["input"][0]


def test_a_batch_walk_draws_the_chosen_example_as_draw_dot_does():
    x = Value(np.array([1.0, 2.0, 3.0]), "x")
    t = Value(np.array([1.0, 0.0, 1.0]), "t")
    w = Value(0.5, "w")
    err = w * x - t
    err.label = "err"
    loss = (err**2).mean()
    loss.label = "loss"
    walk = make_walk(loss, "backprop_html", params=[w], example=2)
    # topological order: w, x, w*x, t, err, err**2, loss
    assert cell(walk.svg, "v1-data") == "3" and cell(walk.svg, "v4-data") == "0.5"  # 1.5 - 1
    assert cell(walk.svg, "v4-grad") == fmt(2 * 0.5 / 3)  # d mean/d err_2 = 2 err_2 / 3
    loss.backward()
    assert cell(walk.svg, "v0-grad") == fmt(w.grad)  # a weight: all three examples' sum
    assert fill_of(walk.svg, "v0") == palette.ROLES["parameter"][0]


def steps_of(walk, phase):
    return [step["node"] for step in walk.steps if step["phase"] == phase]


def test_a_walk_without_folding_keeps_every_step_in_forward_then_backward_order():
    walk = make_walk(build(), "backprop_html")
    n = walk.n
    assert steps_of(walk, "forward") == list(range(n))
    assert steps_of(walk, "backward") == list(reversed(range(n)))
    assert walk.value_step == list(range(n))
    assert walk.grad_step == [2 * n - 1 - i for i in range(n)]
    assert walk.element_of == [f"v{i}" for i in range(n)]


@pytest.mark.parametrize("collapse", [2, 1, True])
def test_a_collapsed_walk_names_a_drawn_element_for_every_node_and_every_lit_thing(collapse):
    model, loss = relu_net()
    walk = make_walk(loss, "backprop_html", params=model, collapse=collapse)
    ids = elements(walk.svg)
    assert all(name in ids for name in walk.element_of)
    assert {name[0] for name in walk.element_of} == {"v", "s"}
    for s, step in enumerate(walk.steps):
        assert walk.element_of[step["node"]] in ids
        assert all(name in ids for name in step["flow"])
        leaf = not walk.rows[step["node"]].inputs
        root = step["node"] == walk.n - 1
        assert step["flow"] or (leaf if step["phase"] == "forward" else root)
        assert all(walk.element_of[i] in ids for i in step["context"])
        _, known_data, known_grad = walk.state(s)
        known = known_data if step["phase"] == "forward" else known_grad
        assert step["node"] in known
        if s:
            _, before_data, before_grad = walk.state(s - 1)
            assert step["node"] not in (before_data if step["phase"] == "forward" else before_grad)
    # One value step and one gradient step per value the picture draws: the boxes of their
    # own, and the values that leave a folded box (a neuron's output).
    forward, backward = steps_of(walk, "forward"), steps_of(walk, "backward")
    assert backward == forward[::-1] and len(forward) == len(set(forward)) < walk.n
    for i in forward:
        if walk.element_of[i].startswith("s") and collapse != 1:
            assert f"v{i}-data" in ids and f"v{i}-grad" in ids  # the box shows its output
    # What the frames hide and show follows the explicit positions, not 2n - 1 - i.
    last = walk.state(len(walk.steps) - 1)
    assert last[1] == last[2] == set(range(walk.n))


def test_a_collapsed_walk_lights_the_folded_neuron_and_the_lines_into_it():
    model, loss = relu_net()
    walk = make_walk(loss, "backprop_html", params=model, collapse=2)
    first_neuron = next(s for s in walk.steps if walk.element_of[s["node"]].startswith("s"))
    box = walk.element_of[first_neuron["node"]]
    x0, x1 = walk.steps[0]["node"], walk.steps[1]["node"]
    assert first_neuron["phase"] == "forward"
    assert first_neuron["flow"] == [f"xv{x0}_{box}", f"xv{x1}_{box}"]  # both inputs flow in
    assert first_neuron["context"] == [x0, x1]
    back = [s for s in walk.steps if s["phase"] == "backward" and s["node"] == x0][0]
    assert len(back["flow"]) == 3 and all(name.startswith(f"xv{x0}_s") for name in back["flow"])
    # The output neuron's value leaves its box along a real edge, with its local derivative.
    out = [s for s in walk.steps if s["phase"] == "backward"][3]
    assert walk.element_of[out["node"]].startswith("s")
    assert re.fullmatch(r"e\d+_0", out["flow"][0]) and out["flow"][1].startswith("r")
    assert "inactive ReLU" in [e["text"] for e in walk.legend][-1]
