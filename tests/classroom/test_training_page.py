"""The live training view in a real browser: training.js and training.css served under the
classroom's own Content-Security-Policy, fed frames from a real Training, read and clicked as
the teacher and the students meet it. Every page is checked for console errors at the end."""

import re
from pathlib import Path

import pytest

from classroom.training import Training
from viz.i18n import language, messages

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "classroom" / "static"
ORIGIN = "http://classroom.test"
# app.py's header, so an inline style or script the page would need shows up as an error here
CSP = (
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; frame-src 'self'"
)
PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<link rel="stylesheet" href="/static/training.css"><script src="/static/training.js"></script>
</head><body><main id="live"></main></body></html>"""
POSITIVE, NEGATIVE = "#B2182B", "#2166AC"


def trained(task, steps):
    training = Training(task)
    for _ in range(steps):
        training.step()
    return training


def frame_of(training, status="running"):
    frame = training.frame()
    frame["status"] = status  # what Trainer adds
    return frame


@pytest.fixture
def open_view(browser):
    """open_view(teacher=False, lang="en", size=(1280, 720)) -> a page with the view mounted;
    a teacher's view records what it sends in window.sent."""
    contexts, errors = [], []

    def serve(route):
        path = route.request.url[len(ORIGIN) :].split("?")[0]
        headers = {"Content-Security-Policy": CSP}
        if path.startswith("/static/"):
            name = path[len("/static/") :]
            kind = "text/css" if name.endswith(".css") else "text/javascript"
            body = (STATIC / name).read_bytes()
            route.fulfill(status=200, body=body, headers={**headers, "Content-Type": kind})
        else:
            lang = "zh-CN" if "zh" in route.request.url else "en"
            html = PAGE.format(lang=lang)
            route.fulfill(status=200, body=html, headers={**headers, "Content-Type": "text/html"})

    def open_(teacher=False, lang="en", size=(1280, 720)):
        context = browser.new_context(viewport={"width": size[0], "height": size[1]})
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route(f"{ORIGIN}/**", serve)
        page.goto(f"{ORIGIN}/?lang={'zh' if lang != 'en' else 'en'}")
        with language(lang):
            words = messages("classroom")
        page.evaluate(
            """([words, teacher]) => {
                window.sent = [];
                const send = teacher ? (m) => window.sent.push(m) : undefined;
                const live = document.getElementById("live");
                window.view = window.chainruleTraining(live, {messages: words, send});
            }""",
            [words, teacher],
        )
        return page

    yield open_
    for context in contexts:
        context.close()
    assert errors == []


def show(page, frame):
    page.evaluate("(frame) => window.view.update(frame)", frame)


def number_in(text):
    return float(re.search(r"-?\d+(\.\d+)?(e-?\d+)?", text.split(" ", 1)[-1]).group())


def test_a_student_sees_the_numbers_the_boundary_and_the_network_but_no_controls(open_view):
    page = open_view()
    training = trained("moons", 5)
    frame = frame_of(training)
    show(page, frame)
    assert page.locator(".crt-title").text_content() == "Live training: two moons"
    assert page.locator("[data-stat=step]").text_content() == "step 5"
    loss = page.locator("[data-stat=loss]").text_content()
    assert loss.startswith("loss ") and number_in(loss) == pytest.approx(frame["loss"][-1], 1e-3)
    accuracy = round(100 * frame["accuracy"])
    assert page.locator("[data-stat=accuracy]").text_content() == f"accuracy {accuracy}%"
    assert page.locator("[data-stat=lr]").text_content() == "SGD, learning rate 1"
    assert page.locator(".crt-status").text_content() == "Training is running"
    # the heat map and the points are drawn: many colours, the two classes' among them
    colours = page.evaluate(
        """() => {
            const c = document.querySelector(".crt-canvas");
            const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            const seen = new Set();
            for (let i = 0; i < d.length; i += 4) seen.add(d.slice(i, i + 4).join(","));
            return [...seen];
        }"""
    )
    assert len(colours) > 50 and "0,114,178,255" in colours and "213,94,0,255" in colours
    # 2 + 16 + 16 + 1 neurons; 2*16 + 16*16 + 16 weights, each coloured by its gradient's sign
    assert page.locator(".crt-net-svg circle").count() == 35
    lines = page.locator(".crt-net-svg line.crt-weight")
    assert lines.count() == 304
    signs = page.evaluate(
        """() => [...document.querySelectorAll(".crt-net-svg line.crt-weight")]
            .map((l) => [Number(l.dataset.grad), l.getAttribute("stroke"),
                         Number(l.getAttribute("stroke-width"))])"""
    )
    flat = [g for layer in frame["network"]["grads"] for row in layer for g in row]
    assert [g for g, _, _ in signs] == pytest.approx(flat)
    assert all(colour == (POSITIVE if g > 0 else NEGATIVE) for g, colour, _ in signs if g)
    thickest = max(signs, key=lambda s: s[2])
    assert abs(thickest[0]) == pytest.approx(max(map(abs, flat)))
    assert page.locator(".crt button, .crt input").count() == 0


def test_the_loss_curve_has_a_point_per_step_on_a_log_scale_once_it_falls_tenfold(open_view):
    page = open_view()
    show(page, frame_of(trained("moons", 3)))
    assert page.locator(".crt-loss-svg polyline").get_attribute("points").count(",") == 3
    assert "loss" in page.locator(".crt-loss-svg").text_content()
    assert "log scale" not in page.locator(".crt-loss-svg").text_content()
    training = trained("moons", 100)
    show(page, frame_of(training))
    svg = page.locator(".crt-loss-svg")
    assert svg.locator("polyline").get_attribute("points").count(",") == 100
    assert "loss (log scale)" in svg.text_content() and "100" in svg.text_content()
    assert page.locator("[data-stat=accuracy]").text_content() == "accuracy 100%"


def test_a_new_task_redraws_the_network_with_its_own_sizes(open_view):
    page = open_view()
    show(page, frame_of(trained("moons", 1)))
    show(page, frame_of(trained("xor", 2)))
    assert page.locator(".crt-title").text_content() == "Live training: XOR"
    assert page.locator(".crt-net-svg circle").count() == 7  # 2 + 4 + 1
    assert page.locator(".crt-net-svg line.crt-weight").count() == 12  # 2*4 + 4
    assert page.locator("[data-stat=lr]").text_content() == "Adam, learning rate 0.1"


def test_the_teachers_controls_send_the_servers_messages(open_view):
    page = open_view(teacher=True)
    training = trained("moons", 2)
    show(page, frame_of(training))
    sent = lambda: page.evaluate("window.sent")  # noqa: E731
    toggle = page.get_by_role("button", name="Pause")
    toggle.click()
    assert sent() == [{"type": "training", "action": "pause"}]
    show(page, frame_of(training, "paused"))
    assert page.locator(".crt-status").text_content() == "Training is paused"
    page.get_by_role("button", name="Resume").click()
    page.get_by_role("button", name="Step").click()
    assert sent()[1:] == [
        {"type": "training", "action": "resume"},
        {"type": "training", "action": "step"},
    ]
    field = page.get_by_role("textbox", name="Learning rate")
    assert field.input_value() == "1"
    field.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("0.05")
    page.keyboard.press("Enter")
    assert sent()[-1] == {"type": "lr", "value": 0.05}
    field.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("０．５")  # full-width, as a Chinese input method types it
    page.keyboard.press("Enter")
    assert sent()[-1] == {"type": "lr", "value": 0.5}
    count = len(sent())
    field.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("20")
    page.get_by_role("button", name="Set").click()
    alert = page.get_by_role("alert")
    assert alert.text_content() == "The learning rate must be a number above 0 and at most 10."
    assert len(sent()) == count
    # the slider: log scale, 0.05 of a decade a key press: 1 -> 10^0.05 = 1.12
    page.get_by_role("slider", name="Learning rate (slider, log scale)").focus()
    page.keyboard.press("ArrowRight")
    assert sent()[-1] == {"type": "lr", "value": 1.12}
    assert page.locator(".crt-error").text_content() == ""  # (hidden when empty)
    page.get_by_role("button", name="Stop").click()
    assert sent()[-1] == {"type": "training", "action": "stop"}


def test_a_stopped_training_leaves_the_teacher_no_control_to_press(open_view):
    page = open_view(teacher=True)
    show(page, frame_of(trained("xor", 1), "stopped"))
    assert page.locator(".crt-status").text_content() == "Training stopped"
    for name in ("Pause", "Step", "Stop"):
        assert page.get_by_role("button", name=name).is_disabled()
    assert page.get_by_role("textbox", name="Learning rate").is_disabled()


def test_a_diverged_training_says_what_to_do(open_view):
    page = open_view()
    training = Training("moons")
    training.model.parameters()[0].data = 1e300
    with pytest.raises(FloatingPointError):
        training.step()
    show(page, frame_of(training, "paused"))
    assert "lower the learning rate" in page.locator(".crt-status").text_content()
    assert page.locator("[data-stat=loss]").text_content() == "loss ?"


ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
KEPT = {"SGD", "Adam", "XOR"}


def test_in_chinese_every_word_of_the_view_is_chinese(open_view):
    page = open_view(teacher=True, lang="zh-CN")
    training = trained("moons", 100)
    show(page, frame_of(training, "paused"))
    text = page.locator(".crt").inner_text()
    assert "实时训练：双月数据" in text and "第 100 步" in text and "准确率 100%" in text
    assert "SGD，学习率 1" in text and "训练已暂停" in text and "决策边界" in text
    assert "损失（对数坐标）" in page.locator(".crt-loss-svg").text_content()
    assert page.get_by_role("button", name="继续").is_visible()
    labels = page.evaluate(
        """() => [...document.querySelectorAll(".crt [aria-label]")]
            .map((e) => e.getAttribute("aria-label")).join(" ")"""
    )
    left = [w for w in ENGLISH_WORD.findall(text + " " + labels) if w not in KEPT]
    assert left == []
    field = page.get_by_role("textbox", name="学习率")
    field.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("11")
    page.keyboard.press("Enter")
    assert page.get_by_role("alert").text_content() == "学习率必须是大于 0、不超过 10 的数。"
