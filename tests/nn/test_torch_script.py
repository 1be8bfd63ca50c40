"""nn.torch_script: the script it writes runs on its own (no chainrule import), rebuilds the
model, and trains it to chainrule's History epoch by epoch (1e-10) for fit's losses, optimisers,
schedules, batches and penalties, in one process and under torchrun with DDP; its comments are
English or Chinese; what it cannot write is refused by name."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import nn
from nn.module import load_model
from nn.torch_script import SUPPORTED, torch_script

pytestmark = pytest.mark.torch
TOL = 1e-10
# Runs a script as `python script.py ...` would, with chainrule's packages made unimportable:
# the script must stand on torch and numpy alone.
ALONE = (
    "import runpy, sys\n"
    "for name in ('nn', 'autograd', 'viz', 'demos'):\n"
    "    sys.modules[name] = None\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


def moons(n=40, seed=1337):
    return nn.make_moons(n, 0.1, seed=seed)


def spiral():
    return nn.make_spiral(45, 3, seed=2)


def micrograd_demo():  # full batch, hinge loss, SGD with momentum, l2: micrograd's moons demo
    X, y = moons(100)
    model = nn.MLP(2, [16, 16, 1], rng=1337)
    opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return model, dict(X=X, y=2 * y - 1, loss="hinge", optimizer=opt, l2=1e-4, epochs=8)


def adam_batches():  # mini-batches, shuffled, a schedule and clipping
    X, y = moons()
    model = nn.MLP(2, [8, 8, 1], activation="tanh", rng=3)
    opt = nn.Adam(model.parameters(), lr=0.03, betas=(0.85, 0.99), eps=1e-7)
    sched = nn.StepLR(opt, 2, gamma=0.5)
    return model, dict(X=X, y=y, loss="bce_with_logits", optimizer=opt, scheduler=sched,
                       batch_size=7, seed=5, l2=1e-3, clip_grad_norm=0.5, epochs=5)  # fmt: skip


def rmsprop_mse():  # no shuffling, l1, two outputs, an exponential schedule
    X, y = moons()
    targets = np.column_stack([y, 1 - y]).astype(float)
    model = nn.MLP(2, [6, 2], activation="sigmoid", rng=4)
    opt = nn.RMSprop(model.parameters(), lr=0.01, alpha=0.9, weight_decay=1e-3)
    return model, dict(X=X, y=targets, loss="mse", optimizer=opt, shuffle=False, batch_size=16,
                       l1=1e-3, scheduler=nn.ExponentialLR(opt, 0.8), epochs=4)  # fmt: skip


def three_classes():  # cross-entropy on logits, Nesterov, weight decay, cosine schedule
    X, y = spiral()
    model = nn.MLP(2, [10, 3], activation="gelu", rng=5)
    opt = nn.SGD(model.parameters(), lr=0.2, momentum=0.8, nesterov=True, weight_decay=1e-3)
    sched = nn.CosineAnnealingLR(opt, T_max=4, eta_min=0.01)
    return model, dict(X=X, y=y, loss="cross_entropy", optimizer=opt, scheduler=sched,
                       batch_size=9, epochs=4)  # fmt: skip


def probabilities():  # a softmax output and cross-entropy from probabilities, one-hot targets
    X, y = spiral()
    model = nn.MLP(2, [6, 3], activation="elu", output_activation="softmax", rng=6)
    opt = nn.Adam(model.parameters(), lr=0.02)
    return model, dict(X=X, y=np.eye(3)[y], loss="categorical_cross_entropy", optimizer=opt,
                       batch_size=10, epochs=3)  # fmt: skip


def sigmoid_bce():  # probabilities and the clipped BCE, a linear warm-up
    X, y = moons()
    model = nn.MLP(2, [5, 1], activation="softplus", output_activation="sigmoid", rng=7)
    opt = nn.SGD(model.parameters(), lr=0.5)
    sched = nn.LinearLR(opt, start_factor=0.5, end_factor=1.0, total_iters=2)
    return model, dict(X=X, y=y, loss="bce", optimizer=opt, scheduler=sched, batch_size=13,
                       epochs=4)  # fmt: skip


def many_modules():  # Sequential of the modules a script can rebuild, class labels
    # SGD, not Adam: the bias before BatchNorm1d has a gradient of 0 in exact arithmetic, so
    # both libraries give it rounding noise (1e-17), which Adam would scale up to whole steps.
    X, y = moons()
    model = nn.Sequential(
        nn.Linear(2, 4, rng=1), nn.BatchNorm1d(4), nn.LeakyReLU(0.1),
        nn.Residual(nn.Sequential(nn.Linear(4, 4, rng=2), nn.Swish(1.5))),
        nn.Maxout(4, 3, pieces=2, rng=3), nn.PReLU(), nn.LayerNorm(3),
        nn.Layer(3, 3, activation="silu", rng=4), nn.Linear(3, 2, rng=5),
    )  # fmt: skip
    opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return model, dict(X=X, y=y, loss="cross_entropy", optimizer=opt, batch_size=10, epochs=3)


def prelu_mlp():
    X, y = moons()
    model = nn.MLP(2, [4, 4, 1], activation="prelu", rng=8)
    opt = nn.SGD(model.parameters(), lr=0.1)
    return model, dict(X=X, y=y, loss="mse", optimizer=opt, epochs=3)


CASES = {
    f.__name__: f
    for f in (micrograd_demo, adam_batches, rmsprop_mse, three_classes, probabilities,
              sigmoid_bce, many_modules, prelu_mlp)
}  # fmt: skip


def trained(case, folder):
    """(model, History, model file) after fit of `case`, saved with its training."""
    model, setup = CASES[case]()
    X, y = setup.pop("X"), setup.pop("y")
    history = nn.fit(model, X, y, verbose=False, **setup)
    assert history.recipe is not None, history.recipe_missing
    path = folder / "model.json"
    model.save(path, training=history)
    return model, history, path


def run(script, *args, cwd, torchrun=False, env=None):
    """The script's stdout; it must exit 0."""
    if torchrun:
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                   "--nproc_per_node=2", str(script), *args]  # fmt: skip
    else:
        command = [sys.executable, "-c", ALONE, str(script), *args]
    environ = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=environ)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def losses_of(stdout):
    return [float(x) for x in re.findall(r"^epoch +\d+  loss (\S+)", stdout, re.M)]


def weight_gap(stdout):
    return float(re.search(r"trained weights: (\S+)", stdout).group(1))


@pytest.mark.parametrize("case", CASES)
def test_the_script_trains_to_chainrules_loss_every_epoch(case, tmp_path):
    _, history, path = trained(case, tmp_path)
    script = tmp_path / "script.py"
    script.write_text(torch_script(load_model(path), training=history, model_file=path,
                                   lang="en"))  # fmt: skip
    out = run(script, cwd=tmp_path)
    assert losses_of(out) == pytest.approx(history.loss, abs=TOL, rel=0)
    assert len(losses_of(out)) == len(history.loss)
    assert weight_gap(out) <= TOL  # and it ends with the weights chainrule saved


def test_the_ddp_script_reaches_the_same_losses_under_torchrun_with_two_processes(tmp_path):
    _, history, path = trained("adam_batches", tmp_path)  # 40 examples, batches of 7: 7,...,5
    script = tmp_path / "ddp.py"
    script.write_text(torch_script(load_model(path), training=history, model_file=path,
                                   ddp=True, lang="en"))  # fmt: skip
    out = run(script, cwd=tmp_path, torchrun=True)
    assert losses_of(out) == pytest.approx(history.loss, abs=TOL, rel=0)
    assert weight_gap(out) <= TOL
    assert out.count("largest difference") == 1  # only process 0 prints


@pytest.mark.parametrize("case", ["micrograd_demo", "many_modules"])
@pytest.mark.parametrize("ddp", [False, True])
def test_the_script_is_short_plain_torch_and_formatted(case, ddp, tmp_path):
    _, history, path = trained(case, tmp_path)
    text = torch_script(load_model(path), training=history, model_file=path, ddp=ddp, lang="en")
    if case == "micrograd_demo":
        assert "nn.Sequential(\n        nn.Linear(2, 16),\n        nn.ReLU()," in text
        assert "torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)" in text
        assert '"0.weight": "layers.0.neurons.{0}.w.{1}",' in text  # the names as patterns
        assert len(text.splitlines()) < (170 if ddp else 140)
    assert "torch.set_default_dtype(torch.float64)" in text
    assert not re.search(r"^\s*(import|from) (nn|autograd|viz|demos)\b", text, re.M)
    script = tmp_path / "script.py"
    script.write_text(text)
    ruff = [sys.executable, "-m", "ruff"]
    done = subprocess.run([*ruff, "format", "--check", "--diff", str(script)],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout
    done = subprocess.run([*ruff, "check", "--select", "E,F,W,I", "--line-length", "100",
                           "--isolated", str(script)], capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout


def test_without_training_the_script_loads_the_saved_weights_and_shows_the_model(tmp_path):
    model = nn.MLP(3, [4, 2], activation="tanh", rng=1)
    model.save(tmp_path / "m.json")
    script = tmp_path / "show.py"
    script.write_text(torch_script(model, model_file=tmp_path / "m.json"))
    out = run(script, cwd=tmp_path)
    assert "(0): Linear(in_features=3, out_features=4, bias=True)" in out
    assert f"26 numbers loaded from {tmp_path / 'm.json'}" in out
    other = nn.MLP(3, [4, 2], activation="tanh", rng=2)  # --model PATH reads another file
    other.save(tmp_path / "other.json")
    assert "26 numbers loaded from other.json" in run(script, "--model", "other.json", cwd=tmp_path)


def test_the_scripts_weights_are_the_models_so_it_predicts_the_same(tmp_path):
    import torch

    model = nn.MLP(2, [5, 5, 1], activation="tanh", rng=3)
    model.save(tmp_path / "m.json")
    namespace = {"__name__": "loaded"}
    exec(torch_script(model, model_file=tmp_path / "m.json"), namespace)
    twin = namespace["build_model"]()
    namespace["load_chainrule"](twin, model.state_dict())
    X, _ = moons()
    with torch.no_grad():
        theirs = twin(torch.tensor(X)).numpy()[:, 0]
    assert theirs == pytest.approx(nn.predict(model, X), abs=1e-12)


# --- Chinese --------------------------------------------------------------------------------

CJK = re.compile(r"[\u3400-\u9fff]")
KEPT = {  # names a Chinese comment keeps as they are written
    "chainrule", "pytorch", "torch", "float64", "fit", "dataloader", "backward", "dropout",
    "logit", "logits", "softmax", "softplus", "sigmoid", "bce", "mse", "ddp", "gloo", "nccl",
    "gpu", "torchrun", "rank", "distributeddataparallel", "distributedsampler",
    "syncbatchnorm", "batchnorm1d", "name", "number", "model", "pt", "log", "standalone",
    "nproc_per_node", "json", "py", "save", "state_dict", "path", "training", "history",
    "layers", "neurons", "clip_grad_norm", "format", "nn", "python", "sequential", "linear",
    "cpu", "beta", "silu", "maxout", "pieces", "conv1d", "transformer", "input", "true",
    "false", "multiheadattention", "scale", "causal", "batch_first", "embed_dim",
    *(kind.__name__.lower() for kind in SUPPORTED),  # the model's class, in its summary
}  # fmt: skip


def prose(text):
    """The comments and docstrings of a script: what a reader reads as words."""
    comments = re.findall(r"#\s*(.*)$", text, re.M)
    docstrings = re.findall(r'"""(.*?)"""', text, re.S)
    return comments + [line for doc in docstrings for line in doc.splitlines() if line.strip()]


def english_words(line):
    plain = re.sub(r"\S*[._=(){}\[\]/<>-]\S*", " ", line)  # code, names, files, options
    return [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]{2,}", plain) if w.lower() not in KEPT]


@pytest.mark.parametrize("ddp", [False, True])
def test_a_chinese_script_has_chinese_comments_and_the_same_code(ddp, tmp_path):
    _, history, path = trained("many_modules" if ddp else "adam_batches", tmp_path)
    model = load_model(path)
    zh = torch_script(model, training=history, model_file=path, ddp=ddp, lang="zh-CN")
    en = torch_script(model, training=history, model_file=path, ddp=ddp, lang="en")
    lines = prose(zh)
    assert len(lines) > 20 and sum(bool(CJK.search(line)) for line in lines) > 20
    assert [(line, english_words(line)) for line in lines if english_words(line)] == []
    for words in ("反向传播", "优化器", "权重", "损失", "chainrule 开始训练时的权重"):
        assert words in zh
    if ddp:
        assert "什么时候用：模型或数据对一台机器（或一块 GPU）来说太大的时候。" in zh
    code = [re.sub(r"\s*#.*$", "", line) for line in en.splitlines() if '"""' not in line]
    zh_code = [re.sub(r"\s*#.*$", "", line) for line in zh.splitlines() if '"""' not in line]
    assert len(code) == len(zh_code)  # the same lines of code, only the words differ
    script = tmp_path / "zh.py"
    script.write_text(zh)
    if not ddp:
        assert losses_of(run(script, cwd=tmp_path)) == pytest.approx(history.loss, abs=TOL)


def test_english_is_the_default_and_lang_none_follows_the_language_in_force(monkeypatch):
    from viz import i18n

    monkeypatch.setenv("LANGUAGE", "en")
    model = nn.MLP(2, [3, 1], rng=0)
    english = torch_script(model, lang="en")
    assert torch_script(model) == english
    with i18n.language("zh-CN"):
        assert torch_script(model) == torch_script(model, lang="zh-CN") != english
    assert "# The network, layer by layer; in chainrule it is MLP(2, [3, 1]" in english


def test_without_viz_lang_none_reads_the_environment(tmp_path):
    code = (
        "import sys, nn\n"
        "from nn.torch_script import SUPPORTED, torch_script\n"
        "text = torch_script(nn.MLP(2, [3, 1], rng=0))\n"
        "assert 'viz' not in sys.modules\n"
        "print(text.splitlines()[0])\n"
    )
    env = {**os.environ, "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "zh_CN.UTF-8"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == '"""chainrule 写的 PyTorch 脚本：同一个网络，同样的权重'


# --- Refusals -------------------------------------------------------------------------------


class Doubler(nn.Module):
    def forward(self, x):
        return [2 * v for v in x]


@pytest.mark.parametrize(
    ("model", "said"),
    [
        (lambda: nn.Sequential(nn.Linear(2, 2, rng=0), Doubler()), r"layers.1 \(Doubler\) has no "
         r"PyTorch script; torch_script writes .*MLP"),
        (lambda: nn.Sequential(nn.Swish(learnable=True)), r"layers.0 \(Swish\) has a learnable"),
        (lambda: mixed_layer(), r"layers.0.neurons.1.act \(function tanh\) differs from the first"),
    ],
)  # fmt: skip
def test_a_model_the_script_cannot_rebuild_is_refused_naming_the_piece(model, said):
    with pytest.raises((TypeError, ValueError), match=r"torch_script: " + said):
        torch_script(model())


def mixed_layer():
    model = nn.MLP(2, [2, 1], rng=0)
    model.layers[0].neurons[1].act = nn.activations.tanh  # torch applies one to a layer
    return model


def test_a_model_reading_sequences_is_rebuilt_but_not_trained(tmp_path):
    X, y = moons()
    model = nn.Sequential(nn.Linear(2, 2, rng=0))
    history = nn.fit(model, X, y[:, None] * [1, 1], loss="mse", epochs=1, verbose=False,
                     optimizer=nn.SGD(model.parameters()))  # fmt: skip
    conv = nn.Sequential(nn.Conv1d(2, 2, 1, rng=0))
    with pytest.raises(ValueError, match=r"torch_script: the model has a Conv1d, which reads "
                       r"sequences; nn.fit trains models of features"):  # fmt: skip
        torch_script(conv, training=history)


SEQUENCE_MODELS = {
    "conv and pools": lambda: nn.Sequential(
        nn.Conv1d(2, 3, 2, padding=1, rng=1), nn.ReLU(), nn.MaxPool1d(2),
        nn.AvgPool1d(2, stride=1, padding=1),
    ),
    "rnn": lambda: nn.RNNCell(2, 3, nonlinearity="relu", rng=1),
    "gru": lambda: nn.GRUCell(2, 3, rng=1),
    "lstm": lambda: nn.LSTMCell(2, 3, bias=False, rng=1),
    "attention": lambda: nn.SelfAttention(4, causal=True, scale=0.4, rng=1),
    "heads": lambda: nn.MultiHeadAttention(4, 2, causal=True, rng=1),
    "heads without bias": lambda: nn.MultiHeadAttention(4, 2, bias=False, rng=1),
    "transformer": lambda: nn.TransformerBlock(4, 2, 8, rng=1),
    "causal transformer": lambda: nn.TransformerBlock(4, 2, 8, causal=True, rng=1),
    "feed-forward": lambda: nn.FeedForward(4, 6, rng=1),
}  # fmt: skip


@pytest.mark.parametrize("kind", SEQUENCE_MODELS)
def test_every_model_to_torch_converts_has_a_script_building_the_same_module(kind, tmp_path):
    import torch

    from nn.torch_bridge import to_torch

    model = SEQUENCE_MODELS[kind]()
    text = torch_script(model, model_file="m.json", lang="en")
    namespace = {"__name__": "loaded"}
    exec(text, namespace)
    built = namespace["build_model"]()
    namespace["load_chainrule"](built, model.state_dict())
    twin = to_torch(model)
    assert repr(built) == repr(twin)
    ours, theirs = built.state_dict(), twin.state_dict()
    assert list(ours) == list(theirs)
    assert all(torch.equal(ours[k], theirs[k]) for k in ours)
    script = tmp_path / "script.py"
    script.write_text(text)
    ruff = [sys.executable, "-m", "ruff"]
    assert (
        subprocess.run([*ruff, "format", "--check", str(script)], capture_output=True).returncode
        == 0
    )
    zh = torch_script(model, model_file="m.json", lang="zh-CN")
    assert [(line, english_words(line)) for line in prose(zh) if english_words(line)] == []


def test_a_history_without_a_recipe_or_a_bad_lang_is_refused_before_anything_is_written():
    X, y = moons()
    model = nn.MLP(2, [3, 1], rng=0)
    history = nn.fit(model, X, y, loss=lambda p, t: nn.mse_loss(p, t), epochs=1,
                     optimizer=nn.SGD(model.parameters()), verbose=False)  # fmt: skip
    with pytest.raises(ValueError, match=r"torch_script: the History has no recipe: the loss is"):
        torch_script(model, training=history)
    with pytest.raises(ValueError, match=r"torch_script: lang='fr'; choose one of 'en', 'zh-CN'"):
        torch_script(model, lang="fr")
    with pytest.raises(ValueError, match=r"torch_script: ddp=True trains: give training="):
        torch_script(model, ddp=True)
    with pytest.raises(TypeError, match=r"torch_script: expected a chainrule nn.Module"):
        torch_script("MLP")


def test_without_torch_the_error_says_how_to_install_it():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import nn\n"
        "from nn.torch_script import SUPPORTED, torch_script\n"
        "torch_script(nn.MLP(2, [1], rng=0))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert (
        "ImportError: torch_script needs PyTorch, which is not installed: "
        "pip install 'chainrule[torch]'" in done.stderr
    )
