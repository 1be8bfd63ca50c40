"""Forward mode: the chain rule the other way round, from inputs to the output.

Give each input a tangent ẋ (how fast it moves along a chosen direction) and walk the
topological order forwards: a node's tangent is the sum over its inputs of the op table's local
derivative d(node)/d(input) times that input's tangent (q = x + y gives q̇ = 1·ẋ + 1·ẏ). One
pass gives the derivative of every node along one direction; backprop's one pass gives the
derivative of one output for every input. `mode_costs` counts what that means for a graph.

The API works on a graph that is already built, as `backward()` does, rather than taking a
function to call (JAX's `jvp(f, primals, tangents)`): the student has the Values in hand, and
the stepper and the pictures walk that same graph. `jvp` takes any direction;
`forward_derivative` is the common case of one input with tangent 1; `forward_steps` yields
each node's turn for narration. Forward mode reads no `.grad` and writes none.
"""

import numbers
from dataclasses import dataclass

import numpy as np

from .backprop import local_derivatives, topological_order
from .value import Value, _batch


class ForwardStep:
    """One node's turn in forward mode: its inputs' tangents, the local derivatives, the
    products local × tangent, and the node's tangent (their sum). A leaf has no inputs: its
    tangent is the one it was given (0 if none)."""

    __slots__ = ("node", "input_tangents", "locals", "products", "tangent")

    def __init__(self, node, input_tangents, locals_, products, tangent):
        self.node, self.input_tangents, self.locals = node, input_tangents, locals_
        self.products, self.tangent = products, tangent

    @property
    def inputs(self):
        """The node's inputs, in order (repeats kept)."""
        return self.node.inputs

    def __repr__(self):
        return f"ForwardStep({self.node!r}, tangent={self.tangent!r}, locals={self.locals})"


class Tangents:
    """What one forward pass found: `.of(node)` is d(node)/dt along the chosen direction,
    `.root` the output's (the directional derivative of the whole function)."""

    __slots__ = ("_of", "_root")

    def __init__(self, of, root):
        self._of, self._root = of, root

    def of(self, node):
        """The tangent of `node`: how fast it moves when the inputs move along the direction."""
        try:
            return self._of[node]
        except (KeyError, TypeError):  # TypeError: an array is not hashable
            raise ValueError(f"jvp: {node!r} is not in the graph of the root") from None

    @property
    def root(self):
        """The tangent of the root: the derivative of the output along the direction."""
        return self._of[self._root]


def _check_root(where, root):
    if type(root) is not Value:
        raise TypeError(f"{where}: expected a Value as the root, got {type(root).__name__}")


def _check_inputs(where, inputs):
    """The chosen inputs: a list or tuple of distinct leaf Values."""
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(
            f"{where}: inputs must be a list of Values, got {type(inputs).__name__} {inputs!r}"
        )
    seen = set()
    for v in inputs:
        if type(v) is not Value:
            raise TypeError(f"{where}: inputs must be Values, got {type(v).__name__} {v!r}")
        if v.inputs:
            raise ValueError(
                f"{where}: a tangent goes on a leaf (an input), but {v!r} was made by "
                f"{v.op.name}; give tangents to the leaves it was made from"
            )
        if v in seen:
            raise ValueError(f"{where}: {v!r} is listed twice")
        seen.add(v)


def _tangent(where, leaf, t):
    """One input's tangent, checked: a finite number, or for a batch one per example."""
    if isinstance(t, np.ndarray) and t.ndim == 0:
        t = t.item()
    if isinstance(t, np.ndarray):
        if type(leaf.data) is not _batch:
            raise TypeError(
                f"{where}: the tangent for {leaf!r} must be one number, got an array of {t.size}"
            )
        if t.shape != leaf.data.shape or t.dtype.kind not in "iuf":
            raise ValueError(
                f"{where}: the tangent for {leaf!r} must be {leaf.data.size} real numbers "
                f"(one per example), got shape {t.shape} of {t.dtype}"
            )
        t = np.array(t, dtype=np.float64)
    elif isinstance(t, numbers.Real) and not isinstance(t, bool):
        t = float(t)
    else:
        raise TypeError(
            f"{where}: the tangent for {leaf!r} must be a real number, got {type(t).__name__} {t!r}"
        )
    if not np.isfinite(t).all():
        raise ValueError(f"{where}: the tangent for {leaf!r} must be finite, got {t!r}")
    return _per_example(leaf, t)


def _per_example(node, t):
    """A batch node's tangent as one number per example (a plain number is the same for all)."""
    if type(node.data) is _batch and type(t) is not _batch:
        return np.full(node.data.shape, float(t))
    return t


def _seeds(where, root, inputs, tangents):
    """Check everything jvp is given, before any of it is used: {leaf: tangent}."""
    _check_root(where, root)
    _check_inputs(where, inputs)
    if not isinstance(tangents, (list, tuple)):
        raise TypeError(
            f"{where}: tangents must be a list with one per input, "
            f"got {type(tangents).__name__} {tangents!r}"
        )
    if len(tangents) != len(inputs):
        raise ValueError(
            f"{where}: {len(inputs)} inputs but {len(tangents)} tangents: give one per input"
        )
    return {leaf: _tangent(where, leaf, t) for leaf, t in zip(inputs, tangents)}


def _sweep(order, seeds):
    """The chain rule forwards, written once: yield each node's ForwardStep in `order`.

    d(node)/dt = Σ over its inputs of d(node)/d(input) · d(input)/dt, with the local
    derivatives backprop uses. A repeated input (a*a) counts once per slot: 2a·ȧ. Every input's
    tangent is final before its node's turn, because inputs come first in the order.
    """
    tangent = {}
    for node in order:
        ins = node.inputs
        if not ins:  # a leaf: the direction says how fast it moves
            t = seeds.get(node)
            if t is None:
                t = _per_example(node, 0.0)
            step = ForwardStep(node, (), (), (), t)
        else:
            ts = tuple(tangent[i] for i in ins)
            ds = tuple(local_derivatives(node))
            products = tuple(d * t for d, t in zip(ds, ts))
            t = products[0] if len(products) == 1 else products[0] + products[1]
            if type(node.data) is not _batch and type(t) is _batch:
                t = float(t.sum())  # a reduction (sum, mean): every example's share adds up
            step = ForwardStep(node, ts, ds, products, _per_example(node, t))
        tangent[node] = step.tangent
        yield step


def jvp(root, inputs, tangents):
    """Forward mode: the tangent of every node under `root` when `inputs` move by `tangents`.

    Leaves not listed stay still (tangent 0). A batch input takes one number (every example
    moves the same) or an array with one per example. Returns a `Tangents`.
    """
    seeds = _seeds("jvp", root, inputs, tangents)
    of = {step.node: step.tangent for step in _sweep(topological_order(root), seeds)}
    for leaf, t in seeds.items():  # an input root does not depend on: it moves, nothing follows
        of.setdefault(leaf, t)
    return Tangents(of, root)


def forward_derivative(root, wrt):
    """Forward mode for one input: d(node)/d(wrt) for every node, as a `Tangents`."""
    return jvp(root, [wrt], [1.0])


def forward_steps(root, wrt):
    """Yield one `ForwardStep` per node, inputs first, with tangent 1 on `wrt` (0 elsewhere).

    Checked when called, not when first iterated: bad input raises here.
    """
    seeds = _seeds("forward_steps", root, [wrt], [1.0])
    return _sweep(topological_order(root), seeds)


@dataclass(frozen=True)
class ModeCosts:
    """What the derivative of one output with respect to n inputs costs each way.

    A multiplication is one local derivative times one tangent (forward) or one gradient
    (reverse): one per edge of the graph, every pass. Forward mode needs a pass per input,
    reverse mode a pass per output.
    """

    inputs: int
    outputs: int
    edges: int
    forward_passes: int
    reverse_passes: int
    forward_multiplications: int
    reverse_multiplications: int


def mode_costs(root, inputs):
    """The passes and multiplications forward and reverse mode need for d(root)/d(inputs)."""
    _check_root("mode_costs", root)
    _check_inputs("mode_costs", inputs)
    edges = sum(len(node.inputs) for node in topological_order(root))
    n = len(inputs)
    return ModeCosts(n, 1, edges, n, 1, n * edges, edges)
