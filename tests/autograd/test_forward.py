"""Forward mode: tangents pushed from inputs to output agree with backprop's gradients."""

import math
import random
import re

import numpy as np
import pytest
from hypothesis import given

from autograd import (
    OPS,
    Value,
    forward_derivative,
    forward_steps,
    jvp,
    mode_costs,
    topological_order,
)

from .test_ops import PARAMS, apply
from .test_properties import inputs, program, run


def agree(forward, reverse):
    """Equal to 1e-12 relative (or both the same NaN / infinity)."""
    if math.isnan(reverse):
        return math.isnan(forward)
    return forward == reverse or math.isclose(forward, reverse, rel_tol=1e-12, abs_tol=1e-300)


def random_graph(seed, n_inputs=4, n_nodes=60):
    """A random graph over every scalar op row (parameters as test_ops picks them), values kept
    small; every node made reaches the root, so fan-out is everywhere."""
    rng = random.Random(seed)
    xs = [Value(rng.uniform(-1.5, 1.5), f"x{i}") for i in range(n_inputs)]
    nodes = list(xs)
    rows = sorted(set(OPS) - {"sum", "mean"})  # the reductions are for batches
    while len(nodes) < n_inputs + n_nodes:
        name = rng.choice(rows)
        param = rng.choice(PARAMS.get(name, [None]))
        args = [rng.choice(nodes) for _ in range(OPS[name].arity)]
        try:
            out = apply(name, param, args)
        except (ValueError, ZeroDivisionError):  # outside the row's domain: pick again
            continue
        if abs(out.data) < 10.0:
            nodes.append(out)
    root = nodes[-1]
    for n in nodes[n_inputs:-1]:
        root = root + n * 0.5
    return xs, root


def f_equals_x_plus_y_times_z():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    return x, y, z, q, q * z


@pytest.mark.parametrize("seed", range(25))
def test_forward_derivative_of_each_input_equals_its_backprop_gradient(seed):
    xs, root = random_graph(seed)
    root.backward()
    for x in xs:
        assert agree(forward_derivative(root, x).root, x.grad), (seed, x.label)


@given(program, inputs)
def test_on_random_programs_forward_and_reverse_mode_agree_for_every_input(prog, values):
    xs = [Value(v) for v in values]
    root = run(prog, xs)
    root.backward()
    for x in xs:
        assert agree(forward_derivative(root, x).root, x.grad)


@pytest.mark.parametrize("seed", range(10))
def test_a_general_direction_gives_the_gradient_dotted_with_it(seed):
    xs, root = random_graph(seed)
    root.backward()
    direction = [random.Random(seed).uniform(-2.0, 2.0) for _ in xs]
    expected = math.fsum(x.grad * v for x, v in zip(xs, direction))
    assert math.isclose(jvp(root, xs, direction).root, expected, rel_tol=1e-12)


def test_f_equals_x_plus_y_times_z_by_hand():
    x, y, z, q, f = f_equals_x_plus_y_times_z()
    # q = x + y = 3, f = q·z = -12: ḟ = z·q̇ + q·ż, q̇ = ẋ + ẏ.
    for wrt, f_dot, q_dot in [(x, -4.0, 1.0), (y, -4.0, 1.0), (z, 3.0, 0.0)]:
        t = forward_derivative(f, wrt)
        assert (t.root, t.of(f), t.of(q), t.of(wrt)) == (f_dot, f_dot, q_dot, 1.0)
    t = jvp(f, [x, y, z], [1.0, 2.0, 0.5])  # q̇ = 3, ḟ = -4·3 + 3·0.5
    assert (t.of(q), t.root) == (3.0, -10.5)


def test_forward_steps_show_each_node_its_inputs_tangents_locals_and_products():
    x, y, z, q, f = f_equals_x_plus_y_times_z()
    steps = list(forward_steps(f, x))
    assert [s.node for s in steps] == topological_order(f)
    by_node = {s.node: s for s in steps}
    assert [by_node[v].tangent for v in (x, y, z)] == [1.0, 0.0, 0.0]
    assert by_node[x].inputs == () and by_node[x].products == ()
    sq = by_node[q]  # q̇ = 1·ẋ + 1·ẏ
    assert (sq.inputs, sq.input_tangents, sq.locals, sq.products, sq.tangent) == (
        (x, y),
        (1.0, 0.0),
        (1.0, 1.0),
        (1.0, 0.0),
        1.0,
    )
    sf = by_node[f]  # ḟ = z·q̇ + q·ż
    assert (sf.inputs, sf.input_tangents, sf.locals, sf.products, sf.tangent) == (
        (q, z),
        (1.0, 0.0),
        (-4.0, 3.0),
        (-4.0, 0.0),
        -4.0,
    )


@pytest.mark.parametrize("seed", range(5))
def test_steps_give_the_same_tangent_as_jvp_at_every_node(seed):
    xs, root = random_graph(seed)
    t = forward_derivative(root, xs[1])
    for step in forward_steps(root, xs[1]):
        assert step.tangent == t.of(step.node)
        if step.inputs:
            assert step.tangent == sum(step.products)


def test_a_times_a_counts_both_slots():
    a = Value(3.0)
    assert forward_derivative(a * a, a).root == 6.0
    assert forward_derivative(a * a * a, a).root == 27.0


def test_forward_mode_reads_and_writes_no_gradient():
    x, y, z, q, f = f_equals_x_plus_y_times_z()
    q.grad = 7.0  # left over from something else: forward mode neither uses nor changes it
    forward_derivative(f, x)
    assert [v.grad for v in (x, y, z, q, f)] == [0.0, 0.0, 0.0, 7.0, 0.0]


def test_an_input_the_root_does_not_use_moves_alone():
    x, y, z, q, f = f_equals_x_plus_y_times_z()
    unused = Value(1.0)
    t = jvp(f, [unused], [2.0])
    assert (t.root, t.of(q), t.of(unused)) == (0.0, 0.0, 2.0)


def test_a_hundred_thousand_node_chain_runs_forward_without_recursion_error():
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    assert forward_derivative(y, x).root == 1.0


# Batches: one number per example.

XS = np.array([-1.7, -0.4, 0.3, 1.2, 2.1])


def batch_loss(w, x):
    return ((w * x + 0.5).tanh() * x).mean()


def test_a_weight_shared_by_a_batch_gets_backprops_gradient():
    w, x = Value(0.8), Value(XS)
    loss = batch_loss(w, x)
    loss.backward()
    assert math.isclose(forward_derivative(loss, w).root, w.grad, rel_tol=1e-12)


def test_a_batch_nodes_tangent_is_each_examples_own_tangent():
    w, x = Value(0.8), Value(XS)
    inner = (w * x + 0.5).tanh()
    loss = (inner * x).mean()
    t = forward_derivative(loss, w)
    for i, xi in enumerate(XS):
        w1 = Value(0.8)
        one = (w1 * float(xi) + 0.5).tanh()
        assert t.of(inner)[i] == pytest.approx(forward_derivative(one, w1).root, rel=1e-12)
    assert type(t.of(x)) is np.ndarray and (t.of(x) == 0.0).all()


def test_a_batch_input_takes_one_tangent_per_example_or_one_for_all():
    w, x = Value(0.8), Value(XS)
    loss = batch_loss(w, x)
    loss.backward()
    v = np.array([0.5, -1.0, 2.0, 0.0, 1.5])
    assert math.isclose(jvp(loss, [x], [v]).root, float(x.grad.dot(v)), rel_tol=1e-12)
    # Tangent 1 moves every example together: the sum of the per-example gradients.
    assert math.isclose(forward_derivative(loss, x).root, float(x.grad.sum()), rel_tol=1e-12)


def test_sum_and_mean_add_up_every_examples_tangent():
    x = Value(XS)
    v = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert jvp(x.sum(), [x], [v]).root == 15.0
    assert jvp(x.mean(), [x], [v]).root == 3.0


# Kinks: the op table's conventions, the same as backprop's.


@pytest.mark.parametrize(
    "make,expected",
    [
        (lambda x: x.relu(), 0.0),  # relu'(0) = 0
        (lambda x: abs(x), 0.0),  # abs'(0) = 0
        (lambda x: x.leaky_relu(0.1), 0.1),  # leaky_relu'(0) = alpha
        (lambda x: x.step(), 0.0),  # step' = 0 everywhere
        (lambda x: x.max(Value(0.0)), 1.0),  # a tie goes to the first input
        (lambda x: Value(0.0).min(x), 0.0),  # ... so none to the second
    ],
)
def test_kinks_at_zero_follow_the_op_tables_conventions(make, expected):
    x = Value(0.0)
    out = make(x)
    out.backward()
    assert forward_derivative(out, x).root == expected == x.grad


# Costs: n inputs and one output.


def test_mode_costs_of_x_plus_y_times_z():
    x, y, z, q, f = f_equals_x_plus_y_times_z()
    c = mode_costs(f, [x, y, z])
    assert (c.inputs, c.outputs, c.edges) == (3, 1, 4)  # q has 2 inputs, f has 2
    assert (c.forward_passes, c.forward_multiplications) == (3, 12)
    assert (c.reverse_passes, c.reverse_multiplications) == (1, 4)


def test_mode_costs_of_a_three_input_neuron():
    xs = [Value(v) for v in (1.0, -2.0, 0.5)]
    ws = [Value(v) for v in (0.3, 0.1, -0.4)]
    out = (xs[0] * ws[0] + xs[1] * ws[1] + xs[2] * ws[2] + Value(0.2)).tanh()
    c = mode_costs(out, xs)
    assert c.edges == 13  # 3 products (2 each), 3 sums (2 each), tanh (1)
    assert (c.forward_passes, c.forward_multiplications) == (3, 39)
    assert (c.reverse_passes, c.reverse_multiplications) == (1, 13)


@pytest.mark.parametrize("seed", range(3))
def test_a_pass_forms_as_many_products_as_mode_costs_counts(seed):
    xs, root = random_graph(seed)
    products = sum(len(step.products) for step in forward_steps(root, xs[0]))
    assert mode_costs(root, xs).edges == products


# Bad input: a clear error naming the function and the value, before any work.


def test_a_tangent_for_a_node_that_is_not_a_leaf_is_refused():
    x, y, z, q, f = f_equals_x_plus_y_times_z()
    with pytest.raises(ValueError, match=r"jvp: a tangent goes on a leaf.*Value\(data=3\.0.*add"):
        jvp(f, [q], [1.0])
    with pytest.raises(ValueError, match=r"^jvp: .*Value\(data=3\.0"):
        forward_derivative(f, q)
    with pytest.raises(ValueError, match=r"^mode_costs: .*Value\(data=3\.0"):
        mode_costs(f, [x, q])


def test_forward_steps_refuses_bad_input_when_called_not_when_iterated():
    x, y, z, q, f = f_equals_x_plus_y_times_z()
    with pytest.raises(ValueError, match=r"^forward_steps: .*Value\(data=3\.0"):
        forward_steps(f, q)  # never iterated


def test_one_tangent_per_input():
    x, y, z, q, f = f_equals_x_plus_y_times_z()
    with pytest.raises(ValueError, match=r"^jvp: 2 inputs but 1 tangents"):
        jvp(f, [x, y], [1.0])
    with pytest.raises(ValueError, match=r"^jvp: Value\(data=-2\.0.* is listed twice"):
        jvp(f, [x, x], [1.0, 1.0])
    with pytest.raises(TypeError, match=r"^jvp: inputs must be a list of Values, got Value"):
        jvp(f, x, [1.0])
    with pytest.raises(TypeError, match=r"^jvp: tangents must be a list .* got float 1\.0"):
        jvp(f, [x], 1.0)
    with pytest.raises(TypeError, match=r"^jvp: expected a Value as the root, got float"):
        jvp(3.0, [x], [1.0])


@pytest.mark.parametrize(
    "bad,kind,shown",
    [
        ("1", TypeError, "str '1'"),
        (None, TypeError, "NoneType None"),
        (True, TypeError, "bool True"),
        (math.nan, ValueError, "finite, got nan"),
        (np.ones(3), TypeError, "one number, got an array of 3"),
    ],
)
def test_a_tangent_must_be_one_finite_number(bad, kind, shown):
    x, y, z, q, f = f_equals_x_plus_y_times_z()
    with pytest.raises(kind, match=r"^jvp: the tangent for Value\(data=-2\.0.*label='x'\)"):
        jvp(f, [x], [bad])
    with pytest.raises(kind, match=re.escape(shown)):
        jvp(f, [x], [bad])


def test_a_batch_tangent_needs_one_number_per_example():
    x = Value(XS)
    with pytest.raises(ValueError, match=r"^jvp: .*must be 5 real numbers .* got shape \(2,\)"):
        jvp(x.sum(), [x], [np.ones(2)])


def test_asking_for_a_node_outside_the_graph_is_an_error():
    x, y, z, q, f = f_equals_x_plus_y_times_z()
    t = forward_derivative(q, x)
    with pytest.raises(ValueError, match=r"jvp: Value\(data=-12\.0.* is not in the graph"):
        t.of(f)
