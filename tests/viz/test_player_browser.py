"""The player in a real browser: headless Chromium loads the chain-rule page from file://,
steps through it by button and by keyboard, takes a quiz, and never touches the network."""

import shutil
from pathlib import Path

import pytest

from demos.lesson02_chain_rule import build  # f = (x + y) z at (-2, 5, -4)
from viz.player import backprop_html

pytestmark = [pytest.mark.browser, pytest.mark.dot]

SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"


def chain_rule(label_x="x"):
    """f = (x + y) z at x = -2, y = 5, z = -4, with x labelled `label_x`."""
    f = build()
    f.inputs[0].inputs[0].label = label_x
    return f


@pytest.fixture
def browser_page():
    """A fresh page in headless Chromium that records requests, errors and dialogs."""
    from playwright.sync_api import sync_playwright

    chromium = next(
        shutil.which(b)
        for b in ("chromium", "chromium-browser", "google-chrome")
        if shutil.which(b)
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        seen = {"outside": [], "errors": [], "dialogs": []}

        def refuse(route):  # anything that is not the file itself must never be asked for
            seen["outside"].append(route.request.url)
            route.abort()

        page.route(lambda url: not url.startswith("file://"), refuse)
        page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
        page.on("pageerror", lambda e: seen["errors"].append(str(e)))
        page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
        yield page, seen
        browser.close()


def cell(page, i, word):
    return page.locator(f"#v{i}-{word} text").text_content()


def settle(page):
    page.wait_for_timeout(450)  # the camera glides for 350 ms


def test_step_through_by_button_and_by_keys(tmp_path, browser_page):
    page, seen = browser_page
    path = backprop_html(chain_rule(), tmp_path / "backprop.html").path
    page.goto(Path(path).as_uri())
    assert page.locator("#counter").text_content() == "step 1 / 10"
    assert cell(page, 0, "data") == "-2" and cell(page, 0, "grad") == "?"
    assert cell(page, 4, "data") == "?"  # f is not computed yet
    SHOTS.mkdir(parents=True, exist_ok=True)
    settle(page)
    page.screenshot(path=str(SHOTS / "player-forward.png"))

    for _ in range(9):
        page.click("#next")
    assert page.locator("#counter").text_content() == "step 10 / 10"
    assert page.locator("#next").is_disabled()
    # x, y and z in topological order are v0, v1 and v3: the seed's -4, -4 and 3.
    assert [cell(page, i, "grad") for i in (0, 1, 3)] == ["-4", "-4", "3"]
    assert "df/dx = df/dq · dq/dx" in page.locator("#lines").text_content()
    assert page.locator("#v0").get_attribute("class").split().count("cr-current") == 1
    assert "cr-flow" in page.locator("#e2_0").get_attribute("class")
    settle(page)
    page.screenshot(path=str(SHOTS / "player-backward.png"))

    page.click("#reset")
    assert page.locator("#counter").text_content() == "step 1 / 10"
    assert cell(page, 0, "grad") == "?"
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    assert page.locator("#counter").text_content() == "step 10 / 10"
    assert [cell(page, i, "grad") for i in (0, 1, 3)] == ["-4", "-4", "3"]
    page.keyboard.press("ArrowLeft")
    assert page.locator("#counter").text_content() == "step 9 / 10"
    assert cell(page, 0, "grad") == "?"  # x's gradient is not known one step earlier

    assert seen == {"outside": [], "errors": [], "dialogs": []}


def test_quiz_says_right_and_wrong_before_revealing(tmp_path, browser_page):
    page, seen = browser_page
    path = backprop_html(chain_rule(), tmp_path / "backprop.html").path
    page.goto(Path(path).as_uri())
    page.check("#quiz")
    page.keyboard.press("End")  # to the last step, df/dx, then back to df/dq
    for _ in range(2):
        page.click("#prev")
    assert page.locator("#counter").text_content() == "step 8 / 10"
    assert cell(page, 2, "grad") == "?"  # q's gradient hidden until answered
    assert page.locator("#ask").is_visible()
    page.fill("#answer", "-4")
    page.keyboard.press("Enter")
    assert page.locator("#verdict").text_content().startswith("\u2713 Right")
    assert cell(page, 2, "grad") == "-4"

    page.click("#next")
    assert cell(page, 1, "grad") == "?"  # df/dy
    settle(page)
    page.screenshot(path=str(SHOTS / "player-quiz-question.png"))
    page.fill("#answer", "4")
    page.click("#ask button[type=submit]")
    verdict = page.locator("#verdict").text_content()
    assert verdict.startswith("\u2717 Not quite") and "df/dy = -4" in verdict
    assert cell(page, 1, "grad") == "-4"
    assert page.locator("#score").text_content() == "Quiz: 1 right out of 2 answered"
    settle(page)
    page.screenshot(path=str(SHOTS / "player-quiz.png"))

    page.click("#next")
    page.fill("#answer", "minus four")
    page.keyboard.press("Enter")
    assert "Type a number" in page.locator("#verdict").text_content()
    assert cell(page, 0, "grad") == "?"  # not a number: still hidden, still asking
    assert seen == {"outside": [], "errors": [], "dialogs": []}


def test_a_script_label_stays_inert_in_the_browser(tmp_path, browser_page):
    page, seen = browser_page
    evil = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
    path = backprop_html(chain_rule(evil), tmp_path / "backprop.html").path
    page.goto(Path(path).as_uri())
    page.keyboard.press("End")
    assert evil in page.locator("#v0").text_content()  # shown as text in the box
    assert evil in page.locator("#panel").text_content()  # and in the narration
    assert page.locator("img").count() == 0
    assert seen == {"outside": [], "errors": [], "dialogs": []}


def test_a_bigger_graph_starts_zoomed_and_follows_the_step(tmp_path, browser_page):
    from demos.lesson03_part_lifetime import build

    page, seen = browser_page
    path = backprop_html(build(), tmp_path / "backprop.html").path
    page.goto(Path(path).as_uri())
    assert page.locator("#zoom-fit").text_content().endswith("\u00d7")  # zoomed in to read
    boxes = set()
    for _ in range(40):  # faster than the camera glides: every box must stay a real box
        page.keyboard.press("ArrowRight")
        boxes.add(page.locator("#graph svg").get_attribute("viewBox"))
    settle(page)
    boxes.add(page.locator("#graph svg").get_attribute("viewBox"))
    for box in boxes:
        x, y, w, h = (float(v) for v in box.split())
        assert w > 0 and h > 0
    assert len(boxes) > 2  # the camera moved with the steps
    page.keyboard.press("0")
    settle(page)
    assert page.locator("#zoom-fit").text_content() == "Fit"
    page.screenshot(path=str(SHOTS / "player-network-fit.png"))
    assert seen == {"outside": [], "errors": [], "dialogs": []}
