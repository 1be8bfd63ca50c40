"""Losses and penalties: hand-worked values, finite differences, and a batch equal to examples."""

import math

import numpy as np
import pytest

import nn
from autograd import Value, gradcheck
from nn import losses as L


def test_cross_entropy_worked_example_from_probabilities_with_clipping():
    loss = L.categorical_cross_entropy([0.2, 0.7, 0.1], [0, 1, 0])
    assert loss.data == pytest.approx(-math.log(0.7), abs=1e-12)
    assert round(loss.data, 3) == 0.357
    assert L.categorical_cross_entropy([0.2, 0.7, 0.1], 1).data == pytest.approx(0.356675, abs=1e-6)
    clipped = L.categorical_cross_entropy([1.0, 0.0], 1)  # log(0) would be -inf
    assert clipped.data == pytest.approx(-math.log(1e-15), rel=1e-9)


def test_cross_entropy_worked_example_from_logits():
    logits = [math.log(0.2) + 3.0, math.log(0.7) + 3.0, math.log(0.1) + 3.0]  # shift: no change
    assert L.cross_entropy(logits, 1).data == pytest.approx(-math.log(0.7), abs=1e-12)
    assert L.cross_entropy(logits, [0, 1, 0]).data == pytest.approx(-math.log(0.7), abs=1e-12)
    assert nn.CrossEntropyLoss()(logits, 1).data == pytest.approx(0.356675, abs=1e-6)


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    zs = [Value(0.5), Value(-1.0), Value(2.0)]
    L.cross_entropy(zs, 2).backward()
    e = [math.exp(z.data) for z in zs]
    expected = [v / sum(e) - (k == 2) for k, v in enumerate(e)]
    assert [z.grad for z in zs] == pytest.approx(expected, abs=1e-12)


def test_cross_entropy_of_huge_logits_is_finite():
    loss = L.cross_entropy([1000.0, -1000.0], 1)
    assert loss.data == pytest.approx(2000.0, abs=1e-9)


def test_cross_entropy_on_a_batch_equals_the_mean_of_examples():
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((6, 4)) * 3
    y = rng.integers(0, 4, 6)
    columns = [Value(c) for c in Z.T]
    batch = L.cross_entropy(columns, y)
    batch.backward()
    each = [Value(float(v)) for v in Z.ravel()]
    rows = [each[4 * i : 4 * i + 4] for i in range(6)]
    one_by_one = L.cross_entropy(rows, list(map(int, y)))
    one_by_one.backward()
    assert batch.data == pytest.approx(one_by_one.data, abs=1e-12)
    for k, col in enumerate(columns):
        assert col.grad == pytest.approx([rows[i][k].grad for i in range(6)], abs=1e-12)


LOSSES = {
    "mse_loss": (L.mse_loss, [0.3, -1.2], [1.0, 0.5]),
    "l1_loss": (L.l1_loss, [0.3, -1.2], [1.0, 0.5]),
    "binary_cross_entropy": (L.binary_cross_entropy, [0.3, 0.8], [0.0, 1.0]),
    "binary_cross_entropy_with_logits": (
        L.binary_cross_entropy_with_logits,
        [0.3, -2.0],
        [0.0, 1.0],
    ),
    "hinge_loss": (L.hinge_loss, [0.3, -0.4], [1.0, -1.0]),
    "cross_entropy": (L.cross_entropy, [0.3, -1.2, 2.2], [0.2, 0.5, 0.3]),
    "categorical_cross_entropy": (L.categorical_cross_entropy, [0.2, 0.5, 0.3], [0.0, 1.0, 0.0]),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_gradient_matches_finite_differences(name):
    f, pred, target = LOSSES[name]
    result = gradcheck(lambda *ps: f(list(ps), target), pred)
    assert result.ok, result.table()


def test_mse_l1_bce_hinge_hand_worked_values():
    assert L.mse_loss([1.0, 2.0], [0.0, 4.0]).data == 2.5  # (1 + 4) / 2
    assert L.l1_loss([1.0, 2.0], [0.0, 4.0]).data == 1.5
    assert nn.MSELoss()(Value(3.0), 1.0).data == 4.0
    bce = L.binary_cross_entropy([0.8, 0.4], [1, 0]).data
    assert bce == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2, abs=1e-12)
    assert L.hinge_loss([0.5, 2.0, -0.5], [1, 1, 1]).data == pytest.approx(1.0 / 3 * 2.0)


def test_binary_cross_entropy_clips_and_matches_the_logit_form():
    assert math.isfinite(L.binary_cross_entropy([0.0], [1.0]).data)
    for z in (-3.0, 0.2, 4.0):
        p = 1 / (1 + math.exp(-z))
        a = L.binary_cross_entropy([p], [1.0]).data
        b = L.binary_cross_entropy_with_logits([z], [1.0]).data
        assert a == pytest.approx(b, abs=1e-9)
    assert L.binary_cross_entropy_with_logits([800.0], [0.0]).data == pytest.approx(800.0)


def test_losses_on_a_batch_equal_the_mean_over_examples():
    rng = np.random.default_rng(1)
    pred = rng.uniform(0.05, 0.95, 8)
    target = (rng.uniform(size=8) > 0.5) * 1.0
    for f in (L.mse_loss, L.l1_loss, L.binary_cross_entropy, L.hinge_loss):
        batch = f(Value(pred), target).data
        each = f([Value(float(p)) for p in pred], target.tolist()).data
        assert batch == pytest.approx(each, abs=1e-12), f.__name__


def test_multi_output_mse_on_a_batch_averages_outputs_and_examples():
    pred = [Value(np.array([1.0, 2.0])), Value(np.array([0.0, 0.0]))]
    target = [np.array([0.0, 0.0]), np.array([1.0, 3.0])]
    assert L.mse_loss(pred, target).data == pytest.approx((1 + 4 + 1 + 9) / 4)


def test_penalties_and_their_gradients():
    ps = [Value(0.5), Value(-2.0), Value(0.0)]
    l2 = L.l2_penalty(ps)
    l2.backward()
    assert l2.data == 4.25 and [p.grad for p in ps] == [1.0, -4.0, 0.0]
    for p in ps:
        p.grad = 0.0
    l1 = L.l1_penalty(ps)
    l1.backward()
    assert l1.data == 2.5 and [p.grad for p in ps] == [1.0, -1.0, 0.0]


def test_bad_targets_are_clear_errors():
    with pytest.raises(ValueError, match=r"cross_entropy: class 3 is out of range for 3 classes"):
        L.cross_entropy([0.1, 0.2, 0.3], 3)
    with pytest.raises(ValueError, match=r"cross_entropy: classes must be in 0\.\.1"):
        L.cross_entropy([Value(np.zeros(2)), Value(np.ones(2))], np.array([0, 2]))
    with pytest.raises(ValueError, match=r"mse_loss: 2 predictions but 3 targets"):
        L.mse_loss([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"cross_entropy: 2 examples but targets \[1\]"):
        L.cross_entropy([[0.1, 0.2], [0.3, 0.4]], [1])
