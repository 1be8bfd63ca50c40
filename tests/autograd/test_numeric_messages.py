"""Messages about numbers say the numbers exactly (issue 12, item 16: the numeric ones)."""

import numpy as np
import pytest

from autograd import Tape, Value


def test_a_domain_error_prints_the_exponent_with_every_digit():
    with pytest.raises(ValueError, match=r"^pow\(-2\.0, 1\.0000001\): a negative base") as err:
        Value(-2.0) ** 1.0000001
    assert "1.0)" not in str(err.value)


def test_an_exponent_six_digits_would_round_is_drawn_with_every_digit():
    assert (Value(2.0) ** 1.0000001).op.label == "**1.0000001"
    assert (Value(2.0) ** 2).op.label == "**2"
    assert Value(2.0).leaky_relu(0.1).op.label == "LReLU(0.1)"


@pytest.mark.parametrize(
    "call,where",
    [(lambda: Value(10**400), "Value"), (lambda: Value(1.0) + 10**400, "add")],
)
def test_an_integer_too_large_for_a_float_is_a_value_error_naming_the_op(call, where):
    with pytest.raises(ValueError, match=rf"^{where}: an integer of about 401 digits is too large"):
        call()


@pytest.mark.parametrize("bad", [None, "1.0", [[1.0], [2.0, 3.0]], ["a", "b"]])
def test_tape_step_given_something_not_an_array_of_numbers_is_a_type_error(bad):
    x, w = Value(np.array([1.0, 2.0])), Value(0.5)
    tape = Tape((w * x).mean(), [x], [w])
    with pytest.raises(TypeError, match=r"Tape\.step: array 0 must be an array .* of real"):
        tape.step(bad)
    assert tape.step([2.0, 4.0]) == 1.5  # and the tape still works
