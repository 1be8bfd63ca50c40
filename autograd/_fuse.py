"""The tape's chains of adds, each replayed as a few numpy calls: a neuron's b + w0·x0 + ...

A neuron adds its inputs one at a time (nn/layers.py: `out = out + wi * xi`), so its graph is
a chain with one add per input:

    b ──(+)──(+)──(+)── out       each (+) reads the node before it (nothing else does)
         │    │    │              and one product (nothing else reads it either):
      w0·x0 w1·x1 w2·x2           a number (a weight) times a batch (one value per example)

By levels, that is one tape step per add, and every partial sum and product stored as a row
of the value array. Instead the tape finds the chains when it plans, and replays the chains
of a layer (same length, same level) together. With W the weights (a row per neuron, a column
per input) and acc a buffer with a row per neuron and a column per example, for j = 0, 1, ...:

    acc = b + W[:, 0]·x0        acc = acc + W[:, j]·xj

These are the multiplications and additions eager mode does for each neuron, in the same
order, so the numbers are eager's bit for bit. Only the chain's end (`out`) is stored; the
tape recomputes a partial sum or product if asked for one (Tape.data). The products of
several positions are made in one call (a reused buffer of up to BLOCK numbers); a tiny
layer (one example) makes all of them at once and sums them with one np.add.accumulate,
which also adds left to right.

Backward comes from the same two rows of the op table, checked when this module loads:
- add's local derivatives are the constants (1, 1), so the start and every product get the
  end's gradient g unchanged;
- mul's local derivatives hand back the other operand, d(w·x)/dw = x and d(w·x)/dx = w, so
  "local times g, summed over the examples" for a whole layer is a matrix product:
  grad W = g @ xᵀ, grad x = Wᵀ @ g. BLAS adds those sums in its own order: the gradients
  agree with eager's to about 1e-16 (as the tape's sums over examples always did), the
  loss and every stored value exactly.

A chain of plain numbers (the L2 penalty: a sum of p·p over hundreds of parameters) is one
np.cumsum, which adds left to right exactly as the chain does; every term gets the end's
gradient. A node that something else also reads ends its chain (it is stored); the next
add starts a new chain from it.
"""

import operator

import numpy as np

from .ops import OPS
from .value import _batch

ADD, MUL = OPS["add"], OPS["mul"]
MIN_CUMSUM = 8  # a shorter chain of plain numbers stays in the tape's loop over floats
SMALL = 256  # a layer with this few neurons x examples: one call each of mul and add
BLOCK = 1 << 17  # else its products are made this many at a time (1 MB), then added


def _rows_say_so():
    """Whether the table's add and mul are what the fused replay computes (module docstring)."""
    a, b = object(), object()
    try:  # a local derivative that computed with its inputs would raise on these
        add_locals, mul_locals = ADD.local(a, b, None), MUL.local(a, b, None)
    except TypeError:
        return False
    return (
        ADD.forward is operator.add  # np.add and np.multiply are these, with out=
        and MUL.forward is operator.mul
        and tuple(add_locals) == (1.0, 1.0)
        and len(mul_locals) == 2
        and mul_locals[0] is b
        and mul_locals[1] is a
    )


FUSE = _rows_say_so()


class Chain:
    """head + terms[0] + terms[1] + ...: `nodes` are the adds, in order; `batch` if a layer's."""

    __slots__ = ("head", "terms", "nodes", "batch", "pairs")

    def __init__(self, head, term, node, batch):
        self.head, self.terms, self.nodes, self.batch = head, [term], [node], batch
        self.pairs = []  # a layer's chain: (weight, x) of each product, in order

    @property
    def inputs(self):
        """What the chain reads from outside: the head, then the x's, then the weights."""
        if not self.batch:
            return (self.head, *self.terms)
        return (self.head, *[x for _, x in self.pairs], *[w for w, _ in self.pairs])


def users(order):
    """How many times each node is read by the nodes of `order` (a*a reads a twice)."""
    count = dict.fromkeys(order, 0)
    for node in order:
        if node._a is not None:
            count[node._a] += 1
            if node._b is not None:
                count[node._b] += 1
    return count


def find_chains(order, count):
    """Every chain worth fusing in `order` (topological), each with its last add at the end."""
    if not FUSE:
        return []
    chain_of, chains = {}, []
    for node in order:
        if node.op is not ADD:
            continue
        left, right = node._a, node._b
        batch = type(node.data) is _batch
        if batch:  # the right input must be a weight times a batch, read only by this add
            if right.op is not MUL or count[right] != 1:
                continue
            a, b = right._a, right._b
            a_batch, b_batch = type(a.data) is _batch, type(b.data) is _batch
            if a_batch == b_batch:
                continue
            pair = (b, a) if a_batch else (a, b)  # (weight, batch), in either order
        elif type(left.data) is _batch or type(right.data) is _batch:
            continue  # a batch summed into a number is not an add
        chain = chain_of.get(left) if count[left] == 1 else None
        if chain is not None and chain.batch == batch:
            chain.nodes.append(node)
            chain.terms.append(right)
        else:
            chain = Chain(left, right, node, batch)
            chains.append(chain)
        if batch:
            chain.pairs.append(pair)
        chain_of[node] = chain
    return [c for c in chains if c.batch or len(c.nodes) >= MIN_CUMSUM]


def recompute(chain, node, value):
    """A partial sum or a product inside a fused chain, from its inputs' stored numbers."""
    acc = value(chain.head)
    for add, term in zip(chain.nodes, chain.terms):
        product = MUL.forward(value(term._a), value(term._b))
        if term is node:
            return product
        acc = ADD.forward(acc, product)
        if add is node:
            return acc
    raise ValueError(f"recompute: {node!r} is not in this chain")


def _index(idx):
    """A slice where the slots are evenly spaced (a view, no copy), else the array itself."""
    idx = np.asarray(idx)
    if idx.ndim == 1 and len(idx) > 0:
        step = int(idx[1] - idx[0]) if len(idx) > 1 else 1
        if step >= 1 and np.array_equal(idx, idx[0] + step * np.arange(len(idx))):
            return slice(int(idx[0]), int(idx[0]) + step * len(idx), step)
    return idx


class _Grid:
    """Slots start + i·stride + j of an (n, k) table: a view of S (nn lists w0..wk-1, b)."""

    def __init__(self, start, stride, n, k):
        self.start, self.stride, self.n, self.k = start, stride, n, k

    def __call__(self, A):
        end = self.start + self.n * self.stride
        return A[self.start : end].reshape(self.n, self.stride)[:, : self.k]


def _grid(idx, size):
    """A _Grid for an (n, k) table of slots in an array of `size`, if they are laid out so."""
    n, k = idx.shape
    start, stride = int(idx[0, 0]), int(idx[1, 0] - idx[0, 0]) if n > 1 else k
    grid = idx[0, 0] + stride * np.arange(n)[:, None] + np.arange(k)
    if stride >= k and start + n * stride <= size and np.array_equal(idx, grid):
        return _Grid(start, stride, n, k)
    return None


def _add_into(G, idx, c, unique):
    """G[idx] += c, adding twice where a slot repeats (fan-out)."""
    if unique:
        G[idx] += c
    else:
        np.add.at(G, idx, c)


def _unique(idx):
    return len(np.unique(idx)) == np.size(idx)


class Layer:
    """The chains of one layer, all of k terms: per position j, acc = acc + W[:, j]·x_j."""

    def __init__(self, chains, vslot, sslot, needs, lo, hi, scratch):
        n, k = len(chains), len(chains[0].terms)
        self.lo, self.hi, self.k = lo, hi, k
        self.names = f"a layer's sums ({n} neurons of {k} inputs)"
        self.head_batch = type(chains[0].head.data) is _batch
        heads = [(vslot if self.head_batch else sslot)[c.head] for c in chains]
        self.head, self.head_unique = _index(heads), _unique(heads)
        self.w = np.array([[sslot[w] for w, _ in c.pairs] for c in chains])  # (n, k) slots in S
        self.w_unique = _unique(self.w)
        self.w_grid = _grid(self.w, len(sslot))  # nn's layers: W is a view of S, no copy
        xs = np.array([[vslot[x] for _, x in c.pairs] for c in chains])  # (n, k) rows of V
        # A layer's neurons read the same x's: then X = V[x] is (k, examples), often a view.
        self.shared = bool((xs == xs[0]).all())
        self.x = _index(xs[0]) if self.shared else xs
        self.x_unique = _unique(xs[0]) if self.shared else _unique(xs)
        self.needs_head = any(needs[c.head] for c in chains)
        self.needs_w = any(needs[w] for c in chains for w, _ in c.pairs)
        self.needs_x = any(needs[x] for c in chains for _, x in c.pairs)
        self.scratch, self._tmp = scratch, None

    def operands(self, V, S):
        """What backward reads: this step's weights, and the x's when the neurons share them."""
        W = S[self.w] if self.w_grid is None else self.w_grid(S)
        return W, (V[self.x] if self.shared else None)

    def forward(self, V, S):
        W, X = self.operands(V, S)
        acc = V[self.lo : self.hi]  # the chains' ends
        head = V[self.head] if self.head_batch else S[self.head][:, None]
        n, m = acc.shape
        if self.shared and n * m <= SMALL:
            # Few numbers: every product in one call, then one running sum along the inputs
            # (accumulate adds left to right by definition: head + p0, then + p1, ...; it
            # costs ~4 ns a number, so only where the calls below would cost more).
            P, Q = self._buffers((n, m, self.k + 1), 2)
            P[:, :, 0] = head
            np.multiply(W[:, None, :], X.T[None, :, :], out=P[:, :, 1:])  # the mul row
            np.add.accumulate(P, axis=2, out=Q)  # the add row
            acc[...] = Q[:, :, -1]
            return W, X
        if self.shared:
            # Products for a block of input positions in one call (a buffer of about a
            # megabyte), then one add per position into acc, left to right.
            c = max(1, min(self.k, BLOCK // (n * m)))
            (P,) = self._buffers((c, n, m), 1)
            for j0 in range(0, self.k, c):
                j1 = min(self.k, j0 + c)
                p = P[: j1 - j0]
                np.multiply(W.T[j0:j1, :, None], X[j0:j1, None, :], out=p)  # the mul row
                for j in range(j0, j1):
                    np.add(head if j == 0 else acc, p[j - j0], out=acc)  # the add row
            return W, X
        (tmp,) = self._buffers(acc.shape, 1)
        for j in range(self.k):  # neurons reading different x's: one position at a time
            np.multiply(W[:, j : j + 1], V[self.x[:, j]], out=tmp)
            np.add(head if j == 0 else acc, tmp, out=acc)
        return W, X

    def _buffers(self, shape, count):
        """`count` arrays of `shape` from the tape's scratch, looked up once per shape."""
        if self._tmp is None or self._tmp[0].shape != shape:
            self._tmp = self.scratch.get(shape, count)
        return self._tmp

    def backward(self, saved, V, S, GV, GS):
        W, X = saved
        g = GV[self.lo : self.hi]  # every add passes it on unchanged (add's locals are 1)
        if self.needs_head:
            if self.head_batch:
                _add_into(GV, self.head, g, self.head_unique)
            else:  # a bias is used by every example: the sum of theirs
                _add_into(GS, self.head, g.sum(axis=1), self.head_unique)
        if not (self.needs_w or self.needs_x):
            return
        if self.shared:
            d_w, d_x = MUL.local(W, X, None)  # d(w·x)/dw = x, d(w·x)/dx = w
            if self.needs_w and self.w_grid is not None:  # sum over the examples of g·x: g @ xᵀ
                self.w_grid(GS)[...] += g @ d_w.T
            elif self.needs_w:
                _add_into(GS, self.w, g @ d_w.T, self.w_unique)
            if self.needs_x:  # sum over the neurons of w · g: Wᵀ @ g
                _add_into(GV, self.x, d_x.T @ g, self.x_unique)
            return
        for j in range(self.k):  # neurons reading different x's: one position at a time
            d_w, d_x = MUL.local(W[:, j : j + 1], V[self.x[:, j]], None)
            if self.needs_w:
                _add_into(GS, self.w[:, j], (g * d_w).sum(axis=1), _unique(self.w[:, j]))
            if self.needs_x:
                np.add.at(GV, self.x[:, j], d_x * g)


class Scratch:
    """Work arrays shared by a tape's layers (one runs at a time): grown, never shrunk."""

    def __init__(self):
        self.flat = []

    def get(self, shape, count):
        """`count` arrays of `shape`, views of the first numbers of the shared buffers."""
        size = int(np.prod(shape))
        for i in range(count):
            if i == len(self.flat):
                self.flat.append(np.empty(0))
            if self.flat[i].size < size:
                self.flat[i] = np.empty(size)
        return [a[:size].reshape(shape) for a in self.flat[:count]]


class Cumsum:
    """A chain of plain numbers, head + t0 + t1 + ...: one np.cumsum, left to right."""

    def __init__(self, chain, sslot, needs):
        ins = [sslot[chain.head]] + [sslot[t] for t in chain.terms]
        self.ins, self.unique = _index(ins), _unique(ins)
        self.lo, self.hi = sslot[chain.nodes[0]], sslot[chain.nodes[-1]] + 1
        self.needed = any(needs[v] for v in (chain.head, *chain.terms))
        self.names = f"a sum of {len(chain.terms)} numbers"

    def forward(self, V, S):
        S[self.lo : self.hi] = np.cumsum(S[self.ins])[1:]  # [head, head + t0, ...] minus head

    def backward(self, _, V, S, GV, GS):
        if self.needed:  # add's locals are 1: the head and each term get the end's gradient
            _add_into(GS, self.ins, GS[self.hi - 1], self.unique)
