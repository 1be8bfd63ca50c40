"""draw_dot with the gradients hidden (issue 17): show without "grad" says nothing about
them, and show="blank" leaves an empty field in each box for a student to write one in."""

import re

import pytest

import viz
from autograd import Value


def graph():
    """f = (x + y)·z at (1.25, -2, 2.75): the gradients are 2.75, 2.75, -0.75 and 1."""
    x, y, z = Value(1.25, "x"), Value(-2.0, "y"), Value(2.75, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f


def grad_cell(source, node):
    """The HTML-like cell of `node`'s gradient in the DOT source (its whole <TD>)."""
    return re.search(rf'<TD[^>]*ID="{node}-grad"[^>]*>[^<]*</TD>', source).group()


def test_a_blank_leaves_every_gradient_out_and_a_field_to_write_in():
    f = graph()
    f.backward()
    source = viz.draw_dot(f, show=("data", "blank")).source
    assert re.findall(r'TOOLTIP="∂f/∂\w+ = ', source) == []  # no tooltip tells one either
    for node in ("v0", "v1", "v2", "v3", "v4"):
        cell = grad_cell(source, node)
        assert cell.endswith("></TD>") and 'SIDES="B"' in cell  # empty, underlined
    assert 'TOOLTIP="∂f/∂x"' in source  # it names what to write there
    assert source.count(">grad<") == 5 and source.count(">data<") == 5


@pytest.mark.parametrize("show", [("data", "blank"), ("data",), ("data", "local")])
def test_hidden_gradients_take_their_legend_line_with_them(show):
    f = graph()  # before backward: every grad is 0, which the legend would otherwise say
    source = viz.draw_dot(f, show=show).source
    assert "grad =" not in source and "every grad is 0" not in source
    assert "input (a leaf with a label)" in source  # the colour key stays
    f.backward()
    assert "box: data, and grad = ∂f/∂(box)" in viz.draw_dot(f).source  # the default keeps it


def test_the_default_drawing_is_unchanged_by_the_blank_option():
    f = graph()
    f.backward()
    source = viz.draw_dot(f).source
    assert 'TOOLTIP="∂f/∂x = 2.75">2.75</TD>' in source and 'SIDES="B"' not in source


@pytest.mark.parametrize(
    "options, says",
    [
        ({"show": ("data", "blank", "grad")}, "but 'grad' would show them"),
        ({"show": ("blank", "fanout")}, "but 'fanout' would show them"),
        ({"show": ("blank", "contribution")}, "but 'contribution' would show them"),
        ({"show": ("data", "blank"), "color": "grad"}, "color='grad' would give away"),
    ],
)
def test_a_blank_refuses_whatever_would_show_the_gradients(options, says):
    f = graph()
    f.backward()
    with pytest.raises(ValueError, match=r"^draw_dot: .*" + re.escape(says)):
        viz.draw_dot(f, **options)


def test_a_chinese_drawing_hides_them_too():
    f = graph()
    f.backward()
    source = viz.draw_dot(f, show=("data", "blank"), lang="zh-CN").source
    assert ">梯度<" in source and ">值<" in source  # the box's words, translated
    assert "方框：值，以及梯度" not in source  # the legend line about gradients, in Chinese


@pytest.mark.render
def test_the_rendered_svg_has_empty_gradient_cells():
    f = graph()
    f.backward()
    svg = viz.to_svg(viz.draw_dot(f, show=("data", "blank")))
    cells = re.findall(r'<g id="v\d-grad">(.*?)</g>', svg, flags=re.S)
    assert len(cells) == 5 and not any("<text" in cell for cell in cells)
    assert re.findall(r'xlink:title="∂f/∂\w+ = ', svg) == []
