"""Issue 13: `chainrule doctor` tells the truth about this machine, whatever is missing.

Each test runs the installed command in a subprocess, with the PATH and CHAINRULE_RENDERER a
user might have, and checks its words against what is really here, found another way: the
programs' own `-V`, `pip list`, and an environment that holds chainrule's core alone.
"""

import json
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest
import tomllib

import demos

CHAINRULE = os.path.join(os.path.dirname(sys.executable), "chainrule")  # the venv's script
BIN = os.path.dirname(CHAINRULE)  # the venv's bin folder: graphviz-pure, no dot, no Chromium
SOURCE = os.path.dirname(os.path.dirname(demos.__file__))  # the checkout
EXTRAS = {  # each extra the doctor reports, with its packages as pyproject.toml lists them
    name: [re.split(r"[<>=!~ \[]", spec, maxsplit=1)[0] for spec in specs]
    for name, specs in tomllib.loads(
        (pathlib.Path(SOURCE) / "pyproject.toml").read_text(encoding="utf-8")
    )["project"]["optional-dependencies"].items()
    if name in ("plot", "digits", "notebook", "browser", "torch", "slides")
}
CORE = ("numpy", "graphviz", "tqdm", "chainrule-")  # what `pip install chainrule` brings


def doctor(*args, path=None, renderer=None, command=(CHAINRULE,), **more):
    """Run `chainrule doctor` with PATH `path` (default: this one), CHAINRULE_RENDERER and
    any `more` environment variables."""
    env = {k: v for k, v in os.environ.items() if k != "CHAINRULE_RENDERER"} | more
    if path is not None:
        env["PATH"] = path
    if renderer is not None:
        env["CHAINRULE_RENDERER"] = renderer
    return subprocess.run(
        [*command, "doctor", *args], capture_output=True, text=True, env=env, timeout=120
    )


def sections(report):
    """{topic: its lines joined by newlines}: a topic's first line starts at the left margin."""
    found, topic = {}, None
    for line in report.splitlines()[2:]:  # under the versions line and its blank line
        if not line.startswith(" "):
            topic = line[:12].strip()
        found[topic] = (found.get(topic, "") + "\n" + line[12:]).strip("\n")
    return found


def extras(report):
    """{extra: its lines}, from the extras section."""
    found, name = {}, None
    for line in sections(report)["extras"].splitlines():
        if not line.startswith(" "):
            name = line.split()[0]
        found[name] = (found.get(name, "") + "\n" + line[10:]).strip("\n")
    return found


def says_version(program):
    """What `program -V` says its version is."""
    done = subprocess.run([program, "-V"], capture_output=True, text=True, check=True)
    return re.search(r"version (\S+)", done.stderr + done.stdout).group(1)


def pip_list():
    """{name: version} of every package pip sees in this venv."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "list", "--format=json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return {p["name"].lower(): p["version"] for p in json.loads(done.stdout)}


def plotted():
    """The lessons whose files import demos.plots, as "5-14" (read from the files themselves)."""
    folder = os.path.dirname(demos.__file__)
    lessons = sorted(f for f in os.listdir(folder) if re.match(r"lesson\d+_.*\.py$", f))
    with_plots = [
        int(f[6:8])
        for f in lessons
        if "from . import plots" in open(os.path.join(folder, f)).read()
    ]
    assert with_plots == list(range(with_plots[0], with_plots[-1] + 1))  # one run, as today
    return f"{with_plots[0]}-{with_plots[-1]}"


def which(name, path):
    """Where `name` is on `path`, found without Python's shutil (as a shell would)."""
    done = subprocess.run(
        ["/bin/sh", "-c", f"command -v {name}"], capture_output=True, text=True,
        env={"PATH": path},
    )  # fmt: skip
    return done.stdout.strip() or None


@pytest.mark.system_dot
def test_with_the_systems_dot_it_names_dot_its_real_version_and_says_pdf_works():
    done = doctor()
    assert (done.returncode, done.stderr) == (0, "")
    dot = which("dot", os.environ["PATH"])
    found = sections(done.stdout)
    assert found["pictures"].startswith(
        f"Graphviz dot {says_version(dot)} ({dot}) draws SVG, PNG and PDF"
    )
    assert found["renderer"] == "auto: the system's dot when present, else graphviz-pure"
    pypdf = pip_list().get("pypdf")
    if pypdf:
        assert found["PDF"] == f"yes: Graphviz's dot draws the pages, pypdf {pypdf} binds handouts"
    else:
        assert found["PDF"].startswith("single pages only; handouts need pypdf")


@pytest.mark.render
def test_without_dot_on_path_it_names_graphviz_pure_and_says_how_to_get_pdf():
    assert which("dot", BIN) is None  # the venv's folder alone: no system dot in it
    done = doctor(path=BIN)
    assert (done.returncode, done.stderr) == (0, "")
    pure = os.path.join(BIN, "graphviz-pure")
    found = sections(done.stdout)
    assert found["pictures"] == (
        f"graphviz-pure {says_version(pure)} ({pure}) draws SVG and PNG\n"
        "Graphviz's own dot is not on PATH"
    )
    assert found["PDF"].startswith("no: PDF slides and handouts need Graphviz's own dot:\n")
    if sys.platform == "linux":
        assert found["PDF"].endswith(
            "sudo apt-get install graphviz   (Fedora: sudo dnf install graphviz)"
        )
    # fc-list is not on that PATH either: it says it cannot tell, and what graphviz-pure lacks.
    assert found["CJK font"] == (
        "unknown: fc-list (fontconfig) is not on PATH to ask\n"
        "graphviz-pure's PNGs still show boxes for Chinese (its fonts have none)"
    )


def test_the_cjk_font_it_names_is_one_that_fontconfig_lists_for_chinese():
    fc_list = which("fc-list", os.environ["PATH"])
    if fc_list is None:
        pytest.skip("fc-list (fontconfig) is not on PATH: nothing to compare with")
    listed = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True)
    families = {line.split(",")[0] for line in listed.stdout.splitlines() if line}
    line = sections(doctor().stdout)["CJK font"].splitlines()[0]
    if not families:
        assert line == "none: Chinese labels show as boxes in PNG and PDF; install one:"
        return
    named, rest = line.split(": ", 1)
    more = len(families) - 1
    assert named in {f + (f" and {more} more" if more else "") for f in families}
    assert rest == "Chinese labels draw in dot and in the browser"


@pytest.mark.render
def test_a_renderer_forced_by_the_environment_is_said_to_be_forced():
    done = doctor(renderer="graphviz-pure")
    assert (done.returncode, done.stderr) == (0, "")
    found = sections(done.stdout)
    assert found["pictures"].startswith("graphviz-pure ")
    assert found["renderer"] == (
        "graphviz-pure, forced by CHAINRULE_RENDERER=graphviz-pure (unset it for auto)"
    )
    dot = which("dot", os.environ["PATH"])
    if dot:  # dot is here but not used: no PDF, and the report says why
        assert f"Graphviz dot {says_version(dot)} ({dot}) is here too, unused" in found["pictures"]
        assert found["PDF"] == "no: CHAINRULE_RENDERER=graphviz-pure; unset it and dot draws PDF"


def test_forcing_a_renderer_that_is_not_there_still_reports_and_exits_one():
    assert which("dot", BIN) is None
    done = doctor(path=BIN, renderer="dot")
    assert (done.returncode, done.stderr) == (1, "")
    found = sections(done.stdout)
    assert found["pictures"].startswith(
        "none: CHAINRULE_RENDERER=dot, and dot is not on PATH\n"
        "lessons print their numbers but draw no graphs"
    )
    assert set(found) == {"pictures", "renderer", "PDF", "CJK font", "extras"}  # all of it


@pytest.mark.parametrize("value", ["bogus", "Dot", "graphviz"])
def test_a_bad_chainrule_renderer_is_one_line_on_stderr_and_exit_two(value):
    done = doctor(renderer=value)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"chainrule: CHAINRULE_RENDERER={value!r} is not a renderer;"
        " use one of auto, dot, graphviz-pure\n"
    )


def test_every_extra_is_reported_as_pip_and_the_path_see_it_here():
    installed = pip_list()
    chromium = next(
        filter(None, (which(b, os.environ["PATH"]) for b in ("chromium", "chromium-browser",
                                                             "google-chrome"))),
        None,
    )  # fmt: skip
    done = doctor()
    assert done.returncode in (0, 1) and done.stderr == ""
    found = extras(done.stdout)
    assert list(found) == list(EXTRAS)
    for extra, packages in EXTRAS.items():
        have = [f"{p} {installed[p]}" for p in packages if p in installed]
        if extra == "browser" and chromium:
            have.append(f"Chromium at {chromium}")
        ok = len(have) == len(packages) + (extra == "browser")
        if ok:
            assert found[extra] == ", ".join(have), extra
        else:
            assert found[extra].startswith("missing "), extra


@pytest.mark.render
def test_with_chainrules_core_alone_every_extra_is_missing_and_says_what_it_costs(tmp_path):
    # An environment that holds what `pip install chainrule` brings and nothing else: the
    # venv's own packages for the core, linked into a folder that is the whole of sys.path.
    site = os.path.dirname(os.path.dirname(np.__file__))
    core = tmp_path / "site"
    core.mkdir()
    for name in os.listdir(site):
        if name.lower().startswith(CORE):
            (core / name).symlink_to(os.path.join(site, name))
    python = [sys.executable, "-S", "-c", "import sys, demos.cli; sys.exit(demos.cli.main())"]
    done = doctor(path=BIN, command=python, PYTHONPATH=f"{core}{os.pathsep}{SOURCE}")
    assert (done.returncode, done.stderr) == (0, "")  # graphviz-pure draws: pip alone is enough
    assert done.stdout.startswith("chainrule 0.1.0 · Python ")
    found = extras(done.stdout)
    assert found["plot"] == (
        "missing matplotlib\n"
        f"lessons {plotted()} skip their plots (numbers and graphs still come)\n"
        'pip install "chainrule[plot]"'
    )
    assert found["digits"].startswith("missing scikit-learn\nlesson 10 (digits) stops")
    assert found["notebook"].startswith("missing jupyterlab, ipykernel and ipywidgets\n")
    assert found["browser"].startswith("missing playwright and a Chromium on PATH")
    assert found["torch"].endswith('pip install "chainrule[torch]" (torch==2.13.0)')
    assert found["slides"].endswith('pip install "chainrule[slides]"')
    assert sections(done.stdout)["PDF"].endswith(
        'and pip install "chainrule[slides]" (pypdf) to bind multi-page handouts'
    )


@pytest.mark.render
def test_json_gives_the_same_facts_as_the_text():
    done = doctor("--json", path=BIN)
    assert (done.returncode, done.stderr) == (0, "")
    facts = json.loads(done.stdout)
    pure = os.path.join(BIN, "graphviz-pure")
    assert facts["renderer"]["in_use"] == {
        "name": "graphviz-pure", "path": pure, "formats": ["svg", "png"]
    }  # fmt: skip
    assert facts["renderer"]["found"] == {
        "dot": None, "graphviz-pure": {"path": pure, "version": says_version(pure)}
    }  # fmt: skip
    assert facts["pdf"] is False and facts["extras"]["browser"]["chromium"] is None


def test_doctor_help_works():
    done = doctor("--help")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("usage: chainrule doctor [-h] [--json]")
