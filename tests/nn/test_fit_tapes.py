"""fit keeps a model's tape for its next call, and its numbers in arrays between steps: both
give exactly what recording afresh and writing every parameter give, and any change to what
decides the graph records a new tape."""

import copy
import gc
import math
import weakref

import numpy as np
import pytest

import nn
from autograd import Value
from autograd.tape import Tape


@pytest.fixture
def recorded(monkeypatch):
    """The batch size of every Tape recorded from now on, in order."""
    sizes, record = [], Tape.__init__
    monkeypatch.setattr(
        Tape, "__init__", lambda tape, root, ins, ps: sizes.append(len(ins[0].data)) or
        record(tape, root, ins, ps),
    )  # fmt: skip
    return sizes


def blobs():
    return nn.make_blobs(40, centers=3, seed=4)


def new_model():
    return nn.MLP(2, [6, 3], activation="tanh", rng=6)


def numbers(model):
    return np.array([p.data for p in model.parameters()] + [p.grad for p in model.parameters()])


def fit_twice(model, X, y, tape, **kwargs):
    """Two fit calls of one epoch each, as a lesson's loop makes them; the final numbers."""
    opt = nn.Adam(model.parameters(), lr=0.02)
    for seed in (1, 2):
        nn.fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=1, batch_size=16,
               seed=seed, verbose=False, tape=tape, **kwargs)  # fmt: skip
    return numbers(model)


def test_the_second_fit_call_replays_the_first_calls_tape_and_agrees_with_eager(recorded):
    X, y = blobs()
    taped = fit_twice(new_model(), X, y, tape=True, l2=1e-3)
    assert recorded == [16]  # one tape for both calls
    eager = fit_twice(new_model(), X, y, tape=False, l2=1e-3)
    assert np.abs(taped - eager).max() < 1e-10


def swap_a_weight(m):
    m.layers[0].neurons[0].w[0] = Value(0.25)


def change_an_activation(m):
    m.layers[0].neurons[2].act = nn.activations.ACTIVATIONS["relu"]


def softmax_the_output(m):
    m.layers[1].softmax = True


def add_a_layer(m):
    m.layers.insert(1, nn.Layer(6, 6, activation="tanh", rng=1))


@pytest.mark.parametrize(
    "change", [swap_a_weight, change_an_activation, softmax_the_output, add_a_layer]
)
def test_a_model_changed_between_fit_calls_records_a_new_tape(change, recorded):
    X, y = blobs()
    models = []
    for tape in (True, False):
        model = new_model()
        opt = nn.Adam(model.parameters(), lr=0.02)
        nn.fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=1, batch_size=16,
               verbose=False, tape=tape)  # fmt: skip
        change(model)
        fit_twice(model, X, y, tape=tape)  # a new optimiser over the new parameters
        models.append(numbers(model))
    assert recorded == [16, 16]  # the first fit's tape, then one for the changed model
    assert np.abs(models[0] - models[1]).max() < 1e-10


@pytest.mark.parametrize(
    "first, then",
    [
        ({"l2": 1e-3}, {"l2": 2e-3}),
        ({"l2": 1e-3}, {}),
        ({}, {"l1": 1e-3}),
        ({"loss": "cross_entropy"}, {"loss": "mse"}),
    ],
)
def test_other_penalties_or_another_loss_record_a_new_tape(first, then, recorded):
    X, y = blobs()
    results = []
    for tape in (True, False):
        model = new_model()
        opt = nn.Adam(model.parameters(), lr=0.02)
        for kwargs in (first, then):
            kwargs = {"loss": "cross_entropy", **kwargs}
            target = np.eye(3)[y] if kwargs["loss"] == "mse" else y
            nn.fit(model, X, target, optimizer=opt, epochs=1, batch_size=16, verbose=False,
                   tape=tape, **kwargs)  # fmt: skip
        results.append(numbers(model))
    assert recorded == [16, 16]
    assert np.abs(results[0] - results[1]).max() < 1e-10


def test_one_hot_targets_after_class_labels_record_a_new_tape(recorded):
    X, y = blobs()
    model = new_model()
    fit_twice(model, X, y, tape=True)
    fit_twice(model, X, np.eye(3)[y], tape=True)
    assert recorded == [16, 16]


class Scaled(nn.Module):
    """A module whose forward reads a class attribute: changing it changes the graph."""

    factor = 2.0

    def __init__(self):
        self.inner = nn.Linear(2, 3, rng=0)

    def forward(self, x):
        return [v * self.factor for v in self.inner(x)]


def test_a_changed_class_attribute_records_a_new_tape(recorded, monkeypatch):
    X, y = blobs()
    model = Scaled()
    fit_twice(model, X, y, tape=True)
    monkeypatch.setattr(Scaled, "factor", 3.0)
    taped = fit_twice(model, X, y, tape=True)
    assert recorded == [16, 16]
    again = Scaled()
    fit_twice(again, X, y, tape=False)
    monkeypatch.setattr(Scaled, "factor", 2.0)
    fit_twice(again, X, y, tape=False)  # a different history from here: just not the same
    assert not np.array_equal(taped, numbers(again))


class Masked(nn.Module):
    """A module holding an array fit cannot vouch for: it may change in place."""

    def __init__(self):
        self.inner = nn.Linear(2, 3, rng=0)
        self.mask = np.ones(3)

    def forward(self, x):
        return [v * float(m) for v, m in zip(self.inner(x), self.mask)]


def test_a_module_holding_an_array_records_a_tape_every_call(recorded):
    X, y = blobs()
    model = Masked()
    fit_twice(model, X, y, tape=True)
    model.mask[1] = 0.0  # changed in place: a kept tape would still multiply by 1
    taped = fit_twice(model, X, y, tape=True)
    assert recorded == [16, 16, 16, 16]
    eager = Masked()
    fit_twice(eager, X, y, tape=False)
    eager.mask[1] = 0.0
    assert np.abs(taped - fit_twice(eager, X, y, tape=False)).max() < 1e-10


def test_a_larger_batch_in_a_later_call_records_again(recorded):
    X, y = blobs()
    model = new_model()
    opt = nn.SGD(model.parameters(), lr=0.1)
    for size in (8, 16, 8):
        nn.fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=1, batch_size=size,
               verbose=False)  # fmt: skip
    assert recorded == [8, 16]  # the 16's tape serves the batches of 8 after it


def test_the_kept_tape_does_not_keep_its_model_alive():
    X, y = blobs()
    model = new_model()
    fit_twice(model, X, y, tape=True)
    alive = weakref.ref(model)
    del model
    gc.collect()
    assert alive() is None


def fit_once(optimizer, clip=None, **kwargs):
    X, y = nn.make_moons(50, 0.1, seed=3)
    model = nn.MLP(2, [8, 8, 1], activation="tanh", rng=2)
    opt = optimizer(model.parameters())
    history = nn.fit(model, X, 2 * y - 1, loss="hinge", optimizer=opt, epochs=3, batch_size=16,
                     clip_grad_norm=clip, verbose=False, **kwargs)  # fmt: skip
    return numbers(model), history


@pytest.mark.parametrize(
    "optimizer",
    [
        lambda ps: nn.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
        lambda ps: nn.Adam(ps, lr=0.02, weight_decay=1e-3),
        lambda ps: nn.RMSprop(ps, lr=0.01),
    ],
)
def test_numbers_kept_in_arrays_are_bit_for_bit_those_written_every_step(optimizer):
    """A clip that never clips makes fit write .grad and .data every step: the same bits."""
    arrays, history = fit_once(optimizer, l2=1e-4)
    written, history_written = fit_once(optimizer, clip=math.inf, l2=1e-4)
    assert arrays.tobytes() == written.tobytes()
    assert history.loss == history_written.loss


class Halved(nn.SGD):
    """An optimiser with a step of its own: fit must call it, on the parameters' .grad."""

    def step(self):
        for p in self.params:
            p.data -= 0.5 * self.lr * p.grad


def test_an_optimiser_with_its_own_step_gets_the_gradients_as_grad():
    taped, _ = fit_once(lambda ps: Halved(ps, lr=0.1))
    eager, _ = fit_once(lambda ps: Halved(ps, lr=0.1), tape=False)
    assert np.abs(taped - eager).max() < 1e-10


def test_a_diverged_fit_leaves_the_numbers_of_its_last_step():
    X, y = nn.make_blobs(32, centers=2, seed=0)
    states = []
    for clip in (None, math.inf):  # arrays, then .data and .grad written every step
        model = nn.MLP(2, [8, 1], activation="relu", rng=0)
        opt = nn.SGD(model.parameters(), lr=1e6)
        with np.errstate(over="ignore", invalid="ignore"):
            with pytest.raises(nn.DivergedError):
                nn.fit(model, X, y * 1e3, loss="mse", optimizer=opt, epochs=50, batch_size=8,
                       clip_grad_norm=clip, verbose=False)  # fmt: skip
        states.append(numbers(model))
    assert states[0].tobytes() == states[1].tobytes()


def test_validation_each_epoch_sees_that_epochs_parameters():
    X, y = blobs()
    seen = []
    for tape in (True, False):
        model = new_model()
        opt = nn.SGD(model.parameters(), lr=0.1)
        history = nn.fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=3,
                         batch_size=16, validation_data=(X, y), tape=tape,
                         verbose=False)  # fmt: skip
        seen.append(history.val_loss)
    assert seen[0] == pytest.approx(seen[1], abs=1e-12) and seen[0][0] != seen[0][-1]


def test_a_copied_model_gets_its_own_tape(recorded):
    X, y = blobs()
    model = new_model()
    fit_twice(model, X, y, tape=True)
    twin = copy.deepcopy(model)
    fit_twice(twin, X, y, tape=True)
    assert recorded == [16, 16]  # new Values: the first model's tape feeds not one of them


class Listed(nn.Module):
    """A module whose class holds a list: it may change in place, so no tape is kept."""

    scales = [1.0, 1.0, 1.0]

    def __init__(self):
        self.inner = nn.Linear(2, 3, rng=0)

    def forward(self, x):
        return [v * s for v, s in zip(self.inner(x), self.scales)]


def test_a_module_whose_class_holds_a_list_records_a_tape_every_call(recorded):
    X, y = blobs()
    model, eager = Listed(), Listed()
    try:
        fit_twice(model, X, y, tape=True)
        fit_twice(eager, X, y, tape=False)
        Listed.scales[2] = 0.5  # changed in place: a kept tape would still multiply by 1
        taped = fit_twice(model, X, y, tape=True)
        assert recorded == [16, 16, 16, 16]
        assert np.abs(taped - fit_twice(eager, X, y, tape=False)).max() < 1e-10
    finally:
        Listed.scales[2] = 1.0
