"""The classroom notebook in Chinese (demos/classroom.zh-CN.ipynb): it runs clean as the English
one does, what it shows is Chinese (printed lines, pictures, the player page, the plot), its
prose keeps no English sentence, and its code does what the English notebook's does, cell for
cell, with only the words students see and the language choice added.

The language is chosen in the notebook (lang=LANG, `with language(LANG):`), not by the
environment: tests/conftest.py pins LANGUAGE=en, and the notebook must speak Chinese anyway.
"""

import ast
import contextlib
import importlib.util
import io
import json
import os
import pathlib
import re
import tokenize
import warnings
import xml.etree.ElementTree as ET

import pytest

from .test_notebook import run_cell  # a cell run as Jupyter runs it, as the English test does

ROOT = pathlib.Path(__file__).parents[2]
NOTEBOOK = ROOT / "demos" / "classroom.zh-CN.ipynb"
ENGLISH = ROOT / "demos" / "classroom.ipynb"
FOLDER = "classroom-zh-CN"  # beside the English notebook's out/classroom, never in it
SVG = "{http://www.w3.org/2000/svg}"
HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None

CJK = re.compile(r"[\u3400-\u9fff]")
# Names that stay as they are in Chinese prose: functions, optimisers, programs, systems.
KEPT = {
    "sigmoid", "tanh", "relu", "sgd", "adam", "pytorch", "micrograd", "jupyter", "jupyterlab",
    "chainrule", "graphviz", "graphviz-pure", "pip", "matplotlib", "xor", "mlp", "debian",
    "ubuntu", "macos", "windows",
}  # fmt: skip
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")
# What is not prose: `code spans`, a link's address, bare addresses, paths and file names,
# calls such as backward(), and formulas or labels (∂Loss/∂g(u2), w1_00, x=1).
NOT_PROSE = re.compile(
    r"`[^`]*`|\]\([^)]*\)|https?://\S+|\S*/\S*|\S+\.\w{2,5}\b|[\w.]+\(\)|\S*[∂=_]\S*"
)


def read(path):
    """A notebook as JSON, after checking it is nbformat 4."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4
    return notebook


def cells(path, kind="code"):
    """The notebook's cells of one kind ("code" or "markdown"), as source text."""
    return ["".join(c["source"]) for c in read(path)["cells"] if c["cell_type"] == kind]


def headings(path):
    """The section headings (## lines) of the markdown cells, in order."""
    return [
        line for text in cells(path, "markdown") for line in text.splitlines() if line[:3] == "## "
    ]


def english_words(text):
    """The English words left in `text` once code, links, formulas and kept names are removed."""
    return [w for w in ENGLISH_WORD.findall(NOT_PROSE.sub(" ", text)) if w.lower() not in KEPT]


def svg_texts(svg, element_id=None):
    """The text of the SVG's <text> elements (inside the element with this id, if given)."""
    root = ET.fromstring(svg)
    if element_id is not None:
        (root,) = [e for e in root.iter() if e.get("id") == element_id]
    return [t.text for t in root.iter(f"{SVG}text") if t.text]


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """The notebook run once, every code cell in order in one namespace, as Jupyter would:
    its namespace, the values its cells show, what it printed, and the folder it ran in."""
    here = tmp_path_factory.mktemp("classroom-zh")
    shown, printed = [], io.StringIO()
    namespace = {"__name__": "__main__"}
    with contextlib.ExitStack() as stack:
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        patch.chdir(here)  # so a file written to the current folder would show
        patch.setenv("CHAINRULE_OUT", str(here / "out"))
        patch.setenv("MPLBACKEND", "Agg")
        if HAVE_MATPLOTLIB:
            import matplotlib

            stack.enter_context(matplotlib.rc_context())  # the notebook's font choice stays here
        stack.enter_context(contextlib.redirect_stdout(printed))
        for i, source in enumerate(cells(NOTEBOOK)):
            value = run_cell(source, namespace, f"classroom.zh-CN.ipynb cell {i}")
            if value is not None:
                shown.append(value)
    return namespace, shown, printed.getvalue(), here


@pytest.mark.render  # graphs and the player page need a layout program
def test_every_code_cell_runs_and_its_files_go_to_their_own_folder(ran):
    namespace, shown, _, here = ran
    assert {type(v).__name__ for v in shown} == {"Picture", "Player"}
    assert namespace["accuracy"] >= 0.95  # the moons network learned
    assert os.listdir(here) == ["out"]
    assert os.listdir(here / "out") == [FOLDER]
    assert sorted(os.listdir(here / "out" / FOLDER)) == ["chain-rule.html", "chain-rule.svg"]


@pytest.mark.render
def test_what_it_prints_is_chinese_with_the_english_notebooks_numbers(ran):
    text = ran[2]
    lines = [line for line in text.splitlines() if line.strip()]
    for line in (
        "总价 = 33",
        "∂总价/∂单价 = 1 · 1.1 · 2 = 2.2",
        "∂总价/∂数量 = 16.5，∂总价/∂含税系数 = 30",
        "预测 0.86707，损失 0.01767",
        "损失 0.01767 -> 0.01679",
    ):
        assert line in lines, text
    assert "   w1_00：梯度 -0.001141" in lines
    assert "∂L/∂w1_00 = -0.2659 x 1 x 0.1153" in text and "backward() 算出 -0.00114091" in text
    assert re.search(r"^损失 \d\.\d{3} -> \d\.\d{3}，准确率 100%$", text, re.M)
    first = next(i for i, line in enumerate(lines) if line.startswith("v0 "))
    above = " ".join(lines[first - 2 : first])  # viz.to_text's title and column headings
    assert "梯度" in above and "局部导数" in above and "gradient" not in above.lower(), above
    left = [(line, english_words(line)) for line in lines if english_words(line)]
    assert not left, left


@pytest.mark.render
def test_its_pictures_and_player_page_speak_chinese(ran):
    namespace, shown, _, here = ran
    pictures = [v.pipe(format="svg").decode("utf-8") for v in shown if hasattr(v, "pipe")]
    assert len(pictures) == 5  # car tax, f, part lifetime, the path, the folded network
    for svg in pictures:  # every picture's legend or caption is written in Chinese
        words = " ".join(svg_texts(svg))
        assert "梯度" in words and "gradient" not in words.lower(), words
    saved = (here / "out" / FOLDER / "chain-rule.svg").read_text(encoding="utf-8")
    assert saved in pictures  # the file is the picture shown
    assert svg_texts(saved, "v4-data") == ["-12"]
    assert [svg_texts(saved, f"v{i}-grad") for i in (0, 1, 3)] == [["-4"], ["-4"], ["3"]]
    legend = " ".join(svg_texts(saved))
    assert "局部导数" in legend and "梯度" in legend
    assert any("单价" in t for t in svg_texts(pictures[0]))  # the car tax's Chinese labels
    assert any("目标值" in t for t in svg_texts(pictures[2]))  # the lesson's, in Chinese

    page = (here / "out" / FOLDER / "chain-rule.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page
    assert "x 的梯度" in page  # the narration of x's step
    assert "局部导数：∂(x + y)/∂x = 1" in page and "∂f/∂q · ∂(x + y)/∂x = -4 · 1 = -4" in page
    (player,) = [v for v in shown if hasattr(v, "_repr_html_")]
    assert "lang=&quot;zh-CN&quot;" in player._repr_html_()  # the page shown inline too


@pytest.mark.render
@pytest.mark.cjk_font
@pytest.mark.skipif(not HAVE_MATPLOTLIB, reason="the plot needs the optional matplotlib")
def test_its_plot_has_chinese_titles_drawn_with_a_chinese_font(ran):
    namespace = ran[0]
    left, right = namespace["left"], namespace["right"]
    assert left.get_title() == "每一步的损失和准确率" and left.get_xlabel() == "步"
    assert right.get_title() == "学到的决策边界"
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["损失", "准确率"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        namespace["fig"].savefig(io.BytesIO(), format="png")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert not missing, missing  # no glyph drawn as an empty box


def test_its_sections_are_the_english_ones_numbered_one_to_n():
    found = headings(NOTEBOOK)
    assert len(found) == len(headings(ENGLISH))
    numbers = [re.match(r"## (\d+)\. \S", heading) for heading in found]
    assert all(numbers), f"a section without a number: {found}"
    assert [int(n.group(1)) for n in numbers] == list(range(1, len(found) + 1)), found
    for heading, start in zip(
        found,
        ("## 1. 汽车购置税", "## 2. f = (x + y) z", "## 3. 零件使用寿命", "## 4. 两层网络的公式",
         "## 5. 双月数据：micrograd 的演示（第 9 课", "## 6. 接下来"),
    ):  # fmt: skip
        assert heading.startswith(start), (heading, start)


def test_the_english_word_check_catches_a_sentence_and_passes_code_links_and_names():
    assert english_words("Run the cells from top to bottom; 运行 `pip install x`") == [
        "Run", "the", "cells", "from", "top", "bottom",
    ]  # fmt: skip
    kept = "见 [说明](https://example.org/docs.html)，用 Sigmoid 和 SGD；∂Loss/∂w1_00；backward()"
    assert english_words(kept) == []
    assert len(english_words("\n".join(cells(ENGLISH, "markdown")))) > 100


def test_its_markdown_keeps_no_english_sentence():
    texts = cells(NOTEBOOK, "markdown")
    assert len(texts) == len(cells(ENGLISH, "markdown"))
    left = [(text[:40], english_words(text)) for text in texts if english_words(text)]
    assert not left, left
    assert all(CJK.search(text) for text in texts)
    assert f"out/{FOLDER}/" in texts[0] and "LANG" in texts[0]  # where files go, how to switch


class WithoutLanguage(ast.NodeTransformer):
    """A cell's code with the language choice taken out: lang= arguments, the import of
    `language` and LANG's assignment, `with language(...):` (its body kept), and the lines
    that choose a Chinese font for matplotlib (each names a font)."""

    def visit_Call(self, node):
        node.keywords = [k for k in node.keywords if k.arg != "lang"]
        return self.generic_visit(node)

    def visit_With(self, node):
        self.generic_visit(node)
        calls = [item.context_expr for item in node.items]
        if [getattr(getattr(c, "func", None), "id", None) for c in calls] == ["language"]:
            return node.body
        return node

    def visit_ImportFrom(self, node):
        return None if node.module == "viz.i18n" or "font" in ast.unparse(node).lower() else node

    def visit_Assign(self, node):
        if [getattr(t, "id", None) for t in node.targets] == ["LANG"]:
            return None
        return None if "font" in ast.unparse(node).lower() else self.generic_visit(node)


def normalised(source):
    return WithoutLanguage().visit(ast.parse(source))


def same(english, chinese):
    """Whether two cells' trees do the same thing: equal but for the words students see (a
    string may become Chinese; an output folder may gain -zh-CN)."""
    if isinstance(english, ast.JoinedStr) and isinstance(chinese, ast.JoinedStr):

        def fields(f):  # what an f-string puts in, in any order (Chinese may reorder)
            return sorted(ast.dump(v) for v in f.values if isinstance(v, ast.FormattedValue))

        changed = ast.dump(english) != ast.dump(chinese)
        return fields(english) == fields(chinese) and (
            not changed or bool(CJK.search(ast.unparse(chinese)))
        )
    if isinstance(english, ast.Constant) and isinstance(chinese, ast.Constant):
        if isinstance(english.value, str) and isinstance(chinese.value, str):
            return chinese.value in (english.value, f"{english.value}-zh-CN") or bool(
                CJK.search(chinese.value)
            )
    if isinstance(english, list):
        return (
            isinstance(chinese, list)
            and len(english) == len(chinese)
            and all(map(same, english, chinese))
        )
    if isinstance(english, ast.AST):
        return type(english) is type(chinese) and all(
            same(getattr(english, name), getattr(chinese, name)) for name in english._fields
        )
    return english == chinese


def test_its_code_cells_do_what_the_english_ones_do():
    english, chinese = cells(ENGLISH), cells(NOTEBOOK)
    assert len(chinese) == len(english)
    different = [
        (i, ast.unparse(normalised(zh)))
        for i, (en, zh) in enumerate(zip(english, chinese))
        if not same(normalised(en), normalised(zh))
    ]
    assert not different, different
    assert "lang=LANG" in "\n".join(chinese)


def test_the_code_comparison_catches_a_changed_number_a_new_call_or_english_text():
    cell = 'for p in every:  # 走一步 SGD\n    p.data -= 0.5 * p.grad\nprint(f"损失 {a:.5f}")'
    english = 'for p in every:  # one SGD step\n    p.data -= 0.5 * p.grad\nprint(f"loss {a:.5f}")'
    assert same(normalised(english), normalised(cell))
    assert not same(normalised(english), normalised(cell.replace("0.5", "0.4")))
    assert not same(normalised(english), normalised(cell + "\np.data = 0"))
    assert not same(normalised(english), normalised(cell.replace("{a:.5f}", "{a:.3f}")))
    assert not same(normalised(english), normalised(cell.replace("损失", "Loss")))


def comments(source):
    """The comments of a cell's code."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [t.string for t in tokens if t.type == tokenize.COMMENT]


def test_its_code_comments_are_chinese_and_none_is_dropped():
    for english, chinese in zip(cells(ENGLISH), cells(NOTEBOOK)):
        assert len(comments(chinese)) >= len(comments(english)), chinese
        assert all(CJK.search(c) for c in comments(chinese)), comments(chinese)


def test_no_cell_keeps_stale_outputs():
    code = [c for c in read(NOTEBOOK)["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert read(NOTEBOOK)["metadata"] == read(ENGLISH)["metadata"]


@pytest.mark.notebook
@pytest.mark.render
def test_in_a_jupyter_kernel_without_the_system_dot_it_shows_chinese(tmp_path, execute_in_kernel):
    """As `jupyter nbconvert --execute` runs it: a python3 kernel started in demos/, on a
    machine whose environment asks for English (LANGUAGE=en)."""
    import nbformat

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    execute_in_kernel(notebook, NOTEBOOK.parent, tmp_path, LANGUAGE="en")  # cwd: demos/

    def outputs(fragment, kind):
        (cell,) = [c for c in notebook.cells if c.cell_type == "code" and fragment in c.source]
        return [o for o in cell.outputs if o.output_type == kind]

    every = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert [o.ename for o in every if o.output_type == "error"] == []
    (printed,) = outputs("viz.to_text(f", "stream")
    assert "局部导数" in printed.text and "梯度" in printed.text

    (shown,) = outputs("graph = viz.draw_dot(f", "execute_result")
    svg = shown.data["image/svg+xml"]
    assert "graphviz-pure" in svg
    assert "局部导数" in " ".join(svg_texts(svg)) and svg_texts(svg, "v4-data") == ["-12"]
    (player,) = outputs("viz.backprop_html(f", "execute_result")
    assert "lang=&quot;zh-CN&quot;" in player.data["text/html"]
    if HAVE_MATPLOTLIB:
        assert any("image/png" in o.data for o in outputs("plt.subplots", "display_data"))

    folder = tmp_path / "out" / FOLDER
    assert sorted(os.listdir(folder)) == ["chain-rule.html", "chain-rule.svg"]
    assert (folder / "chain-rule.svg").read_text(encoding="utf-8") == svg  # the picture shown
    assert '<html lang="zh-CN">' in (folder / "chain-rule.html").read_text(encoding="utf-8")
