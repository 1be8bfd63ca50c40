"""The walk: backprop as a list of steps over one Graphviz layout, the data that the HTML
player, the slide frames and their tests read. Forward node by node, then backward.
Its words are in the language in force when it is made (the player and the frames set it).
"""

import math
import re
import xml.etree.ElementTree as ET

from autograd import Value, topological_order

from .dot import (
    MAX_NODES,
    check_collapse,
    check_limit,
    check_size,
    check_title,
    draw,
    picture_size,
)
from .format import visible
from .i18n import _
from .narrate import Story, paren, sentences
from .notation import partial
from .render import to_svg

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", XLINK)


class Walk:
    """Every step of the lesson: the forward pass node by node, then backprop node by node.

    Step s < n computes the value of node s (topological order); step n + b finishes the
    gradient of the node the engine reaches b-th going backwards (the root first). A picture
    with folded scopes keeps only the steps of the values it draws (folded_steps), so read
    where each node's numbers appear from value_step and grad_step.
    """

    def __init__(
        self, root, where, precision=4, rankdir="LR", title=None, *, params=None, collapse=False,
        example=None, max_nodes=MAX_NODES,
    ):  # fmt: skip
        self.story = Story(root, precision, where, params=params, example=example)
        self.rows = self.story.rows
        self.n = len(self.rows)
        self.title = visible(title) if title is not None else self.default_title()
        self.params, self.collapse, self.example = params, collapse, example
        picture = draw(
            root_with_grads(self.story, root),
            where,
            rankdir=rankdir,
            precision=precision,
            params=params,
            collapse=collapse,
            example=example,
            legend=False,
            max_nodes=max_nodes,
        )
        self.legend = picture.legend  # the colour key the page shows, as graph.svg's
        self.element_of = picture.element_of  # the SVG id that shows each node
        graph = picture.graph
        self.graph = graph  # the slide frames lay it out again and draw each step on it
        self.svg = name_tags(clean_svg(to_svg(graph)), self.rows)
        self.steps = [self.forward_step(row) for row in self.rows]
        self.steps += [self.backward_step(e) for e in self.story.backward]
        if any(picture.folded(i) for i in range(self.n)):
            self.steps = folded_steps(self.steps, picture)
        # value_step[i], grad_step[i]: the first steps at which node i's value, grad are known
        self.value_step, self.grad_step = step_positions(self.steps, self.n)

    def default_title(self):
        """`Backprop through f = q * z`: the root and the op that made it (when its inputs
        have names a reader knows; else the root and the size of the graph)."""
        story, root = self.story, self.rows[-1]
        if root.node.op is None:
            return _("Backprop: {name}").format(name=story.name(root))
        if all(self.rows[j].node.label for j in root.inputs):
            return _("Backprop through {name} = {formula}").format(
                name=story.name(root), formula=story.formula(root)
            )
        # TRANSLATORS: {n} is 2 or more
        return _("Backprop through {name} ({n} nodes)").format(name=story.name(root), n=self.n)

    def forward_step(self, row):
        """The step that computes `row`'s value: its incoming edges and its inputs light up."""
        i = row.index
        flow = [f"e{i}_{k}" for k in range(len(row.inputs))] + ([f"r{i}"] if row.inputs else [])
        note = ""
        if i == 0:
            note = _(
                "The forward pass computes every value from its inputs, inputs first. "
                "The gradients (grad) stay unknown until the backward pass."
            )
        return {
            "phase": "forward",
            "node": i,
            "heading": _("Value of {name}").format(name=self.story.describe(row)),
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
            up, local = story.num(t.upstream), paren(story.num(t.local))
            if t.total is None:
                product = (
                    f"{partial(f, story.name(q))} · {story.factor(t)} = {up} · {local} = "
                    f"{story.num(t.contribution)}"
                )
            else:  # a weight met by a batch: the example's share, then every example's
                product = story.share_line(t)
            if len(e.terms) > 1:
                product = _("{product}; sum so far {running}").format(
                    product=product, running=story.num(t.running)
                )
            name, formula = story.name(q), story.formula(q)
            if q.inputs.count(e.index) > 1:  # a * a: which of its inputs this use is
                via = _("via {name} = {formula} (input {k})").format(
                    name=name, formula=formula, k=t.slot + 1
                )
            else:
                via = _("via {name} = {formula}").format(name=name, formula=formula)
            local = _("local {line}").format(line=story.local_line(t))
            uses.append([via, local, product])
        left = partial(f, e.name)
        if e.terms:  # one line per use: ∂f/∂x = ∂f/∂q · ∂(..)/∂x, then + ∂f/∂r · ∂(..)/∂x
            first, *rest = e.products()
            question = [f"{left} = {first}"] + [f"+ {product}" for product in rest]
            answer = [e.substituted, e.numeric] if e.substituted else [e.numeric]
        else:  # the root: ∂f/∂f = 1
            question, answer = [left], [e.numeric]
        note = ""
        if e.index == self.story.root_index:
            note = _(
                "The backward pass starts at the output {f} and walks back to the inputs. "
                "Each grad is {gradient}: how much {f} moves per unit nudge of that node."
            ).format(f=f, gradient=story.per_node())
            if story.batch_note():
                note = sentences(note, story.batch_note())
        return {
            "phase": "backward",
            "node": e.index,
            "heading": _("Gradient of {name}").format(name=story.describe(self.rows[e.index])),
            "lines": question,
            "answer": answer,
            "ask": left,
            "uses": uses,
            "hints": hints(story, e),
            "note": note,
            "why": e.why,
            "flow": sorted(set(flow), key=flow.index),
            "context": sorted(set(context)),
            "grad": e.grad if math.isfinite(e.grad) else None,  # JSON has no nan
        }

    def state(self, s):
        """What step s shows: which numbers are known, what is lit. Mirrors player.js."""
        step = self.steps[s]
        known_data = {i for i in range(self.n) if s >= self.value_step[i]}
        known_grad = {i for i in range(self.n) if s >= self.grad_step[i]}
        return step, known_data, known_grad


def step_positions(steps, n):
    """For each node, the first step that shows its value and the first that knows its grad.

    A node folded inside a box has no step of its own: its value is known with the next value
    computed after it, its gradient with the next one finished after it (or the last step).
    """
    last = len(steps) - 1
    value, grad = [last] * n, [last] * n
    for s, step in enumerate(steps):
        (value if step["phase"] == "forward" else grad)[step["node"]] = s
    for i in range(n - 2, -1, -1):
        value[i] = min(value[i], value[i + 1])
    for i in range(1, n):
        grad[i] = min(grad[i], grad[i - 1])
    return value, grad


def folded_steps(steps, picture):
    """The steps of a collapsed picture: one per value (and gradient) it draws, lighting the
    elements that show them, a folded box and the edges into or out of it.

    Kept are the nodes drawn as boxes of their own and the values that leave a folded box;
    what happens inside a box has no step.
    """
    inputs, n = picture.inputs, len(picture.inputs)
    users = [[] for _ in range(n)]  # users[j]: the edges (i, k) that read node j
    for i in range(n):
        for k, j in enumerate(inputs[i]):
            users[j].append((i, k))
    leaving = {j for j in range(n) for i, k in users[j] if picture.edge_of(i, k) is not None}
    kept = []
    for step in steps:
        i, forward = step["node"], step["phase"] == "forward"
        if picture.folded(i) and i not in leaving and i != n - 1:
            continue
        if forward and not picture.folded(i):
            kept.append(step)  # its edges into its op are drawn as they are
            continue
        if forward:  # computed inside its box, from the values that flow into the box
            edges = box_inputs(picture, i)
            flow = [picture.edge_of(a, k) for a, k in edges]
            context = [inputs[a][k] for a, k in edges]
        else:  # its gradient arrives along the edges out to its users
            uses = users[i][::-1]  # the engine's order: the last user first
            flow = []
            for q, k in uses:
                flow += [picture.edge_of(q, k)] + ([] if picture.folded(q) else [f"r{q}"])
            context = [q for q, _ in uses]
        flow = sorted({name for name in flow if name is not None}, key=flow.index)
        kept.append(dict(step, flow=flow, context=sorted(set(context))))
    return kept


def box_inputs(picture, i):
    """The edges (a, k) from outside node i's folded box into the nodes i is computed from."""
    inputs, box = picture.inputs, picture.element_of[i]
    found, seen, stack = [], {i}, [i]
    while stack:
        a = stack.pop()
        for k, j in enumerate(inputs[a]):
            if picture.element_of[j] != box:
                found.append((a, k))
            elif j not in seen:
                seen.add(j)
                stack.append(j)
    return sorted(found)


def hints(story, e):
    """The quiz's hints for one backward step, gentlest first; none gives the answer away.

    First the chain rule with each local factor's rule in symbols, then the upstream
    gradients' values (what the student multiplies by).
    """
    f, left = story.root_name, partial(story.root_name, e.name)
    if not e.terms:
        return [_("How much does {f} change when {f} itself changes by 1?").format(f=f)]
    rules = _("; ").join(f"{story.factor(t)} = {story.rule(t)}" for t in e.terms)
    chain = f"{left} = {' + '.join(e.products())}"
    # TRANSLATORS: {chain} is the chain rule for this node, {rules} its local derivatives' rules
    first = _("{chain}, where the local rule says {rules}.").format(chain=chain, rules=rules)
    # TRANSLATORS: between the items of a list of formulas: ∂f/∂q = -4, ∂f/∂r = 2
    upstream = _(", ").join(
        f"{partial(f, story.name(t.consumer))} = {story.num(t.upstream)}" for t in e.terms
    )
    second = _("Upstream (already found): {gradients}.").format(gradients=upstream)
    if any(t.total is not None for t in e.terms):
        shared = _("This number is shared by all {size} examples: theirs add up.")
        second = sentences(second, shared.format(size=story.size))
    elif len(e.terms) > 1:
        # TRANSLATORS: {n} is 2 or more
        used = _("{name} is used {n} times: add the products.")
        second = sentences(second, used.format(name=e.name, n=len(e.terms)))
    return [first, second]


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


def make_walk(
    root, where, precision=4, rankdir="LR", title=None, *, params=None, collapse=False,
    example=None, max_nodes=MAX_NODES,
):  # fmt: skip
    """A Walk, with the nodes' own `.grad` exactly as they were before.

    params, collapse, example, max_nodes: as draw_dot takes them, except that a batch is
    told for one example, example 0 unless `example=` names another (see narrate.Story).
    A graph too big to draw is refused first, before any story or picture is made.
    """
    check_title(where, title)
    if type(root) is not Value:
        raise TypeError(f"{where}: expected a Value as the root, got {type(root).__name__}")
    order = topological_order(root)
    max_nodes = check_limit(where, "max_nodes", max_nodes)
    check_size(where, max_nodes, picture_size(order, check_collapse(where, collapse)))
    saved = [(node, node.grad) for node in order]
    try:
        return Walk(
            root, where, precision, rankdir, title, params=params, collapse=collapse,
            example=example, max_nodes=max_nodes,
        )  # fmt: skip
    finally:
        for node, g in saved:
            node.grad = g
