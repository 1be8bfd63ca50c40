"""Numbers as the pictures and tapes show them: every box, edge and text line uses `fmt`.

A Value holds a float, or in batched mode a numpy array with one number per example; a
picture shows one number per box, so `pick` chooses either one example or the batch mean.
And the other way: `read_number` reads a number a person typed, as the player's quiz does.
"""

import math
import re
import unicodedata

import numpy as np


def pick(x, example=None):
    """The one number to show for `x`: itself, or for a batch example `example` or the mean."""
    if isinstance(x, np.ndarray):
        return float(x.mean()) if example is None else float(x[example])
    return float(x)


def fmt(x, precision=4, example=None):
    """`x` to `precision` significant digits, as a reader expects: -12, 0.5, 1.235e-05, 0."""
    v = pick(x, example)
    if v == 0.0:  # also -0.0, which would print as "-0" and puzzle a student
        return "0"
    return f"{v:.{precision}g}"


def batch_size(nodes):
    """The number of examples if any node holds a batch, else None."""
    for node in nodes:
        if isinstance(node.data, np.ndarray):
            return node.data.size
    return None


def check_precision(precision, where):
    """`precision` as a whole number of significant digits from 1 to 17, or a ValueError."""
    if isinstance(precision, bool) or not isinstance(precision, int) or not 1 <= precision <= 17:
        raise ValueError(
            f"{where}: precision={precision!r}; expected a whole number from 1 to 17 "
            "(significant digits)"
        )
    return precision


def check_example(example, size, where):
    """`example` as an index into a batch of `size` (None: the batch mean), or a ValueError."""
    if example is None:
        return None
    if size is None:
        raise ValueError(f"{where}: example={example!r}, but the graph holds no batch")
    if isinstance(example, bool) or not isinstance(example, int) or not -size <= example < size:
        raise ValueError(
            f"{where}: example={example!r}; expected None (the batch mean) "
            f"or an index from 0 to {size - 1}"
        )
    return example


# Characters a terminal, a page or Graphviz would act on or hide rather than show: controls
# (ESC, BEL, NUL, CR, C1), line and paragraph separators, bidi overrides that reorder the text
# around them, lone surrogates (no encoder takes them) and the noncharacters U+FFFE/U+FFFF.
HIDDEN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)


def visible(text):
    """`text` with each hidden character written as its Python escape (ESC reads \\x1b, a
    newline \\n, U+202E \\u202e), so a label shows as typed and can clear no screen;
    ordinary Unicode (∂, σ, 总价) stays as it is. Every text target calls this."""
    return HIDDEN.sub(lambda m: repr(m.group())[1:-1], text)


def width(text):
    """How many terminal columns `text` takes: CJK characters take two, accents none."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def pad(text, columns):
    """`text` with spaces after it to fill `columns` terminal columns (ljust by display width)."""
    return text + " " * max(columns - width(text), 0)


def rpad(text, columns):
    """`text` with spaces before it to fill `columns` terminal columns (rjust by display width)."""
    return " " * max(columns - width(text), 0) + text


# A number as the player's quiz reads one (viz/player.js, readNumber): -4, −4 (U+2212), an input
# method's full-width forms (NFKC turns them into ASCII), +0.5, .5, 1e-3, 3/4, spaces around,
# nan, inf, ∞. ASCII digits only after NFKC: float() would take '٣' too. A comma is refused, as
# the quiz refuses it (0,5 is ambiguous). `chainrule check` and `chainrule draw --at` read so.
NUMBER = r"[-+]?\s*(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?"
PLAIN = re.compile(NUMBER, re.ASCII)
FRACTION = re.compile(rf"({NUMBER})\s*/\s*({NUMBER})", re.ASCII)
SPECIAL = re.compile(r"([-+]?)(nan|inf|infinity|∞)")
DASHES = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-", "\ufe63": "-", "\u3002": "."})


def read_number(typed):
    """The number `typed` means, as the quiz reads it, or None when it is not one."""
    s = unicodedata.normalize("NFKC", typed).translate(DASHES).strip().lower()
    if re.search("[,\u3001]", s):  # NFKC made the full-width comma ASCII already
        return None
    special = SPECIAL.fullmatch(re.sub(r"\s+", "", s))
    if special:
        value = math.nan if special[2] == "nan" else math.inf
        return -value if special[1] == "-" else value
    fraction = FRACTION.fullmatch(s)
    if fraction:
        top, bottom = _spaceless(fraction[1]), _spaceless(fraction[2])
        if bottom == 0:  # as the browser divides: 1/0 is infinity, 0/0 not a number
            return math.nan if top == 0 else math.copysign(math.inf, top)
        return top / bottom
    return _spaceless(s) if PLAIN.fullmatch(s) else None


def _spaceless(text):
    """A number that NUMBER matched, as a float: "- 4" is -4, as in the quiz."""
    return float(re.sub(r"\s+", "", text))
