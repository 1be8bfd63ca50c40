"""Slides: `backprop_frames`, one picture per step of the walk (viz/walk.py) as SVG or PNG
files, or one PDF with a page per step (a handout). dot lays the graph out once; every frame
is that layout restyled for its step and drawn where `pos` says, so nodes never move.
"""

import math
import os
import re
import types

import graphviz

from . import render
from .dot import FONT, MAX_NODES, check_limit, choice, escape, fits, font
from .i18n import _, language, resolve
from .walk import make_walk

FORMATS = ("svg", "png", "pdf")
PHASES = ("both", "backward")
ASPECTS = (None, "16:9")
MAX_FRAMES = 500  # a 250-node graph, both passes; nobody steps through more in a lecture
MAX_BYTES = 200 * 10**6
DPI = 144  # PNG pixels per inch: twice the screen's 72, sharp on a projector

FORWARD, BACKWARD = "#0072B2", "#D55E00"  # Okabe-Ito blue (values) and vermilion (gradients)
HIDDEN = "#888888"  # the '?' of a number not known yet
FADE = "4D"  # alpha (30%) appended to every colour of a node not computed yet
MARGIN, GAP = 12, 16  # points: around the frame, between the graph and its caption

# Laid-out DOT as `dot -Tdot` writes it: a statement `name [` or `a -> b [` opens each line.
STATEMENT = re.compile(r"^\t+(\w+(?: -> \w+)?)\s*\[", re.M)
ATTRIBUTE = re.compile(r'[\s,]*(\w+)=("(?:[^"\\]|\\[\s\S])*"|<|[^,\]\s]+)')  # "\<newline>" goes on
COLOUR = re.compile(r"(#[0-9A-Fa-f]{6})(?![0-9A-Fa-f])")
# A number cell of draw_dot's boxes (its ids are documented in viz/dot.py).
CELL = re.compile(
    r'ID="(v\d+-(?:data|grad))" HREF="[^"]*" TOOLTIP="[^"]*">(?:<B>)?([^<]*)(?:</B>)?</TD>'
)


def parse(laid):
    """Laid-out DOT as a list of plain text pieces and [head, {attribute: value}] statements.

    Values stay as DOT writes them (quoted, <HTML>, or bare), so the text can be put back.
    """
    parts, at = [], 0
    for m in STATEMENT.finditer(laid):
        if m.start() < at:  # the match lies inside the previous statement
            continue
        attrs, j = {}, m.end()
        while (a := ATTRIBUTE.match(laid, j)) is not None:
            value, j = a.group(2), a.end()
            if value == "<":  # an HTML-like label: up to the '>' that closes the first '<'
                depth, start = 1, j - 1
                while depth:
                    depth += {"<": 1, ">": -1}.get(laid[j], 0)
                    j += 1
                value = laid[start:j]
            attrs[a.group(1)] = value
        parts += [laid[at : m.start()], [m.group(1), attrs]]
        at = laid.index("]", j) + 1
    return parts + [laid[at:]]


def unparse(parts):
    """The DOT text of parsed parts."""
    return "".join(
        p if isinstance(p, str) else f"\t{p[0]} [{', '.join(f'{k}={v}' for k, v in p[1].items())}]"
        for p in parts
    )


def quoted(text):
    """`text` as a quoted DOT string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def bare(value):
    """A DOT value without its quotes."""
    return value[1:-1] if value.startswith('"') else value


def html_caption(lines):
    """The caption under a frame: title (small), step heading (bold), narration lines."""
    rows = []
    for k, line in enumerate(lines):
        size, text = (11, escape(line)) if k == 0 else (15 if k == 1 else 13, escape(line))
        if k == 1:
            text = f"<B>{text}</B>"
        colour = "#555555" if k == 0 else "#222222"
        rows.append(
            f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="{size}" COLOR="{colour}">{text}'
            "</FONT></TD></TR>"
        )
    return f'<<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="0">{"".join(rows)}</TABLE>>'


def caption(walk, s):
    """The lines a frame prints under the graph: the walk's own text for step s."""
    step = walk.steps[s]
    # TRANSLATORS: one use of a node: "via q = x + y: local ...; ∂f/∂q · ... = -4"
    uses = [_("{via}: {details}").format(via=via, details=_("; ").join(rest))
            for via, *rest in step["uses"]]  # fmt: skip
    answer = [" ".join(step["answer"])] if step["answer"] else []
    why = [_("({reason})").format(reason=step["why"])] if step["why"] else []
    heading = _("Step {n} / {total}: {heading}").format(
        n=s + 1, total=len(walk.steps), heading=step["heading"]
    )
    return [walk.title, heading] + uses + [" ".join(step["lines"])] + answer + why


def sizes(labels):
    """(width, height) in points of each HTML-like label, as Graphviz measures it: in the
    frames' own font, or a caption measured in Times would not fit where it is drawn."""
    graph = graphviz.Digraph(
        node_attr={"shape": "plaintext", "margin": "0", "fontname": font(), "fontsize": "11"}
    )
    for k, label in enumerate(labels):
        graph.node(f"c{k}", label=label)
    found = {
        p[0]: p[1]
        for p in parse(render.lay_out(graph, "backprop_frames"))
        if not isinstance(p, str)
    }
    return [
        (72 * float(bare(found[f"c{k}"]["width"])), 72 * float(bare(found[f"c{k}"]["height"])))
        for k in range(len(labels))
    ]


def canvas(bb, captions, aspect):
    """Where the frame's corners and each caption go: one size for every frame.

    The graph keeps its coordinates; the canvas is the graph plus the widest and tallest
    caption under it, padded to 16:9 when asked, with the graph centred.
    """
    x0, y0, x1, y1 = bb
    cap_w = max(w for w, _ in captions)
    cap_h = max(h for _, h in captions)
    content_w, content_h = max(x1 - x0, cap_w), (y1 - y0) + GAP + cap_h
    width, height = content_w + 2 * MARGIN, content_h + 2 * MARGIN
    if aspect == "16:9":
        unit = math.ceil(max(width / 16, height / 9))  # whole points: exactly 16:9
        width, height = 16 * unit, 9 * unit
    mid = (x0 + x1) / 2
    top = y1 + (height - content_h) / 2
    left = mid - content_w / 2  # the caption starts where the centred content block starts
    corners = ((mid - width / 2, top - height), (mid + width / 2, top))
    places = [(left + w / 2, y0 - GAP - h / 2) for w, h in captions]
    return corners, places


def bounding_box(parts):
    """The laid-out graph's bounding box (x0, y0, x1, y1) in points."""
    graph = next(p[1] for p in parts if not isinstance(p, str) and p[0] == "graph")
    return tuple(float(v) for v in bare(graph["bb"]).split(","))


def restyle(parts, walk, s, defaults):
    """The parsed layout with step s drawn: '?' for unknown numbers, the step lit up."""
    step, known_data, known_grad = walk.state(s)
    colour = FORWARD if step["phase"] == "forward" else BACKWARD
    box = walk.element_of
    faded, looks, cells = set(), {}, {}
    for row in walk.rows:
        i = row.index
        if i not in known_data:
            faded.update([box[i], f"o{i}", f"r{i}"] + [f"e{i}_{k}" for k in range(len(row.inputs))])
            cells[f"v{i}-data"] = None
        if i not in known_grad:
            cells[f"v{i}-grad"] = None
        for k, j in enumerate(row.inputs):  # an edge's numbers are known with its input's grad
            if j not in known_grad:
                looks[f"e{i}_{k}"] = {"label": '""', "xlabel": '""'}
    for i in step["context"]:
        looks[box[i]] = {"color": quoted(colour), "penwidth": "2", "dashed": True}
    # Helvetica-Bold in Chinese too: dot takes the Chinese glyphs of a lit label from a bold
    # CJK font, and in SVG only this PostScript name makes Graphviz write font-weight="bold".
    bold = quoted(f"{FONT}-Bold")
    for name in step["flow"]:
        looks[name] = {"color": quoted(colour), "penwidth": "3"}
        looks[name].update(fontcolor=quoted(colour), fontname=bold)
        if name.startswith("r"):
            looks[f"o{name[1:]}"] = {"color": quoted(colour), "penwidth": "2.5"}
    current = step["node"]
    looks[box[current]] = {"color": quoted(colour), "penwidth": "4"}
    cells[f"v{current}-{'grad' if step['phase'] == 'backward' else 'data'}"] = colour

    def cell(m):
        shown = cells.get(m.group(1), "")
        text = m.group(2)
        if shown is None:
            text = f'<FONT COLOR="{HIDDEN}">?</FONT>'
        elif shown:
            text = f'<FONT COLOR="{shown}"><B>{text}</B></FONT>'
        return f'ID="{m.group(1)}" HREF="#{m.group(1)}" TOOLTIP="{m.group(1)}">{text}</TD>'

    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        head, attrs = part[0], dict(part[1])
        name = bare(attrs.get("id", ""))
        if "label" in attrs and attrs["label"].startswith("<"):
            attrs["label"] = CELL.sub(cell, attrs["label"])
        if name in faded:
            kind = defaults["edge" if " -> " in head else "node"]
            for key in ("color", "fontcolor", "fillcolor", "label"):
                value = attrs.get(key, kind.get(key))
                if value is not None:
                    attrs[key] = COLOUR.sub(rf"\g<1>{FADE}", value)
        look = dict(looks.get(name, {}))
        if look.pop("dashed", False):
            attrs["style"] = quoted(bare(attrs.get("style", '""')) + ",dashed")
        attrs.update(look)
        out.append([head, attrs])
    return out


def in_bold(graph):
    """The graph with every number in bold, to be laid out: each box then has room for the
    bold number of its own step, so no frame grows a box (and no box moves)."""
    bold = CELL.sub(
        lambda m: m.group(0).replace(f">{m.group(2)}</TD>", f"><B>{m.group(2)}</B></TD>"),
        graph.source,
    )
    return types.SimpleNamespace(source=bold)


def fixtures(parts, walk, corners, fmt):
    """The statements every frame adds: the canvas corners, and the name the narration uses
    (v3) above each box that has no label, as the player shows it."""
    dpi = f', dpi="{DPI}"' if fmt == "png" else ""
    found = [f'\tgraph [pad="0", margin="0"{dpi}];']
    # Two invisible dots fix the canvas. Each is 0.01 in wide (graphviz-pure draws no smaller
    # point, dot draws that size when asked), so each sits half its width inside the corner.
    half = 0.36  # points
    for k, (x, y) in enumerate(corners):
        x, y = (x + half, y + half) if k == 0 else (x - half, y - half)
        found.append(
            f"\tcorner{k} [shape=point, style=invis, width=0.01, height=0.01, fixedsize=true, "
            f'pos="{x},{y}"];'
        )
    shown = {bare(p[1].get("id", "")): p[1] for p in parts if not isinstance(p, str)}
    for row in walk.rows:
        box = shown.get(row.id)
        if row.node.label or box is None:
            continue
        x, y = (float(v) for v in bare(box["pos"]).split(","))
        top = y + 36 * float(bare(box["height"])) + 7  # height is in inches: half is 36 h pt
        found.append(
            f"\ttag{row.index} [shape=plaintext, margin=0, width=0, height=0, fontsize=10, "
            f'fontcolor="#555555", label=<<I>{escape(row.name())}</I>>, pos="{x},{top}"];'
        )
    return found


def frame_source(parts, walk, s, defaults, fixed, place, label):
    """The DOT text of step s's frame: the restyled graph, its caption and the `fixed` parts."""
    text = unparse(restyle(parts, walk, s, defaults)).rstrip()  # ends with the graph's "}"
    at = f'pos="{place[0]},{place[1]}"'
    caption = f"\tcaption [id=caption, shape=plaintext, margin=0, label={label}, {at}];"
    return text[:-1] + "\n".join(fixed + [caption]) + "\n}\n"


def advice(walk, phase):
    """What to do instead of writing a pile of frames too big to use."""
    backward = sum(1 for step in walk.steps if step["phase"] == "backward")
    ways = [
        "collapse=True (one box per module scope) or collapse=1 (one per layer)",
        f"phase='backward' ({backward} frames)" if phase == "both" else None,
        "a smaller graph (one example, fewer units)",
        "or raise max_frames= / max_bytes= (None: no limit)",
    ]
    return "Draw fewer or smaller frames: " + ", ".join(w for w in ways if w) + "."


def backprop_frames(
    root,
    out_dir,
    *,
    fmt="svg",
    phase="both",
    aspect=None,
    precision=4,
    rankdir="LR",
    prefix="step",
    params=None,
    collapse=False,
    example=None,
    title=None,
    max_frames=MAX_FRAMES,
    max_bytes=MAX_BYTES,
    max_nodes=MAX_NODES,
    lang=None,
):
    """Write the walk's frames into `out_dir`: step01.svg... (or .png), or one step.pdf.

    fmt: "svg", "png" (files, one per step) or "pdf" (one file, a page per step). phase:
    "both" (forward then backward) or "backward" (the values all known). aspect: None or
    "16:9" (every frame padded to a slide). Every frame has one size and one layout.
    params, collapse, example, title, max_nodes: as draw_dot and backprop_html take them.
    Refuses, before writing anything, more than max_frames frames or max_bytes bytes (None:
    no limit). lang: the language of the captions, "en" or "zh-CN" (None: the current one).
    Returns the paths written.
    """
    where = "backprop_frames"
    lang = resolve(lang, where=where)
    choice(where, "fmt", fmt, FORMATS)
    choice(where, "phase", phase, PHASES)
    choice(where, "aspect", aspect, ASPECTS)
    check_limit(where, "max_frames", max_frames)
    check_limit(where, "max_bytes", max_bytes)
    with language(lang):  # the walk's words and every caption
        walk = make_walk(
            root, where, precision, rankdir, title,
            params=params, collapse=collapse, example=example, max_nodes=max_nodes,
        )  # fmt: skip
        steps = [
            s for s, step in enumerate(walk.steps) if phase == "both" or step["phase"] == phase
        ]
        if max_frames is not None and len(steps) > max_frames:
            raise ValueError(
                f"backprop_frames: {len(steps)} frames ({walk.n} nodes, phase={phase!r}), more "
                f"than max_frames={max_frames}. " + advice(walk, phase)
            )
        parts = parse(render.lay_out(in_bold(walk.graph), "backprop_frames"))
        defaults = {
            p[0]: p[1] for p in parts if not isinstance(p, str) and p[0] in ("node", "edge")
        }
        labels = [
            fits(html_caption(caption(walk, s)), "backprop_frames", f"the caption of step {s + 1}")
            for s in steps
        ]
        corners, places = canvas(bounding_box(parts), sizes(labels), aspect)

        fixed = fixtures(parts, walk, corners, fmt)

        def frame(k):
            source = frame_source(parts, walk, steps[k], defaults, fixed, places[k], labels[k])
            data = render.draw_fixed(source, fmt, "backprop_frames")
            return data.encode("utf-8") if isinstance(data, str) else data

        last = frame(len(steps) - 1)  # every number shown: the biggest frame
        if max_bytes is not None and len(last) * len(steps) > max_bytes:
            raise ValueError(
                f"backprop_frames: {len(steps)} {fmt.upper()} frames of about "
                f"{len(last) / 1e6:.2f} MB would take about {len(last) * len(steps) / 1e6:.0f} MB, "
                f"more than max_bytes={max_bytes}. " + advice(walk, phase)
            )
        out_dir = os.fspath(out_dir)
        if fmt == "pdf":
            pages = [frame(k) for k in range(len(steps) - 1)] + [last]
            handout = render.join_pdfs(pages, "backprop_frames")
            return [render.write_atomic(os.path.join(out_dir, f"{prefix}.pdf"), handout)]
        width = max(2, len(str(len(walk.steps))))  # step07 of 10, step007 of 120: names sort
        return [
            render.write_atomic(
                os.path.join(out_dir, f"{prefix}{s + 1:0{width}d}.{fmt}"),
                last if k == len(steps) - 1 else frame(k),
            )
            for k, s in enumerate(steps)
        ]
