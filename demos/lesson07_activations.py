"""Lesson 7: the activation functions of the documents' table, and their derivatives.

Run it:  chainrule run activations
Look at: every derivative is the engine's (backward through the op table), checked here
against finite differences. In activations.png: sigmoid's slope never exceeds 0.25 and
tanh's 1 (both fade to 0 for large |x|: vanishing gradients); ReLU's is 0 or 1; leaky ReLU,
PReLU and ELU keep a nonzero slope for x < 0; step's is 0 everywhere, so nothing learns
through it.
"""

import numpy as np

from autograd import Value
from nn import activations as act
from viz.format import rpad
from viz.i18n import N_, _

from . import plots
from .common import Lesson

PRELU_ALPHA = 0.25  # PReLU's learnable slope, at PyTorch's starting value
LEAKY_ALPHA = 0.1  # larger than the usual 0.01, so the slope shows in the plot
MAXOUT_PIECES = ((-1.0, -1.0), (0.3, 0.0), (2.0, -3.0))  # (slope, intercept) of each piece


def maxout(x):
    """The largest of three affine pieces of x: a convex, piecewise-linear unit."""
    return act.maxout([a * x + b for a, b in MAXOUT_PIECES])


def softmax_first(x):
    """The first probability of softmax([x, 0, 1]): how class 0's share moves with its logit."""
    return act.softmax([x, Value(0.0), Value(1.0)])[0]


FUNCTIONS = {
    "sigmoid": act.sigmoid,
    "tanh": act.tanh,
    "relu": act.relu,
    f"leaky_relu ({LEAKY_ALPHA:g})": lambda x: act.leaky_relu(x, LEAKY_ALPHA),
    f"PReLU (alpha {PRELU_ALPHA:g})": lambda x: act.prelu(x, Value(PRELU_ALPHA, "alpha")),
    "ELU": act.elu,
    "swish": act.swish,
    "GELU": act.gelu,
    "step": act.step,
    "softmax([x, 0, 1])[0]": softmax_first,
    "maxout (3 pieces)": maxout,
}
# The names above that are words, not code: shown translated (the results keep the keys).
SHOWN = {"maxout (3 pieces)": N_("maxout (3 pieces)")}


def shown(name):
    """A function's name as the table and the plot show it, in the current language."""
    return _(SHOWN[name]) if name in SHOWN else name


def engine_curve(f, xs):
    """f and its derivative at every x, from one batched forward and backward pass."""
    x = Value(np.asarray(xs, dtype=float))
    y = f(x)
    y.sum().backward()  # d(sum_i f(x_i))/dx_i = f'(x_i): one pass gives every slope
    return np.asarray(y.data, float), np.asarray(x.grad, float) * np.ones_like(xs)


def at(f, x):
    """f(x) and f'(x) at one point, from the engine."""
    v = Value(float(x))
    y = f(v)
    y.backward()
    return y.data, v.grad


def build():
    """swish(x) = x * sigmoid(x) at x = 1: a small graph with fan-out (x is used twice)."""
    x = Value(1.0, "x")
    y = x * x.sigmoid()
    y.label = "swish"
    y.backward()
    return y


def run(lesson):
    xs = np.linspace(-4.0, 4.0, 400 if not lesson.small else 80)  # no point sits on a kink
    h = 1e-6
    panels, worst = [], 0.0
    columns = ["f(-1)", "f(0)", "f(1)", "f'(-1)", "f'(0)", "f'(1)"]
    head = " ".join(f"{c:>8}" for c in columns)
    function, gap = _("function"), _("max |engine - finite diff|")
    lesson.say(f"{rpad(function, 24)}  {head}  {gap}")
    table = {}
    for name, f in FUNCTIONS.items():
        ys, dys = engine_curve(f, xs)
        numeric = (engine_curve(f, xs + h)[0] - engine_curve(f, xs - h)[0]) / (2 * h)
        error = float(np.max(np.abs(dys - numeric)))
        worst = max(worst, error)
        points = [at(f, x) for x in (-1.0, 0.0, 1.0)]
        table[name] = points
        values = " ".join(f"{v:8.4f}" for v, _ in points)
        slopes = " ".join(f"{d:8.4f}" for _, d in points)
        lesson.say(f"{rpad(shown(name), 24)}  {values}  {slopes}  {error:.1e}")
        panels.append((shown(name), xs, {"f(x)": ys, _("f'(x) (engine)"): dys}))
    lesson.say("")
    said = _("Largest gap between the engine's derivative and (f(x+h) - f(x-h)) / 2h: {gap}")
    lesson.say(said.format(gap=f"{worst:.1e}"))
    said = _(
        "sigmoid'(0) = 0.25 is its largest slope: the local derivatives of ten sigmoid\n"
        "  layers multiply to at most 0.25^10 = {product} (lesson `vanishing`)."
    )
    for line in said.format(product=f"{0.25**10:.1e}").splitlines():
        lesson.say(line)
    lesson.record(
        worst_error=worst,
        sigmoid_d0=table["sigmoid"][1][1],
        tanh_d0=table["tanh"][1][1],
        relu_dminus=table["relu"][0][1],
        relu_dplus=table["relu"][2][1],
        gelu_d0=table["GELU"][1][1],
        swish_d0=table["swish"][1][1],
        step_d1=table["step"][2][1],
        names=list(FUNCTIONS),
    )
    plots.functions(
        lesson,
        "activations.png",
        panels,
        _("Activation functions (blue) and their derivatives from backward() (orange)"),
        what=_("each function and the derivative the engine computes for it"),
    )
    lesson.pictures(build())
    lesson.look_for(_("sigmoid's and tanh's derivative fade to 0 at both ends; ReLU's is a step"))
    lesson.look_for(_("graph.svg: x feeds two edges in swish, its gradient is their sum"))


LESSON = Lesson(
    "activations",
    N_("every activation in the table and its derivative from the engine"),
    run,
    build,
    title="7. swish(x)",  # a formula, the same in every language (so not marked)
)
