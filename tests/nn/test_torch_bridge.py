"""nn.to_torch and nn.from_torch: every module's twin computes the same outputs and gradients
to 1e-12, before and after an SGD step; round trips give identical predictions; unsupported
pieces are refused by path; a missing torch is an ImportError saying what to install."""

import random
import subprocess
import sys

import numpy as np
import pytest

import nn
from autograd import Value
from nn.attention import Projection
from nn.torch_bridge import from_torch, to_torch, torch_state_names

TOL = 1e-12
LR = 0.1


def flat(x):
    """The Values of a nested output (one Value, a list, a list of lists, a tuple (h, c))."""
    if isinstance(x, Value):
        return [x]
    return [v for item in x for v in flat(item)]


def values(a):
    """A numpy array as nested lists of fresh Values."""
    return [values(row) for row in a] if a.ndim > 1 else [Value(float(v)) for v in a]


# How each kind of module meets its input. X is a numpy array in torch's layout; `ours` runs
# the chainrule model and returns (outputs, inputs) as flat lists of Values, `theirs` the twin's
# output and a function putting a gradient of X in the same order.
def features(model, X):  # (N, C): one example at a time
    pairs = [(model(xs), xs) for xs in map(values, X)]
    return [v for out, _ in pairs for v in flat(out)], [v for _, xs in pairs for v in xs]


def whole_batch(model, X):  # (N, C) handed over at once (BatchNorm1d: the examples interact)
    xs = values(X)
    return flat(model(xs)), flat(xs)


def sequences(model, X):  # (N, L, C): one sequence at a time
    pairs = [(model(seq), seq) for seq in map(values, X)]
    return [v for out, _ in pairs for v in flat(out)], [v for _, seq in pairs for v in flat(seq)]


def channels_first(model, X):  # torch's (N, C, L) is chainrule's (L, C) per example
    return sequences(model, X.transpose(0, 2, 1))


def cell(model, X, hidden=1):  # (N, input + hidden * parts): x, then h (then c)
    outs, ins = [], []
    size = model.input_size
    for row in X:
        xs = values(row)
        x, state = xs[:size], xs[size:]
        H = model.hidden_size
        parts = [state[k * H : (k + 1) * H] for k in range(len(state) // H)]
        out = model(x, parts if len(parts) == 2 else parts[0])
        outs += flat(out)
        ins += xs
    return outs, ins


def run_twin(layout, twin, Xt):
    import torch

    if layout is channels_first:
        return twin(Xt).transpose(1, 2).flatten()
    if layout is cell:
        H = twin.hidden_size
        x, state = Xt[:, : twin.input_size], Xt[:, twin.input_size :]
        if isinstance(twin, torch.nn.LSTMCell):
            return torch.cat(twin(x, (state[:, :H], state[:, H:])), -1).flatten()
        return twin(x, state).flatten()
    if type(twin) is torch.nn.MultiheadAttention:  # torch's own: query, key and value apart
        return twin(Xt, Xt, Xt, need_weights=False)[0].flatten()
    return twin(Xt).flatten()


def grad_order(layout, g):
    return g.transpose(1, 2).flatten() if layout is channels_first else g.flatten()


def randomise(model, seed):
    """Every parameter a random number (torch-like inits leave biases 0 and gammas 1)."""
    rng = random.Random(seed)
    state = model.state_dict()
    for name in state:
        if name.startswith("running_var") or ".running_var" in name:
            state[name] = rng.uniform(0.5, 2.0)
        elif "num_batches_tracked" in name:
            state[name] = rng.randint(0, 5)
        else:
            state[name] = rng.uniform(-1.0, 1.0)
    return model.load_state_dict(state)


# (id, model from a seed, layout, input shape from (an rng, the model)): the seed also draws
# the widths, kernels and heads that the input's shape does not fix
ACTIVATIONS = [
    "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "swish", "silu", "gelu",
    "softplus", "step",
]  # fmt: skip


def w(seed, k=0):
    """A width from 1 to 4, the k-th drawn from the seed."""
    return 1 + random.Random(1000 * seed + k).randrange(4)


def FEATURES(c):
    return lambda r, m: (int(r.integers(1, 4)), c)


def SEQ(c=None):  # c None: the model's embed_dim
    return lambda r, m: (int(r.integers(1, 3)), int(r.integers(1, 5)), c or m.embed_dim)


def NCL(c):
    return lambda r, m: (int(r.integers(1, 3)), c, int(r.integers(5, 9)))


def CELL(r, m):
    parts = 2 if isinstance(m, nn.LSTMCell) else 1
    return int(r.integers(1, 4)), m.input_size + parts * m.hidden_size


def ROWS(n):
    return lambda r, m: (n, m.num_features)


CASES = [
    *[
        (f"mlp-{a}", lambda s, a=a: nn.MLP(3, [w(s), w(s, 1), 2], a, rng=s), features, FEATURES(3))
        for a in ACTIVATIONS
    ],
    (
        "mlp-softmax-output",
        lambda s: nn.MLP(2, [w(s), 3], "tanh", "softmax", rng=s),
        features,
        FEATURES(2),
    ),
    (
        "mlp-sigmoid-output",
        lambda s: nn.MLP(2, [w(s), 1], "elu", "sigmoid", rng=s),
        features,
        FEATURES(2),
    ),
    (
        "mlp-dropout-eval",
        lambda s: nn.MLP(3, [w(s), 2], dropout=0.3, rng=s).eval(),
        features,
        FEATURES(3),
    ),
    (
        "mlp-maxout",
        lambda s: nn.MLP(3, [w(s), 2], "maxout", rng=s, pieces=w(s, 1)),
        features,
        FEATURES(3),
    ),
    ("linear", lambda s: nn.Linear(3, w(s), rng=s), features, FEATURES(3)),
    ("linear-one-output", lambda s: nn.Linear(3, 1, rng=s), features, FEATURES(3)),
    ("projection-no-bias", lambda s: Projection(3, w(s), bias=False, rng=s), features, FEATURES(3)),
    ("layer-gelu", lambda s: nn.Layer(3, w(s), activation="gelu", rng=s), features, FEATURES(3)),
    ("neuron", lambda s: nn.Neuron(3, activation="tanh", rng=s), features, FEATURES(3)),
    ("maxout", lambda s: nn.Maxout(3, w(s), pieces=w(s, 1), rng=s), features, FEATURES(3)),
    ("perceptron", lambda s: nn.Perceptron(3), features, FEATURES(3)),
    ("dropout-eval", lambda s: nn.Dropout(0.5).eval(), features, FEATURES(3)),
    (
        "sequential-of-activation-modules",
        lambda s: nn.Sequential(
            nn.Linear(3, 4, rng=s),
            nn.LeakyReLU(0.3),
            nn.Linear(4, 4, rng=s),
            nn.ELU(0.7),
            nn.Swish(2.0),
            nn.PReLU(),
            nn.Sigmoid(),
            nn.Tanh(),
            nn.ReLU(),
            nn.SiLU(),
            nn.GELU(),
            nn.Softplus(),
            nn.Linear(4, 3, rng=s),
            nn.Softmax(),
        ),  # fmt: skip
        features,
        FEATURES(3),
    ),
    ("batchnorm-train", lambda s: nn.BatchNorm1d(w(s), momentum=0.3), whole_batch, ROWS(4)),
    ("batchnorm-cumulative", lambda s: nn.BatchNorm1d(w(s), momentum=None), whole_batch, ROWS(3)),
    ("batchnorm-eval", lambda s: nn.BatchNorm1d(w(s)).eval(), whole_batch, ROWS(3)),
    (
        "batchnorm-no-stats",
        lambda s: nn.BatchNorm1d(w(s), affine=False, track_running_stats=False),
        whole_batch,
        ROWS(3),
    ),
    ("layernorm", lambda s: nn.LayerNorm(4, eps=1e-3), features, FEATURES(4)),
    ("layernorm-sequence", lambda s: nn.LayerNorm(3), sequences, SEQ(3)),
    (
        "conv1d",
        lambda s: nn.Conv1d(2, w(s), w(s, 1), stride=w(s, 2), padding=s % 2, rng=s),
        channels_first,
        NCL(2),
    ),
    ("conv1d-no-bias", lambda s: nn.Conv1d(1, w(s), 2, bias=False, rng=s), channels_first, NCL(1)),
    ("maxpool", lambda s: nn.MaxPool1d(w(s) + 1, w(s, 1), 1), channels_first, NCL(2)),
    ("avgpool", lambda s: nn.AvgPool1d(w(s) + 1, padding=1), channels_first, NCL(3)),
    ("rnn-tanh", lambda s: nn.RNNCell(w(s), w(s, 1), rng=s), cell, CELL),
    (
        "rnn-relu-no-bias",
        lambda s: nn.RNNCell(w(s), w(s, 1), bias=False, nonlinearity="relu", rng=s),
        cell,
        CELL,
    ),
    ("gru", lambda s: nn.GRUCell(w(s), w(s, 1), rng=s), cell, CELL),
    ("lstm", lambda s: nn.LSTMCell(w(s), w(s, 1), rng=s), cell, CELL),
    ("self-attention", lambda s: nn.SelfAttention(w(s), rng=s), sequences, SEQ()),
    (
        "self-attention-causal-unscaled",
        lambda s: nn.SelfAttention(w(s), causal=True, scale=False, bias=False, rng=s),
        sequences,
        SEQ(),
    ),
    (
        "self-attention-scale-number",
        lambda s: nn.SelfAttention(w(s), scale=0.7, rng=s),
        sequences,
        SEQ(),
    ),
    (
        "multi-head-attention",
        lambda s: nn.MultiHeadAttention(w(s) * w(s, 1), w(s), rng=s),
        sequences,
        SEQ(),
    ),
    (
        "multi-head-attention-causal-no-bias",
        lambda s: nn.MultiHeadAttention(w(s) * w(s, 1), w(s), causal=True, bias=False, rng=s),
        sequences,
        SEQ(),
    ),
    ("feed-forward", lambda s: nn.FeedForward(3, w(s), rng=s), sequences, SEQ(3)),
    (
        "transformer-block",
        lambda s: nn.TransformerBlock(w(s) * w(s, 1), w(s), w(s, 2), rng=s),
        sequences,
        SEQ(),
    ),
    (
        "transformer-block-causal",
        lambda s: nn.TransformerBlock(w(s) * w(s, 1), w(s), w(s, 2), causal=True, rng=s),
        sequences,
        SEQ(),
    ),
    (
        "residual-prelu-layer",
        lambda s: nn.Residual(nn.Layer(2, 2, activation=nn.PReLU(), rng=s)),
        features,
        FEATURES(2),
    ),
    (
        "residual-stack",
        lambda s: nn.deep_stack(3, w(s), residual=True, rng=s),
        features,
        FEATURES(3),
    ),
]


def twin_state(model, twin):
    """The twin's state_dict, and the model's in the twin's names and shapes (numpy both)."""
    state = model.state_dict()
    theirs = {n: t.detach().numpy() for n, t in twin.state_dict().items()}
    ours = {
        n: np.reshape([state[c] for c in cs], theirs[n].shape)
        for n, cs in torch_state_names(model).items()
    }
    return ours, theirs


def compare(model, twin, layout, X, steps=2):
    """Forward, backward and an SGD step, `steps` times, in both: everything equal to TOL."""
    import torch

    names = torch_state_names(model)
    params = dict(model.named_parameters())
    twin_params = dict(twin.named_parameters())
    R = np.random.default_rng(0).standard_normal(10_000)  # the loss: sum r_i * out_i
    for _ in range(steps):
        model.zero_grad()
        twin.zero_grad()
        outs, ins = layout(model, X)
        Xt = torch.tensor(X, requires_grad=True)
        tout = run_twin(layout, twin, Xt)
        r = R[: len(outs)]
        loss = Value(0.0)
        for o, ri in zip(outs, r):
            loss = loss + o * float(ri)
        loss.backward()
        (tout * torch.tensor(r)).sum().backward()
        assert len(outs) == tout.numel()
        close([o.data for o in outs], tout.detach().numpy())
        if Xt.grad is not None:
            close([x.grad for x in ins], grad_order(layout, Xt.grad).numpy())
        for n, cs in names.items():
            if n in twin_params:
                grad = twin_params[n].grad
                theirs = np.zeros(len(cs)) if grad is None else grad.flatten().numpy()
                close([params[c].grad for c in cs], theirs, n)
        ours_state, theirs_state = twin_state(model, twin)  # running statistics too
        for n in theirs_state:
            close(ours_state[n], theirs_state[n], n)
        for p in model.parameters():  # one step of SGD in each
            p.data -= LR * p.grad
        with torch.no_grad():
            for p in twin.parameters():
                if p.grad is not None:
                    p -= LR * p.grad


def close(ours, theirs, what=""):
    np.testing.assert_allclose(
        np.asarray(ours, dtype=float), theirs, rtol=0, atol=TOL, err_msg=what
    )


def problem(case, seed):
    _, make, layout, shape = case
    model = randomise(make(seed), seed)
    rng = np.random.default_rng(seed)
    return model, layout, rng.standard_normal(shape(rng, model))


@pytest.mark.torch
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_twin_computes_the_same_outputs_and_gradients_before_and_after_a_step(case, seed):
    model, layout, X = problem(case, seed)
    twin = to_torch(model)
    assert twin.training == model.training
    compare(model, twin, layout, X)


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_in_eval_mode_under_no_grad_the_twin_predicts_the_same(case):
    import torch

    model, layout, X = problem(case, 5)
    twin = to_torch(model.eval())  # torch takes its inference fast paths here
    assert not twin.training
    with torch.no_grad():
        theirs = run_twin(layout, twin, torch.tensor(X))
    close([v.data for v in layout(model, X)[0]], theirs.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_round_trip_to_torch_and_back_gives_identical_predictions_and_state(case):
    import torch

    model, layout, X = problem(case, 7)
    back = from_torch(to_torch(model))
    assert back.training == model.training
    first = layout(model, X)[0]
    if type(model) is nn.FeedForward:  # back as an MLP: torch's Sequential reads it so
        assert isinstance(back, nn.MLP)
        layout, X = features, X.reshape(-1, X.shape[-1])  # one position at a time
    again = layout(back, X)[0]
    assert [v.data for v in again] == [v.data for v in first]  # identical, not close
    before, after = to_torch(model).state_dict(), to_torch(back).state_dict()
    assert list(before) == list(after)
    assert all(torch.equal(before[n], after[n]) for n in before)


@pytest.mark.torch
def test_every_parameter_and_buffer_has_one_place_in_the_twin():
    for _, make, _, _ in CASES:
        model = make(0)
        placed = [c for cs in torch_state_names(model).values() for c in cs]
        assert sorted(placed) == sorted(model.state_dict()), type(model).__name__


@pytest.mark.torch
def test_the_block_is_torchs_own_encoder_layer_and_the_mlp_a_plain_sequential():
    import torch

    block = to_torch(nn.TransformerBlock(4, 2, 8, rng=0))
    assert type(block) is torch.nn.TransformerEncoderLayer and block.norm_first
    mlp = to_torch(nn.MLP(2, [3, 1], rng=0))
    assert [type(m).__name__ for m in mlp] == ["Linear", "ReLU", "Linear"]
    assert mlp[0].weight.dtype == torch.float64


@pytest.mark.torch
def test_float32_twin_holds_the_weights_rounded_to_float32():
    import torch

    model = nn.MLP(2, [3, 1], rng=0)
    twin = to_torch(model, dtype=torch.float32)
    assert twin[0].weight.dtype == torch.float32
    w = [p.data for p in model.layers[0].neurons[0].w]
    assert twin[0].weight[0].tolist() == [float(np.float32(x)) for x in w]


@pytest.mark.torch
def test_to_torch_leaves_torchs_random_generator_where_it_was():
    import torch

    torch.manual_seed(3)
    expected = torch.rand(2)
    torch.manual_seed(3)
    to_torch(nn.TransformerBlock(4, 2, 8, rng=0))
    assert torch.equal(torch.rand(2), expected)


# --- from_torch on torch's own modules ------------------------------------------------------


def torch_cases():
    """(id, torch module from a seed and torch.nn, layout, input shape from the seed)."""
    return [
        (
            "sequential-mlp",
            lambda s, t: t.Sequential(t.Linear(3, w(s)), t.Tanh(), t.Linear(w(s), 2)),
            features,
            lambda s: (w(s, 1), 3),
        ),
        (
            "sequential-prelu-dropout",
            lambda s, t: t.Sequential(
                t.Linear(3, w(s)), t.PReLU(w(s)), t.Dropout(0.2), t.Linear(w(s), 2), t.Sigmoid()
            ).eval(),
            features,
            lambda s: (w(s, 1), 3),
        ),
        (
            "sequential-mixed",
            lambda s, t: t.Sequential(
                t.Linear(3, 4, bias=False),
                t.LeakyReLU(0.2),
                t.PReLU(),
                t.Linear(4, w(s)),
                t.Softplus(),
                t.GELU(),
                t.ELU(0.5),
                t.SiLU(),
                t.Softmax(dim=-1),
            ),  # fmt: skip
            features,
            lambda s: (w(s, 1), 3),
        ),
        (
            "batchnorm",
            lambda s, t: t.BatchNorm1d(w(s), momentum=0.2),
            whole_batch,
            lambda s: (w(s, 1) + 1, w(s)),
        ),
        ("layernorm", lambda s, t: t.LayerNorm(w(s), eps=1e-4), features, lambda s: (3, w(s))),
        (
            "conv1d",
            lambda s, t: t.Conv1d(w(s), w(s, 1), w(s, 2), stride=w(s, 3), padding=(s % 2,)),
            channels_first,
            lambda s: (2, w(s), 8),
        ),
        ("maxpool", lambda s, t: t.MaxPool1d(w(s) + 1), channels_first, lambda s: (1, 2, 6)),
        ("avgpool", lambda s, t: t.AvgPool1d(3, w(s), 1), channels_first, lambda s: (2, 3, 6)),
        (
            "rnn",
            lambda s, t: t.RNNCell(w(s), w(s, 1), nonlinearity="relu"),
            cell,
            lambda s: (3, w(s) + w(s, 1)),
        ),
        ("gru", lambda s, t: t.GRUCell(w(s), w(s, 1)), cell, lambda s: (2, w(s) + w(s, 1))),
        (
            "lstm",
            lambda s, t: t.LSTMCell(w(s), w(s, 1), bias=s % 2 == 0),
            cell,
            lambda s: (2, w(s) + 2 * w(s, 1)),
        ),
        (
            "mha",
            lambda s, t: t.MultiheadAttention(w(s) * w(s, 1), w(s), bias=s != 1, batch_first=True),
            sequences,
            lambda s: (2, 3, w(s) * w(s, 1)),
        ),
        (
            "causal-mha",
            lambda s, t: causal_attention(w(s) * w(s, 1), w(s)),
            sequences,
            lambda s: (2, w(s, 2), w(s) * w(s, 1)),
        ),
        (
            "encoder-layer",
            lambda s, t: t.TransformerEncoderLayer(
                w(s) * w(s, 1), w(s), w(s, 2), dropout=0.0, batch_first=True, norm_first=True
            ),
            sequences,
            lambda s: (2, 3, w(s) * w(s, 1)),
        ),
    ]


def causal_attention(embed_dim, num_heads):
    """The bridge's own torch module for causal self-attention (nn.torch_modules imports torch)."""
    from nn.torch_modules import MultiHeadSelfAttention

    return MultiHeadSelfAttention(embed_dim, num_heads, causal=True)


@pytest.mark.torch
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("case", torch_cases(), ids=[c[0] for c in torch_cases()])
def test_from_torch_of_torchs_modules_computes_the_same_outputs_and_gradients(case, seed):
    import torch

    _, make, layout, shape = case
    torch.manual_seed(seed)
    twin = make(seed, torch.nn)
    with torch.no_grad():
        for p in twin.parameters():  # torch's inits leave biases 0 and gammas 1
            p.uniform_(-1.0, 1.0)
    twin = twin.to(torch.float64)
    model = from_torch(twin)
    assert model.training == twin.training
    compare(model, twin, layout, np.random.default_rng(seed).standard_normal(shape(seed)))


@pytest.mark.torch
def test_from_torch_reads_a_torch_sequential_of_linear_layers_as_an_mlp():
    from torch import nn as tnn

    model = from_torch(
        tnn.Sequential(tnn.Linear(2, 3), tnn.ReLU(), tnn.Dropout(0.1), tnn.Linear(3, 1))
    )
    assert isinstance(model, nn.MLP) and model.dropout.p == pytest.approx(0.1)
    assert [len(layer.neurons) for layer in model.layers] == [3, 1]


@pytest.mark.torch
def test_a_float32_torch_module_comes_over_with_its_float32_numbers():
    from torch import nn as tnn

    linear = tnn.Linear(2, 2)
    model = from_torch(linear)
    assert [n.w[0].data for n in model.neurons] == linear.weight[:, 0].tolist()


# --- what cannot be translated ------------------------------------------------------------


class Doubler(nn.Module):
    def forward(self, x):
        return [2 * v for v in x]


REFUSED = [
    (
        nn.Sequential(nn.Linear(2, 2), Doubler()),
        TypeError,
        "to_torch: layers.1 (Doubler) has no PyTorch twin",
    ),
    (
        nn.MLP(2, [3, 1], activation=lambda v: v * v),
        TypeError,
        "to_torch: layers.0.neurons.0.act (function <lambda>) has no PyTorch twin",
    ),
    (
        nn.Residual(nn.Sequential(nn.Swish(learnable=True))),
        ValueError,
        "to_torch: f.layers.0 (Swish) has a learnable beta",
    ),
    (
        nn.Layer(2, 2, activation=nn.Softmax(), rng=0),
        ValueError,
        "to_torch: neurons.0.act (Softmax) is a neuron's activation",
    ),
]


@pytest.mark.torch
@pytest.mark.parametrize("model, kind, message", REFUSED)
def test_to_torch_names_the_first_piece_it_cannot_translate(model, kind, message):
    with pytest.raises(kind) as err:
        to_torch(model)
    assert str(err.value).startswith(message)


@pytest.mark.torch
def test_to_torch_refuses_a_layer_whose_neurons_differ_in_activation():
    layer = nn.Layer(2, 2, activation="relu", rng=0)
    layer.neurons[1].act = nn.activations.tanh
    with pytest.raises(
        ValueError, match=r"to_torch: neurons\.1\.act \(function tanh\) differs from the first"
    ):
        to_torch(layer)


@pytest.mark.torch
def test_to_torch_refuses_what_is_not_a_model_or_a_float_dtype():
    import torch

    with pytest.raises(TypeError, match="to_torch: expected a chainrule nn.Module, got list"):
        to_torch([nn.Linear(1, 1)])
    with pytest.raises(TypeError, match="to_torch: dtype must be a floating torch dtype"):
        to_torch(nn.Linear(1, 1), dtype=torch.int64)


def _refusals():
    from torch import nn as tnn

    return [
        (
            tnn.Sequential(tnn.Linear(2, 2), tnn.Hardtanh()),
            TypeError,
            "from_torch: 1 (Hardtanh) has no chainrule twin",
        ),
        (
            tnn.Sequential(tnn.Linear(2, 2), tnn.Sequential(tnn.Conv1d(1, 1, 2, dilation=2))),
            ValueError,
            "from_torch: 1.0 (Conv1d) has dilation=(2,)",
        ),
        (
            tnn.TransformerEncoderLayer(4, 2, 8, dropout=0.0),
            ValueError,
            "from_torch: the model (TransformerEncoderLayer) is post-norm",
        ),
        (
            tnn.TransformerEncoderLayer(4, 2, 8, norm_first=True),
            ValueError,
            "from_torch: the model (TransformerEncoderLayer) has dropout",
        ),
        (
            tnn.MultiheadAttention(4, 2, kdim=3, vdim=3),
            ValueError,
            "from_torch: the model (MultiheadAttention) has kdim/vdim",
        ),
        (tnn.Dropout(1.0), ValueError, "from_torch: the model (Dropout) has p=1.0"),
        (
            tnn.AvgPool1d(2, count_include_pad=False),
            ValueError,
            "from_torch: the model (AvgPool1d) returns indices or leaves padding",
        ),
        (
            tnn.GELU(approximate="tanh"),
            TypeError,
            "from_torch: the model (GELU) has no chainrule twin",
        ),
        (
            tnn.Sequential(tnn.Linear(2, 3), tnn.Tanh(), tnn.PReLU(3), tnn.Linear(3, 1)),
            ValueError,
            "from_torch: 2 (PReLU) has a slope per feature",
        ),
        ("a string", TypeError, "from_torch: expected a torch.nn.Module, got str"),
    ]


@pytest.mark.torch
def test_from_torch_names_the_first_piece_it_cannot_translate():
    for module, kind, message in _refusals():
        with pytest.raises(kind) as err:
            from_torch(module)
        assert str(err.value).startswith(message), str(err.value)


# --- without torch ------------------------------------------------------------------------


@pytest.mark.parametrize("call", [to_torch, from_torch, torch_state_names])
def test_without_torch_each_function_says_how_to_install_it(call, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails
    with pytest.raises(ImportError, match=r"needs PyTorch.*pip install 'chainrule\[torch\]'"):
        call(nn.Linear(2, 1, rng=0))


def test_importing_the_bridges_does_not_import_torch():
    code = (
        "import sys, nn.torch_bridge, autograd.torch_replay, viz.compare; "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
