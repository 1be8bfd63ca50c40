"""A tape: record a batched graph once, then replay it on new data, many nodes per numpy call.

Eager batched mode pays Python and numpy overhead once per node (about 1,600 nodes for the
moons step). A training loop builds the same graph every step, only with new numbers, so
`Tape(loss, inputs, params)` walks it once and writes a plan; `tape.step(*arrays)` then runs
forward and backward on new inputs and the parameters' current `.data`:

- Each node gets a level: 1 + the largest level of its inputs (leaves are 0). Nodes of one
  level never depend on each other, so those with the same op (and the same kind of inputs:
  batch or scalar) run as ONE call of the op's array row on a 2-D array: a row per node, a
  column per example. Scalar inputs (the weights) come in as a column, broadcast to every
  example.
- Chains of adds run as a unit (_fuse.py): a layer's neurons, each `b + w0·x0 + w1·x1 + ...`
  (one level per input), as products made a block at a time and one add per input position
  into reused buffers, in eager's order; only the chain's end is stored. A long sum of plain
  numbers (the L2 penalty) is one np.cumsum.
- Other scalar nodes run one by one with the float rows, in a plain loop over Python floats;
  a level with many of them (the `p * p`) runs as one call. Reductions (`sum`, `mean`: a
  batch to one number) run one by one.
- Backward walks the same steps in reverse. Every local derivative comes from the op table;
  the chain rule is backprop.py's: multiply by the upstream gradient and add into each input.
  An input feeding several nodes of one step gets their sum (np.add.reduceat); a scalar input
  of a batch node gets the sum over the examples, as a weight does in eager mode.
- A big batch (values and gradients over WHOLE_BYTES) runs a block of examples at a time: the
  reductions and the layers' sums are kept whole, everything else for one block, replayed
  from the sums for backward (Tape._run_blocks). Same loss and values, to the bit.

The graph's structure must not depend on the data: true for MLPs (ReLU, tanh and max are
ops, not Python `if`s). Leaves that are neither inputs nor parameters are constants, frozen at
their recorded numbers; a batch of them (targets not passed as inputs; nn's softmax shift, made
under no_grad) ties the tape to the recorded batch size. `inputs` get no gradients.
"""

import copy

import numpy as np

from . import _fuse
from .backprop import topological_order
from .value import Value, _batch, _domain_error

REDUCTIONS = ("sum", "mean")  # their array rows sum a whole array: replayed one node at a time
MIN_SCALAR_GROUP = 16  # below this many scalar nodes of one level and op, a Python loop is faster
# A batch whose values and gradients would pass WHOLE_BYTES runs a block of examples at a time
# (Tape._run_blocks), blocks of about BLOCK_BYTES and at least MIN_BLOCK examples. Below it a
# whole batch is faster (no replay) and small. Width 64 at 10,000 points (42 MB whole) peaks
# at 1.5x issue 14's "data" with 4 MB blocks (2.0x with 8 MB, as fast on this machine).
WHOLE_BYTES = 16_000_000
BLOCK_BYTES = 4_000_000
MIN_BLOCK = 256


class Tape:
    """The plan of a recorded graph: `step(*arrays)` replays it on new data and backpropagates."""

    def __init__(self, root, inputs, params):
        order = topological_order(root)
        if root._a is None or type(root.data) is not float:
            raise ValueError("Tape: root must be a scalar made by ops (reduce a batch: .mean())")
        inputs, params, seen = list(inputs), list(params), set(order)
        for where, vals, want in (("input", inputs, _batch), ("param", params, float)):
            for i, v in enumerate(vals):
                if type(v) is not Value:
                    raise TypeError(f"Tape: {where} {i} must be a Value, got {type(v).__name__}")
                if v._a is not None:
                    raise ValueError(f"Tape: {where} {i} ({v!r}) is not a leaf")
                if type(v.data) is not want:
                    kind = "batch (1-D array)" if want is _batch else "plain number"
                    raise ValueError(f"Tape: {where} {i} ({v!r}) must hold a {kind}")
                if where == "input" and v not in seen:
                    raise ValueError(f"Tape: input {i} ({v!r}) is not in the graph under root")
        if len({id(v) for v in inputs + params}) != len(inputs) + len(params):
            raise ValueError("Tape: a Value appears twice among inputs and params")
        self.inputs = inputs
        self.params = [p for p in params if p in seen]  # a parameter not used gets nothing
        self._plan(order, root)

    def _plan(self, order, root):
        """Group the nodes, give each a slot (a row of V or a place in S), list the steps."""
        is_input = {id(v) for v in self.inputs}
        # Chains of adds (a neuron's sum, the penalty) replay as a unit: see _fuse.py.
        chains = {c.nodes[-1]: c for c in _fuse.find_chains(order, _fuse.users(order))}
        inside = {v: c for c in chains.values() for v in c.nodes[:-1] + c.terms * c.batch}
        self._folded = {v: c for v, c in inside.items() if c.batch}  # stored nowhere: data()
        level, live, needs = {}, {}, {}  # live: depends on the inputs; needs: on the params
        for v in self.params:
            level[v], live[v], needs[v] = 0, False, True
        consts, groups = [], {}
        for node in order:
            if node in level or node in inside:
                continue
            chain = chains.get(node)
            ins = node.inputs if chain is None else chain.inputs
            level[node] = 1 + max(level[i] for i in ins) if ins else 0
            live[node] = id(node) in is_input or any(live[i] for i in ins)
            needs[node] = any(needs[i] for i in ins)
            if not (live[node] or needs[node]):  # a leaf, or made only from leaves: constant
                level[node] = 0
                consts.append(node)
                continue
            if not ins:
                continue  # an input
            if chain is not None:  # a layer's chains of one length group; a sum of numbers not
                if chain.batch:
                    kind = ("layer", len(chain.nodes), type(chain.head.data) is _batch)
                    groups.setdefault((live[node], level[node], kind, (), None), []).append(node)
                else:
                    groups[(live[node], level[node], "cumsum", (), node)] = chain.nodes
                continue
            kinds = tuple(type(i.data) is _batch for i in ins)
            out_batch = type(node.data) is _batch
            if out_batch and not any(kinds):
                raise ValueError(f"Tape: {node.op.name} made a batch from plain numbers")
            single = node.op.name in REDUCTIONS or (any(kinds) and not out_batch)
            row = node.op if node.op.array is None else node.op.array
            key = (live[node], level[node], row, kinds, node if single else None)
            groups.setdefault(key, []).append(node)
        # What does not depend on the inputs comes first (the penalty, one Python loop or sum),
        # then by level: a topological order of the groups.
        keys = sorted(groups, key=lambda k: (k[0], k[1]))
        # Give a group's nodes their rows in the order their first user reads them, so that
        # user reads one slice (a view, no copy). Users come later: settle them first.
        first, end = {}, (len(keys),)
        for g in reversed(range(len(keys))):
            nodes = groups[keys[g]]
            if keys[g][4] is None:  # (a single node, or a chain of numbers: in its own order)
                nodes = groups[keys[g]] = sorted(nodes, key=lambda v: first.get(v, end))
            for i in reversed(range(len(nodes))):
                chain = chains.get(nodes[i])
                ins = chain.inputs if chain is not None and chain.batch else nodes[i].inputs
                for j in reversed(range(len(ins))):
                    first[ins[j]] = (g, j, i)
        batch_consts = [v for v in consts if type(v.data) is _batch]
        scalars = self.params + [v for v in consts if type(v.data) is not _batch]
        vslot = {v: i for i, v in enumerate(self.inputs + batch_consts)}
        sslot = {v: i for i, v in enumerate(scalars)}
        steps, run = [], []
        self._scratch = _fuse.Scratch()  # the layers' work arrays, shared
        for key in keys:
            nodes, row, kinds = groups[key], key[2], key[3]
            out_batch = type(nodes[0].data) is _batch
            slot = vslot if out_batch else sslot
            lo = len(slot)
            slot.update((v, lo + k) for k, v in enumerate(nodes))
            if row == "cumsum" or type(row) is tuple:  # fused chains (_fuse.py)
                if run:
                    steps.append(_Run(run, sslot))
                    run = []
                if row == "cumsum":
                    steps.append(_fuse.Cumsum(chains[nodes[-1]], sslot, needs))
                else:
                    layer = [chains[v] for v in nodes]
                    steps.append(
                        _fuse.Layer(layer, vslot, sslot, needs, lo, lo + len(nodes), self._scratch)
                    )
                continue
            if not (out_batch or any(kinds)):
                if key[4] is not None or len(nodes) < MIN_SCALAR_GROUP:
                    run += nodes
                    continue
            if run:
                steps.append(_Run(run, sslot))
                run = []
            if key[4] is not None:
                (v,) = nodes
                steps.append(_Reduce(v.op, vslot[v._a], sslot[v], needs[v._a]))
                continue
            operands = []
            for j, batch_in in enumerate(kinds):
                ins = [v.inputs[j] for v in nodes]
                idx, sums = _index([(vslot if batch_in else sslot)[i] for i in ins])
                operands.append((batch_in, idx, sums, any(needs[i] for i in ins)))
            steps.append(_Group(row, out_batch, operands, lo, lo + len(nodes)))
        if run:
            steps.append(_Run(run, sslot))
        self._steps, self._sslot, self._vslot, self._root = steps, sslot, vslot, sslot[root]
        self._S = np.zeros(len(sslot))  # the scalars: parameters, constants, then the nodes
        self._S[len(self.params) : len(scalars)] = [v.data for v in scalars[len(self.params) :]]
        self._batch_consts = [v.data for v in batch_consts]
        self._V = self._GV = None
        self.grads = np.zeros(len(self.params))  # the last run's gradients (see run)
        self._parts = _blocks(order, steps, sslot)
        self._width = max(MIN_BLOCK, BLOCK_BYTES // (16 * max(1, len(vslot))))
        whole = WHOLE_BYTES // (16 * max(1, len(vslot))) + 1  # examples: past WHOLE_BYTES
        self._blocks_from = np.inf if self._parts is None else max(whole, self._width + 1)
        self._last = None  # (inputs, blocks) of the last step if it ran in blocks
        self._sums = None  # the layers' sums in such a step, whole

    def step(self, *arrays):
        """Forward on new input arrays and the parameters' `.data`, then backward; return the loss.

        Adds each parameter's gradient to its `.grad`, as backward() does.
        """
        loss = self.run(self._columns(arrays), [p.data for p in self.params])
        for p, g in zip(self.params, self.grads.tolist()):
            p.grad = p.grad + g
        return loss

    def run(self, inputs, data):
        """step() on arrays, touching no Value: `inputs` a 2-D array (a row per input, a column
        per example), `data` the parameters' numbers in `params` order; return the loss.

        The parameters' gradients are left in `self.grads`, an array in `params` order that
        the next run overwrites. nn.fit keeps the numbers in arrays between its steps. A batch
        too big to hold whole (WHOLE_BYTES) runs a block of examples at a time (_run_blocks).
        """
        m, n = self._check(inputs)
        if n >= self._blocks_from:
            return self._run_blocks(np.array(inputs, dtype=float), data)
        self._last = None
        V, S, n = self._load(inputs, m), self._S, len(self.params)
        S[:n] = data
        saved, step = [], None
        try:
            for step in self._steps:
                saved.append(step.forward(V, S))
        except (ValueError, ZeroDivisionError, OverflowError) as err:
            raise type(err)(f"Tape.step: {step.names} failed on these data: {err}") from None
        GV, GS = self._GV, np.zeros(len(S))
        GV.fill(0.0)
        GS[self._root] = 1.0
        try:
            for step, keep in zip(reversed(self._steps), reversed(saved)):
                step.backward(keep, V, S, GV, GS)
        except (ValueError, ZeroDivisionError, OverflowError) as err:
            raise type(err)(f"Tape.step: backward through {step.names}: {err}") from None
        self.grads = GS[:n]
        return float(S[self._root])

    def _run_blocks(self, inputs, data):
        """run() a block of examples at a time, for a batch too big to hold whole.

        The batch's steps (everything before the reductions) run block by block: a pass to
        reach the reductions, keeping whole only the rows they read and the layers' sums
        (the costly steps: a call or two per input), then a pass per block that puts those
        sums back, replays the block's other steps (one call each, the same rows on the same
        numbers: the same values) and runs its backward. Everything else is held for one block
        at a time, in arrays reused every step. Loss and values are the whole batch's to the
        bit; a weight's gradient is summed block by block (to about 1e-16 of the whole sum).
        """
        pre, mid, post, rows, sums = self._parts
        n, k = inputs.shape[1], -(-inputs.shape[1] // self._width)
        w = -(-n // k)
        cuts = [(c, min(n, c + w)) for c in range(0, n, w)]
        S = self._S
        S[: len(self.params)] = data
        try:
            kept = [step.forward(None, S) for step in pre]
            R = np.empty((len(rows), n))  # the rows the reductions read, whole
            if self._sums is None or self._sums.shape[1] != n:
                self._sums = np.empty((len(sums), n))  # the layers' sums, whole
            for c0, c1 in cuts:
                V = self._block(inputs, c0, c1)
                saved = [step.forward(V, S) for step in mid]
                R[:, c0:c1] = V[rows]
                self._sums[:, c0:c1] = V[sums]
            kept += [step.forward(R, S) for step in post]
            GS, GR = np.zeros(len(S)), np.zeros_like(R)
            GS[self._root] = 1.0
            for step, keep in zip(reversed(post), reversed(kept)):
                step.backward(keep, R, S, GR, GS)
            for c0, c1 in reversed(cuts):  # the last block's values are still in V
                if c1 < n:
                    V = self._block(inputs, c0, c1)
                    V[sums] = self._sums[:, c0:c1]
                    saved = [
                        step.operands(V, S) if type(step) is _fuse.Layer else step.forward(V, S)
                        for step in mid
                    ]
                GV = self._GV[: V.size].reshape(V.shape)
                GV.fill(0.0)
                GV[rows] = GR[:, c0:c1]
                for step, keep in zip(reversed(mid), reversed(saved)):
                    step.backward(keep, V, S, GV, GS)
            for step, keep in zip(reversed(pre), reversed(kept[: len(pre)])):
                step.backward(keep, None, S, None, GS)
        except (ValueError, ZeroDivisionError, OverflowError):
            # Name the op and the example as a whole-batch step does: run it whole (it fails).
            self._V = self._GV = None
            return self._whole(inputs, data)
        self._last = inputs, cuts
        self.grads = GS[: len(self.params)]
        return float(S[self._root])

    def _whole(self, inputs, data):
        """run() on the whole batch however big (to report a failure as it would)."""
        start, self._blocks_from = self._blocks_from, np.inf
        try:
            return self.run(inputs, data)
        finally:
            self._blocks_from = start

    def _block(self, inputs, c0, c1):
        """The value rows for examples c0 to c1 (a view of an array reused every step)."""
        size = len(self._vslot) * (c1 - c0)
        if self._V is None or self._V.ndim != 1 or self._V.size < size:
            self._V, self._GV = np.empty(size), np.empty(size)
        V = self._V[:size].reshape(len(self._vslot), c1 - c0)
        m = len(self.inputs)
        V[:m] = inputs[:, c0:c1]
        for k, data in enumerate(self._batch_consts, m):
            V[k] = data[c0:c1]
        return V

    def _replay(self, row):
        """Row `row` of the values of the last step, which ran in blocks: a forward pass."""
        inputs, cuts = self._last
        if row < len(self.inputs):
            return inputs[row].copy()
        out = np.empty(inputs.shape[1])
        for c0, c1 in cuts:
            V = self._block(inputs, c0, c1)
            for step in self._parts[1]:
                step.forward(V, self._S)
            out[c0:c1] = V[row]
        return out

    def data(self, node):
        """The number(s) `node` held in the last step (a copy).

        A partial sum or product inside a neuron's fused chain is stored nowhere: it is
        recomputed from the chain's inputs, with the same rows, so it is the same number.
        After a step that ran in blocks (a big batch, see run), only the last block's values
        are held: a batch node's numbers are recomputed by a forward pass over the blocks,
        from that step's inputs and parameters, so they are that step's, to the bit.
        """
        if node in self._folded:
            return _fuse.recompute(self._folded[node], node, self.data)
        if node in self._vslot and self._last is not None:
            return self._replay(self._vslot[node])
        if node in self._vslot:
            return self._V[self._vslot[node]].copy()
        if node in self._sslot:
            return float(self._S[self._sslot[node]])
        raise ValueError(f"Tape.data: {node!r} is not a node of this tape")

    def _columns(self, arrays):
        """step()'s input arrays, checked, as run() takes them: one 2-D array, a row each."""
        if len(arrays) != len(self.inputs):
            raise TypeError(f"Tape.step: expected {len(self.inputs)} arrays, got {len(arrays)}")
        arrays = [_as_column(a, i) for i, a in enumerate(arrays)]
        fixed = len(self._batch_consts[0]) if self._batch_consts else None
        n = (len(arrays[0]) if arrays[0].ndim == 1 else 0) if arrays else fixed or 1
        for i, a in enumerate(arrays):
            if a.ndim != 1 or a.size == 0 or len(a) != n:
                raise ValueError(
                    f"Tape.step: array {i} must be 1-D with one number per example "
                    f"(the first has {n}), got shape {a.shape}"
                )
        return np.array(arrays) if arrays else np.empty((0, n))

    def _check(self, inputs):
        """run()'s inputs, refused unless a 2-D array of a row per input; returns the rows."""
        m, n = np.shape(inputs) if np.ndim(inputs) == 2 else (None, 0)
        if m != len(self.inputs) or n == 0:
            raise ValueError(
                f"Tape.run: inputs must be a 2-D array of {len(self.inputs)} rows (one per "
                f"input) and a column per example, got shape {np.shape(inputs)}"
            )
        fixed = len(self._batch_consts[0]) if self._batch_consts else None
        if fixed is not None and n != fixed:
            raise ValueError(
                f"Tape.step: the graph holds a constant batch of {fixed} examples "
                f"(targets not passed as inputs, or a value made under no_grad), got {n}"
            )
        return m, n

    def _load(self, inputs, m):
        """The value rows for this step's batch, inputs written in."""
        n = np.shape(inputs)[1]
        if self._V is None or self._V.ndim != 2 or self._V.shape[1] != n:
            self._V, self._GV = np.empty((len(self._vslot), n)), np.empty((len(self._vslot), n))
            for k, data in enumerate(self._batch_consts, len(self.inputs)):
                self._V[k] = data
        self._V[:m] = inputs
        return self._V


def _blocks(order, steps, sslot):
    """The steps split for running a batch in blocks (Tape.run), or None if it cannot be.

    Returns (before, batch, after, rows, sums): steps that make numbers from numbers only, the
    steps that make batches, the reductions and what comes after them (with the V rows they
    read renumbered as rows of the array `rows` picks), and the V rows of the layers' sums.
    Blocks need every batch to be made without a reduction's result (x - x.mean() needs the
    whole batch first).
    """
    late = {}  # made from a reduction
    for v in order:
        late[v] = type(v.data) is not _batch and any(
            type(i.data) is _batch or late[i] for i in v.inputs
        )
        if type(v.data) is _batch and any(late[i] for i in v.inputs):
            return None
    late_slots = {sslot[v] for v in sslot if late.get(v)}
    before, batch, after, rows = [], [], [], []
    for step in steps:
        if isinstance(step, _Reduce):
            step = copy.copy(step)
            if step.i not in rows:
                rows.append(step.i)
            step.i = rows.index(step.i)
            after.append(step)
            continue
        if isinstance(step, _fuse.Layer) or getattr(step, "out_batch", False):
            batch.append(step)
            continue
        made = step.need[-step.n :] if isinstance(step, _Run) else range(step.lo, step.hi)
        kinds = {int(s) in late_slots for s in made}
        if len(kinds) > 1:
            return None
        (after if kinds.pop() else before).append(step)
    sums = [r for s in batch if type(s) is _fuse.Layer for r in range(s.lo, s.hi)]
    return before, batch, after, rows, np.array(sums, dtype=int)


def _as_column(a, i):
    """Input array i as floats; anything that is not a list or array of reals is a TypeError."""
    try:
        if isinstance(a, (np.ndarray, list, tuple)) and np.asarray(a).dtype.kind in "biuf":
            return np.asarray(a, dtype=float)
    except ValueError:  # a ragged list
        pass
    raise TypeError(
        f"Tape.step: array {i} must be an array (or list) of real numbers, one per example, "
        f"got {type(a).__name__}"
    )


class _Group:
    """Nodes of one level, one op and one kind of inputs: one call of the op's array row."""

    def __init__(self, row, out_batch, operands, lo, hi):
        self.row, self.out_batch, self.operands, self.lo, self.hi = row, out_batch, operands, lo, hi
        self.names = row.name
        self.needed = any(needs for _, _, _, needs in operands)

    def forward(self, V, S):
        # A batch operand: its rows of V; a scalar one: its numbers, as a column for a batch.
        args = [
            V[idx] if batch_in else (S[idx][:, None] if self.out_batch else S[idx])
            for batch_in, idx, _, _ in self.operands
        ]
        if self.row.arity == 1:
            args.append(self.row.param)
        (V if self.out_batch else S)[self.lo : self.hi] = self.row.forward(*args)
        return args

    def backward(self, args, V, S, GV, GS):
        if not self.needed:
            return  # made from inputs and constants only: no parameter is behind it
        g = (GV if self.out_batch else GS)[self.lo : self.hi]
        y = (V if self.out_batch else S)[self.lo : self.hi]
        for (batch_in, idx, sums, needs), d in zip(self.operands, self.row.local(*args, y)):
            if not needs:
                continue
            c = g if type(d) is float and d == 1.0 else d * g
            if not batch_in and self.out_batch:  # a weight used by every example: sum theirs
                c = c.sum(axis=1)
            G = GV if batch_in else GS
            if sums is None:
                G[idx] += c
            else:  # some rows feed several nodes here: sum their contributions first
                perm, rows, starts = sums
                G[rows] += np.add.reduceat(c if perm is None else c[perm], starts, axis=0)


class _Run:
    """Scalar nodes one by one with the float rows, on a list of just the slots they touch."""

    def __init__(self, nodes, sslot):
        need = sorted({sslot[u] for v in nodes for u in (v, *v.inputs)})
        at = {s: k for k, s in enumerate(need)}  # the nodes' own slots are the last ones
        self.ops = [
            (v.op, at[sslot[v]], at[sslot[v._a]], -1 if v._b is None else at[sslot[v._b]])
            for v in nodes
        ]
        self.need, self.n = np.array(need), len(nodes)
        self.names = ", ".join(sorted({v.op.name for v in nodes}))

    def forward(self, V, S):
        s = S[self.need].tolist()
        try:
            for op, o, a, b in self.ops:
                s[o] = op.forward(s[a], s[b]) if b >= 0 else op.forward(s[a], op.param)
        except (ValueError, ZeroDivisionError) as err:  # name the node, as eager mode does
            raise _domain_error(op, (s[a], s[b]) if b >= 0 else (s[a],), err) from None
        S[self.need[-self.n :]] = s[-self.n :]
        return s

    def backward(self, s, V, S, GV, GS):
        gs = GS[self.need].tolist()
        for op, o, a, b in reversed(self.ops):
            g = gs[o]
            if b >= 0:
                da, db = op.local(s[a], s[b], s[o])
                gs[a] += da * g
                gs[b] += db * g
            else:
                (da,) = op.local(s[a], op.param, s[o])
                gs[a] += da * g
        GS[self.need] = gs


class _Reduce:
    """A batch to one number (sum, mean): the array row on that one row of V."""

    def __init__(self, op, i, o, needed):
        self.op, self.i, self.o, self.needed, self.names = op, i, o, needed, op.name

    def forward(self, V, S):
        S[self.o] = self.op.forward(V[self.i], self.op.param)

    def backward(self, _, V, S, GV, GS):
        if self.needed:
            (d,) = self.op.local(V[self.i], self.op.param, S[self.o])
            GV[self.i] += d * GS[self.o]


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
