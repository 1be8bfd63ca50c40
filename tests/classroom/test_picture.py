"""The student's picture (classroom.picture): the graph around the asked node, with every
number the room has not found yet written as "?", and nothing but drawing in it."""

import re
import xml.etree.ElementTree as ET

import pytest

from autograd import Value
from classroom.picture import MAX_BYTES, keep_drawing_only, picture
from demos.cli import LESSONS
from demos.lesson02_chain_rule import build
from viz.walk import SVG, make_walk

pytestmark = pytest.mark.render  # a walk is laid out by Graphviz (or graphviz-pure)

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def fan_out():
    """x used by three ops, y by two, then a chain long enough that a phone gets a crop."""
    y, x = Value(-3.0, "y"), Value(2.0, "x")
    a = x * y
    b = a + x
    c = b * x
    d = c + y
    e = d * Value(0.5, "k")
    f = e + Value(7.0, "m")
    for node, name in ((a, "a"), (b, "b"), (c, "c"), (d, "d"), (e, "e"), (f, "f")):
        node.label = name
    return f


def walk_of(root):
    """The walk `chainrule serve` makes, and the graph's real values and gradients."""
    walk = make_walk(root, "serve")
    root.backward()
    return walk


def tree(svg):
    return ET.fromstring(svg)


def ids(svg_tree):
    return {el.get("id"): el for el in svg_tree.iter() if el.get("id")}


def cell(svg_tree, name):
    """The text of cell `name` (v3-grad), or None when the cell is not in the picture."""
    found = ids(svg_tree).get(name)
    return None if found is None else "".join(found.itertext()).strip()


def numbers_in(svg_tree):
    """Every number written anywhere in the picture's text."""
    return {float(n) for text in svg_tree.itertext() for n in NUMBER.findall(text)}


def step_asking(walk, phase, name):
    """The step that asks node `name`'s value ("forward") or gradient ("backward")."""
    return next(
        s
        for s, step in enumerate(walk.steps)
        if step["phase"] == phase and walk.rows[step["node"]].name() == name
    )


def known_before(walk, s):
    """(values, gradients) found before step s: the nodes of the earlier steps."""
    values = {walk.steps[t]["node"] for t in range(s) if walk.steps[t]["phase"] == "forward"}
    grads = {walk.steps[t]["node"] for t in range(s) if walk.steps[t]["phase"] == "backward"}
    return values, grads


@pytest.mark.parametrize("make", [build, fan_out], ids=["chain-rule", "fan-out"])
def test_every_cell_shows_its_number_only_once_an_earlier_step_found_it(make):
    walk = walk_of(make())
    for s in range(len(walk.steps)):
        shown = tree(picture(walk, s))
        values, grads = known_before(walk, s)
        for row in walk.rows:
            for word, known in (("data", values), ("grad", grads)):
                text = cell(shown, f"v{row.index}-{word}")
                if text is None:
                    continue  # cropped away
                number = getattr(row.node, word)
                assert text == (walk.story.num(number) if row.index in known else "?"), (s, word)


@pytest.mark.parametrize("make", [build, fan_out], ids=["chain-rule", "fan-out"])
def test_no_hidden_number_is_written_anywhere_in_the_picture(make):
    walk = walk_of(make())
    nodes = [row.node for row in walk.rows]
    for s in range(len(walk.steps)):
        values, grads = known_before(walk, s)
        known = {nodes[i].data for i in values} | {nodes[i].grad for i in grads}
        hidden = {nodes[i].data for i in range(len(nodes)) if i not in values}
        hidden |= {nodes[i].grad for i in range(len(nodes)) if i not in grads}
        assert not (numbers_in(tree(picture(walk, s))) & (hidden - known)), s


def test_the_chain_rule_picture_at_each_question():
    walk = walk_of(build())  # f = (x + y) * z at (-2, 5, -4): q = 3, f = -12
    asked_q = tree(picture(walk, step_asking(walk, "forward", "q")))
    assert numbers_in(asked_q) == {-2.0, 5.0}  # only x and y: z comes after q
    assert cell(asked_q, "v2-data") == "?"
    asked_z = tree(picture(walk, step_asking(walk, "backward", "z")))
    # every value, and only ∂f/∂f = 1; `local 3` (which is ∂f/∂z) is off its edge
    assert numbers_in(asked_z) == {-2.0, 5.0, 3.0, -4.0, -12.0, 1.0}
    assert "".join(ids(asked_z)["e4_1"].itertext()).strip() == ""
    asked_x = tree(picture(walk, step_asking(walk, "backward", "x")))
    edge = ids(asked_x)
    assert "local -4" in "".join(edge["e4_0"].itertext())  # used for ∂f/∂q: known now
    assert "local" not in "".join(edge["e2_0"].itertext())  # x's own: the answer's factor
    assert cell(asked_x, "v0-grad") == "?" and cell(asked_x, "v1-grad") == "-4"


def test_after_the_reveal_the_asked_number_and_its_edges_show_and_nothing_later():
    walk = walk_of(build())
    s = step_asking(walk, "backward", "y")  # ∂f/∂y = -4, found before ∂f/∂x
    shown = tree(picture(walk, s, revealed=True))
    assert cell(shown, "v1-grad") == "-4" and cell(shown, "v0-grad") == "?"
    assert "local 1" in "".join(ids(shown)["e2_1"].itertext())  # y's edge, now used
    assert "local" not in "".join(ids(shown)["e2_0"].itertext())  # x's: still to come
    asked = [el.get("id") for el in shown.iter() if "cr-asked" in (el.get("class") or "")]
    assert asked == [walk.element_of[1], "v1-grad"]  # the same crop and mark as the question's
    value = tree(picture(walk, step_asking(walk, "forward", "q"), revealed=True))
    assert cell(value, "v2-data") == "3" and cell(value, "v3-data") == "?"  # z comes later


def test_the_asked_node_and_its_cell_are_marked_and_nothing_else():
    walk = walk_of(fan_out())
    s = step_asking(walk, "backward", "x")
    marked = [
        el.get("id")
        for el in tree(picture(walk, s)).iter()
        if "cr-asked" in (el.get("class") or "")
    ]
    assert marked == ["v0", "v0-grad"]
    s = step_asking(walk, "forward", "c")
    marked = [
        el.get("id")
        for el in tree(picture(walk, s)).iter()
        if "cr-asked" in (el.get("class") or "")
    ]
    assert marked == ["v4", "v4-data"]


def view_box(svg_tree):
    return [float(v) for v in svg_tree.get("viewBox").split()]


def test_a_small_graph_is_shown_whole():
    walk = walk_of(build())
    whole = view_box(tree(walk.svg))
    for s in range(len(walk.steps)):
        shown = tree(picture(walk, s))
        assert view_box(shown) == whole
        assert {f"v{i}" for i in range(walk.n)} <= set(ids(shown))


def test_a_wide_graph_is_cropped_to_the_gradient_asked_and_the_ops_that_use_it():
    walk = walk_of(fan_out())  # x (v0) is read by a (v2), b (v3) and c (v4)
    shown = tree(picture(walk, step_asking(walk, "backward", "x")))
    assert view_box(shown)[2] < view_box(tree(walk.svg))[2]
    present = set(ids(shown))
    assert {"v0", "o2", "o3", "o4", "v2", "v3", "v4", "e2_0", "e3_1", "e4_1"} <= present
    assert not {"v9", "o9", "v8"} & present  # f and m, far to the right, are dropped


def test_a_wide_graph_is_cropped_to_the_value_asked_and_its_inputs():
    walk = walk_of(fan_out())  # e = d * k (v7 from v5 and v6)
    shown = tree(picture(walk, step_asking(walk, "forward", "e")))
    present = set(ids(shown))
    assert {"v7", "o7", "v5", "v6", "e7_0", "e7_1", "r7"} <= present
    assert "v0" not in present  # x, at the far left


def test_a_fan_out_share_appears_once_its_gradient_is_found():
    walk = walk_of(fan_out())  # y is used by a = x * y (e2_1) and d = c + y (e5_1)

    def shares(s):
        shown = ids(tree(picture(walk, s)))
        texts = [t for edge in ("e2_1", "e5_1") for t in shown[edge].itertext()]
        return [float(t.split()[1]) for t in texts if t.strip().startswith("+=")]

    assert shares(step_asking(walk, "backward", "y")) == []
    found = shares(step_asking(walk, "backward", "y") + 1)
    assert sorted(found) == [0.5, 2.0] and sum(found) == walk.rows[1].node.grad == 2.5


def test_labels_with_markup_characters_stay_text():
    a, b = Value(2.0, "a<b"), Value(3.0, 'R&D "q"')
    f = a * b
    f.label = "f>0"
    walk = walk_of(f)
    svg = picture(walk, len(walk.steps) - 1)
    assert "a&lt;b" in svg and "R&amp;D" in svg and "f&gt;0" in svg
    texts = set(tree(svg).itertext())
    assert {"a<b", 'R&D "q"', "f>0"} <= {t.strip() for t in texts}


def test_only_drawing_is_left_in_a_picture():
    walk = walk_of(fan_out())
    for s in (0, len(walk.steps) - 1):
        svg = picture(walk, s)
        assert not re.search(r"<(script|a|foreignObject|style|image)\b|\son\w+=|href", svg)
    hostile = ET.fromstring(
        f'<svg xmlns="{SVG}" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)">'
        '<script>alert(2)</script><g onclick="alert(3)" fill="url(http://x/y)" id="keep">'
        '<a xlink:href="javascript:alert(4)"><text>link</text></a>'
        '<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">html</div></foreignObject>'
        '<image xlink:href="http://example.com/a.png"/><text style="x" x="1">kept</text></g></svg>'
    )
    keep_drawing_only(hostile)
    left = ET.tostring(hostile, encoding="unicode")
    assert [el.tag.rpartition("}")[2] for el in hostile.iter()] == ["svg", "g", "text"]
    assert "alert" not in left and "http://x" not in left and "style" not in left
    assert "kept" in left and 'id="keep"' in left


def test_every_picture_of_a_big_lesson_is_small():
    walk = walk_of(LESSONS["self-attention"].build())  # 192 nodes, 485 KB of SVG whole
    for s in range(0, len(walk.steps), 5):
        svg = picture(walk, s)
        assert len(svg.encode()) < MAX_BYTES, s
        asked = [el for el in tree(svg).iter() if "cr-asked" in (el.get("class") or "")]
        assert asked, s  # the asked node is always in its picture


@pytest.mark.parametrize("step", [-1, 10, 2.0, True, "3"])
def test_a_step_the_walk_does_not_have_is_refused(step):
    walk = walk_of(build())
    with pytest.raises(ValueError, match=r"picture: step must be a step of the walk, 0 to 9"):
        picture(walk, step)
