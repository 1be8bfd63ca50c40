"""Two layout programs, one set of pictures: the system's Graphviz `dot` against graphviz-pure.

Every lesson runs once per renderer into a folder of its own (interleaved rounds, medians),
then each file it wrote is compared: bytes, an SVG's width and height, its boxes and arrows,
and its element ids, which must be equal: the backprop player finds v{i}, v{i}-data,
v{i}-grad, e{i}_{k}, o{i}, r{i} and c{n} by them. A player page is judged by its embedded SVG.

Run: python -m benchmarks.renderers [--repeats N] [--keep DIR]
"""

import argparse
import os
import re
import tempfile
import warnings

from demos.cli import LESSONS
from viz import render as rendering

from . import render
from .common import interleaved

SHORT = {"dot": "dot", "graphviz-pure": "gvp"}
PICTURES = (".svg", ".html", ".png", ".pdf")
_SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def missing():
    """Why the comparison cannot run here (a renderer is not installed), or None."""
    gone = [name for name in rendering.RENDERERS if rendering.find(name) is None]
    if gone:
        are = "are" if len(gone) > 1 else "is"
        return f"comparing renderers needs both: {' and '.join(gone)} {are} not installed"
    return None


def drawn_by(name, fn, *args, **kwargs):
    """A callable: fn(*args, **kwargs) with the renderer `name` chosen, then the old one back."""

    def call():
        previous = rendering.set_renderer(name)
        try:
            with warnings.catch_warnings():  # graphviz-pure's CJK warning: not news here
                warnings.simplefilter("ignore")
                return fn(*args, **kwargs)
        finally:
            rendering.set_renderer(previous)

    return call


def describe(path):
    """What one file is: bytes, and for SVG (or a page's embedded SVG) its size, boxes, ids."""
    with open(path, "rb") as f:
        data = f.read()
    facts = {"bytes": len(data)}
    if path.endswith((".svg", ".html")):
        found = _SVG.search(data.decode("utf-8"))
        svg = found.group(0) if found else ""
        tag = svg[: svg.find(">")]
        size = [re.search(rf'\b{a}="([\d.]+)', tag) for a in ("width", "height")]
        if None in size:  # a page's SVG scales to its window: only the viewBox says the size
            size = re.search(r'viewBox="[\d.-]+ [\d.-]+ ([\d.]+) ([\d.]+)"', tag)
            size = [size.group(1), size.group(2)] if size else [0, 0]
        else:
            size = [m.group(1) for m in size]
        facts["size"] = [float(s) for s in size]
        facts["boxes"] = svg.count('class="node"')
        facts["arrows"] = svg.count('class="edge"')
        facts["ids"] = sorted(set(re.findall(r'\bid="([^"]+)"', svg)))
    return facts


def pictures(folder):
    """Every picture under `folder`, as paths relative to it."""
    return sorted(
        os.path.relpath(os.path.join(d, f), folder)
        for d, _, names in os.walk(folder)
        for f in names
        if f.endswith(PICTURES)
    )


def percent(a, b):
    return 100.0 * abs(b - a) / a if a else 0.0


def compare(dot, gvp):
    """One file as each renderer wrote it: the differences the table shows."""
    row = {"bytes": [dot["bytes"], gvp["bytes"]], "bytes_diff": percent(dot["bytes"], gvp["bytes"])}
    if "ids" in dot:
        row["size"] = [dot["size"], gvp["size"]]
        row["size_diff"] = max(map(percent, dot["size"], gvp["size"]))
        row["same_shape"] = (dot["boxes"], dot["arrows"]) == (gvp["boxes"], gvp["arrows"])
        row["ids_only_dot"] = sorted(set(dot["ids"]) - set(gvp["ids"]))
        row["ids_only_gvp"] = sorted(set(gvp["ids"]) - set(dot["ids"]))
    return row


def compare_file(folders, name):
    """compare() for the file `name` in each renderer's folder; a file only one wrote says so."""
    paths = [os.path.join(folders[r], name) for r in rendering.RENDERERS]
    gone = [SHORT[r] for r, p in zip(rendering.RENDERERS, paths) if not os.path.exists(p)]
    return {"missing_in": gone} if gone else compare(*map(describe, paths))


def quiet(text=""):
    """The lessons' echo, silenced: their printing is not what is measured."""


def run(repeats=3, keep=None):
    """Run every lesson with each renderer and compare; return a dict (see report)."""
    if missing():
        raise rendering.GraphvizNotFoundError(missing())
    names = rendering.RENDERERS
    res = {"versions": {n: rendering.version_of(rendering.find(n)) for n in names}, "lessons": {}}
    with tempfile.TemporaryDirectory() as scratch:
        for name, lesson in LESSONS.items():
            folders = {r: os.path.join(keep or scratch, SHORT[r], name) for r in names}
            runs = {
                r: drawn_by(r, lesson, out=folders[r], plots=False, small=True, echo=quiet)
                for r in names
            }
            runs["dot"]()  # a warm-up, and it shows whether the lesson draws anything at all
            if not pictures(folders["dot"]):
                res["lessons"][name] = None
                continue
            seconds = interleaved(runs, repeats)
            wrote = sorted(set().union(*(pictures(folders[r]) for r in names)))
            files = {f: compare_file(folders, f) for f in wrote}
            res["lessons"][name] = {"seconds": seconds, "files": files}
    model, loss = render.mlp_loss()
    draws = {r: drawn_by(r, render.draw, loss, model) for r in names}
    res["mlp_whole_svg"] = interleaved(draws, repeats)
    return res


def rows(res):
    """The comparison as table rows: one per lesson, then the big MLP picture."""
    table = [("lesson", "s dot", "s gvp", "gvp/dot", "files", "bytes dot", "bytes gvp")]
    table[0] += ("boxes same", "ids equal", "max diff bytes", "max diff w/h")
    for name, lesson in res["lessons"].items():
        if lesson is None:
            table.append((name, "-", "-", "-", "0", "no pictures with --no-plots"))
            continue
        s, files = lesson["seconds"], list(lesson["files"].values())
        alike = [f for f in files if "missing_in" not in f]
        svgs = [f for f in alike if "size" in f]
        sizes = [sum(f["bytes"][i] for f in alike) for i in (0, 1)]
        ids = all(not (f["ids_only_dot"] or f["ids_only_gvp"]) for f in svgs)
        table.append(
            (name, f"{s['dot']:.2f}", f"{s['graphviz-pure']:.2f}")
            + (f"{s['graphviz-pure'] / s['dot']:.2f}", str(len(files)))
            + (f"{sizes[0]:,}", f"{sizes[1]:,}")
            + (_yes(all(f["same_shape"] for f in svgs)), _yes(ids and len(alike) == len(files)))
            + (f"{max(f['bytes_diff'] for f in alike):.0f}%",)
            + (f"{max((f['size_diff'] for f in svgs), default=0):.0f}%",)
        )
    m = res["mlp_whole_svg"]
    table.append(("MLP(2,[16,16,1]) whole svg", f"{m['dot']:.2f}", f"{m['graphviz-pure']:.2f}"))
    table[-1] += (f"{m['graphviz-pure'] / m['dot']:.2f}", "draw_dot + to_svg")
    return table


def report(res):
    """Print the versions, the table, and every file whose ids or boxes differ."""
    print(", ".join(f"{name} {v}" for name, v in res["versions"].items()))
    table = rows(res)
    full = [r for r in table if len(r) == len(table[0])]  # a short row's last cell may run on
    widths = [max(len(r[i]) for r in full) for i in range(len(table[0]))]
    for r in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
    for name, lesson in res["lessons"].items():
        for f, row in (lesson or {"files": {}})["files"].items():
            odd = {k: row[k] for k in ("missing_in", "ids_only_dot", "ids_only_gvp") if row.get(k)}
            if odd:
                print(f"  {name}/{f}: {odd}")


def _yes(flag):
    return "yes" if flag else "NO"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.renderers", description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", help="write each renderer's files under DIR/dot, DIR/gvp")
    args = parser.parse_args(argv)
    if missing():
        print(f"skipped: {missing()}")
        return None
    res = run(args.repeats, args.keep)
    report(res)
    return res


if __name__ == "__main__":
    main()
