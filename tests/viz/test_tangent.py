"""Forward mode told node by node (viz.tangent): the tangents are backprop's gradients on
random graphs, every printed line is true as printed (its numbers parsed back and
recomputed), the hand-worked f = (x + y)·z, batches, bad input, and the story in Chinese."""

import math
import re
import unicodedata

import numpy as np
import pytest

from autograd import Value, topological_order
from tests.autograd.test_forward import random_graph
from viz.narrate import Story
from viz.tangent import DOT, TangentStory, dotted, forward_story

NUMBER_SUM = re.compile(r"[0-9.e+\-*() ]+")  # what a substituted line holds once · is *


def x_plus_y_times_z():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f, x, y, z


def nfd(text):
    """`text` with each dotted letter as letter + U+0307, as viz.tangent writes it."""
    return unicodedata.normalize("NFD", text)


def reverse_gradients(root, leaves):
    """Each leaf's gradient from one backward pass (grads zeroed first)."""
    for node in topological_order(root):
        node.grad = 0.0
    root.backward()
    return [leaf.grad for leaf in leaves]


def close(a, b, scale=1.0):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, scale))


def evaluate(line):
    """The value of `= 2 · 1 + (-0.5) · 3` as written (only numbers and + - · allowed)."""
    assert line.startswith("= "), line
    text = line[2:].replace("·", "*")
    assert NUMBER_SUM.fullmatch(text), f"not a sum of numbers: {line!r}"
    return eval(text, {"__builtins__": {}})  # safe: digits, signs, brackets and * only


@pytest.mark.parametrize("seed", range(8))
def test_every_tangent_is_backprops_gradient_for_each_input_of_a_random_graph(seed):
    xs, root = random_graph(seed)
    grads = reverse_gradients(root, xs)
    for x, grad in zip(xs, grads):
        story = TangentStory(root, x)
        assert story.tangents[-1] == pytest.approx(grad, rel=1e-12, abs=1e-12)
        assert story.tangents[story.wrt_index] == 1.0
        others = [i for i, row in enumerate(story.rows) if not row.inputs and row.node is not x]
        assert all(story.tangents[i] == 0.0 for i in others)


@pytest.mark.parametrize("seed", range(8))
def test_every_printed_line_is_true_as_printed(seed):
    xs, root = random_graph(seed)
    story = TangentStory(root, xs[seed % len(xs)], precision=12)
    checked = 0
    for i, row in enumerate(story.rows):
        step = story.step(i)
        if not row.inputs:
            assert step.question[0] == f"{story.dotted(i)} = {story.num(story.tangents[i])}"
            continue
        assert step.question[0].startswith(f"{story.dotted(i)} = ")
        numeric = [line for line in step.answer if line.startswith("= ")]
        assert float(numeric[-1][2:]) == pytest.approx(step.tangent, rel=1e-11, abs=1e-300)
        if len(numeric) == 2:  # the substituted line, recomputed from its own numbers
            terms = [abs(float(n)) for n in re.findall(r"[-+]?[\d.]+(?:e[-+]?\d+)?", numeric[0])]
            assert close(evaluate(numeric[0]), step.tangent, scale=max(terms) ** 2)
            checked += 1
    assert checked > 10  # most steps have a substituted line to check


def test_the_symbolic_line_has_one_part_per_input_with_its_local_rule():
    xs, root = random_graph(3)
    story = TangentStory(root, xs[0])
    for i, row in enumerate(story.rows):
        if row.inputs:
            symbolic = story.step(i).question[0]
            for j in row.inputs:  # each input's tangent appears in its node's line
                assert story.dotted(j) in symbolic


def test_x_plus_y_times_z_by_hand_for_x():
    f, x, y, z = x_plus_y_times_z()
    story = TangentStory(f, x)
    assert [row.node for row in story.rows] == [row.node for row in Story(f).rows]
    assert story.tangents == [1.0, 0.0, 1.0, 0.0, -4.0]  # x, y, q, z, f
    q, root = story.step(2), story.step(4)
    assert q.question == [nfd("q̇ = ẋ + ẏ")]
    assert q.answer == ["= 1 + 0", "= 1"]
    assert root.question == [nfd("ḟ = z·q̇ + q·ż")]
    assert root.answer == ["= -4 · 1 + 3 · 0", "= -4"]
    assert root.tangent == -4.0
    assert story.step(0).question[0] == nfd("ẋ = 1") and story.step(1).question[0] == nfd("ẏ = 0")
    assert "x is the input we follow" in story.step(0).question[1]
    assert "∂f/∂x" in root.sentence and "-4" in root.sentence
    assert story.step(2).heading == "Step 3/5: q"


def test_x_plus_y_times_z_by_z_is_q():
    f, x, y, z = x_plus_y_times_z()
    story = TangentStory(f, "z")
    assert story.tangents[-1] == 3.0  # ∂f/∂z = q = x + y
    assert story.step(4).answer == ["= -4 · 0 + 3 · 1", "= 3"]
    assert "q does not depend on z" in story.step(2).sentence
    assert story.agreement() == nfd("forward mode's ḟ = 3 equals reverse mode's ∂f/∂z = 3")


def test_a_subtraction_and_a_negation_are_written_with_minus_signs():
    a, b = Value(2.0, "a"), Value(-1.0, "b")
    d = a - b
    d.label = "d"
    n = -d
    n.label = "n"
    story = TangentStory(n, b)
    assert story.step(2).question == [nfd("ḋ = ȧ - ḃ")] and story.step(2).answer == [
        "= 0 - 1",
        "= -1",
    ]
    assert story.step(3).question == [nfd("ṅ = -ḋ")] and story.step(3).answer == ["= -(-1)", "= 1"]


def test_a_times_a_counts_both_slots():
    a = Value(3.0, "a")
    s = a * a
    s.label = "s"
    step = TangentStory(s, a).step(1)
    assert step.question == [nfd("ṡ = a·ȧ + a·ȧ")] and step.answer == ["= 3 · 1 + 3 · 1", "= 6"]


def test_the_dot_goes_after_the_first_letter_of_a_name():
    assert dotted("q") == "q" + DOT and dotted("x1") == "x" + DOT + "1"
    assert dotted("layer1.neuron3.w0") == "layer1.neuron3.w" + DOT + "0"
    f, *_ = x_plus_y_times_z()
    assert TangentStory(f, "x").dotted(2) == nfd("q̇")


def test_the_cost_table_counts_passes_and_multiplications_of_each_mode():
    f, *_ = x_plus_y_times_z()
    lines = TangentStory(f, "x").costs_lines()
    assert lines[0] == "The gradient of f by all 3 inputs (x, y, z), on a graph of 4 edges:"
    rows = {line.split()[0]: line.split()[-2:] for line in lines[2:4]}
    assert rows == {"forward": ["3", "12"], "reverse": ["1", "4"]}  # 3 passes x 4 edges


def test_the_cost_table_matches_the_products_a_pass_forms():
    xs, root = random_graph(5)
    story = TangentStory(root, xs[0])
    per_pass = sum(len(step.products) for step in story.steps)
    forward, reverse = [line.split()[-2:] for line in story.costs_lines()[2:4]]
    assert forward == [str(len(xs)), str(len(xs) * per_pass)]
    assert reverse == ["1", str(per_pass)]


def test_a_weight_met_by_a_batch_is_told_for_one_example_and_its_reduction_adds_all():
    w, x = Value(0.5, "w"), Value(np.array([1.0, 2.0, 3.0]), "x")
    loss = ((w * x - 1.0) ** 2).mean()
    loss.label = "L"
    story = TangentStory(loss, w, example=1, params=[w])
    assert story.tangents[2] == 2.0  # v = w·x: v̇ = x·ẇ = 2 for example 1
    assert story.step(2).answer == ["= 2 · 1 + 0.5 · 0", "= 2"]
    assert reverse_gradients(loss, [w])[0] == pytest.approx(story.tangents[-1])
    last = story.step(len(story.rows) - 1)
    assert last.question[0].startswith(nfd("L̇ = Σ over the 3 examples of"))
    assert "(a parameter)" in story.forward[0]


def test_a_batch_input_is_refused_naming_it():
    w, x = Value(0.5, "w"), Value(np.array([1.0, 2.0]), "x")
    loss = (w * x).mean()
    with pytest.raises(ValueError, match=r"TangentStory: wrt='x' holds a batch of 2 examples"):
        TangentStory(loss, "x")


@pytest.mark.parametrize(
    "wrt, error, message",
    [
        ("q", ValueError, r"forward_story: wrt='q' was made by add; .* choose one of x, y, z"),
        ("w", ValueError, r"forward_story: no node is labelled 'w'"),
        (3, TypeError, r"forward_story: wrt must be a leaf Value or its label, got int 3"),
        (Value(1.0, "elsewhere"), ValueError, r"forward_story: .* is not in the graph"),
    ],
)
def test_a_bad_wrt_is_an_error_naming_forward_story_and_the_value(wrt, error, message):
    f, *_ = x_plus_y_times_z()
    with pytest.raises(error, match=message):
        forward_story(f, wrt)


def test_the_whole_story_in_english():
    f, *_ = x_plus_y_times_z()
    text = forward_story(f, "x", lang="en")
    assert text.startswith("Forward mode for x: each value with its tangent")
    assert nfd("q = x + y = -2 + 5 = 3\n  q̇ = ẋ + ẏ\n    = 1 + 0\n    = 1") in text
    assert nfd("ḟ = ∂f/∂x = -4, after one forward-mode pass") in text
    assert "reverse mode       1                4" in text


def english_left(text, names):
    """English words of three letters or more left in `text`, outside the graph's names."""
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(rf"(?<![\w.]){re.escape(name)}(?![\w.])", " ", text)
    return re.findall(r"[A-Za-z][A-Za-z'-]{2,}", text)


def test_the_whole_story_in_chinese_with_the_same_numbers():
    f, *_ = x_plus_y_times_z()
    text = forward_story(f, "x", lang="zh-CN")
    assert text.startswith("对 x 的前向模式")
    for said in (
        "切向量",
        "局部导数",
        "x 每变化 1，f 就变化 -4：这就是导数 ∂f/∂x。",
        "反向模式",
        "遍数",
    ):
        assert said in text
    assert nfd("q̇ = ẋ + ẏ\n    = 1 + 0\n    = 1") in text
    assert "（x 是我们跟踪的输入" in text and "（只有 x 在动：y 不动）" in text
    assert english_left(text, ["f", "q", "x", "y", "z"]) == []
    assert TangentStory(f, "x").step(4).sentence.startswith("f changes by -4")  # English again


def test_a_story_keeps_its_language_for_every_sentence_it_says_later():
    from viz.i18n import language

    f, *_ = x_plus_y_times_z()
    with language("zh-CN"):
        story = TangentStory(f, "x")
    assert story.step(2).sentence == "x 每变化 1，q 就变化 1。"
    assert story.agreement() == nfd("前向模式的 ḟ = -4，等于反向模式的 ∂f/∂x = -4")
    assert story.costs_lines()[2].split() == ["前向模式", "3", "12"]


def test_a_root_that_is_a_leaf_is_its_own_input():
    x = Value(2.0, "x")
    story = TangentStory(x, x)
    assert story.tangents == [1.0]
    assert story.result() == nfd("ẋ = ∂x/∂x = 1, after one forward-mode pass")
    assert story.costs_lines()[0] == "The gradient of x by its 1 input (x), on a graph of 0 edges:"


def test_the_cost_table_of_a_batch_counts_the_inputs_forward_mode_can_follow():
    w, x = Value(0.5, "w"), Value(np.array([1.0, 2.0, 3.0]), "x")
    loss = (w * x).mean()
    loss.label = "L"
    lines = TangentStory(loss, w).costs_lines()
    assert lines[0] == "The gradient of L by its 1 input (w), on a graph of 3 edges:"
