"""Regenerate the pictures the README shows, from the lessons (`make docs` runs this).

docs/chain-rule.svg  lesson 2's graph; docs/path-w1_00.svg  lesson 4's path view;
docs/player.png  the backprop player mid-way through backprop; docs/moons.png  lesson 9;
docs/player/LESSON-{forward,backward,quiz}.png  the chain-rule, part-lifetime and xor pages
at a forward step, a backward step and a quiz answered, typed as a student types it.
docs/zh-CN/ holds the same pictures in Chinese, for README.zh-CN.md.
"""

import json
import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # run from a checkout without installing

import viz  # noqa: E402
from demos import lesson02_chain_rule, lesson04_two_layer_formulas  # noqa: E402
from demos.cli import LESSONS  # noqa: E402
from viz import i18n  # noqa: E402

PLAYER_STEPS = 8  # arrow presses: the forward pass, then into backward, at ∂f/∂x
PLAYER_SIZE = (1200, 640)
SLIDE_SIZE = (1280, 720)  # a laptop's screen and a 720p projector
SLIDE_LESSONS = ("chain-rule", "part-lifetime", "xor")
LANGUAGES = {"en": "", "zh-CN": "zh-CN"}  # README.md shows docs/, README.zh-CN.md docs/zh-CN/


def replace(source, target):
    """Copy `source` over `target` in one step (temp file in the same folder, then rename)."""
    tmp = f"{target}.tmp"
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def open_page(browser, page, size):
    """A tab showing the player `page` at `size`, the camera jumping instead of gliding."""
    tab = browser.new_page(viewport=dict(zip(("width", "height"), size)))
    tab.emulate_media(reduced_motion="reduce")
    tab.goto(f"file://{page}")
    return tab


def shoot(tab, target):
    tmp = f"{target}.tmp.png"
    tab.screenshot(path=tmp)
    os.replace(tmp, target)


def slides(browser, page, folder, name):
    """Three slides of one page: halfway through forward, late in backward, a quiz answer."""
    steps = json.loads(re.search(r'id="cr-data">(.*?)</script>', open(page).read(), re.S)[1])
    tab = open_page(browser, page, SLIDE_SIZE)
    for _ in range(len(steps["nodes"]) // 2):
        tab.keyboard.press("ArrowRight")
    shoot(tab, os.path.join(folder, "player", f"{name}-forward.png"))
    tab.keyboard.press("End")
    for _ in range(3):
        tab.keyboard.press("ArrowLeft")
    shoot(tab, os.path.join(folder, "player", f"{name}-backward.png"))
    tab.keyboard.press("q")  # quiz mode: this gradient is now a question; type its answer
    # The counter reads "step 7 / 10" or "第 7 步 / 共 10 步": its first number is the step.
    at = int(re.search(r"\d+", tab.locator("#counter").text_content())[0]) - 1
    tab.keyboard.type(steps["nodes"][steps["steps"][at]["node"]]["grad"])
    tab.keyboard.press("Enter")
    shoot(tab, os.path.join(folder, "player", f"{name}-quiz.png"))
    tab.close()


def pictures(browser, work, folder):
    """Every picture, in the language in force, into `folder`; returns their names."""
    os.makedirs(os.path.join(folder, "player"), exist_ok=True)
    written = ["chain-rule.svg", "path-w1_00.svg", "player.png", "moons.png"]
    f = lesson02_chain_rule.build()
    f.backward()
    viz.save(viz.draw_dot(f), os.path.join(folder, "chain-rule.svg"))
    loss = lesson04_two_layer_formulas.build()
    viz.save(viz.draw_path(loss, "w1_00"), os.path.join(folder, "path-w1_00.svg"))
    page = os.path.join(work, "player.html")
    viz.backprop_html(f, page, title=lesson02_chain_rule.LESSON.title)
    tab = open_page(browser, page, PLAYER_SIZE)
    for _ in range(PLAYER_STEPS):
        tab.keyboard.press("ArrowRight")
    shoot(tab, os.path.join(folder, "player.png"))
    for name in SLIDE_LESSONS:
        LESSONS[name](out=os.path.join(work, name), plots=False, echo=lambda text: None)
        slides(browser, os.path.join(work, name, "backprop.html"), folder, name)
        written += [f"player/{name}-{kind}.png" for kind in ("forward", "backward", "quiz")]
    moons = LESSONS["moons"]
    moons(out=os.path.join(work, "moons"), echo=lambda text: None)
    if moons.skipped:
        sys.exit(f"docs/pictures.py: the moons plot was skipped: {moons.skipped[0]}")
    replace(os.path.join(work, "moons", "moons_regions.png"), os.path.join(folder, "moons.png"))
    return written


def main():
    from playwright.sync_api import sync_playwright  # make docs installs the browser extra

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"))
        for lang, folder in LANGUAGES.items():
            with tempfile.TemporaryDirectory() as work, i18n.language(lang):
                for name in pictures(browser, work, os.path.join(HERE, folder)):
                    print(os.path.join("docs", folder, name))
        browser.close()


if __name__ == "__main__":
    main()
