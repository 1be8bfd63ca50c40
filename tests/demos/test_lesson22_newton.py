"""Lesson 22, Newton's method: f′ and f″ by grad of grad against their closed forms, Newton's
iterates against the hand formula, the bowl's one step to A⁻¹b, Rosenbrock's Hessian against
[[1200u² - 400v + 2, -400u], [-400u, 200]], every printed Newton row true as printed, its
pictures, and the same lesson in Chinese."""

import importlib.util
import math
import os
import re
import sys

import numpy as np
import pytest

from autograd import topological_order
from autograd.higher import hessian
from demos import cli
from demos import lesson22_newton as newton
from viz import i18n, render

HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
HAVE_DOT = any(render.find(name) for name in render.RENDERERS)
ROOT = math.sqrt(2.0 / 3.0)


def run(out, lang="en"):
    """Run the lesson small into `out`: its numbers, its printed text, the lesson."""
    lines = []
    lesson = cli.LESSONS["newton"]
    with i18n.language(lang):
        results = lesson(out=str(out), small=True, echo=lines.append)
        lesson.finish()
    return results, "\n".join(lines), lesson


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    return run(tmp_path_factory.mktemp("en"))


def f1(x):  # f′(x) for f = x³ - 2x + 1, by hand
    return 3 * x * x - 2


def f2(x):  # f″(x)
    return 6 * x


def rosenbrock_gradient(u, v):
    return np.array([-2 * (1 - u) - 400 * u * (v - u * u), 200 * (v - u * u)])


def rosenbrock_hessian(u, v):
    return np.array([[1200 * u * u - 400 * v + 2, -400 * u], [-400 * u, 200.0]])


def test_grad_of_grad_gives_f_prime_10_and_f_second_12_at_two(english):
    results, text, _ = english
    assert results["f0"] == 2**3 - 2 * 2 + 1 == 5
    assert results["d1"] == f1(2.0) == 10 and results["d2"] == f2(2.0) == 12
    assert "f′(2) = 3·2² - 2 = 10" in text and "second derivative f″(2) = 6·2 = 12" in text
    for x in (-1.5, -0.3, 0.7, 3.1):  # the lesson's derivatives are grad's, at any x
        d1, d2 = newton.derivatives(x)
        assert d1 == pytest.approx(f1(x), rel=1e-12) and d2 == pytest.approx(f2(x), rel=1e-12)


def test_the_picture_s_graph_is_f_prime_and_its_backprop_gives_f_second():
    root = newton.build()
    assert root.data == f1(2.0)
    (x,) = [n for n in topological_order(root) if n.label == "x"]
    assert x.grad == f2(2.0) == 12  # d f′/dx through the gradient graph


def test_newton_iterates_are_the_hand_formula_and_reach_the_minimum_and_the_maximum(english):
    results, _, _ = english
    for key, start, target in (("newton", 2.0, ROOT), ("other_side", -1.5, -ROOT)):
        steps = results["one_d"][key]
        x, expected = start, []
        while abs(f1(x)) >= newton.TOL:
            expected.append(x)
            x = x - f1(x) / f2(x)
        expected.append(x)
        np.testing.assert_allclose([s["x"] for s in steps], expected, rtol=1e-12, atol=1e-15)
        assert steps[-1]["x"] == pytest.approx(target, abs=1e-7)  # |f′| < 1e-6 there
        assert (steps[-1]["d2"] > 0) == (target > 0)  # a minimum, then a maximum (f″ < 0)
    assert len(results["one_d"]["newton"]) - 1 == results["steps"]["cubic"]["newton"] == 5
    # gradient descent from the same start, learning rate 0.1, the same stopping rule
    x, count = 2.0, 0
    while abs(f1(x)) >= newton.TOL:
        x, count = x - 0.1 * f1(x), count + 1
    assert results["steps"]["cubic"]["descent"] == count > 4 * 5
    back = results["one_d"]["descent_other_side"]
    assert all(b < a for a, b in zip(back, back[1:]))  # downhill to -∞, away from the maximum


def test_every_printed_newton_row_is_true_as_printed(english):
    _, text, _ = english
    assert "The first step: 2 - 10/12 = 1.166667." in text
    number = r"(-?[\d.]+(?:e[-+]\d+)?)"
    rows = re.findall(rf"^ +(\d+) +{number} +{number} +{number} +{number} +{number}$", text, re.M)
    tables = [[]]
    for row in rows:
        if row[0] == "0" and tables[-1]:
            tables.append([])
        tables[-1].append([float(v) for v in row[1:]])
    assert [len(t) for t in tables[:2]] == [6, 5]  # the two 1-D tables come first
    for table in tables[:2]:
        for (x, d1, d2, step, _dist), after in zip(table, table[1:] + [None]):
            assert d1 == pytest.approx(f1(x), rel=1e-3, abs=1e-6)  # 4 digits printed
            assert d2 == pytest.approx(f2(x), rel=1e-3)
            assert step == pytest.approx(d1 / d2, rel=2e-3, abs=1e-6)
            if after is not None:
                assert after[0] == pytest.approx(x - step, rel=1e-3)


def test_the_bowl_is_solved_in_one_newton_step_at_a_inverse_b(english):
    results, text, _ = english
    A, b = np.array(newton.A), np.array(newton.B)
    bowl = results["bowl"]
    np.testing.assert_allclose(bowl["hessian"], A, atol=1e-12)
    assert len(bowl["newton"]) == 2  # the start and one step
    np.testing.assert_allclose(bowl["newton"][1], np.linalg.solve(A, b), atol=1e-12)
    # gradient descent at rate 0.2 zig-zags: the part along (1, 1) flips sign at each step
    along = [np.dot(np.array(x) - np.linalg.solve(A, b), (1, 1)) for x in bowl["descent"]]
    assert all(a * b < 0 for a, b in zip(along[:20], along[1:21]))
    x, count = np.array(newton.BOWL_START), 0
    while np.linalg.norm(A @ x - b) >= newton.TOL:
        x, count = x - 0.2 * (A @ x - b), count + 1
    assert bowl["descent_steps"] == count == results["steps"]["bowl"]["descent"] > 50
    assert "x1 = (-1, 2) - (-2, 1) = (1, 1)" in text


@pytest.mark.parametrize("point", [(-1.2, 1.0), (0.3, -0.7), (1.0, 1.0), (2.0, 3.5)])
def test_rosenbrock_s_hessian_is_the_closed_form(point):
    np.testing.assert_allclose(
        hessian(newton.rosenbrock, point), rosenbrock_hessian(*point), rtol=1e-12
    )


def test_rosenbrock_newton_is_numpy_s_newton_and_lands_on_one_one(english):
    results, text, _ = english
    ros = results["rosenbrock"]
    np.testing.assert_allclose(ros["hessian"], [[1330, 480], [480, 200]], rtol=1e-12)
    x, expected = np.array(newton.START), []
    while np.linalg.norm(rosenbrock_gradient(*x)) >= newton.TOL:
        expected.append(x)
        x = x - np.linalg.solve(rosenbrock_hessian(*x), rosenbrock_gradient(*x))
    expected.append(x)
    np.testing.assert_allclose(ros["newton"], expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ros["newton"][-1], (1.0, 1.0), atol=1e-8)
    assert len(ros["newton"]) - 1 == 6
    # gradient descent at 0.001 takes thousands of steps to the same tolerance
    assert ros["descent_steps"] > 1000 * 6
    assert np.linalg.norm(rosenbrock_gradient(*ros["descent_end"])) < newton.TOL
    assert "[[1200·(-1.2)² - 400·1 + 2, -400·(-1.2)], [-400·(-1.2), 200]]" in text
    assert "= [[1330, 480], [480, 200]]" in text
    count = results["steps"]["rosenbrock"]["descent"]
    assert re.search(rf"Rosenbrock +6 +{count}$", text, re.M)


@pytest.mark.skipif(not HAVE_MATPLOTLIB, reason="plots need the optional matplotlib")
@pytest.mark.skipif(not HAVE_DOT, reason="graph.svg needs a Graphviz layout program")
def test_it_writes_the_graphs_the_page_and_the_three_plots(english):
    _, text, lesson = english
    names = {os.path.basename(p) for p, _ in lesson.files}
    assert names == {
        "f.svg", "graph.svg", "backprop.html", "newton_1d.png", "newton_paths.png",
        "newton_loss.png",
    }  # fmt: skip
    for path, _ in lesson.files:
        assert os.path.getsize(path) > 1000
    assert "backprop through it puts f″(2) = 12 in x's grad" in text


def test_without_matplotlib_it_still_runs_and_names_the_skipped_plots(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    results, text, lesson = run(tmp_path)
    assert results["steps"]["bowl"]["newton"] == 1
    assert text.count("matplotlib is missing") == 3
    assert not any(p.endswith(".png") for p, _ in lesson.files)


def test_in_chinese_it_speaks_of_newtons_method_and_the_hessian_with_the_same_numbers(
    english, tmp_path
):
    results, _, _ = english
    chinese, text, lesson = run(tmp_path, "zh-CN")
    np.testing.assert_equal(chinese, results)
    for said in (
        "`grad(f′, x)` 给出二阶导数 f″(2) = 6·2 = 12。",
        "第一步：2 - 10/12 = 1.166667。",
        "牛顿法找的是 f′ = 0 的点，分不清极小值和极大值。",
        "从 x = 2 开始梯度下降，学习率 0.1：x ← x - 0.1·f′(x)。",
        "在二维中，由黑塞矩阵 H（二阶导数组成的矩阵）代替 f″：",
        "x1 = (-1, 2) - (-2, 1) = (1, 1)：一步就到极小值",
        "手算它的黑塞矩阵：[[1200u² - 400v + 2, -400u], [-400u, 200]]；在 (-1.2, 1) 处是",
        "梯度小于 1e-06 所需的步数：",
    ):
        assert said in text
    assert re.search(
        rf"Rosenbrock 函数 +6 +{results['steps']['rosenbrock']['descent']}$", text, re.M
    )
    assert "Newton" not in text and "Hessian" not in text
    with i18n.language("zh-CN"):
        assert lesson.title == "22. 牛顿法" and "牛顿法" in lesson.summary


def test_the_docstring_s_step_counts_are_the_ones_the_lesson_finds(english):
    steps = english[0]["steps"]
    said = " ".join(newton.__doc__.split())
    assert f"{steps['cubic']['newton']} steps to the minimum" in said
    assert f"gradient descent takes {steps['cubic']['descent']}" in said
    assert f"Rosenbrock valley in {steps['rosenbrock']['newton']} where" in said
    assert f"descent needs {steps['rosenbrock']['descent']:,}" in said
    assert steps["bowl"]["newton"] == 1 and "quadratic bowl in one step" in said
