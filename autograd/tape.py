"""A tape: record a batched graph once, then replay it on new data, many nodes per numpy call.

Eager batched mode pays Python and numpy overhead once per node (about 1.6k nodes for the
moons step). A training loop builds the same graph every step, only with new numbers, so
`Tape(loss, inputs, params)` walks it once and writes a plan; `tape.step(*arrays)` then runs
forward and backward on new inputs and the parameters' current `.data`:

- Each node gets a level: 1 + the largest level of its inputs (leaves are 0). Nodes of one
  level never depend on each other, so those with the same op (and the same kind of inputs:
  batch or scalar) run as ONE call of the op's array row on a 2-D array: a row per node, a
  column per example. Scalar inputs (the weights) come in as a column, broadcast to every
  example. The moons step becomes about 50 such calls instead of about 1,600 nodes.
- Scalar nodes (the L2 penalty: a chain of hundreds of adds, one per level) run one by one
  with the float rows, in a plain loop over Python floats; a level with many of them (the
  `p * p`) runs as one call. Reductions (`sum`, `mean`: a batch to one number) run one by one.
- Backward walks the same steps in reverse. Every local derivative comes from the op table;
  the chain rule is backprop.py's: multiply by the upstream gradient and add into each input.
  An input feeding several nodes of one step gets their sum (np.add.reduceat); a scalar input
  of a batch node gets the sum over the examples, as a weight does in eager mode.

The graph's structure must not depend on the data: true for MLPs (ReLU, tanh and max are
ops, not Python `if`s). Leaves that are neither inputs nor parameters are constants, frozen at
their recorded numbers; a batch of them (targets not passed as inputs; nn's softmax shift, made
under no_grad) ties the tape to the recorded batch size. `inputs` get no gradients.
"""

import numpy as np

from .backprop import topological_order
from .value import Value, _batch

REDUCTIONS = ("sum", "mean")  # their array rows sum a whole array: replayed one node at a time
MIN_SCALAR_GROUP = 16  # below this many scalar nodes of one level and op, a Python loop is faster


class Tape:
    """The plan of a recorded graph: `step(*arrays)` replays it on new data and backpropagates."""

    def __init__(self, root, inputs, params):
        order = topological_order(root)
        if root._a is None or type(root.data) is not float:
            raise ValueError(
                "Tape: root must be a scalar made by ops (reduce a batch with .mean())"
            )
        inputs, params = list(inputs), list(params)
        seen = set(order)
        for where, vals, want in (("input", inputs, _batch), ("param", params, float)):
            for i, v in enumerate(vals):
                if type(v) is not Value:
                    raise TypeError(f"Tape: {where} {i} must be a Value, got {type(v).__name__}")
                if v._a is not None:
                    raise ValueError(f"Tape: {where} {i} ({v!r}) is not a leaf")
                if type(v.data) is not want:
                    kind = "batch (1-D array)" if want is _batch else "plain number"
                    raise ValueError(f"Tape: {where} {i} ({v!r}) must hold a {kind}")
        for i, v in enumerate(inputs):
            if v not in seen:
                raise ValueError(f"Tape: input {i} ({v!r}) is not in the graph under root")
        if len({id(v) for v in inputs + params}) != len(inputs) + len(params):
            raise ValueError("Tape: a Value appears twice among inputs and params")
        self.inputs = inputs
        self.params = [p for p in params if p in seen]  # a parameter not used gets nothing
        self._plan(order, root)

    def _plan(self, order, root):
        """Number the slots, group the nodes, and list the steps (see the module docstring)."""
        is_input = {id(v) for v in self.inputs}
        level, live, needs = {}, {}, {}  # live: depends on the inputs; needs: on the params
        for v in self.params:
            level[v], live[v], needs[v] = 0, False, True
        consts, groups = [], {}
        for node in order:
            if node in level:
                continue
            ins = node.inputs
            if not ins:
                level[node], live[node], needs[node] = 0, id(node) in is_input, False
                if not live[node]:
                    consts.append(node)
                continue
            live[node] = any(live[i] for i in ins)
            needs[node] = any(needs[i] for i in ins)
            if not (live[node] or needs[node]):  # made only from constants: one itself
                level[node] = 0
                consts.append(node)
                continue
            level[node] = 1 + max(level[i] for i in ins)
            kinds = tuple(type(i.data) is _batch for i in ins)
            out_batch = type(node.data) is _batch
            if out_batch and not any(kinds):
                raise ValueError(f"Tape: {node.op.name} made a batch from plain numbers")
            single = node.op.name in REDUCTIONS or (any(kinds) and not out_batch)
            row = node.op if node.op.array is None else node.op.array
            key = (live[node], level[node], row, kinds, node if single else None)
            groups.setdefault(key, []).append(node)
        # Inputs come before everything that does not depend on them (the penalty chain runs
        # first, in one Python loop), then by level: a topological order of the groups.
        keys = sorted(groups, key=lambda k: (k[0], k[1]))
        # Give a group's nodes their rows in the order their first user reads them, so that
        # user reads one slice (a view, no copy). Users come later: settle them first.
        first, end = {}, (len(keys),)
        for g in reversed(range(len(keys))):
            nodes = groups[keys[g]] = sorted(groups[keys[g]], key=lambda v: first.get(v, end))
            for i in reversed(range(len(nodes))):
                for j in reversed(range(len(nodes[i].inputs))):
                    first[nodes[i].inputs[j]] = (g, j, i)
        batch_leaves = [v for v in consts if type(v.data) is _batch]
        vslot = {v: i for i, v in enumerate(self.inputs + batch_leaves)}
        scalars = self.params + [v for v in consts if type(v.data) is not _batch]
        sslot = {v: i for i, v in enumerate(scalars)}
        self._const_batch = [v.data for v in batch_leaves]
        self._const_size = len(batch_leaves[0].data) if batch_leaves else None
        steps, run = [], []
        for key in keys:
            nodes, row, kinds = groups[key], key[2], key[3]
            out_batch = type(nodes[0].data) is _batch
            slot = vslot if out_batch else sslot
            lo = len(slot)
            for v in nodes:
                slot[v] = len(slot)
            if not out_batch and not any(kinds):
                if key[4] is not None or len(nodes) < MIN_SCALAR_GROUP:
                    run += nodes  # scalars only: the float rows, in a Python loop
                    continue
            if run:
                steps.append(_run(run, sslot))
                run = []
            if key[4] is not None:  # a reduction: one batch row to one number
                (v,) = nodes
                steps.append(("reduce", v.op, vslot[v._a], sslot[v], needs[v._a]))
                continue
            operands = []
            for j, batch_in in enumerate(kinds):
                ins = [v.inputs[j] for v in nodes]
                idx, sums = _index([(vslot if batch_in else sslot)[i] for i in ins])
                operands.append((batch_in, idx, sums, any(needs[i] for i in ins)))
            steps.append(("group", row, out_batch, operands, lo, lo + len(nodes)))
        if run:
            steps.append(_run(run, sslot))
        self._steps, self._sslot, self._vslot = steps, sslot, vslot
        self._nv, self._ns, self._root = len(vslot), len(sslot), sslot[root]
        self._S = np.empty(self._ns)
        self._S[len(self.params) : len(scalars)] = [v.data for v in scalars[len(self.params) :]]
        self._V = self._GV = None

    def step(self, *arrays):
        """Forward on new input arrays and the parameters' `.data`, then backward; return the loss.

        Adds each parameter's gradient to its `.grad`, as backward() does.
        """
        V = self._load(arrays)
        S, np_ = self._S, len(self.params)
        S[:np_] = [p.data for p in self.params]
        saved, step = [], None
        try:
            for step in self._steps:
                saved.append(self._forward(step, V, S))
        except (ValueError, ZeroDivisionError, OverflowError) as err:
            raise type(err)(f"Tape.step: {_names(step)} failed on these data: {err}") from None
        loss = float(S[self._root])
        GV, GS = self._GV, np.zeros(self._ns)
        GV.fill(0.0)
        GS[self._root] = 1.0
        try:
            for step, keep in zip(reversed(self._steps), reversed(saved)):
                self._backward(step, keep, V, S, GV, GS)
        except (ValueError, ZeroDivisionError, OverflowError) as err:
            raise type(err)(f"Tape.step: backward through {_names(step)}: {err}") from None
        for p, g in zip(self.params, GS[:np_].tolist()):
            p.grad = p.grad + g
        return loss

    def data(self, node):
        """The number(s) `node` held in the last step (a copy)."""
        if node in self._vslot:
            return self._V[self._vslot[node]].copy()
        if node in self._sslot:
            return float(self._S[self._sslot[node]])
        raise ValueError(f"Tape.data: {node!r} is not a node of this tape")

    def _load(self, arrays):
        """The value rows for this step's batch, inputs written in."""
        if len(arrays) != len(self.inputs):
            raise TypeError(f"Tape.step: expected {len(self.inputs)} arrays, got {len(arrays)}")
        arrays = [np.asarray(a, dtype=float) for a in arrays]
        n = (len(arrays[0]) if arrays[0].ndim == 1 else 0) if arrays else self._const_size or 1
        for i, a in enumerate(arrays):
            if a.ndim != 1 or a.size == 0 or len(a) != n:
                raise ValueError(
                    f"Tape.step: array {i} must be 1-D with one number per example "
                    f"(the first has {n}), got shape {a.shape}"
                )
        if self._const_size is not None and n != self._const_size:
            raise ValueError(
                f"Tape.step: the graph holds a constant batch of {self._const_size} examples "
                f"(targets not passed as inputs, or a value made under no_grad), got {n}"
            )
        V = self._V
        if V is None or V.shape[1] != n:
            V = self._V = np.empty((self._nv, n))
            self._GV = np.empty((self._nv, n))
            for k, data in enumerate(self._const_batch, len(self.inputs)):
                V[k] = data
        if arrays:
            V[: len(arrays)] = arrays
        return V

    @staticmethod
    def _forward(step, V, S):
        kind = step[0]
        if kind == "run":  # scalar nodes, one by one with the float rows
            ops, need, n = step[1:]
            s = S[need].tolist()
            for op, o, a, b in ops:
                s[o] = op.forward(s[a], s[b]) if b >= 0 else op.forward(s[a], op.param)
            S[need[-n:]] = s[-n:]
            return s
        if kind == "reduce":
            op, i, o = step[1], step[2], step[3]
            S[o] = op.forward(V[i], op.param)
            return None
        row, out_batch, operands, lo, hi = step[1:]
        args = [
            V[idx] if batch_in else (S[idx][:, None] if out_batch else S[idx])
            for batch_in, idx, _, _ in operands
        ]
        if row.arity == 1:
            args.append(row.param)
        (V if out_batch else S)[lo:hi] = row.forward(*args)
        return args

    @staticmethod
    def _backward(step, args, V, S, GV, GS):
        kind = step[0]
        if kind == "run":
            ops, need, _ = step[1:]
            s, gs = args, GS[need].tolist()
            for op, o, a, b in reversed(ops):
                g = gs[o]
                if b >= 0:
                    da, db = op.local(s[a], s[b], s[o])
                    gs[a] += da * g
                    gs[b] += db * g
                else:
                    (da,) = op.local(s[a], op.param, s[o])
                    gs[a] += da * g
            GS[need] = gs
            return
        if kind == "reduce":
            op, i, o, needs = step[1:]
            if needs:
                (d,) = op.local(V[i], op.param, S[o])
                GV[i] += d * GS[o]
            return
        row, out_batch, operands, lo, hi = step[1:]
        if not any(needs for _, _, _, needs in operands):
            return  # made from inputs and constants only: no parameter is behind it
        g = (GV if out_batch else GS)[lo:hi]
        y = (V if out_batch else S)[lo:hi]
        for (batch_in, idx, sums, needs), d in zip(operands, row.local(*args, y)):
            if not needs:
                continue
            c = g if type(d) is float and d == 1.0 else d * g
            if not batch_in and out_batch:  # a weight used by every example: sum theirs
                c = c.sum(axis=1)
            G = GV if batch_in else GS
            if sums is None:
                G[idx] += c
            else:  # some rows feed several nodes here: sum their contributions first
                perm, rows, starts = sums
                G[rows] += np.add.reduceat(c if perm is None else c[perm], starts, axis=0)


def _index(idx):
    """Rows to gather (a slice where they are consecutive) and, where some repeat, how to add
    back into them: sort the contributions by row, sum each row's run (np.add.reduceat)."""
    idx, n = np.array(idx), len(idx)
    if np.array_equal(idx, np.arange(idx[0], idx[0] + n)):
        return slice(int(idx[0]), int(idx[0]) + n), None
    if len(np.unique(idx)) == n:
        return idx, None
    perm = np.argsort(idx, kind="stable")
    rows, starts = np.unique(idx[perm], return_index=True)
    return idx, (None if np.array_equal(perm, np.arange(n)) else perm, rows, starts)


def _run(nodes, sslot):
    """A step of scalar nodes replayed one by one on a list of just the slots they touch."""
    need = sorted({sslot[u] for v in nodes for u in (v, *v.inputs)})
    at = {s: k for k, s in enumerate(need)}  # their outputs are the last len(nodes) slots
    ops = [
        (v.op, at[sslot[v]], at[sslot[v._a]], -1 if v._b is None else at[sslot[v._b]])
        for v in nodes
    ]
    return ("run", ops, np.array(need), len(nodes))


def _names(step):
    """The op(s) a step runs, for an error message."""
    if step[0] == "run":
        return ", ".join(sorted({op.name for op, *_ in step[1]}))
    return step[1].name
