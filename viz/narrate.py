"""Narration: the chain-rule sentence behind every gradient, in words a class can read aloud.

For a node x under the root f, df/dx is the sum over x's uses q of df/dq · dq/dx. Each
sentence is written three ways (symbolic, substituted, numeric), as plain text and LaTeX.
The stepper, the HTML player and the slide frames all tell this one story.
"""

from autograd import backward_steps

from .format import batch_size, check_precision, fmt
from .tape import read_tape

INFIX = ("+", "-", "*", "/", "**")
ROUNDING = 1e-12  # a sum this much smaller than its terms is a cancellation, not a signal


class Term:
    """One use of a node: the path through one op that consumes it (input slot `slot`)."""

    __slots__ = ("consumer", "slot", "upstream", "local", "contribution", "running")

    def __init__(self, consumer, slot, upstream, local, contribution, running):
        self.consumer, self.slot = consumer, slot  # consumer: the tape Row of the op's output
        self.upstream, self.local = upstream, local  # df/dq and dq/dx
        self.contribution, self.running = contribution, running  # their product; sum so far


class Explanation:
    """Why one node has the gradient it has: its terms, the three forms, a reason when 0."""

    def __init__(self, story, index, name, grad, terms, why):
        self.story, self.index, self.name = story, index, name
        self.grad, self.terms, self.why = grad, terms, why

    @property
    def symbolic(self):
        """The chain rule in symbols: df/dx = df/dq · dq/dx (+ one product per use)."""
        f = self.story.root_name
        left = self.story.d(f, self.name)
        if self.index == self.story.root_index:
            return f"{left} = 1"
        if not self.terms:
            return f"{left} = 0"
        d = self.story.d
        products = [
            f"{d(f, t.consumer.name())} · {d(t.consumer.name(), self.name)}" for t in self.terms
        ]
        return f"{left} = {' + '.join(products)}"

    @property
    def substituted(self):
        """The same with numbers in: = -4 · 1 (+ ...)."""
        if self.index == self.story.root_index or not self.terms:
            return ""
        num = self.story.num
        return "= " + " + ".join(f"{num(t.upstream)} · {paren(num(t.local))}" for t in self.terms)

    @property
    def numeric(self):
        """The gradient itself: = -4."""
        return f"= {self.story.num(self.grad)}"

    def lines(self):
        """The sentence as lines of plain text, with the reason for a zero last."""
        out = [self.symbolic]
        if self.substituted:
            out += [self.substituted, self.numeric]
        if self.why:
            out.append(f"({self.why})")
        return out

    def text(self):
        """The sentence as one block of plain text."""
        return "\n".join(self.lines())

    def latex(self):
        """The sentence as one LaTeX formula (for a notebook's Markdown or a slide)."""
        f, x = tex_name(self.story.root_name), tex_name(self.name)
        left = partial(f, x)
        if self.index == self.story.root_index:
            return f"{left} = 1"
        if not self.terms:
            return f"{left} = 0"
        parts = []
        for t in self.terms:
            q = tex_name(t.consumer.name())
            parts.append(f"{partial(f, q)} \\cdot {partial(q, x)}")
        num = self.story.num
        values = " + ".join(f"{num(t.upstream)} \\cdot {paren(num(t.local))}" for t in self.terms)
        return f"{left} = {' + '.join(parts)} = {values} = {num(self.grad)}"


class Story:
    """The whole walk for one root: the forward lines, then one Explanation per backward step.

    Gradients are those of one fresh backward pass; the nodes' own `.grad` are left as found.
    """

    def __init__(self, root, precision=4, where="backprop_story"):
        self.precision = check_precision(precision, where)
        self.rows = read_tape(root, where=where)
        size = batch_size(row.node for row in self.rows)
        if size is not None:
            raise ValueError(
                f"{where}: the graph holds a batch of {size} examples; step through one "
                "example at a time (build the graph from a single row of the data)"
            )
        self.root_index = len(self.rows) - 1
        self.root_name = self.rows[-1].name()
        self.spaced = any(len(row.name()) > 3 for row in self.rows)
        steps = fresh_steps(root, self.rows)
        self.grads = [step.grad for step in steps]
        self.forward = [self.forward_line(row) for row in self.rows]
        uses = [[] for _ in self.rows]  # node -> (consumer index, slot), in backward order
        for row in reversed(self.rows):
            for k, j in enumerate(row.inputs):
                uses[j].append((row.index, k))
        self.backward = [self.explain(i, uses[i], steps) for i in reversed(range(len(self.rows)))]

    def num(self, x):
        """A number as the story prints it."""
        return fmt(x, self.precision)

    def d(self, top, bottom):
        """The derivative of `top` by `bottom` as text: df/dx, or d total/d price when any
        name in the graph is a word (one style for the whole story, so lines read alike)."""
        return f"d {top}/d {bottom}" if self.spaced else f"d{top}/d{bottom}"

    def per_node(self):
        """d(root)/d(node) in the story's style: df/d(node) or d total/d(node)."""
        return self.d(self.root_name, "(node)").replace("/d (node)", "/d(node)")

    def forward_line(self, row):
        """How `row`'s value is computed: `q = x + y = -2 + 5 = 3`, or `x = -2` for a leaf."""
        node, value = row.node, self.num(row.node.data)
        if node.op is None:
            kind = "an input" if node.label else "a constant"
            return f"{row.name()} = {value}  ({kind})"
        numbers = [self.num(self.rows[j].node.data) for j in row.inputs]
        substituted = expression(node.op, numbers, True)
        return f"{row.name()} = {self.formula(row)} = {substituted} = {value}"

    def formula(self, row):
        """The op that made `row`, in its inputs' names: `x + y` (a leaf: its name)."""
        if row.node.op is None:
            return row.name()
        return expression(row.node.op, [self.rows[j].name() for j in row.inputs])

    def explain(self, i, uses, steps):
        """The Explanation of node i from its uses (consumer, slot), engine's order."""
        row, grad = self.rows[i], self.grads[i]
        terms, running = [], 0.0
        for q, k in uses:
            step = steps[q]
            running = running + step.contributions[k]  # the engine adds in this same order
            terms.append(
                Term(self.rows[q], k, step.grad, step.locals[k], step.contributions[k], running)
            )
        why = ""
        if i == self.root_index:
            why = "backprop starts here: the output changes one for one with itself"
        elif grad == 0.0:
            why = self.zero_reason(row, terms)
        elif abs(grad) <= ROUNDING * max(abs(t.contribution) for t in terms):
            why = "the contributions cancel: this is 0 up to floating-point rounding"
        return Explanation(self, i, row.name(), grad, terms, why)

    def zero_reason(self, row, terms):
        """Why a gradient is exactly 0: each use passes nothing back, or the uses cancel."""
        if not terms:
            return f"no path: {self.root_name} does not depend on {row.name()}"
        if any(t.contribution != 0.0 for t in terms):
            return "the contributions of its uses cancel out"
        reasons = []
        for t in terms:
            reason = self.dead_use(row, t)
            if reason not in reasons:
                reasons.append(reason)
        return "; ".join(reasons)

    def dead_use(self, row, t):
        """Why one use contributes 0: the op's local derivative is 0, or df/dq is already 0."""
        q, f = t.consumer, self.root_name
        if t.local != 0.0:
            return f"{self.d(f, q.name())} is already 0"
        op, inputs = q.node.op, q.node.inputs
        if op.name == "relu":
            return (
                f"ReLU inactive: its input {self.num(inputs[0].data)} is <= 0, so it passes 0 back"
            )
        if op.name == "step":
            return "the step function is flat: its derivative is 0 everywhere"
        if op.name in ("max", "min"):
            return f"{op.name} picked its other input, so this one gets no gradient"
        if op.name == "mul":
            other = inputs[1 - t.slot]
            return f"the other factor {self.rows_name(other)} is 0"
        return f"the local derivative {self.d(q.name(), row.name())} is 0"

    def rows_name(self, node):
        """The name of a node of this story (it is under the root)."""
        for row in self.rows:
            if row.node is node:
                return row.name()
        return "?"

    def explanation(self, node):
        """The Explanation for `node`; one outside the graph has gradient 0 and no path."""
        for e in self.backward:
            if self.rows[e.index].node is node:
                return e
        name = getattr(node, "label", "") or "this value"
        why = f"no path: {self.root_name} does not depend on {name}"
        return Explanation(self, -1, name, 0.0, [], why)


def fresh_steps(root, rows):
    """The backward Steps by tape position, from one fresh pass; `.grad` restored afterwards."""
    saved = [row.node.grad for row in rows]
    try:
        by_node = {id(step.node): step for step in backward_steps(root)}
    finally:
        for row, old in zip(rows, saved):
            row.node.grad = old
    return [by_node[id(row.node)] for row in rows]


def expression(op, args, numbers=False):
    """An op applied to its arguments as the graph writes it: `x + y`, `σ(u)`, `x**2`."""
    if numbers:
        args = [args[0]] + [paren(a) for a in args[1:]]
    if len(args) == 2:
        if op.symbol in INFIX:
            return f"{args[0]} {op.symbol} {args[1]}"
        return f"{op.symbol}({args[0]}, {args[1]})"
    if op.name == "pow":
        return f"{paren(args[0])}**{op.param:g}"
    if op.name == "neg":
        return f"-{paren(args[0])}"
    if op.param is not None:
        return f"{op.symbol}({args[0]}, {op.param:g})"
    return f"{op.symbol}({args[0]})"


def paren(text):
    """A negative number in brackets, so `3 · (-4)` never reads as a subtraction."""
    return f"({text})" if text.startswith("-") else text


def partial(top, bottom):
    """The LaTeX partial derivative of `top` by `bottom`."""
    return f"\\frac{{\\partial {top}}}{{\\partial {bottom}}}"


def tex_name(name):
    """A name safe in LaTeX maths: one letter stays italic, longer names go upright."""
    special = {
        "\\": r"\backslash{}",
        "{": r"\{",
        "}": r"\}",
        "_": r"\_",
        "^": r"\^{}",
        "#": r"\#",
        "$": r"\$",
        "%": r"\%",
        "&": r"\&",
        "~": r"\~{}",
    }
    safe = "".join(special.get(c, c) for c in name)
    return safe if len(name) == 1 else f"\\mathrm{{{safe}}}"


def backprop_story(root, precision=4):
    """The forward lines and backward Explanations for every node under `root`."""
    return Story(root, precision)


def narrate(root, node, precision=4):
    """The chain-rule Explanation of d(root)/d(node): `.text()`, `.latex()`, `.why`."""
    return Story(root, precision, "narrate").explanation(node)
