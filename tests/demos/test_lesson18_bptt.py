"""Lesson 18 (bptt): its numbers against backprop through time worked by hand in plain Python,
its printed sums true as printed, its pictures folded by time step, and its Chinese."""

import importlib.util
import math
import re

import pytest

from autograd import topological_order
from demos import cli
from demos.lesson18_backprop_through_time import LARGE, SEQUENCE, SMALL, TARGET, W_HH, W_IH
from viz import i18n, render
from viz.format import fmt

HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
HAVE_DOT = any(render.find(name) for name in render.RENDERERS)
CJK = re.compile(r"[\u3400-\u9fff]")


def run(tmp_path, lang="en", small=True):
    lines = []
    lesson = cli.LESSONS["bptt"]
    with i18n.language(lang):
        results = lesson(out=str(tmp_path), plots=True, small=small, echo=lines.append)
        lesson.finish()
    return results, "\n".join(lines), lesson


def by_hand(w_hh, relu=False):
    """h_t, ∂L/∂h_t and ∂L/∂a_t for h_t = f(W_IH x_t + w_hh h_(t-1)), L = (h_6 - y)²."""
    hs, h = [], 0.0
    for x in SEQUENCE:
        a = W_IH * x + w_hh * h
        h = max(a, 0.0) if relu else math.tanh(a)
        hs.append(h)
    slope = [(1.0 if h > 0 else 0.0) if relu else 1.0 - h * h for h in hs]  # f'(a_t)
    d_h = [0.0] * len(hs)
    d_h[-1] = 2.0 * (hs[-1] - TARGET)
    for t in range(len(hs) - 1, 0, -1):  # ∂L/∂h_(t-1) = ∂L/∂h_t · f'(a_t) · w_hh
        d_h[t - 1] = d_h[t] * slope[t] * w_hh
    d_a = [g * s for g, s in zip(d_h, slope)]
    return hs, d_h, d_a, slope


def test_the_tanh_rnn_forward_and_backward_match_the_hand_worked_recurrence(tmp_path):
    r, text, _ = run(tmp_path)
    hs, d_h, d_a, slope = by_hand(W_HH)
    assert r["h"] == pytest.approx(hs, abs=1e-15)
    assert r["loss"] == pytest.approx((hs[-1] - TARGET) ** 2, abs=1e-15)
    assert r["d_h"] == pytest.approx(d_h, abs=1e-15)
    assert r["factors"] == pytest.approx([W_HH * s for s in slope], abs=1e-15)
    assert abs(r["d_h"][0]) < abs(r["d_h"][-1]) / 20  # it fades on the way back to step 1
    for t in range(1, 7):  # the table, row by row: ∂L/∂h_t and the factor to step t - 1
        row = f"  {t:>2}  {fmt(d_h[t - 1], 4):>10}  {fmt(W_HH * slope[t - 1], 4):>14}"
        assert row in text.splitlines()


def test_the_shared_weights_gradient_is_the_sum_of_one_term_per_time_step(tmp_path):
    r, text, _ = run(tmp_path)
    hs, _, d_a, _ = by_hand(W_HH)
    before = [0.0] + hs[:-1]
    assert r["terms_hh"] == pytest.approx([g * h for g, h in zip(d_a, before)], abs=1e-15)
    assert r["terms_ih"] == pytest.approx([g * x for g, x in zip(d_a, SEQUENCE)], abs=1e-15)
    assert r["terms_hh"][0] == 0.0 and len(r["terms_hh"]) == len(SEQUENCE)
    assert r["d_w_hh"] == pytest.approx(sum(r["terms_hh"]), abs=1e-15)
    assert r["d_w_ih"] == pytest.approx(sum(r["terms_ih"]), abs=1e-15)
    assert f"= {fmt(r['d_w_hh'], 4)}" in text and f"= {fmt(r['d_w_ih'], 4)}" in text


def test_relu_multiplies_by_exactly_w_hh_per_step_so_it_vanishes_or_explodes(tmp_path):
    r, text, _ = run(tmp_path)
    for key, w in (("relu_small", SMALL), ("relu_large", LARGE)):
        _, d_h, _, slope = by_hand(w, relu=True)
        assert all(s == 1.0 for s in slope)  # every unit on: inputs > 0
        assert r[key] == pytest.approx(d_h, rel=1e-14)
        assert r[key][0] == r[key][-1] * w**5  # powers of 2: exact in floating point
    assert "∂L/∂h1 / ∂L/∂h6 = 0.5^5 = 0.03125: the vanishing gradient" in text
    assert "∂L/∂h1 / ∂L/∂h6 = 2^5 = 32: the exploding gradient" in text
    _, d_h, _, _ = by_hand(LARGE)
    assert r["tanh_large"] == pytest.approx(d_h, rel=1e-12)
    assert abs(d_h[0] / d_h[-1]) < 1e-3  # tanh saturates: a large weight vanishes too


def test_clipping_scales_the_exploding_gradient_to_norm_one_keeping_its_direction(tmp_path):
    r, text, _ = run(tmp_path)
    before, after = r["grads_before"], r["grads_after"]
    norm = math.hypot(*before)
    assert r["norm_before"] == pytest.approx(norm, rel=1e-15) and norm > 1000
    scale = 1.0 / (norm + 1e-6)  # torch's rule: max_norm / (norm + 1e-6)
    assert after == pytest.approx([g * scale for g in before], rel=1e-15)
    assert r["norm_after"] == pytest.approx(1.0, abs=1e-8)
    assert f"norm {fmt(norm, 4)}" in text and "norm 1\n" in text + "\n"


def test_every_printed_sum_and_equation_is_true_as_printed(tmp_path):
    _, text, _ = run(tmp_path)
    sums = re.findall(r"= (-?[\d.e+-]+(?: [+-] [\d.e+-]+)+) ([=≈]) (-?[\d.e+-]+)$", text, re.M)
    assert len(sums) == 2  # ∂L/∂w_hh and ∂L/∂w_ih
    for terms, sign, total in sums:
        value = float(terms.split()[0])
        for op, number in zip(terms.split()[1::2], terms.split()[2::2]):
            value += float(number) if op == "+" else -float(number)
        assert (fmt(value, 4) == total) == (sign == "="), (terms, sign, total)
    (h6, sign, loss), *_ = re.findall(r"L = \(([\d.]+) - 1\)² ([=≈]) ([\d.]+)", text)
    assert (fmt((float(h6) - 1) ** 2, 4) == loss) == (sign == "=")


def test_the_graph_is_one_box_per_time_step_with_the_same_weights_in_every_step():
    root = cli.LESSONS["bptt"].build()
    nodes = topological_order(root)
    assert len(nodes) < 300  # small enough for the player
    scopes = {n.scope for n in nodes if n.op is not None} - {""}
    assert scopes == {f"t{t}" for t in range(1, 7)}
    (w_hh,) = [n for n in nodes if n.label == "w_hh"]
    users = {n.scope for n in nodes if n.op and any(i is w_hh for i in n.inputs)}
    assert users == scopes  # one Value, used at all six steps


@pytest.mark.skipif(not HAVE_DOT, reason="pictures need a layout program (graphviz-pure)")
def test_it_writes_a_folded_graph_an_unfolded_one_and_the_player_page(tmp_path):
    _, text, lesson = run(tmp_path)
    written = {p.split("/")[-1] for p, _ in lesson.files}
    assert {"graph.svg", "graph_two_steps.svg", "backprop.html"} <= written
    folded = (tmp_path / "graph.svg").read_text(encoding="utf-8")
    assert len(re.findall(r'<g id="s\d+"', folded)) == 6  # a box per time step
    unfolded = (tmp_path / "graph_two_steps.svg").read_text(encoding="utf-8")
    assert re.search(r">t1<", unfolded) and re.search(r">t2<", unfolded)  # two frames
    assert "+= " in unfolded  # w_hh's edges say what each step adds
    page = (tmp_path / "backprop.html").read_text(encoding="utf-8")
    assert "<title>18. Backprop through time</title>" in page
    assert "Look for:" in text


@pytest.mark.skipif(not HAVE_MATPLOTLIB, reason="plots need the optional matplotlib")
def test_it_plots_the_gradient_per_time_step(tmp_path):
    _, _, lesson = run(tmp_path)
    assert (tmp_path / "bptt_gradients.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_in_chinese_it_speaks_of_time_steps_and_prints_the_same_numbers(tmp_path):
    english, en_text, _ = run(tmp_path / "en", "en")
    chinese, zh_text, _ = run(tmp_path / "zh", "zh-CN")
    assert chinese == english
    for words in ("循环神经网络", "隐藏状态", "时间步", "随时间反向传播", "扇出", "梯度消失",
                  "梯度爆炸", "梯度裁剪", "裁剪前：", "裁剪后：", "留意："):  # fmt: skip
        assert words in zh_text, words
    assert "∂L/∂h1 / ∂L/∂h6 = 0.5^5 = 0.03125：梯度消失" in zh_text
    assert f"范数 {fmt(english['norm_before'], 4)}" in zh_text
    english_lines = [line for line in zh_text.splitlines() if "the " in line or "step " in line]
    assert english_lines == []
    assert "The loss scores only the last hidden state: L = (h6 - y)², y = 1" in en_text
    assert not CJK.search(en_text)
    with i18n.language("zh-CN"):
        assert cli.LESSONS["bptt"].title == "18. 随时间反向传播"


def test_the_whole_lesson_tells_the_same_chain_as_the_small_one(tmp_path):
    # its time is in the note, not asserted: a stopwatch in a test fails on a busy machine
    full, _, _ = run(tmp_path / "full", small=False)
    small, _, _ = run(tmp_path / "small")
    assert full["d_h"] == small["d_h"] and full["loss"] == small["loss"]
