"""The tape: a recorded batched graph replayed on new data gives eager backward()'s numbers."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import OPS, Value, topological_order
from autograd.tape import MIN_SCALAR_GROUP, Tape
from autograd.value import _binary_row, _bound, _unary

from .test_ops import PARAMS
from .test_properties import program, run

RNG = np.random.default_rng(7)


def moons_loss(model, X, y, values=None):
    """micrograd's moons loss (hinge + 1e-4 L2) on a batch; returns (loss, input leaves)."""
    x, t = values or ([Value(X[:, 0]), Value(X[:, 1])], Value(y))
    data_loss = (1 + -t * model(x)).relu().mean()
    return data_loss + 1e-4 * sum(p * p for p in model.parameters()), x + [t]


def moons_data(n):
    X = RNG.standard_normal((n, 2))
    return X, np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)


def eager_grads(loss, params):
    for p in params:
        p.grad = 0.0
    loss.backward()
    return np.array([p.grad for p in params])


def tape_grads(tape, params, *arrays):
    for p in params:
        p.grad = 0.0
    loss = tape.step(*arrays)
    return loss, np.array([p.grad for p in params])


def sgd(params, lr):
    for p in params:
        p.data -= lr * p.grad


def test_moons_steps_with_updates_match_eager_backward_to_1e_12():
    random.seed(1)
    model = nn.MLP(2, [16, 16, 1])
    params = model.parameters()
    X, y = moons_data(100)
    loss, leaves = moons_loss(model, X, y)
    tape = Tape(loss, leaves, params)
    for _ in range(4):
        X, y = moons_data(100)  # new data every step, and new weights
        loss, got = tape_grads(tape, params, X[:, 0], X[:, 1], y)
        eager = moons_loss(model, X, y)[0]
        expected = eager_grads(eager, params)
        assert loss == pytest.approx(eager.data, abs=1e-12)
        assert np.abs(got - expected).max() < 1e-12
        sgd(params, 0.5)


def test_moons_tape_gradients_equal_the_sum_over_examples():
    random.seed(2)
    model = nn.MLP(2, [16, 16, 1])
    params = model.parameters()
    X, y = moons_data(30)
    loss, leaves = moons_loss(model, X, y)
    _, got = tape_grads(Tape(loss, leaves, params), params, X[:, 0], X[:, 1], y)
    for p in params:
        p.grad = 0.0
    for (a, b), t in zip(X.tolist(), y.tolist()):
        ((1 + -t * model([Value(a), Value(b)])).relu() * (1 / len(y))).backward()
    (1e-4 * sum(p * p for p in params)).backward()
    assert np.abs(got - np.array([p.grad for p in params])).max() < 1e-12


def test_a_smaller_last_batch_replays_the_same_tape():
    random.seed(3)
    model = nn.MLP(2, [8, 1])
    params = model.parameters()
    X, y = moons_data(64)
    loss, leaves = moons_loss(model, X, y)
    tape = Tape(loss, leaves, params)
    X, y = moons_data(37)
    got_loss, got = tape_grads(tape, params, X[:, 0], X[:, 1], y)
    eager = moons_loss(model, X, y)[0]
    assert np.abs(got - eager_grads(eager, params)).max() < 1e-12
    assert got_loss == pytest.approx(eager.data, abs=1e-12)


def digits_like(n):
    X = RNG.integers(0, 17, size=(n, 64)) / 16.0
    return X, RNG.integers(0, 10, size=n)


def cross_entropy_loss(model, X, labels):
    x = [Value(c) for c in X.T]
    t = [Value((labels == k) * 1.0) for k in range(10)]  # one-hot targets, fed as inputs
    return nn.cross_entropy(model(x), t), x + t


def test_tanh_network_with_cross_entropy_matches_eager_over_steps():
    random.seed(4)
    model = nn.MLP(64, [32, 10], activation="tanh")
    params = model.parameters()
    X, labels = digits_like(50)
    loss, leaves = cross_entropy_loss(model, X, labels)
    tape = Tape(loss, leaves, params)
    onehot = [(labels == k) * 1.0 for k in range(10)]
    for step in range(3):
        if step:
            X, labels = digits_like(50)
            onehot = [(labels == k) * 1.0 for k in range(10)]
        got_loss, got = tape_grads(tape, params, *X.T, *onehot)
        eager = nn.cross_entropy(model([Value(c) for c in X.T]), labels)  # int labels: eager's way
        assert np.abs(got - eager_grads(eager, params)).max() < 1e-12
        assert got_loss == pytest.approx(eager.data, abs=1e-12)
        sgd(params, 0.1)


def test_a_constant_batch_in_the_graph_ties_the_tape_to_its_batch_size():
    random.seed(5)
    model = nn.MLP(64, [10])
    X, labels = digits_like(20)
    loss, leaves = cross_entropy_loss(model, X, labels)  # softmax's shift: a no_grad batch
    tape = Tape(loss, leaves, model.parameters())
    X, labels = digits_like(7)
    with pytest.raises(ValueError, match="constant batch of 20 examples.*got 7"):
        tape.step(*X.T, *[(labels == k) * 1.0 for k in range(10)])


def test_parameters_changed_between_steps_are_read_afresh():
    w, b = Value(2.0), Value(-1.0)
    x = Value(np.array([1.0, 2.0, 3.0]))
    tape = Tape((w * x + b).relu().mean(), [x], [w, b])
    assert tape.step(x.data) == pytest.approx(3.0)
    w.data, b.data = -1.0, 2.5  # relu now cuts the third example: (1.5 + 0.5 + 0) / 3
    w.grad = b.grad = 0.0
    assert tape.step(x.data) == pytest.approx(2.0 / 3)
    assert (w.grad, b.grad) == pytest.approx((1.0, 2.0 / 3))  # (x1 + x2) / 3, 2 / 3


def test_gradients_add_up_over_steps_as_backward_does():
    w = Value(0.5)
    x = Value(np.array([1.0, -2.0]))
    loss = (w * x).tanh().sum() + w * w
    loss.backward()
    loss.backward()
    expected = w.grad
    w.grad = 0.0
    tape = Tape(loss, [x], [w])
    tape.step(x.data)
    tape.step(x.data)
    assert w.grad == pytest.approx(expected, abs=1e-12)


def test_repeated_rows_and_weights_within_one_group_add_up():
    # x feeds several nodes of one level, w and v are used by several: fan-out in a group
    w, v = Value(0.3), Value(-0.7)
    x1, x2 = Value(np.array([1.0, -2.0, 0.5])), Value(np.array([0.2, 0.1, -1.0]))
    loss = (x1 * w + x1 * v + x2 * w + x1 * x1 + (x2 * x2) * v).mean()
    expected = eager_grads(loss, [w, v])
    _, got = tape_grads(Tape(loss, [x1, x2], [w, v]), [w, v], x1.data, x2.data)
    assert np.abs(got - expected).max() < 1e-12


def test_data_gives_the_numbers_of_any_node_after_a_step():
    w = Value(2.0)
    x = Value(np.array([1.0, 2.0]))
    out = w * x
    loss = out.sum()
    tape = Tape(loss, [x], [w])
    tape.step(np.array([3.0, 4.0]))
    assert tape.data(out).tolist() == [6.0, 8.0]
    assert tape.data(loss) == 14.0
    with pytest.raises(ValueError, match="not a node of this tape"):
        tape.data(Value(1.0))


ELEMENTWISE = sorted(set(OPS) - {"sum", "mean"})
POSITIVE = {"log", "powv", "pow", "div"}  # keep every operand inside these rows' domains


ROWS = [(name, p) for name in ELEMENTWISE for p in PARAMS.get(name, [None])]


@pytest.mark.parametrize("name,p", ROWS)
def test_every_elementwise_row_replays_through_the_tape(name, p):
    row = OPS[name] if p is None else _bound(name, p)
    lo, hi = (0.4, 1.8) if name in POSITIVE else (-1.5, 1.5)
    a1, a2 = np.linspace(lo, hi, 7) + 0.013, np.linspace(hi, lo, 7) * 0.9 + 0.031
    ws = [Value(float(v)) for v in np.linspace(lo + 0.07, hi - 0.05, MIN_SCALAR_GROUP + 2)]

    def f(*args):
        return _binary_row(row, *args) if row.arity == 2 else _unary(row, args[0])

    def loss_of(x1, x2):
        terms = [f(x1, x2), f(ws[0], x2), f(x1, ws[1])] if row.arity == 2 else [f(x1)]
        terms += [f(x1 * ws[2])] if row.arity == 1 else []
        # Scalar-only nodes: a level of them (one vectorised call), then sum()'s chain of adds.
        scalars = [f(a, b) if row.arity == 2 else f(a) for a, b in zip(ws, ws[1:] + ws[:1])]
        return sum(t.mean() for t in terms) + sum(scalars) + f(*ws[: row.arity]) * 0.5

    x1, x2 = Value(a1), Value(a2)
    inputs = [x1, x2][: row.arity]
    tape = Tape(loss_of(x1, x2), inputs, ws)
    b1, b2 = a1[::-1] * 0.95, a2[::-1] * 1.05  # new data: still in the domain, off the kinks
    eager = loss_of(Value(b1), Value(b2))
    expected = eager_grads(eager, ws)
    got_loss, got = tape_grads(tape, ws, *[b1, b2][: row.arity])
    assert got_loss == pytest.approx(eager.data, rel=1e-12, abs=1e-12)
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_a_failing_row_names_the_op_and_leaves_gradients_alone():
    w = Value(1.0)
    x = Value(np.array([1.0, 2.0]))
    tape = Tape((x * w).log().sum(), [x], [w])
    with pytest.raises(ValueError, match=r"Tape.step: log failed on these data: input must be > 0"):
        tape.step(np.array([1.0, -2.0]))
    assert w.grad == 0.0


def bad_tapes():
    w = Value(1.0)
    x = Value(np.array([1.0, 2.0]))
    loss = (w * x).sum()
    yield "root must be a scalar", lambda: Tape(w * x, [x], [w])
    yield "root must be a scalar", lambda: Tape(w, [], [w])
    yield "input 0 .* is not a leaf", lambda: Tape(loss, [w * x], [w])
    yield "input 0 .* must hold a batch", lambda: Tape(loss, [w], [])
    yield "input 0 .* not in the graph", lambda: Tape(loss, [Value(np.ones(2))], [w])
    yield "param 0 .* is not a leaf", lambda: Tape(loss, [x], [w * 2.0])
    yield "param 0 .* must hold a plain number", lambda: Tape(loss, [x], [x])
    yield "appears twice", lambda: Tape(loss, [x], [w, w])
    yield "param 0 must be a Value, got float", lambda: Tape(loss, [x], [1.0])
    tape = Tape(loss, [x], [w])
    yield "expected 1 arrays, got 2", lambda: tape.step(x.data, x.data)
    yield "array 0 must be 1-D", lambda: tape.step(np.ones((2, 2)))
    two = Tape((w * x + x * x).sum(), [x], [w])
    yield "array 0 must be 1-D", lambda: two.step(np.ones(0))


@pytest.mark.parametrize("match,make", list(bad_tapes()))
def test_bad_arguments_are_refused_with_a_message_naming_the_problem(match, make):
    with pytest.raises((TypeError, ValueError), match=match):
        make()


def test_arrays_of_different_lengths_are_refused():
    x1, x2, w = Value(np.ones(3)), Value(np.ones(3)), Value(1.0)
    tape = Tape((x1 * x2 * w).sum(), [x1, x2], [w])
    with pytest.raises(ValueError, match="array 1 must be 1-D.*the first has 3"):
        tape.step(np.ones(3), np.ones(4))


@settings(max_examples=60, deadline=None)
@given(program, st.integers(0, 2**32 - 1))
def test_random_graphs_over_batches_and_weights_replay_exactly(prog, seed):
    rng = np.random.default_rng(seed)
    leaves = [Value(rng.uniform(-2, 2, 5)), Value(float(rng.uniform(-2, 2)))]
    leaves += [Value(rng.uniform(-2, 2, 5)), Value(float(rng.uniform(-2, 2)))]
    loss = run(prog, leaves).mean()  # a plain number's mean is itself: a scalar reduction
    in_graph = set(topological_order(loss))
    inputs = [v for v in leaves[::2] if v in in_graph]
    params = leaves[1::2]
    tape = Tape(loss, inputs, params)
    for v in inputs:
        v.data = rng.uniform(-2, 2, 5)  # new data: eager gets a new graph, the tape replays
    eager = run(prog, leaves).mean()
    expected = eager_grads(eager, params)
    got_loss, got = tape_grads(tape, params, *[v.data for v in inputs])
    assert got_loss == pytest.approx(eager.data, rel=1e-12, abs=1e-12)
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-12)
