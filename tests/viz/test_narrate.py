"""Narration: the chain-rule sentences for the worked examples, fan-out sums, zero reasons."""

import numpy as np
import pytest

from autograd import Value, numerical_grad
from demos import lesson01_car_tax
from demos.lesson02_chain_rule import build  # f = (x + y) z at (-2, 5, -4)
from viz.narrate import backprop_story, narrate, tex_name


def chain_rule():
    """f = (x + y) z at x = -2, y = 5, z = -4 (the seed's worked example), and its values."""
    f = build()
    q, z = f.inputs
    x, y = q.inputs
    return f, x, y, z, q


def car_tax():
    """Lesson 1's total = price * count * tax, and its three inputs."""
    total = lesson01_car_tax.build()
    subtotal, tax = total.inputs
    price, count = subtotal.inputs
    return total, price, count, tax


def test_forward_lines_show_each_value_from_its_inputs():
    f, *_ = chain_rule()
    story = backprop_story(f)
    assert story.forward == [
        "x = -2  (an input)",
        "y = 5  (an input)",
        "q = x + y = -2 + 5 = 3",
        "z = -4  (an input)",
        "f = q * z = 3 * (-4) = -12",
    ]


def test_chain_rule_example_reads_three_ways_with_the_seed_numbers():
    f, x, y, z, q = chain_rule()
    e = narrate(f, x)
    assert e.symbolic == "df/dx = df/dq · dq/dx"
    assert e.substituted == "= -4 · 1"
    assert e.numeric == "= -4"
    assert e.text() == "df/dx = df/dq · dq/dx\n= -4 · 1\n= -4"
    assert narrate(f, z).lines() == ["df/dz = df/df · df/dz", "= 1 · 3", "= 3"]
    assert narrate(f, q).substituted == "= 1 · (-4)"  # a negative factor is bracketed
    assert narrate(f, f).symbolic == "df/df = 1"
    assert "starts here" in narrate(f, f).why


def test_story_gradients_match_finite_differences():
    f, x, y, z, _ = chain_rule()
    story = backprop_story(f)
    by_name = {e.name: e.grad for e in story.backward}
    expected = numerical_grad(lambda a, b, c: (a + b) * c, [x, y, z])
    for name, want in zip("xyz", expected):
        assert by_name[name] == pytest.approx(want, rel=1e-6)
    assert [e.name for e in story.backward] == ["f", "z", "q", "y", "x"]  # backward order


def test_car_tax_is_a_product_of_local_derivatives():
    total, price, count, tax = car_tax()
    e = narrate(total, price)
    assert e.symbolic == "d total/d price = d total/d subtotal · d subtotal/d price"
    assert e.substituted == "= 1.1 · 2"
    assert e.numeric == "= 2.2"
    assert e.grad == pytest.approx(2.2)
    assert narrate(total, count).numeric == "= 16.5"
    assert narrate(total, tax).numeric == "= 30"


def test_fan_out_is_an_explicit_sum_with_running_totals():
    x = Value(3.0, "x")
    a = x * x + x  # x used three times: twice by the product, once by the sum
    a.label = "a"
    e = narrate(a, x)
    assert len(e.terms) == 3
    assert e.symbolic.count(" + ") == 2
    assert e.substituted == "= 1 · 1 + 1 · 3 + 1 · 3"
    assert [t.running for t in e.terms] == [1.0, 4.0, 7.0]
    assert e.grad == pytest.approx(numerical_grad(lambda v: v * v + v, [3.0])[0], rel=1e-6)
    assert e.numeric == "= 7"


def test_an_inactive_relu_explains_its_zero():
    x = Value(-1.5, "x")
    h = x.relu()
    h.label = "h"
    e = narrate(h, x)
    assert e.grad == 0.0
    assert "ReLU inactive" in e.why and "-1.5" in e.why


def test_a_step_function_explains_its_zero():
    x = Value(0.7, "x")
    s = x.step()
    s.label = "s"
    assert "step function" in narrate(s, x).why


def test_multiplying_by_zero_names_the_zero_factor():
    x, w = Value(2.0, "x"), Value(0.0, "w")
    y = x * w
    y.label = "y"
    assert narrate(y, x).why == "the other factor w is 0"
    assert narrate(y, w).why == ""  # dy/dw = 2: nothing to explain


def test_max_sends_nothing_to_the_loser():
    a, b = Value(1.0, "a"), Value(4.0, "b")
    m = a.max(b)
    m.label = "m"
    assert "max picked its other input" in narrate(m, a).why
    assert narrate(m, b).numeric == "= 1"


def test_a_value_outside_the_graph_has_no_path():
    f, *_ = chain_rule()
    e = narrate(f, Value(1.0, "w"))
    assert e.grad == 0.0 and e.symbolic == "df/dw = 0"
    assert e.why == "no path: f does not depend on w"


def test_cancelling_uses_are_called_out():
    x = Value(2.0, "x")
    c = x - x
    c.label = "c"
    e = narrate(c, x)
    assert e.grad == 0.0
    assert "cancel" in e.why


def test_a_cancellation_left_with_rounding_error_is_called_zero():
    x = Value(0.1, "x")
    c = x * 0.3 + x * 0.7 - x  # 0.3 + 0.7 - 1 is not exactly 0 in floating point
    c.label = "c"
    e = narrate(c, x)
    assert e.grad != 0.0 and abs(e.grad) < 1e-15
    assert "0 up to floating-point rounding" in e.why


def test_latex_form_is_a_formula_with_escaped_names():
    f, x, *_ = chain_rule()
    tex = narrate(f, x).latex()
    assert tex == (
        r"\frac{\partial f}{\partial x} = \frac{\partial f}{\partial q} \cdot "
        r"\frac{\partial q}{\partial x} = -4 \cdot 1 = -4"
    )
    assert tex_name("w1_00") == r"\mathrm{w1\_00}"
    assert tex_name("x") == "x"


def test_story_leaves_the_nodes_gradients_as_they_were():
    f, x, *_ = chain_rule()
    f.backward()
    before = x.grad
    first = backprop_story(f)
    second = backprop_story(f)  # a second story must not see doubled gradients
    assert x.grad == before == -4.0
    assert [e.grad for e in first.backward] == [e.grad for e in second.backward]


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(TypeError, match="expected a Value"):
        backprop_story(3.0)
    f, *_ = chain_rule()
    with pytest.raises(ValueError, match="precision=0"):
        backprop_story(f, precision=0)
    batch = (Value(np.array([1.0, 2.0]), "x") * 2.0).sum()
    with pytest.raises(ValueError, match="batch of 2 examples"):
        backprop_story(batch)
