"""Rendering: the one module that runs Graphviz's `dot`, turning a drawn graph into SVG,
PNG or PDF. Everything else in viz only builds `graphviz.Digraph` objects.
"""

import io
import os
import re
import shutil
import subprocess

from autograd import files

FORMATS = ("svg", "png", "pdf")

INSTALL = """\
{where}: Graphviz's `dot` program was not found on PATH; it is needed to render pictures.
Install Graphviz, then open a new terminal:
  Debian/Ubuntu:  sudo apt-get install graphviz
  macOS:          brew install graphviz
  conda:          conda install -c conda-forge graphviz
  Windows:        winget install graphviz  (or: choco install graphviz), then add its bin
                  folder (e.g. C:\\Program Files\\Graphviz\\bin) to PATH
The picture's DOT text is still available without it: graph.source (paste it into any
Graphviz viewer), and viz.to_text(root) lists the graph as plain text."""

# Graphviz writes the ID of a linked HTML-table cell as id="a_<ID>", with "-" as "&#45;".
_CELL_ID = re.compile(r'id="a_(v\d+)&#45;(data|grad)"')


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's `dot` program is not installed (or not on PATH); the message says how to fix."""


def dot_program(where="render"):
    """The path of the `dot` program, or GraphvizNotFoundError with install instructions."""
    found = shutil.which("dot")
    if found is None:
        raise GraphvizNotFoundError(INSTALL.format(where=where))
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
    """Lay out `source` with dot and return the bytes of the picture in format `fmt`.

    fixed: `source` is already laid out (dot's `-Tdot` output, maybe restyled): draw every
    node and edge where its `pos` says (neato -n2), so pictures of one layout line up.
    """
    dot = dot_program(where)
    layout = ["-Kneato", "-n2"] if fixed else []
    # SOURCE_DATE_EPOCH: cairo then writes a fixed date into PDFs, so they too are repeatable.
    env = dict(os.environ, SOURCE_DATE_EPOCH="0")
    done = subprocess.run(
        [dot, *layout, f"-T{fmt}"],
        input=source.encode("utf-8"),
        capture_output=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"{where}: dot failed (exit code {done.returncode}): {message}")
    return done.stdout


def to_svg(graph):
    """The picture as SVG text; number cells carry the ids v{i}-data and v{i}-grad."""
    return svg_ids(run_dot(dot_source(graph, "to_svg"), "svg", "to_svg").decode("utf-8"))


def svg_ids(svg):
    """Graphviz's SVG with the number cells' ids as draw_dot names them (v{i}-data)."""
    return _CELL_ID.sub(r'id="\1-\2"', svg)


def lay_out(graph, where):
    """The graph laid out once by dot, as DOT text with every `pos`, for run_dot(fixed=True)."""
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


def save(graph, path):
    """Write the picture to `path` (.svg, .png or .pdf, from the suffix) atomically; returns it."""
    path = os.fspath(path)
    fmt = os.path.splitext(path)[1].lower().lstrip(".")
    if fmt not in FORMATS:
        shown = ", ".join(f".{f}" for f in FORMATS)
        raise ValueError(f"save: cannot tell the format of {path!r}; end the name with {shown}")
    if fmt == "svg":
        data = to_svg(graph).encode("utf-8")
    else:
        data = run_dot(dot_source(graph, "save"), fmt, "save")
    return write_atomic(path, data)


def write_atomic(path, content):
    """Write text or bytes to `path` in one step, making its folder: no reader sees half.

    The rules (symlinks, modes, read-only files, unique temp names) are those of
    autograd.files.write_atomic, the one writer that model files share.
    """
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    return files.write_atomic(path, content)
