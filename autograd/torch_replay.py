"""The same graph in PyTorch: replay a recorded expression with torch tensors, and compare.

`to_torch(root)` walks the graph in topological order, makes each leaf a float64 tensor that
requires grad and applies each node's op with torch's own function (`TORCH_OPS`, one entry per
row of the op table). torch.autograd then differentiates it with its own rules, so
`compare_torch(root)` checks the engine's gradient of every leaf against an independent one.
Nothing here knows a derivative: only forward functions. torch is optional and imported here
only when a function runs.

Where the two libraries pick differently at a kink, the comparison shows it: at a tie
max and min send the whole gradient to the first input here, torch splits it in half.
"""

from .backprop import _fresh_pass, _restore, topological_order
from .value import Value


def _step(torch, a):
    # 0 * sign(a) keeps the output in torch's graph with derivative 0, as the table's step has
    # (torch's heaviside has no derivative at all).
    return (a >= 0).to(a.dtype) + 0.0 * torch.sign(a)


def _ops(torch):
    """{op name: torch function}: binary rows take (a, b), unary rows (a, p) (p: the row's
    parameter, an exponent or a slope, or None)."""
    F = torch.nn.functional
    return {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "powv": torch.pow,
        "max": torch.maximum,
        "min": torch.minimum,
        "neg": lambda a, p: -a,
        "pow": lambda a, p: torch.pow(a, p),
        "exp": lambda a, p: torch.exp(a),
        "log": lambda a, p: torch.log(a),
        "tanh": lambda a, p: torch.tanh(a),
        "sigmoid": lambda a, p: torch.sigmoid(a),
        "relu": lambda a, p: torch.relu(a),
        "leaky_relu": lambda a, p: F.leaky_relu(a, p),
        "elu": lambda a, p: F.elu(a, p),
        "gelu": lambda a, p: F.gelu(a),  # exact, through erf, as the row's Φ
        "normal_cdf": lambda a, p: torch.special.ndtr(a),  # Φ, the standard normal CDF
        "swish": lambda a, p: a * torch.sigmoid(p * a),
        # log(e^a + e^0): softplus without torch's threshold (above 20 it returns a itself)
        "softplus": lambda a, p: torch.logaddexp(a, torch.zeros_like(a)),
        "abs": lambda a, p: torch.abs(a),
        "step": lambda a, p: _step(torch, a),
        "sum": lambda a, p: torch.sum(a),
        "mean": lambda a, p: torch.mean(a),
    }


def import_torch(where):
    """torch, or an ImportError naming `where` and how to install it (torch is optional)."""
    try:
        import torch
    except ImportError:
        raise ImportError(
            f"{where} needs PyTorch, which is not installed: pip install 'chainrule[torch]' "
            "(torch==2.13.0)"
        ) from None
    return torch


def torch_ops():
    """The torch function for each op of the table, by name (imports torch)."""
    return _ops(import_torch("torch_ops"))


def to_torch(root):
    """(torch tensor computing `root`, {leaf Value: its float64 leaf tensor}) from the graph."""
    torch = import_torch("to_torch")
    if type(root) is not Value:
        raise TypeError(f"to_torch: expected a Value, got {type(root).__name__}")
    order = topological_order(root)
    ops = _ops(torch)
    missing = sorted({n.op.name for n in order if n.inputs and n.op.name not in ops})
    if missing:
        raise ValueError(f"to_torch: no torch function for op {', '.join(missing)}")
    tensors, leaves = {}, {}
    for node in order:
        ins = node.inputs
        if not ins:
            leaf = torch.tensor(node.data, dtype=torch.float64, requires_grad=True)
            tensors[node] = leaves[node] = leaf
            continue
        f = ops[node.op.name]
        a = tensors[ins[0]]
        tensors[node] = f(a, tensors[ins[1]]) if len(ins) == 2 else f(a, node.op.param)
    return tensors[root], leaves


class Compared:
    """One leaf's gradient in both libraries: `chainrule`, `torch`, and `difference` (their
    difference, chainrule - torch; for a batch leaf, arrays of one per example)."""

    __slots__ = ("leaf", "chainrule", "torch", "difference")

    def __init__(self, leaf, ours, theirs):
        self.leaf, self.chainrule, self.torch = leaf, ours, theirs
        self.difference = ours - theirs

    @property
    def largest(self):
        """The largest |difference| (over the examples, for a batch), nan if any is nan."""
        d = abs(self.difference)
        return float(d.max()) if hasattr(d, "max") else float(d)

    def __repr__(self):
        return f"Compared({self.leaf!r}, chainrule={self.chainrule}, torch={self.torch})"


def compare_torch(root):
    """Each leaf's d(root)/d(leaf) from the engine and from torch.autograd, in topological
    order; every `.grad` is left as it was. A batch root counts as its sum, as backward()."""
    torch = import_torch("compare_torch")
    troot, leaves = to_torch(root)
    (troot.sum() if troot.ndim else troot).backward()
    order, saved = _fresh_pass(root)  # the engine's gradients, fresh, then put back
    ours = {leaf: leaf.grad for leaf in leaves}
    _restore(order, saved, keep_fresh=False)
    rows = []
    for leaf, tensor in leaves.items():
        g = tensor.grad
        theirs = torch.zeros_like(tensor) if g is None else g
        theirs = theirs.item() if theirs.ndim == 0 else theirs.numpy()
        rows.append(Compared(leaf, ours[leaf], theirs))
    return rows
