"""Lesson 15, skip connections: the per-layer gradient norms of the plain and the residual
stack (checked against backprop written out in numpy), the chain's numbers by hand, every
printed equation true, its pictures, and the same lesson in Chinese."""

import importlib.util
import math
import os
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from autograd import topological_order
from demos import cli
from demos import lesson15_skip_connections as skip
from nn.residual import deep_stack
from viz import i18n, render
from viz.dot import draw

HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
HAVE_DOT = any(render.find(name) for name in render.RENDERERS)


def run(out, lang="en", seed=0):
    """Run the lesson small into `out`: its numbers, its printed text, the lesson."""
    lines = []
    lesson = cli.LESSONS["skip-connections"]
    with i18n.language(lang):
        results = lesson(out=str(out), seed=seed, small=True, echo=lines.append)
        lesson.finish()
    return results, "\n".join(lines), lesson


def numpy_norms(seed, residual):
    """The lesson's per-layer gradient norms, by backprop written out in numpy: for each layer
    h = act + (h_in if residual), act = sigmoid(W h_in + b); loss = mean (h - Y)^2."""
    model = deep_stack(skip.WIDTH, skip.DEPTH, residual=residual, rng=seed)  # for its weights
    layers = [layer.f if residual else layer for layer in model.layers]
    Ws = [np.array([[w.data for w in unit.w] for unit in layer.neurons]) for layer in layers]
    bs = [np.array([unit.b.data for unit in layer.neurons]) for layer in layers]
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((skip.EXAMPLES, skip.WIDTH))
    Y = rng.standard_normal((skip.EXAMPLES, skip.WIDTH))
    hs, acts = [X], []
    for W, b in zip(Ws, bs):
        a = 1.0 / (1.0 + np.exp(-(hs[-1] @ W.T + b)))
        acts.append(a)
        hs.append(a + hs[-1] if residual else a)
    g = 2.0 * (hs[-1] - Y) / Y.size  # ∂loss/∂h for the last layer
    norms = []
    for W, a, h_in in zip(Ws[::-1], acts[::-1], hs[-2::-1]):
        gu = g * a * (1.0 - a)  # through the sigmoid
        gW, gb = gu.T @ h_in, gu.sum(axis=0)
        norms.append(math.sqrt(np.sum(gW**2) + np.sum(gb**2)))
        g = gu @ W + (g if residual else 0.0)  # the skip hands g back unchanged
    return norms[::-1]


@pytest.mark.parametrize("seed", [0, 3])
def test_the_plain_stack_fades_by_orders_of_magnitude_and_the_residual_one_does_not(tmp_path, seed):
    results, text, _ = run(tmp_path, seed=seed)
    plain, residual = results["norms"]["plain"], results["norms"]["residual"]
    assert len(plain) == len(residual) == skip.DEPTH
    np.testing.assert_allclose(plain, numpy_norms(seed, False), rtol=1e-9)
    np.testing.assert_allclose(residual, numpy_norms(seed, True), rtol=1e-9)
    assert results["ratios"]["plain"] == pytest.approx(plain[0] / plain[-1])
    assert plain[0] < 1e-8 * plain[-1]  # many orders of magnitude towards the input
    assert max(residual) < 100 * min(residual)  # every layer within a small factor
    said = f"    layer 1 / layer 20 = {plain[0] / plain[-1]:.1e}: on average"
    assert said in text


def test_the_chain_gives_one_and_a_quarter_per_block_and_the_paths_add_up(tmp_path):
    results, text, _ = run(tmp_path)
    chain = results["chain"]
    assert chain["local"] == [1.25, 1.25, 1.25]  # 1 + w s(1 - s) with w = 1, s = 0.5
    assert chain["product"] == chain["total"] == 1.25**3 == 1.953125
    assert chain["paths"] == 2**3  # at each block: the skip or f
    # the paths through k of the 3 f's: comb(3, k) of them, each 0.25^k
    assert chain["groups"] == {k: math.comb(3, k) * 0.25**k for k in range(4)}
    assert chain["plain"] == 0.25**3
    assert chain["loss"] == 0.25  # (2.5 - 2)^2
    assert chain["grads"] == {"h3": 1.0, "h2": 1.25, "h1": 1.5625, "x": 1.953125}
    lines = text.splitlines()
    assert "  ∂h3/∂x = ∂h3/∂h2 · ∂h2/∂h1 · ∂h1/∂x = 1.25 · 1.25 · 1.25 = 1.953125" in lines
    assert "    the identity path (every skip): 1 · 1 · 1 = 1" in lines
    assert "    through 2 f: 3 paths, 0.0625 + 0.0625 + 0.0625 = 0.1875" in lines
    assert "    sum: 1 + 0.75 + 0.1875 + 0.015625 = 1.953125" in lines
    assert "           ∂h2/∂h1 = 1 + w2·s2(1 - s2) = 1 + 1 · 0.25 = 1.25" in lines
    assert "backward() gave x.grad = 1.953125" in lines
    assert "Look for:" in lines


ARITHMETIC = re.compile(r"[-+*/() .\deE]+")
# Arithmetic that ends a left side after words, "sum: 1 + 0.75": numbers joined by operators.
NUMBER = r"\(?-?\d[\d.]*\)?"
TAIL = re.compile(rf"(?<![\w.]){NUMBER}(?:\s*[-+·×*/^]\s*{NUMBER})+$")


def equations(text):
    """Each printed chain a = b = c split into its parts, clauses split at , ; : first."""
    for line in text.splitlines():
        for clause in re.split(r"[,;:]\s|[，；：]", line):
            parts = [p.strip().rstrip(".。") for p in clause.split(" = ")]
            if len(parts) > 1:
                tail = TAIL.search(parts[0])  # the left side may follow words
                parts[0] = tail.group() if tail else parts[0]
                yield line, parts


def value(part):
    """The number an arithmetic part stands for, or None for a formula or words."""
    expr = part.replace("·", "*").replace("×", "*").replace("^", "**")
    if ARITHMETIC.fullmatch(expr) and re.search(r"\d", expr):
        return eval(expr)  # digits and operators only: see ARITHMETIC
    return None


def true_equations(text):
    """How many equalities between numbers `text` prints, each asserted true (to 1e-6)."""
    checked = 0
    for line, parts in equations(text):
        values = [v for v in map(value, parts) if v is not None]
        for a, b in zip(values, values[1:]):
            assert a == pytest.approx(b, rel=1e-6), line
            checked += 1
    return checked


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_equation_with_numbers_on_both_sides_is_true_as_printed(tmp_path, lang):
    _results, text, _ = run(tmp_path, lang)
    checked = true_equations(text)
    # the chain: 3 blocks' u and ∂h/∂x, their product, the 4 path groups, the sum, the bound
    # and the loss
    assert checked == 13


def test_the_small_graph_folds_each_f_and_keeps_the_adds_and_skips_drawn():
    loss = skip.build()
    nodes = topological_order(loss)
    at = {n.label: i for i, n in enumerate(nodes) if n.label}
    picture = draw(loss, "test", collapse=True)
    for i in (1, 2, 3):
        assert not picture.folded(at[f"h{i}"])  # the add is drawn, with its two edges
        assert picture.folded(at[f"s{i}"]) and picture.folded(at[f"w{i}"])  # inside f_i
    assert len(nodes) < 40  # small enough for the player
    assert nodes[at["x"]].grad == 1.953125


@pytest.mark.skipif(not HAVE_DOT, reason="no layout program: pip install graphviz-pure")
def test_the_pictures_are_written_and_the_path_view_shows_the_eight_paths(tmp_path):
    _results, _text, lesson = run(tmp_path)
    written = {os.path.basename(p) for p, _ in lesson.files}
    assert {"path.svg", "graph.svg", "backprop.html"} <= written
    if HAVE_MATPLOTLIB:
        assert "gradient_norms.png" in written
    svg = (tmp_path / "path.svg").read_text(encoding="utf-8")
    ET.fromstring(svg)
    assert "8 paths from L back to x; path 8, along the skips, is all 1s" in svg
    assert "1 × 1 × 1 × 1 × 1 = 1" in svg  # the identity path from L: every local is 1
    assert "sum over 8 paths" in svg and "backward() gave x.grad = 1.953125" in svg
    graph = (tmp_path / "graph.svg").read_text(encoding="utf-8")
    assert "15. Skip connections" in graph and ">f1<" in graph


def test_in_chinese_it_speaks_of_skip_connections_with_the_same_numbers(tmp_path):
    english, en_text, _ = run(tmp_path / "en", "en")
    chinese, zh_text, _ = run(tmp_path / "zh", "zh-CN")
    np.testing.assert_equal(chinese, english)
    lines = zh_text.splitlines()
    assert "残差网络给每一层都加上一条跳跃连接：h = x + f(x)。" in zh_text
    assert "    恒等路径（全走跳跃连接）：1 · 1 · 1 = 1" in lines
    assert "    穿过 1 个 f：3 条路径，0.25 + 0.25 + 0.25 = 0.75" in lines
    assert "`backward()` 算出的 x.grad = 1.953125" in lines
    ratio = english["ratios"]["plain"]
    assert f"    第 1 层 / 第 20 层 = {ratio:.1e}：平均每层 ×" in zh_text
    assert "留意：" in lines and "打开：" in lines
    with i18n.language("zh-CN"):
        assert cli.LESSONS["skip-connections"].title == "15. 跳跃连接"
    # English stays English when asked for, whatever ran before
    again, text, _ = run(tmp_path / "en2", "en")
    assert text == en_text.replace(str(tmp_path / "en"), str(tmp_path / "en2"))
