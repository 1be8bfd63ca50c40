"""draw_dot at the DOT level (no Graphviz binary needed): numbers, edges, colours, clusters,
folding, determinism, escaping, the size limit and bad options."""

import json
import pathlib
import random
import re
import subprocess
import sys

import graphviz
import numpy as np
import pytest

import nn
import viz
from autograd import Value, scope, topological_order
from demos.lesson02_chain_rule import build  # f = (x + y) z at (-2, 5, -4)
from viz import palette
from viz.format import fmt

GOLDEN = pathlib.Path(__file__).parent / "golden" / "chain_rule.dot"


def chain_rule():
    """f = (x + y) z at x = -2, y = 5, z = -4, after backward()."""
    f = build()
    f.backward()
    return f


def statement(source, name):
    """The DOT statement that declares node (or edge id) `name`."""
    for line in source.splitlines():
        line = line.strip()
        if line.startswith(f"{name} [") or f"id={name} " in line or f"id={name}]" in line:
            return line
    raise AssertionError(f"{name} not in the DOT source")


def cell(source, name, word):
    """The number shown in box `name`'s data or grad cell."""
    found = re.search(rf'ID="{name}-{word}"[^>]*>([^<]*)</TD>', statement(source, name))
    return found.group(1)


def edge_label(source, edge_id):
    found = re.search(r'label="([^"]*)"', statement(source, edge_id))
    return found.group(1) if found else None


def mlp_loss(sizes, seed=1, relu=True):
    random.seed(seed)
    model = nn.MLP(2, sizes, activation="relu" if relu else "tanh")
    out = model([Value(0.5, "x0"), Value(-1.2, "x1")])
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return model, loss


def test_draw_dot_returns_a_digraph_whose_source_is_dot_text():
    g = viz.draw_dot(chain_rule())
    assert isinstance(g, graphviz.Digraph)  # a Picture: it renders with chainrule's renderer
    assert g.source.startswith("digraph chainrule {")


def test_chain_rule_boxes_show_the_worked_example_numbers():
    src = viz.draw_dot(chain_rule()).source
    # topological order: x, y, q, z, f
    assert [cell(src, f"v{i}", "data") for i in range(5)] == ["-2", "5", "3", "-4", "-12"]
    assert [cell(src, f"v{i}", "grad") for i in range(5)] == ["-4", "-4", "-4", "3", "1"]


def test_chain_rule_edges_carry_the_local_derivatives():
    src = viz.draw_dot(chain_rule()).source
    assert edge_label(src, "e2_0") == "local 1"  # dq/dx
    assert edge_label(src, "e2_1") == "local 1"  # dq/dy
    assert edge_label(src, "e4_0") == "local -4"  # df/dq = z
    assert edge_label(src, "e4_1") == "local 3"  # df/dz = q
    assert "v0 -> o2" in src and "v3 -> o4" in src and "o4 -> v4" in src


def test_every_value_is_a_box_and_every_op_an_ellipse_with_its_symbol():
    src = viz.draw_dot(chain_rule(), legend=False).source
    assert len(re.findall(r"^\tv\d+ \[", src, re.M)) == 5
    assert len(re.findall(r"^\to\d+ \[", src, re.M)) == 2
    assert len(re.findall(r"->", src)) == 6  # four inputs into ops, two ops into values
    assert "label=<+>" in statement(src, "o2") and "label=<*>" in statement(src, "o4")


def test_golden_dot_for_the_chain_rule():
    # After a deliberate change to the drawing, rewrite the file from the new source,
    # render it (dot -Tpng) and look at it before committing.
    assert viz.draw_dot(chain_rule()).source == GOLDEN.read_text(encoding="utf-8")


def test_a_times_a_draws_two_edges_whose_contributions_sum_to_the_grad():
    a = Value(3.0, "a")
    b = a * a
    b.backward()
    src = viz.draw_dot(b).source
    assert "v0 -> o1 [" in statement(src, "e1_0") and "v0 -> o1 [" in statement(src, "e1_1")
    assert edge_label(src, "e1_0") == edge_label(src, "e1_1") == "local 3\\n+= 3"
    assert cell(src, "v0", "grad") == "6"  # 3 + 3


def test_fanout_contributions_appear_only_where_a_value_is_used_twice():
    a, b = Value(3.0, "a"), Value(2.0, "b")
    c = a * b
    d = c + a
    d.backward()
    src = viz.draw_dot(d).source
    assert edge_label(src, "e2_1") == "local 3"  # b is used once: no +=
    shares = [edge_label(src, e) for e in ("e2_0", "e3_1")]  # a's two uses
    assert shares == ["local 2\\n+= 2", "local 1\\n+= 1"]
    assert cell(src, "v0", "grad") == "3"  # 2 + 1
    assert "the sum of its +=" in src
    every = viz.draw_dot(d, show=("data", "grad", "local", "contribution")).source
    assert edge_label(every, "e2_1") == "local 3\\n+= 3"


def test_a_graph_drawn_before_backward_says_to_call_it():
    x = Value(2.0, "x")
    y = x * x
    y.label = "y"
    assert "every grad is 0: call y.backward() before drawing" in viz.draw_dot(y).source
    y.backward()
    assert "before drawing" not in viz.draw_dot(y).source


def test_show_chooses_the_numbers_and_precision_their_digits():
    f = chain_rule()
    src = viz.draw_dot(f, show=("data",)).source
    assert "v4-data" in src and "v4-grad" not in src and "local" not in src
    x = Value(1.0 / 3.0, "x")
    y = x * 3.0
    y.backward()
    assert cell(viz.draw_dot(y, precision=2).source, "v0", "data") == "0.33"
    assert cell(viz.draw_dot(y, precision=6).source, "v0", "data") == "0.333333"


def test_rankdir_is_passed_to_graphviz():
    assert "rankdir=TB" in viz.draw_dot(chain_rule(), rankdir="TB").source
    assert "rankdir=LR" in viz.draw_dot(chain_rule()).source


def test_same_computation_gives_identical_dot_every_time():
    sources = {viz.draw_dot(chain_rule()).source for _ in range(3)}
    _, loss1 = mlp_loss([4, 1])
    _, loss2 = mlp_loss([4, 1])
    assert len(sources) == 1
    assert viz.draw_dot(loss1).source == viz.draw_dot(loss2).source


PICTURES = {  # pictures a fresh process must draw byte for byte the same
    "chain rule": lambda: viz.draw_dot(chain_rule()),
    "folded, by gradient": lambda: viz.draw_dot(relu_net()[1], collapse=2, color="grad"),
}


@pytest.mark.parametrize("name", PICTURES)
def test_dot_is_identical_in_a_fresh_process(name):
    code = (
        "import sys; sys.path.insert(0, 'tests/viz'); import test_dot; "
        f"sys.stdout.write(test_dot.PICTURES[{name!r}]().source)"
    )
    root = pathlib.Path(__file__).parents[2]
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1] == PICTURES[name]().source


def test_labels_are_escaped_for_html_like_labels():
    x = Value(1.0, 'x<0 & "q" {a|b}')
    y = x * 2.0
    y.label = "<b>bold?</b>"
    y.backward()
    src = viz.draw_dot(y, title="a & b").source
    assert "x&lt;0 &amp; &quot;q&quot; {a|b}" in src
    assert "&lt;b&gt;bold?&lt;/b&gt;" in src
    assert "<b>bold?" not in src and "a & b" not in src


def test_control_characters_in_labels_cannot_break_the_dot_text():
    x = Value(1.0, "bad\x00label\nnext")
    src = viz.draw_dot(x).source
    assert "\x00" not in src
    # NUL shows as \x00 (its backslash doubled, or Graphviz would read an escape of its own)
    assert "bad\\\\x00label<BR/>next" in src


def test_roles_colour_parameters_inputs_constants_and_the_output():
    w, x = Value(0.5, "w"), Value(2.0, "x")
    y = w * x + 1.0
    y.backward()
    src = viz.draw_dot(y, params=[w]).source
    fills = {
        name: re.search(r'fillcolor="([^"]+)"', statement(src, name)).group(1)
        for name in ("v0", "v1", "v3", "v4")
    }  # w, x, the constant 1.0, y
    assert fills == {
        "v0": palette.ROLES["parameter"][0],
        "v1": palette.ROLES["input"][0],
        "v3": palette.ROLES["constant"][0],
        "v4": palette.ROLES["output"][0],
    }
    for role in ("parameter", "input", "constant", "output"):
        assert palette.ROLES[role][2] in src  # each in the legend


def test_params_may_be_a_model_and_its_weights_are_parameters():
    model, loss = mlp_loss([2, 1])
    src = viz.draw_dot(loss, params=model).source
    assert src.count(palette.ROLES["parameter"][0]) >= len(model.parameters())


def test_grad_colouring_is_red_for_positive_blue_for_negative_dashed_for_zero():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = Value(5.0, "c")  # used by nothing below c*0
    y = a * b + c * 0.0
    y.label = "y"
    y.backward()
    src = viz.draw_dot(y, color="grad").source
    fill = lambda name: re.search(r'fillcolor="([^"]+)"', statement(src, name)).group(1)
    assert fill("v0") in palette.NEGATIVE  # dy/da = b = -3
    assert fill("v1") in palette.POSITIVE  # dy/db = a = 2
    c_box = statement(src, "v3")
    assert "dashed" in c_box and palette.ZERO_FILL in c_box  # dy/dc = 0
    assert "grad exactly 0 (dashed)" in src and "|grad|" in src


def test_grad_levels_follow_powers_of_ten_below_the_largest():
    assert palette.grad_level(100.0, 100.0) == 0
    assert palette.grad_level(9.0, 100.0) == 1
    assert palette.grad_level(0.5, 100.0) == 2
    assert palette.grad_level(1e-9, 100.0) == palette.LEVELS - 1


def test_palettes_are_colour_blind_safe_hues_and_text_stays_readable():
    assert palette.text_colour(palette.POSITIVE[0]) == "#FFFFFF"  # dark red: white text
    assert palette.text_colour(palette.ROLES["input"][0]) == "#000000"
    assert palette.POSITIVE[0] == "#B2182B" and palette.NEGATIVE[0] == "#2166AC"  # RdBu ends


def test_a_relu_off_for_this_point_is_inactive_in_the_picture_and_the_legend():
    x = Value(-1.0, "x")
    y = x.relu()
    y.backward()
    src = viz.draw_dot(y).source
    op = statement(src, "o1")
    assert "inactive" in op and palette.DEAD_FILL in op and "dashed" in op
    assert "inactive ReLU (dashed): its input is &lt;= 0 for this point" in src
    assert "dead" not in src  # "dead" is for a unit off on every example (nn.dead_relus)
    live = Value(1.0, "x").relu()
    assert "inactive" not in viz.draw_dot(live).source


def test_a_relu_off_on_every_example_of_a_batch_is_dead_and_on_one_example_inactive():
    x = Value(np.array([-1.0, -2.0, 3.0]), "x")
    always = (x * -1.0 - 5.0).relu()  # inputs -4, -3, -8: off on all three
    sometimes = x.relu()  # off on examples 0 and 1
    y = always + sometimes
    y.label = "y"
    y.backward()
    src = viz.draw_dot(y).source
    assert "dead ReLU (dashed): its input is &lt;= 0 for every example of the batch" in src
    assert src.count(">dead</FONT>") == 1 and "inactive" not in src
    first = viz.draw_dot(y, example=0).source
    assert first.count(">inactive</FONT>") == 2 and ">dead<" not in first
    assert "for this example" in first
    assert viz.draw_dot(y, example=2).source.count(">inactive</FONT>") == 1


def test_legend_explains_boxes_and_edges_and_can_be_left_out():
    src = viz.draw_dot(chain_rule()).source
    assert "edge: local = ∂(op output)/∂(input)" in src and "grad = ∂f/∂(box)" in src
    bare = viz.draw_dot(chain_rule(), legend=False).source
    assert "edge: local" not in bare and palette.ROLES["input"][2] not in bare


def test_each_module_scope_is_a_cluster_labelled_with_its_name():
    _, loss = mlp_loss([4, 1])
    src = viz.draw_dot(loss).source
    labels = re.findall(r"id=c\d+ label=<(\w+)>", src)
    for name in ("layer1", "layer2", "neuron1", "neuron4"):
        assert name in labels
    assert src.count("subgraph cluster_") == 2 + 4 + 1  # two layers, 4 + 1 neurons
    assert "subgraph cluster_" not in viz.draw_dot(loss, cluster=False).source


def test_collapse_folds_each_neuron_so_a_big_mlp_is_a_few_dozen_boxes():
    model, loss = mlp_loss([16, 16, 1])
    src = viz.draw_dot(loss, params=model, collapse=True).source
    boxes = re.findall(r"^\t+(s\d+) \[", src, re.M)
    others = re.findall(r"^\t+([vo]\d+) \[", src, re.M)
    assert len(boxes) == 16 + 16 + 1
    assert len(boxes) + len(others) < 50  # x0, x1, the loss and its few ops
    assert "49 nodes" in src  # the output neuron: 16 weights, bias, 16 products, 16 sums
    layers = viz.draw_dot(loss, collapse=1).source
    assert len(re.findall(r"^\t+(s\d+) \[", layers, re.M)) == 3


def test_a_root_made_inside_a_module_is_shown_by_its_folded_box():
    random.seed(2)
    model = nn.MLP(2, [3, 1])
    score = model([Value(0.5, "x0"), Value(-1.2, "x1")])
    score.backward()
    src = viz.draw_dot(score, collapse=1).source
    drawn = re.findall(r"^\t+([vos]\d+) \[", src, re.M)
    assert sorted(name[0] for name in drawn) == ["s", "s", "v", "v"]  # x0, x1 and two layers
    last = next(line for line in src.splitlines() if "<B>layer2</B>" in line)
    assert "<B>layer2</B>" in last and f">{fmt(score.data)}</TD>" in last and "penwidth=2" in last


def test_a_folded_box_shows_its_output_and_edges_join_boxes_once():
    _, loss = mlp_loss([3, 1])
    src = viz.draw_dot(loss, collapse=True).source
    edges = re.findall(r"(\w+) -> (\w+) \[(?!style=invis)", src)
    between = [e for e in edges if e[0].startswith("s") and e[1].startswith("s")]
    assert len(between) == len(set(between)) == 3  # three hidden neurons into the output
    out_neuron = loss.inputs[0].inputs[0]  # loss = (out - 1) ** 2
    assert f">{fmt(out_neuron.data)}</TD>" in src


def test_the_size_limit_refuses_huge_pictures_with_advice():
    x = Value(1.0, "x")
    y = x
    for _ in range(1500):  # 3000 boxes: values and ops
        y = y + 1.0
    with pytest.raises(ValueError, match=r"draw_dot: .*max_nodes=2500.*collapse") as err:
        viz.draw_dot(y)
    assert "to_text" in str(err.value)
    with pytest.raises(ValueError, match="7 boxes, more than max_nodes=6"):
        viz.draw_dot(chain_rule(), max_nodes=6)  # 5 values and 2 ops
    assert viz.draw_dot(y, max_nodes=None).source.count("->") == 4500


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("rankdir", "XY", r"rankdir='XY'; choose one of 'LR', 'TB'"),
        ("show", ("data", "gradient"), r"show='gradient'; choose one of 'data', 'grad'"),
        ("color", "rainbow", r"color='rainbow'; choose one of 'role', 'grad', None"),
        ("precision", 0, r"precision=0; expected a whole number from 1 to 17"),
        ("collapse", -1, r"collapse=-1; choose False, True"),
        ("max_nodes", 0, r"max_nodes=0; expected a whole number >= 1 or None"),
        ("example", 0, r"example=0, but the graph holds no batch"),
    ],
)
def test_bad_options_name_the_function_the_value_and_the_choices(option, value, message):
    with pytest.raises(ValueError, match=r"draw_dot: " + message):
        viz.draw_dot(chain_rule(), **{option: value})


def test_bad_root_and_params_are_type_errors():
    with pytest.raises(TypeError, match="draw_dot: expected a Value as the root, got float"):
        viz.draw_dot(1.0)
    with pytest.raises(TypeError, match=r"draw_dot: params must hold Values.*float 1.0"):
        viz.draw_dot(chain_rule(), params=[1.0])
    with pytest.raises(TypeError, match="params must be a list of Values"):
        viz.draw_dot(chain_rule(), params=3)


def batched_graph():
    """loss = mean((w * x - t)^2) over a batch of three examples."""
    x = Value(np.array([1.0, 2.0, 3.0]), "x")
    t = Value(np.array([1.0, 0.0, 2.0]), "t")
    w = Value(0.5, "w")
    err = w * x - t
    err.label = "err"
    loss = (err**2).mean()
    loss.label = "loss"
    loss.backward()
    return loss, w, x, err


def test_a_batch_is_drawn_for_one_chosen_example_or_the_batch_mean():
    loss, w, x, err = batched_graph()
    rows = {node.label: f"v{i}" for i, node in enumerate(topological_order(loss))}
    mean = viz.draw_dot(loss).source
    assert cell(mean, rows["x"], "data") == "2"  # mean of 1, 2, 3
    assert cell(mean, rows["err"], "data") == fmt(float(err.data.mean()))
    second = viz.draw_dot(loss, example=1).source
    assert cell(second, rows["x"], "data") == "2" and cell(second, rows["err"], "data") == "1"
    last = viz.draw_dot(loss, example=2).source
    assert cell(last, rows["err"], "data") == "-0.5"  # 0.5 * 3 - 2
    assert cell(last, rows["w"], "grad") == fmt(w.grad)  # a weight: the batch's sum
    assert "a batch of 3 examples: each number is example 2" in last
    assert "each number is the batch mean" in mean
    with pytest.raises(ValueError, match="example=3; expected None .* or an index from 0 to 2"):
        viz.draw_dot(loss, example=3)


def test_big_graphs_float_their_edge_labels_so_dot_stays_fast():
    _, small = mlp_loss([2, 1])
    _, big = mlp_loss([12, 12, 1])  # about 1,200 boxes
    assert re.search(r'\[label="local', viz.draw_dot(small).source)
    big_source = viz.draw_dot(big).source
    assert not re.search(r'\[label="local', big_source) and 'xlabel="local' in big_source
    assert "nslimit=2" in big_source


def relu_net(seed=1):
    """An MLP(2, [6, 6, 1]) of ReLUs on one point, some of them off for it, after backward()."""
    random.seed(seed)
    model = nn.MLP(2, [6, 6, 1], activation="relu")
    score = model([Value(0.5, "x0"), Value(-1.2, "x1")])
    score.label = "score"
    score.backward()
    return model, score


def attribute(line, name):
    found = re.search(rf'\b{name}="?([^" \]]+)"?', line)
    return found.group(1) if found else None


@pytest.mark.parametrize("color", ["role", "grad"])
def test_the_swatch_for_inactive_relu_boxes_looks_like_those_boxes(color):
    model, score = relu_net()
    picture = viz.dot.draw(score, "draw_dot", params=model, collapse=2, color=color)
    boxes = [line for line in picture.graph.source.splitlines() if "inactive ReLU</FONT>" in line]
    assert boxes, "the seed should leave some ReLU off for this point"
    (entry,) = [e for e in picture.legend if "inactive ReLU" in e["text"]]
    assert "for this point" in entry["text"] and "dead" not in entry["text"]
    drawn = {(attribute(b, "fillcolor"), attribute(b, "color"), "dashed" in b) for b in boxes}
    for swatch in entry["swatches"]:
        assert (swatch["fill"], swatch["border"], swatch["dashed"]) in drawn
    if color == "role":
        assert [s["fill"] for s in entry["swatches"]] == [palette.MODULE_FILL]
    assert "inactive ReLU" in picture.graph.source.split("labelloc")[0].rsplit("label=<", 1)[1]


def test_the_legend_is_data_that_draw_dot_renders_and_json_can_carry():
    model, score = relu_net()
    for options in ({}, {"color": "grad", "collapse": 2}, {"color": None}):
        picture = viz.dot.draw(score, "draw_dot", params=model, **options)
        assert json.loads(json.dumps(picture.legend)) == picture.legend
        for entry in picture.legend:
            assert escape_text(entry["text"]) in picture.graph.source
            for swatch in entry["swatches"]:
                style = ' STYLE="dashed"' if swatch["dashed"] else ""
                cell = f'BGCOLOR="{swatch["fill"]}" COLOR="{swatch["border"]}" BORDER="1"{style} '
                assert cell in picture.graph.source
        assert picture.graph.source == viz.draw_dot(score, params=model, **options).source


def escape_text(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_grad_colouring_also_writes_the_sign_in_each_box_and_the_legend_says_so():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = Value(5.0, "c")
    y = a * b + c * 0.0
    y.label = "y"
    y.backward()
    src = viz.draw_dot(y, color="grad").source
    sign = lambda name: re.search(r"<B>([+−])</B>", statement(src, name))
    assert sign("v0").group(1) == "−"  # dy/da = b = -3: blue, and a minus sign
    assert sign("v1").group(1) == "+"  # dy/db = a = 2
    assert sign("v3") is None  # dy/dc = 0: dashed, no sign
    assert "each box also says − or +" in src
    assert "<B>+</B>" not in viz.draw_dot(y).source  # role colours need no sign


def test_an_edge_out_of_a_folded_box_into_a_drawn_op_keeps_its_local_derivative():
    _, loss = mlp_loss([3, 1])  # loss = (out - 1) ** 2; out is made inside layer2.neuron1
    src = viz.draw_dot(loss, collapse=True).source
    rows = topological_order(loss)
    minus = next(i for i, node in enumerate(rows) if node.op is not None and node.op.name == "sub")
    line = statement(src, f"e{minus}_0")
    assert re.match(rf"s\d+ -> o{minus} \[", line) and 'label="local 1"' in line
    assert "id=x" not in line  # a real edge, with the id the player lights


def test_without_frames_a_box_shows_its_scoped_name():
    _, loss = mlp_loss([2, 1])
    assert "<B>layer1.neuron2.w0</B>" in viz.draw_dot(loss, cluster=False).source
    assert "<B>layer1.neuron2.w0</B>" not in viz.draw_dot(loss).source  # the frame says it
    assert 'TOOLTIP="∂loss/∂layer1.neuron2.w0 = ' in viz.draw_dot(loss).source


@pytest.mark.render
def test_grad_colouring_of_unlabelled_boxes_renders_with_their_signs():
    x = Value(np.array([-1.0, 2.0, 3.0]), "x")
    y = (x * -1.0).relu() + x.relu()  # for example 0: the left ReLU passes, the right is off
    y.backward()
    svg = viz.to_svg(viz.draw_dot(y, color="grad", example=0))  # dot refuses an empty <B></B>
    signs = re.findall(r'<text[^>]*font-size="13.00"[^>]*>([^<]*)</text>', svg)
    # + for x * -1, both ReLU outputs and y; − for x and the -1 (each: grad -1)
    assert sorted(signs) == ["+", "+", "+", "+", "−", "−"]
    assert ">inactive</text>" in svg


def test_a_folded_box_of_one_node_says_node_not_nodes():
    x = Value(1.0, "x")
    with scope("double"):
        y = x * 2.0
    with scope("solo"):
        z = y.tanh()
    src = viz.draw_dot(z, collapse=True).source
    assert ">1 node<" in src and ">1 nodes<" not in src
    assert ">2 nodes<" in src  # double: the constant 2 and the product
