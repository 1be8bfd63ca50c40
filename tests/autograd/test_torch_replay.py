"""autograd.to_torch replays a graph with torch tensors: every row of the op table gives the
engine's value and gradients, one number or a batch, in random graphs with fan-out; compare_torch
leaves .grad alone and shows where the libraries pick differently at a kink."""

import sys

import numpy as np
import pytest
from hypothesis import given

from autograd import OPS, Value
from autograd.ops import Op
from autograd.torch_replay import compare_torch, to_torch, torch_ops
from autograd.value import _binary_row, _bound, _unary

from .test_ops import apply, cases
from .test_properties import inputs, program, run

TOL = dict(rtol=1e-12, atol=1e-12)


def first_point_of_each_row():
    """One case per (row, parameter): the first point in the row's domain."""
    seen = set()
    for case in cases():
        name, param, _ = case.values
        if (name, param) not in seen:
            seen.add((name, param))
            yield case


def both(root):
    """Each leaf's gradient from the engine and from torch, as two arrays, and the root's values."""
    troot, leaves = to_torch(root)
    rows = compare_torch(root)
    ours = np.concatenate([np.ravel(r.chainrule) for r in rows])
    theirs = np.concatenate([np.ravel(r.torch) for r in rows])
    return np.ravel(root.data), troot.detach().numpy().ravel(), ours, theirs


@pytest.mark.torch
def test_every_row_of_the_op_table_has_a_torch_function():
    assert set(torch_ops()) == set(OPS)


@pytest.mark.torch
@pytest.mark.parametrize("name,param,point", list(cases()))
def test_each_row_replayed_in_torch_gives_the_engines_value_and_gradients(name, param, point):
    xs = [Value(x) for x in point]
    value, replayed, ours, theirs = both(apply(name, param, xs))
    np.testing.assert_allclose(replayed, value, **TOL)
    np.testing.assert_allclose(ours, theirs, **TOL)
    assert len(ours) == len(point)


@pytest.mark.torch
@pytest.mark.parametrize("name,param,point", list(first_point_of_each_row()))
def test_each_row_replayed_on_a_batch_gives_every_examples_value_and_gradient(name, param, point):
    rng = np.random.default_rng(len(name))
    # a batch per input, around the test point, kept inside the row's domain
    batch = [Value(x + 0.05 * rng.random(5) * np.sign(x)) for x in point]
    op = OPS[name] if param is None else _bound(name, param)
    root = _binary_row(op, *batch) if op.arity == 2 else _unary(op, batch[0])  # the array row
    value, replayed, ours, theirs = both(root * Value(rng.standard_normal(5)))
    np.testing.assert_allclose(replayed, value, **TOL)
    np.testing.assert_allclose(ours, theirs, **TOL)


@pytest.mark.torch
def test_reductions_of_a_batch_replay_to_one_number():
    x = Value(np.array([0.5, -1.0, 2.0]))
    root = (x * x).mean() + x.sum().tanh()
    troot, leaves = to_torch(root)
    assert troot.ndim == 0 and list(leaves) == [x]
    _, _, ours, theirs = both(root)
    np.testing.assert_allclose(ours, theirs, **TOL)


@pytest.mark.torch
@given(program, inputs)
def test_random_graphs_with_fan_out_replay_to_the_same_gradients(prog, xs):
    root = run(prog, [Value(x) for x in xs])
    value, replayed, ours, theirs = both(root)
    np.testing.assert_allclose(replayed, value, **TOL)
    np.testing.assert_allclose(ours, theirs, **TOL)


@pytest.mark.torch
def test_a_deep_chain_of_a_thousands_nodes_replays():
    x = Value(0.3)
    y = x
    for _ in range(3000):
        y = (y * 0.999).tanh() + 0.001
    _, _, ours, theirs = both(y)
    np.testing.assert_allclose(ours, theirs, **TOL)


@pytest.mark.torch
def test_a_value_used_twice_is_one_leaf_with_both_contributions():
    a = Value(3.0)
    rows = compare_torch(a * a)
    assert [r.leaf for r in rows] == [a]
    assert rows[0].chainrule == rows[0].torch == 6.0 and rows[0].difference == 0.0


@pytest.mark.torch
def test_compare_torch_leaves_every_grad_as_it_was():
    a, b = Value(2.0), Value(-1.5)
    c = a * b + a.exp()
    a.grad, b.grad, c.grad = 10.0, 20.0, 30.0
    rows = compare_torch(c)
    assert (a.grad, b.grad, c.grad) == (10.0, 20.0, 30.0)
    fresh = Value(2.0), Value(-1.5)
    fresh_root = fresh[0] * fresh[1] + fresh[0].exp()
    fresh_root.backward()
    assert [r.chainrule for r in rows] == [v.grad for v in fresh]


@pytest.mark.torch
def test_at_a_tie_max_sends_the_gradient_to_the_first_input_and_torch_splits_it():
    a, b = Value(2.0), Value(2.0)
    rows = compare_torch(a.max(b))
    assert [(r.chainrule, r.torch, r.difference) for r in rows] == [
        (1.0, 0.5, 0.5),
        (0.0, 0.5, -0.5),
    ]
    assert max(r.largest for r in rows) == 0.5


@pytest.mark.torch
def test_a_leaf_alone_replays_to_itself_with_gradient_one():
    x = Value(4.0)
    troot, leaves = to_torch(x)
    assert leaves[x] is troot and troot.item() == 4.0
    assert [(r.chainrule, r.torch) for r in compare_torch(x)] == [(1.0, 1.0)]


@pytest.mark.torch
def test_an_op_without_a_torch_function_is_named_before_anything_runs():
    cube = Op("cube", "³", 1, lambda a, p: a**3, lambda a, p, y: (3.0 * a * a,))
    y = _unary(cube, Value(2.0)) + 1.0
    with pytest.raises(ValueError, match="to_torch: no torch function for op cube"):
        to_torch(y)


@pytest.mark.torch
def test_to_torch_refuses_what_is_not_a_value():
    with pytest.raises(TypeError, match="to_torch: expected a Value, got float"):
        to_torch(2.0)


@pytest.mark.parametrize("call", [to_torch, compare_torch, lambda v: torch_ops()])
def test_without_torch_the_error_says_how_to_install_it(call, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails
    with pytest.raises(ImportError, match=r"needs PyTorch.*pip install 'chainrule\[torch\]'"):
        call(Value(1.0))
