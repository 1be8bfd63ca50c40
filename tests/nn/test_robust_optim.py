"""Issue 12, items 4 and 16: clip_grad_norm_ scales exactly as torch does, near the threshold
too, and optimiser settings take any real number type (np.float32) while bad ones are named."""

import fractions
import math

import numpy as np
import pytest

from autograd import Value
from nn import optim, schedules


def grads(*gs):
    ps = [Value(0.0) for _ in gs]
    for p, g in zip(ps, gs):
        p.grad = g
    return ps


# norms just under, at, and just over max_norm = 1, then far either side
NEAR = [(0.6, 0.8 - 1e-7), (0.6, 0.8), (0.6, 0.8 + 1e-7), (3.0, 4.0), (0.03, 0.04), (0.0, 0.0)]


@pytest.mark.parametrize("g", NEAR)
def test_clip_grad_norm_scales_by_max_norm_over_norm_plus_1e_6_whenever_that_is_below_1(g):
    ps = grads(*g)
    norm = optim.clip_grad_norm_(ps, 1.0)
    assert norm == math.sqrt(g[0] ** 2 + g[1] ** 2)
    coef = 1.0 / (norm + 1e-6)
    expected = [gi * coef for gi in g] if coef < 1.0 else list(g)
    assert [p.grad for p in ps] == expected


def test_a_norm_exactly_at_max_norm_is_scaled_a_little_as_torch_does():
    ps = grads(0.6, 0.8)  # norm 1.0 == max_norm: the old rule (norm > max_norm) left it alone
    optim.clip_grad_norm_(ps, 1.0)
    assert ps[1].grad == 0.8 * (1.0 / (1.0 + 1e-6)) < 0.8


@pytest.mark.torch
@pytest.mark.parametrize("g", NEAR + [(1e-3, -2e-3, 5e-4)])
def test_clip_grad_norm_matches_torch(g):
    import torch

    ps = grads(*g)
    tp = [torch.zeros((), dtype=torch.float64, requires_grad=True) for _ in g]
    for t, gi in zip(tp, g):
        t.grad = torch.tensor(gi, dtype=torch.float64)
    theirs = torch.nn.utils.clip_grad_norm_(tp, 1.0)
    assert optim.clip_grad_norm_(ps, 1.0) == pytest.approx(float(theirs), rel=1e-15, abs=0)
    assert [p.grad for p in ps] == pytest.approx([float(t.grad) for t in tp], rel=1e-15, abs=0)


@pytest.mark.parametrize(
    "lr", [np.float32(0.1), np.float64(0.1), np.int64(1), fractions.Fraction(1, 10), 1]
)
def test_any_real_number_type_is_a_learning_rate(lr):
    ps = grads(2.0)
    opt = optim.SGD(ps, lr=lr, momentum=np.float32(0.5))
    opt.step()
    assert type(opt.lr) is float and type(opt.momentum) is float
    assert ps[0].data == pytest.approx(-2.0 * float(lr))


@pytest.mark.parametrize(
    "make, error, message",
    [
        (
            lambda ps: optim.SGD(ps, lr="0.1"),
            TypeError,
            r"SGD: lr must be a real number, got '0.1'",
        ),
        (lambda ps: optim.SGD(ps, lr=True), TypeError, r"SGD: lr must be a real number, got True"),
        (lambda ps: optim.SGD(ps, lr=None), TypeError, r"SGD: lr must be a real number, got None"),
        (
            lambda ps: optim.SGD(ps, lr=math.nan),
            ValueError,
            r"SGD: lr must be in \[0, inf\], got nan",
        ),
        (
            lambda ps: optim.SGD(ps, lr=np.float32(-1)),
            ValueError,
            r"lr must be in \[0, inf\], got -1.0",
        ),
        (lambda ps: optim.Adam(ps, betas=0.9), TypeError, r"Adam: betas must be a pair"),
        (
            lambda ps: optim.Adam(ps, betas=(0.9, 1.0)),
            ValueError,
            r"betas\[1\] must be in \[0, 1\)",
        ),
        (
            lambda ps: optim.RMSprop(ps, eps=[1e-8]),
            TypeError,
            r"RMSprop: eps must be a real number",
        ),
        (
            lambda ps: optim.clip_grad_norm_(ps, "1"),
            TypeError,
            r"clip_grad_norm_: max_norm must be",
        ),
    ],
)
def test_bad_settings_say_which_setting_and_what_was_given(make, error, message):
    with pytest.raises(error, match=message):
        make(grads(1.0))


def test_schedules_take_numpy_numbers_and_name_bad_ones():
    opt = optim.SGD(grads(1.0), lr=np.float32(1.0))
    sched = schedules.ExponentialLR(opt, gamma=np.float32(0.5))
    sched.step()
    assert opt.lr == 0.5 and type(opt.lr) is float
    with pytest.raises(TypeError, match=r"StepLR: gamma must be a real number, got '0.1'"):
        schedules.StepLR(opt, 2, gamma="0.1")
    with pytest.raises(ValueError, match=r"CosineAnnealingLR: T_max must be > 0, got nan"):
        schedules.CosineAnnealingLR(opt, math.nan)


@pytest.mark.parametrize(
    "make", [lambda ps: optim.Adam(ps, eps=0.0), lambda ps: optim.RMSprop(ps, eps=0.0)]
)
def test_a_zero_denominator_raises_zerodivisionerror_before_any_weight_changes(make):
    ps = grads(0.5, 0.0, 0.25)  # the middle one: g = 0, eps = 0, so its step is 0 / 0
    for p, d in zip(ps, (1.0, 2.0, 3.0)):
        p.data = d
    opt = make(ps)
    with pytest.raises(ZeroDivisionError, match=r"parameter 1: eps is 0 .* divides by zero"):
        opt.step()
    assert [p.data for p in ps] == [1.0, 2.0, 3.0]
    assert opt.v.tolist() == [0.0, 0.0, 0.0] and getattr(opt, "t", 0) == 0


def test_a_batch_as_parameter_or_a_changed_parameter_list_is_named():
    ps = grads(0.5, 0.25)
    ps[1].grad = np.array([1.0, 2.0])
    opt = optim.SGD(ps, lr=0.1)
    with pytest.raises(TypeError, match=r"SGD: parameter 1's grad must be a number, got ndarray"):
        opt.step()
    assert [p.data for p in ps] == [0.0, 0.0]
    opt = optim.Adam(grads(0.5, 0.25))
    opt.params.append(Value(1.0))
    with pytest.raises(ValueError, match=r"Adam: made for 2 parameters, now has 3"):
        opt.step()
