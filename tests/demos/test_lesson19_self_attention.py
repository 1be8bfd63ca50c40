"""Lesson 19 (self-attention): its numbers against numpy worked independently from the
lesson's tokens and weights, the equations it prints true as printed, its files, and Chinese."""

import importlib.util
import math
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from autograd import topological_order
from demos import cli
from demos import lesson19_self_attention as lesson19
from viz import i18n, render

HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
HAVE_DOT = any(render.find(name) for name in render.RENDERERS)
X = np.array(lesson19.X)
WQ, WK, WV = (np.array(lesson19.W[n]) for n in ("query", "key", "value"))
G = np.array(lesson19.G)


def run(tmp_path, lang="en"):
    lines = []
    lesson = cli.LESSONS["self-attention"]
    with i18n.language(lang):
        results = lesson(out=str(tmp_path / lang), small=True, echo=lines.append)
        lesson.finish()
    return results, "\n".join(lines), lesson


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    return run(tmp_path_factory.mktemp("lesson19"))


def softmax_rows(S):
    E = np.exp(S - S.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def by_numpy(scale):
    """Forward and the hand-derived backward for the lesson's tokens, L = sum G ⊙ out."""
    Q, K, V = X @ WQ.T, X @ WK.T, X @ WV.T
    c = 1 / math.sqrt(2) if scale else 1.0
    A = softmax_rows(c * Q @ K.T)
    dA = G @ V.T
    dS = A * (dA - (dA * A).sum(axis=1, keepdims=True))
    return Q, K, V, A, A @ V, c * dS @ K, c * dS.T @ Q, A.T @ G


def test_the_forward_numbers_are_numpys(english):
    results, _text, _lesson = english
    Q, K, V, A, out, *_ = by_numpy(scale=True)
    np.testing.assert_allclose(results["Q"], [[1.0, -0.5], [0.2, 0.8], [1.2, 0.3]], atol=1e-15)
    np.testing.assert_allclose(results["K"], K, atol=1e-15)
    np.testing.assert_allclose(results["V"], V, atol=1e-15)
    np.testing.assert_allclose(results["S"], Q @ K.T / math.sqrt(2), atol=1e-14)
    np.testing.assert_allclose(results["A"], A, atol=1e-14)
    np.testing.assert_allclose(results["out"], out, atol=1e-14)
    np.testing.assert_allclose(results["row_sums"], [1.0, 1.0, 1.0], atol=1e-15)
    assert results["loss"] == pytest.approx(float((G * out).sum()), abs=1e-14)


def test_the_jacobian_is_the_softmax_formula_and_its_rows_sum_to_zero(english):
    results, _text, _lesson = english
    a = by_numpy(scale=True)[3][0]
    J = np.array(results["jacobian"])
    np.testing.assert_allclose(J, np.diag(a) - np.outer(a, a), atol=1e-15)
    np.testing.assert_allclose(J.sum(axis=1), 0.0, atol=1e-15)
    assert results["jacobian_diff"] < 1e-15


def test_the_seeds_backward_matches_the_engine_unscaled_and_scaled(english):
    results, text, _lesson = english
    check = results["seed_check"]
    assert max(check["unscaled"]) < 1e-12 and max(check["scaled"]) < 1e-12
    assert check["unfactored"] > 0.05  # without 1/√2, dQ would be wrong
    *_, dQ, dK, dV = by_numpy(scale=True)
    np.testing.assert_allclose(results["dQ"], dQ, atol=1e-14)
    np.testing.assert_allclose(results["dK"], dK, atol=1e-14)
    np.testing.assert_allclose(results["dV"], dV, atol=1e-14)
    assert "  unscaled, S = Q Kᵀ: max |difference| dQ " in text


def test_the_causal_weights_hide_the_future(english):
    results, _text, _lesson = english
    Q, K = X @ WQ.T, X @ WK.T
    S = Q @ K.T / math.sqrt(2)
    expected = np.zeros((3, 3))
    for i in range(3):
        expected[i, : i + 1] = softmax_rows(S[i : i + 1, : i + 1])[0]
    np.testing.assert_allclose(results["causal_A"], expected, atol=1e-14)


def test_order_only_matters_once_positions_are_encoded(english):
    results, _text, _lesson = english
    pos, i = np.arange(3)[:, None], np.arange(2)[None, :]
    angle = pos / 10000 ** ((i - i % 2) / 2)
    np.testing.assert_allclose(results["PE"], np.where(i % 2, np.cos(angle), np.sin(angle)))
    assert results["order"]["plain"] < 1e-12
    assert results["order"]["encoded"] > 0.05
    for row in results["heads"]:  # each head's weights for token 1
        assert sum(row) == pytest.approx(1.0, abs=1e-12)


def printed_matrices(text, heading):
    """The matrices printed side by side under the line starting with `heading`."""
    lines = text.splitlines()
    start = next(k for k, line in enumerate(lines) if line.strip().startswith(heading))
    rows = []
    for line in lines[start + 1 :]:
        numbers = re.findall(r"-?\d+\.\d+", line)
        if not numbers or re.search(r"[A-Za-z]", line):
            break
        rows.append([float(n) for n in numbers])
    return np.array(rows)


def test_every_printed_equation_holds_for_the_printed_numbers(english):
    _results, text, _lesson = english
    qkv = printed_matrices(text, "Q = X Wqᵀ")
    Q, K, V = qkv[:, 0:2], qkv[:, 2:4], qkv[:, 4:6]
    np.testing.assert_allclose(Q, X @ WQ.T, atol=1e-15)  # one decimal each: nothing rounded
    sao = printed_matrices(text, "S = Q Kᵀ / √2")
    S, A, out = sao[:, 0:3], sao[:, 3:6], sao[:, 6:8]
    assert np.abs(S - Q @ K.T / math.sqrt(2)).max() <= 5e-4  # rounded to 3 decimals
    assert np.abs(A - softmax_rows(S)).max() <= 2e-3
    assert np.abs(out - A @ V).max() <= 2e-3
    c, hand, engine = map(float, re.search(r"first entry: (\S+) · (\S+) = (\S+)", text).groups())
    assert c == pytest.approx(1 / math.sqrt(2), abs=5e-5)
    assert c * hand == pytest.approx(engine, abs=1e-4)
    assert "Each row of A sums to 1: 1.000, 1.000, 1.000. Token 1 attends most to token 1." in text


def test_the_lesson_writes_its_pictures_and_says_what_to_look_for(english):
    _results, text, lesson = english
    written = {os.path.basename(p) for p, _ in lesson.files}
    if HAVE_MATPLOTLIB:
        assert "attention.png" in written
    if HAVE_DOT:
        assert {"graph.svg", "backprop.html"} <= written
        svg = open(os.path.join(lesson.out, "graph.svg"), encoding="utf-8").read()
        for box in ("query", "key", "value", "scores", "softmax", "mix", "loss"):
            assert f">{box}<" in svg, box
    assert "Look for:" in text and "the causal map is blank above the diagonal" in text


def test_the_steppable_graph_is_a_few_hundred_nodes_folded_by_module():
    root = lesson19.build()
    nodes = topological_order(root)
    assert 150 < len(nodes) < 300
    tops = {n.scope.split(".")[0] for n in nodes}
    assert {"query", "key", "value", "scores", "softmax", "mix", "loss"} <= tops
    assert root.grad == 1.0 and any(n.label == "q11" and n.grad != 0.0 for n in nodes)


def test_in_chinese_it_speaks_of_attention_with_the_same_numbers(english, tmp_path):
    results, text, _lesson = english
    zh_results, zh_text, _ = run(tmp_path, "zh-CN")
    np.testing.assert_equal(zh_results, results)
    for said in (
        "3 个词元，每个有 2 个特征；一个注意力头，没有偏置。",
        "A 的每一行加起来都是 1：1.000, 1.000, 1.000。词元 1 最关注词元 1。",
        "第 1 行 softmax 的雅可比矩阵 ∂a1j/∂s1k = a1j (δjk - a1k)，由引擎算出：",
        "教程里手写的 attention_backward（numpy）和引擎对比，∂L/∂out = G：",
        "多头注意力让几个头并排运行，每个头只用自己那一段特征。",
        "位置编码给每个位置 p 加上一组它独有的数：",
        "留意：",
    ):
        assert said in zh_text
    entry = re.search(r"first entry: (.*)", text).group(1)
    assert f"例如第一个元素：{entry}" in zh_text
    assert "Each row of A" not in zh_text and "Look for:" not in zh_text
    with i18n.language("zh-CN"):
        assert cli.LESSONS["self-attention"].title == "19. 自注意力"


def test_the_command_runs_it_in_chinese_from_the_environment(tmp_path):
    env = dict(os.environ, LANGUAGE="", LC_ALL="", LANG="zh_CN.UTF-8")
    done = subprocess.run(
        [sys.executable, "-m", "demos.cli", "run", "self-attention", "--no-plots",
         "--out", str(tmp_path)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "用 X + PE，顺序就有影响了" in done.stdout
