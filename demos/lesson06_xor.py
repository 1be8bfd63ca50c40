"""Lesson 6: XOR, which no perceptron learns, solved by one hidden layer trained by backprop.

Run it:  chainrule run xor
Look at: the four outputs end on the right side of 0.5; in xor_regions.png the boundary is
no longer a line but bends around the corners, because each of the 4 tanh hidden units draws
its own line and the output combines them. graph.svg is the trained net on input (1, 0).
"""

import numpy as np

from autograd import Value
from nn.data import logic_gate
from nn.layers import MLP
from nn.optim import Adam
from nn.train import fit, predict
from viz.i18n import N_, _, pgettext

from . import plots
from .common import Lesson

HIDDEN = 4
EPOCHS = 150


def train(seed, epochs=EPOCHS):
    """A 2-4-1 tanh network trained on the truth table (Adam, lr 0.1, cross-entropy on logits)."""
    X, y = logic_gate("xor")
    model = MLP(2, [HIDDEN, 1], activation="tanh", init="xavier_normal", rng=seed)
    history = fit(
        model,
        X,
        y,
        loss="bce_with_logits",
        optimizer=Adam(model.parameters(), lr=0.1),
        epochs=epochs,
        batched=True,
        verbose=False,
    )
    return model, history


def graph_of(model):
    """The network's probability of class 1 on input (1, 0): the graph the pictures show."""
    x = [Value(1.0, "x0"), Value(0.0, "x1")]
    out = model(x).sigmoid()
    out.label = pgettext("node label", "p(class 1)")
    model.zero_grad()  # show this graph's gradients, not the last training step's
    out.backward()
    return out


def build():
    """The trained network (seed 0) on input (1, 0)."""
    return graph_of(train(0)[0])


def run(lesson):
    X, y = logic_gate("xor")
    model, history = train(lesson.seed)
    logits = predict(model, X, batched=True)
    probs = 1.0 / (1.0 + np.exp(-logits))
    said = _("A 2-{hidden}-1 tanh network, Adam (lr 0.1), {epochs} epochs on the 4 rows:")
    lesson.say(said.format(hidden=HIDDEN, epochs=EPOCHS))
    said = _("loss (binary cross-entropy): {first} -> {last}")
    lesson.say("  " + said.format(first=f"{history.loss[0]:.4f}", last=f"{history.loss[-1]:.4f}"))
    for x, target, p in zip(X.astype(int).tolist(), y.tolist(), probs):
        said = _("{x} -> p(1) = {p}  (want {target})")
        lesson.say("  " + said.format(x=tuple(x), p=f"{p:.3f}", target=target))
    solved = bool(np.all((probs >= 0.5) == (y == 1)))
    if solved:
        lesson.say("  " + _("solved: yes, every row on the right side of 0.5"))
    else:
        lesson.say("  " + _("solved: no, every row on the right side of 0.5"))
    lesson.say("")
    lesson.say(_("Where each hidden unit draws its line (w0 x0 + w1 x1 + b = 0):"))
    lines = []
    for j, neuron in enumerate(model.layers[0].neurons):
        w0, w1, b = neuron.w[0].data, neuron.w[1].data, neuron.b.data
        lesson.say(f"  h{j}: {w0:+.2f} x0 {w1:+.2f} x1 {b:+.2f} = 0")
        lines.append((w0, w1, b, f"h{j}"))
    lesson.record(probs=probs.tolist(), solved=solved, loss=history.loss)

    plots.decision_regions(
        lesson,
        "xor_regions.png",
        lambda pts: predict(model, pts, batched=True),
        X,
        y,
        _("XOR learned by a 2-{hidden}-1 network").format(hidden=HIDDEN),
        lines=lines,
        what=_("the boundary bends: two corners orange, two blue (dashed: hidden units' lines)"),
    )
    plots.curves(
        lesson,
        "xor_loss.png",
        {_("training loss"): history.loss},
        _("XOR: loss per epoch"),
        log=True,
        what=_("the loss falls once the hidden units find their lines"),
    )
    lesson.pictures(graph_of(model), params=model.parameters())
    lesson.look_for(_("every row's p(1) on the right side of 0.5; no single line could do that"))


LESSON = Lesson(
    "xor",
    N_("XOR solved by one hidden layer, with its decision regions"),
    run,
    build,
    title=N_("6. XOR network"),
)
