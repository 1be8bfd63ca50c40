"""Batched mode against PyTorch 2.13 (CPU, one thread, float64): the moons training step.

Three chainrule contenders' worth: eager batched (a new graph every step) and a tape (the
graph recorded once, replayed with many nodes per numpy call: autograd/tape.py). Each step
keeps its model's parameter list from the start, as an optimiser does in either library.

Run: make bench  (or python -m benchmarks.batched)
"""

import random

import nn
from autograd import Value
from autograd.tape import Tape

from .common import interleaved, one_thread, ratio
from .engine import MoonsStep, moons


class ChainruleBatchStep:
    """micrograd's moons step with the whole batch in one graph: one Value per feature."""

    def __init__(self, X, y):
        random.seed(1337)
        self.model = nn.MLP(2, [16, 16, 1])
        self.params = self.model.parameters()  # kept once, as an optimiser keeps them
        self.X, self.y = X, y

    def __call__(self, lr=0.5):
        model, params = self.model, self.params
        x = [Value(self.X[:, 0]), Value(self.X[:, 1])]  # a batch is new data every step
        scores = model(x)
        data_loss = (1 + -Value(self.y) * scores).relu().mean()
        loss = data_loss + 1e-4 * sum(p * p for p in params)
        model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        return loss.data


class ChainruleTapeStep:
    """The same step, recorded once as a Tape and replayed: inputs and targets fed each step."""

    def __init__(self, X, y):
        random.seed(1337)
        self.model = nn.MLP(2, [16, 16, 1])
        self.X, self.y = X, y
        self.params = params = self.model.parameters()
        x, t = [Value(X[:, 0]), Value(X[:, 1])], Value(y)
        data_loss = (1 + -t * self.model(x)).relu().mean()
        loss = data_loss + 1e-4 * sum(p * p for p in params)
        self.tape = Tape(loss, x + [t], params)

    def __call__(self, lr=0.5):
        model = self.model
        model.zero_grad()
        loss = self.tape.step(self.X[:, 0], self.X[:, 1], self.y)
        for p in self.params:
            p.data -= lr * p.grad
        return loss


class TorchStep:
    """The same step in PyTorch, float64, so the two compute the same numbers."""

    def __init__(self, X, y):
        import torch

        torch.manual_seed(1337)
        self.torch = torch
        self.model = torch.nn.Sequential(
            torch.nn.Linear(2, 16),
            torch.nn.ReLU(),
            torch.nn.Linear(16, 16),
            torch.nn.ReLU(),
            torch.nn.Linear(16, 1),
        ).double()
        self.params = list(self.model.parameters())  # kept once, as torch.optim does
        self.X = torch.tensor(X, dtype=torch.float64)
        self.y = torch.tensor(y, dtype=torch.float64)

    def __call__(self, lr=0.5):
        torch, model, params = self.torch, self.model, self.params
        scores = model(self.X).squeeze(1)
        data_loss = torch.relu(1 - self.y * scores).mean()
        loss = data_loss + 1e-4 * sum((p * p).sum() for p in params)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        return loss.item()


class MicrogradStep:
    """micrograd 0.1.0's own demo step (one graph per example), the anchor."""

    def __init__(self, X, y):
        import micrograd.engine as mge
        import micrograd.nn as mgn

        self.step = MoonsStep(mge.Value, mgn.MLP, X, y)

    def __call__(self):
        self.step.forward()
        self.step.backward()
        self.step.update()


@one_thread()  # numpy's BLAS on one thread, as PyTorch
def run(repeats=7, steps=20):
    """Median seconds per step for each, and the ratios (micrograd runs one step a round)."""
    import torch

    torch.set_num_threads(1)
    X, y = moons()
    contenders = {
        "pytorch": TorchStep(X, y),
        "chainrule": ChainruleBatchStep(X, y),
        "chainrule_tape": ChainruleTapeStep(X, y),
    }
    counts = {"pytorch": steps, "chainrule": steps, "chainrule_tape": steps}
    try:
        contenders["micrograd"], counts["micrograd"] = MicrogradStep(X, y), 1
    except ImportError:  # micrograd is in the bench extra too; PyTorch alone still compares
        pass
    for fn in contenders.values():  # warm up
        fn()

    def many(fn, n):
        return lambda: [fn() for _ in range(n)]

    t = interleaved({k: many(fn, counts[k]) for k, fn in contenders.items()}, repeats)
    per_step = {k: v / counts[k] for k, v in t.items()}
    res = {
        "step_seconds": per_step,
        "times_pytorch": ratio(per_step["chainrule"], per_step["pytorch"]),
        "tape_times_pytorch": ratio(per_step["chainrule_tape"], per_step["pytorch"]),
    }
    if "micrograd" in per_step:
        res["faster_than_micrograd"] = ratio(per_step["micrograd"], per_step["chainrule"])
        res["tape_faster_than_micrograd"] = ratio(per_step["micrograd"], per_step["chainrule_tape"])
    return res


def report(res):
    """Print one line per contender."""
    t = res["step_seconds"]
    print(
        f"moons step, batched (100 points, full batch): pytorch {t['pytorch'] * 1e3:.2f} ms, "
        f"chainrule {t['chainrule'] * 1e3:.2f} ms -> {res['times_pytorch']:.1f}x PyTorch's time"
    )
    print(
        f"  replayed from a tape: chainrule {t['chainrule_tape'] * 1e3:.2f} ms -> "
        f"{res['tape_times_pytorch']:.1f}x PyTorch's time"
    )
    if "micrograd" in t:
        print(
            f"  micrograd's own step {t['micrograd'] * 1e3:.0f} ms -> chainrule batched is "
            f"{res['faster_than_micrograd']:.0f}x faster, from a tape "
            f"{res['tape_faster_than_micrograd']:.0f}x"
        )


if __name__ == "__main__":
    report(run())
