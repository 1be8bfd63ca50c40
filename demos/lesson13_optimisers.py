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
    lesson.say(f"Noisy two moons, {N} points; 2-16-16-1 tanh network; cross-entropy on logits.")
    lesson.say(f"Optimisers: {epochs} epochs of mini-batches of {BATCH}, same starting weights.")
    lesson.say(f"{'optimiser':>22}  {'loss, epoch 5':>13}  {'final loss':>10}  accuracy")
    curves, final = {}, {}
    for name, make in OPTIMISERS.items():
        history, _ = train(X, y, make, BATCH, epochs, lesson.seed)
        curves[name], final[name] = history.loss, history.loss[-1]
        lesson.say(
            f"{name:>22}  {history.loss[4]:>13.4f}  {history.loss[-1]:>10.4f}"
            f"  {history.accuracy[-1]:.0%}"
        )
    lesson.say("Momentum keeps a running direction, so it rolls across flat stretches; RMSprop")
    lesson.say("and Adam divide each weight's step by its recent gradient size.")

    sweeps = 3 if lesson.small else 10
    lesson.say("")
    lesson.say(f"Batch sizes: SGD lr 0.1, {sweeps} epochs (passes over the data) each.")
    lesson.say(f"{'batch size':>22}  {'steps':>6}  {'final loss':>10}  seconds")
    batches, timing = {}, {}
    for name, size in BATCH_SIZES.items():
        history, seconds = train(X, y, OPTIMISERS["SGD, lr 0.1"], size, sweeps, lesson.seed)
        batches[name], timing[name] = history.loss, (history.steps, seconds)
        lesson.say(f"{name:>22}  {history.steps:>6}  {history.loss[-1]:>10.4f}  {seconds:.2f}")
    lesson.say("Each step of full-batch descent uses every example: accurate but rare. One")
    lesson.say("example per step is cheap and noisy; mini-batches buy most of both.")
    lesson.record(final=final, batches={k: v[-1] for k, v in batches.items()}, timing=timing)

    plots.curves(
        lesson,
        "optimisers.png",
        curves,
        f"Five optimisers, mini-batches of {BATCH} (log scale)",
        log=True,
        what="momentum, Nesterov and Adam leave the plateau long before plain SGD",
    )
    plots.curves(
        lesson,
        "batch_sizes.png",
        batches,
        "Batch, mini-batch and stochastic descent, SGD lr 0.1",
        xlabel="epoch (one pass over the data)",
        what="per pass over the data, smaller batches go further (at more steps each)",
    )
    lesson.look_for("plain SGD's flat stretch around loss 0.3, which momentum escapes")


LESSON = Lesson("optimisers", "SGD, momentum, RMSprop, Adam; batch, mini-batch and stochastic", run)
