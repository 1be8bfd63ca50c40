"""The misconception classifier: each known slip is named, with the numbers that show it, in
the documented order where two fit; random graphs; bad input; the hints in Chinese."""

import json
import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd import Value, backward_steps, local_derivatives, topological_order
from viz import i18n
from viz.misconceptions import HINTS, KINDS, Question, classify, labels, matches

PLAYER_JS = Path(__file__).resolve().parents[2] / "viz" / "player.js"
CJK = re.compile(r"[\u4e00-\u9fff]")


def worked():
    """The worked example: f = (x + y) · z at x = -2, y = 5, z = -4 (q = 3, f = -12)."""
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    f.backward()
    return f, x, y, z, q


def shared(d=2.0):
    """g = (a·b + a·c) · d at a = 2, b = 3, c = -7: a is used twice (fan-out)."""
    a, b, c, dd = Value(2.0, "a"), Value(3.0, "b"), Value(-7.0, "c"), Value(d, "d")
    ab, ac = a * b, a * c
    ab.label, ac.label = "ab", "ac"
    s = ab + ac
    s.label = "s"
    g = s * dd
    g.label = "g"
    g.backward()
    return g, a


# ---- one test per kind, on the worked example ------------------------------------------


def test_every_gradient_of_the_worked_example_is_right_as_the_engine_gives_it():
    f, *nodes = worked()
    for node in [f, *nodes]:
        verdict = classify(f, node, node.grad)
        assert verdict.kind == "right" and verdict.right == node.grad
    assert [n.grad for n in nodes] == [-4.0, -4.0, 3.0, -4.0]


def test_the_quiz_tolerance_is_one_percent_of_the_right_answer():
    f, x, *_ = worked()
    assert classify(f, x, -4.03).kind == "right"  # the page shows 4 digits: 1% slack
    assert classify(f, x, -4.05).kind == "other"


def test_a_flipped_sign_is_named_with_the_number_it_gives():
    f, x, *_ = worked()
    verdict = classify(f, x, 4.0)
    assert verdict.kind == "sign" and verdict.fits == -x.grad
    assert verdict.label() == "sign flipped"
    assert verdict.hint() == (
        "Check the sign: 4 is ∂f/∂x with its sign flipped. "
        "Count the minus signs on the way back from f."
    )


def test_the_local_derivative_given_is_named_with_its_edge_and_upstream_gradient():
    f, x, y, z, q = worked()
    verdict = classify(f, x, 1.0)  # ∂q/∂x = 1, not yet times ∂f/∂q = -4
    assert verdict.kind == "local"
    assert verdict.via.local == local_derivatives(q)[0] and verdict.via.upstream == q.grad
    assert verdict.hint() == (
        "1 is the local derivative ∂q/∂x on the edge into q, not the whole gradient: the chain "
        "rule multiplies it by the upstream gradient ∂f/∂q = -4."
    )


def test_the_value_given_for_the_gradient_is_named():
    f, x, *_ = worked()
    verdict = classify(f, x, -2.0)
    assert verdict.kind == "value" and verdict.fits == x.data
    assert "-2 is the value of x, not its gradient" in verdict.hint()


def test_an_answer_no_slip_explains_is_other():
    f, x, *_ = worked()
    verdict = classify(f, x, 7.0)
    assert verdict.kind == "other" and verdict.fits is None
    assert verdict.label() == "other mistake"


# ---- fan-out ---------------------------------------------------------------------------


def test_one_use_of_a_node_used_twice_is_the_forgotten_fan_out_sum():
    g, a = shared()
    steps = [s for s in backward_steps(g) if a in s.inputs]  # the engine's own terms
    terms = sorted(s.contributions[s.inputs.index(a)] for s in steps)
    assert terms == [-14.0, 6.0]
    for term in terms:
        verdict = classify(g, a, term)
        assert verdict.kind == "fan-out" and verdict.fits == term
        assert verdict.label() == "fan-out sum forgotten"
    assert classify(g, a, 6.0).hint() == (
        "a is used 2 times, and its gradient adds one contribution per use (fan-out): "
        "6 is only the one through ab."
    )


def test_the_fan_out_terms_multiplied_are_named_with_the_product_and_the_sum():
    g, a = shared()
    verdict = classify(g, a, 6.0 * -14.0)
    assert verdict.kind == "multiplied" and sorted(verdict.terms) == [-14.0, 6.0]
    assert verdict.label() == "multiplied where the rule adds"
    assert "-84 is their product (-14) · 6, not their sum (-14) + 6" in verdict.hint()


def test_the_local_derivative_of_a_shared_node_is_local_not_fan_out():
    g, a = shared()
    assert a.grad == -8.0
    assert classify(g, a, 3.0).kind == "local"  # ∂(a·b)/∂a = b, before times ∂g/∂(a·b) = 2


# ---- ambiguities: the documented order decides -------------------------------------------


def test_a_use_whose_upstream_is_1_is_fan_out_before_local():
    g, a = shared(d=1.0)  # ∂g/∂(a·b) = 1: the term through a·b is its local derivative b = 3
    assert KINDS.index("fan-out") < KINDS.index("local")
    assert classify(g, a, 3.0).kind == "fan-out"


def test_a_value_equal_to_the_local_derivative_is_local():
    a, b, c = Value(2.0, "a"), Value(2.0, "b"), Value(5.0, "c")
    f = a * b * c  # ∂(a·b)/∂a = b = 2 = a's value
    f.backward()
    assert classify(f, a, 2.0).kind == "local"
    assert KINDS.index("local") < KINDS.index("value")


def test_a_value_equal_to_the_flipped_sign_is_sign():
    a, b = Value(3.0, "a"), Value(-3.0, "b")
    f = a * b  # ∂f/∂a = b = -3; -(-3) = 3 = a's value
    assert classify(f, a, 3.0).kind == "sign"


def test_x_times_x_one_use_is_fan_out_though_it_is_also_the_local_and_the_value():
    a = Value(3.0, "a")
    f = a * a  # ∂f/∂a = 6: two uses of 3 each, local 3, value 3
    verdict = classify(f, a, 3.0)
    assert verdict.kind == "fan-out" and verdict.right == 6.0


# ---- value questions ---------------------------------------------------------------------


def test_value_questions_name_the_sign_and_plus_and_times_swapped():
    f, x, y, z, q = worked()
    assert classify(f, q, 3.0, what="value").kind == "right"
    assert classify(f, q, -3.0, what="value").kind == "sign"
    verdict = classify(f, q, -10.0, what="value")  # x · y where q = x + y
    assert verdict.kind == "multiplied"
    assert verdict.hint() == "q adds its inputs, (-2) + 5: -10 is their product (-2) · 5 instead."
    verdict = classify(f, f, -1.0, what="value")  # q + z where f = q · z
    assert verdict.kind == "added" and verdict.label() == "added where the rule multiplies"
    assert verdict.hint() == "f multiplies its inputs, 3 · (-4): -1 is their sum 3 + (-4) instead."
    assert classify(f, x, 5.0, what="value").kind == "other"


def test_a_question_made_once_judges_many_answers_as_classify_does():
    f, x, *_ = worked()
    question = Question(f, "x")  # a label, as narrate takes one
    answers = [-4.0, 4.0, 1.0, -2.0, 9.5, -4.0]
    assert (
        [question.classify(a).kind for a in answers]
        == [classify(f, x, a).kind for a in answers]
        == ["right", "sign", "local", "value", "other", "right"]
    )


def test_classifying_leaves_every_gradient_as_it_was():
    f, *nodes = worked()
    before = [n.grad for n in nodes]
    classify(f, nodes[0], 4.0)
    Question(f, nodes[3], "value").classify(3.0)
    assert [n.grad for n in nodes] == before


def test_a_batch_question_is_about_one_example_and_a_weight_sums_over_all():
    w, x = Value(0.5, "w"), Value(np.array([1.0, 2.0, 3.0]), "x")
    loss = (w * x).sum()  # ∂loss/∂w = 1 + 2 + 3
    loss.backward()
    assert classify(loss, w, 6.0).kind == "right"
    assert classify(loss, w, 3.0, example=2).kind == "local"  # example 2's ∂(w·x)/∂w = x = 3
    assert classify(loss, x, 0.5, example=1).kind == "right"


# ---- the tolerance is the player's ------------------------------------------------------


def test_matches_is_the_players_quiz_rule_on_every_pair_node_runs():
    if shutil.which("node") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI must compare with player.js: node is needed", pytrace=False)
        pytest.skip("node is needed to run player.js's matches")
    source = re.search(r"^  function matches\(value, exact\) \{.*?^  \}", PLAYER_JS.read_text(),
                       re.M | re.S).group()  # fmt: skip
    wants = [-4.0, 1 / 3, 0.0, 1e-12, 250.0, "nan", "inf", "-inf"]
    values = [-4.0, -4.04, -4.041, 0.33, 0.32, 0.0, 1e-9, 2e-9, 247.5, 247.4, math.inf, -math.inf]
    pairs = [(v, w) for v in values for w in wants]
    script = f"{source}\nconst pairs = {json.dumps(pairs).replace('Infinity', '1e999')};\n"
    script += "process.stdout.write(JSON.stringify(pairs.map(([v, w]) => matches(v, w))));"
    js = json.loads(subprocess.run(["node", "-e", script], capture_output=True, check=True).stdout)
    ours = [matches(v, float(w)) for v, w in pairs]
    assert ours == js and any(ours) and not all(ours)


# ---- random graphs -----------------------------------------------------------------------

UNARY = {"tanh": Value.tanh, "square": lambda v: v**2, "neg": lambda v: -v}
BINARY = {"add": Value.__add__, "sub": Value.__sub__, "mul": Value.__mul__}
program = st.lists(
    st.tuples(st.sampled_from(sorted(UNARY) + sorted(BINARY)), st.integers(0, 99),
              st.integers(0, 99)),
    min_size=1, max_size=12,
)  # fmt: skip
inputs = st.lists(st.floats(-3.0, 3.0).map(lambda v: round(v, 1)), min_size=1, max_size=3)


def build(prog, xs):
    nodes = [Value(v, f"x{i}") for i, v in enumerate(xs)]
    for name, i, j in prog:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        nodes.append(UNARY[name](a) if name in UNARY else BINARY[name](a, b))
    return nodes[-1]


def slips(steps, root, node):
    """Each kind's numbers for ∂root/∂node, from the engine's backward steps alone."""
    uses = [(s.locals[k], s.contributions[k]) for s in steps
            for k, i in enumerate(s.inputs) if i is node]  # fmt: skip
    grad = sum(c for _, c in uses) if node is not root else 1.0
    many = len(uses) > 1
    return grad, {
        "right": [grad],
        "sign": [-grad],
        "fan-out": [c for _, c in uses] if many else [],
        "local": [d for d, _ in uses],
        "value": [node.data],
        "multiplied": [math.prod(c for _, c in uses)] if many else [],
    }


def close(value, exact):  # player.js's rule, written again here for the test
    return abs(value - exact) <= 1e-9 + 1e-2 * abs(exact)


@given(program, inputs)
def test_random_graphs_right_answers_are_right_and_each_slip_is_its_kind_or_an_earlier_one(
    prog, xs
):
    root = build(prog, xs)
    root.backward()
    order = topological_order(root)
    grads = [n.grad for n in order]  # the engine's gradients (backward_steps adds a pass more)
    steps = list(backward_steps(root))
    assume(all(math.isfinite(n.data) and math.isfinite(g) for n, g in zip(order, grads)))
    for node, engine_grad in zip(order, grads):
        question = Question(root, node)
        assert question.classify(engine_grad).kind == "right"
        grad, numbers = slips(steps, root, node)
        assert close(grad, engine_grad)
        for kind, made in numbers.items():
            for answer in made:
                first = next(k for k in numbers if any(close(answer, n) for n in numbers[k]))
                assert question.classify(answer).kind == first, (kind, answer, numbers)
                assert KINDS.index(first) <= KINDS.index(kind)


# ---- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, error, message",
    [(math.nan, ValueError, r"classify: answer=nan"),
     ("-4", TypeError, r"classify: answer must be a number, got str '-4' .*read_number"),
     (True, TypeError, r"classify: answer must be a number, got bool"),
     (None, TypeError, r"classify: answer must be a number, got NoneType")],
)  # fmt: skip
def test_an_answer_that_is_not_a_number_is_refused_naming_classify(answer, error, message):
    f, x, *_ = worked()
    with pytest.raises(error, match=message):
        classify(f, x, answer)
    assert x.grad == -4.0


def test_a_node_not_in_the_graph_is_refused_naming_classify():
    f, *_ = worked()
    with pytest.raises(ValueError, match=r"classify: Value\(.*\) is not in the graph"):
        classify(f, Value(1.0, "w"), 1.0)
    with pytest.raises(ValueError, match=r"classify: no node is labelled 'w'"):
        classify(f, "w", 1.0)
    with pytest.raises(TypeError, match=r"classify: node must be a Value .* got int 3"):
        classify(f, 3, 1.0)
    with pytest.raises(TypeError, match=r"classify: expected a Value as the root, got float"):
        classify(2.0, f, 1.0)


def test_an_unknown_question_kind_lists_the_ones_there_are():
    f, x, *_ = worked()
    with pytest.raises(
        ValueError, match=r"classify: what='hessian'; choose one of 'grad', 'value'"
    ):
        classify(f, x, 1.0, what="hessian")
    with pytest.raises(ValueError, match=r"Verdict.hint: lang='fr'"):
        classify(f, x, 1.0).hint(lang="fr")


# ---- Chinese -----------------------------------------------------------------------------


def test_every_hint_and_label_is_said_in_chinese_with_the_glossary_words():
    f, x, y, z, q = worked()
    g, a = shared()
    verdicts = {
        "sign": classify(f, x, 4.0), "local": classify(f, x, 1.0), "value": classify(f, x, -2.0),
        "other": classify(f, x, 7.0), "right": classify(f, x, -4.0),
        "fan-out": classify(g, a, 6.0), "multiplied": classify(g, a, -84.0),
        "added": classify(f, f, -1.0, what="value"),
    }  # fmt: skip
    assert set(verdicts) == set(KINDS) and {kind for _, kind in HINTS} == set(KINDS)
    for kind, verdict in verdicts.items():
        assert verdict.kind == kind
        hint, label = verdict.hint(lang="zh-CN"), verdict.label(lang="zh-CN")
        assert CJK.search(hint) and CJK.search(label) and label != verdict.label(lang="en")
        assert i18n.current() == "en"  # lang= did not leak out
    assert verdicts["sign"].hint(lang="zh-CN") == (
        "检查符号：4 是符号反过来的 ∂f/∂x。数一数从 f 往回走一路上的负号。"
    )
    assert "扇出" in verdicts["fan-out"].hint(lang="zh-CN") and "6" in verdicts["fan-out"].hint(
        lang="zh-CN"
    )
    local = verdicts["local"].hint(lang="zh-CN")
    assert "局部导数 ∂q/∂x" in local and "上游梯度 ∂f/∂q = -4" in local
    with i18n.language("zh-CN"):  # no lang=: the language in force
        assert verdicts["value"].label() == "给了值，不是梯度"
        assert labels()["fan-out"] == "忘了扇出求和"
