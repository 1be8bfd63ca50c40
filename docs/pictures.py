"""Regenerate the pictures the README shows, from the lessons (`make docs` runs this).

docs/chain-rule.svg  lesson 2's graph; docs/path-w1_00.svg  lesson 4's path view;
docs/player.png  the backprop player mid-way through backprop; docs/moons.png  lesson 9.
"""

import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # run from a checkout without installing

import viz  # noqa: E402
from demos import lesson02_chain_rule, lesson04_two_layer_formulas  # noqa: E402
from demos.cli import LESSONS  # noqa: E402

PLAYER_STEPS = 8  # arrow presses: the forward pass, then into backward, at df/dx
PLAYER_SIZE = (1200, 640)


def replace(source, target):
    """Copy `source` over `target` in one step (temp file in the same folder, then rename)."""
    tmp = f"{target}.tmp"
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def screenshot(page, target):
    """A PNG of the player page after PLAYER_STEPS steps: Playwright, else plain Chromium."""
    tmp = f"{target}.tmp.png"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is not None:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"))
            tab = browser.new_page(viewport=dict(zip(("width", "height"), PLAYER_SIZE)))
            tab.goto(f"file://{page}")
            for _ in range(PLAYER_STEPS):
                tab.keyboard.press("ArrowRight")
            tab.screenshot(path=tmp)
            browser.close()
    else:  # no keys without Playwright: the page as it opens
        subprocess.run(
            [
                shutil.which("chromium") or "chromium",
                "--headless",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--window-size={PLAYER_SIZE[0]},{PLAYER_SIZE[1]}",
                f"--screenshot={tmp}",
                f"file://{page}",
            ],
            check=True,
            capture_output=True,
        )
    os.replace(tmp, target)


def main():
    with tempfile.TemporaryDirectory() as work:
        f = lesson02_chain_rule.build()
        f.backward()
        viz.save(viz.draw_dot(f), os.path.join(HERE, "chain-rule.svg"))
        loss = lesson04_two_layer_formulas.build()
        viz.save(viz.draw_path(loss, "w1_00"), os.path.join(HERE, "path-w1_00.svg"))
        page = os.path.join(work, "player.html")
        viz.backprop_html(f, page, title=lesson02_chain_rule.LESSON.title)
        screenshot(page, os.path.join(HERE, "player.png"))
        moons = LESSONS["moons"]
        moons(out=os.path.join(work, "moons"), echo=lambda text: None)
        if moons.skipped:
            sys.exit(f"docs/pictures.py: the moons plot was skipped: {moons.skipped[0]}")
        replace(os.path.join(work, "moons", "moons_regions.png"), os.path.join(HERE, "moons.png"))
    for name in ("chain-rule.svg", "path-w1_00.svg", "player.png", "moons.png"):
        print(os.path.join("docs", name))


if __name__ == "__main__":
    main()
