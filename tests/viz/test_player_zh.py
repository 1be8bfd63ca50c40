"""The player in Chinese: lang= chooses every word of the page (its buttons, its help line,
what its script writes, the narration), the page carries its translations, and an English
page is what it always was."""

import html
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from demos.lesson02_chain_rule import build  # f = (x + y) z at (-2, 5, -4)
from viz.i18n import _, language
from viz.player import WORDS, backprop_html
from viz.walk import make_walk

pytestmark = pytest.mark.render  # every page lays its graph out with Graphviz

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")  # with full-width punctuation


def page_data(page):
    found = re.search(r'<script type="application/json" id="cr-data">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


class PageText(HTMLParser):
    """What player.html itself shows and says: its text and its title, aria-label and
    placeholder attributes, outside the style, the script and the graph's SVG."""

    SKIP = {"style", "script", "svg"}

    def __init__(self):
        super().__init__()
        self.depth, self.texts = 0, []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1
        elif not self.depth:
            words = ("title", "aria-label", "placeholder")
            self.texts += [value for key, value in attrs if key in words and value]

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth and data.strip():
            self.texts.append(data.strip())


def page_text(page):
    reader = PageText()
    reader.feed(page)
    return reader.texts


@pytest.fixture(scope="module")
def zh_page():
    return backprop_html(build(), lang="zh-CN", title="链式法则").html


@pytest.fixture(scope="module")
def en_page():
    return backprop_html(build(), lang="en").html


def test_a_chinese_page_says_it_is_chinese_and_english_says_english(zh_page, en_page):
    assert '<html lang="zh-CN">' in zh_page
    assert '<html lang="en">' in en_page


def test_the_chinese_page_has_no_english_word_of_its_own(zh_page):
    texts = page_text(zh_page)
    assert "重来" in texts and "← 上一步" in texts and "下一步 →" in texts and "测验" in texts
    assert "计算图" in texts and "例如 -4 或 1/3" in texts and "图例" in texts
    assert any(t.startswith("→ 下一步 · ← 上一步") for t in texts)  # the help line
    with language("zh-CN"):
        chinese = {english: _(english) for english in WORDS.values()}
    for english, shown in chinese.items():  # every word and every tooltip, in Chinese
        assert CJK.search(shown) and not any(english in t for t in texts), english
        assert any(shown in t for t in texts), shown
    left = [t for t in texts if re.search("[A-Za-z]{3}", t) and not CJK.search(t)]
    assert left == []


def test_every_word_the_script_writes_travels_with_the_page(zh_page):
    sys.path.insert(0, str(ROOT / "tools"))
    catalogs = pytest.importorskip("catalogs", reason="tools/catalogs.py needs Babel")
    marked = [m.id for m in catalogs.extract("player") if m.id]
    carried = page_data(zh_page)["messages"]
    assert "step {n} / {total}" in marked and "Forward pass" in marked  # player.js's own
    assert [m for m in marked if m not in carried] == []
    assert carried["step {n} / {total}"] == "第 {n} 步 / 共 {total} 步"
    assert carried["✗ Not yet: you typed {typed}. Try once more."] == (
        "✗ 还不对：你输入的是 {typed}。再试一次。"
    )
    assert all(CJK.search(text) for text in carried.values())


def test_the_narration_is_in_the_language_of_the_page():
    f = build()
    data = page_data(backprop_html(f, lang="zh-CN").html)
    with language("zh-CN"):
        walk = make_walk(f, "test")
    assert data["steps"] == walk.steps and data["legend"] == walk.legend
    assert data["title"] == walk.title
    with language("en"):
        english = make_walk(f, "test").steps
    assert english == page_data(backprop_html(f, lang="en").html)["steps"]


def test_lang_none_follows_a_language_block_and_the_environment(monkeypatch):
    with language("zh-CN"):
        page = backprop_html(build()).html
    assert '<html lang="zh-CN">' in page and ">重来<" in page
    monkeypatch.setenv("LANGUAGE", "")
    monkeypatch.setenv("LC_ALL", "")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert ">重来<" in backprop_html(build()).html
    assert ">Reset<" in backprop_html(build(), lang="en").html  # lang= wins over both


def test_an_english_page_is_what_it_was(en_page):
    data = page_data(en_page)
    assert data["messages"] == {}  # the script's own English words
    texts = page_text(en_page)
    for words in WORDS.values():
        if words != WORDS["help"]:
            assert any(words in t for t in texts), words
    assert "→ next · ← back · click a node (or Tab, Enter) to jump to it" in en_page
    assert ">&larr; Prev</button>" in en_page and ">Next &rarr;</button>" in en_page
    assert 'placeholder="e.g. -4 or 1/3"' in en_page and 'aria-label="steps"' in en_page
    assert 'title="backprop player"' in backprop_html(build(), lang="en")._repr_html_()


def test_a_jupyter_iframe_is_titled_in_the_pages_language():
    frame = backprop_html(build(), lang="zh-CN")._repr_html_()
    assert 'title="反向传播播放器"' in frame


def test_a_language_we_do_not_have_is_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "p.html"
    with pytest.raises(ValueError, match=r"backprop_html: lang='fr'.*'en', 'zh-CN'"):
        backprop_html(build(), path, lang="fr")
    with pytest.raises(ValueError, match="backprop_html: lang=3"):
        backprop_html(build(), path, lang=3, quiz="yes")  # the language is checked first
    assert not path.exists()


def test_a_label_in_the_words_stays_text(tmp_path):
    page = backprop_html(build(), lang="zh-CN", title='<b onclick="x">标题</b>').html
    assert "<b onclick" not in page and html.escape('<b onclick="x">标题</b>') in page


def test_the_font_stack_finds_a_cjk_font_after_the_latin_ones(zh_page, en_page):
    stack = re.search(r"body \{[^}]*font-family: ([^;]+);", zh_page, re.S).group(1)
    fonts = [f.strip().strip('"') for f in stack.split(",")]
    assert fonts[:6] == ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue",
                         "Arial"]  # fmt: skip
    for cjk in ("PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei"):
        assert fonts.index(cjk) > fonts.index("Arial")  # Latin letters keep their face
    assert fonts[-1] == "sans-serif" and stack in en_page  # one stylesheet for both
