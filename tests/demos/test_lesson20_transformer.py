"""Lesson 20 (a tiny Transformer): it learns to reverse 4 tokens, fails without positions,
its attention forms the anti-diagonal, and its pictures and Chinese text are there."""

import importlib.util
import itertools
import math
import os

import numpy as np
import pytest

from autograd import Value, topological_order
from demos import cli
from demos import lesson20_transformer as lesson20
from viz import i18n, render

HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
HAVE_DOT = any(render.find(name) for name in render.RENDERERS)


def run(tmp_path, lang="en"):
    lines = []
    lesson = cli.LESSONS["transformer"]
    with i18n.language(lang):
        results = lesson(out=str(tmp_path / lang), small=True, echo=lines.append)
        lesson.finish()
    files = {os.path.basename(path): path for path, _ in lesson.files}  # (the lesson is shared)
    return files, results, "\n".join(lines)


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    return run(tmp_path_factory.mktemp("lesson20"))


def test_it_learns_to_reverse_and_generalises_to_held_out_sequences(english):
    _, r, text = english
    (train_token, train_seq), (held_token, held_seq) = r["accuracy"].values()
    assert held_token >= 0.95 and train_token >= 0.95  # the small run's floor (full: 100%)
    assert held_seq >= 0.8
    assert r["losses"][-1] < 0.01 * r["losses"][0]
    assert len(r["losses"]) == lesson20.SMALL_STEPS
    assert f"{100 * held_token:.1f}%" in text and f"{100 * held_seq:.1f}%" in text


def test_the_first_loss_is_the_fresh_model_s_cross_entropy_computed_eagerly(english):
    _, r, _ = english
    rng = np.random.default_rng(0)  # the split the lesson makes for seed 0
    every = np.array(list(itertools.product(range(4), repeat=4)))
    seen = every[rng.permutation(256)[lesson20.HELD_OUT :]]
    model = lesson20.Reverser(rng=0)
    X, Y = lesson20.one_hot(seen), lesson20.one_hot(seen[:, ::-1])
    out = model([Value(c) for c in X.T])
    # cross-entropy by hand in numpy: -log softmax(score)[target], averaged
    scores = np.stack([np.stack([s.data for s in pos], axis=1) for pos in out], axis=1)
    logp = scores - np.log(np.exp(scores).sum(axis=2, keepdims=True))
    want = -np.mean(np.take_along_axis(logp, seen[:, ::-1, None], axis=2))
    assert r["losses"][0] == pytest.approx(want, abs=1e-12)
    assert Y.shape == (200, 16) and X.sum() == 200 * 4  # one-hot: one 1 per position


def test_without_positional_encoding_it_cannot_reverse(english):
    _, r, text = english
    with_pe = r["accuracy"]["held_out"][0]
    plain_train, plain_held = r["plain_accuracy"]["train"], r["plain_accuracy"]["held_out"]
    assert plain_train[0] < 0.75 and plain_held[0] < 0.75 < with_pe
    # ABAB and ABBA look the same at position 1 to an order-blind model: one answer for both
    assert r["same_set_gap"] < 1e-12
    a, b = r["same_set_answers"]
    assert a == b and a in lesson20.TOKENS  # so one of the two is wrong
    assert f"The model answers {a} and {b} there" in text
    assert "the right answers are B and A" in text


def test_attention_weights_form_the_anti_diagonal(english):
    _, r, text = english
    weights = np.array(r["weights"])  # (head, looking, looked at) for the pictured example
    assert weights.shape == (2, 4, 4)
    np.testing.assert_allclose(weights.sum(axis=2), 1.0, atol=1e-12)
    mirror = [3, 2, 1, 0]  # position p (from 0) reads position 3 - p
    assert list(weights.mean(axis=0).argmax(axis=1)) == mirror
    assert all(w > 0.5 for w in r["mirror"])  # each head, over the held-out set
    assert len(set(r["example"].split())) == 4  # an example of four different tokens
    for h, w in enumerate(r["mirror"], 1):
        assert f"head {h} {w:.2f}" in text
    assert "the anti-diagonal" in text


def test_parameter_count_and_positional_encoding_are_as_printed(english):
    _, r, text = english
    d, v, ff = 8, 4, 16
    block = 4 * d * d + 4 * d + d * ff + ff + ff * d + d + 2 * 2 * d
    assert r["parameters"] == {"embed": v * d + d, "block": block, "head": d * v + v}
    assert (
        f"{v * d + d + block + d * v + v} parameters: embedding 40, block 600, output 36." in text
    )
    for pos, row in enumerate(r["positional_encoding"]):
        for i in range(0, d, 2):
            angle = pos / 10000 ** (i / d)
            assert row[i] == pytest.approx(math.sin(angle), abs=1e-15)
            assert row[i + 1] == pytest.approx(math.cos(angle), abs=1e-15)
        shown = "".join(f"{x:8.3f}" for x in row[:4])
        assert f"position {pos + 1}:{shown}" in text


def test_the_pictured_block_is_small_and_its_loss_is_the_swap_error():
    block, loss = lesson20.pictured()
    nodes = topological_order(loss)
    assert len(nodes) < 600  # steppable in the player
    data = {n.label: n.data for n in nodes if n.label}
    xs = [[data[f"x{t}{i}"] for i in (1, 2, 3)] for t in (1, 2)]
    errors = [data[f"y{t}{i}"] - xs[2 - t][i - 1] for t in (1, 2) for i in (1, 2, 3)]
    assert loss.data == pytest.approx(sum(e * e for e in errors) / 6, abs=1e-15)
    scopes = {n.scope.split(".")[0] for n in nodes if n.scope}
    assert scopes == {"norm1", "attention", "norm2", "ff", "loss"}
    grads = {n.label: n.grad for n in nodes if n.label[:1] in "xh" and len(n.label) == 3}
    # x reaches L around the attention and through it, so its gradient is not h's alone
    gaps = [abs(grads[f"x{t}{i}"] - grads[f"h{t}{i}"]) for t in (1, 2) for i in (1, 2, 3)]
    assert max(gaps) > 0.01


def test_a_layer_norm_of_two_features_passes_no_gradient_which_is_why_the_picture_has_three():
    from nn.norm import LayerNorm

    a, b = Value(1.0), Value(-0.5)
    out = LayerNorm(2)([a, b])
    assert [round(v.data, 4) for v in out] == [1.0, -1.0]
    (out[0] * 3.0 + out[1]).backward()
    assert abs(a.grad) < 1e-4 and abs(b.grad) < 1e-4


def test_it_writes_its_plots_and_pictures(english):
    files, _, text = english
    if HAVE_MATPLOTLIB:
        assert {"loss.png", "attention.png"} <= set(files)
    if HAVE_DOT:
        assert {"graph.svg", "backprop.html"} <= set(files)
        with open(files["graph.svg"], encoding="utf-8") as f:
            svg = f.read()
        for part in ("norm1", "attention", "norm2", "ff", "loss"):
            assert f">{part}</text>" in svg
    assert "Look for:" in text and "attention.png" in text


def test_in_chinese_it_speaks_of_tokens_positions_and_attention(tmp_path, english):
    _, en_results, _ = english
    _, results, text = run(tmp_path, "zh-CN")
    np.testing.assert_equal(results, en_results)
    for words in ("词元", "位置编码", "注意力权重", "残差连接", "层归一化", "反转", "反对角线"):
        assert words in text, words
    held = results["accuracy"]["held_out"]
    assert f"{100 * held[0]:.1f}%" in text
    assert "学习率 0.01" in text
