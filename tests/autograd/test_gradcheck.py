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
