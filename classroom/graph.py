"""The graph a live lesson is about: a lesson's graph or the teacher's own expression, the player
page and the questions it asks, and the teacher's edits.

Editing an input or a weight sets that leaf's number and computes every value again in
topological order with each node's own op row (`op.forward`, the op table's), then backprop
(`root.backward()`). The structure never changes, so the page's layout and every question's
step stay where they were; only the numbers move. A number the graph cannot take (log of a
negative, a division by 0) is refused before anything changes.
"""

import math

from autograd import Value
from autograd.backprop import topological_order
from viz import backprop_html
from viz.format import fmt, visible
from viz.i18n import _, language
from viz.misconceptions import Question
from viz.narrate import paren
from viz.walk import make_walk

MAX_EDIT = 1e6  # a leaf is set to at most this size: bigger only overflows the exponentials
MAX_H = 1.0  # the nudge: small steps h show the derivative, big ones only the curve's shape


class ClassGraph:
    """The lesson's graph: `root`, its leaves, the player page, and what each step asks."""

    def __init__(self, root, *, params=None, title=None, lang="en"):
        if type(root) is not Value:
            raise TypeError(f"ClassGraph: root must be a Value, got {type(root).__name__}")
        self.root, self.params, self.title, self.lang = root, params, title, lang
        self.version = 0  # one more after every edit: the teacher's page fetches the new one
        self.backward()
        self._walk = None

    def backward(self):
        """Every gradient afresh (backward adds into .grad, as PyTorch's does)."""
        for node in topological_order(self.root):
            node.grad = 0.0
        self.root.backward()

    @classmethod
    def from_lesson(cls, name, *, lang="en"):
        """The graph of lesson `name` (one with a graph: `chainrule step NAME` steps it)."""
        from demos.cli import LESSONS  # demos imports this package only when it serves
        from demos.common import parameters_of

        lesson = LESSONS.get(name)
        if lesson is None or lesson.build is None:
            with language(lang):
                small = ", ".join(n for n, each in LESSONS.items() if each.build is not None)
                raise ValueError(
                    _("no lesson with a graph named {name}; try: {names}").format(
                        name=repr(name), names=small
                    )
                )
        with language(lang):
            root = lesson.build()
            title = lesson.title
        return cls(root, params=parameters_of(root), title=title, lang=lang)

    @classmethod
    def from_expression(cls, text, at=None, params=None, *, lang="en"):
        """The graph of a typed expression, as `chainrule draw EXPR --at ...` reads it."""
        from viz.expression import ExpressionError, expression

        try:
            typed = expression(text, at=at, params=params)
        except ExpressionError as err:
            raise ValueError(err.say(lang=lang)) from None
        return cls(typed.root, params=typed.params, title=text, lang=lang)

    # ---- What the pages show ----------------------------------------------------------------
    @property
    def walk(self):
        """The player's walk over the graph as it is now (the steps, the rows, the picture)."""
        if self._walk is None:
            with language(self.lang):
                self._walk = make_walk(self.root, "serve", title=self.title, params=self.params)
        return self._walk

    def player_html(self):
        """The offline player's page for the graph as it is now, in the lesson's language."""
        return backprop_html(self.root, title=self.title, params=self.params, lang=self.lang).html

    def nodes(self):
        """The player's nodes in its order (its node index is the list index)."""
        return [row.node for row in self.walk.rows]

    def leaves(self):
        """The numbers the teacher may edit: each input and weight ({index, name, value}).
        A constant (a leaf named by its own number, or no name) is part of the formula."""
        out = []
        for i, row in enumerate(self.walk.rows):
            node = row.node
            if node.op is None and node.label and not named_by_number(node):
                out.append({"index": i, "name": visible(row.name()), "value": node.data})
        return out

    def step_of(self, name, what="grad"):
        """The player's step that finds the gradient (what="grad") or the value of the node
        labelled `name`: what `ask` takes to ask the room about it."""
        phase = {"grad": "backward", "value": "forward"}[what]
        walk = self.walk
        for s, step in enumerate(walk.steps):
            if step["phase"] == phase and walk.rows[step["node"]].name() == name:
                return s
        raise ValueError(f"step_of: no node named {name!r} has a {phase} step")

    def question(self, step):
        """What step `step` of the player asks the room: (Question, the step's record).
        A forward step asks its node's value, a backward step its gradient."""
        steps = self.walk.steps
        if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step < len(steps):
            raise ValueError(f"ask: step must be a step of the player, 0 to {len(steps) - 1}")
        record = steps[step]
        what = "value" if record["phase"] == "forward" else "grad"
        if record["phase"] == "tangent":
            raise ValueError("ask: a forward-mode step; the room answers values and gradients")
        node = self.walk.rows[record["node"]].node
        with language(self.lang):
            return Question(self.root, node, what, where="ask"), record

    # ---- The teacher's edits ----------------------------------------------------------------
    def leaf(self, index, where):
        editable = {each["index"]: each for each in self.leaves()}
        if isinstance(index, bool) or not isinstance(index, int) or index not in editable:
            raise ValueError(f"{where}: leaf {index!r} is not an input or weight of the graph")
        return self.walk.rows[index].node

    def set(self, index, value):
        """Set leaf `index` to `value`, compute forward and backward again; returns the leaves."""
        node = self.leaf(index, "set")
        value = finite("set", value, MAX_EDIT)
        values = self.forward_with(node, value, "set")  # every new number, or an error
        for each, number in values.items():
            each.data = number
        self.backward()
        self.version += 1
        self._walk = None
        return self.leaves()

    def forward_with(self, leaf, value, where):
        """Every node's value with `leaf` set to `value`, computed with the op rows; the graph
        itself is not touched. A number an op cannot take is a ValueError naming it."""
        values = {}
        for node in topological_order(self.root):
            if node is leaf:
                values[node] = value
            elif node.op is None:
                values[node] = node.data
            else:
                args = [values[i] for i in node.inputs]
                second = args[1] if node.op.arity == 2 else node.op.param
                try:
                    y = node.op.forward(args[0], second)
                except (ValueError, ZeroDivisionError, OverflowError):
                    y = math.nan
                if not math.isfinite(y):
                    shown = ", ".join(fmt(a) for a in args)
                    name = visible(self.name_of(leaf))
                    raise ValueError(
                        f"{where}: {name} = {fmt(value)} makes {node.op.name}({shown}) "
                        f"{'undefined' if math.isnan(y) else 'infinite'}"
                        + (f" ({node.op.domain})" if node.op.domain else "")
                    )
                values[node] = y
        return values

    def name_of(self, node):
        return next(row.name() for row in self.walk.rows if row.node is node)

    def nudge(self, index, h):
        """The nudge check for leaf `index`: f(x + h) − f(x) beside ∂f/∂x · h, as lines."""
        node = self.leaf(index, "nudge")
        h = finite("nudge", h, MAX_H)
        if h == 0:
            raise ValueError("nudge: h must not be 0")
        before = self.root.data
        after = self.forward_with(node, node.data + h, "nudge")[self.root]
        name, root = visible(self.name_of(node)), visible(self.name_of(self.root))
        change, predicted = after - before, node.grad * h
        gap = change - predicted
        with language(self.lang):
            if abs(gap) <= 1e-12 * max(1.0, abs(change)):
                # TRANSLATORS: the nudge check: f(x + h) − f(x) equals ∂f/∂x · h exactly
                said = _("They are equal: {root} is a straight line in {name} here.")
            else:
                # TRANSLATORS: the nudge check: the two differ by about (a number) times h²
                said = _(
                    "The gap, {gap}, shrinks like h²: halve h and it is about a quarter as big."
                )
            said = said.format(root=root, name=name, gap=fmt(gap))
        return {
            "lines": [
                f"{root}({name} + h) - {root}({name}) = {fmt(after)} - {paren(fmt(before))} "
                f"= {fmt(change)}",
                f"∂{root}/∂{name} · h = {paren(fmt(node.grad))} · {paren(fmt(h))} "
                f"= {fmt(predicted)}",
                said,
            ],
            "change": change,
            "predicted": predicted,
        }


def named_by_number(node):
    """A leaf labelled with its own number ("2" holding 2) is a constant of the formula."""
    try:
        return float(node.label) == node.data
    except (TypeError, ValueError):
        return False


def finite(where, value, most):
    """`value` as a float no bigger than `most`, else a ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: expected a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value) or abs(value) > most:
        raise ValueError(f"{where}: {value!r} is not a number between -{most:g} and {most:g}")
    return value
