"""Narration: the chain-rule sentence behind every gradient, in words a class can read aloud.

For a node x under the root f, ∂f/∂x is the sum over x's uses q of ∂f/∂q · ∂q/∂x, where the
second factor is local: the op's own rule (from the op table), ∂(q * z)/∂z = q = 3. Each
sentence is written three ways (symbolic, substituted, numeric), as plain text and LaTeX.
The stepper, the HTML player and the slide frames all tell this one story, in the language
in force when it is made (`lang=`, a `language(...)` block, the environment); a story keeps
that language for every sentence it says later.
"""

import contextvars
import functools
import math

import numpy as np

from autograd import backward_steps

from .format import batch_size, check_example, check_precision, fmt, pick, visible
from .i18n import N_, _, current, language, resolve
from .notation import partial, rule, term, tex, tex_name, tex_partial, tex_rule, tex_term
from .tape import full_name, locate, read_tape, unique_names

INFIX = ("+", "-", "*", "/", "**")
ROUNDING = 1e-12  # a sum this much smaller than its terms is a cancellation, not a signal
KINDS = {  # a leaf's forward line, by its role
    "parameter": N_("{name} = {value}  (a parameter)"),
    "input": N_("{name} = {value}  (an input)"),
    "constant": N_("{name} = {value}  (a constant)"),
    "output": N_("{name} = {value}  (the output)"),  # a leaf root: Value(2.0).backward()
}


# The language of the story speaking now: a story says thousands of sentences, each made of
# smaller ones, and opening a language block for every one of them doubled the time it takes.
_speaking = contextvars.ContextVar("chainrule_story_speaking", default=None)


def spoken(method):
    """A method that makes text, run in the language of the story it belongs to."""

    @functools.wraps(method)
    def run(self, *args, **kwargs):
        if _speaking.get() == self.lang:  # a sentence inside a sentence: the block is open
            return method(self, *args, **kwargs)
        token = _speaking.set(self.lang)
        try:
            with language(self.lang):
                return method(self, *args, **kwargs)
        finally:
            _speaking.reset(token)

    return run


def sentences(first, second):
    """Two sentences one after the other (Chinese puts no space between them)."""
    # TRANSLATORS: two sentences in a row; Chinese joins them with no space.
    return _("{first} {second}").format(first=first, second=second)


class Term:
    """One use of a node: the path through one op that consumes it (input slot `slot`).

    The numbers are the narrated example's. `total` is set where a number shared by every
    example (a weight) meets a batch: what all the examples add through this use.
    """

    __slots__ = ("consumer", "slot", "upstream", "local", "contribution", "total", "running")

    def __init__(self, consumer, slot, upstream, local, contribution, total, running):
        self.consumer, self.slot = consumer, slot  # consumer: the tape Row of the op's output
        self.upstream, self.local = upstream, local  # ∂f/∂q and the local ∂q/∂x
        self.contribution, self.total = contribution, total  # their product; all examples'
        self.running = running  # the gradient so far, this use included

    @property
    def added(self):
        """What this use adds to the gradient: the product, or all the examples' sum."""
        return self.contribution if self.total is None else self.total


class Explanation:
    """Why one node has the gradient it has: its terms, the three forms, a reason when 0."""

    def __init__(self, story, index, name, grad, terms, why):
        self.story, self.index, self.name = story, index, name
        self.grad, self.terms, self.why = grad, terms, why

    @property
    def lang(self):
        """The language the sentence is said in: its story's."""
        return self.story.lang

    @property
    @spoken
    def symbolic(self):
        """The chain rule in symbols: ∂f/∂x = ∂f/∂q · ∂(x + y)/∂x (+ one product per use)."""
        story = self.story
        left = partial(story.root_name, self.name)
        if self.index == story.root_index:
            return f"{left} = 1"
        if not self.terms:
            return f"{left} = 0"
        return f"{left} = {' + '.join(self.products())}"

    @spoken
    def products(self):
        """One product per use: ∂f/∂q · ∂(q * z)/∂z (a weight in a batch: summed)."""
        story, out = self.story, []
        for t in self.terms:
            product = f"{partial(story.root_name, story.name(t.consumer))} · {story.factor(t)}"
            if t.total is not None:
                # TRANSLATORS: {product} is a chain-rule product such as ∂L/∂v2 · ∂(w * x)/∂w
                product = _("Σ over the {size} examples of {product}").format(
                    size=story.size, product=product
                )
                product = f"({product})" if len(self.terms) > 1 else product
            out.append(product)
        return out

    @property
    def substituted(self):
        """The same with numbers in: = -4 · 1 (+ ...); a sum over examples as its value."""
        if self.index == self.story.root_index or not self.terms:
            return ""
        num = self.story.num
        parts = [  # after a +, a negative number is bracketed too: 2 + (-1) · 3
            f"{(paren if k else str)(num(t.upstream))} · {paren(num(t.local))}"
            if t.total is None
            else paren(num(t.total))
            for k, t in enumerate(self.terms)
        ]
        text = "= " + " + ".join(parts)
        return "" if text == self.numeric else text

    @property
    def numeric(self):
        """The gradient itself: = -4."""
        return f"= {self.story.num(self.grad)}"

    @spoken
    def locals(self):
        """Each use's local factor with the op's rule and its number: ∂(q * z)/∂z = q = 3."""
        return [self.story.local_line(t) for t in self.terms]

    @spoken
    def shares(self):
        """For a weight met by a batch: what the narrated example adds, and what all add."""
        return [self.story.share_line(t) for t in self.terms if t.total is not None]

    @spoken
    def lines(self):
        """The sentence as lines of plain text: the rule, its numbers, the local factors."""
        out = [self.symbolic]
        if self.substituted:
            out.append(self.substituted)
        if self.terms:
            out.append(self.numeric)
        # TRANSLATORS: {line} is a local derivative with its rule and value: ∂(q * z)/∂z = q = 3
        out += [_("local {line}").format(line=line) for line in self.locals()] + self.shares()
        if self.why:
            out.append(bracketed(self.why))
        return out

    def text(self):
        """The sentence as one block of plain text."""
        return "\n".join(self.lines())

    @spoken
    def latex(self):
        """The sentence as one LaTeX formula (for a notebook's Markdown or a slide)."""
        story = self.story
        f, x = tex_term(story.root_name), tex_term(self.name)
        left = tex_partial(f, x)
        if self.index == story.root_index:
            return f"{left} = 1"
        if not self.terms:
            return f"{left} = 0"
        parts, values, rules = [], [], []
        num = story.num
        for k, t in enumerate(self.terms):
            q = t.consumer
            formula = story.formula(q)
            factor = story.tex_formula(q)
            factor = tex_partial(factor if term(formula) == formula else f"({factor})", x)
            product = f"{tex_partial(f, tex_term(story.name(q)))} \\cdot {factor}"
            if t.total is None:
                upstream = (paren if k else str)(num(t.upstream))
                values.append(f"{upstream} \\cdot {paren(num(t.local))}")
            else:
                # TRANSLATORS: under a Σ in LaTeX: the sum runs over the batch's examples
                over = _("examples")
                product = f"\\sum_{{\\text{{{over}}}}} {product}"
                values.append(paren(num(t.total)))
            parts.append(product)
            rules.append(f"{factor} = {story.tex_rule(t)}{num(t.local)}")
        chain = f"{left} = {' + '.join(parts)} = {' + '.join(values)} = {num(self.grad)}"
        # TRANSLATORS: in LaTeX, before the list of local derivatives: ∂(q * z)/∂z = q = 3, ...
        local = _("local: ")
        return f"{chain}, \\quad \\text{{{local}}} {', '.join(rules)}"


class Story:
    """The whole walk for one root: the forward lines, then one Explanation per backward step.

    Gradients are those of one fresh backward pass; the nodes' own `.grad` are left as found.
    A batch is told for one example (`example=`, 0 unless given): every number is that
    example's, except a weight's gradient, which sums over all of them (the sentence says so).
    Its mean is never told: a mean of products is not the product of means, so no chain-rule
    equation about the mean would be true as printed.
    """

    def __init__(self, root, precision=4, where="backprop_story", *, params=None, example=None):
        self.lang = current()  # every sentence of the story, now or later, is in this one
        self.precision = check_precision(precision, where)
        self.rows = read_tape(root, params, where)
        self.size = batch_size(row.node for row in self.rows)
        if self.size is not None and example is None:
            example = 0
        example = check_example(example, self.size, where)
        self.example = None if example is None else example % self.size
        self.names = unique_names(self.rows)
        self._positions = self._labelled = None  # indexes for `explanation`, made on first use
        self.root_index = len(self.rows) - 1
        self.root_name = self.names[-1]
        steps = fresh_steps(root, self.rows)
        self.grads = [step.grad for step in steps]  # as the engine holds them (batch: arrays)
        self.forward, self.backward = self.tell(steps)

    @spoken
    def tell(self, steps):
        """The forward lines, and the backward Explanations from the root down."""
        forward = [self.forward_line(row) for row in self.rows]
        uses = [[] for _ in self.rows]  # node -> (consumer index, slot), in backward order
        for row in reversed(self.rows):
            for k, j in enumerate(row.inputs):
                uses[j].append((row.index, k))
        backward = [self.explain(i, uses[i], steps) for i in reversed(range(len(self.rows)))]
        return forward, backward

    def num(self, x):
        """A number as the story prints it (of a batch: the narrated example's)."""
        return fmt(x, self.precision, self.example)

    def name(self, row):
        """What the story calls a node: `x`, `layer1.neuron3.w0`, `v29`."""
        return self.names[row.index]

    @spoken
    def describe(self, row):
        """A node's name, with where it sits when it has no label: `v11 (in layer1.neuron1)`."""
        if not row.node.label and row.node.scope:
            # TRANSLATORS: a node with no label of its own, and the scope it sits in
            return _("{name} (in {scope})").format(
                name=self.name(row), scope=visible(row.node.scope)
            )
        return self.name(row)

    @spoken
    def per_node(self):
        """∂f/∂(each node), in the story's notation (a phrase, not a name: always bracketed)."""
        # TRANSLATORS: the bottom of ∂f/∂(each node): "the gradient of f by each node"
        each = _("each node")
        return f"∂{term(self.root_name)}/∂({each})"

    @spoken
    def batch_note(self):
        """What the numbers of a batch's story are (empty for one example of its own)."""
        if self.size is None:
            return ""
        # TRANSLATORS: {option} is the keyword argument example= (code: keep it as it is)
        note = _(
            "A batch of {size} examples, told for example {example} ({option} picks another): "
            "every number is that example's, except a weight's gradient, which adds up all {size}."
        )
        return note.format(size=self.size, example=self.example, option="example=")

    def forward_line(self, row):
        """How `row`'s value is computed: `q = x + y = -2 + 5 = 3`, or `x = -2` for a leaf."""
        node, value = row.node, self.num(row.node.data)
        if node.op is None:
            return _(KINDS[row.role]).format(name=self.name(row), value=value)
        ins = [self.rows[j] for j in row.inputs]
        numbers = [self.num(inp.node.data) for inp in ins]
        if not isinstance(node.data, np.ndarray) and any(
            isinstance(inp.node.data, np.ndarray) for inp in ins
        ):  # a reduction: its value comes from every example, not from the one told
            line = _(
                "{name} = {formula} = {value}  (over all {size} examples; "
                "example {example}'s {input} is {number})"
            )
            return line.format(
                name=self.name(row), formula=self.formula(row), value=value, size=self.size,
                example=self.example, input=self.name(ins[0]), number=numbers[0],
            )  # fmt: skip
        substituted = expression(node.op, numbers, paren, lead=str)  # -2 + 5, 3 * (-4)
        return f"{self.name(row)} = {self.formula(row)} = {substituted} = {value}"

    def formula(self, row):
        """The op that made `row`, in its inputs' names: `x + y` (a leaf: its name)."""
        if row.node.op is None:
            return self.name(row)
        return expression(row.node.op, [self.names[j] for j in row.inputs])

    def tex_formula(self, row):
        """`formula` in LaTeX: `q \\cdot z`, `\\sigma(u)`."""
        names = [self.names[j] for j in row.inputs]
        return tex(expression(row.node.op, names, tex_term, tex_name))

    def factor(self, t):
        """The local factor of a use as a derivative: ∂(q * z)/∂z (never ∂f/∂z's symbol)."""
        return partial(self.formula(t.consumer), self.names[t.consumer.inputs[t.slot]])

    def rule(self, t, make=rule):
        """The op's rule for the local factor of use `t`, in this graph's names: `q`.
        (make: notation's `rule`, or `tex_rule` for LaTeX.)"""
        q = t.consumer
        batch = isinstance(self.rows[q.inputs[t.slot]].node.data, np.ndarray)
        count = self.size if batch else 1  # what a mean divides by: the examples it sees
        names = [self.names[j] for j in q.inputs]
        return make(q.node.op, t.slot, names, self.name(q), count)

    @spoken
    def local_line(self, t):
        """The local factor, the op's rule and its number: ∂(q * z)/∂z = q = 3."""
        said, value = self.rule(t), self.num(t.local)
        shown = f"{said} = {value}" if said != value else value
        if self.size is not None and isinstance(t.consumer.node.data, np.ndarray):
            # TRANSLATORS: a number of a batch, and the example it belongs to
            shown = _("{shown} (example {example})").format(shown=shown, example=self.example)
        return f"{self.factor(t)} = {shown}"

    @spoken
    def share_line(self, t):
        """A weight's use by a batch: `example 2 contributes 0 · 2 = 0; all 3 examples add 0.67`."""
        line = _(
            "example {example} contributes {upstream} · {local} = {contribution}; "
            "all {size} examples add {total}"
        )
        return line.format(
            example=self.example, upstream=self.num(t.upstream), local=paren(self.num(t.local)),
            contribution=self.num(t.contribution), size=self.size, total=self.num(t.total),
        )  # fmt: skip

    def tex_rule(self, t):
        """`rule` in LaTeX, followed by " = " (empty when the rule is its number already)."""
        said = self.rule(t, tex_rule)
        return "" if said == self.num(t.local) else f"{said} = "

    def explain(self, i, uses, steps):
        """The Explanation of node i from its uses (consumer, slot), engine's order."""
        row, grad = self.rows[i], pick(self.grads[i], self.example)
        shared = self.size is not None and not isinstance(row.node.data, np.ndarray)
        terms, running = [], 0.0
        for q, k in uses:
            step, c = steps[q], steps[q].contributions[k]
            total = float(np.sum(c)) if shared and isinstance(c, np.ndarray) else None
            upstream, local = pick(step.grad, self.example), pick(step.locals[k], self.example)
            contribution = pick(c, self.example)
            running = running + (contribution if total is None else total)  # the engine's order
            terms.append(Term(self.rows[q], k, upstream, local, contribution, total, running))
        why = ""
        if i == self.root_index:
            why = _("backprop starts here: the output changes one for one with itself")
        elif not math.isfinite(grad):
            why = self.nonfinite_reason(terms)
        elif grad == 0.0:
            why = self.zero_reason(row, terms)
        elif abs(grad) <= ROUNDING * max(abs(t.added) for t in terms):
            why = _("the contributions cancel: this is 0 up to floating-point rounding")
        return Explanation(self, i, self.name(row), grad, terms, why)

    def zero_reason(self, row, terms):
        """Why a gradient is exactly 0: each use passes nothing back, or the uses cancel."""
        if not terms:
            return no_path(self.root_name, self.name(row))
        if any(t.added != 0.0 for t in terms):
            return _("the contributions of its uses cancel out")
        reasons = []
        for t in terms:
            reason = self.dead_use(t)
            if reason not in reasons:
                reasons.append(reason)
        # TRANSLATORS: between two reasons (or two formulas) in one sentence
        return _("; ").join(reasons)

    def dead_use(self, t):
        """Why one use contributes 0: the op's local derivative is 0, or ∂f/∂q is already 0."""
        q = t.consumer
        if t.total is not None and t.contribution != 0.0:
            return _("the {size} examples' contributions through {name} cancel out").format(
                size=self.size, name=self.name(q)
            )
        if t.local != 0.0:
            return _("{partial} is already 0").format(partial=partial(self.root_name, self.name(q)))
        op, inputs = q.node.op, q.node.inputs
        if op.name == "relu":
            return _("ReLU inactive: its input {value} is <= 0, so it passes 0 back").format(
                value=self.num(inputs[0].data)
            )
        if op.name == "step":
            return _("the step function is flat: its derivative is 0 everywhere")
        if op.name in ("max", "min"):
            # TRANSLATORS: {op} is max or min
            return _("{op} picked its other input, so this one gets no gradient").format(op=op.name)
        if op.name == "mul":
            return _("the other factor {name} is 0").format(name=self.names[q.inputs[1 - t.slot]])
        return _("the local derivative {factor} is 0").format(factor=self.factor(t))

    def nonfinite_reason(self, terms):
        """Why a gradient is nan or infinite: which factor or sum first left the numbers."""
        for t in terms:
            q = t.consumer
            if not math.isfinite(t.upstream):
                upstream = partial(self.root_name, self.name(q))
                # TRANSLATORS: {value} is nan, inf or -inf
                return _("{partial} is already {value}: it passes that on").format(
                    partial=upstream, value=self.num(t.upstream)
                )
            if not math.isfinite(t.local):
                return _("the local derivative {factor} is {value} here").format(
                    factor=self.factor(t), value=self.num(t.local)
                )
            if not math.isfinite(t.added):
                return _("a product too large for a float: it overflows to infinity")
        return _("its uses add +inf and -inf, which has no value (nan)")

    def explanation(self, node, where="narrate"):
        """The Explanation for `node` (a Value or a label); one outside the graph has no path."""
        if isinstance(node, str):
            index = self.labelled().get(node)
            if index is None:  # unknown or repeated: locate's error names the ones that work
                index = locate(self.rows, node, where)
            return self.backward[self.root_index - index]  # backward runs from the root
        index = self.positions().get(id(node))
        if index is not None and self.rows[index].node is node:
            return self.backward[self.root_index - index]
        with language(self.lang):
            name = visible(getattr(node, "label", "")) or _("this value")
            why = no_path(self.root_name, name)
        return Explanation(self, -1, name, 0.0, [], why)

    def positions(self):
        """Each node's tape position, by id(node): built once, so explaining every node of a
        big graph takes linear time, not quadratic."""
        if self._positions is None:
            self._positions = {id(row.node): row.index for row in self.rows}
        return self._positions

    def labelled(self):
        """The position of each label (and scoped label) that names exactly one node."""
        if self._labelled is None:
            found = {}  # name -> its node's position, or -1 where two nodes share it
            for row in self.rows:
                for name in (row.node.label, full_name(row)):
                    if name and found.setdefault(name, row.index) != row.index:
                        found[name] = -1
            self._labelled = {name: i for name, i in found.items() if i >= 0}
        return self._labelled


def no_path(root, name):
    """Why a node's gradient is 0 when the root never uses it."""
    return _("no path: {root} does not depend on {name}").format(root=root, name=name)


def bracketed(why):
    """A reason as a note after the sentence: `(no path: ...)`."""
    # TRANSLATORS: a reason set apart after the sentence (Chinese: full-width brackets)
    return _("({why})").format(why=why)


def fresh_steps(root, rows):
    """The backward Steps by tape position, from one fresh pass; `.grad` restored afterwards."""
    saved = [row.node.grad for row in rows]
    try:
        by_node = {id(step.node): step for step in backward_steps(root)}
    finally:
        for row, old in zip(rows, saved):
            row.node.grad = old
    return [by_node[id(row.node)] for row in rows]


def expression(op, args, operand=term, inner=str, lead=None):
    """An op applied to its arguments as the graph writes it: `x + y`, `σ(u)`, `x**2`.

    operand: how an argument of +, *, ** or - stands (`term` for names, `paren` for
    numbers); inner: how one stands inside a function's brackets; lead: the first argument
    of an infix op (default: as `operand`).
    """
    if len(args) == 2:
        if op.symbol in INFIX:
            return f"{(lead or operand)(args[0])} {op.symbol} {operand(args[1])}"
        return f"{op.symbol}({inner(args[0])}, {inner(args[1])})"
    if op.name == "pow":
        return f"{operand(args[0])}**{op.param:g}"
    if op.name == "neg":
        return f"-{operand(args[0])}"
    if op.param is not None:
        return f"{op.symbol}({inner(args[0])}, {op.param:g})"
    return f"{op.symbol}({inner(args[0])})"


def paren(text):
    """A negative number in brackets, so `3 · (-4)` never reads as a subtraction."""
    return f"({text})" if text.startswith("-") else text


def backprop_story(root, precision=4, *, params=None, example=None, lang=None):
    """The forward lines and backward Explanations for every node under `root`.

    lang: "en" or "zh-CN" (None: the current language); the story keeps it.
    """
    lang = resolve(lang, where="backprop_story")
    with language(lang):
        return Story(root, precision, params=params, example=example)


def narrate(root, node, precision=4, *, params=None, example=None, lang=None):
    """The chain-rule Explanation of ∂(root)/∂(node): `.text()`, `.latex()`, `.why`.

    node: a Value, or a label as `find_paths` takes one ("w1_00", "layer1.neuron3.w0").
    example: for a batch, which example to tell (its mean gives no true equation).
    lang: "en" or "zh-CN" (None: the current language); the Explanation keeps it.
    """
    lang = resolve(lang, where="narrate")
    with language(lang):
        story = Story(root, precision, "narrate", params=params, example=example)
        return story.explanation(node)
