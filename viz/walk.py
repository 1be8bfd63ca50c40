"""The walk: backprop as a list of steps over one Graphviz layout, the data that the HTML
player, the slide frames and their tests read. Forward node by node, then backward.
In forward mode (mode="forward") each node's step computes its value and its tangent
together, as dual numbers do; mode="both" follows that sweep with backprop on the same graph.
Its words are in the language in force when it is made (the player and the frames set it).
"""

import math
import re
import xml.etree.ElementTree as ET

from autograd import Value, topological_order

from .dot import (
    DEFAULT_SHOW,
    MAX_NODES,
    check_collapse,
    check_limit,
    check_size,
    check_title,
    check_wrt,
    choice,
    draw,
    picture_size,
)
from .format import visible
from .i18n import _
from .narrate import Story, Term, paren, sentences
from .notation import partial
from .render import to_svg
from .tangent import TangentStory
from .tape import read_tape

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", XLINK)
TANGENT_CELL = re.compile(r"a_v\d+-tangent")  # Graphviz's id for a linked cell: a_ + its ID
MODES = ("reverse", "forward", "both")  # backprop; forward mode; forward mode, then backprop
# What a forward-mode picture shows: no gradient yet, so no `+=` on the edges either.
FORWARD_SHOW = ("data", "local")


class Walk:
    """Every step of the lesson: the forward pass node by node, then backprop node by node.

    Step s < n computes the value of node s (topological order); step n + b finishes the
    gradient of the node the engine reaches b-th going backwards (the root first). A picture
    with folded scopes keeps only the steps of the values it draws (folded_steps), so read
    where each node's numbers appear from value_step and grad_step.
    mode="forward": step s computes node s's value and its tangent (phase "tangent"), the
    derivative by the input `wrt`, and there is no backward step; mode="both": those steps,
    then the backward ones. tangent_step[i] is the step that finds node i's tangent.
    """

    def __init__(
        self, root, where, precision=4, rankdir="LR", title=None, *, params=None, collapse=False,
        example=None, max_nodes=MAX_NODES, mode="reverse", wrt=None,
    ):  # fmt: skip
        self.mode = mode
        if mode == "reverse":
            self.story = Story(root, precision, where, params=params, example=example)
        else:  # a Story too: the same rows, names and backward sweep, with the tangents
            self.story = TangentStory(root, wrt, precision, where, params=params, example=example)
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
            show=FORWARD_SHOW if mode == "forward" else DEFAULT_SHOW,
            wrt=None if mode == "reverse" else wrt,
        )
        self.legend = picture.legend  # the colour key the page shows, as graph.svg's
        self.element_of = picture.element_of  # the SVG id that shows each node
        graph = picture.graph
        self.graph = graph  # the slide frames lay it out again and draw each step on it
        self.svg = name_tags(clean_svg(to_svg(graph)), self.rows)
        if mode == "reverse":
            self.steps = [self.forward_step(row) for row in self.rows]
        else:
            self.steps = [self.value_and_tangent_step(row) for row in self.rows]
        if mode != "forward":
            self.steps += [self.backward_step(e) for e in self.story.backward]
        if mode == "both":  # the end of the page: the two sweeps found one number
            said = _("Both sweeps agree: {agreement}.").format(agreement=self.story.agreement())
            self.steps[-1]["after"] = said  # the last is a backward step: it has no `after` yet
        if any(picture.folded(i) for i in range(self.n)):
            self.steps = folded_steps(self.steps, picture)
        # value_step[i], grad_step[i]: the first steps at which node i's value, grad are known
        self.value_step, self.grad_step = step_positions(self.steps, self.n)
        self.tangent_step = self.value_step if mode != "reverse" else None

    def default_title(self):
        """`Backprop through f = q * z`: the root and the op that made it (when its inputs
        have names a reader knows; else the root and the size of the graph). In forward
        mode `Forward mode: f = q * z`, and for both `Both modes: f = q * z`."""
        story, root = self.story, self.rows[-1]
        name, formula = story.name(root), story.formula(root)
        if root.node.op is None:
            said = {
                "reverse": _("Backprop: {name}"),
                "forward": _("Forward mode: {name}"),
                "both": _("Both modes: {name}"),
            }
        elif all(self.rows[j].node.label for j in root.inputs):
            said = {
                "reverse": _("Backprop through {name} = {formula}"),
                "forward": _("Forward mode: {name} = {formula}"),
                "both": _("Both modes: {name} = {formula}"),
            }
        else:
            said = {  # TRANSLATORS: {n} is 2 or more
                "reverse": _("Backprop through {name} ({n} nodes)"),
                # TRANSLATORS: {n} is 2 or more
                "forward": _("Forward mode: {name} ({n} nodes)"),
                # TRANSLATORS: {n} is 2 or more
                "both": _("Both modes: {name} ({n} nodes)"),
            }
        return said[self.mode].format(name=name, formula=formula, n=self.n)

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
            if any("∇" in str(r.node.scope) for r in self.rows):  # grad(create_graph=True)
                note = sentences(
                    note,
                    _(
                        "This graph is itself a gradient (the ∇ frame): its forward pass is "
                        "the backward pass of the function it came from, so backprop through "
                        "it finds second derivatives."
                    ),
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

    def value_and_tangent_step(self, row):
        """The forward-mode step of `row`: its value and its tangent, found together.

        The lines are the value's, then the tangent's in symbols (q̇ = ẋ + ẏ); the answer its
        numbers, which a quiz hides. A leaf's tangent has no formula: 1 or 0, and why.
        """
        story, i = self.story, row.index
        told = story.step(i)
        dot = story.dotted(i)
        if row.inputs:
            lines, answer, why = [story.forward[i]] + told.question, told.answer, told.sentence
            if i == self.n - 1:
                why = ""  # `after` says it, with the derivative's equation
        else:  # `ẋ = 1 (x is the input we follow ...)`: all of it is the answer
            lines, answer, why = [story.forward[i]], told.question + told.answer, ""
        note = ""
        if i == 0:
            note = _(
                "Forward mode finds each value together with its tangent, inputs first: how "
                "fast the node moves while {wrt} moves at 1 ({dot} = 1) and every other input "
                "stays still. A node's tangent is each input's tangent times its local "
                "derivative, added up."
            ).format(wrt=story.wrt_name, dot=story.wrt_dotted)
        after = ""  # said once the tangent is found (a quiz would give it away before)
        if i == self.n - 1:
            after = _("The output's tangent is the derivative: {result}.").format(
                result=story.result()
            )
        step = self.forward_step(row)
        step.update(
            phase="tangent",
            heading=_("Value and tangent of {name}").format(name=story.describe(row)),
            lines=lines,
            answer=answer,
            ask=dot,
            hints=tangent_hints(story, row),
            note=note,
            why=why,
            after=after,
            tangent=told.tangent if math.isfinite(told.tangent) else None,  # JSON has no nan
        )
        return step

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
    A forward-mode step (phase "tangent") shows the value and finds the tangent.
    """
    last = len(steps) - 1
    value, grad = [last] * n, [last] * n
    for s, step in enumerate(steps):
        (grad if step["phase"] == "backward" else value)[step["node"]] = s
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
        i, forward = step["node"], step["phase"] != "backward"  # a value (and tangent) step
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


def tangent_hints(story, row):
    """The quiz's hints for one forward-mode step, gentlest first: the local derivatives, then
    the inputs' tangents (what the student multiplies them by). A leaf: what it is asked."""
    if not row.inputs:
        return [
            _(
                "Forward mode follows {wrt}: how fast does {name} move when {wrt} moves at 1?"
            ).format(wrt=story.wrt_name, name=story.name(row))
        ]
    uses = [Term(row, k, None, row.locals[k], None, None, None) for k in range(len(row.inputs))]
    # TRANSLATORS: between the items of a list of formulas: ∂f/∂q = -4, ∂f/∂r = 2
    said = _(", ").join(story.local_line(t) for t in uses)
    first = _("The local derivatives: {locals}.").format(locals=said)
    tangents = _(", ").join(
        f"{story.dotted(j)} = {story.num(story.tangents[j])}" for j in dict.fromkeys(row.inputs)
    )
    second = _("The inputs' tangents (already found): {tangents}.").format(tangents=tangents)
    return [first, second]


def root_with_grads(story, root):
    """`root`, its nodes' `.grad` set to this story's gradients while the picture is drawn.

    The boxes are then sized for the real numbers; `Walk` puts the old gradients back.
    """
    for row, g in zip(story.rows, story.grads):
        row.node.grad = g
    return root


def clean_svg(svg):
    """Graphviz's SVG without tooltips, titles and links (they would give quiz answers away),
    its tangent cells named v{i}-tangent as draw_dot names them (render.to_svg renames the
    data and grad cells only)."""
    tree = ET.fromstring(svg)
    for el in tree.iter():
        if TANGENT_CELL.fullmatch(el.get("id", "")):
            el.set("id", el.get("id")[2:])
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
    example=None, max_nodes=MAX_NODES, mode="reverse", wrt=None,
):  # fmt: skip
    """A Walk, with the nodes' own `.grad` exactly as they were before.

    params, collapse, example, max_nodes: as draw_dot takes them, except that a batch is
    told for one example, example 0 unless `example=` names another (see narrate.Story).
    mode: "reverse", "forward" or "both"; wrt: the input forward mode follows (a leaf
    Value or its label; needed for "forward" and "both", refused for "reverse").
    A graph too big to draw is refused first, before any story or picture is made.
    """
    check_title(where, title)
    if type(root) is not Value:
        raise TypeError(f"{where}: expected a Value as the root, got {type(root).__name__}")
    check_mode(where, mode, wrt)
    order = topological_order(root)
    max_nodes = check_limit(where, "max_nodes", max_nodes)
    check_size(where, max_nodes, picture_size(order, check_collapse(where, collapse)))
    if wrt is not None:
        check_wrt(where, read_tape(root, params, where), wrt)
    saved = [(node, node.grad) for node in order]
    try:
        return Walk(
            root, where, precision, rankdir, title, params=params, collapse=collapse,
            example=example, max_nodes=max_nodes, mode=mode, wrt=wrt,
        )  # fmt: skip
    finally:
        for node, g in saved:
            node.grad = g


def check_mode(where, mode, wrt):
    """mode is one of MODES; forward mode needs the input it follows, backprop takes none."""
    choice(where, "mode", mode, MODES)
    if mode != "reverse" and wrt is None:
        raise ValueError(
            f"{where}: mode={mode!r} needs wrt=, the input forward mode follows (wrt=x)"
        )
    if mode == "reverse" and wrt is not None:
        raise ValueError(
            f"{where}: wrt={wrt!r} is for forward mode; choose mode='forward' or 'both' "
            "(mode='reverse', backprop, finds every input's gradient at once)"
        )
