"""The model file: its architecture rebuilds the model (load_model), fit's recipe is recorded
(History.recipe, or None with a reason) and kept (save(training=)); old files still load."""

import json
import random
import re

import numpy as np
import pytest

import nn
from nn.attention import Projection
from nn.module import describe, load_model, read_model_file


def moons(n=24):
    return nn.make_moons(n, 0.1, seed=3)


# Every kind of model the architecture describes, each drawn from its own seed.
MODELS = {
    "mlp relu": lambda r: nn.MLP(2, [5, 4, 1], rng=r),
    "mlp tanh softmax dropout": lambda r: nn.MLP(
        2, [4, 3], activation="tanh", output_activation="softmax", dropout=0.25, rng=r
    ),
    "mlp sigmoid out": lambda r: nn.MLP(
        3, [4, 1], activation="gelu", output_activation="sigmoid", rng=r
    ),
    "mlp prelu": lambda r: nn.MLP(2, [3, 1], activation="prelu", rng=r),
    "mlp leaky module": lambda r: nn.MLP(2, [3, 2], activation=nn.LeakyReLU(0.2), rng=r),
    "mlp maxout": lambda r: nn.MLP(2, [3, 1], activation="maxout", pieces=3, rng=r),
    "linear": lambda r: nn.Linear(3, 2, rng=r),
    "layer": lambda r: nn.Layer(3, 2, activation="elu", rng=r),
    "neuron": lambda r: nn.Neuron(3, activation="swish", rng=r),
    "perceptron": lambda r: nn.Perceptron(3, lr=0.5),
    "sequential": lambda r: nn.Sequential(
        nn.Linear(2, 3, rng=r),
        nn.Tanh(),
        nn.Maxout(3, 2, pieces=3, rng=r),
        nn.Dropout(0.1),
        nn.Residual(nn.Linear(2, 2, rng=r)),
        nn.LayerNorm(2),
        nn.Swish(learnable=True),
        nn.Layer(2, 1, activation="sigmoid", rng=r),
    ),
    "batch norm": lambda r: nn.Sequential(nn.Linear(2, 3, rng=r), nn.BatchNorm1d(3), nn.ReLU()),
    "conv": lambda r: nn.Sequential(nn.Conv1d(2, 3, 2, padding=1, rng=r), nn.MaxPool1d(2)),
    "cells": lambda r: nn.Sequential(nn.GRUCell(2, 3, rng=r)),
    "rnn": lambda r: nn.RNNCell(2, 3, nonlinearity="relu", rng=r),
    "lstm": lambda r: nn.LSTMCell(2, 3, bias=False, rng=r),
    "attention": lambda r: nn.SelfAttention(4, causal=True, scale=0.3, rng=r),
    "heads": lambda r: nn.MultiHeadAttention(4, 2, bias=False, rng=r),
    "transformer": lambda r: nn.TransformerBlock(4, 2, 6, causal=True, rng=r),
    "feed-forward": lambda r: nn.FeedForward(4, 6, rng=r),
    "projection": lambda r: Projection(3, 2, bias=False, rng=r),
}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("kind", MODELS)
def test_load_model_rebuilds_every_described_model_with_its_numbers(kind, seed, tmp_path):
    model = MODELS[kind](random.Random(seed))
    for p in model.parameters():  # numbers no constructor would draw
        p.data += random.Random(seed + 7).uniform(-1, 1)
    path = tmp_path / "m.json"
    model.save(path)
    rebuilt = load_model(path)
    assert type(rebuilt) is type(model)
    assert rebuilt.state_dict() == model.state_dict()
    assert describe(rebuilt) == describe(model) == json.loads(path.read_text())["architecture"]
    assert "cannot_rebuild" not in json.dumps(describe(model))


def test_a_rebuilt_model_predicts_what_the_saved_one_did(tmp_path):
    X, _ = moons()
    model = nn.MLP(2, [6, 6, 1], activation="tanh", rng=5)
    model.save(tmp_path / "m.json")
    assert np.array_equal(nn.predict(load_model(tmp_path / "m.json"), X), nn.predict(model, X))


def test_load_model_keeps_the_global_random_generator(tmp_path):
    nn.MLP(2, [8, 1], rng=1).save(tmp_path / "m.json")
    random.seed(11)
    expected = random.random()
    random.seed(11)
    load_model(tmp_path / "m.json")
    assert random.random() == expected


def test_the_architecture_reads_as_constructor_arguments(tmp_path):
    nn.MLP(2, [16, 16, 1], activation="tanh", rng=0).save(tmp_path / "m.json")
    assert json.loads((tmp_path / "m.json").read_text())["architecture"] == {
        "type": "MLP",
        "args": {
            "nin": 2,
            "nouts": [16, 16, 1],
            "activation": "tanh",
            "output_activation": None,
            "dropout": 0.0,
            "pieces": 2,
        },
    }


class Doubler(nn.Module):
    """A module of one's own: the file cannot know its constructor."""

    def __init__(self):
        self.k = nn.Linear(4, 4, rng=0)

    def forward(self, x):
        return [2 * v for v in self.k(x)]


def test_a_model_the_file_cannot_describe_says_so_and_load_model_refuses_it_by_name(tmp_path):
    model = nn.Sequential(nn.Linear(4, 4, rng=0), Doubler())
    model.save(tmp_path / "m.json")
    saved = json.loads((tmp_path / "m.json").read_text())["architecture"]
    assert saved["args"]["modules"][1] == {
        "type": "Doubler",
        "cannot_rebuild": "the model file does not describe it",
    }
    with pytest.raises(ValueError, match=r"load_model\('.*m.json'\): the model.modules.1 "
                       r"\(Doubler\) cannot be rebuilt"):  # fmt: skip
        load_model(tmp_path / "m.json")
    other = nn.Sequential(nn.Linear(4, 4, rng=1), Doubler())
    other.load(tmp_path / "m.json")  # the weights still load into a model built by hand
    assert other.state_dict() == model.state_dict()


def test_a_transformer_block_whose_norms_were_changed_is_not_described():
    block = nn.TransformerBlock(4, 2, 8, rng=0)
    block.norm1.eps = block.norm2.eps = 1e-6
    assert describe(block)["cannot_rebuild"] == "its layer norms have eps 1e-06, 1e-06"


def test_a_model_changed_by_hand_after_it_was_made_is_not_described_as_its_constructor():
    model = nn.MLP(2, [3, 1], rng=0)
    model.layers[0].neurons[1].act = nn.activations.tanh  # one neuron unlike the others
    assert describe(model) == {"type": "MLP", "cannot_rebuild": "it was changed after it was made"}
    mine = nn.MLP(2, [3, 1], activation=lambda v: v * 2.0, rng=0)
    assert "is not one of nn's named ones" in describe(mine)["cannot_rebuild"]


def test_old_files_without_an_architecture_still_load_and_load_model_says_what_to_do(tmp_path):
    model = nn.MLP(3, [4, 2], activation="tanh", rng=0)
    path = tmp_path / "old.json"
    state = {"format": "chainrule-state-dict", "version": 1, "model": "MLP"}
    path.write_text(json.dumps({**state, "parameters": model.state_dict()}))
    fresh = nn.MLP(3, [4, 2], activation="tanh", rng=9).load(path)
    assert fresh.state_dict() == model.state_dict()
    said = r"load_model\('.*old.json'\): the file has no architecture .*as it was \(MLP\)"
    with pytest.raises(ValueError, match=said + r" and call model.load"):
        load_model(path)


@pytest.mark.parametrize(
    ("architecture", "message"),
    [
        ({"type": "Hopfield", "args": {}}, r"the model has the unknown type 'Hopfield'"),
        (
            {"type": "Sequential", "args": {"modules": [
                {"type": "Linear", "args": {"nin": 2, "nout": 2}},
                {"type": "Transformer9", "args": {}}]}},
            r"the model.modules.1 has the unknown type 'Transformer9'",
        ),
        ({"type": "Linear", "args": {"nin": 2, "nout": 2, "colour": 1}}, r"has arguments"),
        ({"type": "Linear"}, r"the model \(Linear\) has no 'args'"),
        ([1, 2], r"not described by a type"),
        ({"type": "Linear", "args": {"nin": 0, "nout": 2}}, r"does not build: .*nin"),
    ],
)  # fmt: skip
def test_load_model_refuses_a_bad_architecture_naming_the_file_and_the_piece(
    architecture, message, tmp_path
):
    path = tmp_path / "m.json"
    nn.Linear(2, 2, rng=0).save(path)
    payload = json.loads(path.read_text())
    payload["architecture"] = architecture
    path.write_text(json.dumps(payload))
    with pytest.raises(ValueError, match=r"load_model\('.*m.json'\): .*" + message):
        load_model(path)


def test_load_model_refuses_a_broken_file_as_load_does(tmp_path):
    path = tmp_path / "m.json"
    nn.Linear(2, 2, rng=0).save(path)
    path.write_text(path.read_text()[:-20])
    with pytest.raises(ValueError, match=r"load_model\('.*m.json'\): not valid JSON"):
        load_model(path)
    nn.Linear(2, 2, rng=0).save(path)
    path.write_text(path.read_text().replace("format", "formal"))
    with pytest.raises(ValueError, match=r"load_model\(.*not a chainrule model file"):
        load_model(path)


# --- fit's recipe --------------------------------------------------------------------------


def test_fit_records_everything_needed_to_redo_it():
    X, y = moons()
    model = nn.MLP(2, [4, 1], rng=2)
    start = model.state_dict()
    optimizer = nn.Adam(model.parameters(), lr=0.02, betas=(0.8, 0.99), eps=1e-7)
    scheduler = nn.StepLR(optimizer, 2, gamma=0.5)
    history = nn.fit(
        model, X, y, loss="bce_with_logits", optimizer=optimizer, scheduler=scheduler,
        epochs=3, batch_size=5, seed=4, l2=1e-3, l1=1e-4, clip_grad_norm=2.0, verbose=False,
    )  # fmt: skip
    recipe = history.recipe
    assert history.recipe_missing is None
    assert json.loads(json.dumps(recipe)) == recipe  # plain JSON
    assert recipe["loss"] == "bce_with_logits"
    assert recipe["optimizer"] == {
        "type": "Adam", "lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-7, "weight_decay": 0.0,
    }  # fmt: skip
    assert recipe["scheduler"] == {"type": "StepLR", "step_size": 2, "gamma": 0.5}
    assert (recipe["epochs"], recipe["batch_size"], recipe["shuffle"], recipe["seed"]) == (
        3, 5, True, 4,
    )  # fmt: skip
    assert (recipe["l2"], recipe["l1"], recipe["clip_grad_norm"]) == (1e-3, 1e-4, 2.0)
    assert recipe["X"] == X.tolist() and recipe["y"] == y.tolist()
    assert recipe["start"] == start != model.state_dict()  # the weights before training


def test_the_recipe_redoes_the_fit_to_the_last_bit():
    X, y = moons()
    model = nn.MLP(2, [4, 1], activation="tanh", rng=2)
    optimizer = nn.SGD(model.parameters(), lr=0.3, momentum=0.5, nesterov=True)
    history = nn.fit(model, X, y, loss="mse", optimizer=optimizer, epochs=3, batch_size=7,
                     verbose=False, scheduler=nn.ExponentialLR(optimizer, 0.9))  # fmt: skip
    r = history.recipe
    again = nn.MLP(2, [4, 1], activation="tanh", rng=99).load_state_dict(r["start"])
    o = r["optimizer"]
    opt = nn.SGD(again.parameters(), lr=o["lr"], momentum=o["momentum"], nesterov=o["nesterov"])
    redo = nn.fit(
        again, np.array(r["X"]), np.array(r["y"]), loss=r["loss"], optimizer=opt,
        epochs=r["epochs"], batch_size=r["batch_size"], shuffle=r["shuffle"], seed=r["seed"],
        scheduler=nn.ExponentialLR(opt, r["scheduler"]["gamma"]), verbose=False,
    )  # fmt: skip
    assert redo.loss == history.loss and again.state_dict() == model.state_dict()


def custom_loss(pred, target):
    return nn.mse_loss(pred, target)


class MySGD(nn.SGD):
    pass


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (lambda m: {"loss": custom_loss}, r"the loss is a function"),
        (lambda m: {"optimizer": MySGD(m.parameters(), lr=0.1)}, r"a MySGD; a recipe knows"),
        (
            lambda m: {"optimizer": nn.SGD(m.parameters()[:3], lr=0.1)},
            r"does not update exactly model.parameters\(\)",
        ),
        (lambda m: {"seed": np.random.default_rng(1)}, r"the seed is Generator"),
    ],
)
def test_a_fit_the_recipe_cannot_describe_trains_and_says_why(setup, reason):
    X, y = moons()
    model = nn.MLP(2, [3, 1], rng=0)
    args = {"loss": "mse", "optimizer": nn.SGD(model.parameters(), lr=0.1), **setup(model)}
    history = nn.fit(model, X, y, epochs=2, verbose=False, **args)
    assert len(history.loss) == 2  # trained all the same
    assert history.recipe is None
    assert history.recipe_missing is not None
    assert re.search(reason, history.recipe_missing)


@pytest.mark.parametrize("kind", ["SGD", "Adam", "RMSprop"])
def test_an_optimiser_that_stepped_before_this_fit_makes_no_recipe(kind):
    X, y = moons()
    model = nn.MLP(2, [3, 1], rng=0)
    optimizer = getattr(nn, kind)(
        model.parameters(), lr=0.01, **({"momentum": 0.9} if kind == "SGD" else {})
    )
    first = nn.fit(model, X, y, loss="mse", optimizer=optimizer, epochs=1, verbose=False)
    again = nn.fit(model, X, y, loss="mse", optimizer=optimizer, epochs=1, verbose=False)
    assert first.recipe is not None
    assert (
        again.recipe is None and f"the {kind} has stepped before this fit" in again.recipe_missing
    )


def test_a_scheduler_that_stepped_before_this_fit_makes_no_recipe():
    X, y = moons()
    model = nn.MLP(2, [3, 1], rng=0)
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    scheduler = nn.StepLR(optimizer, 1)
    scheduler.step()
    history = nn.fit(model, X, y, loss="mse", optimizer=optimizer, scheduler=scheduler,
                     epochs=1, verbose=False)  # fmt: skip
    assert history.recipe is None and "stepped 1 times" in history.recipe_missing


def test_save_keeps_the_recipe_and_the_losses_and_reads_back(tmp_path):
    X, y = moons()
    model = nn.MLP(2, [4, 1], rng=1)
    optimizer = nn.RMSprop(model.parameters(), lr=0.01)
    history = nn.fit(model, X, y, loss="mse", optimizer=optimizer, epochs=2, verbose=False)
    model.save(tmp_path / "m.json", training=history)
    saved = read_model_file(tmp_path / "m.json")
    assert saved["training"] == {**history.recipe, "losses": history.loss}
    assert load_model(tmp_path / "m.json").state_dict() == model.state_dict()


def test_save_refuses_a_history_without_a_recipe_and_writes_nothing(tmp_path):
    X, y = moons()
    model = nn.MLP(2, [3, 1], rng=0)
    history = nn.fit(model, X, y, loss=custom_loss, optimizer=nn.SGD(model.parameters()),
                     epochs=1, verbose=False)  # fmt: skip
    path = tmp_path / "m.json"
    path.write_text("old")
    with pytest.raises(ValueError, match=r"save\('.*m.json'\): the History has no recipe to "
                       r"save: the loss is a function"):  # fmt: skip
        model.save(path, training=history)
    with pytest.raises(TypeError, match=r"save\(.*training must be the History nn.fit returned"):
        model.save(path, training={"loss": "mse"})
    assert path.read_text() == "old"
