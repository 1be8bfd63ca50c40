"""The backprop player: one self-contained HTML page that steps through the forward pass and
backprop on a fixed Graphviz layout, with narration and a quiz. No network, no external files.
Every word on it is in the language it was built in (lang=), carried in the page itself.
"""

import html
import json
import math
import os
import re
from importlib.resources import files

from .dot import MAX_NODES
from .format import visible
from .i18n import N_, _, language, messages, resolve
from .render import write_atomic
from .walk import make_walk

IFRAME_HEIGHT = 640  # pixels: the page inside a Jupyter output cell

# The words of player.html ({{reset}} and so on), translated when a page is built. What the
# script writes as the student steps through is marked _("...") in player.js; the page carries
# the catalog (messages("player")), so the same words are looked up there.
WORDS = {
    "steps": N_("steps"),  # what the row of buttons is, to a screen reader
    "reset": N_("Reset"),
    "reset_title": N_("Back to the first step, answers cleared"),
    "prev": N_("Prev"),
    "prev_title": N_("Previous step (left arrow)"),
    "next": N_("Next"),
    "next_title": N_("Next step (right arrow)"),
    "play": N_("Play"),
    "play_title": N_("Play or pause (space)"),
    "speed_title": N_("Playing speed"),
    "slow": N_("slow"),
    "fast": N_("fast"),
    "speed": N_("speed"),
    "zoom_title": N_("Zoom (+, -, 0 to fit; or the mouse wheel)"),
    "zoom_out": N_("zoom out"),
    # TRANSLATORS: the zoom button between - and +: fit the whole graph, or zoom in to read it.
    "zoom_fit": N_("fit or zoom to read"),
    "fit": N_("Fit"),
    "zoom_in": N_("zoom in"),
    "quiz_title": N_("Hide each gradient until you answer (Q)"),
    "quiz": N_("Quiz"),
    "graph_label": N_("computation graph"),
    # TRANSLATORS: the one line of help above the graph; keep the keys (→ ← Tab Enter Q) as keys.
    "help": N_(
        "→ next · ← back · click a node (or Tab, Enter) to jump to it · wheel: zoom · "
        "drag: move · Q: quiz"
    ),
    # TRANSLATORS: the heading of the colour key under the graph.
    "key": N_("Key"),
    "example": N_("e.g. -4 or 1/3"),  # the answer box, empty
    "check": N_("Check"),
    "reveal": N_("Reveal"),
    "reveal_title": N_("Show the answer (R)"),
    "copy": N_("Copy score"),
    "score_label": N_("your quiz score, to copy"),
    "student": N_("Your name"),  # the quiz export's field: whose answers the file holds
    "student_example": N_("e.g. Wang Fang"),
    "download": N_("Download answers"),
    "download_title": N_("Save your answers as a CSV file to hand in (`chainrule check` marks it)"),
}


def asset(name):
    """The text of a file shipped beside this module: the page, its script and its styles."""
    return files("viz").joinpath(name).read_text(encoding="utf-8")


def script_json(data):
    """`data` as JSON that is safe inside <script>: no `<`, `>` or `&` can end the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class Player:
    """A finished player page: `.html` is the whole file; it shows inline in Jupyter."""

    def __init__(self, page, path=None, lang="en"):
        self.html, self.path, self.lang = page, path, lang

    def save(self, path):
        """Write the page to `path` atomically; returns the path."""
        self.path = write_atomic(path, self.html)
        return self.path

    def _repr_html_(self):
        # An iframe keeps the page's script and styles apart from the notebook's own.
        with language(self.lang):
            title = html.escape(_("backprop player"), quote=True)
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
            f'style="width: 100%; height: {IFRAME_HEIGHT}px; border: 1px solid #ccc" '
            f'title="{title}"></iframe>'
        )

    def __repr__(self):
        where = f" at {self.path!r}" if self.path else ""
        return f"<backprop player{where}, {len(self.html)} characters>"


def backprop_html(
    root, path=None, *, title=None, quiz=False, precision=4, rankdir="LR", params=None,
    collapse=False, example=None, max_nodes=MAX_NODES, lang=None,
):  # fmt: skip
    """Build the player page for `root` (and write it to `path`); returns a Player.

    quiz: start in quiz mode (gradients hidden until the student answers). rankdir: "LR" or
    "TB" for the graph layout. precision: significant digits of every number shown.
    params, collapse, example, max_nodes: as draw_dot takes them, so the page matches
    graph.svg (a graph too big to lay out is refused before any work on it).
    lang: "en" or "zh-CN", the page's every word (None: the current language).
    """
    lang = resolve(lang, where="backprop_html")
    if not isinstance(quiz, bool):
        raise TypeError(f"backprop_html: quiz must be True or False, got {quiz!r}")
    with language(lang):  # the narration, the legend and the page's own words alike
        walk = make_walk(
            root, "backprop_html", precision, rankdir, title, params=params, collapse=collapse,
            example=example, max_nodes=max_nodes,
        )  # fmt: skip
        parts = {key: html.escape(_(text), quote=True) for key, text in WORDS.items()}
        parts |= {
            "lang": lang,
            "title": html.escape(walk.title),
            "style": asset("player.css"),
            "graph": svg_for_page(walk.svg),
            "data": script_json(page_data(walk, quiz)),
            "script": asset("player.js"),
        }
    # One pass, so text put in (a label, say) is never searched for another placeholder.
    page = re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], asset("player.html"))
    player = Player(page, lang=lang)
    if path is not None:
        player.save(os.fspath(path))
    return player


def page_data(walk, quiz):
    """What player.js reads: the nodes (with the step that shows each number), steps, legend,
    and the interface's words in the current language ({} for English: the script's own)."""
    value_step, grad_step = own_steps(walk)
    story = walk.story
    nodes = [
        {
            "name": visible(row.name()),
            "data": story.num(row.node.data),
            "grad": story.num(story.grads[row.index]),
            "exact": json_number(story.grads[row.index]),  # what a quiz answer is checked against
            "inputs": list(row.inputs),
            "element": walk.element_of[row.index],
            "value_step": value_step[row.index],
            "grad_step": grad_step[row.index],
        }
        for row in walk.rows
    ]
    return {
        "title": walk.title,
        "root": story.root_name,
        "quiz": quiz,
        "nodes": nodes,
        "steps": walk.steps,
        "legend": walk.legend,
        "messages": messages("player"),
    }


def own_steps(walk):
    """For each node, the step that computes its value and the one that finishes its gradient
    (None where the walk gives it no step of its own, as inside a folded box)."""
    value_step, grad_step = [None] * walk.n, [None] * walk.n
    for s, step in enumerate(walk.steps):
        (value_step if step["phase"] == "forward" else grad_step)[step["node"]] = s
    return value_step, grad_step


def json_number(x):
    """x for JSON, which has no nan or infinity: those become the strings "nan", "inf", "-inf"."""
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def svg_for_page(svg):
    """The SVG sized by the page (it fills the graph pane), not by Graphviz's points."""
    head, rest = svg.split(">", 1)
    for attribute in ("width", "height"):
        start = head.find(f' {attribute}="')
        if start >= 0:
            end = head.index('"', start + len(attribute) + 3)
            head = head[:start] + head[end + 1 :]
    return f'{head} id="graph-svg" preserveAspectRatio="xMidYMid meet">{rest}'
