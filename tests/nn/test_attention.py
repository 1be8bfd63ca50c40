"""Attention from Values: torch's numbers and gradients, the seed's hand-written backward, the
three modes (eager, batched, tape), finite differences, and positional encoding."""

import math
import random

import numpy as np
import pytest

from autograd import Value, gradcheck, topological_order
from autograd.tape import Tape
from nn.attention import (
    MultiHeadAttention,
    Projection,
    SelfAttention,
    attention,
    attention_backward,
    positional_encoding,
)

SEEDS = range(8)


def shape(seed, heads=True):
    """Random (length, embed_dim, num_heads) for a seed: short sequences, small heads."""
    r = random.Random(seed)
    h = r.randint(1, 3) if heads else 1
    return r.randint(1, 5), h * r.randint(1, 3), h


def sequence(data):
    """Leaves for a (length, features) array, or a (length, features, batch) one."""
    return [[Value(np.array(f) if np.ndim(f) else float(f)) for f in pos] for pos in data]


def loss_of(out, R):
    """sum_i,f R_if out_if, summed over a batch: every output gets its own upstream gradient."""
    total = None
    for pos, weights in zip(out, R):
        for o, r in zip(pos, weights):
            term = o * float(r)
            term = term.sum() if np.ndim(o.data) else term
            total = term if total is None else total + term
    return total


def grads(seq):
    return np.array([[v.grad for v in pos] for pos in seq], dtype=float)


def datas(seq):
    return np.array([[v.data for v in pos] for pos in seq], dtype=float)


def weight(proj):
    """A projection's weight matrix (out x in) and bias vector (None without biases)."""
    W = [[w.data for w in n.w] for n in proj.neurons]
    return W, (None if not proj.bias else [n.b.data for n in proj.neurons])


def weight_grad(proj):
    W = [[w.grad for w in n.w] for n in proj.neurons]
    return np.array(W), (None if not proj.bias else np.array([n.b.grad for n in proj.neurons]))


def close(ours, theirs, tol=1e-10):
    assert np.abs(np.asarray(ours, dtype=float) - theirs).max() < tol


# --- torch.nn.MultiheadAttention ----------------------------------------------------------


def torch_mha(model, causal, length):
    import torch

    d, bias, f64 = model.embed_dim, model.query.bias, torch.float64
    theirs = torch.nn.MultiheadAttention(
        d, model.num_heads, bias=bias, batch_first=True, dtype=torch.float64
    )
    with torch.no_grad():
        parts = [weight(getattr(model, n)) for n in ("query", "key", "value")]
        theirs.in_proj_weight.copy_(torch.tensor([row for W, _ in parts for row in W], dtype=f64))
        theirs.out_proj.weight.copy_(torch.tensor(weight(model.out)[0], dtype=f64))
        if bias:
            theirs.in_proj_bias.copy_(torch.tensor([x for _, b in parts for x in b], dtype=f64))
            theirs.out_proj.bias.copy_(torch.tensor(weight(model.out)[1], dtype=f64))
    mask = torch.triu(torch.ones(length, length, dtype=torch.bool), 1) if causal else None
    return theirs, mask


def check_mha_grads(model, theirs):
    d = model.embed_dim
    for k, name in enumerate(("query", "key", "value")):
        W, b = weight_grad(getattr(model, name))
        close(W, theirs.in_proj_weight.grad[k * d : (k + 1) * d].numpy())
        if b is not None:
            close(b, theirs.in_proj_bias.grad[k * d : (k + 1) * d].numpy())
    W, b = weight_grad(model.out)
    close(W, theirs.out_proj.weight.grad.numpy())
    if b is not None:
        close(b, theirs.out_proj.bias.grad.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("seed", SEEDS)
def test_multi_head_attention_equals_torch_outputs_weights_and_every_gradient(seed, causal):
    import torch

    length, d, heads = shape(seed)
    bias = seed % 3 != 2
    model = MultiHeadAttention(d, heads, causal=causal, bias=bias, rng=seed)
    rng = np.random.default_rng(seed)
    X, R = rng.standard_normal((length, d)), rng.standard_normal((length, d))
    x = sequence(X)
    out = model(x)
    loss_of(out, R).backward()

    theirs, mask = torch_mha(model, causal, length)
    tx = torch.tensor(X[None], requires_grad=True)
    tout, tA = theirs(tx, tx, tx, attn_mask=mask, need_weights=True, average_attn_weights=False)
    (tout * torch.tensor(R[None])).sum().backward()
    close(datas(out), tout[0].detach().numpy())
    for h in range(heads):
        close(datas(model.weights[h]), tA[0, h].detach().numpy())
    close(grads(x), tx.grad[0].numpy())
    check_mha_grads(model, theirs)


@pytest.mark.torch
@pytest.mark.parametrize("seed", SEEDS)
def test_multi_head_attention_batched_equals_torch_over_a_batch(seed):
    import torch

    length, d, heads = shape(seed + 100)
    causal, batch = seed % 2 == 1, 4
    model = MultiHeadAttention(d, heads, causal=causal, rng=seed)
    for p in model.parameters():  # torch's init leaves the biases 0: give them numbers
        p.data += 0.1 * random.Random(seed).random()
    rng = np.random.default_rng(seed)
    X, R = rng.standard_normal((batch, length, d)), rng.standard_normal((length, d))
    x = sequence(X.transpose(1, 2, 0))  # each Value holds one number per example
    out = model(x)
    loss_of(out, R).backward()

    theirs, mask = torch_mha(model, causal, length)
    tx = torch.tensor(X, requires_grad=True)
    tout, _ = theirs(tx, tx, tx, attn_mask=mask, need_weights=False)
    (tout * torch.tensor(R[None])).sum().backward()
    close(
        np.array([[v.data for v in pos] for pos in out]), tout.detach().numpy().transpose(1, 2, 0)
    )
    close(np.array([[v.grad for v in pos] for pos in x]), tx.grad.numpy().transpose(1, 2, 0))
    check_mha_grads(model, theirs)


# --- SelfAttention against scaled_dot_product_attention on the projections ---------------


@pytest.mark.torch
@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("seed", SEEDS)
def test_self_attention_equals_torch_scaled_dot_product_attention(seed, causal, scale):
    import torch
    import torch.nn.functional as F

    length, d, _h = shape(seed, heads=False)
    bias = seed % 2 == 0
    model = SelfAttention(d, causal=causal, scale=scale, bias=bias, rng=seed)
    rng = np.random.default_rng(seed)
    X, R = rng.standard_normal((length, d)), rng.standard_normal((length, d))
    x = sequence(X)
    out = model(x)
    loss_of(out, R).backward()

    tx = torch.tensor(X, requires_grad=True)
    leaves = {}
    for name in ("query", "key", "value"):
        W, b = weight(getattr(model, name))
        leaves[name] = [torch.tensor(W, dtype=torch.float64, requires_grad=True)]
        if b is not None:
            leaves[name].append(torch.tensor(b, dtype=torch.float64, requires_grad=True))
    q, k, v = (F.linear(tx, *leaves[n]) for n in ("query", "key", "value"))
    factor = 1 / math.sqrt(d) if scale else 1.0
    tout = F.scaled_dot_product_attention(q[None], k[None], v[None], is_causal=causal, scale=factor)
    (tout[0] * torch.tensor(R)).sum().backward()
    scores = (q @ k.T) * factor
    if causal:
        scores = scores.masked_fill(
            torch.triu(torch.ones(length, length, dtype=bool), 1), -math.inf
        )
    close(datas(out), tout[0].detach().numpy())
    close(datas(model.weights), torch.softmax(scores, -1).detach().numpy())
    close(grads(x), tx.grad.numpy())
    for name in ("query", "key", "value"):
        W, b = weight_grad(getattr(model, name))
        close(W, leaves[name][0].grad.numpy())
        if b is not None:
            close(b, leaves[name][1].grad.numpy())


@pytest.mark.torch
def test_projections_start_as_torch_initialises_them():
    # torch.nn.Linear: weights and biases in U(-1/sqrt(nin), 1/sqrt(nin)); MultiheadAttention:
    # Xavier over the stacked (3d, d) in-projection, every bias 0.
    d = 16
    one = SelfAttention(d, rng=0)
    top = 1 / math.sqrt(d)
    ws = [w.data for n in one.query.neurons for w in n.w]
    bs = [n.b.data for n in one.query.neurons]
    assert max(map(abs, ws + bs)) <= top and max(map(abs, ws)) > 0.9 * top
    multi = MultiHeadAttention(d, 4, rng=0)
    xavier = math.sqrt(6 / (4 * d))
    ws = [w.data for n in multi.key.neurons for w in n.w]
    assert max(map(abs, ws)) <= xavier and max(map(abs, ws)) > 0.9 * xavier
    assert all(n.b.data == 0.0 for m in (multi.query, multi.out) for n in m.neurons)


# --- the seed's attention_backward ---------------------------------------------------------


def engine_attention_grads(Qa, Ka, Va, R, scale):
    Q, K, V = sequence(Qa), sequence(Ka), sequence(Va)
    out, A = attention(Q, K, V, scale=scale, return_weights=True)
    loss_of(out, R).backward()
    return grads(Q), grads(K), grads(V), datas(A)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_seeds_backward_equals_the_engine_for_unscaled_attention(seed):
    rng = np.random.default_rng(seed)
    n, m, d, dv = rng.integers(1, 6, size=4)
    Q, K, V = rng.standard_normal((n, d)), rng.standard_normal((m, d)), rng.standard_normal((m, dv))
    R = rng.standard_normal((n, dv))
    dQ, dK, dV, A = engine_attention_grads(Q, K, V, R, scale=False)
    S = Q @ K.T
    expected_A = np.exp(S - S.max(1, keepdims=True))
    expected_A /= expected_A.sum(1, keepdims=True)
    close(A, expected_A, 1e-12)
    for ours, theirs in zip((dQ, dK, dV), attention_backward(R, Q, K, V, A)):
        close(ours, theirs, 1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_scaling_by_one_over_root_d_scales_dq_and_dk_but_not_dv(seed):
    rng = np.random.default_rng(seed)
    n, d = rng.integers(2, 5, size=2)
    Q, K, V = rng.standard_normal((n, d)), rng.standard_normal((n, d)), rng.standard_normal((n, d))
    R = rng.standard_normal((n, d))
    dQ, dK, dV, A = engine_attention_grads(Q, K, V, R, scale=True)
    hand_Q, hand_K, hand_V = attention_backward(R, Q, K, V, A)  # dS from the scaled A
    c = 1 / math.sqrt(d)
    close(dQ, c * hand_Q, 1e-12)
    close(dK, c * hand_K, 1e-12)
    close(dV, hand_V, 1e-12)
    assert np.abs(dQ - hand_Q).max() > 1e-3  # the factor matters: unscaled would be wrong


def test_a_wrong_hand_backward_is_caught():
    # dS without the softmax's - rowsum term (as if A were a plain product) must differ.
    rng = np.random.default_rng(0)
    Q, K, V, R = (rng.standard_normal((3, 2)) for _ in range(4))
    dQ, _dK, _dV, A = engine_attention_grads(Q, K, V, R, scale=False)
    wrong = (A * (R @ V.T)) @ K
    assert np.abs(dQ - wrong).max() > 1e-3


# --- finite differences (no torch) --------------------------------------------------------


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("scale", [True, False, 0.3])
def test_attention_gradients_match_finite_differences(scale, causal):
    rng = np.random.default_rng(3)
    n, d = 3, 2
    R = rng.standard_normal((n, d))

    def f(*flat):
        Q, K, V = (
            [list(flat[k * n * d + i * d : k * n * d + (i + 1) * d]) for i in range(n)]
            for k in range(3)
        )
        return loss_of(attention(Q, K, V, scale=scale, causal=causal), R)

    result = gradcheck(f, rng.standard_normal(3 * n * d).tolist(), relative=True, atol=1e-9)
    assert result.ok, result.table()


@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_parameter_gradients_match_finite_differences(causal):
    model = MultiHeadAttention(4, 2, causal=causal, rng=5)
    rng = np.random.default_rng(5)
    for p in model.parameters():
        p.data = float(rng.standard_normal())
    X, R = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))

    def loss():
        return loss_of(model(sequence(X)), R)

    model.zero_grad()
    loss().backward()
    h = 1e-6
    for p in model.parameters():
        keep = p.data
        p.data = keep + h
        up = loss().data
        p.data = keep - h
        down = loss().data
        p.data = keep
        assert p.grad == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-7)


# --- eager, batched and tape agree ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["self", "multi"])
@pytest.mark.parametrize("seed", range(4))
def test_eager_batched_and_tape_agree(kind, seed):
    length, d, heads = shape(seed + 7)
    causal = seed % 2 == 1
    if kind == "self":
        model = SelfAttention(d, causal=causal, rng=seed)
    else:
        model = MultiHeadAttention(d, heads, causal=causal, rng=seed)
    params = model.parameters()
    rng = np.random.default_rng(seed)
    R = rng.standard_normal((length, d))
    batch = 5

    def batched(X):  # X: (batch, length, d); returns loss, input leaves, parameter gradients
        model.zero_grad()
        x = sequence(X.transpose(1, 2, 0))
        loss = loss_of(model(x), R)
        loss.backward()
        return loss, x, np.array([p.grad for p in params])

    def eager(X):  # one example at a time, summed
        model.zero_grad()
        total, each = 0.0, []
        for example in X:
            x = sequence(example)
            loss = loss_of(model(x), R)
            loss.backward()
            total += loss.data
            each.append(grads(x))
        return total, np.stack(each), np.array([p.grad for p in params])

    X = rng.standard_normal((batch, length, d))
    loss, x, g_batched = batched(X)
    total, g_inputs, g_eager = eager(X)
    assert loss.data == pytest.approx(total, abs=1e-12)
    close(g_batched, g_eager, 1e-12)
    close(np.array([[v.grad for v in pos] for pos in x]).transpose(2, 0, 1), g_inputs, 1e-12)

    tape = Tape(loss, [v for pos in x for v in pos], params)
    for _ in range(2):
        X = rng.standard_normal((batch, length, d))  # new data, the same plan
        model.zero_grad()
        got = tape.step(*X.transpose(1, 2, 0).reshape(length * d, batch))
        g_tape = np.array([p.grad for p in params])
        total, _g, g_eager = eager(X)
        assert got == pytest.approx(total, abs=1e-10)
        close(g_tape, g_eager, 1e-10)


# --- behaviour a student meets -------------------------------------------------------------


def test_weights_rows_sum_to_one_and_causal_rows_hide_the_future():
    rng = np.random.default_rng(1)
    Q, K, V = (sequence(rng.standard_normal((4, 3))) for _ in range(3))
    out, A = attention(Q, K, V, causal=True, return_weights=True)
    for i, row in enumerate(A):
        assert sum(a.data for a in row) == pytest.approx(1.0, abs=1e-15)
        assert [a.data for a in row[i + 1 :]] == [0.0] * (3 - i)
    leaves = {id(n) for n in topological_order(out[1][0])}  # position 2 sees only keys 1 and 2
    assert id(K[1][0]) in leaves and id(K[2][0]) not in leaves and id(V[3][0]) not in leaves


def test_attention_of_plain_numbers_averages_the_values_when_the_scores_tie():
    out, A = attention([[0.0, 0.0]], [[1.0, 2.0], [3.0, 4.0]], [[2.0], [4.0]], return_weights=True)
    assert [a.data for a in A[0]] == [0.5, 0.5]
    assert out[0][0].data == 3.0


def test_permuting_the_tokens_permutes_the_output_until_positions_are_added():
    model = SelfAttention(4, rng=2)
    rng = np.random.default_rng(2)
    X = rng.standard_normal((3, 4))
    order = [2, 0, 1]
    plain, permuted = datas(model(sequence(X))), datas(model(sequence(X[order])))
    close(permuted, plain[order], 1e-12)
    P = np.array(positional_encoding(3, 4))
    placed, moved = datas(model(sequence(X + P))), datas(model(sequence(X[order] + P)))
    assert np.abs(moved - placed[order]).max() > 1e-3


def test_pictures_fold_by_scope():
    model = MultiHeadAttention(4, 2, rng=0)
    out = model(sequence(np.ones((2, 4))))
    scopes = {n.scope for n in topological_order(out[0][0])}
    for want in ("query.neuron1", "key.neuron2", "value.neuron3", "out.neuron1"):
        assert want in scopes
    for want in ("head1.scores", "head2.softmax", "head2.mix"):
        assert want in scopes
    single = SelfAttention(2, bias=False, rng=0)
    names = [n for n, _ in single.named_parameters()]
    assert names[:3] == ["query.neurons.0.w.0", "query.neurons.0.w.1", "query.neurons.1.w.0"]
    assert len(names) == 12  # no biases
    node = single(sequence(np.ones((2, 2))))[0][0]
    assert {"scores", "softmax", "mix", "query.neuron1"} <= {
        n.scope for n in topological_order(node)
    }


def test_positional_encoding_is_the_papers_formula():
    length, dim = 7, 6
    pos, i = np.arange(length)[:, None], np.arange(dim)[None, :]
    angle = pos / 10000 ** ((i - i % 2) / dim)
    expected = np.where(i % 2 == 0, np.sin(angle), np.cos(angle))
    close(positional_encoding(length, dim), expected, 1e-15)
    odd = np.array(positional_encoding(4, 5))  # an odd width ends with a sine
    assert odd.shape == (4, 5) and odd[1, 4] == pytest.approx(math.sin(1 / 10000 ** (4 / 5)))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: MultiHeadAttention(5, 2), "embed_dim=5 must split evenly into num_heads=2"),
        (lambda: MultiHeadAttention(0), "embed_dim must be a whole number >= 1, got 0"),
        (lambda: SelfAttention(2, scale=-1), "scale=-1"),
        (lambda: SelfAttention(2)([[1.0, 2.0, 3.0]]), "embed_dim=2 features, got 3"),
        (lambda: SelfAttention(2)([[1.0, 2.0], [1.0]]), "differ in length: [1, 2]"),
        (lambda: SelfAttention(2)([]), "must be a non-empty list of positions"),
        (lambda: attention([[1.0]], [[1.0, 2.0]], [[1.0]]), "queries have 1 features"),
        (lambda: attention([[1.0]], [[1.0], [2.0]], [[1.0]]), "2 keys but 1 values"),
        (lambda: positional_encoding(3, 0), "dim must be a whole number >= 1, got 0"),
        (lambda: Projection(2, 2)([1.0]), "expected 2 inputs, got 1"),
    ],
)
def test_bad_input_names_the_operation_and_the_value(make, message):
    with pytest.raises(ValueError) as err:
        make()
    assert message in str(err.value)
