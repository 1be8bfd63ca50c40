"""Diagnostics: gradient norm per layer and the count of dead ReLUs, on hand-built cases."""

import math

import numpy as np
import pytest

import nn
from autograd import Value


def test_grad_norm_per_layer_is_the_l2_norm_of_its_gradients():
    model = nn.MLP(2, [3, 1], activation="tanh", rng=0)
    model([0.5, -1.0]).backward()
    norms = nn.grad_norms(model)
    assert list(norms) == ["layer1", "layer2"]
    for i, layer in enumerate(model.layers):
        expected = math.sqrt(sum(p.grad**2 for p in layer.parameters()))
        assert norms[f"layer{i + 1}"] == pytest.approx(expected, abs=1e-15)
    model.zero_grad()
    assert nn.grad_norms(model) == {"layer1": 0.0, "layer2": 0.0}


def test_sigmoid_gradients_shrink_towards_the_input():
    """The vanishing gradient: a deep sigmoid stack's first layer gets the smallest gradient."""
    model = nn.MLP(4, [8, 8, 8, 8, 1], activation="sigmoid", init="xavier_normal", rng=1)
    X = np.random.default_rng(0).standard_normal((32, 4))
    out = nn.predict(model, X)  # the forward pass runs too
    assert out.shape == (32,)
    loss = nn.losses.mse_loss(model([Value(c) for c in X.T]), np.ones(32))
    loss.backward()
    norms = nn.grad_norms(model)
    assert norms["layer1"] < norms["layer4"] < norms["layer5"]


def test_dead_relus_are_units_that_output_zero_for_every_example():
    model = nn.MLP(2, [4, 3, 1], rng=0)
    X = np.array([[1.0, 0.5], [0.2, 0.3], [-0.4, 1.0]])
    first = model.layers[0].neurons
    for w in first[1].w + first[3].w:  # with a bias of -1: negative on every row of X
        w.data = -abs(w.data) - 0.1
    first[1].b.data = first[3].b.data = -1.0
    for w in first[0].w + first[2].w:  # with a bias of 1: positive on every row of X
        w.data = abs(w.data) + 0.1
    first[0].b.data = first[2].b.data = 1.0
    counts = nn.dead_relus(model, X)
    assert counts["layer1"] == 2
    assert set(counts) == {"layer1", "layer2"}  # the output layer is linear
    hidden = [n(X.tolist()[0]).data for n in first]
    assert hidden[1] == hidden[3] == 0.0


def test_dead_relus_in_a_sequential_with_relu_modules():
    seq = nn.Sequential(nn.Linear(1, 2, rng=0), nn.ReLU(), nn.Linear(2, 1, rng=1))
    unit0, unit1 = seq.layers[0].neurons
    unit0.w[0].data, unit0.b.data = 1.0, 0.0
    unit1.w[0].data, unit1.b.data = -1.0, -0.5
    assert nn.dead_relus(seq, [[0.5], [2.0]]) == {"layer2": 1}
    assert nn.dead_relus(seq, [[-2.0], [2.0]]) == {"layer2": 0}


def test_dead_relus_needs_layers_and_a_2d_batch():
    with pytest.raises(TypeError, match=r"dead_relus: expected a model with a \.layers list"):
        nn.dead_relus(nn.Neuron(2), [[1.0, 2.0]])
    with pytest.raises(ValueError, match=r"dead_relus: X must be a non-empty 2-D array"):
        nn.dead_relus(nn.MLP(2, [2, 1]), [1.0, 2.0])
