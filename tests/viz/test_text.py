"""to_text and to_json: the tape without Graphviz, one line (or object) per node, inputs first."""

import json
import math

import numpy as np
import pytest

import viz
from autograd import Value
from demos.lesson02_chain_rule import build  # f = (x + y) z at (-2, 5, -4)
from viz.format import width


def chain_rule():
    """f = (x + y) z at x = -2, y = 5, z = -4, after backward()."""
    f = build()
    f.backward()
    return f


def test_to_text_lists_every_node_inputs_first_with_its_numbers():
    lines = viz.to_text(chain_rule()).splitlines()
    assert lines[0] == "# 5 nodes, inputs first; grad = ∂f/∂(each node)"
    assert lines[1].split() == [
        "id",
        "label",
        "op",
        "inputs",
        "data",
        "grad",
        "local",
        "∂node/∂input",
    ]
    rows = [line.split(maxsplit=3) for line in lines[2:]]
    assert [r[:2] for r in rows] == [
        ["v0", "x"],
        ["v1", "y"],
        ["v2", "q"],
        ["v3", "z"],
        ["v4", "f"],
    ]
    assert lines[4].split() == ["v2", "q", "+", "v0,", "v1", "3", "-4", "1,", "1"]
    assert lines[6].split() == ["v4", "f", "*", "v2,", "v3", "-12", "1", "-4,", "3"]
    assert lines[2].split() == ["v0", "x", "-2", "-4"]  # a leaf: no op, inputs or locals


def test_to_text_lines_up_columns_by_display_width_for_cjk_labels():
    subtotal, rate = Value(2.0, "小计"), Value(1.1, "税率")
    total = subtotal * rate
    total.label = "总价"
    total.backward()
    head, *rows = viz.to_text(total).splitlines()[1:]
    assert rows[2].startswith("v2  总价   *")  # 总价 is 4 columns wide, like the word "label"

    def end_of(line, text):  # the terminal column where `text` ends in `line`
        return width(line[: line.index(text) + len(text)])

    assert end_of(head, "op") - 1 == end_of(rows[2], "*")  # the op column starts together
    assert end_of(head, "data") == end_of(rows[0], " 2 ") - 1 == end_of(rows[2], "2.2")


def test_to_text_shows_scopes_when_there_are_any_and_the_precision_asked():
    from autograd import scope

    with scope("layer1"):
        a = Value(1.0, "a") / 3.0
    text = viz.to_text(a, precision=3)
    assert text.splitlines()[1].split()[:3] == ["id", "label", "scope"]
    assert "layer1" in text and "0.333" in text and "0.3333" not in text


def test_to_text_of_a_batch_shows_the_mean_or_one_example():
    x = Value(np.array([1.0, 2.0, 6.0]), "x")
    y = (x * 2.0).mean()
    y.backward()
    assert "each number is the batch mean" in viz.to_text(y)
    assert viz.to_text(y).splitlines()[3].split()[:3] == ["v0", "x", "3"]
    assert viz.to_text(y, example=2).splitlines()[3].split()[:3] == ["v0", "x", "6"]
    with pytest.raises(ValueError, match="to_text: example=5"):
        viz.to_text(y, example=5)


def test_to_text_handles_a_graph_too_deep_for_recursion():
    x = Value(0.0, "x")
    y = x
    for _ in range(5000):
        y = y + 1.0
    y.backward()
    lines = viz.to_text(y).splitlines()
    assert len(lines) == 2 + 10001
    assert lines[-1].split() == ["v10000", "+", "v9998,", "v9999", "5000", "1", "1,", "1"]


def test_to_json_carries_every_field_at_full_precision():
    doc = json.loads(viz.to_json(chain_rule()))
    assert doc["format"] == "chainrule-graph" and doc["version"] == 1 and doc["root"] == "v4"
    f = doc["nodes"][4]
    assert f == {
        "id": "v4",
        "label": "f",
        "scope": "",
        "role": "output",
        "op": "mul",
        "symbol": "*",
        "inputs": ["v2", "v3"],
        "data": -12.0,
        "grad": 1.0,
        "local": [-4.0, 3.0],
    }
    third = Value(1.0) / 3.0
    assert json.loads(viz.to_json(third))["nodes"][2]["data"] == 1.0 / 3.0


def test_to_json_writes_batches_as_lists_and_non_finite_numbers_as_strings():
    x = Value(np.array([1.0, -1.0]), "x")
    y = x * 2.0
    doc = json.loads(viz.to_json(y))
    assert doc["nodes"][0]["data"] == [1.0, -1.0]
    z = Value(math.inf, "z") * 0.0  # inf * 0 is nan
    doc = json.loads(viz.to_json(z))
    assert [n["data"] for n in doc["nodes"]] == ["inf", 0.0, "nan"]


def test_to_json_marks_parameters_and_is_deterministic():
    w = Value(2.0, "w")
    y = w * Value(3.0, "x")
    doc = json.loads(viz.to_json(y, params=[w]))
    assert [n["role"] for n in doc["nodes"]] == ["parameter", "input", "output"]
    assert viz.to_json(y) == viz.to_json(y)
