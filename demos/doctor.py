"""`chainrule doctor`: what is installed here, and what each missing piece costs a lesson.

Everything is looked up, nothing heavy is imported: versions come from the installed packages'
metadata, programs from PATH (as viz.render finds them), so the report is quick and true.
examine() gathers the facts (`--json` prints them as they are, keys in English); text() says
them to a teacher, in the current language (viz.i18n), its columns laid out by display width.
"""

import importlib.metadata
import json
import platform
import shutil
import subprocess
import sys

from viz import render
from viz.format import pad
from viz.i18n import N_, _

CHROMIUMS = ("chromium", "chromium-browser", "google-chrome")  # the ones Playwright is given
TOPIC = 12  # width of the left column
EXTRA = 10  # width of an extra's name under "extras"

# Each optional extra: its packages, and what a class loses without it (translated where it is
# shown). {plots} and {digits} are filled with lesson numbers, found from the lessons themselves.
EXTRAS = {
    "plot": (
        ("matplotlib",),
        N_("lessons {plots} skip their plots (numbers and graphs still come)"),
    ),
    "digits": (
        ("scikit-learn",),
        N_("lesson {digits} (digits) stops: it loads its images with scikit-learn"),
    ),
    "browser": (
        ("playwright",),
        N_("only `make docs` and the browser tests need it; pages open in any browser"),
    ),
    "notebook": (
        ("jupyterlab", "ipykernel", "ipywidgets"),
        N_("make notebook cannot open demos/classroom.ipynb (ipywidgets draws fit's bar there)"),
    ),
    "torch": (
        ("torch",),
        N_("only the tests that compare with PyTorch, and `make bench`, need it"),
    ),
    "slides": (("pypdf",), N_("no multi-page PDF handouts; SVG and PNG frames still work")),
}
PINS = {"torch": "torch==2.13.0"}  # what the pip line should say beside the extra's name

# How to install Graphviz (for dot, so PDF) and a font with Chinese glyphs, on this system.
# Commands stay as typed; the one with words in it is translated where it is shown.
GRAPHVIZ = {
    "linux": "sudo apt-get install graphviz   (Fedora: sudo dnf install graphviz)",
    "darwin": "brew install graphviz",
    "win32": N_("winget install graphviz, then add C:\\Program Files\\Graphviz\\bin to PATH"),
}
# A CJK font draws the Chinese in the pictures (dot), the plots (matplotlib) and the pages (the
# browser). macOS and Windows ship one; elsewhere fontconfig's `fc-list :lang=zh` lists them.
CJK_INSTALL = {
    "debian": "sudo apt-get install fonts-noto-cjk",
    "fedora": "sudo dnf install google-noto-sans-cjk-fonts",
}
CJK_FONT = f"{CJK_INSTALL['debian']}   (Fedora: {CJK_INSTALL['fedora']})"
CJK_CHECK = "fc-list :lang=zh"


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
    for extra, (packages, _cost) in EXTRAS.items():
        versions = {p: version(p) for p in packages}
        extras[extra] = {"packages": versions, "ok": all(versions.values())}
    chromium = next(filter(None, map(shutil.which, CHROMIUMS)), None)
    extras["browser"]["chromium"] = chromium
    extras["browser"]["ok"] = extras["browser"]["ok"] and chromium is not None
    fonts, shipped = cjk_fonts(), sys.platform in ("darwin", "win32")
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
        "cjk_fonts": fonts,
        "cjk_font": {  # what the report says of them: found (None: cannot tell), how to get one
            "found": None if fonts is None else bool(fonts),
            "needed_by": ["dot", "matplotlib", "browser"],
            "check": None if shipped else CJK_CHECK,
            "install": None if shipped else CJK_INSTALL,  # macOS and Windows ship one
        },
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
    return {extra: _(cost).format(**fill) for extra, (_packages, cost) in EXTRAS.items()}


def program_words(name, facts):
    """ "Graphviz dot 2.43.0 (/usr/bin/dot)" or "graphviz-pure 0.2.2 (/path)"."""
    where = facts["renderer"]["found"][name]
    title = "Graphviz dot" if name == "dot" else name
    return f"{title} {where['version']} ({where['path']})"


def together(items, last_word):
    """["a", "b", "c"] as "a, b and c" (or "or"), in the current language's way of listing."""
    if len(items) == 1:
        return items[0]
    # TRANSLATORS: the separator between the names in a list ("jupyterlab, ipykernel and ...").
    some = _(", ").join(items[:-1])
    if last_word == "or":
        return _("{some} or {last}").format(some=some, last=items[-1])
    return _("{some} and {last}").format(some=some, last=items[-1])


def text(facts, lessons):
    """The report, in aligned plain text; `lessons` are the lesson modules, in order."""
    v = facts["versions"]
    rows = [
        _(
            "chainrule {chainrule} · Python {python} · numpy {numpy}"
            " · graphviz (Python package) {graphviz}"
        ).format(**v),
        "",
    ]

    def say(topic, *lines):
        rows.extend(pad(topic if i == 0 else "", TOPIC) + line for i, line in enumerate(lines))

    # TRANSLATORS: the topics of the left column; each fits in 12 columns (6 Chinese characters).
    pictures, renderer_topic, pdf, cjk_font = _("pictures"), _("renderer"), "PDF", _("CJK font")
    renderer, graphviz = facts["renderer"], GRAPHVIZ.get(facts["platform"])
    graphviz = _(graphviz) if graphviz else "conda install -c conda-forge graphviz"
    in_use, found, variable = renderer["in_use"], renderer["found"], render.ENVIRONMENT
    if in_use is None:
        asked = renderer["asked"]
        if renderer["forced"]:
            why = _("none: {variable}={asked}, and {asked} is not on PATH")
        else:
            why = _("none: neither Graphviz's dot nor graphviz-pure was found")
        if renderer["forced"] and any(found.values()):
            fix = _("unset {variable} to use what is here, or install Graphviz:")
        else:
            fix = _("pip install graphviz-pure (it comes with chainrule), or install Graphviz:")
        lost = _("lessons print their numbers but draw no graphs")
        say(pictures, why.format(variable=variable, asked=asked), lost,
            fix.format(variable=variable), graphviz)  # fmt: skip
    else:
        program = program_words(in_use["name"], facts)
        if facts["pdf"]:
            drawn = _("{program} draws SVG, PNG and PDF").format(program=program)
        else:
            drawn = _("{program} draws SVG and PNG").format(program=program)
        others = [name for name in render.RENDERERS if name != in_use["name"]]
        also = [
            _("{program} is here too, unused").format(program=program_words(n, facts))
            for n in others
            if found[n]
        ]
        if not found["dot"]:
            also.append(_("Graphviz's own dot is not on PATH"))
        say(pictures, drawn, *also)

    if renderer["forced"]:
        name = renderer["asked"]
        forced = _("{name}, forced by {variable}={name} (unset it for auto)")
        say(renderer_topic, forced.format(name=name, variable=variable))
    else:
        say(renderer_topic, _("auto: the system's dot when present, else graphviz-pure"))

    pypdf = facts["extras"]["slides"]["packages"]["pypdf"]
    if facts["pdf"]:
        if pypdf:
            yes = _("yes: Graphviz's dot draws the pages, pypdf {pypdf} binds handouts")
            say(pdf, yes.format(pypdf=pypdf))
        else:
            slides = _('pip install "chainrule[slides]" (pypdf) to bind multi-page handouts')
            say(pdf, _("single pages only; handouts need pypdf:"), slides)
    elif found["dot"] and renderer["asked"] == "graphviz-pure":
        say(pdf, _("no: {variable}=graphviz-pure; unset it and dot draws PDF").format(
            variable=variable))  # fmt: skip
    else:
        say(pdf, _("no: PDF slides and handouts need Graphviz's own dot:"), graphviz)
        if not pypdf:
            more = _('and pip install "chainrule[slides]" (pypdf) to bind multi-page handouts')
            rows.append(pad("", TOPIC) + more)

    fonts, pure = facts["cjk_fonts"], in_use is not None and in_use["name"] == "graphviz-pure"
    if facts["platform"] in ("darwin", "win32"):
        system = "macOS" if facts["platform"] == "darwin" else "Windows"
        shipped = _("{system}'s own Chinese fonts, used by the browser and by dot")
        say(cjk_font, shipped.format(system=system))
    elif fonts is None:
        say(cjk_font, _("unknown: fc-list (fontconfig) is not on PATH to ask"))
    elif len(fonts) > 1:
        many = _("{font} and {more} more: Chinese labels draw in dot and in the browser")
        say(cjk_font, many.format(font=fonts[0], more=len(fonts) - 1))
    elif fonts:
        one = _("{font}: Chinese labels draw in dot and in the browser")
        say(cjk_font, one.format(font=fonts[0]))
    else:
        say(
            cjk_font,
            _("none: Chinese labels show as boxes in PNG and PDF; install one:"),
            CJK_FONT,
            _("the pictures (dot), the plots (matplotlib) and the pages (the browser) need it"),
            _("once it is installed, `{check}` lists it").format(check=CJK_CHECK),
        )
    if pure and fonts != []:
        boxes = _("graphviz-pure's PNGs still show boxes for Chinese (its fonts have none)")
        rows.append(pad("", TOPIC) + boxes)

    lost = costs(lessons)
    for i, (extra, got) in enumerate(facts["extras"].items()):
        have = [f"{p} {v}" for p, v in got["packages"].items() if v]
        if extra == "browser" and got.get("chromium"):
            have.append(_("Chromium at {path}").format(path=got["chromium"]))
        topic = _("extras") if i == 0 else ""
        if got["ok"]:
            say(topic, pad(extra, EXTRA) + ", ".join(have))
            continue
        absent = [p for p, v in got["packages"].items() if not v]
        need = list(absent)
        if extra == "browser" and not got.get("chromium"):
            chromium = _("a Chromium on PATH ({programs})")
            need.append(chromium.format(programs=together(list(CHROMIUMS), "or")))
        missing = _("missing {packages}").format(packages=together(need, "and"))
        say(topic, pad(extra, EXTRA) + missing)
        rows.append(pad("", TOPIC + EXTRA) + lost[extra])
        if absent:
            pin = f" ({PINS[extra]})" if extra in PINS else ""
            rows.append(pad("", TOPIC + EXTRA) + f'pip install "chainrule[{extra}]"{pin}')
    return "\n".join(rows) + "\n"


def run(lessons, as_json=False):
    """Print the report (or its facts as JSON); returns 0 when pictures can be drawn, else 1."""
    facts = examine()
    if as_json:
        print(json.dumps(facts, indent=2))
    else:
        print(text(facts, lessons), end="")
    return 0 if facts["renderer"]["in_use"] else 1
