"""The backprop player: one self-contained HTML page that steps through the forward pass and
backprop on a fixed Graphviz layout, with narration and a quiz. No network, no external files.
"""

import html
import json
import os
import re
from importlib.resources import files

from .render import write_atomic
from .walk import make_walk

IFRAME_HEIGHT = 640  # pixels: the page inside a Jupyter output cell


def asset(name):
    """The text of a file shipped beside this module: the page, its script and its styles."""
    return files("viz").joinpath(name).read_text(encoding="utf-8")


def script_json(data):
    """`data` as JSON that is safe inside <script>: no `<`, `>` or `&` can end the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class Player:
    """A finished player page: `.html` is the whole file; it shows inline in Jupyter."""

    def __init__(self, page, path=None):
        self.html, self.path = page, path

    def save(self, path):
        """Write the page to `path` atomically; returns the path."""
        self.path = write_atomic(path, self.html)
        return self.path

    def _repr_html_(self):
        # An iframe keeps the page's script and styles apart from the notebook's own.
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
            f'style="width: 100%; height: {IFRAME_HEIGHT}px; border: 1px solid #ccc" '
            'title="backprop player"></iframe>'
        )

    def __repr__(self):
        where = f" at {self.path!r}" if self.path else ""
        return f"<backprop player{where}, {len(self.html)} characters>"


def backprop_html(root, path=None, *, title=None, quiz=False, precision=4, rankdir="LR"):
    """Build the player page for `root` (and write it to `path`); returns a Player.

    quiz: start in quiz mode (gradients hidden until the student answers). rankdir: "LR" or
    "TB" for the graph layout. precision: significant digits of every number shown.
    """
    if not isinstance(quiz, bool):
        raise TypeError(f"backprop_html: quiz must be True or False, got {quiz!r}")
    walk = make_walk(root, "backprop_html", precision, rankdir, title)
    data = {
        "title": walk.title,
        "root": walk.story.root_name,
        "quiz": quiz,
        "nodes": [
            {
                "name": row.name(),
                "data": walk.story.num(row.node.data),
                "grad": walk.story.num(walk.story.grads[row.index]),
                "inputs": list(row.inputs),
            }
            for row in walk.rows
        ],
        "steps": walk.steps,
    }
    parts = {
        "title": html.escape(walk.title),
        "style": asset("player.css"),
        "graph": svg_for_page(walk.svg),
        "data": script_json(data),
        "script": asset("player.js"),
    }
    # One pass, so text put in (a label, say) is never searched for another placeholder.
    page = re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], asset("player.html"))
    player = Player(page)
    if path is not None:
        player.save(os.fspath(path))
    return player


def svg_for_page(svg):
    """The SVG sized by the page (it fills the graph pane), not by Graphviz's points."""
    head, rest = svg.split(">", 1)
    for attribute in ("width", "height"):
        start = head.find(f' {attribute}="')
        if start >= 0:
            end = head.index('"', start + len(attribute) + 3)
            head = head[:start] + head[end + 1 :]
    return f'{head} id="graph-svg" preserveAspectRatio="xMidYMid meet">{rest}'
