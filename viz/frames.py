"""Backprop as a sequence of steps over one Graphviz layout: the data the HTML player walks
through, and `backprop_frames`, one numbered SVG per step for slides (nodes never move).
"""

import math
import os
import re
import xml.etree.ElementTree as ET

from .dot import draw_dot
from .narrate import Story, paren
from .render import to_svg, write_atomic
from .tape import read_tape

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", XLINK)

FORWARD, BACKWARD = "#0072B2", "#D55E00"  # Okabe-Ito blue (values) and vermilion (gradients)
HIDDEN = "?"
CAPTION_LINE = 20  # SVG units per line of the caption under a frame
CHAR_WIDTH = 7.5  # about the width of one 13-unit Helvetica character, to size the caption


class Walk:
    """Every step of the lesson: the forward pass node by node, then backprop node by node.

    Step s < n computes the value of node s (topological order); step n + b finishes the
    gradient of the node the engine reaches b-th going backwards (the root first).
    """

    def __init__(self, root, where, precision=4, rankdir="LR", title=None):
        self.story = Story(root, precision, where)
        self.rows = self.story.rows
        self.n = len(self.rows)
        self.title = title if title is not None else self.default_title()
        graph = draw_dot(
            root_with_grads(self.story, root), rankdir=rankdir, precision=precision, legend=False
        )
        self.svg = name_tags(clean_svg(to_svg(graph)), self.rows)
        self.steps = [self.forward_step(row) for row in self.rows]
        self.steps += [self.backward_step(e) for e in self.story.backward]

    def default_title(self):
        """`Backprop through f = q * z`: the root and the op that made it."""
        root = self.rows[-1]
        if root.node.op is None:
            return f"Backprop: {root.name()}"
        return f"Backprop through {root.name()} = {self.story.formula(root)}"

    def forward_step(self, row):
        """The step that computes `row`'s value: its incoming edges and its inputs light up."""
        i = row.index
        flow = [f"e{i}_{k}" for k in range(len(row.inputs))] + ([f"r{i}"] if row.inputs else [])
        note = ""
        if i == 0:
            note = (
                "The forward pass computes every value from its inputs, inputs first. "
                "The gradients (grad) stay unknown until the backward pass."
            )
        return {
            "phase": "forward",
            "node": i,
            "heading": f"Value of {row.name()}",
            "lines": [self.story.forward[i]],
            "answer": [],
            "uses": [],
            "note": note,
            "why": "",
            "flow": flow,
            "context": sorted(set(row.inputs)),
        }

    def backward_step(self, e):
        """The step that finishes one gradient: the edges it arrives along light up."""
        story, f = self.story, self.story.root_name
        flow, context, uses = [], [], []
        for t in e.terms:
            q = t.consumer
            flow += [f"e{q.index}_{t.slot}", f"r{q.index}"]
            context.append(q.index)
            slot = f" (input {t.slot + 1})" if q.inputs.count(e.index) > 1 else ""
            product = (
                f"{story.d(f, q.name())} · {story.d(q.name(), e.name)} = {story.num(t.upstream)} · "
                f"{paren(story.num(t.local))} = {story.num(t.contribution)}"
            )
            if len(e.terms) > 1:
                product += f"; sum so far {story.num(t.running)}"
            uses.append([f"via {q.name()} = {story.formula(q)}{slot}", product])
        if e.substituted:  # one line per use: df/dx = df/dq · dq/dx, then + df/dr · dr/dx
            first, *rest = e.symbolic.split(" + ")
            question, answer = [first] + [f"+ {term}" for term in rest], [e.substituted, e.numeric]
        else:  # the root: df/df = 1
            question, answer = [story.d(f, e.name)], [e.numeric]
        note = ""
        if e.index == self.story.root_index:
            note = (
                f"The backward pass starts at the output {f} and walks back to the inputs. "
                f"Each grad is {story.per_node()}: how much {f} moves per unit nudge of that node."
            )
        return {
            "phase": "backward",
            "node": e.index,
            "heading": f"Gradient of {e.name}",
            "lines": question,
            "answer": answer,
            "ask": story.d(f, e.name),
            "uses": uses,
            "note": note,
            "why": e.why,
            "flow": sorted(set(flow), key=flow.index),
            "context": sorted(set(context)),
            "grad": e.grad if math.isfinite(e.grad) else None,  # JSON has no nan
        }

    def state(self, s):
        """What step s shows: which numbers are known, what is lit. Mirrors player.js."""
        step = self.steps[s]
        known_data = {i for i in range(self.n) if s >= i}
        known_grad = {i for i in range(self.n) if s >= 2 * self.n - 1 - i}
        return step, known_data, known_grad


def root_with_grads(story, root):
    """`root`, its nodes' `.grad` set to this story's gradients while the picture is drawn.

    The boxes are then sized for the real numbers; `Walk` puts the old gradients back.
    """
    for row, g in zip(story.rows, story.grads):
        row.node.grad = g
    return root


def clean_svg(svg):
    """Graphviz's SVG without tooltips, titles and links (they would give quiz answers away)."""
    tree = ET.fromstring(svg)
    for parent in list(tree.iter()):
        for child in list(parent):
            if child.tag == f"{{{SVG}}}title":
                parent.remove(child)
            elif child.tag == f"{{{SVG}}}a":
                at = list(parent).index(child)
                parent.remove(child)
                for k, inner in enumerate(child):
                    parent.insert(at + k, inner)
    return ET.tostring(tree, encoding="unicode")


def name_tags(svg, rows):
    """Write the name the narration uses (v3) just above each box that has no label."""
    tree = ET.fromstring(svg)
    ids = by_id(tree)
    for row in rows:
        box = ids.get(row.id)
        shape = None if box is None else box.find(f"{{{SVG}}}path")
        if row.node.label or shape is None:
            continue
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", shape.get("d", ""))]
        xs, ys = numbers[0::2], numbers[1::2]
        tag = ET.SubElement(
            box,
            f"{{{SVG}}}text",
            {
                "x": f"{min(xs) + 3:g}",
                "y": f"{min(ys) - 3:g}",
                "class": "cr-tag",
                "font-family": "Helvetica,sans-Serif",
                "font-size": "10.00",
                "font-style": "italic",
                "fill": "#555555",
            },
        )
        tag.text = row.name()
    return ET.tostring(tree, encoding="unicode")


def by_id(tree):
    """Every element of an SVG tree that has an id, by that id."""
    return {el.get("id"): el for el in tree.iter() if el.get("id")}


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


def make_walk(root, where, precision=4, rankdir="LR", title=None):
    """A Walk, with the nodes' own `.grad` exactly as they were before."""
    saved = [(row.node, row.node.grad) for row in read_tape(root, where=where)]
    try:
        return Walk(root, where, precision, rankdir, title)
    finally:
        for node, g in saved:
            node.grad = g
