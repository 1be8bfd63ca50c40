"""Forward mode told node by node: each node's tangent from its inputs' tangents, as
viz.narrate tells backprop's gradients (`q̇ = ẋ + ẏ`, then `= 1 + 0`, then `= 1`).

One input, `wrt`, moves with tangent 1 and every other leaf stays still (tangent 0); a node's
tangent is the sum over its inputs of the op's local derivative times that input's tangent.
autograd.forward_steps computes the numbers; this module only says them, with the names,
numbers and rules of `Story`, so the stepper, the player and lesson 21 tell one story.
"""

import numpy as np

from autograd import Value, forward_steps, mode_costs

from .format import pad, pick, rpad, width
from .i18n import _, language, ngettext, resolve
from .narrate import Story, bracketed, paren, spoken
from .notation import PLAIN, partial, term
from .tape import locate

DOT = "\u0307"  # the combining dot above: q -> q̇, the tangent's symbol (Newton's notation)


def dotted(name):
    """A name with a dot over its first letter: q -> q̇, x1 -> ẋ1; a scoped name's last part
    (layer1.neuron3.ẇ0); a name with no letter gets it at the end."""
    start = name.rfind(".") + 1 if PLAIN.fullmatch(name) else 0
    for k in range(start, len(name)):
        if name[k].isalpha():
            return name[: k + 1] + DOT + name[k + 1 :]
    return name + DOT


class TangentStep:
    """One node's turn in forward mode, said: heading, the symbolic line(s) (`question`),
    the numbers (`answer`), one plain sentence, and the tangent itself."""

    __slots__ = ("heading", "question", "answer", "sentence", "tangent")

    def __init__(self, heading, question, answer, sentence, tangent):
        self.heading, self.question, self.answer = heading, question, answer
        self.sentence, self.tangent = sentence, tangent

    def lines(self):
        """The symbolic line, then the numbers, as the stepper prints them."""
        return self.question + self.answer


class TangentStory(Story):
    """Forward mode for ONE input `wrt` (its tangent 1, every other leaf 0), told node by node.

    The rows, names and numbers are `Story`'s (so are the backward sweep's, for a page that
    shows both). `tangents[i]` is row i's tangent; `step(i)` says how it was found. A batch is
    told for one example as `Story` tells it: every number is that example's, except a
    reduction's (sum, mean), whose tangent adds up every example's share. wrt: a leaf Value or
    its label holding one number (a weight); a batch input is refused, since moving it moves
    every example at once, which is no one entry of the gradient.
    """

    def __init__(self, root, wrt, precision=4, where="TangentStory", *, params=None, example=None):
        super().__init__(root, precision, where, params=params, example=example)
        self.where = where
        self.wrt_index = self.leaf_index(wrt, where)
        self.wrt_name = self.names[self.wrt_index]
        self.steps = list(forward_steps(root, self.rows[self.wrt_index].node))
        self.tangents = [pick(s.tangent, self.example) for s in self.steps]
        moved = []  # whether row i depends on wrt at all (a 0 tangent may be a cancellation)
        for row in self.rows:
            moved.append(row.index == self.wrt_index or any(moved[j] for j in row.inputs))
        self.moved = moved

    def leaf_index(self, wrt, where):
        """The row of `wrt`, checked: a Value or a label naming one leaf of this graph."""
        if not isinstance(wrt, (Value, str)):
            raise TypeError(
                f"{where}: wrt must be a leaf Value or its label, got {type(wrt).__name__} {wrt!r}"
            )
        index = locate(self.rows, wrt, where)  # unknown: a ValueError naming the labels
        row = self.rows[index]
        if row.node.op is not None:
            leaves = [self.name(r) for r in self.rows if r.node.op is None and r.node.label]
            raise ValueError(
                f"{where}: wrt={self.name(row)!r} was made by {row.node.op.name}; forward mode "
                f"starts from an input (a leaf): choose one of {', '.join(leaves) or 'none'}"
            )
        if isinstance(row.node.data, np.ndarray):
            raise ValueError(
                f"{where}: wrt={self.name(row)!r} holds a batch of {self.size} examples; moving "
                "it moves every example at once, which is no single gradient entry: choose an "
                "input that holds one number (a weight)"
            )
        return index

    def dotted(self, i):
        """Row i's name with a dot: the symbol of its tangent (q̇, ẋ1)."""
        return dotted(self.names[i])

    @property
    def wrt_dotted(self):
        """The chosen input's tangent symbol: ẋ."""
        return self.dotted(self.wrt_index)

    @property
    def derivative(self):
        """What the root's tangent is: ∂f/∂x for the chosen x."""
        return partial(self.root_name, self.wrt_name)

    def reduces(self, row):
        """Whether `row` adds up a batch into one number (sum, mean): its tangent has no
        per-example equation, only the total."""
        return not isinstance(row.node.data, np.ndarray) and any(
            isinstance(self.rows[j].node.data, np.ndarray) for j in row.inputs
        )

    def terms(self, i):
        """Row i's tangent in symbols, one part per input: `z·q̇`, `ẋ` (a local 1 left out)."""
        row, parts = self.rows[i], []
        for k, j in enumerate(row.inputs):
            said = self.rule_of(row, k)
            if said == "1":
                parts.append((False, self.dotted(j)))
            elif said == "-1":
                parts.append((True, self.dotted(j)))
            else:
                parts.append((False, f"{term(said)}·{self.dotted(j)}"))
        return parts

    def rule_of(self, row, k):
        """The op's rule for row's local derivative by input k, in this graph's names."""
        return self.rule(_Use(row, k))

    def numbers(self, i):
        """The same parts with this example's numbers in: `-4 · 1`, `1`."""
        row, step, parts = self.rows[i], self.steps[i], []
        for k in range(len(row.inputs)):
            said = self.rule_of(row, k)
            t = self.num(pick(step.input_tangents[k], self.example))
            if said in ("1", "-1"):
                parts.append((said == "-1", t))
            else:
                local = self.num(pick(step.locals[k], self.example))
                parts.append((False, f"{paren(local) if k else local} · {paren(t)}"))
        return parts

    @spoken
    def step(self, i):
        """Row i's turn as a `TangentStep` (i counts from 0 in the rows' order)."""
        row, dot, t = self.rows[i], self.dotted(i), self.tangents[i]
        value = self.num(t)
        heading = _("Step {n}/{total}: {name}").format(
            n=i + 1, total=len(self.rows), name=self.describe(row)
        )
        if not row.inputs:
            return TangentStep(heading, [f"{dot} = {value}", bracketed(self.leaf_why(row))], [],
                               self.leaf_sentence(row), t)  # fmt: skip
        question = [f"{dot} = {joined(self.terms(i))}"]
        if self.reduces(row):
            # TRANSLATORS: {product} is a tangent's formula such as (1/3)·v̇
            question = [f"{dot} = " + _("Σ over the {size} examples of {product}").format(
                size=self.size, product=joined(self.terms(i)))]  # fmt: skip
            answer = [f"= {value}", bracketed(self.reduced_why(row))]
        else:
            substituted, answer = f"= {joined(self.numbers(i))}", [f"= {value}"]
            if substituted != answer[0]:
                answer.insert(0, substituted)
        return TangentStep(heading, question, answer, self.sentence(i), t)

    def leaf_why(self, row):
        """Why a leaf's tangent is 1 or 0."""
        if row.index == self.wrt_index:
            return _("{name} is the input we follow: it moves one for one with itself").format(
                name=self.name(row)
            )
        if row.role == "constant":
            return _("a constant never moves")
        return _("only {wrt} moves: {name} stays still").format(
            wrt=self.wrt_name, name=self.name(row)
        )

    def leaf_sentence(self, row):
        """The plain sentence for a leaf."""
        dot = self.dotted(row.index)
        if row.index == self.wrt_index:
            # TRANSLATORS: {dot} is the tangent's symbol, ẋ
            line = _("We differentiate by {name}, so {name} moves with tangent {dot} = 1.")
        elif row.role == "constant":
            line = _("{name} is a constant: it never moves, so {dot} = 0.")
        else:
            line = _("{name} stays still while {wrt} moves, so {dot} = 0.")
        return line.format(name=self.name(row), dot=dot, wrt=self.wrt_name)

    def reduced_why(self, row):
        """What a reduction's tangent is made of."""
        j = row.inputs[0]
        return _("every example's share added up; example {example}'s {dot} is {number}").format(
            example=self.example, dot=self.dotted(j), number=self.num(self.tangents[j])
        )

    def sentence(self, i):
        """The plain sentence for an op's node: what its tangent means."""
        row, value = self.rows[i], self.num(self.tangents[i])
        if not self.moved[i]:
            line = _("{name} does not depend on {wrt}, so its tangent {dot} is 0.")
        elif i == self.root_index:
            line = _(
                "{name} changes by {value} for each 1 that {wrt} moves: that is the derivative "
                "{derivative}."
            )
        else:
            line = _("{name} changes by {value} for each 1 that {wrt} moves.")
        return line.format(
            dot=self.dotted(i), value=value, wrt=self.wrt_name, derivative=self.derivative,
            name=self.name(row),
        )  # fmt: skip

    @spoken
    def heading(self):
        """The forward-mode sweep's title line."""
        # TRANSLATORS: {dot} is the chosen input's tangent, ẋ; a tangent is how fast a value moves
        return _(
            "Forward mode for {wrt}: each value with its tangent, inputs first ({dot} = 1, every "
            "other input stays still)"
        ).format(wrt=self.wrt_name, dot=self.wrt_dotted)

    @spoken
    def rule_line(self):
        """How every tangent is found, said once under the heading."""
        return _(
            "A node's tangent: each input's tangent times its local derivative, added up "
            "(a local derivative of 1 is left out)"
        )

    @spoken
    def result(self):
        """The last line of the sweep: the root's tangent is the derivative."""
        # TRANSLATORS: {dot} is the output's tangent ḟ, {derivative} is ∂f/∂x
        return _("{dot} = {derivative} = {value}, after one forward-mode pass").format(
            dot=self.dotted(self.root_index), derivative=self.derivative,
            value=self.num(self.tangents[-1]),
        )  # fmt: skip

    @spoken
    def agreement(self):
        """Both sweeps agree: forward mode's ḟ (x moving) is reverse mode's ∂f/∂x."""
        grad = self.grads[self.wrt_index]
        return _(
            "forward mode's {dot} = {value} equals reverse mode's {derivative} = {grad}"
        ).format(
            dot=self.dotted(self.root_index), value=self.num(self.tangents[-1]),
            derivative=self.derivative, grad=self.num(grad),
        )  # fmt: skip

    def inputs(self):
        """The inputs forward mode can follow: leaves that are no constants and hold one number
        (a root that is a leaf is an input too; a batch input is no one entry of the gradient)."""
        leaves = [r for r in self.rows if r.node.op is None and r.role != "constant"]
        return [r for r in leaves if not isinstance(r.node.data, np.ndarray)]

    @spoken
    def costs_lines(self, inputs=None):
        """The cost table of `autograd.mode_costs` for this graph: passes and multiplications
        forward and reverse mode need for the root's derivative by every input."""
        if inputs is None:
            inputs = [r.node for r in self.inputs()]
        costs = mode_costs(self.rows[-1].node, list(inputs))
        names = ", ".join(self.name(self.rows[locate(self.rows, v, self.where)]) for v in inputs)
        title = ngettext(
            "The gradient of {root} by its {n} input ({names}), on a graph of {edges} edges:",
            "The gradient of {root} by all {n} inputs ({names}), on a graph of {edges} edges:",
            costs.inputs,
        ).format(root=self.root_name, n=costs.inputs, names=names or "-", edges=costs.edges)
        head = [_("passes"), _("multiplications")]
        rows = [
            (_("forward mode"), costs.forward_passes, costs.forward_multiplications),
            (_("reverse mode"), costs.reverse_passes, costs.reverse_multiplications),
        ]
        first = max(width(r[0]) for r in rows)
        cols = [max(width(head[k]), *(len(str(r[k + 1])) for r in rows)) for k in range(2)]
        header = "".join("  " + rpad(h, c) for h, c in zip(head, cols))
        lines = [title, "  " + pad("", first) + header]
        for label, *counts in rows:
            cells = "".join("  " + rpad(str(n), c) for n, c in zip(counts, cols))
            lines.append("  " + pad(label, first) + cells)
        note = _("forward mode: one pass per input; reverse mode: one pass per output (here 1)")
        lines.append(note)
        # TRANSLATORS: under the cost table: what one multiplication is
        lines.append(_("each pass multiplies once per edge: a local derivative times a tangent "
                       "(forward) or a gradient (reverse)"))  # fmt: skip
        return lines

    @spoken
    def text(self):
        """The whole forward-mode narration as plain text."""
        out = [self.heading(), f"  {self.rule_line()}"]
        if self.batch_note():
            out.append(f"  {self.batch_note()}")
        for i in range(len(self.rows)):
            step = self.step(i)
            out += ["", step.heading, f"  {self.forward[i]}"]
            out += [f"  {line}" for line in aligned(self.dotted(i), step)]
            if self.rows[i].inputs:  # a leaf's bracketed reason has said it already
                out.append(f"  {step.sentence}")
        out += ["", self.result(), ""] + self.costs_lines()
        return "\n".join(out)


class _Use:
    """The (consumer, slot) pair `Story.rule` reads a local derivative's rule from."""

    __slots__ = ("consumer", "slot")

    def __init__(self, consumer, slot):
        self.consumer, self.slot = consumer, slot


def joined(parts):
    """A sum of (minus, part) written as a reader writes it: `ẋ - ẏ`, `z·q̇ + q·ż`, `1 + (-2)`.

    minus: the part's local derivative is -1, so it is subtracted (`-ȧ` when it comes first).
    """
    text = ""
    for k, (minus, part) in enumerate(parts):
        if k == 0:
            text = f"-{paren(part)}" if minus else part
        else:
            text += f" {'-' if minus else '+'} {paren(part)}"
    return text


def aligned(dotted_name, step):
    """A step's lines with each `= ...` continuation under the first line's `=`."""
    indent = " " * width(dotted_name)
    return [line if k == 0 or not line.startswith("=") else f"{indent} {line}"
            for k, line in enumerate(step.lines())]  # fmt: skip


def forward_story(root, wrt, precision=4, *, params=None, example=None, lang=None):
    """Forward mode's whole narration for input `wrt` (a leaf Value or its label), as text.

    lang: "en" or "zh-CN" (None: the current language).
    """
    lang = resolve(lang, where="forward_story")
    with language(lang):
        return TangentStory(root, wrt, precision, "forward_story", params=params,
                            example=example).text()  # fmt: skip
