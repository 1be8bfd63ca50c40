"""The gradient checker itself: it passes right derivatives and catches wrong ones."""

# A deliberately wrong row: the forward rule of sin with the derivative of cos.
import math

import pytest

from autograd import Op, Value, gradcheck, numerical_grad
from autograd.gradcheck import GradcheckError
from autograd.value import _unary

WRONG = Op("sin", "sin", 1, lambda a, p: math.sin(a), lambda a, p, y: (-math.sin(a),))
RIGHT = Op("sin", "sin", 1, lambda a, p: math.sin(a), lambda a, p, y: (math.cos(a),))


def test_numerical_grad_of_a_product():
    grads = numerical_grad(lambda x, y: x * y, [3.0, -2.0])
    assert grads == [pytest.approx(-2.0), pytest.approx(3.0)]


def test_gradcheck_passes_a_correct_derivative():
    assert gradcheck(lambda x: _unary(RIGHT, x), [0.7]).ok


def test_gradcheck_catches_a_wrong_derivative():
    result = gradcheck(lambda x: _unary(WRONG, x), [0.7])
    assert not result.ok
    assert "NO" in result.table()


def test_gradcheck_raises_with_a_readable_table_when_asked():
    with pytest.raises(GradcheckError) as err:
        gradcheck(lambda x, y: _unary(WRONG, x) * y, [0.7, 2.0], raise_on_error=True)
    text = str(err.value)
    assert "gradcheck failed at (0.7, 2.0)" in text
    assert "backprop" in text and "numerical" in text
    assert text.count("NO") == 1  # y's gradient is right, x's is wrong


def test_gradcheck_reports_one_row_per_input():
    result = gradcheck(lambda a, b, c: a * b + c, [1.0, 2.0, 3.0])
    assert [row[0] for row in result.rows] == [0, 1, 2]
    assert [row[1] for row in result.rows] == [2.0, 1.0, 1.0]


def test_gradcheck_needs_a_value_back():
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda x: 3.0, [1.0])


def test_gradcheck_accepts_values_and_leaves_them_untouched():
    x = Value(2.0)
    assert gradcheck(lambda v: v * v, [x]).ok
    assert x.grad == 0.0


# A gradient of size 1e-6 computed 10x too large: f = 1e-6 sin(x), backprop says 1e-5 cos(x).
TINY_WRONG = Op("s", "s", 1, lambda a, p: 1e-6 * math.sin(a), lambda a, p, y: (1e-5 * math.cos(a),))
TINY_RIGHT = Op("s", "s", 1, lambda a, p: 1e-6 * math.sin(a), lambda a, p, y: (1e-6 * math.cos(a),))


def test_the_absolute_default_lets_a_10x_error_in_a_tiny_gradient_through():
    # Documented: atol = 1e-5 accepts any gradient within 1e-5, right or not.
    assert gradcheck(lambda x: _unary(TINY_WRONG, x), [0.7]).ok


def test_relative_mode_catches_a_10x_error_in_a_gradient_of_size_1e_minus_6():
    result = gradcheck(lambda x: _unary(TINY_WRONG, x), [0.7], relative=True)
    assert not result.ok
    ((_, backprop, numeric, _),) = result.rows
    assert backprop / numeric == pytest.approx(10.0, rel=1e-6)
    assert "9.00e-01" in result.table()  # the rel diff column: (10 - 1) / 10


def test_relative_mode_passes_a_right_tiny_gradient_and_exact_zeros():
    assert gradcheck(lambda x: _unary(TINY_RIGHT, x), [0.7], relative=True).ok
    assert gradcheck(lambda x, y: x * 0.0 + y, [0.7, 2.0], relative=True).ok


def test_relative_mode_takes_an_explicit_atol_as_a_floor():
    assert gradcheck(lambda x: _unary(TINY_WRONG, x), [0.7], relative=True, atol=1e-5).ok
