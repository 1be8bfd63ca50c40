"""Live training: the lessons' own training, one step at a time, and the frames the pages draw;
the Trainer loop driven as the server drives it (asyncio.run, frames counted, never a sleep)."""

import asyncio
import json
import math
import threading

import numpy as np
import pytest

from classroom.training import KEPT_LOSSES, Trainer, Training
from demos import lesson06_xor, lesson09_moons
from nn.data import make_moons
from nn.train import DivergedError

from .conftest import run_async as run


def test_moons_steps_are_lesson_nines_training_step_for_step():
    training = Training("moons")
    X, y = make_moons(100, noise=0.1, seed=0)
    assert np.array_equal(training.X, X) and np.array_equal(training.y, y)
    # the lesson's schedule starts at lr 1.0, so its first two steps are the same as ours
    _, history = lesson09_moons.train(X, y, epochs=2, seed=0)
    assert [training.step(), training.step()] == history.loss
    assert training.frame()["network"]["sizes"] == [2, 16, 16, 1]


def test_xor_steps_are_lesson_sixs_training_step_for_step():
    training = Training("xor")
    _, history = lesson06_xor.train(0, epochs=5)
    # the lesson shuffles the 4 rows each epoch: the same full batch, summed in another order
    assert [training.step() for _ in range(5)] == pytest.approx(history.loss, rel=1e-12)
    frame = training.frame()
    assert frame["network"]["sizes"] == [2, 4, 1]
    assert (frame["optimizer"], frame["lr"]) == ("Adam", 0.1)


def test_moons_reaches_every_point_right_in_a_hundred_steps():
    training = Training("moons")
    first = training.step()
    for _ in range(99):
        last = training.step()
    frame = training.frame()
    assert frame["step"] == 100 and frame["accuracy"] == 1.0
    assert last < first / 10


def test_the_boundary_grid_puts_each_xor_corner_on_its_side():
    training = Training("xor")
    for _ in range(200):
        training.step()
    boundary = training.frame()["boundary"]
    n, (x0, x1), (y0, y1) = boundary["n"], boundary["x"], boundary["y"]
    p = np.array(boundary["p"]).reshape(n, n)  # row 0 is the top of the picture (largest y)
    for (a, b), label in zip(training.X, training.y):
        row = int((y1 - b) / (y1 - y0) * n)
        column = int((a - x0) / (x1 - x0) * n)
        assert (p[row, column] > 0.5) == (label == 1), (a, b, p[row, column])


def test_a_frame_is_small_json_with_every_weight_and_its_gradient():
    training = Training("moons")
    training.step()
    frame = training.frame()
    text = json.dumps(frame, allow_nan=False)
    assert len(text.encode()) < 64 * 1024
    assert frame["type"] == "frame" and frame["task"] == "moons" and frame["step"] == 1
    assert len(frame["points"]) == 100 and {label for _, _, label in frame["points"]} == {0, 1}
    boundary = frame["boundary"]
    assert 30 <= boundary["n"] <= 64 and len(boundary["p"]) == boundary["n"] ** 2
    assert all(0.0 <= v <= 1.0 for v in boundary["p"])
    network, layers = frame["network"], training.model.layers
    for weights, grads, layer, ins in zip(
        network["weights"], network["grads"], layers, network["sizes"]
    ):
        assert len(weights) == len(grads) == len(layer.neurons)
        assert all(len(row) == ins for row in weights + grads)
    w = layers[1].neurons[3].w[7]
    assert network["weights"][1][3][7] == pytest.approx(w.data, rel=1e-3)
    assert network["grads"][1][3][7] == pytest.approx(w.grad, rel=1e-3, abs=1e-12)
    assert w.grad != 0.0


def test_the_loss_curve_keeps_the_last_500_steps():
    training = Training("xor")
    losses = [training.step() for _ in range(KEPT_LOSSES + 10)]
    frame = training.frame()
    assert len(frame["loss"]) == KEPT_LOSSES and frame["step"] == KEPT_LOSSES + 10
    assert frame["loss"][-1] == pytest.approx(losses[-1], rel=1e-3)
    assert frame["loss"][0] == pytest.approx(losses[10], rel=1e-3)


def test_an_unknown_task_is_refused_by_name():
    with pytest.raises(ValueError, match=r"Training: unknown task 'spiral'.*'moons', 'xor'"):
        Training("spiral")


@pytest.mark.parametrize("bad", [0, -0.1, 10.5, math.nan, math.inf])
def test_a_learning_rate_outside_0_to_10_is_refused_and_changes_nothing(bad):
    with pytest.raises(ValueError, match="learning rate must be in"):
        Training("xor", lr=bad)
    training = Training("xor", lr=0.5)
    with pytest.raises(ValueError, match=r"Training\.lr: the learning rate must be in \(0, 10\]"):
        training.lr = bad
    assert training.lr == 0.5 and training.optimizer.lr == 0.5
    with pytest.raises(TypeError, match="must be a number, got '1'"):
        training.lr = "1"
    training.lr = 10
    assert training.frame()["lr"] == 10.0


def test_a_loss_that_overflows_raises_and_the_frame_has_no_nan():
    training = Training("moons")
    training.model.parameters()[0].data = 1e300  # its square, in the L2 penalty, is inf
    with pytest.raises(DivergedError):
        training.step()
    frame = training.frame()
    assert frame["diverged"] is True and frame["step"] == 0
    json.dumps(frame, allow_nan=False)  # NaN and infinity became null


# ---- the Trainer: the loop the server runs -------------------------------------------------


class Room:
    """What the server gives Trainer as `send`: frames arrive in a queue, in order."""

    def __init__(self):
        self.frames = asyncio.Queue()

    async def send(self, frame):
        json.dumps(frame, allow_nan=False)  # what goes on the WebSocket
        await self.frames.put(frame)

    async def until(self, status):
        """The next frame whose status is `status` (frames sent before a change are skipped)."""
        while True:
            frame = await asyncio.wait_for(self.frames.get(), 20)
            if frame["status"] == status:
                return frame


def lesson(script):
    """Run `script(trainer, room)` beside trainer.run() on a fresh xor Training; run's result."""

    async def main():
        room = Room()
        trainer = Trainer(Training("xor"), room.send, frames_per_second=1000)
        running = asyncio.create_task(trainer.run())
        await script(trainer, room)
        return await asyncio.wait_for(running, 20)

    return run(main)


def test_running_sends_a_frame_every_few_steps_until_stopped():
    seen = []

    async def script(trainer, room):
        for _ in range(4):
            seen.append(await asyncio.wait_for(room.frames.get(), 20))
        trainer.stop()
        seen.append(await room.until("stopped"))

    steps = lesson(script)
    assert [f["step"] for f in seen[:4]] == [3, 6, 9, 12]  # xor: 3 steps a frame
    assert [f["status"] for f in seen[:4]] == ["running"] * 4
    assert seen[-1]["step"] == steps >= 12


def test_pause_step_and_a_new_rate_each_send_one_frame_and_no_step_is_taken_between():
    async def script(trainer, room):
        await room.until("running")
        trainer.pause()
        paused = await room.until("paused")
        trainer.step_once()
        stepped = await room.frames.get()
        trainer.set_lr(0.5)
        tuned = await room.frames.get()
        trainer.step_once()
        trainer.step_once()
        twice = [await room.frames.get(), await room.frames.get()]
        trainer.resume()
        resumed = await room.until("running")
        trainer.stop()
        stopped = await room.until("stopped")
        n = paused["step"]
        assert (stepped["step"], stepped["status"], stepped["lr"]) == (n + 1, "paused", 0.1)
        assert (tuned["step"], tuned["status"], tuned["lr"]) == (n + 1, "paused", 0.5)
        assert [f["step"] for f in twice] == [n + 2, n + 3]
        assert resumed["step"] == n + 6 and resumed["lr"] == 0.5
        assert stopped["step"] >= resumed["step"]

    lesson(script)


def test_a_bad_rate_from_the_teacher_is_refused_and_training_goes_on():
    async def script(trainer, room):
        with pytest.raises(ValueError, match="learning rate"):
            trainer.set_lr(11)
        assert (await room.frames.get())["lr"] == 0.1
        trainer.stop()
        await room.until("stopped")

    lesson(script)


def test_steps_run_in_a_worker_thread_not_in_the_event_loop():
    threads, times, loops = set(), [], set()
    training = Training("xor")
    step = training.step

    def step_and_note():
        threads.add(threading.get_ident())
        return step()

    training.step = step_and_note

    async def main():
        loop = asyncio.get_running_loop()
        loops.add(threading.get_ident())

        async def send(frame):
            times.append(loop.time())
            if len(times) == 4:
                trainer.stop()

        trainer = Trainer(training, send, frames_per_second=20)
        await trainer.run()

    run(main)
    assert len(times) == 5  # four, then the "stopped" frame run() ends with
    assert threads and not threads & loops  # (the pace is not timed here: no timed tests)


def test_a_diverged_step_pauses_the_trainer_and_says_so():
    async def main():
        room = Room()
        training = Training("moons")
        training.model.parameters()[0].data = 1e300
        trainer = Trainer(training, room.send, frames_per_second=1000)
        running = asyncio.create_task(trainer.run())
        frame = await room.frames.get()
        trainer.stop()
        await running
        return frame

    frame = run(main)
    assert frame["diverged"] is True and frame["status"] == "paused" and frame["step"] == 0
