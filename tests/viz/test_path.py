"""The path view: paths from a node to the root, their products and sum, against backprop,
finite differences and the two-layer formulas worked by hand (WORKED_EXAMPLES)."""

import html
import math
import random
import re

import numpy as np
import pytest

import nn
import viz
from autograd import Value, numerical_grad
from demos.lesson03_part_lifetime import B1, B2, W1, W2, X, forward, loss_of, make_parameters
from viz.format import fmt


def part_lifetime():
    """The 2-2-1 sigmoid network at the article's parameters, after backward()."""
    params = make_parameters()
    y, _ = forward(params)
    loss = loss_of(y)
    loss.backward()
    return loss, params


def sigmoid(u):
    return 1.0 / (1.0 + math.exp(-u))


def by_hand():
    """The forward pass in plain floats, as the article writes it."""
    u0 = X[0] * W1[0][0] + X[1] * W1[1][0] + B1[0]
    u1 = X[0] * W1[0][1] + X[1] * W1[1][1] + B1[1]
    h0, h1 = sigmoid(u0), sigmoid(u1)
    y = sigmoid(h0 * W2[0] + h1 * W2[1] + B2)
    return h0, y


def test_w2_00_has_one_path_whose_product_is_the_output_layer_formula():
    loss, (w1, b1, w2, b2) = part_lifetime()
    h0, y = by_hand()
    found = viz.find_paths(loss, w2[0])
    assert len(found) == 1
    # dLoss/dw2_00 = dLoss/dg(u2) . dg/du2 . du2/dw2_00 = 2(y - 1) . y(1 - y) . h0
    formula = 2 * (y - 1) * y * (1 - y) * h0
    assert found.paths[0].product == pytest.approx(formula, rel=1e-12)
    assert found.total == pytest.approx(w2[0].grad, rel=1e-12)
    assert found.paths[0].nodes[0] is loss and found.paths[0].nodes[-1] is w2[0]


def test_w1_00_path_product_is_the_hidden_layer_formula_and_the_finite_difference():
    loss, (w1, b1, w2, b2) = part_lifetime()
    h0, y = by_hand()
    found = viz.find_paths(loss, "w1_00")  # a label finds the node too
    assert found.node is w1[0][0] and len(found) == 1
    # dLoss/dw1_00 = 2(y - 1) . y(1 - y) . w2_00 . h0(1 - h0) . x0
    formula = 2 * (y - 1) * y * (1 - y) * W2[0] * h0 * (1 - h0) * X[0]
    path = found.paths[0]
    assert path.product == pytest.approx(formula, rel=1e-12)
    assert found.total == pytest.approx(w1[0][0].grad, rel=1e-12)
    # The same factors, the ones that are not 1 (the sums' local derivatives), root first:
    nontrivial = [d for d in path.locals if d != 1.0]
    expected = [2 * (y - 1), y * (1 - y), W2[0], h0 * (1 - h0), X[0]]
    assert nontrivial == pytest.approx(expected, rel=1e-12)

    def loss_at(w):
        params = make_parameters()
        params[0][0][0] = w
        return loss_of(forward(params)[0])

    (numeric,) = numerical_grad(loss_at, [W1[0][0]])
    assert found.total == pytest.approx(numeric, rel=1e-6)


def test_a_value_used_twice_has_two_paths_summing_to_its_grad():
    a, b = Value(3.0, "a"), Value(2.0, "b")
    d = a * b + a
    d.backward()
    found = viz.find_paths(d, a)
    assert [p.locals for p in found] == [[1.0, 2.0], [1.0]]  # via a*b, then directly
    assert [p.product for p in found] == [2.0, 1.0]
    assert found.total == a.grad == 3.0


def test_a_times_a_counts_both_edges_as_separate_paths():
    a = Value(-1.5, "a")
    y = a * a
    y.backward()
    found = viz.find_paths(y, a)
    assert [p.edges for p in found] == [((1, 0),), ((1, 1),)]
    assert found.total == a.grad == -3.0


def test_a_first_layer_weight_of_an_mlp_has_one_path_per_next_layer_neuron():
    random.seed(3)
    model = nn.MLP(2, [3, 3, 1], activation="tanh")
    x = [0.4, -0.7]
    loss = model(x) ** 2
    loss.backward()
    w = model.layers[0].neurons[0].w[0]
    found = viz.find_paths(loss, "layer1.neuron1.w0")  # scope and label name one weight
    assert found.node is w and len(found) == 3
    assert found.total == pytest.approx(w.grad, rel=1e-12)

    def loss_at(value):
        saved = w.data
        w.data = value.data  # numerical_grad passes Values
        try:
            return model(x) ** 2
        finally:
            w.data = saved

    (numeric,) = numerical_grad(loss_at, [w.data])
    assert found.total == pytest.approx(numeric, rel=1e-6)


def test_paths_of_a_batch_weight_sum_over_the_examples():
    x = Value(np.array([1.0, 2.0, 3.0]), "x")
    w = Value(0.5, "w")
    loss = ((w * x) ** 2).mean()
    loss.backward()
    found = viz.find_paths(loss, w)
    assert isinstance(found.total, float)
    assert found.total == pytest.approx(w.grad, rel=1e-12)  # mean of 2 w x^2 = 14/3 * w
    assert found.total == pytest.approx(2 * 0.5 * 14 / 3, rel=1e-12)
    src = viz.draw_path(loss, w, example=1).source
    assert "a batch of 3 examples: example 1" in src
    # loss = mean((w x)^2): the factors for x = 2 are 1/3, 2 w x = 2, and x = 2
    assert "path 1, from v4 back to w: 0.3333 × 2 × 2 = 1.333" in src
    assert f"its grad adds up their 3 sums (this is one of them) = {fmt(w.grad)}" in src


def printed_lines(src):
    """The lines of arithmetic under a path picture, as a reader sees them."""
    under = src[src.rindex("fontsize=10 label=<") :]  # the graph's own label, last in the DOT
    cells = re.findall(r"<TD[^>]*>(.*?)</TD>", under)
    return [html.unescape(re.sub(r"<[^>]*>|■", "", cell)).strip() for cell in cells]


def number(text):
    return float(text.strip().strip("()"))


def test_every_equation_under_a_batched_path_picture_is_true_as_printed():
    # A weight used twice per example (two paths), on a batch of three examples.
    x = Value(np.array([1.0, -2.0, 0.5]), "x")
    t = Value(np.array([0.3, -1.0, 2.0]), "t")
    w = Value(-0.7, "w")
    h = (w * x).tanh()
    err = h * w - t
    err.label = "err"
    loss = (err**2).mean()
    loss.label = "loss"
    loss.backward()
    for example in (None, 0, 1, 2):
        lines = printed_lines(viz.draw_path(loss, w, example=example, precision=12).source)
        products = []
        for line in lines:
            found = re.fullmatch(r"path \d+, from loss back to w: (.*) = (\S+)", line)
            if found is None:
                continue
            factors, product = found.groups()
            products.append(number(product))
            if example is None:  # the mean of products, said in words, is no product
                assert "×" not in factors and "mean of the product" in factors
                continue
            assert math.prod(number(f) for f in factors.split(" × ")) == pytest.approx(
                number(product), rel=1e-9
            )
        assert len(products) == 2
        (sums,) = [line for line in lines if line.startswith("sum over 2 paths: ")]
        terms, total = re.fullmatch(r"sum over 2 paths: (.*) = (\S+)", sums).groups()
        assert [number(v) for v in terms.split(" + ")] == pytest.approx(products, rel=1e-9)
        assert sum(products) == pytest.approx(number(total), rel=1e-9)
        (shared,) = [line for line in lines if "its grad adds up their 3 sums" in line]
        assert number(shared.rpartition(" = ")[2]) == pytest.approx(w.grad, rel=1e-9)
        if example is not None:  # the chosen example's own sum, by hand
            xe, te = x.data[example], t.data[example]
            he = math.tanh(w.data * xe)
            grad_e = 2 * (he * w.data - te) / 3 * (he + w.data * (1 - he**2) * xe)
            assert number(total) == pytest.approx(grad_e, rel=1e-9)
        else:
            assert 3 * number(total) == pytest.approx(w.grad, rel=1e-9)


def test_the_root_itself_has_one_empty_path_of_product_one():
    f = Value(2.0, "f") * 3.0
    f.backward()
    found = viz.find_paths(f, f)
    assert len(found) == 1 and found.paths[0].edges == () and found.total == 1.0


def test_too_many_paths_is_refused_with_advice():
    x = Value(1.0, "x")
    y = x
    for _ in range(8):  # each level doubles the paths: y + y
        y = y + y
    y.backward()
    with pytest.raises(ValueError, match=r"find_paths: 256 paths lead from x .*max_paths=64"):
        viz.find_paths(y, x)
    assert viz.find_paths(y, x, max_paths=None).total == x.grad == 256.0


def test_nodes_that_are_not_there_are_named_in_the_error():
    loss, _ = part_lifetime()
    with pytest.raises(
        ValueError, match=r"find_paths: no node is labelled 'w9'; labels here: .*'b1_0'"
    ):
        viz.find_paths(loss, "w9")
    with pytest.raises(ValueError, match="is not in the graph under the root"):
        viz.find_paths(loss, Value(1.0))
    a = Value(1.0, "twin") + Value(2.0, "twin")
    with pytest.raises(ValueError, match="2 nodes are labelled 'twin'"):
        viz.find_paths(a, "twin")


def test_draw_path_labels_every_path_edge_and_writes_the_sum_underneath():
    a, b = Value(3.0, "a"), Value(2.0, "b")
    d = a * b + a
    d.label = "d"
    d.backward()
    src = viz.draw_path(d, a).source
    assert re.search(r'v0 -> v2 \[label="local 2" [^]]*id=e2_0', src)  # a into a*b
    assert re.search(r'v2 -> v3 \[label="local 1" [^]]*id=e3_0', src)  # a*b into d
    assert re.search(r'v0 -> v3 \[label="local 1" [^]]*id=e3_1', src)  # a straight into d
    assert re.search(r"v1 -> v2 \[[^]]*style=dashed", src)  # b: context, not a path
    assert "path 1, from d back to a: 1 × 2 = 2" in src
    assert "path 2, from d back to a: 1 = 1" in src
    assert "sum over 2 paths: 2 + 1 = 3" in src and "backward() gave a.grad = 3" in src
    colours = [
        re.search(r'color="([^"]+)"', line).group(1)
        for line in src.splitlines()
        if "id=e2_0" in line or "id=e3_1" in line
    ]
    assert len(set(colours)) == 2  # the two paths in two colours
    assert "v1 -> v2" not in viz.draw_path(d, a, context=False).source


def test_draw_path_names_a_network_weight_with_its_scope():
    random.seed(3)
    model = nn.MLP(2, [2, 1])
    loss = model([Value(0.4, "x0"), Value(-0.7, "x1")]) ** 2
    loss.label = "L"
    loss.backward()
    with pytest.raises(ValueError, match="3 nodes are labelled 'w0'"):
        viz.find_paths(loss, "w0")
    src = viz.draw_path(loss, model.layers[1].neurons[0].w[0]).source
    assert "∂L/∂layer2.neuron1.w0: the sum over paths" in src


def test_draw_path_on_the_two_layer_network_shows_the_weight_and_the_loss():
    loss, _ = part_lifetime()
    src = viz.draw_path(loss, "w1_00").source
    assert "penwidth=3" in next(line for line in src.splitlines() if "<B>w1_00</B>" in line)
    assert "<B>h0</B>" in src and "made by σ" in src and "<B>L</B>" in src
    assert "<B>w1_10</B>" not in src  # not on the path and not read by it
    assert "sum over 1 path" in src
