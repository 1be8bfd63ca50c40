"""draw_dot: the computation graph as a `graphviz.Digraph`, with the calculus on its edges.

Each value is a box (label, data, grad); each op is an ellipse with its symbol. The edge from
an input into an op carries the local derivative d(out)/d(in) and, where asked (by default at
fan-out), what that edge adds to the input's gradient: local x the op output's grad. A value
used several times has as gradient the sum of the `+=` on its outgoing edges.

Stable ids, which the HTML backprop player relies on. With order = topological_order(root):
  v{i}       the box of order[i]. Its numbers are SVG text inside <g id="v{i}-data"> and
             <g id="v{i}-grad">, each holding only the formatted number (drawn with wrt=,
             also <g id="v{i}-tangent">: its forward-mode tangent).
  o{i}       the op ellipse of order[i] (leaves have none).
  e{i}_{k}   the edge from input k of order[i] into o{i}; a*a gives e{i}_0 and e{i}_1.
  r{i}       the edge o{i} -> v{i}.
Graphviz writes an HTML table cell's ID into SVG only on a link, and then as id="a_<ID>", so
number cells carry HREF="#<ID>" and TOOLTIP, and render.to_svg renames "a_v{i}-data" to
"v{i}-data". Collapsed scopes are boxes s{i} (i: the first member's position); a box that
shows one output j has its cells v{j}-data and v{j}-grad. The lines into a folded box are
x{source}_{target}; an edge out of one into a drawn op keeps its id e{i}_{k} and its local
derivative. Module frames are c{n}, n counting scopes in name order.
"""

import math
import re
from html import escape as html_escape

import graphviz

from autograd import Value, forward_derivative

from . import palette, render
from .format import batch_size, check_example, check_precision, fmt, pick, visible
from .i18n import N_, _, current, language, ngettext, resolve
from .notation import partial, term
from .tangent import dotted
from .tape import contribution, full_name, is_dead_relu, locate, read_tape

RANKDIRS = ("LR", "TB")
SHOW = ("data", "grad", "local", "fanout", "contribution", "blank")
DEFAULT_SHOW = ("data", "grad", "local", "fanout")
COLORS = ("role", "grad", None)
MAX_NODES = 2500  # boxes; dot lays out MLP(2, [16, 16, 1]) (1,624 boxes) in about 2 s
LARGE = 800  # boxes; beyond, edge labels float beside edges (xlabel): dot lays out 5-10x faster
FONT = "Helvetica"
# A picture in Chinese: Helvetica still draws the Latin letters and digits (as in English),
# the Chinese the first of these that the system has (Windows, macOS, Linux). dot (Pango via
# fontconfig) measures and draws with the list, and a browser showing the SVG reads it too.
CJK_FONT = "Helvetica,Microsoft YaHei,PingFang SC,Noto Sans CJK SC,sans-serif"
# The "data"/"grad" column is at least this wide (points): "grad" at 9 pt is about 18, so a
# number never touches its word, however a renderer measures text (graphviz-pure's is tight).
WORD_WIDTH = 26
# show="blank": the empty grad field a student writes in (points): room for "-12.25" by hand.
BLANK_WIDTH, BLANK_HEIGHT = 54, 20
# What would give a gradient away, so show="blank" refuses it: numbers, or their colours.
GIVE_AWAY = ("grad", "fanout", "contribution")
DIGITS = re.compile(r"(\d+)")
PORTS = {"LR": ("e", "w"), "TB": ("s", "n")}  # where edges leave and enter a folded box
HTML_BYTES = 16000  # dot refuses an HTML-like label of about 16,400 bytes ("longer than 16384?")
TABLE = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="{spacing}" CELLPADDING="1">'
# TRANSLATORS: the two small words in every box, beside its value and its gradient
WORDS = {"data": N_("data"), "grad": N_("grad")}
# A ReLU that passes nothing back, as its ellipse and a folded box say: "inactive" (for this
# point or example), "dead" (for every example of a batch).
OFF = {"inactive": N_("inactive"), "dead": N_("dead")}
OFF_RELU = {"inactive": N_("inactive ReLU"), "dead": N_("dead ReLU")}
# The legend line for such a ReLU: (inactive or dead, drawn as an op or as a folded box, when)
OFF_LEGEND = {
    ("inactive", "op", "point"): N_(
        "inactive ReLU (dashed): its input is <= 0 for this point, so it passes 0 back"
    ),
    ("inactive", "op", "example"): N_(
        "inactive ReLU (dashed): its input is <= 0 for this example, so it passes 0 back"
    ),
    ("dead", "op", "batch"): N_(
        "dead ReLU (dashed): its input is <= 0 for every example of the batch, so it passes 0 back"
    ),
    ("inactive", "box", "point"): N_(
        "a folded neuron ending in an inactive ReLU (dashed): its input is <= 0 for this point, "
        "so it passes 0 back"
    ),
    ("inactive", "box", "example"): N_(
        "a folded neuron ending in an inactive ReLU (dashed): its input is <= 0 for this "
        "example, so it passes 0 back"
    ),
    ("dead", "box", "batch"): N_(
        "a folded neuron ending in a dead ReLU (dashed): its input is <= 0 for every example "
        "of the batch, so it passes 0 back"
    ),
}


def table(rows, spacing=0):
    """An HTML-like label: the given <TR> rows in a borderless table."""
    return f"<{TABLE.format(spacing=spacing)}{''.join(rows)}</TABLE>>"


def fits(label, where, what):
    """`label` (HTML-like), or a ValueError, before dot runs, when it is too long for dot."""
    size = len(label.encode("utf-8"))
    if size > HTML_BYTES:
        raise ValueError(
            f"{where}: {what} would take {size:,} bytes, more than the {HTML_BYTES:,} that "
            "Graphviz reads in one label; shorten the labels (viz.to_text shows any label)"
        )
    return label


def escape(text, breaks="<BR/>"):
    """`text` made safe inside a Graphviz HTML-like label, shown exactly as written: entities,
    line breaks, hidden characters made visible (format.visible), and each backslash doubled,
    since Graphviz reads \\G, \\N, \\L as the graph's name, the node's, the label (even in an
    HTML-like label, after its entities). Inside an attribute (a tooltip) a line break must be
    `breaks=" "`, not a tag.
    """
    lines = [html_escape(visible(line), quote=True) for line in text.split("\n")]
    return breaks.join(lines).replace("\\", "\\\\")


def choice(where, name, value, allowed):
    """`value` if it is one of `allowed`, else a ValueError that lists them."""
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{where}: {name}={value!r}; choose one of {shown}")
    return value


class Options:
    """The drawing options, checked once, with the facts about the graph the drawing needs."""

    def __init__(
        self,
        where,
        rows,
        rankdir="LR",
        show=DEFAULT_SHOW,
        precision=4,
        color="role",
        cluster=True,
        collapse=False,
        legend=True,
        title=None,
        example=None,
        max_nodes=MAX_NODES,
        tangents=None,
    ):
        self.where = where
        # wrt= drawn: (the input's name, each row's tangent d(row)/d(input)); else None
        self.tangents = tangents
        self.rankdir = choice(where, "rankdir", rankdir, RANKDIRS)
        if isinstance(show, str):
            show = (show,)
        if not isinstance(show, (list, tuple, set, frozenset)):
            raise TypeError(
                f"{where}: show={show!r}; expected a list of any of "
                f"{', '.join(map(repr, SHOW))} (or one of them)"
            )
        self.show = frozenset(choice(where, "show", s, SHOW) for s in show)
        self.precision = check_precision(precision, where)
        self.color = choice(where, "color", color, COLORS)
        if "blank" in self.show:
            check_blank(where, show, self.show, self.color)
        self.collapse = check_collapse(where, collapse)
        self.cluster, self.legend = bool(cluster), bool(legend)
        self.batch = batch_size(row.node for row in rows)
        self.example = check_example(example, self.batch, where)
        self.max_nodes = check_limit(where, "max_nodes", max_nodes)
        self.title = check_title(where, title)
        self.drawn = set()  # what the legend must explain: "dead op", "sum", "folded"...
        self.off_fills = {}  # "inactive"/"dead" -> the fills of folded boxes so marked
        # TRANSLATORS: what the legend and tooltips call an output that has no label (∂root/∂x)
        self.root_name = rows[-1].node.label or _("root")
        grads = [abs(pick(row.node.grad, self.example)) for row in rows]
        self.biggest = max((g for g in grads if math.isfinite(g)), default=0.0)

    def num(self, x):
        """A number as this picture shows it."""
        return fmt(x, self.precision, self.example)


def check_blank(where, asked, show, color):
    """show="blank" leaves every gradient for the reader to write: refuse whatever shows one."""
    shown = [s for s in GIVE_AWAY if s in show]
    if shown:
        raise ValueError(
            f"{where}: show={asked!r}; 'blank' leaves the gradients for the reader to write, "
            f"but {', '.join(map(repr, shown))} would show them: drop one or the other"
        )
    if color == "grad":
        raise ValueError(
            f"{where}: color='grad' would give away the gradients that show='blank' leaves "
            "for the reader to write; choose color='role' or None"
        )


def check_collapse(where, collapse):
    """False (draw every node), True (one box per scope) or a depth >= 1 (`1`: per layer)."""
    if collapse is None or isinstance(collapse, bool):
        return bool(collapse)
    if isinstance(collapse, int) and collapse >= 1:
        return collapse
    raise ValueError(
        f"{where}: collapse={collapse!r}; choose False, True (one box per scope) "
        "or a scope depth >= 1 (1 folds each 'layer1', 2 each 'layer1.neuron3')"
    )


def check_limit(where, name, value):
    """A limit such as max_nodes=: a whole number >= 1, or None for none; else a ValueError."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{where}: {name}={value!r}; expected a whole number >= 1 or None")
    return value


def check_title(where, title):
    """A picture's title: a string, or None for none."""
    if title is not None and not isinstance(title, str):
        raise TypeError(f"{where}: title={title!r}; expected a string or None")
    return title


def picture_size(nodes, collapse):
    """How many boxes and op ellipses draw_dot would draw for `nodes` (folded scopes: one)."""
    count, folded = 0, set()
    for node in nodes:
        key = fold(node.scope, collapse)
        if key:
            folded.add(key)
        else:
            count += 1 if node.op is None else 2
    return count + len(folded)


FOLD_ADVICE = (
    "Collapse module scopes (collapse=True draws one box per scope, collapse=1 one per "
    "layer), draw a smaller graph (one example, fewer units), or raise max_nodes= "
    "(None: no limit)."
)


def check_size(where, max_nodes, count, advice=FOLD_ADVICE):
    """Refuse a picture so big that dot would work for minutes and nobody could read it."""
    if max_nodes is not None and count > max_nodes:
        raise ValueError(
            f"{where}: the picture would have {count} boxes, more than max_nodes={max_nodes}; "
            f"Graphviz could take minutes to lay it out. {advice} "
            "viz.to_text(root) lists a graph of any size."
        )


def draw_dot(
    root,
    *,
    rankdir="LR",
    show=DEFAULT_SHOW,
    precision=4,
    params=None,
    color="role",
    cluster=True,
    collapse=False,
    legend=True,
    title=None,
    example=None,
    max_nodes=MAX_NODES,
    wrt=None,
    lang=None,
):
    """The graph under `root` as a graphviz.Digraph: values, gradients, local derivatives.

    rankdir: "LR" or "TB". show: any of "data", "grad" (in boxes), "local" (on edges),
    "fanout" (what each edge adds to a gradient, on edges out of values used more than
    once), "contribution" (that on every edge), "blank" (an empty grad field in each box to
    write in, as a worksheet has: no gradient is drawn, nor any legend line about one).
    precision: significant digits.
    params: model.parameters() (or the model), coloured as parameters. color: "role",
    "grad" (red positive, blue negative, darker is larger, the sign written in each box)
    or None. cluster: draw each module scope as a frame. collapse: True folds each scope
    into one box, an int folds at that depth. example: in batched mode, the example to
    show (None: the batch mean). max_nodes: refuse larger pictures (None: no limit).
    wrt: an input (a leaf of the graph): each box also shows its forward-mode tangent, the
    derivative of the box by that input, in a row named with a dot (q̇ = ∂q/∂x).
    lang: the language of the words in the picture, "en" or "zh-CN" (None: the current one).
    """
    lang = resolve(lang, where="draw_dot")
    with language(lang):
        return draw(
            root, "draw_dot", rankdir=rankdir, show=show, precision=precision, params=params,
            color=color, cluster=cluster, collapse=collapse, legend=legend, title=title,
            example=example, max_nodes=max_nodes, wrt=wrt,
        ).graph  # fmt: skip


class Picture:
    """What `draw` made: the Digraph, its colour key, and which element shows each node.

    element_of[i] is v{i}, or the id of the folded box s{k} that node i is drawn inside.
    legend is the colour key as data, the one source of graph.svg's key and the player's:
    [{"swatches": [{"fill": "#hex", "border": "#hex", "dashed": bool}], "text": str}].
    """

    def __init__(self, graph, legend, element_of, inputs):
        self.graph, self.legend, self.element_of = graph, legend, element_of
        self.inputs = inputs  # inputs[i]: the positions of node i's inputs

    def folded(self, i):
        """Whether node i is drawn inside a folded box rather than as its own box."""
        return self.element_of[i] != f"v{i}"

    def edge_of(self, i, k):
        """The id of the drawn edge that shows input k of node i (None: inside one box)."""
        if not self.folded(i):
            return f"e{i}_{k}"
        source, target = self.element_of[self.inputs[i][k]], self.element_of[i]
        return None if source == target else f"x{source}_{target}"


def draw(root, where, *, params=None, wrt=None, **options):
    """draw_dot's picture as a Picture (draw_dot's options; `where` names the caller)."""
    rows = read_tape(root, params, where)
    tangents = None if wrt is None else forward_tangents(where, root, rows, wrt)
    opts = Options(where, rows, tangents=tangents, **options)
    keys = [fold(row.node.scope, opts.collapse) for row in rows]
    members = {}
    for row, key in zip(rows, keys):
        if key:
            members.setdefault(key, []).append(row)
    visible = [row for row, key in zip(rows, keys) if not key]
    count = picture_size((row.node for row in rows), opts.collapse)
    check_size(where, opts.max_nodes, count)

    opts.edge_label = "xlabel" if count > LARGE else "label"
    g = new_graph(opts, large=count > LARGE, folded=bool(members))
    frames = Clusters(opts.cluster)
    for row in visible:
        scope = row.node.scope
        frame = parent(fold(scope, opts.collapse)) if opts.collapse and scope else scope
        frames.add(frame, row.id, value_node(row, opts))
        if row.node.op is not None:
            frames.add(frame, f"o{row.index}", op_node(row, opts))
    outputs = box_outputs(rows, keys)
    box_name = {key: f"s{group[0].index}" for key, group in members.items()}
    element_of = [box_name[key] if key else row.id for row, key in zip(rows, keys)]
    joined = folded_edges(rows, keys, element_of)
    siblings = {}  # frame -> its folded boxes, in name order
    for key in sorted(members, key=natural):  # neuron2 before neuron10, as a reader counts
        frame = parent(key) if opts.cluster else ""
        frames.add(frame, box_name[key], box_node(key, members[key], outputs[key], opts))
        siblings.setdefault(frame, []).append(box_name[key])
    for frame, names in siblings.items():
        inside = set(names)
        if not any(s in inside and t in inside for s, t in joined):  # parallel, like neurons
            # dot orders a rank left to right; rankdir=LR turns that into bottom to top.
            frames.keep_in_order(frame, names[::-1] if opts.rankdir == "LR" else names)
    frames.emit(g)

    tail = PORTS[opts.rankdir][0]
    for row in rows:
        i = row.index
        if keys[i]:
            continue  # the edges into a folded box are the thin lines below
        for k, j in enumerate(row.inputs):
            # An edge into a drawn op carries its local derivative, from a folded box too.
            port = {"tailport": tail} if keys[j] else {}
            g.edge(element_of[j], f"o{i}", **edge_attrs(rows, row, k, opts), **port)
        if row.node.op is not None:
            g.edge(f"o{i}", row.id, id=f"r{i}")
    draw_folded_edges(g, joined, opts)
    legend = legend_entries(opts, visible)
    label = caption(opts, legend)
    if label is not None:
        fits(label, where, "the caption (title and legend)")
    if label is not None:
        g.attr(label=label, labelloc="b", labeljust="l", fontsize="10")
    return Picture(g, legend, element_of, [row.inputs for row in rows])


def folded_edges(rows, keys, element_of):
    """The edges into a folded box, once each: (source, target) -> name-order sort key."""
    joined = {}
    for row in rows:
        i = row.index
        for j in row.inputs:
            source, target = element_of[j], element_of[i]
            if keys[i] and source != target:
                joined[source, target] = (natural(keys[j] or source), natural(keys[i]))
    return joined


def draw_folded_edges(g, joined, opts):
    """Thin straight lines into folded boxes, leaving and entering on the facing sides.

    Such a line stands for the values that enter the ops inside the box, so it has no single
    local derivative to show; an edge out of a box into a drawn op keeps its own.
    """
    tail, head = PORTS[opts.rankdir]
    if joined:
        opts.drawn.add("lines")
    for source, target in sorted(joined, key=joined.get):
        g.edge(
            source,
            target,
            id=f"x{source}_{target}",
            tailport=tail if source[0] == "s" else "",
            headport=head,
            color=palette.FOLDED_EDGE,
            penwidth="0.7",
        )


def fold(scope, collapse):
    """The scope a node made in `scope` is folded into ("" for none)."""
    if not scope or not collapse:
        return ""
    return scope if collapse is True else ".".join(scope.split(".")[:collapse])


def parent(scope):
    """The enclosing scope: parent("layer1.neuron3") is "layer1"."""
    return scope.rpartition(".")[0]


def box_outputs(rows, keys):
    """For each folded scope, its members that something outside it uses, in order."""
    outputs = {key: {} for key in keys if key}
    for row in rows:
        for j in row.inputs:
            if keys[j] and keys[j] != keys[row.index]:
                outputs[keys[j]][j] = rows[j]
    if keys[-1]:  # the root folded into its scope's box: that box shows the root's numbers
        outputs[keys[-1]] = {len(rows) - 1: rows[-1]}
    return {key: list(found.values()) for key, found in outputs.items()}


def natural(text):
    """A sort key that reads numbers as numbers: layer2 < layer10."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in DIGITS.split(text)]


def font():
    """The fontname of a picture in the current language (Chinese: a CJK family list)."""
    return CJK_FONT if current() == "zh-CN" else FONT


def new_graph(opts, large=False, folded=False):
    """An empty Digraph with the house look: sans-serif, compact, white.

    Folded boxes are joined by straight lines (the familiar picture of a dense layer) with
    room between the ranks. A large graph gets dot's quicker positioning (nslimit).
    """
    graph = {
        "rankdir": opts.rankdir,
        "fontname": font(),
        "nodesep": "0.18",
        "ranksep": "0.8" if folded else "0.3",
        "bgcolor": "white",
        "pad": "0.2",
    }
    if folded:
        # Straight lines; and dot keeps the neuron order keep_in_order asks (no re-shuffling).
        graph.update(splines="line", mclimit="0.01", remincross="false")
    if large:
        graph["nslimit"] = "2"
    picture = render.Picture(
        "chainrule",
        graph_attr=graph,
        node_attr={"fontname": font(), "fontsize": "11"},
        edge_attr={
            "fontname": font(),
            "fontsize": "9",
            "color": "#555555",
            "fontcolor": "#333333",
            "arrowsize": "0.6",
        },
    )
    picture.lang = current()  # so a warning as it is rendered speaks the picture's language
    return picture


class Clusters:
    """Nodes grouped by module scope, emitted as nested `cluster_` subgraphs (one per scope)."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.nodes = {}  # scope -> [(name, attributes)], scopes in order of first use
        self.orders = {}  # scope -> node names to keep side by side in this order

    def add(self, scope, name, attrs):
        """Put node `name` in the frame of `scope` ("" for none)."""
        self.nodes.setdefault(scope if self.enabled else "", []).append((name, attrs))

    def keep_in_order(self, scope, names):
        """Hold `names` in one rank, in this order (dot would otherwise shuffle equal choices)."""
        self.orders[scope if self.enabled else ""] = names

    def emit(self, g):
        """Add every node to `g`, each inside the frames of its scope and the scopes around it."""
        scopes = set()  # every scope and enclosing scope, numbered as a reader counts
        for scope in self.nodes:
            parts = scope.split(".") if scope else []
            scopes.update(".".join(parts[:depth]) for depth in range(1, len(parts) + 1))
        rank = {scope: n for n, scope in enumerate(sorted(scopes, key=natural))}
        frames = {scope: cluster(scope, n) for scope, n in rank.items()}
        for scope, nodes in self.nodes.items():
            target = frames[scope] if scope else g
            for name, attrs in nodes:
                target.node(name, **attrs)
        for scope, names in self.orders.items():
            row = graphviz.Digraph(graph_attr={"rank": "same"})
            for a, b in zip(names, names[1:]):
                row.edge(a, b, style="invis")
            (frames[scope] if scope else g).subgraph(row)
        # Innermost first: a subgraph is copied into its parent when added, so it must be full.
        for scope in sorted(rank, key=lambda s: (-s.count("."), rank[s])):
            outer = parent(scope)
            (frames[outer] if outer else g).subgraph(frames[scope])


def check_wrt(where, rows, wrt):
    """The position of `wrt` among `rows`: an input (a leaf) of this graph, as a Value or its
    label; else a ValueError (a TypeError for what is neither) naming `where` and `wrt`."""
    if not isinstance(wrt, (Value, str)):
        raise TypeError(
            f"{where}: wrt must be an input of the graph (a leaf Value) or its label, "
            f"got {type(wrt).__name__} {wrt!r}"
        )
    row = rows[locate(rows, wrt, where)]
    if row.node.op is not None:
        leaves = [full_name(r) for r in rows if r.node.op is None and r.node.label]
        raise ValueError(
            f"{where}: wrt={wrt!r} was made by {row.node.op.name}; forward mode starts from an "
            f"input (a leaf): choose one of {', '.join(leaves) or 'none'}"
        )
    return row.index


def forward_tangents(where, root, rows, wrt):
    """(wrt's name, [d(row)/d(wrt) for each row]): forward mode with tangent 1 on `wrt`."""
    start = rows[check_wrt(where, rows, wrt)]
    found = forward_derivative(root, start.node)
    return full_name(start), [found.of(row.node) for row in rows]  # layer1.neuron3.w0


def cluster(scope, n):
    """The frame drawn around the nodes of one scope, labelled with its last name."""
    return graphviz.Digraph(
        f"cluster_{n}",
        graph_attr={
            "label": f"<{escape(scope.rpartition('.')[2])}>",
            "id": f"c{n}",
            "style": "rounded",
            "color": "#B0B0B0",
            "fontcolor": "#555555",
            "fontsize": "11",
            "labeljust": "l",
        },
    )


def value_fill(row, opts):
    """(fill, border, dashed) for a value's box under the chosen colouring."""
    if opts.color == "role":
        fill, border = palette.ROLES[row.role][:2]
        return fill, border, False
    if opts.color == "grad":
        return grad_colours(row, opts)
    return "#FFFFFF", "#444444", False


def grad_colours(row, opts):
    """(fill, border, dashed) for the gradient of `row` under color="grad"."""
    g = pick(row.node.grad, opts.example)
    if not math.isfinite(g):
        opts.drawn.add("nonfinite")
    return palette.grad_fill(g, opts.biggest)


def value_node(row, opts, note=None):
    """The attributes of the box for one value: label, `note`, data, grad (see the ids above)."""
    fill, border, dashed = value_fill(row, opts)
    return {
        "id": row.id,
        "label": fits(value_label(row, opts, fill, note), opts.where, f"the box of {row.id}"),
        "shape": "box",
        "style": "rounded,filled,dashed" if dashed else "rounded,filled",
        "fillcolor": fill,
        "color": border,
        "fontcolor": palette.text_colour(fill),
        "margin": "0.06,0.03",
        "penwidth": "2" if row.role == "output" else "1",
    }


def value_label(row, opts, fill, note=None):
    """An HTML-like table: the label, a small note, then a `data` row and a `grad` row."""
    node, muted = row.node, palette.muted_colour(fill)
    lines = []
    name = (node.label if opts.cluster else full_name(row)) if node.label else ""
    sign = grad_sign(row, opts)
    if name or sign:  # without frames a box says which w0 it is
        lines.append(title_row(name, sign))
    if note:
        small = f'<FONT POINT-SIZE="9" COLOR="{muted}">{escape(note)}</FONT>'
        lines.append(f'<TR><TD COLSPAN="2">{small}</TD></TR>')
    lines += number_rows(row, opts, muted)
    if not lines:
        lines.append(f"<TR><TD>{row.id}</TD></TR>")
    return table(lines)


def grad_sign(row, opts):
    """The second cue of the grad colouring, legible in grey: + or − ("" for 0, or no cue)."""
    return palette.grad_sign(pick(row.node.grad, opts.example)) if opts.color == "grad" else ""


def title_row(name, sign=""):
    """A box's first row: its name in bold, and the gradient's sign in the corner."""
    bold = f"<B>{escape(name)}</B>" if name else ""  # Graphviz refuses an empty <B></B>
    if not sign:
        return f'<TR><TD COLSPAN="2">{bold}</TD></TR>'
    mark = f'<FONT POINT-SIZE="13"><B>{sign}</B></FONT>'
    return f'<TR><TD ALIGN="LEFT">{bold}</TD><TD ALIGN="RIGHT">{mark}</TD></TR>'


def number_rows(row, opts, muted):
    """The `data` and `grad` rows of the box that shows `row` (cells v{i}-data, v{i}-grad);
    under show="blank" the grad row is an empty, underlined field to write in. Drawn with
    wrt=, the tangent's row (v{i}-tangent) comes after `data`."""
    lines = []
    for word in ("data", "grad"):
        blank = word == "grad" and "blank" in opts.show
        if word not in opts.show and not blank:
            continue
        shown = escape(_(WORDS[word]))
        name = full_name(row)
        cell = f"{row.id}-{word}"
        head = (
            f'<TR><TD ALIGN="LEFT" WIDTH="{WORD_WIDTH}">'
            f'<FONT POINT-SIZE="9" COLOR="{muted}">{shown}</FONT></TD>'
        )
        if blank:  # its tooltip names the gradient to write, never its value
            tip = escape(partial(opts.root_name, name), " ")
            size = f'WIDTH="{BLANK_WIDTH}" HEIGHT="{BLANK_HEIGHT}" BORDER="1" SIDES="B"'
            lines.append(f'{head}<TD ID="{cell}" HREF="#{cell}" TOOLTIP="{tip}" {size}></TD></TR>')
            lines.append('<TR><TD COLSPAN="2" HEIGHT="4"></TD></TR>')  # the line clear of the edge
            continue
        text = opts.num(getattr(row.node, word))
        tip = f"{name} = {text}" if word == "data" else f"{partial(opts.root_name, name)} = {text}"
        tip = escape(tip, " ")  # an attribute: no tags inside
        lines.append(
            f'{head}<TD ALIGN="RIGHT" ID="{cell}" HREF="#{cell}" TOOLTIP="{tip}">{text}</TD></TR>'
        )
    if opts.tangents is not None:  # beside the value it moves with: a dual number
        lines.insert(1 if "data" in opts.show else 0, tangent_row(row, opts))
    return lines


def tangent_row(row, opts):
    """The row of the forward-mode tangent (cell v{i}-tangent): ẋ, q̇ beside d(row)/d(wrt)."""
    wrt, tangents = opts.tangents
    short = row.node.label or row.name()  # as the box's title names it (v3: its tag)
    name, text = dotted(visible(short)), opts.num(tangents[row.index])
    cell = f"{row.id}-tangent"
    tip = escape(f"{dotted(full_name(row))} = {partial(full_name(row), wrt)} = {text}", " ")
    return (
        f'<TR><TD ALIGN="LEFT" WIDTH="{WORD_WIDTH}">'
        f"{escape(name)}</TD>"  # a symbol, full size: the dot must show
        f'<TD ALIGN="RIGHT" ID="{cell}" HREF="#{cell}" TOOLTIP="{tip}">{text}</TD></TR>'
    )


def relu_off(row, opts):
    """How a ReLU passes nothing back: "inactive" (for this point or example), "dead" (for
    every example of the batch, as nn.dead_relus means it), or "" (it passes something)."""
    if not is_dead_relu(row, opts.example):
        return ""
    return "dead" if opts.batch is not None and opts.example is None else "inactive"


def op_node(row, opts):
    """The attributes of an op's ellipse: its symbol, greyed and marked when a ReLU is off."""
    text = escape(row.node.op.label)
    off = relu_off(row, opts)
    if off:
        opts.drawn.add(f"{off} op")
        text += f'<BR/><FONT POINT-SIZE="9">{escape(_(OFF[off]))}</FONT>'
    return {
        "id": f"o{row.index}",
        "label": f"<{text}>",
        "shape": "ellipse",
        "style": "filled,dashed" if off else "filled",
        "fillcolor": palette.DEAD_FILL if off else palette.OP_FILL,
        "color": palette.DEAD_BORDER if off else palette.OP_BORDER,
        "fontsize": "12",
        "margin": "0.04,0.02",
        "height": "0.3",
    }


def edge_attrs(rows, row, k, opts):
    """The edge from input k of `row` into its op, labelled with the calculus it carries."""
    lines = []
    if "local" in opts.show:
        lines.append(local_label(opts.num(row.locals[k])))
        opts.drawn.add("local")
    fanout = rows[row.inputs[k]].uses > 1
    if "contribution" in opts.show or ("fanout" in opts.show and fanout):
        lines.append(f"+= {opts.num(contribution(rows, row, k))}")
        opts.drawn.add("sum" if fanout else "contribution")
    attrs = {"id": f"e{row.index}_{k}"}
    if lines:
        attrs[opts.edge_label] = "\\n".join(lines)  # \n: a line break in DOT's own escape syntax
    return attrs


def local_label(value):
    """An edge's label for its local derivative: `local -4`."""
    # TRANSLATORS: on an edge of the graph: its local derivative, ∂(op output)/∂(input)
    return _("local {value}").format(value=value)


def box_node(key, group, outputs, opts):
    """The attributes of one folded scope: its name, size, and its output's numbers."""
    single = outputs[0] if len(outputs) == 1 else None
    if opts.color == "grad" and single:
        fill, border, dashed = grad_colours(single, opts)
    else:
        fill, border, dashed = palette.MODULE_FILL, palette.MODULE_BORDER, False
        opts.drawn.add("folded")
    off = relu_off(single, opts) if single else ""
    if off:
        border, dashed = palette.DEAD_BORDER, True
        opts.drawn.add(f"{off} box")
        opts.off_fills.setdefault(off, set()).add(fill)
    muted = palette.muted_colour(fill)
    name = key.rpartition(".")[2] if opts.cluster else key
    size = escape(ngettext("{count} node", "{count} nodes", len(group)).format(count=len(group)))
    lines = [
        title_row(name, grad_sign(single, opts) if single else ""),
        f'<TR><TD COLSPAN="2"><FONT POINT-SIZE="9" COLOR="{muted}">{size}</FONT></TD></TR>',
    ]
    if single:
        lines += number_rows(single, opts, muted)
    elif outputs:
        shown = escape(_("{count} outputs").format(count=len(outputs)))
        lines.append(f'<TR><TD COLSPAN="2">{shown}</TD></TR>')
    if off:
        shown = escape(_(OFF_RELU[off]))
        lines.append(f'<TR><TD COLSPAN="2"><FONT POINT-SIZE="9">{shown}</FONT></TD></TR>')
    return {
        "id": f"s{group[0].index}",
        "label": fits(table(lines), opts.where, f"the box of scope {key!r}"),
        "shape": "box",
        "style": "rounded,filled,dashed" if dashed else "rounded,filled",
        "fillcolor": fill,
        "color": border,
        "fontcolor": palette.text_colour(fill),
        "margin": "0.06,0.03",
        "penwidth": "2" if any(row.role == "output" for row in outputs) else "1",  # the root
    }


def patch(fill, border, dashed=False):
    """One swatch of the legend: how a box of some kind is filled and outlined."""
    return {"fill": fill, "border": border, "dashed": dashed}


def legend_entries(opts, visible):
    """The colour key of a picture as data: what each kind of box it drew looks like."""
    entries = []

    def add(swatches, text):
        entries.append({"swatches": swatches, "text": text})

    if opts.color == "role":
        present = {row.role for row in visible}
        for role, (fill, border, meaning) in palette.ROLES.items():
            if role in present:
                add([patch(fill, border)], _(meaning))
    elif opts.color == "grad":
        add([], _("grad: blue below 0, red above 0, darker is larger; each box also says − or +"))
        for level in range(palette.LEVELS):
            high = opts.biggest / 10**level
            if level < palette.LEVELS - 1:
                low, high = opts.num(high / 10), opts.num(high)
                text = _("|grad| {low} to {high}").format(low=low, high=high)
            else:
                text = _("|grad| below {high}").format(high=opts.num(high))
            scale = (palette.NEGATIVE[level], palette.POSITIVE[level])
            add([patch(fill, "#444444") for fill in scale], text)
        add([patch(palette.ZERO_FILL, palette.ZERO_BORDER, True)], _("grad exactly 0 (dashed)"))
        if "nonfinite" in opts.drawn:
            nonfinite = patch(palette.NONFINITE_FILL, palette.NONFINITE_BORDER)
            add([nonfinite], _("grad nan or infinite"))
    if "folded" in opts.drawn:
        if opts.color == "grad":
            what = _("a module scope, folded into one box (several outputs)")
        else:
            what = _("a module scope, folded into one box")
        add([patch(palette.MODULE_FILL, palette.MODULE_BORDER)], what)
    for off in ("inactive", "dead"):
        when = "point" if opts.batch is None else "example"
        if off == "dead":
            when = "batch"
        if f"{off} op" in opts.drawn:
            passes = _(OFF_LEGEND[off, "op", when])
            add([patch(palette.DEAD_FILL, palette.DEAD_BORDER, True)], passes)
        if f"{off} box" in opts.drawn:  # a box keeps its colour: show one of each sign drawn
            shown = one_per_sign(opts.off_fills[off])
            swatches = [patch(fill, palette.DEAD_BORDER, True) for fill in shown]
            add(swatches, _(OFF_LEGEND[off, "box", when]))
    return entries


def one_per_sign(fills):
    """At most two of a set of box fills: the strongest of each sign of gradient drawn."""
    strongest = []
    for scale in (palette.NEGATIVE, palette.POSITIVE):
        found = [fill for fill in scale if fill in fills]
        strongest += found[:1]
    return strongest or sorted(fills)[:2]


def swatch(item):
    """A small coloured cell, as the legend shows a box colour."""
    style = ' STYLE="dashed"' if item["dashed"] else ""
    size = 'WIDTH="24" HEIGHT="12" FIXEDSIZE="TRUE"'
    return f'<TD BGCOLOR="{item["fill"]}" COLOR="{item["border"]}" BORDER="1"{style} {size}></TD>'


def text_cell(text, colspan=1):
    """A left-aligned cell of escaped text."""
    return f'<TD ALIGN="LEFT" COLSPAN="{colspan}">{escape(text)}</TD>'


def colour_key(entries):
    """The legend's colour lines as table cells: up to two swatches, then the meaning."""
    return [
        "".join(map(swatch, e["swatches"])) + text_cell(e["text"], 3 - len(e["swatches"]))
        for e in entries
    ]


def reading_key(opts):
    """The legend's lines saying what the numbers in boxes and on edges mean."""
    lines = []
    if "grad" in opts.show:  # hidden gradients (show without "grad", or "blank"): not a word
        # TRANSLATORS: {root} is the output's name; "data" and "grad" are the words in the boxes
        lines.append(_("box: data, and grad = ∂{root}/∂(box)").format(root=term(opts.root_name)))
    if "grad" in opts.show and opts.biggest == 0.0:
        said = _("every grad is 0: call {root}.backward() before drawing")
        lines.append(said.format(root=opts.root_name))
    if "local" in opts.drawn:
        lines.append(_("edge: local = ∂(op output)/∂(input)"))
    if opts.drawn & {"sum", "contribution"}:
        # TRANSLATORS: two lines of the legend; the second is indented under the first's "is"
        said = _(
            "edge: += is local x grad of the op output,\n"
            "         what this edge adds to the input's grad"
        )
        lines.extend(said.split("\n"))
    if "sum" in opts.drawn:
        lines.append(_("a value used several times: its grad is the sum of its +="))
    if opts.tangents is not None:
        wrt = opts.tangents[0]
        # TRANSLATORS: the row named with a dot (ẋ, q̇) in each box; {wrt} is an input's name
        said = _("dotted row: tangent = ∂(box)/∂{wrt}, as forward mode finds it")
        lines.append(said.format(wrt=term(wrt)))
        said = _("({wrt_dot} = 1: {wrt} moves at 1, every other input stays still)")
        lines.append(said.format(wrt=wrt, wrt_dot=dotted(wrt)))
    if "lines" in opts.drawn:
        lines.append(_("thin line: a value into a folded box (its local derivatives are inside)"))
    return lines


def batch_note(opts):
    """For a batched graph, which numbers the boxes show."""
    if opts.batch is None:
        return []
    if opts.example is None:
        said = _("a batch of {size} examples: each number is the batch mean")
    else:
        said = _("a batch of {size} examples: each number is example {example}")
    return [
        said.format(size=opts.batch, example=opts.example),
        _("(a weight's grad is the sum over the batch)"),
    ]


def caption(opts, entries):
    """The graph's label, under the picture: title, batch note, then the legend's two columns."""
    rows = []
    if opts.title is not None:
        rows.append(f'<TR><TD ALIGN="LEFT" COLSPAN="5"><B>{escape(opts.title)}</B></TD></TR>')
    batch = batch_note(opts)
    if batch and not opts.legend:
        rows.extend(f"<TR>{text_cell(line, 5)}</TR>" for line in batch)
    if opts.legend:
        if entries and not entries[0]["swatches"]:  # a heading over the colours: full width,
            rows.append(f"<TR>{text_cell(entries[0]['text'], 5)}</TR>")  # or it would widen
            entries = entries[1:]  # the swatch columns (dot spreads, graphviz-pure stretches)
        colours, reading = colour_key(entries), batch + reading_key(opts)
        for n in range(max(len(colours), len(reading))):
            left = colours[n] if n < len(colours) else '<TD COLSPAN="3"></TD>'
            right = text_cell(reading[n]) if n < len(reading) else "<TD></TD>"
            rows.append(f'<TR>{left}<TD WIDTH="16"></TD>{right}</TR>')
    return table(rows, spacing=4) if rows else None
