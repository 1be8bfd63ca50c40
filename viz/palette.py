"""Colours for the pictures, chosen to survive colour blindness and a projector.

Roles use light tints of the Okabe-Ito palette (distinct for every common colour-vision
deficiency). Gradients use ColorBrewer's RdBu diverging scale (colour-blind safe): red
for positive, blue for negative, darker for larger magnitude on a log scale.
"""

import math

from .i18n import N_

# role: (fill, border, what it means); the order is the legend's.
ROLES = {
    "parameter": ("#F2CF7F", "#B07800", N_("parameter (passed as params=)")),
    "input": ("#AAD9F4", "#0072B2", N_("input (a leaf with a label)")),
    "constant": ("#E6E6E6", "#8C8C8C", N_("constant (a number: a leaf with no name)")),
    "intermediate": ("#FFFFFF", "#666666", N_("intermediate")),
    "output": ("#7FCEB9", "#007A59", N_("output (the root)")),
}

OP_FILL, OP_BORDER = "#F4F4F4", "#888888"
MODULE_FILL, MODULE_BORDER = "#D9CCE6", "#6A4C93"  # a folded module scope (collapse=)
DEAD_FILL, DEAD_BORDER = "#C8C8C8", "#555555"  # a ReLU whose input is <= 0 passes nothing back
ZERO_FILL, ZERO_BORDER = "#FFFFFF", "#8C8C8C"  # drawn dashed: the gradient is exactly 0
NONFINITE_FILL, NONFINITE_BORDER = "#4D4D4D", "#000000"  # nan or inf
FOLDED_EDGE = "#8C8C8C"  # lines between folded boxes: many, so lighter than the rest
PATH_EDGE, CONTEXT_EDGE = "#222222", "#AAAAAA"

# RdBu, strongest first: level 0 is within 10x of the largest |grad|, level 1 within 100x...
POSITIVE = ("#B2182B", "#D6604D", "#F4A582", "#FDDBC7")
NEGATIVE = ("#2166AC", "#4393C3", "#92C5DE", "#D1E5F0")
LEVELS = len(POSITIVE)


def grad_level(g, biggest):
    """How many powers of ten |g| is below the largest |grad| in the graph, at most LEVELS-1."""
    if biggest <= 0.0 or not math.isfinite(biggest):
        return 0
    return min(LEVELS - 1, max(0, int(math.floor(math.log10(biggest / abs(g))))))


def grad_fill(g, biggest):
    """(fill, border, dashed) for a value whose gradient is `g`; `biggest` is the largest |grad|."""
    if not math.isfinite(g):
        return NONFINITE_FILL, NONFINITE_BORDER, False
    if g == 0.0:
        return ZERO_FILL, ZERO_BORDER, True
    scale = POSITIVE if g > 0.0 else NEGATIVE
    return scale[grad_level(g, biggest)], "#444444", False


def grad_sign(g):
    """The sign a box under grad colouring shows beside its colour: "+", "−" or "" (0, nan)."""
    if g > 0.0:
        return "+"
    return "−" if g < 0.0 else ""


def text_colour(fill):
    """Black or white, whichever reads better on `fill` (WCAG relative luminance)."""
    r, g, b = (int(fill[i : i + 2], 16) / 255.0 for i in (1, 3, 5))
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    # Contrast against black is (L + 0.05) / 0.05, against white 1.05 / (L + 0.05): equal here.
    return "#000000" if luminance > 0.179 else "#FFFFFF"


def muted_colour(fill):
    """The colour of small captions (`data`, `grad`) on `fill`: grey that still reads."""
    return "#555555" if text_colour(fill) == "#000000" else "#E8E8E8"
