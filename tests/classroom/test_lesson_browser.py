"""A whole live lesson in real browsers: the teacher's page on a projector-sized screen and five
students, each in a Chromium context of their own (three phones, two laptops), joining with
the room's code on a --lan room. Two questions are asked with the keyboard, every answer is
typed key by key, each wrong one is named for the student who gave it, the lesson ends with
each student's score, and the CSV the teacher downloads holds every answer.

Then the room under load: 200 simulated students answer over their sockets while the teacher's
page in the browser keeps stepping, and its count reaches 200.
"""

import csv
import io
import re
import threading

import pytest
from playwright.sync_api import expect

from benchmarks.classroom import crowd

from .conftest import run_async, serving
from .test_student_page import DEVICES, join, type_into
from .test_teacher_page import X, cell, player

pytestmark = [pytest.mark.browser, pytest.mark.serve, pytest.mark.render]

WAIT = 20_000  # milliseconds Playwright waits for something to show
# f = (x + y)·z at x = -2, y = 5, z = -4 (lesson 2): ∂f/∂x = z = -4, and q = x + y = 3.
# Who types what, the kind of slip each answer shows, for ∂f/∂x and then for q's value.
CLASS = [
    ("王芳", "phone", "−４", "right", "3", "right"),  # U+2212 and full-width digits
    ("Li Lei", "phone", "4", "sign", "-10", "multiplied"),  # q = x·y = -10: times, not plus
    ("Zhang Wei", "laptop", "1", "local", "-3", "sign"),  # ∂q/∂x = 1 alone
    ("Chen Jing", "phone", "-2", "value", "3", "right"),  # x's value, not its gradient
    ("Zhao Min", "laptop", "7", "other", "12/4", "right"),  # 12/4 = 3
]
LABELS = {
    "sign": "sign flipped", "local": "local derivative, not the total",
    "value": "value, not the gradient", "multiplied": "multiplied where the rule adds",
}  # fmt: skip


@pytest.fixture
def contexts(browser):
    opened = []

    def page(**options):
        context = browser.new_context(reduced_motion="reduce", **options)
        opened.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda err: page.errors.append(str(err)))
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        return page

    expect.set_options(timeout=WAIT)
    yield page
    for context in opened:
        context.close()


def step_to(teacher, s, total):
    """From the first step to step s with →, as a clicker does."""
    for _ in range(s):
        teacher.keyboard.press("ArrowRight")
    expect(player(teacher).locator("#counter")).to_have_text(f"step {s + 1} / {total}")


def test_a_whole_lesson_with_a_teacher_and_five_students(contexts):
    with serving(lan=True) as served:
        walk = served.room.graph.walk
        total = len(walk.steps)
        teacher = contexts(viewport={"width": 1920, "height": 1080}, accept_downloads=True)
        teacher.goto(served.teacher_url)
        expect(teacher.locator("#connection")).to_have_class(re.compile(r"\blive\b"))
        expect(teacher.locator("#code")).to_have_text(served.code)
        students = []
        for name, device, *_answers in CLASS:
            page = contexts(**DEVICES[device])
            page.device = device
            join(page, f"{served.base}/", name, code=served.code)  # the code typed, as on the board
            expect(page.locator("#who")).to_have_text(f"You are {name}")
            students.append(page)
        expect(teacher.locator("#students")).to_have_text("Students: 5")

        # Question 1: ∂f/∂x, asked with A at the step that finds it.
        player(teacher).locator("#next").focus()
        step_to(teacher, served.room.graph.step_of("x"), total)
        teacher.keyboard.press("a")
        expect(cell(teacher, X, "grad")).to_have_text("?")  # hidden on the projector
        for page, (_name, _device, typed, *_rest) in zip(students, CLASS):
            expect(page.locator("#ask-label")).to_have_text("∂f/∂x =")
            type_into(page, "#answer", typed)
            page.keyboard.press("Enter")
            expect(page.locator("#sent")).to_contain_text(f"Sent: {typed}")
        expect(teacher.locator("#count")).to_have_text("5 of 5 answered")
        teacher.keyboard.press("v")
        expect(teacher.locator("#results-title")).to_have_text("Answer: ∂f/∂x = -4")
        rows = teacher.locator("#distribution li")
        expect(rows).to_have_count(5)  # right, then four wrong answers, one each
        expect(rows.nth(0).locator(".answer")).to_have_text("-4")
        expect(teacher.locator("#kinds li")).to_have_count(4)
        for page, (_name, _device, _typed, kind, *_rest) in zip(students, CLASS):
            expect(page.locator("#verdict")).to_have_class(
                "verdict right" if kind == "right" else "verdict wrong"
            )
            if kind != "right":  # a slip by its name; "other" has none, only the hint
                expect(page.locator("#verdict-kind")).to_have_text(LABELS.get(kind, ""))
                expect(page.locator("#verdict-hint")).not_to_be_empty()
        expect(cell(teacher, X, "grad")).to_have_text("-4")

        # Question 2: q's value, reached by stepping back with ←.
        q_step = served.room.graph.step_of("q", "value")
        player(teacher).locator("#next").focus()
        teacher.keyboard.press("Home")
        step_to(teacher, q_step, total)
        teacher.keyboard.press("a")
        for page, (*_first, typed, _kind) in zip(students, CLASS):
            expect(page.locator("#ask-label")).to_have_text("q =")
            type_into(page, "#answer", typed)
            page.keyboard.press("Enter")
            expect(page.locator("#sent")).to_contain_text(f"Sent: {typed}")
        expect(teacher.locator("#count")).to_have_text("5 of 5 answered")
        teacher.keyboard.press("v")
        expect(teacher.locator("#results-title")).to_have_text("Answer: q = 3")
        expect(teacher.locator("#distribution li").nth(0).locator(".many")).to_have_text("3")

        # The end: each student's score, and the CSV with every answer.
        teacher.click("#end")
        for page, (_n, _d, _t1, kind1, _t2, kind2) in zip(students, CLASS):
            right = (kind1 == "right") + (kind2 == "right")
            expect(page.locator("#score")).to_have_text(f"Your score: {right} of 2 right")
        with teacher.expect_download() as download:
            teacher.click("#csv")
        text = open(download.value.path(), encoding="utf-8-sig").read()
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == 2 * len(CLASS)
        got = {(r["student"], r["question"]): (r["answer"], r["kind"]) for r in rows}
        for name, _device, typed1, kind1, typed2, kind2 in CLASS:
            assert got[name, "1"] == (typed1, kind1)
            assert got[name, "2"] == (typed2, kind2)
        for page in (teacher, *students):
            assert page.errors == []


def test_the_teachers_page_keeps_stepping_while_two_hundred_students_answer(contexts):
    with serving() as served:
        teacher = contexts(viewport={"width": 1280, "height": 720})
        teacher.goto(served.teacher_url)
        expect(teacher.locator("#connection")).to_have_class(re.compile(r"\blive\b"))
        total = len(served.room.graph.walk.steps)
        step = served.room.graph.step_of("x")
        got = {}

        def load():  # the crowd asks through a teacher socket of its own, then answers
            got.update(
                run_async(lambda: crowd(served.ws, served.token, served.code, step, 200, 3.0))
            )

        running = threading.Thread(target=load)
        running.start()
        expect(teacher.locator("#students")).to_have_text("Students: 200")
        player(teacher).locator("#next").focus()
        for s in range(1, total):  # the player answers each key while the answers pour in
            teacher.keyboard.press("ArrowRight")
            expect(player(teacher).locator("#counter")).to_have_text(f"step {s + 1} / {total}")
        running.join(60)
        assert got["received"] == got["counted"] == 200
        expect(teacher.locator("#results-title")).to_have_text("Answer: ∂f/∂x = -4")
        expect(teacher.locator("#distribution li .many")).to_have_text(["200"])
        assert teacher.errors == []
