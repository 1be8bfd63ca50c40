"""The perceptron: the tutorial's AND weights, the learning rule on AND/OR/NOT, and XOR's cycle."""

import numpy as np
import pytest

import nn
from autograd import Value


def test_the_tutorials_weights_compute_and():
    p = nn.Perceptron(2)
    p.w[0].data, p.w[1].data, p.b.data = 0.6, 0.6, -1.0
    X, y = nn.logic_gate("and")
    assert [p(x).data for x in X.tolist()] == y.tolist()


@pytest.mark.parametrize("gate", ["and", "or", "not"])
def test_the_learning_rule_learns_linearly_separable_gates(gate):
    X, y = nn.logic_gate(gate)
    p = nn.Perceptron(X.shape[1])
    report = p.fit(X, y)
    assert report.converged and bool(report) and report.errors[-1] == 0
    assert str(report).startswith(f"converged after {report.epochs} epochs")
    assert [p(x).data for x in X.tolist()] == y.tolist()


def test_xor_is_reported_as_not_learnable_not_raised():
    X, y = nn.logic_gate("xor")
    p = nn.Perceptron(2)
    report = p.fit(X, y, max_epochs=1000)
    assert not report.converged and not bool(report)
    assert report.repeats_from is not None and report.epochs < 1000  # a cycle, found early
    assert str(report).startswith("cannot converge: epoch ")
    assert "no straight line separates the classes" in str(report)
    predictions = [p(x).data for x in X.tolist()]
    assert predictions != y.tolist()


def test_stopped_before_a_cycle_the_report_says_how_many_epochs_were_tried():
    X, y = nn.logic_gate("xor")
    report = nn.Perceptron(2).fit(X, y, max_epochs=2)  # the cycle shows only in epoch 3
    assert not report.converged and report.repeats_from is None and report.epochs == 2
    assert str(report) == (
        f"did not converge in 2 epochs: the last still misclassified {report.errors[-1]} "
        "examples (no straight line separates the classes?)"
    )


def test_update_moves_only_on_a_mistake():
    p = nn.Perceptron(2, lr=0.5)
    assert p.update([1.0, 0.0], 1) == 0.0  # step(0) = 1: right, no change
    assert [v.data for v in p.parameters()] == [0.0, 0.0, 0.0]
    assert p.update([1.0, 2.0], 0) == -1.0
    assert [v.data for v in p.parameters()] == [-0.5, -1.0, -0.5]


def test_a_perceptron_runs_on_a_batch_and_checks_its_input():
    p = nn.Perceptron(2)
    p.w[0].data, p.w[1].data, p.b.data = 0.6, 0.6, -1.0
    X, y = nn.logic_gate("and")
    out = p([Value(X[:, 0]), Value(X[:, 1])])
    assert np.array_equal(out.data, y)
    with pytest.raises(ValueError, match=r"Perceptron: expected 2 inputs, got 3"):
        p([1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match=r"Perceptron.fit: 4 inputs but 3 targets"):
        p.fit(X, y[:3])
    with pytest.raises(ValueError, match=r"Perceptron: lr must be a number > 0, got 0"):
        nn.Perceptron(2, lr=0)
