"""Worksheets: backprop exercises to do on paper, each student's numbers their own, and one
answer key for the teacher (`chainrule worksheet`, demos/cmd_worksheet.py).

An exercise is a small graph of one of four levels, drawn with its values and an empty grad
field in every box (viz.draw_dot's show="blank"). Its numbers come from a seed and are drawn
again until the arithmetic can be done by hand: whatever a student reads off the boxes and
works through with the sheet's rules lands within the stated tolerance of the engine's own
gradients, which the key holds (key.json for `chainrule check`, key.html for people).

Files, under --out: S01.html... (one sheet a student, one exercise a page), sheets.html (all
of them, to print at once), key.html, key.json, and a PDF of each HTML where Chromium is.
"""

import hashlib
import html
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import viz
from autograd import Value, scope, topological_order
from viz.format import fmt, visible
from viz.i18n import N_, _, language, ngettext, resolve
from viz.notation import partial
from viz.render import write_atomic

FORMAT, VERSION = "chainrule-worksheet-key", 1
TOLERANCE = 0.01  # absolute, as key.json says; the sheet says it as "to 2 decimal places"
PLACES = 2
PRECISION = 3  # significant digits in the boxes: 19.5, -0.75 and 0.69 show as they are
HAND = 0.004  # how far a student's unrounded result may be from the engine's (rounding adds 0.005)
LIMIT = 20  # no value or answer beyond ±20
MAX_COUNT = 20  # exercises a sheet, one a page
TRIES = 5000  # draws of numbers for one exercise; every level finds one in a few dozen
PAPERS = {"a4": ("A4", "210mm"), "letter": ("letter", "8.5in")}  # @page size, page width
SCALE = 1.3  # the graph printed at most this much larger than Graphviz's points (11 pt: 14)
MM = 72 / 25.4  # points in a millimetre

TOPICS = {
    1: N_("a product of two sums"),
    2: N_("a value used twice (fan-out)"),
    3: N_("a neuron with Sigmoid or tanh"),
    4: N_("a 2-2-1 network and one SGD step"),
}


def named(value, label):
    """`value`, labelled (so its box has a name and a question can ask for it)."""
    value.label = label
    return value


class Form:
    """One kind of exercise: the expression (as `chainrule draw` reads it), the lines the
    sheet shows, how to build its graph (build(leaf): leaf("x") is the leaf x, made where it
    is first asked for, so inside a scope for a leaf that belongs to a neuron) and whose
    gradients it asks for."""

    def __init__(self, expression, lines, build, asked=(), activation=None):
        self.expression, self.lines, self.build, self.asked = expression, lines, build, asked
        self.activation = activation  # levels 3 and 4: "sigmoid" or "tanh"


class Exercise:
    """One exercise: its graph, the values of its leaves, and what it asks with the answers."""

    def __init__(self, form, at, params=(), asked=None, update=None, rate=None):
        self.form, self.at = form, at  # at: {leaf: number}, in the order the sheet lists them
        leaves = {}

        def leaf(name):
            if name not in leaves:
                leaves[name] = Value(float(at[name]), name)
            return leaves[name]

        self.root = form.build(leaf)
        self.params = [leaves[p] for p in params]
        self.rate = rate  # the learning rate of level 4's SGD step
        self.root.backward()
        nodes = {n.label: n for n in topological_order(self.root) if n.label}
        hand = by_hand(self.root)
        top = self.root.label
        # (asks, the engine's answer, a student's from the boxes), one per question
        self.questions = [(partial(top, n), nodes[n].grad, hand[nodes[n]]) for n in asked]
        if update:  # w - η·∂L/∂w, the weight after one step of SGD
            w = nodes[update]
            asks = f"{update} − {fmt(rate)}·{partial(top, update)}"
            self.questions.append((asks, w.data - rate * w.grad, w.data - rate * hand[w]))

    @property
    def signature(self):
        """What makes two exercises the same one."""
        return self.form.expression, tuple(self.at.items())

    def hand_computable(self, level):
        """Whether a student can do it on paper: values and answers within ±LIMIT, none of the
        answers 0; levels 1-2 need nothing but integers and one decimal place, levels 3-4
        give a result from the numbers the boxes show within HAND of the engine's."""
        nodes = topological_order(self.root)
        answers = [answer for _asks, answer, _hand in self.questions]
        if any(abs(n.data) > LIMIT for n in nodes) or any(not 0 < abs(a) <= LIMIT for a in answers):
            return False
        if level <= 2:
            return all(tenths(x) for x in [n.data for n in nodes] + answers)
        return all(abs(answer - hand) < HAND for _asks, answer, hand in self.questions)


def tenths(x):
    """Whether `x` is an integer or has one decimal place (0.1 + 0.2 counts as 0.3)."""
    return abs(x * 10 - round(x * 10)) < 1e-9


def number(x):
    """A value as key.json writes it: an integer as an integer, else its one-decimal float."""
    return int(x) if float(x).is_integer() else round(x, 1)


# The rules a student applies, by op: a, b the inputs, y the output, p the op's parameter
# (2 for x**2), each as the student has it. The activations' are the sheet's table.
BY_HAND = {
    "add": lambda a, b, y, p: (1.0, 1.0),
    "sub": lambda a, b, y, p: (1.0, -1.0),
    "mul": lambda a, b, y, p: (b, a),
    "pow": lambda a, b, y, p: (p * a ** (p - 1),),
    "sigmoid": lambda a, b, y, p: (y * (1.0 - y),),
    "tanh": lambda a, b, y, p: (1.0 - y * y,),
}
READ_OFF = ("sigmoid", "tanh")  # values a student reads off their box instead of working out


def by_hand(root):
    """Every node's gradient as a student works it out on paper: exact sums and products of
    the given values, but each σ or tanh as its box shows it (σ(1.1) = 0.7503 shows 0.75),
    then BY_HAND's rules backwards."""
    order = topological_order(root)
    value = {}
    for node in order:
        ins = [value[each] for each in node.inputs]
        if node.op is None:
            value[node] = node.data
        elif node.op.name in READ_OFF:
            value[node] = float(fmt(node.data, PRECISION))
        elif node.op.arity == 2:
            value[node] = node.op.forward(*ins)
        else:
            value[node] = node.op.forward(ins[0], node.op.param)
    grads = dict.fromkeys(order, 0.0)
    grads[root] = 1.0
    for node in reversed(order):
        if node.op is None:
            continue
        ins = node.inputs
        b = value[ins[1]] if len(ins) > 1 else None
        local = BY_HAND[node.op.name](value[ins[0]], b, value[node], node.op.param)
        for each, d in zip(ins, local):
            grads[each] += grads[node] * d
    return grads


# Level 1: a product of two sums. Level 2: a leaf used twice, so its gradient is a sum.
SUMS = (
    Form("(x + y) * z", ["f = (x + y)·z"],
         lambda v: named(named(v("x") + v("y"), "q") * v("z"), "f"), ("x", "y", "z")),
    Form("(x - y) * z", ["f = (x − y)·z"],
         lambda v: named(named(v("x") - v("y"), "q") * v("z"), "f"), ("x", "y", "z")),
    Form("(x + y) * (z + w)", ["f = (x + y)·(z + w)"],
         lambda v: named(named(v("x") + v("y"), "q") * named(v("z") + v("w"), "r"), "f"),
         ("q", "x", "w")),
    Form("(x - y) * (z + w)", ["f = (x − y)·(z + w)"],
         lambda v: named(named(v("x") - v("y"), "q") * named(v("z") + v("w"), "r"), "f"),
         ("q", "y", "z")),
)  # fmt: skip
FAN_OUT = (
    Form("(a + b) * a", ["f = (a + b)·a"],
         lambda v: named(named(v("a") + v("b"), "s") * v("a"), "f"), ("s", "a", "b")),
    Form("x * y + x * z", ["f = x·y + x·z"],
         lambda v: named(named(v("x") * v("y"), "p") + named(v("x") * v("z"), "r"), "f"),
         ("x", "y", "z")),
    Form("(x + y) * (x - z)", ["f = (x + y)·(x − z)"],
         lambda v: named(named(v("x") + v("y"), "q") * named(v("x") - v("z"), "r"), "f"),
         ("x", "y", "z")),
    Form("x * y * (x + y)", ["f = x·y·(x + y)"],
         lambda v: named(named(v("x") * v("y"), "p") * named(v("x") + v("y"), "s"), "f"),
         ("p", "x", "y")),
)  # fmt: skip
WHOLE = [k for k in range(-6, 7) if k]  # small integers, 0 left out (it hides a term)
HALVES = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]


def product_of_sums(rng, n, start):
    """Level 1: f = (x ± y)·z or (x ± y)·(z + w), whole numbers (z sometimes a half)."""
    form = SUMS[(start + n) % len(SUMS)]
    names = re.findall(r"\b[a-z]\b", form.expression)
    at = {name: rng.choice(WHOLE) for name in dict.fromkeys(names)}
    if len(at) == 3 and rng.random() < 0.3:  # one decimal: the lone factor z, times a whole q
        at["z"] = rng.choice(HALVES)
    return Exercise(form, at, asked=form.asked)


def fan_out(rng, n, start):
    """Level 2: a leaf used twice, whole numbers from -5 to 5."""
    form = FAN_OUT[(start + n) % len(FAN_OUT)]
    names = dict.fromkeys(re.findall(r"\b[a-z]\b", form.expression))
    return Exercise(form, {name: rng.choice(WHOLE[1:-1]) for name in names}, asked=form.asked)


ACTIVATIONS = {"sigmoid": ("σ", Value.sigmoid), "tanh": ("tanh", Value.tanh)}


def easy_inputs(activation):
    """The inputs u (one decimal, |u| <= 1.5: not where it saturates) at which the activation's
    value shows as two decimals in a box: σ(1.1) = 0.7503 shows 0.75, tanh(0.4) = 0.3799 0.38."""
    found = []
    for k in range(-15, 16):
        shown = fmt(ACTIVATIONS[activation][1](Value(k / 10)).data, PRECISION)
        if len(shown.partition(".")[2]) <= 2 and "e" not in shown:
            found.append(round(k / 10, 1))
    return found


EASY = {name: easy_inputs(name) for name in ACTIVATIONS}


def factor_pair(rng, whole, half=0.25):
    """A weight and its input: whole numbers, or (sometimes) one of them a half, never both,
    so their product keeps one decimal place."""
    w, x = rng.choice(whole), rng.choice(whole)
    if rng.random() < half:
        if rng.random() < 0.5:
            w = rng.choice(HALVES)
        else:
            x = rng.choice(HALVES)
    return w, x


def bias_for(rng, activation, *pairs):
    """A bias (one decimal) that brings w·x + ... + b to an input the activation is easy at."""
    return round(rng.choice(EASY[activation]) - sum(w * x for w, x in pairs), 1)


def neuron_form(activation):
    """Level 3's form: y = act(w1·x1 + w2·x2 + b)."""
    symbol, act = ACTIVATIONS[activation]

    def build(v):
        u = named(v("w1") * v("x1") + v("w2") * v("x2") + v("b"), "u")
        return named(act(u), "y")

    expression = f"{activation}(w1*x1 + w2*x2 + b)"
    return Form(expression, [f"y = {symbol}(w1·x1 + w2·x2 + b)"], build, activation=activation)


NEURONS = tuple(neuron_form(a) for a in ACTIVATIONS)


def neuron(rng, n, start):
    """Level 3: one neuron; asks ∂y/∂u (the rule looked up), one weight's and one input's."""
    form = NEURONS[(start + n) % len(NEURONS)]
    whole = [-3, -2, -1, 1, 2, 3]
    (w1, x1), (w2, x2) = factor_pair(rng, whole), factor_pair(rng, whole)
    b = bias_for(rng, form.activation, (w1, x1), (w2, x2))
    if abs(b) > 4:
        return None
    at = {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}
    asked = ("u", f"w{rng.choice('12')}", f"x{rng.choice('12')}")
    return Exercise(form, {k: number(v) for k, v in at.items()}, ("w1", "w2", "b"), asked)


def network_form(activation):
    """Level 4's form: a 2-2-1 network, hidden h = act(u), y = v1·h1 + v2·h2 + c, L = (y − t)².

    Each neuron, and the loss, is a scope holding its own weights (and the target), so the
    drawing folds it into one box: the network as a teacher draws it, which fits a page."""
    symbol, act = ACTIVATIONS[activation]

    def build(v):
        x = v("x1"), v("x2")  # first: the inputs belong to no neuron
        h = []
        for j in "12":
            with scope(f"h{j}"):
                u = named(v(f"w{j}1") * x[0] + v(f"w{j}2") * x[1] + v(f"b{j}"), f"u{j}")
                h.append(named(act(u), f"h{j}"))
        with scope("y"):
            y = named(v("v1") * h[0] + v("v2") * h[1] + v("c"), "y")
        with scope("L"):
            return named((y - v("t")) ** 2, "L")

    hidden = [f"u{j} = w{j}1·x1 + w{j}2·x2 + b{j},   h{j} = {symbol}(u{j})" for j in "12"]
    expression = " + ".join(f"v{j}*{activation}(w{j}1*x1 + w{j}2*x2 + b{j})" for j in "12")
    lines = [*hidden, "y = v1·h1 + v2·h2 + c", "L = (y − t)²"]
    return Form(f"({expression} + c - t)**2", lines, build, activation=activation)


NETWORKS = tuple(network_form(a) for a in ACTIVATIONS)
RATES = (0.1, 0.5)


def network(rng, n, start):
    """Level 4: asks ∂L/∂v (output layer), ∂L/∂w (hidden layer) and that w after one SGD step."""
    form = NETWORKS[(start + n) % len(NETWORKS)]
    small = [-2, -1, 1, 2]
    x1, x2 = rng.choice(small), rng.choice(small)
    at = {"x1": x1, "x2": x2}
    for j in "12":  # whole inputs, so a weight may be a half
        w1, w2 = rng.choice([*small, -0.5, 0.5]), rng.choice([*small, -0.5, 0.5])
        b = bias_for(rng, form.activation, (w1, x1), (w2, x2))
        at.update({f"w{j}1": w1, f"w{j}2": w2, f"b{j}": b})
    at.update(v1=rng.choice(small), v2=rng.choice(small))
    at.update(c=rng.choice([-1, -0.5, 0, 0.5, 1]), t=rng.choice([-1, 0, 1, 2]))
    if any(abs(at[f"b{j}"]) > 4 for j in "12"):
        return None
    j, k = rng.choice("12"), rng.choice("12")
    rate = rng.choice(RATES)
    weight = f"w{k}{rng.choice('12')}"
    at = {key: number(v) for key, v in at.items()}
    params = [name for name in at if name[0] in "wbvc"]
    return Exercise(form, at, params, (f"v{j}", weight), update=weight, rate=rate)


LEVELS = {1: product_of_sums, 2: fan_out, 3: neuron, 4: network}


def exercises(level, count, seed):
    """`count` different exercises of `level`, drawn from `seed` (the same seed, the same ones)."""
    rng = random.Random(seed)
    make = LEVELS[level]
    start = rng.randrange(12)  # which form comes first; then they take turns
    chosen, seen = [], set()
    for n in range(count):
        for _try in range(TRIES):
            found = make(rng, n, start)
            if found and found.signature not in seen and found.hand_computable(level):
                break
        else:  # never met: each level finds one in well under TRIES draws
            raise RuntimeError(f"worksheet: no hand-computable level {level} exercise found")
        chosen.append(found)
        seen.add(found.signature)
    return chosen


class Sheet:
    """One printed sheet: its id (S01...), its student (None: the whole class), seed, exercises."""

    def __init__(self, sheet, student, seed, items):
        self.sheet, self.student, self.seed, self.exercises = sheet, student, seed, items

    @property
    def signature(self):
        return tuple(e.signature for e in self.exercises)


def student_seed(seed, name, k=0):
    """A student's own seed: the first 4 bytes of SHA-256 of "SEED\\nNAME\\nK" (the name in
    NFC; K is 0 unless that sheet would repeat an earlier one). It depends on the name, not on
    where it stands, so a student keeps their sheet when the list is sorted or grows."""
    text = f"{seed}\n{unicodedata.normalize('NFC', name)}\n{k}"
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:4], "big")


def make_sheets(level, count, seed, students=None):
    """The sheets: one (S01, seed `seed`) for the whole class, or one per student, each its own."""
    if not students:
        return [Sheet("S01", None, seed, exercises(level, count, seed))]
    sheets, seen = [], set()
    for position, name in enumerate(students, 1):
        for k in range(TRIES):  # a repeat is rare; a name given twice meets one at once
            own = student_seed(seed, name, k)
            sheet = Sheet(f"S{position:02d}", name, own, exercises(level, count, own))
            if sheet.signature not in seen:
                break
        seen.add(sheet.signature)
        sheets.append(sheet)
    return sheets


def question_id(n, k):
    """The label of question k (0, 1, ...) of exercise n (1, 2, ...): 1a, 1b, 2a."""
    return f"{n}{chr(ord('a') + k)}"


def key_document(sheets, level, count, seed):
    """The answer key as key.json holds it (the format `chainrule check` reads)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "seed": seed,
        "level": level,
        "count": count,
        "tolerance": TOLERANCE,
        "sheets": [
            {
                "sheet": s.sheet,
                "student": s.student,
                "seed": s.seed,
                "exercises": [
                    {
                        "exercise": n,
                        "expression": e.form.expression,
                        "at": e.at,
                        "questions": [
                            {"id": question_id(n, k), "asks": asks, "answer": answer}
                            for k, (asks, answer, _hand) in enumerate(e.questions)
                        ],
                    }
                    for n, e in enumerate(s.exercises, 1)
                ],
            }
            for s in sheets
        ],
    }


# The printed page. One exercise a page; sizes in print units so the sheet reads on paper.
STYLE = """\
@page { size: %(size)s; margin: 14mm 15mm; }
* { box-sizing: border-box; }
html { font-family: Helvetica, Arial, "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC",
  sans-serif; font-size: 12.5pt; color: #111; line-height: 1.35; }
body { margin: 0; }
.page { break-after: page; }
.page:last-child { break-after: auto; }
.who { display: flex; justify-content: space-between; gap: 6mm; font-size: 11.5pt;
  border-bottom: 1px solid #888; padding-bottom: 2mm; }
.who > span { white-space: nowrap; }
.blank { display: inline-block; min-width: 40mm; border-bottom: 1px solid #111; }
.who b { font-weight: normal; border-bottom: 1px solid #111; padding: 0 2mm; }
h1 { font-size: 17pt; margin: 4mm 0 1mm; }
h1 small { font-size: 12pt; font-weight: normal; color: #444; }
h2 { font-size: 13pt; margin: 4mm 0 2mm; }
p { margin: 1.5mm 0; }
.formula { font-size: 16pt; margin: 3mm 0 1mm; }
.formula span { display: block; }
.at { font-size: 13pt; color: #333; }
figure { margin: 3mm 0; text-align: center; }
figure svg { max-width: 100%%; height: auto; }
.work.side { display: grid; grid-template-columns: auto 1fr; gap: 7mm; align-items: start; }
.work.side figure { margin: 0; }
.rules { display: flex; flex-wrap: wrap; gap: 2mm 3mm; align-items: center; margin: 2mm 0;
  font-size: 12.5pt; }
.rule { border: 1px solid #999; border-radius: 1.5mm; padding: 1mm 3mm; white-space: nowrap; }
.side .rules { font-size: 11.5pt; }
.rule small { font-size: 10.5pt; color: #444; }
.answers { display: flex; flex-wrap: wrap; gap: 5mm 10mm; margin-top: 2mm; }
.answer { display: flex; align-items: center; gap: 2.5mm; font-size: 14pt; }
.answer .q { white-space: nowrap; }
.side .answers { flex-direction: column; gap: 4mm; }
.side .answer { flex-direction: column; align-items: flex-start; gap: 1.5mm; }
.answer .box { display: inline-block; width: 32mm; height: 12mm; border: 1.5px solid #111;
  border-radius: 1.5mm; flex: none; }
.note { font-size: 10pt; color: #444; margin-top: 5mm; }
table.key { border-collapse: collapse; width: 100%%; margin: 1mm 0 4mm; }
table.key th, table.key td { border: 1px solid #aaa; padding: 1mm 2.5mm; text-align: left; }
table.key td.n { text-align: right; font-variant-numeric: tabular-nums; }
.sheet { break-inside: avoid; }
th small.how { font-weight: normal; }
code { font-size: 10pt; }
code span { white-space: nowrap; }
@media screen {
  body { background: #e4e4e4; }
  .page, .sheets { background: #fff; width: %(width)s; margin: 8mm auto; padding: 14mm 15mm;
    box-shadow: 0 1px 4px rgba(0, 0, 0, 0.3); }
}
"""


# How each level's graph is drawn, and how large it may be printed: a sum and a product read
# left to right; a neuron top down (left to right it would be too wide for the page); a
# network as its neurons, each folded into one box. The room (width, height in mm) is what
# is left on a Letter page, the shorter, beside (level 3) or below the rest of the exercise.
DRAWING = {1: {"rankdir": "LR"}, 2: {"rankdir": "LR"}, 3: {"rankdir": "TB"}, 4: {"collapse": True}}
ROOM = {1: (180, 120), 2: (180, 120), 3: (125, 165), 4: (180, 95)}


def page(title, body, paper, lang):
    """A whole HTML document with the print styles for `paper` ("a4" or "letter")."""
    size, width = PAPERS[paper]
    style = STYLE % {"size": size, "width": width}
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{esc(title)}</title>\n<style>\n{style}</style>\n</head>\n<body>\n{body}</body>\n"
        "</html>\n"
    )


def esc(text):
    """Text made safe and visible in HTML (names come from a teacher's file)."""
    return html.escape(visible(str(text)), quote=True)


def inline_svg(svg, prefix, label, room):
    """Graphviz's SVG as part of a page: no XML prolog, comments or node titles, its ids
    unique on the page (`prefix`), as large as fits `room` (mm) up to SCALE, named `label`."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<!--.*?-->\n?|<title>.*?</title>\n?", "", svg, flags=re.S)
    svg = re.sub(r'\bid="', f'id="{prefix}', svg).replace('href="#', f'href="#{prefix}')

    def bigger(m):
        natural = float(m.group(1)), float(m.group(2))
        scale = min(SCALE, *(mm * MM / pt for mm, pt in zip(room, natural)))
        width, height = (pt * scale for pt in natural)
        size = f'width="{width:.0f}pt" height="{height:.0f}pt"'
        return f'<svg role="img" aria-label="{esc(label)}" {size}'

    svg = re.sub(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', bigger, svg, count=1)
    return "\n".join(line.rstrip() for line in svg.strip().split("\n"))


def rules(level, rate=None):
    """The local rules a level 3 or 4 sheet gives to look up, in a row."""
    items = [esc("σ′(u) = σ(u)·(1 − σ(u))"), esc("tanh′(u) = 1 − tanh(u)²")]
    if level == 4:
        items.append(esc("∂(y − t)²/∂y = 2·(y − t)"))
        step = _("one SGD step, learning rate η = {rate}:").format(rate=fmt(rate))
        items.append(f"<small>{esc(step)}</small> {esc('w ← w − η·∂L/∂w')}")
    heading = esc(_("Local rules to look up:"))
    rows = "".join(f'<span class="rule">{item}</span>' for item in items)
    return f'<p class="rules"><span>{heading}</span>{rows}</p>\n'


def values(at):
    """The leaves' values as the sheet lists them: x = -2, y = 5, z = -4."""
    return ", ".join(f"{name}\u00a0=\u00a0{fmt(v, PRECISION)}" for name, v in at.items())


def exercise_page(sheet, n, e, level, count):
    """One page of a sheet: who, the exercise, its graph with blank gradients, answer boxes."""
    blank = '<span class="blank"></span>'
    name = blank if sheet.student is None else f"<b>{esc(sheet.student)}</b>"
    # TRANSLATORS: the top line of each page: {name} is a line to write on, or the student's
    who = esc(_("Name: {name}")).format(name=name)
    # TRANSLATORS: beside the name: {date} is a line to write on
    when = esc(_("Date: {date}")).format(date=blank)
    where = _("Sheet {sheet} · page {n} of {count}").format(sheet=sheet.sheet, n=n, count=count)
    title = _("Exercise {n}").format(n=n)
    topic = _("level {level}: {topic}").format(level=level, topic=_(TOPICS[level]))
    lines = "".join(f"<span>{esc(line)}</span>" for line in e.form.lines)
    at = _("where {values}").format(values=values(e.at))
    drawn = viz.draw_dot(
        e.root, show=("data", "blank"), precision=PRECISION, params=e.params, legend=False,
        **DRAWING[level],
    )  # fmt: skip
    svg = viz.to_svg(drawn)
    graph = inline_svg(svg, f"{sheet.sheet}x{n}-", " ".join(e.form.lines), ROOM[level])
    top = e.root.label
    how = _("Write in each box's empty grad field its gradient ∂{root}/∂(box).").format(root=top)
    places = _(
        "Give your answers to {places} decimal places: within {tolerance} of the key counts "
        "as right."
    ).format(places=PLACES, tolerance=fmt(TOLERANCE))
    side = " side" if level == 3 else ""  # a tall graph: the questions beside it
    parts = [
        f'<section class="page">\n<div class="who"><span>{who}</span><span>{when}</span>'
        f"<span>{esc(where)}</span></div>\n",
        f"<h1>{esc(title)} <small>{esc(topic)}</small></h1>\n",
        f'<p class="formula">{lines}</p>\n<p class="at">{esc(at)}</p>\n<p>{esc(how)}</p>\n',
        f'<div class="work{side}">\n<figure>\n{graph}\n</figure>\n<div>\n',
    ]
    if level >= 3:
        rounding = _(
            "Work with the numbers as the graph shows them; round only your final answers."
        )
        parts.append(f"{rules(level, e.rate)}<p>{esc(rounding)}</p>\n")
    answers = esc(_("Your answers"))
    parts.append(f'<h2>{answers}</h2>\n<div class="answers">\n')
    for k, (asks, _answer, _hand) in enumerate(e.questions):
        parts.append(
            f'<div class="answer"><span class="q"><b>{question_id(n, k)}</b>&nbsp; {esc(asks)} ='
            '</span><span class="box"></span></div>\n'
        )
    parts.append(f'</div>\n<p class="note">{esc(places)}</p>\n</div>\n</div>\n</section>\n')
    return "".join(parts)


def sheet_pages(sheet, level, count):
    """A student's sheet as the body of a page: one section per exercise, one a page."""
    return "".join(
        exercise_page(sheet, n, e, level, count) for n, e in enumerate(sheet.exercises, 1)
    )


def sheet_files(sheets, level, count, paper, lang):
    """{file name: HTML}: S01.html..., and with several sheets, sheets.html with them all (to
    print the class's in one go)."""
    bodies = {s.sheet: sheet_pages(s, level, count) for s in sheets}
    files = {
        f"{name}.html": page(_("Backprop worksheet {sheet}").format(sheet=name), body, paper, lang)
        for name, body in bodies.items()
    }
    if len(sheets) > 1:
        title = _("Backprop worksheets {first} to {last}").format(
            first=sheets[0].sheet, last=sheets[-1].sheet
        )
        files["sheets.html"] = page(title, "".join(bodies.values()), paper, lang)
    return files


def draw_command(e):
    """The command that draws exercise `e` with its gradients, in pieces a line may end
    between: `chainrule draw "(x + y) * z"`, `--at x=-2,y=5,z=-4`, `--param w1,b`."""
    pieces = [f'chainrule draw "{e.form.expression}"']
    pieces.append("--at " + ",".join(f"{name}={v}" for name, v in e.at.items()))
    if e.params:
        pieces.append("--param " + ",".join(p.label for p in e.params))
    return pieces


def shown_answer(x):
    """An answer as a student writes it: to PLACES decimals, no trailing zeros (-4, 0.56)."""
    text = f"{x:.{PLACES}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def key_html(sheets, level, count, seed, paper, lang):
    """The teacher's key: every sheet's answers, to PLACES decimals and as the engine has them."""
    title = _("Answer key: level {level}, {topic}").format(level=level, topic=_(TOPICS[level]))
    n_sheets = ngettext("{n} sheet", "{n} sheets", len(sheets)).format(n=len(sheets))
    about = _("Seed {seed}; {sheets} of {count} exercises.").format(
        seed=seed, sheets=n_sheets, count=count
    )
    right = _("An answer within {tolerance} of the one here counts as right.").format(
        tolerance=fmt(TOLERANCE)
    )
    mark = esc(_("To mark the returned answers: {command}")).format(
        command="<code>chainrule check key.json ANSWERS.csv</code>"
    )
    heads = [_("Question"), _("Asks"), _("Answer"), _("Exact")]
    parts = [
        '<section class="sheets">\n',
        f"<h1>{esc(title)}</h1>\n<p>{esc(about)}</p>\n<p>{esc(right)}</p>\n<p>{mark}</p>\n",
    ]
    for s in sheets:
        who = esc(s.student) if s.student is not None else esc(_("the whole class"))
        parts.append(f'<div class="sheet">\n<h2>{esc(s.sheet)} · {who}</h2>\n')
        parts.append('<table class="key">\n<thead><tr>')
        parts.append(
            "".join(f'<th scope="col">{esc(h)}</th>' for h in heads) + "</tr></thead>\n<tbody>\n"
        )
        for n, e in enumerate(s.exercises, 1):
            said = _("Exercise {n}").format(n=n)
            about = f"{said}: {'; '.join(e.form.lines)}, {values(e.at)}"
            first, *rest = draw_command(e)  # the options whole on a line: no break at a "-"
            command = " ".join([esc(first), *(f"<span>{esc(piece)}</span>" for piece in rest)])
            solved = esc(_("drawn with its gradients by {command}")).format(
                command=f"<code>{command}</code>"
            )
            parts.append(
                f'<tr><th colspan="4" scope="colgroup">{esc(about)}<br>'
                f'<small class="how">{solved}</small></th></tr>\n'
            )
            for k, (asks, answer, _hand) in enumerate(e.questions):
                parts.append(
                    f"<tr><td>{question_id(n, k)}</td><td>{esc(asks)}</td>"
                    f'<td class="n">{shown_answer(answer)}</td>'
                    f'<td class="n">{fmt(answer, 6)}</td></tr>\n'
                )
        parts.append("</tbody>\n</table>\n</div>\n")
    parts.append("</section>\n")
    return page(title, "".join(parts), paper, lang)


class Written:
    """What write_worksheets wrote: the sheets' files, the key's, and why PDFs were skipped."""

    def __init__(self, sheets, files, skipped):
        self.sheets, self.skipped = sheets, skipped
        self.html = [p for p in files if p.suffix == ".html" and p.stem[0] == "S"]  # S01...
        self.pdf = [p for p in files if p.suffix == ".pdf" and p.stem[0] == "S"]
        self.together = [p for p in files if p.stem == "sheets"]  # sheets.html (and .pdf)
        self.key = [p for p in files if p.stem == "key"]  # key.html, key.json (and .pdf)


def write_worksheets(
    out, *, level=1, count=4, seed=0, students=None, paper="a4", pdf=True, lang=None
):
    """Write the sheets (S01.html...), key.html and key.json under `out`, and a PDF of each
    where Chromium is installed; returns a Written. The same arguments write the same bytes."""
    lang = resolve(lang, where="write_worksheets")
    if level not in LEVELS:
        raise ValueError(f"write_worksheets: level={level!r}; choose one of 1, 2, 3, 4")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise ValueError(f"write_worksheets: count={count!r}; expected 1 to {MAX_COUNT}")
    if paper not in PAPERS:
        raise ValueError(f"write_worksheets: paper={paper!r}; choose one of 'a4', 'letter'")
    with language(lang):
        sheets = make_sheets(level, count, seed, students)
        files = sheet_files(sheets, level, count, paper, lang)
        files["key.html"] = key_html(sheets, level, count, seed, paper, lang)
        key = key_document(sheets, level, count, seed)
        files["key.json"] = json.dumps(key, ensure_ascii=False, indent=1) + "\n"
    out = Path(out)
    for name, text in files.items():
        write_atomic(out / name, text)
    written = [out / name for name in files]
    skipped = None
    if pdf:
        printed, skipped = print_pdfs([p for p in written if p.suffix == ".html"])
        written += printed
    return Written(sheets, written, skipped)


# Printing to PDF: the system's Chromium, headless. Its PDF carries the time it was made,
# which is set to a fixed one so the same sheet gives the same bytes.
CHROMIUMS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MAC_CHROME = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"
PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}")


def find_chromium():
    """The path of a Chromium or Chrome program, or None."""
    found = next((p for p in map(shutil.which, CHROMIUMS) if p), None)
    return found or (MAC_CHROME if os.path.isfile(MAC_CHROME) else None)


def print_pdfs(pages):
    """Print each HTML file in `pages` to a PDF beside it; returns (the PDFs written, None)
    or ([], why they were skipped) in the current language."""
    program = find_chromium()
    if program is None:
        return [], _(
            "no Chromium found: install it (e.g. `apt-get install chromium`), or print the HTML "
            "from a browser"
        )
    with ThreadPoolExecutor(max_workers=2) as pool:  # one Chromium a core
        done = list(pool.map(lambda p: print_pdf(program, p), pages))
    failed = [why for why in done if why]
    if failed:
        return [], _("Chromium could not print: {error}").format(error=failed[0])
    return [p.with_suffix(".pdf") for p in pages], None


def print_pdf(program, path):
    """Print one HTML file to the PDF beside it; returns None, or what went wrong."""
    with tempfile.TemporaryDirectory() as profile:  # its own profile: runs side by side
        target = Path(profile) / "page.pdf"
        command = [
            program,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={profile}",
            f"--print-to-pdf={target}",
            Path(path).resolve().as_uri(),
        ]  # fmt: skip  (--no-sandbox: it runs as root in containers; the page is our own file)
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=120, env=dict(os.environ, TZ="UTC")
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            return str(err)
        if done.returncode != 0 or not target.is_file():
            said = done.stderr.decode("utf-8", "replace").strip().splitlines()
            return said[-1] if said else f"exit status {done.returncode}"
        data = PDF_DATE.sub(lambda m: m.group()[:-14] + b"20000101000000", target.read_bytes())
    write_atomic(Path(path).with_suffix(".pdf"), data)
    return None
