"""Bad input gets a clear error naming the operation and the offending value."""

import math

import pytest

from autograd import Value, backward_steps, detect_anomaly


@pytest.mark.parametrize("bad", ["3", None, [1.0], 1 + 2j])
def test_value_of_a_non_number_is_a_type_error_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_value_plus_a_string_names_the_op_and_type():
    with pytest.raises(TypeError, match=r"add: .*str"):
        Value(1.0) + "2"


@pytest.mark.parametrize(
    "expr,kind,message",
    [
        (lambda: Value(-1.0).log(), ValueError, r"log\(-1\.0\): input must be > 0"),
        (lambda: Value(0.0).log(), ValueError, r"log\(0\.0\): input must be > 0"),
        (lambda: Value(-8.0) ** 0.5, ValueError, r"pow\(-8\.0, 0\.5\): .*whole-number exponent"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"pow\(0\.0, -1\.0\)"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"div\(1\.0, 0\.0\): divisor must not be 0"),
        (lambda: 1.0 / Value(0.0), ZeroDivisionError, r"div\(1\.0, 0\.0\)"),
        (lambda: Value(-2.0) ** Value(2.0), ValueError, r"powv\(-2\.0, 2\.0\): base must be > 0"),
        (lambda: 0 ** Value(2.0), ValueError, r"powv\(0\.0, 2\.0\)"),
    ],
)
def test_math_domain_errors_name_the_op_and_values(expr, kind, message):
    with pytest.raises(kind, match=message):
        expr()


def test_an_infinite_local_derivative_is_inf_as_ieee_says_not_an_error():
    x = Value(0.0)
    (x**0.5).backward()  # the forward value 0.0 is fine; the slope of sqrt at 0 is +inf
    assert x.grad == math.inf


def test_nan_and_infinity_follow_ieee_arithmetic():
    assert math.isnan((Value(math.nan) + 1.0).data)
    assert (Value(math.inf) * 2.0).data == math.inf
    assert Value(1000.0).exp().data == math.inf
    assert Value(-math.inf).tanh().data == -1.0


def test_anomaly_mode_names_the_op_and_the_user_line_in_forward():
    with detect_anomaly():
        x = Value(1000.0)
        with pytest.raises(
            FloatingPointError, match=r"exp\(1000\.0\) gave inf at .*test_errors\.py:\d+"
        ):
            x.exp()


def test_anomaly_mode_catches_a_non_finite_gradient_in_backward():
    with detect_anomaly():
        x = Value(1e-200)
        r = 1.0 / x  # forward 1e200 is finite; d/dx = -1/x**2 overflows to -inf
        with pytest.raises(
            FloatingPointError, match=r"backward through div made at .*test_errors\.py:\d+"
        ):
            r.backward()
    assert x.grad == 0.0


def test_without_anomaly_mode_the_same_gradient_is_just_infinite():
    x = Value(1e-200)
    (1.0 / x).backward()
    assert x.grad == -math.inf


def test_anomaly_mode_rejects_a_nan_leaf():
    with detect_anomaly(), pytest.raises(FloatingPointError, match="nan"):
        Value(math.nan)


def test_errors_outside_anomaly_mode_cost_nothing_and_leave_no_state():
    with detect_anomaly():
        pass
    y = Value(1000.0).exp()  # no error outside the context
    assert y.data == math.inf


def test_backward_steps_gives_the_same_infinite_local_derivative_as_backward():
    (step,) = [s for s in backward_steps(Value(0.0) ** 0.5) if s.node.op]
    assert step.locals == (math.inf,)
