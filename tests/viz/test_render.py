"""Rendering: the numbers in the SVG, stable ids, determinism, escaping, atomic files in three
formats, the lesson's picture, and the advice when a program is missing.

Most tests run once per layout program (the `program` fixture): Graphviz's own dot where the
system has it, and graphviz-pure, which pip installs. Others hide dot from PATH, as on a lab PC
where nobody could install it."""

import os
import pathlib
import re
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET

import pytest

import viz
from autograd import Value
from demos.lesson02_chain_rule import build  # f = (x + y) z at (-2, 5, -4)
from viz import render

SVG = "{http://www.w3.org/2000/svg}"
ROOT = pathlib.Path(__file__).parents[2]


@pytest.fixture(
    params=[pytest.param("dot", marks=pytest.mark.system_dot), "graphviz-pure"],
)
def program(request):
    """Draw with this layout program for the test, then put the choice back."""
    previous = render.set_renderer(request.param)
    yield request.param
    render.set_renderer(previous)


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


@pytest.mark.render
def test_chain_rule_svg_shows_f_the_gradients_and_the_local_derivatives(program):
    svg = viz.to_svg(viz.draw_dot(chain_rule()))
    assert texts(svg, "v4-data") == "-12"  # f
    assert [texts(svg, f"v{i}-grad") for i in (0, 1, 3)] == ["-4", "-4", "3"]  # x, y, z
    locals_ = [texts(svg, e) for e in ("e2_0", "e2_1", "e4_0", "e4_1")]
    assert locals_ == ["local 1", "local 1", "local -4", "local 3"]


@pytest.mark.render
def test_svg_ids_are_the_documented_stable_ones(program):
    svg = viz.to_svg(viz.draw_dot(chain_rule()))
    ids = set(re.findall(r'id="([^"]+)"', svg))
    assert {f"v{i}" for i in range(5)} <= ids and {"o2", "o4", "r2", "r4"} <= ids
    assert {f"v{i}-{w}" for i in range(5) for w in ("data", "grad")} <= ids
    assert not any(i.startswith("a_") for i in ids)  # Graphviz's link prefix is renamed


@pytest.mark.render
def test_svg_is_byte_identical_across_runs_and_processes(program):
    first = viz.to_svg(viz.draw_dot(chain_rule()))
    assert viz.to_svg(viz.draw_dot(chain_rule())) == first
    code = (
        "import sys; sys.path.insert(0, 'tests/viz'); import test_render, viz; "
        "sys.stdout.write(viz.to_svg(viz.draw_dot(test_render.chain_rule())))"
    )
    env = dict(os.environ, CHAINRULE_RENDERER=program)  # the other process draws with it too
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, env=env
    )
    assert out.stdout == first
    assert ("graphviz-pure" in first) == (program == "graphviz-pure")  # it said who drew it


@pytest.mark.render
def test_an_awkward_label_renders_as_written(program):
    label = 'x<0 & "q" {a|b}'
    x = Value(1.0, label)
    y = x * 2.0
    y.backward()
    svg = viz.to_svg(viz.draw_dot(y))
    assert texts(svg, "v0").split(" data")[0] == label  # parsed back from well-formed XML


@pytest.mark.render
def test_a_label_with_a_line_break_renders_on_two_lines(program):
    x = Value(1.0, "two\nlines")
    y = x * 2.0
    y.backward()
    svg = viz.to_svg(viz.draw_dot(y))
    assert texts(svg, "v0").startswith("two lines data")  # two text elements
    assert 'xlink:title="two lines = 1"' in svg  # the tooltip keeps it on one line
    path = " ".join(ET.fromstring(viz.to_svg(viz.draw_path(y, x))).itertext())
    assert "lines): the sum over paths" in path  # a name with a break is bracketed


@pytest.mark.render
@pytest.mark.parametrize(
    ("suffix", "magic"),
    [
        (".svg", b"<?xml"),
        (".png", b"\x89PNG"),
        pytest.param(".pdf", b"%PDF", marks=pytest.mark.system_dot),
    ],
)
def test_save_picks_the_format_from_the_suffix(tmp_path, suffix, magic):
    path = tmp_path / "pictures" / f"f{suffix}"  # the folder is made on demand
    assert viz.save(viz.draw_dot(chain_rule()), path) == str(path)
    assert path.read_bytes().startswith(magic)
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind


@pytest.mark.render
def test_save_replaces_an_existing_file_and_svg_matches_to_svg(tmp_path, program):
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


@pytest.mark.render
def test_dot_failing_is_reported_with_its_message(program):
    class Broken:
        source = "digraph { a -> }"

    failed = rf"to_svg: {program} failed \(exit code \d+\): .*syntax"
    with pytest.raises(RuntimeError, match=failed):
        viz.to_svg(Broken())


def test_no_program_at_all_says_how_to_install_one_and_where_the_source_is(monkeypatch, tmp_path):
    monkeypatch.setattr(render, "find", lambda name: None)
    g = viz.draw_dot(chain_rule())
    with pytest.raises(viz.GraphvizNotFoundError) as err:
        viz.save(g, tmp_path / "f.svg")
    assert isinstance(err.value, RuntimeError)
    message = str(err.value)
    assert "pip install graphviz-pure" in message
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install", "winget"):
        assert hint in message
    assert "graph.source" in message and "to_text" in message
    assert g.source.startswith("digraph")  # still there without Graphviz
    assert list(tmp_path.iterdir()) == []


@pytest.mark.render
def test_the_chain_rule_lesson_writes_its_graph_svg(tmp_path, program):
    from demos.lesson02_chain_rule import LESSON

    LESSON(out=str(tmp_path), plots=False, echo=lambda text: None)
    svg = (tmp_path / "graph.svg").read_text(encoding="utf-8")
    assert texts(svg, "v4-data") == "-12" and texts(svg, "v3-grad") == "3"


@pytest.mark.render
def test_path_view_renders_its_sum(tmp_path, program):
    a, b = Value(3.0, "a"), Value(2.0, "b")
    d = a * b + a
    d.label = "d"
    d.backward()
    svg = viz.to_svg(viz.draw_path(d, a))
    assert "sum over 2 paths: 2 + 1 = 3" in " ".join(ET.fromstring(svg).itertext())


@pytest.mark.render
def test_a_big_mlp_renders_whole_and_folded(program):
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


# --- Without the system's dot: a lab PC where nobody could install Graphviz ---------------


@pytest.fixture
def no_system_dot(monkeypatch, tmp_path):
    """PATH without Graphviz's dot (an empty folder): graphviz-pure must be found by itself,
    beside this Python, as in a virtual environment nobody activated."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv(render.ENVIRONMENT, raising=False)
    previous = render.set_renderer("auto")
    yield
    render.set_renderer(previous)


@pytest.mark.render
def test_without_dot_graphviz_pure_draws_the_svg_with_the_players_ids(no_system_dot):
    assert render.renderer().name == "graphviz-pure"
    svg = viz.to_svg(viz.draw_dot(chain_rule()))
    assert "graphviz-pure" in svg
    assert texts(svg, "v4-data") == "-12" and texts(svg, "v0-grad") == "-4"


@pytest.mark.render
def test_without_dot_png_works_and_pdf_says_it_needs_graphviz(no_system_dot, tmp_path):
    g = viz.draw_dot(chain_rule())
    assert viz.save(g, tmp_path / "f.png") and (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(viz.GraphvizNotFoundError) as err:
        viz.save(g, tmp_path / "f.pdf")
    message = str(err.value)
    assert message.startswith("save: PDF needs Graphviz's own `dot` program")
    assert "SVG and PNG only" in message and "apt-get install graphviz" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty-path", "f.png"]


@pytest.mark.render
def test_without_dot_the_graph_still_shows_in_jupyter_and_renders(no_system_dot, tmp_path):
    g = viz.draw_dot(chain_rule())
    bundle = g._repr_mimebundle_()  # what Jupyter calls to show a cell's graph
    assert texts(bundle["image/svg+xml"], "v4-data") == "-12"
    assert g.pipe(format="png")[:4] == b"\x89PNG"
    path = g.render(tmp_path / "f", format="svg")  # graphviz's own habit: f and f.svg
    assert path == str(tmp_path / "f.svg") and (tmp_path / "f").read_text() == g.source
    with pytest.raises(ValueError, match="pipe: chainrule draws svg, png, pdf, not 'gif'"):
        g.pipe(format="gif")


@pytest.mark.render
def test_a_chinese_label_in_a_png_from_graphviz_pure_is_warned_about(program):
    y = Value(2.0, "损失") * 3.0
    y.backward()
    g = viz.draw_dot(y)
    if program == "graphviz-pure":
        with pytest.warns(UserWarning, match="no Chinese, Japanese or Korean glyphs"):
            g.pipe(format="png")
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            g.pipe(format="png")
    assert "损失" in viz.to_svg(g)  # SVG keeps the text: the browser draws it


def test_an_unknown_renderer_is_refused_by_name(monkeypatch):
    with pytest.raises(ValueError, match=r"set_renderer: unknown renderer 'neato'; choose one"):
        render.set_renderer("neato")
    monkeypatch.setenv(render.ENVIRONMENT, "cairo")
    with pytest.raises(ValueError, match=r"CHAINRULE_RENDERER='cairo' is not a renderer"):
        viz.to_svg(viz.draw_dot(chain_rule()))


def test_forcing_a_program_that_is_missing_is_an_error_at_once(monkeypatch):
    monkeypatch.setattr(render, "find", lambda name: None)
    with pytest.raises(viz.GraphvizNotFoundError, match="set_renderer: 'dot' is not installed"):
        render.set_renderer("dot")
    assert render.choice() in ("auto", *render.RENDERERS)  # unchanged


@pytest.mark.render
def test_the_environment_variable_forces_graphviz_pure_even_beside_dot(monkeypatch, tmp_path):
    monkeypatch.setenv(render.ENVIRONMENT, "graphviz-pure")
    assert render.renderer().name == "graphviz-pure"
    with pytest.raises(viz.GraphvizNotFoundError, match="set by CHAINRULE_RENDERER"):
        viz.save(viz.draw_dot(chain_rule()), tmp_path / "f.pdf")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.render
def test_the_lesson_runs_from_the_command_line_with_no_dot_on_path(tmp_path):
    """`chainrule run chain-rule` as a student types it, with PATH holding only the venv."""
    bin_dir = pathlib.Path(sys.executable).parent
    env = dict(os.environ, PATH=str(bin_dir))
    env.pop(render.ENVIRONMENT, None)
    out = tmp_path / "lesson"
    done = subprocess.run(
        [str(bin_dir / "chainrule"), "run", "chain-rule", "--out", str(out), "--no-plots"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "missing" not in done.stdout
    svg = (out / "graph.svg").read_text(encoding="utf-8")
    assert "graphviz-pure" in svg and texts(svg, "v4-data") == "-12"
    page = (out / "backprop.html").read_text(encoding="utf-8")
    assert 'id="v4-data"' in page
