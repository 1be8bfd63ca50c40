"""The README's teaching section stays true: its example runs, its pictures exist and parse."""

import ast
import pathlib
import re
import xml.etree.ElementTree as ET

import pytest

import autograd
from demos import cli

ROOT = pathlib.Path(__file__).parents[2]


def teaching_section():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Teaching with chainrule")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def first_code(heading):
    """The first Python block after `heading` in README.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text[text.index(heading) :].split("```python\n", 1)[1].split("```", 1)[0]


@pytest.mark.render  # it saves an SVG
def test_the_five_line_example_runs_and_writes_its_two_files(tmp_path, monkeypatch):
    code = first_code("## Teaching with chainrule")
    assert len(code.strip().splitlines()) == 5
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "README example", "exec"), namespace)
    assert namespace["y"].grad == 1.0 and namespace["a"].grad != 0.0
    assert (tmp_path / "out" / "mine.html").exists()


def test_the_table_names_every_lesson_with_its_command():
    section = teaching_section()
    for name in cli.LESSONS:
        assert f"`chainrule run {name}`" in section


def test_every_picture_the_section_shows_is_in_docs_and_parses():
    pictures = re.findall(r"!\[[^\]]+\]\((docs/[^)]+)\)", teaching_section())
    assert len(pictures) >= 2
    for picture in pictures:
        data = (ROOT / picture).read_bytes()
        if picture.endswith(".svg"):
            assert ET.fromstring(data).tag.endswith("svg")
        else:
            assert data.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.render  # it saves an SVG
def test_the_beyond_the_mlp_example_runs_and_draws_the_block_folded_by_part(tmp_path, monkeypatch):
    code = first_code("## Beyond the MLP")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "README example", "exec"), namespace)
    tokens, block = namespace["tokens"], namespace["block"]
    assert all(v.grad != 0.0 for token in tokens for v in token)  # every input feels the loss
    svg = (tmp_path / "block.svg").read_text(encoding="utf-8")
    for part in ("norm1", "attention", "norm2", "ff"):
        assert f">{part}<" in svg  # a folded box per part of the block
    kinds = {type(m).__name__ for m in block.modules()}  # the block is made of the named layers
    assert {"MultiHeadAttention", "LayerNorm", "Residual"} <= kinds


def test_the_hessian_the_readme_quotes_is_what_hessian_gives():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    call = re.search(r"`(hessian\(lambda [^`]+)`", text).group(1)
    h = eval(call, {"hessian": autograd.hessian})  # the README's own line, as a reader types it
    quoted = re.search(r"is\s+(\[\[[^\]]+\], \[[^\]]+\]\])", text).group(1)
    assert h.tolist() == ast.literal_eval(quoted)  # [[402, -400], [-400, 200]]


@pytest.mark.torch
def test_the_pytorch_example_runs_saves_the_recipe_and_compares_the_gradients(
    tmp_path, monkeypatch, capsys
):
    import nn

    code = first_code("## From chainrule to PyTorch")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "README example", "exec"), namespace)
    table = capsys.readouterr().out.strip().splitlines()
    assert table[0] == "# ∂f/∂leaf, from chainrule and from torch.autograd"
    assert table[-1].startswith("largest difference: ")
    assert float(table[-1].split(": ")[1]) < 1e-15
    model, twin = namespace["model"], namespace["twin"]
    rebuilt = nn.load_model(tmp_path / "moons.json")  # the file alone rebuilds the network
    X = namespace["X"][:5].tolist()  # five points, each a list of its two features
    assert [rebuilt(x).data for x in X] == [model(x).data for x in X]
    import torch

    out = twin(torch.tensor(X, dtype=torch.float64)).detach().reshape(-1).tolist()
    assert out == pytest.approx([model(x).data for x in X], abs=1e-12)
