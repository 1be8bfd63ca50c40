"""The player in a real browser, driven as a student drives it: headless Chromium loads pages
from file://, and the tests press keys, type answers, click, scroll the wheel and drag. Every
page is checked for requests leaving it, console errors and dialogs when its test ends."""

from pathlib import Path

import pytest

from autograd import Value
from demos.lesson02_chain_rule import build  # f = (x + y) z at (-2, 5, -4)
from viz.player import backprop_html

pytestmark = [pytest.mark.browser, pytest.mark.render]

SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"


def chain_rule(label_x="x"):
    """f = (x + y) z at x = -2, y = 5, z = -4, with x labelled `label_x`."""
    f = build()
    f.inputs[0].inputs[0].label = label_x
    return f


def fractions():
    """g = 0.75 a + 0.001 b + 0.5 c: gradients a student types as 3/4, 1e-3 and ０．５."""
    a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    g = a * Value(0.75, "k1") + b * Value(0.001, "k2") + c * Value(0.5, "k3")
    g.label = "g"
    return g


def not_finite():
    """h = a b + x k at a = -inf, b = 0, x = nan: ∂h/∂b = -inf and ∂h/∂k = nan."""
    a, b = Value(float("-inf"), "a"), Value(0.0, "b")
    x, k = Value(float("nan"), "x"), Value(2.0, "k")
    h = a * b + x * k
    h.label = "h"
    return h


def price():
    """总价 = 小计 · 税, 小计 = 单价 · 数量: names a CJK line must never split."""
    unit, count, tax = Value(15.0, "单价"), Value(2.0, "数量"), Value(1.1, "税")
    subtotal = unit * count
    subtotal.label = "小计"
    total = subtotal * tax
    total.label = "总价"
    return total


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The pages the tests open, written once: name -> file:// address."""
    out = tmp_path_factory.mktemp("pages")
    builds = {"chain": chain_rule, "fractions": fractions, "not-finite": not_finite}
    builds["price"] = price
    return {
        name: Path(backprop_html(make(), out / f"{name}.html").path).as_uri()
        for name, make in builds.items()
    }


def page_data(page):
    """The step data the page itself carries."""
    return page.evaluate("JSON.parse(document.getElementById('cr-data').textContent)")


def node_index(data, name):
    return next(i for i, node in enumerate(data["nodes"]) if node["name"] == name)


def counter(page):
    return page.locator("#counter").text_content()


def at_step(page):
    """The 0-based step on screen, read from the counter the student sees."""
    return int(counter(page).split()[1]) - 1


def cell(page, i, word):
    return page.locator(f"#v{i}-{word} text").text_content()


def verdict(page):
    return page.locator("#verdict").text_content()


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def open_question(page, name):
    """Reset, quiz on, and step to the question about `name`, revealing those before it."""
    data = page_data(page)
    target = data["nodes"][node_index(data, name)]["grad_step"]
    page.click("#reset")
    if not page.locator("#quiz").is_checked():
        page.click("#quiz")
    page.keyboard.press("End")  # forward moves stop at the first open question
    while at_step(page) < target:
        page.keyboard.press("Escape")  # out of the answer box: R reveals, → moves on
        page.keyboard.press("r")
        page.keyboard.press("ArrowRight")
    assert at_step(page) == target and page.locator("#answer").is_visible()
    return data["steps"][target]


def answer(page, typed):
    """Type into the answer box, as a student does, and press Enter."""
    page.keyboard.type(typed)
    page.keyboard.press("Enter")
    return verdict(page)


# ---- Stepping ------------------------------------------------------------------------------


def test_step_through_by_button_and_by_keys(pages, open_page):
    page = open_page(pages["chain"])
    data = page_data(page)
    assert counter(page) == "step 1 / 10"
    assert cell(page, 0, "data") == "-2" and cell(page, 0, "grad") == "?"
    assert cell(page, 4, "data") == "?"  # f is not computed yet
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    shot(page, "player-forward.png")

    for _ in range(7):
        page.click("#next")
    assert counter(page) == "step 10 / 10"
    assert page.locator("#next").is_disabled()
    # x, y and z in topological order are v0, v1 and v3: the seed's -4, -4 and 3.
    assert [cell(page, i, "grad") for i in (0, 1, 3)] == ["-4", "-4", "3"]
    last = data["steps"][-1]
    assert page.locator("#lines").inner_text().split("\n") == last["lines"] + last["answer"]
    assert page.locator("#v0").get_attribute("class").split().count("cr-current") == 1
    assert "cr-flow" in page.locator("#e2_0").get_attribute("class")

    page.click("#reset")
    assert counter(page) == "step 1 / 10"
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    assert counter(page) == "step 10 / 10"
    page.keyboard.press("ArrowLeft")
    assert counter(page) == "step 9 / 10"
    assert cell(page, 0, "grad") == "?"  # x's gradient is not known one step earlier
    shot(page, "player-backward.png")


def test_every_step_is_read_out_in_a_live_region(pages, open_page):
    page = open_page(pages["chain"])
    data = page_data(page)
    live = page.locator("[aria-live]")
    assert live.count() == 1 and live.get_attribute("aria-live") == "polite"
    for s, step in enumerate(data["steps"]):
        said = live.text_content()
        assert said.startswith(f"Step {s + 1} of 10. {step['heading']}.")
        assert all(line in said for line in step["lines"] + step["answer"])
        page.keyboard.press("ArrowRight")


def test_the_first_screen_says_how_to_use_it_in_one_line(pages, open_page):
    page = open_page(pages["chain"])
    help_line = page.locator("#help")
    assert help_line.is_visible() and "next" in help_line.text_content()
    box = help_line.bounding_box()
    line_height = help_line.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    assert box["height"] < 1.5 * line_height  # one line at 1280 x 720


# ---- The quiz -------------------------------------------------------------------------------


def test_every_key_typed_into_the_answer_is_the_students(pages, open_page):
    page = open_page(pages["chain"])
    step = open_question(page, "q")
    zoom = page.locator("#zoom-fit").text_content()
    typed = "-0+= q Q 1 2 r R -"  # each of these is a shortcut outside the box
    page.keyboard.type(typed)
    assert page.locator("#answer").input_value() == typed
    assert at_step(page) == page_data(page)["steps"].index(step)
    assert page.locator("#zoom-fit").text_content() == zoom
    assert page.locator("#quiz").is_checked() and page.locator("#play").text_content() == "Play"
    page.keyboard.press("Enter")
    assert "Type a number" in verdict(page)
    assert cell(page, 2, "grad") == "?"  # not a number: still hidden, still asking


@pytest.mark.parametrize(
    "typed",
    ["-4", "－４", "-４", "\u22124", " -4 ", "-4.0", "-8/2", "-16 / 4", "-4e0", "-40e-1", "- 4"],
)
def test_a_negative_answer_is_read_however_it_is_typed(pages, open_page, typed):
    page = open_page(pages["chain"])
    open_question(page, "q")  # ∂f/∂q = -4
    assert answer(page, typed).startswith("\u2713 Right")
    assert cell(page, 2, "grad") == "-4"


def test_fractions_exponents_and_full_width_digits_are_read(pages, open_page):
    page = open_page(pages["fractions"])
    data = page_data(page)
    cases = {"a": ["3/4", "+0.75", "０．７５", "3／4", ".75"], "b": ["1e-3", "1E-3", "0.001"]}
    cases["c"] = ["０．５", "1/2", "0.5", "+.5", "０。５"]
    for name, forms in cases.items():
        i = node_index(data, name)
        for typed in forms:
            open_question(page, name)
            assert answer(page, typed).startswith("\u2713 Right"), typed
            assert cell(page, i, "grad") == data["nodes"][i]["grad"]
    open_question(page, "c")
    assert answer(page, "5").startswith("\u2717 Not yet")  # read, and wrong


def test_a_comma_is_ambiguous_and_not_guessed(pages, open_page):
    page = open_page(pages["chain"])
    open_question(page, "q")
    for typed in ("1,000", "-4,0", "－４，０"):
        assert "comma is ambiguous" in answer(page, typed)
        assert cell(page, 2, "grad") == "?"
        page.keyboard.press("Control+a")
        page.keyboard.press("Backspace")
    assert answer(page, "-4").startswith("\u2713 Right: ")  # the commas did not cost a try


def test_an_infinite_or_nan_gradient_is_answerable(pages, open_page):
    page = open_page(pages["not-finite"])
    data = page_data(page)
    assert [data["nodes"][node_index(data, n)]["grad"] for n in ("b", "k")] == ["-inf", "nan"]
    for typed in ("-inf", "-∞", "－∞", " -Infinity "):
        open_question(page, "b")
        assert answer(page, typed).startswith("\u2713 Right"), typed
    open_question(page, "b")
    assert answer(page, "inf").startswith("\u2717")  # the sign counts
    for typed in ("nan", "NaN"):
        open_question(page, "k")
        assert answer(page, typed).startswith("\u2713 Right"), typed
    open_question(page, "k")
    assert answer(page, "0").startswith("\u2717")


def test_a_wrong_answer_gets_another_try_and_a_hint_then_the_answer(pages, open_page):
    page = open_page(pages["chain"])
    step = open_question(page, "y")  # ∂f/∂y = -4
    hints = step.get("hints", [])
    tries = max(2, len(hints) + 1)  # one more try per hint, and at least a second try
    for k in range(1, tries):
        said = answer(page, "4")
        assert said.startswith("\u2717 Not yet") and "Try once more" in said
        assert cell(page, 1, "grad") == "?"  # still hidden
        shown = page.locator("#hint div").all_text_contents()
        assert shown == [f"Hint: {h}" for h in hints[:k]]  # the gentlest first
        assert page.locator("#answer").is_visible() and page.locator("#answer").input_value() == ""
    shot(page, "player-quiz-hint.png")
    said = answer(page, "-3")
    assert said.startswith("\u2717 Not quite") and f"{step['ask']} = -4" in said
    assert cell(page, 1, "grad") == "-4" and page.locator("#hint div").count() == 0
    asked = [t["phase"] for t in page_data(page)["steps"][: at_step(page) + 1]].count("backward")
    assert page.locator("#score").text_content() == (
        f"Quiz: 0 right out of {asked} (0 at the first try, {asked} shown)"
    )
    shot(page, "player-quiz.png")

    open_question(page, "y")  # Reset cleared the answers
    answer(page, "4")
    assert answer(page, "-4").startswith("\u2713 Right at the second try")
    assert page.locator("#score").text_content() == (
        f"Quiz: 1 right out of {asked} (0 at the first try, {asked - 1} shown)"
    )


def test_arrows_and_next_do_not_skip_an_open_question(pages, open_page):
    page = open_page(pages["chain"])
    step = open_question(page, "q")
    here = at_step(page)
    page.keyboard.press("Escape")  # leave the answer box; the page's keys work again
    for key in ("ArrowRight", "End", "PageDown", " "):
        page.keyboard.press(key)
        assert at_step(page) == here, key
        assert "Answer first" in verdict(page)
    page.click("#next")
    assert at_step(page) == here and cell(page, 2, "grad") == "?"
    page.keyboard.press("ArrowLeft")  # going back is always allowed
    assert at_step(page) == here - 1
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Escape")
    page.keyboard.press("r")  # the student chooses to see it
    assert verdict(page) == f"Shown: {step['ask']} = -4" and cell(page, 2, "grad") == "-4"
    page.keyboard.press("ArrowRight")
    assert at_step(page) == here + 1
    page.keyboard.press("ArrowLeft")
    page.click("#reset")
    page.keyboard.press("End")  # a forward jump stops at the first open question
    assert page.locator("#answer").is_visible()
    assert at_step(page) == next(
        s for s, t in enumerate(page_data(page)["steps"]) if t["phase"] == "backward"
    )


def test_the_score_can_be_copied_out(pages, open_page):
    page = open_page(pages["chain"], permissions=["clipboard-read", "clipboard-write"])
    step = open_question(page, "q")
    answer(page, "-4")
    page.click("#copy")
    page.wait_for_function("() => document.getElementById('copy').textContent.startsWith('Copied')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert page.locator("#score").text_content() in copied
    assert f"step {at_step(page) + 1}: {step['ask']} = -4; typed -4: right" in copied


def test_without_a_clipboard_the_score_is_selected_to_copy(pages, open_page):
    page = open_page(pages["chain"])
    page.evaluate("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    open_question(page, "q")
    answer(page, "-4")
    page.click("#copy")
    box = page.locator("#score-text")
    box.wait_for(state="visible")
    assert page.locator("#score").text_content() in box.input_value()
    selected = box.evaluate("e => e.value.slice(e.selectionStart, e.selectionEnd)")
    assert selected == box.input_value()  # selected, so Ctrl+C copies it


# ---- The mouse -----------------------------------------------------------------------------


def centre(page, selector):
    box = page.locator(selector).bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box["width"]


def test_the_wheel_zooms_towards_the_pointer(pages, open_page):
    page = open_page(pages["chain"])
    assert page.locator("#zoom-fit").text_content() == "Fit"  # a small graph fits
    qx, qy, width = centre(page, "#v2 > path")  # q's outline
    x, y = round(qx), round(qy)  # a mouse event's position is in whole pixels
    page.mouse.move(x, y)
    page.mouse.wheel(0, -800)
    page.wait_for_function(
        "() => document.getElementById('zoom-fit').textContent.endsWith('\u00d7')"
    )
    x2, y2, width2 = centre(page, "#v2 > path")
    grow = width2 / width
    assert grow > 1.5  # q drawn bigger, and the point under the pointer stays under it
    assert abs(x2 - (x + (qx - x) * grow)) < 1 and abs(y2 - (y + (qy - y) * grow)) < 1
    page.mouse.wheel(0, 4000)
    page.wait_for_function("() => document.getElementById('zoom-fit').textContent === 'Fit'")


def test_dragging_moves_the_picture_and_is_not_a_click(pages, open_page):
    page = open_page(pages["chain"])
    page.click("#zoom-in")
    page.click("#zoom-in")
    x, y, _ = centre(page, "#v0")  # the step's node, x: in view
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 60, y - 30, steps=4)
    page.mouse.up()
    x2, y2, _ = centre(page, "#v0")
    assert abs((x2 - x) - (-60)) < 2 and abs((y2 - y) - (-30)) < 2
    page.mouse.click(x2, y2)  # a click, not a drag, on y's neighbour x: still step 1 (x's)
    assert counter(page) == "step 1 / 10"
    page.mouse.move(x2, y2)
    page.mouse.down()
    page.mouse.move(x2 + 80, y2, steps=4)  # a drag that starts on a node
    page.mouse.up()
    assert counter(page) == "step 1 / 10"  # does not jump to it


def test_clicking_a_node_jumps_to_its_step_in_the_phase_on_screen(pages, open_page):
    page = open_page(pages["chain"])
    data = page_data(page)
    z, x = node_index(data, "z"), node_index(data, "x")
    page.click(f"#{data['nodes'][z]['element']}")
    assert at_step(page) == data["nodes"][z]["value_step"]  # forward: where z's value is read
    page.click(f"#o{node_index(data, 'f')}")  # an op's ellipse stands for its output
    assert at_step(page) == data["nodes"][node_index(data, "f")]["value_step"]
    page.keyboard.press("ArrowRight")  # into the backward pass
    page.click(f"#{data['nodes'][x]['element']}")
    assert at_step(page) == data["nodes"][x]["grad_step"]  # backward: where x's grad is made


# ---- The keyboard alone --------------------------------------------------------------------


def test_a_node_is_reached_with_tab_and_read_as_text(pages, open_page):
    page = open_page(pages["chain"])
    data = page_data(page)
    elements = [node["element"] for node in data["nodes"]]
    for _ in range(12):  # the controls first, then the graph's nodes
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id")
        if focused in elements:
            break
    i = elements.index(focused)
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    node = data["nodes"][i]
    assert label == f"{node['name']}: value {node['data']}, gradient not known yet"
    assert page.evaluate("document.activeElement.matches(':focus-visible')")
    page.keyboard.press("Enter")
    assert at_step(page) == node["value_step"]
    page.keyboard.press("End")
    assert (
        page.locator(f"#{focused}").get_attribute("aria-label").endswith(f"gradient {node['grad']}")
    )


def test_a_hidden_gradient_is_not_in_any_label(pages, open_page):
    page = open_page(pages["chain"])
    step = open_question(page, "z")
    z = page_data(page)["nodes"][step["node"]]
    label = page.locator(f"#{z['element']}").get_attribute("aria-label")
    assert label == f"z: value {z['data']}, gradient not known yet"
    assert z["grad"] not in page.locator("#say").text_content()
    page.keyboard.press("Shift+Tab")  # from the answer box back to the graph and round
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") != "answer"


# ---- Text ----------------------------------------------------------------------------------


def test_a_script_label_stays_inert_in_the_browser(tmp_path, open_page):
    evil = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
    path = backprop_html(chain_rule(evil), tmp_path / "backprop.html").path
    page = open_page(Path(path).as_uri())
    page.keyboard.press("End")
    assert evil in page.locator("#v0").text_content()  # shown as text in the box
    assert evil in page.locator("#panel").text_content()  # and in the narration
    assert page.locator("img").count() == 0


# How many lines each element spans: its line boxes' distinct tops.
LINES_OF = (
    "all => all.map((e) => new Set([...e.getClientRects()].map((r) => Math.round(r.top))).size)"
)


def test_a_derivative_of_cjk_names_never_breaks_over_two_lines(pages, open_page):
    from viz.notation import partial

    page = open_page(pages["price"])
    data = page_data(page)
    page.keyboard.press("End")  # the backward pass: a click goes to a node's gradient
    for step in data["steps"][len(data["nodes"]) :]:
        page.click(f"#{data['nodes'][step['node']]['element']}")
        name = data["nodes"][step["node"]]["name"]
        units = page.locator("#lines .derivative")
        assert partial(data["root"], name) in units.all_text_contents()
        lines_per_unit = units.evaluate_all(LINES_OF)
        assert lines_per_unit == [1] * units.count()  # short ones stay whole on one line


def test_a_long_derivative_breaks_only_between_names(tmp_path, open_page):
    from viz.notation import partial

    w = Value(0.5, "layer1.neuron3.w0")
    loss = w * Value(2.0, "layer1.neuron3.x0") + Value(1.0, "layer1.neuron3.b")
    loss.label = "总损失"
    page = open_page(Path(backprop_html(loss, tmp_path / "p.html").path).as_uri(), 1024, 720)
    page.keyboard.press("End")
    page.click("#v0")  # w's gradient: ∂总损失/∂(layer1.neuron3.w0 * layer1.neuron3.x0) ...
    assert partial("总损失", w.label) in page.locator("#lines .derivative").all_text_contents()
    pieces = page.locator("#lines .derivative .piece")
    assert pieces.count() > 0
    assert pieces.evaluate_all(LINES_OF) == [1] * pieces.count()  # no name split
    panel = page.locator("#panel").bounding_box()
    for box in page.locator("#lines div").evaluate_all(
        "all => all.map((d) => d.getBoundingClientRect().right)"
    ):
        assert box <= panel["x"] + panel["width"]  # nothing runs out of the panel


# ---- The legend and folded pictures ---------------------------------------------------------


def small_network():
    """A 2-3-1 MLP's output at one point, and its parameters."""
    import random

    from nn import MLP

    random.seed(0)
    model = MLP(2, [3, 1])
    return model([Value(0.5, "x0"), Value(-0.3, "x1")]), model.parameters()


def test_the_legend_shows_graph_svgs_key_and_folds_away(tmp_path, open_page):
    out, params = small_network()
    page = open_page(Path(backprop_html(out, tmp_path / "p.html", params=params).path).as_uri())
    legend = page_data(page)["legend"]
    assert any("parameter" in entry["text"] for entry in legend)  # params= reached the key
    items = page.locator("#legend li")
    assert items.all_inner_texts() == [entry["text"] for entry in legend]
    swatch = items.first.locator(".swatch").first
    fill = swatch.evaluate("s => getComputedStyle(s).backgroundColor")
    r, g, b = (int(legend[0]["swatches"][0]["fill"][k : k + 2], 16) for k in (1, 3, 5))
    assert fill == f"rgb({r}, {g}, {b})"
    assert items.first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 16
    pane = page.locator("#graph-svg").bounding_box()["height"]
    page.click("#legend summary")  # folded away: the graph gets the room
    assert not items.first.is_visible()
    page.wait_for_function(f"() => document.getElementById('graph-svg').clientHeight > {pane}")
    page.keyboard.press("Enter")  # the summary has the focus: Enter opens the key again
    assert items.first.is_visible()


def test_a_folded_picture_lights_each_box_and_a_click_goes_to_its_step(tmp_path, open_page):
    out, params = small_network()
    path = backprop_html(out, tmp_path / "p.html", params=params, collapse=True).path
    page = open_page(Path(path).as_uri())
    data = page_data(page)
    pane = page.locator("#graph-svg").bounding_box()
    for step in data["steps"]:
        element = page.locator(f"#{data['nodes'][step['node']]['element']}")
        assert "cr-current" in element.get_attribute("class").split()
        box = element.bounding_box()
        assert pane["x"] <= box["x"] and box["x"] + box["width"] <= pane["x"] + pane["width"]
        assert pane["y"] <= box["y"] and box["y"] + box["height"] <= pane["y"] + pane["height"]
        page.keyboard.press("ArrowRight")
    folded = next(n["element"] for n in data["nodes"] if n["element"].startswith("s"))
    page.click("#reset")
    page.click(f"#{folded}")  # a folded box goes to the last of its members' value steps
    members = [n for n in data["nodes"] if n["element"] == folded]
    steps = [n["value_step"] for n in members if n["value_step"] is not None]
    assert at_step(page) == max(steps)
    assert page.locator(f"#{folded}").get_attribute("aria-label").startswith(members[-1]["name"])
