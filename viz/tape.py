"""The tape: the graph under a root as a numbered list, the one walk every picture starts from.

Row i is the node at position i of `autograd.topological_order(root)` (inputs come first),
so ids (`v3`, `o3`) depend only on the computation, never on memory addresses.
"""

import difflib
from collections import Counter

import numpy as np

from autograd import Value, local_derivatives, topological_order

from .format import visible


class Row:
    """One node of the tape: its position, its inputs' positions and its local derivatives."""

    __slots__ = ("index", "node", "inputs", "locals", "role", "uses")

    def __init__(self, index, node, inputs, locals_, role):
        self.index, self.node, self.inputs, self.role = index, node, inputs, role
        self.locals = locals_  # d(node)/d(input), one per input, from the op table
        self.uses = 0  # how many edges leave this value (a*a counts two)

    @property
    def id(self):
        """The node's stable id in pictures and tapes: v{index}."""
        return f"v{self.index}"

    def name(self):
        """What a reader calls this node: its label, else its id."""
        return self.node.label or self.id


def read_tape(root, params=None, where="read_tape"):
    """The rows for every node under `root`, inputs first; `params` marks parameters."""
    if type(root) is not Value:
        raise TypeError(f"{where}: expected a Value as the root, got {type(root).__name__}")
    marked = parameter_set(params, where)
    order = topological_order(root)
    position = {id(node): i for i, node in enumerate(order)}
    rows = []
    for i, node in enumerate(order):
        if not (isinstance(node.label, str) and isinstance(node.scope, str)):  # set by hand
            raise TypeError(
                f"{where}: v{i} has label {node.label!r} and scope {node.scope!r}; "
                "both must be strings"
            )
        inputs = tuple(position[id(inp)] for inp in node.inputs)
        row = Row(i, node, inputs, local_derivatives(node), role_of(node, root, marked))
        rows.append(row)
        for j in inputs:
            rows[j].uses += 1
    return rows


def role_of(node, root, params):
    """parameter, input, constant, intermediate or output (see palette.ROLES)."""
    if node is root:
        return "output"
    if node.op is not None:
        return "intermediate"
    if node in params:  # Values hash by identity
        return "parameter"
    return "input" if node.label and not named_by_its_number(node) else "constant"


def named_by_its_number(node):
    """A leaf labelled with its own value ("2" holding 2.0): a number in a formula, which a
    reader sees as a constant, not an input (grad(create_graph=True) makes such leaves)."""
    try:
        return float(node.label.replace("\u2212", "-")) == node.data
    except (ValueError, TypeError):  # a name, or an array of data
        return False


def parameter_set(params, where):
    """The given parameters as a set: a list of Values, or anything with .parameters()."""
    if params is None:
        return frozenset()
    if callable(getattr(params, "parameters", None)):  # a model: duck typing, viz never imports nn
        params = params.parameters()
    try:
        items = list(params)
    except TypeError:
        raise TypeError(
            f"{where}: params must be a list of Values (e.g. model.parameters()), "
            f"got {type(params).__name__}"
        ) from None
    for p in items:
        if type(p) is not Value:
            raise TypeError(
                f"{where}: params must hold Values (e.g. model.parameters()), "
                f"found {type(p).__name__} {p!r}"
            )
    return frozenset(items)


def contribution(rows, row, k):
    """What edge k into `row` adds to its input's gradient: local derivative x upstream grad.

    In batched mode an input holding one plain number (a weight) was used by every example,
    so it collects the sum of their contributions, as backprop does.
    """
    c = row.locals[k] * row.node.grad
    if isinstance(c, np.ndarray) and not isinstance(rows[row.inputs[k]].node.data, np.ndarray):
        return float(c.sum())
    return c


def is_dead_relu(row, example=None):
    """Whether `row` is a ReLU passing no gradient back (for a batch: for no example at all)."""
    if row.node.op is None or row.node.op.name != "relu":
        return False
    d = row.locals[0]
    if isinstance(d, np.ndarray):
        return not d.any() if example is None else d[example] == 0.0
    return d == 0.0


def locate(rows, node, where):
    """The position of `node` (a Value, a unique label, or an id like v29) in the tape.

    A label may carry its scope ("layer1.neuron3.w0"); a repeated or unknown one is a
    ValueError that lists the names that would work.
    """
    if isinstance(node, str):
        hits = [row.index for row in rows if node in (row.node.label, full_name(row))]
        hits = hits or [row.index for row in rows if node == row.id]  # v29: unlabelled
        if len(hits) == 1:
            return hits[0]
        if hits:
            which = ", ".join(repr(full_name(rows[i])) for i in hits[:12])
            raise ValueError(
                f"{where}: {len(hits)} nodes are labelled {node!r}; name one with its scope "
                f"({which}) or pass the Value itself"
            )
        known = sorted({full_name(row) for row in rows if row.node.label})
        known += sorted({row.node.label for row in rows if row.node.label} - set(known))
        near = difflib.get_close_matches(node, known, n=5, cutoff=0.6)
        if near:
            hint = f"did you mean {', '.join(map(repr, near))}?"
        else:
            more = f", ... ({len(known)} in all)" if len(known) > 12 else ""
            hint = f"labels here: {', '.join(map(repr, known[:12]))}{more}"
        raise ValueError(f"{where}: no node is labelled {node!r}; {hint}")
    for row in rows:
        if row.node is node:
            return row.index
    raise ValueError(f"{where}: {node!r} is not in the graph under the root")


def full_name(row):
    """A node's label with its module scope in front ("layer1.neuron3.w0"), else its name."""
    node = row.node
    return f"{node.scope}.{node.label}" if node.scope and node.label else row.name()


def unique_names(rows):
    """What the narration calls each node: its label (`score`), with its scope in front where
    the label repeats (a network has many a w0: `layer1.neuron3.w0`), its id (v29) when
    unlabelled, and its id too where that still leaves two nodes one name."""
    labels = Counter(row.name() for row in rows)
    names = [visible(full_name(row) if labels[row.name()] > 1 else row.name()) for row in rows]
    seen = Counter(names)
    return [name if seen[name] == 1 else f"{name} ({row.id})" for name, row in zip(names, rows)]
