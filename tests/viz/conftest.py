"""What the player's browser tests share (English and Chinese pages alike)."""

import pytest

CLEAN = {"outside": [], "errors": [], "dialogs": []}


@pytest.fixture
def open_page(browser):
    """open_page(url, width, height, still=True): a new page that records requests, errors
    and dialogs; still: the reader asked for reduced motion, so the camera jumps, not glides.
    When the test ends, no page may have asked for anything outside or logged an error."""
    opened = []

    def open_(url, width=1280, height=720, still=True, **options):
        context = browser.new_context(
            viewport={"width": width, "height": height},
            reduced_motion="reduce" if still else "no-preference",
            **options,
        )
        page = context.new_page()
        seen = {"outside": [], "errors": [], "dialogs": []}

        def refuse(route):  # anything that is not the file itself must never be asked for
            seen["outside"].append(route.request.url)
            route.abort()

        page.route(lambda address: not address.startswith("file://"), refuse)
        page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
        page.on("pageerror", lambda e: seen["errors"].append(str(e)))
        page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
        page.goto(url)
        opened.append((context, seen))
        return page

    yield open_
    for context, seen in opened:
        context.close()
        assert seen == CLEAN
