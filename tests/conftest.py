"""Shared test set-up: a fixed hypothesis profile, and the `dot`, `browser` and `torch` markers.

A test marked `dot` needs Graphviz's dot program; one marked `browser` needs Chromium and
Playwright; one marked `torch` compares with PyTorch. Where they are missing such tests skip
with the reason, except in CI (CI=true), where a missing tool is an error: CI must run them.
Browser tests share one Chromium, the `browser` fixture.
"""

import importlib.util
import os
import shutil

import pytest
from hypothesis import settings

settings.register_profile("chainrule", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("chainrule")

CHROMIUMS = ("chromium", "chromium-browser", "google-chrome")


def _missing(marker):
    if marker == "dot":
        return None if shutil.which("dot") else "Graphviz's dot program is not on PATH"
    if marker == "browser":
        if importlib.util.find_spec("playwright") is None:
            return "Playwright is not installed (pip install 'chainrule[browser]')"
        if not any(shutil.which(b) for b in CHROMIUMS):
            return "no Chromium on PATH (apt-get install chromium)"
    if marker == "torch" and importlib.util.find_spec("torch") is None:
        return "torch is not installed (pip install 'chainrule[torch]', torch==2.13.0)"
    return None


def pytest_runtest_setup(item):
    for marker in ("dot", "browser", "torch"):
        if item.get_closest_marker(marker) is None:
            continue
        reason = _missing(marker)
        if reason is None:
            continue
        if os.environ.get("CI", "").lower() == "true":
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
