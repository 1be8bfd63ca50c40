"""The catalogs: every message a student can see has a Chinese translation that keeps its
placeholders and uses the glossary's words; the language comes from lang=, a language(...)
block or the environment, in that order."""

import csv
import io
import re
import string
import sys
from pathlib import Path

import pytest

from viz import i18n

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
catalogs = pytest.importorskip("catalogs", reason="tools/catalogs.py needs Babel (the dev extra)")

LANGS = list(catalogs.LANGUAGES)
# Words that stay as they are in Chinese text: names of functions, optimisers, file formats,
# keys, programs (and single letters: variables).
KEPT = {
    "sigmoid", "tanh", "relu", "leaky", "gelu", "elu", "softmax", "maxout", "dropout", "sgd",
    "adam",
    "rmsprop", "mlp", "mse", "bce", "xor", "and", "or", "nand", "nor", "svg", "png", "pdf", "html",
    "json", "csv", "latex", "katex", "dot", "graphviz", "pure", "python", "pip", "numpy", "torch",
    "pytorch", "jupyter", "jupyterlab", "chromium", "playwright", "matplotlib", "sklearn",
    "scikit", "learn", "chainrule", "micrograd", "tmux", "esc", "enter", "space", "tab", "shift",
    "home", "end", "pgup", "pgdn", "log", "exp", "abs", "max", "min", "mean", "sum", "std", "nan",
    "inf", "utf", "lang", "seed", "out", "help", "epoch", "epochs", "step", "lr", "moons",
    "digits", "make", "demo", "test", "run", "list", "doctor", "apt", "brew", "winget", "conda",
    "fonts", "noto", "cjk", "sc", "init", "he", "xavier", "glorot", "kaiming", "batch", "mnist",
    "id", "ok", "max_nodes", "params", "https", "http", "www", "org", "com", "fc", "env",
    "swish", "prelu", "not", "path", "pypdf", "fontconfig", "auto", "ipywidgets", "fit", "tqdm",
    "babel", "dnf",
    "batchnorm", "batchnorm1d", "layernorm", "conv", "conv1d", "maxpool", "maxpool1d",
    "avgpool", "avgpool1d", "rnn", "rnncell", "gru", "grucell", "lstm", "lstmcell", "bptt",
    "transformer", "residual", "selfattention", "multiheadattention", "eps", "rosenbrock",
}  # fmt: skip
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z_']{2,}")  # graphviz-pure: two kept words
# What is code, not prose, in a message: placeholders ({name}.grad too), %(x)s, `spans`, file
# names, --options, calls such as backward(), and install commands as they are typed.
CODE = re.compile(
    r"\{\w+\}\.\w+|\{[^{}]*\}|%\(\w+\)[sdr]|`[^`]*`|\S+\.\w{2,4}\b|--[\w-]+|[\w.]+\(\)"
    r"|pip install \S+|sudo apt(?:-get)? install \S+"
)
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


def po_messages(lang):
    """(domain, id, string) for every message in `lang`'s .po files."""
    out = []
    for domain in catalogs.SOURCES:
        path = catalogs.po_path(domain, lang)
        if path.is_file():
            for m in catalogs.read(path, lang):
                if m.id:
                    ids = [m.id] if isinstance(m.id, str) else list(m.id)
                    strings = [m.string] if isinstance(m.string, str) else list(m.string)
                    out.extend((domain, ids[-1 if len(ids) > 1 and k else 0], s) for k, s in
                               enumerate(strings))  # fmt: skip
    return out


def glossary():
    lines = (ROOT / "viz" / "locale" / "glossary.tsv").read_text(encoding="utf-8").splitlines()
    rows = csv.DictReader(io.StringIO("\n".join(x for x in lines if not x.startswith("#"))),
                          delimiter="\t")  # fmt: skip
    return list(rows)


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_of_every_domain_has_a_translation(lang):
    gaps = [f"{d}: {m!r}" for d in catalogs.SOURCES for m in catalogs.missing(d, lang)]
    assert not gaps, f"{len(gaps)} messages lack a {lang} translation:\n" + "\n".join(gaps)


def fields(text):
    """The placeholders of a message: {name} and %(name)s / %s, as str.format and % see them."""
    brace = sorted(f for _, f, _, _ in string.Formatter().parse(text) if f is not None)
    percent = sorted(re.findall(r"%(?:\(\w+\))?[sdrfgi%]", text))
    return brace, percent


@pytest.mark.parametrize("lang", LANGS)
def test_translations_keep_every_placeholder_of_their_message(lang):
    wrong = [(d, i, s) for d, i, s in po_messages(lang) if s and fields(i) != fields(s)]
    assert not wrong, "\n".join(f"{d}: {i!r} -> {s!r}" for d, i, s in wrong)


@pytest.mark.parametrize("lang", LANGS)
def test_translations_are_chinese_with_no_english_sentence_left(lang):
    left = []
    for domain, msgid, text in po_messages(lang):
        if not text:
            continue
        plain = re.sub(CODE, " ", text)
        english = [w for w in ENGLISH_WORD.findall(plain) if w.lower() not in KEPT]
        if english or (ENGLISH_WORD.search(msgid) and not CJK.search(text) and text == msgid):
            if english or msgid.lower() not in KEPT:
                left.append(f"{domain}: {text!r} (English: {english})")
    assert not left, "\n".join(left)


def test_the_glossary_has_each_term_of_the_issue():
    terms = {row["zh"] for row in glossary()}
    wanted = (
        "链式法则 反向传播 前向传播 梯度 局部导数 损失函数 学习率 激活函数 权重 偏置 感知机 交叉熵"
    )
    assert set(wanted.split()) <= terms
    assert {"梯度消失", "梯度爆炸", "万元"} <= terms


@pytest.mark.parametrize("lang", LANGS)
def test_every_translation_uses_the_glossary_word_for_each_term_it_translates(lang):
    rows = [r for r in glossary() if r["check"] == "yes"]
    wrong = []
    for domain, msgid, text in po_messages(lang):
        if not text:
            continue
        for row in rows:
            spellings = "|".join(re.escape(s) for s in row["english"].split("|"))
            words = re.sub(r"\{[^{}]*\}", " ", msgid)  # {optimiser} is a name, not the word
            if re.search(rf"(?<![\w-])({spellings})(?![\w-])", words, re.IGNORECASE):
                if row["zh"] not in text:
                    wrong.append(f"{domain}: {msgid!r} -> {text!r} lacks {row['zh']}")
    assert not wrong, "\n".join(wrong)


def test_a_glossary_checker_would_catch_a_wrong_term():
    row = {"english": "gradient|gradients", "zh": "梯度"}
    spellings = "|".join(re.escape(s) for s in row["english"].split("|"))
    hit = re.search(rf"(?<![\w-])({spellings})(?![\w-])", "the gradients add", re.IGNORECASE)
    assert hit and row["zh"] not in "斜率相加"


@pytest.mark.parametrize(
    "given, expected",
    [("zh", "zh-CN"), ("zh_CN.UTF-8", "zh-CN"), ("zh-Hans", "zh-CN"), ("ZH-cn", "zh-CN"),
     ("en_GB.UTF-8", "en"), ("C.UTF-8", "en"), ("POSIX", "en"), ("fr_FR", None), ("zh_TW", None)],
)  # fmt: skip
def test_language_tags_are_read_the_way_locales_write_them(given, expected):
    assert i18n.normalise(given) == expected


@pytest.mark.parametrize(
    "environ, expected",
    [({"LANG": "zh_CN.UTF-8"}, "zh-CN"), ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
     ({"LANGUAGE": "fr:zh_CN", "LANG": "en_US.UTF-8"}, "zh-CN"), ({"LANG": "fr_FR.UTF-8"}, "en"),
     ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US"}, "zh-CN"), ({}, "en")],
)  # fmt: skip
def test_the_environment_chooses_the_language_in_gettexts_order(environ, expected):
    assert i18n.from_environment(environ) == expected


def test_a_language_block_wins_over_the_environment_and_is_restored(monkeypatch):
    monkeypatch.setenv("LANGUAGE", "")
    monkeypatch.setenv("LC_ALL", "")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.current() == "zh-CN"
    with i18n.language("en"):
        assert i18n.current() == "en"
        with i18n.language(None):  # None keeps the language in force
            assert i18n.current() == "en"
    assert i18n.current() == "zh-CN"


def test_an_unknown_language_is_a_clear_error_naming_the_choices():
    with pytest.raises(ValueError, match=r"lang='fr'.*'en', 'zh-CN'"):
        i18n.resolve("fr", where="backprop_html")
    with pytest.raises(ValueError, match="lang=3"):
        i18n.resolve(3)


def test_english_is_its_own_translation_and_chinese_comes_from_the_catalog():
    with i18n.language("en"):
        assert i18n._("Forward pass") == "Forward pass"
    chinese = {m.id: m.string for m in catalogs.read(catalogs.po_path("cli", "zh-CN"), "zh-CN")}
    msgid = next(k for k, v in chinese.items() if isinstance(k, str) and k and v)
    with i18n.language("zh-CN"):
        assert i18n._(msgid) == chinese[msgid]
        assert i18n.messages("cli")[msgid] == chinese[msgid]


def test_every_file_that_marks_messages_belongs_to_a_domain():
    # A new lesson or module with _("...") must be listed in tools/catalogs.py SOURCES, or its
    # messages would never reach a catalog and the completeness test above could not see them.
    listed = {p for domain in catalogs.SOURCES for p in catalogs.files(domain)}
    marking = re.compile(r"(?<![\w.])N?_\(\s*[\"']")
    sources = [p for d in ("autograd", "nn", "viz", "demos") for p in (ROOT / d).rglob("*.py")]
    sources.append(ROOT / "viz" / "player.js")
    unlisted = [
        str(p.relative_to(ROOT))
        for p in sources
        if marking.search(p.read_text(encoding="utf-8")) and p not in listed
    ]
    assert sorted(set(unlisted) - catalogs.NOT_SOURCES) == []
