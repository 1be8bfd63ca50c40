"""Attention, the Transformer's core, from Values: every position mixes the values of all others.

`attention(Q, K, V)` scores each query against each key (S = Q Kᵀ / √d), turns each row of
scores into weights with softmax (A) and mixes the values with them (out = A V). The engine
backpropagates through it like any graph; `attention_backward` is the same backward written
by hand in numpy, the seed tutorial's, so the two can be compared. `SelfAttention` (one head)
and `MultiHeadAttention` (torch.nn.MultiheadAttention's) project a sequence into Q, K and V
first. Attention ignores order, so `positional_encoding` gives each position a signature.
"""

import math
import numbers

import numpy as np

from autograd import Value, scope
from autograd.value import call_in_scope

from .activations import softmax
from .init import as_rng
from .layers import Linear, _check_size
from .module import Module


def _rows(what, rows, where):
    """A sequence (a non-empty list of positions) as lists; the number of features of each."""
    if not isinstance(rows, (list, tuple)) or not rows:
        raise ValueError(f"{where}: {what} must be a non-empty list of positions, got {rows!r}")
    rows = [list(r) if isinstance(r, (list, tuple)) else r for r in rows]
    for i, r in enumerate(rows):
        if not isinstance(r, list) or not r:
            raise ValueError(
                f"{where}: {what}[{i}] must be a non-empty list of features, got {r!r}"
            )
    widths = {len(r) for r in rows}
    if len(widths) > 1:
        raise ValueError(f"{where}: {what}'s positions differ in length: {sorted(widths)}")
    return rows, widths.pop()


def _pair(letter, i, j):
    """A node label: s12 for row 1, column 2 (s10_11 once a number has two digits)."""
    return f"{letter}{i + 1}{j + 1}" if i < 9 and j < 9 else f"{letter}{i + 1}_{j + 1}"


def _dot(a, b):
    """a0 b0 + a1 b1 + ...: a chain of adds, as a neuron's weighted sum is."""
    out = a[0] * b[0]
    for x, y in zip(a[1:], b[1:]):
        out = out + x * y
    return out


def _factor(scale, d, where):
    """The scores' factor: 1/√d for scale=True, none for False, else the number given."""
    if scale is True:
        return 1.0 / math.sqrt(d)
    if scale is False:
        return None
    if isinstance(scale, numbers.Real) and not isinstance(scale, bool) and scale > 0:
        return float(scale)
    raise ValueError(f"{where}: scale={scale!r}; choose True (1/√d), False, or a number > 0")


def attention(Q, K, V, scale=True, causal=False, return_weights=False):
    """Scaled dot-product attention, out = softmax(Q Kᵀ / √d) V, row by row, from Value ops.

    Q: the queries, a list of positions each a list of d features; K: the keys (d features);
    V: the values, one per key. Numbers or Values (one number or a batch each). scale: True
    divides the scores by √d, False leaves them as Q Kᵀ (the seed's version), a number
    multiplies by it. causal: query i sees keys 0..i only; the other scores are left out of the
    graph altogether (not set to -inf), so its shape never depends on the data. Returns the
    output sequence (one list of V's features per query), and with return_weights also A, the
    attention weights (a list of lists of Values; each row sums to 1; a causal row's hidden
    entries are constant zeros outside the graph).
    """
    where = "attention"
    Q, d = _rows("Q", Q, where)
    K, dk = _rows("K", K, where)
    V, _dv = _rows("V", V, where)
    if dk != d:
        raise ValueError(f"{where}: queries have {d} features but keys have {dk}")
    if len(V) != len(K):
        raise ValueError(f"{where}: {len(K)} keys but {len(V)} values (one value per key)")
    factor = _factor(scale, d, where)
    rows = []
    with scope("scores"):  # S_ij = q_i · k_j (· 1/√d)
        c = None if factor is None else Value(factor, f"1/√{d}" if scale is True else "scale")
        for i, q in enumerate(Q):
            row = []
            for j in range(i + 1 if causal else len(K)):
                s = _dot(q, K[j]) if c is None else _dot(q, K[j]) * c
                if type(s) is Value:
                    s.label = _pair("s", i, j)
                row.append(s)
            rows.append(row)
    with scope("softmax"):  # each row of scores -> weights that sum to 1
        A = []
        for i, row in enumerate(rows):
            weights = softmax(row)
            for j, a in enumerate(weights):
                a.label = _pair("a", i, j)
            A.append(weights)
    with scope("mix"):  # out_i = sum_j a_ij v_j
        out = []
        for i, weights in enumerate(A):
            position = []
            for f in range(len(V[0])):
                o = _dot(weights, [V[j][f] for j in range(len(weights))])
                o.label = _pair("o", i, f)
                position.append(o)
            out.append(position)
    if not return_weights:
        return out
    full = [w + [Value(0.0, "0") for _ in range(len(K) - len(w))] for w in A]
    return out, full


def attention_backward(d_out, Q, K, V, A):
    """The gradients of unscaled attention (S = Q Kᵀ, A = softmax(S), out = A V) by hand, numpy.

    The seed tutorial's "simplified" backward, as a reference to check the engine against:
    given d_out = ∂L/∂out, return (dQ, dK, dV). Each line is one step of the chain rule.
    """
    d_out, Q, K, V, A = (np.asarray(m, dtype=float) for m in (d_out, Q, K, V, A))
    dV = A.T @ d_out  # out = A V
    dA = d_out @ V.T
    dS = A * (dA - np.sum(dA * A, axis=-1, keepdims=True))  # softmax, each row: A_i(δ_ij - A_j)
    dQ = dS @ K  # S = Q Kᵀ
    dK = dS.T @ Q
    return dQ, dK, dV


class Projection(Linear):
    """nn.layers.Linear with PyTorch's default initialisation, and with bias=False no biases.

    Weights (and biases) ~ U(-1/√nin, 1/√nin), as torch.nn.Linear; `bound` overrides the
    weights' range and `bias_value` sets every bias (torch.nn.MultiheadAttention: 0). Always
    returns a list, even of one feature.
    """

    def __init__(self, nin, nout, bias=True, bound=None, bias_value=None, rng=None):
        _check_size("Projection: nin", nin)
        rng = as_rng(rng)
        top = 1.0 / math.sqrt(nin)
        bound = top if bound is None else bound
        super().__init__(
            nin, nout, init=lambda fan_in, fan_out, r: r.uniform(-bound, bound), rng=rng
        )
        for n in self.neurons:
            if not bias:
                n.b = None  # not a Value: no parameter, and _weighted_sum leaves it out
            elif bias_value is None:
                n.b.data = rng.uniform(-top, top)
            else:
                n.b.data = float(bias_value)
        self.bias = bool(bias)
        self.tag_parameters()

    def forward(self, x):
        """[b_j + w_j · x for each output j], each in its neuron's scope (no b when bias=False)."""
        if len(x) != len(self.neurons[0].w):
            raise ValueError(f"Projection: expected {len(self.neurons[0].w)} inputs, got {len(x)}")
        return [call_in_scope(n.name, _weighted_sum, n, x) for n in self.neurons]


def _weighted_sum(neuron, x):
    """b + w0 x0 + w1 x1 + ... in a neuron's order (the tape fuses it into one chain)."""
    if neuron.b is None:
        return _dot(neuron.w, x)
    out = neuron.b
    for wi, xi in zip(neuron.w, x):
        out = out + wi * xi
    return out


def _sequence(module, sequence, d):
    """The input sequence checked: a list of positions, each of d features."""
    rows, width = _rows("the sequence", sequence, type(module).__name__)
    if width != d:
        raise ValueError(
            f"{type(module).__name__}: each position needs embed_dim={d} features, got {width}"
        )
    return rows


class SelfAttention(Module):
    """One attention head over a sequence: Q, K, V = x Wqᵀ, x Wkᵀ, x Wvᵀ, then attention().

    The projections are sub-modules "query", "key" and "value" (Linear(embed_dim, embed_dim),
    torch.nn.Linear's initialisation). `weights` holds the last call's attention weights A.
    """

    def __init__(self, embed_dim, causal=False, scale=True, bias=True, rng=None):
        _check_size("SelfAttention: embed_dim", embed_dim)
        _factor(scale, embed_dim, "SelfAttention")
        rng = as_rng(rng)
        self.query = Projection(embed_dim, embed_dim, bias, rng=rng)
        self.key = Projection(embed_dim, embed_dim, bias, rng=rng)
        self.value = Projection(embed_dim, embed_dim, bias, rng=rng)
        for name in ("query", "key", "value"):
            getattr(self, name).name = name
        self.embed_dim, self.causal, self.scale = embed_dim, bool(causal), scale
        self.weights = None  # A of the last forward (a list of lists of Values)
        self.tag_parameters()

    def forward(self, sequence):
        """The attended sequence: one list of embed_dim features per position."""
        x = _sequence(self, sequence, self.embed_dim)
        Q, K, V = ([proj(xi) for xi in x] for proj in (self.query, self.key, self.value))
        out, self.weights = attention(Q, K, V, self.scale, self.causal, return_weights=True)
        return out

    def __repr__(self):
        return f"SelfAttention({self.embed_dim}, causal={self.causal})"


class MultiHeadAttention(Module):
    """torch.nn.MultiheadAttention as self-attention: num_heads heads side by side.

    Q, K and V are projected ("query", "key", "value": torch's in_proj_weight is their three
    weight matrices stacked, in that order, initialised as torch does: Xavier over the stack,
    biases 0). Head h takes features h·hd .. (h+1)·hd - 1 of each (hd = embed_dim / num_heads),
    attends on its own (scores scaled by 1/√hd) in scope "head{h+1}"; the heads' outputs are
    joined in order and projected by "out". `weights` holds the last call's weights per head.
    """

    def __init__(self, embed_dim, num_heads=2, causal=False, bias=True, rng=None):
        _check_size("MultiHeadAttention: embed_dim", embed_dim)
        _check_size("MultiHeadAttention: num_heads", num_heads)
        if embed_dim % num_heads:
            raise ValueError(
                f"MultiHeadAttention: embed_dim={embed_dim} must split evenly into "
                f"num_heads={num_heads} heads"
            )
        rng = as_rng(rng)
        stacked = math.sqrt(6.0 / (embed_dim + 3 * embed_dim))  # xavier_uniform of (3d, d)
        for name in ("query", "key", "value"):
            proj = Projection(embed_dim, embed_dim, bias, stacked, 0.0, rng)
            proj.name = name
            setattr(self, name, proj)
        self.out = Projection(embed_dim, embed_dim, bias, bias_value=0.0, rng=rng)
        self.out.name = "out"
        self.embed_dim, self.num_heads, self.causal = embed_dim, num_heads, bool(causal)
        self.weights = None  # per head, A of the last forward
        self.tag_parameters()

    def forward(self, sequence):
        """The attended sequence (query = key = value = the input), embed_dim features each."""
        x = _sequence(self, sequence, self.embed_dim)
        Q, K, V = ([proj(xi) for xi in x] for proj in (self.query, self.key, self.value))
        hd = self.embed_dim // self.num_heads
        joined = [[] for _ in x]
        self.weights = []
        for h in range(self.num_heads):
            cut = slice(h * hd, (h + 1) * hd)
            with scope(f"head{h + 1}"):
                out, A = attention(
                    [q[cut] for q in Q],
                    [k[cut] for k in K],
                    [v[cut] for v in V],
                    causal=self.causal,
                    return_weights=True,
                )
            self.weights.append(A)
            for position, part in zip(joined, out):
                position.extend(part)
        return [self.out(position) for position in joined]

    def __repr__(self):
        return f"MultiHeadAttention({self.embed_dim}, num_heads={self.num_heads})"


def positional_encoding(length, dim):
    """The sinusoidal positions of "Attention is all you need", a list of `length` rows of `dim`.

    PE[pos][2i] = sin(pos / 10000^(2i/dim)) and PE[pos][2i+1] = cos(pos / 10000^(2i/dim)):
    each pair of features turns at its own rate, so every position gets its own pattern, and
    adding it to the tokens tells attention (which ignores order) where each one stands.
    """
    _check_size("positional_encoding: length", length)
    _check_size("positional_encoding: dim", dim)
    rows = []
    for pos in range(length):
        row = []
        for f in range(dim):
            angle = pos / 10000.0 ** ((f - f % 2) / dim)
            row.append(math.sin(angle) if f % 2 == 0 else math.cos(angle))
        rows.append(row)
    return rows
