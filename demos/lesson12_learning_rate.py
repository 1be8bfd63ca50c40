"""Lesson 12: the learning rate: too low crawls, too high blows up, high bounces, schedules settle.

Run it:  chainrule run learning-rate
Look at: the same network, data and mini-batches trained with six learning rates. In
learning_rate.png (log scale) 0.003 creeps down; 1.0 overflows within a few steps; 0.2 gets
low fast but keeps bouncing; decaying 0.2 (step decay, cosine annealing) keeps the fast
start and then holds still, below 0.2's bounces and close to the best constant rate, 0.03.
lr_schedules.png shows the rate each run used. Try `--seed 1` to `--seed 5`: the same.
"""

import numpy as np

from nn.layers import MLP
from nn.optim import SGD
from nn.schedules import CosineAnnealingLR, StepLR
from nn.train import DivergedError, fit
from viz.format import rpad, width
from viz.i18n import N_, _

from . import plots
from .common import Lesson

N = 200
NOISE = 0.1  # the noise alone costs about NOISE**2 = 0.01 of squared error
BATCH = 10  # mini-batches: each step sees 10 examples, so steps are noisy
HIGH = 0.2
TOP = 1.0  # the loss plot's ceiling: the run that overflows leaves the plot at once


def runs(epochs):
    """Each run: (its name, the name shown, learning rate, schedule maker or None).

    The name, in English, is the run's key in the results; the one shown is in the language
    in force, made from the same template."""
    every = epochs // 4
    made = [
        (N_("too low: {lr}"), 0.003, None),
        (N_("about right: {lr}"), 0.03, None),
        (N_("high: {lr}"), HIGH, None),
        (N_("too high: {lr}"), 1.0, None),
        (N_("{lr}, x0.3 every {every} epochs"), HIGH, lambda opt: StepLR(opt, every, 0.3)),
        (N_("{lr}, cosine annealing"), HIGH, lambda opt: CosineAnnealingLR(opt, epochs)),
    ]
    return [
        (name.format(lr=lr, every=every), _(name).format(lr=lr, every=every), lr, schedule)
        for name, lr, schedule in made
    ]


def sine(seed):
    """N points x in [-3, 3], y = sin x plus noise of standard deviation NOISE."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-3.0, 3.0, (N, 1))
    return X, np.sin(X[:, 0]) + NOISE * rng.standard_normal(N)


def train(X, y, lr, schedule, epochs, seed):
    """A fresh 1-16-1 tanh network, mini-batch SGD on the squared error; its History."""
    model = MLP(1, [16, 1], activation="tanh", init="xavier_normal", rng=seed)
    opt = SGD(model.parameters(), lr=lr)
    return fit(
        model,
        X,
        y,
        loss="mse",
        optimizer=opt,
        epochs=epochs,
        batch_size=BATCH,
        scheduler=schedule(opt) if schedule else None,
        validation_data=(X, y),  # the loss on all N points after each epoch: one clean curve
        metric=None,
        seed=seed,
        batched=True,
        verbose=False,
    )


def run(lesson):
    epochs = 24 if lesson.small else 60
    tail = epochs // 5  # "the end": the last fifth of the epochs
    X, y = sine(lesson.seed)
    lesson.say(
        _(
            "Fit {curve} from {n} noisy points; a 1-16-1 tanh network; squared error;\n"
            "SGD on mini-batches of {batch}, {epochs} epochs; every run starts from the same\n"
            "weights (seed {seed}). Loss: on all {n} points after each epoch."
        ).format(curve="y = sin x", n=N, batch=BATCH, epochs=epochs, seed=lesson.seed)
    )
    lesson.say("")
    made = runs(epochs)
    heads = [_("run"), _("after 1 epoch"), _("final")]
    cols = [max(n, width(h)) for n, h in zip((28, 13, 7), heads)]  # a wider heading widens
    cols[0] = max([cols[0]] + [width(label) for _name, label, _lr, _s in made])
    last = _("last {tail} epochs: low - high").format(tail=tail)
    lesson.say("  ".join(rpad(h, n) for h, n in zip(heads, cols)) + "  " + last)
    after, final = cols[1:]  # the number columns' widths
    losses, rates, ends = {}, {}, {}
    for name, label, lr, schedule in made:
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # we report an overflow ourselves
                history = train(X, y, lr, schedule, epochs, lesson.seed)
        except DivergedError as err:  # plot what came before the overflow
            said = _("the loss overflowed to inf at step {step}").format(step=err.step)
            lesson.say(f"{rpad(label, cols[0])}  {said}")
            ends[name] = {"diverged_at": err.step, "first": err.history.val_loss[0]}
            shown = _("{name} (off the top; inf at step {step})").format(name=label, step=err.step)
            losses[shown], rates[label] = err.history.val_loss, err.history.lr
            continue
        end = history.val_loss[-tail:]
        ends[name] = {"first": history.val_loss[0], "final": end[-1], "low": min(end)}
        ends[name]["high"] = max(end)
        losses[label], rates[label] = history.val_loss, history.lr
        lesson.say(
            f"{rpad(label, cols[0])}  {history.val_loss[0]:>{after}.4f}  {end[-1]:>{final}.4f}"
            f"  {min(end):.4f} - {max(end):.4f}"
        )
    lesson.record(runs=ends, tail=tail)
    lesson.say("")
    lesson.say(
        _(
            "Too low: every step is tiny, the loss is still falling at the end. Too high: each\n"
            "step jumps across the valley and lands higher up the other side, so the loss\n"
            "grows until it overflows. High: fast at first, then every noisy mini-batch knocks\n"
            "it about. A schedule takes the big steps early and small ones once it is close."
        )
    )
    plots.curves(
        lesson,
        "learning_rate.png",
        losses,
        _("Loss after each epoch, six learning rates (log scale)"),
        log=True,
        top=TOP,
        what=_("loss curves: too low, about right, high, too high (off the top), decayed"),
    )
    plots.curves(
        lesson,
        "lr_schedules.png",
        rates,
        _("The learning rate each run used"),
        ylabel=_("learning rate"),
        log=True,
        what=_("the rate per epoch: constant, step decay, cosine annealing"),
    )
    lesson.look_for(
        _("0.003 still falling at the end, far above the others; 1.0 off the top at once")
    )
    lesson.look_for(
        _("{high:g} bounces to the end; both schedules end flat, below its bounces").format(
            high=HIGH
        )
    )


LESSON = Lesson(
    "learning-rate", N_("too low, about right, high, too high, and with schedules"), run
)
