"""The pictures in Chinese (zh-CN): draw_dot's legend and boxes, draw_path's arithmetic, the
slide frames' captions and to_text's headings speak Chinese with the glossary's words, lay
out with a CJK font, and English stays exactly as it was."""

import html
import pathlib
import re
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import viz
from autograd import Value
from demos.lesson02_chain_rule import build  # f = (x + y) z at (-2, 5, -4)
from viz import render
from viz.dot import CJK_FONT, FONT
from viz.format import width
from viz.i18n import language

GOLDEN = pathlib.Path(__file__).parent / "golden" / "chain_rule.dot"  # test_dot's English

# A word of three or more Latin letters is English, unless it is a name kept as it is.
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z_'-]{2,}")
KEPT = {"relu", "mean", "nan", "inf", "params"}  # ReLU and mean (ops), params=
SVG = "{http://www.w3.org/2000/svg}"


def chain_rule():
    """f = (x + y) z at x = -2, y = 5, z = -4, after backward()."""
    f = build()
    f.backward()
    return f


def fan_out():
    """a = x * x + x at x = 3: three paths from x to a, ∂a/∂x = 2x + 1 = 7."""
    x = Value(3.0, "x")
    a = x * x + x
    a.label = "a"
    a.backward()
    return a


def words(source):
    """The text a DOT source shows: its HTML-like labels' text and its quoted edge labels."""
    shown = []
    for label in re.findall(r"label=<(.*?)>(?= \w+=|\]|$)", source, re.M):
        shown += [html.unescape(t) for t in re.split(r"<[^>]*>", label) if t.strip()]
    shown += re.findall(r'label="([^"]*)"', source)
    return shown


def english(texts):
    """The English words left in `texts` (code such as backward() or x.grad is not prose: a
    picture shows no Markdown, so code stands as it is)."""
    found = []
    for text in texts:
        plain = re.sub(r"[\w.]+\(\)|\w+\.grad\b", " ", text)
        found += [w for w in ENGLISH_WORD.findall(plain) if w.lower() not in KEPT]
    return found


def test_the_legend_and_the_boxes_speak_chinese_with_the_glossarys_words():
    source = viz.draw_dot(chain_rule(), lang="zh-CN").source
    texts = words(source)
    assert "输入（有标签的叶子节点）" in texts and "输出（根节点）" in texts
    assert "方框：值，以及梯度 = ∂f/∂(方框)" in texts
    assert "边：局部导数 = ∂(运算的输出)/∂(输入)" in texts
    assert texts.count("值") == 5 and texts.count("梯度") == 5  # the two words of each box
    assert "局部导数 -4" in texts and "局部导数 3" in texts  # ∂f/∂q = z, ∂f/∂z = q
    assert not english(texts), english(texts)


def test_the_fan_out_legend_and_sums_are_chinese():
    texts = words(viz.draw_dot(fan_out(), lang="zh-CN").source)
    assert "一个值被用了几次：它的梯度是它各条边上 += 的和" in texts
    assert "边：+= 是局部导数 × 运算输出的梯度，" in texts  # its second line follows
    assert any(t.strip() == "也就是这条边给输入的梯度加上的量" for t in texts)
    assert "局部导数 3\\n+= 3" in texts  # x * x by its first input: x = 3, upstream 1
    assert not english(texts), english(texts)


def test_the_gradient_colour_key_is_chinese_with_its_numbers():
    texts = words(viz.draw_dot(chain_rule(), color="grad", lang="zh-CN").source)
    heading = "梯度：小于 0 为蓝色，大于 0 为红色，颜色越深绝对值越大；每个方框还标出 − 或 +"
    assert heading in texts
    assert "|梯度| 0.4 到 4" in texts and "|梯度| 小于 0.004" in texts  # the largest |grad| is 4
    assert "梯度正好是 0（虚线）" in texts
    assert not english(texts), english(texts)


def test_an_inactive_relu_and_a_batch_are_explained_in_chinese():
    x = Value(-2.0, "x")
    y = x.relu()
    y.label = "y"
    y.backward()
    texts = words(viz.draw_dot(y, lang="zh-CN").source)
    assert "未激活" in texts  # under the ellipse
    assert "未激活的 ReLU（虚线）：在这个点上它的输入 <= 0，所以它往回传 0" in texts
    w, xs = Value(0.5, "w"), Value(np.array([1.0, 2.0, 3.0]), "x")
    loss = ((w * xs - 1.0) ** 2).mean()
    loss.label = "L"
    loss.backward()
    texts = words(viz.draw_dot(loss, lang="zh-CN").source)
    assert "一批 3 个样本：每个数都是这批样本的平均值" in texts
    assert "（权重的梯度是整批样本相加的和）" in texts
    texts = words(viz.draw_dot(loss, example=2, lang="zh-CN").source)
    assert "一批 3 个样本：每个数都是样本 2 的" in texts
    assert not english(texts), english(texts)


def test_a_folded_network_says_its_sizes_in_chinese():
    import nn

    model = nn.MLP(2, [3, 1])
    out = model([Value(0.5, "x0"), Value(-1.2, "x1")])
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    texts = words(viz.draw_dot(loss, params=model, collapse=1, lang="zh-CN").source)
    sizes = [t for t in texts if t.endswith(" 个节点")]
    assert len(sizes) == 2 and all(t.split()[0].isdigit() for t in sizes)  # one per layer
    assert "一个模块作用域，折叠成一个方框" in texts
    assert "细线：进入折叠方框的值（它的局部导数在方框里面）" in texts
    assert "输入（有标签的叶子节点）" in texts  # x0 and x1, drawn beside the folded layers


def test_the_path_view_writes_its_arithmetic_in_chinese():
    texts = words(viz.draw_path(chain_rule(), "x", lang="zh-CN").source)
    assert "∂f/∂x：每条路径上的局部导数相乘，再把所有路径加起来" in texts
    assert any(t.endswith("路径 1，从 f 回到 x：(-4) × 1 = -4") for t in texts)
    assert "对 1 条路径求和：(-4) = -4" in texts
    assert "backward() 算出的 x.grad = -4" in texts
    assert "由 + 得到" in texts and "由 * 得到" in texts  # under q and f
    assert not english(texts), english(texts)
    texts = words(viz.draw_path(fan_out(), "x", lang="zh-CN").source)
    assert "对 3 条路径求和：3 + 3 + 1 = 7" in texts  # ∂a/∂x = x + x + 1


def test_a_batch_path_view_says_what_its_numbers_are_in_chinese():
    w, xs = Value(0.5, "w"), Value(np.array([1.0, 2.0, 3.0]), "x")
    loss = ((w * xs - 1.0) ** 2).mean()
    loss.label = "L"
    loss.backward()
    texts = words(viz.draw_path(loss, "w", lang="zh-CN").source)
    assert "一批 3 个样本：每条路径的乘积是这些样本的平均" in texts
    shared = next(t for t in texts if t.startswith("w 是 3 个样本共用的一个数"))
    assert shared.endswith(f"（3 × 这个平均值）= {w.grad:.4g}")
    assert not english(texts), english(texts)


def tokens(line):
    """Each run of non-spaces in `line` as (first terminal column, column after it, text)."""
    return [
        (width(line[: m.start()]), width(line[: m.end()]), m.group())
        for m in re.finditer(r"\S+", line)
    ]


def test_to_text_headings_are_chinese_and_its_columns_line_up_by_display_width():
    price, count = Value(15.5, "单价"), Value(2.0, "数量")
    total = price * count
    total.label = "总价"
    total.backward()
    lines = viz.to_text(total, lang="zh-CN").splitlines()
    assert lines[0] == "# 3 个节点，输入在前；梯度 = ∂总价/∂(每个节点)"
    head = {text: (start, stop) for start, stop, text in tokens(lines[1])}
    assert list(head) == ["编号", "标签", "运算", "输入", "值", "梯度", "局部导数", "∂节点/∂输入"]
    rows = [{text: (start, stop) for start, stop, text in tokens(line)} for line in lines[2:]]
    # Text columns start where their heading starts, after labels two columns a character:
    assert [row["单价" if k == 0 else "数量" if k == 1 else "总价"][0] for k, row in
            enumerate(rows)] == [head["标签"][0]] * 3  # fmt: skip
    assert rows[2]["*"][0] == head["运算"][0] and rows[2]["v0,"][0] == head["输入"][0]
    # Numbers end where their heading ends (right-aligned): 值 is padded to the width of 15.5.
    data, grad = head["值"][1], head["梯度"][1]
    assert [rows[0]["15.5"][1], rows[1]["2"][1], rows[2]["31"][1]] == [data] * 3
    assert [rows[0]["2"][1], rows[1]["15.5"][1], rows[2]["1"][1]] == [grad] * 3
    assert width(lines[1][: lines[1].index("值")]) == data - 2  # 值 is two columns wide


def test_english_pictures_are_unchanged_with_lang_en():
    f = chain_rule()
    assert viz.draw_dot(f, lang="en").source == GOLDEN.read_text(encoding="utf-8")
    assert viz.draw_dot(f, lang="en").source == viz.draw_dot(f).source
    assert viz.draw_path(f, "x", lang="en").source == viz.draw_path(f, "x").source
    assert viz.to_text(f, lang="en") == viz.to_text(f)
    assert "path 1, from f back to x: (-4) × 1 = -4" in viz.draw_path(f, "x", lang="en").source


def test_a_language_block_is_the_default_and_lang_wins_over_it():
    f = chain_rule()
    with language("zh-CN"):
        assert "局部导数 -4" in viz.draw_dot(f).source
        assert "local -4" in viz.draw_dot(f, lang="en").source


def test_a_chinese_picture_names_a_cjk_font_for_graphviz_and_for_browsers():
    chinese = viz.draw_dot(chain_rule(), lang="zh-CN").source
    assert chinese.count(f'fontname="{CJK_FONT}"') == 3  # graph, node and edge defaults
    families = CJK_FONT.split(",")
    assert {"Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC"} <= set(families)
    assert families[0] == FONT and families[-1] == "sans-serif"  # Latin as in English; fallback
    assert "YaHei" not in viz.draw_dot(chain_rule()).source


@pytest.mark.parametrize(
    "draw",
    [
        lambda f, lang: viz.draw_dot(f, lang=lang),
        lambda f, lang: viz.draw_path(f, "x", lang=lang),
        lambda f, lang: viz.to_text(f, lang=lang),
    ],
    ids=["draw_dot", "draw_path", "to_text"],
)
def test_an_unknown_language_is_refused_by_name(draw):
    with pytest.raises(ValueError, match=r"lang='fr'; choose one of 'en', 'zh-CN'"):
        draw(chain_rule(), "fr")


def test_backprop_frames_refuses_an_unknown_language_before_writing(tmp_path):
    with pytest.raises(ValueError, match=r"backprop_frames: lang='klingon'"):
        viz.backprop_frames(chain_rule(), tmp_path / "frames", lang="klingon")
    assert not (tmp_path / "frames").exists()


@pytest.mark.render
def test_slide_frames_carry_chinese_captions(tmp_path):
    paths = viz.backprop_frames(chain_rule(), tmp_path, lang="zh-CN")
    svgs = [open(p, encoding="utf-8").read() for p in paths]
    assert len(svgs) == 10
    assert "第 1 / 10 步：" in svgs[0] and "第 10 / 10 步：" in svgs[-1]
    assert all("梯度" in svg and "值" in svg for svg in svgs)
    sizes = {re.search(r'<svg width="([^"]+)" height="([^"]+)"', svg).groups() for svg in svgs}
    assert len(sizes) == 1  # one size for every frame


def text_extents(svg):
    """(left, right, top, bottom) of the SVG's canvas, and for every <text> with Chinese in it:
    the least room it needs (each CJK character is one em wide) and the node box around it."""
    tree = ET.fromstring(svg)
    found = []
    for group in tree.iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        shape = group.find(f"{SVG}path")
        if shape is None:
            continue
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", shape.get("d", ""))]
        box = (min(numbers[0::2]), max(numbers[0::2]))
        for text in group.iter(f"{SVG}text"):
            cjk = sum(width(c) == 2 for c in text.text or "")
            if cjk:
                need = cjk * float(text.get("font-size"))
                found.append((text.text, float(text.get("x")), text.get("text-anchor"), need, box))
    return found


@pytest.mark.system_dot
@pytest.mark.cjk_font
def test_dot_lays_out_chinese_boxes_wide_enough_for_their_words():
    previous = render.set_renderer("dot")
    try:
        svg = viz.to_svg(viz.draw_path(chain_rule(), "x", lang="zh-CN"))
    finally:
        render.set_renderer(previous)
    texts = text_extents(svg)
    assert len(texts) >= 10  # 值, 梯度 in five boxes, 由 + 得到...
    for text, x, anchor, need, (left, right) in texts:
        start = x if anchor == "start" else x - need / 2 if anchor == "middle" else x - need
        assert left <= start and start + need <= right, (text, start, need, left, right)


@pytest.mark.system_dot
@pytest.mark.cjk_font
def test_dot_draws_a_chinese_png_without_a_warning():
    previous = render.set_renderer("dot")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            png = viz.draw_dot(chain_rule(), lang="zh-CN").pipe(format="png")
    finally:
        render.set_renderer(previous)
    assert png.startswith(b"\x89PNG")


@pytest.mark.render
def test_graphviz_pure_warns_in_chinese_what_to_install_for_a_chinese_png():
    if render.find("graphviz-pure") is None:
        pytest.skip("graphviz-pure is not installed (pip install graphviz-pure)")
    previous = render.set_renderer("graphviz-pure")
    try:
        g = viz.draw_dot(chain_rule(), lang="zh-CN")  # only the legend and boxes are Chinese
        with pytest.warns(UserWarning) as caught:
            g.pipe(format="png")
        said = str(caught[0].message)
        assert "没有中文、日文和韩文的字形" in said and "fonts-noto-cjk" in said
        assert "chainrule doctor" in said
        english_picture = viz.draw_dot(chain_rule())  # ASCII only: nothing to warn about
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            english_picture.pipe(format="png")
    finally:
        render.set_renderer(previous)


@pytest.mark.system_dot
@pytest.mark.cjk_font
def test_dot_gives_chinese_frame_captions_room_on_the_slide(tmp_path):
    previous = render.set_renderer("dot")
    try:
        paths = viz.backprop_frames(chain_rule(), tmp_path, lang="zh-CN", aspect="16:9")
    finally:
        render.set_renderer(previous)
    for path in paths:
        tree = ET.fromstring(open(path, encoding="utf-8").read())
        right = float(tree.get("viewBox").split()[2])  # the canvas, in points
        left = float(tree.find(f"{SVG}g").get("transform").split("translate(")[1].split()[0])
        checked = 0
        for text in tree.iter(f"{SVG}text"):
            cjk = sum(width(c) == 2 for c in text.text or "")
            if cjk and text.get("text-anchor") == "start":
                need = cjk * float(text.get("font-size"))  # a CJK character is one em wide
                assert left + float(text.get("x")) + need <= right, (path, text.text)
                checked += 1
        assert checked >= 12  # the caption's heading, the boxes' 值 and 梯度...
