"""The benchmark summary: a section that could not run keeps its rows, each with the reason,
so a short table is never read as a complete one (numbers themselves are never tested)."""

import importlib

import pytest

from benchmarks import __main__ as bench
from benchmarks import render, renderers
from viz import render as rendering


def rows_for(lines, benchmark):
    return [line for line in lines if line.startswith(benchmark)]


def test_a_section_whose_package_is_missing_lists_every_row_with_the_reason(capsys):
    results, reported = {}, []
    missing = lambda: importlib.import_module("chainrule_no_such_package")  # noqa: E731
    bench.section(results, "batched", missing, reported.append)
    reason = "chainrule_no_such_package is not installed (pip install 'chainrule[bench]')"
    assert results == {"skipped": {"batched": reason}}
    assert reported == []
    assert capsys.readouterr().out == f"skipped: {reason}\n"
    lines = bench.summary(results)
    batched = rows_for(lines, "moons step, batched")
    assert len(batched) == 4
    assert all(line.endswith(f"skipped: {reason}") for line in batched)
    assert any("PyTorch" in line for line in batched)


def test_no_layout_program_skips_the_picture_rows_and_says_how_to_get_one(monkeypatch):
    monkeypatch.setattr(rendering, "find", lambda name: None)  # as on a machine with neither
    results = {}
    bench.section(results, "render", render.run, render.report)
    bench.section(results, "renderers", renderers.run, renderers.report)
    lines = bench.summary(results)
    mlp = rows_for(lines, "MLP(2,[16,16,1]) to SVG, ")
    assert len(mlp) == 4  # whole and collapsed from render, then one per renderer
    assert "neither Graphviz's dot nor graphviz-pure is installed" in mlp[0]
    assert "dot and graphviz-pure are not installed" in mlp[-1]
    assert all("(pip install graphviz-pure, or install Graphviz)" in line for line in mlp)
    assert len(rows_for(lines, "lesson pictures, graphviz-pure")) == 1


def test_the_comparison_names_the_one_renderer_that_is_missing(monkeypatch):
    found = rendering.find
    monkeypatch.setattr(rendering, "find", lambda name: None if name == "dot" else found(name))
    assert renderers.missing() == "comparing renderers needs both: dot is not installed"
    with pytest.raises(rendering.GraphvizNotFoundError, match="dot is not installed"):
        renderers.run()


@pytest.mark.render
def test_the_picture_rows_say_which_renderer_drew_them():
    results = {}
    bench.section(results, "render", lambda: render.run(repeats=1), render.report)
    program = rendering.renderer()
    assert (results["render"]["renderer"], results["render"]["version"]) == (
        program.name,
        program.version,
    )
    whole = rows_for(bench.summary(results), "MLP(2,[16,16,1]) to SVG, whole")
    assert len(whole) == 1
    assert whole[0].endswith(f"boxes, {program.name} {program.version}")
    assert "skipped" not in whole[0]
