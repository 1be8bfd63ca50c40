"""Lesson 22: second derivatives and Newton's method: differentiate the gradient, then use it.

Run it:  chainrule run newton
Look at: f(x) = x³ - 2x + 1 from x = 2. `grad(f, x, create_graph=True)` gives f′(x) = 3x² - 2
as a graph of Values (graph.svg draws it), and backprop through that graph gives
f″(x) = 6x: x's grad there is f″(2) = 12. Newton's step x - f′(x)/f″(x) jumps to the bottom
of the parabola with f's value, slope and curvature at x: 5 steps to the minimum √(2/3),
where gradient descent takes 22, and the correct digits double at every step. From
x = -1.5, where f″ < 0, the parabola opens downwards and Newton climbs to the maximum
-√(2/3). In 2-D the Hessian takes f″'s place: Newton solves a quadratic bowl in one step
where gradient descent zig-zags, and crosses the Rosenbrock valley in 6 where gradient
descent needs 32,076. newton_paths.png draws both paths over the contours, newton_loss.png
the loss at each step (log axes), newton_1d.png the parabolas.
"""

import math

import numpy as np

from autograd import Value, topological_order
from autograd.higher import grad, hessian
from viz.format import fmt, rpad, width
from viz.i18n import N_, _, ngettext

from . import plots
from .common import Lesson

TOL = 1e-6  # every method stops once the gradient is this small: |f′(x)| or ‖∇f‖ < TOL
LIMIT = 100_000  # ... or after this many steps
X0, OTHER = 2.0, -1.5  # the 1-D start, and a start on the other side, where f″ < 0
LR_1D = 0.1
ROOT = math.sqrt(2.0 / 3.0)  # f′(x) = 3x² - 2 = 0 at ±√(2/3): the minimum and the maximum

# The bowl f = ½ xᵀAx - bᵀx: A's eigenvalues are 9 (along (1, 1)) and 1 (along (1, -1)),
# b = A·(1, 1), so the minimum, A⁻¹b, is (1, 1), as Rosenbrock's is.
A = ((5.0, 4.0), (4.0, 5.0))
B = (9.0, 9.0)
LR_BOWL = 0.2  # 2/(9 + 1): the best fixed rate for eigenvalues 9 and 1
BOWL_START = (-1.0, 2.0)  # mostly along the shallow direction, some across the steep one
START = (-1.2, 1.0)  # Rosenbrock's usual start
LR_ROSENBROCK = (
    0.001  # under 2/1002, the steepest curvature near the minimum: no faster rate is safe
)

# The words of the 2-D problems: key (English, the results' key) -> name shown.
PROBLEMS = {"bowl": N_("quadratic bowl"), "rosenbrock": N_("Rosenbrock")}


def cubic(x):
    """f(x) = x³ - 2x + 1 over Values, each step named (a = x³, b = 2x, d = a - b) so that
    the backward pass grad builds names its gradients ∂f/∂a, ∂f/∂b, ∂f/∂d; its constants are
    named by their value, as every drawn leaf is."""
    a = x**3
    b = Value(2.0, "2") * x
    d = a - b
    y = d + Value(1.0, "1")
    a.label, b.label, d.label, y.label = "a", "b", "d", "f"
    return y


def derivatives(x):
    """f′(x) and f″(x) at the number x: grad with create_graph=True, then grad of that."""
    v = Value(x, "x")
    first = grad(cubic(v), v, create_graph=True)  # a Value: its graph is the backward pass
    return first.data, grad(first, v)


def build():
    """The graph of f′ that grad(create_graph=True) builds at x = 2, backpropagated: x's grad
    is then d f′/dx = f″(2) = 12."""
    x = Value(X0, "x")
    first = grad(cubic(x), x, create_graph=True)
    first.label = "f′"
    for node in topological_order(first):  # the sweep's constants (3 of 3x², -1 of a - b, ...)
        if not node.inputs and not node.label:
            node.label = fmt(node.data)  # named by their value, as f's own 2 and 1 are
    first.backward()
    return first


def bowl(u, v):
    """½ xᵀAx - bᵀx at x = (u, v), written out."""
    quadratic = u * u * A[0][0] + u * v * (2.0 * A[0][1]) + v * v * A[1][1]
    return quadratic * 0.5 - u * B[0] - v * B[1]


def rosenbrock(u, v):
    """(1 - u)² + 100(v - u²)²: a long curved valley with its minimum at (1, 1)."""
    return (1.0 - u) ** 2 + (v - u**2) ** 2 * 100.0


FUNCTIONS = {"bowl": bowl, "rosenbrock": rosenbrock}


def gradient(fn, point):
    """f and ∇f at `point` (two numbers), by one backward pass."""
    u, v = Value(point[0], "u"), Value(point[1], "v")
    y = fn(u, v)
    return y.data, np.array(grad(y, (u, v)))


def newton(fn, start):
    """Newton's points from `start`: x ← x - H⁻¹∇f, until ‖∇f‖ < TOL. Each entry is
    (x, f, ∇f); the Hessian comes from autograd.hessian, the solve from numpy."""
    x, path = np.array(start, float), []
    while True:
        y, g = gradient(fn, x)
        path.append((x, y, g))
        if np.linalg.norm(g) < TOL or len(path) > LIMIT:
            return path
        x = x - np.linalg.solve(hessian(fn, x), g)


def descent(fn, start, lr):
    """Gradient descent's points from `start`: x ← x - lr·∇f, until ‖∇f‖ < TOL."""
    x, path = np.array(start, float), []
    while True:
        y, g = gradient(fn, x)
        path.append((x, y, g))
        if np.linalg.norm(g) < TOL or len(path) > LIMIT:
            return path
        x = x - lr * g


def num(x, precision=7):
    return fmt(float(x), precision)


def pair(x, precision=7):
    return f"({num(x[0], precision)}, {num(x[1], precision)})"


def matrix(m, precision=7):
    rows = ", ".join("[" + ", ".join(num(v, precision) for v in row) + "]" for row in m)
    return f"[{rows}]"


def table(lesson, heads, rows):
    """Columns right-aligned by display width (a Chinese heading takes 2 per character)."""
    cols = [max([width(h)] + [width(r[i]) for r in rows]) for i, h in enumerate(heads)]
    for row in [heads, *rows]:
        lesson.say("  " + "  ".join(rpad(cell, n) for cell, n in zip(row, cols)))


def one_d(lesson):
    """f = x³ - 2x + 1: f′ and f″ by grad of grad, then Newton against gradient descent."""
    lesson.say(_("f(x) = x³ - 2x + 1. Its slope f′(x) = 3x² - 2 and curvature f″(x) = 6x."))
    d1, d2 = derivatives(X0)
    f0 = cubic(Value(X0)).data
    lesson.say(
        _(
            "At x = {x}: f = {f}. `grad(f, x, create_graph=True)` returns f′ as a Value,\n"
            "f′(2) = 3·2² - 2 = {d1}, and its graph is the backward pass itself, so it can be\n"
            "differentiated again: `grad(f′, x)` gives the second derivative f″(2) = 6·2 = {d2}."
        ).format(x=num(X0), f=num(f0), d1=num(d1), d2=num(d2))
    )
    lesson.record(f0=f0, d1=d1, d2=d2)

    lesson.say("")
    lesson.say(
        _(
            "Newton's method: near x, f looks like the parabola with the same value, slope and\n"
            "curvature, f(x) + f′(x)·h + ½f″(x)·h². Its bottom is at h = -f′(x)/f″(x), so step\n"
            "there: x ← x - f′(x)/f″(x). The first step: {x0} - {d1}/{d2} = {x1}."
        ).format(x0=num(X0), d1=num(d1), d2=num(d2), x1=num(X0 - d1 / d2))
    )
    runs = {}
    for key, start in (("newton", X0), ("other_side", OTHER)):
        if key == "other_side":
            lesson.say("")
            said = _(
                "Newton's method from x = {x}, where f″ = {d2} < 0: the parabola opens\n"
                "downwards, and its top is where the step goes."
            )
            lesson.say(said.format(x=num(start), d2=num(derivatives(start)[1])))
        else:
            lesson.say(_("Newton's method from x = {x}:").format(x=num(start)))
        target = ROOT if start > 0 else -ROOT  # the minimum, or the maximum
        x, rows, steps = start, [], []
        while True:
            d1, d2 = derivatives(x)
            steps.append({"x": x, "d1": d1, "d2": d2})
            rows.append(
                [str(len(rows)), num(x), num(d1, 4), num(d2, 4)]
                + [num(d1 / d2, 4), num(abs(x - target), 2)]
            )
            if abs(d1) < TOL or len(steps) > LIMIT:
                break
            x = x - d1 / d2
        near = _("distance to {x}").format(x="√(2/3)" if start > 0 else "-√(2/3)")
        table(lesson, [_("step"), "x", "f′(x)", "f″(x)", "f′/f″", near], rows)
        runs[key] = steps
    end = runs["other_side"][-1]
    said = _(
        "It ends at x = {x}, the local maximum (f = {f}, f″ = {d2} < 0):\n"
        "Newton's method looks for f′ = 0 and cannot tell a minimum from a maximum."
    )
    lesson.say(said.format(x=num(end["x"]), f=num(cubic(Value(end["x"])).data), d2=num(end["d2"])))

    lesson.say("")
    said = _("Gradient descent from x = {x}, learning rate {lr}: x ← x - {lr}·f′(x).")
    lesson.say(said.format(x=num(X0), lr=LR_1D))
    x, xs = X0, [X0]
    while abs(derivatives(x)[0]) >= TOL and len(xs) <= LIMIT:
        x = x - LR_1D * derivatives(x)[0]
        xs.append(x)
    shown = ", ".join(num(v, 4) for v in xs[1:6])
    said = _(
        "  x after steps 1-5: {xs}, ...\n"
        "  After {n} steps |f′(x)| < {tol}, at x = {x}. Near the minimum each step multiplies\n"
        "  the distance by 1 - {lr}·f″({root}) = 1 - {lr}·{d2} = {factor}: a fixed fraction,\n"
        "  where Newton's method makes the correct digits double."
    )
    d2 = 6 * ROOT
    lesson.say(
        said.format(
            xs=shown,
            n=len(xs) - 1,
            tol=TOL,
            x=num(x),
            lr=LR_1D,
            root=num(ROOT, 4),
            d2=num(d2, 4),
            factor=num(1 - LR_1D * d2, 4),
        )
    )
    back = [OTHER]
    for _step in range(4):
        back.append(back[-1] - LR_1D * derivatives(back[-1])[0])
    said = _("  From x = {x} it walks downhill, away from the maximum, off to -∞:\n  {xs}, ...")
    lesson.say(said.format(x=num(OTHER), xs=", ".join(num(v, 4) for v in back[1:])))
    runs["descent"] = xs
    runs["descent_other_side"] = back
    lesson.record(one_d=runs)
    return runs


def two_d(lesson):
    """The bowl and Rosenbrock: their Hessians, then Newton's and gradient descent's steps."""
    lesson.say("")
    lesson.say(
        _(
            "In 2-D the Hessian H (the matrix of second derivatives) takes f″'s place:\n"
            "x ← x - H⁻¹∇f, solving H·s = ∇f for the step s (`numpy.linalg.solve`)."
        )
    )
    lesson.say("")
    lesson.say(
        _(
            "A quadratic bowl f = ½ xᵀAx - bᵀx with A = {A}, b = {b}. Its gradient is\n"
            "Ax - b, zero at x = A⁻¹b = {solution}. `autograd.hessian` at {start} gives\n"
            "{H}: A itself, at every point."
        ).format(
            A=matrix(A),
            b=pair(B),
            solution=pair(np.linalg.solve(A, B)),
            start=pair(BOWL_START),
            H=matrix(hessian(bowl, BOWL_START), 4),
        )
    )
    paths = {
        "bowl": {"newton": newton(bowl, BOWL_START), "descent": descent(bowl, BOWL_START, LR_BOWL)},
    }
    first, second = paths["bowl"]["newton"][:2]
    step = np.linalg.solve(hessian(bowl, first[0]), first[2])
    lesson.say(
        _(
            "Newton's step from {x0}: ∇f = {g}, H⁻¹∇f = {s},\n"
            "x1 = {x0} - {s} = {x1}: the minimum in one step, because a quadratic\n"
            "is its own parabola."
        ).format(g=pair(first[2], 4), s=pair(step, 4), x0=pair(first[0]), x1=pair(second[0]))
    )
    eig = np.linalg.eigvalsh(A)
    lesson.say(
        _(
            "A's eigenvalues are {high} (along (1, 1)) and {low} (along (1, -1)): the bowl\n"
            "curves {ratio} times as fast one way as the other. Gradient descent with the best\n"
            "fixed learning rate, 2/({high} + {low}) = {lr}, shrinks the distance by\n"
            "({high} - {low})/({high} + {low}) = {factor} at each step and jumps across the steep\n"
            "direction every time: a zig-zag, {n} steps."
        ).format(
            low=num(eig[0], 4),
            high=num(eig[1], 4),
            ratio=num(eig[1] / eig[0], 4),
            lr=LR_BOWL,
            factor=num((eig[1] - eig[0]) / (eig[1] + eig[0]), 4),
            n=len(paths["bowl"]["descent"]) - 1,
        )
    )

    lesson.say("")
    lesson.say(_("Rosenbrock: f(u, v) = (1 - u)² + 100(v - u²)², minimum f(1, 1) = 0."))
    u, v = START
    by_hand = [[1200 * u * u - 400 * v + 2, -400 * u], [-400 * u, 200.0]]
    lesson.say(
        _(
            "Its Hessian by hand: [[1200u² - 400v + 2, -400u], [-400u, 200]]; at {start} that is\n"
            "[[1200·{paren_u}² - 400·{v} + 2, -400·{paren_u}], [-400·{paren_u}, 200]]\n"
            "= {H}, and `autograd.hessian` gives {auto}."
        ).format(
            start=pair(START),
            v=num(v),
            paren_u=f"({num(u)})",
            H=matrix(by_hand),
            auto=matrix(hessian(rosenbrock, START)),
        )
    )
    paths["rosenbrock"] = {
        "newton": newton(rosenbrock, START),
        "descent": descent(rosenbrock, START, LR_ROSENBROCK),
    }
    lesson.say(_("Newton's method from {start}:").format(start=pair(START)))
    rows = [
        [str(k), num(x[0]), num(x[1]), num(y, 4), num(np.linalg.norm(g), 3)]
        for k, (x, y, g) in enumerate(paths["rosenbrock"]["newton"])
    ]
    table(lesson, [_("step"), "u", "v", "f", "‖∇f‖"], rows)
    jump = paths["rosenbrock"]["newton"][2]
    lesson.say(
        _(
            "Step 2 leaps to {x}, where f = {f}, far uphill: the parabola there is a poor\n"
            "guess, and plain Newton's method never checks that f went down. Then it lands."
        ).format(x=pair(jump[0], 4), f=num(jump[1], 4))
    )
    near = np.linalg.eigvalsh(hessian(rosenbrock, (1.0, 1.0)))
    lesson.say(
        _(
            "At (1, 1) the Hessian's eigenvalues are {high} and {low}: across the valley f\n"
            "curves {ratio} times as sharply as along it. A learning rate must stay under\n"
            "2/{high} = {limit} or descent blows up across the walls, and at {lr} it crawls\n"
            "along the floor."
        ).format(
            high=num(near[1], 5),
            low=num(near[0], 4),
            ratio=num(near[1] / near[0], 4),
            limit=num(2 / near[1], 4),
            lr=LR_ROSENBROCK,
        )
    )
    lesson.record(
        bowl={
            "hessian": hessian(bowl, BOWL_START).tolist(),
            "newton": [x.tolist() for x, _y, _g in paths["bowl"]["newton"]],
            "descent": [x.tolist() for x, _y, _g in paths["bowl"]["descent"]],
            "descent_steps": len(paths["bowl"]["descent"]) - 1,
            "descent_end": paths["bowl"]["descent"][-1][0].tolist(),
        },
        rosenbrock={
            "hessian": hessian(rosenbrock, START).tolist(),
            "newton": [x.tolist() for x, _y, _g in paths["rosenbrock"]["newton"]],
            "descent_steps": len(paths["rosenbrock"]["descent"]) - 1,
            "descent_end": paths["rosenbrock"]["descent"][-1][0].tolist(),
        },
    )
    return paths


def summary(lesson, runs, paths):
    """How many steps each method took to reach the tolerance, side by side."""
    lesson.say("")
    lesson.say(_("Steps until the gradient is under {tol}:").format(tol=TOL))
    rows = [["f(x) = x³ - 2x + 1", str(len(runs["newton"]) - 1), str(len(runs["descent"]) - 1)]]
    for key, name in PROBLEMS.items():
        counts = [str(len(paths[key][method]) - 1) for method in ("newton", "descent")]
        rows.append([_(name), *counts])
    table(lesson, ["", _("Newton's method"), _("gradient descent")], rows)
    lesson.record(
        steps={
            "cubic": {"newton": len(runs["newton"]) - 1, "descent": len(runs["descent"]) - 1},
            **{key: {m: len(paths[key][m]) - 1 for m in ("newton", "descent")} for key in PROBLEMS},
        }
    )


def parabolas_plot(lesson, runs):
    """f with Newton's parabola at x = 2 (its bottom is the next x) and at OTHER (its top)."""
    xs = np.linspace(-1.9, 2.3, 421)
    series = {"f(x) = x³ - 2x + 1": xs**3 - 2 * xs + 1}
    marks = []
    for key, start in (("newton", X0), ("other_side", OTHER)):
        first, f0 = runs[key][0], cubic(Value(start)).data
        h = xs - start
        model = f0 + first["d1"] * h + 0.5 * first["d2"] * h * h
        model[(np.abs(h) > 1.3) | (model < -2.5) | (model > 9.0)] = np.nan  # near x only
        series[_("Newton's parabola at x = {x}").format(x=num(start))] = model
        step = -first["d1"] / first["d2"]  # to the parabola's bottom (or top)
        marks.append((start, f0, f"x0 = {num(start)}"))
        marks.append((start + step, f0 + 0.5 * first["d1"] * step, f"x1 = {num(start + step, 4)}"))
    plots.lines(
        lesson,
        "newton_1d.png",
        xs,
        series,
        _("Each Newton step goes to the bottom (or the top) of a parabola"),
        ylabel="f(x)",
        marks=marks,
        what=_("the parabola at x = 2 has its bottom at the next x; at x = {x} its top").format(
            x=num(OTHER)
        ),
    )


SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def powers(value, _position):
    """A log axis's tick as 10⁻⁶ in plain text: no TeX, so no maths fonts to look for."""
    if value <= 0:
        return "0"
    exponent = round(math.log10(value))
    if abs(value - 10.0**exponent) > 1e-9 * value:
        return ""
    return f"{value:g}" if 0 <= exponent <= 3 else "10" + str(exponent).translate(SUPERSCRIPTS)


def paths_plot(lesson, paths):
    """Both 2-D problems' contour maps with Newton's and gradient descent's paths on them."""
    what = _("Newton's few long steps against gradient descent's many short ones, on the contours")
    plt = plots._pyplot(lesson, what)
    if plt is None:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(12, 6))
    views = {"bowl": ((-1.5, 1.8), (0.2, 2.9)), "rosenbrock": ((-2.0, 2.0), (-3.6, 3.2))}
    for ax, (key, name) in zip(axes, PROBLEMS.items()):
        (u0, u1), (v0, v1) = views[key]
        gu, gv = np.meshgrid(np.linspace(u0, u1, 300), np.linspace(v0, v1, 300))
        z = FUNCTIONS[key](gu, gv)  # numpy arrays through the same Python function
        low = z.min()
        levels = low + np.geomspace(0.05, z.max() - low, 18)  # log-spaced: the valley shows
        ax.contour(gu, gv, z, levels=levels, colors="#a8a8a8", linewidths=0.8, linestyles="solid")
        ax.grid(False)
        descent_xs = np.array([x for x, _y, _g in paths[key]["descent"]])
        newton_xs = np.array([x for x, _y, _g in paths[key]["newton"]])
        n_descent, n_newton = len(descent_xs) - 1, len(newton_xs) - 1
        ax.plot(
            descent_xs[:, 0],
            descent_xs[:, 1],
            ".-" if n_descent < 200 else "-",
            color=plots.COLOURS[5],
            markersize=5,
            linewidth=1.4,
            label=ngettext(
                "gradient descent: {n} step", "gradient descent: {n} steps", n_descent
            ).format(n=n_descent),
        )
        ax.plot(
            newton_xs[:, 0],
            newton_xs[:, 1],
            "o-",
            color=plots.COLOURS[0],
            markersize=6,
            linewidth=2,
            label=ngettext(
                "Newton's method: {n} step", "Newton's method: {n} steps", n_newton
            ).format(n=n_newton),
        )
        ax.plot([1.0], [1.0], "*", color="#333333", markersize=15, label=_("minimum (1, 1)"))
        shown = newton_xs[0]
        for k, point in enumerate(newton_xs[1:], 1):  # number the steps far enough apart to read
            if np.linalg.norm(point - shown) > 0.05 * (v1 - v0):
                ax.annotate(str(k), point, textcoords="offset points", xytext=(7, 2))
                shown = point
        ax.annotate(
            _("start"), newton_xs[0], textcoords="offset points", xytext=(-7, -4), ha="right"
        )
        ax.set(title=_(name), xlabel="u", ylabel="v", xlim=(u0, u1), ylim=(v0, v1))
        if key == "bowl":  # true shape: each step of descent is square to the contours
            ax.set_aspect("equal")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=9)
    fig.suptitle(_("Newton's steps (numbered) and gradient descent's, over the contours of f"))
    return plots._save(lesson, plt, fig, "newton_paths.png", what)


def loss_plot(lesson, runs, paths):
    """f minus its minimum after each step, on log axes, for the three problems."""
    from matplotlib.ticker import FuncFormatter

    what = _("the loss at each step (log axes): Newton's falls off a cliff, descent's slopes")
    plt = plots._pyplot(lesson, what)
    if plt is None:
        return None
    lowest = {"cubic": cubic(Value(ROOT)).data, "bowl": bowl(1.0, 1.0), "rosenbrock": 0.0}
    xs = {"newton": [step["x"] for step in runs["newton"]], "descent": runs["descent"]}
    losses = {"cubic": {m: [cubic(Value(x)).data for x in xs[m]] for m in xs}}
    for key in PROBLEMS:
        losses[key] = {m: [y for _x, y, _g in paths[key][m]] for m in ("newton", "descent")}
    names = {"cubic": "f(x) = x³ - 2x + 1", **{k: _(v) for k, v in PROBLEMS.items()}}
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.6))
    floor = 1e-18  # an exact 0 has no place on a log axis: it is drawn on the floor
    for ax, (key, by_method) in zip(axes, losses.items()):
        for method, colour, style, label in (
            ("descent", plots.COLOURS[5], "-", _("gradient descent")),
            ("newton", plots.COLOURS[0], "o-", _("Newton's method")),
        ):
            ys = [max(y - lowest[key], floor) for y in by_method[method]]
            ax.plot(range(len(ys)), ys, style, color=colour, linewidth=2, markersize=5, label=label)
        ax.set_xscale("symlog", linthresh=1.0, linscale=0.5)  # step 0, then 1, 10, 100 ...
        ax.set_yscale("log")
        ax.set_ylim(floor / 10, None)
        ax.xaxis.set_major_formatter(FuncFormatter(powers))
        ax.yaxis.set_major_formatter(FuncFormatter(powers))
        ax.set(title=names[key], xlabel=_("step"), ylabel=_("f minus its minimum"))
        ax.legend(fontsize=9)
    said = _("Loss after each step, both axes logarithmic (an exact 0 is drawn at {floor})")
    fig.suptitle(said.format(floor=powers(floor, None)))
    return plots._save(lesson, plt, fig, "newton_loss.png", what)


def run(lesson):
    runs = one_d(lesson)
    paths = two_d(lesson)
    summary(lesson, runs, paths)
    f = cubic(Value(X0, "x"))
    f.backward()
    lesson.pictures(
        f,
        filename="f.svg",
        player=False,
        what=_("f's own graph: backprop puts f′(2) = {d1} in x's grad").format(
            d1=num(lesson.results["d1"])
        ),
    )
    root = build()
    lesson.pictures(
        root,
        what=_(
            "the graph of f′ that grad built; backprop through it puts f″(2) = {d2} in x's grad"
        ).format(d2=num(lesson.results["d2"])),
    )
    parabolas_plot(lesson, runs)
    paths_plot(lesson, paths)
    loss_plot(lesson, runs, paths)
    distances = ", ".join(num(abs(step["x"] - ROOT), 2) for step in runs["newton"][1:5])
    said = _("the distance to √(2/3): Newton's correct digits double at each step ({distances})")
    lesson.look_for(said.format(distances=distances))
    said = _("from x = {x} Newton's method climbs to the maximum: it finds f′ = 0, not a minimum")
    lesson.look_for(said.format(x=num(OTHER)))
    said = _("graph.svg: x's grad is {d2} = f″(2), from a backward pass through a backward pass")
    lesson.look_for(said.format(d2=num(lesson.results["d2"])))
    lesson.look_for(
        _("newton_paths.png: one Newton step to the bowl's centre; gradient descent zig-zags")
    )
    said = _("Rosenbrock: Newton's step 2 goes far uphill, and still it lands in {n} steps")
    lesson.look_for(said.format(n=lesson.results["steps"]["rosenbrock"]["newton"]))


LESSON = Lesson(
    "newton",
    N_("second derivatives by grad of grad; Newton's method against gradient descent"),
    run,
    build,
    title=N_("22. Newton's method"),
)
