"""Issue 12, items 14 and 16 (the viz parts): limits checked first, with advice that names
options the function takes; walks linear in the graph; bad options refused by name.
"""

import inspect
import re
import sys

import pytest

import viz
from autograd import Value


def chain(n, label="x"):
    """x * 1 * 1 ... (n multiplications) after backward(): one path of n edges.

    2n + 1 nodes (x, then a constant 1 and a product per step: h_k sits at 2k); drawn, n + 1
    leaf boxes and n products of a box and an op each, 3n + 1 in all.
    """
    x = Value(1.0, label)
    h = x
    for _ in range(n):
        h = h * 1.0
    h.backward()
    return x, h


def explain_all(story):
    """The explanation of every node of `story`, asked for by the node itself."""
    return [story.explanation(row.node) for row in story.rows]


def lines_run(work, *args):
    """(work(*args), how many lines of Python it ran): a count of the work that is the same
    on every machine and under any load, where a stopwatch is not (sys.settrace sees each line)."""
    count = 0

    def trace(frame, event, arg):
        nonlocal count
        count += event == "line"
        return trace

    sys.settrace(trace)
    try:
        return work(*args), count
    finally:
        sys.settrace(None)


def options_named(message):
    """The keyword options a message tells the reader to pass (`collapse=True` -> collapse)."""
    return set(re.findall(r"\b([a-z_]+)=", message))


@pytest.mark.parametrize("make", [viz.backprop_html, viz.backprop_frames])
def test_a_huge_graph_is_refused_before_any_story_is_told(make, tmp_path, monkeypatch):
    x, h = chain(100_000)
    args = (h,) if make is viz.backprop_html else (h, tmp_path)

    def untold(*args, **kwargs):
        raise AssertionError("a story was told before the size was checked")

    monkeypatch.setattr(viz.walk, "Story", untold)  # what the refusal used to pay for first
    with pytest.raises(ValueError, match=r"300001 boxes, more than max_nodes=2500") as err:
        make(*args)
    assert options_named(str(err.value)) <= set(inspect.signature(make).parameters)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("make", [viz.backprop_html, viz.backprop_frames, viz.draw_dot])
def test_max_nodes_is_taken_by_every_picture_and_checked(make, tmp_path):
    x, h = chain(3)
    args = (h,) if make is not viz.backprop_frames else (h, tmp_path)
    with pytest.raises(ValueError, match=r"10 boxes, more than max_nodes=9"):
        make(*args, max_nodes=9)
    for bad in ("10", 0, -1, True, 2.5):
        with pytest.raises(ValueError, match=rf"max_nodes={bad!r}; expected a whole number >= 1"):
            make(*args, max_nodes=bad)


def test_draw_path_advice_names_only_its_own_options():
    x, h = chain(3000)
    with pytest.raises(ValueError, match="draw_path: the picture would have 3001 boxes") as err:
        viz.draw_path(h, x)
    assert options_named(str(err.value)) <= set(inspect.signature(viz.draw_path).parameters)


def test_find_paths_is_linear_in_the_length_of_the_path():
    work = {}
    for n in (1_000, 4_000):
        x, h = chain(n)
        (path,), work[n] = lines_run(viz.find_paths, h, x)
        assert len(path.edges) == n and path.edges[0] == (2 * n, 0)  # root-first
        assert path.edges[-1] == (2, 0)
    assert work[4_000] < 5 * work[1_000]  # 4x the edges: quadratic would run 16x the lines


def test_explaining_every_node_takes_linear_time():
    work = {}
    for n in (1_000, 4_000):
        x, h = chain(n)
        story = viz.backprop_story(h)
        found, work[n] = lines_run(explain_all, story)
        by_label = story.explanation("x")
        assert [e.index for e in found] == list(range(2 * n + 1))
        assert by_label is found[0] and by_label.grad == 1.0
    assert work[4_000] < 5 * work[1_000]  # 4x the nodes: quadratic would run 16x the lines


def test_explanation_of_a_value_outside_the_graph_has_no_path():
    x, h = chain(2)
    other = Value(3.0, "other")
    said = viz.backprop_story(h).explanation(other)
    assert said.grad == 0.0 and "does not depend on other" in said.why


@pytest.mark.parametrize(
    "call",
    [
        lambda h, p: viz.backprop_html(h, title=5),
        lambda h, p: viz.backprop_frames(h, p, title=5),
        lambda h, p: viz.draw_dot(h, title=5),
        lambda h, p: viz.draw_path(h, "x", title=5),
    ],
)
def test_a_title_that_is_not_a_string_is_refused_by_name(call, tmp_path):
    x, h = chain(2)
    with pytest.raises(TypeError, match=r"title=5; expected a string or None"):
        call(h, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_show_none_is_refused_with_the_allowed_values():
    x, h = chain(2)
    with pytest.raises(TypeError, match=r"draw_dot: show=None; expected a list of any of 'data'"):
        viz.draw_dot(h, show=None)
    with pytest.raises(ValueError, match=r"show='nope'; choose one of 'data'"):
        viz.draw_dot(h, show=["grad", "nope"])
    assert "v0-grad" in viz.draw_dot(h, show="grad").source


@pytest.mark.parametrize("bad", ["10", 0, -1, True, 1.5])
@pytest.mark.parametrize("call", [viz.find_paths, viz.draw_path])
def test_max_paths_must_be_a_whole_number_or_none(call, bad):
    x, h = chain(2)
    where = call.__name__
    with pytest.raises(ValueError, match=rf"{where}: max_paths={bad!r}; expected a whole number"):
        call(h, x, max_paths=bad)
    assert len(viz.find_paths(h, x, max_paths=None)) == 1
