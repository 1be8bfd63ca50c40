"""Backpropagation: the chain rule, written once.

Walk the graph in reverse topological order; at each node multiply the op table's local
derivative d(node)/d(input) by the node's finished gradient d(root)/d(node) and add the
product to the input's gradient. A value used twice receives two contributions: fan-out adds.
"""

import operator

import numpy as np

from . import value as _state
from .ops import OPS
from .value import Value, _batch, _fmt, finite

_grad = operator.attrgetter("grad")


def _answers_without_inputs(rows):
    """The binary rows whose local derivatives the scalar pass may take without a call.

    Each row is asked once, here, on opaque stand-ins for (a, b, y). One that answers with
    plain numbers computed nothing from its inputs (add: 1, 1; sub: 1, -1): those numbers
    are its answer everywhere. One that answers (b, a) hands back the other input (mul:
    d(a·b)/da = b). Both are the table's own answers, so a changed row changes them; a row
    that computes with its inputs raises TypeError on the stand-ins and is called as always.
    A call costs more than the rest of a node's turn: this is ~20% of a scalar backward.
    """
    constant, swapped = {}, set()
    a, b, y = object(), object(), object()
    for op in rows:
        if op.arity != 2:
            continue
        try:
            d = tuple(op.local(a, b, y))
        except TypeError:
            continue
        if len(d) == 2 and all(type(x) is float for x in d):
            constant[op] = d
        elif len(d) == 2 and d[0] is b and d[1] is a:
            swapped.add(op)
    return constant, swapped


_CONSTANT, _SWAPPED = _answers_without_inputs(OPS.values())


def topological_order(root):
    """Every node `root` depends on, inputs before the nodes made from them (no recursion)."""
    if type(root) is not Value:
        raise TypeError(f"topological_order: expected a Value, got {type(root).__name__}")
    order = []
    seen = {root}
    stack = []  # the nodes above `node` on the way down from root, waiting for it to finish
    push, pop, emit, mark = stack.append, stack.pop, order.append, seen.add
    node = root
    while True:  # depth first: go down the first input not yet seen, finish a node after
        a = node._a
        if a is not None and a not in seen:
            mark(a)
            if a._a is not None:
                push(node)
                node = a  # carried in a local, not read back from the stack: 25% faster
                continue
            emit(a)  # a leaf is finished as soon as it is seen
        while True:  # the first input is finished: the second, then the node itself
            b = node._b
            if b is not None and b not in seen:
                mark(b)
                if b._a is not None:
                    push(node)
                    node = b
                    break  # down b, as down a above
                emit(b)
            emit(node)
            if not stack:
                return order
            # Back up: the node below on the stack went down its first input or its second,
            # and either way that first input is finished now, so resume at the second
            # (not at the top, which would look `a` up again: 15% faster).
            node = pop()


def local_derivatives(node):
    """The op table's d(node)/d(input) for each input of `node`, in input order."""
    op, ins = node.op, node.inputs
    if not ins:
        return ()
    try:
        if op.arity == 2:
            return op.local(ins[0].data, ins[1].data, node.data)
        return op.local(ins[0].data, op.param, node.data)
    except (ValueError, ZeroDivisionError, OverflowError) as err:
        raise _local_error(node, err) from None


def _local_error(node, err):
    args = ", ".join(_fmt(i.data) for i in node.inputs)
    param = "" if node.op.param is None else f", {_fmt(node.op.param)}"
    return type(err)(
        f"backward through {node.op.name}({args}{param}): local derivative failed ({err})"
    )


def _fresh_pass(root):
    """Run one backward pass with every `.grad` starting from 0.

    Returns the topological order and the gradients the nodes had before, in that order;
    the caller adds them back. Keeping each pass separate is what makes a second backward()
    add exactly the same amounts again, and using the `.grad` slots (not a dict) is fast.
    """
    order = topological_order(root)
    saved = None  # a fresh graph has nothing to set aside
    if _dirty(order):
        saved = [node.grad for node in order]
        for node in order:
            node.grad = 0.0
    # d(root)/d(root) = 1; for a batch root, 1 for each example, which makes backward() from
    # an unreduced batch the same as from its sum (what a weight gets: summed over examples).
    root.grad = np.ones_like(root.data) if type(root.data) is _batch else 1.0
    node = root
    swapped, constant, batch = _SWAPPED, _CONSTANT, _batch  # locals: read at every node
    try:
        for node in reversed(order):
            a = node._a
            if a is None:  # a leaf: nothing to pass on
                continue
            g = node.grad  # final: every node made from this one is already done
            if type(node.data) is batch:  # a batch of examples: see _batch_step
                _batch_step(node, g)
                continue
            op = node.op
            b = node._b
            # The chain rule: d(root)/d(input) += d(root)/d(node) * d(node)/d(input).
            # Adding (not assigning) is what makes fan-out (a*a, shared subexpressions) sum.
            # (Written `x = x + y`, never `x += y`, which would add into a batch's array in place.)
            if b is None:
                (da,) = op.local(a.data, op.param, node.data)
                a.grad = a.grad + da * g
            elif op in swapped:  # mul: each input's local derivative is the other input
                a.grad = a.grad + b.data * g
                b.grad = b.grad + a.data * g
            else:
                da, db = constant[op] if op in constant else op.local(a.data, b.data, node.data)
                a.grad = a.grad + da * g
                b.grad = b.grad + db * g
    except (ValueError, ZeroDivisionError, OverflowError) as err:
        _restore(order, saved, keep_fresh=False)
        raise _local_error(node, err) from None
    if _state._busy and _state.anomaly_mode():  # no thread in a block: not in detect_anomaly
        try:
            _check_finite(order)
        except FloatingPointError:
            _restore(order, saved, keep_fresh=False)
            raise
    return order, saved


def _dirty(order):
    """Whether any node's gradient is non-zero (a batch's gradient is an array: then yes)."""
    try:
        return any(map(_grad, order))  # in C, no list: twice as fast as [n.grad for n in order]
    except ValueError:  # the truth of an array is ambiguous: it holds per-example gradients
        return True


def _batch_step(node, g):
    """The chain rule at a node holding a batch (one number per example).

    Its gradient g is an array, one per example (a reduction's local derivative is an array,
    so arrays come in from the loss). An input that is a plain number (a weight) was used by
    every example, so its gradient is the sum of theirs: the same rule as fan-out.
    Arrays are never added to in place, so one array may safely serve as several gradients.
    """
    op, a, b = node.op, node._a, node._b
    if b is None:
        _pass_batch(a, op.local(a.data, op.param, node.data)[0], g)
    else:
        da, db = op.local(a.data, b.data, node.data)
        _pass_batch(a, da, g)
        _pass_batch(b, db, g)


def _pass_batch(inp, d, g):
    """Add local derivative d times the per-example gradients g to the gradient of `inp`."""
    if type(inp.data) is not _batch:  # a plain number: the sum over examples of d_i * g_i
        inp.grad = inp.grad + (float(d.dot(g)) if type(d) is _batch else d * float(g.sum()))
        return
    contribution = g if type(d) is not _batch and d == 1.0 else d * g
    old = inp.grad
    inp.grad = contribution if type(old) is not _batch and old == 0.0 else old + contribution


def _restore(order, saved, keep_fresh=True):
    """Put the pre-pass gradients back, plus (keep_fresh) this pass's on top."""
    if saved is None:  # they were all zero
        if not keep_fresh:
            for node in order:
                node.grad = 0.0
        return
    for node, old in zip(order, saved):
        node.grad = old + node.grad if keep_fresh else old


def _check_finite(order):
    """detect_anomaly: name the first node, in backward order, that passed on a non-finite."""
    for node in reversed(order):
        g = node.grad
        for inp, d in zip(node.inputs, local_derivatives(node)):
            if not finite(d * g):
                site = _state.anomaly_site(node) or "an unrecorded line"
                raise FloatingPointError(
                    f"detect_anomaly: backward through {node.op.name} made at {site}: "
                    f"upstream gradient {g} x local derivative {d} is not finite "
                    f"(input {_fmt(inp.data)})"
                )


def backward(root):
    """Add d(root)/d(node) to `.grad` of every node under `root`, as PyTorch does.

    Gradients accumulate: each call computes a fresh set and adds it, so calling twice adds
    exactly the same amounts twice. Call zero_grad() (or set `.grad = 0.0`) between steps.
    A root holding a batch is treated as its sum: each example's output starts with grad 1.
    """
    order, saved = _fresh_pass(root)
    if saved is not None:
        _restore(order, saved)


class Step:
    """One node's turn in backprop: its finished gradient and what it passes to each input."""

    __slots__ = ("node", "grad", "locals", "contributions")

    def __init__(self, node, grad, locals_):
        self.node, self.grad, self.locals = node, grad, tuple(locals_)
        self.contributions = tuple(d * grad for d in self.locals)

    @property
    def inputs(self):
        """The node's inputs, in order (repeats kept)."""
        return self.node.inputs

    def __repr__(self):
        return f"Step({self.node!r}, grad={_fmt(self.grad)}, locals={self.locals})"


def backward_steps(root):
    """Yield one `Step` per node in backward order, adding each node's gradient as it goes.

    Exhausting the generator leaves exactly the gradients `backward(root)` would.
    """
    order, saved = _fresh_pass(root)
    steps = [Step(node, node.grad, local_derivatives(node)) for node in reversed(order)]
    _restore(order, saved, keep_fresh=False)
    for step in steps:
        step.node.grad = step.node.grad + step.grad
        yield step
