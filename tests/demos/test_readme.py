"""The README's teaching section stays true: its example runs, its pictures exist and parse."""

import pathlib
import re
import xml.etree.ElementTree as ET

import pytest

from demos import cli

ROOT = pathlib.Path(__file__).parents[2]


def teaching_section():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Teaching with chainrule")
    end = text.index("\n## ", start + 1)
    return text[start:end]


@pytest.mark.render  # it saves an SVG
def test_the_five_line_example_runs_and_writes_its_two_files(tmp_path, monkeypatch):
    section = teaching_section()
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
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
