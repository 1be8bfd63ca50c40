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


def run(lesson):
    lesson.say("A perceptron: y = 1 if w.x + b >= 0 else 0. With w = [0.6, 0.6], b = -1.0:")
    table = {}
    for x in ([0, 0], [1, 0], [0, 1], [1, 1]):
        y = fixed_and([float(v) for v in x]).data
        table[tuple(x)] = y
        lesson.say(
            f"  {tuple(x)} -> 0.6*{x[0]} + 0.6*{x[1]} - 1.0 = {0.6 * sum(x) - 1:+.1f} -> {y:g}"
        )
    lesson.say("  that is AND.")
    lesson.say("")
    lesson.say(f"The learning rule, from zero weights, lr 1, at most {EPOCHS} epochs:")
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
        lesson.say(f"  {gate.upper():>3}: {report}")
        lesson.say(
            f"       w = [{shown}], b = {lesson.num(p.b.data)};"
            f" outputs {[int(v) for v in got]}, wanted {y.tolist()}"
        )
        if X.shape[1] == 2:
            plots.decision_regions(
                lesson,
                f"perceptron_{gate}.png",
                lambda pts, w=w, b=p.b.data: pts @ np.array(w) + b + 1e-9,  # step(0) is 1
                X,
                y,
                f"Perceptron on {gate.upper()}"
                + (" (a dot on the line counts as 1)" if report.converged else "")
                + ("" if report.converged else ": the rule cycles, wrong every epoch"),
                lines=[(w[0], w[1], p.b.data, "learned: w.x + b = 0")]
                + ([(0.6, 0.6, -1.0, "documents: 0.6, 0.6, -1.0")] if gate == "and" else []),
                wrong=np.array(got) != y,
                what=f"{gate.upper()}: the learned line"
                + (" separates the classes" if report.converged else " cannot separate them"),
            )
    lesson.say("")
    lesson.say("XOR is not linearly separable: no single line works, so the rule never stops")
    lesson.say("correcting. A hidden layer fixes that (lesson `xor`).")
    lesson.record(and_table=table, learned=learned)
    y = build()
    weights = [n for n in topological_order(y) if n.label in ("w0", "w1", "b")]
    lesson.pictures(y, params=weights)
    lesson.look_for("AND, OR: every orange dot (class 1) on the orange side of the line")
    lesson.look_for("XOR: whichever line, at least one dot sits on the wrong side")
    lesson.look_for("graph.svg: step's edge says local 0, so every gradient behind it is 0")


LESSON = Lesson(
    "perceptron",
    "AND, OR and NOT learned by the perceptron rule; XOR not",
    run,
    build,
    title="5. AND perceptron",
)
