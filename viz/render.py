"""Rendering: the one module that runs a layout program, turning a drawn graph into SVG, PNG
or PDF. Everything else in viz only builds graphs (`Picture`, a graphviz.Digraph).

Two programs can do it, and the first one found is used:
  dot            Graphviz's own program, from the system (apt, brew, winget). It writes PDF
                 too, and draws Chinese labels with the system's CJK fonts.
  graphviz-pure  a port of Graphviz that pip installs with chainrule, so pictures work on
                 any machine with no admin rights. SVG and PNG only; its bundled fonts have
                 no CJK glyphs (Chinese labels come out as boxes in PNG).
viz.set_renderer("graphviz-pure") or the environment variable CHAINRULE_RENDERER forces one;
"auto" (the default) prefers the system's dot. `chainrule doctor` says which is in use.
"""

import functools
import io
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import warnings
from typing import NamedTuple

import graphviz

from autograd import files

from .i18n import _, language

FORMATS = ("svg", "png", "pdf")
RENDERERS = ("dot", "graphviz-pure")
ENVIRONMENT = "CHAINRULE_RENDERER"

INSTALL_LINES = """\
  Debian/Ubuntu:  sudo apt-get install graphviz
  macOS:          brew install graphviz
  conda:          conda install -c conda-forge graphviz
  Windows:        winget install graphviz  (or: choco install graphviz), then add its bin
                  folder (e.g. C:\\Program Files\\Graphviz\\bin) to PATH"""

INSTALL = (
    """\
{where}: no layout program was found: neither Graphviz's `dot` nor `graphviz-pure` is on
PATH. `pip install graphviz-pure` (it comes with chainrule) is enough for SVG and PNG; or
install Graphviz, then open a new terminal:
"""
    + INSTALL_LINES
    + """
The picture's DOT text is still available without either: graph.source (paste it into any
Graphviz viewer), and viz.to_text(root) lists the graph as plain text."""
)

NEEDS_DOT = (
    """\
{where}: {what} needs Graphviz's own `dot` program; graphviz-pure, the renderer {why},
writes SVG and PNG only. Install Graphviz, then open a new terminal:
"""
    + INSTALL_LINES
)

# Graphviz writes the ID of a linked HTML-table cell as id="a_<ID>", with "-" as "&#45;".
_CELL_ID = re.compile(r'id="a_(v\d+)&#45;(data|grad|tangent)"')
# Chinese, Japanese and Korean characters (and full-width forms): no glyphs in graphviz-pure.
_CJK = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")

_chosen = None  # set_renderer's choice; None means: ask the environment, else "auto"


class GraphvizNotFoundError(RuntimeError):
    """No program that can draw this picture is installed; the message says how to fix it."""


class Renderer(NamedTuple):
    """A layout program: its name (one of RENDERERS), where it is, and what it can write."""

    name: str
    path: str

    @property
    def formats(self):
        return FORMATS if self.name == "dot" else ("svg", "png")

    @property
    def version(self):
        return version_of(self.path)


def set_renderer(name):
    """Choose the layout program: "dot", "graphviz-pure", or "auto" (None) for the first found.

    Returns the previous choice, so a test or a notebook can put it back. Forcing a program
    that is not installed is an error now, not at the first picture.
    """
    global _chosen
    if name is not None and name != "auto" and name not in RENDERERS:
        shown = ", ".join(repr(r) for r in ("auto", *RENDERERS))
        raise ValueError(f"set_renderer: unknown renderer {name!r}; choose one of {shown}")
    if name in RENDERERS and find(name) is None:
        raise GraphvizNotFoundError(f"set_renderer: {name!r} is not installed.\n" + INSTALL_LINES)
    previous, _chosen = _chosen, (None if name == "auto" else name)
    return previous or "auto"


def choice():
    """The renderer asked for: set_renderer's choice, else $CHAINRULE_RENDERER, else "auto"."""
    if _chosen is not None:
        return _chosen
    wanted = os.environ.get(ENVIRONMENT, "").strip() or "auto"
    if wanted != "auto" and wanted not in RENDERERS:
        shown = ", ".join(("auto", *RENDERERS))
        raise ValueError(f"{ENVIRONMENT}={wanted!r} is not a renderer; use one of {shown}")
    return wanted


def find(name):
    """Where the program `name` is, or None. graphviz-pure is also looked for beside this
    Python, so it is found in a virtual environment that was never activated."""
    found = shutil.which(name)
    if found is None and name == "graphviz-pure":
        exe = "graphviz-pure.exe" if os.name == "nt" else "graphviz-pure"
        for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
            candidate = os.path.join(folder, exe)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return found


@functools.cache
def version_of(path):
    """The version a layout program reports for itself (`-V`), e.g. "2.43.0" or "0.2.2"."""
    try:
        done = subprocess.run([path, "-V"], capture_output=True, timeout=30, check=False)
    except OSError:
        return "unknown"
    said = (done.stderr or done.stdout).decode("utf-8", "replace")
    match = re.search(r"version (\S+)", said)
    return match.group(1) if match else "unknown"


def renderer(where="render", fmt="svg"):
    """The program that will draw a picture in format `fmt`, or GraphvizNotFoundError."""
    wanted = choice()
    if wanted == "graphviz-pure" and fmt == "pdf":
        why = f"set by {ENVIRONMENT}" if _chosen is None else "chosen with viz.set_renderer"
        raise GraphvizNotFoundError(NEEDS_DOT.format(where=where, what="PDF", why=why))
    names = RENDERERS if wanted == "auto" else (wanted,)
    found = next((Renderer(n, p) for n in names if (p := find(n)) is not None), None)
    if found is None:
        raise GraphvizNotFoundError(INSTALL.format(where=where))
    if fmt == "pdf" and found.name != "dot":
        why = "found here (dot is not)"
        raise GraphvizNotFoundError(NEEDS_DOT.format(where=where, what="PDF", why=why))
    return found


def dot_source(graph, where):
    """The DOT text of a graphviz object (anything with a `.source` string)."""
    source = getattr(graph, "source", None)
    if not isinstance(source, str):
        raise TypeError(
            f"{where}: expected a graph from viz.draw_dot or viz.draw_path "
            f"(a graphviz.Digraph), got {type(graph).__name__}"
        )
    return source


def run_dot(source, fmt, where, fixed=False):
    """Lay out `source` and return the bytes of the picture in format `fmt`.

    fixed: `source` is already laid out (the `-Tdot` output, maybe restyled): draw every
    node and edge where its `pos` says (neato -n2), so pictures of one layout line up.
    """
    program = renderer(where, fmt)
    if program.name == "graphviz-pure" and fmt == "png" and _CJK.search(source):
        # A student meets this one (a Chinese label, or any picture drawn in Chinese): it
        # speaks the current language and says what to install.
        warnings.warn(
            _(
                "{where}: graphviz-pure has no Chinese, Japanese or Korean glyphs, so that "
                "text shows as boxes in PNG. Install Graphviz and a CJK font (`chainrule "
                "doctor` gives the commands for this system, e.g. `sudo apt-get install "
                "graphviz fonts-noto-cjk`), or save SVG, which the browser draws."
            ).format(where=where),
            stacklevel=3,
        )
    layout = ["-Kneato", "-n2"] if fixed else []
    # SOURCE_DATE_EPOCH: cairo then writes a fixed date into PDFs, so they too are repeatable.
    env = dict(os.environ, SOURCE_DATE_EPOCH="0")
    done = subprocess.run(
        [program.path, "-q", *layout, f"-T{fmt}"],
        input=source.encode("utf-8"),
        capture_output=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(
            f"{where}: {program.name} failed (exit code {done.returncode}): {message}"
        )
    return done.stdout


def to_svg(graph):
    """The picture as SVG text; number cells carry the ids v{i}-data and v{i}-grad."""
    return picture(graph, "svg", "to_svg").decode("utf-8")


def svg_ids(svg):
    """Graphviz's SVG with the number cells' ids as draw_dot names them (v{i}-data)."""
    return _CELL_ID.sub(r'id="\1-\2"', svg)


def lay_out(graph, where):
    """The graph laid out once, as DOT text with every `pos`, for run_dot(fixed=True)."""
    return run_dot(dot_source(graph, where), "dot", where).decode("utf-8")


def draw_fixed(source, fmt, where):
    """A picture of an already laid-out DOT text, in "svg" (text), "png" or "pdf" (bytes)."""
    data = run_dot(source, fmt, where, fixed=True)
    return svg_ids(data.decode("utf-8")) if fmt == "svg" else data


def join_pdfs(pages, where):
    """One PDF with the pages of every PDF in `pages` (bytes each), in order; returns bytes.

    Graphviz writes one page per run, so a handout is put together here, with pypdf (pure
    Python: `pip install "chainrule[slides]"`).
    """
    try:
        import pypdf
    except ImportError:
        raise ImportError(
            f'{where}: a multi-page PDF needs the pypdf package: pip install "chainrule[slides]" '
            "(or pip install pypdf); SVG and PNG frames need nothing more."
        ) from None
    writer = pypdf.PdfWriter()
    for page in pages:
        writer.append(pypdf.PdfReader(io.BytesIO(page)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def picture_format(path, where):
    """The format named by a file's suffix (.svg, .png, .pdf), or ValueError."""
    fmt = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if fmt not in FORMATS:
        shown = ", ".join(f".{f}" for f in FORMATS)
        raise ValueError(
            f"{where}: cannot tell the format of {os.fspath(path)!r}; end the name with {shown}"
        )
    return fmt


def picture(graph, fmt, where):
    """The picture's bytes in `fmt`; SVG with draw_dot's cell ids. A warning speaks the
    picture's language (draw_dot's lang=), else the current one."""
    with language(getattr(graph, "lang", None)):
        if fmt == "svg":
            svg = run_dot(dot_source(graph, where), "svg", where).decode("utf-8")
            return svg_ids(svg).encode("utf-8")
        return run_dot(dot_source(graph, where), fmt, where)


def save(graph, path):
    """Write the picture to `path` (.svg, .png or .pdf, from the suffix) atomically; returns it."""
    path = os.fspath(path)
    return write_atomic(path, picture(graph, picture_format(path, "save"), "save"))


def write_atomic(path, content):
    """Write text or bytes to `path` in one step, making its folder: no reader sees half.

    The rules (symlinks, modes, read-only files, unique temp names) are those of
    autograd.files.write_atomic, the one writer that model files share.
    """
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    return files.write_atomic(path, content)


class Picture(graphviz.Digraph):
    """A graphviz.Digraph that renders with this module's choice of program.

    So a graph shows inline in Jupyter, and `g.pipe()` and `g.render()` work, on a machine
    with graphviz-pure alone: the graphviz package by itself runs only a system `dot`.
    """

    lang = None  # the language of its words, as drawn (None: the current one)

    def pipe(self, format=None, *args, encoding=None, **kwargs):
        fmt = format or self.format or "svg"
        if fmt not in FORMATS:
            shown = ", ".join(FORMATS)
            raise ValueError(f"pipe: chainrule draws {shown}, not {fmt!r}")
        data = picture(self, fmt, "pipe")
        return data.decode(encoding) if encoding else data

    def render(
        self,
        filename=None,
        directory=None,
        view=False,
        cleanup=False,
        format=None,
        *args,
        outfile=None,
        **kwargs,
    ):
        """Write the picture as graphviz's render does: <filename>.<format>, keeping the DOT
        source beside it unless cleanup. Returns the picture's path."""
        fmt = format or (picture_format(outfile, "render") if outfile else self.format or "pdf")
        stem = os.fspath(filename or self.filename or "Digraph.gv")
        if directory:
            stem = os.path.join(os.fspath(directory), stem)
        target = os.fspath(outfile) if outfile else f"{stem}.{fmt}"
        data = picture(self, fmt, "render")  # before any file is touched
        if not cleanup and not outfile:
            write_atomic(stem, self.source)
        write_atomic(target, data)
        if view:
            graphviz.view(target)
        return target
