"""Conv1d, MaxPool1d, AvgPool1d: equal to torch.nn in outputs and every gradient, the same in
eager, batched and Tape modes, right by finite differences, and the shared weight's gradient
is the sum over the positions it was used at."""

import random

import numpy as np
import pytest

from autograd import Tape, Value, gradcheck, topological_order
from nn.conv import AvgPool1d, Conv1d, MaxPool1d
from nn.module import Sequential

SEEDS = range(20)


def conv_case(seed):
    """A random Conv1d, input sequence (L, C_in) and upstream (L_out, C_out), as numbers."""
    rng = random.Random(seed)
    c_in, c_out, k = rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 4)
    stride, padding = rng.randint(1, 3), rng.randint(0, 2)
    length = rng.randint(max(1, k - 2 * padding), k + 6)
    conv = Conv1d(c_in, c_out, k, stride, padding, bias=rng.random() < 0.7, rng=seed)
    x = np.array([[rng.uniform(-2, 2) for _ in range(c_in)] for _ in range(length)])
    n_out = (length + 2 * padding - k) // stride + 1
    upstream = np.array([[rng.uniform(-1, 1) for _ in range(c_out)] for _ in range(n_out)])
    return conv, x, upstream


def pool_case(seed, kind):
    """A random pool and a sequence (L, C) of distinct values (no ties: see MaxPool1d)."""
    rng = random.Random(seed)
    k = rng.randint(1, 4)
    stride = rng.choice([None, 1, 2, 3])
    padding = rng.randint(0, k // 2)
    channels, length = rng.randint(1, 3), rng.randint(max(1, k - 2 * padding), k + 6)
    pool = kind(k, stride, padding)
    x = np.array(rng.sample(range(-50, 50), length * channels), float).reshape(length, channels)
    x = x / 10 + np.array([rng.uniform(0, 0.01) for _ in range(x.size)]).reshape(x.shape)
    s = k if stride is None else stride
    n_out = (length + 2 * padding - k) // s + 1
    upstream = np.array([[rng.uniform(-1, 1) for _ in range(channels)] for _ in range(n_out)])
    return pool, x, upstream


def run_ours(module, x, upstream):
    """Outputs (L_out, C_out), input gradients (L, C_in) for L = sum(upstream · output)."""
    xs = [[Value(float(v)) for v in row] for row in x]
    ys = module(xs)
    loss = Value(0.0)
    for row, g_row in zip(ys, upstream):
        for y, g in zip(row, g_row):
            loss = loss + y * float(g)
    loss.backward()
    outputs = np.array([[y.data for y in row] for row in ys])
    return outputs, np.array([[v.grad for v in row] for row in xs])


def run_torch(module, x, upstream):
    """The same through a torch module: ours (L, C) is torch's (N=1, C, L) transposed."""
    import torch

    xt = torch.tensor(x.T[None], dtype=torch.float64, requires_grad=True)
    yt = module(xt)
    (yt * torch.tensor(upstream.T[None], dtype=torch.float64)).sum().backward()
    return yt[0].detach().numpy().T, xt.grad[0].numpy().T


def torch_conv(conv):
    """torch.nn.Conv1d with our conv's settings and weights copied in torch's (out, in, k)."""
    import torch

    theirs = torch.nn.Conv1d(
        conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
        bias=bool(conv.bias), dtype=torch.float64,
    )  # fmt: skip
    with torch.no_grad():
        shape = (conv.out_channels, conv.in_channels, conv.kernel_size)
        theirs.weight.copy_(
            torch.tensor([w.data for w in conv.weight], dtype=torch.float64).reshape(shape)
        )
        if conv.bias:
            theirs.bias.copy_(torch.tensor([b.data for b in conv.bias], dtype=torch.float64))
    return theirs


@pytest.mark.torch
@pytest.mark.parametrize("seed", SEEDS)
def test_conv1d_equals_torch_in_outputs_and_every_gradient(seed):
    conv, x, upstream = conv_case(seed)
    theirs = torch_conv(conv)
    out, dx = run_ours(conv, x, upstream)
    t_out, t_dx = run_torch(theirs, x, upstream)
    assert out.shape == t_out.shape
    np.testing.assert_allclose(out, t_out, rtol=0, atol=1e-10)
    np.testing.assert_allclose(dx, t_dx, rtol=0, atol=1e-10)
    dw = theirs.weight.grad.numpy().ravel()
    np.testing.assert_allclose([w.grad for w in conv.weight], dw, rtol=0, atol=1e-10)
    if conv.bias:
        db = theirs.bias.grad.numpy()
        np.testing.assert_allclose([b.grad for b in conv.bias], db, rtol=0, atol=1e-10)


@pytest.mark.torch
@pytest.mark.parametrize("seed", SEEDS)
def test_max_pool_equals_torch_in_outputs_and_input_gradients(seed):
    import torch

    pool, x, upstream = pool_case(seed, MaxPool1d)
    theirs = torch.nn.MaxPool1d(pool.kernel_size, pool.stride, pool.padding)
    for ours, expected in zip(run_ours(pool, x, upstream), run_torch(theirs, x, upstream)):
        assert ours.shape == expected.shape
        np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-10)


@pytest.mark.torch
@pytest.mark.parametrize("seed", SEEDS)
def test_avg_pool_equals_torch_in_outputs_and_input_gradients(seed):
    import torch

    pool, x, upstream = pool_case(seed, AvgPool1d)
    theirs = torch.nn.AvgPool1d(pool.kernel_size, pool.stride, pool.padding)
    for ours, expected in zip(run_ours(pool, x, upstream), run_torch(theirs, x, upstream)):
        assert ours.shape == expected.shape
        np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-10)


@pytest.mark.torch
@pytest.mark.parametrize("seed", range(6))
def test_conv_then_relu_then_max_pool_then_avg_pool_equals_torch(seed):
    import torch

    rng = random.Random(100 + seed)
    conv = Conv1d(2, 3, 3, stride=1, padding=1, rng=seed)
    model = Sequential(conv, MaxPool1d(2), AvgPool1d(2, stride=1, padding=1))
    x = np.array([[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(9)])
    xs = [[Value(v) for v in row] for row in x.tolist()]
    hidden = [[y.relu() for y in row] for row in conv(xs)]
    out = model.layers[2](model.layers[1](hidden))
    loss = sum((y * y for row in out for y in row), Value(0.0))
    loss.backward()
    theirs = torch_conv(conv)
    xt = torch.tensor(x.T[None], requires_grad=True)
    yt = torch.nn.AvgPool1d(2, 1, 1)(torch.nn.MaxPool1d(2)(theirs(xt).relu()))
    (yt**2).sum().backward()
    assert loss.data == pytest.approx((yt**2).sum().item(), abs=1e-10)
    np.testing.assert_allclose([[v.grad for v in row] for row in xs], xt.grad[0].numpy().T,
                               rtol=0, atol=1e-10)  # fmt: skip
    np.testing.assert_allclose([w.grad for w in conv.weight], theirs.weight.grad.numpy().ravel(),
                               rtol=0, atol=1e-10)  # fmt: skip
    np.testing.assert_allclose([b.grad for b in conv.bias], theirs.bias.grad.numpy(),
                               rtol=0, atol=1e-10)  # fmt: skip


@pytest.mark.parametrize("seed", SEEDS)
def test_a_shared_weights_gradient_is_the_sum_over_positions_of_upstream_times_input(seed):
    conv, x, upstream = conv_case(seed)
    out, dx = run_ours(conv, x, upstream)  # L = sum(upstream · y), so dL/dy = upstream
    s, p, k = conv.stride, conv.padding, conv.kernel_size
    padded = np.vstack([np.zeros((p, conv.in_channels)), x, np.zeros((p, conv.in_channels))])
    w = np.array([v.data for v in conv.weight]).reshape(conv.out_channels, conv.in_channels, k)
    b = np.array([v.data for v in conv.bias]) if conv.bias else np.zeros(conv.out_channels)
    want_w, want_dpadded = np.zeros_like(w), np.zeros_like(padded)
    for t in range(len(upstream)):
        window = padded[t * s : t * s + k]  # (k, C_in): the inputs used at position t
        np.testing.assert_allclose(out[t], b + np.einsum("oik,ki->o", w, window), atol=1e-12)
        for o in range(conv.out_channels):
            want_w[o] += upstream[t, o] * window.T  # each use adds upstream · its input
            want_dpadded[t * s : t * s + k] += upstream[t, o] * w[o].T
    got_w = np.array([v.grad for v in conv.weight]).reshape(w.shape)
    np.testing.assert_allclose(got_w, want_w, rtol=0, atol=1e-12)
    np.testing.assert_allclose(dx, want_dpadded[p : p + len(x)], rtol=0, atol=1e-12)
    if conv.bias:
        np.testing.assert_allclose([v.grad for v in conv.bias], upstream.sum(0), atol=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_gradients_agree_with_finite_differences(seed):
    conv, x, _ = conv_case(seed)
    pool = (MaxPool1d if seed % 2 else AvgPool1d)(2, 1, 1)
    params = conv.weight + conv.bias
    n_in = x.size

    def f(*values):  # every input number and every parameter is an argument
        conv.weight = list(values[n_in : n_in + len(conv.weight)])
        conv.bias = list(values[n_in + len(conv.weight) :])
        rows = [list(values[t * x.shape[1] : (t + 1) * x.shape[1]]) for t in range(len(x))]
        out = pool(conv(rows))
        return sum(((y + 0.5) ** 2 for row in out for y in row), Value(0.0))

    start = list(x.ravel()) + [p.data for p in params]
    result = gradcheck(f, start, relative=True, rtol=1e-5, atol=1e-8)
    assert result.ok, result.table()


def test_max_pool_sends_the_gradient_to_each_windows_max_and_to_the_first_on_a_tie():
    xs = [Value(v) for v in (1.0, 3.0, 2.0, 5.0, 4.0, 4.0)]
    out = MaxPool1d(2)(xs)  # flat in, flat out: windows (1, 3) (2, 5) (4, 4)
    assert [y.data for y in out] == [3.0, 5.0, 4.0]
    (out[0] * 10 + out[1] * 20 + out[2] * 30).backward()
    assert [v.grad for v in xs] == [0.0, 10.0, 0.0, 20.0, 30.0, 0.0]


def test_avg_pool_shares_the_gradient_equally_and_counts_the_padding():
    xs = [Value(4.0), Value(2.0), Value(6.0)]
    out = AvgPool1d(2, padding=1)(xs)  # windows (0, 4) (2, 6): padding is a 0 that counts
    assert [y.data for y in out] == [2.0, 4.0]
    (out[0] * 1 + out[1] * 3).backward()
    assert [v.grad for v in xs] == [0.5, 1.5, 1.5]


def test_one_channel_takes_a_flat_list_and_gives_the_same_numbers_flat():
    conv = Conv1d(1, 1, 3, padding=1, rng=3)
    signal = [1.0, -2.0, 0.5, 3.0]
    flat = conv(signal)
    nested = conv([[v] for v in signal])
    assert all(type(y) is Value for y in flat)
    assert [y.data for y in flat] == [row[0].data for row in nested]
    two = Conv1d(1, 2, 3, rng=3)(signal)  # two output channels: a list per position
    assert [len(row) for row in two] == [2, 2]
    assert [len(row) for row in MaxPool1d(2)([[1.0, 2.0], [3.0, 0.0]])] == [2]


def test_a_plain_number_read_by_several_windows_is_one_leaf():
    conv = Conv1d(1, 1, 2, bias=False, rng=0)
    out = conv([1.0, 2.0, 3.0])
    leaves = {id(n) for y in out for n in topological_order(y) if n.op is None}
    assert len(leaves) == 2 + 3  # two weights, three inputs (the middle one used twice)


def test_weights_are_labelled_and_ordered_as_torchs_weight():
    conv = Conv1d(2, 3, 2, rng=0)
    labels = [f"w{o}_{i}_{k}" for o in range(3) for i in range(2) for k in range(2)]
    assert [w.label for w in conv.weight] == labels
    assert [b.label for b in conv.bias] == ["b0", "b1", "b2"]
    assert conv.w(2, 1, 0) is conv.weight[10]  # (2·2 + 1)·2 + 0
    names = [n for n, _ in conv.named_parameters()]
    assert names == [f"weight.{j}" for j in range(12)] + ["bias.0", "bias.1", "bias.2"]
    one = Conv1d(1, 1, 3, rng=0)
    assert [w.label for w in one.weight] + [one.bias[0].label] == ["w0", "w1", "w2", "b"]
    assert Conv1d(1, 1, 3, bias=False).bias == []


def test_default_weights_follow_torchs_bound_and_the_seed():
    conv = Conv1d(2, 4, 3, rng=5)
    bound = 1 / np.sqrt(2 * 3)  # 1/sqrt(fan_in), fan_in = in_channels · kernel_size
    data = [p.data for p in conv.parameters()]
    assert max(abs(v) for v in data) <= bound and max(abs(v) for v in data) > bound / 2
    assert data == [p.data for p in Conv1d(2, 4, 3, rng=5).parameters()]
    ones = Conv1d(1, 1, 2, init=lambda fan_in, fan_out, rng: 1.0, rng=0)
    assert [w.data for w in ones.weight] == [1.0, 1.0]


def test_batched_eager_and_tape_agree_with_one_example_at_a_time():
    rng = np.random.default_rng(7)
    conv = Conv1d(2, 2, 3, stride=2, padding=1, rng=7)
    max_pool, avg_pool = MaxPool1d(2, stride=1), AvgPool1d(2, padding=1)
    params = conv.parameters()
    X = rng.standard_normal((5, 7, 2))  # 5 examples, 7 positions, 2 channels

    def loss_of(rows):
        out = avg_pool(max_pool(conv(rows)))
        total = Value(0.0)
        for t, row in enumerate(out):
            for c, y in enumerate(row):
                total = total + (y - 0.1 * (t + c)) ** 2
        return total

    # one example at a time, gradients summed over the examples (the loss is their mean)
    for p in params:
        p.grad = 0.0
    losses = []
    for example in X:
        loss = loss_of(example.tolist()) * (1 / len(X))
        loss.backward()
        losses.append(loss.data)
    one_by_one = [p.grad for p in params]
    # batched eager: one Value per (position, channel) holding the five examples
    leaves = [[Value(X[:, t, c]) for c in range(2)] for t in range(7)]
    batched = loss_of(leaves).mean()
    for p in params:
        p.grad = 0.0
    batched.backward()
    assert batched.data == pytest.approx(sum(losses), abs=1e-12)
    np.testing.assert_allclose([p.grad for p in params], one_by_one, rtol=0, atol=1e-12)
    # the Tape replays the same graph on new data
    inputs = [v for row in leaves for v in row]
    tape = Tape(batched, inputs, params)
    for p in params:
        p.grad = 0.0
    replayed = tape.step(*[X[:, t, c] for t in range(7) for c in range(2)])
    assert replayed == pytest.approx(batched.data, abs=1e-12)
    np.testing.assert_allclose([p.grad for p in params], one_by_one, rtol=0, atol=1e-12)
    Z = rng.standard_normal((3, 7, 2))  # new examples through the same tape
    for p in params:
        p.grad = 0.0
    got = tape.step(*[Z[:, t, c] for t in range(7) for c in range(2)])
    want = sum(loss_of(z.tolist()).data for z in Z) / 3
    assert got == pytest.approx(want, abs=1e-12)


def test_each_output_position_has_its_scope_and_a_named_module_folds_to_one_box():
    from viz.dot import picture_size

    conv = Conv1d(1, 1, 3, rng=0)
    out = conv([Value(float(v), f"x{v}") for v in range(5)])
    assert {n.scope for y in out for n in topological_order(y) if n.op} == {
        "pos0", "pos1", "pos2",
    }  # fmt: skip
    model = Sequential(Conv1d(1, 1, 3, rng=0), MaxPool1d(3))
    (y,) = model([Value(float(v), f"x{v}") for v in range(5)])
    nodes = topological_order(y)
    assert {n.scope for n in nodes if n.op} == {"layer1.pos0", "layer1.pos1", "layer1.pos2",
                                                "layer2.max0"}  # fmt: skip
    assert {w.scope for w in model.layers[0].parameters()} == {"layer1"}
    assert picture_size(nodes, 1) == 5 + 2  # five inputs, then one box per module


@pytest.mark.parametrize(
    "make, x, message",
    [
        (lambda: Conv1d(1, 1, 5), [1.0, 2.0], r"Conv1d: kernel_size 5 is longer than the padded "
         r"input \(2 positions \+ 2 · padding 0 = 2\)"),
        (lambda: Conv1d(1, 1, 5, padding=1), [1.0, 2.0], r"padding 1 = 4\)"),
        (lambda: Conv1d(2, 1, 2), [[1.0, 2.0], [3.0]], r"Conv1d: expected 2 channels at each "
         r"position, got 1 at position 1"),
        (lambda: Conv1d(3, 1, 2), [1.0, 2.0], r"Conv1d: expected 3 channels at each position, "
         r"got a flat list \(a flat list is one channel\)"),
        (lambda: MaxPool1d(3), [[1.0], [2.0]], r"MaxPool1d: kernel_size 3 is longer"),
        (lambda: AvgPool1d(2), [[1.0, 2.0], [3.0]], r"AvgPool1d: expected 2 channels at each "
         r"position, got 1 at position 1"),
    ],
)  # fmt: skip
def test_bad_input_is_a_value_error_naming_the_module_and_the_value(make, x, message):
    with pytest.raises(ValueError, match=message):
        make()(x)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Conv1d(1, 1, 3, stride=0), r"Conv1d: stride must be a whole number >= 1, got 0"),
        (lambda: Conv1d(1, 1, 0), r"Conv1d: kernel_size must be a whole number >= 1, got 0"),
        (lambda: Conv1d(0, 1, 3), r"Conv1d: in_channels must be a whole number >= 1, got 0"),
        (lambda: Conv1d(1, 1, 3, padding=-1), r"Conv1d: padding must be a whole number >= 0, "
         r"got -1"),
        (lambda: Conv1d(1, 1, 2.5), r"Conv1d: kernel_size must be a whole number >= 1, got 2.5"),
        (lambda: MaxPool1d(2, stride=0), r"MaxPool1d: stride must be a whole number >= 1, got 0"),
        (lambda: MaxPool1d(3, padding=2), r"MaxPool1d: padding must be at most half of "
         r"kernel_size, got padding=2 and kernel_size=3"),
        (lambda: AvgPool1d(2, padding=2), r"AvgPool1d: padding must be at most half"),
    ],
)  # fmt: skip
def test_bad_settings_are_value_errors_naming_the_module_and_the_value(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_sequence_that_is_not_one_is_a_type_error_naming_the_module():
    conv = Conv1d(1, 1, 2, rng=0)
    with pytest.raises(TypeError, match=r"Conv1d: expected a sequence .* got float 3.0"):
        conv(3.0)
    with pytest.raises(TypeError, match=r"Conv1d: position 0 is one value but position 1 is a"):
        conv([1.0, [2.0]])
    with pytest.raises(TypeError, match=r"MaxPool1d: position 1, channel 0: expected a number "
                                        r"or Value, got str 'a'"):  # fmt: skip
        MaxPool1d(2)([1.0, "a"])
    with pytest.raises(TypeError, match=r"Conv1d: Value: a batch must be a non-empty 1-D"):
        conv([np.ones((2, 2)), 1.0])
    with pytest.raises(ValueError, match=r"AvgPool1d: position 0 has no channels"):
        AvgPool1d(1)([[]])
    with pytest.raises(TypeError, match=r"Conv1d: bias must be True or False, got 1"):
        Conv1d(1, 1, 2, bias=1)


def test_reprs_say_the_settings():
    assert repr(Conv1d(2, 3, 4, stride=2, padding=1, bias=False)) == (
        "Conv1d(2, 3, kernel_size=4, stride=2, padding=1, bias=False)"
    )
    assert repr(MaxPool1d(3)) == "MaxPool1d(kernel_size=3, stride=3, padding=0)"
    assert repr(AvgPool1d(2, 1, 1)) == "AvgPool1d(kernel_size=2, stride=1, padding=1)"


@pytest.mark.parametrize("tape", [False, True])
def test_nn_fit_in_batched_mode_learns_the_kernel_that_made_the_data(tape):
    from nn.module import Module
    from nn.optim import SGD
    from nn.train import fit

    class Net(Module):  # five numbers -> conv (three positions) -> their average
        def __init__(self):
            self.conv, self.pool = Conv1d(1, 1, 3, rng=0), AvgPool1d(3)
            self.conv.name, self.pool.name = "conv", "pool"
            self.tag_parameters()

        def forward(self, x):
            return self.pool(self.conv(x))[0]

    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 5))
    y = np.array([np.correlate(row, [0.5, -1.0, 2.0], "valid").mean() + 0.3 for row in X])
    model = Net()
    history = fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=0.3), epochs=200,
                  metric=None, batched=True, verbose=False, tape=tape)  # fmt: skip
    assert history.loss[-1] < 1e-6 < history.loss[0]
    assert [p.data for p in model.parameters()] == pytest.approx([0.5, -1.0, 2.0, 0.3], abs=1e-3)
