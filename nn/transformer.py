"""A Transformer block: attention, then a small MLP at each position, each behind a layer norm
and a residual connection. Lesson 20 trains one to reverse short sequences.

Pre-norm, as torch.nn.TransformerEncoderLayer(norm_first=True) computes it:

    x = x + MultiHeadAttention(LayerNorm1(x))     tokens look at each other
    x = x + FF(LayerNorm2(x))                     each token on its own: Linear -> ReLU -> Linear

Every part is an existing module (nn.norm, nn.attention, nn.residual, nn.layers), so the
engine computes every gradient; this file only wires them. The parts are scoped "norm1",
"attention", "norm2" and "ff", so a picture folds each to a box, or the block to one.
"""

import numbers

from autograd import Value

from .attention import MultiHeadAttention, Projection
from .init import as_rng
from .layers import _check_size
from .module import Module, Sequential
from .norm import LayerNorm
from .residual import Residual

_LISTS = (list, tuple)


def _check_sequence(where, x, dim):
    """Refuse anything but a non-empty list of positions, each a list of `dim` features."""
    if not isinstance(x, _LISTS) or not x or not all(isinstance(p, _LISTS) for p in x):
        raise TypeError(
            f"{where}: expected a sequence (a list of positions, each a list of {dim} "
            f"features), got {type(x).__name__} {x!r}"[:300]
        )
    for t, features in enumerate(x):
        if len(features) != dim:
            raise ValueError(
                f"{where}: expected {dim} features at each position, got {len(features)} "
                f"at position {t}"
            )
        for v in features:
            if not isinstance(v, Value) and (
                not isinstance(v, numbers.Real) or isinstance(v, bool)
            ):
                raise TypeError(f"{where}: expected numbers or Values, got {v!r} at position {t}")


class FeedForward(Module):
    """Linear(embed_dim, ff_dim) -> ReLU -> Linear(ff_dim, embed_dim) at every position.

    The same weights serve each position (the positions never mix here: that is attention's
    job). Takes a sequence, or one position's list of features.
    """

    def __init__(self, embed_dim, ff_dim, rng=None):
        _check_size("FeedForward: embed_dim", embed_dim)
        _check_size("FeedForward: ff_dim", ff_dim)
        rng = as_rng(rng)
        # torch.nn.Linear's layers, names and initialisation: U(-1/sqrt(nin), 1/sqrt(nin))
        self.linear1 = Projection(embed_dim, ff_dim, rng=rng)
        self.linear2 = Projection(ff_dim, embed_dim, rng=rng)
        self.linear1.name, self.linear2.name = "linear1", "linear2"
        self.tag_parameters()

    def forward(self, x):
        """Linear, ReLU, Linear on each position (or on the one position given)."""
        if x and not isinstance(x[0], _LISTS):
            return self._one(x)
        return [self._one(features) for features in x]

    def _one(self, features):
        return self.linear2([h.relu() for h in self.linear1(features)])

    def __repr__(self):
        return f"FeedForward({len(self.linear1.neurons[0].w)}, {len(self.linear1.neurons)})"


class TransformerBlock(Module):
    """One pre-norm Transformer encoder block on a sequence; returns a sequence of its shape.

    embed_dim: features per position (a multiple of num_heads). ff_dim: the feed-forward
    width, default 4 * embed_dim (the original paper's ratio; torch's default is 2048).
    causal: each position attends only to itself and earlier ones. Equal to
    torch.nn.TransformerEncoderLayer(embed_dim, num_heads, ff_dim, dropout=0.0,
    activation="relu", batch_first=True, norm_first=True) with the same weights.
    Input: a list of positions, each a list of embed_dim numbers or Values (each may hold a
    batch: one number per example, as nn.fit(batched=True) feeds).
    """

    def __init__(self, embed_dim, num_heads=2, ff_dim=None, causal=False, rng=None):
        _check_size("TransformerBlock: embed_dim", embed_dim)
        _check_size("TransformerBlock: num_heads", num_heads)
        if embed_dim % num_heads:
            raise ValueError(
                f"TransformerBlock: embed_dim {embed_dim} must be a multiple of num_heads "
                f"{num_heads} (each head gets embed_dim / num_heads features)"
            )
        ff_dim = 4 * embed_dim if ff_dim is None else ff_dim
        _check_size("TransformerBlock: ff_dim", ff_dim)
        if not isinstance(causal, bool):
            raise TypeError(f"TransformerBlock: causal must be True or False, got {causal!r}")
        rng = as_rng(rng)
        self.embed_dim, self.num_heads, self.ff_dim, self.causal = (
            embed_dim, num_heads, ff_dim, causal
        )  # fmt: skip
        norm1 = LayerNorm(embed_dim)
        attention = MultiHeadAttention(embed_dim, num_heads, causal=causal, rng=rng)
        norm2 = LayerNorm(embed_dim)
        ff = FeedForward(embed_dim, ff_dim, rng=rng)
        for part, name in (
            (norm1, "norm1"),
            (attention, "attention"),
            (norm2, "norm2"),
            (ff, "ff"),
        ):
            part.name = name
        # x + attention(norm1(x)) and x + ff(norm2(x)): two residual connections. Their inner
        # Sequentials are left unnamed, so the parts' scopes are "norm1", "attention" (inside
        # this block's), not "f.norm1", and the adds sit in the block itself.
        self.residual1 = Residual(Sequential(norm1, attention))
        self.residual2 = Residual(Sequential(norm2, ff))
        self.residual1.f.name = self.residual2.f.name = ""
        self.tag_parameters()

    # The parts by name (they live inside the residual connections).
    @property
    def norm1(self):
        return self.residual1.f.layers[0]

    @property
    def attention(self):
        return self.residual1.f.layers[1]

    @property
    def norm2(self):
        return self.residual2.f.layers[0]

    @property
    def ff(self):
        return self.residual2.f.layers[1]

    def forward(self, x):
        """x + attention(norm1(x)), then that + ff(norm2(that)): a sequence of x's shape."""
        _check_sequence("TransformerBlock", x, self.embed_dim)
        return self.residual2(self.residual1(x))

    def __repr__(self):
        causal = ", causal=True" if self.causal else ""
        return (
            f"TransformerBlock({self.embed_dim}, num_heads={self.num_heads}, "
            f"ff_dim={self.ff_dim}{causal})"
        )
