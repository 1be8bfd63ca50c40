"""The torch check as a table: each leaf's gradient from chainrule and from torch.autograd.

`print(viz.compare.compare_torch(root))`: one line per leaf (its label, else its tape id), the
two gradients and their difference, then the largest difference. The headings are English
only for now (not yet in the translation catalogue). Needs torch (autograd.torch_replay).
"""

import math

from autograd import topological_order
from autograd.torch_replay import compare_torch as compare_gradients

from .format import check_precision, fmt, pad, rpad, visible, width


def compare_torch(root, precision=6):
    """The table, as text: leaf, chainrule's ∂root/∂leaf, torch's, and the difference."""
    check_precision(precision, "compare_torch")
    rows = compare_gradients(root)
    position = {id(node): i for i, node in enumerate(topological_order(root))}
    batch = any(hasattr(r.difference, "shape") for r in rows)
    table = [["leaf", "chainrule", "torch", "difference"]]
    for r in rows:
        name = visible(r.leaf.label) or f"v{position[id(r.leaf)]}"
        # a batch leaf: its gradients' means, and the largest difference over its examples
        difference = r.largest if hasattr(r.difference, "shape") else r.difference
        numbers = (r.chainrule, r.torch, difference)
        table.append([name, *(fmt(x, precision) for x in numbers)])
    widths = [max(width(line[c]) for line in table) for c in range(4)]
    lines = [f"# ∂{visible(root.label) or 'root'}/∂leaf, from chainrule and from torch.autograd"]
    if batch:
        lines.append("# a batch: each gradient is the mean over the examples, each difference")
        lines.append("# the largest over them")
    for line in table:
        cells = [pad(line[0], widths[0])] + [rpad(c, w) for c, w in zip(line[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
    largest = [r.largest for r in rows]
    worst = math.nan if any(math.isnan(d) for d in largest) else max(largest, default=0.0)
    lines.append(f"largest difference: {fmt(worst, precision)}")
    return "\n".join(lines) + "\n"
