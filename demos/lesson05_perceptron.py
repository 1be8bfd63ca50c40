"""Lesson 5: the perceptron: a step of a weighted sum learns AND, OR and NOT, never XOR.

Run it:  chainrule run perceptron
Look at: w = [0.6, 0.6], b = -1.0 computes AND; the learning rule w += lr (y - y_hat) x then
finds weights for AND, OR and NOT, while on XOR it goes round in a cycle: the same weights
come back every epoch, with mistakes, so it would correct them forever.
In perceptron_*.png the dashed line w.x + b = 0 splits the plane: for XOR no line can put
(0,1) and (1,0) on one side and (0,0) and (1,1) on the other.
"""

import numpy as np

from autograd import Value, topological_order
from nn.data import logic_gate
from nn.perceptron import Perceptron
from viz.i18n import N_, _

from . import plots
from .common import Lesson

EPOCHS = 100


def fixed_and(x):
    """The documents' AND perceptron: step(0.6 x0 + 0.6 x1 - 1.0)."""
    w, b = [Value(0.6, "w0"), Value(0.6, "w1")], Value(-1.0, "b")
    s = w[0] * x[0] + w[1] * x[1] + b
    s.label = "w.x + b"
    y = s.step()
    y.label = "y"
    return y


def build():
    """The AND perceptron on (1, 1), backpropagated: step's local derivative 0 stops it all."""
    y = fixed_and([Value(1.0, "x0"), Value(1.0, "x1")])
    y.backward()
    return y


def told(report):
    """What the perceptron's fit report found, in the current language (nn speaks English)."""
    if report.converged:
        said = _("converged after {epochs} epochs: every example classified correctly")
    elif report.repeats_from is not None:
        said = _(
            "cannot converge: epoch {epochs} ended with the weights that began epoch {start}, "
            "so its {mistakes} mistakes come back forever (no straight line separates the classes)"
        )
    else:
        said = _(
            "did not converge in {epochs} epochs: the last still misclassified {mistakes} "
            "examples (no straight line separates the classes?)"
        )
    return said.format(epochs=report.epochs, start=report.repeats_from, mistakes=report.errors[-1])


def plot_title(gate, converged):
    """The heading of a gate's plot: a dot on the line counts as 1, or the rule cycles."""
    if converged:
        return _("Perceptron on {gate} (a dot on the line counts as 1)").format(gate=gate)
    return _("Perceptron on {gate}: the rule cycles, wrong every epoch").format(gate=gate)


def run(lesson):
    lesson.say(_("A perceptron: y = 1 if w.x + b >= 0 else 0. With w = [0.6, 0.6], b = -1.0:"))
    table = {}
    for x in ([0, 0], [1, 0], [0, 1], [1, 1]):
        y = fixed_and([float(v) for v in x]).data
        table[tuple(x)] = y
        lesson.say(
            f"  {tuple(x)} -> 0.6*{x[0]} + 0.6*{x[1]} - 1.0 = {0.6 * sum(x) - 1:+.1f} -> {y:g}"
        )
    lesson.say("  " + _("that is AND."))
    lesson.say("")
    said = _("The learning rule, from zero weights, lr 1, at most {epochs} epochs:")
    lesson.say(said.format(epochs=EPOCHS))
    learned = {}
    for gate in ("and", "or", "not", "xor"):
        X, y = logic_gate(gate)
        p = Perceptron(X.shape[1], lr=1.0)
        report = p.fit(X.tolist(), y.tolist(), max_epochs=EPOCHS)
        w = [wi.data for wi in p.w]
        got = [p(list(x)).data for x in X.tolist()]
        learned[gate] = {
            "converged": report.converged,
            "epochs": report.epochs,
            "w": w,
            "b": p.b.data,
            "outputs": got,
            "last_errors": report.errors[-1],
        }
        shown = ", ".join(lesson.num(v) for v in w)
        lesson.say(f"  {gate.upper():>3}: {told(report)}")
        said = _("w = [{w}], b = {b}; outputs {outputs}, wanted {wanted}")
        shown = said.format(
            w=shown, b=lesson.num(p.b.data), outputs=[int(v) for v in got], wanted=y.tolist()
        )
        lesson.say(f"       {shown}")
        if X.shape[1] == 2:
            plots.decision_regions(
                lesson,
                f"perceptron_{gate}.png",
                lambda pts, w=w, b=p.b.data: pts @ np.array(w) + b + 1e-9,  # step(0) is 1
                X,
                y,
                plot_title(gate.upper(), report.converged),
                lines=[(w[0], w[1], p.b.data, _("learned: w.x + b = 0"))]
                + ([(0.6, 0.6, -1.0, _("documents: 0.6, 0.6, -1.0"))] if gate == "and" else []),
                wrong=np.array(got) != y,
                what=(
                    _("{gate}: the learned line separates the classes")
                    if report.converged
                    else _("{gate}: the learned line cannot separate them")
                ).format(gate=gate.upper()),
            )
    lesson.say("")
    said = _(
        "XOR is not linearly separable: no single line works, so the rule never stops\n"
        "correcting. A hidden layer fixes that (lesson `xor`)."
    )
    for line in said.splitlines():
        lesson.say(line)
    lesson.record(and_table=table, learned=learned)
    y = build()
    weights = [n for n in topological_order(y) if n.label in ("w0", "w1", "b")]
    lesson.pictures(y, params=weights)
    lesson.look_for(_("AND, OR: every orange dot (class 1) on the orange side of the line"))
    lesson.look_for(_("XOR: whichever line, at least one dot sits on the wrong side"))
    lesson.look_for(_("graph.svg: step's edge says local 0, so every gradient behind it is 0"))


LESSON = Lesson(
    "perceptron",
    N_("AND, OR and NOT learned by the perceptron rule; XOR not"),
    run,
    build,
    title=N_("5. AND perceptron"),
)
