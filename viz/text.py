"""The graph without pictures: `to_text` prints the tape (one line per node, inputs first),
`to_json` gives the same facts to other tools. Neither needs Graphviz; both work at any size.
"""

import json
import math

import numpy as np

from .format import batch_size, check_example, check_precision, fmt, pad, rpad, visible, width
from .i18n import N_, _, language, resolve
from .notation import term
from .tape import read_tape

FORMAT = "chainrule-graph"  # to_json's "format" field; "version" says which layout
VERSION = 1
# to_text's column headings (the last, the local derivatives, is said where it is shown)
HEADINGS = {
    "id": N_("id"),
    "label": N_("label"),
    "scope": N_("scope"),
    "op": N_("op"),
    "inputs": N_("inputs"),
    "data": N_("data"),
    "grad": N_("grad"),
}


def to_text(root, *, precision=4, example=None, params=None, lang=None):
    """The tape under `root`: id, label, op, inputs, data, grad, local derivatives per line.

    lang: the language of the headings, "en" or "zh-CN" (None: the current one).
    """
    lang = resolve(lang, where="to_text")
    with language(lang):
        return tape_text(root, precision, example, params)


def tape_text(root, precision, example, params):
    """to_text in the language in force."""
    rows = read_tape(root, params, "to_text")
    check_precision(precision, "to_text")
    batch = batch_size(row.node for row in rows)
    example = check_example(example, batch, "to_text")

    def num(x):
        return fmt(x, precision, example)

    scoped = any(row.node.scope for row in rows)
    columns = ["id", "label", "op", "inputs", "data", "grad"]
    if scoped:
        columns.insert(2, "scope")
    # TRANSLATORS: the last column's heading: the local derivative of each node by each input
    head = [_(HEADINGS[c]) for c in columns] + [_("local ∂node/∂input")]
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
    said = _("{count} nodes, inputs first; grad = ∂{root}/∂(each node)")
    lines = ["# " + said.format(count=len(rows), root=term(name))]
    if batch is not None:
        if example is None:
            said = _("a batch of {size} examples: each number is the batch mean")
        else:
            said = _("a batch of {size} examples: each number is example {example}")
        lines.append("# " + said.format(size=batch, example=example))
    numbers = {columns.index("data"), columns.index("grad")}  # right-aligned, as numbers are
    for line in table:
        cells = [
            rpad(cell, w) if c in numbers else pad(cell, w)  # by display width: a heading 梯度
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
