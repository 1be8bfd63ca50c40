"""Layers: dropout (off in eval, seeded in train), Linear, per-neuron activations, bad sizes."""

import numpy as np
import pytest

import nn
from autograd import Value


def test_dropout_is_the_identity_in_eval_mode():
    drop = nn.Dropout(0.5, rng=0).eval()
    xs = [Value(1.0), Value(2.0)]
    assert drop(xs) is xs
    model = nn.MLP(3, [8, 8, 1], dropout=0.5, rng=0).eval()
    x = [0.1, 0.2, 0.3]
    assert model(x).data == model(x).data == nn.MLP(3, [8, 8, 1], rng=0)(x).data


def test_dropout_in_train_mode_zeroes_or_scales_and_is_seeded():
    xs = [Value(1.0) for _ in range(2000)]
    out = [v.data for v in nn.Dropout(0.25, rng=1)(xs)]
    assert set(out) == {0.0, 1.0 / 0.75}
    assert out.count(0.0) / len(out) == pytest.approx(0.25, abs=0.03)
    assert out == [v.data for v in nn.Dropout(0.25, rng=1)(xs)]
    assert out != [v.data for v in nn.Dropout(0.25, rng=2)(xs)]


def test_dropout_gives_each_example_of_a_batch_its_own_coin_and_keeps_the_gradient_path():
    x = Value(np.ones(1000))
    y = nn.Dropout(0.5, rng=3)(x)
    kept = y.data > 0
    assert 400 < kept.sum() < 600 and np.all(y.data[kept] == 2.0)
    y.sum().backward()
    assert np.array_equal(x.grad, y.data)  # d(mask * x)/dx = mask


def test_dropout_rejects_a_probability_outside_0_1():
    with pytest.raises(ValueError, match=r"Dropout: p must be in \[0, 1\), got 1.0"):
        nn.Dropout(1.0)


def test_linear_has_no_activation_and_pytorch_shapes():
    layer = nn.Linear(3, 2, rng=0)
    x = [0.5, -1.0, 2.0]
    out = layer(x)
    for unit, y in zip(layer.neurons, out):
        assert y.data == pytest.approx(sum(w.data * xi for w, xi in zip(unit.w, x)) + unit.b.data)
    assert len(layer.parameters()) == 3 * 2 + 2


def test_learnable_swish_as_an_activation_gives_each_neuron_its_own_beta():
    model = nn.MLP(2, [3, 1], activation=nn.Swish(1.0, learnable=True), rng=0)
    betas = [p for n, p in model.named_parameters() if n.endswith("act.beta")]
    assert len(betas) == 3 and len({id(b) for b in betas}) == 3
    model([0.3, 0.4]).backward()
    assert all(b.grad != 0.0 for b in betas)


def test_a_function_can_be_an_activation():
    model = nn.MLP(2, [2, 1], activation=lambda v: v * v, rng=0)
    h = [n([1.0, 2.0]) for n in model.layers[0].neurons]
    bare = nn.MLP(2, [2, 1], activation=None, output_activation=None, rng=0)
    raw = [n([1.0, 2.0]) for n in bare.layers[0].neurons]
    assert [v.data for v in h] == pytest.approx([r.data**2 for r in raw])


def test_bad_sizes_and_inputs_are_clear_errors():
    with pytest.raises(ValueError, match=r"Layer: nout must be a whole number >= 1, got 0"):
        nn.Layer(2, 0)
    with pytest.raises(ValueError, match=r"MLP: nouts must list at least one layer size, got \[\]"):
        nn.MLP(2, [])
    with pytest.raises(ValueError, match=r"Neuron: nin must be a whole number >= 1, got 2.5"):
        nn.Neuron(2.5)
    with pytest.raises(ValueError, match=r"Neuron: expected 2 inputs, got 3"):
        nn.MLP(2, [1])([1.0, 2.0, 3.0])


def test_repr_names_the_structure():
    assert repr(nn.MLP(2, [3, 1], activation="tanh", rng=0)) == (
        "MLP of [Layer of [Neuron(2, tanh), Neuron(2, tanh), Neuron(2, tanh)], "
        "Layer of [Neuron(3, linear)]]"
    )
    assert repr(nn.Dropout(0.2)) == "Dropout(p=0.2)"


def test_a_layer_of_one_neuron_feeds_the_next_layer():
    # Layer(1, 1) returns its one value, not a list; the layer after it must still take it
    model = nn.MLP(1, [1, 1], activation="tanh", rng=0)
    hidden, out = model.layers
    h = hidden([0.5])
    y = model([0.5])
    assert y.data == pytest.approx(out.neurons[0].b.data + out.neurons[0].w[0].data * h.data)
    y.backward()
    assert hidden.neurons[0].w[0].grad != 0.0
