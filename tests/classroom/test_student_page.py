"""The student's page in a real browser (Chromium), phone-sized and laptop-sized, against the
real server: join with the keyboard, answer the teacher's question, see the verdict and the
score; a wrong join code refused on screen; a reload or a dropped connection rejoining as the
same student. The teacher is a raw WebSocket client (conftest.teacher) sending its messages.
"""

import pytest

from .conftest import serving, teacher
from .test_app import ask

pytestmark = [pytest.mark.browser, pytest.mark.serve, pytest.mark.render]

DEVICES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "laptop": {"viewport": {"width": 1280, "height": 800}},
}
WAIT = 15_000  # milliseconds Playwright's expect waits for the page to show something


@pytest.fixture
def pages(browser):
    """open(device): a new browser context's page; each page's console errors are kept in
    page.errors (a script error, or a CSP refusal, is one)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT)
    contexts = []

    def open_page(device="laptop"):
        context = browser.new_context(**DEVICES[device])
        contexts.append(context)
        page = context.new_page()
        page.device = device
        page.errors = []
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.on("pageerror", lambda err: page.errors.append(str(err)))
        return page

    yield open_page
    for context in contexts:
        context.close()


def press(page, selector):
    """Tap on a phone, click on a laptop."""
    (page.tap if page.device == "phone" else page.click)(selector)


def type_into(page, selector, text):
    """Focus the field as a person does, clear it, and type `text` key by key."""
    press(page, selector)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Backspace")
    page.keyboard.type(text)


def join(page, url, name, code=None):
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.locator("#join")).to_be_visible()
    if code is not None:
        type_into(page, "#code", code)
    type_into(page, "#name", name)
    press(page, "#join-button")


def answer(page, text):
    type_into(page, "#answer", text)
    page.keyboard.press("Enter")


@pytest.mark.parametrize("device", DEVICES)
def test_a_student_joins_answers_and_sees_the_verdict_and_score(served, pages, device):
    from playwright.sync_api import expect

    page = pages(device)
    join(page, served.student_url, "王芳")  # on 127.0.0.1 no code is needed: no field for it
    expect(page.locator("#who")).to_have_text("You are 王芳")
    expect(page.locator("#code-field")).to_be_hidden()
    expect(page.locator("#waiting")).to_have_text("Waiting for the teacher's question")
    t = teacher(served)
    ask(served, t, "x")  # f = (x + y)·z at (-2, 5, -4): ∂f/∂x = z = -4
    expect(page.locator("#heading")).to_have_text("Gradient of x")
    expect(page.locator("#ask-label")).to_have_text("∂f/∂x =")
    picture = page.locator("#picture svg")
    expect(picture.locator(".cr-asked.node")).to_have_count(1)
    expect(picture.locator("[id='v0-grad']")).to_have_text("?")  # the answer is not shown
    expect(picture.locator("[id='v2-grad']")).to_have_text("-4")  # ∂f/∂q, found before
    expect(page.locator("#answer")).to_have_attribute("inputmode", "decimal")

    answer(page, "abc")
    expect(page.locator("#answer-error")).to_have_text("Type a number, like -4, 0.5, 1/3 or 1e-3.")
    answer(page, "4")
    expect(page.locator("#sent")).to_have_text("Sent: 4 — you can change it until the reveal")
    expect(page.locator("#answer-error")).to_be_hidden()
    answer(page, "−４")  # U+2212 and a full-width 4: the last answer sent counts
    expect(page.locator("#sent")).to_have_text("Sent: −４ — you can change it until the reveal")
    t.send({"type": "reveal"})
    assert t.next("results")["distribution"][0] == {
        "answer": "-4", "count": 1, "kind": "right", "label": "right"
    }  # fmt: skip
    expect(page.locator("#verdict")).to_have_class("verdict right")
    expect(page.locator("#verdict-line")).to_have_text("✓Right: ∂f/∂x = -4")
    expect(page.locator("#answer")).to_be_disabled()
    expect(page.locator("#waiting")).to_have_text("Waiting for the teacher's next question")
    expect(page.locator("#score")).to_have_text("Your score so far: 1 of 1 right")
    expect(page.locator("#picture svg [id='v0-grad'] text")).to_have_text("-4")  # filled in

    ask(served, t, "z")  # ∂f/∂z = q = 3
    expect(page.locator("#heading")).to_have_text("Gradient of z")
    expect(page.locator("#verdict")).to_be_hidden()
    press(page, "#answer")
    page.keyboard.type("3")
    press(page, "#sign")  # a phone's decimal keypad may have no minus key
    expect(page.locator("#answer")).to_have_value("-3")
    press(page, "#send")
    expect(page.locator("#sent")).to_have_text("Sent: -3 — you can change it until the reveal")
    t.send({"type": "reveal"})
    expect(page.locator("#verdict")).to_have_class("verdict wrong")
    expect(page.locator("#verdict-line")).to_have_text("✗Not quite. The answer: ∂f/∂z = 3")
    expect(page.locator("#verdict-kind")).to_have_text("sign flipped")
    expect(page.locator("#verdict-hint")).to_contain_text("Check the sign: -3 is ∂f/∂z")
    expect(page.locator("#sent")).to_have_text("You answered -3.")

    t.send({"type": "end"})
    expect(page.locator("#score")).to_have_text("Your score: 1 of 2 right")
    expect(page.locator("#waiting")).to_have_text("The lesson is over. Thank you!")
    assert [s.name for s in served.room.students.values()] == ["王芳"]
    assert page.errors == []  # no script error, nothing the CSP refused


def test_a_question_the_teacher_cancels_takes_the_student_back_to_waiting(served, pages):
    from playwright.sync_api import expect

    page = pages("phone")
    join(page, served.student_url, "")  # no name: anonymous
    expect(page.locator("#who")).to_have_text("You are anonymous 1")
    t = teacher(served)
    ask(served, t, "q", "value")  # a value: q = x + y = 3
    expect(page.locator("#heading")).to_have_text("Value of q")
    expect(page.locator("#ask-label")).to_have_text("q =")
    t.send({"type": "cancel"})
    expect(page.locator("#question")).to_be_hidden()
    expect(page.locator("#notice")).to_have_text(
        "The teacher closed the question without counting it."
    )
    expect(page.locator("#waiting")).to_have_text("Waiting for the teacher's question")
    ask(served, t, "q", "value")  # asked again: the note about the cancel goes
    expect(page.locator("#heading")).to_have_text("Value of q")
    expect(page.locator("#notice")).to_be_hidden()


@pytest.mark.parametrize("device", DEVICES)
def test_a_wrong_join_code_is_refused_on_screen_with_lan(pages, device):
    from playwright.sync_api import expect

    with serving(lan=True) as served:
        page = pages(device)
        wrong = "ZZZZ" if served.code != "ZZZZ" else "YYYY"
        join(page, served.base + "/", "Li Lei")  # typed without a code: the page asks for it
        expect(page.locator("#join-error")).to_have_text("Type the join code from the board.")
        type_into(page, "#code", wrong)
        press(page, "#join-button")
        expect(page.locator("#join-error")).to_have_text(
            "That join code is not this room's: check the code on the board."
        )
        expect(page.locator("#join")).to_be_visible()
        expect(page.locator("#connection")).to_have_class("connection")  # no "connected" dot
        assert served.room.students == {}
        type_into(page, "#code", served.code.lower())  # as a phone's keyboard may type it
        press(page, "#join-button")
        expect(page.locator("#who")).to_have_text("You are Li Lei")
        assert [s.name for s in served.room.students.values()] == ["Li Lei"]
        assert page.errors == []


def test_the_code_is_filled_in_from_the_join_link(pages):
    from playwright.sync_api import expect

    with serving(lan=True) as served:
        page = pages("phone")
        page.goto(served.student_url)  # the QR code's link: /?code=K7Q2
        expect(page.locator("#code")).to_have_value(served.code)
        type_into(page, "#name", "Zhang Wei")
        page.keyboard.press("Enter")
        expect(page.locator("#who")).to_have_text("You are Zhang Wei")


@pytest.mark.parametrize("device", DEVICES)
def test_a_reload_keeps_the_student_their_answer_and_score(served, pages, device):
    from playwright.sync_api import expect

    page = pages(device)
    join(page, served.student_url, "Li Lei")
    expect(page.locator("#who")).to_have_text("You are Li Lei")
    t = teacher(served)
    ask(served, t, "z")
    answer(page, "3")
    expect(page.locator("#sent")).to_contain_text("Sent: 3")
    t.send({"type": "reveal"})
    expect(page.locator("#score")).to_have_text("Your score so far: 1 of 1 right")
    ask(served, t, "y")
    answer(page, "-4")
    expect(page.locator("#sent")).to_contain_text("Sent: -4")

    page.reload()
    expect(page.locator("#who")).to_have_text("You are Li Lei")
    expect(page.locator("#heading")).to_have_text("Gradient of y")  # the open question
    expect(page.locator("#sent")).to_have_text("Sent: -4 — you can change it until the reveal")
    expect(page.locator("#score")).to_have_text("Your score so far: 1 of 1 right")
    assert [s.name for s in served.room.students.values()] == ["Li Lei"]
    t.send({"type": "reveal"})
    expect(page.locator("#score")).to_have_text("Your score so far: 2 of 2 right")


def test_a_dropped_connection_shows_reconnecting_and_rejoins_as_the_same_student(served, pages):
    from playwright.sync_api import expect

    page = pages("phone")
    routes = []  # each WebSocket the page opens, passed on to the real server

    def through(route):
        route.connect_to_server()
        routes.append(route)

    page.route_web_socket("**/ws", through)
    join(page, served.student_url, "王芳")
    expect(page.locator("#who")).to_have_text("You are 王芳")
    t = teacher(served)
    ask(served, t, "x")
    expect(page.locator("#heading")).to_have_text("Gradient of x")
    routes[-1].close(code=1001, reason="the network dropped")
    expect(page.locator("#connection")).to_contain_text("Reconnecting")
    expect(page.locator("#connection")).to_have_class("connection live")
    assert len(routes) == 2  # it came back on a socket of its own
    answer(page, "−4")
    expect(page.locator("#sent")).to_have_text("Sent: −4 — you can change it until the reveal")
    assert [s.name for s in served.room.students.values()] == ["王芳"]
    t.send({"type": "reveal"})
    expect(page.locator("#verdict-line")).to_have_text("✓Right: ∂f/∂x = -4")


def test_live_training_is_shown_to_the_student_without_controls(served, pages):
    from playwright.sync_api import expect

    page = pages("phone")
    join(page, served.student_url, "Zhang Wei")
    expect(page.locator("#who")).to_have_text("You are Zhang Wei")
    t = teacher(served)
    t.send({"type": "train", "task": "xor"})
    t.next("frame")
    expect(page.locator("#training .crt")).to_be_visible()
    expect(page.locator("#training .crt-title")).to_have_text("Live training: XOR")
    expect(page.locator("#training button")).to_have_count(0)  # watching only
    t.send({"type": "training", "action": "stop"})
    expect(page.locator("#training")).to_be_hidden()


def test_the_page_speaks_chinese_from_the_first_screen(pages):
    from playwright.sync_api import expect

    with serving(lang="zh-CN") as served:
        page = pages("phone")
        page.goto(served.student_url)
        expect(page.locator("#join-title")).to_have_text("加入课堂")  # before any welcome
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        type_into(page, "#name", "王芳")
        press(page, "#join-button")
        expect(page.locator("#who")).to_have_text("你的名字：王芳")
        expect(page.locator("#waiting")).to_have_text("等待老师出题")
        t = teacher(served)
        ask(served, t, "z")
        answer(page, "-3")
        expect(page.locator("#sent")).to_have_text("已发送：-3。公布答案之前还可以修改。")
        t.send({"type": "reveal"})
        expect(page.locator("#verdict-line")).to_have_text("✗不对。答案是：∂f/∂z = 3")
        # the hint's derivative is one unbreakable piece, however narrow the phone
        pieces = page.locator("#verdict-hint .derivative .piece")
        expect(pieces.first).to_have_text("∂f/∂z")
        assert pieces.first.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"
        t.send({"type": "end"})
        expect(page.locator("#score")).to_have_text("你的得分：1 题中答对 0 题")
        assert page.errors == []
