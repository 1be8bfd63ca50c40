"""Misconceptions: which known mistake explains a student's wrong answer to a quiz question.

A live class asks everyone ∂f/∂x (or x's value) and gets back one number per student. A wrong
number is often a known slip, and each slip leaves a number of its own behind: the sign
flipped gives -∂f/∂x, a forgotten fan-out sum gives one use's contribution, and so on. Every
such number comes from the narration's records of one backward pass (viz.narrate.Story,
which reads autograd.backward_steps and the op table's local derivatives); nothing here
knows a derivative. An answer is checked against them in the order of KINDS, with the
player's quiz tolerance (`matches`), and the first that fits names the mistake:

    right       the answer is the gradient (or value) asked for
    sign        -(the right answer)
    fan-out     a node used more than once: one use's contribution (∂f/∂q · ∂q/∂x for one q)
    local       the local derivative ∂q/∂x on one edge, not times the upstream gradient ∂f/∂q
    value       the node's value, not its gradient
    multiplied  the fan-out contributions multiplied, not added (a value question: an add
                node's inputs multiplied)
    added       a value question: a mul node's inputs added
    other       none of these

One number can fit two kinds (a use whose upstream gradient is 1 contributes exactly its local
derivative); the order decides, and the earlier kind is the more specific diagnosis.

    question = Question(f, x)            # once per question: the numbers each slip gives
    verdict = question.classify(4.0)     # per answer: Verdict(kind='sign', ...)
    verdict.label(), verdict.hint()      # for the teacher, for the student (lang= or current)
"""

import math
import numbers

from autograd import Value

from .format import fmt, pick, visible
from .i18n import N_, _, language, pgettext, resolve
from .narrate import Story, paren
from .notation import partial
from .tape import locate

KINDS = ("right", "sign", "fan-out", "local", "value", "multiplied", "added", "other")
WHATS = ("grad", "value")  # what a question asks about its node

# What a student reads after the reveal, by (what was asked, kind): the numbers of their slip.
HINTS = {
    ("grad", "right"): N_("Right: {partial} = {right}."),
    ("grad", "sign"): N_(
        "Check the sign: {answer} is {partial} with its sign flipped. Count the minus signs "
        "on the way back from {root}."
    ),
    ("grad", "fan-out"): N_(
        "{name} is used {uses} times, and its gradient adds one contribution per use "
        "(fan-out): {answer} is only the one through {via}."
    ),
    ("grad", "local"): N_(
        "{answer} is the local derivative {local} on the edge into {via}, not the whole "
        "gradient: the chain rule multiplies it by the upstream gradient "
        "{upstream} = {upstream_value}."
    ),
    ("grad", "value"): N_(
        "{answer} is the value of {name}, not its gradient: {partial} says how fast {root} "
        "changes when {name} moves."
    ),
    ("grad", "multiplied"): N_(
        "The contributions of {name}'s {uses} uses add up: {answer} is their product "
        "{product}, not their sum {total}."
    ),
    ("grad", "other"): N_(
        "Go back along each path from {root} to {name}: multiply the local derivatives on it, "
        "then add one product per use."
    ),
    ("value", "right"): N_("Right: {name} = {right}."),
    ("value", "sign"): N_("Check the sign: {answer} is the value of {name} with its sign flipped."),
    ("value", "multiplied"): N_(
        "{name} adds its inputs, {total}: {answer} is their product {product} instead."
    ),
    ("value", "added"): N_(
        "{name} multiplies its inputs, {product}: {answer} is their sum {total} instead."
    ),
    ("value", "other"): N_(
        "Work {name} out as the forward pass does: from its inputs, one op at a time."
    ),
}


def labels():
    """What the teacher's tally calls each kind, in the current language."""
    return {
        "right": pgettext("misconception", "right"),
        "sign": pgettext("misconception", "sign flipped"),
        "fan-out": pgettext("misconception", "fan-out sum forgotten"),
        "local": pgettext("misconception", "local derivative, not the total"),
        "value": pgettext("misconception", "value, not the gradient"),
        "multiplied": pgettext("misconception", "multiplied where the rule adds"),
        "added": pgettext("misconception", "added where the rule multiplies"),
        "other": pgettext("misconception", "other mistake"),
    }


def matches(value, exact):
    """Whether `value` counts as `exact`, as the player's quiz judges (viz/player.js, matches):
    1% slack (a page shows about 4 digits, so 0.33 is 1/3); nan and ±inf only as themselves."""
    if math.isnan(exact):
        return math.isnan(value)
    if math.isinf(exact):
        return value == exact
    return abs(value - exact) <= 1e-9 + 1e-2 * abs(exact)


class Verdict:
    """One answer's diagnosis: its kind, the right number, and the number the slip gives.

    fits: the number that matched (the right one for "right"; None for "other"); via: the
    narration's Term of the use it came through (fan-out, local: its consumer, upstream
    gradient, local derivative); terms: the contributions that were multiplied, or for a
    value question the node's two inputs.
    """

    __slots__ = ("question", "kind", "answer", "fits", "via", "terms")

    def __init__(self, question, kind, answer, fits=None, via=None, terms=()):
        self.question, self.kind, self.answer = question, kind, answer
        self.fits, self.via, self.terms = fits, via, tuple(terms)

    @property
    def right(self):
        """The right answer to the question."""
        return self.question.right

    def label(self, lang=None):
        """The kind as the teacher's tally says it: `sign flipped`."""
        with language(resolve(lang, where="Verdict.label")):
            return labels()[self.kind]

    def hint(self, lang=None):
        """What the student reads: the slip and the numbers that show it."""
        q = self.question
        with language(resolve(lang, where="Verdict.hint")):
            num = q.story.num
            words = {
                "answer": num(self.answer), "right": num(q.right), "name": q.name,
                "root": q.story.root_name, "partial": partial(q.story.root_name, q.name),
                "uses": len(q.terms),
                "product": " · ".join(paren(num(t)) for t in self.terms),
                "total": " + ".join(paren(num(t)) for t in self.terms),
            }  # fmt: skip
            if self.via is not None:
                t = self.via
                via = q.story.name(t.consumer)
                words |= {
                    "via": via, "local": partial(via, q.name),
                    "upstream": partial(q.story.root_name, via), "upstream_value": num(t.upstream),
                }  # fmt: skip
            return _(HINTS[q.what, self.kind]).format(**words)

    def __repr__(self):
        fits = "" if self.fits is None else f", fits={fmt(self.fits)}"
        return f"Verdict({self.kind!r}, answer={fmt(self.answer)}, right={fmt(self.right)}{fits})"


class Question:
    """One question to the room about `node` under `root`: its gradient ∂root/∂node
    (what="grad") or its value (what="value"), and the number each known slip gives.

    Made once per question (it runs one fresh backward pass; `.grad` is left as found), then
    `classify` is a few comparisons per answer. node: a Value in the graph, or a label or id
    as `narrate` takes one. example: for a batch, which example is asked (default 0).
    """

    def __init__(self, root, node, what="grad", *, example=None, where="Question"):
        if what not in WHATS:
            allowed = ", ".join(map(repr, WHATS))
            raise ValueError(f"{where}: what={what!r}; choose one of {allowed}")
        if type(node) is not Value and not isinstance(node, str):
            raise TypeError(
                f"{where}: node must be a Value in the graph or its label, "
                f"got {type(node).__name__} {node!r}"
            )
        self.story = Story(root, where=where, example=example)
        index = locate(self.story.rows, node, where)  # a ValueError for a node not under root
        self.what, self.row = what, self.story.rows[index]
        explanation = self.story.backward[self.story.root_index - index]
        self.name, self.terms = explanation.name, explanation.terms  # one Term per use
        self.value = pick(self.row.node.data, self.story.example)
        self.right = explanation.grad if what == "grad" else self.value
        self.slips = self.grad_slips() if what == "grad" else self.value_slips()

    def grad_slips(self):
        """(kind, number, via, terms) for each slip of a gradient question, in KINDS' order."""
        terms = self.terms
        slips = [("sign", -self.right, None, ())]
        if len(terms) > 1:
            slips += [("fan-out", t.added, t, ()) for t in terms]
        slips += [("local", t.local, t, ()) for t in terms]
        slips.append(("value", self.value, None, ()))
        if len(terms) > 1:
            added = [t.added for t in terms]
            slips.append(("multiplied", math.prod(added), None, added))
        return slips

    def value_slips(self):
        """The slips of a value question: the sign, and + and * swapped at this node's op."""
        slips = [("sign", -self.value, None, ())]
        node, example = self.row.node, self.story.example
        if node.op is not None and node.op.name in ("add", "mul"):
            a, b = (pick(i.data, example) for i in node.inputs)
            if node.op.name == "add":
                slips.append(("multiplied", a * b, None, (a, b)))
            else:
                slips.append(("added", a + b, None, (a, b)))
        return slips

    def classify(self, answer, where="classify"):
        """The Verdict on `answer` (a float, as viz.format.read_number reads what was typed)."""
        answer = checked(answer, where)
        if matches(answer, self.right):
            return Verdict(self, "right", answer, self.right)
        for kind, number, via, terms in self.slips:
            if matches(answer, number):
                return Verdict(self, kind, answer, number, via, terms)
        return Verdict(self, "other", answer)

    def __repr__(self):
        return f"Question({self.what} of {visible(self.name)}, right={fmt(self.right)})"


def checked(answer, where):
    """`answer` as a float: a real number that is not nan, else a TypeError or ValueError."""
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        raise TypeError(
            f"{where}: answer must be a number, got {type(answer).__name__} {answer!r} "
            "(read what a student typed with viz.format.read_number)"
        )
    answer = float(answer)
    if math.isnan(answer):
        raise ValueError(f"{where}: answer=nan is not an answer to compare (expected a number)")
    return answer


def classify(root, node, answer, *, what="grad", example=None):
    """Whether `answer` to a question about `node` is right, and if not, which slip gives it.

    what: "grad" (∂root/∂node) or "value" (node's value). For many answers to one question,
    make a Question once and call its classify.
    """
    checked(answer, "classify")  # before the backward pass: bad input changes nothing
    return Question(root, node, what, example=example, where="classify").classify(answer)
