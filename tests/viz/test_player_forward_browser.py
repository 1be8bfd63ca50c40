"""Forward mode in a real browser, driven as a student drives it: lesson 2's f = (x + y) z at
(-2, 5, -4) followed from x (ẋ = 1), stepped with the keys and the mouse, each tangent typed
into the quiz, the answers downloaded, the page read in English and Chinese at 1280 x 720 and
1920 x 1080 (screenshots in out/screenshots/forward/)."""

import csv
import io
import random
import re
import unicodedata
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autograd import Value, mode_costs, topological_order
from demos.lesson02_chain_rule import build
from nn import MLP
from viz.player import backprop_html

pytestmark = [pytest.mark.browser, pytest.mark.render]

SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots" / "forward"
SIZES = [(1280, 720), (1920, 1080)]
D = "\u0307"  # the combining dot above: the page writes q̇ as q + U+0307


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """(mode, lang) -> the file:// address of that page for f, following x."""
    out = tmp_path_factory.mktemp("forward")
    found = {}
    for mode in ("forward", "both"):
        for lang in ("en", "zh-CN"):
            f = build()
            x = f.inputs[0].inputs[0]
            path = out / f"{mode}-{lang}.html"
            found[mode, lang] = Path(backprop_html(f, path, mode=mode, wrt=x, lang=lang).path)
    return {key: path.as_uri() for key, path in found.items()}


def cell(page, i, word):
    """The number shown in node i's cell (data, tangent, grad) of the picture."""
    return page.locator(f"#v{i}-{word} text")


def nfc(text):
    return unicodedata.normalize("NFC", text)


def test_each_step_shows_a_value_with_its_tangent_and_lights_it_in_the_picture(pages, open_page):
    page = open_page(pages["forward", "en"])
    expect(page.locator("#counter")).to_have_text("step 1 / 5")
    expect(page.locator("#phase")).to_have_text(f"Forward mode, x{D} = 1")
    expect(cell(page, 0, "tangent")).to_have_text("1")
    expect(cell(page, 2, "tangent")).to_have_text("?")  # q̇ is not found yet
    expect(cell(page, 4, "data")).to_have_text("?")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#heading")).to_have_text("Value and tangent of q")
    expect(page.locator("#lines > div")).to_have_text(
        ["q = x + y = -2 + 5 = 3", f"q{D} = x{D} + y{D}", "= 1 + 0", "= 1"]
    )
    expect(page.locator("#lines > div.result.tangent")).to_have_text("= 1")
    expect(cell(page, 2, "tangent")).to_have_text("1")
    expect(page.locator("#v2")).to_have_class(re.compile(r"\bcr-current\b"))
    expect(page.locator("#graph")).to_have_class("phase-tangent")
    page.keyboard.press("End")
    expect(page.locator("#counter")).to_have_text("step 5 / 5")
    expect(cell(page, 4, "tangent")).to_have_text("-4")
    expect(page.locator("#after")).to_have_text(
        f"The output's tangent is the derivative: f{D} = ∂f/∂x = -4, after one forward-mode pass."
    )
    assert page.locator("#v4-grad").count() == 0  # forward mode alone finds no gradient
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#counter")).to_have_text("step 4 / 5")
    expect(cell(page, 4, "tangent")).to_have_text("?")


def test_a_click_goes_to_the_step_of_the_node_in_the_phase_on_screen(pages, open_page):
    page = open_page(pages["both", "en"])
    page.locator("#v2").click()  # q, in the forward-mode sweep: its value and tangent
    expect(page.locator("#counter")).to_have_text("step 3 / 10")
    expect(page.locator("#phase")).to_have_text(f"Forward mode, x{D} = 1")
    page.keyboard.press("End")
    expect(page.locator("#phase")).to_have_text("Backward pass")
    page.locator("#v2").click()  # q again, now in backprop: its gradient
    expect(page.locator("#counter")).to_have_text("step 8 / 10")
    expect(page.locator("#heading")).to_have_text("Gradient of q")
    expect(cell(page, 2, "tangent")).to_have_text("1")  # the sweep before is still shown
    expect(cell(page, 2, "grad")).to_have_text("-4")


def test_both_modes_end_with_the_two_sweeps_agreeing(pages, open_page):
    page = open_page(pages["both", "en"])
    page.keyboard.press("End")
    expect(page.locator("#counter")).to_have_text("step 10 / 10")
    # ḟ = -4 from the forward-mode sweep is ∂f/∂x = -4 from backprop: the same number.
    expect(page.locator("#after")).to_have_text(
        f"Both sweeps agree: forward mode's f{D} = -4 equals reverse mode's ∂f/∂x = -4."
    )
    expect(cell(page, 4, "tangent")).to_have_text("-4")
    expect(cell(page, 0, "grad")).to_have_text("-4")
    costs = page.locator("#costs")
    expect(costs.locator("tr.forward")).to_have_text("forward mode312 = 3 × 4")
    expect(costs.locator("tr.reverse")).to_have_text("reverse mode14 = 1 × 4")


def answer(page, typed):
    """Type `typed` into the open question with the keyboard, as a student does, and Enter."""
    page.keyboard.type(typed)
    page.keyboard.press("Enter")


def test_the_quiz_asks_every_tangent_and_the_download_holds_the_answers(pages, open_page):
    page = open_page(pages["forward", "en"])
    page.keyboard.press("q")
    expect(page.locator("#ask-label")).to_have_text(f"Your turn: x{D} = ?")
    expect(page.locator("#lines > div")).to_have_text(["x = -2  (an input)"])  # no answer
    expect(cell(page, 0, "tangent")).to_have_text("?")
    answer(page, "１")  # an IME's full-width one
    expect(page.locator("#verdict")).to_have_text("\u2713 Right: you typed １")
    expect(cell(page, 0, "tangent")).to_have_text("1")
    page.keyboard.press("ArrowRight")
    answer(page, "1")  # ẏ: wrong (y stays still) ...
    expect(page.locator("#verdict")).to_have_text("\u2717 Not yet: you typed 1. Try once more.")
    expect(page.locator("#hint")).to_contain_text("how fast does y move when x moves at 1?")
    answer(page, "0")  # ... then right
    expect(page.locator("#verdict")).to_have_text("\u2713 Right at the second try: you typed 0")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#ask-label")).to_have_text(f"Your turn: q{D} = ?")
    expect(page.locator("#lines > div")).to_have_text(
        ["q = x + y = -2 + 5 = 3", f"q{D} = x{D} + y{D}"]
    )
    page.keyboard.press("ArrowRight")  # an open question is not skipped
    expect(page.locator("#counter")).to_have_text("step 3 / 5")
    answer(page, "1")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Escape")
    page.keyboard.press("r")  # ż: shown, nothing typed
    expect(page.locator("#verdict")).to_have_text(f"Shown: z{D} = 0")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#after")).to_have_text("")  # the derivative waits for the answer
    answer(page, "\u22124")  # U+2212, the minus sign
    expect(page.locator("#verdict")).to_have_text("\u2713 Right: you typed \u22124")
    expect(page.locator("#after")).to_contain_text(f"f{D} = ∂f/∂x = -4")
    expect(page.locator("#score")).to_have_text(
        "Quiz: 4 right out of 5 (3 at the first try, 1 shown)"
    )
    page.locator("#student").click()
    page.keyboard.type("Wang Fang")
    with page.expect_download() as info:
        page.locator("#export button").click()
    text = Path(info.value.path()).read_bytes().decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    title = "Forward mode: f = q * z"
    assert rows == [
        ["student", "sheet", "question", "answer"],
        ["Wang Fang", title, f"x{D}", "１"],
        ["Wang Fang", title, f"y{D}", "0"],
        ["Wang Fang", title, f"q{D}", "1"],
        ["Wang Fang", title, f"z{D}", ""],
        ["Wang Fang", title, f"f{D}", "\u22124"],
    ]


def test_both_modes_quiz_tangents_then_gradients(pages, open_page):
    page = open_page(pages["both", "en"])
    page.keyboard.press("q")
    for typed in ["1", "0", "1", "0", "-4"]:  # ẋ ẏ q̇ ż ḟ
        answer(page, typed)
        page.keyboard.press("ArrowRight")
    expect(page.locator("#ask-label")).to_have_text("Your turn: ∂f/∂f = ?")
    expect(cell(page, 4, "grad")).to_have_text("?")
    answer(page, "1")
    expect(cell(page, 4, "grad")).to_have_text("1")
    expect(page.locator("#score")).to_have_text("Quiz: 6 right out of 6 (6 at the first try)")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("mode", ["forward", "both"])
def test_the_chinese_page_speaks_forward_mode_and_fits_the_screen(pages, open_page, mode, size):
    page = open_page(pages[mode, "zh-CN"], *size)
    expect(page.locator("#phase")).to_have_text(f"前向模式，x{D} = 1")
    expect(page.locator("#heading")).to_have_text("x 的值和切向量")
    expect(page.locator("#costs h3")).to_have_text("求整个梯度的计算量")
    expect(page.locator("#costs thead")).to_have_text("遍数乘法次数")
    expect(page.locator("#costs tr.reverse th")).to_have_text("反向模式")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#after")).to_have_text(
        f"输出的切向量就是导数：f{D} = ∂f/∂x = -4，只用了一遍前向模式计算。"
    )
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")  # back at q: "x 每变化 1，q 就变化 1。"
    expect(page.locator(".why")).to_contain_text("q 就变化 1")
    expect(page.locator(".why")).to_have_css("font-style", "normal")  # Chinese is not slanted
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{mode}-zh-CN-{size[0]}.png"))
    panel = page.locator("#panel").bounding_box()
    costs = page.locator("#costs").bounding_box()
    assert costs["y"] + costs["height"] <= size[1]  # the whole table on screen at the root
    assert costs["x"] >= panel["x"] and costs["x"] + costs["width"] <= panel["x"] + panel["width"]
    widths = page.locator("#costs").evaluate("c => [c.scrollWidth, c.clientWidth]")
    assert widths[0] <= widths[1]  # no column cut off


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_compact_top_bar_and_the_cost_table_still_fit(pages, open_page, lang):
    page = open_page(pages["both", lang], 1024, 720)
    header = page.locator("header").bounding_box()
    nav = page.locator("nav").bounding_box()
    assert nav["height"] < 50 and header["height"] < 60  # one row of controls
    assert page.locator("h1").evaluate("h => h.scrollWidth <= h.clientWidth + 1")  # whole title
    widths = page.locator("#costs").evaluate("c => [c.scrollWidth, c.clientWidth]")
    assert widths[0] <= widths[1]  # the cost table fits the narrower panel


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("mode", ["forward", "both"])
def test_screenshots_of_every_page(pages, open_page, mode, lang, size):
    """The pictures to look at: the first step, the root's tangent, the last step."""
    page = open_page(pages[mode, lang], *size)
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = f"{mode}-{lang}-{size[0]}"
    page.screenshot(path=str(SHOTS / f"{name}-first.png"))
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#counter")).to_contain_text("5")
    page.screenshot(path=str(SHOTS / f"{name}-root.png"))
    page.keyboard.press("End")
    expect(page.locator("#next")).to_be_disabled()
    page.screenshot(path=str(SHOTS / f"{name}-last.png"))
    assert nfc(page.locator("#phase").text_content())  # a phase is always said


def test_a_node_is_reached_with_tab_and_read_with_its_tangent(pages, open_page):
    page = open_page(pages["both", "en"])
    elements = [f"v{i}" for i in range(5)]
    for _ in range(14):  # the controls first, then the graph's nodes
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id")
        if focused in elements:
            break
    assert focused == "v0"  # x, the first box
    expect(page.locator("#v0")).to_have_attribute(
        "aria-label", "x: value -2, tangent 1, gradient not known yet"
    )
    expect(page.locator("#v4")).to_have_attribute(
        "aria-label", "f: value not computed yet, tangent not known yet, gradient not known yet"
    )
    page.keyboard.press("End")
    page.locator("#v4").focus()
    page.keyboard.press("Enter")  # in the backward pass: f's gradient, the first backward step
    expect(page.locator("#counter")).to_have_text("step 6 / 10")
    expect(page.locator("#v4")).to_have_attribute(
        "aria-label", "f: value -12, tangent -4, gradient 1"
    )


def test_a_long_list_of_inputs_stays_inside_the_panel(tmp_path, open_page):
    random.seed(0)
    model = MLP(2, [3, 1])
    out = model([Value(1.0, "u0"), Value(-2.0, "u1")])
    out.label = "out"
    params = model.parameters()
    path = tmp_path / "mlp.html"
    backprop_html(out, path, mode="both", wrt=params[3], params=model, collapse=1)
    page = open_page(path.as_uri(), 1280, 720)
    page.keyboard.press("End")
    leaves = [node for node in topological_order(out) if node.op is None and node.label]
    costs = mode_costs(out, leaves)  # every input and parameter: 2 + 13
    n, e = costs.inputs, costs.edges
    expect(page.locator("#costs tr.forward")).to_have_text(f"forward mode{n}{n * e} = {n} × {e}")
    widths = page.locator("#costs").evaluate("c => [c.scrollWidth, c.clientWidth]")
    assert widths[0] <= widths[1]  # no name runs out of the panel
    expect(page.locator("#costs .costs-what")).to_contain_text("…")  # not all 15 names
