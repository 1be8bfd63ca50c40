"""Lesson 12: the learning rate: too low crawls, too high bounces, and schedules settle.

Run it:  chainrule run learning-rate
Look at: the same network, data and mini-batches trained with six learning rates. In
learning_rate.png (log scale) 0.01 creeps down, 10 jumps about far above the rest, and 3.0
gets low fast but keeps bouncing; decaying it (step decay, cosine annealing) keeps the fast
start and then settles lowest of all. lr_schedules.png shows the rate each run used.
"""

import numpy as np

from nn.data import make_moons
from nn.layers import MLP
from nn.optim import SGD
from nn.schedules import CosineAnnealingLR, StepLR
from nn.train import DivergedError, fit

from . import plots
from .common import Lesson

BATCH = 10  # mini-batches: each step sees 10 examples, so steps are noisy


def runs(epochs):
    """Name -> (learning rate, schedule maker or None)."""
    return {
        "too low: 0.01": (0.01, None),
        "about right: 1.0": (1.0, None),
        "too high: 10": (10.0, None),
        "high: 3.0": (3.0, None),
        f"3.0, x0.3 every {epochs // 4} epochs": (3.0, lambda opt: StepLR(opt, epochs // 4, 0.3)),
        "3.0, cosine annealing": (3.0, lambda opt: CosineAnnealingLR(opt, epochs)),
    }


def train(X, y, lr, schedule, epochs, seed):
    """One fresh 2-16-1 tanh network trained by mini-batch SGD; its History."""
    model = MLP(2, [16, 1], activation="tanh", init="xavier_normal", rng=seed)
    opt = SGD(model.parameters(), lr=lr)
    return fit(
        model,
        X,
        y,
        loss="bce_with_logits",
        optimizer=opt,
        epochs=epochs,
        batch_size=BATCH,
        scheduler=schedule(opt) if schedule else None,
        seed=seed,
        batched=True,
        progress=False,
    )


def run(lesson):
    epochs = 20 if lesson.small else 60
    X, y = make_moons(100, noise=0.2, seed=lesson.seed)
    lesson.say(f"Two moons, 100 points; 2-16-1 tanh network; SGD, mini-batches of {BATCH};")
    lesson.say(f"{epochs} epochs; every run starts from the same weights (seed {lesson.seed}).")
    lesson.say("")
    lesson.say(f"{'run':>34}  {'loss after 1 epoch':>18}  {'final loss':>10}  accuracy")
    losses, rates, final = {}, {}, {}
    for name, (lr, schedule) in runs(epochs).items():
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # we report an overflow ourselves
                history = train(X, y, lr, schedule, epochs, lesson.seed)
        except DivergedError as err:  # a rate this high may overflow: plot what came before
            history = err.history
            lesson.say(f"{name:>34}  the loss became inf at step {err.step}")
        if not history.loss:
            continue
        losses[name], rates[name] = history.loss, history.lr
        final[name] = history.loss[-1]
        lesson.say(
            f"{name:>34}  {history.loss[0]:>18.4f}  {history.loss[-1]:>10.4f}"
            f"  {history.accuracy[-1]:.0%}"
        )
    lesson.record(final=final)
    lesson.say("")
    lesson.say("Too low: every step is tiny. Too high: each step overshoots the valley it aims")
    lesson.say("at. A schedule takes big steps early and small ones once it is close.")
    plots.curves(
        lesson,
        "learning_rate.png",
        losses,
        "Training loss for six learning rates (log scale)",
        log=True,
        what="loss curves: too low, right, too high, and decayed",
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
    lesson.look_for("0.01 still falling slowly at the end; 10 never settles")
    lesson.look_for("the two schedules end below the constant 3.0 they started from")


LESSON = Lesson("learning-rate", "too high, too low, about right, and with schedules", run)
