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

from . import plots
from .common import Lesson

N = 200
NOISE = 0.1  # the noise alone costs about NOISE**2 = 0.01 of squared error
BATCH = 10  # mini-batches: each step sees 10 examples, so steps are noisy
HIGH = 0.2
TOP = 1.0  # the loss plot's ceiling: the run that overflows leaves the plot at once


def runs(epochs):
    """Name -> (learning rate, schedule maker or None)."""
    return {
        "too low: 0.003": (0.003, None),
        "about right: 0.03": (0.03, None),
        f"high: {HIGH:g}": (HIGH, None),
        "too high: 1.0": (1.0, None),
        f"{HIGH:g}, x0.3 every {epochs // 4} epochs": (
            HIGH,
            lambda opt: StepLR(opt, epochs // 4, 0.3),
        ),
        f"{HIGH:g}, cosine annealing": (HIGH, lambda opt: CosineAnnealingLR(opt, epochs)),
    }


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
    lesson.say(f"Fit y = sin x from {N} noisy points; a 1-16-1 tanh network; squared error;")
    lesson.say(f"SGD on mini-batches of {BATCH}, {epochs} epochs; every run starts from the same")
    lesson.say(f"weights (seed {lesson.seed}). Loss: on all {N} points after each epoch.")
    lesson.say("")
    lesson.say(f"{'run':>28}  {'after 1 epoch':>13}  {'final':>7}  last {tail} epochs: low - high")
    losses, rates, ends = {}, {}, {}
    for name, (lr, schedule) in runs(epochs).items():
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # we report an overflow ourselves
                history = train(X, y, lr, schedule, epochs, lesson.seed)
        except DivergedError as err:  # plot what came before the overflow
            lesson.say(f"{name:>28}  the loss overflowed to inf at step {err.step}")
            ends[name] = {"diverged_at": err.step, "first": err.history.val_loss[0]}
            shown = f"{name} (off the top; inf at step {err.step})"
            losses[shown], rates[name] = err.history.val_loss, err.history.lr
            continue
        end = history.val_loss[-tail:]
        ends[name] = {"first": history.val_loss[0], "final": end[-1], "low": min(end)}
        ends[name]["high"] = max(end)
        losses[name], rates[name] = history.val_loss, history.lr
        lesson.say(
            f"{name:>28}  {history.val_loss[0]:>13.4f}  {end[-1]:>7.4f}"
            f"  {min(end):.4f} - {max(end):.4f}"
        )
    lesson.record(runs=ends, tail=tail)
    lesson.say("")
    lesson.say("Too low: every step is tiny, the loss is still falling at the end. Too high: each")
    lesson.say("step jumps across the valley and lands higher up the other side, so the loss")
    lesson.say("grows until it overflows. High: fast at first, then every noisy mini-batch knocks")
    lesson.say("it about. A schedule takes the big steps early and small ones once it is close.")
    plots.curves(
        lesson,
        "learning_rate.png",
        losses,
        "Loss after each epoch, six learning rates (log scale)",
        log=True,
        top=TOP,
        what="loss curves: too low, about right, high, too high (off the top), decayed",
    )
    plots.curves(
        lesson,
        "lr_schedules.png",
        rates,
        "The learning rate each run used",
        ylabel="learning rate",
        log=True,
        what="the rate per epoch: constant, step decay, cosine annealing",
    )
    lesson.look_for("0.003 still falling at the end, far above the others; 1.0 off the top at once")
    lesson.look_for(f"{HIGH:g} bounces to the end; both schedules end flat, below its bounces")


LESSON = Lesson("learning-rate", "too low, about right, high, too high, and with schedules", run)
