"""Live training for the classroom: lesson 9's two moons or lesson 6's XOR, one step at a time.

`Training` is the lesson's data, network and optimiser, stepped by nn.fit one full batch at a
time (so every step replays fit's recorded tape, as the lessons' training does), and `frame()`
is what the pages draw: the loss curve, the decision boundary on a grid, every weight and its
gradient. `Trainer` is the loop the server runs: steps in a worker thread, a few frames a
second to everyone, paused, stepped and re-tuned by the teacher. No web here: app.py calls it.
"""

import asyncio
import collections
import contextlib
import math
import numbers
from dataclasses import dataclass

import numpy as np

from nn.data import logic_gate, make_moons
from nn.layers import MLP
from nn.optim import SGD, Adam
from nn.train import DivergedError, fit, predict

MAX_LR = 10.0
KEPT_LOSSES = 500  # the loss curve shows the last this many steps
GRID = 40  # the decision boundary: GRID x GRID probabilities
PAD = 0.5  # the boundary's picture reaches this far past the data, as lessons' regions plots
FRAMES_PER_SECOND = 5


@dataclass(frozen=True)
class Task:
    """One lesson's training: its data, network, loss and optimiser, and the pace to show it."""

    data: object  # seed -> (X, y) with labels 0 and 1
    model: object  # seed -> the untrained MLP
    loss: str  # a name nn.fit knows
    hinge: bool  # fit's targets are -1/+1 (hinge), else the 0/1 labels
    l2: float
    optimizer: type
    lr: float
    steps_per_frame: int  # about 10 s to a trained network at 5 frames a second


TASKS = {
    # Lesson 9 (micrograd's demo): 100 points, MLP(2, [16, 16, 1]) from seed 1337, hinge loss
    # plus 1e-4 L2, full-batch SGD at lr 1.0. The lesson lets a schedule lower the rate to 0.1;
    # here the teacher holds the rate, and 1.0 held still reaches 100% in about 100 steps.
    "moons": Task(
        data=lambda seed: make_moons(100, noise=0.1, seed=seed),
        model=lambda seed: MLP(2, [16, 16, 1], rng=1337 + seed),
        loss="hinge",
        hinge=True,
        l2=1e-4,
        optimizer=SGD,
        lr=1.0,
        steps_per_frame=2,
    ),
    # Lesson 6: the 4-row truth table, a 2-4-1 tanh network (Xavier normal), cross-entropy on
    # the logit, Adam at lr 0.1: solved in about 150 steps.
    "xor": Task(
        data=lambda seed: logic_gate("xor"),
        model=lambda seed: MLP(2, [4, 1], activation="tanh", init="xavier_normal", rng=seed),
        loss="bce_with_logits",
        hinge=False,
        l2=0.0,
        optimizer=Adam,
        lr=0.1,
        steps_per_frame=3,
    ),
}


def check_lr(lr, where="Training"):
    """`lr` as a float if it is a number with 0 < lr <= MAX_LR, else the error that says so."""
    if not isinstance(lr, numbers.Real) or isinstance(lr, bool):
        raise TypeError(f"{where}: the learning rate must be a number, got {lr!r}")
    if not 0.0 < lr <= MAX_LR:  # NaN fails this too
        raise ValueError(f"{where}: the learning rate must be in (0, {MAX_LR:g}], got {lr!r}")
    return float(lr)


def _digits(x, significant=4):
    """x rounded for the page (a short JSON number); None for NaN or infinity (JSON has none)."""
    return float(f"{x:.{significant}g}") if math.isfinite(x) else None


class Training:
    """The lesson's training of `task` ("moons" or "xor"), stepped by hand: step(), frame()."""

    def __init__(self, task, seed=0, lr=None):
        if task not in TASKS:
            allowed = ", ".join(repr(k) for k in TASKS)
            raise ValueError(f"Training: unknown task {task!r}; choose one of {allowed}")
        spec = TASKS[task]
        lr = spec.lr if lr is None else check_lr(lr)
        self.task, self.spec = task, spec
        self.X, self.y = spec.data(seed)
        self.targets = 2 * self.y - 1 if spec.hinge else self.y
        self.model = spec.model(seed)
        self.optimizer = spec.optimizer(self.model.parameters(), lr=lr)
        self.steps = 0
        self.losses = collections.deque(maxlen=KEPT_LOSSES)
        self.diverged = False
        # The boundary's grid: cell centres, row 0 at the top (largest y), as a picture reads.
        (x0, y0), (x1, y1) = self.X.min(axis=0) - PAD, self.X.max(axis=0) + PAD
        self.extent = (float(x0), float(x1), float(y0), float(y1))
        xs = x0 + (np.arange(GRID) + 0.5) * (x1 - x0) / GRID
        ys = y1 - (np.arange(GRID) + 0.5) * (y1 - y0) / GRID
        gx, gy = np.meshgrid(xs, ys)
        self.grid = np.column_stack([gx.ravel(), gy.ravel()])

    @property
    def lr(self):
        """The optimiser's learning rate, which the next step uses."""
        return self.optimizer.lr

    @lr.setter
    def lr(self, value):
        self.optimizer.lr = check_lr(value, "Training.lr")

    def step(self):
        """One optimisation step on the whole data set; the loss before it (as fit reports).

        A loss that is not finite raises nn's DivergedError; fit has then changed no weight.
        """
        try:
            history = fit(
                self.model,
                self.X,
                self.targets,
                loss=self.spec.loss,
                optimizer=self.optimizer,
                epochs=1,
                l2=self.spec.l2,
                shuffle=False,
                verbose=False,
            )
        except DivergedError:
            self.diverged = True
            raise
        self.diverged = False
        self.steps += 1
        self.losses.append(history.loss[0])
        return history.loss[0]

    def frame(self):
        """What the pages draw now, as a JSON-able dict (no NaN: those become null)."""
        scores = predict(self.model, np.vstack([self.X, self.grid]))
        n = len(self.X)
        # Class 1 where the score is positive (the logit, or the hinge score, as lessons read it)
        accuracy = float(np.mean((scores[:n] > 0) == (self.y == 1)))
        with np.errstate(over="ignore", invalid="ignore"):
            p = 1.0 / (1.0 + np.exp(-scores[n:]))  # the score read as a logit: 0.5 on the line
        layers = self.model.layers
        sizes = [len(self.X[0])] + [len(layer.neurons) for layer in layers]
        x0, x1, y0, y1 = self.extent
        return {
            "type": "frame",
            "task": self.task,
            "step": self.steps,
            "lr": self.lr,
            "optimizer": type(self.optimizer).__name__,
            "loss": [_digits(v) for v in self.losses],
            "accuracy": round(accuracy, 3),
            "diverged": self.diverged,
            "points": [
                [round(float(a), 3), round(float(b), 3), int(label)]
                for (a, b), label in zip(self.X, self.y)
            ],
            "boundary": {
                "x": [round(x0, 3), round(x1, 3)],
                "y": [round(y0, 3), round(y1, 3)],
                "n": GRID,
                "p": [round(v, 3) if math.isfinite(v) else None for v in p.tolist()],
            },
            "network": {
                "sizes": sizes,
                # weights[l][j][i]: from input i of layer l into its neuron j (biases left out)
                "weights": [[[_digits(w.data) for w in n.w] for n in L.neurons] for L in layers],
                "grads": [[[_digits(w.grad) for w in n.w] for n in L.neurons] for L in layers],
            },
        }


class Trainer:
    """The live loop: `await run()` trains and sends frames until stop(); the teacher's controls
    pause(), resume(), step_once() and set_lr() may be called at any time from the event loop.

    Steps and frames are worked out in a worker thread (asyncio.to_thread), so the event loop
    keeps serving everyone's messages meanwhile. Running, each frame follows `steps_per_frame`
    steps and frames come at most `frames_per_second`; paused, a frame comes after each change
    (a pause, a single step, a new rate). Each frame carries "status": "running", "paused" or
    "stopped" (the last frame, sent as run() ends). `last_frame` is the latest frame sent, for
    a page that joins late (never call training.frame() while run() is going: it steps in a
    thread).
    """

    MAX_ASKED = 10  # single steps queued while paused (a teacher clicking fast): more are dropped

    def __init__(self, training, send, steps_per_frame=None, frames_per_second=FRAMES_PER_SECOND):
        if not callable(send):
            raise TypeError(f"Trainer: send must be an async callable, got {send!r}")
        if not (isinstance(frames_per_second, numbers.Real) and frames_per_second > 0):
            raise ValueError(f"Trainer: frames_per_second must be > 0, got {frames_per_second!r}")
        if steps_per_frame is None:
            steps_per_frame = training.spec.steps_per_frame
        if not isinstance(steps_per_frame, int) or steps_per_frame < 1:
            raise ValueError(f"Trainer: steps_per_frame must be >= 1, got {steps_per_frame!r}")
        self.training, self.send = training, send
        self.steps_per_frame = steps_per_frame
        self.interval = 1.0 / frames_per_second
        self.paused = self.stopped = False
        self.last_frame = None
        self._asked = 0  # single steps asked for (step_once) and not yet taken
        self._news = True  # a change the pages have not seen: the first frame, a pause, a rate
        self._wake = asyncio.Event()

    def pause(self):
        """Stop stepping after the step under way; a frame says so."""
        self.paused = self._news = True
        self._wake.set()

    def resume(self):
        """Train on."""
        self.paused = False
        self._wake.set()

    def step_once(self):
        """Pause (if running), then take one step and send its frame."""
        self.paused = True
        self._asked = min(self._asked + 1, self.MAX_ASKED)
        self._wake.set()

    def stop(self):
        """End run() after the step under way, with a last frame whose status is "stopped"."""
        self.stopped = True
        self._wake.set()

    def set_lr(self, lr):
        """The learning rate for the next steps (0 < lr <= 10, else an error and no change)."""
        self.training.lr = lr
        self._news = True
        self._wake.set()

    def status(self):
        return "stopped" if self.stopped else "paused" if self.paused else "running"

    async def run(self):
        """Train and send frames until stop(); return the number of steps taken."""
        loop = asyncio.get_running_loop()
        while not self.stopped:
            started = loop.time()
            if not self.paused:
                steps = self.steps_per_frame
            elif self._asked:
                steps, self._asked = 1, self._asked - 1
            elif self._news:
                steps = 0  # a frame for the change alone
            else:
                self._wake.clear()
                await self._wake.wait()
                continue
            frame, diverged = await asyncio.to_thread(self._advance, steps)
            self._news = False  # _send puts in the status and rate as they are now
            if diverged:
                self.paused = True  # the page shows why; a lower rate, then resume, may help
                self._asked = 0
            await self._send(frame)
            if not self.paused:
                await self._rest(started + self.interval - loop.time())
        frame, _ = await asyncio.to_thread(self._advance, 0)
        await self._send(frame)
        return self.training.steps

    def _advance(self, steps):
        """(frame, diverged) after up to `steps` steps: runs in the worker thread."""
        try:
            for _ in range(steps):
                if self.stopped or (self.paused and steps > 1):
                    break  # a pause or stop asked for meanwhile: no need to finish the batch
                self.training.step()
        except DivergedError:
            return self.training.frame(), True
        return self.training.frame(), False

    async def _send(self, frame):
        frame["lr"] = self.training.lr  # a rate set while the frame was being made
        frame["status"] = self.status()
        self.last_frame = frame
        await self.send(frame)

    async def _rest(self, seconds):
        """Wait out the rest of this frame's time, unless a pause, step or stop comes first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not (self.paused or self.stopped) and loop.time() < deadline:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), deadline - loop.time())
