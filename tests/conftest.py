"""Shared test set-up: a fixed hypothesis profile, and the markers for what a test needs.

`render`: a layout program (graphviz-pure, which pip installs, or the system's dot).
`system_dot`: Graphviz's own dot (PDF); skipped when CHAINRULE_RENDERER forces graphviz-pure,
so CI can run the whole suite a second time with graphviz-pure drawing everything.
`browser`: Chromium and Playwright. `cjk_font`: a font with Chinese glyphs (fontconfig's
`fc-list :lang=zh`), for pictures and screenshots of zh-CN text. `torch`: PyTorch, to compare
with. `notebook`: a Jupyter kernel and nbclient (the notebook extra). `install`: builds the
wheel and installs it into a fresh virtual environment (a minute or two): run where CI=true or
CHAINRULE_TEST_INSTALL=1.
Where they are missing such tests skip with the reason, except in CI (CI=true), where a
missing tool is an error: CI must run them. Browser tests share one Chromium, `browser`.
"""

import importlib.util
import os
import shutil
import subprocess

import pytest
from hypothesis import settings

from viz import render

# Tests of English output stay English on a Chinese machine: LANGUAGE outranks LC_ALL and LANG
# (viz.i18n reads them as gettext does). A test of the environment sets LANGUAGE itself.
os.environ["LANGUAGE"] = "en"

settings.register_profile("chainrule", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("chainrule")

CHROMIUMS = ("chromium", "chromium-browser", "google-chrome")


def in_ci():
    return os.environ.get("CI", "").lower() == "true"


def cjk_font():
    """Whether fontconfig knows a font with Chinese glyphs (what dot and Chromium use here)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    done = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, check=False)
    return bool(done.stdout.strip())


def _missing(marker):
    if marker == "render" and not any(render.find(name) for name in render.RENDERERS):
        return "no layout program: pip install graphviz-pure, or install Graphviz"
    if marker == "system_dot":
        if os.environ.get(render.ENVIRONMENT) == "graphviz-pure":
            return "CHAINRULE_RENDERER=graphviz-pure: this test needs Graphviz's own dot"
        if render.find("dot") is None:
            return "Graphviz's dot program is not on PATH (needed for PDF)"
    if marker == "browser":
        if importlib.util.find_spec("playwright") is None:
            return "Playwright is not installed (pip install 'chainrule[browser]')"
        if not any(shutil.which(b) for b in CHROMIUMS):
            return "no Chromium on PATH (apt-get install chromium)"
    if marker == "notebook" and not all(
        importlib.util.find_spec(m) for m in ("nbclient", "nbformat", "ipykernel")
    ):
        return "Jupyter is not installed (pip install 'chainrule[notebook]')"
    if marker == "install" and not (in_ci() or os.environ.get("CHAINRULE_TEST_INSTALL") == "1"):
        return "slow: builds and installs the wheel; set CHAINRULE_TEST_INSTALL=1 (CI does)"
    if marker == "cjk_font" and not cjk_font():
        return "no CJK font (Debian/Ubuntu: apt-get install fonts-noto-cjk)"
    if marker == "serve" and not all(
        importlib.util.find_spec(m) for m in ("starlette", "uvicorn", "websockets", "segno")
    ):
        return "the classroom server is not installed (pip install 'chainrule[serve]')"
    if marker == "torch" and importlib.util.find_spec("torch") is None:
        return "torch is not installed (pip install 'chainrule[torch]', torch==2.13.0)"
    return None


def pytest_runtest_setup(item):
    markers = (
        "render", "system_dot", "browser", "cjk_font", "torch", "notebook", "install", "serve",
    )  # fmt: skip
    for marker in markers:
        if item.get_closest_marker(marker) is None:
            continue
        reason = _missing(marker)
        if reason is None:
            continue
        forced = reason.startswith(render.ENVIRONMENT)  # CI's second run, by design
        if in_ci() and not forced:
            pytest.fail(f"CI must run {marker} tests: {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (the system's own) for the whole run; tests open their pages."""
    from playwright.sync_api import sync_playwright

    chromium = next(shutil.which(b) for b in CHROMIUMS if shutil.which(b))
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()
