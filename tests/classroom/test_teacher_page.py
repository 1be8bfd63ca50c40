"""The teacher's page in a real browser against a real room (uvicorn on 127.0.0.1): the teacher
steps the player with the keyboard, asks the room with A, watches the count as students answer
over their own sockets, reveals with V and reads the distribution; edits a value and sees the
player redrawn at the same step; runs the nudge check; downloads the CSV. Every page is checked
for console errors when its test ends."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import serving, student

pytestmark = [pytest.mark.browser, pytest.mark.serve]

X, Y, Q, Z, F = range(5)  # f = (x + y) z at x = -2, y = 5, z = -4: the player's node order
X_GRAD, Q_GRAD = 9, 7  # the steps that finish x's and q's gradients


@pytest.fixture
def open_teacher(browser):
    """open_teacher(served, width, height): the teacher's page, connected, the player loaded."""
    opened = []

    def open_(served, width=1280, height=720, url=None):
        context = browser.new_context(
            viewport={"width": width, "height": height}, reduced_motion="reduce",
            accept_downloads=True,
        )  # fmt: skip
        page = context.new_page()
        errors = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        opened.append((context, errors))
        page.goto(url or served.teacher_url)
        if url is None:
            expect(page.locator("#connection")).to_have_class(re.compile(r"\blive\b"))
            expect(player(page).locator("#counter")).to_be_visible()
        return page

    yield open_
    for context, errors in opened:
        context.close()
        assert errors == []


def player(page):
    return page.frame_locator("#player")


def cell(page, i, word):
    return player(page).locator(f"#v{i}-{word} text")


def step_to(page, s):
    """Step the player to step s (0-based) with the arrow keys, as the teacher does."""
    for _ in range(s):
        page.keyboard.press("ArrowRight")
    expect(player(page).locator("#counter")).to_have_text(f"step {s + 1} / 10")


def answer(page_socket, question, typed):
    page_socket.send({"type": "answer", "question": question, "text": typed})
    assert page_socket.next("received")["text"] == typed


def test_a_question_asked_with_a_key_is_counted_live_revealed_and_exported(open_teacher):
    with serving() as served:
        page = open_teacher(served)
        wang, li = student(served, "Wang Fang"), student(served, "Li Lei")
        expect(page.locator("#students")).to_have_text("Students: 2")
        expect(page.locator("#code")).to_have_text(served.code)

        step_to(page, X_GRAD)  # the focus is in the player: the arrows step it
        expect(page.locator("#ask-what")).to_have_text("Step 10: ∂f/∂x = ?")
        expect(cell(page, X, "grad")).to_have_text("-4")
        page.keyboard.press("a")
        expect(page.locator("#question-text")).to_have_text("The room is answering: ∂f/∂x = ?")
        expect(cell(page, X, "grad")).to_have_text("?")  # the projector hides the answer
        expect(player(page).locator("#verdict")).to_have_text("The room is answering: ∂f/∂x = ?")
        expect(page.locator("#count")).to_have_text("0 of 2 answered")
        expect(page.locator("#ask")).to_be_disabled()

        question = wang.next("question")
        assert li.next("question")["id"] == question["id"]
        answer(wang, question["id"], "−４")
        expect(page.locator("#count")).to_have_text("1 of 2 answered")
        answer(li, question["id"], "4")
        expect(page.locator("#count")).to_have_text("2 of 2 answered")

        page.keyboard.press("v")
        expect(page.locator("#results-title")).to_have_text("Answer: ∂f/∂x = -4")
        rows = page.locator("#distribution li")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_have_class("right")  # the right answer first, in green
        expect(rows.nth(0).locator(".answer")).to_have_text("-4")
        expect(rows.nth(0).locator(".many")).to_have_text("1")
        expect(rows.nth(1).locator(".answer")).to_have_text("4")
        expect(rows.nth(1).locator(".kind")).to_have_text("sign flipped")
        expect(page.locator("#kinds li")).to_have_text(["sign flipped: 1"])
        expect(cell(page, X, "grad")).to_have_text("-4")  # released
        expect(page.locator("#question")).to_be_hidden()
        assert wang.next("verdict")["right"] and not li.next("verdict")["right"]

        with page.expect_download() as download:
            page.click("#csv")
        saved = download.value
        assert saved.suggested_filename == "chainrule-results.csv"
        text = open(saved.path(), encoding="utf-8-sig").read()
        assert re.search(r"^Li Lei,1,10,∂f/∂x,4,4\.0,no,sign,", text, re.M)
        assert re.search(r"^Wang Fang,1,10,∂f/∂x,−４,-4\.0,yes,right,", text, re.M)


def test_a_value_asked_is_hidden_and_a_cancel_shows_it_again(open_teacher):
    with serving() as served:
        page = open_teacher(served)
        step_to(page, 2)  # q's value: q = x + y = 3
        expect(page.locator("#ask-what")).to_have_text("Step 3: q = ?")
        page.click("#ask")
        expect(cell(page, Q, "data")).to_have_text("?")
        expect(player(page).locator("#lines")).to_be_empty()
        expect(page.locator("#leaf-0")).to_be_disabled()  # no edits while the room answers
        page.click("#cancel")
        expect(page.locator("#status")).to_have_text(
            "The question was cancelled: it is not counted."
        )
        expect(cell(page, Q, "data")).to_have_text("3")
        expect(page.locator("#leaf-0")).to_be_enabled()
        page.keyboard.press("ArrowRight")  # the focus went back to the player
        expect(player(page).locator("#counter")).to_have_text("step 4 / 10")


def test_editing_a_value_redraws_the_player_at_the_same_step(open_teacher):
    with serving() as served:
        page = open_teacher(served)
        step_to(page, Q_GRAD)
        expect(cell(page, Q, "grad")).to_have_text("-4")  # ∂f/∂q = z
        page.click("#nudge")
        expect(page.locator("#nudged")).to_contain_text("∂f/∂x · h = (-4) · 0.01")
        page.click("#leaf-3")  # z
        page.keyboard.press("Control+a")
        page.keyboard.type("2.5")
        page.keyboard.press("Enter")
        expect(cell(page, Z, "data")).to_have_text("2.5")
        expect(cell(page, Q, "grad")).to_have_text("2.5")
        expect(cell(page, F, "data")).to_have_text("7.5")  # f = 3 · 2.5, by the engine
        expect(page.locator("#nudged")).to_be_empty()  # it was about the old numbers
        expect(player(page).locator("#counter")).to_have_text("step 8 / 10")

        page.locator("#slide-0").focus()  # x's slider, moved with the keyboard
        page.keyboard.press("ArrowRight")
        expect(page.locator("#leaf-0")).to_have_value("-1.9")
        expect(cell(page, X, "data")).to_have_text("-1.9")
        expect(cell(page, F, "data")).to_have_text("7.75")  # (-1.9 + 5) · 2.5

        page.click("#leaf-1")  # y, too big for the graph's editor: refused, nothing changes
        page.keyboard.press("Control+a")
        page.keyboard.type("1e9")
        page.keyboard.press("Enter")
        expect(page.locator("#status")).to_contain_text("set: ")
        expect(page.locator("#status")).to_have_class(re.compile(r"\berror\b"))
        expect(cell(page, Y, "data")).to_have_text("5")


def test_the_nudge_check_shows_both_sides(open_teacher):
    with serving() as served:
        page = open_teacher(served)
        expect(page.locator("#nudge-leaf option")).to_have_text(["x", "y", "z"])
        page.click("#nudge-h")
        page.keyboard.press("Control+a")
        page.keyboard.type("0.01")
        page.click("#nudge")  # x, the first leaf
        lines = page.locator("#nudged div")
        expect(lines).to_have_count(3)
        expect(lines.nth(0)).to_have_text("f(x + h) - f(x) = -12.04 - (-12) = -0.04")
        expect(lines.nth(1)).to_have_text("∂f/∂x · h = (-4) · 0.01 = -0.04")


def test_the_qr_code_opens_big_for_the_projector_and_closes(open_teacher):
    with serving() as served:
        page = open_teacher(served)
        page.click("#qr-button")
        big = page.locator("#qr-big")
        expect(big).to_be_visible()
        expect(big.locator(".code")).to_have_text(served.code)
        assert big.locator("img").evaluate("img => img.naturalWidth") > 0
        page.keyboard.press("Escape")
        expect(big).to_be_hidden()


def test_the_page_reconnects_when_the_socket_drops(open_teacher):
    with serving() as served:
        sockets = []

        def through(route):  # every socket of the page, passed on to the real server
            route.connect_to_server()
            sockets.append(route)

        page = open_teacher(served, url="about:blank")
        page.route_web_socket(re.compile(r"/ws$"), through)
        page.goto(served.teacher_url)
        expect(page.locator("#connection")).to_have_text("connected")
        sockets[0].close(code=1011)
        expect(page.locator("#connection")).to_have_text("reconnecting…")
        expect(page.locator("#connection")).to_have_text("connected")
        assert len(sockets) == 2
        student(served, "Zhang Wei")  # the new socket is the teacher's: the roster comes
        expect(page.locator("#students")).to_have_text("Students: 1")


def test_a_wrong_token_is_refused_and_not_retried(open_teacher):
    with serving() as served:
        page = open_teacher(served, url=f"{served.base}/teacher#token=not-the-token")
        expect(page.locator("#status")).to_have_text("hello: wrong teacher token")
        expect(page.locator("#connection")).to_have_text("disconnected")
        expect(page.locator("#player")).not_to_have_attribute("srcdoc", re.compile("."))


def test_the_page_speaks_the_lessons_language(open_teacher):
    with serving(lang="zh-CN") as served:
        page = open_teacher(served)
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        expect(page.locator("#ask")).to_have_text("向全班提问（A）")
        expect(page.locator("#reveal")).to_have_text("公布答案（V）")
        expect(page.locator("#connection")).to_have_text("已连接")
        expect(player(page).locator("#counter")).to_have_text("第 1 步 / 共 10 步")
        for _ in range(X_GRAD):
            page.keyboard.press("ArrowRight")
        expect(page.locator("#ask-what")).to_have_text("第 10 步：∂f/∂x = ?")
        page.keyboard.press("a")
        expect(page.locator("#count")).to_have_text("0 人中已有 0 人作答")
        panel = page.locator("#room").inner_text()
        kept = ("http", "code", "XOR", "CSV")  # the join URL's, and names kept in Chinese
        panel = panel.replace(served.code, "")  # the join code is letters, not English
        left = [w for w in re.findall(r"[A-Za-z]{3,}", panel) if w not in kept]
        assert left == [], left
