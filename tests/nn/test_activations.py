"""Activations: each against finite differences through the engine, on one number and a batch."""

import math

import numpy as np
import pytest

import nn
from autograd import Value, gradcheck
from nn import activations as A

POINTS = [-2.3, -0.7, 0.4, 1.9]

# name: (function of one Value, the formula in plain floats)
ELEMENTWISE = {
    "sigmoid": (A.sigmoid, lambda x: 1 / (1 + math.exp(-x))),
    "tanh": (A.tanh, math.tanh),
    "relu": (A.relu, lambda x: max(x, 0.0)),
    "leaky_relu": (lambda v: A.leaky_relu(v, 0.1), lambda x: x if x > 0 else 0.1 * x),
    "elu": (lambda v: A.elu(v, 0.5), lambda x: x if x > 0 else 0.5 * (math.exp(x) - 1)),
    "swish": (lambda v: A.swish(v, 1.7), lambda x: x / (1 + math.exp(-1.7 * x))),
    "silu": (A.silu, lambda x: x / (1 + math.exp(-x))),
    "gelu": (A.gelu, lambda x: 0.5 * x * (1 + math.erf(x / math.sqrt(2)))),
    "step": (A.step, lambda x: 1.0 if x >= 0 else 0.0),
    "softplus": (A.softplus, lambda x: math.log1p(math.exp(x))),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_activation_value_and_gradient_match_formula_and_finite_differences(name):
    f, formula = ELEMENTWISE[name]
    for x in POINTS:
        assert f(Value(x)).data == pytest.approx(formula(x), abs=1e-12)
        result = gradcheck(f, [x])
        assert result.ok, result.table()


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_activation_on_a_batch_equals_each_example(name):
    f, _ = ELEMENTWISE[name]
    x = Value(np.array(POINTS))
    out = f(x)
    out.sum().backward()
    for i, p in enumerate(POINTS):
        one = Value(p)
        y = f(one)
        y.backward()
        assert out.data[i] == pytest.approx(y.data, abs=1e-12)
        assert x.grad[i] == pytest.approx(one.grad, abs=1e-12)


def test_prelu_learns_its_slope_gradient_is_min_x_0():
    for x in POINTS:
        result = gradcheck(A.prelu, [x, 0.3])
        assert result.ok, result.table()
    alpha = Value(0.25)
    A.prelu(Value(-2.0), alpha).backward()
    assert alpha.grad == -2.0
    module = nn.PReLU()
    assert [n for n, _ in module.named_parameters()] == ["alpha"]
    assert module(Value(-4.0)).data == -1.0 and module(Value(3.0)).data == 3.0


def test_swish_with_a_learnable_beta():
    for x in POINTS:
        result = gradcheck(lambda v, b: A.swish(v, b), [x, 1.3])
        assert result.ok, result.table()
    fixed, learnable = nn.Swish(2.0), nn.Swish(2.0, learnable=True)
    assert fixed.parameters() == [] and len(learnable.parameters()) == 1
    assert fixed(Value(0.8)).data == pytest.approx(learnable(Value(0.8)).data, abs=1e-15)


def test_softmax_sums_to_one_and_matches_finite_differences():
    probs = A.softmax([1.0, 2.0, 3.0])
    e = [math.exp(v) for v in (1.0, 2.0, 3.0)]
    assert [p.data for p in probs] == pytest.approx([v / sum(e) for v in e], abs=1e-15)
    weights = [0.3, -1.1, 2.0]  # a weighted sum tests every output against every input

    def f(a, b, c):
        return sum((w * p for w, p in zip(weights, A.softmax([a, b, c]))), Value(0.0))

    result = gradcheck(f, [0.5, -1.0, 2.5])
    assert result.ok, result.table()


def test_softmax_and_log_softmax_do_not_overflow():
    probs = A.softmax([1000.0, 1000.0, 0.0])
    assert [p.data for p in probs] == pytest.approx([0.5, 0.5, 0.0], abs=1e-15)
    logp = A.log_softmax([1000.0, 0.0])
    assert [v.data for v in logp] == pytest.approx([0.0, -1000.0], abs=1e-12)
    result = gradcheck(lambda a, b: A.log_softmax([a, b])[1], [800.0, 2.0])
    assert result.ok, result.table()


def test_log_softmax_is_log_of_softmax_and_works_on_a_batch():
    zs = [Value(np.array([0.1, 5.0, -3.0])), Value(np.array([2.0, 4.0, -3.5]))]
    logp = A.log_softmax(zs)
    probs = A.softmax(zs)
    for lp, p in zip(logp, probs):
        assert np.allclose(lp.data, np.log(p.data), atol=1e-12)
    assert np.allclose(probs[0].data + probs[1].data, 1.0, atol=1e-15)


def test_maxout_takes_the_largest_piece_and_sends_it_the_gradient():
    pieces = [Value(0.5), Value(2.0), Value(-1.0)]
    out = A.maxout(pieces)
    out.backward()
    assert out.data == 2.0 and [p.grad for p in pieces] == [0.0, 1.0, 0.0]
    for point in ([0.5, 2.0, -1.0], [3.0, 2.0, -1.0], [0.5, -2.0, 1.0]):  # no ties
        result = gradcheck(lambda a, b, c: A.maxout([a * a, b, 2.0 * c]), point)
        assert result.ok, result.table()
    layer = nn.Maxout(2, 3, pieces=4, rng=0)
    x = [0.3, -0.9]
    for unit, y in zip(layer.neurons, layer(x)):
        assert y.data == max(p(x).data for p in unit.pieces)
    assert len(layer.parameters()) == 3 * 4 * 3


def test_modules_apply_to_one_value_or_a_layer_of_values():
    xs = [Value(-1.0), Value(0.5)]
    cases = [
        (nn.Sigmoid(), A.sigmoid),
        (nn.Tanh(), A.tanh),
        (nn.ReLU(), A.relu),
        (nn.GELU(), A.gelu),
        (nn.SiLU(), A.silu),
        (nn.Step(), A.step),
        (nn.Softplus(), A.softplus),
        (nn.LeakyReLU(0.2), lambda v: A.leaky_relu(v, 0.2)),
        (nn.ELU(0.3), lambda v: A.elu(v, 0.3)),
    ]
    for module, f in cases:
        assert [v.data for v in module(xs)] == [f(v).data for v in xs]
        assert module(xs[0]).data == f(xs[0]).data
    assert [p.data for p in nn.Softmax()(xs)] == [p.data for p in A.softmax(xs)]


@pytest.mark.parametrize(
    "name",
    ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "swish", "silu", "gelu", "prelu", "softplus"],
)
def test_every_named_activation_builds_an_mlp_that_runs_forward_and_backward(name):
    model = nn.MLP(2, [3, 1], activation=name, rng=0)
    out = model([0.5, -0.25])
    out.backward()
    assert all(math.isfinite(p.grad) for p in model.parameters())
    assert repr(model).startswith("MLP of [Layer of [Neuron(2, ")


def test_prelu_by_name_gives_each_neuron_its_own_slope():
    model = nn.MLP(2, [3, 1], activation="prelu", rng=0)
    slopes = [p for n, p in model.named_parameters() if n.endswith("act.alpha")]
    assert len(slopes) == 3 and len({id(p) for p in slopes}) == 3


def test_softmax_output_layer_gives_probabilities():
    model = nn.MLP(3, [4, 5], activation="tanh", output_activation="softmax", rng=0)
    probs = model([0.2, 0.1, -0.3])
    assert len(probs) == 5 and sum(p.data for p in probs) == pytest.approx(1.0, abs=1e-15)


def test_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown neuron activation 'relu6'; choose one of "):
        nn.MLP(2, [1], activation="relu6", output_activation="relu6")
    with pytest.raises(ValueError, match=r"'softmax' \(a whole layer's, see Layer\)"):
        nn.Neuron(2, activation="softmax")
    with pytest.raises(TypeError, match=r"activation must be a name .* got 3"):
        nn.Neuron(2, activation=3)
