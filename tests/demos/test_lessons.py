"""Every lesson runs into a temporary folder and prints the numbers the documents give."""

import html
import importlib.util
import math
import os
import re
import sys
import xml.etree.ElementTree as ET

import pytest

from autograd import Value, topological_order
from demos import cli
from demos.common import Lesson, print_backward
from viz import palette, render

HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
HAVE_DOT = any(render.find(name) for name in render.RENDERERS)


def run(name, tmp_path, plots=True):
    """Run a lesson small into tmp_path; its numbers, its printed text, and what it wrote."""
    lines = []
    lesson = cli.LESSONS[name]
    results = lesson(out=str(tmp_path / name), plots=plots, small=True, echo=lines.append)
    lesson.finish()
    check_files(lesson)
    text = "\n".join(lines)
    old = re.search(r"(?<![∂\w/.-])d ?[A-Za-z]\w* ?/ ?d ?[A-Za-z(]", text)
    assert old is None, f"a derivative not in the ∂ notation: {old and old.group()!r}"
    return results, text


def check_files(lesson):
    """Every file the lesson says it wrote exists, under its folder, and parses."""
    for path, what in lesson.files:
        assert what, f"{path} has no note on what to look for"
        assert os.path.dirname(path) == lesson.out
        with open(path, "rb") as f:
            data = f.read()
        if path.endswith(".svg"):
            assert ET.fromstring(data).tag.endswith("svg")
        elif path.endswith(".png"):
            assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
        elif path.endswith(".html"):
            assert b"<html" in data.lower()[:500]
            title = html.escape(lesson.title).encode()
            assert b"<title>" + title + b"</title>" in data  # the lesson's own, not `L = v29**2`
    written = {os.path.basename(p) for p, _ in lesson.files}
    leftovers = [f for f in os.listdir(lesson.out) if ".tmp" in f] if written else []
    assert not leftovers, f"temporary files left behind: {leftovers}"


def wrote(name, tmp_path):
    return set(os.listdir(tmp_path / name))


def test_car_tax_gives_two_point_two(tmp_path):
    r, text = run("car-tax", tmp_path)
    assert r["total"] == pytest.approx(33.0)
    assert (r["d_price"], r["d_count"], r["d_tax"]) == (
        pytest.approx(2.2),
        pytest.approx(16.5),
        pytest.approx(30.0),
    )
    assert "∂total/∂price = 1 · 1.1 · 2 = 2.2" in text
    assert "-> count: local ∂(price * count)/∂count = price = 15.0;  1.1 · 15.0 = 16.5" in text


def test_chain_rule_gives_minus_twelve_and_its_gradients(tmp_path):
    r, text = run("chain-rule", tmp_path)
    assert (r["q"], r["f"], r["dx"], r["dy"], r["dz"]) == (3.0, -12.0, -4.0, -4.0, 3.0)
    assert "-> x: local ∂(x + y)/∂x = 1.0;  -4.0 · 1.0 = -4.0" in text
    assert "-> z: local ∂(q * z)/∂z = q = 3.0;  1.0 · 3.0 = 3.0" in text
    assert "∂f/∂x = -4.0" in text and "df/" not in text


def test_part_lifetime_predicts_0867_and_one_step_lowers_the_loss(tmp_path):
    r, text = run("part-lifetime", tmp_path)
    assert r["y"] == pytest.approx(0.86707, abs=1e-5)
    assert r["loss"] == pytest.approx((1 - r["y"]) ** 2)
    assert r["loss_after"] < r["loss"]
    assert "0.867 years" in text
    assert "∂L/∂w1_00 = ∂L/∂u0 · x0 = -0.00114091" in text


@pytest.mark.render
@pytest.mark.parametrize("name", ["part-lifetime", "two-layer-formulas"])
def test_the_network_pictures_name_their_inputs_and_colour_weights_as_parameters(tmp_path, name):
    run(name, tmp_path, plots=False)
    graph = (tmp_path / name / "graph.svg").read_text(encoding="utf-8")
    page = (tmp_path / name / "backprop.html").read_text(encoding="utf-8")
    roles = {role: fill for role, (fill, _, _) in palette.ROLES.items()}
    for picture in (graph, page):
        for label in ("x0", "x1", "target"):
            assert f">{label}<" in picture  # a labelled input, not an anonymous constant
        assert roles["parameter"] in picture.upper() and roles["input"] in picture.upper()
    assert roles["constant"] not in graph.upper()  # no anonymous grey leaf left


def test_cli_lists_every_lesson(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for name in cli.LESSONS:
        assert name in out


def test_cli_unknown_lesson_is_one_line_and_exit_two(capsys):
    assert cli.main(["run", "no-such-lesson"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no lesson named 'no-such-lesson'" in err


def test_cli_bad_option_exits_two_without_traceback(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", "chain-rule", "--seed", "notanumber"])
    assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_activations_derivatives_match_finite_differences_and_known_slopes(tmp_path):
    r, text = run("activations", tmp_path)
    assert r["worst_error"] < 1e-6
    assert r["sigmoid_d0"] == pytest.approx(0.25)
    assert r["tanh_d0"] == pytest.approx(1.0)
    assert (r["relu_dminus"], r["relu_dplus"]) == (0.0, 1.0)
    assert r["gelu_d0"] == pytest.approx(0.5) and r["swish_d0"] == pytest.approx(0.5)
    assert r["step_d1"] == 0.0
    for name in ("sigmoid", "tanh", "relu", "leaky_relu", "PReLU", "ELU", "swish", "GELU"):
        assert any(n.startswith(name) for n in r["names"]), name
    assert any("softmax" in n for n in r["names"]) and any("maxout" in n for n in r["names"])
    if HAVE_MATPLOTLIB:
        assert "activations.png" in wrote("activations", tmp_path)


def test_cross_entropy_is_minus_log_point_seven_and_logit_gradient_is_p_minus_y(tmp_path):
    r, text = run("cross-entropy", tmp_path)
    assert r["ce"] == pytest.approx(-math.log(0.7)) and "0.357" in text
    assert r["d_p1"] == pytest.approx(-1 / 0.7)
    assert r["clipped"] == pytest.approx(-math.log(1e-15))
    assert r["ce_logits"] == pytest.approx(r["ce"])
    assert r["d_logits"] == pytest.approx([0.2, -0.3, 0.1])
    assert r["ce_big"] == pytest.approx(1000.0)
    assert "log(0.0)" in r["log_zero_error"]


@pytest.mark.parametrize("seed", [0, 3])
def test_learning_rate_runs_show_what_the_lesson_says(tmp_path, seed):
    lines = []
    runs = cli.LESSONS["learning-rate"](
        out=str(tmp_path), seed=seed, plots=False, small=True, echo=lines.append
    )["runs"]
    low, right, high, too_high, step, cosine = runs.values()
    assert low["final"] > 2 * right["final"] and low["final"] == low["low"] < low["high"]
    assert "diverged_at" in too_high and "overflowed to inf" in "\n".join(lines)
    assert high["first"] < right["first"]  # the high rate starts faster
    assert high["high"] > 1.5 * high["low"]  # and bounces to the end
    for schedule in (step, cosine):
        assert schedule["high"] - schedule["low"] < 0.05 * schedule["final"]  # flat at the end
        assert schedule["final"] < (high["low"] + high["high"]) / 2  # below 0.2's bounces
        assert schedule["final"] < 1.25 * right["final"]  # close to the best constant rate


def test_without_plots_a_lesson_says_which_it_skipped(tmp_path):
    lines = []
    lesson = cli.LESSONS["learning-rate"]
    lesson(out=str(tmp_path), plots=False, small=True, echo=lines.append)
    lesson.finish()
    text = "\n".join(lines)
    assert "(skipped" in text and "--no-plots" in text
    assert not any(p.endswith(".png") for p, _ in lesson.files)


def test_perceptron_computes_and_learns_and_or_not_but_never_xor(tmp_path):
    r, text = run("perceptron", tmp_path)
    assert r["and_table"] == {(0, 0): 0.0, (1, 0): 0.0, (0, 1): 0.0, (1, 1): 1.0}
    learned = r["learned"]
    assert learned["and"]["outputs"] == [0.0, 0.0, 0.0, 1.0] and learned["and"]["converged"]
    assert learned["or"]["outputs"] == [0.0, 1.0, 1.0, 1.0] and learned["or"]["converged"]
    assert learned["not"]["outputs"] == [1.0, 0.0] and learned["not"]["converged"]
    assert not learned["xor"]["converged"] and learned["xor"]["last_errors"] > 0
    assert learned["xor"]["outputs"] != [0.0, 1.0, 1.0, 0.0]
    if HAVE_MATPLOTLIB:
        assert {"perceptron_and.png", "perceptron_xor.png"} <= wrote("perceptron", tmp_path)


def test_xor_is_solved_by_a_hidden_layer(tmp_path):
    r, text = run("xor", tmp_path)
    assert r["solved"] and "solved: yes" in text
    p = r["probs"]
    assert p[0] < 0.5 < p[1] and p[2] > 0.5 > p[3]
    assert r["loss"][-1] < r["loss"][0] / 10


def test_moons_reaches_high_accuracy_even_when_small(tmp_path):
    r, text = run("moons", tmp_path)
    assert r["parameters"] == 337  # MLP(2, [16, 16, 1]), as in micrograd
    assert r["accuracy"] >= 0.9
    assert r["loss"][-1] < r["loss"][0]
    if HAVE_MATPLOTLIB:
        assert {"moons_loss.png", "moons_regions.png"} <= wrote("moons", tmp_path)


def test_digits_beats_a_floor_at_small_size_and_counts_every_test_image(tmp_path):
    pytest.importorskip("sklearn", reason="the digits data comes from scikit-learn")
    r, text = run("digits", tmp_path)
    assert r["accuracy"] >= 0.8
    assert r["confusion"].sum() == 360 and r["confusion"].trace() == round(r["accuracy"] * 360)
    assert "Test accuracy" in text


def test_cli_missing_optional_extra_is_one_line_and_nonzero(monkeypatch, capsys, tmp_path):
    for name in ("sklearn", "sklearn.datasets"):
        monkeypatch.setitem(sys.modules, name, None)  # as if scikit-learn were not installed
    assert cli.main(["run", "digits", "--out", str(tmp_path)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "scikit-learn" in err and "Traceback" not in err


def test_vanishing_sigmoid_fades_relu_he_holds_and_clipping_keeps_training(tmp_path):
    r, text = run("vanishing", tmp_path)
    sigmoid, relu = r["norms"]["sigmoid, Xavier init"], r["norms"]["ReLU, He init"]
    assert sigmoid[0] < sigmoid[-1] * 1e-3  # orders of magnitude smaller next to the input
    assert relu[0] > relu[-1] * 1e-2  # within a couple of orders
    assert min(r["norms"]["ReLU, init 2x too large"]) > 1e3
    blew_up = r["overflowed"] is not None or max(r["plain"]) > r["plain"][0] * 1e6
    assert blew_up  # unclipped, the loss explodes
    assert r["clipped"][-1] < r["clipped"][0]  # clipped, it falls
    chain = r["chain"]  # dL/dw along the sigmoid chain shrinks towards the input
    assert all(abs(a) < abs(b) for a, b in zip(chain, chain[1:]))


def test_optimisers_all_learn_and_smaller_batches_take_more_steps_and_go_further(tmp_path):
    r, text = run("optimisers", tmp_path)
    assert set(r["final"]) >= {"SGD, lr 0.1", "SGD + momentum 0.9", "RMSprop, lr 0.01"}
    assert all(loss < 0.69 for loss in r["final"].values())  # all below guessing (ln 2)
    steps = [r["timing"][name][0] for name in ("batch (all 200)", "mini-batch (20)")]
    assert steps[1] == 10 * steps[0] and r["timing"]["stochastic (1)"][0] == 200 * steps[0]
    batches = r["batches"]
    assert batches["batch (all 200)"] > batches["mini-batch (20)"] > batches["stochastic (1)"]


def test_optimisers_full_run_leaves_plain_sgd_on_its_plateau(tmp_path):
    final = cli.LESSONS["optimisers"](out=str(tmp_path), plots=False, echo=lambda t: None)["final"]
    sgd = final["SGD, lr 0.1"]
    assert sgd > 0.2  # still on the plateau near 0.3 after 40 epochs
    for name in ("SGD + momentum 0.9", "SGD + Nesterov 0.9", "Adam, lr 0.01"):
        assert final[name] < 0.75 * sgd, name


def test_regularisation_shows_overfitting_and_what_l2_and_dropout_do(tmp_path):
    r, text = run("regularisation", tmp_path)
    final = r["final"]
    none, l2, dropout = final["none"], final["L2 0.003"], final["dropout 0.5"]
    assert none["test_loss"] > 2 * none["best_test_loss"]  # it memorises the noise
    assert l2["test_loss"] < none["test_loss"] and l2["test_accuracy"] > none["test_accuracy"]
    assert dropout["test_loss"] < none["test_loss"]  # at seed 0 dropout helps too
    assert dropout["test_accuracy"] > none["test_accuracy"]
    for name, f in final.items():  # the look-for line: the widest train/test gap is none's
        gap = f["test_loss"] - f["train_loss"]
        assert name == "none" or gap < none["test_loss"] - none["train_loss"]
    for name in ("L2 0.003", "dropout 0.5"):  # the printed verdict says what the numbers say
        f = final[name]
        loss = "below" if f["test_loss"] < none["test_loss"] else "above"
        assert f"{name}: test loss {f['test_loss']:.2f}, {loss} none's" in text
    if HAVE_MATPLOTLIB:
        assert {"regions.png", "overfitting.png"} <= wrote("regularisation", tmp_path)


def test_two_layer_formulas_path_products_equal_the_gradients(tmp_path):
    r, text = run("two-layer-formulas", tmp_path)
    paths = r["paths"]
    for weight, names in (
        ("w2_00", [("L", "y"), ("y", "u2"), ("u2", "w2_00")]),
        ("w1_00", [("L", "y"), ("y", "u2"), ("u2", "h0"), ("h0", "u0"), ("u0", "w1_00")]),
    ):
        p = paths[weight]
        assert p["names"] == names
        assert p["product"] == pytest.approx(p["grad"], rel=1e-12) and p["grad"] != 0
        assert math.prod(p["factors"]) == pytest.approx(p["grad"], rel=1e-12)
    # the hand formula: dL/dw2_00 = 2(y - 1) * y(1 - y) * h0
    dl_dy, dy_du2, h0 = paths["w2_00"]["factors"]
    y = dl_dy / 2 + 1
    assert dy_du2 == pytest.approx(y * (1 - y)) and y == pytest.approx(0.86707, abs=1e-5)
    assert paths["w1_00"]["factors"][2] == pytest.approx(1.5)  # du2/dh0 = w2_00
    assert paths["w1_00"]["factors"][4] == pytest.approx(0.1)  # du0/dw1_00 = x0
    if HAVE_DOT:
        assert {"path_w1_00.svg", "path_w2_00.svg"} <= wrote("two-layer-formulas", tmp_path)


def test_every_lesson_is_listed_in_reading_order():
    names = list(cli.LESSONS)
    assert names[:4] == ["car-tax", "chain-rule", "part-lifetime", "two-layer-formulas"]
    assert names[13] == "regularisation"
    beyond = ["skip-connections", "batch-norm", "convolution", "bptt", "self-attention"]
    assert names[14:20] == beyond + ["transformer"]  # issue 16: past the MLP
    assert names[20:22] == ["forward-reverse", "newton"]  # issue 18: the derivatives themselves
    assert names[22:] == ["pytorch"]  # issue 19: the same network in PyTorch


def test_cli_step_refuses_a_lesson_without_one_graph(capsys):
    assert cli.main(["step", "learning-rate"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "chain-rule" in err


def test_cli_step_calls_the_weights_parameters_and_the_data_inputs(capsys):
    assert cli.main(["step", "part-lifetime", "--no-pause"]) == 0
    kinds = dict(re.findall(r"^  (\S+) = \S+  \((an? \w+)\)$", capsys.readouterr().out, re.M))
    assert {kinds[x] for x in ("x0", "x1", "target")} == {"an input"}
    weights = [name for name in kinds if name not in ("x0", "x1", "target")]
    assert len(weights) == 9 and {kinds[w] for w in weights} == {"a parameter"}  # as graph.svg
    assert cli.main(["step", "moons", "--no-pause"]) == 0
    out = capsys.readouterr().out
    assert out.count("(a parameter)") == 337 and "  x0 = 0.5  (an input)" in out


def test_cli_run_writes_under_out_and_ends_with_what_to_open(capsys, tmp_path):
    assert cli.main(["run", "cross-entropy", "--out", str(tmp_path), "--no-plots"]) == 0
    out = capsys.readouterr().out
    assert "0.357" in out and "Look for:" in out
    assert "(skipped" in out and "--no-plots" in out


def test_without_matplotlib_a_lesson_still_runs_and_names_the_skipped_plots(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    r, text = run("activations", tmp_path)
    assert r["worst_error"] < 1e-6
    assert "skipped" in text and "matplotlib is missing" in text and "chainrule[plot]" in text
    assert "activations.png" not in wrote("activations", tmp_path)


def test_without_a_layout_program_a_lesson_still_runs_and_says_it_skipped_the_graphs(
    monkeypatch, tmp_path
):
    monkeypatch.setattr(render, "find", lambda name: None)  # neither dot nor graphviz-pure
    r, text = run("two-layer-formulas", tmp_path, plots=False)
    assert r["paths"]["w1_00"]["product"] == pytest.approx(r["paths"]["w1_00"]["grad"])
    assert "skipped graph.svg" in text and "skipped path_w1_00.svg" in text
    assert not any(name.endswith(".svg") for name in wrote("two-layer-formulas", tmp_path))


def test_cli_out_that_is_a_file_is_one_line_and_nonzero(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert cli.main(["run", "cross-entropy", "--out", str(blocker / "sub")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write" in err


def test_cli_negative_seed_is_refused_before_anything_runs(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", "moons", "--seed", "-3"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "seed must be a whole number >= 0, got '-3'" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "name", [name for name, lesson in cli.LESSONS.items() if lesson.build is not None]
)
def test_every_leaf_a_lesson_draws_has_a_name(name):
    root = cli.LESSONS[name].build()
    unnamed = [n.data for n in topological_order(root) if not n.inputs and not n.label]
    assert not unnamed, f"{name} draws anonymous constants {unnamed[:4]}"


def test_print_backward_brackets_a_label_with_spaces_once_and_marks_locals():
    w, x = Value(0.6, "w"), Value(2.0, "x")
    s = w * x
    s.label = "w.x + b"
    y = s.tanh()
    y.label = "y"
    lines = []
    lesson = Lesson("t", "t", lambda lesson: print_backward(lesson, y))
    lesson(out="unused", echo=lines.append)
    text = "\n".join(lines)
    assert "  ∂y/∂(w.x + b) = " in text and "∂((" not in text
    assert "-> w: local ∂(w * x)/∂w = x = 2.0;" in text
    local = 1 - math.tanh(1.2) ** 2  # the op's rule, then its number: 1 - tanh²
    assert "-> w.x + b: local ∂tanh(w.x + b)/∂(w.x + b) = " in text
    assert f"= {Lesson.num(local)};  1.0 · {Lesson.num(local)}" in text
