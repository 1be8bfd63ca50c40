"""Issue 12, item 12: narration's LaTeX parses in KaTeX (strict, as LaTeX would take it),
whatever the labels: ^ and ~ are no text-mode accents in maths, CJK letters are text.

Needs node and the katex package from npm (`npm install -g katex`); skipped with the
reason where they are missing, except in CI (CI=true), which must run it.
"""

import json
import os
import shutil
import subprocess

import pytest

import autograd
import viz
from autograd import Value

CHECK = """
const katex = require("katex");
const items = JSON.parse(require("fs").readFileSync(0, "utf8"));
const errors = items.map((tex) => {
  try { katex.renderToString(tex, {throwOnError: true, strict: "error"}); return null; }
  catch (e) { return e.message; }
});
process.stdout.write(JSON.stringify(errors));
"""


def katex_env():
    """The environment in which node finds katex, or None (then the test skips)."""
    if shutil.which("node") is None:
        return None
    env = dict(os.environ)
    if shutil.which("npm"):
        root = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True).stdout
        env["NODE_PATH"] = os.pathsep.join(p for p in (env.get("NODE_PATH"), root.strip()) if p)
    found = subprocess.run(["node", "-e", "require('katex')"], env=env, capture_output=True)
    return env if found.returncode == 0 else None


@pytest.fixture(scope="module")
def katex():
    """A function: LaTeX strings -> KaTeX's error for each (None where it parsed)."""
    env = katex_env()
    if env is None:
        reason = "node with the katex package is needed (npm install -g katex)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the KaTeX test: {reason}", pytrace=False)
        pytest.skip(reason)

    def check(items):
        done = subprocess.run(
            ["node", "-e", CHECK], input=json.dumps(items), env=env, capture_output=True,
            text=True, check=True,
        )  # fmt: skip
        return json.loads(done.stdout)

    return check


LABELS = ["a^b", "a~b", "x_1^2", "C:\\Names", "{braces}", "50% & #1 $", "two words", "总价", "é"]


def every_latex(root):
    """The narration of every node under `root` in LaTeX."""
    story = viz.backprop_story(root)
    return [e.latex() for e in story.backward]


def test_narration_latex_with_hostile_labels_parses_in_katex(katex):
    leaves = [Value(float(k + 1), label) for k, label in enumerate(LABELS)]
    total = leaves[0] * leaves[1]
    for leaf in leaves[2:]:
        total = (total + leaf).tanh() ** 2
    total.label = "f^~"
    items = every_latex(total)
    errors = [(tex, err) for tex, err in zip(items, katex(items)) if err]
    assert errors == []
    assert "\\text{\\textasciicircum}" in " ".join(items) and "\\text{总价}" in " ".join(items)


def test_every_op_the_lessons_use_narrates_to_latex_katex_parses(katex):
    x, w = Value(0.5, "x"), Value(-1.5, "w")
    with autograd.scope("layer1.neuron0"):
        u = w * x + Value(0.1, "b")
        y = u.sigmoid() + u.relu() + u.exp().log() - u / Value(2.0, "c") + (-u).max(x)
    loss = (y - Value(1.0, "target")) ** 2
    loss.label = "loss"
    items = every_latex(loss)
    errors = [(tex, err) for tex, err in zip(items, katex(items)) if err]
    assert errors == []


def test_katex_check_catches_the_old_text_mode_accent(katex):
    # The check itself: \^{} in maths mode is what the narration used to write.
    assert "text mode" in katex(["\\mathrm{a\\^{}b}"])[0]
    assert katex(["\\mathrm{a\\text{\\textasciicircum}b}"]) == [None]
