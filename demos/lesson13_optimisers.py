"""Lesson 13: optimisers (SGD, momentum, RMSprop, Adam) and batch sizes on one problem.

Run it:  chainrule run optimisers
Look at: the same network from the same weights, trained on the same noisy moons. In
optimisers.png plain SGD is still on a plateau near loss 0.3 at the end, which momentum,
Nesterov and Adam leave long before (seeds 0-5 all show it). In batch_sizes.png, per epoch:
full-batch descent takes one careful step per epoch and crawls; stochastic descent takes
200 noisy ones and usually goes furthest per epoch (on 5 of seeds 0-5: its last step is
one noisy example), but each of its epochs costs the most seconds; mini-batches sit
between (the table prints steps and seconds).
"""

import time

from nn.data import make_moons
from nn.layers import MLP
from nn.optim import SGD, Adam, RMSprop
from nn.train import fit
from viz.format import rpad, width
from viz.i18n import N_, _, pgettext

from . import plots
from .common import Lesson

N = 200
BATCH = 20

OPTIMISERS = {
    "SGD, lr 0.1": lambda p: SGD(p, lr=0.1),
    "SGD + momentum 0.9": lambda p: SGD(p, lr=0.1, momentum=0.9),
    "SGD + Nesterov 0.9": lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "RMSprop, lr 0.01": lambda p: RMSprop(p, lr=0.01),
    "Adam, lr 0.01": lambda p: Adam(p, lr=0.01),
}
BATCH_SIZES = {"batch (all 200)": None, f"mini-batch ({BATCH})": BATCH, "stochastic (1)": 1}


def shown(name):
    """What the tables and plots call the run `name` (its key in the results, in English)."""
    words = {
        "SGD + momentum 0.9": _("SGD + momentum 0.9"),
        # TRANSLATORS: {nesterov} is Nesterov's name: his momentum looks one step ahead
        "SGD + Nesterov 0.9": _("SGD + {nesterov} 0.9").format(nesterov="Nesterov"),
        "batch (all 200)": _("batch (all {n})").format(n=N),
        f"mini-batch ({BATCH})": _("mini-batch ({size})").format(size=BATCH),
        "stochastic (1)": _("stochastic (1)"),
    }
    if name not in words:  # "SGD, lr 0.1": the optimiser's name, then its learning rate
        optimiser, lr = name.split(", lr ")
        return _("{optimiser}, lr {lr}").format(optimiser=optimiser, lr=lr)
    return words[name]


def train(X, y, make_optimiser, batch_size, epochs, seed):
    """A fresh 2-16-16-1 tanh network (same weights every time); its History and seconds."""
    model = MLP(2, [16, 16, 1], activation="tanh", init="xavier_normal", rng=seed)
    started = time.perf_counter()
    history = fit(
        model,
        X,
        y,
        loss="bce_with_logits",
        optimizer=make_optimiser(model.parameters()),
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        batched=True,
        verbose=False,
    )
    return history, time.perf_counter() - started


def run(lesson):
    X, y = make_moons(N, noise=0.2, seed=lesson.seed)
    epochs = 10 if lesson.small else 40
    lesson.say(
        _("Noisy two moons, {n} points; 2-16-16-1 tanh network; cross-entropy on logits.").format(
            n=N
        )
    )
    lesson.say(
        _("Optimisers: {epochs} epochs of mini-batches of {batch}, same starting weights.").format(
            epochs=epochs, batch=BATCH
        )
    )
    heads = [_("optimiser"), _("loss, epoch 5"), _("final loss")]
    cols = [max(n, width(h)) for n, h in zip((22, 13, 10), heads)]  # a wider heading widens
    cols[0] = max([cols[0]] + [width(shown(name)) for name in OPTIMISERS])  # so does a name
    lesson.say("  ".join(rpad(h, n) for h, n in zip(heads, cols)) + "  " + _("accuracy"))
    name_w, fifth_w, final_w = cols
    curves, final = {}, {}
    for name, make in OPTIMISERS.items():
        history, _seconds = train(X, y, make, BATCH, epochs, lesson.seed)
        curves[shown(name)], final[name] = history.loss, history.loss[-1]
        lesson.say(
            f"{rpad(shown(name), name_w)}  {history.loss[4]:>{fifth_w}.4f}"
            f"  {history.loss[-1]:>{final_w}.4f}  {history.accuracy[-1]:.0%}"
        )
    lesson.say(
        _(
            "Momentum keeps a running direction, so it rolls across flat stretches; RMSprop\n"
            "and Adam divide each weight's step by its recent gradient size."
        )
    )

    sweeps = 3 if lesson.small else 10
    lesson.say("")
    lesson.say(
        _("Batch sizes: SGD lr 0.1, {sweeps} epochs (passes over the data) each.").format(
            sweeps=sweeps
        )
    )
    # TRANSLATORS: a column heading: how many steps each run took
    heads = [_("batch size"), pgettext("column", "steps"), _("final loss")]
    cols = [max(n, width(h)) for n, h in zip((22, 6, 10), heads)]
    cols[0] = max([cols[0]] + [width(shown(name)) for name in BATCH_SIZES])
    lesson.say("  ".join(rpad(h, n) for h, n in zip(heads, cols)) + "  " + _("seconds"))
    name_w, steps_w, final_w = cols
    batches, timing = {}, {}
    for name, size in BATCH_SIZES.items():
        history, seconds = train(X, y, OPTIMISERS["SGD, lr 0.1"], size, sweeps, lesson.seed)
        batches[name], timing[name] = history.loss, (history.steps, seconds)
        lesson.say(
            f"{rpad(shown(name), name_w)}  {history.steps:>{steps_w}}"
            f"  {history.loss[-1]:>{final_w}.4f}  {seconds:.2f}"
        )
    lesson.say(
        _(
            "Each step of full-batch descent uses every example: accurate but rare. One\n"
            "example per step is cheap and noisy; mini-batches buy most of both."
        )
    )
    lesson.record(final=final, batches={k: v[-1] for k, v in batches.items()}, timing=timing)

    plots.curves(
        lesson,
        "optimisers.png",
        curves,
        _("Five optimisers, mini-batches of {batch} (log scale)").format(batch=BATCH),
        log=True,
        what=_("momentum, {nesterov} and Adam leave the plateau long before plain SGD").format(
            nesterov="Nesterov"
        ),
    )
    plots.curves(
        lesson,
        "batch_sizes.png",
        {shown(name): losses for name, losses in batches.items()},
        _("Batch, mini-batch and stochastic descent, SGD lr 0.1"),
        xlabel=_("epoch (one pass over the data)"),
        what=_("per pass over the data, smaller batches go further (at more steps each)"),
    )
    lesson.look_for(_("plain SGD's flat stretch around loss 0.3, which momentum escapes"))


LESSON = Lesson(
    "optimisers", N_("SGD, momentum, RMSprop, Adam; batch, mini-batch and stochastic"), run
)
