"""The HTML player and the slide frames: one offline file, inert labels, atomic writes, the
same layout in every frame, and the step data the page walks through."""

import json
import os
import re
import xml.etree.ElementTree as ET

import pytest

from autograd import Value
from demos.lesson02_chain_rule import build  # f = (x + y) z at (-2, 5, -4)
from viz import narrate
from viz.player import backprop_html, script_json
from viz.walk import make_walk

pytestmark = pytest.mark.render  # every test here lays the graph out with Graphviz

SVG = "{http://www.w3.org/2000/svg}"
EVIL = "</script><script>alert(1)</script>"


def chain_rule(label_x="x"):
    """f = (x + y) z at x = -2, y = 5, z = -4, with x labelled `label_x`."""
    f = build()
    f.inputs[0].inputs[0].label = label_x
    return f


def page_data(page):
    """The step data inside the page's JSON script element."""
    found = re.search(r'<script type="application/json" id="cr-data">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


def test_page_is_self_contained(tmp_path):
    page = backprop_html(chain_rule(), tmp_path / "p.html").html
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page  # the browser itself refuses any request
    assert "{{" not in page  # every placeholder filled
    assert page.count("<svg") == 1


def test_page_carries_every_step_with_the_seed_numbers(tmp_path):
    f = chain_rule()
    data = page_data(backprop_html(f, tmp_path / "p.html").html)
    names = [node["name"] for node in data["nodes"]]
    grads = {node["name"]: node["grad"] for node in data["nodes"]}
    assert names == ["x", "y", "q", "z", "f"]
    assert grads == {"x": "-4", "y": "-4", "q": "-4", "z": "3", "f": "1"}
    steps = data["steps"]
    assert len(steps) == 10
    assert [s["phase"] for s in steps] == ["forward"] * 5 + ["backward"] * 5
    assert steps[2]["lines"] == ["q = x + y = -2 + 5 = 3"]
    last = steps[-1]
    assert names[last["node"]] == "x" and last["grad"] == -4.0
    told = narrate(f, f.inputs[0].inputs[0])  # the narration's own sentence for x
    assert last["lines"] == [told.symbolic] and last["answer"] == [told.substituted, "= -4"]
    assert told.substituted == "= -4 · 1"
    assert last["flow"] == ["e2_0", "r2"]  # x's gradient arrives along x -> (+) -> q
    assert last["context"] == [2]


def test_every_highlighted_id_exists_in_the_embedded_svg(tmp_path):
    page = backprop_html(chain_rule(), tmp_path / "p.html").html
    svg = re.search(r"<svg.*</svg>", page, re.S).group(0)
    ids = {el.get("id") for el in ET.fromstring(svg).iter()}
    data = page_data(page)
    for step in data["steps"]:
        assert data["nodes"][step["node"]]["element"] in ids
        assert set(step["flow"]) <= ids
    for i in range(len(data["nodes"])):
        assert {f"v{i}-data", f"v{i}-grad"} <= ids
    assert "<title>" not in svg and "xlink:title" not in svg  # tooltips would give answers away


def test_each_node_knows_the_steps_that_show_its_value_and_its_gradient():
    data = page_data(backprop_html(chain_rule()).html)
    for i, node in enumerate(data["nodes"]):
        value, grad = data["steps"][node["value_step"]], data["steps"][node["grad_step"]]
        assert (value["phase"], value["node"]) == ("forward", i)
        assert (grad["phase"], grad["node"]) == ("backward", i)
        assert node["element"] == f"v{i}"
    # the backward pass runs from the root: f's gradient first, x's last
    assert [data["nodes"][i]["grad_step"] for i in (4, 0)] == [5, 9]


def test_a_nan_or_infinite_gradient_reaches_the_page_as_words():
    a, b = Value(float("-inf"), "a"), Value(0.0, "b")
    x, k = Value(float("nan"), "x"), Value(2.0, "k")
    h = a * b + x * k
    exact = {n["name"]: n["exact"] for n in page_data(backprop_html(h).html)["nodes"]}
    assert exact["b"] == "-inf" and exact["k"] == "nan" and exact["x"] == 2.0


def test_params_colour_the_page_as_they_colour_graph_svg():
    from viz import palette

    f = chain_rule()
    z = f.inputs[1]
    page = backprop_html(f, params=[z]).html
    svg = ET.fromstring(re.search(r"<svg.*</svg>", page, re.S).group(0))
    box = next(el for el in svg.iter() if el.get("id") == "v3")
    assert box.find(f"{SVG}path").get("fill").upper() == palette.ROLES["parameter"][0]
    legend = make_walk(f, "test", params=[z]).legend
    assert page_data(page)["legend"] == legend


def test_a_script_label_stays_inert(tmp_path):
    player = backprop_html(chain_rule(EVIL), tmp_path / "p.html")
    page = player.html
    assert page.count("<script") == 2  # the JSON and the player: nothing from the label
    assert "alert(1)</script>" not in page
    assert page_data(page)["nodes"][0]["name"] == EVIL  # the JSON still says it exactly
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in page  # drawn as text in the SVG
    assert "<script" not in player._repr_html_()


def test_script_json_escapes_what_could_end_the_element():
    text = script_json({"a": "</script>&<!--"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script>&<!--"}


def test_jupyter_shows_it_in_an_iframe():
    player = backprop_html(chain_rule())
    html = player._repr_html_()
    assert html.startswith("<iframe srcdoc=") and "&lt;!DOCTYPE html&gt;" in html
    assert player.path is None


def test_write_is_atomic_and_replaces_an_old_page(tmp_path):
    path = tmp_path / "new" / "backprop.html"
    backprop_html(chain_rule(), path)
    first = path.read_text(encoding="utf-8")
    backprop_html(chain_rule(EVIL), path)
    second = path.read_text(encoding="utf-8")
    assert first != second and second.endswith("</html>\n")
    assert os.listdir(path.parent) == ["backprop.html"]  # no temporary file left behind


def test_the_player_leaves_gradients_as_they_were():
    f = chain_rule()
    f.backward()
    backprop_html(f)
    assert f.inputs[0].grad == -4.0  # not doubled by the player's own backward pass


def test_bad_options_are_refused():
    with pytest.raises(TypeError, match="quiz must be True or False"):
        backprop_html(chain_rule(), quiz="yes")
    with pytest.raises(ValueError, match="rankdir='XY'"):
        backprop_html(chain_rule(), rankdir="XY")


def test_lesson_run_writes_the_player(tmp_path):
    from demos.lesson02_chain_rule import LESSON

    LESSON(out=str(tmp_path), plots=False, echo=lambda text: None)
    page = (tmp_path / "backprop.html").read_text(encoding="utf-8")
    assert page_data(page)["title"] == LESSON.title  # the lesson's own title
