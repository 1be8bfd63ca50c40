"""The tape on a big batch: a block of examples at a time, and still the whole batch's numbers."""

import random
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import Value, topological_order
from autograd import tape as tape_module
from autograd.tape import Tape

from .test_properties import program, run
from .test_tape import RNG, SHAPES, eager_grads, mlp_loss, moons_data, moons_loss, sgd, tape_grads


@pytest.fixture
def blocks_of_13(monkeypatch):
    """Tapes made in the test run a batch of over 13 examples in blocks of at most 13."""
    monkeypatch.setattr(tape_module, "WHOLE_BYTES", 0)
    monkeypatch.setattr(tape_module, "MIN_BLOCK", 13)
    monkeypatch.setattr(tape_module, "BLOCK_BYTES", 0)


def in_blocks(tape):
    return tape._last is not None  # the last step ran in blocks (what data() replays)


@pytest.mark.parametrize("nin,sizes,act", [s for s in SHAPES if max(s[1]) < 32])
@pytest.mark.parametrize("n", [27, 100])
def test_blocks_give_eager_loss_and_every_nodes_numbers_bit_for_bit(
    blocks_of_13, nin, sizes, act, n
):
    random.seed(n + len(sizes))
    model = nn.MLP(nin, sizes, activation=act)
    params = model.parameters()
    X = RNG.standard_normal((n, nin))
    loss, leaves = mlp_loss(model, X, np.where(X[:, 0] > 0, 1.0, -1.0), "sum")
    tape = Tape(loss, leaves, params)
    for _ in range(2):  # new data and, after the first step, new weights
        X = RNG.standard_normal((n, nin))
        y = np.where(X[:, 0] > 0, 1.0, -1.0)
        got_loss, got = tape_grads(tape, params, *X.T, y)
        assert in_blocks(tape)
        eager, _ = mlp_loss(model, X, y, "sum")
        assert got_loss == eager.data
        # Every third node (each read replays the forward pass over the blocks).
        for node, twin in list(zip(topological_order(loss), topological_order(eager)))[::3]:
            assert np.array_equal(tape.data(node), twin.data)
        assert np.abs(got - eager_grads(eager, params)).max() < 1e-12  # summed block by block
        sgd(params, 0.3)


def test_steps_in_a_row_on_other_batches_each_give_eager_numbers(blocks_of_13):
    random.seed(21)
    model = nn.MLP(2, [8, 8, 1])
    params = model.parameters()
    loss, leaves = moons_loss(model, *moons_data(40))
    score = next(
        v
        for v in topological_order(loss)
        if v.op is not None and v.op.name == "mul" and v._a.op is not None and v._a.op.name == "neg"
    )._b  # the model's output
    tape = Tape(loss, leaves, params)
    held = []
    for n in (100, 100, 10, 61):  # blocks, blocks in the first one's buffers, whole, blocks
        X, y = moons_data(n)
        got_loss, got = tape_grads(tape, params, X[:, 0], X[:, 1], y)
        assert in_blocks(tape) == (n > 13)
        eager, _ = moons_loss(model, X, y)
        assert got_loss == eager.data
        assert np.abs(got - eager_grads(eager, params)).max() < 1e-12
        expected = model([Value(X[:, 0]), Value(X[:, 1])]).data
        assert np.array_equal(tape.data(score), expected)  # this step's, not an earlier one's
        held.append((tape.data(score), expected))
        sgd(params, 0.1)
    for numbers, expected in held:  # what data() gave is the caller's: later steps leave it
        assert np.array_equal(numbers, expected)


def test_a_batch_made_from_a_reduction_runs_whole_with_eager_numbers(blocks_of_13):
    w, b = Value(0.7), Value(-0.2)

    def centred(x):  # every example needs the whole batch's mean first
        h = (w * x + b).tanh()
        return ((h - h.mean()) ** 2).mean()

    x = Value(RNG.standard_normal(100))
    tape = Tape(centred(x), [x], [w, b])
    new = RNG.standard_normal(100)
    got_loss, got = tape_grads(tape, [w, b], new)
    assert not in_blocks(tape)
    eager = centred(Value(new))
    assert got_loss == pytest.approx(eager.data, abs=1e-15)
    assert np.abs(got - eager_grads(eager, [w, b])).max() < 1e-12


def test_a_failing_row_in_a_block_names_the_example_of_the_whole_batch(blocks_of_13):
    w = Value(1.0)
    x = Value(np.ones(100))
    tape = Tape((x * w).log().sum(), [x], [w])
    bad = np.ones(100)
    bad[60] = -2.0
    with pytest.raises(ValueError, match=r"log failed on these data: .*\(example 60 is -2.0\)"):
        tape.step(bad)
    assert w.grad == 0.0
    assert tape.step(np.full(100, np.e)) == pytest.approx(100.0)  # and the next step runs
    assert in_blocks(tape)


def test_width_64_at_10000_points_peaks_below_twice_the_data():
    n, width = 10_000, 64
    random.seed(22)
    model = nn.MLP(2, [width, width, 1])
    params = model.parameters()
    loss, leaves = moons_loss(model, *moons_data(2))
    tape = Tape(loss, leaves, params)
    X, y = moons_data(n)
    arrays = X[:, 0].copy(), X[:, 1].copy(), y
    tracemalloc.start()
    try:
        got_loss, got = tape_grads(tape, params, *arrays)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert in_blocks(tape)
    # Issue 14's "the data" (benchmarks/sweep.py): inputs and targets, the parameters, one
    # activation per neuron per example, all float64.
    data = 8 * (3 * n + len(params) + n * (2 * width + 1))
    assert peak < 2 * data
    eager, _ = moons_loss(model, X, y)
    assert got_loss == eager.data
    assert np.abs(got - eager_grads(eager, params)).max() < 1e-12


@settings(max_examples=60, deadline=None)
@given(program, st.integers(0, 2**32 - 1))
def test_random_graphs_in_blocks_of_two_give_the_whole_batchs_numbers(prog, seed):
    rng = np.random.default_rng(seed)
    leaves = [Value(rng.uniform(-2, 2, 5)), Value(float(rng.uniform(-2, 2)))]
    leaves += [Value(rng.uniform(-2, 2, 5)), Value(float(rng.uniform(-2, 2)))]
    loss = run(prog, leaves).mean()
    in_graph = set(topological_order(loss))
    inputs = [v for v in leaves[::2] if v in in_graph]
    params = leaves[1::2]
    whole = Tape(loss, inputs, params)
    with pytest.MonkeyPatch.context() as mp:  # 5 examples: blocks of 2, 2 and 1
        mp.setattr(tape_module, "WHOLE_BYTES", 0)
        mp.setattr(tape_module, "BLOCK_BYTES", 0)
        mp.setattr(tape_module, "MIN_BLOCK", 2)
        blocks = Tape(loss, inputs, params)
    arrays = [rng.uniform(-2, 2, 5) for _ in inputs]
    want_loss, want = tape_grads(whole, params, *arrays)
    got_loss, got = tape_grads(blocks, params, *arrays)
    assert got_loss == want_loss or (np.isnan(got_loss) and np.isnan(want_loss))
    assert np.allclose(got, want, rtol=1e-12, atol=1e-12, equal_nan=True)
    for node in topological_order(loss):
        assert np.array_equal(blocks.data(node), whole.data(node), equal_nan=True)
