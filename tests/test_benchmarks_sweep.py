"""The speed sweep's own checks: every contender must compute numpy's loss and take numpy's step
from the same weights, and the check must catch one that does not. No timing is asserted."""

import gc
import json
import sys

import numpy as np
import pytest

from benchmarks import __main__ as bench
from benchmarks import sweep
from benchmarks.engine import moons


@pytest.fixture(autouse=True)
def no_collections(monkeypatch):
    """The timer's gc.collect() before each timed call keeps a benchmark's numbers honest; here,
    where no time is asserted, it only costs: in a full test run the heap holds every earlier
    test's objects, and 50 collections took 57 s of one test."""
    monkeypatch.setattr(gc, "collect", lambda generation=2: 0)


def checked(names, width=3, n=5):
    """check() on a tiny row, with only the contenders in `names`."""
    made, _ = sweep.contenders(width)
    steps = {name: made[name] for name in names}
    X, y = moons(n)
    for step in steps.values():
        step.feed(X, y)
    return sweep.check(steps, made["tape"].layers(), f"width {width}, batch {n}")


def test_the_tape_eager_and_numpy_compute_the_same_loss_from_the_same_weights():
    out = checked(["tape", "eager", "numpy"])
    losses = [loss for loss, _, _ in out.values()]
    assert losses[0] > 0  # the hinge is active on some example, so the steps say something
    assert np.allclose(losses, losses[2], rtol=1e-12, atol=0)
    assert out["tape"][2] > 0 and out["numpy"][2] > 0  # traced: peak bytes
    assert out["eager"][2] is None


@pytest.mark.torch
def test_pytorch_in_both_precisions_agrees_with_numpy():
    out = checked(["torch64", "torch32", "numpy"], width=4, n=7)
    assert out["torch64"][0] == pytest.approx(out["numpy"][0], rel=1e-12)
    assert out["torch32"][0] == pytest.approx(out["numpy"][0], rel=1e-5)
    assert out["torch32"][0] != out["numpy"][0]  # it really ran in float32


class ForgetsBiases(sweep.ChainruleEager):
    """Eager, with a bug: its update leaves the biases where they were."""

    def update(self):
        biases = {id(neuron.b) for layer in self.model.layers for neuron in layer.neurons}
        for p in self.params:
            if id(p) not in biases:
                p.data -= sweep.LR * p.grad


def test_the_check_catches_a_step_that_skips_the_biases():
    made, _ = sweep.contenders(3)
    steps = {"eager": ForgetsBiases(3), "numpy": made["numpy"]}
    X, y = moons(5)
    for step in steps.values():
        step.feed(X, y)
    with pytest.raises(sweep.MismatchError, match=r"width 3, batch 5: eager's step for layer"):
        sweep.check(steps, made["tape"].layers(), "width 3, batch 5")


def sign_error(model, params, x, t):
    """The hinge with the target's sign lost: margin 1 + t * score."""
    return (1 + t * model(x)).relu().mean() + sweep.L2 * sum(p * p for p in params)


def test_the_check_catches_a_sign_error_in_the_loss(monkeypatch):
    monkeypatch.setattr(sweep, "hinge", sign_error)
    with pytest.raises(sweep.MismatchError, match=r"tape's loss .* != numpy's"):
        checked(["tape", "eager", "numpy"])


@pytest.mark.torch
def test_float32_does_not_pass_for_float64():
    made, _ = sweep.contenders(4)
    steps = {"torch64": sweep.Torch(4, "float32"), "numpy": made["numpy"]}
    X, y = moons(7)
    for step in steps.values():
        step.feed(X, y)
    with pytest.raises(sweep.MismatchError, match="torch64"):
        sweep.check(steps, made["tape"].layers(), "width 4, batch 7")


def test_a_quick_sweep_times_every_contender_and_prints_its_table(capsys):
    res = sweep.run(quick=True)
    json.dumps(res)  # make bench writes it as JSON
    assert [(r["width"], r["batch"]) for r in res["rows"]] == [(3, 1), (3, 5)]
    ran = {"tape", "eager", "numpy"} | ({"torch64", "torch32"} - set(res["skipped"]))
    for row in res["rows"]:
        assert set(row["step_seconds"]) == ran
        assert all(t > 0 for t in row["step_seconds"].values())
        assert set(row["peak_bytes"]) == {"tape", "numpy"}
        assert row["data_bytes"] == sweep.data_bytes(3, row["batch"])
    sweep.report(res)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["width", "batch", "rec", "s"]
    assert [line.split()[:2] for line in lines[1:3]] == [["3", "1"], ["3", "5"]]


@pytest.mark.torch
def test_each_goal_row_says_whether_the_goal_is_met(monkeypatch):
    monkeypatch.setattr(sweep, "GOALS", {(3, 1): 1e9, (3, 5): 1e-9})
    monkeypatch.setattr(sweep, "MEMORY_GOALS", {(3, 1): 1e9})
    res = sweep.run(quick=True)
    met, unmet = res["goals"]
    assert (met["status"], unmet["status"]) == ("goal met", "not yet")
    assert met["times_data"] == res["rows"][0]["peak_bytes"]["tape"] / sweep.data_bytes(3, 1)
    cells = sweep.goal_cells(res)
    assert cells[0].endswith(": goal met)") and cells[1].endswith(": not yet)")
    assert cells[2] is None  # no row at the floor's size in a quick sweep


def test_without_pytorch_the_sweep_runs_and_its_goals_say_why(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails
    monkeypatch.setattr(sweep, "GOALS", {(3, 5): 1.0})
    res = sweep.run(quick=True)
    reason = "torch is not installed (pip install 'chainrule[bench]')"
    assert res["skipped"] == {"torch64": reason, "torch32": reason}
    assert set(res["rows"][1]["step_seconds"]) == {"tape", "eager", "numpy"}
    assert sweep.goal_cells(res)[0] == f"not measured: {reason}"
    sweep.report(res)
    out = capsys.readouterr().out
    assert f"torch64: skipped, {reason}" in out
    assert out.splitlines()[2].split()[5:7] == ["skip", "skip"]


def test_rows_too_big_for_memory_or_time_are_skipped_with_the_reason(monkeypatch):
    monkeypatch.setattr(sweep, "EAGER_SECONDS", 0.0)  # any predicted eager step is too slow
    res = sweep.run(repeats=1, widths=(3,), batches=(1, 3, 5))
    first, second, third = (row["skipped"] for row in res["rows"])
    assert first == second == {}  # two eager rows are needed before one can be predicted
    assert set(third) == {"eager"} and third["eager"].endswith("s a step (fitted to smaller rows)")
    monkeypatch.setattr(sweep, "MEMORY_BYTES", 0)
    first, second = sweep.run(repeats=1, widths=(3,), batches=(1, 5))["rows"]
    assert first["skipped"]["eager"].startswith("its graph would take about")
    assert set(first["step_seconds"]) >= {"tape", "numpy"}  # the tape's peak is measured first
    assert set(second["skipped"]) == {"tape", "eager"}
    assert second["skipped"]["tape"].endswith("GB (its peak at batch 1, scaled)")
    assert "tape" not in second["step_seconds"] and "numpy" in second["step_seconds"]


def test_the_eager_time_is_predicted_from_the_rows_measured():
    a, b = 2e-6, 3e-9  # seconds per node, per node per example

    def seconds(nodes, batch_nodes, n):
        return a * nodes + b * batch_nodes * n

    history = [(100, 60, n, seconds(100, 60, n)) for n in (1, 1000)]
    history.append((900, 500, 10, seconds(900, 500, 10)))
    assert sweep.predict_eager(history[:1], 100, 60, 5) is None
    assert sweep.predict_eager(history, 5000, 4000, 100) == pytest.approx(
        seconds(5000, 4000, 100), rel=1e-9
    )


def test_the_command_line_fails_in_one_line_when_the_contenders_disagree(monkeypatch, capsys):
    monkeypatch.setattr(sweep, "hinge", sign_error)
    assert sweep.main(["--quick"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sweep, width 3, batch 1: ") and err.count("\n") == 1


def test_the_command_line_rejects_no_repeats(capsys):
    with pytest.raises(SystemExit) as stop:
        sweep.main(["--repeats", "0"])
    assert stop.value.code == 2
    assert "--repeats must be >= 1, got 0" in capsys.readouterr().err


def test_a_skipped_sweep_keeps_its_summary_rows_with_the_reason():
    lines = bench.summary({"skipped": {"sweep": "threadpoolctl is not installed (pip ...)"}})
    rows = [line for line in lines if line.startswith("moons sweep, ")]
    assert len(rows) == len(sweep.GOALS) + 1
    assert rows[0].startswith("moons sweep, tape, width 16, 1 point ")
    assert all(row.endswith("skipped: threadpoolctl is not installed (pip ...)") for row in rows)
