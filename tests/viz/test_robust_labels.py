"""Issue 12, items 10, 11 and 13: hostile labels and scope names on every text target.

A label reaches a terminal (to_text, step_terminal), plain text (narrate), Graphviz (every
picture) and the player page. Each shows it as typed: what a terminal or dot would act on
is written as a visible escape, Graphviz's own backslash escapes never fire, and what no
tool can take (a label that is no string, one too long for dot) is refused before dot runs.
"""

import io
import json
import re
import xml.etree.ElementTree as ET

import pytest

import autograd
import viz
from autograd import Value
from viz import render
from viz.format import HIDDEN

SVG = "{http://www.w3.org/2000/svg}"
# What each label would do unescaped: clear the screen, hide a link, ring, cut the text,
# return the cursor, open a CSI (C1), reverse the line, break it (U+2028), break the table.
HOSTILE = {
    "\x1b[2Jclear": "\\x1b[2Jclear",
    "\x1b]8;;https://x.example\x1b\\link\x1b]8;;\x1b\\": (
        "\\x1b]8;;https://x.example\\x1b\\link\\x1b]8;;\\x1b\\"
    ),
    "bell\x07": "bell\\x07",
    "nul\x00cut": "nul\\x00cut",
    "over\rwrite": "over\\rwrite",
    "csi\x9b31m": "csi\\x9b31m",
    "\u202eabc": "\\u202eabc",
    "two\u2028lines": "two\\u2028lines",
    "new\nline": "new\\nline",
    "non\ufffechar": "non\\ufffechar",
    "lone\ud800": "lone\\ud800",
}
PLAIN = ["∂", "σ", "总价"]  # ordinary Unicode stays exactly as it is


def hostile_graph():
    """One leaf per hostile label (and the plain ones) summed, with a hostile scope."""
    leaves = [Value(float(k + 1), label) for k, label in enumerate([*HOSTILE, *PLAIN])]
    with autograd.scope("\x1b[31mred"):
        total = leaves[0] + leaves[1]
    for leaf in leaves[2:]:
        total = total + leaf
    total.label = "total\x1b[0m"
    total.backward()
    return total


def no_hidden(text, allowed="\n"):
    """Whether `text` holds no character a terminal or dot would act on (but `allowed`)."""
    return not any(c not in allowed for c in HIDDEN.findall(text))


def test_to_text_shows_every_hostile_label_escaped_one_row_per_node():
    root = hostile_graph()
    text = viz.to_text(root)
    assert no_hidden(text)
    for shown in [*HOSTILE.values(), *PLAIN, "\\x1b[31mred", "total\\x1b[0m"]:
        assert shown in text
    lines = text.splitlines()
    rows = len(autograd.topological_order(root))
    assert len(lines) == 2 + rows  # the summary, the header, one line per node
    assert all(re.match(r"v\d+ ", line) for line in lines[2:])  # no label broke a row
    text.encode("utf-8")  # a lone surrogate would make this raise


def test_step_terminal_writes_no_escape_sequence_but_its_own_colours():
    out = io.StringIO()
    viz.step_terminal(hostile_graph(), pause=False, out=out, color=True)
    text = out.getvalue()
    ours = re.sub(r"\x1b\[[0-9;]*m", "", text)  # the stepper's own SGR colour codes
    assert no_hidden(ours)
    assert "\\x1b[2Jclear" in text and "\\u202eabc" in text and "总价" in text
    assert "(in \\x1b[31mred)" in text  # an unlabelled node says where it sits


def test_narrate_text_and_latex_show_hostile_labels_escaped():
    root = hostile_graph()
    for label, shown in HOSTILE.items():
        node = next(n for n in autograd.topological_order(root) if n.label == label)
        said = viz.narrate(root, node)
        assert no_hidden(said.text()) and shown in said.text()
        assert no_hidden(said.latex(), allowed="")
    lines = viz.narrate(root, "总价").text().splitlines()
    assert lines[0].startswith("∂(total\\x1b[0m)/∂总价 = ∂(total\\x1b[0m)/∂(total\\x1b[0m)")
    assert lines[-1] == "local ∂(v24 + 总价)/∂总价 = 1"


def test_the_player_page_holds_no_hidden_character(tmp_path):
    page = viz.backprop_html(hostile_graph()).html
    assert no_hidden(page, allowed="\n\t")
    names = json.loads(re.search(r'id="cr-data">(.*?)</script>', page, re.S).group(1))
    assert "\\x1b[2Jclear" in [node["name"] for node in names["nodes"]]
    titled = viz.backprop_html(Value(1.0, "x"), title="bell\x07 title").html
    assert no_hidden(titled, allowed="\n\t") and "<title>bell\\x07 title</title>" in titled


def test_a_label_that_is_not_a_string_is_refused_when_made():
    with pytest.raises(TypeError, match=r"Value: label must be a string, got int 5"):
        Value(1.0, 5)


def test_a_label_set_by_hand_to_a_number_is_refused_by_name_before_drawing():
    x = Value(2.0, "x")
    y = x * x
    x.label = 5
    for call, where in [(viz.to_text, "to_text"), (viz.draw_dot, "draw_dot")]:
        with pytest.raises(TypeError, match=rf"{where}: v0 has label 5 .*must be strings"):
            call(y)


def test_a_label_too_long_for_dot_is_refused_before_dot_runs():
    x = Value(2.0, "a" * 16384)
    y = x * x
    with pytest.raises(ValueError, match=r"draw_dot: the box of v0 would take .* bytes"):
        viz.draw_dot(y)  # building the Digraph, before any dot
    assert "a" * 16384 in viz.to_text(y)  # the text tape takes any label


def svg_texts(svg):
    """Every piece of text in an SVG: <text> contents and link tooltips, in order."""
    tree = ET.fromstring(svg)
    found = []
    for el in tree.iter():
        if el.tag == f"{SVG}text" and el.text:
            found.append(el.text)
        title = el.get("{http://www.w3.org/1999/xlink}title")
        if title:
            found.append(title)
    return found


GRAPHVIZ_ESCAPES = ["a\\Gb", "a\\Nb", "C:\\Names", "\\L", "\\E\\T\\H", "two\\\\", "<b>&amp;'\""]


@pytest.mark.render
def test_graphviz_shows_labels_exactly_as_written_in_boxes_tooltips_and_frames():
    leaves = [Value(float(k + 1), label) for k, label in enumerate(GRAPHVIZ_ESCAPES)]
    with autograd.scope("C:\\Nodes"):
        total = leaves[0] * leaves[1]
    for leaf in leaves[2:]:
        total = total + leaf
    total.label = "\\G total"
    total.backward()
    texts = svg_texts(render.to_svg(viz.draw_dot(total, title="\\N title")))
    for label in [*GRAPHVIZ_ESCAPES, "\\G total", "\\N title", "C:\\Nodes"]:
        assert label in texts  # a box's name, the title, the frame of the scope
    assert "a\\Gb = 1" in texts and "∂(\\G total)/∂(C:\\Names) = 1" in texts  # tooltips
    assert not any("chainrule" in t or "<TABLE" in t for t in texts)  # \G, \L never expanded


@pytest.mark.render
def test_hostile_labels_render_visibly_escaped_in_svg_and_a_path_picture():
    root = hostile_graph()
    texts = svg_texts(render.to_svg(viz.draw_dot(root)))
    for shown in [*HOSTILE.values(), *PLAIN]:
        if shown != "new\\nline":
            assert shown in texts
    assert ["new", "line"] == texts[texts.index("new") : texts.index("new") + 2]  # <BR/>
    x = next(n for n in autograd.topological_order(root) if n.label == "bell\x07")
    path_texts = " ".join(svg_texts(render.to_svg(viz.draw_path(root, x))))
    assert "bell\\x07" in path_texts and no_hidden(path_texts, allowed="")


@pytest.mark.render
def test_backprop_frames_show_labels_as_written(tmp_path):
    x = Value(2.0, "a\\Gb\x1b[2J")
    y = x * Value(3.0, "C:\\Names")
    y.label = "\\N"
    first = viz.backprop_frames(y, tmp_path, phase="backward")[0]
    texts = " ".join(svg_texts(open(first, encoding="utf-8").read()))
    assert "a\\Gb\\x1b[2J" in texts and "C:\\Names" in texts and "∂(\\N)" in texts
    assert "chainrule" not in texts


@pytest.mark.render
def test_a_scope_named_dot_draws_folds_and_plays():
    with autograd.scope("."):
        a = Value(1.0, "a")
        b = a * a
    b.backward()
    for collapse in (False, True, 1):
        assert "<svg" in render.to_svg(viz.draw_dot(b, collapse=collapse))
    assert "<svg" in viz.backprop_html(b).html


def test_a_path_of_3500_edges_is_found_and_its_picture_refused_by_size_before_dot():
    x = Value(1.0, "x")
    h = x
    for _ in range(3500):
        h = h * 1.0
    h.backward()
    (path,) = viz.find_paths(h, x)
    assert len(path.edges) == 3500 and path.product == 1.0
    with pytest.raises(
        ValueError, match=r"draw_path: the picture would have 3501 boxes.*max_nodes="
    ):
        viz.draw_path(h, x)
    source = viz.draw_path(h, x, max_nodes=None).source  # the arithmetic fits one label
    assert "the product of its 3500 local derivatives = 1" in source


def test_a_root_that_is_a_single_leaf_is_told_and_played():
    x = Value(2.0, "x")
    x.backward()
    out = io.StringIO()
    assert viz.step_terminal(x, pause=False, out=out) == 1
    assert "x = 2  (the output)" in out.getvalue()
    assert viz.narrate(x, x).text().startswith("∂x/∂x = 1")
    assert "∂x/∂x" in viz.backprop_html(x).html
