"""Second derivatives: the gradient graph of every op row against finite differences of the
first derivative, Hessians against closed forms, hvp against the Hessian, torch."""

import math
import random

import numpy as np
import pytest
from hypothesis import given

from autograd import OPS, Value, backward, grad, hessian, hvp, scope, topological_order
from autograd.value import _binary, _unary

from .test_forward import random_graph
from .test_ops import PARAMS as ROW_PARAMS
from .test_ops import apply, cases
from .test_properties import inputs, program, run

# The rows' parameters as test_ops tries them, and x ** 1 and x ** 0, whose second
# derivatives are the constant 0 (x ** 0 is the constant 1).
PARAMS = {**ROW_PARAMS, "pow": [*ROW_PARAMS["pow"], 1.0, 0.0]}


def second_cases():
    return cases(PARAMS)


def first_derivative(f, point):
    """The gradient of f at `point` as numbers (the ordinary, float backward)."""
    xs = [Value(x) for x in point]
    return np.array(grad(f(*xs), xs))


def fd_hessian(f, point, h=1e-5):
    """Central differences of the first derivative: column j is d(grad f)/dx_j."""
    cols = []
    for j in range(len(point)):
        up, down = list(point), list(point)
        up[j] += h
        down[j] -= h
        cols.append((first_derivative(f, up) - first_derivative(f, down)) / (2 * h))
    return np.array(cols).T


@pytest.mark.parametrize("name,param,point", list(second_cases()))
def test_second_derivatives_match_finite_differences_of_the_first(name, param, point):
    def f(*xs):
        return apply(name, param, xs)

    np.testing.assert_allclose(
        hessian(f, point), fd_hessian(f, point), rtol=1e-5, atol=1e-6, err_msg=name
    )


def test_every_row_is_tested_at_several_points():
    tested = {c.values[0] for c in second_cases()}
    assert tested == set(OPS)


@pytest.mark.parametrize(
    "name,param,point",
    [
        ("relu", None, (0.0,)),
        ("leaky_relu", 0.1, (0.0,)),
        ("abs", None, (0.0,)),
        ("step", None, (0.0,)),
        ("max", None, (1.5, 1.5)),
        ("min", None, (-0.5, -0.5)),
    ],
)
def test_kinked_rows_have_second_derivative_zero_at_the_kink(name, param, point):
    h = hessian(lambda *xs: apply(name, param, xs), point)
    assert np.array_equal(h, np.zeros((len(point), len(point))))


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_elu_at_zero_takes_the_second_derivative_of_the_branch_its_row_picks(alpha):
    assert hessian(lambda x: x.elu(alpha), [0.0])[0, 0] == alpha  # alpha·exp(0), from a <= 0
    assert hessian(lambda x: x.elu(alpha), [1e-3])[0, 0] == 0.0


@pytest.mark.parametrize("x", [-6.0, -2.3, -0.7, 0.0, 0.4, 1.9, 6.0])
def test_gelu_second_derivative_is_its_closed_form(x):
    # gelu = x·Φ(x), gelu' = Φ + x·φ, gelu'' = 2φ + x·φ' = (2 - x²)·φ, as φ' = -x·φ.
    phi = math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    v = Value(x)
    slope = grad(v.gelu(), v, create_graph=True)
    assert slope.data == pytest.approx(0.5 * math.erfc(-x / math.sqrt(2)) + x * phi, rel=1e-14)
    assert grad(slope, v) == pytest.approx((2 - x * x) * phi, rel=1e-13, abs=1e-300)
    assert "normal_cdf" in {n.op.name for n in topological_order(slope) if n.op}  # Φ's own row


@pytest.mark.parametrize("x", [-2.0, -0.5, 0.0, 1.0, 3.0])
def test_second_derivative_of_x_cubed_is_6x(x):
    v = Value(x)
    dy = grad(v**3, v, create_graph=True)
    assert type(dy) is Value and dy.data == pytest.approx(3 * x * x)
    assert grad(dy, v) == pytest.approx(6 * x)
    assert grad(grad(dy, v, create_graph=True), v) == pytest.approx(6.0)  # and a third


def rosenbrock(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


@pytest.mark.parametrize("x,y", [(1.0, 1.0), (-1.2, 1.0), (0.3, -0.8), (2.0, 3.5)])
def test_hessian_of_rosenbrock_is_its_closed_form(x, y):
    expected = [[1200 * x * x - 400 * y + 2, -400 * x], [-400 * x, 200.0]]
    np.testing.assert_allclose(hessian(rosenbrock, [x, y]), expected, rtol=1e-12)


def quadratic(A, b):
    n = len(b)

    def f(*xs):
        out = 0.0
        for i in range(n):
            out = out + b[i] * xs[i]
            for j in range(n):
                out = out + 0.5 * A[i, j] * xs[i] * xs[j]
        return out

    return f


@pytest.mark.parametrize("seed", range(5))
def test_hessian_of_a_random_quadratic_is_the_symmetric_part_of_A(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 6))
    A, b, x = rng.normal(size=(n, n)), rng.normal(size=n), rng.normal(size=n)
    f = quadratic(A, b)
    np.testing.assert_allclose(hessian(f, x), (A + A.T) / 2, rtol=1e-12, atol=1e-12)
    xs = [Value(v) for v in x]
    np.testing.assert_allclose(grad(f(*xs), xs), 0.5 * (A + A.T) @ x + b, rtol=1e-12)


def network(*w):
    """A 2-3-1 tanh network's squared error on two examples, weights as one flat list."""
    data = [((0.5, -1.0), 0.3), ((-0.2, 0.8), -0.6)]
    loss = 0.0
    for (x1, x2), target in data:
        hidden = [(w[3 * k] * x1 + w[3 * k + 1] * x2 + w[3 * k + 2]).tanh() for k in range(3)]
        out = w[9] * hidden[0] + w[10] * hidden[1] + w[11] * hidden[2] + w[12]
        loss = loss + (out - target) ** 2
    return loss


WEIGHTS = [random.Random(4).uniform(-1, 1) for _ in range(13)]


def test_grad_of_grad_of_a_small_network_matches_finite_differences():
    h = hessian(network, WEIGHTS)
    np.testing.assert_allclose(h, fd_hessian(network, WEIGHTS), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(h, h.T, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("f,point", [(rosenbrock, [-1.2, 1.0]), (network, WEIGHTS)])
def test_hvp_is_the_hessian_times_v(f, point):
    v = np.random.default_rng(1).normal(size=len(point))
    np.testing.assert_allclose(hvp(f, point, v), hessian(f, point) @ v, rtol=1e-10, atol=1e-12)


def test_grad_gives_backwards_numbers_and_leaves_grad_alone():
    xs = [Value(w) for w in WEIGHTS]
    loss = network(*xs)
    numbers = grad(loss, xs)
    assert all(x.grad == 0.0 for x in xs)
    backward(loss)
    assert list(numbers) == pytest.approx([x.grad for x in xs], rel=1e-12)
    graphs = grad(loss, xs, create_graph=True)
    assert [g.data for g in graphs] == pytest.approx(list(numbers), rel=1e-12)


def test_an_input_the_root_does_not_depend_on_gets_zero():
    x, y = Value(2.0), Value(5.0)
    assert grad(x * x, [x, y]) == (4.0, 0.0)
    assert grad(grad(x * 3.0, x, create_graph=True), x) == 0.0  # a constant gradient


@pytest.mark.torch
def test_torch_create_graph_gives_the_same_numbers():
    torch = pytest.importorskip("torch")

    def both(f, point):
        w = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(f(*w), w, create_graph=True)
        rows = [torch.autograd.grad(g[i], w, retain_graph=True)[0] for i in range(len(point))]
        return hessian(f, point), torch.stack(rows).numpy()

    def mixed(x, y):  # exp, log, sigmoid, tanh, division and powers in one function
        return (x * y).exp() / (1.0 + y * y) + (x * x + 1.0).log() * y.sigmoid() + x.tanh() ** 3

    for f, point in [(rosenbrock, [-1.2, 1.0]), (network, WEIGHTS), (mixed, [0.3, -0.7])]:
        ours, theirs = both(f, point)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


# Each row written with torch's own functions: (a, b, p, torch, torch.nn.functional) -> tensor.
TORCH_ROWS = {
    "add": lambda a, b, p, t, F: a + b,
    "sub": lambda a, b, p, t, F: a - b,
    "mul": lambda a, b, p, t, F: a * b,
    "div": lambda a, b, p, t, F: a / b,
    "powv": lambda a, b, p, t, F: a**b,
    "max": lambda a, b, p, t, F: t.maximum(a, b),  # the cases have no ties: torch splits one
    "min": lambda a, b, p, t, F: t.minimum(a, b),
    "neg": lambda a, b, p, t, F: -a,
    "pow": lambda a, b, p, t, F: a**p,
    "exp": lambda a, b, p, t, F: a.exp(),
    "log": lambda a, b, p, t, F: a.log(),
    "tanh": lambda a, b, p, t, F: a.tanh(),
    "sigmoid": lambda a, b, p, t, F: a.sigmoid(),
    "relu": lambda a, b, p, t, F: a.relu(),
    "leaky_relu": lambda a, b, p, t, F: F.leaky_relu(a, p),
    "elu": lambda a, b, p, t, F: F.elu(a, p),
    "normal_cdf": lambda a, b, p, t, F: t.special.ndtr(a),
    "gelu": lambda a, b, p, t, F: F.gelu(a),  # the exact one, x·Φ(x)
    "swish": lambda a, b, p, t, F: a * (p * a).sigmoid(),
    "softplus": lambda a, b, p, t, F: F.softplus(a),
    "abs": lambda a, b, p, t, F: a.abs(),
    "step": lambda a, b, p, t, F: (a >= 0).to(a.dtype) + 0.0 * a,  # heaviside has no gradient
    "sum": lambda a, b, p, t, F: a.sum(),
    "mean": lambda a, b, p, t, F: a.mean(),
}


def test_the_torch_comparison_writes_every_row():
    assert set(TORCH_ROWS) == set(OPS)


def torch_hessian(f, point):
    """torch's Hessian of f at `point`: grad with create_graph=True, then grad of each entry."""
    import torch

    w = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(f(*w), w, create_graph=True)
    rows = [
        torch.autograd.grad(g[i], w, retain_graph=True, allow_unused=True, materialize_grads=True)[
            0
        ]
        if g[i].requires_grad
        else torch.zeros_like(w)  # a gradient that is a constant: torch built no graph for it
        for i in range(len(point))
    ]
    return torch.stack(rows).detach().numpy()


@pytest.mark.torch
@pytest.mark.parametrize("name,param,point", list(second_cases()))
def test_every_row_second_derivative_matches_torch_create_graph(name, param, point):
    torch = pytest.importorskip("torch")
    row = TORCH_ROWS[name]
    ours = hessian(lambda *xs: apply(name, param, xs), point)
    theirs = torch_hessian(lambda *xs: row(xs[0], xs[-1], param, torch, torch.nn.functional), point)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13, err_msg=name)


def test_bad_input_names_the_function_and_the_value():
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"grad: root must be a Value, got float 2\.0"):
        grad(2.0, x)
    with pytest.raises(TypeError, match=r"grad: each input must be a Value, got float 1\.5"):
        grad(x * x, [x, 1.5])
    with pytest.raises(TypeError, match=r"grad: every node must hold one number, got a batch"):
        grad((x * Value(np.array([1.0, 2.0]))).sum(), x)
    with pytest.raises(ValueError, match="hessian: inputs must not be empty"):
        hessian(rosenbrock, [])
    with pytest.raises(TypeError, match=r"hessian: expected a real number or Value, got str 'a'"):
        hessian(rosenbrock, [1.0, "a"])
    with pytest.raises(TypeError, match=r"hessian: f must return a Value .*got 3\.0"):
        hessian(lambda x: 3.0, [1.0])
    with pytest.raises(ValueError, match="hvp: v has 1 numbers, inputs have 2"):
        hvp(rosenbrock, [1.0, 1.0], [1.0])
    z = Value(0.0)  # the float slope of z ** 0.5 at 0 is inf; its Value graph needs 0 ** -0.5
    with pytest.raises(ZeroDivisionError, match=r"through pow\(0\.0, 0\.5\)"):
        grad(z**0.5, z, create_graph=True)
    assert math.isinf(grad(z**0.5, z))


# The gradient graph, named so that a picture of it reads as the backward pass.
def cubic():
    """f = x³ - 2x + 1 at x = 2, each step labelled: f' = 3x² - 2 = 10, f'' = 6x = 12."""
    x = Value(2.0, "x")
    a = x**3
    b = 2.0 * x
    d = a - b
    f = d + 1.0
    for node, name in [(a, "a"), (b, "b"), (d, "d"), (f, "f")]:
        node.label = name
    return x, f


def sum_times():
    """f = (x + y)·z at (-2, 5, -4), as the worked examples have it."""
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return x, y, z, q, f


def by_label(root):
    """The labelled nodes of root's graph, by label (each label once in these graphs)."""
    nodes = [n for n in topological_order(root) if n.label]
    assert len({n.label for n in nodes}) == len(nodes)
    return {n.label: n for n in nodes}


def test_the_gradient_of_each_labelled_node_is_named_after_it():
    x, y, z, q, f = sum_times()
    gx, gy, gz = grad(f, [x, y, z], create_graph=True)
    assert [g.label for g in (gx, gy, gz)] == ["∂f/∂x", "∂f/∂y", "∂f/∂z"]
    named = by_label(gx)
    assert set(named) == {"∂f/∂x", "∂f/∂q", "∂f/∂f", "z"}
    assert named["∂f/∂f"].data == 1.0 and named["∂f/∂f"].op is None  # the seed, a leaf
    assert named["∂f/∂q"].data == z.data  # ∂f/∂q = z · ∂f/∂f
    assert named["∂f/∂q"].inputs == (z, named["∂f/∂f"])  # local times upstream
    assert (x.label, y.label, z.label, q.label, f.label) == ("x", "y", "z", "q", "f")
    assert gz.data == q.data == 3.0 and "∂f/∂q" not in by_label(gz)  # z's path skips q


def test_the_backward_pass_sits_in_the_scope_nabla_f_and_the_forward_pass_keeps_its_own():
    x, f = cubic()
    forward = set(topological_order(f))
    g = grad(f, x, create_graph=True)
    made = [n for n in topological_order(g) if n not in forward]
    assert made and {n.scope for n in made} == {"∇f"}
    assert {n.scope for n in forward} == {""}
    assert by_label(g).keys() == {"x", "∂f/∂x", "∂f/∂a", "∂f/∂b", "∂f/∂d", "∂f/∂f"}


def test_backprop_through_the_gradient_graph_gives_the_second_derivative():
    x, f = cubic()
    g = grad(f, x, create_graph=True)
    assert g.data == 10.0  # 3·2² - 2
    backward(g)
    assert x.grad == 12.0  # 6·2
    x, y, z, q, f = sum_times()
    gx, gy, gz = grad(f, [x, y, z], create_graph=True)
    backward(gx)  # ∂f/∂x = z: its gradient is 1 by z, 0 by x and y
    assert (x.grad, y.grad, z.grad) == (0.0, 0.0, 1.0)
    assert by_label(gx)["∂f/∂f"].grad == gx.data  # ∂f/∂x is linear in the seed


@pytest.mark.parametrize("f,point", [(rosenbrock, [-1.2, 1.0]), (network, WEIGHTS)])
def test_labelled_gradient_graphs_give_the_float_sweeps_numbers(f, point):
    xs = [Value(v, f"w{i}") for i, v in enumerate(point)]
    root = f(*xs)
    graphs = grad(root, xs, create_graph=True)
    assert [g.data for g in graphs] == pytest.approx(list(grad(root, xs)), rel=1e-14, abs=1e-15)
    assert [g.label for g in graphs] == [f"∂f/∂w{i}" for i in range(len(xs))]  # f: no label
    h = np.array([grad(g, xs) for g in graphs])
    np.testing.assert_allclose(h, hessian(f, point), rtol=1e-14, atol=1e-14)
    v = np.random.default_rng(2).normal(size=len(point))
    np.testing.assert_allclose(h @ v, hvp(f, point, v), rtol=1e-10, atol=1e-12)


def test_names_in_brackets_scopes_nested_and_unlabelled_inputs_left_alone():
    x, u = Value(1.5, "x"), Value(0.5)
    y = Value(4.0, "y")  # the root does not depend on it: its gradient is a named 0
    with scope("model"):
        loss = (x * u).tanh()
        loss.label = "loss total"
        gx, gu, gy = grad(loss, [x, u, y], create_graph=True)
    assert (gx.label, gu.label, gy.label) == ("∂(loss total)/∂x", "", "∂(loss total)/∂y")
    assert gy.data == 0.0 and gx.scope == gy.scope == "model.∇(loss total)"
    dotted = x * x
    dotted.label = "layer1.out"  # a dot would make nested frames: the scope has none
    assert grad(dotted, x, create_graph=True).scope == "∇layer1·out"


def test_a_third_derivative_names_the_gradient_of_a_gradient():
    x, f = cubic()
    g = grad(f, x, create_graph=True)
    g2 = grad(g, x, create_graph=True)
    assert (g2.label, g2.scope, g2.data) == ("∂(∂f/∂x)/∂x", "∇(∂f/∂x)", 12.0)
    assert grad(g2, x) == 6.0


# Random graphs: every row composed with every other, fan-out everywhere.
def replay(root, xs, at, apply_op):
    """root's graph again with the inputs xs at the numbers (or tensors) `at`, each op by
    apply_op(op, args); other leaves are constants."""
    made = dict(zip(xs, at))
    for node in topological_order(root):
        if node not in made:
            args = [made[i] for i in node.inputs]
            made[node] = apply_op(node.op, args) if node.op else node.data
    return made[root]


def value_op(op, args):
    args = [a if type(a) is Value else Value(a) for a in args]
    return _binary(op, *args) if op.arity == 2 else _unary(op, args[0])


@pytest.mark.parametrize("seed", range(12))
def test_hessians_of_random_graphs_over_every_row_match_finite_differences(seed):
    xs, root = random_graph(seed)
    point = [x.data for x in xs]

    def f(*vs):
        return replay(root, xs, vs, value_op)

    h = hessian(f, point)
    np.testing.assert_allclose(h, fd_hessian(f, point), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(h, h.T, rtol=1e-10, atol=1e-10)


@given(program, inputs)
def test_hessians_of_random_programs_are_symmetric_and_match_finite_differences(prog, values):
    def f(*vs):
        return run(prog, vs)

    h = hessian(f, values)
    scale = 1.0 + np.abs(h).max()
    np.testing.assert_allclose(h, h.T, rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(h, fd_hessian(f, values), rtol=1e-3, atol=1e-4 * scale)


@pytest.mark.torch
@pytest.mark.parametrize("seed", range(12))
def test_hessians_of_random_graphs_match_torch_create_graph(seed):
    torch = pytest.importorskip("torch")
    xs, root = random_graph(seed)

    def torch_op(op, args):
        a = args[0] if torch.is_tensor(args[0]) else torch.tensor(args[0], dtype=torch.float64)
        b = args[-1] if torch.is_tensor(args[-1]) else torch.tensor(args[-1], dtype=torch.float64)
        return TORCH_ROWS[op.name](a, b, op.param, torch, torch.nn.functional)

    ours = hessian(lambda *vs: replay(root, xs, vs, value_op), [x.data for x in xs])
    theirs = torch_hessian(lambda *ws: replay(root, xs, ws, torch_op), [x.data for x in xs])
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
