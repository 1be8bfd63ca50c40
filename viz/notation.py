"""How every output writes a derivative: the stepper, the player, the frames, the path view,
the lessons and the LaTeX all call these, so one lesson never shows two notations.

A total derivative names two nodes (∂f/∂q); a local one names an op's formula and one of
its inputs (∂(q * z)/∂z), so the two never share a symbol. The op's rule for it comes from
the op table's rule column, filled in with the names of this graph. Symbols stay symbols in
every language; only a rule's words (`1 if u > 0 else 0`) are said in the current one.
"""

import re
import string
from itertools import groupby

from .i18n import _

PLAIN = re.compile(r"[^\W\d][\w.]*")  # x, w1_00, layer1.neuron3.w0, 总价: no brackets needed
CALL = re.compile(r"[^\W\d][\w.]*\([^()]*\)")  # σ(u), p(class 1): one thing already
CONDITION = re.compile(r"(.*) if (.*) else (.*)")  # the op table's words: 1 if a > 0 else 0


def term(name):
    """A name as it stands in a derivative: in brackets when it has spaces or operators."""
    return name if PLAIN.fullmatch(name) or CALL.fullmatch(name) else f"({name})"


def partial(top, bottom):
    """The derivative of `top` by `bottom` as text: ∂f/∂x, ∂y/∂(w.x + b)."""
    return f"∂{term(top)}/∂{term(bottom)}"


def rule(op, slot, inputs, output, count=1):
    """The op's local derivative by input `slot` in symbols: `q` for ∂(q * z)/∂z.

    inputs, output: the names of the op's inputs and output; count: examples a reduction
    sees. A rule with a condition is said in the current language (`spoken`).
    """
    return spoken(filled(op, slot, inputs, output, count, term))


def tex_rule(op, slot, inputs, output, count=1):
    """`rule` in LaTeX: the same symbols, its words (if any) as text."""
    return tex(filled(op, slot, inputs, output, count, tex_term))


def spoken(text):
    """A rule as the reader says it: `1 if u > 0 else 0` in the current language."""
    found = CONDITION.fullmatch(text)
    if found is None:
        return text
    yes, condition, no = found.groups()
    # TRANSLATORS: a local derivative with a condition, e.g. "1 if u > 0 else 0" (ReLU's).
    return _("{yes} if {condition} else {no}").format(yes=yes, condition=condition, no=no)


def filled(op, slot, inputs, output, count, bracket):
    """The op table's rule for input `slot`, in this graph's names (as `bracket` writes a
    name: `term`, or `tex_term` for LaTeX); its words still the table's own."""
    given = {"a": inputs[0], "y": output, **({"b": inputs[1]} if len(inputs) > 1 else {})}
    names = {"n": count}
    template = op.rule[slot]
    for key, name in given.items():
        names[key] = bracket(name)
        # Inside a call's own brackets a name needs none of its own: tanh(w.x + b), not tanh((..)).
        names[f"{key}_in"] = names[key][1:-1] if term(name) != name else names[key]
        template = template.replace(f"({{{key}}})", f"({{{key}_in}})")
    if op.param is not None:
        names["p"], names["p1"] = f"{op.param:g}", f"{op.param - 1:g}"  # 2·x**1, not **(2 - 1)
    return template.format(**names)


TEX_SPECIAL = {  # each a form that LaTeX and KaTeX take in maths mode, inside \\mathrm{}
    "\\": r"\backslash{}",
    "{": r"\{",
    "}": r"\}",
    "_": r"\_",
    "^": r"\text{\textasciicircum}",  # not \^{}: that accent exists in text mode only
    "#": r"\#",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "~": r"\text{\textasciitilde}",  # not \~{}, for the same reason
    " ": r"\ ",
}


TEX_SYMBOLS = [  # the maths of a formula or rule, in LaTeX (a name is escaped before this)
    (re.compile(r"\*\*\(([^()]*)\)"), r"^{\1}"),
    (re.compile(r"\*\*(-?[\w.]+)"), r"^{\1}"),
    (re.compile(r"\s?\*\s?|·"), r" \\cdot "),
    (re.compile("²"), "^{2}"),
    (re.compile("σ"), r"\\sigma"),
    (re.compile("Φ"), r"\\Phi"),
    (re.compile("φ"), r"\\varphi"),
    (re.compile("Σ"), r"\\sum"),
    (re.compile(r"\b(exp|log|tanh|max|min)\("), r"\\\1("),
    (re.compile(r"(?<![\\\w])([A-Za-z]\w*)\("), r"\\operatorname{\1}("),  # ReLU(, sign(, any op
    (re.compile(">="), r"\\geq"),
    (re.compile("<="), r"\\leq"),
]


def tex_name(name):
    """A name safe in LaTeX maths: one letter stays italic, longer names go upright."""
    parts = []
    for letters, run in groupby(name, text_letter):
        run = "".join(run)
        parts.append(f"\\text{{{run}}}" if letters else "".join(TEX_SPECIAL.get(c, c) for c in run))
    safe = "".join(parts)
    return safe if len(name) == 1 else f"\\mathrm{{{safe}}}"


def text_letter(c):
    """Whether LaTeX takes `c` only as text: a letter beyond ASCII and Greek (总, é, ж)."""
    return c.isalpha() and not (c.isascii() or "\u0370" <= c <= "\u03ff")


def tex_term(name):
    """A name in LaTeX as it stands in a formula: escaped, bracketed as `term` brackets it."""
    return tex_name(name) if term(name) == name else f"({tex_name(name)})"


def tex(text):
    """A formula or rule written with `term`'s names (escaped already) in LaTeX symbols."""
    found = CONDITION.fullmatch(text)
    if found is not None:  # its words are text in the current language, its parts maths
        yes, condition, no = (tex(part) for part in found.groups())
        # TRANSLATORS: the same rule as "{yes} if {condition} else {no}", in a LaTeX formula
        said = _("{yes} if {condition}, else {no}")
        return tex_words(said, yes=yes, condition=condition, no=no)
    for pattern, replacement in TEX_SYMBOLS:
        text = pattern.sub(replacement, text)
    return text


def tex_words(message, **maths):
    """A message of words around maths in LaTeX: each run of words is text, each field the
    maths given for it (`1 \\text{ if } u > 0 \\text{, else } 0`)."""
    out = []
    for words, field, _spec, _conversion in string.Formatter().parse(message):
        if words:
            safe = "".join(c if c == " " else TEX_SPECIAL.get(c, c) for c in words)
            out.append(f" \\text{{{safe}}} ")
        if field is not None:
            out.append(maths[field])
    return "".join(out).strip()


def tex_partial(top, bottom):
    """The derivative of `top` by `bottom` in LaTeX (both already LaTeX)."""
    return f"\\frac{{\\partial {top}}}{{\\partial {bottom}}}"
