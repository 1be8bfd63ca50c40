"""Recurrent cells and unroll: torch's numbers and gradients, three modes, the same weights at
every time step, finite differences, and clear errors for bad input."""

import math
import random
from functools import reduce

import numpy as np
import pytest

from autograd import Value, no_grad, topological_order
from autograd.tape import Tape
from nn.recurrent import GRUCell, LSTMCell, RNNCell, unroll

KINDS = {
    "rnn_tanh": lambda i, h, bias, rng: RNNCell(i, h, bias=bias, rng=rng),
    "rnn_relu": lambda i, h, bias, rng: RNNCell(i, h, bias=bias, nonlinearity="relu", rng=rng),
    "gru": lambda i, h, bias, rng: GRUCell(i, h, bias=bias, rng=rng),
    "lstm": lambda i, h, bias, rng: LSTMCell(i, h, bias=bias, rng=rng),
}
PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
CASES = [(kind, seed) for kind in KINDS for seed in range(5)]


def total(values):
    return reduce(lambda a, b: a + b, values)


def sizes(seed):
    """Random sizes for one case: input, hidden, time steps, examples, bias or not."""
    r = random.Random(seed)
    return r.randint(1, 4), r.randint(1, 4), r.randint(1, 5), r.randint(1, 3), seed % 4 != 3


def state_lists(cell, state):
    """The state as a list of lists: [h] or [h, c]."""
    return list(state) if isinstance(cell, LSTMCell) else [state]


def weigh(outputs, state, cell, coeffs):
    """A scalar to backpropagate: every output and last-state value times its own number."""
    values = [v for h in outputs for v in h] + [v for s in state_lists(cell, state) for v in s]
    return total([v * c for v, c in zip(values, coeffs)])


def torch_twin(cell, module, layer=""):
    """Copy cell's parameters into the torch module (weight_ih or weight_ih_l0, ...)."""
    import torch

    with torch.no_grad():
        for name in PARAMS:
            ours = getattr(cell, name)
            if ours:
                theirs = getattr(module, name + layer)
                theirs.copy_(
                    torch.tensor([p.data for p in ours], dtype=torch.float64).reshape(theirs.shape)
                )
    return module


def assert_param_grads(cell, module, layer="", tol=1e-10):
    for name in PARAMS:
        ours = getattr(cell, name)
        if ours:
            theirs = getattr(module, name + layer).grad.flatten().numpy()
            np.testing.assert_allclose(
                [p.grad for p in ours], theirs, rtol=tol, atol=tol, err_msg=name
            )


def batch_problem(cell, T, N, seed):
    """Inputs (T, N, input), a start state ([h] or [h, c], each (N, hidden)) and coefficients."""
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((T, N, cell.input_size))
    parts = 2 if isinstance(cell, LSTMCell) else 1
    s0 = rng.standard_normal((parts, N, cell.hidden_size))
    coeffs = rng.standard_normal((T + parts, cell.hidden_size, N))
    return xs, s0, coeffs


def ours_batched(cell, xs, s0, coeffs):
    """unroll in batched mode (one Value per feature holding the N examples); returns its nodes."""
    X = [[Value(xs[t, :, i].copy()) for i in range(cell.input_size)] for t in range(len(xs))]
    S = [[Value(s[:, j].copy()) for j in range(cell.hidden_size)] for s in s0]
    outputs, state = unroll(cell, X, S if isinstance(cell, LSTMCell) else S[0])
    flat = [c for step in coeffs for c in step]
    loss = weigh(outputs, state, cell, flat).sum()
    cell.zero_grad()
    loss.backward()
    return X, S, outputs, state, loss


@pytest.mark.torch
@pytest.mark.parametrize("kind, seed", CASES)
def test_unroll_equals_torch_rnn_gru_lstm_in_outputs_and_every_gradient(kind, seed):
    import torch

    I, H, T, N, bias = sizes(seed)
    cell = KINDS[kind](I, H, bias, seed)
    if kind.startswith("rnn"):
        module = torch.nn.RNN(I, H, bias=bias, nonlinearity=kind[4:])
    else:
        module = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[kind](I, H, bias=bias)
    module = torch_twin(cell, module.double(), "_l0")
    xs, s0, coeffs = batch_problem(cell, T, N, seed)
    X, S, outputs, state, loss = ours_batched(cell, xs, s0, coeffs)

    tx = torch.tensor(xs, requires_grad=True)
    ts = [torch.tensor(s[None], requires_grad=True) for s in s0]
    out, last = module(tx, (ts[0], ts[1]) if kind == "lstm" else ts[0])
    last = list(last) if kind == "lstm" else [last]
    c = torch.tensor(coeffs).transpose(1, 2)  # (steps, N, hidden), as torch lays them out
    theirs = (out * c[:T]).sum() + sum((s[0] * c[T + k]).sum() for k, s in enumerate(last))
    theirs.backward()

    assert loss.data == pytest.approx(theirs.item(), rel=1e-10, abs=1e-10)
    got = np.array([[h.data for h in step] for step in outputs])  # (T, hidden, N)
    np.testing.assert_allclose(got.transpose(0, 2, 1), out.detach().numpy(), rtol=1e-10, atol=1e-10)
    for k, s in enumerate(state_lists(cell, state)):
        np.testing.assert_allclose(
            np.array([v.data for v in s]).T, last[k][0].detach().numpy(), rtol=1e-10, atol=1e-10
        )
    dx = np.array([[v.grad for v in step] for step in X]).transpose(0, 2, 1)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    for ours, t in zip(S, ts):
        np.testing.assert_allclose(
            np.array([v.grad for v in ours]).T, t.grad[0].numpy(), atol=1e-10
        )
    assert_param_grads(cell, module, "_l0")


@pytest.mark.torch
@pytest.mark.parametrize("kind, seed", CASES)
def test_one_step_equals_torch_cells_example_by_example(kind, seed):
    import torch

    I, H, _, N, bias = sizes(seed)
    cell = KINDS[kind](I, H, bias, seed + 100)
    if kind.startswith("rnn"):
        module = torch.nn.RNNCell(I, H, bias=bias, nonlinearity=kind[4:])
    else:
        module = {"gru": torch.nn.GRUCell, "lstm": torch.nn.LSTMCell}[kind](I, H, bias=bias)
    module = torch_twin(cell, module.double())
    xs, s0, coeffs = batch_problem(cell, 1, N, seed)
    tx = torch.tensor(xs[0], requires_grad=True)
    ts = [torch.tensor(s, requires_grad=True) for s in s0]
    new = module(tx, tuple(ts) if kind == "lstm" else ts[0])
    new = list(new) if kind == "lstm" else [new]
    c = torch.tensor(coeffs[: len(new)]).transpose(1, 2)
    sum((s * c[k]).sum() for k, s in enumerate(new)).backward()
    cell.zero_grad()
    for n in range(N):  # eager: one example at a time; the parameters' gradients add up
        x = [Value(v) for v in xs[0, n]]
        state = [[Value(v) for v in s[n]] for s in s0]
        out = cell(x, state if kind == "lstm" else state[0])
        out = list(out) if kind == "lstm" else [out]
        total([v * cc for s, ck in zip(out, coeffs) for v, cc in zip(s, ck[:, n])]).backward()
        for k, s in enumerate(out):
            np.testing.assert_allclose([v.data for v in s], new[k][n].detach().numpy(), atol=1e-10)
        np.testing.assert_allclose([v.grad for v in x], tx.grad[n].numpy(), atol=1e-10)
        for s, t in zip(state, ts):
            np.testing.assert_allclose([v.grad for v in s], t.grad[n].numpy(), atol=1e-10)
    assert_param_grads(cell, module)


@pytest.mark.torch
@pytest.mark.parametrize("kind", list(KINDS))
def test_default_state_is_zeros_as_in_torch(kind):
    import torch

    cell = KINDS[kind](2, 3, True, 7)
    module = {"rnn_tanh": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}.get(kind)
    if module is None:
        module = lambda i, h: torch.nn.RNN(i, h, nonlinearity="relu")  # noqa: E731
    module = torch_twin(cell, module(2, 3).double(), "_l0")
    seq = [[0.5, -1.0], [0.25, 2.0], [-0.75, 0.1]]
    outputs, _ = unroll(cell, seq)
    theirs, _ = module(torch.tensor(seq, dtype=torch.float64))
    got = [[v.data for v in h] for h in outputs]
    np.testing.assert_allclose(got, theirs.detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("kind", list(KINDS))
def test_eager_batched_and_tape_agree_and_the_tape_replays_new_data(kind):
    I, H, T, N = 2, 3, 4, 5
    cell = KINDS[kind](I, H, True, 11)
    params = cell.parameters()

    def eager(xs, s0, coeffs):
        """Each example on its own: (the mean loss, the parameters' gradients of it)."""
        cell.zero_grad()
        losses = []
        for n in range(N):
            seq = [[Value(v) for v in xs[t, n]] for t in range(T)]
            state = [[Value(v) for v in s[n]] for s in s0]
            outputs, last = unroll(cell, seq, state if kind == "lstm" else state[0])
            flat = [c[:, n] for c in coeffs]
            loss = weigh(outputs, last, cell, [x for c in flat for x in c]) * (1.0 / N)
            loss.backward()
            losses.append(loss.data)
        return sum(losses), [p.grad for p in params]

    xs, s0, coeffs = batch_problem(cell, T, N, 1)
    X = [[Value(xs[t, :, i].copy()) for i in range(I)] for t in range(T)]
    S = [[Value(s[:, j].copy()) for j in range(H)] for s in s0]
    outputs, last = unroll(cell, X, S if kind == "lstm" else S[0])
    flat = [c for step in coeffs for c in step]
    loss = weigh(outputs, last, cell, flat).mean()
    cell.zero_grad()
    loss.backward()
    batched = [p.grad for p in params]
    e_loss, e_grads = eager(xs, s0, coeffs)
    assert loss.data == pytest.approx(e_loss, abs=1e-12)
    np.testing.assert_allclose(batched, e_grads, atol=1e-12)

    # the coefficients are constants of the recorded graph; inputs and the start state replay
    inputs = [v for step in X for v in step] + [v for s in S for v in s]
    tape = Tape(loss, inputs, params)
    xs2, s02, _ = batch_problem(cell, T, N, 2)
    arrays = [xs2[t, :, i] for t in range(T) for i in range(I)]
    arrays += [s[:, j] for s in s02 for j in range(H)]
    cell.zero_grad()
    t_loss = tape.step(*arrays)
    e_loss, e_grads = eager(xs2, s02, coeffs)
    assert t_loss == pytest.approx(e_loss, abs=1e-12)
    np.testing.assert_allclose([p.grad for p in params], e_grads, atol=1e-12)


@pytest.mark.parametrize("kind", list(KINDS))
def test_gradients_match_finite_differences_without_torch(kind):
    cell = KINDS[kind](2, 2, True, 3)
    rng = np.random.default_rng(4)
    xs = rng.standard_normal((3, 2))
    seq = [[Value(v) for v in row] for row in xs]
    coeffs = list(rng.standard_normal(10))

    def forward():
        outputs, state = unroll(cell, seq)
        return weigh(outputs, state, cell, coeffs)

    loss = forward()
    cell.zero_grad()
    loss.backward()
    leaves = cell.parameters() + [v for row in seq for v in row]
    for v in leaves:
        analytic, x, h = v.grad, v.data, 1e-6
        with no_grad():
            v.data = x + h
            up = forward().data
            v.data = x - h
            down = forward().data
        v.data = x
        assert analytic == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-8), v.label


def test_a_1x1_rnn_over_three_steps_by_hand():
    cell = RNNCell(1, 1, rng=0)
    w_ih, w_hh, b_ih, b_hh = cell.parameters()
    assert [p.label for p in (w_ih, w_hh, b_ih, b_hh)] == ["w_ih", "w_hh", "b_ih", "b_hh"]
    w_ih.data, w_hh.data, b_ih.data, b_hh.data = 0.5, -0.8, 0.1, -0.2
    outputs, last = unroll(cell, [1.0, -2.0, 0.5])  # one feature: a flat list will do
    h, expect = 0.0, []
    for x in (1.0, -2.0, 0.5):
        h = math.tanh(0.5 * x + 0.1 - 0.8 * h - 0.2)
        expect.append(h)
    assert [o[0].data for o in outputs] == pytest.approx(expect, abs=1e-15)
    assert last is outputs[-1] and [o[0].label for o in outputs] == ["h1", "h2", "h3"]


def test_labels_name_the_gate_the_unit_and_the_column_as_torchs_docs_do():
    cell = LSTMCell(3, 2, rng=0)
    assert [p.label for p in cell.weight_ih[:7]] == [
        "w_ii0_0", "w_ii0_1", "w_ii0_2", "w_ii1_0", "w_ii1_1", "w_ii1_2", "w_if0_0",
    ]  # fmt: skip
    assert [p.label for p in cell.bias_hh[-2:]] == ["b_ho0", "b_ho1"]
    h, c = cell([0.1, 0.2, 0.3])
    assert [v.label for v in h + c] == ["h_0", "h_1", "c_0", "c_1"]
    assert [p.label for p in RNNCell(3, 1, rng=0).weight_ih] == ["w_ih0", "w_ih1", "w_ih2"]
    assert [v.label for v in GRUCell(1, 1, rng=0)(0.5)] == ["h"]


def test_every_time_step_has_its_own_scope_and_uses_the_same_weight_values():
    cell = GRUCell(1, 2, rng=5)
    outputs, _ = unroll(cell, [[0.3], [0.1], [-0.4], [0.2]])
    loss = total(outputs[-1])
    nodes = topological_order(loss)
    made = {n.scope for n in nodes if n.op is not None and n is not loss}
    assert made == {"t1", "t2", "t3", "t4"}
    params = {id(p) for p in cell.parameters()}
    for t in ("t1", "t2", "t3", "t4"):  # each step's ops read the cell's own weight Values
        read = {id(i) for n in nodes if n.scope == t and n.op for i in n.inputs}
        assert params & read == params
    leaves = [n for n in nodes if n.op is None]
    assert {id(n) for n in leaves} >= params
    start = [n for n in leaves if n.label.startswith("h0")]  # drawn before step 1, outside it
    assert [n.label for n in start] == ["h0_0", "h0_1"] and {n.scope for n in start} == {""}


def test_the_shared_weights_gradient_is_the_sum_of_one_contribution_per_step():
    cell = RNNCell(1, 1, rng=2)
    outputs, _ = unroll(cell, [0.5, -1.0, 2.0, 0.25])
    loss = outputs[-1][0]
    loss.backward()
    w_hh = cell.weight_hh[0]
    nodes = topological_order(loss)
    # each step's product w_hh * h_(t-1) sends w_hh (its gradient) times h_(t-1)
    products = [n for n in nodes if n.op and n.op.name == "mul" and n.inputs[0] is w_hh]
    assert [n.scope for n in products] == ["t1", "t2", "t3", "t4"]
    terms = [n.grad * n.inputs[1].data for n in products]
    assert terms[0] == 0.0  # h0 = 0
    assert w_hh.grad == pytest.approx(sum(terms), abs=1e-15)


def test_parameters_use_torchs_layout_and_default_range_and_are_seeded():
    for cell, gates in ((RNNCell(3, 4, rng=1), 1), (GRUCell(3, 4, rng=1), 3)):
        names = [n for n, _ in cell.named_parameters()]
        assert names[0] == "weight_ih.0" and names[-1] == f"bias_hh.{gates * 4 - 1}"
        assert len(cell.weight_ih) == gates * 4 * 3 and len(cell.weight_hh) == gates * 4 * 4
        assert all(abs(p.data) <= 0.5 for p in cell.parameters())  # 1/sqrt(4)
    lstm = LSTMCell(2, 9, bias=False, rng=4)
    assert lstm.bias_ih == lstm.bias_hh == [] and len(lstm.parameters()) == 4 * 9 * (2 + 9)
    assert max(abs(p.data) for p in lstm.parameters()) > 0.3  # spread over U(-1/3, 1/3)
    assert all(abs(p.data) <= 1 / 3 for p in lstm.parameters())
    assert [p.data for p in LSTMCell(2, 9, rng=4).parameters()] == [
        p.data for p in LSTMCell(2, 9, rng=4).parameters()
    ]
    assert lstm.weight_ih[2 * 9 * 2].label == "w_ig0_0"  # the third gate's first row


def test_bad_sizes_and_options_name_the_module_and_value():
    with pytest.raises(
        ValueError, match=r"RNNCell: hidden_size must be a whole number >= 1, got 0"
    ):
        RNNCell(2, 0)
    with pytest.raises(ValueError, match=r"GRUCell: input_size must be .*, got 2.5"):
        GRUCell(2.5, 3)
    with pytest.raises(
        ValueError, match=r"RNNCell: nonlinearity must be 'tanh' or 'relu', got 'sig"
    ):
        RNNCell(1, 1, nonlinearity="sigmoid")


def test_bad_inputs_name_the_module_and_the_value():
    cell = LSTMCell(2, 3, rng=0)
    with pytest.raises(ValueError, match=r"LSTMCell: x has 3 values, expected 2 \(input_size\)"):
        cell([1.0, 2.0, 3.0])
    with pytest.raises(
        TypeError, match=r"LSTMCell: x\[1\] must be a number or a Value, got str 'a'"
    ):
        cell([1.0, "a"])
    with pytest.raises(TypeError, match=r"LSTMCell: the state must be a pair \(h, c\)"):
        cell([1.0, 2.0], [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"LSTMCell: c has 2 values, expected 3 \(hidden_size\)"):
        cell([1.0, 2.0], ([0.0] * 3, [0.0] * 2))
    rnn = RNNCell(1, 2, rng=0)
    with pytest.raises(
        ValueError, match=r"unroll: time step 3: RNNCell: x has 2 values, expected 1"
    ):
        unroll(rnn, [0.5, [1.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match=r"unroll: sequence must be a non-empty list"):
        unroll(rnn, [])
    with pytest.raises(TypeError, match=r"unroll: cell must be an RNNCell, GRUCell or LSTMCell"):
        unroll(lambda x, h: h, [1.0])
    with pytest.raises(
        TypeError, match=r"RNNCell: x must be a list of 3 numbers or Values, got 1.0"
    ):
        RNNCell(3, 1)(1.0)
