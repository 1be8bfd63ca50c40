"""The backprop player: one self-contained HTML page that steps through the forward pass and
backprop on a fixed Graphviz layout, with narration and a quiz. No network, no external files.
Every word on it is in the language it was built in (lang=), carried in the page itself.
mode="forward" steps through forward mode instead (each value with its tangent), and
mode="both" through forward mode then backprop, with what each mode costs beside them.
"""

import html
import json
import math
import os
import re
from importlib.resources import files

from autograd import mode_costs

from .dot import MAX_NODES
from .format import pick, visible
from .i18n import N_, _, language, messages, resolve
from .notation import term
from .render import write_atomic
from .walk import make_walk

IFRAME_HEIGHT = 640  # pixels: the page inside a Jupyter output cell
SHORT_PART = 32  # characters: a part of the cost panel's line this short is never broken
MAX_NAMES = 8  # the cost panel names this many inputs, then says how many more

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
# The quiz's title where it asks tangents (forward mode) too.
QUIZ_TITLES = {
    "forward": N_("Hide each tangent until you answer (Q)"),
    "both": N_("Hide each tangent and gradient until you answer (Q)"),
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
    root, path=None, *, mode="reverse", wrt=None, title=None, quiz=False, precision=4,
    rankdir="LR", params=None, collapse=False, example=None, max_nodes=MAX_NODES, lang=None,
):  # fmt: skip
    """Build the player page for `root` (and write it to `path`); returns a Player.

    mode: "reverse" (the forward pass, then backprop), "forward" (forward mode: each node's
    value and tangent, the derivative by the input `wrt`, a leaf Value or its label) or
    "both" (forward mode, then backprop on the same graph). Forward and both show what each
    mode costs for this graph.
    quiz: start in quiz mode (gradients and tangents hidden until the student answers).
    rankdir: "LR" or "TB" for the graph layout. precision: significant digits shown.
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
            example=example, max_nodes=max_nodes, mode=mode, wrt=wrt,
        )  # fmt: skip
        words = WORDS | ({"quiz_title": QUIZ_TITLES[mode]} if mode in QUIZ_TITLES else {})
        parts = {key: html.escape(_(text), quote=True) for key, text in words.items()}
        parts |= {
            "costs": "" if mode == "reverse" else costs_panel(walk),
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
    and the interface's words in the current language ({} for English: the script's own).

    In forward mode a node has its tangent (and the step that finds it: its value's step)
    and no gradient; with both modes, both."""
    value_step, grad_step = own_steps(walk)
    story = walk.story
    nodes = []
    for row in walk.rows:
        node = {
            "name": visible(row.name()),
            "data": story.num(row.node.data),
            "inputs": list(row.inputs),
            "element": walk.element_of[row.index],
            "value_step": value_step[row.index],
        }
        if walk.mode != "reverse":
            t = story.tangents[row.index]
            node |= {"tangent": story.num(t), "tangent_exact": json_number(t)}
            node["tangent_step"] = value_step[row.index]
        if walk.mode != "forward":
            node |= {
                "grad": story.num(story.grads[row.index]),
                # what a quiz answer is checked against
                "exact": json_number(pick(story.grads[row.index], story.example)),
                "grad_step": grad_step[row.index],
            }
        nodes.append(node)
    data = {
        "title": walk.title,
        "root": story.root_name,
        "quiz": quiz,
        "nodes": nodes,
        "steps": walk.steps,
        "legend": walk.legend,
        "messages": messages("player"),
    }
    if walk.mode != "reverse":
        data["wrt"], data["wrt_dot"] = story.wrt_name, story.wrt_dotted
    return data


def own_steps(walk):
    """For each node, the step that computes its value (and, in forward mode, its tangent)
    and the one that finishes its gradient (None where the walk gives it no step of its
    own, as inside a folded box)."""
    value_step, grad_step = [None] * walk.n, [None] * walk.n
    for s, step in enumerate(walk.steps):
        (grad_step if step["phase"] == "backward" else value_step)[step["node"]] = s
    return value_step, grad_step


def costs_panel(walk):
    """The side panel's table: the passes and multiplications forward and reverse mode need
    for the gradient of the root by every input of this graph (autograd.mode_costs)."""
    story = walk.story
    inputs = story.inputs()
    costs = mode_costs(walk.rows[-1].node, [row.node for row in inputs])
    n, edges = costs.inputs, costs.edges
    names = [story.name(row) for row in inputs]
    if len(names) > MAX_NAMES:
        names = names[: MAX_NAMES - 1] + ["…"]
    names = listed(names)
    # TRANSLATORS: the bottom of ∂f/∂(each input), the gradient's every entry
    each = _("each input")
    each = f"∂{term(story.root_name)}/∂({each})"
    # (no plural forms here: the page carries only plain messages for its script)
    said = _("{gradient} · inputs: {n} ({names}) · outputs: 1 · edges: {edges}")
    said = said.format(gradient=each, n=n, names=names, edges=edges)
    rows = [
        ("forward", _("forward mode"), costs.forward_passes, costs.forward_multiplications),
        ("reverse", _("reverse mode"), costs.reverse_passes, costs.reverse_multiplications),
    ]
    body = "".join(
        f'<tr class="{kind}"><th scope="row">{html.escape(name)}</th><td>{passes}</td>'
        f"<td>{mults} = {passes} × {edges}</td></tr>"
        for kind, name, passes, mults in rows
    )
    title, passes, mults = _("What the whole gradient costs"), _("passes"), _("multiplications")
    # each part between the dots whole on its line: `inputs: 3 (x, y, z)` never splits
    pieces = re.split(r"(\s*·\s*)", said)  # the parts, and between them their dots as written
    parts = "".join(
        f'<span class="part">{html.escape(piece)}</span>'
        if k % 2 == 0 and len(piece) <= SHORT_PART  # a long list of names may wrap
        else html.escape(piece)
        for k, piece in enumerate(pieces)
    )
    why = _(
        "Forward mode: one pass per input; reverse mode: one per output. "
        "A pass multiplies once per edge."
    )
    return (
        '<section id="costs" aria-labelledby="costs-title">'
        f'<h3 id="costs-title">{html.escape(title)}</h3>'
        f'<p class="costs-what">{parts}</p>'
        f'<table><thead><tr><td></td><th scope="col">{html.escape(passes)}</th>'
        f'<th scope="col">{html.escape(mults)}</th></tr></thead>'
        f"<tbody>{body}</tbody></table>"
        f'<p class="costs-why">{html.escape(why)}</p></section>'
    )


def listed(names):
    """Names as a list is written: `x, y, z` (Chinese: `x、y、z`); "-" for none."""
    if not names:
        return "-"
    text = names[0]
    for name in names[1:]:
        # TRANSLATORS: a list of names grows one name at a time: "x, y" then "x, y, z"
        text = _("{names}, {name}").format(names=text, name=name)
    return text


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
