"""The Transformer block: torch's TransformerEncoderLayer (pre-norm) in numbers and every
gradient, finite differences, eager = batched = the tape, the causal mask, scopes, bad input."""

import itertools
import random

import numpy as np
import pytest

from autograd import Tape, Value, gradcheck, topological_order
from nn.attention import Projection, positional_encoding
from nn.module import Module
from nn.optim import Adam
from nn.train import fit
from nn.transformer import FeedForward, TransformerBlock
from viz.dot import draw_dot

# (seed, embed_dim, num_heads, ff_dim, length): random sizes, each seed its own weights
SIZES = [(0, 4, 2, 8, 3), (1, 6, 3, 5, 4), (2, 2, 1, 3, 2), (3, 8, 2, 16, 5), (4, 3, 1, 7, 1)]


def weights(layer):
    """A Projection's weight matrix (a row per output) and its biases, as numbers."""
    return [[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons]


def random_block(seed, d, heads, ff, causal=False):
    """A block whose every parameter is a random number (torch-like init leaves some 0 or 1)."""
    block = TransformerBlock(d, heads, ff, causal=causal, rng=seed)
    rng = random.Random(seed + 100)
    for p in block.parameters():
        p.data = rng.uniform(-1.0, 1.0)
    return block


def torch_layer(block):
    """torch.nn.TransformerEncoderLayer in float64 holding `block`'s weights."""
    import torch

    d, f64 = block.embed_dim, torch.float64
    theirs = torch.nn.TransformerEncoderLayer(
        d, block.num_heads, block.ff_dim, dropout=0.0, activation="relu",
        batch_first=True, norm_first=True, dtype=f64,
    )  # fmt: skip
    attn = block.attention
    q, k, v, out = (weights(p) for p in (attn.query, attn.key, attn.value, attn.out))
    mine = {
        "self_attn.in_proj_weight": q[0] + k[0] + v[0],  # stacked: query, key, value
        "self_attn.in_proj_bias": q[1] + k[1] + v[1],
        "self_attn.out_proj.weight": out[0],
        "self_attn.out_proj.bias": out[1],
        "linear1.weight": weights(block.ff.linear1)[0],
        "linear1.bias": weights(block.ff.linear1)[1],
        "linear2.weight": weights(block.ff.linear2)[0],
        "linear2.bias": weights(block.ff.linear2)[1],
        "norm1.weight": [g.data for g in block.norm1.gamma],
        "norm1.bias": [b.data for b in block.norm1.beta],
        "norm2.weight": [g.data for g in block.norm2.gamma],
        "norm2.bias": [b.data for b in block.norm2.beta],
    }
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.tensor(mine.pop(name), dtype=f64))
    assert not mine  # every tensor of ours found its place in torch's layer
    return theirs


def gradients_like_torch(block):
    """Our parameters' gradients in torch's names and shapes, to compare with .grad."""
    attn, ff = block.attention, block.ff

    def w(layer):
        return [[x.grad for x in n.w] for n in layer.neurons]

    def b(layer):
        return [n.b.grad for n in layer.neurons]

    projections = (attn.query, attn.key, attn.value)
    return {
        "self_attn.in_proj_weight": [row for p in projections for row in w(p)],
        "self_attn.in_proj_bias": [x for p in projections for x in b(p)],
        "self_attn.out_proj.weight": w(attn.out),
        "self_attn.out_proj.bias": b(attn.out),
        "linear1.weight": w(ff.linear1),
        "linear1.bias": b(ff.linear1),
        "linear2.weight": w(ff.linear2),
        "linear2.bias": b(ff.linear2),
        "norm1.weight": [g.grad for g in block.norm1.gamma],
        "norm1.bias": [x.grad for x in block.norm1.beta],
        "norm2.weight": [g.grad for g in block.norm2.gamma],
        "norm2.bias": [x.grad for x in block.norm2.beta],
    }


def loss_of(out, R):
    """sum_t,i R_ti out_ti: a loss whose gradient with respect to each output is R."""
    total = Value(0.0)
    for row, weights_row in zip(out, R):
        for o, r in zip(row, weights_row):
            total = total + o * float(r)
    return total


@pytest.mark.torch
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("seed, d, heads, ff, length", SIZES)
def test_block_equals_torch_encoder_layer_outputs_and_every_gradient(
    seed, d, heads, ff, length, causal
):
    import torch

    block = random_block(seed, d, heads, ff, causal)
    rng = np.random.default_rng(seed)
    X, R = rng.standard_normal((length, d)), rng.standard_normal((length, d))
    xs = [[Value(x) for x in row] for row in X.tolist()]
    out = block(xs)
    loss_of(out, R).backward()

    theirs = torch_layer(block)
    tx = torch.tensor(X[None], requires_grad=True)
    mask = torch.triu(torch.ones(length, length, dtype=torch.bool), 1) if causal else None
    tout = theirs(tx, src_mask=mask)
    (tout * torch.tensor(R[None])).sum().backward()

    np.testing.assert_allclose(
        [[o.data for o in row] for row in out], tout[0].detach().numpy(), rtol=0, atol=1e-10
    )
    np.testing.assert_allclose(
        [[x.grad for x in row] for row in xs], tx.grad[0].numpy(), rtol=0, atol=1e-10
    )
    ours = gradients_like_torch(block)
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(ours[name], p.grad.numpy(), rtol=0, atol=1e-10, err_msg=name)


@pytest.mark.torch
@pytest.mark.parametrize("causal", [False, True])
def test_block_equals_torch_over_a_batch_in_batched_mode(causal):
    import torch

    block = random_block(5, 4, 2, 6, causal)
    rng = np.random.default_rng(5)
    X, R = rng.standard_normal((7, 3, 4)), rng.standard_normal((3, 4))  # 7 examples
    xs = [[Value(X[:, t, i]) for i in range(4)] for t in range(3)]  # a Value per feature
    out = block(xs)
    loss_of(out, R).sum().backward()
    theirs = torch_layer(block)
    tx = torch.tensor(X, requires_grad=True)
    mask = torch.triu(torch.ones(3, 3, dtype=torch.bool), 1) if causal else None
    tout = theirs(tx, src_mask=mask)
    (tout * torch.tensor(R[None])).sum().backward()
    got = np.stack([[o.data for o in row] for row in out])  # (position, feature, example)
    np.testing.assert_allclose(got.transpose(2, 0, 1), tout.detach().numpy(), atol=1e-10)
    grads = np.stack([[x.grad for x in row] for row in xs]).transpose(2, 0, 1)
    np.testing.assert_allclose(grads, tx.grad.numpy(), atol=1e-10)
    ours = gradients_like_torch(block)
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(ours[name], p.grad.numpy(), atol=1e-10, err_msg=name)


@pytest.mark.parametrize("causal", [False, True])
def test_every_gradient_matches_central_differences(causal):
    block = random_block(6, 4, 2, 5, causal)
    rng = np.random.default_rng(6)
    X, R = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    params = block.parameters()
    xs = [[Value(x) for x in row] for row in X.tolist()]
    loss_of(block(xs), R).backward()
    engine = [p.grad for p in params] + [x.grad for row in xs for x in row]

    def loss_at(numbers):  # every parameter, then the inputs, as plain numbers
        for p, v in zip(params, numbers):
            p.data = v
        rows = np.array(numbers[len(params) :]).reshape(3, 4).tolist()
        return loss_of(block(rows), R).data

    start = [p.data for p in params] + X.ravel().tolist()
    numeric = []
    for i, value in enumerate(start):
        step = 1e-6 * max(1.0, abs(value))
        up, down = list(start), list(start)
        up[i], down[i] = value + step, value - step
        numeric.append((loss_at(up) - loss_at(down)) / (2 * step))
    np.testing.assert_allclose(engine, numeric, rtol=1e-5, atol=1e-7)


def test_gradcheck_on_the_inputs():
    block = random_block(7, 2, 2, 3)
    R = [[0.3, -1.2], [0.7, 0.4]]

    def f(a, b, c, d):
        return loss_of(block([[a, b], [c, d]]), R)

    result = gradcheck(f, [0.5, -1.0, 2.0, 0.25], relative=True, rtol=1e-6)
    assert result.ok, result


@pytest.mark.parametrize("causal", [False, True])
def test_eager_batched_and_the_tape_give_the_same_outputs_and_gradients(causal):
    block = random_block(8, 4, 2, 6, causal)
    rng = np.random.default_rng(8)
    X, R = rng.standard_normal((5, 3, 4)), rng.standard_normal((3, 4))
    params = block.parameters()

    # eager: one graph per example, gradients summed by backward() over the five
    block.zero_grad()
    eager_out, eager_loss = [], 0.0
    for x in X:
        out = block([[Value(v) for v in row] for row in x.tolist()])
        loss = loss_of(out, R)
        loss.backward()
        eager_out.append([[o.data for o in row] for row in out])
        eager_loss += loss.data
    eager_grads = [p.grad for p in params]

    # batched: one graph, each feature a Value holding the five examples
    block.zero_grad()
    xs = [[Value(X[:, t, i]) for i in range(4)] for t in range(3)]
    out = block(xs)
    total = loss_of(out, R).sum()
    total.backward()
    batched_out = np.stack([[o.data for o in row] for row in out]).transpose(2, 0, 1)
    np.testing.assert_allclose(batched_out, eager_out, atol=1e-12)
    assert total.data == pytest.approx(eager_loss, abs=1e-12)
    np.testing.assert_allclose([p.grad for p in params], eager_grads, atol=1e-12)

    # the tape: record on other numbers, replay on these
    other = [[Value(rng.standard_normal(5)) for _ in range(4)] for _ in range(3)]
    recorded = loss_of(block(other), R).sum()
    flat = [v for row in other for v in row]
    tape = Tape(recorded, flat, params)
    block.zero_grad()
    loss = tape.step(*[X[:, t, i] for t in range(3) for i in range(4)])
    assert loss == pytest.approx(eager_loss, abs=1e-12)
    np.testing.assert_allclose([p.grad for p in params], eager_grads, atol=1e-12)


def test_causal_block_never_looks_ahead():
    block = random_block(9, 4, 2, 6, causal=True)
    x = [[0.1 * (t + i) for i in range(4)] for t in range(4)]
    changed = [row[:] for row in x]
    changed[3] = [5.0, -4.0, 3.0, -2.0]  # the last position only
    a, b = block(x), block(changed)
    for t in range(3):  # earlier positions: untouched, to the bit
        assert [v.data for v in a[t]] == [v.data for v in b[t]]
    assert [v.data for v in a[3]] != [v.data for v in b[3]]
    plain = random_block(9, 4, 2, 6, causal=False)
    assert [v.data for v in plain(x)[0]] != [v.data for v in plain(changed)[0]]


def test_the_block_is_its_two_residual_connections():
    block = random_block(10, 4, 2, 6)
    x = [[Value(0.3 * t - 0.2 * i) for i in range(4)] for t in range(3)]
    out = block(x)
    mid = [
        [a + b for a, b in zip(row, att)] for row, att in zip(x, block.attention(block.norm1(x)))
    ]
    again = [[a + b for a, b in zip(row, f)] for row, f in zip(mid, block.ff(block.norm2(mid)))]
    assert [[v.data for v in r] for r in out] == [[v.data for v in r] for r in again]


def test_parts_are_scoped_so_a_picture_folds_them():
    block = TransformerBlock(2, 2, 3, rng=0)
    block.name = "block"
    block.tag_parameters()
    x = [[Value(0.5, "x11"), Value(-1.0, "x12")], [Value(2.0, "x21"), Value(0.0, "x22")]]
    out = block(x)
    root = out[0][0] + out[0][1] + out[1][0] + out[1][1]  # made outside the block: scope ""
    made = topological_order(root)
    tops = {n.scope.split(".")[1] for n in made if n.scope.startswith("block.")}
    assert tops == {"norm1", "attention", "norm2", "ff"}
    assert {p.scope.split(".")[1] for p in block.parameters()} == tops
    adds = [n for n in made if n.scope == "block"]  # the two residual connections' adds
    assert len(adds) == 2 * 2 * 2 and {n.op.name for n in adds} == {"add"}
    parts = draw_dot(root, collapse=2).source  # a box per part
    for part in ("norm1", "attention", "norm2", "ff"):
        assert f"<B>{part}</B>" in parts
    assert "<B>head1</B>" not in parts and "<B>head1</B>" in draw_dot(root, collapse=3).source
    whole = draw_dot(root, collapse=1).source  # the block as one box
    assert "<B>block</B>" in whole and "<B>attention</B>" not in whole


def test_parameter_count_is_torch_s():
    # attention 4 d^2 + 4 d, the ff d*ff + ff + ff*d + d, two norms 2 d each
    d, ff = 8, 16
    block = TransformerBlock(d, 2, ff, rng=0)
    assert len(block.parameters()) == 4 * d * d + 4 * d + 2 * d * ff + ff + d + 4 * d
    assert TransformerBlock(4, rng=0).ff_dim == 16  # 4 * embed_dim by default


def test_feed_forward_takes_one_position_or_a_sequence():
    ff = FeedForward(2, 3, rng=1)
    one = ff([0.5, -0.25])
    seq = ff([[0.5, -0.25], [1.0, 2.0]])
    assert [v.data for v in one] == [v.data for v in seq[0]]
    assert len(seq) == 2 and len(seq[1]) == 2


@pytest.mark.parametrize(
    "make, error, match",
    [
        (
            lambda: TransformerBlock(5, 2),
            ValueError,
            r"embed_dim 5 must be a multiple of num_heads 2",
        ),
        (lambda: TransformerBlock(0), ValueError, r"TransformerBlock: embed_dim must be .* got 0"),
        (lambda: TransformerBlock(4, 0), ValueError, r"num_heads must be .* got 0"),
        (lambda: TransformerBlock(4, 2, ff_dim=0), ValueError, r"ff_dim must be .* got 0"),
        (lambda: TransformerBlock(4, causal="yes"), TypeError, r"causal must be True or False"),
    ],
)
def test_bad_settings_are_refused_by_name(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize(
    "x, error, match",
    [
        ([], TypeError, r"TransformerBlock: expected a sequence"),
        ([1.0, 2.0], TypeError, r"TransformerBlock: expected a sequence"),
        ([[1.0, 2.0], [1.0, 2.0, 3.0]], ValueError, r"expected 2 features .* got 3 at position 1"),
        ([[1.0, "a"]], TypeError, r"expected numbers or Values, got 'a' at position 0"),
    ],
)
def test_bad_input_is_refused_before_anything_is_built(x, error, match):
    block = TransformerBlock(2, 2, rng=0)
    before = [p.data for p in block.parameters()]
    with pytest.raises(error, match=match):
        block(x)
    assert [p.data for p in block.parameters()] == before


class LastToken(Module):
    """3 one-hot tokens of 3 kinds (flat, as fit feeds them) -> which kind the last one is."""

    def __init__(self):
        self.embed, self.head = Projection(3, 4, rng=0), Projection(4, 3, rng=1)
        self.block = TransformerBlock(4, 2, 8, rng=2)
        self.tag_parameters()

    def forward(self, x):
        tokens = [self.embed(x[3 * t : 3 * t + 3]) for t in range(3)]
        tokens = [
            [v + c for v, c in zip(row, pe)] for row, pe in zip(tokens, positional_encoding(3, 4))
        ]
        return self.head(self.block(tokens)[0])  # read at position 1: attention must fetch it


def test_fit_trains_a_model_with_a_block_on_the_tape():
    kinds = np.array(list(itertools.product(range(3), repeat=3)))
    X, y = np.eye(3)[kinds].reshape(len(kinds), -1), kinds[:, 2]
    model = LastToken()
    history = fit(
        model, X, y, loss="cross_entropy", optimizer=Adam(model.parameters(), lr=0.02),
        epochs=60, verbose=False, tape=True,
    )  # fmt: skip
    assert history.loss[-1] < 0.05 * history.loss[0]
    assert history.accuracy[-1] == 1.0
