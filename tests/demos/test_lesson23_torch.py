"""Lesson 23, the same network in PyTorch: the two loss columns agree to 1e-12, the part-lifetime
column is lesson 3's (and a hand computation's), the moons column lesson 9's, every printed row
true as printed, the lesson without torch, its pictures, and the same lesson in Chinese."""

import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import viz
from autograd import topological_order
from demos import cli
from demos import lesson03_part_lifetime as lifetime
from demos import lesson09_moons as moons
from demos import lesson23_torch as lesson23
from nn.data import make_moons
from viz import i18n

HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
ROW = re.compile(r"^ +(\d+)  (\d\.\d{15})(?:  (\d\.\d{15})  (\S+))?$", re.M)


def run(out, lang="en"):
    """Run the lesson into `out`: its numbers, its printed text, the files it wrote (a copy:
    the next run of the same Lesson replaces its list)."""
    lines = []
    lesson = cli.LESSONS["pytorch"]
    with i18n.language(lang):
        results = lesson(out=str(out), small=True, echo=lines.append)
        lesson.finish()
    return results, "\n".join(lines), list(lesson.files)


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    return run(tmp_path_factory.mktemp("en"))


def sigmoid(u):
    return 1 / (1 + np.exp(-u))


def hand_losses(steps):
    """Lesson 3's network trained by the article's formulas in numpy: the loss of each step."""
    W1, b1 = np.array(lifetime.W1), np.array(lifetime.B1)
    W2, b2 = np.array(lifetime.W2), lifetime.B2
    x, losses = np.array(lifetime.X), []
    for _ in range(steps):
        h = sigmoid(x @ W1 + b1)
        y = sigmoid(h @ W2 + b2)
        losses.append((y - lifetime.TARGET) ** 2)
        du2 = 2 * (y - lifetime.TARGET) * y * (1 - y)  # ∂L/∂y · σ'(u2)
        du = du2 * W2 * h * (1 - h)  # ∂L/∂u_j through w2_j and σ'(u_j)
        W2, b2 = W2 - lifetime.LR * du2 * h, b2 - lifetime.LR * du2
        W1, b1 = W1 - lifetime.LR * np.outer(x, du), b1 - lifetime.LR * du
    return losses


@pytest.mark.torch
def test_the_two_loss_columns_agree_to_1e_12_and_so_do_the_trained_networks(english):
    results, _, _ = english
    for name in ("lifetime", "moons"):
        ours, theirs = results[name]["chainrule"], results[name]["torch"]
        assert len(ours) == len(theirs) == lesson23.STEPS == 20
        np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-12)
        assert ours[-1] < ours[0]  # both trained: the last loss is below the first
    before, after = results["lifetime"]["twin"]
    assert results["lifetime"]["y"] == pytest.approx([before, after], abs=1e-12)
    assert 0 <= results["moons"]["largest_score_difference"] < 1e-12


@pytest.mark.torch
def test_every_printed_row_is_true_as_printed(english):
    results, text, _ = english
    rows = ROW.findall(text)
    assert [int(r[0]) for r in rows] == list(range(1, 21)) * 2
    columns = results["lifetime"]["chainrule"] + results["moons"]["chainrule"]
    twins = results["lifetime"]["torch"] + results["moons"]["torch"]
    for (_, a, b, difference), ours, theirs in zip(rows, columns, twins):
        assert float(a) == pytest.approx(ours, abs=1e-15) and float(b) == pytest.approx(theirs)
        assert float(difference) == pytest.approx(ours - theirs, abs=5e-17, rel=0.05)
        assert (difference == "0") == (ours == theirs)
    largest = max(abs(a - b) for a, b in zip(columns, twins))
    assert f"The largest difference in the loss columns: {largest:.1e}." in text
    gap = results["moons"]["largest_score_difference"]
    assert f"after 20 steps the 100 scores in the two libraries differ by {gap:.1e} or less" in text


@pytest.mark.torch
def test_the_script_it_wrote_runs_as_printed_and_ends_at_chainrule_s_loss(english):
    results, text, files = english
    script, model_file = re.search(r"^  python (\S+) --model (\S+)$", text, re.M).groups()
    assert {script, model_file} <= {path for path, _ in files}
    done = subprocess.run(
        [sys.executable, script, "--model", model_file],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    epochs = re.findall(r"^epoch +(\d+) +loss (\d\.\d+)", done.stdout, re.M)
    assert [int(e) for e, _ in epochs] == list(range(1, 21))
    ours = results["moons"]["chainrule"]
    np.testing.assert_allclose([float(v) for _, v in epochs], ours, rtol=0, atol=1e-11)
    assert float(epochs[-1][1]) == pytest.approx(ours[-1], abs=1e-11)  # the same last loss


@pytest.mark.torch
def test_it_prints_the_script_s_network_and_training_loop_as_the_file_has_them(english):
    _results, text, _files = english
    script = re.search(r"^  python (\S+) --model", text, re.M)[1]
    written = pathlib.Path(script).read_text(encoding="utf-8")
    after = text.split("as train_torch.py has them:\n", 1)[1].splitlines()
    shown = []
    for line in after:  # the indented lines, up to the next sentence
        if line and not line.startswith("    "):
            break
        shown.append(line[4:])
    code = "\n".join(shown).strip()
    assert code.startswith("def build_model():") and "loss.backward()" in code
    for block in code.split("\n\n"):
        assert block in written  # every line shown is the script's own, in its order


@pytest.mark.torch
def test_chainrule_export_as_printed_writes_the_same_script(english, capsys):
    _, text, _ = english
    command = re.search(r"^  chainrule (export \S+ --torch (\S+))$", text, re.M)
    with open(command.group(2), encoding="utf-8") as f:
        written = f.read()
    assert cli.main(command.group(1).split()) == 0
    assert "Wrote " + command.group(2) in capsys.readouterr().out
    with open(command.group(2), encoding="utf-8") as f:
        assert f.read() == written  # the lesson's script is the command's, byte for byte


def test_part_lifetime_is_lesson_3_s_network_and_the_article_s_formulas(english, tmp_path):
    results, text, _ = english
    part = results["lifetime"]
    assert part["y"][0] == pytest.approx(0.86707, abs=1e-5)  # the article's 0.867
    three = cli.LESSONS["part-lifetime"](out=str(tmp_path), plots=False, echo=lambda s: None)
    assert part["chainrule"][0] == pytest.approx(three["loss"], rel=1e-12)
    assert part["chainrule"][1] == pytest.approx(three["loss_after"], rel=1e-12)  # one SGD step
    np.testing.assert_allclose(part["chainrule"], hand_losses(20), rtol=1e-12)
    assert part["y"][1] > part["y"][0]  # 20 steps towards the target, 1
    assert f"{part['y'][0]:.6g}" == "0.867066" and "y before training: chainrule 0.867066" in text


def test_the_moons_column_is_lesson_9_s_first_20_steps(english):
    results, _, _ = english
    X, y = make_moons(moons.N, noise=0.1, seed=0)
    _, history = moons.train(X, y, 20, 0)  # lesson 9's own recipe, stopped at 20 steps
    np.testing.assert_allclose(results["moons"]["chainrule"], history.loss, rtol=1e-12)


def test_build_is_the_part_lifetime_loss_with_lesson_3_s_gradients():
    root = lesson23.build()
    drawn = lifetime.build()
    drawn.backward()
    assert root.data == pytest.approx(drawn.data, rel=1e-12)
    ours = sorted(n.grad for n in topological_order(root) if not n.inputs)
    theirs = sorted(n.grad for n in topological_order(drawn) if not n.inputs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)  # every leaf's gradient, as lesson 3's
    assert {n.label for n in topological_order(root) if not n.inputs} >= {"x0", "x1", "target"}


def test_without_torch_the_lesson_prints_the_chainrule_column_and_how_to_install(
    monkeypatch, tmp_path
):
    monkeypatch.setitem(sys.modules, "torch", None)  # as if it were not installed
    results, text, files = run(tmp_path)
    assert results["lifetime"]["torch"] is None and results["moons"]["torch"] is None
    rows = ROW.findall(text)
    assert len(rows) == 40 and all(r[2] == "" for r in rows)  # one column: chainrule's
    np.testing.assert_allclose(results["lifetime"]["chainrule"], hand_losses(20), rtol=1e-12)
    assert "PyTorch  " not in text and "difference" not in text
    assert "(skipped the PyTorch column and train_torch.py: torch is not installed " in text
    assert "pip install 'chainrule[torch]'" in text
    assert "y before training: 0.867066; after 20 steps:" in text
    assert "trained 20 steps by chainrule's nn.fit. With PyTorch installed" in text
    assert "two loss columns" not in text  # no Look-for line about a column that is not there
    written = {os.path.basename(path) for path, _ in files}
    assert "moons.json" in written and "train_torch.py" not in written
    assert "the PyTorch column and train_torch.py: torch is not installed" in text
    if HAVE_MATPLOTLIB:
        assert "losses.png  - each network's loss, step by step (chainrule's alone" in text


@pytest.mark.torch
@pytest.mark.skipif(not HAVE_MATPLOTLIB, reason="matplotlib is not installed")
def test_the_loss_plot_is_written_and_named(english):
    _, text, files = english
    written = {os.path.basename(path): what for path, what in files}
    assert "losses.png" in written and "PyTorch curve (dashed)" in written["losses.png"]
    assert "losses.png  - one line per network" in text


def test_the_lesson_in_chinese_says_it_in_chinese_with_the_same_numbers(english, tmp_path):
    results, text, _ = english
    chinese, zh_text, files = run(tmp_path, "zh-CN")
    np.testing.assert_equal(chinese, results)
    assert "零件使用寿命（第 3 课）：MLP(2, [2, 1])，激活函数为 Sigmoid" in zh_text
    assert "双月数据（第 9 课）：MLP(2, [16, 16, 1])，激活函数为 ReLU，100 个点" in zh_text
    assert "学习率在 100 步内从 1 降到 0.1（这里只看前 20 步）" in zh_text
    assert ROW.findall(zh_text) == ROW.findall(text)  # the same rows, digit for digit
    if results["lifetime"]["torch"] is not None:
        assert "    步  chainrule          PyTorch            差值" in zh_text
        assert "两列损失之间最大的差：" in zh_text
    assert "留意：" in zh_text and "Look for" not in zh_text
    if results["lifetime"]["torch"] is not None:  # the script's comments are Chinese too
        script = next(path for path, _ in files if path.endswith("train_torch.py"))
        with open(script, encoding="utf-8") as f:
            assert "chainrule 写的 PyTorch 脚本" in f.readline()
    lesson = cli.LESSONS["pytorch"]
    with i18n.language("zh-CN"):
        assert lesson.title == "23. PyTorch 中的同一个网络"
    assert lesson.title == "23. The network in PyTorch"


@pytest.mark.browser
@pytest.mark.render
def test_the_chinese_title_fits_the_player_s_top_bar_at_1024_px(browser, tmp_path):
    page_file = tmp_path / "backprop.html"
    with i18n.language("zh-CN"):
        title = cli.LESSONS["pytorch"].title
        viz.backprop_html(lesson23.build(), str(page_file), title=title)
    page = browser.new_page(viewport={"width": 1024, "height": 640})
    page.goto(page_file.as_uri())
    heading = page.locator("h1")
    assert heading.inner_text() == title == "23. PyTorch 中的同一个网络"
    assert not heading.evaluate("h => h.scrollWidth > h.clientWidth")  # no ellipsis
    page.close()
