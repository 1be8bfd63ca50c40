"""fit, evaluate and predict: batched training, the documented results, and clear failures."""

import io
import math
import random

import numpy as np
import pytest

import nn
from autograd import Value


def moons_demo(batched=True):
    """micrograd's demo: moons, MLP(2, [16, 16, 1]), hinge + 1e-4 L2, lr 1.0 - 0.9 k / 100."""
    model, X, y, history = moons_demo_steps(100, batched)
    return model, X, 2 * y - 1, history


def test_moons_demo_reaches_at_least_97_percent_in_100_full_batch_steps():
    model, X, y, history = moons_demo()
    assert history.steps == 100 and len(history.loss) == 100
    assert history.lr[0] == 1.0 and history.lr[99] == pytest.approx(1.0 - 0.9 * 99 / 100)
    _, accuracy = nn.evaluate(model, X, y, "hinge")
    assert accuracy >= 0.97
    assert history.loss[-1] < history.loss[0] / 10


def test_first_steps_equal_micrograds_own_loop_one_example_at_a_time():
    """Batched fit and the per-example graph give the same numbers as micrograd's demo loop."""
    _, _, _, batched = moons_demo_steps(2, batched=True)
    _, _, _, eager = moons_demo_steps(2, batched=False)
    assert batched.loss == pytest.approx(eager.loss, abs=1e-12)
    mg_engine = pytest.importorskip("micrograd.engine")
    mg_nn = pytest.importorskip("micrograd.nn")
    X, y = nn.make_moons(100, 0.1, seed=1337)
    y = 2 * y - 1
    random.seed(1337)
    model = mg_nn.MLP(2, [16, 16, 1])
    losses = []
    for k in range(2):
        scores = [model([mg_engine.Value(a), mg_engine.Value(b)]) for a, b in X.tolist()]
        data_loss = sum((1 + -yi * s).relu() for yi, s in zip(y.tolist(), scores)) * (1 / 100)
        loss = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        losses.append(loss.data)
    assert batched.loss == pytest.approx(losses, abs=1e-12)


def moons_demo_steps(steps, batched):
    X, y = nn.make_moons(100, 0.1, seed=1337)
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    opt = nn.SGD(model.parameters(), lr=1.0)
    sched = nn.LinearLR(opt, 1.0, 0.1, total_iters=100)
    history = nn.fit(
        model, X, 2 * y - 1, loss="hinge", optimizer=opt, epochs=steps, l2=1e-4,
        scheduler=sched, shuffle=False, batched=batched,
    )  # fmt: skip
    return model, X, y, history


def test_mlp_with_tanh_learns_xor():
    X, y = nn.logic_gate("xor")
    model = nn.MLP(2, [4, 1], activation="tanh", rng=0)
    opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = nn.fit(model, X, y, loss="mse", optimizer=opt, epochs=300)
    assert history.accuracy[-1] == 1.0 and history.loss[-1] < 1e-3
    assert np.abs(nn.predict(model, X) - y).max() < 0.05


def test_same_seed_gives_identical_training():
    def run():
        X, y = nn.make_blobs(60, centers=3, seed=2)
        model = nn.MLP(2, [8, 3], activation="relu", dropout=0.2, init="he_uniform", rng=4)
        opt = nn.Adam(model.parameters(), lr=0.02)
        history = nn.fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=3,
                         batch_size=16, seed=9)  # fmt: skip
        return history, [p.data for p in model.parameters()]

    (h1, p1), (h2, p2) = run(), run()
    assert h1.loss == h2.loss and h1.accuracy == h2.accuracy and p1 == p2


def test_minibatch_and_stochastic_steps_and_validation_history():
    X, y = nn.make_blobs(40, centers=2, std=0.5, seed=1)
    model = nn.MLP(2, [4, 2], activation="tanh", rng=1)
    opt = nn.SGD(model.parameters(), lr=0.05)
    history = nn.fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=2, batch_size=16,
                     validation_data=(X[:10], y[:10]))  # fmt: skip
    assert history.steps == 2 * 3 and len(history.val_loss) == len(history.val_accuracy) == 2
    val_loss, val_acc = nn.evaluate(model, X[:10], y[:10], "cross_entropy")
    assert history.val_loss[-1] == pytest.approx(val_loss) and history.val_accuracy[-1] == val_acc
    history = nn.fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=1, batch_size=1)
    assert history.steps == 40


def test_batched_step_gives_the_same_gradients_as_one_example_at_a_time():
    X, y = nn.make_blobs(12, centers=3, seed=3)
    results = []
    for batched in (True, False):
        model = nn.MLP(2, [5, 3], activation="tanh", rng=2)
        opt = nn.SGD(model.parameters(), lr=0.1)
        nn.fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=2, batch_size=5,
               batched=batched)  # fmt: skip
        results.append([p.data for p in model.parameters()])
    assert results[0] == pytest.approx(results[1], abs=1e-12)


def test_a_loss_turning_infinite_stops_with_the_step_number():
    X, y = nn.make_blobs(32, centers=2, seed=0)
    model = nn.MLP(2, [8, 1], activation="relu", rng=0)
    opt = nn.SGD(model.parameters(), lr=1e6)
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(
            nn.DivergedError, match=r"fit: the loss became (nan|inf) at step \d+ "
        ) as info:
            nn.fit(model, X, y * 1e3, loss="mse", optimizer=opt, epochs=50, batch_size=8)
    err = info.value
    assert err.step >= 2 and f"at step {err.step} (epoch {err.epoch}, batch " in str(err)
    assert err.epoch == (err.step - 1) // 4 + 1  # 4 batches of 8 per epoch
    assert len(err.history.loss) == err.epoch - 1  # the epochs that finished


def test_fit_rejects_bad_settings():
    X, y = nn.logic_gate("and")
    model = nn.MLP(2, [1], rng=0)
    opt = nn.SGD(model.parameters())
    with pytest.raises(ValueError, match=r"fit: unknown loss 'mae'; choose one of 'mse'"):
        nn.fit(model, X, y, loss="mae", optimizer=opt)
    with pytest.raises(ValueError, match=r"fit: epochs must be a whole number >= 1, got 0"):
        nn.fit(model, X, y, loss="mse", optimizer=opt, epochs=0)


def test_label_mixups_are_caught_before_training():
    X, y = nn.make_moons(20, seed=0)
    model = nn.MLP(2, [4, 1], rng=0)
    opt = nn.SGD(model.parameters())
    with pytest.raises(ValueError, match=r"hinge loss needs labels -1 and \+1, got \[0, 1\]"):
        nn.fit(model, X, y, loss="hinge", optimizer=opt)
    with pytest.raises(ValueError, match=r"cross_entropy needs whole-number class labels"):
        nn.fit(model, X, y + 0.5, loss="cross_entropy", optimizer=opt)


def test_class_labels_as_floats_or_one_hot_rows_train_the_same():
    X, y = nn.make_blobs(30, centers=3, seed=1)
    results = []
    for target in (y, y.astype(float), np.eye(3)[y]):
        model = nn.MLP(2, [4, 3], activation="tanh", rng=3)
        opt = nn.SGD(model.parameters(), lr=0.1)
        history = nn.fit(model, X, target, loss="cross_entropy", optimizer=opt, epochs=2)
        results.append((history.loss, history.accuracy))
    assert results[0][0] == pytest.approx(results[1][0], abs=1e-12) == results[2][0]
    assert results[0][1] == results[1][1] == results[2][1]


def test_fit_with_a_custom_loss_and_no_metric():
    X, y = nn.logic_gate("or")
    model = nn.MLP(2, [1], rng=0)
    history = nn.fit(model, X, y, loss=nn.losses.mse_loss, optimizer=nn.SGD(model.parameters()),
                     epochs=2, metric=None)  # fmt: skip
    assert history.accuracy == [None, None] and all(math.isfinite(v) for v in history.loss)


def test_fit_prints_nothing_when_the_stream_is_not_a_terminal():
    stream = io.StringIO()
    X, y = nn.logic_gate("and")
    model = nn.MLP(2, [1], rng=0)
    nn.fit(model, X, y, loss="mse", optimizer=nn.SGD(model.parameters()), epochs=3, stream=stream)
    assert stream.getvalue() == ""
    nn.fit(model, X, y, loss="mse", optimizer=nn.SGD(model.parameters()), epochs=3,
           stream=stream, verbose=True)  # fmt: skip
    text = stream.getvalue()
    assert text.startswith("\r") and text.endswith("\n") and text.count("\n") == 1
    assert "3/3 [" in text and "loss=" in text and "acc=" in text


def test_predict_is_in_eval_mode_and_records_no_graph():
    model = nn.MLP(2, [3, 1], dropout=0.5, rng=0)
    X = np.array([[0.1, 0.2], [0.3, -0.4]])
    a, b = nn.predict(model, X), nn.predict(model, X)
    assert np.array_equal(a, b) and model.training
    assert np.allclose(a, [model.eval()(row).data for row in X.tolist()], atol=1e-12)
    model.train()
    out = model([Value(X[:, 0]), Value(X[:, 1])])
    assert out.inputs  # outside predict the graph is recorded


@pytest.mark.slow
def test_digits_64_32_10_reaches_95_percent_test_accuracy_with_minibatch_adam():
    pytest.importorskip("sklearn")
    X, y = nn.load_digits()
    X_train, X_test, y_train, y_test = nn.train_test_split(X, y, 0.2, seed=0)
    model = nn.MLP(64, [32, 10], activation="tanh", init="xavier_uniform", rng=0)
    opt = nn.Adam(model.parameters(), lr=0.01)
    nn.fit(model, X_train, y_train, loss="cross_entropy", optimizer=opt, epochs=5,
           batch_size=64, seed=0)  # fmt: skip
    _, accuracy = nn.evaluate(model, X_test, y_test, "cross_entropy")
    assert accuracy >= 0.95
    probs = nn.functional.softmax([Value(v) for v in nn.predict(model, X_test[:1])[0]])
    assert sum(p.data for p in probs) == pytest.approx(1.0)


def fit_both_ways(make_model, X, y, **kwargs):
    """(history, parameters) from fit replaying tapes and from fit building every graph."""
    results = []
    for tape in (None, False):
        model = make_model()
        opt = nn.Adam(model.parameters(), lr=0.02)
        history = nn.fit(model, X, y, optimizer=opt, tape=tape, **kwargs)
        results.append((history, np.array([p.data for p in model.parameters()])))
    return results


@pytest.mark.parametrize(
    "loss,make_data,nouts",
    [
        ("hinge", lambda: (lambda X, y: (X, 2 * y - 1))(*nn.make_moons(70, 0.1, seed=2)), 1),
        ("cross_entropy", lambda: nn.make_blobs(70, centers=3, seed=4), 3),
        ("mse", lambda: (lambda X, y: (X, np.eye(3)[y]))(*nn.make_blobs(70, centers=3)), 3),
        ("bce_with_logits", lambda: nn.make_moons(70, 0.1, seed=5), 1),
    ],
)
def test_fit_with_tapes_agrees_with_eager_fit_to_1e_10(loss, make_data, nouts, monkeypatch):
    from autograd.tape import Tape

    replays = []
    run = Tape.run  # what fit replays a tape with (Tape.step is run plus writing .grad)
    monkeypatch.setattr(Tape, "run", lambda tape, *a: replays.append(1) or run(tape, *a))
    X, y = make_data()
    (taped, p_taped), (eager, p_eager) = fit_both_ways(
        lambda: nn.MLP(2, [8, 8, nouts], activation="tanh", rng=6), X, y, loss=loss,
        epochs=4, batch_size=16, l2=1e-4, validation_data=(X[:20], y[:20]),
    )  # fmt: skip
    assert np.abs(p_taped - p_eager).max() < 1e-10  # 70 = 4 x 16 + 6: a smaller last batch
    assert taped.loss == pytest.approx(eager.loss, abs=1e-10)
    assert taped.accuracy == eager.accuracy and taped.val_loss == pytest.approx(eager.val_loss)
    assert len(replays) == taped.steps == 4 * 5  # every step of the first fit was a replay


def recorded_batches(monkeypatch):
    """The batch size of every Tape recorded from now on, in order."""
    from autograd.tape import Tape

    sizes, record = [], Tape.__init__
    monkeypatch.setattr(
        Tape, "__init__", lambda tape, root, ins, ps: sizes.append(len(ins[0].data)) or
        record(tape, root, ins, ps),
    )  # fmt: skip
    return sizes


def test_one_tape_serves_the_full_batches_and_the_short_last_one(monkeypatch):
    """Recording costs several replays: 70 = 4 x 16 + 6, and the 6 replay the 16's tape."""
    sizes = recorded_batches(monkeypatch)
    X, y = nn.make_blobs(70, centers=3, seed=4)
    (taped, p_taped), (eager, p_eager) = fit_both_ways(
        lambda: nn.MLP(2, [8, 3], activation="tanh", rng=6), X, y, loss="cross_entropy",
        epochs=3, batch_size=16,
    )  # fmt: skip
    assert sizes == [16]  # the eager fit records none
    assert np.abs(p_taped - p_eager).max() < 1e-10
    assert taped.loss == pytest.approx(eager.loss, abs=1e-10)


def test_a_frozen_softmax_shift_that_overflows_is_recorded_afresh_without_warnings(monkeypatch):
    """The tape freezes the first batch's logit maxima; x = 2000 then overflows e^(z - max).
    fit records that batch afresh (its own maxima) and agrees with eager mode, silently."""
    import warnings

    sizes = recorded_batches(monkeypatch)
    X, y = np.array([[0.0], [0.1], [2000.0], [-2000.0]]), np.array([0, 1, 1, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's overflow warning would fail the test
        (taped, p_taped), (eager, p_eager) = fit_both_ways(
            lambda: nn.MLP(1, [2], rng=0), X, y, loss="cross_entropy", epochs=1,
            batch_size=2, shuffle=False,
        )  # fmt: skip
    assert sizes == [2, 2]
    assert np.abs(p_taped - p_eager).max() < 1e-10
    assert taped.loss == pytest.approx(eager.loss, rel=1e-12)


def test_fit_uses_no_tape_where_one_would_freeze_dropout_or_a_custom_loss():
    X, y = nn.make_moons(20, seed=0)
    model = nn.MLP(2, [4, 1], dropout=0.2, rng=0)
    opt = nn.SGD(model.parameters())
    nn.fit(model, X, 2 * y - 1, loss="hinge", optimizer=opt, epochs=1)  # eager, silently
    with pytest.raises(ValueError, match="tape=True is not possible here: Dropout draws"):
        nn.fit(model, X, 2 * y - 1, loss="hinge", optimizer=opt, tape=True)
    plain = nn.MLP(2, [4, 1], rng=0)
    with pytest.raises(ValueError, match="tape=True is not possible here: a custom loss"):
        nn.fit(plain, X, y, loss=nn.losses.mse_loss, optimizer=opt, tape=True)
    with pytest.raises(TypeError, match="fit: tape must be None, True or False, got 'yes'"):
        nn.fit(plain, X, y, loss="mse", optimizer=opt, tape="yes")


@pytest.mark.parametrize("tape", [True, False])
def test_a_class_label_out_of_range_is_caught_with_or_without_a_tape(tape):
    X, y = nn.make_blobs(12, centers=3, seed=0)
    model = nn.MLP(2, [4, 3], rng=0)
    with pytest.raises(ValueError, match=r"cross_entropy: classes must be in 0\.\.2"):
        nn.fit(model, X, y + 1, loss="cross_entropy", optimizer=nn.SGD(model.parameters()),
               tape=tape)  # fmt: skip


def test_the_garbage_collector_is_paused_for_each_step_and_restored_after():
    """Values make no cycles, so fit turns Python's cyclic collector off while a step builds
    and backpropagates its graph; it is on again between steps, after fit, and after an error."""
    import gc

    seen = []

    def mse_noting_the_collector(outputs, targets):
        seen.append(gc.isenabled())
        return nn.losses.mse_loss(outputs, targets)

    X, y = nn.logic_gate("or")
    model = nn.MLP(2, [2, 1], rng=0)
    opt = nn.SGD(model.parameters())
    assert gc.isenabled()
    nn.fit(model, X, y, loss=mse_noting_the_collector, optimizer=opt, epochs=3, metric=None)
    assert seen == [False, False, False] and gc.isenabled()

    def failing(outputs, targets):
        raise RuntimeError("a loss that fails")

    with pytest.raises(RuntimeError, match="a loss that fails"):
        nn.fit(model, X, y, loss=failing, optimizer=opt, epochs=1, metric=None)
    assert gc.isenabled()
    gc.disable()  # a caller who turned it off keeps it off
    try:
        nn.fit(model, X, y, loss="mse", optimizer=opt, epochs=1)
        assert not gc.isenabled()
    finally:
        gc.enable()
