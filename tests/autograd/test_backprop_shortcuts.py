"""backward's scalar pass takes add's, sub's and mul's local derivatives without calling their
rows: the rows' own answers, found by asking them once, and bit for bit what calls give."""

import random

from autograd import Value, local_derivatives, topological_order
from autograd.backprop import _answers_without_inputs
from autograd.ops import OPS, Op


def test_only_rows_that_answer_without_their_inputs_are_taken_without_a_call():
    """Numbers mean constants, (b, a) the other input; a row that computes with its inputs,
    or hands them back unswapped, is called as always."""
    rows = [
        Op("plus", "+", 2, None, lambda a, b, y: (1.0, 1.0)),
        Op("times", "*", 2, None, lambda a, b, y: (b, a)),
        Op("wrong", "?", 2, None, lambda a, b, y: (a, b)),
        Op("scaled", "s", 2, None, lambda a, b, y: (2.0 * b, a)),
        Op("neg", "-", 1, None, lambda a, p, y: (-1.0,)),
    ]
    constant, swapped = _answers_without_inputs(rows)
    assert constant == {rows[0]: (1.0, 1.0)} and swapped == {rows[1]}
    constant, swapped = _answers_without_inputs(OPS.values())
    assert constant == {OPS["add"]: (1.0, 1.0), OPS["sub"]: (1.0, -1.0)}
    assert swapped == {OPS["mul"]}


def chain_rule_calling_every_row(root):
    """The chain rule with the table called at every node: the reference."""
    order = topological_order(root)
    grads = {id(n): 0.0 for n in order}
    grads[id(root)] = 1.0
    for node in reversed(order):
        for inp, d in zip(node.inputs, local_derivatives(node)):
            grads[id(inp)] = grads[id(inp)] + d * grads[id(node)]
    return [grads[id(n)] for n in order]


def test_gradients_are_bit_for_bit_those_of_calling_the_table_at_every_node():
    rng = random.Random(3)
    xs = [Value(rng.uniform(-1, 1)) for _ in range(5)]
    out = xs[0]
    for i in range(60):  # adds, subs and muls beside called rows, with fan-out (out * out)
        a, b = xs[i % 5], xs[(i + 2) % 5]
        out = (out * a - b + 0.5).tanh() if i % 3 else out * out + b * b
    out.backward()
    assert [n.grad for n in topological_order(out)] == chain_rule_calling_every_row(out)
