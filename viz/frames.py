"""Slides: `backprop_frames`, one numbered picture per step of the walk (viz/walk.py), every
frame on the same Graphviz layout so nodes never move.
"""

import os
import xml.etree.ElementTree as ET

from .render import write_atomic
from .walk import SVG, by_id, make_walk

FORWARD, BACKWARD = "#0072B2", "#D55E00"  # Okabe-Ito blue (values) and vermilion (gradients)
HIDDEN = "?"
CAPTION_LINE = 20  # SVG units per line of the caption under a frame
CHAR_WIDTH = 7.5  # about the width of one 13-unit Helvetica character, to size the caption


def set_text(group, text, colour=None, bold=False):
    """Replace the number inside a cell group `v{i}-data` or `v{i}-grad`."""
    if group is None:
        return
    el = group.find(f"{{{SVG}}}text")
    el.text = text
    if colour:
        el.set("fill", colour)
    if bold:
        el.set("font-weight", "bold")


def outline(group, colour, width, dashed=False):
    """Draw a node's outline or an edge in `colour`, `width` units thick."""
    if group is None:
        return
    for shape in group:
        tag = shape.tag.rsplit("}", 1)[-1]
        if tag in ("path", "ellipse", "polygon") and shape.get("stroke") != "transparent":
            shape.set("stroke", colour)
            shape.set("stroke-width", str(width))
            if tag == "polygon":  # an arrowhead
                shape.set("fill", colour)
            if dashed:
                shape.set("stroke-dasharray", "6,3")


def frame_svg(walk, s):
    """The SVG of step s: hidden numbers as '?', future nodes faded, the step lit up."""
    tree = ET.fromstring(walk.svg)
    ids = by_id(tree)
    step, known_data, known_grad = walk.state(s)
    colour = FORWARD if step["phase"] == "forward" else BACKWARD
    for row in walk.rows:
        i = row.index
        data, grad = ids.get(f"v{i}-data"), ids.get(f"v{i}-grad")
        if i not in known_data:
            set_text(data, HIDDEN, "#888888")
            for name in [f"v{i}", f"o{i}", f"r{i}"] + [f"e{i}_{k}" for k in range(len(row.inputs))]:
                if name in ids:
                    ids[name].set("opacity", "0.3")
        if i not in known_grad:
            set_text(grad, HIDDEN, "#888888")
        for k, j in enumerate(row.inputs):  # an edge's numbers are known with its input's grad
            if j not in known_grad and f"e{i}_{k}" in ids:
                for text in ids[f"e{i}_{k}"].findall(f"{{{SVG}}}text"):
                    text.set("visibility", "hidden")
    current = step["node"]
    for i in step["context"]:
        outline(ids.get(f"v{i}"), colour, 2, dashed=True)
    for name in step["flow"]:
        outline(ids.get(name), colour, 3)
        for text in ids[name].findall(f"{{{SVG}}}text") if name in ids else []:
            text.set("fill", colour)  # the edge's numbers in the step's colour, as on the page
            text.set("font-weight", "bold")
        if name.startswith("r"):
            outline(ids.get(f"o{name[1:]}"), colour, 2.5)
    outline(ids.get(f"v{current}"), colour, 4)
    cell = f"v{current}-grad" if step["phase"] == "backward" else f"v{current}-data"
    if ids.get(cell) is not None:
        set_text(ids[cell], ids[cell].find(f"{{{SVG}}}text").text, colour, bold=True)
    add_caption(tree, [f"Step {s + 1} / {len(walk.steps)}: {step['heading']}"] + caption(step))
    return ET.tostring(tree, encoding="unicode")


def caption(step):
    """The narration lines a frame prints under the graph."""
    uses = [f"{head}: {product}" for head, product in step["uses"]]
    lines = (
        uses + [" ".join(step["lines"])] + ([" ".join(step["answer"])] if step["answer"] else [])
    )
    return lines + ([f"({step['why']})"] if step["why"] else [])


def add_caption(tree, lines):
    """Grow the picture downwards and write `lines` under the graph (the layout stays put)."""
    x0, y0, w, h = (float(v) for v in tree.get("viewBox").split())
    extra = CAPTION_LINE * (len(lines) + 0.6)
    wide = max(w, 20 + CHAR_WIDTH * max(len(line) for line in lines))  # never cut a line off
    tree.set("viewBox", f"{x0:g} {y0:g} {wide:g} {h + extra:g}")
    for attribute, grow in (("width", wide - w), ("height", extra)):
        if tree.get(attribute, "").endswith("pt"):
            tree.set(attribute, f"{float(tree.get(attribute)[:-2]) + grow:g}pt")
    band = ET.SubElement(tree, f"{{{SVG}}}g", {"id": "caption"})
    for k, line in enumerate(lines):
        text = ET.SubElement(
            band,
            f"{{{SVG}}}text",
            {
                "x": f"{x0 + 10:g}",
                "y": f"{y0 + h + CAPTION_LINE * (k + 1):g}",
                "font-family": "Helvetica,Arial,sans-serif",
                "font-size": "15" if k == 0 else "13",
                "font-weight": "bold" if k == 0 else "normal",
                "fill": "#222222",
            },
        )
        text.text = line


def backprop_frames(root, out_dir, *, precision=4, rankdir="LR", prefix="step"):
    """Write one SVG per step (step01.svg, step02.svg, ...) into `out_dir`; returns the paths.

    Meant for the small graphs of a lecture: a graph of n nodes makes 2n files, each the size
    of the whole picture. Every frame keeps Graphviz's one layout, so nodes never move.
    """
    walk = make_walk(root, "backprop_frames", precision, rankdir)
    width = len(str(len(walk.steps)))
    paths = []
    for s in range(len(walk.steps)):
        path = os.path.join(os.fspath(out_dir), f"{prefix}{s + 1:0{max(width, 2)}d}.svg")
        paths.append(write_atomic(path, frame_svg(walk, s)))
    return paths
