"""The speed sweep of issue 14: the moons step at widths 16/64/256 x batches of 1 to 10,000.

One step of `MLP(2, [w, w, 1])` (ReLU hidden layers): hinge loss mean(relu(1 - t * score)) plus
1e-4 * the sum of squared parameters, then SGD, timed five ways side by side in one process
(interleaved repeats, medians): chainrule's tape (recorded once per width, replayed at every
batch size), chainrule eager batched (a new graph every step), PyTorch float64 and float32
(one thread), and the same MLP and loss written by hand in numpy float64, the floor.

Before any row is timed, every contender takes one step from the same weights and must give
numpy's loss and take numpy's step (float64 to 1e-9 of it, float32 to 1e-3 plus its own
rounding): a wrong benchmark is worse than none, so a disagreement stops the run.

Memory is tracemalloc's peak during one step, for the tape and numpy (numpy reports its
arrays to tracemalloc; PyTorch's allocator does not). For the tape that step is its first
at the row's batch size (it was recorded on 2 examples), so the peak holds every buffer the
replay needs at that size; the one-off plan made while recording is not in it.

"The data", which issue 14 asks the tape's memory to stay within 2x of at width 64 and
10,000 points, is taken as what any reverse-mode step must hold: the inputs and targets,
the parameters, and one number per neuron per example (its activation, which the backward
pass reads), all float64. The inputs alone could not be met by any backward pass; one number
per scalar edge, what the tape keeps today (a row per weight times input), would make the
goal say nothing. The hand-written numpy step keeps about 2x this.

Rows too big to run are skipped with the reason: eager when its step is predicted (from the
eager rows already measured) to take over EAGER_SECONDS or its graph (a value and a gradient
per node per example) to pass MEMORY_BYTES; the tape when its peak at the last batch size
measured, scaled to this one, would pass MEMORY_BYTES (how it stores its rows is its own
business, so only its measured peak is used).

Run: python -m benchmarks.sweep [--quick]   (make bench runs it as one of its sections)
"""

import argparse
import gc
import random
import sys
import time
import tracemalloc

import numpy as np

import nn
from autograd import Value
from autograd.backprop import topological_order
from autograd.tape import Tape

from .common import interleaved, one_thread, ratio
from .engine import moons

WIDTHS = (16, 64, 256)
BATCHES = (1, 100, 1_000, 10_000)
QUICK = {"widths": (3,), "batches": (1, 5), "repeats": 1}
LR = 0.01  # small enough that width 256 trains without blowing up while it is timed
L2 = 1e-4
RECORD_ON = 2  # examples in the graph a tape is recorded from: no row of the sweep has 2
EAGER_SECONDS = 5.0
MEMORY_BYTES = 4e9
MIN_CALL = 0.03  # each timed call runs enough steps to last this long (timer, noise)
ROW_SECONDS = 4.0  # about this long timing each row: fewer repeats for big rows

# Issue 14's goals for the tape: at most this many times PyTorch float64's step.
GOALS = {
    (16, 1): 0.7,
    (16, 100): 1.0,
    (64, 100): 3.0,
    (16, 1_000): 2.0,
    (16, 10_000): 3.0,
    (64, 10_000): 5.0,
}
MEMORY_GOALS = {(64, 10_000): 2.0}  # and a peak at most this many times the data
FLOOR = (16, 100)  # the moons step's size: the summary compares numpy by hand with PyTorch here

# How far each may be from the numpy floor: relative to the loss and to numpy's step, plus
# the rounding of the weights themselves (a float32 weight near 1 is only good to 6e-8).
TOLERANCE = {
    "tape": (1e-9, 1e-15),
    "eager": (1e-9, 1e-15),
    "torch64": (1e-9, 1e-15),
    "torch32": (1e-3, 1e-6),
}


class MismatchError(RuntimeError):
    """Two contenders computed different numbers from the same weights and data."""


def hinge(model, params, x, t):
    """The moons loss on Values: mean hinge of the scores plus the L2 penalty."""
    data_loss = (1 + -t * model(x)).relu().mean()
    return data_loss + L2 * sum(p * p for p in params)


class Chainrule:
    """What both chainrule modes share: an nn.MLP and its weights as arrays."""

    def __init__(self, width):
        random.seed(1337)
        self.model = nn.MLP(2, [width, width, 1])
        self.params = self.model.parameters()

    def layers(self):
        """[(W, b)] per layer, W one row per neuron, as float64 arrays (copies)."""
        return [
            (
                np.array([[w.data for w in n.w] for n in layer.neurons]),
                np.array([n.b.data for n in layer.neurons]),
            )
            for layer in self.model.layers
        ]

    def load(self, layers):
        """Set every weight and bias from [(W, b)]."""
        for layer, (W, b) in zip(self.model.layers, layers):
            for neuron, row, bias in zip(layer.neurons, W.tolist(), b.tolist()):
                for w, value in zip(neuron.w, row):
                    w.data = value
                neuron.b.data = bias

    def update(self):
        for p in self.params:
            p.data -= LR * p.grad


class ChainruleTape(Chainrule):
    """Recorded once, on RECORD_ON examples; each step feeds the row's batch."""

    def __init__(self, width):
        super().__init__(width)
        X, y = moons(RECORD_ON)
        t0 = time.perf_counter()
        x, t = [Value(X[:, 0]), Value(X[:, 1])], Value(y)
        loss = hinge(self.model, self.params, x, t)
        t1 = time.perf_counter()
        self.tape = Tape(loss, x + [t], self.params)
        self.graph_seconds, self.tape_seconds = t1 - t0, time.perf_counter() - t1
        order = topological_order(loss)
        self.nodes = len(order)
        self.batch_nodes = sum(type(v.data) is np.ndarray for v in order)

    def feed(self, X, y):
        self.arrays = (X[:, 0].copy(), X[:, 1].copy(), y)

    def __call__(self):
        for p in self.params:
            p.grad = 0.0
        loss = self.tape.step(*self.arrays)
        self.update()
        return loss


class ChainruleEager(Chainrule):
    """A new graph every step, the whole batch in it: one Value per feature."""

    def feed(self, X, y):
        self.x0, self.x1, self.y = X[:, 0].copy(), X[:, 1].copy(), y

    def __call__(self):
        loss = hinge(self.model, self.params, [Value(self.x0), Value(self.x1)], Value(self.y))
        for p in self.params:
            p.grad = 0.0
        loss.backward()
        self.update()
        return loss.data


class Torch:
    """The same step in PyTorch, in float64 or float32, one thread."""

    def __init__(self, width, dtype):
        import torch

        torch.set_num_threads(1)
        self.torch, self.dtype = torch, getattr(torch, dtype)
        self.model = torch.nn.Sequential(
            torch.nn.Linear(2, width),
            torch.nn.ReLU(),
            torch.nn.Linear(width, width),
            torch.nn.ReLU(),
            torch.nn.Linear(width, 1),
        ).to(self.dtype)
        self.linears = [m for m in self.model if isinstance(m, torch.nn.Linear)]
        self.params = list(self.model.parameters())

    def layers(self):
        return [
            (
                lin.weight.detach().double().numpy().copy(),
                lin.bias.detach().double().numpy().copy(),
            )
            for lin in self.linears
        ]

    def load(self, layers):
        with self.torch.no_grad():
            for lin, (W, b) in zip(self.linears, layers):
                lin.weight.copy_(self.torch.from_numpy(W))
                lin.bias.copy_(self.torch.from_numpy(b))

    def feed(self, X, y):
        self.X = self.torch.tensor(X, dtype=self.dtype)
        self.y = self.torch.tensor(y, dtype=self.dtype)

    def __call__(self):
        torch = self.torch
        scores = self.model(self.X).squeeze(1)
        data_loss = torch.relu(1 - self.y * scores).mean()
        loss = data_loss + L2 * sum((p * p).sum() for p in self.params)
        for p in self.params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in self.params:
                p -= LR * p.grad
        return loss.item()


class Numpy:
    """The same MLP, loss and update written by hand: a matrix multiply per layer each way."""

    Wb = None  # [(W, b)] per layer, set by load()

    def layers(self):
        return [(W.copy(), b.copy()) for W, b in self.Wb]

    def load(self, layers):
        self.Wb = [(W.copy(), b.copy()) for W, b in layers]

    def feed(self, X, y):
        self.X, self.y = np.ascontiguousarray(X), y

    def __call__(self):
        y, n, last = self.y, len(self.y), len(self.Wb) - 1
        h, kept = self.X, []  # each layer's input, for the backward pass
        for k, (W, b) in enumerate(self.Wb):
            kept.append(h)
            h = h @ W.T + b
            if k < last:
                h = np.maximum(h, 0.0)
        margin = 1.0 - y * h[:, 0]
        loss = np.maximum(margin, 0.0).mean() + L2 * sum(
            (W * W).sum() + (b * b).sum() for W, b in self.Wb
        )
        g = np.where(margin > 0.0, -y / n, 0.0)[:, None]  # d loss / d score, per example
        for k in reversed(range(len(self.Wb))):
            W, b = self.Wb[k]
            gW, gb = g.T @ kept[k] + 2 * L2 * W, g.sum(axis=0) + 2 * L2 * b
            if k > 0:  # through the ReLU below: its output is > 0 exactly where its input is
                g = (g @ W) * (kept[k] > 0.0)
            W -= LR * gW
            b -= LR * gb
        return float(loss)


def contenders(width):
    """Every contender at this width, weights copied from the tape's model; and why any is
    missing ({name: reason})."""
    tape = ChainruleTape(width)
    made, missing = {"tape": tape, "eager": ChainruleEager(width)}, {}
    try:
        made["torch64"], made["torch32"] = Torch(width, "float64"), Torch(width, "float32")
    except ImportError as err:
        why = f"{err.name} is not installed (pip install 'chainrule[bench]')"
        missing["torch64"] = missing["torch32"] = why
    made["numpy"] = Numpy()
    for c in made.values():
        c.load(tape.layers())
    return made, missing


def check(steps, layers, where):
    """One step of each contender from `layers`; raise MismatchError unless they agree.

    Returns {name: (loss, seconds, peak bytes or None)}: the step doubles as the warm-up,
    and for the tape and numpy it is traced to measure their peak memory.
    """
    out = {}
    for name, step in steps.items():
        step.load(layers)
        traced = name in ("tape", "numpy")
        gc.collect()
        if traced:
            tracemalloc.start()
        t0 = time.perf_counter()
        loss = step()
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] if traced else None
        if traced:
            tracemalloc.stop()
        out[name] = (loss, seconds, peak, step.layers())
    before, (ref_loss, _, _, ref_after) = layers, out["numpy"]
    for name, (loss, _, _, after) in out.items():
        tol, rounding = TOLERANCE.get(name, (0.0, 0.0))
        if abs(loss - ref_loss) > tol * max(1.0, abs(ref_loss)):
            raise MismatchError(f"sweep, {where}: {name}'s loss {loss!r} != numpy's {ref_loss!r}")
        for k, (mine, ref, start) in enumerate(zip(after, ref_after, before)):
            for what, a, a0, s in zip(("weights", "biases"), mine, ref, start):
                # Compare the steps taken, not the weights (a step is small beside a weight).
                worst, scale = float(np.max(np.abs(a - a0))), float(np.max(np.abs(a0 - s)))
                if worst > tol * scale + rounding * float(np.max(np.abs(a0))):
                    raise MismatchError(
                        f"sweep, {where}: {name}'s step for layer {k}'s {what} is off by "
                        f"{worst:.3g} (numpy's largest is {scale:.3g})"
                    )
    return {name: (loss, s, peak) for name, (loss, s, peak, _) in out.items()}


def predict_eager(history, nodes, batch_nodes, n):
    """Seconds an eager step would take: seconds = a * nodes + b * batch nodes * examples,
    fitted to the eager rows measured so far; None until there are two."""
    if len(history) < 2:
        return None
    A = np.array([[h[0], h[1] * h[2]] for h in history], dtype=float)
    (a, b), *_ = np.linalg.lstsq(A, np.array([h[3] for h in history]), rcond=None)
    return max(a, 0.0) * nodes + max(b, 0.0) * batch_nodes * n


def data_bytes(width, n):
    """Issue 14's "the data": inputs and targets, parameters, one activation per neuron per
    example, float64 (see the module docstring)."""
    params = 3 * width + width * width + width + width + 1
    return 8 * (3 * n + params + n * (2 * width + 1))


def run(repeats=5, widths=WIDTHS, batches=BATCHES, quick=False):
    """Every row of the sweep: median seconds per step for each contender, peaks, goals."""
    if quick:
        widths, batches, repeats = QUICK["widths"], QUICK["batches"], QUICK["repeats"]
    with one_thread() as threads:
        res = sweep(repeats, widths, batches)
    res["numpy_threads"] = threads
    return res


def sweep(repeats, widths, batches):
    """run()'s rows, under whatever BLAS threads the caller set."""
    rows, history, skipped = [], [], {}
    for width in widths:
        made, missing = contenders(width)
        skipped.update(missing)
        tape = made["tape"]
        start = tape.layers()  # every row starts from the seeded weights
        tape_peak = None  # (bytes, batch size) at the last batch size the tape ran
        for n in batches:
            X, y = moons(n)
            row = {
                "width": width,
                "batch": n,
                "record_seconds": tape.graph_seconds + tape.tape_seconds,
                "graph_seconds": tape.graph_seconds,
                "tape_seconds": tape.tape_seconds,
                "nodes": tape.nodes,
                "batch_nodes": tape.batch_nodes,
                "data_bytes": data_bytes(width, n),
                "skipped": too_big(tape, n, history, tape_peak),
            }
            steps = {name: c for name, c in made.items() if name not in row["skipped"]}
            for step in steps.values():
                step.feed(X, y)
            checked = check(steps, start, f"width {width}, batch {n}")
            if "eager" in checked:
                history.append((tape.nodes, tape.batch_nodes, n, checked["eager"][1]))
            row["loss"] = checked["numpy"][0]
            row["peak_bytes"] = {k: p for k, (_, _, p) in checked.items() if p is not None}
            row["step_seconds"] = time_row(steps, checked, repeats, row)
            if "tape" in row["peak_bytes"]:
                tape_peak = row["peak_bytes"]["tape"], n
            rows.append(row)
    memory = "tracemalloc peak in one step; the tape's is its first at that batch size"
    res = {"rows": rows, "skipped": skipped, "lr": LR, "memory": memory}
    res["goals"] = goals(rows, skipped)
    return res


def too_big(tape, n, history, tape_peak):
    """{contender: why} for those that would take too long or too much memory at n examples."""
    why = {}
    graph = 16 * tape.batch_nodes * n  # eager holds a value and a gradient per node per example
    guess = predict_eager(history, tape.nodes, tape.batch_nodes, n)
    if graph > MEMORY_BYTES:
        why["eager"] = f"its graph would take about {graph / 1e9:.0f} GB"
    elif guess is not None and guess > EAGER_SECONDS:
        why["eager"] = f"about {guess:.2g} s a step (fitted to smaller rows)"
    if tape_peak is not None and tape_peak[0] * n / tape_peak[1] > MEMORY_BYTES:
        size, at = tape_peak[0] * n / tape_peak[1], tape_peak[1]
        why["tape"] = f"about {size / 1e9:.0f} GB (its peak at batch {at:,}, scaled)"
    return why


def time_row(steps, checked, repeats, row):
    """Median seconds per step of each contender, steps per call and repeats scaled to size."""
    first = {name: s for name, (_, s, _) in checked.items()}
    warm = {name: step for name, step in steps.items() if first[name] < 0.5}
    first.update(interleaved(warm, 3))  # the median of three warm steps sizes the calls
    counts = {name: max(1, round(MIN_CALL / max(s, 1e-9))) for name, s in first.items()}
    per_round = sum(counts[name] * first[name] for name in steps)
    row["repeats"] = max(1, min(repeats, int(ROW_SECONDS / per_round)))
    row["steps_per_call"] = counts

    def many(step, k):
        return lambda: [step() for _ in range(k)]

    calls = {name: many(step, counts[name]) for name, step in steps.items()}
    t = interleaved(calls, row["repeats"])
    return {name: t[name] / counts[name] for name in steps}


def goals(rows, skipped):
    """Where the tape stands against issue 14's goals, one entry per goal found in `rows`."""
    out = []
    for row in rows:
        key = (row["width"], row["batch"])
        if key not in GOALS:
            continue
        t = row["step_seconds"]
        entry = {"width": key[0], "batch": key[1], "goal": GOALS[key]}
        if "tape" not in t or "torch64" not in t:
            why = row["skipped"].get("tape") or skipped.get("torch64")
            out.append({**entry, "status": f"not measured: {why}"})
            continue
        entry["times_torch64"] = ratio(t["tape"], t["torch64"])
        met = entry["times_torch64"] <= GOALS[key]
        if key in MEMORY_GOALS:
            entry["memory_goal"] = MEMORY_GOALS[key]
            entry["times_data"] = row["peak_bytes"]["tape"] / row["data_bytes"]
            met = met and entry["times_data"] <= MEMORY_GOALS[key]
        out.append({**entry, "status": "goal met" if met else "not yet"})
    return out


def goal_text(entry):
    """'<= 1.0x: goal met', with the memory goal where there is one."""
    want = f"<= {entry['goal']:.1f}x"
    if "memory_goal" in entry:
        want += f", peak <= {entry['memory_goal']:g}x data ({entry['times_data']:.1f}x)"
    return f"{want}: {entry['status']}"


def report(res):
    """Print the table, then why any cell is empty."""
    head = ["width", "batch", "rec s", "tape ms", "eager ms", "torch64 ms", "torch32 ms"]
    head += ["numpy ms", "tape/t64", "tape MB", "numpy MB", "data MB", "goal"]
    table = [head]
    goal = {(g["width"], g["batch"]): g for g in res["goals"]}
    notes = [f"{name}: skipped, {why}" for name, why in res["skipped"].items()]
    for row in res["rows"]:
        t, peak, key = row["step_seconds"], row["peak_bytes"], (row["width"], row["batch"])
        times = [_ms(t.get(k)) for k in ("tape", "eager", "torch64", "torch32", "numpy")]
        r = ratio(t["tape"], t["torch64"]) if "tape" in t and "torch64" in t else None
        table.append(
            [str(row["width"]), f"{row['batch']:,}", f"{row['record_seconds']:.2f}", *times]
            + ["-" if r is None else f"{r:.2f}x"]
            + [_mb(peak.get("tape")), _mb(peak.get("numpy")), _mb(row["data_bytes"])]
            + [goal_text(goal[key]) if key in goal else ""]
        )
        notes += [f"{key[0]}/{key[1]:,} {k}: skipped, {why}" for k, why in row["skipped"].items()]
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    for r in table:
        print("  ".join(c.rjust(w) for c, w in zip(r[:-1], widths)) + "  " + r[-1])
    print(
        f"ms: median per step (SGD, lr {res['lr']:g}; numpy's BLAS threads: "
        f"{res['numpy_threads']}). rec s: building the graph on {RECORD_ON} examples + Tape().\n"
        "MB: tracemalloc peak in one step. data: inputs, targets, parameters, one activation "
        "per neuron per example (float64)."
    )
    for note in notes:
        print(note)


def goal_cells(res):
    """The summary's ratio column for the rows benchmarks/__main__.py lists (ROWS['sweep']):
    the tape at each goal's size, then numpy by hand at FLOOR; None where not measured."""
    found = {(g["width"], g["batch"]): g for g in res["goals"]}
    cells = []
    for key in GOALS:
        g = found.get(key)
        if g is None:
            cells.append(None)
        elif "times_torch64" not in g:
            cells.append(g["status"])
        else:
            cells.append(f"{g['times_torch64']:.2f}x its time ({goal_text(g)})")
    row = next((r for r in res["rows"] if (r["width"], r["batch"]) == FLOOR), None)
    t = row["step_seconds"] if row else {}
    if "torch64" in t:
        cells.append(f"{ratio(t['numpy'], t['torch64']):.2f}x its time (the floor)")
    else:
        cells.append(None if row is None else f"not measured: {res['skipped']['torch64']}")
    return cells


def _ms(seconds):
    if seconds is None:
        return "skip"
    ms = seconds * 1e3
    return f"{ms:.3f}" if ms < 1 else f"{ms:.2f}" if ms < 100 else f"{ms:.0f}"


def _mb(size):
    return "-" if size is None else f"{size / 1e6:.3g}"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sweep", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one tiny width, two tiny batches")
    parser.add_argument("--repeats", type=int, default=5, help="most repeats per row (5)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")
    try:
        report(run(args.repeats, quick=args.quick))
    except MismatchError as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
