"""The terminal stepper in forward mode and both modes: each node's value with its tangent,
keys that step, go back and quit, the cost table and the agreement line after both sweeps,
bad mode or wrt refused before anything is printed, and the same in Chinese."""

import io
import re
import unicodedata

import pytest

import viz.stepper
from autograd import Value, mode_costs, topological_order
from demos.lesson02_chain_rule import build as chain_rule  # f = (x + y) z at (-2, 5, -4)
from tests.autograd.test_forward import random_graph
from viz.stepper import step_terminal


def nfd(text):
    """`text` with each dotted letter as letter + U+0307, as viz.tangent writes it."""
    return unicodedata.normalize("NFD", text)


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self):
        return True


class FakeKeys:
    """Keys pressed one after another (read by the patched read_key), then end of input."""

    def __init__(self, *keys):
        self.keys = list(keys)

    def isatty(self):
        return True


@pytest.fixture
def pressed(monkeypatch):
    """Feed a FakeKeys' keys to the stepper as a terminal would."""
    monkeypatch.setattr(
        viz.stepper, "read_key", lambda keys: keys.keys.pop(0) if keys.keys else b""
    )


def stepped(root, **options):
    out = io.StringIO()
    shown = step_terminal(root, pause=False, out=out, **options)
    return shown, out.getvalue()


def test_forward_mode_shows_each_value_with_its_tangent_inputs_first():
    shown, text = stepped(chain_rule(), mode="forward", wrt="x")
    assert shown == 5
    assert text.startswith("Forward mode for x: each value with its tangent")
    assert (
        "Step 3/5: q\n  q = x + y = -2 + 5 = 3\n  " + nfd("q̇ = ẋ + ẏ\n    = 1 + 0\n    = 1\n")
        in text
    )
    assert "  f = q * z = 3 * (-4) = -12\n  " + nfd("ḟ = z·q̇ + q·ż\n    = -4 · 1 + 3 · 0") in text
    assert "Step 1/5: x\n  x = -2  (an input)\n  " + nfd("ẋ = 1\n") in text
    assert text.rstrip().endswith(nfd("Done:\n  ḟ = ∂f/∂x = -4, after one forward-mode pass"))
    assert "Backward pass" not in text and "\033[" not in text


def test_forward_steps_in_the_order_of_the_graph_and_print_every_tangent():
    _, root = random_graph(2, n_nodes=15)
    order = topological_order(root)
    x = next(node for node in order if node.op is None and node.label)
    shown, text = stepped(root, mode="forward", wrt=x, precision=12)
    assert shown == len(order)
    headings = re.findall(r"^Step (\d+)/(\d+): ", text, re.M)
    assert [int(n) for n, _ in headings] == list(range(1, len(order) + 1))
    root.backward()  # reverse mode, for the last line (the stepper left every .grad at 0)
    final = re.search(rf"= ∂\S+/∂{x.label} = (\S+), after one forward-mode pass", text)
    assert float(final[1].rstrip(",")) == pytest.approx(x.grad, rel=1e-10)


def test_both_modes_print_forward_mode_then_backprop_then_the_costs_and_their_agreement():
    root = chain_rule()
    shown, text = stepped(root, mode="both", wrt="z")
    assert shown == 10
    forward = text.index("Forward mode for z")
    backward = text.index("Backward pass: ∂f/∂(each node)")
    costs = text.index("The gradient of f by all 3 inputs (x, y, z), on a graph of 4 edges:")
    assert forward < backward < costs
    assert "Forward pass: each value" not in text  # the forward-mode steps showed the values
    assert "Done:\n  ∂f/∂x = -4\n  ∂f/∂y = -4\n  ∂f/∂z = 3" in text
    c = mode_costs(root, [node for node in topological_order(root) if node.op is None])
    table = text[costs:].splitlines()[2:4]
    assert table[0].split()[-2:] == [str(c.forward_passes), str(c.forward_multiplications)]
    assert table[1].split()[-2:] == [str(c.reverse_passes), str(c.reverse_multiplications)]
    assert text.rstrip().endswith(nfd("forward mode's ḟ = 3 equals reverse mode's ∂f/∂z = 3"))


def test_reverse_mode_is_the_default_and_unchanged():
    assert stepped(chain_rule(), mode="reverse") == stepped(chain_rule())


def test_keys_step_forward_mode_go_back_and_quit(pressed):
    out = FakeTerminal()
    keys = FakeKeys(b"\n", b"\n", b"b", b"\n", b"q")
    shown = step_terminal(chain_rule(), out=out, keys=keys, mode="forward", wrt="x", color=False)
    text = out.getvalue()
    assert shown == 2
    assert "Step 1/5: x  (again)" in text and "Step 2/5: y  (again)" in text
    assert "(stopped before step 3/5)" in text and "Step 3/5" not in text
    assert "[Enter] next step" in text  # the prompt was shown (then wiped)


def test_quitting_in_the_backward_sweep_of_both_counts_every_step_shown(pressed):
    out = FakeTerminal()
    keys = FakeKeys(*[b"\n"] * 7, b"q")  # 5 forward-mode steps, then 2 backward steps
    shown = step_terminal(chain_rule(), out=out, keys=keys, mode="both", wrt="y", color=False)
    text = out.getvalue()
    assert shown == 7
    assert nfd("ḟ = ∂f/∂y = -4") in text and "(stopped before step 3/5)" in text
    assert "The gradient of f" not in text  # no cost table: the reader left


def test_colour_marks_the_tangent_and_dims_the_reasons():
    _, text = stepped(chain_rule(), mode="forward", wrt="x", color=True)
    assert "  \033[1;33m  = -4\033[0m\n" in text  # ḟ's number, under its =
    assert "\033[2m(only x moves: y stays still)\033[0m" in text


@pytest.mark.parametrize(
    "options, message",
    [
        ({"mode": "sideways"}, r"step_terminal: mode='sideways'; choose one of 'reverse'"),
        ({"mode": "forward"}, r"step_terminal: mode='forward' needs wrt="),
        ({"mode": "both", "wrt": "q"}, r"step_terminal: wrt='q' was made by add"),
        ({"mode": "forward", "wrt": "w"}, r"step_terminal: no node is labelled 'w'"),
        ({"wrt": "x"}, r"step_terminal: wrt='x' is for mode='forward' or 'both'"),
    ],
)
def test_a_bad_mode_or_wrt_is_refused_before_anything_is_printed(options, message):
    out = io.StringIO()
    with pytest.raises(ValueError, match=message):
        step_terminal(chain_rule(), pause=False, out=out, **options)
    assert out.getvalue() == ""


def test_forward_mode_in_chinese_keeps_every_number():
    _, english = stepped(chain_rule(), mode="both", wrt="x")
    _, chinese = stepped(chain_rule(), mode="both", wrt="x", lang="zh-CN")
    assert chinese.startswith("对 x 的前向模式：每个值连同它的切向量")
    assert "第 3/5 步：q\n  q = x + y = -2 + 5 = 3\n  " + nfd("q̇ = ẋ + ẏ") in chinese
    assert nfd("ḟ = ∂f/∂x = -4，只用了一遍前向模式计算") in chinese
    assert nfd("前向模式的 ḟ = -4，等于反向模式的 ∂f/∂x = -4") in chinese
    assert "  前向模式     3        12" in chinese
    number = r"-?\d+(?:\.\d+)?"
    assert sorted(re.findall(number, chinese)) == sorted(re.findall(number, english))
    words = re.findall(r"[A-Za-z][A-Za-z'-]{2,}", chinese)
    assert words == [], words


def test_a_leaf_the_root_ignores_is_refused_as_not_in_the_graph():
    x, _ = Value(1.0, "x"), Value(2.0, "y")
    f = x * 3.0
    with pytest.raises(ValueError, match=r"step_terminal: no node is labelled 'y'"):
        step_terminal(f, pause=False, out=io.StringIO(), mode="forward", wrt="y")
