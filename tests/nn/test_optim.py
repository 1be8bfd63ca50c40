"""Initialisers, optimisers, clipping and learning-rate schedules, against hand-worked steps."""

import math
import random
import statistics

import pytest

import nn
from autograd import Value
from nn import init, optim, schedules


def draws(f, fan_in, fan_out, n=20000, seed=0):
    rng = random.Random(seed)
    return [f(fan_in, fan_out, rng) for _ in range(n)]


@pytest.mark.parametrize(
    "name, variance",
    [
        ("xavier_uniform", 2 / (50 + 30)),
        ("xavier_normal", 2 / (50 + 30)),
        ("he_uniform", 2 / 50),
        ("he_normal", 2 / 50),
        ("kaiming_normal", 2 / 50),
        ("uniform", 1 / 3),  # micrograd's U(-1, 1), whatever the size
    ],
)
def test_initialiser_variance_within_five_percent_over_many_draws(name, variance):
    xs = draws(init.get_init(name), 50, 30)
    assert abs(statistics.fmean(xs)) < 0.03 * math.sqrt(variance) * 3
    assert statistics.pvariance(xs) == pytest.approx(variance, rel=0.05)


def test_uniform_initialisers_stay_inside_their_bound():
    a = math.sqrt(6 / (50 + 30))
    assert max(abs(x) for x in draws(init.xavier_uniform, 50, 30)) <= a
    assert max(abs(x) for x in draws(init.he_uniform, 50, 30)) <= math.sqrt(6 / 50)


def test_mlp_init_uses_each_layers_fan_in_and_the_seed():
    model = nn.MLP(200, [100, 1], init="he_normal", rng=7)
    first = [p.data for n, p in model.named_parameters() if n.startswith("layers.0") and ".w." in n]
    assert statistics.pvariance(first) == pytest.approx(2 / 200, rel=0.05)
    again = nn.MLP(200, [100, 1], init="he_normal", rng=7)
    assert [p.data for p in again.parameters()] == [p.data for p in model.parameters()]
    assert all(p.data == 0.0 for n, p in model.named_parameters() if n.endswith(".b"))


def test_as_rng_and_get_init_reject_bad_input():
    assert init.as_rng(None) is random
    assert init.as_rng(3).random() == random.Random(3).random()
    with pytest.raises(TypeError, match=r"rng: expected a seed \(int\), a random.Random or None"):
        init.as_rng("3")
    with pytest.raises(ValueError, match=r"unknown init 'glorot'; choose one of 'uniform'"):
        nn.MLP(2, [1], init="glorot")


def params_with_grads(*pairs):
    ps = [Value(w) for w, _ in pairs]
    for p, (_, g) in zip(ps, pairs):
        p.grad = g
    return ps


def test_sgd_plain_step():
    (p,) = params_with_grads((1.0, 0.5))
    optim.SGD([p], lr=0.1).step()
    assert p.data == pytest.approx(1.0 - 0.1 * 0.5, abs=1e-15)


def test_sgd_momentum_first_two_steps_by_hand():
    (p,) = params_with_grads((1.0, 0.5))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()  # v = g = 0.5
    assert p.data == pytest.approx(0.95, abs=1e-15)
    p.grad = 0.2
    opt.step()  # v = 0.9 * 0.5 + 0.2 = 0.65
    assert opt.velocity == [pytest.approx(0.65, abs=1e-15)]
    assert p.data == pytest.approx(0.95 - 0.065, abs=1e-15)


def test_sgd_nesterov_and_weight_decay_by_hand():
    (p,) = params_with_grads((2.0, 0.5))
    opt = optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)
    opt.step()  # g = 0.5 + 0.1 * 2 = 0.7; v = 0.7; step along g + 0.9 v = 1.33
    assert p.data == pytest.approx(2.0 - 0.133, abs=1e-15)
    p.grad = 0.0
    opt.step()  # g = 0.1 * 1.867 = 0.1867; v = 0.63 + 0.1867; step g + 0.9 v
    g = 0.1 * 1.867
    v = 0.9 * 0.7 + g
    assert p.data == pytest.approx(1.867 - 0.1 * (g + 0.9 * v), abs=1e-14)


def test_adam_first_two_steps_by_hand():
    (p,) = params_with_grads((1.0, 0.5))
    opt = optim.Adam([p], lr=0.1)
    opt.step()  # m^ = g, v^ = g^2: the first step is lr * g / (|g| + eps), nearly lr
    assert p.data == pytest.approx(1.0 - 0.1 * 0.5 / (0.5 + 1e-8), abs=1e-15)
    p.grad, before = -0.25, p.data
    opt.step()
    m = 0.9 * 0.05 + 0.1 * -0.25
    v = 0.999 * 0.00025 + 0.001 * 0.0625
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    assert p.data == pytest.approx(before - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8), abs=1e-12)


def test_rmsprop_first_step_by_hand():
    (p,) = params_with_grads((1.0, 0.5))
    optim.RMSprop([p], lr=0.01).step()  # v = 0.01 g^2: step lr * g / (0.1 |g|) = 10 lr
    assert p.data == pytest.approx(1.0 - 0.01 * 0.5 / (0.05 + 1e-8), abs=1e-12)


@pytest.mark.torch
def test_optimisers_match_pytorch_over_several_steps():
    import torch

    grads = [[0.5, -1.0], [0.2, 0.3], [-0.7, 0.1], [0.05, -0.4]]
    cases = [
        (optim.SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
        (optim.SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.5, "nesterov": True}),
        (optim.Adam, torch.optim.Adam, {"lr": 0.05, "weight_decay": 0.01}),
        (optim.RMSprop, torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.9}),
    ]
    for ours, theirs, kwargs in cases:
        ps = [Value(1.0), Value(-2.0)]
        tp = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
        a, b = ours(ps, **kwargs), theirs([tp], **kwargs)
        for g in grads:
            for p, gi in zip(ps, g):
                p.grad = gi
            tp.grad = torch.tensor(g, dtype=torch.float64)
            a.step()
            b.step()
        assert [p.data for p in ps] == pytest.approx(tp.detach().tolist(), abs=1e-12), ours


def test_zero_grad_and_bad_settings():
    ps = params_with_grads((1.0, 3.0))
    opt = optim.SGD(ps, lr=0.1)
    opt.zero_grad()
    assert ps[0].grad == 0.0
    with pytest.raises(ValueError, match=r"SGD: momentum must be in \[0, 1\), got 1.5"):
        optim.SGD(ps, momentum=1.5)
    with pytest.raises(ValueError, match=r"SGD: nesterov=True needs a momentum > 0"):
        optim.SGD(ps, nesterov=True)
    with pytest.raises(ValueError, match=r"Adam: lr must be in \[0, inf\], got -0.1"):
        optim.Adam(ps, lr=-0.1)
    with pytest.raises(ValueError, match=r"RMSprop: got no parameters to optimise"):
        optim.RMSprop([])
    with pytest.raises(TypeError, match=r"SGD: parameter 0 must be a Value, got float"):
        optim.SGD([1.0])


def test_clip_grad_norm_scales_all_gradients_together():
    ps = params_with_grads((0.0, 3.0), (0.0, 4.0))
    assert optim.clip_grad_norm_(ps, 1.0) == 5.0
    assert [p.grad for p in ps] == pytest.approx([0.6, 0.8], abs=1e-6)
    ps = params_with_grads((0.0, 0.3), (0.0, 0.4))
    optim.clip_grad_norm_(ps, 1.0)
    assert [p.grad for p in ps] == [0.3, 0.4]  # under the cap: untouched


def test_clip_grad_value_clamps_each_gradient():
    ps = params_with_grads((0.0, 3.0), (0.0, -0.2), (0.0, -7.0))
    optim.clip_grad_value_(ps, 0.5)
    assert [p.grad for p in ps] == [0.5, -0.2, -0.5]


def lrs(scheduler, epochs):
    out = [scheduler.get_last_lr()]
    for _ in range(epochs):
        scheduler.step()
        out.append(scheduler.optimizer.lr)
    return out


def sgd(lr=1.0):
    return optim.SGD([Value(0.0)], lr=lr)


def test_step_decay_against_its_formula():
    got = lrs(schedules.StepLR(sgd(0.5), step_size=3, gamma=0.1), 7)
    assert got == pytest.approx([0.5 * 0.1 ** (t // 3) for t in range(8)], abs=1e-15)
    assert got[2] == 0.5 and got[3] == pytest.approx(0.05)


def test_exponential_decay_against_its_formula():
    got = lrs(schedules.ExponentialLR(sgd(0.2), gamma=0.9), 5)
    assert got == pytest.approx([0.2 * 0.9**t for t in range(6)], abs=1e-15)


def test_cosine_annealing_against_its_formula():
    got = lrs(schedules.CosineAnnealingLR(sgd(1.0), T_max=10, eta_min=0.1), 10)
    assert got[0] == 1.0 and got[5] == pytest.approx(0.55) and got[10] == pytest.approx(0.1)
    for t in (2, 7):
        assert got[t] == pytest.approx(0.1 + 0.9 * (1 + math.cos(math.pi * t / 10)) / 2)


def test_linear_schedule_is_micrograds_demo_decay():
    got = lrs(schedules.LinearLR(sgd(1.0), 1.0, 0.1, total_iters=100), 120)
    assert got[:100] == pytest.approx([1.0 - 0.9 * k / 100 for k in range(100)], abs=1e-12)
    assert got[100] == got[120] == pytest.approx(0.1)


@pytest.mark.torch
def test_schedules_match_pytorch():
    import torch

    pairs = [
        (
            lambda o: schedules.StepLR(o, 2, 0.5),
            lambda o: torch.optim.lr_scheduler.StepLR(o, 2, 0.5),
        ),
        (
            lambda o: schedules.ExponentialLR(o, 0.8),
            lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.8),
        ),
        (
            lambda o: schedules.CosineAnnealingLR(o, 6, 0.01),
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 6, 0.01),
        ),
    ]
    for ours, theirs in pairs:
        t_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3)
        t_sched, o_sched = theirs(t_opt), ours(sgd(0.3))
        for _ in range(6):
            t_opt.step()
            t_sched.step()
            o_sched.step()
            assert o_sched.get_last_lr() == pytest.approx(t_sched.get_last_lr()[0], abs=1e-12)


def test_schedule_settings_are_checked():
    with pytest.raises(ValueError, match=r"StepLR: step_size must be > 0, got 0"):
        schedules.StepLR(sgd(), 0)
    with pytest.raises(TypeError, match=r"ExponentialLR: expected an optimiser with \.lr"):
        schedules.ExponentialLR(object(), 0.9)
