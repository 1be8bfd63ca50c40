"""The torch check as a table: each leaf's gradient from chainrule and from torch.autograd.

`viz.compare_torch(f)` replays f's graph in torch (autograd.torch_replay), backpropagates
there, and shows one line per leaf (its label, else its tape id): both gradients and their
difference, then the largest difference. The result is text that shows itself as the table in a
REPL or a notebook. Needs torch (the `torch` extra).
"""

import math

from autograd import topological_order
from autograd.torch_replay import compare_torch as compare_gradients

from .format import check_precision, fmt, pad, rpad, visible, width
from .i18n import _, language, resolve


class Comparison(str):
    """The table as text (print it, or let the REPL show it), with `.rows`, one
    autograd.torch_replay.Compared per leaf, and `.largest`, the largest |difference|."""

    def __new__(cls, text, rows, largest):
        self = super().__new__(cls, text)
        self.rows, self.largest = rows, largest
        return self

    def __repr__(self):
        return str(self)


def compare_torch(root, precision=6, *, lang=None):
    """The table of ∂root/∂leaf from chainrule and from torch, and their difference.

    precision: significant digits. lang: "en" or "zh-CN" for its words (None: the current).
    Leaves every .grad as it was."""
    lang = resolve(lang, where="compare_torch")
    check_precision(precision, "compare_torch")
    rows = compare_gradients(root)
    largest = [r.largest for r in rows]
    worst = math.nan if any(math.isnan(d) for d in largest) else max(largest, default=0.0)
    with language(lang):
        text = table(root, rows, worst, precision)
    return Comparison(text, rows, worst)


def table(root, rows, worst, precision):
    """The lines of the comparison, in the language in force."""
    position = {id(node): i for i, node in enumerate(topological_order(root))}
    batch = any(hasattr(r.difference, "shape") for r in rows)
    cells = [[_("leaf"), "chainrule", "torch", _("difference")]]
    for r in rows:
        name = visible(r.leaf.label) or f"v{position[id(r.leaf)]}"
        # a batch leaf: its gradients' means, and the largest difference over its examples
        difference = r.largest if hasattr(r.difference, "shape") else r.difference
        cells.append([name, *(fmt(x, precision) for x in (r.chainrule, r.torch, difference))])
    widths = [max(width(line[c]) for line in cells) for c in range(4)]
    root_name = visible(root.label) or "root"
    # TRANSLATORS: {root} is the output's name; ∂{root}/∂leaf is each leaf's gradient
    lines = [_("# ∂{root}/∂leaf, from chainrule and from torch.autograd").format(root=root_name)]
    if batch:
        lines.append(_("# a batch: each gradient is the mean over the examples, each difference"))
        lines.append(_("# the largest over them"))
    for line in cells:
        row = [pad(line[0], widths[0])] + [rpad(c, w) for c, w in zip(line[1:], widths[1:])]
        lines.append("  ".join(row).rstrip())
    lines.append(_("largest difference: {x}").format(x=fmt(worst, precision)))
    return "\n".join(lines) + "\n"
