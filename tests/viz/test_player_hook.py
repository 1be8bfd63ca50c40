"""The player's hook for the live classroom (window.chainrulePlayer), in a real browser: the
teacher's page reads the step on screen, moves to a step, and holds a step's number back
while the room answers; every step drawn is announced with a "chainrule:step" event."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from demos.lesson02_chain_rule import build  # f = (x + y) z at (-2, 5, -4)
from viz.player import backprop_html

pytestmark = [pytest.mark.browser, pytest.mark.render]

X, Y, Q, Z, F = range(5)  # the nodes in topological order
Q_VALUE, Q_GRAD = 2, 7  # the steps that find q's value and q's gradient
ROOM = "The room is answering: ∂f/∂q = ?"


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    path = tmp_path_factory.mktemp("hook") / "chain.html"
    return Path(backprop_html(build(), path).path).as_uri()


def cell(page, i, word):
    return page.locator(f"#v{i}-{word} text")


def hook(page, call):
    return page.evaluate(f"window.chainrulePlayer.{call}")


def test_holding_a_gradient_hides_it_on_the_graph_and_in_the_panel(chain, open_page):
    page = open_page(chain)
    step = hook(page, f"step({Q_GRAD})")
    hook(page, f"go({Q_GRAD})")
    expect(page.locator("#counter")).to_have_text("step 8 / 10")
    expect(cell(page, Q, "grad")).to_have_text("-4")

    hook(page, f"hold({Q_GRAD}, {ROOM!r})")
    expect(cell(page, Q, "grad")).to_have_text("?")
    expect(page.locator("#verdict")).to_have_text(ROOM)
    expect(page.locator("#lines")).to_have_text("".join(step["lines"]))  # the answer gone
    expect(page.locator("#uses")).to_be_empty()
    expect(page.locator("#ask")).to_be_hidden()  # the page's own quiz does not ask
    assert "-4" not in page.locator("#v2").get_attribute("aria-label")
    assert "= -4" not in page.locator("#say").text_content()

    page.keyboard.press("ArrowRight")  # the teacher moves on: the graph keeps it hidden
    expect(page.locator("#counter")).to_have_text("step 9 / 10")
    expect(cell(page, Q, "grad")).to_have_text("?")
    expect(page.locator("#verdict")).to_be_empty()

    hook(page, "hold(null)")
    expect(cell(page, Q, "grad")).to_have_text("-4")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#lines")).to_have_text("".join(step["lines"] + step["answer"]))
    expect(page.locator("#verdict")).to_be_empty()


def test_holding_a_value_hides_it_and_its_line(chain, open_page):
    page = open_page(chain)
    hook(page, f"go({Q_VALUE})")
    expect(cell(page, Q, "data")).to_have_text("3")
    hook(page, f"hold({Q_VALUE})")  # no sentence given: the question alone
    expect(cell(page, Q, "data")).to_have_text("?")
    expect(page.locator("#verdict")).to_have_text("q = ?")
    expect(page.locator("#lines")).to_be_empty()  # "q = x + y = -2 + 5 = 3" would tell
    expect(page.locator("#heading")).to_have_text("Value of q")
    expect(cell(page, X, "data")).to_have_text("-2")  # the others as they were
    hook(page, "hold(null)")
    expect(cell(page, Q, "data")).to_have_text("3")
    expect(page.locator("#lines")).to_have_text("q = x + y = -2 + 5 = 3")


def test_a_held_step_is_not_the_quizs_question(chain, open_page):
    page = open_page(chain)
    page.click("#quiz")
    hook(page, f"hold({Q_GRAD}, {ROOM!r})")
    page.keyboard.press("End")  # the quiz stops at its first open question, f's
    expect(page.locator("#counter")).to_have_text("step 6 / 10")
    expect(page.locator("#ask")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    page.keyboard.press("ArrowRight")  # to q's step: the room's, so the box stays away
    expect(page.locator("#counter")).to_have_text("step 8 / 10")
    expect(page.locator("#ask")).to_be_hidden()
    expect(page.locator("#verdict")).to_have_text(ROOM)
    page.keyboard.press("ArrowRight")  # and it does not stop the teacher
    expect(page.locator("#counter")).to_have_text("step 9 / 10")
    hook(page, "hold(null)")
    page.keyboard.press("Escape")
    page.keyboard.press("ArrowLeft")  # released: now the quiz asks it
    expect(page.locator("#counter")).to_have_text("step 8 / 10")
    expect(page.locator("#ask")).to_be_visible()


def test_every_step_drawn_is_announced_by_keys_clicks_and_the_hook(chain, open_page):
    page = open_page(chain)
    page.evaluate(
        "window.seen = []; document.addEventListener('chainrule:step',"
        " (e) => window.seen.push(e.detail.at))"
    )
    page.keyboard.press("ArrowRight")
    expect(page.locator("#counter")).to_have_text("step 2 / 10")
    page.click("#next")
    expect(page.locator("#counter")).to_have_text("step 3 / 10")
    page.click("#v3")  # z's box: where z's value is read
    expect(page.locator("#counter")).to_have_text("step 4 / 10")
    page.keyboard.press("End")
    expect(page.locator("#counter")).to_have_text("step 10 / 10")
    hook(page, "go(5)")
    expect(page.locator("#counter")).to_have_text("step 6 / 10")
    assert page.evaluate("window.seen") == [1, 2, 3, 9, 5]
    assert hook(page, "at()") == 5


def test_the_hook_reads_steps_and_nodes_without_changing_them(chain, open_page):
    page = open_page(chain)
    assert hook(page, "total") == 10 and hook(page, "at()") == 0
    assert hook(page, f"node({Q})") == {"name": "q", "data": "3", "grad": "-4"}
    changed = page.evaluate(
        f"(() => {{ const s = window.chainrulePlayer.step({Q_GRAD}); s.lines.push('x');"
        f" s.ask = 'changed'; return window.chainrulePlayer.step({Q_GRAD}); }})()"
    )
    assert changed["ask"] == "∂f/∂q" and "x" not in changed["lines"]
    hook(page, f"go({Q_GRAD})")
    expect(page.locator("#lines")).to_have_text("".join(changed["lines"] + changed["answer"]))
