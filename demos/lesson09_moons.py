"""Lesson 9: two moons, micrograd's demo: a 2-16-16-1 ReLU network, hinge loss, 100 steps.

Run it:  chainrule run moons
Look at: the loss falling and the accuracy reaching 100% (moons_loss.png); in
moons_regions.png a boundary that curls between the two half circles, which no straight line
could do. graph.svg is the network on one point folded into its three layers, coloured by
gradient; graph_neurons.svg one box per neuron, where the ReLUs that are off for this point
pass no gradient back.
"""

import numpy as np

from autograd import Value
from nn.data import make_moons
from nn.layers import MLP
from nn.optim import SGD
from nn.schedules import LinearLR
from nn.train import fit, predict
from viz.i18n import N_, _

from . import plots
from .common import Lesson

N = 100
EPOCHS = 100
L2 = 1e-4  # micrograd's alpha


def train(X, y, epochs, seed):
    """micrograd's recipe: MLP(2, [16, 16, 1]), weights U(-1, 1) from seed 1337, hinge loss
    on labels -1/+1 plus 1e-4 L2, full-batch SGD with lr 1.0 falling linearly to 0.1."""
    model = MLP(2, [16, 16, 1], rng=1337 + seed)
    opt = SGD(model.parameters(), lr=1.0)
    history = fit(
        model,
        X,
        2 * y - 1,
        loss="hinge",
        optimizer=opt,
        epochs=epochs,
        l2=L2,
        scheduler=LinearLR(opt, 1.0, 0.1, EPOCHS),
        shuffle=False,
        batched=True,
        verbose=False,
    )
    return model, history


def graph_of(model, point):
    """The score for one point, backpropagated, so the folded graph shows real gradients."""
    x = [Value(float(point[0]), "x0"), Value(float(point[1]), "x1")]
    score = model(x)
    score.label = "score"
    model.zero_grad()
    score.backward()
    return score


def build():
    """The untrained network's score on (0.5, -0.3)."""
    return graph_of(MLP(2, [16, 16, 1], rng=1337), (0.5, -0.3))


def run(lesson):
    epochs = 30 if lesson.small else EPOCHS
    X, y = make_moons(N, noise=0.1, seed=lesson.seed)
    model, history = train(X, y, epochs, lesson.seed)
    params = len(model.parameters())
    lesson.say(
        _("Two moons: {n} points, labels -1/+1. MLP(2, [16, 16, 1]): {params} parameters.").format(
            n=N, params=params
        )
    )
    # TRANSLATORS: score is the network's output (the graph's node "score"), y the label
    lesson.say(
        _("Hinge loss max(0, 1 - y score) + {l2:g} x sum w^2; SGD, lr 1.0 -> 0.1.").format(l2=L2)
    )
    for epoch in sorted({1, 2, 5, 10, 20, 50, epochs} & set(range(1, epochs + 1))):
        i = epoch - 1
        lesson.say(
            _("  step {step:>3}: loss {loss:.4f}, accuracy {accuracy:.0%}, lr {lr:.3f}").format(
                step=epoch, loss=history.loss[i], accuracy=history.accuracy[i], lr=history.lr[i]
            )
        )
    scores = predict(model, X, batched=True)
    accuracy = float(np.mean((scores > 0) == (y == 1)))
    lesson.say(_("Final accuracy on the {n} points: {accuracy:.0%}").format(n=N, accuracy=accuracy))
    lesson.record(loss=history.loss, accuracy=accuracy, parameters=params)
    plots.curves(
        lesson,
        "moons_loss.png",
        {_("loss"): history.loss, _("accuracy"): history.accuracy},
        _("Two moons: loss and accuracy per step"),
        xlabel=_("step (one full batch each)"),
        ylabel=_("loss / accuracy"),
        what=_("the loss falls, the accuracy climbs to 100%"),
    )
    plots.decision_regions(
        lesson,
        "moons_regions.png",
        lambda pts: predict(model, pts, batched=True),
        X,
        y,
        _("Two moons: the learned decision boundary"),
        wrong=(scores > 0) != (y == 1),
        what=_("the boundary curls between the moons"),
    )
    score = graph_of(model, X[0])
    lesson.pictures(
        score,
        params=model.parameters(),
        collapse=1,
        color="grad",
        player=False,
        what=_("the trained network on one point, one box per layer, coloured by gradient"),
    )
    lesson.pictures(
        score,
        "graph_neurons.svg",
        params=model.parameters(),
        collapse=2,
        color="grad",
        player=False,
        what=_("one box per neuron: the dashed ones end in a ReLU inactive for this point"),
    )
    wrong = int(np.sum((scores > 0) != (y == 1)))
    if wrong:
        seen = _(
            "accuracy {accuracy:.0%} by the end; {wrong} points ringed red in moons_regions.png"
        )
    else:
        seen = _("accuracy {accuracy:.0%} by the end; no point ringed red in moons_regions.png")
    lesson.look_for(seen.format(accuracy=accuracy, wrong=wrong))


LESSON = Lesson(
    "moons",
    N_("micrograd's two-moons demo: loss curve and decision boundary"),
    run,
    build,
    title=N_("9. Two moons"),
)
