"""Lesson 2: the chain rule on f = (x + y) * z at x = -2, y = 5, z = -4.

Run it:  chainrule run chain-rule   (or: python -m demos.lesson02_chain_rule)
Look at: the forward values (q = 3, f = -12), then each backward step, where a node's
gradient times an edge's local derivative is what the input receives: df/dx = -4 * 1.
"""

from autograd import Value, backward_steps, topological_order
from autograd.value import _fmt

NAME = "chain-rule"
SUMMARY = "f = (x + y)·z at (-2, 5, -4): -12; gradients -4, -4, 3"


def build():
    """The expression, labelled as the source document writes it."""
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f


def run(out=None, seed=0, plots=True, echo=print):
    """Print the forward pass and every backward step; return the output node."""
    f = build()
    echo("Forward pass (inputs before the nodes made from them):")
    for node in topological_order(f):
        if node.inputs:
            args = f" {node.op.symbol} ".join(i.label or _fmt(i.data) for i in node.inputs)
            echo(f"  {node.label} = {args} = {_fmt(node.data)}")
        else:
            echo(f"  {node.label} = {_fmt(node.data)}")
    echo("")
    echo("Backward pass (chain rule: input gets upstream gradient x local derivative):")
    for step in backward_steps(f):
        name = step.node.label
        echo(f"  d{f.label}/d{name} = {_fmt(step.grad)}")
        for inp, local, contrib in zip(step.inputs, step.locals, step.contributions):
            echo(
                f"      -> {inp.label}: d{name}/d{inp.label} = {_fmt(local)},"
                f"  adds {_fmt(step.grad)} x {_fmt(local)} = {_fmt(contrib)}"
            )
    return f


if __name__ == "__main__":
    run()
