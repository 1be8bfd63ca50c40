"""Digits, 64-32-10 tanh + softmax cross-entropy, Adam, mini-batches of 64: one epoch each.

chainrule runs batched (one graph per mini-batch, one Value per pixel holding 64 examples),
eagerly and through nn.fit (which replays a recorded tape), against PyTorch 2.13 (CPU, one
thread, float64) on the same batches. Run: make bench
(or python -m benchmarks.digits).
"""

import time

import numpy as np

import nn
from autograd import Value

from .common import interleaved, one_thread, ratio


def split():
    """The 80/20 split every contender trains and tests on."""
    X, y = nn.load_digits()
    return nn.train_test_split(X, y, test_size=0.2, seed=0)


class ChainruleEpoch:
    """One epoch of nn's model, loss and optimiser on batched Values."""

    def __init__(self, X, y):
        self.model = nn.MLP(64, [32, 10], activation="tanh", init="xavier_uniform", rng=0)
        self.opt = nn.Adam(self.model.parameters(), lr=0.01)
        self.loader = nn.DataLoader(X, y, batch_size=64, shuffle=True, seed=0)

    def __call__(self):
        model, opt = self.model, self.opt
        for xb, yb in self.loader:
            logits = model([Value(column) for column in xb.T])
            loss = nn.cross_entropy(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()

    def accuracy(self, X, y):
        """Share of X classified right, in one batched forward pass."""
        logits = self.model([Value(column) for column in X.T])
        scores = np.stack([z.data for z in logits])
        return float((scores.argmax(axis=0) == y).mean())


class FitEpoch:
    """One epoch of nn.fit as a student calls it: batched, replayed from a tape."""

    def __init__(self, X, y):
        self.model = nn.MLP(64, [32, 10], activation="tanh", init="xavier_uniform", rng=0)
        self.opt = nn.Adam(self.model.parameters(), lr=0.01)
        self.X, self.y, self.epoch = X, y, 0

    def __call__(self):
        self.epoch += 1
        nn.fit(
            self.model,
            self.X,
            self.y,
            loss="cross_entropy",
            optimizer=self.opt,
            epochs=1,
            batch_size=64,
            seed=self.epoch,
            verbose=False,
            tape=True,
        )


class TorchEpoch:
    """The same epoch in PyTorch, float64, one thread, the same batches in the same order."""

    def __init__(self, X, y):
        import torch

        torch.manual_seed(0)
        self.torch = torch
        self.model = torch.nn.Sequential(
            torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10)
        ).double()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=0.01)
        self.loader = nn.DataLoader(X, y, batch_size=64, shuffle=True, seed=0)

    def __call__(self):
        torch = self.torch
        for xb, yb in self.loader:
            loss = torch.nn.functional.cross_entropy(
                self.model(torch.from_numpy(xb)), torch.from_numpy(yb).long()
            )
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()


@one_thread()  # numpy's BLAS on one thread, as PyTorch
def run(repeats=3):
    """Median seconds per epoch for each, the ratio, and chainrule's accuracy as it trains."""
    import torch

    torch.set_num_threads(1)
    X_train, X_test, y_train, y_test = split()
    ours, theirs = ChainruleEpoch(X_train, y_train), TorchEpoch(X_train, y_train)
    taped = FitEpoch(X_train, y_train)
    t = interleaved({"pytorch": theirs, "chainrule": ours, "fit_tape": taped}, repeats)
    # Then train a fresh chainrule model to 95% test accuracy, timing the whole run.
    fresh = ChainruleEpoch(X_train, y_train)
    start, epochs, accuracy = time.perf_counter(), 0, 0.0
    while accuracy < 0.95 and epochs < 30:
        fresh()
        epochs += 1
        accuracy = fresh.accuracy(X_test, y_test)
    return {
        "epoch_seconds": t,
        "times_pytorch": ratio(t["chainrule"], t["pytorch"]),
        "tape_times_pytorch": ratio(t["fit_tape"], t["pytorch"]),
        "batches_per_epoch": len(ours.loader),
        "to_95": {
            "epochs": epochs,
            "seconds": time.perf_counter() - start,
            "test_accuracy": accuracy,
        },
    }


def report(res):
    """Print per-epoch times and the time to 95% test accuracy."""
    t, fit = res["epoch_seconds"], res["to_95"]
    print(
        f"digits epoch ({res['batches_per_epoch']} mini-batches of 64): "
        f"pytorch {t['pytorch'] * 1e3:.0f} ms, chainrule {t['chainrule'] * 1e3:.0f} ms "
        f"-> {res['times_pytorch']:.1f}x PyTorch's time"
    )
    print(
        f"  nn.fit, replayed from a tape: {t['fit_tape'] * 1e3:.0f} ms "
        f"-> {res['tape_times_pytorch']:.1f}x PyTorch's time"
    )
    print(
        f"digits to 95% test accuracy: {fit['test_accuracy']:.1%} after {fit['epochs']} "
        f"epochs, {fit['seconds']:.1f} s wall time (includes the test pass after each epoch)"
    )


if __name__ == "__main__":
    report(run())
