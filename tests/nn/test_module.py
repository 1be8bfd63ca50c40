"""Module: parameters and their names, modes, scope tags, and saving/loading state as JSON."""

import json
import os
import random

import numpy as np
import pytest

import nn
from autograd import Value


def small_model(seed=0):
    return nn.MLP(3, [4, 2], activation="tanh", rng=seed)


def test_mlp_draws_micrograds_weights_after_the_same_seed():
    micrograd = pytest.importorskip("micrograd.nn")
    random.seed(1337)
    ours = nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    theirs = micrograd.MLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    x = [0.5, -1.5]
    assert ours(x).data == pytest.approx(theirs(x).data, abs=1e-12)


def test_named_parameters_are_dotted_stable_and_complete():
    model = small_model()
    names = [n for n, _ in model.named_parameters()]
    assert names[:4] == [
        "layers.0.neurons.0.w.0",
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.w.2",
        "layers.0.neurons.0.b",
    ]
    assert names[-1] == "layers.1.neurons.1.b"
    assert len(names) == len(set(names)) == 4 * (3 + 1) + 2 * (4 + 1)
    assert names == [n for n, _ in small_model().named_parameters()]
    assert model.parameters() == [p for _, p in model.named_parameters()]


def test_zero_grad_clears_every_parameter():
    model = small_model()
    out = model([1.0, 2.0, 3.0])
    (out[0] * out[1]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_train_and_eval_switch_every_module_inside():
    model = nn.MLP(2, [3, 1], dropout=0.5, rng=1)
    model.eval()
    names = [name for name, _ in model.named_modules()]
    assert names[:3] == ["", "layers.0", "layers.0.neurons.0"] and names[-1] == "dropout"
    assert [m.training for _, m in model.named_modules()] == [False] * 8  # 1 + 4 + 2 + 1
    assert model.train() is model
    assert all(m.training for _, m in model.named_modules())


def test_nodes_made_inside_a_neuron_carry_its_scope_path():
    model = small_model()
    out = model([Value(1.0, "x0"), Value(2.0, "x1"), Value(3.0, "x2")])
    assert out[0].scope == "layer2.neuron1"
    assert out[1].scope == "layer2.neuron2"
    first = out[0].inputs[0]  # the tanh's input: a sum made in the same neuron
    assert first.scope == "layer2.neuron1"
    scopes = {n.scope for n in _graph(out[0])}
    assert {"layer1.neuron1", "layer1.neuron4", "layer2.neuron1"} <= scopes
    assert "layer2.neuron2" not in scopes


def test_parameters_carry_the_scope_of_their_neuron():
    model = small_model()
    named = dict(model.named_parameters())
    assert named["layers.0.neurons.2.w.1"].scope == "layer1.neuron3"
    assert named["layers.1.neurons.0.b"].scope == "layer2.neuron1"
    layer = nn.Layer(2, 2)
    assert layer.neurons[1].w[0].scope == "neuron2"


def test_sequential_names_its_layers_and_chains_them():
    seq = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Tanh(), nn.Linear(3, 1, rng=1))
    x = [0.3, -0.7]
    h = [v.tanh() for v in seq.layers[0](x)]
    assert seq(x).data == pytest.approx(seq.layers[2](h).data, abs=1e-15)
    assert seq.layers[2].neurons[0].w[0].scope == "layer3.neuron1"
    with pytest.raises(TypeError, match=r"Sequential: item 1 must be a Module, got function"):
        nn.Sequential(nn.Linear(2, 2), lambda x: x)


def test_state_dict_round_trip_gives_identical_predictions():
    a, b = small_model(1), small_model(2)
    x = [0.1, -0.2, 0.3]
    assert a(x)[0].data != b(x)[0].data
    b.load_state_dict(a.state_dict())
    assert [v.data for v in b(x)] == [v.data for v in a(x)]


def test_save_and_load_round_trip_through_a_real_file(tmp_path):
    a, b = small_model(1), small_model(2)
    path = tmp_path / "model.json"
    a.save(path)
    payload = json.loads(path.read_text())
    assert payload["format"] == "chainrule-state-dict" and payload["model"] == "MLP"
    b.load(path)
    x = [0.4, 0.5, -0.6]
    assert [v.data for v in b(x)] == [v.data for v in a(x)]
    assert [f.name for f in tmp_path.iterdir()] == ["model.json"]  # no temp file left behind


def _check_rejected(tmp_path, text, match):
    """Write `text` as a model file; loading it must fail clearly and change nothing."""
    path = tmp_path / "bad.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    model = small_model(3)
    before = model.state_dict()
    with pytest.raises(ValueError, match=match):
        model.load(path)
    assert model.state_dict() == before


def test_truncated_file_is_a_clear_error_and_the_model_is_unchanged(tmp_path):
    good = tmp_path / "good.json"
    small_model(1).save(good)
    text = good.read_text()
    _check_rejected(tmp_path, text[: len(text) // 2], r"not valid JSON .*truncated or corrupt")


def test_corrupt_files_are_clear_errors(tmp_path):
    _check_rejected(tmp_path, b"\xff\xfe\x00garbage", r"not UTF-8")
    _check_rejected(tmp_path, '{"hello": 1}', r"not a chainrule model file")
    _check_rejected(tmp_path, "[1, 2]", r"not a chainrule model file")
    bad = {"format": "chainrule-state-dict", "version": 99, "parameters": {}}
    _check_rejected(tmp_path, json.dumps(bad), r"file version 99, this chainrule reads 1")
    state = small_model(1).state_dict()
    state["layers.0.neurons.0.b"] = float("nan")
    text = json.dumps({"format": "chainrule-state-dict", "version": 1, "parameters": state})
    _check_rejected(tmp_path, text, r"NaN is not a number JSON allows")


def test_a_mismatched_file_names_what_is_missing_extra_or_misshaped(tmp_path):
    other = tmp_path / "other.json"
    nn.MLP(3, [5, 2], rng=0).save(other)  # one more hidden neuron
    _check_rejected(tmp_path, other.read_text(), r"unexpected layers\.0\.neurons\.4\.w\.0")
    nn.MLP(3, [3, 2], rng=0).save(other)
    _check_rejected(tmp_path, other.read_text(), r"missing layers\.0\.neurons\.3\.w\.0")
    payload = json.loads(other.read_text())
    payload["parameters"] = small_model().state_dict()
    payload["parameters"]["layers.1.neurons.0.b"] = [1.0, 2.0]
    _check_rejected(tmp_path, json.dumps(payload), r"not a single number: .*b = a list of 2")


def test_a_failed_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    small_model(1).save(path)
    old = path.read_bytes()
    broken = small_model(2)
    broken.parameters()[0].data = float("inf")
    with pytest.raises(ValueError, match=r"JSON holds only finite numbers; layers\.0.* = inf"):
        broken.save(path)
    assert path.read_bytes() == old

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        small_model(2).save(path)
    assert path.read_bytes() == old
    assert [f.name for f in tmp_path.iterdir()] == ["model.json"]


def test_load_state_dict_rejects_a_non_dict():
    with pytest.raises(
        TypeError, match=r"load_state_dict: expected a dict of parameters, got list"
    ):
        small_model().load_state_dict([1.0])


def test_a_model_runs_unchanged_on_a_batch():
    model = small_model(4)
    X = np.random.default_rng(0).standard_normal((5, 3))
    batch = model([Value(c) for c in X.T])
    for i, row in enumerate(X.tolist()):
        one = model(row)
        assert [float(v.data[i]) for v in batch] == pytest.approx([v.data for v in one], abs=1e-12)


def _graph(root):
    seen, stack = {id(root): root}, [root]
    while stack:
        for v in stack.pop().inputs:
            if id(v) not in seen:
                seen[id(v)] = v
                stack.append(v)
    return list(seen.values())


def test_modules_lists_what_named_modules_names_in_the_same_order():
    model = nn.MLP(3, [4, 2], dropout=0.1, activation="prelu", rng=0)
    assert model.modules() == [m for _, m in model.named_modules()]
    neuron = nn.Neuron(2)
    assert neuron.modules() == [neuron]
    model.eval()
    assert not any(m.training for m in model.modules())
