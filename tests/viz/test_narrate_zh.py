"""The narration in Chinese (issue 15): the chain-rule story, fan-out sums, every reason a
gradient is zero or not finite, batches and the walk's step texts, with the numbers of the
English story and no English sentence left; lang="en" and a bad lang as before."""

import json
import math
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import viz
from autograd import Value
from demos.lesson02_chain_rule import build  # f = (x + y) z at (-2, 5, -4)
from viz.i18n import language
from viz.walk import make_walk

# Latin words that stay in Chinese narration: the names of functions and numbers.
KEPT = {"relu", "sigmoid", "tanh", "exp", "log", "max", "min", "mean", "nan", "inf"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def english_left(text, names):
    """The English words in `text` that are not node names, LaTeX, code or kept names."""
    text = re.sub(r"\\[A-Za-z]+", " ", text)  # \frac, \text, \cdot: LaTeX's own words
    for name in sorted(names, key=len, reverse=True):  # a label is the student's own word
        text = re.sub(rf"(?<![\w.]){re.escape(name)}(?![\w.])", " ", text)
    text = re.sub(r"\b\w+=", " ", text)  # a keyword argument, as example=
    return [w for w in re.findall(r"[A-Za-z][A-Za-z'-]{2,}", text) if w.lower() not in KEPT]


def story_texts(story):
    """Every sentence a story says: forward lines, batch note, each step in text and LaTeX."""
    out = story.forward + [story.batch_note(), story.per_node()]
    for e in story.backward:
        out += [e.text(), e.latex(), e.why] + e.products() + e.shares()
    return [t for t in out if t]


def walk_texts(walk):
    """Every word the player and the frames show from a walk."""
    out = [walk.title]
    for step in walk.steps:
        out += [step["heading"], step["note"], step["why"], *step["lines"], *step["answer"]]
        out += [line for use in step["uses"] for line in use] + step.get("hints", [])
    return [t for t in out if t]


def fan_out():
    """g = a * a + a * b at a = 3, b = 2: a is used three times (twice by one op)."""
    a, b = Value(3.0, "a"), Value(2.0, "b")
    g = a * a + a * b
    g.label = "g"
    return g, a


def batch():
    """L = mean((w x - 1)²) over three examples, w a weight shared by all of them."""
    w, x = Value(0.5, "w"), Value(np.array([1.0, 2.0, 3.0]), "x")
    loss = ((w * x - 1.0) ** 2).mean()
    loss.label = "L"
    return loss, w


def test_the_chain_rule_example_in_chinese_has_the_english_numbers():
    f = build()
    q, z = f.inputs
    x, y = q.inputs
    e = viz.narrate(f, x, lang="zh-CN")
    assert e.lines() == [
        "∂f/∂x = ∂f/∂q · ∂(x + y)/∂x",
        "= -4 · 1",
        "= -4",
        "局部导数：∂(x + y)/∂x = 1",
    ]
    assert viz.narrate(f, z, lang="zh-CN").text().endswith("局部导数：∂(q * z)/∂z = q = 3")
    story = viz.backprop_story(f, lang="zh-CN")
    assert (
        story.forward[0] == "x = -2（输入）" and story.forward[-1] == "f = q * z = 3 * (-4) = -12"
    )
    root = story.backward[0]
    assert root.text() == "∂f/∂f = 1\n（反向传播从这里开始：输出和它自己总是一比一地变化）"
    assert [e.numeric for e in story.backward] == ["= 1", "= 3", "= -4", "= -4", "= -4"]
    assert story.per_node() == "∂f/∂(每个节点)"
    assert e.latex().endswith(r"\quad \text{局部导数：} \frac{\partial (x + y)}{\partial x} = 1")


def test_a_story_keeps_its_language_wherever_it_is_read():
    f = build()
    x = f.inputs[0].inputs[0]
    told = viz.narrate(f, x, lang="zh-CN")
    with language("en"):  # read later, in another language's block: still Chinese
        assert "局部导数" in told.text() and "局部导数" in told.latex()
    with language("zh-CN"):
        english = viz.narrate(f, x, lang="en")
        assert english.text().endswith("\nlocal ∂(x + y)/∂x = 1")
        assert viz.narrate(f, x).text() == told.text()  # lang=None: the block's language


def test_english_is_unchanged_with_lang_en_and_identical_to_the_default():
    f = build()
    x = f.inputs[0].inputs[0]
    e = viz.narrate(f, x, lang="en")
    assert e.text() == "∂f/∂x = ∂f/∂q · ∂(x + y)/∂x\n= -4 · 1\n= -4\nlocal ∂(x + y)/∂x = 1"
    assert viz.narrate(f, f, lang="en").why.startswith("backprop starts here")
    assert story_texts(viz.backprop_story(f, lang="en")) == story_texts(viz.backprop_story(f))
    loss, w = batch()
    english = viz.backprop_story(loss, params=[w], lang="en")
    assert "(example= picks another)" in english.batch_note()
    assert story_texts(english) == story_texts(viz.backprop_story(loss, params=[w]))


def test_an_unknown_language_is_refused_before_anything_is_narrated():
    f = build()
    with pytest.raises(ValueError, match=r"narrate: lang='fr'.*'en', 'zh-CN'"):
        viz.narrate(f, "no such node", lang="fr")  # the language is checked first
    with pytest.raises(ValueError, match=r"backprop_story: lang='fr'"):
        viz.backprop_story(f, lang="fr")
    assert f.inputs[0].grad == 0.0  # no backward pass ran


def test_fan_out_adds_its_uses_in_chinese_sentences():
    g, a = fan_out()
    e = viz.narrate(g, a, lang="zh-CN")
    assert e.symbolic.count(" + ") == 2 and e.numeric == "= 8"
    assert e.locals() == ["∂(a * b)/∂a = b = 2", "∂(a * a)/∂a = a = 3", "∂(a * a)/∂a = a = 3"]


@pytest.mark.render  # the walk lays out its picture
def test_the_walk_of_a_fan_out_says_the_running_sum_and_the_hint_to_add_in_chinese():
    g, a = fan_out()
    with language("zh-CN"):
        walk = make_walk(g, "test")
    step = next(s for s in walk.steps if s["heading"] == "a 的梯度")
    assert [use[0] for use in step["uses"]] == [
        "经由 v3 = a * b",
        "经由 v1 = a * a（第 1 个输入）",
        "经由 v1 = a * a（第 2 个输入）",
    ]
    assert [use[2].split("；")[-1] for use in step["uses"]] == [
        "目前累计 2",
        "目前累计 5",
        "目前累计 8",
    ]
    assert step["hints"][0].endswith(
        "其中局部导数的规则是 ∂(a * b)/∂a = b；∂(a * a)/∂a = a；∂(a * a)/∂a = a。"
    )
    assert step["hints"][1] == (
        "上游梯度（前面已经求出）：∂g/∂v3 = 1，∂g/∂v1 = 1，∂g/∂v1 = 1。"
        "a 被用了 3 次：把各个乘积加起来。"
    )
    assert walk.title == "反向传播：g（5 个节点）"
    assert walk.steps[0]["heading"] == "a 的值" and "前向传播" in walk.steps[0]["note"]
    root = next(s for s in walk.steps if s["phase"] == "backward")
    assert root["note"].startswith("反向传播从输出 g 开始") and "∂g/∂(每个节点)" in root["note"]
    assert not [t for t in walk_texts(walk) if english_left(t, walk.story.names)]


def negative_relu():
    u = Value(-1.5, "u")
    r = u.relu() * Value(2.0, "k")
    r.label = "r"
    return r, u


def zero_factor():
    x, w = Value(2.0, "x"), Value(0.0, "w")
    y = x * w
    y.label = "y"
    return y, x


def max_loser():
    a, b = Value(1.0, "a"), Value(4.0, "b")
    m = a.max(b)
    m.label = "m"
    return m, a


def flat_step():
    x = Value(0.7, "x")
    s = x.step()
    s.label = "s"
    return s, x


def cancelling():
    x = Value(2.0, "x")
    c = x - x
    c.label = "c"
    return c, x


def rounding():
    x = Value(0.1, "x")
    c = x * 0.3 + x * 0.7 - x
    c.label = "c"
    return c, x


def no_path():
    f = build()
    return f, Value(1.0, "w")


def dead_upstream():
    x = Value(-1.0, "x")
    h = x * Value(3.0, "k")
    out = h.relu()
    out.label = "out"
    return out, x


def nan_local():
    y = Value(math.inf, "x") * 0.0
    y.label = "y"
    out = y * y
    out.label = "out"
    return out, y


def nan_upstream():
    x = Value(math.inf, "x")
    y = x * 0.0
    y.label = "y"
    out = y * y
    out.label = "out"
    return out, x


def overflow():
    a, k, big = Value(1e200, "a"), Value(1e200, "k"), Value(1e200, "big")
    p = a * big
    p.label = "p"
    out = p * k
    out.label = "out"
    return out, a


@pytest.mark.parametrize(
    "build_graph, said",
    [
        (negative_relu, "（ReLU 没有激活：它的输入 -1.5 <= 0，所以传回 0）"),
        (zero_factor, "（另一个因子 w 是 0）"),
        (max_loser, "（max 选中了它的另一个输入，所以这个输入得不到梯度）"),
        (flat_step, "（阶跃函数是平的：它的导数处处为 0）"),
        (cancelling, "（它在各处的贡献正好相互抵消）"),
        (rounding, "（各项贡献相互抵消：不计浮点舍入误差，这里就是 0）"),
        (no_path, "（没有路径：f 不依赖 w）"),
        (dead_upstream, "（∂out/∂v2 已经是 0）"),
        (nan_local, "（局部导数 ∂(y * y)/∂y 在这里是 nan）"),
        (nan_upstream, "（∂out/∂y 已经是 nan：它把这个值继续往回传）"),
        (overflow, "（乘积太大，浮点数装不下：它溢出成了无穷大）"),
    ],
)  # fmt: skip
def test_every_reason_for_a_zero_or_non_finite_gradient_is_said_in_chinese(build_graph, said):
    root, node = build_graph()
    e = viz.narrate(root, node, lang="zh-CN")
    assert e.lines()[-1] == said
    english = viz.narrate(root, node, lang="en").why
    assert english and CJK.search(e.why) and not CJK.search(english)  # the same reason, translated


def test_a_rule_with_a_condition_is_said_in_chinese_in_text_and_latex():
    r, u = negative_relu()
    e = viz.narrate(r, u, lang="zh-CN")
    assert "局部导数：∂ReLU(u)/∂u = 当 u > 0 时为 1，否则为 0 = 0" in e.lines()
    assert e.latex().endswith(r"= \text{当 } u > 0 \text{ 时为 } 1 \text{，否则为 } 0 = 0")
    english = viz.narrate(r, u, lang="en")
    assert english.latex().endswith(r"= 1 \text{ if } u > 0 \text{, else } 0 = 0")


def test_a_batch_is_told_in_chinese_for_one_example_with_the_weight_summed():
    loss, w = batch()
    story = viz.backprop_story(loss, params=[w], example=2, lang="zh-CN")
    assert story.batch_note().startswith(
        "这是一批 3 个样本，这里讲的是样本 2（用 example= 可以换一个）"
    )
    assert story.forward[-1] == "L = mean(v5) = 0.1667（由全部 3 个样本算出；样本 2 的 v5 是 0.25）"
    e = viz.narrate(loss, w, params=[w], example=2, lang="zh-CN")
    assert e.symbolic == "∂L/∂w = 3 个样本的 ∂L/∂v2 · ∂(w * x)/∂w 之和"
    (share,) = e.shares()
    assert share.startswith("样本 2 贡献 ") and share.endswith(
        f"全部 3 个样本加起来是 {story.num(e.grad)}"
    )
    assert e.locals() == ["∂(w * x)/∂w = x = 3（样本 2）"]
    assert r"\sum_{\text{样本}}" in e.latex()


@pytest.mark.parametrize("build_graph", [build, fan_out, batch, negative_relu, nan_upstream])
def test_no_english_sentence_is_left_in_a_chinese_story(build_graph):
    made = build_graph()
    root = made[0] if isinstance(made, tuple) else made
    story = viz.backprop_story(root, lang="zh-CN")
    texts = story_texts(story)
    assert all(english_left(t, story.names) == [] for t in texts), [
        (t, english_left(t, story.names)) for t in texts if english_left(t, story.names)
    ]
    assert any(CJK.search(t) for t in texts)


def test_the_english_word_check_would_catch_an_untranslated_sentence():
    story = viz.backprop_story(build(), lang="en")
    assert english_left(story.backward[0].text(), story.names) != []


def test_the_environment_chooses_chinese_when_no_lang_is_given():
    code = (
        "import viz; from demos.lesson02_chain_rule import build; f = build(); "
        "print(viz.narrate(f, f.inputs[0].inputs[0]).text())"
    )
    env = dict(os.environ, LANGUAGE="", LC_ALL="", LC_MESSAGES="", LANG="zh_CN.UTF-8")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "局部导数：∂(x + y)/∂x = 1"


CHECK = """
const katex = require("katex");
const items = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(items.map((tex) => {
  try { katex.renderToString(tex, {throwOnError: true, strict: "error"}); return null; }
  catch (e) { return e.message; }
})));
"""


def katex_errors(items):
    """KaTeX's error for each LaTeX string (None: parsed), or None when node or katex is missing."""
    if shutil.which("node") is None:
        return None
    env = dict(os.environ)
    if shutil.which("npm"):
        root = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True).stdout.strip()
        env["NODE_PATH"] = os.pathsep.join(p for p in (env.get("NODE_PATH"), root) if p)
    done = subprocess.run(
        ["node", "-e", CHECK], input=json.dumps(items), env=env, capture_output=True, text=True
    )
    return json.loads(done.stdout) if done.returncode == 0 else None


def test_chinese_latex_parses_in_katex():
    items = []
    for build_graph in (build, fan_out, batch, negative_relu, max_loser, nan_upstream):
        made = build_graph()
        root = made[0] if isinstance(made, tuple) else made
        items += [e.latex() for e in viz.backprop_story(root, lang="zh-CN").backward]
    errors = katex_errors(items)
    if errors is None:
        reason = "node with the katex package is needed (npm install -g katex)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the KaTeX test: {reason}", pytrace=False)
        pytest.skip(reason)
    assert [(tex, err) for tex, err in zip(items, errors) if err] == []
    assert any(r"\text{当 }" in tex for tex in items)
