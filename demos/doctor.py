"""`chainrule doctor`: what is installed here, and what each missing piece costs a lesson.

Everything is looked up, nothing heavy is imported: versions come from the installed packages'
metadata, programs from PATH (as viz.render finds them), so the report is quick and true.
examine() gathers the facts (`--json` prints them as they are); text() says them to a teacher.
"""

import importlib.metadata
import json
import platform
import shutil
import subprocess
import sys

from viz import render

CHROMIUMS = ("chromium", "chromium-browser", "google-chrome")  # the ones Playwright is given
TOPIC = 12  # width of the left column
EXTRA = 10  # width of an extra's name under "extras"

# Each optional extra: its packages, and what a class loses without it. {plots} and {digits}
# are filled with lesson numbers, found from the lessons themselves.
EXTRAS = {
    "plot": (("matplotlib",), "lessons {plots} skip their plots (numbers and graphs still come)"),
    "digits": (
        ("scikit-learn",),
        "lesson {digits} (digits) stops: it loads its images with scikit-learn",
    ),
    "browser": (
        ("playwright",),
        "only `make docs` and the browser tests need it; pages open in any browser",
    ),
    "notebook": (
        ("jupyterlab", "ipykernel", "ipywidgets"),
        "make notebook cannot open demos/classroom.ipynb (ipywidgets draws fit's bar there)",
    ),
    "torch": (("torch",), "only the tests that compare with PyTorch, and `make bench`, need it"),
    "slides": (("pypdf",), "no multi-page PDF handouts; SVG and PNG frames still work"),
}
PINS = {"torch": "torch==2.13.0"}  # what the pip line should say beside the extra's name

# How to install Graphviz (for dot, so PDF) and a font with Chinese glyphs, on this system.
GRAPHVIZ = {
    "linux": "sudo apt-get install graphviz   (Fedora: sudo dnf install graphviz)",
    "darwin": "brew install graphviz",
    "win32": "winget install graphviz, then add C:\\Program Files\\Graphviz\\bin to PATH",
}
CJK_FONT = (
    "sudo apt-get install fonts-noto-cjk   (Fedora: sudo dnf install google-noto-sans-cjk-fonts)"
)


def version(distribution):
    """The installed version of a package (its pip name), or None: read, never imported."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def cjk_fonts():
    """Font families with Chinese glyphs that fontconfig (dot's font finder) knows, or None
    where that cannot be asked (no fc-list: macOS and Windows, or a bare PATH)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        done = subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    # One line per font file; a line lists the family's names, the first is the plain one.
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    return sorted({line.split(",")[0].strip() for line in lines if line.strip()})


def examine():
    """The facts: versions, layout programs, PDF, CJK fonts and extras, as a plain dict.

    CHAINRULE_RENDERER is read first, so a bad value raises ValueError before anything else.
    """
    asked = render.choice()
    found = {}
    for name in render.RENDERERS:
        path = render.find(name)
        found[name] = None if path is None else {"path": path, "version": render.version_of(path)}
    try:
        program = render.renderer("doctor")
        in_use = {"name": program.name, "path": program.path, "formats": list(program.formats)}
    except render.GraphvizNotFoundError:
        in_use = None
    extras = {}
    for extra, (packages, _) in EXTRAS.items():
        versions = {p: version(p) for p in packages}
        extras[extra] = {"packages": versions, "ok": all(versions.values())}
    chromium = next(filter(None, map(shutil.which, CHROMIUMS)), None)
    extras["browser"]["chromium"] = chromium
    extras["browser"]["ok"] = extras["browser"]["ok"] and chromium is not None
    return {
        "versions": {
            "chainrule": version("chainrule"),
            "python": platform.python_version(),
            "numpy": version("numpy"),
            "graphviz": version("graphviz"),
        },
        "platform": sys.platform,
        "renderer": {"asked": asked, "forced": asked != "auto", "found": found, "in_use": in_use},
        "pdf": in_use is not None and "pdf" in in_use["formats"],
        "cjk_fonts": cjk_fonts(),
        "extras": extras,
    }


def numbers(found):
    """Lesson numbers as short runs: [5, 6, 7, 9] -> "5-7, 9"."""
    runs = []
    for n in found:
        if runs and runs[-1][1] == n - 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def costs(lessons):
    """What each extra's absence costs, with the numbers of the lessons it touches."""
    plots = [i for i, m in enumerate(lessons, 1) if hasattr(m, "plots")]  # `from . import plots`
    digits = [i for i, m in enumerate(lessons, 1) if m.LESSON.name == "digits"]
    fill = {"plots": numbers(plots), "digits": numbers(digits)}
    return {extra: cost.format(**fill) for extra, (_, cost) in EXTRAS.items()}


def program_words(name, facts):
    """ "Graphviz dot 2.43.0 (/usr/bin/dot)" or "graphviz-pure 0.2.2 (/path)"."""
    where = facts["renderer"]["found"][name]
    title = "Graphviz dot" if name == "dot" else name
    return f"{title} {where['version']} ({where['path']})"


def text(facts, lessons):
    """The report, in aligned plain text; `lessons` are the lesson modules, in order."""
    v = facts["versions"]
    rows = [
        f"chainrule {v['chainrule']} · Python {v['python']} · numpy {v['numpy']}"
        f" · graphviz (Python package) {v['graphviz']}",
        "",
    ]

    def say(topic, *lines):
        rows.extend(f"{topic if i == 0 else '':<{TOPIC}}{line}" for i, line in enumerate(lines))

    renderer, graphviz = facts["renderer"], GRAPHVIZ.get(facts["platform"])
    graphviz = graphviz or "conda install -c conda-forge graphviz"
    in_use, found = renderer["in_use"], renderer["found"]
    if in_use is None:
        asked = renderer["asked"]
        if renderer["forced"]:
            why = f"none: {render.ENVIRONMENT}={asked}, and {asked} is not on PATH"
        else:
            why = "none: neither Graphviz's dot nor graphviz-pure was found"
        if renderer["forced"] and any(found.values()):
            fix = f"unset {render.ENVIRONMENT} to use what is here, or install Graphviz:"
        else:
            fix = "pip install graphviz-pure (it comes with chainrule), or install Graphviz:"
        say("pictures", why, "lessons print their numbers but draw no graphs", fix, graphviz)
    else:
        drawn = "SVG, PNG and PDF" if facts["pdf"] else "SVG and PNG"
        others = [name for name in render.RENDERERS if name != in_use["name"]]
        also = [f"{program_words(n, facts)} is here too, unused" for n in others if found[n]]
        if not found["dot"]:
            also.append("Graphviz's own dot is not on PATH")
        say("pictures", f"{program_words(in_use['name'], facts)} draws {drawn}", *also)

    if renderer["forced"]:
        name = renderer["asked"]
        say("renderer", f"{name}, forced by {render.ENVIRONMENT}={name} (unset it for auto)")
    else:
        say("renderer", "auto: the system's dot when present, else graphviz-pure")

    pypdf = facts["extras"]["slides"]["packages"]["pypdf"]
    slides = 'pip install "chainrule[slides]" (pypdf) to bind multi-page handouts'
    if facts["pdf"]:
        if pypdf:
            say("PDF", f"yes: Graphviz's dot draws the pages, pypdf {pypdf} binds handouts")
        else:
            say("PDF", "single pages only; handouts need pypdf:", slides)
    elif found["dot"] and renderer["asked"] == "graphviz-pure":
        say("PDF", f"no: {render.ENVIRONMENT}=graphviz-pure; unset it and dot draws PDF")
    else:
        say("PDF", "no: PDF slides and handouts need Graphviz's own dot:", graphviz)
        if not pypdf:
            rows.append(f"{'':<{TOPIC}}and {slides}")

    fonts, pure = facts["cjk_fonts"], in_use is not None and in_use["name"] == "graphviz-pure"
    boxes = "graphviz-pure's PNGs still show boxes for Chinese (its fonts have none)"
    if facts["platform"] in ("darwin", "win32"):
        system = "macOS" if facts["platform"] == "darwin" else "Windows"
        say("CJK font", f"{system}'s own Chinese fonts, used by the browser and by dot")
    elif fonts is None:
        say("CJK font", "unknown: fc-list (fontconfig) is not on PATH to ask")
    elif fonts:
        more = f" and {len(fonts) - 1} more" if len(fonts) > 1 else ""
        say("CJK font", f"{fonts[0]}{more}: Chinese labels draw in dot and in the browser")
    else:
        say("CJK font", "none: Chinese labels show as boxes in PNG and PDF; install one:", CJK_FONT)
    if pure and fonts != []:
        rows.append(f"{'':<{TOPIC}}{boxes}")

    lost = costs(lessons)
    for i, (extra, got) in enumerate(facts["extras"].items()):
        have = [f"{p} {v}" for p, v in got["packages"].items() if v]
        if extra == "browser" and got.get("chromium"):
            have.append(f"Chromium at {got['chromium']}")
        topic = "extras" if i == 0 else ""
        if got["ok"]:
            say(topic, f"{extra:<{EXTRA}}{', '.join(have)}")
            continue
        absent = [p for p, v in got["packages"].items() if not v]
        need = list(absent)
        if extra == "browser" and not got.get("chromium"):
            need.append(f"a Chromium on PATH ({', '.join(CHROMIUMS[:-1])} or {CHROMIUMS[-1]})")
        listed = ", ".join(need[:-1]) + " and " + need[-1] if len(need) > 1 else need[0]
        say(topic, f"{extra:<{EXTRA}}missing {listed}")
        rows.append(f"{'':<{TOPIC + EXTRA}}{lost[extra]}")
        if absent:
            pin = f" ({PINS[extra]})" if extra in PINS else ""
            rows.append(f'{"":<{TOPIC + EXTRA}}pip install "chainrule[{extra}]"{pin}')
    return "\n".join(rows) + "\n"


def run(lessons, as_json=False):
    """Print the report (or its facts as JSON); returns 0 when pictures can be drawn, else 1."""
    facts = examine()
    if as_json:
        print(json.dumps(facts, indent=2))
    else:
        print(text(facts, lessons), end="")
    return 0 if facts["renderer"]["in_use"] else 1
