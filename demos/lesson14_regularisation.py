"""Lesson 14: regularisation: L2 and dropout on a data set small enough to memorise.

Run it:  chainrule run regularisation
Look at: 30 noisy training points, a 2-32-32-1 network with 1,185 parameters. Unregularised,
its training loss goes to almost 0 while the loss on 400 fresh points first falls, then
climbs: it is learning the noise (overfitting.png, solid = train, dashed = test). L2
(weight decay) holds the test loss near its best and gets the most test points right.
Dropout helps less, and not on every seed: the lesson prints what this run shows (over
seeds 0-7 its test loss ended below no regularisation's 7 times, its test accuracy above it
6 times). regions.png shows the unregularised boundary reaching around single noisy points.
"""

from nn.data import make_moons
from nn.layers import MLP
from nn.optim import Adam
from nn.train import fit, predict
from viz.format import rpad, width
from viz.i18n import N_, _

from . import plots
from .common import SEEDS, Lesson

L2 = 3e-3
DROPOUT = 0.5
EPOCHS = 400  # long enough for the unregularised network to memorise the noise
SETTINGS = {"none": (0.0, 0.0), f"L2 {L2:g}": (L2, 0.0), f"dropout {DROPOUT:g}": (0.0, DROPOUT)}
# What this run shows, a regulariser against none, on the test set: (lower loss, more right) ->
VERDICTS = {
    (True, True): N_(
        "{name}: test loss {loss:.2f}, below none's; {right:.1%} of test points right, more than"
        " none's {none:.1%}."
    ),
    (True, False): N_(
        "{name}: test loss {loss:.2f}, below none's; {right:.1%} of test points right, no more"
        " than none's {none:.1%}."
    ),
    (False, True): N_(
        "{name}: test loss {loss:.2f}, above none's; {right:.1%} of test points right, more than"
        " none's {none:.1%}."
    ),
    (False, False): N_(
        "{name}: test loss {loss:.2f}, above none's; {right:.1%} of test points right, no more"
        " than none's {none:.1%}."
    ),
}


def shown(name):
    """What the table and plots call the setting `name` (its key in the results)."""
    return _("none") if name == "none" else name  # L2 and dropout read the same anywhere


def train(X, y, test, l2, dropout, epochs, sizes, seed):
    """A fresh ReLU network (He init), full-batch Adam; the model and its History."""
    model = MLP(2, sizes, activation="relu", init="he_normal", dropout=dropout, rng=seed)
    history = fit(
        model,
        X,
        y,
        loss="bce_with_logits",
        optimizer=Adam(model.parameters(), lr=0.01),
        epochs=epochs,
        l2=l2,
        validation_data=test,
        seed=seed,
        batched=True,
        verbose=False,
    )
    return model, history


def verdict(final):
    """What this run's numbers show, in words: each regulariser against none, test set."""
    none = final["none"]
    lines = [
        _(
            "Without regularisation the test loss ends at {loss:.2f}, {times:.1f} times its best:"
            " it fits the noise."
        ).format(loss=none["test_loss"], times=none["test_loss"] / none["best_test_loss"])
    ]
    for name, f in final.items():
        if name == "none":
            continue
        better = (f["test_loss"] < none["test_loss"], f["test_accuracy"] > none["test_accuracy"])
        lines.append(
            _(VERDICTS[better]).format(
                name=name, loss=f["test_loss"], right=f["test_accuracy"], none=none["test_accuracy"]
            )
        )
    return lines


def run(lesson):
    # No small version: a smaller or shorter run does not overfit, and there is no lesson.
    epochs, sizes = EPOCHS, [32, 32, 1]
    X, y = make_moons(30, noise=0.3, seed=(lesson.seed + 1) % SEEDS)  # the top seed wraps to 0
    X_test, y_test = make_moons(400, noise=0.3, seed=(lesson.seed + 2) % SEEDS)
    params = 2 * sizes[0] + sizes[0] + sizes[0] * sizes[1] + sizes[1] + sizes[1] + 1
    lesson.say(
        _(
            "30 training points, {test} test points (noisy moons); a 2-{a}-{b}-1 ReLU network,"
            " {params} parameters; Adam, {epochs} full-batch steps."
        ).format(test=len(y_test), a=sizes[0], b=sizes[1], params=params, epochs=epochs)
    )
    heads = [_("regulariser"), _("train loss"), _("test loss"), _("best test")]
    heads += [_("train acc"), _("test acc")]
    cols = [max(n, width(h)) for n, h in zip((12, 10, 9, 9, 9, 8), heads)]  # a wider heading widens
    lesson.say("  ".join(rpad(h, n) for h, n in zip(heads, cols)))
    tl, vl, best, ta, va = cols[1:]  # the number columns' widths
    curves, final, panels = {}, {}, []
    for name, (l2, dropout) in SETTINGS.items():
        model, history = train(X, y, (X_test, y_test), l2, dropout, epochs, sizes, lesson.seed)
        scores = predict(model, X, batched=True)
        train_loss = history.loss[-1]
        final[name] = {
            "train_loss": train_loss,
            "test_loss": history.val_loss[-1],
            "best_test_loss": min(history.val_loss),
            "test_accuracy": history.val_accuracy[-1],
            "train_accuracy": history.accuracy[-1],
        }
        lesson.say(
            f"{rpad(shown(name), cols[0])}  {train_loss:>{tl}.4f}  {history.val_loss[-1]:>{vl}.4f}"
            f"  {min(history.val_loss):>{best}.4f}  {history.accuracy[-1]:>{ta}.0%}"
            f"  {history.val_accuracy[-1]:>{va}.1%}"
        )
        curves[_("{name}: train").format(name=shown(name))] = history.loss
        curves[_("{name}: test").format(name=shown(name))] = history.val_loss
        panels.append(
            (
                _("{name}: test loss {loss:.2f}").format(
                    name=shown(name), loss=history.val_loss[-1]
                ),
                lambda pts, model=model: predict(model, pts, batched=True),
                (scores > 0) != (y == 1),
            )
        )
    lesson.say(
        _(
            "(train loss includes the L2 penalty; train loss and accuracy are measured while\n"
            " training, so dropout's are with units dropped; it is off for the test set)"
        )
    )
    for line in verdict(final):
        lesson.say(line)
    lesson.record(final=final)
    plots.decision_panels(
        lesson,
        "regions.png",
        panels,
        X,
        y,
        _("The boundaries learned from 30 points"),
        what=_("unregularised, the boundary reaches around single noisy points"),
    )
    plots.curves(
        lesson,
        "overfitting.png",
        curves,
        _("Train and test loss with and without regularisation"),
        xlabel=_("step"),
        log=True,
        pairs=True,
        what=_("unregularised: train falls to ~0 while test climbs back up"),
    )
    lesson.look_for(_("the gap between train and test loss: widest without regularisation"))


LESSON = Lesson(
    "regularisation", N_("L2 and dropout on a small data set that overfits without them"), run
)
