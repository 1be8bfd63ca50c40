"""The classroom notebook runs clean: every code cell in order, in one namespace, and for real
in a Jupyter kernel with no system dot. Its sections are numbered 1, 2, 3, ... and its files
go to the repository's out/classroom, whichever folder Jupyter runs it in.

The tests set CHAINRULE_OUT (see demos.common.out_dir) so they write to a temporary folder,
never into the real out/."""

import ast
import importlib.util
import json
import os
import pathlib
import re
import shutil
import sys
import xml.etree.ElementTree as ET

import pytest

from demos.common import out_dir

ROOT = pathlib.Path(__file__).parents[2]
NOTEBOOK = ROOT / "demos" / "classroom.ipynb"
SVG = "{http://www.w3.org/2000/svg}"


def read_notebook():
    """The notebook as JSON, after checking it is nbformat 4."""
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4
    return notebook


def cells(kind="code"):
    """The notebook's cells of one kind ("code" or "markdown"), as source text."""
    return ["".join(c["source"]) for c in read_notebook()["cells"] if c["cell_type"] == kind]


def headings():
    """The section headings (## lines) of the markdown cells, in order."""
    return [line for text in cells("markdown") for line in text.splitlines() if line[:3] == "## "]


def texts(svg, element_id):
    """All text inside the SVG element with this id, joined by spaces (as test_render reads)."""
    for element in ET.fromstring(svg).iter():
        if element.get("id") == element_id:
            return " ".join(t.text for t in element.iter(f"{SVG}text") if t.text)
    raise AssertionError(f"no element with id {element_id!r}")


def run_cell(source, namespace, name):
    """Run a cell; like Jupyter, give back the value of a final bare expression (else None)."""
    tree = ast.parse(source, name)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body.pop()
    exec(compile(tree, name, "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), name, "eval"), namespace)


def show(value):
    """What Jupyter would do with a cell's value: draw graphs (Picture.pipe) and embed pages."""
    if hasattr(value, "_repr_html_"):
        assert "<iframe" in value._repr_html_()
    elif hasattr(value, "pipe"):  # a viz Picture: drawn by dot or graphviz-pure
        assert value.pipe(format="svg").lstrip().startswith(b"<?xml")


@pytest.mark.render  # graphs and the player page need a layout program
def test_every_code_cell_runs_in_order_and_its_checks_hold(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # so a file written to the current folder would show
    monkeypatch.setenv("CHAINRULE_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": "__main__"}
    shown = []
    for i, source in enumerate(cells()):
        value = run_cell(source, namespace, f"classroom.ipynb cell {i}")
        if value is not None:
            show(value)
            shown.append(type(value).__name__)
    assert "Picture" in shown and "Player" in shown
    assert namespace["accuracy"] >= 0.95  # the moons network learned
    assert os.listdir(tmp_path) == ["out"]
    written = sorted(os.listdir(tmp_path / "out" / "classroom"))
    assert written == ["chain-rule.html", "chain-rule.svg"]


def test_its_sections_are_numbered_one_to_n_in_order():
    found = headings()
    numbers = [re.match(r"## (\d+)\. \S", heading) for heading in found]
    assert all(numbers), f"a section without a number: {found}"
    assert [int(n.group(1)) for n in numbers] == list(range(1, len(found) + 1)), found


def test_the_notebook_walks_lessons_one_to_four_and_nine():
    found = headings()
    for start in (
        "## 1. The car tax",
        "## 2. f = (x + y) z",
        "## 3. Part lifetime",
        "## 4. The two-layer formulas",
        "## 5. Two moons: micrograd's demo (lesson 9",
    ):
        assert any(h.startswith(start) for h in found), (start, found)


def test_no_cell_keeps_stale_outputs():
    notebook = read_notebook()
    assert all(not c.get("outputs") for c in notebook["cells"] if c["cell_type"] == "code")


def test_in_a_checkout_files_go_to_the_repositorys_out_wherever_it_runs(tmp_path, monkeypatch):
    monkeypatch.delenv("CHAINRULE_OUT", raising=False)
    monkeypatch.chdir(ROOT / "demos")  # where Jupyter runs the notebook's kernel
    assert out_dir("classroom") == ROOT.resolve() / "out" / "classroom"
    monkeypatch.chdir(tmp_path)
    assert out_dir("classroom") == ROOT.resolve() / "out" / "classroom"
    assert list(tmp_path.iterdir()) == []  # only a path: the first file written makes it


def test_installed_from_a_wheel_files_go_to_out_in_the_current_folder(tmp_path, monkeypatch):
    """demos/common.py as a wheel installs it: in site-packages, with no pyproject.toml above."""
    installed = tmp_path / "site-packages" / "demos" / "common.py"
    installed.parent.mkdir(parents=True)
    shutil.copy(ROOT / "demos" / "common.py", installed)
    spec = importlib.util.spec_from_file_location("installed_common", installed)
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)
    monkeypatch.delenv("CHAINRULE_OUT", raising=False)
    monkeypatch.chdir(tmp_path)
    assert common.out_dir("classroom") == tmp_path.resolve() / "out" / "classroom"


@pytest.mark.notebook
@pytest.mark.render
def test_the_notebook_runs_in_a_jupyter_kernel_without_the_system_dot(tmp_path, execute_in_kernel):
    """As `jupyter nbconvert --execute` runs it: a python3 kernel started in demos/."""
    import nbformat

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.executable)"))
    execute_in_kernel(notebook, NOTEBOOK.parent, tmp_path)  # the kernel's cwd: demos/

    def outputs(fragment):
        (cell,) = [c for c in notebook.cells if c.cell_type == "code" and fragment in c.source]
        return cell.outputs

    every = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert [o.ename for o in every if o.output_type == "error"] == []
    assert outputs("print(sys.executable)")[0].text.strip() == sys.executable  # this venv

    (shown,) = [o for o in outputs("graph = viz.draw_dot(f)") if o.output_type == "execute_result"]
    svg = shown.data["image/svg+xml"]
    assert "graphviz-pure" in svg
    assert texts(svg, "v4-data") == "-12"  # f
    assert [texts(svg, f"v{i}-grad") for i in (0, 1, 3)] == ["-4", "-4", "3"]  # x, y, z
    (player,) = [o for o in outputs("viz.backprop_html(f") if o.output_type == "execute_result"]
    assert player.data["text/html"].startswith("<iframe srcdoc=")

    folder = tmp_path / "out" / "classroom"
    assert sorted(os.listdir(folder)) == ["chain-rule.html", "chain-rule.svg"]
    assert (folder / "chain-rule.svg").read_text(encoding="utf-8") == svg  # the picture shown
    assert 'id="v4-data"' in (folder / "chain-rule.html").read_text(encoding="utf-8")
