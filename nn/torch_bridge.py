"""The same network in PyTorch: `to_torch(model)` and `from_torch(module)`, weights included.

A model that outgrows a scalar engine moves to torch without being rebuilt by hand, and a
student can check every number against torch.autograd. Each chainrule module has a torch twin
(torch's own where one exists, else a small one in nn.torch_modules), and one table of names,
`torch_state_names(model)`, says where each number of `model.state_dict()` sits in the twin's
state_dict. Both directions copy through it, so they cannot disagree.

Layouts: chainrule takes one example, torch a batch. A list of features is torch's (N, C);
a sequence (a list of positions, each a list of channels) is (N, L, C) for LayerNorm,
attention and the Transformer block, and (N, C, L) for Conv1d and the pools, as torch has
them; a layer of one output gives one value where torch gives (N, 1). Dropout draws its own
coins in each library, so compare in eval mode. A torch Sequential of Linear layers and
activations comes back as an MLP (FeedForward's twin too), which reads one position at a
time. torch is optional: it is imported only when a function here runs
(pip install 'chainrule[torch]').
"""

import inspect
import math
import random

from autograd.torch_replay import import_torch

from . import activations as A
from .attention import MultiHeadAttention, Projection, SelfAttention
from .conv import AvgPool1d, Conv1d, MaxPool1d
from .layers import MLP, Dropout, Layer, Linear, Maxout, MaxoutNeuron, Neuron
from .module import Module, Sequential
from .norm import BatchNorm1d, LayerNorm
from .perceptron import Perceptron
from .recurrent import GRUCell, LSTMCell, RNNCell
from .residual import Residual
from .transformer import FeedForward, TransformerBlock

# torch's Softplus returns x itself above `threshold` (20 by default: off by e^-20 = 2e-9).
# From 40 on, log(1 + e^x) rounds to x in float64 anyway, so the twin equals chainrule's.
SOFTPLUS_THRESHOLD = 40.0


def _torch(where):
    """torch.nn and nn.torch_modules, or an ImportError saying how to install torch."""
    import_torch(where)  # imported here, not at the top: torch is optional
    from torch import nn as tnn

    from . import torch_modules

    return tnn, torch_modules


def _describe(piece):
    """A piece as a message names it: its class, or `function <name>` for a plain function."""
    if inspect.isfunction(piece) or inspect.isbuiltin(piece):
        return f"function {piece.__name__}"
    return type(piece).__name__


def _refuse(where, path, piece, reason, kind=ValueError):
    raise kind(f"{where}: {path or 'the model'} ({_describe(piece)}) {reason}")


def _join(path, key):
    return f"{path}.{key}" if path else str(key)


# --- activations: one key per function, (name, constant), shared by both directions -------

_FUNCTIONS = {
    A.sigmoid: "sigmoid", A.tanh: "tanh", A.relu: "relu", A.silu: "silu", A.gelu: "gelu",
    A.softplus: "softplus", A.step: "step",
}  # fmt: skip
_CONSTANT = {
    A.leaky_relu: ("leaky_relu", "alpha"),
    A.elu: ("elu", "alpha"),
    A.swish: ("swish", "beta"),
}
_MODULES = {
    A.Sigmoid: "sigmoid", A.Tanh: "tanh", A.ReLU: "relu", A.SiLU: "silu", A.GELU: "gelu",
    A.Softplus: "softplus", A.Step: "step", A.PReLU: "prelu", A.Softmax: "softmax",
}  # fmt: skip


def _key(name, constant=None):
    """swish with beta 1 is SiLU, in both libraries: one key for both."""
    return ("silu", None) if name == "swish" and constant == 1.0 else (name, constant)


def _activation_key(act, where, path):
    """What a chainrule activation computes, as (name, constant); None for none."""
    if act is None:
        return None
    if act in _FUNCTIONS:
        return _key(_FUNCTIONS[act])
    if act in _CONSTANT:  # called with its default constant (MLP(activation="elu"))
        name, arg = _CONSTANT[act]
        return _key(name, inspect.signature(act).parameters[arg].default)
    kind = type(act)
    if kind in _MODULES:
        return _key(_MODULES[kind])
    if kind in (A.LeakyReLU, A.ELU):
        return _key("leaky_relu" if kind is A.LeakyReLU else "elu", act.alpha)
    if kind is A.Swish:
        if not isinstance(act.beta, float):
            _refuse(where, path, act, "has a learnable beta; torch's twin takes a constant one")
        return _key("swish", act.beta)
    names = sorted({*_FUNCTIONS.values(), *(n for n, _ in _CONSTANT.values()), "prelu"})
    _refuse(where, path, act, f"has no PyTorch twin; activations: {', '.join(names)}", TypeError)


def _torch_activation(key, count=1):
    """The torch module computing `key`; PReLU with `count` slopes."""
    tnn, own = _torch("to_torch")
    name, c = key
    return {
        "sigmoid": tnn.Sigmoid, "tanh": tnn.Tanh, "relu": tnn.ReLU, "silu": tnn.SiLU,
        "gelu": tnn.GELU, "step": own.Step, "softmax": lambda: tnn.Softmax(dim=-1),
        "softplus": lambda: tnn.Softplus(threshold=SOFTPLUS_THRESHOLD),
        "leaky_relu": lambda: tnn.LeakyReLU(c), "elu": lambda: tnn.ELU(c),
        "swish": lambda: own.Swish(c), "prelu": lambda: tnn.PReLU(count),
    }[name]()  # fmt: skip


def _torch_activation_key(t):
    """The key of a torch activation module, or None if `t` is not one chainrule has."""
    tnn, own = _torch("from_torch")
    plain = {
        tnn.Sigmoid: "sigmoid", tnn.Tanh: "tanh", tnn.ReLU: "relu", tnn.SiLU: "silu",
        own.Step: "step",
    }  # fmt: skip
    kind = type(t)
    if kind in plain:
        return _key(plain[kind])
    if kind is tnn.GELU and t.approximate == "none":
        return _key("gelu")
    if kind is tnn.Softplus and t.beta == 1.0 and t.threshold >= 20.0:
        return _key("softplus")  # torch's threshold: off by at most e^-threshold
    if kind is tnn.LeakyReLU:
        return _key("leaky_relu", float(t.negative_slope))
    if kind is tnn.ELU:
        return _key("elu", float(t.alpha))
    if kind is own.Swish:
        return _key("swish", t.beta)
    if kind is tnn.PReLU:
        return _key("prelu", t.num_parameters)
    if kind is tnn.Softmax and t.dim in (-1, 1):  # over the features of (N, C)
        return _key("softmax")
    return None


def _chainrule_activation(key):
    """The chainrule module computing `key` (PReLU: one slope, filled in by the names)."""
    name, c = key
    if name in ("leaky_relu", "elu", "swish"):
        return {"leaky_relu": A.LeakyReLU, "elu": A.ELU, "swish": A.Swish}[name](c)
    kinds = {v: k for k, v in _MODULES.items()}
    return kinds[name]()


def _neuron_activation(key):
    """MLP's activation= for `key`: a name, or a module holding the constant; None for none."""
    if key is None:
        return None
    if key[0] in ("leaky_relu", "elu", "swish"):
        return _chainrule_activation(key)
    return key[0]


# --- chainrule -> torch: each module's twin as a list of pieces ---------------------------
# A piece is (torch module, {name in its state_dict: [chainrule names, in torch's flat order]}).
# Containers splice their children's pieces into one torch Sequential.


def _weights(neurons, nin, bias=True):
    """A Linear's names for neurons at these prefixes: weight row j is neuron j's w."""
    names = {"weight": [f"{n}w.{i}" for n in neurons for i in range(nin)]}
    if bias:
        names["bias"] = [f"{n}b" for n in neurons]
    return names


def _neuron_pieces(neurons, prefixes, where, path, softmax=False):
    """Linear then the neurons' one activation (they must agree); maxout neurons: Maxout."""
    tnn, own = _torch(where)
    if isinstance(neurons[0], MaxoutNeuron):
        pieces = [f"{p}pieces.{k}." for p in prefixes for k in range(len(neurons[0].pieces))]
        nin = len(neurons[0].pieces[0].w)
        twin = own.Maxout(nin, len(neurons), len(neurons[0].pieces))
        return [(twin, {f"linear.{k}": v for k, v in _weights(pieces, nin).items()})]
    keys = [
        _activation_key(n.act, where, _join(path, f"{p}act")) for n, p in zip(neurons, prefixes)
    ]
    for n, p, key in zip(neurons, prefixes, keys):
        if key != keys[0]:
            reason = "differs from the first neuron's activation; torch applies one to a layer"
            _refuse(where, _join(path, f"{p}act"), n.act, reason)
    if keys[0] is not None and keys[0][0] == "softmax":  # over one value: always 1
        _refuse(where, _join(path, f"{prefixes[0]}act"), neurons[0].act, "is a neuron's "
                "activation; a softmax layer is Layer(..., activation='softmax')")  # fmt: skip
    nin = len(neurons[0].w)
    out = [(tnn.Linear(nin, len(neurons)), _weights(prefixes, nin))]
    if keys[0] is not None:
        slopes = {"weight": [f"{p}act.alpha" for p in prefixes]} if keys[0][0] == "prelu" else {}
        out.append((_torch_activation(keys[0], len(neurons)), slopes))
    if softmax:
        out.append((_torch_activation(("softmax", None)), {}))
    return out


def _pieces(m, where, path):
    """The twin of chainrule module `m` as pieces (see above); refuses what torch lacks."""
    tnn, own = _torch(where)
    kind = type(m)
    if kind in (Sequential, MLP):
        out = []
        for i, layer in enumerate(m.layers):
            prefix = f"layers.{i}."
            for twin, names in _pieces(layer, where, _join(path, prefix[:-1])):
                out.append((twin, {k: [prefix + c for c in v] for k, v in names.items()}))
            if kind is MLP and m.dropout is not None and i < len(m.layers) - 1:
                out.append((tnn.Dropout(m.dropout.p), {}))
        return out
    if kind in (Layer, Linear, Maxout):
        prefixes = [f"neurons.{j}." for j in range(len(m.neurons))]
        return _neuron_pieces(m.neurons, prefixes, where, path, m.softmax)
    if kind in (Neuron, MaxoutNeuron):
        return _neuron_pieces([m], [""], where, path)
    if kind is Perceptron:
        return [(tnn.Linear(len(m.w), 1), _weights([""], len(m.w))), (own.Step(), {})]
    if kind in _MODULES or kind in (A.LeakyReLU, A.ELU, A.Swish):
        key = _activation_key(m, where, path)
        return [(_torch_activation(key), {"weight": ["alpha"]} if key[0] == "prelu" else {})]
    if kind is Residual:
        twin, names = _twin(m.f, where, _join(path, "f"))
        return [(own.Residual(twin), _prefixed(names, "f.", "f."))]
    return [_leaf_twin(m, where, path)]


def _leaf_twin(m, where, path):
    """One module's twin: torch's own layer with chainrule's settings, and the names."""
    tnn, own = _torch(where)
    kind = type(m)
    if kind is Dropout:
        return tnn.Dropout(m.p), {}
    if kind is Projection:
        nout, nin = len(m.neurons), len(m.neurons[0].w)
        prefixes = [f"neurons.{j}." for j in range(nout)]
        return tnn.Linear(nin, nout, bias=m.bias), _weights(prefixes, nin, m.bias)
    if kind is BatchNorm1d:
        twin = tnn.BatchNorm1d(m.num_features, m.eps, m.momentum, m.affine, m.track_running_stats)
        names = _norm_names(m.num_features, m.affine)
        if m.track_running_stats:
            for stat in ("running_mean", "running_var"):
                names[stat] = [f"{stat}.{j}" for j in range(m.num_features)]
            names["num_batches_tracked"] = ["num_batches_tracked"]
        return twin, names
    if kind is LayerNorm:
        twin = tnn.LayerNorm(m.normalized_shape, m.eps, m.elementwise_affine)
        return twin, _norm_names(m.normalized_shape, m.elementwise_affine)
    if kind is Conv1d:
        twin = tnn.Conv1d(
            m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, bias=bool(m.bias)
        )
        names = {"weight": [f"weight.{n}" for n in range(len(m.weight))]}  # torch's (o, i, k)
        if m.bias:
            names["bias"] = [f"bias.{o}" for o in range(m.out_channels)]
        return twin, names
    if kind in (MaxPool1d, AvgPool1d):
        pool = tnn.MaxPool1d if kind is MaxPool1d else tnn.AvgPool1d
        return pool(m.kernel_size, m.stride, m.padding), {}
    if kind in (RNNCell, GRUCell, LSTMCell):
        extra = {"nonlinearity": m.nonlinearity} if kind is RNNCell else {}
        twin = getattr(tnn, kind.__name__)(m.input_size, m.hidden_size, m.bias, **extra)
        return twin, {
            n: [f"{n}.{i}" for i in range(len(getattr(m, n)))]
            for n in _CELL_PARAMS
            if getattr(m, n)
        }
    if kind is SelfAttention:
        d = m.embed_dim
        scale = {True: 1.0 / math.sqrt(d), False: 1.0}.get(m.scale, m.scale)
        twin = own.SelfAttention(d, m.causal, scale, m.query.bias)
        return twin, {
            f"{p}.{k}": v
            for p in ("query", "key", "value")
            for k, v in _weights(_neurons(p, d), d, m.query.bias).items()
        }
    if kind is MultiHeadAttention:
        twin = own.MultiHeadSelfAttention(m.embed_dim, m.num_heads, m.causal, m.query.bias)
        return twin, _attention_names(m, "")
    if kind is FeedForward:
        d, f = len(m.linear1.neurons[0].w), len(m.linear1.neurons)
        twin = tnn.Sequential(tnn.Linear(d, f), tnn.ReLU(), tnn.Linear(f, d))
        return twin, {**_prefixed(_weights(_neurons("linear1", f), d), "0.", ""),
                      **_prefixed(_weights(_neurons("linear2", d), f), "2.", "")}  # fmt: skip
    if kind is TransformerBlock:
        return _block_twin(m, where, path)
    supported = ", ".join(sorted(k.__name__ for k in _SUPPORTED))
    _refuse(where, path, m, f"has no PyTorch twin; supported: {supported}", TypeError)


_CELL_PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _neurons(prefix, n):
    return [f"{prefix}.neurons.{j}." for j in range(n)]


def _norm_names(n, affine):
    if not affine:
        return {}
    return {"weight": [f"gamma.{j}" for j in range(n)], "bias": [f"beta.{j}" for j in range(n)]}


def _prefixed(names, torch_prefix, chainrule_prefix):
    return {torch_prefix + k: [chainrule_prefix + c for c in v] for k, v in names.items()}


def _attention_names(m, prefix):
    """MultiHeadAttention's names in torch's: query, key and value stacked in in_proj."""
    d, bias = m.embed_dim, m.query.bias
    stacked = [_weights(_neurons(prefix + p, d), d, bias) for p in ("query", "key", "value")]
    names = {"in_proj_weight": [c for s in stacked for c in s["weight"]]}
    if bias:
        names["in_proj_bias"] = [c for s in stacked for c in s["bias"]]
    return {**names, **_prefixed(_weights(_neurons(prefix + "out", d), d, bias), "out_proj.", "")}


def _block_twin(m, where, path):
    """TransformerBlock is torch's TransformerEncoderLayer, pre-norm, without dropout."""
    tnn, own = _torch(where)
    if m.norm1.eps != m.norm2.eps:
        _refuse(where, path, m, f"has two layer-norm eps ({m.norm1.eps:g}, {m.norm2.eps:g}); "
                "torch's layer has one")  # fmt: skip
    layer = own.CausalEncoderLayer if m.causal else tnn.TransformerEncoderLayer
    twin = layer(
        m.embed_dim, m.num_heads, m.ff_dim, dropout=0.0, activation="relu",
        layer_norm_eps=m.norm1.eps, batch_first=True, norm_first=True,
    )  # fmt: skip
    a, ff = "residual1.f.layers.1.", "residual2.f.layers.1."
    d, f = m.embed_dim, m.ff_dim
    return twin, {
        **_prefixed(_attention_names(m.attention, a), "self_attn.", ""),
        **_prefixed(_weights(_neurons(ff + "linear1", f), d), "linear1.", ""),
        **_prefixed(_weights(_neurons(ff + "linear2", d), f), "linear2.", ""),
        **_prefixed(_norm_names(d, True), "norm1.", "residual1.f.layers.0."),
        **_prefixed(_norm_names(d, True), "norm2.", "residual2.f.layers.0."),
    }


_SUPPORTED = (
    Sequential, MLP, Layer, Linear, Maxout, Neuron, MaxoutNeuron, Perceptron, Residual, Dropout,
    Projection, BatchNorm1d, LayerNorm, Conv1d, MaxPool1d, AvgPool1d, RNNCell, GRUCell,
    LSTMCell, SelfAttention, MultiHeadAttention, FeedForward, TransformerBlock, *_MODULES,
    A.LeakyReLU, A.ELU, A.Swish,
)  # fmt: skip


def _twin(m, where, path=""):
    """(torch module, names): one piece as itself, several in a torch Sequential."""
    tnn, _ = _torch(where)
    pieces = _pieces(m, where, path)
    if len(pieces) == 1 and type(m) not in (Sequential, MLP):
        return pieces[0]
    names = {}
    for i, (_, piece_names) in enumerate(pieces):
        names.update(_prefixed(piece_names, f"{i}.", ""))
    return tnn.Sequential(*(twin for twin, _ in pieces)), names


def _build(m, where):
    """The twin and its names, built without touching torch's global random generator."""
    _torch(where)
    import torch

    if not isinstance(m, Module):
        raise TypeError(f"{where}: expected a chainrule nn.Module, got {type(m).__name__}")
    with torch.random.fork_rng(devices=[]):  # torch's layers draw weights we overwrite
        return _twin(m, where)


def torch_state_names(model):
    """{name in to_torch(model).state_dict(): [the model.state_dict() names it holds, in order]}."""
    return _build(model, "torch_state_names")[1]


def to_torch(model, dtype=None):
    """A torch.nn.Module computing what `model` does, with its weights (float64 by default)."""
    _torch("to_torch")
    import torch

    dtype = torch.float64 if dtype is None else dtype
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"to_torch: dtype must be a floating torch dtype, got {dtype!r}")
    twin, names = _build(model, "to_torch")  # refuses an unsupported piece before copying
    twin.to(dtype)
    state, shapes = model.state_dict(), twin.state_dict()
    twin.load_state_dict({
        n: torch.tensor([state[c] for c in cs], dtype=shapes[n].dtype).reshape(shapes[n].shape)
        for n, cs in names.items()
    })  # fmt: skip
    return twin.train(model.training)


# --- torch -> chainrule ------------------------------------------------------------------


def _one(x):
    """torch's 1-D sizes may be (k,) tuples."""
    return x[0] if isinstance(x, tuple) else x


def _from_torch_check(t, where, path, in_mlp=False):
    """Refuse the first piece of torch module `t` chainrule has no module for (or whose
    settings it lacks), before anything is built."""
    tnn, own = _torch(where)
    kind = type(t)
    if kind is tnn.Sequential:
        in_mlp = _mlp_plan(list(t), tnn) is not None
        for key, child in t.named_children():
            _from_torch_check(child, where, _join(path, key), in_mlp)
        return
    if kind is own.Residual:
        return _from_torch_check(t.f, where, _join(path, "f"))
    if _torch_activation_key(t) is not None:
        if kind is tnn.PReLU and t.num_parameters != 1 and not in_mlp:
            reason = "has a slope per feature; chainrule's PReLU module has one (an MLP has"
            _refuse(where, path, t, reason + " one per neuron: Linear, PReLU(n), ... reads as one)")
        return
    reason = _torch_refusal(t, tnn, own)
    if reason is not None:
        _refuse(where, path, t, reason)
    if kind not in _torch_kinds(tnn, own):
        names = sorted(k.__name__ for k in _torch_kinds(tnn, own))
        names += ["Sequential", "activations"]
        _refuse(where, path, t, f"has no chainrule twin; supported: {', '.join(names)}", TypeError)


def _torch_kinds(tnn, own):
    return (
        tnn.Linear, tnn.Dropout, tnn.BatchNorm1d, tnn.LayerNorm, tnn.Conv1d, tnn.MaxPool1d,
        tnn.AvgPool1d, tnn.RNNCell, tnn.GRUCell, tnn.LSTMCell, tnn.MultiheadAttention,
        own.MultiHeadSelfAttention, tnn.TransformerEncoderLayer, own.CausalEncoderLayer,
        own.Maxout, own.SelfAttention,
    )  # fmt: skip


def _torch_refusal(t, tnn, own):
    """Why chainrule cannot compute what `t` does (a setting it lacks), or None."""
    kind = type(t)
    if kind is tnn.Dropout and not 0.0 <= t.p < 1.0:
        return f"has p={t.p}; chainrule's Dropout takes p in [0, 1)"
    if kind is tnn.BatchNorm1d and t.momentum is not None and not 0.0 <= t.momentum <= 1.0:
        return f"has momentum={t.momentum}; chainrule takes one in [0, 1] or None"
    if kind is tnn.LayerNorm:
        if len(t.normalized_shape) != 1:
            return f"normalises over {t.normalized_shape}; chainrule's over the last dimension"
        if t.elementwise_affine and t.bias is None:
            return "has a scale but no shift (bias=False); chainrule's has both or neither"
    if kind is tnn.Conv1d:
        if isinstance(t.padding, str) or t.padding_mode != "zeros":
            return f"pads with {t.padding!r}, {t.padding_mode!r}; chainrule pads n zeros"
        if _one(t.dilation) != 1 or t.groups != 1:
            return f"has dilation={t.dilation}, groups={t.groups}; chainrule's are 1"
    if kind in (tnn.MaxPool1d, tnn.AvgPool1d):
        if t.ceil_mode or _one(getattr(t, "dilation", 1)) != 1:
            return "has ceil_mode or dilation; chainrule's pools have neither"
        if getattr(t, "return_indices", False) or not getattr(t, "count_include_pad", True):
            return "returns indices or leaves padding out of the count; chainrule's does not"
    if kind in (tnn.MultiheadAttention, own.MultiHeadSelfAttention):
        return _attention_refusal(t)
    if kind in (tnn.TransformerEncoderLayer, own.CausalEncoderLayer):
        import torch.nn.functional as F

        if not t.norm_first:
            return "is post-norm (norm_first=False); TransformerBlock is pre-norm"
        if any(d.p != 0.0 for d in (t.dropout, t.dropout1, t.dropout2)):
            return "has dropout; TransformerBlock has none (dropout=0.0)"
        if t.activation is not F.relu and type(t.activation) is not tnn.ReLU:
            return f"has activation {t.activation!r}; TransformerBlock's feed-forward uses ReLU"
        if t.linear1.bias is None or t.norm1.eps != t.norm2.eps:
            return "has bias=False or two layer-norm eps; TransformerBlock has neither"
        return _attention_refusal(t.self_attn)
    return None


def _attention_refusal(t):
    if not t._qkv_same_embed_dim or t.bias_k is not None or t.add_zero_attn:
        return "has kdim/vdim, add_bias_kv or add_zero_attn; chainrule's attention has none"
    if t.dropout != 0.0:
        return f"has dropout={t.dropout}; chainrule's attention has none"
    return None


def _from(t, where):
    """The chainrule module computing what (checked) torch module `t` does; weights later."""
    tnn, own = _torch(where)
    kind, rng = type(t), random.Random(0)  # weights are overwritten: keep the global rng
    if kind is tnn.Sequential:
        mlp = _as_mlp(list(t), tnn)
        return mlp if mlp is not None else Sequential(*(_from(c, where) for c in t))
    if kind is own.Residual:
        return Residual(_from(t.f, where))
    key = _torch_activation_key(t)
    if key is not None:
        return _chainrule_activation(key)
    if kind is tnn.Linear:
        if t.bias is None:
            return Projection(t.in_features, t.out_features, bias=False, rng=rng)
        return Linear(t.in_features, t.out_features, rng=rng)
    if kind is tnn.Dropout:
        return Dropout(t.p)
    if kind is tnn.BatchNorm1d:
        return BatchNorm1d(t.num_features, t.eps, t.momentum, t.affine, t.track_running_stats)
    if kind is tnn.LayerNorm:
        return LayerNorm(t.normalized_shape[0], t.eps, t.elementwise_affine)
    if kind is tnn.Conv1d:
        return Conv1d(
            t.in_channels, t.out_channels, _one(t.kernel_size), _one(t.stride), _one(t.padding),
            bias=t.bias is not None, rng=rng,
        )  # fmt: skip
    if kind in (tnn.MaxPool1d, tnn.AvgPool1d):
        pool = MaxPool1d if kind is tnn.MaxPool1d else AvgPool1d
        return pool(_one(t.kernel_size), _one(t.stride), _one(t.padding))
    if kind is tnn.RNNCell:
        return RNNCell(t.input_size, t.hidden_size, t.bias, t.nonlinearity, rng=rng)
    if kind in (tnn.GRUCell, tnn.LSTMCell):
        cell = GRUCell if kind is tnn.GRUCell else LSTMCell
        return cell(t.input_size, t.hidden_size, t.bias, rng=rng)
    if kind in (tnn.MultiheadAttention, own.MultiHeadSelfAttention):
        causal = getattr(t, "causal", False)
        return MultiHeadAttention(t.embed_dim, t.num_heads, causal, t.in_proj_bias is not None, rng)
    if kind in (tnn.TransformerEncoderLayer, own.CausalEncoderLayer):
        attn = t.self_attn
        block = TransformerBlock(
            attn.embed_dim, attn.num_heads, t.linear1.out_features,
            causal=kind is own.CausalEncoderLayer, rng=rng,
        )  # fmt: skip
        block.norm1.eps = block.norm2.eps = t.norm1.eps
        return block
    if kind is own.Maxout:
        return Maxout(t.linear.in_features, t.out_features, t.pieces, rng=rng)
    if kind is own.SelfAttention:
        d = t.query.in_features
        scale = {1.0 / math.sqrt(d): True, 1.0: False}.get(t.scale, t.scale)
        return SelfAttention(d, t.causal, scale, t.query.bias is not None, rng)
    raise RuntimeError(f"{where}: {kind.__name__} passed the check but has no builder (a bug)")


def _mlp_plan(items, tnn):
    """(sizes, hidden key, dropout p, output key) if `items` are what to_torch(MLP) writes:
    (Linear, activation, [Dropout]) per hidden layer, all alike, then Linear and an optional
    output activation; else None (the items are then read one by one, as a Sequential)."""
    layers, i = [], 0  # (Linear, activation key, dropout p)
    while i < len(items):
        linear = items[i]
        if type(linear) is not tnn.Linear or linear.bias is None:
            return None
        if layers and linear.in_features != layers[-1][0].out_features:
            return None
        i += 1
        key = _torch_activation_key(items[i]) if i < len(items) else None
        i += key is not None
        p = items[i].p if i < len(items) and type(items[i]) is tnn.Dropout else None
        i += p is not None
        if key is not None and key[0] == "prelu":
            if key[1] != linear.out_features:
                return None  # one slope shared by a layer: an MLP has one per neuron
            key = ("prelu", None)  # one per neuron, whatever the layer's width
        layers.append((linear, key, p))
    if not layers or layers[-1][2] is not None:  # nothing, or dropout after the output
        return None
    kinds = {(key, p) for _, key, p in layers[:-1]}
    if len(kinds) > 1:
        return None
    key, p = kinds.pop() if kinds else (None, None)
    if p == 0.0 or (key is not None and key[0] == "softmax"):
        return None  # MLP(dropout=0) has no Dropout module; softmax is an output's
    sizes = [layers[0][0].in_features] + [linear.out_features for linear, _, _ in layers]
    return sizes, key, p, layers[-1][1]


def _as_mlp(items, tnn):
    """The MLP that `_mlp_plan` reads in `items`, or None."""
    plan = _mlp_plan(items, tnn)
    if plan is None:
        return None
    sizes, key, p, out_key = plan
    mlp = MLP(
        sizes[0], sizes[1:], activation=_neuron_activation(key),
        output_activation=_neuron_activation(out_key), dropout=p or 0.0, rng=random.Random(0),
    )  # fmt: skip
    if mlp.dropout is not None:
        mlp.dropout.rng = random  # its coins from Python's generator, as a new Dropout's
    return mlp


def from_torch(module):
    """A chainrule model computing what torch `module` does, with its weights and mode."""
    tnn, _ = _torch("from_torch")
    if not isinstance(module, tnn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module, got {type(module).__name__}")
    _from_torch_check(module, "from_torch", "")
    model = _from(module, "from_torch")
    twin, names = _build(model, "from_torch")
    theirs = module.state_dict()
    if set(theirs) != set(twin.state_dict()):  # the two directions disagree: a bug here
        raise RuntimeError(f"from_torch: names {sorted(theirs)} != {sorted(twin.state_dict())}")
    state = {}
    for n, cs in names.items():
        state.update(zip(cs, theirs[n].flatten().tolist()))
    return model.load_state_dict(state, "from_torch").train(module.training)
