"""The graph without pictures: `to_text` prints the tape (one line per node, inputs first),
`to_json` gives the same facts to other tools. Neither needs Graphviz; both work at any size.
"""

import json
import math

import numpy as np

from .format import batch_size, check_example, check_precision, fmt, pad, visible, width
from .notation import partial
from .tape import read_tape

FORMAT = "chainrule-graph"  # to_json's "format" field; "version" says which layout
VERSION = 1


def to_text(root, *, precision=4, example=None, params=None):
    """The tape under `root`: id, label, op, inputs, data, grad, local derivatives per line."""
    rows = read_tape(root, params, "to_text")
    check_precision(precision, "to_text")
    batch = batch_size(row.node for row in rows)
    example = check_example(example, batch, "to_text")

    def num(x):
        return fmt(x, precision, example)

    scoped = any(row.node.scope for row in rows)
    head = ["id", "label", "op", "inputs", "data", "grad", f"local {partial('node', 'input')}"]
    if scoped:
        head.insert(2, "scope")
    table = [head]
    for row in rows:
        node = row.node
        line = [
            row.id,
            visible(node.label),  # one line per node: a newline shows as \n
            "" if node.op is None else node.op.label,
            ", ".join(f"v{j}" for j in row.inputs),
            num(node.data),
            num(node.grad),
            ", ".join(num(d) for d in row.locals),
        ]
        if scoped:
            line.insert(2, visible(node.scope))
        table.append(line)
    widths = [max(width(line[c]) for line in table) for c in range(len(head))]  # CJK: 2 each
    name = visible(rows[-1].node.label) or rows[-1].id
    lines = [f"# {len(rows)} nodes, inputs first; grad = {partial(name, 'each node')}"]
    if batch is not None:
        shown = "the batch mean" if example is None else f"example {example}"
        lines.append(f"# a batch of {batch} examples: each number is {shown}")
    numbers = {head.index("data"), head.index("grad")}  # right-aligned, as numbers are
    for line in table:
        cells = [
            cell.rjust(w) if c in numbers else pad(cell, w)  # numbers are ASCII: rjust is right
            for c, (cell, w) in enumerate(zip(line, widths))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def to_json(root, *, params=None, indent=None):
    """The graph under `root` as JSON text: one object per node, inputs first, full precision.

    A batch is a list of numbers; NaN and infinities are the strings "nan", "inf", "-inf"
    (JSON itself has no way to write them).
    """
    rows = read_tape(root, params, "to_json")
    nodes = []
    for row in rows:
        node = row.node
        nodes.append(
            {
                "id": row.id,
                "label": node.label,
                "scope": node.scope,
                "role": row.role,
                "op": None if node.op is None else node.op.name,
                "symbol": None if node.op is None else node.op.label,
                "inputs": [f"v{j}" for j in row.inputs],
                "data": plain(node.data),
                "grad": plain(node.grad),
                "local": [plain(d) for d in row.locals],
            }
        )
    document = {"format": FORMAT, "version": VERSION, "root": rows[-1].id, "nodes": nodes}
    return json.dumps(document, indent=indent, allow_nan=False, ensure_ascii=False)


def plain(x):
    """A number (or a batch's list of numbers) as JSON can hold it."""
    if isinstance(x, np.ndarray):
        return [plain(float(v)) for v in x]
    x = float(x)
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
