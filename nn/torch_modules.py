"""The few torch.nn.Modules chainrule has and PyTorch lacks, so `nn.to_torch` has a twin for each.

Imported only by nn.torch_bridge, inside its functions: it imports torch, which chainrule does
not need. Each class computes exactly what the chainrule module of the same name does, on
torch's layouts: features (N, C), sequences (N, L, C) for attention and (N, C, L) for Conv1d.
"""

import torch
from torch import nn


class Step(nn.Module):
    """The perceptron's step: 1 where x >= 0, else 0; its derivative is 0 everywhere."""

    def forward(self, x):
        # 0 * sign(x) keeps the output in the graph (sign's derivative is 0), so backward()
        # through a step gives zeros, as chainrule's step does, instead of an error.
        return (x >= 0).to(x.dtype) + 0.0 * x.sign()


class Swish(nn.Module):
    """x * sigmoid(beta * x) with a constant beta (beta = 1 is torch's SiLU)."""

    def __init__(self, beta=1.0):
        super().__init__()
        self.beta = float(beta)

    def forward(self, x):
        return x * torch.sigmoid(self.beta * x)

    def extra_repr(self):
        return f"beta={self.beta:g}"


class Maxout(nn.Module):
    """`out_features` maxout units: each the largest of `pieces` affine functions of x.

    One Linear holds every piece, unit by unit: rows j·pieces .. j·pieces + pieces - 1 are
    unit j's pieces, so `linear.weight` reads as chainrule's neurons.j.pieces.k.w.
    """

    def __init__(self, in_features, out_features, pieces=2):
        super().__init__()
        self.out_features, self.pieces = out_features, pieces
        self.linear = nn.Linear(in_features, out_features * pieces)

    def forward(self, x):
        pieces = self.linear(x).unflatten(-1, (self.out_features, self.pieces))
        return pieces.max(dim=-1).values  # the gradient goes to the largest piece only

    def extra_repr(self):
        return f"pieces={self.pieces}"


class Residual(nn.Module):
    """x + f(x): the skip connection (nn.residual.Residual)."""

    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return x + self.f(x)


def causal_mask(length, device=None):
    """True above the diagonal: position i may not look at positions after i."""
    return torch.ones(length, length, dtype=torch.bool, device=device).triu(1)


class SelfAttention(nn.Module):
    """One attention head (nn.attention.SelfAttention): softmax(Q Kᵀ · scale) V, no out projection.

    scale: the scores' factor (1/√d for chainrule's scale=True, 1 for False). Input (N, L, d).
    """

    def __init__(self, embed_dim, causal=False, scale=None, bias=True):
        super().__init__()
        self.query = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.key = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.value = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.causal, self.scale = causal, scale

    def forward(self, x):
        q, k, v = self.query(x), self.key(x), self.value(x)
        return nn.functional.scaled_dot_product_attention(
            q, k, v, is_causal=self.causal, scale=self.scale
        )

    def extra_repr(self):
        return f"causal={self.causal}, scale={self.scale}"


class MultiHeadSelfAttention(nn.MultiheadAttention):
    """torch.nn.MultiheadAttention called as chainrule's is: forward(x) = attention(x, x, x).

    The same parameters under the same names (in_proj_weight, out_proj.weight, ...), so its
    state_dict loads into a plain MultiheadAttention. batch_first: input (N, L, embed_dim),
    or (L, embed_dim) for one sequence. causal: each position sees itself and earlier ones.
    """

    def __init__(self, embed_dim, num_heads, causal=False, bias=True):
        super().__init__(embed_dim, num_heads, bias=bias, batch_first=True)
        self.causal = causal

    def forward(self, x):
        mask = causal_mask(x.shape[-2], x.device) if self.causal else None
        return super().forward(x, x, x, attn_mask=mask, need_weights=False)[0]


class CausalEncoderLayer(nn.TransformerEncoderLayer):
    """torch.nn.TransformerEncoderLayer that always applies the causal mask (causal=True blocks)."""

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        mask = causal_mask(src.shape[-2], src.device)
        return super().forward(src, mask, src_key_padding_mask)
