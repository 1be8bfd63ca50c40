"""Lesson 16 (batch-norm): its numbers against numpy and finite differences, its training
record against the momentum rule, its files, and its Chinese."""

import importlib.util
import os
import re

import numpy as np
import pytest

from autograd import topological_order
from demos import cli
from demos import lesson16_batch_norm as lesson16
from viz import i18n, render

HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
HAVE_DOT = any(render.find(name) for name in render.RENDERERS)
EPS = 1e-5
X = np.array(lesson16.X)
T = np.array(lesson16.TARGETS)


def run(tmp_path, lang="en", small=True, plots=True):
    lines = []
    lesson = cli.LESSONS["batch-norm"]
    with i18n.language(lang):
        results = lesson(out=str(tmp_path), plots=plots, small=small, echo=lines.append)
        lesson.finish()
    return results, "\n".join(lines), lesson


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    return run(tmp_path_factory.mktemp("batch-norm"))


def batch_norm(z, gamma=lesson16.GAMMA, beta=lesson16.BETA):
    """numpy's batch norm of one feature in training mode."""
    return gamma * (z - z.mean()) / np.sqrt(z.var() + EPS) + beta


def loss_of_z(z, targets=T):
    return float(np.mean((batch_norm(z) - targets) ** 2))


def numeric_grad(f, z, h=1e-6):
    """Central differences of f at z, one coordinate at a time."""
    grads = []
    for i in range(len(z)):
        up, down = z.copy(), z.copy()
        up[i] += h
        down[i] -= h
        grads.append((f(up) - f(down)) / (2 * h))
    return np.array(grads)


def test_forward_numbers_are_the_hand_worked_ones(english):
    r, text, _ = english
    z = X @ np.array(lesson16.W) + lesson16.B
    assert r["z"] == pytest.approx([2.0, 0.0, 0.5, 3.5])  # 1·x0 - 0.5·x1 + 0.5
    assert z.tolist() == pytest.approx(r["z"])
    assert (r["mean"], r["var"]) == (pytest.approx(1.5), pytest.approx(1.875))  # 7.5 / 4
    assert r["inv"] == pytest.approx(1 / np.sqrt(1.875 + EPS), abs=1e-15)
    assert r["d"] == pytest.approx([0.5, -1.5, -1.0, 2.0])
    assert r["y"] == pytest.approx(batch_norm(z).tolist(), abs=1e-14)
    assert r["loss"] == pytest.approx(loss_of_z(z), abs=1e-14)
    assert "  μ = (2.0 + 0.0 + 0.5 + 3.5) / 4 = 1.5" in text.splitlines()
    assert "  σ² = (0.25 + 2.25 + 1.0 + 4.0) / 4 = 1.875" in text.splitlines()


def test_the_engines_gradients_match_finite_differences_and_the_textbook_formula(english):
    r, text, _ = english
    z = np.array(r["z"])
    assert r["dz"] == pytest.approx(numeric_grad(loss_of_z, z).tolist(), abs=1e-8)
    assert r["dz"] == pytest.approx(r["dz_formula"], abs=1e-15)
    zhat = np.array(r["zhat"])
    dy = (np.array(r["y"]) - T) / 2  # ∂/∂y_i of the mean of 4 squares
    assert r["dy"] == pytest.approx(dy.tolist(), abs=1e-15)
    assert r["d_gamma"] == pytest.approx(float(dy @ zhat), abs=1e-14)
    assert r["d_beta"] == pytest.approx(float(dy.sum()), abs=1e-14)
    # the printed path sum for example 1: ∂L/∂z1 = ∂L/∂d1 + ∂L/∂μ · 1/4
    assert r["dz"][0] == pytest.approx(r["d_d1"] + r["d_mean"] / 4, abs=1e-15)
    num = lesson16.Lesson.num
    line = (
        f"  ∂L/∂z1 = ∂L/∂d1 + ∂L/∂μ · 1/4 = {num(r['d_d1'])} + {num(r['d_mean'])} · 0.25"
        f" = {num(r['dz'][0])}"
    )
    assert line in text.splitlines()


def test_the_gradients_over_the_batch_sum_to_zero_so_the_bias_learns_nothing(english):
    r, text, _ = english
    assert abs(r["dz_sum"]) < 1e-14 and abs(r["d_b"]) < 1e-14
    assert max(map(abs, r["dz"])) > 0.05  # each gradient itself is not 0
    assert r["d_b"] == pytest.approx(r["dz_sum"], abs=1e-15)
    assert np.abs(r["d_w"]).max() > 0.01  # the weights still learn: the direction matters
    assert f"∂L/∂b = {r['d_b']:.1e}." in text


def test_changing_example_four_changes_example_ones_gradient_only_with_batch_norm(english):
    r, text, _ = english
    changed = X.copy()
    changed[-1, 0] = lesson16.CHANGED
    z = X @ np.array(lesson16.W) + lesson16.B
    z_changed = changed @ np.array(lesson16.W) + lesson16.B
    before, after = r["dz1_bn"]
    assert before == pytest.approx(numeric_grad(loss_of_z, z)[0], abs=1e-8)
    assert after == pytest.approx(numeric_grad(loss_of_z, z_changed)[0], abs=1e-8)
    assert abs(after - before) > 0.1
    assert r["dz1_plain"] == pytest.approx([0.5, 0.5])  # 2 (z1 - t1) / 4 = (2 - 1) / 2
    assert "∂L/∂z1 = 0.5 -> 0.5" in text


def test_running_statistics_follow_the_momentum_rule_from_each_batch(english):
    r, text, _ = english
    h, m = r["history"], lesson16.MOMENTUM
    assert r["steps"] == 2 * lesson16.EXAMPLES // lesson16.N == len(h["mean"])
    mean, var = 0.0, 1.0
    for k in range(r["steps"]):  # the batch's unbiased variance, as torch
        mean = (1 - m) * mean + m * h["mean"][k]
        var = (1 - m) * var + m * h["var"][k]
        assert (h["running_mean"][k], h["running_var"][k]) == (
            pytest.approx(mean, abs=1e-12),
            pytest.approx(var, abs=1e-12),
        )
    assert (r["running_mean"], r["running_var"]) == (mean, var)
    assert r["epoch_losses"][-1] < r["epoch_losses"][0]
    biased = h["var"][0] * 3 / 4
    num = lesson16.Lesson.num
    assert f"0.9 · 1 + 0.1 · 4/3 · {num(biased)} = {num(h['running_var'][0])}" in text


def test_eval_mode_normalises_by_the_running_statistics_and_examples_stop_interacting(english):
    r, text, _ = english
    z = np.array(r["trained_z"])
    gamma, beta = r["gamma"], r["beta"]
    expected = gamma * (z - r["running_mean"]) / np.sqrt(r["running_var"] + EPS) + beta
    assert r["eval_mode"] == pytest.approx(expected.tolist(), abs=1e-12)
    assert r["train_mode"] == pytest.approx(batch_norm(z, gamma, beta).tolist(), abs=1e-12)
    assert np.abs(np.array(r["eval_mode"]) - r["train_mode"]).min() > 1e-3
    assert r["eval_changed"][0] == r["eval_mode"][0]
    assert r["eval_changed"][-1] != r["eval_mode"][-1]
    assert f"it stays {lesson16.Lesson.num(r['eval_mode'][0])}" in text


def test_the_lesson_writes_its_pictures_and_plots_and_says_what_to_look_for(english):
    _r, text, lesson = english
    written = {os.path.basename(p) for p, _ in lesson.files}
    if HAVE_DOT:
        assert {"graph.svg", "backprop.html"} <= written
        svg = (open(os.path.join(lesson.out, "graph.svg"), encoding="utf-8")).read()
        for label in ("z1", "z4", "mean", "variance", "1/σ", "ẑ1", "γ", "β", "loss"):
            assert f">{label}<" in svg
    if HAVE_MATPLOTLIB:
        assert {"running_mean.png", "running_var.png"} <= written
    assert "Look for:" in text and "fan-out" in text
    old = re.search(r"(?<![∂\w/.-])d ?[A-Za-z]\w* ?/ ?d ?[A-Za-z(]", text)
    assert old is None, old and old.group()


def test_the_pictured_graph_is_small_enough_to_step_through_and_names_every_leaf():
    root = lesson16.build()
    nodes = topological_order(root)
    assert 50 < len(nodes) < 200
    assert all(n.label for n in nodes if not n.inputs)
    (b,) = [n for n in nodes if n.label == "b"]
    assert abs(b.grad) < 1e-14
    inputs = [n for n in nodes if n.label.startswith("x")]
    assert len(inputs) == 2 * lesson16.N  # every example's own nodes are on the graph


def test_the_full_lesson_runs_its_four_epochs(tmp_path):
    # its time is in the note, not asserted: a stopwatch in a test fails on a busy machine
    r, _text, _lesson = run(tmp_path, small=False, plots=False)
    assert r["steps"] == 4 * lesson16.EXAMPLES // lesson16.N


def test_in_chinese_the_lesson_speaks_of_running_statistics_and_keeps_its_numbers(
    tmp_path, english
):
    r_en, text_en, _ = english
    r_zh, text, _ = run(tmp_path / "zh", lang="zh-CN")
    np.testing.assert_equal(r_zh, r_en)
    assert "批量归一化之前的偏置什么也学不到。" in text
    assert "每个 zᵢ 沿几条路径到达损失（扇出）" in text
    num = lesson16.Lesson.num
    mean = r_zh["history"]["mean"][0]
    first = f"  第 1 步：滑动均值 = 0.9 · 0 + 0.1 · {num(mean)} = {num(0.1 * mean)}"
    assert first in text.splitlines()
    assert f"把 x0[4] 改成 5.0 后它仍是 {num(r_zh['eval_mode'][0])}" in text
    assert "前向传播：" in text and "留意：" in text
    prose = re.sub(r"\S*/\S*", " ", text)  # the paths of the files it wrote
    left = set(re.findall(r"[A-Za-z]{3,}", prose))
    assert left <= {
        "eps",
        "SGD",
        "svg",
        "png",
        "html",
        "graph",
        "backprop",
        "running",
        "mean",
        "var",
    }
    if HAVE_DOT:
        svg = open(os.path.join(str(tmp_path / "zh"), "graph.svg"), encoding="utf-8").read()
        assert "16. 批量归一化" in svg and ">梯度<" in svg


def test_english_is_the_same_whether_asked_for_or_by_default(tmp_path):
    lesson, by_default = cli.LESSONS["batch-norm"], []
    lesson(out=str(tmp_path), plots=False, small=True, echo=by_default.append)
    _r, asked, _ = run(tmp_path, lang="en", plots=False)
    assert asked.startswith("\n".join(by_default))
    assert not re.search(r"[\u3400-\u9fff]", asked)
