"""The Chinese README stays a faithful translation of README.md: the same sections in the same
order, the same code, commands and numbers, the same pictures, the glossary's words, and no
English sentence left for a Chinese reader. What its own section on Chinese promises, runs."""

import csv
import io
import os
import pathlib
import re
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET

import pytest

import viz
from autograd import Value
from demos import cli, doctor
from viz import i18n

ROOT = pathlib.Path(__file__).parents[2]
CHAINRULE = os.path.join(os.path.dirname(sys.executable), "chainrule")  # the venv's script

# README.md's `##` headings, in order, and their Chinese headings. A section added to README.md
# fails the test until it is translated here too.
SECTIONS = {
    "Two commands": "两条命令",
    "In Chinese": "用中文学习",
    "Teaching with chainrule": "用 chainrule 教学",
    "Ten lines": "十行代码",
    "A batch through one scalar graph": "一张标量图跑一批样本",
    "Pictures of the graph": "计算图的图片",
    "Training networks": "训练网络",
    "Beyond the MLP": "越过 MLP",
    "From chainrule to PyTorch": "从 chainrule 到 PyTorch",
    "Stepping through backprop in class": "在课堂上逐步演示反向传播",
    "A live classroom": "现场课堂",
    "What is where": "文件在哪里",
    "How it differs from micrograd": "与 micrograd 的不同",
    "Performance": "性能",
    "Development": "开发",
}
CHINESE = "用中文学习"  # how to run everything in Chinese (README.md: "In Chinese")
GLOSSARY = "术语表"  # only in the Chinese README: the glossary and how to add a string
# What the English README quotes from the page in English, and the message the page shows it
# with: the Chinese README quotes the page's Chinese instead, as the catalog translates it.
SAID_IN_WORDS = {
    "step i / n": ("step {n} / {total}", {"n": "i", "total": "n"}),
    "local ∂(q * z)/∂z = q = 3": ("local {line}", {"line": "∂(q * z)/∂z = q = 3"}),
}
# The page's buttons and the pictures' marks that each README names, by section.
UI_WORDS = {
    "Stepping through backprop in class": ("Next", "Prev", "Play", "Reset", "Reveal", "Copy score"),
    "Pictures of the graph": ("inactive", "dead"),
}
# README.md's phrases where a glossary word means something else (Node.js is not a node).
NOT_THE_TERM = ("needs node with KaTeX",)
# Words that stay as they are in Chinese prose: names of functions, programs, formats, keys.
KEPT = {
    "sigmoid", "tanh", "relu", "leaky", "leaky_relu", "prelu", "elu", "gelu", "swish", "silu",
    "softplus", "softmax", "maxout", "dropout", "logits", "log-softmax", "hinge", "sgd", "adam",
    "rmsprop", "nesterov", "and", "not", "xor", "sin", "log", "exp", "max", "step",
    "nan", "inf", "nul", "pytorch", "torch", "micrograd", "graphviz", "graphviz-pure", "jupyter",
    "jupyterlab", "chromium", "playwright", "matplotlib", "scikit-learn", "pypdf", "numpy",
    "python", "pypi", "hips", "katex", "latex", "blas", "tqdm", "cprofile", "tracemalloc", "ieee",
    "okabe-ito", "colorbrewer", "rdbu", "gettext", "babel", "tmux", "ruff", "chainrule", "readme",
    "moons", "digits", "make", "pip", "conda", "kill", "debian", "ubuntu", "fedora", "macos",
    "windows", "linux", "svg", "png", "pdf", "html", "json", "dot", "cpu", "dpi", "mib", "wheel",
    "float", "path", "stderr", "stdout", "enter", "tab", "home", "ctrl-c", "cjk", "mlp",
    "transformer", "rosenbrock", "gpu",
    "starlette", "uvicorn", "websockets", "websocket", "segno", "csv", "kib", "server-sent",
    "events",  # chainrule serve's stack, and the name of the technique it did not choose
}  # fmt: skip
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z_'-]{2,}")
CJK = re.compile(r"[\u3400-\u9fff]")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)
SPAN = re.compile(r"`([^`]+)`")
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")


def in_chinese(message, **fields):
    """`message` as the zh-CN catalog translates it, its fields filled in."""
    with i18n.language("zh-CN"):
        return i18n._(message).format(**fields)


def read(name):
    return (ROOT / name).read_text(encoding="utf-8")


def sections(text):
    """{heading: body} for each `##` section, "" for the text before the first one."""
    out, heading, start = {}, "", 0
    outside = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)  # a `##` in code is code
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(outside.splitlines(keepends=True)):
        if line.startswith("## "):
            out[heading] = "".join(lines[start:i])
            heading, start = line[3:].strip(), i + 1
    out[heading] = "".join(lines[start:])
    return out


def blocks(text):
    """(language, code) of each fenced block, with only what is not prose for the reader:
    a comment after `#` is prose, and so is all but the first column of a plain listing."""
    out = []
    for lang, body in FENCE.findall(text):
        if lang:
            code = [re.sub(r"(^|\s+)#\s.*$", "", line) for line in body.splitlines()]
        else:
            code = [line.split()[0] for line in body.splitlines() if line[:1].strip()]
        out.append((lang, code))
    return out


def comments(text):
    """The comments of the fenced blocks that have a language: prose the reader reads."""
    found = []
    for lang, body in FENCE.findall(text):
        if lang:
            found += re.findall(r"(?:^|\s)#\s(.*)$", body, re.M)
    return found


def prose(text):
    return FENCE.sub("", text)


def spans(text):
    """The inline code of `text`, each with its line breaks read as spaces (as Markdown does)."""
    return {" ".join(s.split()) for s in SPAN.findall(prose(text))}


def numbers(text):
    """The numbers written in the prose of `text` (code blocks are compared whole)."""
    return set(NUMBER.findall(prose(text)))


def english_words(text):
    """Words of 3+ Latin letters in `text`'s prose that are not code, a link, a file or dotted
    name (graph.svg, .venv, graphviz.Digraph), a command or a kept name: what a Chinese reader
    would meet as English."""
    plain = SPAN.sub(" ", prose(text))
    plain = LINK.sub(lambda m: m.group(2) if m.group(1) else " ", plain)  # keep a picture's alt
    plain = re.sub(r"https?://\S+|pip install \S+|[\w/-]*(?:\.\w+)+|--[\w-]+", " ", plain)
    return [w for w in ENGLISH_WORD.findall(plain) if w.lower() not in KEPT]


def glossary_rows():
    lines = read("viz/locale/glossary.tsv").splitlines()
    body = "\n".join(x for x in lines if not x.startswith("#"))
    return list(csv.DictReader(io.StringIO(body), delimiter="\t"))


def glossary_table():
    """(english spellings "a|b", chinese) for each row of the Chinese README's glossary table."""
    rows = [line.split("|")[1:-1] for line in zh()[GLOSSARY].splitlines() if line.startswith("|")]
    return [("|".join(x.strip() for x in en.split(" / ")), cn.strip()) for en, cn in rows[2:]]


def en():
    return sections(read("README.md"))


def zh():
    return sections(read("README.zh-CN.md"))


def pairs():
    """(English section, Chinese section) for the preamble and every `##` section."""
    english, chinese = en(), zh()
    return [(english[""], chinese[""])] + [(english[e], chinese[c]) for e, c in SECTIONS.items()]


def test_every_section_of_the_english_readme_has_its_chinese_counterpart_in_order():
    assert list(en())[1:] == list(SECTIONS)
    headings = list(zh())[1:]
    assert headings.count(CHINESE) == 1 and headings.count(GLOSSARY) == 1
    assert [h for h in headings if h != GLOSSARY] == list(SECTIONS.values())


def test_every_code_block_is_the_english_one_with_only_its_comments_translated():
    for english, chinese in pairs():
        assert blocks(chinese) == blocks(english)


def test_inline_code_is_the_english_readmes_none_invented_none_left_out():
    everywhere = spans(read("README.md"))
    for english, chinese in pairs():
        said = {in_chinese(message, **fields) for message, fields in SAID_IN_WORDS.values()}
        invented = spans(chinese) - everywhere - said
        assert not invented, invented
        missing = spans(english) - set(SAID_IN_WORDS) - spans(chinese)
        assert not missing, missing
        for quoted, (message, fields) in SAID_IN_WORDS.items():
            assert (quoted in spans(english)) == (in_chinese(message, **fields) in chinese), quoted


def test_the_buttons_and_marks_are_named_as_the_chinese_page_and_pictures_show_them():
    for heading, words in UI_WORDS.items():
        english, chinese = en()[heading], zh()[SECTIONS[heading]]
        for word in words:
            assert re.search(rf"\b{word}\b", english), word  # README.md still names it
            assert f"「{in_chinese(word)}」" in chinese, (word, in_chinese(word))


def test_every_number_of_each_english_section_is_in_its_translation():
    for english, chinese in pairs():
        missing = numbers(english) - numbers(chinese)
        assert not missing, (missing, chinese[:80])


def test_every_relative_link_and_picture_exists_and_the_pictures_are_the_english_ones_in_chinese():
    text = read("README.zh-CN.md")
    anchors = {h.lower() for h in zh()}
    for _, _, target in LINK.findall(prose(text)):
        if target.startswith("#"):
            assert target[1:].lower() in anchors, target
        elif not re.match(r"https?://", target):
            assert (ROOT / target).exists(), target
    # The same pictures as the English README's, drawn in Chinese: docs/x.svg -> docs/zh-CN/x.svg
    pictures = [t for bang, _, t in LINK.findall(prose(text)) if bang]
    english = [t for bang, _, t in LINK.findall(prose(read("README.md"))) if bang]
    assert pictures == [t.replace("docs/", "docs/zh-CN/", 1) for t in english]
    for picture in pictures:
        data = (ROOT / picture).read_bytes()
        if picture.endswith(".svg"):
            assert ET.fromstring(data).tag.endswith("svg")
        else:
            assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert "[English](README.md)" in zh()[""]


def test_the_lesson_table_names_every_lesson_with_its_command():
    teaching = zh()[SECTIONS["Teaching with chainrule"]]
    for name in cli.LESSONS:
        assert f"`chainrule run {name}`" in teaching


def test_the_glossary_table_is_the_glossary_file_row_for_row():
    assert glossary_table() == [(row["english"], row["zh"]) for row in glossary_rows()]


def test_no_english_sentence_is_left_in_the_prose_or_the_comments():
    for heading, body in zh().items():
        if heading == GLOSSARY:  # its table's first column is the English terms, on purpose
            body = re.sub(r"^\|[^|\n]*\|", "|", body, flags=re.M)
        left = english_words(body)
        assert not left, (heading, left)
        left = [w for line in comments(body) for w in english_words(line)]
        assert not left, (heading, left)


def test_chinese_and_latin_letters_digits_or_code_are_one_space_apart():
    # The house style ("第 3 步", "打开 graph.svg"), and bold that Markdown can close: "」**把"
    # (punctuation, then ** and a character) is not read as the end of the bold.
    plain = SPAN.sub("`x`", prose(read("README.zh-CN.md")))
    plain = LINK.sub(lambda m: f"[{m.group(2)}]", plain)
    glued = re.findall(r".{0,12}(?:[\u3400-\u9fff][A-Za-z0-9`]|[A-Za-z0-9`][\u3400-\u9fff]).{0,12}",
                       plain)  # fmt: skip
    assert not glued, glued
    for line in plain.splitlines():
        closers = [m.start() for m in re.finditer(r"\*\*", line)][1::2]
        for at in closers:  # after punctuation, a closer must be followed by space or punctuation
            before, after = line[at - 1], line[at + 2 : at + 3] or " "
            if unicodedata.category(before)[0] == "P" and after.isalnum():
                raise AssertionError(f"this bold does not close: {line[at - 12 : at + 12]!r}")


def test_the_english_word_check_would_catch_a_sentence_left_untranslated():
    left = english_words("梯度是 -4，the gradient flows back")
    assert left == ["the", "gradient", "flows", "back"]
    kept = "打开 `graph.svg`，见 out/x.html 和 [English](README.md)，用 ReLU 和 PyTorch"
    assert english_words(kept) == []
    assert english_words("![the graph of f](docs/x.svg)") == ["the", "graph"]


def test_each_glossary_term_of_an_english_section_is_its_chinese_term_in_the_translation():
    # As tests/test_i18n.py checks the catalogs: the rows marked "yes", matched as whole words.
    rows = [row for row in glossary_rows() if row["check"] == "yes"]
    wrong = []
    for english, chinese in pairs():
        english, chinese = SPAN.sub(" ", prose(english)), SPAN.sub(" ", prose(chinese))
        for phrase in NOT_THE_TERM:
            english = english.replace(phrase, " ")
        for row in rows:
            spellings = "|".join(re.escape(s) for s in row["english"].split("|"))
            used = re.search(rf"(?<![\w-])({spellings})(?![\w-])", english, re.IGNORECASE)
            if used and row["zh"] not in chinese:
                wrong.append(f"{used.group(0)!r} without {row['zh']} in: {chinese[:60]!r}")
    assert not wrong, "\n".join(wrong)
    for other in ("反向传递", "后向传播", "学习速率", "激励函数"):  # the tutorials' words only
        assert other not in read("README.zh-CN.md")


# What the Chinese section promises: each claim checked against what chainrule does.


def chinese_env():
    """An environment that asks for Chinese only through LANG, as a Chinese desktop does."""
    return {**os.environ, "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "zh_CN.UTF-8"}


def test_the_chinese_section_names_every_subcommand_and_each_speaks_chinese_with_lang(tmp_path):
    said = re.search(r"`--lang` 对每个子命令都有效（(.*?)）", zh()[CHINESE]).group(1)
    usage = subprocess.run([CHAINRULE, "--help"], capture_output=True, text=True, timeout=60)
    subcommands = re.search(r"\{([\w,]+)\}", usage.stdout).group(1).split(",")  # {list,run,...}
    assert set(SPAN.findall(said)) == set(subcommands)
    for name in subcommands:
        done = subprocess.run(
            [CHAINRULE, "--lang", "zh-CN", name, "--help"], cwd=tmp_path, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0 and CJK.search(done.stdout), (name, done.stdout, done.stderr)


@pytest.mark.render  # the lesson saves its graph
def test_the_chinese_sections_commands_print_the_chain_rule_lesson_in_chinese(tmp_path):
    commands = [code for lang, code in blocks(zh()[CHINESE]) if lang == "sh"]
    assert [line for code in commands for line in code] == [
        "chainrule --lang zh-CN run chain-rule",
        "LANG=zh_CN.UTF-8 chainrule run chain-rule",
    ]
    # English in the environment, so each command's own --lang or LANG= brings the Chinese.
    env = {**chinese_env(), "LANG": "en_US.UTF-8"}
    env["PATH"] = os.path.dirname(CHAINRULE) + os.pathsep + env.get("PATH", "")
    for command in (line for code in commands for line in code):
        done = subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, (command, done.stderr)
        assert "前向传播" in done.stdout and "反向传播" in done.stdout, (command, done.stdout)
        assert (tmp_path / "out" / "chain-rule" / "backprop.html").exists()


@pytest.mark.render  # it saves SVGs
def test_the_chinese_sections_python_runs_and_every_output_is_chinese(
    tmp_path, monkeypatch, capsys
):
    (code,) = [m.group(2) for m in FENCE.finditer(zh()[CHINESE]) if m.group(1) == "python"]
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.zh-CN example", "exec"), {})
    printed = capsys.readouterr().out
    assert CJK.search(printed) and "梯度" in printed  # the narration and the terminal stepper
    page = (tmp_path / "out" / "mine.html").read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in page and "前向传播" in page
    for picture in ("mine.svg", "path_a.svg"):
        svg = (tmp_path / "out" / picture).read_text(encoding="utf-8")
        assert CJK.search(svg), picture


def test_a_wrong_lang_is_the_error_the_chinese_section_describes_before_any_file(tmp_path):
    assert "`ValueError`" in zh()[CHINESE] and "`'en'` 和 `'zh-CN'`" in zh()[CHINESE]
    y = Value(1.0, "a").tanh()
    y.backward()
    with pytest.raises(ValueError, match=r"lang='fr'.*'en', 'zh-CN'"):
        viz.backprop_html(y, tmp_path / "page.html", lang="fr")
    assert list(tmp_path.iterdir()) == []


def test_the_font_lines_are_the_ones_chainrule_doctor_gives():
    lines = re.findall(r"`sudo (?:apt|dnf) install ([\w-]+)`", zh()[CHINESE])
    assert lines == ["fonts-noto-cjk", "google-noto-sans-cjk-fonts"]
    for package in lines:
        assert package in doctor.CJK_FONT


def test_the_steps_to_add_a_string_name_real_files_targets_and_every_domain():
    steps = zh()[GLOSSARY]
    assert re.search(r"^po:", read("Makefile"), re.M) and "`make po`" in steps
    named = re.findall(r"`(\w+)`（[^）]+）", steps.split("每个域")[1])
    assert tuple(named) == i18n.DOMAINS
    for domain in named:
        assert (ROOT / "viz" / "locale" / "zh_CN" / "LC_MESSAGES" / f"{domain}.po").is_file()
    for path in ("tools/catalogs.py", "tests/test_i18n.py", "viz/locale/glossary.tsv"):
        assert path in steps and (ROOT / path).is_file()
