"""The op table at the edges of floating point (issue 12, items 1, 2, 3 and 5).

Every row at extreme inputs against a 400-digit reference (Python's decimal), the float and
the batch build of each row agreeing; x ** p by IEEE rules in forward and backward; one rule
for domain errors in floats, batches and the Tape; batches stay batches; NaN symmetric.
"""

import math
import re
from decimal import Decimal, localcontext

import numpy as np
import pytest

from autograd import OPS, Tape, Value, local_derivatives
from autograd.value import _binary_row, _bound, _unary

from .test_ops import PARAMS, in_domain

EXTREME = [-700.0, -40.0, -20.0, 20.0, 40.0, 700.0]


def apply(name, param, args):
    op = OPS[name] if param is None else _bound(name, param)
    return _binary_row(op, *args) if op.arity == 2 else _unary(op, args[0])


# A reference in 400 significant digits: e^-700 next to 1 keeps its digits, so σ'(700) and
# 1 - tanh(40)² are exact to far more than a double holds. Each is the textbook formula.
def reference_context():
    return localcontext(prec=400, Emax=10**7, Emin=-(10**7))


def pi():
    """Gauss-Legendre: each round doubles the correct digits."""
    a, b, t, p = Decimal(1), Decimal(1) / Decimal(2).sqrt(), Decimal(1) / 4, Decimal(1)
    for _ in range(12):
        a, b, t, p = (a + b) / 2, (a * b).sqrt(), t - p * ((a - b) / 2) ** 2, 2 * p
    return (a + b) ** 2 / (4 * t)


def erfc(z):
    """erfc by its continued fraction e^-z²/√π / (z + (1/2)/(z + (2/2)/(z + ...))), z >= 10."""
    if z < 0:
        return 2 - erfc(-z)
    assert z >= 10, "the reference's continued fraction is for the tails, where the points are"
    t = z
    for k in range(600, 0, -1):
        t = z + Decimal(k) / 2 / t
    return (-z * z).exp() / (pi().sqrt() * t)


def sigma(x):
    return 1 / (1 + (-x).exp())


def reference(name, p, a, b=None):
    """(forward value, local derivatives) of row `name` at Decimal inputs, as textbooks write."""
    one, zero = Decimal(1), Decimal(0)
    if name in ("add", "sub", "mul", "div"):
        return {
            "add": (a + b, (one, one)),
            "sub": (a - b, (one, -one)),
            "mul": (a * b, (b, a)),
            "div": (a / b, (1 / b, -a / (b * b))),
        }[name]
    if name == "powv":
        y = a**b
        return y, (zero if b == 0 else b * a ** (b - 1), y * a.ln())
    if name in ("max", "min"):
        first = a >= b if name == "max" else a <= b
        return (a, (one, zero)) if first else (b, (zero, one))
    if name == "pow":
        return a**p, (p * a ** (p - 1),)
    if name == "tanh":
        e = (2 * a).exp()
        t = (e - 1) / (e + 1)
        return t, (1 - t * t,)
    if name in ("normal_cdf", "gelu"):
        cdf, pdf = erfc(-a / Decimal(2).sqrt()) / 2, (-a * a / 2).exp() / (2 * pi()).sqrt()
        return (cdf, (pdf,)) if name == "normal_cdf" else (a * cdf, (cdf + a * pdf,))
    if name == "swish":
        s = sigma(p * a)
        return a * s, (s + p * a * s * (1 - s),)
    pos = a > 0
    rows = {  # built lazily: only the asked row is evaluated
        "neg": lambda: (-a, (-one,)),
        "exp": lambda: (a.exp(), (a.exp(),)),
        "log": lambda: (a.ln(), (1 / a,)),
        "sigmoid": lambda: (sigma(a), (sigma(a) * (1 - sigma(a)),)),
        "relu": lambda: (a if pos else zero, (one if pos else zero,)),
        "leaky_relu": lambda: (a if pos else p * a, (one if pos else p,)),
        "elu": lambda: (a if pos else p * (a.exp() - 1), (one if pos else p * a.exp(),)),
        "softplus": lambda: ((1 + a.exp()).ln(), (sigma(a),)),
        "abs": lambda: (abs(a), (one if pos else -one,)),
        "step": lambda: (one if a >= 0 else zero, (zero,)),
        "sum": lambda: (a, (one,)),
        "mean": lambda: (a, (one,)),
    }
    return rows[name]()


def agrees(got, exact):
    """got is exact correctly rounded, give or take a few units in the last place."""
    want = float(exact)  # correctly rounded: inf past 1.8e308, 0.0 below 5e-324
    if math.isinf(want):
        return got == want
    return abs(got - want) <= 1e-13 * abs(want) + 1e-320


def extreme_cases():
    for name, op in sorted(OPS.items()):
        points = [(a, b) for a in EXTREME for b in EXTREME] if op.arity == 2 else EXTREME
        for p in PARAMS.get(name, [None]):
            good = [x if op.arity == 2 else (x,) for x in points]
            good = [x for x in good if in_domain(name, p, x)]
            yield pytest.param(name, p, good, id=f"{name}[{p}]")


@pytest.mark.parametrize("name,param,points", list(extreme_cases()))
def test_every_row_keeps_its_digits_at_plus_minus_20_40_and_700(name, param, points):
    with reference_context():
        for point in points:
            out = apply(name, param, [Value(x) for x in point])
            exact = [Decimal(x) for x in point]
            y, locals_ = reference(name, None if param is None else Decimal(param), *exact)
            assert agrees(out.data, y), (point, out.data, float(y))
            for got, want in zip(local_derivatives(out), locals_):
                assert agrees(got, want), (point, got, float(want))


@pytest.mark.parametrize(
    "name,param,points", [c for c in extreme_cases() if c.values[0] not in ("sum", "mean")]
)
def test_the_float_and_batch_rows_agree_at_extreme_inputs(name, param, points):
    columns = [np.array(c) for c in zip(*points)]
    with np.errstate(over="ignore"):  # 700 ** 700 overflows to inf, as it should
        batch = apply(name, param, [Value(c) for c in columns])
        batch_locals = local_derivatives(batch)
    for i, point in enumerate(points):
        out = apply(name, param, [Value(x) for x in point])
        assert out.data == pytest.approx(batch.data[i], rel=1e-14, abs=0.0), point
        for got, arr in zip(local_derivatives(out), batch_locals):
            assert got == pytest.approx(
                np.broadcast_to(arr, columns[0].shape)[i], rel=1e-14, abs=0.0
            )


def test_elu_slope_far_below_zero_is_alpha_exp_x():
    for x in (-30.0, -40.0, -700.0):
        v = Value(x)
        v.elu(0.5).backward()
        assert v.grad == pytest.approx(0.5 * math.exp(x), rel=1e-15, abs=0.0)  # it was 0 from -37


# x ** p: the cases where the local derivative raised while the forward value was fine.
POWER_CASES = [
    # base, exponent, forward, d/d(base)
    (0.0, 0.0, 1.0, 0.0),  # x ** 0 is the constant 1
    (5e-324, 0.0, 1.0, 0.0),
    (1e200, 3.0, math.inf, math.inf),
    (-1e200, 3.0, -math.inf, math.inf),
    (1e-300, -1.0, 1e300, -math.inf),
    (0.0, 0.5, 0.0, math.inf),  # sqrt's slope at 0
    (0.0, 1.0, 0.0, 1.0),
    (0.0, 2.0, 0.0, 0.0),
]


@pytest.mark.parametrize("base,p,y,slope", POWER_CASES)
def test_power_backward_follows_ieee_as_forward_does_scalar_and_batch(base, p, y, slope):
    x = Value(base)
    out = x**p
    out.backward()
    assert (out.data, x.grad) == pytest.approx((y, slope), rel=1e-15, abs=0.0)
    xb = Value(np.array([base, base]))
    with np.errstate(divide="ignore", over="ignore"):
        outb = xb**p
        outb.sum().backward()
    assert outb.data.tolist() == [out.data] * 2
    assert xb.grad.tolist() == [x.grad] * 2


def test_power_with_a_value_exponent_overflows_to_inf_in_backward_too():
    a, b = Value(1e200), Value(3.0)
    out = a**b
    out.backward()
    assert (out.data, a.grad, b.grad) == (math.inf, math.inf, math.inf)
    ab, bb = Value(np.array([1e200, 2.0])), Value(np.array([3.0, 0.0]))
    with np.errstate(over="ignore", invalid="ignore"):
        outb = ab**bb
        outb.sum().backward()
    assert outb.data.tolist() == [math.inf, 1.0]
    assert ab.grad.tolist() == [math.inf, 0.0]  # x ** 0: slope 0
    assert bb.grad.tolist() == [math.inf, math.log(2.0)]


# One rule for domain errors, floats and batches and the Tape alike: raise, naming the op
# and the value (for a batch, the first bad example); ZeroDivisionError for a division by 0.
DOMAIN_ERRORS = [
    (lambda x: x.log(), -1.0, ValueError, "log", "input must be > 0"),
    (lambda x: x.log(), 0.0, ValueError, "log", "input must be > 0"),
    (lambda x: 1.0 / x, 0.0, ZeroDivisionError, "div", "divisor must not be 0"),
    (lambda x: x**-1, 0.0, ZeroDivisionError, "pow", "0 cannot be raised to a negative power"),
    (lambda x: x**0.5, -8.0, ValueError, "pow", "a negative base needs a whole-number exponent"),
    (lambda x: x**2.5, -1e308, ValueError, "pow", "a negative base needs a whole-number exponent"),
    (lambda x: x ** Value(2.0), -2.0, ValueError, "powv", "base must be > 0"),
]


@pytest.mark.parametrize("f,bad,kind,op,reason", DOMAIN_ERRORS)
def test_a_domain_error_raises_the_same_for_a_float_a_batch_and_the_tape(f, bad, kind, op, reason):
    number = re.escape(repr(bad))
    with pytest.raises(kind, match=rf"^{op}\(.*{number}.*\): {reason}"):
        f(Value(bad))
    with pytest.raises(kind, match=rf"^{op}\(.*\): {reason} \(example 1 is {number}\)"):
        f(Value(np.array([1.5, bad])))
    x = Value(np.array([1.5, 2.0]))
    tape = Tape(f(x).mean(), [x], [])
    with pytest.raises(kind, match=rf"^Tape\.step: {op} .*{reason} \(example 1 is {number}\)"):
        tape.step(np.array([1.5, bad]))


def test_negative_base_to_a_fractional_power_is_refused_before_it_can_overflow():
    with pytest.raises(ValueError, match=r"pow\(-1e\+308, 2\.5\)"):
        Value(-1e308) ** 2.5  # it was -inf: the overflow handler hid the domain error
    with pytest.raises(ValueError, match=r"example 0 is -1e\+308"):
        Value(np.array([-1e308])) ** 2.5


def test_a_batch_divided_by_zero_raises_and_leaves_the_weight_alone():
    w = Value(2.0)
    with pytest.raises(ZeroDivisionError, match=r"example 2 is 0\.0"):
        (w / Value(np.array([1.0, 2.0, 0.0]))).sum().backward()
    assert w.grad == 0.0


def test_the_tapes_scalar_nodes_name_the_op_and_values_of_a_domain_error():
    x, w = Value(np.array([1.0, 2.0])), Value(3.0)
    tape = Tape((w * x).mean() + 1.0 / (w - 2.5), [x], [w])
    w.data = 2.5
    with pytest.raises(ZeroDivisionError, match=r"div\(1\.0, 0\.0\): divisor must not be 0"):
        tape.step(np.array([1.0, 2.0]))


def test_overflow_is_not_an_error_it_gives_ieee_infinities_everywhere():
    x, w = Value(np.array([1.0, 800.0])), Value(1.0)
    with np.errstate(over="ignore"):  # numpy warns of the overflow; the answer is inf
        tape = Tape((w * x).exp().mean(), [x], [w])
        assert tape.step(np.array([1.0, 800.0])) == math.inf
        assert (w * x).exp().data.tolist() == [math.e, math.inf]
    assert Value(800.0).exp().data == math.inf
    assert (Value(1e200) * 1e200).data == math.inf
    assert (Value(1e200) ** 3).data == math.inf


ELEMENTWISE = sorted(set(OPS) - {"sum", "mean"})


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_nan_is_not_a_domain_error_and_both_rows_agree_on_it(name):
    nan = math.nan
    points = [(nan, 1.5), (1.5, nan), (nan, nan)] if OPS[name].arity == 2 else [(nan,)]
    for p in PARAMS.get(name, [None]):
        for point in points:
            out = apply(name, p, [Value(x) for x in point])
            batch = apply(name, p, [Value(np.array([x, x])) for x in point])
            np.testing.assert_array_equal(batch.data, [out.data] * 2)
            for got, arr in zip(local_derivatives(out), local_derivatives(batch)):
                np.testing.assert_array_equal(np.broadcast_to(arr, (2,)), [got] * 2)


# Batches stay batches; NaN through max and min is symmetric.
@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: Value(2.0) ** np.array([1.0, 2.0]), r"pow: the exponent must be one number"),
        (lambda: Value(2.0).leaky_relu(np.array([0.1, 0.2])), r"leaky_relu: alpha must be one"),
        (lambda: Value(2.0).elu(np.array([1.0, 2.0])), r"elu: alpha must be one number"),
        (lambda: Value(2.0).swish(np.array([1.0, 2.0])), r"swish: beta must be one number"),
    ],
)
def test_an_ops_constant_parameter_given_an_array_is_a_type_error_naming_the_op(call, message):
    with pytest.raises(TypeError, match=message):
        call()


def test_a_parameter_must_be_finite():
    with pytest.raises(ValueError, match=r"pow: the exponent must be finite, got nan"):
        Value(2.0) ** math.nan
    with pytest.raises(ValueError, match=r"leaky_relu: alpha must be finite, got inf"):
        Value(2.0).leaky_relu(math.inf)


def test_one_exponent_per_example_is_a_value_exponent():
    b, e = Value(2.0), Value(np.array([1.0, 3.0]))
    out = b**e
    out.sum().backward()
    assert out.data.tolist() == [2.0, 8.0]
    assert b.grad == pytest.approx(1.0 + 3 * 4.0)
    assert e.grad.tolist() == pytest.approx([2 * math.log(2), 8 * math.log(2)])


@pytest.mark.parametrize("x", [3.0, 0.5])  # the batch wins, then the constant does
def test_a_one_example_batch_through_max_stays_a_batch_and_its_tape_replays(x):
    xb, w = Value(np.array([x])), Value(0.5)
    out = (w * xb).max(1.0)
    assert type(out.data) is np.ndarray and out.data.shape == (1,)
    assert type(xb.min(1.0).data) is np.ndarray
    tape = Tape(out.mean(), [xb], [w])
    assert tape.step(np.array([4.0])) == 2.0
    assert w.grad == 4.0
    assert tape.step(np.array([1.0])) == 1.0  # 0.5 < 1.0: the constant wins, w gets nothing
    assert w.grad == 4.0


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_propagate_nan_from_either_side_and_send_it_the_gradient(name):
    for first, second in ((math.nan, 1.0), (1.0, math.nan)):
        a, b = Value(first), Value(second)
        out = getattr(a, name)(b)
        out.backward()
        assert math.isnan(out.data)
        assert (a.grad, b.grad) == ((1.0, 0.0) if math.isnan(first) else (0.0, 1.0))
        ab = Value(np.array([first, 2.0]))
        outb = getattr(ab, name)(second)
        assert math.isnan(outb.data[0])
