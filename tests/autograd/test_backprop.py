"""Backprop: worked examples, fan-out, depth, accumulation, steps, determinism."""

import math
import random

import pytest

from autograd import Value, backward_steps, no_grad, topological_order


def readme_expression():
    """micrograd's README expression; its published results are 24.7041, 138.8338, 645.5773."""
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return a, b, g


def test_micrograd_readme_expression_gives_the_published_numbers():
    a, b, g = readme_expression()
    g.backward()
    assert g.data == pytest.approx(24.7041, abs=1e-4)
    assert a.grad == pytest.approx(138.8338, abs=1e-4)
    assert b.grad == pytest.approx(645.5773, abs=1e-4)


def test_chain_rule_lesson_f_equals_x_plus_y_times_z():
    x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    q = x + y
    f = q * z
    f.backward()
    assert (q.data, f.data) == (3.0, -12.0)
    assert (x.grad, y.grad, z.grad, q.grad, f.grad) == (-4.0, -4.0, 3.0, -4.0, 1.0)


def test_car_tax_gradient_is_the_product_of_local_derivatives():
    price, count, tax = Value(15.0), Value(2.0), Value(1.1)
    total = price * count * tax
    total.backward()
    assert total.data == pytest.approx(33.0)
    assert price.grad == pytest.approx(2.2)
    assert count.grad == pytest.approx(16.5)
    assert tax.grad == pytest.approx(30.0)


def test_a_times_a_keeps_both_inputs_and_gets_twice_a():
    a = Value(3.0)
    b = a * a
    assert b.inputs == (a, a)
    b.backward()
    assert a.grad == 6.0


def test_a_plus_a_gives_gradient_two():
    a = Value(-1.5)
    (a + a).backward()
    assert a.grad == 2.0


def test_shared_subexpression_sums_contributions_from_every_use():
    x = Value(2.0)
    s = x * 3.0  # used twice below
    out = s * s + s.tanh()
    out.backward()
    expected = (2 * 6.0 + (1 - math.tanh(6.0) ** 2)) * 3.0
    assert x.grad == pytest.approx(expected)


def test_a_million_node_chain_backprops_without_recursion_error():
    x = Value(1.0)
    y = x
    for _ in range(500_000):  # two nodes per step: the constant and the product
        y = y * 1.0
    assert len(topological_order(y)) == 1_000_001
    y.backward()
    assert x.grad == 1.0


def test_sum_of_a_hundred_thousand_values():
    xs = [Value(float(i)) for i in range(100_000)]
    s = sum(xs)
    s.backward()
    assert s.data == sum(range(100_000))
    assert all(x.grad == 1.0 for x in xs)


def test_second_backward_adds_exactly_the_same_amounts():
    a, b, g = readme_expression()
    g.backward()
    first = (a.grad, b.grad, g.grad)
    g.backward()
    assert (a.grad, b.grad, g.grad) == (2 * first[0], 2 * first[1], 2 * first[2])


def test_backward_adds_to_existing_gradients_like_pytorch():
    x = Value(2.0)
    x.grad = 10.0
    (x * 5.0).backward()
    assert x.grad == 15.0


def test_topological_order_puts_inputs_first_and_is_deterministic():
    _, _, g = readme_expression()
    order = topological_order(g)
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for inp in node.inputs:
            assert position[id(inp)] < position[id(node)]
    assert order[-1] is g
    assert len({id(n) for n in order}) == len(order)


def test_topological_order_is_depth_first_first_input_first_leaves_when_first_seen():
    """The exact order pictures number their nodes by: each node right after its inputs,
    the first input's whole subgraph before the second's, a shared node once, where first met."""
    x, y, z = Value(1.0, "x"), Value(2.0, "y"), Value(3.0, "z")
    xy = x * y
    xy.label = "xy"
    xz = x + z
    xz.label = "xz"
    top = (xy + xz) * xy
    top.label = "top"
    labels = [n.label or n.op.name for n in topological_order(top)]
    assert labels == ["x", "y", "xy", "z", "xz", "add", "top"]
    assert topological_order(x) == [x]


def test_a_gradient_left_on_an_inner_node_keeps_the_passes_separate():
    x = Value(2.0)
    inner = x * 3.0
    out = inner * inner
    inner.grad = 1.0  # not from a pass of this graph: backward must not pass it down
    out.backward()
    assert x.grad == 2 * 6.0 * 3.0 and inner.grad == 1.0 + 12.0


def test_backward_steps_leave_the_same_gradients_as_backward():
    a1, b1, g1 = readme_expression()
    g1.backward()
    a2, b2, g2 = readme_expression()
    steps = list(backward_steps(g2))
    assert (a2.grad, b2.grad) == (a1.grad, b1.grad)
    assert steps[0].node is g2 and steps[0].grad == 1.0
    assert len(steps) == len(topological_order(g2))


def test_backward_steps_records_locals_and_contributions():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    steps = {s.node.label or s.node.op.name: s for s in backward_steps(f)}
    assert steps["mul"].locals == (-4.0, 3.0)
    assert steps["mul"].contributions == (-4.0, 3.0)
    assert steps["add"].grad == -4.0
    assert steps["add"].contributions == (-4.0, -4.0)
    assert steps["x"].locals == () and steps["x"].grad == -4.0


def test_backward_steps_is_lazy_until_iterated():
    x = Value(2.0)
    gen = backward_steps(x * x)
    assert x.grad == 0.0
    list(gen)
    assert x.grad == 4.0


def test_no_grad_records_nothing():
    w = Value(2.0)
    with no_grad():
        y = w * 3.0 + 1.0
    assert y.data == 7.0
    assert y.inputs == () and y.op is None
    z = w * 3.0
    assert z.inputs  # recording is back on after the block


def test_detach_stops_the_gradient():
    x = Value(3.0)
    y = x * x
    z = y.detach() * x
    z.backward()
    assert x.grad == 9.0  # only through the second factor


def build_random_graph(seed):
    rng = random.Random(seed)
    xs = [Value(rng.uniform(-1, 1)) for _ in range(5)]
    nodes = list(xs)
    ops = {
        "add": lambda a, b: a + b,
        "mul": lambda a, b: a * b * 0.5,
        "tanh": lambda a, b: a.tanh(),
        "sub": lambda a, b: a - b,
    }
    for _ in range(200):
        a, b = rng.choice(nodes), rng.choice(nodes)
        nodes.append(ops[rng.choice(sorted(ops))](a, b))
    out = sum(nodes[-20:])
    out.backward()
    return [x.grad for x in xs], [n.data for n in topological_order(out)]


def test_two_runs_give_bit_identical_results():
    assert build_random_graph(7) == build_random_graph(7)


def test_operators_accept_plain_numbers_on_either_side():
    x = Value(2.0)
    results = [x + 1, 1 + x, x - 1, 1 - x, x * 3, 3 * x, x / 4, 4 / x, x**2, 2**x, -x, +x, abs(-x)]
    assert [r.data for r in results] == [
        3.0,
        3.0,
        1.0,
        -1.0,
        6.0,
        6.0,
        0.5,
        2.0,
        4.0,
        4.0,
        -2.0,
        2.0,
        2.0,
    ]


def test_numpy_scalars_defer_to_value():
    np = pytest.importorskip("numpy")
    x = Value(2.0)
    y = np.float64(3.0) * x
    assert type(y) is Value and y.data == 6.0
    y.backward()
    assert x.grad == 3.0


def test_value_power_value_needs_a_positive_base_and_gets_both_gradients():
    x, y = Value(2.0), Value(3.0)
    z = x**y
    z.backward()
    assert z.data == 8.0
    assert x.grad == pytest.approx(12.0)
    assert y.grad == pytest.approx(8.0 * math.log(2.0))
