"""Lesson 17 (convolution): its numbers against numpy's correlation, every printed equation
true as printed, its pictures, and the same lesson in Chinese."""

import importlib.util
import pathlib
import re

import numpy as np
import pytest

from demos import cli
from demos import lesson17_convolution as lesson17
from viz import i18n, palette, render

HAVE_DOT = any(render.find(name) for name in render.RENDERERS)
HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
X = np.array(lesson17.SIGNAL)
W = np.array(lesson17.KERNEL)


def run(tmp_path, lang="en"):
    lines = []
    lesson = cli.LESSONS["convolution"]
    with i18n.language(lang):
        results = lesson(out=str(tmp_path), small=True, echo=lines.append)
        lesson.finish()
    return results, "\n".join(lines), lesson


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    return run(tmp_path_factory.mktemp("convolution"))


def test_the_outputs_are_numpys_cross_correlation_and_the_loss_half_their_squares(english):
    r = english[0]
    y = np.correlate(X, W, "valid") + lesson17.BIAS  # y_t = sum_k w_k x_(t+k): not flipped
    np.testing.assert_allclose(r["y"], y, rtol=0, atol=1e-12)
    assert r["y"] == [-1.0, 1.5, 2.5, -3.5, 1.0, 4.0]
    assert r["loss"] == pytest.approx(0.5 * (y**2).sum(), abs=1e-12) and r["loss"] == 19.375


def test_each_weights_gradient_is_the_sum_over_positions_of_upstream_times_input(english):
    r = english[0]
    y = np.array(r["y"])  # dL/dy_t = y_t for L = ½ Σ y_t²
    for k in range(3):
        terms = r["terms"][f"w{k}"]
        assert [t for t, *_rest in terms] == list(range(6))  # used at all six positions
        want = [y[t] * X[t + k] for t in range(6)]
        assert [c for *_rest, c in terms] == pytest.approx(want, abs=1e-12)
        assert r["grads"][f"w{k}"] == pytest.approx(sum(want), abs=1e-12)
    np.testing.assert_allclose([r["grads"][f"w{k}"] for k in range(3)],
                               np.correlate(X, y, "valid"), atol=1e-12)  # fmt: skip
    assert (r["grads"]["w0"], r["grads"]["w1"], r["grads"]["w2"]) == (12.5, -22.0, 8.5)
    assert r["grads"]["b"] == pytest.approx(y.sum(), abs=1e-12)
    # an input's gradient is the full convolution of the upstream with the kernel
    np.testing.assert_allclose(r["input_grads"], np.convolve(y, W), atol=1e-12)
    assert [c for *_rest, c in r["terms"]["x3"]] == pytest.approx([0.75, -2.5, -3.5])


def test_padding_and_stride_give_torchs_output_lengths(english):
    lengths = english[0]["lengths"]
    for key, n in lengths.items():
        padding, stride = (int(v) for v in re.findall(r"\d+", key))
        assert n == (8 + 2 * padding - 3) // stride + 1
    assert list(lengths.values()) == [8, 3, 4]


def test_max_pooling_routes_each_windows_gradient_to_its_max_and_average_pooling_shares_it(
    english,
):
    r = english[0]
    windows = np.array(r["y"]).reshape(3, 2)
    m, a = windows.max(1), windows.mean(1)
    assert r["max_out"] == m.tolist() and r["avg_out"] == a.tolist()
    routed = np.zeros((3, 2))
    routed[np.arange(3), windows.argmax(1)] = m  # dM/dm_j = m_j, all of it to the max
    assert r["max_grads"] == routed.ravel().tolist() == [0.0, 1.5, 2.5, 0.0, 0.0, 4.0]
    assert r["avg_grads"] == np.repeat(a / 2, 2).tolist()


ARITHMETIC = re.compile(r"[-+*/(). \d]+|max\([-\d., ]+\)")
CLAUSE = re.compile(r":\s+|,\s{2,}|, so\b")  # where one equation ends and the next begins


def numeric(piece):
    """A piece of an equation as a number if it is plain arithmetic ('6 outputs': 6), or None."""
    piece = re.sub(r"\s+[^\W\d]+$", "", piece.strip()).replace("·", "*")
    if not ARITHMETIC.fullmatch(piece) or not re.search(r"\d", piece):
        return None
    return eval(piece, {"__builtins__": {}, "max": max})  # digits, operators and max only


def test_every_printed_equation_is_true_as_printed(english):
    checked, last = 0, ""
    for line in english[1].splitlines():
        if line.strip().startswith("= "):  # a continuation: '        = -1 + 3 + ... = 12.5'
            line = last + " " + line.strip()
        for clause in CLAUSE.split(line):
            values = [numeric(piece) for piece in clause.split(" = ")]
            for left, right in zip(values, values[1:]):
                if left is not None and right is not None:
                    assert left == pytest.approx(right, abs=1e-12), line
                    checked += 1
        last = CLAUSE.split(line)[-1].split(" = ")[-1]
    assert checked >= 25  # the y's, the four sums, x3, the lengths, the pools


@pytest.mark.skipif(not HAVE_DOT, reason="pictures need a layout program (graphviz-pure)")
def test_graph_svg_folds_each_position_and_shows_the_shared_weights_as_parameters(english):
    lesson = english[2]
    written = {p.rsplit("/", 1)[-1] for p, _ in lesson.files}
    assert {"graph.svg", "backprop.html", "pooling_max.svg", "pooling_avg.svg"} <= written
    svg = (pathlib.Path(lesson.out) / "graph.svg").read_text(encoding="utf-8")
    for label in ("pos0", "pos5", "w0", "w1", "w2", "b", "x0", "x7"):
        assert f">{label}<" in svg
    assert ">+<" not in svg  # the sums are inside the boxes
    assert palette.ROLES["parameter"][0] in svg.upper()
    width, height = (float(v) for v in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"',
                                                  svg).groups())  # fmt: skip
    assert width / height > 1.5  # a wide, short picture: a slide's shape
    pooled = (pathlib.Path(lesson.out) / "pooling_max.svg").read_text(encoding="utf-8")
    assert pooled.count(">max<") == 3 and "local 0" in pooled and "local 1" in pooled


@pytest.mark.skipif(not HAVE_MATPLOTLIB, reason="plots need the optional matplotlib")
def test_the_pooling_plot_is_written(english):
    assert any(p.endswith("pooling_gradients.png") for p, _ in english[2].files)


def test_the_graph_for_the_player_is_the_convolution_and_small():
    from autograd import topological_order

    root = lesson17.build()
    nodes = topological_order(root)
    assert root.label == "L" and root.data == 19.375 and len(nodes) < 200
    assert {n.label for n in nodes if n.op is None} >= {"w0", "w1", "w2", "b", "x0", "x7"}


def test_in_chinese_the_lesson_says_kernel_pooling_and_fan_out_with_the_same_numbers(tmp_path):
    results, text, _lesson = run(tmp_path / "zh", "zh-CN")
    english_results, english_text, _ = run(tmp_path / "en", "en")
    np.testing.assert_equal(results, english_results)
    for word in ("卷积核", "扇出", "最大池化", "平均池化", "步幅", "填充", "梯度", "损失"):
        assert word in text, word
    for line in ("  ∂L/∂w1 = y0·x1 + y1·x2 + y2·x3 + y3·x4 + y4·x5 + y5·x6",
                 "         = -2 + 0 - 2.5 - 10.5 + 1 - 8 = -22"):  # fmt: skip
        assert line in text.splitlines() and line in english_text.splitlines()
    assert "Look for:" not in text and "留意：" in text.splitlines()
    for sentence in ("A kernel of width", "Max pooling, window", "Average pooling", "receive a"):
        assert sentence not in text and sentence in english_text
    with i18n.language("zh-CN"):
        assert cli.LESSONS["convolution"].title == "17. 卷积"
