"""How every output writes a derivative: the stepper, the player, the frames, the path view,
the lessons and the LaTeX all call these, so one lesson never shows two notations.

A total derivative names two nodes (∂f/∂q); a local one names an op's formula and one of
its inputs (∂(q * z)/∂z), so the two never share a symbol. The op's rule for it comes from
the op table's rule column, filled in with the names of this graph.
"""

import re
from itertools import groupby

PLAIN = re.compile(r"[^\W\d][\w.]*")  # x, w1_00, layer1.neuron3.w0, 总价: no brackets needed
CALL = re.compile(r"[^\W\d][\w.]*\([^()]*\)")  # σ(u), p(class 1): one thing already


def term(name):
    """A name as it stands in a derivative: in brackets when it has spaces or operators."""
    return name if PLAIN.fullmatch(name) or CALL.fullmatch(name) else f"({name})"


def partial(top, bottom):
    """The derivative of `top` by `bottom` as text: ∂f/∂x, ∂y/∂(w.x + b)."""
    return f"∂{term(top)}/∂{term(bottom)}"


def rule(op, slot, inputs, output, count=1, bracket=term):
    """The op's local derivative by input `slot` in symbols: `q` for ∂(q * z)/∂z.

    inputs, output: the names of the op's inputs and output; count: examples a reduction
    sees; bracket: how a name stands in a formula (`term`, or `tex_term` for LaTeX).
    """
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
    (re.compile(r" if (.*) else "), r" \\text{ if } \1 \\text{, else } "),
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
    for pattern, replacement in TEX_SYMBOLS:
        text = pattern.sub(replacement, text)
    return text


def tex_partial(top, bottom):
    """The derivative of `top` by `bottom` in LaTeX (both already LaTeX)."""
    return f"\\frac{{\\partial {top}}}{{\\partial {bottom}}}"
