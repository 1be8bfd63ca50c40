"""Rendering through Graphviz: the numbers in the SVG, stable ids, determinism, escaping,
atomic files in three formats, the lesson's picture, and the advice when dot is missing."""

import os
import pathlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

import viz
from autograd import Value
from demos.lesson02_chain_rule import build  # f = (x + y) z at (-2, 5, -4)
from viz import render

SVG = "{http://www.w3.org/2000/svg}"
ROOT = pathlib.Path(__file__).parents[2]


def chain_rule():
    """f = (x + y) z at x = -2, y = 5, z = -4, after backward()."""
    f = build()
    f.backward()
    return f


def texts(svg, element_id):
    """All text inside the SVG element with this id, joined by spaces."""
    tree = ET.fromstring(svg)
    for element in tree.iter():
        if element.get("id") == element_id:
            return " ".join(t.text for t in element.iter(f"{SVG}text") if t.text)
    raise AssertionError(f"no element with id {element_id!r}")


@pytest.mark.dot
def test_chain_rule_svg_shows_f_the_gradients_and_the_local_derivatives():
    svg = viz.to_svg(viz.draw_dot(chain_rule()))
    assert texts(svg, "v4-data") == "-12"  # f
    assert [texts(svg, f"v{i}-grad") for i in (0, 1, 3)] == ["-4", "-4", "3"]  # x, y, z
    locals_ = [texts(svg, e) for e in ("e2_0", "e2_1", "e4_0", "e4_1")]
    assert locals_ == ["local 1", "local 1", "local -4", "local 3"]


@pytest.mark.dot
def test_svg_ids_are_the_documented_stable_ones():
    svg = viz.to_svg(viz.draw_dot(chain_rule()))
    ids = set(re.findall(r'id="([^"]+)"', svg))
    assert {f"v{i}" for i in range(5)} <= ids and {"o2", "o4", "r2", "r4"} <= ids
    assert {f"v{i}-{w}" for i in range(5) for w in ("data", "grad")} <= ids
    assert not any(i.startswith("a_") for i in ids)  # Graphviz's link prefix is renamed


@pytest.mark.dot
def test_svg_is_byte_identical_across_runs_and_processes():
    first = viz.to_svg(viz.draw_dot(chain_rule()))
    assert viz.to_svg(viz.draw_dot(chain_rule())) == first
    code = (
        "import sys; sys.path.insert(0, 'tests/viz'); import test_render, viz; "
        "sys.stdout.write(viz.to_svg(viz.draw_dot(test_render.chain_rule())))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout == first


@pytest.mark.dot
def test_an_awkward_label_renders_as_written():
    label = 'x<0 & "q" {a|b}'
    x = Value(1.0, label)
    y = x * 2.0
    y.backward()
    svg = viz.to_svg(viz.draw_dot(y))
    assert texts(svg, "v0").split(" data")[0] == label  # parsed back from well-formed XML


@pytest.mark.dot
def test_a_label_with_a_line_break_renders_on_two_lines():
    x = Value(1.0, "two\nlines")
    y = x * 2.0
    y.backward()
    svg = viz.to_svg(viz.draw_dot(y))
    assert texts(svg, "v0").startswith("two lines data")  # two text elements
    assert 'xlink:title="two lines = 1"' in svg  # the tooltip keeps it on one line
    path = " ".join(ET.fromstring(viz.to_svg(viz.draw_path(y, x))).itertext())
    assert "lines): the sum over paths" in path  # a name with a break is bracketed


@pytest.mark.dot
@pytest.mark.parametrize(
    ("suffix", "magic"), [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF")]
)
def test_save_picks_the_format_from_the_suffix(tmp_path, suffix, magic):
    path = tmp_path / "pictures" / f"f{suffix}"  # the folder is made on demand
    assert viz.save(viz.draw_dot(chain_rule()), path) == str(path)
    assert path.read_bytes().startswith(magic)
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind


@pytest.mark.dot
def test_save_replaces_an_existing_file_and_svg_matches_to_svg(tmp_path):
    path = tmp_path / "f.svg"
    path.write_text("old")
    g = viz.draw_dot(chain_rule())
    viz.save(g, path)
    assert path.read_text(encoding="utf-8") == viz.to_svg(g)


def test_save_refuses_an_unknown_suffix_before_running_anything(tmp_path):
    with pytest.raises(
        ValueError, match=r"save: cannot tell the format of '.*f\.gif'; .*\.svg, \.png, \.pdf"
    ):
        viz.save(viz.draw_dot(chain_rule()), tmp_path / "f.gif")
    assert list(tmp_path.iterdir()) == []


def test_rendering_something_that_is_not_a_graph_is_a_type_error():
    with pytest.raises(TypeError, match="to_svg: expected a graph from viz.draw_dot"):
        viz.to_svg("digraph { a }")


@pytest.mark.dot
def test_dot_failing_is_reported_with_its_message():
    class Broken:
        source = "digraph { a -> }"

    with pytest.raises(RuntimeError, match=r"to_svg: dot failed \(exit code \d+\): .*syntax"):
        viz.to_svg(Broken())


def test_missing_dot_says_how_to_install_it_and_where_the_source_is(monkeypatch, tmp_path):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    g = viz.draw_dot(chain_rule())
    with pytest.raises(viz.GraphvizNotFoundError) as err:
        viz.save(g, tmp_path / "f.svg")
    assert isinstance(err.value, RuntimeError)
    message = str(err.value)
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install", "winget"):
        assert hint in message
    assert "graph.source" in message and "to_text" in message
    assert g.source.startswith("digraph")  # still there without Graphviz
    assert list(tmp_path.iterdir()) == []


@pytest.mark.dot
def test_the_chain_rule_lesson_writes_its_graph_svg(tmp_path):
    from demos.lesson02_chain_rule import LESSON

    LESSON(out=str(tmp_path), plots=False, echo=lambda text: None)
    svg = (tmp_path / "graph.svg").read_text(encoding="utf-8")
    assert texts(svg, "v4-data") == "-12" and texts(svg, "v3-grad") == "3"


@pytest.mark.dot
def test_path_view_renders_its_sum(tmp_path):
    a, b = Value(3.0, "a"), Value(2.0, "b")
    d = a * b + a
    d.label = "d"
    d.backward()
    svg = viz.to_svg(viz.draw_path(d, a))
    assert "sum over 2 paths: 2 + 1 = 3" in " ".join(ET.fromstring(svg).itertext())


@pytest.mark.dot
def test_a_big_mlp_renders_whole_and_folded():
    import random

    import nn

    random.seed(0)
    model = nn.MLP(2, [16, 16, 1])
    loss = (model([Value(0.5, "x0"), Value(-1.2, "x1")]) - 1.0) ** 2
    loss.backward()
    whole = viz.to_svg(viz.draw_dot(loss, params=model))
    folded = viz.to_svg(viz.draw_dot(loss, params=model, collapse=True))
    assert whole.count('class="node"') > 1000
    assert 30 < folded.count('class="node"') < 50
