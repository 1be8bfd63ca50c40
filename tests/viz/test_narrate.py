"""Narration: the chain-rule sentences for the worked examples, the op table's local rules,
fan-out sums, zero and nan reasons, labels and scoped names, one example of a batch."""

import math

import numpy as np
import pytest

from autograd import OPS, Value, numerical_grad, scope
from autograd.value import _binary, _bound, _unary
from demos import lesson01_car_tax, lesson03_part_lifetime
from demos.lesson02_chain_rule import build  # f = (x + y) z at (-2, 5, -4)
from nn.layers import MLP
from viz.narrate import backprop_story, expression, narrate
from viz.notation import partial, tex_name


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
    x = story.rows[0].node
    assert backprop_story(f, params=[x]).forward[0] == "x = -2  (a parameter)"


def test_chain_rule_example_reads_three_ways_and_the_local_factor_is_the_ops_own():
    f, x, y, z, q = chain_rule()
    e = narrate(f, x)
    assert e.symbolic == "∂f/∂x = ∂f/∂q · ∂(x + y)/∂x"
    assert e.substituted == "= -4 · 1"
    assert e.numeric == "= -4"
    assert e.locals() == ["∂(x + y)/∂x = 1"]
    assert e.text() == "∂f/∂x = ∂f/∂q · ∂(x + y)/∂x\n= -4 · 1\n= -4\nlocal ∂(x + y)/∂x = 1"
    assert narrate(f, z).lines() == [
        "∂f/∂z = ∂f/∂f · ∂(q * z)/∂z",  # never df/dz = df/df · df/dz
        "= 1 · 3",
        "= 3",
        "local ∂(q * z)/∂z = q = 3",
    ]
    assert narrate(f, q).substituted == "= 1 · (-4)"  # a negative factor is bracketed
    assert narrate(f, f).symbolic == "∂f/∂f = 1"
    assert "starts here" in narrate(f, f).why


def test_the_total_and_the_local_factor_never_share_a_symbol():
    x = Value(1.0, "x")
    swish = x * x.sigmoid()
    swish.label = "swish"
    story = backprop_story(swish)
    for e in story.backward:
        totals = {partial(story.root_name, story.name(t.consumer)) for t in e.terms}
        totals.add(partial(story.root_name, e.name))
        assert not totals & {story.factor(t) for t in e.terms}
    e = narrate(swish, x)
    assert e.symbolic == "∂swish/∂x = ∂swish/∂swish · ∂(x * v1)/∂x + ∂swish/∂v1 · ∂σ(x)/∂x"
    assert e.locals() == ["∂(x * v1)/∂x = v1 = 0.7311", "∂σ(x)/∂x = σ(x)·(1 - σ(x)) = 0.1966"]


def test_worked_rules_read_with_their_numbers():
    n = Value(0.3814, "n")
    h = n.tanh()
    h.label = "h"
    assert narrate(h, n).locals() == ["∂tanh(n)/∂n = 1 - tanh(n)² = 0.8676"]
    story = backprop_story(lesson03_part_lifetime.build())
    u2 = next(row for row in story.rows if row.node.label == "u2")
    u = story.name(u2)  # with its scope, if the lesson gives it one
    assert narrate(story.rows[-1].node, u2.node).locals() == [
        f"∂σ({u})/∂{u} = σ({u})·(1 - σ({u})) = 0.1153"
    ]


def one_op(name, param):
    """The op `name` on inputs labelled a (and b), with its output labelled y."""
    point = (0.7, -1.3) if OPS[name].arity == 2 else (0.7,)
    if name == "powv":
        point = (0.7, 1.3)
    args = [Value(v, label) for v, label in zip(point, "ab")]
    op = OPS[name] if param is None else _bound(name, param)
    out = _binary(op, *args) if op.arity == 2 else _unary(op, args[0])
    out.label = "y"
    return out, args


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_narrates_the_rule_of_its_row_with_its_number(name):
    param = {"pow": 3.0, "leaky_relu": 0.1, "elu": 1.0, "swish": 1.0}.get(name)
    out, args = one_op(name, param)
    story = backprop_story(out)
    names = {"a": "a", "b": "b", "y": "y", "n": 1}
    if param is not None:
        names.update(p=f"{param:g}", p1=f"{param - 1:g}")
    for slot, arg in enumerate(args):
        rule = out.op.rule[slot].format(**names)
        value = story.num(story.rows[-1].locals[slot])
        formula = expression(out.op, [a.label for a in args])
        said = f"{rule} = {value}" if rule != value else value
        assert narrate(out, arg).locals() == [f"{partial(formula, arg.label)} = {said}"]
        # and the number is the true derivative: finite differences through the same op
        inputs = [a.data for a in args]

        def through(v, slot=slot, inputs=inputs):
            moved = [Value(w) for w in inputs]
            moved[slot] = v
            op = out.op
            return _binary(op, *moved) if op.arity == 2 else _unary(op, moved[0])

        want = numerical_grad(through, [inputs[slot]])[0]
        assert narrate(out, arg).grad == pytest.approx(want, rel=1e-5, abs=1e-8)


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
    assert e.symbolic == "∂total/∂price = ∂total/∂subtotal · ∂(price * count)/∂price"
    assert e.substituted == "= 1.1 · 2"
    assert e.numeric == "= 2.2"
    assert e.grad == pytest.approx(2.2)
    assert narrate(total, count).numeric == "= 16.5"
    assert narrate(total, tax).numeric == "= 30"


def test_labels_with_spaces_or_operators_are_bracketed():
    x = Value(2.0, "w.x + b")
    y = x.tanh()
    y.label = "y"
    assert narrate(y, x).symbolic == "∂y/∂(w.x + b) = ∂y/∂y · ∂tanh(w.x + b)/∂(w.x + b)"


def test_fan_out_is_an_explicit_sum_with_running_totals():
    x = Value(3.0, "x")
    a = x * x + x  # x used three times: twice by the product, once by the sum
    a.label = "a"
    e = narrate(a, x)
    assert len(e.terms) == 3
    assert len(e.products()) == 3
    assert e.substituted == "= 1 · 1 + 1 · 3 + 1 · 3"
    assert [t.running for t in e.terms] == [1.0, 4.0, 7.0]
    assert e.grad == pytest.approx(numerical_grad(lambda v: v * v + v, [3.0])[0], rel=1e-6)
    assert e.numeric == "= 7"


def test_a_label_narrates_like_its_value_and_a_wrong_one_names_the_near_ones():
    loss = lesson03_part_lifetime.build()
    story = backprop_story(loss)
    w = next(row.node for row in story.rows if row.node.label == "w1_00")
    assert narrate(loss, "w1_00").text() == narrate(loss, w).text()
    assert narrate(loss, "w1_00").grad == pytest.approx(
        numerical_grad(lambda v: lesson03_loss_with(loss, w, v), [w.data])[0], rel=1e-5
    )
    assert narrate(loss, "w1_00").grad != 0.0
    with pytest.raises(ValueError, match=r"narrate: no node is labelled 'w1_0'; did you mean"):
        narrate(loss, "w1_0")
    with pytest.raises(ValueError, match="'w1_00'"):
        narrate(loss, "w1_0")


def lesson03_loss_with(loss, w, v):
    """Lesson 3's loss with the weight `w` set to v (the graph re-run from its leaves)."""
    saved = w.data
    w.data = v.data  # numerical_grad hands in a Value
    try:
        return Value(replay(loss))
    finally:
        w.data = saved


def replay(root):
    """The root's value computed again from its leaves through the op table's forward rules."""
    from autograd import topological_order

    values = {}
    for node in topological_order(root):
        if node.op is None:
            values[id(node)] = node.data
        elif node.op.arity == 2:
            a, b = (values[id(i)] for i in node.inputs)
            values[id(node)] = node.op.forward(a, b)
        else:
            values[id(node)] = node.op.forward(values[id(node.inputs[0])], node.op.param)
    return values[id(root)]


def test_a_network_is_narrated_with_scoped_names_and_a_repeated_label_is_refused():
    model = MLP(2, [2, 1], activation="tanh", rng=0)
    out = model([Value(1.0, "x0"), Value(0.0, "x1")])
    out.label = "out"
    story = backprop_story(out)
    assert len(set(story.names)) == len(story.names)  # every node its own name
    assert "layer1.neuron1.w0" in story.names and "layer2.neuron1.b" in story.names
    assert not any(line.startswith("w0 =") or line.startswith("b =") for line in story.forward)
    w0 = next(p for p in model.parameters() if p.scope == "layer1.neuron1" and p.label == "w0")
    e = narrate(out, "layer1.neuron1.w0")
    assert e.symbolic.startswith(f"∂{story.root_name}/∂layer1.neuron1.w0 = ")
    assert e.grad == narrate(out, w0).grad != 0.0
    with pytest.raises(ValueError, match=r"\d nodes are labelled 'w0'.*'layer1.neuron1.w0'"):
        narrate(out, "w0")
    intermediate = next(row for row in story.rows if not row.node.label and row.node.scope)
    assert story.describe(intermediate) == f"v{intermediate.index} (in {intermediate.node.scope})"


def test_an_inactive_relu_explains_its_zero():
    x = Value(-1.5, "x")
    h = x.relu()
    h.label = "h"
    e = narrate(h, x)
    assert e.grad == 0.0
    assert "ReLU inactive" in e.why and "-1.5" in e.why
    assert e.locals() == ["∂ReLU(x)/∂x = 1 if x > 0 else 0 = 0"]


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
    assert narrate(y, w).why == ""  # ∂y/∂w = 2: nothing to explain


def test_max_sends_nothing_to_the_loser():
    a, b = Value(1.0, "a"), Value(4.0, "b")
    m = a.max(b)
    m.label = "m"
    assert "max picked its other input" in narrate(m, a).why
    assert narrate(m, b).numeric == "= 1"


def test_a_value_outside_the_graph_has_no_path():
    f, *_ = chain_rule()
    e = narrate(f, Value(1.0, "w"))
    assert e.grad == 0.0 and e.symbolic == "∂f/∂w = 0"
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


def test_nan_and_infinite_gradients_say_where_they_come_from():
    x = Value(math.inf, "x")
    y = x * 0.0  # inf * 0 is nan
    y.label = "y"
    out = y * y
    out.label = "out"
    e = narrate(out, y)
    assert math.isnan(e.grad) and e.numeric == "= nan"
    assert e.why == "the local derivative ∂(y * y)/∂y is nan here"
    e = narrate(out, x)
    assert math.isnan(e.grad)
    assert e.why == "∂out/∂y is already nan: it passes that on"
    square = x * x
    square.label = "square"
    assert narrate(square, x).numeric == "= inf"
    assert "∂(x * x)/∂x is inf" in narrate(square, x).why


def test_latex_form_is_a_formula_with_escaped_names_and_the_local_rule():
    f, x, *_ = chain_rule()
    tex = narrate(f, x).latex()
    assert tex == (
        r"\frac{\partial f}{\partial x} = \frac{\partial f}{\partial q} \cdot "
        r"\frac{\partial (x + y)}{\partial x} = -4 \cdot 1 = -4, \quad \text{local: } "
        r"\frac{\partial (x + y)}{\partial x} = 1"
    )
    assert tex_name("w1_00") == r"\mathrm{w1\_00}"
    assert tex_name("x") == "x"
    total, price, *_ = car_tax()
    assert r"\frac{\partial (\mathrm{price} \cdot \mathrm{count})}{\partial \mathrm{price}}" in (
        narrate(total, price).latex()
    )
    assert r"= \mathrm{count} = 2" in narrate(total, price).latex()


def test_story_leaves_the_nodes_gradients_as_they_were():
    f, x, *_ = chain_rule()
    f.backward()
    before = x.grad
    first = backprop_story(f)
    second = backprop_story(f)  # a second story must not see doubled gradients
    assert x.grad == before == -4.0
    assert [e.grad for e in first.backward] == [e.grad for e in second.backward]


def batch():
    """L = mean((w x - 1)^2) over x = 1, 2, 3 with one weight w = 0.5."""
    w = Value(0.5, "w")
    x = Value(np.array([1.0, 2.0, 3.0]), "x")
    with scope(""):
        loss = ((w * x - 1.0) ** 2).mean()
    loss.label = "L"
    return loss, w, x


def test_a_batch_is_told_for_one_example_with_every_equation_true():
    loss, w, x = batch()
    story = backprop_story(loss, example=2)
    assert "told for example 2" in story.batch_note()
    loss.backward()
    per_example = x.grad.copy()  # the engine's own gradients, one per example
    weight = w.grad
    e = narrate(loss, x, example=2)
    assert e.grad == pytest.approx(per_example[2])
    # each factor printed multiplies to what is printed after it
    t = e.terms[0]
    assert t.upstream * t.local == pytest.approx(t.contribution)
    assert e.substituted == f"= {story.num(t.upstream)} · {story.num(t.local)}"
    ew = narrate(loss, w, example=2)
    assert ew.grad == pytest.approx(weight)
    fd = numerical_grad(lambda v: ((v * Value(x.data) - 1.0) ** 2).mean(), [w.data])[0]
    assert ew.grad == pytest.approx(fd, rel=1e-6)
    assert ew.symbolic == "∂L/∂w = Σ over the 3 examples of ∂L/∂v2 · ∂(w * x)/∂w"
    assert ew.numeric == f"= {story.num(weight)}"
    (share,) = ew.shares()
    assert share.startswith("example 2 contributes ")
    assert share.endswith(f"all 3 examples add {story.num(weight)}")
    # the mean's own line says it is over every example, not example 2's number
    assert story.forward[-1] == (
        "L = mean(v5) = 0.1667  (over all 3 examples; example 2's v5 is 0.25)"
    )


def test_a_batch_is_told_for_example_0_unless_another_is_asked_for():
    loss, *_ = batch()
    told = backprop_story(loss)
    assert told.example == 0 and "told for example 0 (example= picks another)" in told.batch_note()
    assert backprop_story(loss, example=2).example == 2
    with pytest.raises(ValueError, match="example=3"):
        backprop_story(loss, example=3)


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(TypeError, match="expected a Value"):
        backprop_story(3.0)
    f, *_ = chain_rule()
    with pytest.raises(ValueError, match="precision=0"):
        backprop_story(f, precision=0)


def test_an_unknown_label_with_nothing_near_lists_the_labels_and_ids_work_too():
    f, x, *_ = chain_rule()
    with pytest.raises(ValueError, match=r"no node is labelled 'banana'; labels here: 'f', 'q'"):
        narrate(f, "banana")
    sq = x * x + 1.0
    sq.label = "s"
    assert narrate(sq, "v1").grad == narrate(sq, sq.inputs[0]).grad == 1.0  # the x * x node
    assert narrate(sq, "v1").name == "v1"
    with pytest.raises(ValueError, match="narrate: no node is labelled 'v9'"):
        narrate(sq, "v9")


def test_latex_escapes_every_name_and_writes_rules_as_maths():
    x = Value(-1.5, "x_in")
    h = x.relu()
    h.label = "p(class 1)"
    tex = narrate(h, x).latex()
    assert r"\frac{\partial \mathrm{p(class\ 1)}}{\partial \mathrm{x\_in}}" in tex
    assert r"\frac{\partial \operatorname{ReLU}(\mathrm{x\_in})}{\partial \mathrm{x\_in}}" in tex
    assert r"= 1 \text{ if } \mathrm{x\_in} > 0 \text{, else } 0 = 0" in tex
    y = Value(3.0, "y")
    cube = y**3
    cube.label = "c"
    assert r"= 3 \cdot y^{2} = 27" in narrate(cube, y).latex()


def test_a_mean_over_a_batch_divides_by_its_examples_and_a_mean_of_one_number_by_one():
    loss, w, x = batch()
    total = (loss * 2.0).mean()  # a mean of one number: itself
    total.label = "T"
    story = backprop_story(total, example=0)
    lines = [line for e in story.backward for line in e.locals()]
    assert any(line.endswith("= 1/3 = 0.3333") for line in lines)
    assert any(line.endswith("= 1/1 = 1") for line in lines)  # never "1/3 = 1"


def test_a_negative_number_after_a_plus_is_bracketed():
    x = Value(0.5, "x")
    y = x.exp() * x.log()  # ∂y/∂x = e^x / x + log(x) e^x: the second upstream, log 0.5, is < 0
    y.label = "y"
    e = narrate(y, x)
    assert e.substituted == "= 1.649 · 2 + (-0.6931) · 1.649"
    assert r"+ (-0.6931) \cdot 1.649" in e.latex()
    assert e.grad == pytest.approx(numerical_grad(lambda v: v.exp() * v.log(), [0.5])[0])


def test_a_bracketed_name_inside_a_rule_call_is_not_bracketed_twice():
    w, x, b = Value(0.5, "w"), Value(2.0, "x"), Value(0.1, "b")
    s = w * x + b
    s.label = "w.x + b"
    y = s.tanh()
    y.label = "y"
    text = narrate(y, s).text()
    assert "local ∂tanh(w.x + b)/∂(w.x + b) = 1 - tanh(w.x + b)² = " in text
    assert "((" not in text and "((" not in narrate(y, s).latex()
