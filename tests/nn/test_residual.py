"""Residual: y = x + f(x) on a value, a list of features and a sequence; equal to torch in
eager, batched and Tape modes; finite differences; scopes that fold; the lesson's deep stacks."""

import random

import numpy as np
import pytest

from autograd import Value, no_grad
from autograd.tape import Tape
from nn.activations import Tanh
from nn.diagnostics import grad_norms
from nn.layers import Layer, Linear
from nn.losses import mse_loss
from nn.module import Module, Sequential
from nn.optim import SGD
from nn.residual import Residual, deep_stack
from nn.train import fit


class EachPosition(Module):
    """A module applied to every position of a sequence (as attention's projections are)."""

    def __init__(self, module):
        self.m = module

    def forward(self, seq):
        return [self.m(position) for position in seq]


class Lambda(Module):
    """A module from a function, for shapes no layer makes."""

    def __init__(self, fn):
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def residual_of(kind, n, seed):
    """Residual(Linear) or Residual(Sequential(Linear, Tanh)) of n features."""
    linear = Linear(n, n, rng=seed)
    return Residual(linear if kind == "linear" else Sequential(linear, Tanh())), linear


def weights(linear):
    """Our Linear's weights and biases as torch's (nout, nin) and (nout,) float64 tensors."""
    import torch

    w = [[v.data for v in unit.w] for unit in linear.neurons]
    b = [unit.b.data for unit in linear.neurons]
    return torch.tensor(w, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)


def torch_residual(kind, linear):
    """torch's x + f(x) with our weights copied in, and its Linear."""
    import torch

    lin = torch.nn.Linear(len(linear.neurons[0].w), len(linear.neurons), dtype=torch.float64)
    with torch.no_grad():
        lin.weight[:], lin.bias[:] = weights(linear)
    f = lin if kind == "linear" else torch.nn.Sequential(lin, torch.nn.Tanh())
    return (lambda x: x + f(x)), lin


def grads_of(linear):
    """Our Linear's weight and bias gradients as (nout, nin) and (nout,) arrays."""
    gw = np.array([[float(np.sum(v.grad)) for v in unit.w] for unit in linear.neurons])
    gb = np.array([float(np.sum(unit.b.grad)) for unit in linear.neurons])
    return gw, gb


CASES = [(kind, n, seed) for seed in range(4) for kind in ("linear", "tanh") for n in (1, 2, 5)]


@pytest.mark.torch
@pytest.mark.parametrize("kind,n,seed", CASES)
def test_residual_equals_torch_on_one_example_eagerly(kind, n, seed):
    import torch

    rng = np.random.default_rng(seed)
    x0, c = rng.standard_normal(n), rng.standard_normal(n)
    ours, linear = residual_of(kind, n, seed)
    x = [Value(v) for v in x0]
    y = ours(x)
    loss = sum((ci * yi for ci, yi in zip(c, y)), Value(0.0))
    loss.backward()

    theirs, lin = torch_residual(kind, linear)
    tx = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    ty = theirs(tx)
    (ty * torch.tensor(c)).sum().backward()
    np.testing.assert_allclose([v.data for v in y], ty.detach().numpy(), atol=1e-10, rtol=0)
    np.testing.assert_allclose([v.grad for v in x], tx.grad.numpy(), atol=1e-10, rtol=0)
    gw, gb = grads_of(linear)
    np.testing.assert_allclose(gw, lin.weight.grad.numpy(), atol=1e-10, rtol=0)
    np.testing.assert_allclose(gb, lin.bias.grad.numpy(), atol=1e-10, rtol=0)


@pytest.mark.torch
@pytest.mark.parametrize("kind,n,seed", CASES)
def test_residual_equals_torch_on_a_batch_and_on_the_tape(kind, n, seed):
    import torch

    rng = np.random.default_rng(100 + seed)
    batch = int(rng.integers(3, 9))
    X, c = rng.standard_normal((batch, n)), rng.standard_normal(n)
    ours, linear = residual_of(kind, n, seed)
    x = [Value(column) for column in X.T]  # one Value per feature, a number per example
    y = ours(x)
    loss = sum((ci * yi for ci, yi in zip(c, y)), Value(0.0)).mean()
    loss.backward()

    theirs, lin = torch_residual(kind, linear)
    tx = torch.tensor(X, requires_grad=True)
    ty = theirs(tx)
    tloss = (ty @ torch.tensor(c)).mean()
    tloss.backward()
    np.testing.assert_allclose(np.array([v.data for v in y]).T, ty.detach(), atol=1e-10, rtol=0)
    np.testing.assert_allclose(np.array([v.grad for v in x]).T, tx.grad, atol=1e-10, rtol=0)
    gw, gb = grads_of(linear)
    np.testing.assert_allclose(gw, lin.weight.grad, atol=1e-10, rtol=0)
    np.testing.assert_allclose(gb, lin.bias.grad, atol=1e-10, rtol=0)

    # The tape replays the recorded graph on new data: same loss and gradients as torch.
    tape = Tape(loss, x, ours.parameters())
    X2 = rng.standard_normal((batch, n))
    ours.zero_grad()
    replayed = tape.step(*X2.T)
    lin.zero_grad()
    t2 = (theirs(torch.tensor(X2)) @ torch.tensor(c)).mean()
    t2.backward()
    assert replayed == pytest.approx(t2.item(), abs=1e-10)
    gw, gb = grads_of(linear)
    np.testing.assert_allclose(gw, lin.weight.grad, atol=1e-10, rtol=0)
    np.testing.assert_allclose(gb, lin.bias.grad, atol=1e-10, rtol=0)


@pytest.mark.torch
@pytest.mark.parametrize("seed", range(4))
def test_residual_equals_torch_on_a_sequence_of_positions(seed):
    import torch

    rng = np.random.default_rng(200 + seed)
    steps, n = int(rng.integers(2, 6)), int(rng.integers(1, 4))
    S, C = rng.standard_normal((steps, n)), rng.standard_normal((steps, n))
    linear = Linear(n, n, rng=seed)
    ours = Residual(EachPosition(Sequential(linear, Tanh())))
    x = [[Value(v) for v in row] for row in S]
    y = ours(x)
    assert len(y) == steps and all(len(row) == n for row in y)
    loss = sum((c * v for crow, row in zip(C, y) for c, v in zip(crow, row)), Value(0.0))
    loss.backward()

    theirs, lin = torch_residual("tanh", linear)
    tx = torch.tensor(S, requires_grad=True)
    ty = theirs(tx)  # torch applies Linear to each row of (steps, n)
    (ty * torch.tensor(C)).sum().backward()
    np.testing.assert_allclose([[v.data for v in r] for r in y], ty.detach(), atol=1e-10, rtol=0)
    np.testing.assert_allclose([[v.grad for v in r] for r in x], tx.grad, atol=1e-10, rtol=0)
    gw, gb = grads_of(linear)
    np.testing.assert_allclose(gw, lin.weight.grad, atol=1e-10, rtol=0)
    np.testing.assert_allclose(gb, lin.bias.grad, atol=1e-10, rtol=0)


@pytest.mark.parametrize("seed", range(5))
def test_every_gradient_of_a_residual_block_matches_finite_differences(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 4)
    block = Residual(Sequential(Layer(n, n, activation="sigmoid", rng=seed), Tanh()))
    x = [Value(rng.uniform(-2, 2)) for _ in range(n)]
    c = [rng.uniform(-1, 1) for _ in range(n)]

    def loss():
        return sum((ci * yi**2 for ci, yi in zip(c, block(x))), Value(0.0))

    block.zero_grad()
    loss().backward()
    for v in block.parameters() + x:  # every weight and bias, and every input
        backprop, h, start = v.grad, 1e-6, v.data
        with no_grad():
            v.data = start + h
            up = loss().data
            v.data = start - h
            down = loss().data
        v.data = start
        assert backprop == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-8)


def test_the_derivative_through_a_block_is_one_plus_the_derivative_of_f():
    block = Residual(Layer(1, 1, activation="sigmoid", rng=0))
    (w,), b = block.f.neurons[0].w, block.f.neurons[0].b
    w.data, b.data = 2.0, -1.0
    x = Value(0.5)
    (y,) = block([x])
    y.backward()
    s = 1.0 / (1.0 + np.exp(-(2.0 * 0.5 - 1.0)))  # sigmoid(0) = 0.5
    assert y.data == pytest.approx(0.5 + s)
    assert x.grad == pytest.approx(1.0 + 2.0 * s * (1 - s))  # 1 + w s(1 - s) = 1.5


def test_a_single_value_and_plain_numbers_work_and_the_shape_is_kept():
    assert Residual(Tanh())(Value(0.5)).data == pytest.approx(0.5 + np.tanh(0.5))
    linear = Linear(2, 2, rng=0)
    out = Residual(linear)([0.1, 0.2])  # plain numbers in: x + f(x) is made of Values
    assert isinstance(out, list) and [v.data for v in out] == pytest.approx(
        [xi + f.data for xi, f in zip((0.1, 0.2), linear([0.1, 0.2]))]
    )
    one = Residual(Linear(1, 1, rng=0))((Value(1.0),))  # Layer(1, 1) returns one Value
    assert isinstance(one, list) and len(one) == 1


def test_a_shape_mismatch_names_residual_and_both_shapes():
    with pytest.raises(
        ValueError, match=r"Residual: x has shape \(3,\) but f\(x\) has shape \(2,\)"
    ):
        Residual(Linear(3, 2, rng=0))([1.0, 2.0, 3.0])
    seq = [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(ValueError, match=r"x has shape \(2, 2\) but f\(x\) has shape \(2, 3\)"):
        Residual(EachPosition(Linear(2, 3, rng=0)))(seq)
    with pytest.raises(ValueError, match=r"x has shape \(\) but f\(x\) has shape \(2,\)"):
        Residual(Lambda(lambda v: [v, v]))(Value(1.0))
    with pytest.raises(TypeError, match="Residual: module must be a Module, got function"):
        Residual(lambda v: v)


def test_the_add_is_in_the_blocks_scope_and_f_in_its_own_so_pictures_fold_them():
    model = Sequential(Residual(Linear(2, 2, rng=0)), Residual(Linear(2, 2, rng=1)))
    assert [m.name for m in model.layers] == ["layer1", "layer2"]
    assert model.layers[0].f.name == "f"  # an unnamed module is called f
    named = Linear(2, 2, rng=0)
    named.name = "attention"
    assert Residual(named).f.name == "attention"  # a named one keeps its name
    assert {p.scope for p in model.layers[0].parameters()} == {
        "layer1.f.neuron1",
        "layer1.f.neuron2",
    }
    x = [Value(1.0, "x0"), Value(-1.0, "x1")]
    y = model(x)
    assert {v.scope for v in y} == {"layer2"}  # the add: in the block, outside f
    assert {v.inputs[1].scope for v in y} == {"layer2.f.neuron1", "layer2.f.neuron2"}
    assert list(dict(model.named_parameters()))[:2] == [
        "layers.0.f.neurons.0.w.0",
        "layers.0.f.neurons.0.w.1",
    ]


def test_deep_stack_names_its_layers_and_shares_weights_between_plain_and_residual():
    plain = deep_stack(3, 4, rng=7)
    residual = deep_stack(3, 4, residual=True, rng=7)
    assert [m.name for m in plain.layers] == ["layer1", "layer2", "layer3", "layer4"]
    assert all(isinstance(m, Residual) for m in residual.layers)
    assert [p.data for p in plain.parameters()] == [p.data for p in residual.parameters()]
    x = [Value(0.3), Value(-0.2), Value(0.1)]
    h = x
    for layer in plain.layers:  # the residual stack is x + layer(x) at every layer
        h = [a + b for a, b in zip(h, layer(h))]
    assert [v.data for v in residual(x)] == pytest.approx([v.data for v in h])
    with pytest.raises(ValueError, match="deep_stack: depth must be a whole number >= 1, got 0"):
        deep_stack(3, 0)
    one = deep_stack(1, 3, rng=0)([Value(1.0)])  # a chain of single units: one value
    assert 0.0 < one.data < 1.0
    assert len(deep_stack(1, 3, residual=True, rng=0)([Value(1.0)])) == 1


def test_a_deep_sigmoid_stack_fades_and_the_residual_one_does_not():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((16, 4)), rng.standard_normal((16, 4))
    ratios = {}
    for residual in (False, True):
        model = deep_stack(4, 12, residual=residual, rng=1)
        loss = mse_loss(model([Value(c) for c in X.T]), Y.T)
        loss.backward()
        norms = grad_norms(model)
        assert list(norms) == [f"layer{i}" for i in range(1, 13)]  # one norm per layer
        ratios[residual] = norms["layer1"] / norms["layer12"]
    assert ratios[False] < 1e-6  # about 4x smaller per layer towards the input
    assert ratios[True] > 1e-2  # within a small factor


def test_a_residual_stack_trains_with_fit_on_the_tape():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 2))
    y = X[:, 0] * 0.5 - X[:, 1] * 0.25

    model = Sequential(
        deep_stack(2, 3, activation="tanh", residual=True, rng=2), Linear(2, 1, rng=3)
    )
    history = fit(
        model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=0.1), epochs=30,
        metric=None, verbose=False, tape=True,
    )  # fmt: skip
    assert history.loss[-1] < 0.2 * history.loss[0]
