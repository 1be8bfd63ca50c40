"""Initialisers, optimisers, clipping and learning-rate schedules, against hand-worked steps."""

import math
import random
import statistics
import warnings

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
    assert opt.velocity.tolist() == [pytest.approx(0.65, abs=1e-15)]
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


# ---------------------------------------------------------------------------------------------
# REFERENCE: the scalar optimisers as nn/optim.py had them before their steps ran on numpy
# arrays (issue 14), one Python float operation per parameter. Kept here, unchanged in their
# arithmetic, so the tests below can demand that the array code gives exactly these floats.
class RefSGD:
    def __init__(self, params, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
        self.params, self.lr, self.momentum, self.nesterov = list(params), lr, momentum, nesterov
        self.weight_decay, self.velocity = weight_decay, [None] * len(self.params)

    def step(self):
        lr, mu, wd, velocity = self.lr, self.momentum, self.weight_decay, self.velocity
        for i, p in enumerate(self.params):
            g = p.grad
            if wd:
                g = g + wd * p.data
            if mu:
                v = velocity[i]
                v = g if v is None else mu * v + g
                velocity[i] = v
                g = g + mu * v if self.nesterov else v
            p.data -= lr * g


class RefAdam:
    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.params, self.lr, (self.beta1, self.beta2) = list(params), lr, betas
        self.eps, self.weight_decay, self.t = eps, weight_decay, 0
        self.m, self.v = [0.0] * len(self.params), [0.0] * len(self.params)

    def step(self):
        self.t += 1
        b1, b2, eps, wd, lr = self.beta1, self.beta2, self.eps, self.weight_decay, self.lr
        c1, c2 = 1.0 - b1**self.t, 1.0 - b2**self.t
        step_size, root_c2 = lr / c1, math.sqrt(c2)
        m, v = self.m, self.v
        for i, p in enumerate(self.params):
            g = p.grad
            if wd:
                g = g + wd * p.data
            m[i] = b1 * m[i] + (1.0 - b1) * g
            v[i] = b2 * v[i] + (1.0 - b2) * g * g
            p.data -= step_size * m[i] / (math.sqrt(v[i]) / root_c2 + eps)


class RefRMSprop:
    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0):
        self.params, self.lr, self.alpha, self.eps = list(params), lr, alpha, eps
        self.weight_decay, self.v = weight_decay, [0.0] * len(self.params)

    def step(self):
        a, eps, wd, lr, v = self.alpha, self.eps, self.weight_decay, self.lr, self.v
        for i, p in enumerate(self.params):
            g = p.grad
            if wd:
                g = g + wd * p.data
            v[i] = a * v[i] + (1.0 - a) * g * g
            p.data -= lr * g / (math.sqrt(v[i]) + eps)


# END OF REFERENCE
# ---------------------------------------------------------------------------------------------

SETTINGS = [
    (optim.SGD, RefSGD, {"lr": 0.1}),
    (optim.SGD, RefSGD, {"lr": 0.1, "momentum": 0.9}),
    (optim.SGD, RefSGD, {"lr": 0.05, "momentum": 0.7, "nesterov": True, "weight_decay": 0.01}),
    (optim.SGD, RefSGD, {"lr": 0.1, "weight_decay": 0.3}),
    (optim.Adam, RefAdam, {"lr": 0.01}),
    (optim.Adam, RefAdam, {"lr": 0.03, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    (optim.RMSprop, RefRMSprop, {"lr": 0.01}),
    (optim.RMSprop, RefRMSprop, {"lr": 0.02, "alpha": 0.9, "eps": 1e-5, "weight_decay": 0.05}),
]


def bits(values):
    """Floats as hex: equal only bit for bit (0.0 and -0.0 apart, NaN equal to NaN)."""
    return [float(x).hex() for x in values]


@pytest.mark.parametrize("ours, ref, kwargs", SETTINGS, ids=lambda s: getattr(s, "__name__", s))
def test_array_steps_are_bit_identical_to_the_scalar_reference_on_an_mlp(ours, ref, kwargs):
    rng = random.Random(1)
    X = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(5)]
    y = [rng.choice([-1.0, 1.0]) for _ in range(5)]
    model = nn.MLP(3, [6, 4, 1], activation="tanh", rng=0)
    twin = [Value(p.data) for p in model.parameters()]  # the reference's copy of the weights
    opt, ref_opt = ours(model.parameters(), **kwargs), ref(twin, **kwargs)
    sched = schedules.StepLR(opt, 3, gamma=0.5)  # changes opt.lr between steps, as fit does
    for step in range(8):
        loss = sum((model(x) - t) ** 2 for x, t in zip(X, y))
        opt.zero_grad()
        loss.backward()
        for p, q in zip(model.parameters(), twin):
            q.grad = p.grad
        ref_opt.lr = opt.lr
        opt.step()
        ref_opt.step()
        sched.step()
        assert all(type(p.data) is float for p in model.parameters())
        assert bits(p.data for p in model.parameters()) == bits(q.data for q in twin), step
    assert opt.lr == 0.25 * kwargs["lr"]  # the schedule did halve it twice
    for state in ("m", "v", "velocity"):
        if hasattr(ref_opt, state) and getattr(ref_opt, state)[0] is not None:
            assert bits(getattr(opt, state)) == bits(getattr(ref_opt, state)), state


@pytest.mark.parametrize("ours, ref, kwargs", SETTINGS, ids=lambda s: getattr(s, "__name__", s))
def test_nan_inf_huge_and_integer_values_step_as_the_scalar_reference_does(ours, ref, kwargs):
    datas = [1.0, -2.0, 3, 0.5, 1e300, -0.0, 2.0]
    grads = [
        [math.nan, 0.5, 1.0, math.inf, 1e200, 0.0, -1e-300],
        [0.1, -math.inf, 0.2, 0.3, -1e200, -0.0, 5e-324],
        [0.2, 0.0, -0.3, 1.0, 1e308, 0.0, 1.0],
    ]
    ps, twin = [Value(d) for d in datas], [Value(d) for d in datas]
    twin[2].data = 3  # an integer weight: Value makes it a float, the reference gets the int
    opt, ref_opt = ours(ps, **kwargs), ref(twin, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Python's floats overflow silently, so must numpy here
        for g in grads:
            for p, q, gi in zip(ps, twin, g):
                p.grad = q.grad = gi
            opt.step()
            ref_opt.step()
            assert bits(p.data for p in ps) == bits(q.data for q in twin)
