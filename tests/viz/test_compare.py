"""viz.compare.compare_torch: the leaves' gradients from chainrule and torch as a text table."""

import numpy as np
import pytest

from autograd import Value
from viz.compare import compare_torch


@pytest.mark.torch
def test_the_table_has_a_line_per_leaf_with_both_gradients_and_their_difference():
    a, b = Value(2.0, "a"), Value(2.0, "b")
    text = compare_torch(a.max(b) * 3.0)
    lines = text.splitlines()
    assert lines[0] == "# ∂root/∂leaf, from chainrule and from torch.autograd"
    assert lines[1].split() == ["leaf", "chainrule", "torch", "difference"]
    assert lines[2].split() == ["a", "3", "1.5", "1.5"]  # at the tie torch splits the gradient
    assert lines[3].split() == ["b", "0", "1.5", "-1.5"]
    assert lines[4].split() == [
        "v3",
        "2",
        "2",
        "0",
    ]  # the constant 3.0, by its tape id (after max, v2)
    assert lines[-1] == "largest difference: 1.5"


@pytest.mark.torch
def test_a_batch_shows_means_and_the_largest_difference():
    x = Value(np.array([0.5, -1.0, 2.0]), "x")
    text = compare_torch((x * x).sum())
    assert "# a batch: each gradient is the mean over the examples, each difference" in text
    assert text.splitlines()[-2].split() == ["x", "1", "1", "0"]  # 2x, averaged: 2 * 0.5
    assert text.endswith("largest difference: 0\n")


@pytest.mark.torch
def test_a_bad_precision_is_refused_naming_the_function():
    with pytest.raises(ValueError, match="compare_torch"):
        compare_torch(Value(1.0), precision=0)


@pytest.mark.torch
def test_the_result_shows_itself_as_the_table_and_holds_the_rows():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    f.label = "f"
    shown = compare_torch(f)
    assert repr(shown) == str(shown)  # a REPL or notebook shows the table, not a quoted string
    assert [r.leaf.label for r in shown.rows] == ["x", "y", "z"]
    assert [r.torch for r in shown.rows] == [-4.0, -4.0, 3.0]  # the worked example, by torch
    assert shown.largest == 0.0 and x.grad == 0.0  # chainrule's .grad left as it was


@pytest.mark.torch
def test_in_chinese_the_table_speaks_chinese_with_the_same_numbers():
    a = Value(2.0, "a")
    f = a * a
    english, chinese = compare_torch(f, lang="en"), compare_torch(f, lang="zh-CN")
    assert "差" in chinese and "leaf" not in chinese and "largest" not in chinese
    assert (
        english.splitlines()[2].split() == chinese.splitlines()[2].split() == ["a", "4", "4", "0"]
    )


def test_a_bad_language_is_refused_before_torch_is_asked():
    with pytest.raises(ValueError, match="compare_torch"):
        compare_torch(Value(1.0), lang="fr")
