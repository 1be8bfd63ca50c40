"""Every lesson's player page in Chromium: its title is the lesson's own and fits the top bar
from a small laptop to a projector (the bar switches to compact buttons below 1200 px)."""

import pytest

import viz
from demos import cli

pytestmark = [pytest.mark.browser, pytest.mark.render]

GRAPHS = [lesson for lesson in cli.LESSONS.values() if lesson.build is not None]


@pytest.mark.parametrize("lesson", GRAPHS, ids=[lesson.name for lesson in GRAPHS])
def test_each_lesson_page_shows_its_whole_title_at_every_width(browser, tmp_path, lesson):
    page_file = tmp_path / "backprop.html"
    viz.backprop_html(lesson.build(), str(page_file), title=lesson.title)
    for width, height in ((1024, 640), (1152, 720), (1280, 720), (1920, 1080)):
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(page_file.as_uri())
        heading = page.locator("h1")
        assert heading.inner_text() == lesson.title
        assert page.title() == lesson.title
        cut = heading.evaluate("h => h.scrollWidth > h.clientWidth")  # an ellipsis hides the rest
        assert not cut, f"{lesson.title!r} does not fit the player's top bar at {width} px"
        page.close()
