"""The student's picture: the part of the lesson's graph around the node the room is asked
about, with every number the class has not found yet written as "?".

The teacher's player holds every answer; a student's phone gets only this. It starts from
the player's own SVG (viz.walk: one Graphviz layout, cells v{i}-data and v{i}-grad, edges
e{i}_{k} into ops o{i}, and r{i} out of them), hides what step `step` has not reached, crops
the view to the asked node and its neighbours, drops what lies outside, and keeps only plain
drawing elements: no script, no event attributes, no links.
"""

import re
import xml.etree.ElementTree as ET

from viz.walk import SVG, by_id

UNKNOWN = "?"
MARGIN = 24  # points of graph around the asked node and its neighbours
WHOLE = (600, 420)  # points: a graph no wider and taller than this is shown whole
SMALLEST = (300, 200)  # points: a crop never narrower or lower (a leaf alone is one box)
LARGEST = (720, 540)  # points: nor wider or taller (a phone shows it at half size)
MAX_BYTES = 60_000  # a picture bigger than this (a crowded view) keeps only the asked part
CELL = re.compile(r"v(\d+)-(data|grad|tangent)")
EDGE = re.compile(r"e(\d+)_(\d+)")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
TRANSFORM = re.compile(r"(scale|translate)\(\s*([-\d.e]+)[\s,]+([-\d.e]+)\s*\)")
# What a picture may hold: Graphviz's drawing elements and their presentation attributes.
ELEMENTS = {"svg", "g", "path", "polygon", "polyline", "ellipse", "circle", "rect", "line", "text"}
ATTRIBUTES = {
    "id", "class", "viewBox", "width", "height", "transform", "d", "points", "cx", "cy", "rx",
    "ry", "r", "x", "y", "x1", "y1", "x2", "y2", "fill", "fill-opacity", "stroke",
    "stroke-width", "stroke-dasharray", "stroke-opacity", "opacity", "text-anchor",
    "font-family", "font-size", "font-weight", "font-style", "text-decoration",
}  # fmt: skip
DRAWING = {f"{{{SVG}}}{name}" for name in ELEMENTS}


def picture(walk, step, revealed=False):
    """The SVG (text) a student sees while the room answers step `step` of `walk`; revealed:
    after the reveal, with the number the step finds (and the edges it used) shown too."""
    steps = walk.steps
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step < len(steps):
        raise ValueError(f"picture: step must be a step of the walk, 0 to {len(steps) - 1}")
    tree = ET.fromstring(walk.svg)
    ids = by_id(tree)
    hide_numbers(walk, step + 1 if revealed else step, ids)
    record = steps[step]
    asked = walk.element_of[record["node"]]
    what = "data" if record["phase"] == "forward" else "grad"
    for name in (asked, f"v{record['node']}-{what}"):
        if name in ids:
            add_class(ids[name], "cr-asked")
    names = around(record, walk.element_of)
    crop(tree, ids, names, asked)
    keep_drawing_only(tree)
    text = ET.tostring(tree, encoding="unicode")
    if len(text.encode()) > MAX_BYTES:  # a crowded part of a big graph: its bare bones
        graph = tree.find(f"{{{SVG}}}g")
        for child in list(graph):
            if child.get("id") not in names and child.get("class") != "cluster":
                graph.remove(child)
        text = ET.tostring(tree, encoding="unicode")
    return text


def hide_numbers(walk, step, ids):
    """Write "?" in every cell whose number step `step` has not found, and take the labels
    off every edge whose local derivative (or `+=` share) has not been used yet.

    A number found at step s is known from step s + 1: at a forward step the asked value and
    every later one are unknown, at a backward step the asked gradient and every later one.
    An edge's local derivative is first used by backprop at its input's gradient step (by
    forward mode at its op's tangent step), and its `+=` is the product that step finds.
    """
    tangent = walk.tangent_step or [len(walk.steps)] * walk.n
    found = {"data": walk.value_step, "grad": walk.grad_step, "tangent": tangent}
    for name, el in ids.items():
        cell, edge = CELL.fullmatch(name), EDGE.fullmatch(name)
        if cell and found[cell[2]][int(cell[1])] >= step:
            texts = el.findall(f"{{{SVG}}}text")
            for extra in texts[1:]:
                el.remove(extra)
            if texts:
                texts[0].text = UNKNOWN
            add_class(el, "cr-unknown")
        elif edge:
            i, k = int(edge[1]), int(edge[2])
            j = walk.rows[i].inputs[k]
            if min(walk.grad_step[j], tangent[i]) >= step:
                for text in el.findall(f"{{{SVG}}}text"):
                    el.remove(text)


def around(record, element_of):
    """The ids of what a step is about: the asked node, the nodes it reads (forward) or that
    read it (backward), the edges between them and the ops on those edges."""
    names = [element_of[record["node"]]] + [element_of[i] for i in record["context"]]
    for name in record["flow"]:
        names.append(name)
        if name.startswith("r"):
            names.append("o" + name[1:])
    return names


def crop(tree, ids, names, asked):
    """Narrow the view to the elements `names` (with a margin) when the graph is too big to
    read whole on a phone, and drop every element that lies wholly outside the view.

    Neighbours far apart (a weight drawn a page away from the neuron that reads it) would
    make the view as big as the graph: it is then at most LARGEST, around the asked node.
    """
    graph = tree.find(f"{{{SVG}}}g")
    (sx, sy), (tx, ty) = placement(graph.get("transform", ""))
    x0, y0, width, height = (float(v) for v in tree.get("viewBox").split())
    if width <= WHOLE[0] and height <= WHOLE[1]:
        return
    boxes = [extent(ids[name]) for name in names if name in ids]
    boxes = [box for box in boxes if box is not None]
    if not boxes:
        return
    centre = extent(ids[asked]) if asked in ids else None
    # In the graph's own coordinates: a point p is drawn at (p + t) * s.
    left, right = span(
        [b[0] for b in boxes], [b[2] for b in boxes], centre and centre[0::2],
        SMALLEST[0] / sx, LARGEST[0] / sx, (x0 / sx - tx, (x0 + width) / sx - tx),
    )  # fmt: skip
    top, bottom = span(
        [b[1] for b in boxes], [b[3] for b in boxes], centre and centre[1::2],
        SMALLEST[1] / sy, LARGEST[1] / sy, (y0 / sy - ty, (y0 + height) / sy - ty),
    )  # fmt: skip
    view = ((left + tx) * sx, (top + ty) * sy, (right - left) * sx, (bottom - top) * sy)
    tree.set("viewBox", " ".join(f"{v:.2f}" for v in view))
    tree.set("width", f"{view[2]:.0f}pt")
    tree.set("height", f"{view[3]:.0f}pt")
    window = (left, top, right, bottom)
    for child in list(graph):
        # An edge stays where it starts or ends in view; one only passing by is noise (and
        # the box around a long curve would cover half the graph).
        edge = "edge" in child.get("class", "").split()
        boxes = ends(child) if edge else [extent(child)]
        if boxes != [None] and not any(overlaps(box, window) for box in boxes):
            graph.remove(child)


def span(lows, highs, centre, least, most, bounds):
    """One axis of the view: from the lowest to the highest of the boxes' edges with a
    margin, at least `least` long, at most `most` about the asked node's `centre` (its
    (low, high) on this axis), and within the graph's `bounds`."""
    low, high = min(lows) - MARGIN, max(highs) + MARGIN
    middle = (low + high) / 2 if centre is None else (centre[0] + centre[1]) / 2
    if high - low < least:
        low, high = (low + high) / 2 - least / 2, (low + high) / 2 + least / 2
    elif high - low > most:
        low, high = middle - most / 2, middle + most / 2
    return max(low, bounds[0]), min(high, bounds[1])


def placement(transform):
    """Graphviz's `scale(sx sy) rotate(0) translate(tx ty)` as ((sx, sy), (tx, ty)): a point
    p of the graph is drawn at (p + t) * s."""
    found = {kind: (float(a), float(b)) for kind, a, b in TRANSFORM.findall(transform)}
    return found.get("scale", (1.0, 1.0)), found.get("translate", (0.0, 0.0))


def extent(el):
    """(left, top, right, bottom) of what an element draws, in the graph's coordinates; None
    for an element that draws nothing. A text's width is estimated from its length."""
    xs, ys = [], []
    for part in el.iter():
        tag = part.tag.rpartition("}")[2]
        if tag == "path" or tag in ("polygon", "polyline"):
            numbers = [float(v) for v in NUMBER.findall(part.get("d") or part.get("points", ""))]
            xs += numbers[0::2]
            ys += numbers[1::2]
        elif tag == "ellipse":
            cx, cy = float(part.get("cx")), float(part.get("cy"))
            rx, ry = float(part.get("rx")), float(part.get("ry"))
            xs += [cx - rx, cx + rx]
            ys += [cy - ry, cy + ry]
        elif tag == "text" and part.text:
            x, y = float(part.get("x", 0)), float(part.get("y", 0))
            size = float(part.get("font-size", 10))
            wide = 0.6 * size * len(part.text)
            anchor = part.get("text-anchor", "start")
            start = x - wide / 2 if anchor == "middle" else x - wide if anchor == "end" else x
            xs += [start, start + wide]
            ys += [y - size, y]
    if not xs or not ys:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def ends(edge):
    """The points where an edge's line starts and ends, as boxes of no size ([]: no line)."""
    line = edge.find(f"{{{SVG}}}path")
    numbers = [float(v) for v in NUMBER.findall("" if line is None else line.get("d", ""))]
    if len(numbers) < 4:
        return []
    return [(x, y, x, y) for x, y in (numbers[:2], numbers[-2:])]


def overlaps(a, b):
    """Whether two boxes (left, top, right, bottom) share any point."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def keep_drawing_only(tree):
    """Remove every element and attribute that is not plain drawing: a page inserts the
    picture into itself, so it must carry no script, event handler, link or style sheet."""
    for parent in list(tree.iter()):
        for child in list(parent):
            if child.tag not in DRAWING:
                parent.remove(child)
    for el in tree.iter():
        for name in list(el.attrib):
            if name not in ATTRIBUTES or "url(" in el.get(name):
                del el.attrib[name]


def add_class(el, name):
    """Add a CSS class to an SVG element's class attribute."""
    classes = el.get("class", "").split()
    if name not in classes:
        el.set("class", " ".join(classes + [name]))
