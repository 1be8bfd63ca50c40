"""The path view: the chain rule written out for one node, as a picture and as numbers.

d(root)/d(node) is a sum over every path from the node up to the root of the product of the
local derivatives on that path's edges. `find_paths` lists the paths and their products;
`draw_path` draws them, each edge labelled, with the arithmetic underneath.
"""

import numpy as np

from . import palette
from .dot import (
    MAX_NODES,
    Options,
    check_limit,
    check_size,
    escape,
    fits,
    local_label,
    new_graph,
    table,
    text_cell,
    value_node,
)
from .i18n import _, language, ngettext, resolve
from .notation import partial
from .tape import full_name, locate, read_tape

MAX_PATHS = 64
MAX_FACTORS = 12  # a path with more local derivatives gives its product in words
# Okabe-Ito hues (colour-blind safe) for edges that only one path uses; shared edges are dark.
PATH_COLOURS = ("#E69F00", "#0072B2", "#009E73", "#D55E00", "#CC79A7", "#56B4E9")


class Path:
    """One route from the root down to the node: its edges, their local derivatives, product."""

    __slots__ = ("edges", "nodes", "locals", "product")

    def __init__(self, rows, edges):
        # edges[0] enters the root's op; each is (i, k): input k of the node at position i.
        self.edges = tuple(edges)
        self.nodes = [rows[-1].node] + [rows[rows[i].inputs[k]].node for i, k in edges]
        self.locals = [rows[i].locals[k] for i, k in edges]
        product = 1.0
        for d in self.locals:
            product = product * d
        self.product = product

    def __repr__(self):
        return f"Path({len(self.edges)} edges, product={self.product!r})"


class Paths:
    """Every path from `node` to `root`; `total` (their sum) is d(root)/d(node)."""

    __slots__ = ("root", "node", "paths", "total")

    def __init__(self, root, node, paths, total):
        self.root, self.node, self.paths, self.total = root, node, paths, total

    @property
    def grad(self):
        """The node's gradient as backward() left it, to hold against `total`."""
        return self.node.grad

    def __len__(self):
        return len(self.paths)

    def __iter__(self):
        return iter(self.paths)

    def __repr__(self):
        return f"Paths({len(self.paths)} paths, total={self.total!r}, grad={self.grad!r})"


def find_paths(root, node, *, params=None, max_paths=MAX_PATHS):
    """Every path from `node` up to `root`, with their products; `node` is a Value or a label.

    A label may carry its scope to tell a network's weights apart: "layer1.neuron3.w0".
    """
    rows = read_tape(root, params, "find_paths")
    return _paths(rows, node, max_paths, "find_paths")


def _paths(rows, node, max_paths, where):
    """find_paths on a tape already read (draw_path shares it)."""
    check_limit(where, "max_paths", max_paths)
    start = locate(rows, node, where)
    users = [[] for _ in rows]  # users[j]: the edges (i, k) that read node j
    for row in rows:
        for k, j in enumerate(row.inputs):
            users[j].append((row.index, k))
    counts = [0] * len(rows)  # how many paths lead from each node to the root
    counts[-1] = 1
    for j in range(len(rows) - 2, -1, -1):
        counts[j] = sum(counts[i] for i, _ in users[j])
    if max_paths is not None and counts[start] > max_paths:
        raise ValueError(
            f"{where}: {counts[start]} paths lead from {rows[start].name()} to the root, more "
            f"than max_paths={max_paths}; pick a node nearer the root, a smaller network, "
            "or raise max_paths"
        )
    found = []
    # Walk up from the node. Each entry: where we are and the way there as a linked list
    # (last edge, the list before it), so a step costs the same however long the path is.
    stack = [(start, None)]
    while stack:
        j, way = stack.pop()
        if j == len(rows) - 1:
            edges = []  # root-first, as the formula reads: the linked list's own order
            while way is not None:
                edge, way = way
                edges.append(edge)
            found.append(Path(rows, edges))
            continue
        for i, k in reversed(users[j]):  # reversed: the first user is walked first
            stack.append((i, ((i, k), way)))
    total = 0.0
    for path in found:
        total = total + path.product
    if isinstance(total, np.ndarray) and not isinstance(rows[start].node.data, np.ndarray):
        total = float(total.sum())  # one number used by every example gets all their shares
    return Paths(rows[-1].node, rows[start].node, found, total)


def draw_path(
    root,
    node,
    *,
    rankdir="LR",
    precision=4,
    params=None,
    context=True,
    example=None,
    title=None,
    max_paths=MAX_PATHS,
    max_nodes=MAX_NODES,
    lang=None,
):
    """The paths from `node` up to `root` as a graphviz.Digraph, the chain rule beneath.

    Each box says which op made it; each edge on a path, from an input straight to the op's
    output, shows its local derivative. Below the picture each path's product is written
    out, then their sum, which is d(root)/d(node). context: also draw, greyed, the other
    inputs of each op on a path (the local derivative of a*b by a is b).
    Ids are draw_dot's: v{i} for boxes, e{i}_{k} for the edge from input k of v{i}.
    max_nodes: refuse more boxes than this (None: no limit), before dot runs.
    lang: the language of the captions, "en" or "zh-CN" (None: the current one).
    """
    lang = resolve(lang, where="draw_path")
    with language(lang):
        rows = read_tape(root, params, "draw_path")
        opts = Options(
            "draw_path", rows, rankdir=rankdir, precision=precision, example=example, title=title,
            max_nodes=max_nodes,
        )  # fmt: skip
        opts.edge_label = "label"
        found = _paths(rows, node, max_paths, "draw_path")
        start = locate(rows, found.node, "draw_path")
        users = {}  # edge (i, k) -> which paths use it
        for n, path in enumerate(found.paths):
            for edge in path.edges:
                users.setdefault(edge, []).append(n)
        on_path = {start} | {i for i, _ in users}
        advice = "Pick a node nearer the root, or raise max_nodes= (None: no limit)."
        check_size("draw_path", max_nodes, len(on_path), advice)
        g = new_graph(opts)
        for i in sorted(on_path):
            row = rows[i]
            op = row.node.op
            # TRANSLATORS: under a box's name: the op whose output it is (+, *, tanh...)
            note = None if op is None else _("made by {op}").format(op=op.label)
            attrs = value_node(row, opts, note=note)
            if i == start:
                attrs.update(penwidth="3", color="#000000")
            if len(found) == 1:
                attrs["group"] = "path"  # one path: dot keeps its boxes in a straight line
            g.node(row.id, **attrs)
        shown = set(on_path)
        for i in sorted(on_path - {start}):
            row = rows[i]
            for k, j in enumerate(row.inputs):
                if (i, k) in users:
                    g.edge(f"v{j}", row.id, **path_edge(row, k, users[i, k], len(found), opts))
                elif context:
                    if j not in shown:
                        shown.add(j)
                        g.node(rows[j].id, **context_node(rows[j], opts))
                    g.edge(
                        f"v{j}", row.id, id=f"e{i}_{k}", color=palette.CONTEXT_EDGE, style="dashed"
                    )
        label = fits(
            arithmetic(found, rows, start, opts), "draw_path", "the arithmetic under the paths"
        )
        g.attr(label=label, labelloc="b", labeljust="l", fontsize="10")
        return g


def path_edge(row, k, used_by, count, opts):
    """An edge on a path: its local derivative, coloured by its path when it has only one."""
    colour = palette.PATH_EDGE
    if len(used_by) == 1 and 1 < count <= len(PATH_COLOURS):
        colour = PATH_COLOURS[used_by[0]]
    return {
        "id": f"e{row.index}_{k}",
        "label": local_label(opts.num(row.locals[k])),
        "color": colour,
        "fontcolor": "#000000",
        "penwidth": "2",
    }


def context_node(row, opts):
    """A value off the paths that an op on them reads: drawn small and grey."""
    attrs = value_node(row, opts)
    attrs.update(fillcolor="#F2F2F2", color="#BBBBBB", fontcolor="#777777", style="rounded,filled")
    return attrs


def arithmetic(found, rows, start, opts):
    """The label under the picture: each path's product written out, then their sum.

    Every line is true as printed. For a batch the factors and products are one example's;
    for the batch mean a path's product is averaged over the examples (the product of the
    averaged factors would be another number), so that line says so in words.
    """
    name = full_name(rows[start])  # a network has many a w0: say which
    top = rows[-1].name()
    lines = []
    if opts.title is not None:
        lines.append(f'<TR><TD ALIGN="LEFT"><B>{escape(opts.title)}</B></TD></TR>')
    what = _("{derivative}: the sum over paths of the product of the local derivatives")
    what = what.format(derivative=partial(top, name))
    lines.append(f'<TR><TD ALIGN="LEFT"><B>{escape(what)}</B></TD></TR>')
    mean = opts.batch is not None and opts.example is None
    if opts.batch is not None:
        if mean:
            said = _("a batch of {size} examples: each path's product averaged over them")
        else:
            said = _("a batch of {size} examples: example {example}")
        said = said.format(size=opts.batch, example=opts.example)
        lines.append(f"<TR>{text_cell(said)}</TR>")
    coloured = 1 < len(found) <= len(PATH_COLOURS)
    for n, path in enumerate(found.paths):
        count = len(path.locals)
        if mean and count:
            factors = _("the batch mean of the product of its {count} local derivatives")
            factors = factors.format(count=count)
        elif count > MAX_FACTORS:  # a long chain: in words (find_paths lists every factor)
            factors = _("the product of its {count} local derivatives").format(count=count)
        else:
            factors = " × ".join(wrap(opts.num(d)) for d in path.locals) or _("1 (no edges)")
        text = _("path {n}, from {root} back to {name}: {factors} = {product}").format(
            n=n + 1, root=top, name=name, factors=factors,
            product=opts.num(path.product),
        )  # fmt: skip
        mark = PATH_COLOURS[n] if coloured else palette.PATH_EDGE
        lines.append(f'<TR><TD ALIGN="LEFT"><FONT COLOR="{mark}">■</FONT> {escape(text)}</TD></TR>')
    each = 0.0  # the sum over paths, per example in a batch
    for path in found.paths:
        each = each + path.product
    sums = " + ".join(wrap(opts.num(p.product)) for p in found.paths) or _("0 (no path)")
    total = ngettext(
        "sum over {count} path: {sums} = {total}", "sum over {count} paths: {sums} = {total}",
        len(found),
    ).format(count=len(found), sums=sums, total=opts.num(each))  # fmt: skip
    lines.append(f'<TR><TD ALIGN="LEFT"><B>{escape(total)}</B></TD></TR>')
    if opts.batch is not None and not isinstance(found.node.data, np.ndarray):
        # One number used by every example: its gradient adds up all their sums.
        if mean:
            shared = _(
                "{name} is one number used by all {size} examples: its grad adds up their "
                "{size} sums ({size} × this mean) = {total}"
            )
        else:
            shared = _(
                "{name} is one number used by all {size} examples: its grad adds up their "
                "{size} sums (this is one of them) = {total}"
            )
        shared = shared.format(name=name, size=opts.batch, total=opts.num(found.total))
        lines.append(f'<TR><TD ALIGN="LEFT"><B>{escape(shared)}</B></TD></TR>')
    check = _("backward() gave {name}.grad = {grad}").format(name=name, grad=opts.num(found.grad))
    lines.append(f"<TR>{text_cell(check)}</TR>")
    return table(lines, spacing=2)


def wrap(text):
    """A factor as written in a product: negative numbers in brackets."""
    return f"({text})" if text.startswith("-") else text
