"""The quiz's export in a real browser: a student answers with the keyboard, types their name,
downloads answers-NAME.csv, and `chainrule check` marks that very file against a key for the
same graph (lesson 2's f = (x + y) z at (-2, 5, -4)), so the two ends agree on the format."""

import csv
import io
import json
from pathlib import Path

import pytest

from demos.cli import main
from demos.lesson02_chain_rule import build
from viz.player import backprop_html

pytestmark = [pytest.mark.browser, pytest.mark.render]

SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
TITLE = "Homework 2, f = (x + y)·z"  # the page's title is the sheet; its comma needs quotes
# The gradients of f = (x + y) z at (-2, 5, -4), as a worksheet's key.json states them.
GRADIENTS = {"∂f/∂f": 1.0, "∂f/∂z": 3.0, "∂f/∂q": -4.0, "∂f/∂y": -4.0, "∂f/∂x": -4.0}


def write_key(folder):
    """A key.json in the worksheet format for the page's graph: one sheet, named TITLE."""
    questions = [
        {"id": f"1{'abcde'[k]}", "asks": asks, "answer": answer}
        for k, (asks, answer) in enumerate(GRADIENTS.items())
    ]
    key = {
        "format": "chainrule-worksheet-key", "version": 1, "seed": 0, "level": 1, "count": 1,
        "tolerance": 0.01,
        "sheets": [{"sheet": TITLE, "student": None, "seed": 0, "exercises": [
            {"exercise": 1, "expression": "(x + y) * z", "at": {"x": -2, "y": 5, "z": -4},
             "questions": questions}]}],
    }  # fmt: skip
    path = folder / "key.json"
    path.write_text(json.dumps(key, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def chain_page(tmp_path):
    def make(lang="en"):
        page = backprop_html(build(), tmp_path / f"chain-{lang}.html", title=TITLE, lang=lang)
        return Path(page.path).as_uri()

    return make


def answer_next(page, typed):
    """At the open question: type `typed` and press Enter, or with None press R to see it;
    then move on to the next question."""
    if typed is None:
        page.keyboard.press("Escape")
        page.keyboard.press("r")
    else:
        page.keyboard.type(typed)
        page.keyboard.press("Enter")
    page.keyboard.press("ArrowRight")


def start_quiz(page):
    page.keyboard.press("q")  # quiz mode: the export's name field appears
    page.keyboard.press("End")  # to the first question
    page.locator("#answer").wait_for(state="visible")


def type_name_and_download(page, name):
    """Tab to the name field, type `name`, press Enter: returns the download's text."""
    page.locator("#student").focus()  # where Tab from the answer's buttons arrives
    page.keyboard.type(name)
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes().decode("utf-8")


def test_the_downloaded_answers_are_marked_by_chainrule_check(
    chain_page, open_page, tmp_path, capsys
):
    page = open_page(chain_page())
    start_quiz(page)
    # In the page's order ∂f/∂f, ∂f/∂z, ∂f/∂q, ∂f/∂y, ∂f/∂x: right (full-width and U+2212
    # too), wrong twice (shown), and one only revealed (so nothing typed: missing).
    for typed in ["1", "３", "\u22124"]:
        answer_next(page, typed)
    page.keyboard.type("4")  # ∂f/∂y: wrong, then wrong at every try left: the answer is shown
    page.keyboard.press("Enter")
    while page.locator("#answer").is_visible():
        page.keyboard.type("-3")
        page.keyboard.press("Enter")
    assert page.locator("#verdict").text_content().startswith("\u2717 Not quite: you typed -3")
    page.keyboard.press("ArrowRight")
    answer_next(page, None)  # ∂f/∂x: revealed without an answer
    name, text = type_name_and_download(page, "Wang Fang")
    assert name == "answers-Wang-Fang.csv"
    assert text.startswith("\ufeffstudent,sheet,question,answer\r\n")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    assert rows[1:] == [
        ["Wang Fang", TITLE, "∂f/∂f", "1"],
        ["Wang Fang", TITLE, "∂f/∂z", "３"],
        ["Wang Fang", TITLE, "∂f/∂q", "\u22124"],
        ["Wang Fang", TITLE, "∂f/∂y", "-3"],  # the last answer typed there
        ["Wang Fang", TITLE, "∂f/∂x", ""],
    ]
    assert f'"{TITLE}"' in text  # the title's comma is quoted, as RFC 4180 says

    answers = tmp_path / name
    answers.write_text(text, encoding="utf-8")
    assert main(["check", str(write_key(tmp_path)), str(answers), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "Wang Fang" in printed and " 3/5" in printed
    with open(tmp_path / "results.csv", encoding="utf-8-sig", newline="") as f:
        marked = {row["asks"]: row["verdict"] for row in csv.DictReader(f)}
    assert marked == {
        "∂f/∂f": "right", "∂f/∂z": "right", "∂f/∂q": "right", "∂f/∂y": "wrong",
        "∂f/∂x": "missing",
    }  # fmt: skip


def test_the_name_field_takes_every_key_and_is_asked_for(chain_page, open_page):
    page = open_page(chain_page())
    assert page.locator("#export").is_hidden()  # no quiz, no export
    start_quiz(page)
    at = page.locator("#counter").text_content()
    for _ in range(40):  # Tab from the answer box, past its buttons, to the name
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "student":
            break
    assert page.evaluate("document.activeElement.id") == "student"
    page.keyboard.press("Enter")  # no name yet: asked for one, nothing saved
    assert "Type your name first" in page.locator("#verdict").text_content()
    assert page.evaluate("document.activeElement.id") == "student"
    page.keyboard.type("Li Qiang q r 0 -")  # spaces, Q, R, 0 and - are the page's keys outside
    assert page.locator("#student").input_value() == "Li Qiang q r 0 -"
    assert page.locator("#counter").text_content() == at and page.locator("#quiz").is_checked()
    assert page.locator("#play").text_content() == "Play"


def test_a_name_with_a_comma_and_quotes_comes_back_whole(chain_page, open_page, tmp_path, capsys):
    page = open_page(chain_page())
    start_quiz(page)
    answer_next(page, "1")
    name, text = type_name_and_download(page, 'Pat "PJ" Lee, Jr')
    assert name == "answers-Pat-_PJ_-Lee,-Jr.csv"  # no quote in a file name
    answers = tmp_path / "answers.csv"
    answers.write_text(text, encoding="utf-8")
    assert main(["check", str(write_key(tmp_path)), str(answers)]) == 0
    with open(tmp_path / "results.csv", encoding="utf-8-sig", newline="") as f:
        students = {row["student"] for row in csv.DictReader(f)}
    assert students == {'Pat "PJ" Lee, Jr'}
    assert 'Pat "PJ" Lee, Jr' in capsys.readouterr().out


def test_a_chinese_page_exports_the_same_columns_with_a_chinese_name(chain_page, open_page):
    page = open_page(chain_page("zh-CN"))
    start_quiz(page)
    assert page.locator("#export button").text_content() == "下载答案"
    assert page.locator("label[for=student]").text_content() == "你的名字"
    answer_next(page, "1")
    name, text = type_name_and_download(page, "王芳")
    assert name == "answers-王芳.csv"
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    assert rows[0] == ["student", "sheet", "question", "answer"]  # English: a file for tools
    assert rows[1] == ["王芳", TITLE, "∂f/∂f", "1"] and len(rows) == 6
    assert "已保存 answers-王芳.csv" in page.locator("#verdict").text_content()


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_export_control_is_whole_on_screen(chain_page, open_page, size, lang):
    page = open_page(chain_page(lang), *size)
    start_quiz(page)
    answer_next(page, "1")
    page.locator("#student").focus()
    page.keyboard.type("王芳" if lang == "zh-CN" else "Wang Fang")
    panel = page.locator("#panel").bounding_box()
    for part in ("#student", "#export button", "label[for=student]"):
        box = page.locator(part).bounding_box()
        assert box["x"] >= panel["x"] and box["x"] + box["width"] <= panel["x"] + panel["width"]
        assert box["y"] + box["height"] <= size[1], part  # on screen, not below the fold
    button = page.locator("#export button")
    assert button.evaluate("b => b.scrollWidth <= b.clientWidth")  # its words are whole
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"player-export-{lang}-{size[0]}.png"))
