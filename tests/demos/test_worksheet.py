"""`chainrule worksheet` (issue 17): sheets with blank gradients and a key a teacher marks by.

The key is checked against the engine itself: each exercise is rebuilt from the key's own
expression and values with Values, and backward() must give every answer. The sheets are
checked as a teacher meets them: hand-computable numbers, valid HTML, one printed page per
exercise, a sheet per student, the same bytes for the same seed, in English and Chinese.
"""

import html
import io
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from autograd import Value
from demos import cli, worksheet

CHAINRULE = os.path.join(os.path.dirname(sys.executable), "chainrule")
NAMES = "Wang Fang\n\n  李 雷  \nAnna Müller\nWang Fang\n"  # a blank line, spaces, a name twice


def write(tmp_path, name="out", **options):
    """The sheets written under tmp_path/name (no PDFs), and the key read back."""
    out = tmp_path / name
    options.setdefault("pdf", False)
    worksheet.write_worksheets(out, **options)
    return out, json.loads((out / "key.json").read_text(encoding="utf-8"))


def rebuilt(exercise):
    """The exercise built afresh from the key alone: its expression over Values at its values."""
    leaves = {name: Value(float(v), name) for name, v in exercise["at"].items()}
    functions = {"sigmoid": Value.sigmoid, "tanh": Value.tanh}
    # The key's own expressions, written by chainrule: plain arithmetic over these names.
    root = eval(exercise["expression"], {"__builtins__": {}}, {**functions, **leaves})
    root.backward()
    return root, leaves


def engine_answer(asks, root, leaves):
    """What the engine says to a question: a gradient (∂f/∂x), or a weight after one SGD step
    (w11 − 0.5·∂L/∂w11). A name that is no leaf is the root's first input (q in (x + y)·z,
    u in σ(u)): the only intermediates the sheets ask for."""
    step = re.fullmatch(r"(\w+) − ([\d.]+)·∂\w+/∂\1", asks)
    if step:
        weight = leaves[step.group(1)]
        return weight.data - float(step.group(2)) * weight.grad
    name = re.fullmatch(r"∂\w+/∂(\w+)", asks).group(1)
    return (leaves[name] if name in leaves else root.inputs[0]).grad


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_every_answer_in_the_key_is_the_engines_gradient(tmp_path, level):
    _, key = write(tmp_path, level=level, count=4, seed=11, students=["A", "B", "C"])
    assert [key[k] for k in ("format", "version", "seed", "level", "count", "tolerance")] == [
        "chainrule-worksheet-key", 1, 11, level, 4, 0.01
    ]  # fmt: skip
    checked = 0
    for sheet in key["sheets"]:
        for exercise in sheet["exercises"]:
            root, leaves = rebuilt(exercise)
            for q in exercise["questions"]:
                assert q["answer"] == pytest.approx(
                    engine_answer(q["asks"], root, leaves), abs=1e-12
                )
                checked += 1
    assert checked == 3 * 4 * 3  # three questions an exercise


def test_level_4_asks_two_gradients_and_one_updated_weight(tmp_path):
    _, key = write(tmp_path, level=4, count=3, seed=5)
    for exercise in key["sheets"][0]["exercises"]:
        asks = [q["asks"] for q in exercise["questions"]]
        assert re.fullmatch(r"∂L/∂v[12]", asks[0]) and re.fullmatch(r"∂L/∂w[12][12]", asks[1])
        assert re.fullmatch(rf"{asks[1][4:]} − 0\.[15]·{re.escape(asks[1])}", asks[2])


def numbers_in_boxes(page):
    """The values the drawn boxes give (the data cells of every graph on a sheet)."""
    cells = re.findall(r'id="S\d+x\d+-v\d+-data".*?<text[^>]*>([^<]*)</text>', page, flags=re.S)
    return [float(html.unescape(text)) for text in cells]  # Graphviz writes - as &#45;


@pytest.mark.parametrize("seed", range(0, 60, 3))
def test_a_level_1_sheet_has_only_numbers_a_student_can_work_by_hand(tmp_path, seed):
    out, key = write(tmp_path, level=1, count=4, seed=seed)
    exercises = key["sheets"][0]["exercises"]
    given = [v for e in exercises for v in e["at"].values()]
    answers = [q["answer"] for e in exercises for q in e["questions"]]
    shown = numbers_in_boxes((out / "S01.html").read_text(encoding="utf-8"))
    assert len(shown) >= 4 * 5  # every box of every graph: at least 3 leaves, q and f
    for x in given + answers + shown:
        assert abs(x) <= 20 and round(x, 1) == x, x  # an integer or one decimal place


def test_levels_3_and_4_come_out_within_the_tolerance_from_the_numbers_the_boxes_show(tmp_path):
    # A student reads σ(1.1) as 0.75 from its box: worked from there, rounded to 2 places,
    # every answer must still be within the key's tolerance of the engine's.
    for level in (3, 4):
        for seed in range(8):
            for e in worksheet.exercises(level, 4, seed):
                for _asks, exact, by_hand in e.questions:
                    assert abs(round(by_hand, 2) - exact) <= worksheet.TOLERANCE


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    names = ["Wang Fang", "李雷"]
    first, _ = write(tmp_path, "one", level=2, count=3, seed=8, students=names)
    again, _ = write(tmp_path, "two", level=2, count=3, seed=8, students=names)
    files = sorted(p.name for p in first.iterdir())
    assert files == ["S01.html", "S02.html", "key.html", "key.json", "sheets.html"]
    assert files == sorted(p.name for p in again.iterdir())
    for name in files:
        assert (first / name).read_bytes() == (again / name).read_bytes(), name


def test_sheets_differ_across_seeds_and_across_students(tmp_path):
    one, key1 = write(tmp_path, "one", level=1, count=4, seed=1)
    two, key2 = write(tmp_path, "two", level=1, count=4, seed=2)
    assert (one / "S01.html").read_bytes() != (two / "S01.html").read_bytes()
    assert key1["sheets"][0]["exercises"] != key2["sheets"][0]["exercises"]
    names = [f"Student {n}" for n in range(30)]
    out, key = write(tmp_path, "class", level=1, count=4, seed=1, students=names)
    variants = {json.dumps(s["exercises"]) for s in key["sheets"]}
    assert len(variants) == 30  # 30 students, 30 different sheets
    pages = {(out / f"S{n:02d}.html").read_bytes() for n in range(1, 31)}
    assert len(pages) == 30


def test_a_students_sheet_follows_their_name_not_their_place_in_the_list(tmp_path):
    _, first = write(tmp_path, "a", level=2, count=2, seed=4, students=["Ann", "Bo", "Cy"])
    _, moved = write(tmp_path, "b", level=2, count=2, seed=4, students=["Cy", "Dee", "Ann"])
    by_name = {s["student"]: s for s in first["sheets"]}
    for sheet in moved["sheets"]:
        if sheet["student"] in by_name:
            assert sheet["exercises"] == by_name[sheet["student"]]["exercises"]
            assert sheet["seed"] == worksheet.student_seed(4, sheet["student"])


def test_each_sheet_draws_its_graphs_with_blank_gradients_and_labelled_answer_boxes(tmp_path):
    out, key = write(tmp_path, level=1, count=2, seed=3)
    page = (out / "S01.html").read_text(encoding="utf-8")
    grads = re.findall(r'<g id="S\d+x\d+-v\d+-grad">(.*?)</g>', page, flags=re.S)
    assert len(grads) >= 10 and not any("<text" in g for g in grads)  # blanks, no numbers
    assert "∂f/∂x" in page and "grad = " not in page  # a tooltip names it; no legend line
    for exercise in key["sheets"][0]["exercises"]:
        for q in exercise["questions"]:
            assert f"<b>{q['id']}</b>&nbsp; {q['asks']} =" in page
    assert page.count('class="box"') == sum(
        len(e["questions"]) for e in key["sheets"][0]["exercises"]
    )
    assert page.count('<section class="page">') == 2
    assert "Name: " in page and "Date: " in page and "2 decimal places" in page
    assert "0.01" in page


def test_level_3_sheets_print_the_rules_to_look_up(tmp_path):
    out, _ = write(tmp_path, level=3, count=1, seed=0)
    page = (out / "S01.html").read_text(encoding="utf-8")
    assert "σ′(u) = σ(u)·(1 − σ(u))" in page and "tanh′(u) = 1 − tanh(u)²" in page


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_html_parses_as_html5_with_no_error(tmp_path, lang):
    html5lib = pytest.importorskip("html5lib", reason="html5lib: pip install html5lib")
    for level in (1, 2, 3, 4):
        out, _ = write(
            tmp_path, f"l{level}", level=level, count=2, seed=1, students=["王芳", "Li"], lang=lang
        )
        for page in ("S01.html", "key.html", "sheets.html"):
            parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
            parser.parse((out / page).read_text(encoding="utf-8"))  # raises at the first error


def html_validate():
    """The command of the npm package html-validate, or None."""
    return shutil.which("html-validate")


@pytest.mark.skipif(
    html_validate() is None and os.environ.get("CI", "").lower() != "true",
    reason="html-validate is not installed (npm install -g html-validate@9)",
)
def test_the_html_passes_html_validate(tmp_path):
    assert html_validate() is not None, "CI must run html-validate: npm install -g html-validate@9"
    pages = []
    for level in (1, 2, 3, 4):
        for lang in ("en", "zh-CN"):
            out, _ = write(
                tmp_path, f"{level}{lang}", level=level, count=2, seed=2, students=["A", "B"],
                lang=lang,
            )  # fmt: skip
            pages += [str(out / name) for name in ("S01.html", "sheets.html", "key.html")]
    done = subprocess.run([html_validate(), *pages], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def pages_of(pdf):
    """How many pages a PDF has: pypdf's count where it is installed, else its /Type /Page."""
    try:
        import pypdf
    except ImportError:
        return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.browser
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_chromium_prints_one_page_per_exercise_on_either_paper(tmp_path, paper):
    for level in (1, 2, 3, 4):
        out = tmp_path / f"l{level}"
        made = worksheet.write_worksheets(
            out, level=level, count=3, seed=level, students=["Wang Fang", "李雷"], paper=paper
        )
        assert made.skipped is None
        assert [p.name for p in made.pdf] == ["S01.pdf", "S02.pdf"]
        for pdf in made.pdf:
            assert pages_of(pdf.read_bytes()) == 3, (level, pdf.name)
        assert pages_of((out / "sheets.pdf").read_bytes()) == 2 * 3
        assert (out / "key.pdf").is_file()


@pytest.mark.browser
def test_the_same_seed_prints_the_same_pdf(tmp_path):
    one = worksheet.write_worksheets(tmp_path / "one", level=1, count=1, seed=9)
    two = worksheet.write_worksheets(tmp_path / "two", level=1, count=1, seed=9)
    assert one.pdf[0].read_bytes() == two.pdf[0].read_bytes()


def test_without_chromium_the_pdfs_are_skipped_with_one_line_saying_how(tmp_path, monkeypatch):
    monkeypatch.setattr(worksheet, "find_chromium", lambda: None)
    made = worksheet.write_worksheets(tmp_path, level=1, count=1, seed=0)
    assert made.pdf == [] and "no Chromium found" in made.skipped and "\n" not in made.skipped
    assert (tmp_path / "S01.html").is_file() and (tmp_path / "key.json").is_file()


def exit_status(argv):
    """What `chainrule argv` exits with: main's status, or argparse's (it exits by itself)."""
    try:
        return cli.main(argv)
    except SystemExit as done:
        return done.code


def one_line(err):
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_students_give_one_sheet_each_and_one_key(tmp_path, capsys):
    names = tmp_path / "names.txt"
    names.write_text(NAMES, encoding="utf-8")
    out = tmp_path / "class"
    args = ["--students", str(names), "--level", "2", "--count", "2", "--out", str(out)]
    status = cli.main(["worksheet", *args, "--no-pdf"])
    said = capsys.readouterr().out
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "S01.html", "S02.html", "S03.html", "S04.html", "key.html", "key.json", "sheets.html"
    ]  # fmt: skip
    together = (out / "sheets.html").read_text(encoding="utf-8")  # the class's, to print at once
    assert together.count('<section class="page">') == 4 * 2
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    students = [s["student"] for s in key["sheets"]]
    assert students == ["Wang Fang", "李 雷", "Anna Müller", "Wang Fang"]
    assert key["sheets"][0]["exercises"] != key["sheets"][3]["exercises"]  # same name, own sheet
    assert "<b>李 雷</b>" in (out / "S02.html").read_text(encoding="utf-8")
    assert "Wrote 4 sheets of 2 exercises (level 2)" in said
    assert "Wang Fang is named 2 times: a sheet each (S01, S04)" in said


def test_without_students_there_is_one_sheet_for_the_whole_class(tmp_path, capsys):
    status = cli.main(["worksheet", "--seed", "3", "--out", str(tmp_path), "--no-pdf"])
    assert status == 0
    key = json.loads((tmp_path / "key.json").read_text(encoding="utf-8"))
    assert [(s["sheet"], s["student"], s["seed"]) for s in key["sheets"]] == [("S01", None, 3)]
    assert key["count"] == 4 and key["level"] == 1
    assert "Wrote 1 sheet of 4 exercises (level 1)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, says",
    [
        (["--level", "5"], "invalid choice: 5"),
        (["--count", "0"], "count must be a whole number from 1 to 20, got '0'"),
        (["--count", "21"], "from 1 to 20, got '21'"),
        (["--students", "no-such-file.txt"], "there is no names file 'no-such-file.txt'"),
        (["--students", "empty.txt"], "'empty.txt' has no names"),
        (["--students", "latin1.txt"], "'latin1.txt' is not UTF-8 text (line 2)"),
        (["--paper", "a3"], "invalid choice: 'a3'"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, monkeypatch, args, says):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.txt").write_text("\n  \n\n", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("Ann\nJos\xe9\n".encode("latin-1"))
    assert exit_status(["worksheet", *args, "--out", "sheets", "--no-pdf"]) == 2
    err = one_line(capsys.readouterr().err)
    assert says in err
    assert not (tmp_path / "sheets").exists()  # refused before anything was written


def test_help_says_what_a_teacher_gets(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["worksheet", "--help"])
    assert done.value.code == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "one sheet, S01, for the whole class" in said and "one sheet per name" in said
    assert "SHA-256" in said and "--paper {a4,letter}" in said


def test_the_installed_command_writes_the_sheets(tmp_path):
    args = ["worksheet", "--level", "3", "--count", "1", "--out", str(tmp_path), "--no-pdf"]
    done = subprocess.run([CHAINRULE, *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "key.json" in done.stdout and (tmp_path / "S01.html").is_file()


ENGLISH = re.compile(r"[A-Za-z]{3,}")
KEPT = {"tanh", "sigmoid", "sgd", "chainrule", "check", "key", "json", "answers", "csv", "draw"}


def visible_words(page):
    """The English words a reader of `page` sees: its text outside styles, tags and code."""
    text = html.unescape(
        re.sub(r"<style>.*?</style>|<code>.*?</code>|<[^>]+>", " ", page, flags=re.S)
    )
    return {w for w in ENGLISH.findall(text) if w.lower() not in KEPT}


def test_a_chinese_sheet_and_key_are_in_chinese(tmp_path, capsys):
    names = tmp_path / "names.txt"
    names.write_text("王芳\n李雷\n", encoding="utf-8")
    out = tmp_path / "zh"
    args = ["--lang", "zh-CN", "worksheet", "--level", "4", "--count", "2", "--seed", "6"]
    assert cli.main([*args, "--students", str(names), "--out", str(out), "--no-pdf"]) == 0
    said = capsys.readouterr().out
    assert "已把 2 张练习单（每张 2 道题，第 4 级）写到" in said
    sheet = (out / "S01.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in sheet
    for words in (
        "姓名：<b>王芳</b>",
        "日期：",
        "第 1 题",
        "第 4 级：2-2-1 网络和一步 SGD",
        "你的答案",
    ):
        assert words in sheet, words
    assert "答案保留 2 位小数：和标准答案相差不超过 0.01 就算对。" in sheet
    assert "一步 SGD，学习率 η = 0." in sheet and ">梯度<" in sheet  # the box's own word
    assert visible_words(sheet) == set()
    key = (out / "key.html").read_text(encoding="utf-8")
    assert "标准答案：第 4 级" in key and "S02 · 李雷" in key and visible_words(key) == set()
    english, _ = write(tmp_path, "en", level=4, count=2, seed=6, students=["王芳", "李雷"])
    assert "Exercise 1" in (english / "S01.html").read_text(encoding="utf-8")  # lang="en"


@pytest.mark.browser
@pytest.mark.cjk_font
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_exercise_fits_its_printed_page(tmp_path, browser, lang):
    # The print preview as Chromium lays it out: each exercise (a section) no taller than
    # the printable height of a Letter page (279.4 mm less 28 mm of margins), A4's is taller.
    printable = (279.4 - 28) / 25.4 * 96  # CSS pixels
    for level in (1, 2, 3, 4):
        out, _ = write(
            tmp_path, f"l{level}", level=level, count=2, seed=7, students=["王芳"], lang=lang
        )
        page = browser.new_page(viewport={"width": 680, "height": 950})  # 180 mm: A4 printed
        page.goto((out / "S01.html").as_uri())
        page.emulate_media(media="print")
        page.screenshot(path=str(tmp_path / f"{lang}-{level}.png"), full_page=True)
        sections = page.locator("section.page")
        assert sections.count() == 2
        for n in range(2):
            box = sections.nth(n).bounding_box()
            assert box["height"] <= printable, (level, n, box)
            assert sections.nth(n).locator(".box").first.is_visible()
        page.close()


def test_an_out_folder_that_cannot_be_made_fails_with_one_line(tmp_path, capsys):
    (tmp_path / "taken").write_text("a file, not a folder", encoding="utf-8")
    out = str(tmp_path / "taken" / "sheets")
    assert cli.main(["worksheet", "--out", out, "--no-pdf"]) == 1
    assert "cannot write the worksheets" in one_line(capsys.readouterr().err)
