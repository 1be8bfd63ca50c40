"""Issue 15: the `chainrule` command in Chinese, chosen by --lang or by the environment.

Each test runs the installed command in a subprocess, its language set the way a student sets
it: `--lang zh-CN` (or zh, zh_CN), or LANG=zh_CN.UTF-8 with LANGUAGE and LC_ALL empty. The
help, argparse's own words, every complaint and the doctor's report come out in Chinese, laid
out by display width (a CJK character takes two columns); English stays as it is.
"""

import argparse
import gettext
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from demos import cli
from viz import i18n
from viz.format import width

CHAINRULE = os.path.join(os.path.dirname(sys.executable), "chainrule")  # the venv's script
CJK = re.compile(r"[\u3400-\u9fff]")
# Latin words a Chinese screen keeps: the command's names, options' metavars, programs and
# packages, and the words of the install commands (which are typed as they are).
KEPT = {
    "chainrule", "list", "run", "step", "doctor", "lang", "out", "seed", "name", "json", "en",
    "zh-cn", "matplotlib", "python", "numpy", "graphviz", "dot", "graphviz-pure", "svg", "png",
    "pdf", "pypdf", "pip", "install", "sudo", "apt-get", "fonts-noto-cjk", "fedora", "dnf",
    "google-noto-sans-cjk-fonts", "plot", "digits", "browser", "notebook", "torch", "slides",
    "scikit-learn", "playwright", "chromium", "jupyterlab", "ipykernel", "ipywidgets", "cpu",
    "conda", "forge", "conda-forge", "auto", "path", "fc-list", "fontconfig", "fit",
    *cli.LESSONS, *cli.COMMANDS,
    # the teacher's commands: metavars, the files they read and write, function names
    "expr", "dir", "names", "key", "answers", "txt", "html", "csv", "results", "graph",
    "backprop", "sigmoid", "tanh", "sgd", "utf-",
    "model", "ddp",  # chainrule export MODEL.json --torch OUT.py --ddp
    "lesson", "ctrl",  # chainrule serve [LESSON]; Ctrl+C stops it
}  # fmt: skip
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z_-]{2,}")


def chainrule(*args, cwd, lang=None, columns=None):
    """Run the installed command in `cwd`, the environment asking for `lang` (None: English,
    as tests/conftest.py pins it); stdout and stderr come back as text."""
    env = {**os.environ, "LANGUAGE": "", "LC_ALL": "", "LANG": "C.UTF-8"}
    if lang is not None:
        env["LANG"] = lang
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return subprocess.run(
        [CHAINRULE, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )


def one_line(stderr):
    """The complaint, after checking it is exactly one line with no traceback."""
    assert stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    assert "Traceback" not in stderr
    return stderr.rstrip("\n")


def english_left(text, also=()):
    """The English words in `text` outside code (`...`, --options, paths, 'values') and the
    kept names."""
    plain = re.sub(r"`[^`]*`|--[\w-]+|\S*/\S*|\{[^{}]*\}|'[^']*'", " ", text)
    for name in also:  # e.g. the font families fontconfig names on this machine
        plain = plain.replace(name, " ")
    return [w for w in ENGLISH_WORD.findall(plain) if w.lower() not in KEPT]


@pytest.mark.parametrize("spelling", ["zh-CN", "zh", "zh_CN", "ZH-cn"])
def test_help_in_chinese_has_argparses_words_and_ours_and_no_english_sentence(tmp_path, spelling):
    done = chainrule("--lang", spelling, "--help", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("用法：chainrule [-h] [--lang LANG]")
    assert "{list,run,step,doctor,draw,worksheet,check,exercise,export,serve}\n" in done.stdout
    for words in (
        "反向传播课程。",
        "位置参数：",
        "选项：",
        "显示这条帮助信息并退出",
        "列出每一课，各附一句简介",
        "输出语言：en 或 zh-CN（默认跟随 LANG）",
    ):
        assert words in done.stdout  # fmt: skip
    assert english_left(done.stdout) == []


@pytest.mark.parametrize(
    "command",
    ["list", "run", "step", "doctor", "draw", "worksheet", "check", "exercise", "export", "serve"],
)
def test_every_subcommands_help_is_chinese_and_takes_lang_after_its_name(tmp_path, command):
    done = chainrule(command, "--help", "--lang", "zh-CN", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(f"用法：chainrule {command} [-h]")
    assert "--lang LANG" in done.stdout and "显示这条帮助信息并退出" in done.stdout
    assert english_left(done.stdout) == []
    if command == "run":  # the placeholder got its number
        assert "--seed SEED  所有随机选择用的种子（0 到 4294967295）" in done.stdout


@pytest.mark.parametrize("columns", [80, 44])
def test_chinese_help_fits_the_terminal_by_display_width_and_its_columns_line_up(tmp_path, columns):
    done = chainrule("run", "--help", "--lang", "zh-CN", cwd=tmp_path, columns=columns)
    lines = done.stdout.splitlines()
    assert max(map(width, lines)) <= columns - 2  # argparse keeps two columns spare
    # The usage goes on under its first word after the command's name, counted in columns.
    usage, rest = lines[: lines.index("")], lines[lines.index("") :]
    assert len(usage) > 1
    for line in usage[1:]:
        assert width(line) - width(line.lstrip()) == width("用法：chainrule run ")
    # Every help text starts in one column, and a wrapped one goes on in it; no line of it
    # starts with a closing mark.
    column = len("  --seed SEED  ")
    for line in rest:
        if not line or not line.startswith(" "):  # a blank line or a section's title
            continue
        if line.startswith("  -") or line.startswith("  name"):  # ASCII up to its help
            assert line[column - 1] == " " and line[column] != " ", line
        else:
            assert width(line) - width(line.lstrip()) == column, line
        assert not line[column:].startswith(("，", "。", "）", "；")), line
    if columns == 44:
        assert any(line.startswith(" " * column) for line in rest)  # something did wrap


def test_list_in_chinese_lines_up_the_summaries_by_display_width(tmp_path):
    done = chainrule("--lang", "zh-CN", "list", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert len(lines) == len(cli.LESSONS) and CJK.search(done.stdout)
    starts = set()
    with i18n.language("zh-CN"):  # the summaries, as the lessons give them in Chinese
        summaries = [str(lesson.summary) for lesson in cli.LESSONS.values()]
    for i, (name, summary, line) in enumerate(zip(cli.LESSONS, summaries, lines), 1):
        lead = re.match(rf" ?{i}\. {re.escape(name)} +", line).group()
        assert line == lead + summary
        starts.add(width(lead))
    assert len(starts) == 1  # every summary starts in the same column


@pytest.mark.parametrize(
    "args, says",
    [
        (["run"], "chainrule run: 缺少必需的参数：name；用法见 `chainrule run --help`"),
        (["run", "moons", "--seed", "-3"],
         "chainrule run: 参数 --seed：seed 必须是 >= 0 的整数，你给的是 '-3'（只能用数字 0-9）"),
        (["run", "moons", "--seed", "4294967296"], "seed 最大为 4294967295"),
        (
            ["bogus"],
            "chainrule: 参数 {list,run,step,doctor,draw,worksheet,check,exercise,export,serve}："
            "无效的选择：",
        ),
        (["run", "moons", "--sed", "1"], "chainrule: 无法识别的参数：--sed 1"),
        (["run", "moons", "--no-plots=1"], "参数 --no-plots：这个选项不带值，却给了 '1'"),
        (["run", "moons", "--out"], "chainrule run: 参数 --out：后面需要跟一个值"),
        (["step", "no-such-lesson"], "chainrule: 没有叫 'no-such-lesson' 的课；"),
        (["step", "learning-rate"], "chainrule: 'learning-rate' 要训练许多个图"),
    ],
)  # fmt: skip
def test_usage_mistakes_in_chinese_are_one_chinese_line_and_exit_two(tmp_path, args, says):
    done = chainrule("--lang", "zh-CN", *args, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    line = one_line(done.stderr)
    assert line.startswith(says) if says.startswith("chainrule") else says in line
    assert english_left(line.split(": ", 1)[1]) == []
    assert not (tmp_path / "out").exists()  # nothing ran


@pytest.mark.parametrize("where", [["--lang", "fr", "list"], ["run", "moons", "--lang", "fr"]])
def test_a_language_chainrule_lacks_is_a_usage_error_naming_the_choices(tmp_path, where):
    done = chainrule(*where, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    prog = "chainrule" if where[0] == "--lang" else "chainrule run"
    assert one_line(done.stderr) == (
        f"{prog}: argument --lang: unknown language 'fr'; choose en or zh-CN; see `{prog} --help`"
    )
    # On a Chinese machine the complaint is Chinese: the language asked for is not there.
    done = chainrule(*where, cwd=tmp_path, lang="zh_CN.UTF-8")
    assert one_line(done.stderr).startswith(f"{prog}: 参数 --lang：不认识的语言 'fr'；请选 en 或")


def test_a_chinese_lang_makes_run_speak_chinese_with_the_same_numbers(tmp_path):
    zh = chainrule("run", "chain-rule", "--out", "zh", cwd=tmp_path, lang="zh_CN.UTF-8")
    en = chainrule("run", "chain-rule", "--out", "en", cwd=tmp_path)
    assert (zh.returncode, zh.stderr, en.returncode) == (0, "", 0)
    assert CJK.search(zh.stdout) and not CJK.search(en.stdout)
    for number in ("-12", "-4", "3"):  # f = -12, ∂f/∂x = ∂f/∂y = -4, ∂f/∂z = 3
        assert number in zh.stdout and number in en.stdout
    # What the command itself says follows the environment too.
    help_ = chainrule("--help", cwd=tmp_path, lang="zh_CN.UTF-8")
    assert help_.stdout.startswith("用法：chainrule")
    mistake = chainrule("run", cwd=tmp_path, lang="zh_CN.UTF-8")
    assert one_line(mistake.stderr).startswith("chainrule run: 缺少必需的参数：name")


@pytest.mark.parametrize(
    "args",
    [["--lang", "en", "--help"], ["run", "--help", "--lang", "en"],
     ["--lang", "en", "run", "chain-rule", "--out", "o"], ["run", "chain-rule", "--lang=en"]],
)  # fmt: skip
def test_lang_en_on_a_chinese_machine_gives_exactly_the_english_output(tmp_path, args):
    plain = [a for a in args if a not in ("--lang", "en", "--lang=en")]
    zh_machine = chainrule(*args, cwd=tmp_path, lang="zh_CN.UTF-8")
    english = chainrule(*plain, cwd=tmp_path)
    assert zh_machine.returncode == english.returncode == 0
    assert zh_machine.stdout == english.stdout and not CJK.search(zh_machine.stdout)


def test_a_bad_renderer_in_the_environment_stops_run_in_one_line_in_either_language(tmp_path):
    env = {**os.environ, "LANGUAGE": "", "LC_ALL": "", "CHAINRULE_RENDERER": "bogus"}
    for lang, says in [
        ("C.UTF-8", "chainrule: CHAINRULE_RENDERER='bogus' is not a renderer; use one of "
                    "auto, dot, graphviz-pure"),
        ("zh_CN.UTF-8", "chainrule: CHAINRULE_RENDERER='bogus' 不是渲染器；请用其中之一："
                        "auto, dot, graphviz-pure"),
    ]:  # fmt: skip
        done = subprocess.run(
            [CHAINRULE, "run", "chain-rule"], cwd=tmp_path, capture_output=True, text=True,
            env={**env, "LANG": lang}, timeout=300,
        )  # fmt: skip
        assert (done.returncode, done.stdout) == (2, "")
        assert one_line(done.stderr) == says
        assert not (tmp_path / "out").exists()


def report_lines(report):
    """(topic, the rest) of each line of the doctor's report under its versions line."""
    out = []
    for line in report.splitlines()[2:]:
        topic = line.split(" ", 1)[0] if not line.startswith(" ") else ""
        out.append((topic, line[len(topic) :]))
    return out


def test_doctor_in_chinese_says_the_same_facts_in_aligned_columns(tmp_path):
    zh, en = chainrule("--lang", "zh-CN", "doctor", cwd=tmp_path), chainrule("doctor", cwd=tmp_path)
    assert zh.returncode == en.returncode and zh.stderr == en.stderr == ""
    assert zh.stdout.startswith("chainrule 0.1.0 · Python ") and "（Python 包）" in zh.stdout
    topics = [t for t, _ in report_lines(zh.stdout) if t]
    assert topics == ["图片", "渲染器", "PDF", "中文字体", "可选组件"]
    assert len(zh.stdout.splitlines()) == len(en.stdout.splitlines())  # line for line
    for topic, rest in report_lines(zh.stdout):  # every line's text starts in column 12
        assert width(topic) + width(rest) - width(rest.lstrip()) in (12, 22), topic + rest
    fonts = json.loads(chainrule("doctor", "--json", cwd=tmp_path).stdout)["cjk_fonts"] or []
    assert english_left(zh.stdout, also=fonts) == []


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fc-list (fontconfig) is not here")
def test_doctor_says_in_chinese_that_no_cjk_font_is_installed_and_how_to_get_one(tmp_path):
    # A real fontconfig that knows no fonts at all: the state of a bare Linux machine.
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>\n"
    )
    env = {**os.environ, "LANGUAGE": "", "LC_ALL": "", "FONTCONFIG_FILE": str(conf)}
    listed = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, env=env)
    assert listed.stdout == ""  # fontconfig itself agrees: none
    run = [CHAINRULE, "doctor", "--lang"]
    zh = subprocess.run([*run, "zh-CN"], capture_output=True, text=True, env=env, timeout=120)
    section = zh.stdout.split("中文字体", 1)[1].split("可选组件", 1)[0].splitlines()
    assert [line.strip() for line in section] == [
        "无：PNG 和 PDF 里的中文标签会显示成方框；请装一种：",
        "sudo apt-get install fonts-noto-cjk"
        "   (Fedora: sudo dnf install google-noto-sans-cjk-fonts)",
        "图片（dot）、图表（matplotlib）和网页（浏览器）都要用到它",
        "装好以后，`fc-list :lang=zh` 会列出它",
    ]
    en = subprocess.run([*run, "en"], capture_output=True, text=True, env=env, timeout=120)
    assert "the pictures (dot), the plots (matplotlib) and the pages (the browser)" in en.stdout
    facts = json.loads(
        subprocess.run([*run, "zh-CN", "--json"], capture_output=True, text=True, env=env).stdout
    )
    assert facts["cjk_fonts"] == [] and facts["cjk_font"] == {
        "found": False,
        "needed_by": ["dot", "matplotlib", "browser"],
        "check": "fc-list :lang=zh",
        "install": {"debian": "sudo apt-get install fonts-noto-cjk",
                    "fedora": "sudo dnf install google-noto-sans-cjk-fonts"},
    }  # fmt: skip


def test_doctor_json_is_the_same_in_both_languages(tmp_path):
    zh = chainrule("doctor", "--json", "--lang", "zh-CN", cwd=tmp_path)
    en = chainrule("doctor", "--json", cwd=tmp_path)
    assert json.loads(zh.stdout) == json.loads(en.stdout)  # keys and facts stay English


def test_argparse_gets_its_own_words_back_after_the_command_even_when_it_exits(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--lang", "zh-CN", "run", "--help"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.startswith("用法：")
    assert argparse._ is gettext.gettext and argparse.ngettext is gettext.ngettext
    assert argparse.ArgumentParser(prog="p").format_usage() == "usage: p [-h]\n"
