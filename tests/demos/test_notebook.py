"""The classroom notebook runs clean: every code cell in order, in one namespace, as in Jupyter."""

import ast
import json
import pathlib
import shutil

import pytest

NOTEBOOK = pathlib.Path(__file__).parents[2] / "demos" / "classroom.ipynb"


def cells():
    """The notebook's code cells, as source text, after checking it is nbformat 4."""
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4
    return ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]


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
    """What Jupyter would do with a cell's value: render graphs (where dot exists) and pages."""
    if hasattr(value, "_repr_html_"):
        html = value._repr_html_()
        assert "<iframe" in html
    elif hasattr(value, "pipe") and shutil.which("dot"):  # a graphviz.Digraph
        assert value.pipe(format="svg").lstrip().startswith(b"<?xml")


@pytest.mark.dot  # the player page embeds dot's layout
def test_every_code_cell_runs_in_order_and_its_checks_hold(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the notebook writes under out/ where it runs
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": "__main__"}
    shown = []
    for i, source in enumerate(cells()):
        value = run_cell(source, namespace, f"classroom.ipynb cell {i}")
        if value is not None:
            show(value)
            shown.append(type(value).__name__)
    assert (tmp_path / "out" / "chain-rule.html").exists()
    assert "Digraph" in shown and "Player" in shown
    assert namespace["accuracy"] >= 0.95  # the moons network learned


def test_the_notebook_walks_lessons_one_to_four_and_nine():
    text = NOTEBOOK.read_text(encoding="utf-8")
    for heading in ("## 1. The car tax", "## 2. f = (x + y) z", "## 3. Part lifetime"):
        assert heading in text
    assert "## 4. The two-layer formulas" in text and "## 9. Two moons" in text


def test_no_cell_keeps_stale_outputs():
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert all(not c.get("outputs") for c in notebook["cells"] if c["cell_type"] == "code")
