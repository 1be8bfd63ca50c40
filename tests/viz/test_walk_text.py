"""The walk's words (what the player and the frames print): one notation, the local rule on
every used edge, quiz hints that never give the answer, scoped names, one example of a batch.
Needs dot (the walk lays out its picture)."""

import re

import numpy as np
import pytest

from autograd import Value
from demos.lesson02_chain_rule import build  # f = (x + y) z at (-2, 5, -4)
from demos.lesson06_xor import graph_of
from nn.layers import MLP
from viz.walk import make_walk

pytestmark = pytest.mark.render


def backward(walk):
    return [step for step in walk.steps if step["phase"] == "backward"]


def test_each_use_carries_the_local_rule_with_its_number():
    walk = make_walk(build(), "test")
    z = next(s for s in backward(walk) if s["heading"] == "Gradient of z")
    assert z["uses"] == [
        ["via f = q * z", "local ∂(q * z)/∂z = q = 3", "∂f/∂f · ∂(q * z)/∂z = 1 · 3 = 3"]
    ]
    assert z["lines"] == ["∂f/∂z = ∂f/∂f · ∂(q * z)/∂z"] and z["answer"] == ["= 1 · 3", "= 3"]
    assert z["ask"] == "∂f/∂z"


def test_every_backward_step_has_hints_gentlest_first_without_the_answer():
    x = Value(1.0, "x")
    swish = x * x.sigmoid()
    swish.label = "swish"
    for root in (build(), swish, graph_of(MLP(2, [3, 1], activation="tanh", rng=1))):
        walk = make_walk(root, "test")
        for step in backward(walk):
            hints = step["hints"]
            assert hints and all(isinstance(h, str) and h for h in hints)
            answer = f"{step['ask']} = {walk.story.num(walk.story.grads[step['node']])}"
            assert not any(answer in h for h in hints), (answer, hints)
            if step["uses"]:
                assert "local rule" in hints[0] and "Upstream" in hints[1]
    hints = next(s for s in backward(make_walk(swish, "test")) if s["ask"] == "∂swish/∂x")["hints"]
    assert hints[0] == (
        "∂swish/∂x = ∂swish/∂swish · ∂(x * v1)/∂x + ∂swish/∂v1 · ∂σ(x)/∂x, where the local "
        "rule says ∂(x * v1)/∂x = v1; ∂σ(x)/∂x = σ(x)·(1 - σ(x))."
    )
    assert hints[1] == (
        "Upstream (already found): ∂swish/∂swish = 1, ∂swish/∂v1 = 1. "
        "x is used 2 times: add the products."
    )


def test_a_network_walk_names_every_weight_with_its_scope():
    walk = make_walk(graph_of(MLP(2, [3, 1], activation="tanh", rng=1)), "test")
    headings = [s["heading"] for s in backward(walk)]
    assert "Gradient of b" not in headings and "Gradient of w0" not in headings
    assert "Gradient of layer1.neuron2.w0" in headings
    assert len(set(headings)) == len(headings)
    assert not re.search(r"\bv\d+", walk.title)  # never "p(class 1) = σ(v46)"


def test_a_batch_walk_tells_one_example_and_sums_the_weight_honestly():
    w, x = Value(0.5, "w"), Value(np.array([1.0, 2.0, 3.0]), "x")
    loss = ((w * x - 1.0) ** 2).mean()
    loss.label = "L"
    walk = make_walk(loss, "test", params=[w], example=0)
    loss.backward()
    step = next(s for s in backward(walk) if s["heading"] == "Gradient of w")
    assert step["grad"] == pytest.approx(w.grad)
    assert step["lines"] == ["∂L/∂w = Σ over the 3 examples of ∂L/∂v2 · ∂(w * x)/∂w"]
    (use,) = step["uses"]
    assert use[2].startswith("example 0 contributes ") and use[2].endswith(
        f"all 3 examples add {w.grad:.4g}"
    )
    assert "told for example 0" in backward(walk)[0]["note"]
    # The player and frames tell example 0 unless told otherwise; the mean has no equation.
    assert backward(make_walk(loss, "test"))[0]["note"] == backward(walk)[0]["note"]


def test_a_scope_is_named_only_where_a_label_repeats():
    from demos.lesson09_moons import graph_of as moons_graph

    walk = make_walk(moons_graph(MLP(2, [16, 16, 1], rng=1337), (0.5, -0.3)), "test")
    headings = {s["heading"] for s in backward(walk)}
    assert "Gradient of score" in headings  # the one score: no scope in front of it
    assert "Gradient of layer2.neuron16.w3" in headings  # one of many a w3
