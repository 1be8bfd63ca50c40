"""The player's camera on every lesson's page: at every step, at two window sizes and at every
zoom the page picks, the current node and the edges it lights are inside the graph pane.

The reader here asks for reduced motion, so the camera jumps instead of gliding and each step
can be measured as soon as it is taken; one test checks that the glide lands the same way."""

import importlib
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.render]

DEMOS = Path(__file__).resolve().parents[2] / "demos"
SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
SIZES = [(1280, 720), (1920, 1080)]
WRITE_A_PAGE = {1, 2, 3, 4, 5, 6, 7, 8, 11}  # the lessons that write a backprop.html today

# Step through the page by its Next button and measure, in one call per zoom: what the user
# sees at step s is the page after s clicks. Returns what fell outside the pane.
MEASURE = """() => {
  const data = JSON.parse(document.getElementById("cr-data").textContent);
  const pane = document.getElementById("graph-svg").getBoundingClientRect();
  const outside = [];
  const inside = (r) => r.left >= pane.left - 0.5 && r.right <= pane.right + 0.5 &&
    r.top >= pane.top - 0.5 && r.bottom <= pane.bottom + 0.5;
  document.getElementById("reset").click();
  data.steps.forEach((step, s) => {
    const counter = document.getElementById("counter").textContent;
    if (counter !== `step ${s + 1} / ${data.steps.length}`) outside.push(`${s}: at ${counter}`);
    [data.nodes[step.node].element].concat(step.flow).forEach((id) => {
      const e = document.getElementById(id);
      if (e && !inside(e.getBoundingClientRect())) outside.push(`step ${s + 1}: ${id}`);
    });
    document.getElementById("next").click();
  });
  return outside;
}"""


@pytest.fixture(scope="module")
def lesson_pages(tmp_path_factory):
    """The lessons that write a backprop.html, run small: their pages by lesson number."""
    pages = {}
    for number in sorted(WRITE_A_PAGE):
        (path,) = DEMOS.glob(f"lesson{number:02d}_*.py")
        module = importlib.import_module(f"demos.{path.stem}")
        out = tmp_path_factory.mktemp(path.stem)
        module.LESSON(out=str(out), plots=False, small=True, echo=lambda text: None)
        pages[number] = (out / "backprop.html").as_uri()
        assert (out / "backprop.html").exists()  # a lesson that stops writing it is noticed
    return pages


def open_page(browser, url, size, still=True):
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]},
        reduced_motion="reduce" if still else "no-preference",
    )
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    return context, page, errors


def zoom_label(page):
    return page.locator("#zoom-fit").text_content()


@pytest.mark.parametrize("size", SIZES, ids=["1280x720", "1920x1080"])
def test_the_step_is_inside_the_pane_at_every_step_and_zoom(lesson_pages, browser, size):
    for number, url in lesson_pages.items():
        context, page, errors = open_page(browser, url, size)
        # The zooms the page picks: its start, one in, the deepest, one out from there, Fit.
        zooms = {}
        for keys in ([], ["+"], ["+"] * 8, ["-"], ["0"]):
            for key in keys:
                page.keyboard.press(key)
            if zoom_label(page) not in zooms:  # a small graph starts at Fit
                zooms[zoom_label(page)] = page.evaluate(MEASURE)
        context.close()
        assert {zoom: bad for zoom, bad in zooms.items() if bad} == {}, f"lesson {number}"
        assert {"Fit", "8.0\u00d7", "5.3\u00d7"} <= set(zooms) and len(zooms) >= 4
        assert errors == []


def test_a_big_graph_starts_zoomed_in_to_be_read(lesson_pages, browser):
    context, page, _ = open_page(browser, lesson_pages[6], SIZES[0])  # xor: 96 steps
    assert zoom_label(page).endswith("\u00d7")
    page.keyboard.press("0")
    assert zoom_label(page) == "Fit"
    page.click("#zoom-fit")  # Fit toggles back to the readable zoom
    assert zoom_label(page).endswith("\u00d7")
    context.close()


def test_the_glide_lands_with_the_step_inside_the_pane(lesson_pages, browser):
    context, page, _ = open_page(browser, lesson_pages[6], SIZES[0], still=False)
    for _ in range(10):  # faster than the camera glides
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        """() => {
          const data = JSON.parse(document.getElementById("cr-data").textContent);
          const pane = document.getElementById("graph-svg").getBoundingClientRect();
          const r = document.getElementById(data.nodes[data.steps[10].node].element)
            .getBoundingClientRect();
          return r.left >= pane.left && r.right <= pane.right &&
            r.top >= pane.top && r.bottom <= pane.bottom;
        }"""
    )
    assert page.locator("#counter").text_content() == "step 11 / 96"
    context.close()


@pytest.mark.parametrize("size", SIZES, ids=["1280x720", "1920x1080"])
def test_screenshots_of_three_lessons_for_slides(lesson_pages, browser, size):
    """chain-rule, part-lifetime and xor at a forward step, a backward step and a quiz answer."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for number, name in ((2, "chain-rule"), (3, "part-lifetime"), (6, "xor")):
        context, page, errors = open_page(browser, lesson_pages[number], size)
        data = page.evaluate("JSON.parse(document.getElementById('cr-data').textContent)")
        n = len(data["nodes"])
        tag = f"{name}-{size[0]}x{size[1]}"
        for _ in range(n // 2):
            page.keyboard.press("ArrowRight")
        page.screenshot(path=str(SHOTS / f"{tag}-forward.png"))
        page.keyboard.press("End")
        for _ in range(min(3, n - 1)):
            page.keyboard.press("ArrowLeft")
        assert page.locator("#phase").text_content() == "Backward pass"
        page.screenshot(path=str(SHOTS / f"{tag}-backward.png"))
        page.keyboard.press("q")  # a question now: answer it right
        step = data["steps"][int(page.locator("#counter").text_content().split()[1]) - 1]
        page.keyboard.type(data["nodes"][step["node"]]["grad"])
        page.keyboard.press("Enter")
        assert page.locator("#verdict").text_content().startswith("\u2713 Right")
        page.screenshot(path=str(SHOTS / f"{tag}-quiz.png"))
        context.close()
        assert errors == []
