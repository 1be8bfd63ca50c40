"""`chainrule export MODEL.json --torch out.py [--ddp]`: the script is written (atomically) and
runs, every mistake is one line on stderr with exit 1 (the file) or 2 (the command line), a
missing torch is exit 3 naming the extra; English and Chinese."""

import json
import os
import re
import subprocess
import sys

import pytest

import nn
from demos import cli

CJK = re.compile(r"[\u3400-\u9fff]")


def saved_model(folder, name="m.json", training=True):
    """A moons MLP trained 3 epochs and saved as a teacher would, with its History."""
    X, y = nn.make_moons(30, 0.1, seed=2)
    model = nn.MLP(2, [5, 1], activation="tanh", rng=4)
    history = nn.fit(model, X, y, loss="bce_with_logits", epochs=3, batch_size=8,
                     optimizer=nn.Adam(model.parameters(), lr=0.05), verbose=False)  # fmt: skip
    path = folder / name
    model.save(path, training=history if training else None)
    return path, history


def export(capsys, *args):
    """(exit status, stdout, stderr) of `chainrule export ...` run in this process."""
    try:
        status = cli.main(["export", *map(str, args)])
    except SystemExit as done:  # argparse's complaints and --help end the run at once
        status = done.code
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.torch
def test_export_writes_a_script_that_trains_to_chainrules_losses(tmp_path, capsys):
    path, history = saved_model(tmp_path)
    script = tmp_path / "moons_torch.py"
    status, out, err = export(capsys, path, "--torch", script, "--lang", "en")
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        f"Wrote {script}: the model in PyTorch, trained as nn.fit trained it (3 epochs), its "
        "loss printed beside chainrule's.",
        f"Run it: python {script}",
    ]
    assert "python moons_torch.py --model" in script.read_text()  # its own name in "Run it"
    done = subprocess.run([sys.executable, script], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    losses = [float(x) for x in re.findall(r"^epoch +\d+  loss (\S+)", done.stdout, re.M)]
    assert losses == pytest.approx(history.loss, abs=1e-10)


@pytest.mark.torch
def test_export_of_a_file_without_training_writes_a_script_that_loads_the_weights(tmp_path, capsys):
    path, _ = saved_model(tmp_path, training=False)
    script = tmp_path / "out.py"
    status, out, _err = export(capsys, path, "--torch", script)
    assert status == 0 and out.startswith(f"Wrote {script}: the model in PyTorch, with the weights")
    done = subprocess.run([sys.executable, script], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Linear(in_features=2, out_features=5" in done.stdout
    assert f"21 numbers loaded from {path}" in done.stdout  # 5 * (2 + 1) + (5 + 1)


@pytest.mark.torch
def test_export_ddp_says_to_run_it_with_torchrun(tmp_path, capsys):
    path, _ = saved_model(tmp_path)
    status, out, _err = export(capsys, path, "--torch", tmp_path / "ddp.py", "--ddp")
    assert status == 0
    assert out.splitlines()[-1] == (
        f"Run it: torchrun --standalone --nproc_per_node=2 {tmp_path / 'ddp.py'}"
    )
    assert "DistributedDataParallel(model)" in (tmp_path / "ddp.py").read_text()


@pytest.mark.torch
def test_export_in_chinese_says_so_and_writes_chinese_comments(tmp_path, capsys):
    path, _ = saved_model(tmp_path)
    script = tmp_path / "out.py"
    status, out, err = export(capsys, path, "--torch", script, "--lang", "zh-CN")
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        f"已写出 {script}：PyTorch 里的这个模型，像 nn.fit 那样训练（3 轮），它的损失和 "
        "chainrule 的并排打印。",
        f"运行：python {script}",
    ]
    comments = [line for line in script.read_text().splitlines() if line.lstrip().startswith("#")]
    assert comments and all(CJK.search(line) for line in comments)


@pytest.mark.parametrize(
    ("setup", "said"),
    [
        (lambda d: d / "none.json", r"there is no model file '.*none.json'"),
        (lambda d: write(d / "bad.json", "{"), r"'.*bad.json': not valid JSON"),
        (
            lambda d: write(d / "old.json", json.dumps({
                "format": "chainrule-state-dict", "version": 1, "model": "MLP",
                "parameters": nn.MLP(2, [1], rng=0).state_dict()})),
            r"load_model\('.*old.json'\): the file has no architecture",
        ),
        (
            lambda d: save(nn.MLP(2, [2], output_activation=abs, rng=0), d / "own.json"),
            r"load_model\('.*own.json'\): the model \(MLP\) cannot be rebuilt: its activation",
        ),
    ],
)  # fmt: skip
def test_a_file_export_cannot_use_is_one_line_and_nothing_is_written(setup, said, tmp_path, capsys):
    script = tmp_path / "out.py"
    script.write_text("before")
    status, out, err = export(capsys, setup(tmp_path), "--torch", script)
    assert status == 1 and out == ""  # the file is not right: a failure, not a usage error
    assert err.count("\n") == 1 and re.match(r"chainrule: " + said, err), err
    assert script.read_text() == "before"


def write(path, text):
    path.write_text(text)
    return path


def save(model, path):
    model.save(path)
    return path


def test_ddp_without_a_training_recipe_is_refused(tmp_path, capsys):
    path, _ = saved_model(tmp_path, training=False)
    status, _out, err = export(capsys, path, "--torch", tmp_path / "ddp.py", "--ddp")
    assert status == 1 and "keeps no training recipe, and --ddp trains" in err
    assert not (tmp_path / "ddp.py").exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["m.json"], r"the following arguments are required: --torch"),
        (["m.json", "--torch", "m.json"], r"--torch 'm.json' is the model file itself"),
        (["m.json", "--torch", "o.py", "--bogus"], r"unrecognized arguments: --bogus"),
    ],
)
def test_usage_mistakes_are_one_line_and_exit_two(args, said, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    saved_model(tmp_path)
    status, out, err = export(capsys, *args)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and said in err, err
    assert not (tmp_path / "o.py").exists()


@pytest.mark.torch
def test_a_script_that_cannot_be_written_is_one_line(tmp_path, capsys):
    path, _ = saved_model(tmp_path)
    folder = tmp_path / "taken"
    folder.mkdir()
    status, out, err = export(capsys, path, "--torch", folder)
    assert (status, out) == (1, "")
    assert err.startswith("chainrule: cannot write the script: ") and err.count("\n") == 1


def test_without_torch_export_exits_three_naming_the_extra(tmp_path):
    path, _ = saved_model(tmp_path)
    code = (
        "import sys; sys.modules['torch'] = None\n"  # import torch now fails, as uninstalled
        "from demos import cli\n"
        f"sys.exit(cli.main(['export', {str(path)!r}, '--torch', 'out.py', '--lang', 'en']))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, "LANGUAGE": "en"})  # fmt: skip
    assert done.returncode == 3 and done.stdout == ""
    assert done.stderr == (
        "chainrule: `export --torch` needs PyTorch: pip install 'chainrule[torch]'\n"
    )
    assert not (tmp_path / "out.py").exists()


def test_export_help_says_what_it_writes(capsys):
    status, out, err = export(capsys, "--help", "--lang", "en")
    assert (status, err) == (0, "")
    shown = " ".join(out.split())
    assert "usage: chainrule export [-h] --torch OUT.py [--ddp]" in shown
    assert "pip install 'chainrule[torch]'" in shown and "torchrun" in shown
