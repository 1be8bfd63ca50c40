"""The tape: a recorded batched graph replayed on new data gives eager backward()'s numbers."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import OPS, Value, _fuse, topological_order
from autograd.tape import MIN_SCALAR_GROUP, Tape
from autograd.value import _binary_row, _bound, _unary
from nn.losses import l2_penalty

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


# Fused chains (autograd/_fuse.py): a layer's neurons and a long sum replay as a unit.


def fused_layers(tape):
    return [s for s in tape._steps if isinstance(s, _fuse.Layer)]


def mlp_loss(model, X, y, penalty):
    """A hinge loss on a batch of Values, plus an L2 penalty written as students write it."""
    x, t = [Value(c) for c in X.T], Value(y)
    out = model(x)
    out = out if isinstance(out, Value) else out[0]
    loss = (1 + -t * out).relu().mean()
    if penalty == "sum":  # Python's sum: 0 + p0*p0 + p1*p1 + ...
        loss = loss + 1e-3 * sum(p * p for p in model.parameters())
    elif penalty == "l2_penalty":  # nn's: p0*p0 + p1*p1 + ...
        loss = loss + 1e-3 * l2_penalty(model.parameters())
    return loss, x + [t]


SHAPES = [
    (2, [16, 16, 1], "relu"),
    (2, [32, 32, 1], "relu"),
    (3, [5, 1], "tanh"),
    (2, [4, 7, 3, 1], "sigmoid"),
    (4, [1], "relu"),  # one linear layer
]


@pytest.mark.parametrize("nin,sizes,act", SHAPES)
@pytest.mark.parametrize("n", [1, 7, 100])
@pytest.mark.parametrize("penalty", ["sum", "l2_penalty", None])
def test_fused_layers_give_eager_loss_and_layer_outputs_bit_for_bit(nin, sizes, act, n, penalty):
    random.seed(n + len(sizes))
    model = nn.MLP(nin, sizes, activation=act)
    params = model.parameters()
    X = RNG.standard_normal((n, nin))
    y = np.where(X[:, 0] > 0, 1.0, -1.0)
    loss, leaves = mlp_loss(model, X, y, penalty)
    tape = Tape(loss, leaves, params)
    assert len(fused_layers(tape)) == len(sizes)  # one fused step per layer
    for _ in range(2):
        X = RNG.standard_normal((n, nin))  # new data and, after the first step, new weights
        y = np.where(X[:, 0] > 0, 1.0, -1.0)
        got_loss, got = tape_grads(tape, params, *X.T, y)
        eager, _ = mlp_loss(model, X, y, penalty)
        assert got_loss == eager.data  # exactly: the same adds and multiplies, in eager's order
        order = topological_order(eager)
        twins = dict(zip(topological_order(loss), order))  # same graph, same order
        for node, twin in twins.items():
            if node.op is not None:  # every node's number, stored or recomputed, is eager's
                assert np.array_equal(tape.data(node), twin.data)
        expected = eager_grads(eager, params)
        assert np.abs(got - expected).max() < 1e-12  # sums over examples: BLAS's order
        sgd(params, 0.3)


def test_a_partial_sum_read_elsewhere_ends_its_chain_and_is_stored():
    w = [Value(v) for v in (0.5, -1.5, 2.0, 0.25)]
    b = Value(0.3)
    x = [Value(RNG.standard_normal(6)) for _ in range(4)]

    def loss_of(x):
        half = b + w[0] * x[0] + w[1] * x[1]  # read by the rest of the chain and by tanh
        out = half + w[2] * x[2] + w[3] * x[3]
        return (out * half.tanh()).mean(), half

    loss, half = loss_of(x)
    tape = Tape(loss, x, w + [b])
    assert half in tape._vslot and half not in tape._folded  # the chain stops at it
    assert [s.k for s in fused_layers(tape)] == [2, 2]
    new = [RNG.standard_normal(6) for _ in range(4)]
    got_loss, got = tape_grads(tape, w + [b], *new)
    eager, eager_half = loss_of([Value(a) for a in new])
    assert got_loss == eager.data
    assert np.array_equal(tape.data(half), eager_half.data)
    assert np.abs(got - eager_grads(eager, w + [b])).max() < 1e-12


def test_a_product_read_twice_is_not_folded_into_a_chain():
    w, b = Value(0.7), Value(-0.2)
    x = Value(RNG.standard_normal(5))
    product = w * x
    loss = ((b + product) * product).mean()  # the product feeds the add and the outer mul
    tape = Tape(loss, [x], [w, b])
    assert not fused_layers(tape)
    new = RNG.standard_normal(5)
    got_loss, got = tape_grads(tape, [w, b], new)
    eager = ((b + w * Value(new)) * (w * Value(new))).mean()
    assert got_loss == eager.data
    assert np.abs(got - eager_grads(eager, [w, b])).max() < 1e-12


def test_neurons_that_share_weights_or_read_an_input_twice_add_up_their_gradients():
    w0, w1, b = Value(0.4), Value(-0.9), Value(0.1)
    x1, x2 = Value(RNG.standard_normal(8)), Value(RNG.standard_normal(8))

    def loss_of(x1, x2):
        n1 = b + w0 * x1 + w1 * x1  # one input read twice
        n2 = b + w0 * x2 + w1 * x1  # the same weights (and bias) in another neuron
        n3 = x2 + w1 * x2 + w0 * x1  # a chain that starts from a batch
        return (n1.tanh() * n2 + n3 * n3).mean()

    tape = Tape(loss_of(x1, x2), [x1, x2], [w0, w1, b])
    assert fused_layers(tape)
    new = RNG.standard_normal(8), RNG.standard_normal(8)
    got_loss, got = tape_grads(tape, [w0, w1, b], *new)
    eager = loss_of(Value(new[0]), Value(new[1]))
    assert got_loss == eager.data
    assert np.abs(got - eager_grads(eager, [w0, w1, b])).max() < 1e-12


def test_a_long_sum_of_numbers_is_one_step_with_eager_partial_sums():
    ps = [Value(float(v)) for v in RNG.standard_normal(40)]
    x = Value(RNG.standard_normal(3))
    partial = []

    def loss_of(x):
        total = (ps[0] * x).mean()
        for p in ps:
            total = total + p * p
            partial.append(total)
        return total

    loss = loss_of(x)
    recorded, partial[:] = partial[:], []
    tape = Tape(loss, [x], ps)
    assert sum(isinstance(s, _fuse.Cumsum) for s in tape._steps) == 1
    new = RNG.standard_normal(3)
    got_loss, got = tape_grads(tape, ps, new)
    eager = loss_of(Value(new))
    assert got_loss == eager.data
    assert [tape.data(v) for v in recorded] == [v.data for v in partial]
    assert np.abs(got - eager_grads(eager, ps)).max() < 1e-12


def test_tape_gradients_agree_with_finite_differences_of_the_replayed_loss():
    random.seed(11)
    model = nn.MLP(3, [6, 5, 1], activation="tanh")
    params = model.parameters()
    X = RNG.standard_normal((9, 3))
    y = np.where(X[:, 1] > 0, 1.0, -1.0)
    x, t = [Value(c) for c in X.T], Value(y)
    loss = ((model(x) - t) ** 2).mean() + 1e-2 * sum(p * p for p in params)
    tape = Tape(loss, x + [t], params)
    _, got = tape_grads(tape, params, *X.T, y)
    h = 1e-6
    for k, p in enumerate(params):
        p.data += h
        up = tape.step(*X.T, y)
        p.data -= 2 * h
        down = tape.step(*X.T, y)
        p.data += h
        assert got[k] == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-8)


def test_data_gives_inputs_the_root_and_the_outputs_of_a_fused_layer():
    random.seed(12)
    model = nn.MLP(2, [3])
    x = [Value(RNG.standard_normal(4)) for _ in range(2)]
    out = model(x)
    loss = sum(o * o for o in out).mean()
    tape = Tape(loss, x, model.parameters())
    new = [RNG.standard_normal(4) for _ in range(2)]
    got = tape.step(*new)
    assert tape.data(x[1]).tolist() == new[1].tolist()
    assert tape.data(loss) == got
    eager = model([Value(a) for a in new])
    assert [tape.data(o).tolist() for o in out] == [e.data.tolist() for e in eager]


@pytest.mark.parametrize("positions", [None, 1, 3])  # None: one accumulate call per layer
def test_every_way_of_running_a_layer_gives_eager_numbers(monkeypatch, positions):
    n, width = 7, 8  # products of 1 or 3 input positions per call, or all of them at once
    if positions is not None:
        monkeypatch.setattr(_fuse, "SMALL", 0)
        monkeypatch.setattr(_fuse, "BLOCK", positions * width * n)
    random.seed(13)
    model = nn.MLP(3, [width, width, 1], activation="tanh")
    params = model.parameters()
    X = RNG.standard_normal((n, 3))
    y = np.where(X[:, 2] > 0, 1.0, -1.0)
    loss, leaves = mlp_loss(model, X, y, "sum")
    tape = Tape(loss, leaves, params)
    got_loss, got = tape_grads(tape, params, *X.T, y)
    eager, _ = mlp_loss(model, X, y, "sum")
    assert got_loss == eager.data
    assert np.abs(got - eager_grads(eager, params)).max() < 1e-12
