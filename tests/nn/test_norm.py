"""BatchNorm1d and LayerNorm: equal to torch (outputs, running statistics, every gradient),
the same in eager, batched and Tape modes, right by finite differences, strict about input."""

import random
import re

import numpy as np
import pytest

from autograd import Tape, Value, gradcheck, topological_order
from nn.layers import Linear
from nn.module import Sequential
from nn.norm import BatchNorm1d, LayerNorm
from nn.optim import SGD
from nn.train import fit

SEEDS = range(8)


def close(actual, expected, tol=1e-10):
    """Equal to `tol`, absolutely (no relative slack)."""
    np.testing.assert_allclose(actual, expected, rtol=0, atol=tol)


def weights(rng, shape):
    """Fixed random coefficients of the test loss sum(c * y + d * y**2): every output counts."""
    return rng.standard_normal(shape), rng.standard_normal(shape)


def eager_loss(ys, c, d):
    """The test loss over N lists of C outputs (or one list of C)."""
    rows = ys if isinstance(ys[0], list) else [ys]
    c, d = np.atleast_2d(c), np.atleast_2d(d)
    terms = [
        y * float(c[i, j]) + y**2 * float(d[i, j])
        for i, row in enumerate(rows)
        for j, y in enumerate(row)
    ]
    return sum(terms[1:], terms[0])


def batched_loss(ys, c, d):
    """The same loss over C batch Values (column j holds feature j of every example)."""
    terms = [(y * c[:, j] + y**2 * d[:, j]).sum() for j, y in enumerate(ys)]
    return sum(terms[1:], terms[0])


def randomise(module, rng):
    """Give gamma and beta random numbers (they start at 1 and 0)."""
    for p in module.parameters():
        p.data = float(rng.standard_normal())


def torch_bn(module, torch):
    """torch's BatchNorm1d with our settings, gamma and beta, in float64."""
    theirs = torch.nn.BatchNorm1d(
        module.num_features,
        eps=module.eps,
        momentum=module.momentum,
        affine=module.affine,
        track_running_stats=module.track_running_stats,
        dtype=torch.float64,
    )
    if module.affine:
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor([p.data for p in module.gamma], dtype=torch.float64))
            theirs.bias.copy_(torch.tensor([p.data for p in module.beta], dtype=torch.float64))
    return theirs


def grads_of(module):
    return [p.grad for p in module.parameters()]


def torch_grads(theirs):
    if theirs.weight is None:
        return []
    return theirs.weight.grad.tolist() + theirs.bias.grad.tolist()


# LayerNorm --------------------------------------------------------------------------------


@pytest.mark.torch
@pytest.mark.parametrize("seed", SEEDS)
def test_layer_norm_equals_torch_on_sequences_outputs_and_every_gradient(seed):
    import torch

    rng = np.random.default_rng(seed)
    c, length = int(rng.integers(2, 7)), int(rng.integers(1, 5))
    affine = seed % 3 != 2
    ours = LayerNorm(c, eps=float(rng.choice([1e-5, 1e-3, 0.5])), elementwise_affine=affine)
    randomise(ours, rng)
    X = rng.standard_normal((length, c)) * 3 + rng.standard_normal(c)
    cw, dw = weights(rng, X.shape)
    xs = [[Value(v) for v in row] for row in X.tolist()]
    ys = ours(xs)
    eager_loss(ys, cw, dw).backward()

    theirs = torch.nn.LayerNorm(c, eps=ours.eps, elementwise_affine=affine, dtype=torch.float64)
    if affine:
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor([p.data for p in ours.gamma], dtype=torch.float64))
            theirs.bias.copy_(torch.tensor([p.data for p in ours.beta], dtype=torch.float64))
    tx = torch.tensor(X, requires_grad=True)
    ty = theirs(tx)
    (ty * torch.tensor(cw) + ty**2 * torch.tensor(dw)).sum().backward()

    close([[y.data for y in row] for row in ys], ty.tolist())
    close([[x.grad for x in row] for row in xs], tx.grad.tolist())
    close(grads_of(ours), torch_grads(theirs))
    assert len(ours.parameters()) == (2 * c if affine else 0)


@pytest.mark.parametrize("seed", SEEDS)
def test_layer_norm_eager_batched_and_tape_agree(seed):
    rng = np.random.default_rng(seed)
    c, n = int(rng.integers(2, 6)), int(rng.integers(2, 7))
    norm = LayerNorm(c)
    randomise(norm, rng)
    X = rng.standard_normal((n, c))
    cw, dw = weights(rng, X.shape)

    rows = [norm(row) for row in X.tolist()]  # eager: one example at a time
    eager_loss(rows, cw, dw).backward()
    eager = grads_of(norm)

    norm.zero_grad()
    xs = [Value(col) for col in X.T]
    ys = norm(xs)  # batched: every example normalised over its own features
    loss = batched_loss(ys, cw, dw)
    loss.backward()
    close(np.column_stack([y.data for y in ys]), [[y.data for y in r] for r in rows], 1e-12)
    close(grads_of(norm), eager)

    tape = Tape(loss, xs, norm.parameters())  # recorded on X, replayed on new data X2
    X2 = rng.standard_normal((n, c)) * 2
    norm.zero_grad()
    replayed = tape.step(*X2.T)
    norm2_rows = [norm(row) for row in X2.tolist()]
    direct = eager_loss(norm2_rows, cw, dw)
    assert replayed == pytest.approx(direct.data, abs=1e-10)
    close(tape.grads, _fresh_grads(norm, direct))
    for j, y in enumerate(ys):
        close(tape.data(y), [r[j].data for r in norm2_rows], 1e-12)


def _fresh_grads(module, loss):
    module.zero_grad()
    loss.backward()
    return grads_of(module)


def test_layer_norm_gradients_match_finite_differences_without_torch():
    norm = LayerNorm(3, eps=1e-3)
    params = norm.parameters()
    rng = random.Random(4)
    coefficients = [rng.uniform(-2, 2) for _ in range(3)]

    def f(*values):  # three inputs, then gamma1..3 and beta1..3
        norm.gamma, norm.beta = list(values[3:6]), list(values[6:])
        ys = norm(list(values[:3]))
        return sum((y * k + y**2 for y, k in zip(ys, coefficients)), Value(0.0))

    start = [0.3, -1.2, 2.0] + [rng.uniform(0.5, 2) for _ in range(3)] + [0.1, -0.4, 0.7]
    result = gradcheck(f, start, relative=True, rtol=1e-5, atol=1e-9)
    norm.gamma, norm.beta = params[:3], params[3:]
    assert result.ok, result.table()


def test_layer_norm_outputs_have_mean_zero_and_variance_one_before_the_affine_part():
    ys = LayerNorm(4, eps=1e-12)([2.0, -1.0, 5.0, 0.5])
    values = [y.data for y in ys]
    assert sum(values) == pytest.approx(0.0, abs=1e-12)
    assert sum(v * v for v in values) / 4 == pytest.approx(1.0, abs=1e-9)


def test_layer_norm_folds_into_its_scope_with_mean_and_variance_boxes():
    norm = LayerNorm(3)
    norm.name = "norm"
    norm.tag_parameters()
    ys = norm([Value(1.0, "x1"), Value(2.0, "x2"), Value(4.0, "x3")])
    nodes = topological_order(sum(ys[1:], ys[0]))
    scopes = {v.scope for v in nodes if v.label.startswith(("gamma", "beta")) or v.inputs}
    assert {"norm", "norm.mean", "norm.variance"} <= scopes
    assert all(s.startswith("norm") for s in scopes - {""})
    assert [p.label for p in norm.parameters()] == [
        "gamma1", "gamma2", "gamma3", "beta1", "beta2", "beta3"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "x", "error", "text"),
    [
        ((0,), None, ValueError, "LayerNorm: normalized_shape must be a whole number >= 1, got 0"),
        ((3,), [1.0, 2.0], ValueError, "LayerNorm: expected 3 features, got 2"),
        ((2,), [[1.0, 2.0], [3.0]], ValueError, "expected 2 features at position 1, got 1"),
        ((2,), [1.0, "a"], TypeError, "LayerNorm: expected numbers or Values, got 'a'"),
        ((2,), 3.0, TypeError, "LayerNorm: expected a list of 2 features"),
        ((2,), [], TypeError, "LayerNorm: expected a list of 2 features"),
    ],
)
def test_layer_norm_refuses_bad_sizes_and_inputs_naming_them(args, x, error, text):
    with pytest.raises(error, match=_literal(text)):
        LayerNorm(*args)(x)


def test_layer_norm_refuses_a_bad_eps_or_affine_flag():
    with pytest.raises(ValueError, match="LayerNorm: eps must be a number > 0, got -1"):
        LayerNorm(3, eps=-1)
    with pytest.raises(TypeError, match="LayerNorm: elementwise_affine must be True or False"):
        LayerNorm(3, elementwise_affine="yes")


def _literal(text):
    return re.escape(text)


# BatchNorm1d ------------------------------------------------------------------------------


def bn_forward(module, X, mode):
    """(inputs, outputs) of `module` on X: N lists of C Values (eager) or C batch Values."""
    if mode == "eager":
        xs = [[Value(v) for v in row] for row in X.tolist()]
        return xs, module(xs)
    xs = [Value(col) for col in X.T]
    return xs, module(xs)


def bn_numbers(values, mode, attr="data"):
    if mode == "eager":
        return [[getattr(v, attr) for v in row] for row in values]
    shape = values[0].data.shape  # a gradient still 0.0 counts as 0 for every example
    return np.column_stack([np.broadcast_to(getattr(v, attr), shape) for v in values])


def bn_loss(ys, mode, c, d):
    return eager_loss(ys, c, d) if mode == "eager" else batched_loss(ys, c, d)


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["eager", "batched"])
@pytest.mark.parametrize("seed", SEEDS)
def test_batch_norm_equals_torch_over_training_steps_then_in_eval(seed, mode):
    import torch

    rng = np.random.default_rng(seed)
    n, c = int(rng.integers(2, 7)), int(rng.integers(1, 5))
    momentum = [0.1, 0.3, None, 1.0][seed % 4]
    ours = BatchNorm1d(
        c, eps=float(rng.choice([1e-5, 1e-2])), momentum=momentum, affine=seed % 3 != 1
    )
    randomise(ours, rng)
    theirs = torch_bn(ours, torch)
    for step in range(4):  # three training steps on new batches, then one in eval mode
        if step == 3:
            ours.eval(), theirs.eval()
        X = rng.standard_normal((n, c)) * rng.uniform(0.5, 3) + rng.standard_normal(c)
        cw, dw = weights(rng, X.shape)
        ours.zero_grad()
        xs, ys = bn_forward(ours, X, mode)
        bn_loss(ys, mode, cw, dw).backward()
        theirs.zero_grad()
        tx = torch.tensor(X, requires_grad=True)
        ty = theirs(tx)
        (ty * torch.tensor(cw) + ty**2 * torch.tensor(dw)).sum().backward()

        close(bn_numbers(ys, mode), ty.tolist())
        close(bn_numbers(xs, mode, "grad"), tx.grad.tolist())
        close(grads_of(ours), torch_grads(theirs))
        close(ours.running_mean, theirs.running_mean.tolist(), 1e-12)
        close(ours.running_var, theirs.running_var.tolist(), 1e-12)
        assert ours.num_batches_tracked == theirs.num_batches_tracked.item() == min(step + 1, 3)


@pytest.mark.torch
@pytest.mark.parametrize("seed", range(4))
def test_batch_norm_without_running_statistics_uses_the_batch_in_eval_too_as_torch(seed):
    import torch

    rng = np.random.default_rng(seed)
    ours = BatchNorm1d(3, track_running_stats=False)
    randomise(ours, rng)
    theirs = torch_bn(ours, torch)
    ours.eval(), theirs.eval()
    X = rng.standard_normal((5, 3))
    cw, dw = weights(rng, X.shape)
    xs, ys = bn_forward(ours, X, "eager")
    eager_loss(ys, cw, dw).backward()
    tx = torch.tensor(X, requires_grad=True)
    ty = theirs(tx)
    (ty * torch.tensor(cw) + ty**2 * torch.tensor(dw)).sum().backward()
    close(bn_numbers(ys, "eager"), ty.tolist())
    close(bn_numbers(xs, "eager", "grad"), tx.grad.tolist())
    close(grads_of(ours), torch_grads(theirs))
    assert ours.running_mean is None and theirs.running_mean is None


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("seed", SEEDS)
def test_batch_norm_eager_batched_and_tape_agree(seed, training):
    rng = np.random.default_rng(seed)
    n, c = int(rng.integers(2, 7)), int(rng.integers(1, 4))
    norm = BatchNorm1d(c)
    randomise(norm, rng)
    norm.running_mean = rng.standard_normal(c).tolist()
    norm.running_var = rng.uniform(0.5, 2, c).tolist()
    norm.train(training)
    X, X2 = rng.standard_normal((n, c)), rng.standard_normal((n, c)) * 2 + 1
    cw, dw = weights(rng, X.shape)

    xs = [Value(col) for col in X.T]
    loss = batched_loss(norm(xs), cw, dw)
    tape = Tape(loss, xs, norm.parameters())  # recorded on X, replayed on X2
    norm.zero_grad()
    replayed = tape.step(*X2.T)
    replay_grads = list(tape.grads)

    _, ys = bn_forward(norm, X2, "eager")
    eager = eager_loss(ys, cw, dw)
    assert replayed == pytest.approx(eager.data, abs=1e-10)
    close(replay_grads, _fresh_grads(norm, eager))
    xs2, ys2 = bn_forward(norm, X2, "batched")
    batched = batched_loss(ys2, cw, dw)
    close(replay_grads, _fresh_grads(norm, batched))
    close(bn_numbers(ys2, "batched"), bn_numbers(ys, "eager"), 1e-12)


def test_batch_norm_gradients_match_finite_differences_without_torch():
    norm = BatchNorm1d(2, eps=1e-3)
    params = norm.parameters()
    rng = random.Random(7)
    coefficients = [rng.uniform(-2, 2) for _ in range(6)]

    def f(*values):  # a batch of 3 examples of 2 features, then gamma1, gamma2, beta1, beta2
        norm.gamma, norm.beta = list(values[6:8]), list(values[8:])
        rows = norm([list(values[0:2]), list(values[2:4]), list(values[4:6])])
        ys = [y for row in rows for y in row]
        return sum((y * k + y**2 for y, k in zip(ys, coefficients)), Value(0.0))

    start = [0.3, -1.2, 2.0, 0.4, -0.7, 1.1, 1.5, 0.8, 0.1, -0.4]
    result = gradcheck(f, start, relative=True, rtol=1e-5, atol=1e-9)
    norm.gamma, norm.beta = params[:2], params[2:]
    assert result.ok, result.table()


def test_in_training_each_features_input_gradients_sum_to_zero_over_the_batch():
    # Adding a constant to every example of a feature changes nothing after the mean is
    # subtracted, so whatever the loss, the gradients along (1, 1, ..., 1) cancel.
    rng = np.random.default_rng(3)
    X = rng.standard_normal((5, 3))
    cw, dw = weights(rng, X.shape)
    xs, ys = bn_forward(BatchNorm1d(3), X, "eager")
    eager_loss(ys, cw, dw).backward()
    sums = np.sum(bn_numbers(xs, "eager", "grad"), axis=0)
    close(sums, [0.0, 0.0, 0.0], 1e-12)
    assert np.abs(bn_numbers(xs, "eager", "grad")).max() > 0.1  # the gradients themselves are not


def test_in_training_an_examples_gradient_depends_on_the_others_and_in_eval_it_does_not():
    def first_gradient(batch, training):
        norm = BatchNorm1d(1).train(training)
        xs = [[Value(v)] for v in batch]
        ys = norm(xs)
        eager_loss(ys, [[1.0], [2.0], [-1.0], [0.5]], [[0.5]] * 4).backward()
        return xs[0][0].grad, ys[0][0].data

    a, b = [0.5, 1.0, -2.0, 3.0], [0.5, 1.0, -2.0, 7.0]  # only the last example differs
    grad_a, out_a = first_gradient(a, True)
    grad_b, out_b = first_gradient(b, True)
    assert abs(grad_a - grad_b) > 0.01 and abs(out_a - out_b) > 0.01
    assert first_gradient(a, False) == first_gradient(b, False)


def test_a_batch_of_one_is_refused_in_training_and_changes_nothing_but_eval_takes_it():
    norm = BatchNorm1d(2)
    with pytest.raises(ValueError, match="BatchNorm1d: a batch of 1 example has no variance"):
        norm([[1.0, 2.0]])
    with pytest.raises(ValueError, match="a batch of 1 example"):
        norm([Value(np.array([1.0])), Value(np.array([2.0]))])
    untouched = ([0.0, 0.0], [1.0, 1.0], 0)
    assert (norm.running_mean, norm.running_var, norm.num_batches_tracked) == untouched
    norm.eval()
    (row,) = norm([[1.0, 2.0]])
    assert [y.data for y in row] == pytest.approx(
        [1.0 / (1 + 1e-5) ** 0.5, 2.0 / (1 + 1e-5) ** 0.5]
    )


def test_running_statistics_follow_the_momentum_rule_with_the_unbiased_variance():
    norm = BatchNorm1d(1, momentum=0.1)
    batch = [1.0, 2.0, 6.0]  # mean 3, biased variance 14/3, unbiased 7
    norm([[v] for v in batch])
    assert norm.running_mean == pytest.approx([0.9 * 0.0 + 0.1 * 3.0])
    assert norm.running_var == pytest.approx([0.9 * 1.0 + 0.1 * 7.0])
    norm.eval()
    (row,) = norm([[3.0]])
    assert row[0].data == pytest.approx((3.0 - 0.3) / (1.6 + 1e-5) ** 0.5)


def test_running_statistics_are_not_parameters():
    norm = BatchNorm1d(2)
    assert [p.label for p in norm.parameters()] == ["gamma1", "gamma2", "beta1", "beta2"]
    saved = ["gamma.0", "gamma.1", "beta.0", "beta.1"]  # the parameters, then the buffers
    saved += ["running_mean.0", "running_mean.1", "running_var.0", "running_var.1"]
    assert list(norm.state_dict()) == saved + ["num_batches_tracked"]
    assert BatchNorm1d(2, affine=False).parameters() == []
    assert list(BatchNorm1d(2, track_running_stats=False).state_dict()) == saved[:4]


def test_batch_norm_takes_the_single_batch_value_linear_gives_and_fits_without_a_tape():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((16, 2)), rng.standard_normal(16)
    model = Sequential(Linear(2, 1, rng=1), BatchNorm1d(1))
    neuron, norm = model.layers
    w = np.array([p.data for p in neuron.parameters()])  # w0, w1, b: lr 0 keeps them
    fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=0.0), epochs=1,
        batch_size=4, shuffle=False, metric=None, verbose=False, tape=False)  # fmt: skip
    mean, var = 0.0, 1.0
    for batch in X.reshape(4, 4, 2):
        z = batch @ w[:2] + w[2]
        mean, var = 0.9 * mean + 0.1 * z.mean(), 0.9 * var + 0.1 * z.var(ddof=1)
    assert norm.num_batches_tracked == 4
    assert norm.running_mean == pytest.approx([mean], abs=1e-12)
    assert norm.running_var == pytest.approx([var], abs=1e-12)
    out = norm(Value(X[:, 0]))
    assert isinstance(out, Value) and out.data.shape == (16,)


def test_fit_with_its_default_tape_updates_the_running_statistics_every_step():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((16, 2)), rng.standard_normal(16)
    model = Sequential(Linear(2, 1, rng=1), BatchNorm1d(1))
    fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=0.0), epochs=1,
        batch_size=4, shuffle=False, metric=None, verbose=False)  # fmt: skip
    norm = model.layers[1]
    assert norm.num_batches_tracked == 4
    neuron = model.layers[0].neurons[0]  # lr 0: the same weights for every batch
    z = X @ np.array([w.data for w in neuron.w]) + neuron.b.data
    mean = 0.0
    for batch in z.reshape(4, 4):
        mean = 0.9 * mean + 0.1 * batch.mean()
    assert norm.running_mean[0] == pytest.approx(mean, abs=1e-12)
    with pytest.raises(ValueError, match="tape=True is not possible here: BatchNorm1d"):
        fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=0.0), epochs=1,
            metric=None, verbose=False, tape=True)  # fmt: skip


def test_batch_norm_folds_into_its_scope_with_mean_and_variance_boxes():
    norm = BatchNorm1d(1)
    norm.name = "norm"
    norm.tag_parameters()
    rows = norm([[Value(1.0, "z1")], [Value(2.0, "z2")], [Value(4.0, "z3")]])
    nodes = topological_order(sum((r[0] for r in rows[1:]), rows[0][0]))
    made = {v.scope for v in nodes if v.inputs or v.label.startswith(("gamma", "beta"))}
    assert {"norm", "norm.mean", "norm.variance"} <= made
    (mean,) = [v for v in nodes if v.scope == "norm.mean" and v.op and v.op.name == "div"]
    assert mean.data == pytest.approx(7 / 3)


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        (
            {"num_features": 0},
            ValueError,
            "BatchNorm1d: num_features must be a whole number >= 1, got 0",
        ),  # fmt: skip
        ({"num_features": 2, "eps": 0}, ValueError, "BatchNorm1d: eps must be a number > 0, got 0"),
        (
            {"num_features": 2, "momentum": 1.5},
            ValueError,
            "momentum must be in [0, 1] or None, got 1.5",
        ),  # fmt: skip
        (
            {"num_features": 2, "affine": 1},
            TypeError,
            "BatchNorm1d: affine must be True or False, got 1",
        ),  # fmt: skip
    ],
)
def test_batch_norm_refuses_bad_settings(kwargs, error, text):
    with pytest.raises(error, match=_literal(text)):
        BatchNorm1d(**kwargs)


@pytest.mark.parametrize(
    ("x", "error", "text"),
    [
        ([[1.0, 2.0], [3.0]], ValueError, "BatchNorm1d: example 1 has 1 features, expected 2"),
        ([1.0, 2.0], ValueError, "got a flat list of 2 numbers: one example?"),
        (
            [[1.0, "a"], [2.0, 3.0]],
            TypeError,
            "BatchNorm1d: expected numbers or Values, got str 'a'",
        ),  # fmt: skip
        ([Value(np.ones(3))], ValueError, "BatchNorm1d: expected 2 features, got 1"),
        ([Value(np.ones(3)), Value(1.0)], ValueError, "array of the same length, got 3, None"),
        ([Value(np.ones(3)), Value(np.ones(4))], ValueError, "array of the same length, got 3, 4"),
        (Value(np.ones(3)), ValueError, "got one batch Value, expected a list of 2"),
        ("ab", TypeError, "BatchNorm1d: expected a list of examples"),
        ([], TypeError, "BatchNorm1d: expected a list of examples"),
        (
            [[Value(np.ones(2)), 1.0], [1.0, 2.0]],
            TypeError,
            "expected numbers or Values of one number",
        ),  # fmt: skip
    ],
)
def test_batch_norm_refuses_bad_input_before_changing_its_statistics(x, error, text):
    norm = BatchNorm1d(2)
    with pytest.raises(error, match=_literal(text)):
        norm(x)
    assert (norm.running_mean, norm.num_batches_tracked) == ([0.0, 0.0], 0)


def test_the_running_statistics_are_saved_and_loaded_with_the_parameters(tmp_path):
    rng = np.random.default_rng(3)
    model = Sequential(Linear(2, 2, rng=1), BatchNorm1d(2))
    for _ in range(3):
        model([Value(column) for column in rng.standard_normal((5, 2)).T])  # a batch of 5
    norm = model.layers[1]
    state = model.state_dict()
    assert state["layers.1.running_mean.1"] == norm.running_mean[1] != 0.0
    assert state["layers.1.num_batches_tracked"] == 3
    model.save(tmp_path / "m.json")
    fresh = Sequential(Linear(2, 2, rng=2), BatchNorm1d(2))
    fresh.load(tmp_path / "m.json")
    again = fresh.layers[1]
    assert again.running_mean == norm.running_mean and again.running_var == norm.running_var
    assert again.num_batches_tracked == 3 and isinstance(again.num_batches_tracked, int)
    fresh.load_state_dict({**model.state_dict()})  # the weights too, so outputs can match
    x = [Value(np.array([0.3, 2.0])), Value(np.array([-1.2, 0.5]))]
    fresh.eval(), model.eval()
    assert all((a.data == b.data).all() for a, b in zip(fresh(x), model(x)))
    del state["layers.1.running_var.0"]  # a file without a buffer is refused, nothing changed
    before = list(again.running_mean)
    with pytest.raises(ValueError, match=r"missing layers\.1\.running_var\.0"):
        fresh.load_state_dict(state)
    assert again.running_mean == before
