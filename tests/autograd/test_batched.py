"""Batched values: one number per example, gradients equal to the sum of per-example ones."""

import math
import random

import numpy as np
import pytest

from autograd import OPS, Value, backward_steps, detect_anomaly
from autograd.value import _binary_row, _bound, _unary

from .test_ops import PARAMS, in_domain

XS = np.array([-1.7, -0.4, 0.3, 1.2, 2.1])


def per_example_and_batch(f, *columns):
    """Gradients of sum_i f(x_i, ...) for each input, per example summed, and batched."""
    per_example = np.zeros(len(columns))
    for i in range(len(columns[0])):
        vs = [Value(float(c[i])) for c in columns]
        f(*vs).backward()
        per_example += [v.grad for v in vs]
    weights = [Value(0.0) for _ in columns]  # a plain-number input shared by every example
    batch = [Value(np.asarray(c)) for c in columns]
    out = f(*[b + w for b, w in zip(batch, weights)]).sum()
    out.backward()
    return per_example, np.array([w.grad for w in weights]), [b.grad for b in batch]


ELEMENTWISE = sorted(set(OPS) - {"sum", "mean"})  # the reductions are tested on their own


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_every_elementwise_row_batched_matches_the_sum_of_examples(name):
    op = OPS[name]
    params = PARAMS.get(name, [None])
    for p in params:
        row = op if p is None else _bound(name, p)
        if row.arity == 2:
            cols = (XS, XS[::-1] * 0.7 + 0.05)
            ok = [in_domain(name, p, (a, b)) for a, b in zip(*cols)]
            f = lambda a, b: _binary_row(row, a, b)  # noqa: B023
        else:
            cols = (XS,)
            ok = [in_domain(name, p, (a,)) for a in XS]
            f = lambda a: _unary(row, a)  # noqa: B023
        if not all(ok):
            cols = tuple(c[np.array(ok)] for c in cols)
        if len(cols[0]) == 0:
            continue
        per_example, weight_grads, batch_grads = per_example_and_batch(f, *cols)
        assert np.allclose(per_example, weight_grads, atol=1e-12, rtol=0), (name, p)
        for col_grad, total in zip(batch_grads, per_example):
            assert np.asarray(col_grad).sum() == pytest.approx(total, abs=1e-12)


def test_mlp_batch_gradients_equal_per_example_sums_to_1e_12():
    import nn

    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((40, 2)), np.sign(rng.standard_normal(40))
    random.seed(5)
    model = nn.MLP(2, [8, 8, 1])

    def loss_of(x0, x1, target, n):
        score = model([x0, x1])
        return (1 + -target * score).relu() * (1.0 / n) + 1e-4 * sum(
            p * p for p in model.parameters()
        ) * (1.0 / n)

    model.zero_grad()
    for (a, b), t in zip(X.tolist(), y.tolist()):
        loss_of(Value(a), Value(b), t, len(y)).backward()
    expected = [p.grad for p in model.parameters()]
    model.zero_grad()
    batch = loss_of(Value(X[:, 0]), Value(X[:, 1]), Value(y), len(y)).sum()
    batch.backward()
    got = [p.grad for p in model.parameters()]
    assert max(abs(e - g) for e, g in zip(expected, got)) < 1e-12


def test_a_weight_used_by_the_batch_and_by_itself_adds_both_once():
    w = Value(3.0)
    x = Value(np.array([1.0, 2.0, 4.0]))
    loss = (w * x).mean() + w * w  # d/dw = mean(x) + 2w = 7/3 + 6
    loss.backward()
    assert w.grad == pytest.approx(7 / 3 + 6, abs=1e-12)


def test_reductions_sum_and_mean():
    x = Value(np.array([1.0, 2.0, 3.0, 6.0]))
    s, m = x.sum(), x.mean()
    assert (s.data, m.data) == (12.0, 3.0)
    assert type(s.data) is float
    (s + m).backward()
    assert np.allclose(x.grad, 1.25)
    assert Value(2.0).sum().data == 2.0 and Value(2.0).mean().data == 2.0


def test_shared_gradient_arrays_are_never_changed_in_place():
    x = Value(np.array([1.0, -2.0, 3.0]))
    u = x + 1.0  # d = 1: u's upstream array is passed on to x as it is
    loss = (u * 2.0).sum() + x.mean() + (x * x).sum()
    steps = list(backward_steps(loss))
    assert np.allclose(x.grad, 2.0 + 1 / 3 + 2 * x.data)
    u_step = next(s for s in steps if s.node is u)
    assert np.allclose(u_step.grad, 2.0)  # still what u received, after x added more


def test_a_batch_domain_error_names_the_first_bad_example():
    with pytest.raises(
        ValueError,
        match=r"log\(\[0\.5, -1\.0, 2\.0\] \(3 examples\)\): input must be > 0"
        r" \(example 1 is -1\.0\)",
    ):
        Value(np.array([0.5, -1.0, 2.0])).log()
    with pytest.raises(ValueError, match=r"powv.*example 0"):
        Value(np.array([-1.0, 2.0])) ** Value(2.0)


@pytest.mark.parametrize("bad", [np.zeros((2, 2)), np.array([]), np.array(["a", "b"])])
def test_a_batch_must_be_a_non_empty_1d_array_of_numbers(bad):
    with pytest.raises(TypeError, match="batch must be a non-empty 1-D array"):
        Value(bad)


def test_anomaly_mode_sees_a_bad_example_in_a_batch():
    with detect_anomaly(), pytest.raises(FloatingPointError, match="exp"):
        with np.errstate(over="ignore"):
            Value(np.array([1.0, 1000.0])).exp()


def test_batch_and_number_mix_on_either_side():
    x = Value(np.array([1.0, 2.0]))
    for out in (
        x + 1,
        1 + x,
        x * 2,
        2 * x,
        x - 1,
        1 - x,
        x / 2,
        2 / x,
        x**2,
        -x,
        np.float64(2.0) * x,
    ):
        assert isinstance(out.data, np.ndarray) and out.data.shape == (2,)
    assert math.isclose((x.max(1.5)).data[1], 2.0)


def test_numpy_scalar_data_is_a_plain_number_not_a_batch():
    w = Value(2.0)
    w.data = np.float64(2.0)  # what `p.data -= lr * np.sqrt(...)` leaves behind
    x = Value(np.array([1.0, 3.0]))
    (w * x).sum().backward()
    assert type(w.grad) is float and w.grad == 4.0


def test_backward_from_an_unreduced_batch_is_backward_from_its_sum():
    w1, x1 = Value(0.25), Value(np.array([1.0, 2.0, -3.0]))
    (w1 * x1).tanh().backward()
    w2, x2 = Value(0.25), Value(np.array([1.0, 2.0, -3.0]))
    (w2 * x2).tanh().sum().backward()
    assert type(w1.grad) is float and w1.grad == pytest.approx(w2.grad, abs=1e-15)
    assert np.array_equal(x1.grad, x2.grad)
    assert [s.grad for s in backward_steps((Value(0.5) * x1).exp())][0].shape == (3,)
