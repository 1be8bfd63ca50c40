"""The player in Chinese in a real browser: the chain-rule and part-lifetime lessons' pages,
made in zh-CN, stepped through with the keyboard and the mouse as a student does, at a
projector's 1280 x 720 and at 1920 x 1080, with screenshots in out/screenshots/zh-CN/."""

import importlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from demos.lesson02_chain_rule import build
from viz.i18n import language
from viz.player import backprop_html

# cjk_font: the screenshots and the font test need Chinese glyphs (CI installs fonts-noto-cjk).
pytestmark = [pytest.mark.browser, pytest.mark.render, pytest.mark.cjk_font]

SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots" / "zh-CN"
SIZES = [(1280, 720), (1920, 1080)]
LESSONS = {"chain-rule": "lesson02_chain_rule", "part-lifetime": "lesson03_part_lifetime"}
# Where the panel writes derivatives: the narration, its uses, the question and the verdict.
PANEL = "#heading, #note, #lines, #uses, #why, #ask-label, #verdict, #hint"
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")  # with full-width punctuation
# Words of three or more Latin letters are English, unless kept as they are in Chinese text
# too (keys, function names: tests/test_i18n.py's KEPT) or a label the page was given.
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z_'-]{2,}")
KEPT = {
    "tab", "enter", "space", "esc", "shift", "home", "end", "ctrl", "sigmoid", "tanh", "relu",
    "softmax", "sgd", "mse", "nan", "inf", "infinity", "svg", "html", "chainrule", "params",
}  # fmt: skip


def english_left(text, names=()):
    """The English words in `text` outside numbers, symbols, kept names and `names`' words."""
    allowed = KEPT | {w.lower() for name in names for w in ENGLISH_WORD.findall(name)}
    plain = re.sub(r"\S*[\d_]\S*", " ", text)  # w1_00, hidden0, 1e-3: names and numbers
    return [w for w in ENGLISH_WORD.findall(plain) if w.lower() not in allowed]


def test_the_english_word_check_would_catch_english():
    assert english_left("Gradient of x0: 梯度 -0.5") == ["Gradient"]
    assert english_left("第 3 步 · Tab、Enter · w1_00 · ∂L/∂x0 = 1e-3") == []
    assert english_left("hidden layer h0", names=["hidden layer"]) == []


@pytest.fixture(scope="module")
def zh_pages(tmp_path_factory):
    """Each lesson run in Chinese, as a teacher runs it: its backprop.html by lesson name."""
    pages = {}
    for name, module in LESSONS.items():
        lesson = importlib.import_module(f"demos.{module}").LESSON
        out = tmp_path_factory.mktemp(name)
        with language("zh-CN"):
            lesson(out=str(out), plots=False, echo=lambda text: None)
        pages[name] = (out / "backprop.html").as_uri()
    return pages


def page_data(page):
    return page.evaluate("JSON.parse(document.getElementById('cr-data').textContent)")


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def counter_says(page, s, total):
    """The counter shows step s (0-based), in Chinese; expect waits until it does."""
    expect(page.locator("#counter")).to_have_text(f"第 {s + 1} 步 / 共 {total} 步")


def english_on_screen(page, data):
    """English words in what the page shows, apart from the graph's labels (node and scope
    names the lesson's code gave), numbers, symbols and kept names."""
    names = [node["name"] for node in data["nodes"]]
    names += page.locator("#graph-svg g.cluster > text").all_text_contents()
    return english_left(page.evaluate("document.body.innerText"), names)


def fits(page):
    """Nothing runs off the window or out of the panel sideways."""
    return page.evaluate(
        """() => [document.documentElement, document.getElementById("panel")]
            .every((e) => e.scrollWidth <= e.clientWidth)"""
    )


def full_width(number):
    """-0.5 in a Chinese IME's full-width digits and point, with U+2212's minus: −０．５."""
    return number.replace("-", "\u2212").translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789."})


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lesson", list(LESSONS))
def test_a_student_steps_forward_backward_and_answers_in_chinese(zh_pages, open_page, lesson, size):
    page = open_page(zh_pages[lesson], *size)
    data = page_data(page)
    steps, total, tag = data["steps"], len(data["steps"]), f"{size[0]}x{size[1]}"
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    counter_says(page, 0, total)
    expect(page.locator("#next")).to_have_text("下一步 →")
    expect(page.locator("#help")).to_contain_text("点击节点")

    # Forward: the first value computed from inputs, reached with the right arrow.
    s = next(k for k, step in enumerate(steps) if data["nodes"][step["node"]]["inputs"])
    for _ in range(s):
        page.keyboard.press("ArrowRight")
    counter_says(page, s, total)
    expect(page.locator("#phase")).to_have_text("前向传播")
    expect(page.locator("#lines")).to_have_text(steps[s]["lines"][0])
    expect(page.locator("#heading")).to_have_text(re.compile(CJK.pattern))
    assert english_on_screen(page, data) == [] and fits(page)
    shot(page, f"{lesson}-forward-{tag}.png")

    # Backward: End goes to the last gradient, the first input's, with its uses.
    page.keyboard.press("End")
    counter_says(page, total - 1, total)
    expect(page.locator("#phase")).to_have_text("反向传播")
    last = steps[-1]
    expect(page.locator("#lines")).to_contain_text(last["answer"][-1])  # the number, = -4
    uses = len(last["uses"])
    expect(page.locator("#uses .title")).to_have_text(
        f"被用了 {uses} 次，各处传回的梯度相加：" if uses > 1 else "只被用了一次："
    )
    assert english_on_screen(page, data) == [] and fits(page)
    shot(page, f"{lesson}-backward-{tag}.png")

    # The quiz: Q turns it on and asks this step's question; Esc leaves the answer box, and
    # from the start End stops at the first question (the root's).
    page.keyboard.press("q")
    expect(page.locator("#quiz")).to_be_checked()
    expect(page.locator("#answer")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("Home")
    page.keyboard.press("End")
    first = next(k for k, step in enumerate(steps) if step["phase"] == "backward")
    counter_says(page, first, total)
    expect(page.locator("#ask-label")).to_have_text(f"轮到你了：{steps[first]['ask']} = ?")
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    expect(page.locator("#verdict")).to_have_text("✓ 答对了：你输入的是 1")
    expect(page.locator("#next")).to_be_focused()  # the box is gone: → goes on at once

    page.keyboard.press("ArrowRight")  # the next question: first a wrong answer, then right
    step, grad = steps[first + 1], data["nodes"][steps[first + 1]["node"]]["grad"]
    counter_says(page, first + 1, total)
    expect(page.locator("#answer")).to_be_focused()
    page.keyboard.type("12345")
    page.keyboard.press("Enter")
    expect(page.locator("#verdict")).to_have_text("✗ 还不对：你输入的是 12345。再试一次。")
    hints = [f"提示：{hint}" for hint in step.get("hints", [])[:1]]
    expect(page.locator("#hint div")).to_have_text(hints)
    assert english_on_screen(page, data) == [] and fits(page)
    shot(page, f"{lesson}-quiz-{tag}.png")
    page.keyboard.type(full_width(grad))
    page.keyboard.press("Enter")
    expect(page.locator("#verdict")).to_have_text(f"✓ 第二次答对了：你输入的是 {full_width(grad)}")
    expect(page.locator("#score")).to_have_text("测验：2 题中答对 2 题（1 题第一次就答对）")

    page.keyboard.press("ArrowRight")  # a third: the arrow waits, the student asks to see it
    page.keyboard.press("Escape")
    page.keyboard.press("ArrowRight")
    ask = steps[first + 2]["ask"]
    expect(page.locator("#verdict")).to_have_text(f"请先作答，或按「看答案」（R）查看 {ask}。")
    page.get_by_role("button", name="看答案").click()
    grad = data["nodes"][steps[first + 2]["node"]]["grad"]
    expect(page.locator("#verdict")).to_have_text(f"答案：{ask} = {grad}")
    expect(page.locator("#score")).to_have_text(
        "测验：3 题中答对 2 题（1 题第一次就答对，1 题看了答案）"
    )


def test_a_number_the_quiz_cannot_read_is_explained_in_chinese(zh_pages, open_page):
    page = open_page(zh_pages["chain-rule"])
    page.get_by_role("checkbox", name="测验").click()
    page.keyboard.press("End")
    expect(page.locator("#answer")).to_be_focused()
    page.keyboard.type("1,000")
    page.keyboard.press("Enter")
    expect(page.locator("#verdict")).to_have_text(re.compile("^逗号有歧义"))
    page.keyboard.press("Control+a")
    page.keyboard.type("一")
    page.keyboard.press("Enter")
    expect(page.locator("#verdict")).to_have_text("请输入一个数，例如 -4、0.5、1/3 或 1e-3。")
    page.keyboard.press("Control+a")
    page.keyboard.type("\uff11")  # a full-width 1: ∂f/∂f
    page.keyboard.press("Enter")
    expect(page.locator("#verdict")).to_have_text(
        "✓ 答对了：你输入的是 １"
    )  # the tries not counted


def test_the_copied_score_is_in_chinese(zh_pages, open_page):
    page = open_page(zh_pages["chain-rule"], permissions=["clipboard-read", "clipboard-write"])
    data = page_data(page)
    page.keyboard.press("q")
    page.keyboard.press("End")  # the first question: ∂f/∂f
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="复制成绩").click()
    expect(page.locator("#copy")).to_have_text("已复制 ✓")
    copied = page.evaluate("navigator.clipboard.readText()").splitlines()
    s = next(k for k, step in enumerate(data["steps"]) if step["phase"] == "backward")
    assert copied == [
        data["title"],
        "测验：1 题中答对 1 题（0 题第一次就答对）",
        f"第 {s + 1} 步：{data['steps'][s]['ask']} = 1；你输入 2，然后 1：答对",
    ]


def test_the_chinese_help_line_is_one_line_and_a_node_reads_in_chinese(zh_pages, open_page):
    page = open_page(zh_pages["chain-rule"])
    data = page_data(page)
    help_line = page.locator("#help")
    line_height = help_line.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    assert help_line.bounding_box()["height"] < 1.5 * line_height
    for _ in range(20):  # Tab through the controls to the graph's first node
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == data["nodes"][0]["element"]:
            break
    node = data["nodes"][0]
    expect(page.locator(f"#{node['element']}")).to_be_focused()
    expect(page.locator(f"#{node['element']}")).to_have_attribute(
        "aria-label", f"{node['name']}：值 {node['data']}，梯度还不知道"
    )
    expect(page.locator("#say")).to_contain_text(f"第 1 步，共 {len(data['steps'])} 步。")


# player.css's Chinese faces (macOS, Windows, then Linux's): one of them draws the Chinese, not
# a box for each glyph the Latin font lacks.
CJK_FONTS = {"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
             "Source Han Sans SC", "WenQuanYi Micro Hei"}  # fmt: skip


def fonts_of(page, selector):
    """The fonts the browser really drew `selector`'s text with (DevTools asks the renderer)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return {font["familyName"] for font in fonts}


def test_chinese_is_drawn_in_a_cjk_font_and_english_keeps_its_latin_face(
    zh_pages, open_page, tmp_path
):
    page = open_page(zh_pages["chain-rule"])
    page.keyboard.press("End")
    expect(page.locator("#phase")).to_have_text("反向传播")
    for selector in ("#next", "#help", "#phase", "#heading", "#uses .title", "#legend summary"):
        used = fonts_of(page, selector)
        assert used & CJK_FONTS, f"{selector}: {used} (no CJK font: apt-get install fonts-noto-cjk)"
    english = backprop_html(build(), tmp_path / "en.html", lang="en").path
    page = open_page(Path(english).as_uri())
    assert not fonts_of(page, "#next") & CJK_FONTS  # "Next" in the system's Latin face


# Each derivative's pieces, and whether all the panel's ∂ are inside one: (lines per piece,
# lines per derivative of up to 24 characters, ∂ count in the text, derivatives counted).
DERIVATIVES = """(panel) => {
  const boxes = [...document.querySelectorAll(panel)];
  const lines = (e) => new Set([...e.getClientRects()].map((r) => Math.round(r.top))).size;
  const units = boxes.flatMap((b) => [...b.querySelectorAll(".derivative")]);
  return {
    pieces: units.flatMap((u) => [...u.querySelectorAll(".piece")]).map(lines),
    short: units.filter((u) => u.textContent.length <= 24).map(lines),
    signs: boxes.map((b) => (b.textContent.match(/∂/g) || []).length).reduce((a, b) => a + b, 0),
    units: units.length,
  };
}"""


@pytest.mark.parametrize("width", [1280, 1024])
def test_no_chinese_line_breaks_inside_a_derivative(zh_pages, open_page, width):
    page = open_page(zh_pages["part-lifetime"], width, 720)
    steps = page_data(page)["steps"]
    for s, step in enumerate(steps):
        counter_says(page, s, len(steps))
        found = page.evaluate(DERIVATIVES, PANEL)
        assert found["signs"] == 2 * found["units"], s  # every ∂ is inside a derivative
        assert found["units"] > 0 or step["phase"] == "forward", s
        assert found["pieces"] == [1] * len(found["pieces"]), s  # no name split
        assert found["short"] == [1] * len(found["short"]), s  # a short one stays whole
        page.keyboard.press("ArrowRight")
