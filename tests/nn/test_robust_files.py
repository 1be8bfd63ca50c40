"""Issue 12, items 8 and 9: a failed load changes nothing and names the file and parameter;
saving writes through symlinks, keeps modes, refuses read-only files, survives kill -9 and
cleans up after it; temp names are unique, so two writers of one file never collide."""

import json
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap

import pytest

import nn
from autograd import files
from nn.module import MAX_FILE_BYTES
from viz.render import write_atomic

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def small_model(seed=0):
    return nn.MLP(3, [3, 1], rng=seed)  # 13 parameters


def saved_text(model, tmp_path):
    path = tmp_path / "source.json"
    model.save(path)
    return path.read_text()


def temps(folder):
    return sorted(f.name for f in folder.iterdir() if f.name.endswith(".tmp"))


def assert_refused(tmp_path, text, error, match, name="bad.json"):
    """Loading `text` raises `error` matching `match` and naming the file; nothing changes."""
    path = tmp_path / name
    path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
    model = small_model(3)
    before = model.state_dict()
    with pytest.raises(error, match=match) as caught:
        model.load(path)
    assert f"load({str(path)!r})" in str(caught.value)
    assert model.state_dict() == before
    return str(caught.value)


# ---- item 8: loading


def test_a_401_digit_last_parameter_changes_nothing_and_names_file_and_parameter(tmp_path):
    payload = json.loads(saved_text(small_model(1), tmp_path))
    last = list(payload["parameters"])[-1]  # 12 good parameters come first, as in the issue
    payload["parameters"][last] = "HERE"
    text = json.dumps(payload).replace('"HERE"', "9" * 401)
    message = assert_refused(tmp_path, text, ValueError, r"infinite or too large for a float")
    assert f"{last} = inf" in message


@pytest.mark.parametrize("number", ["1e999", "-1e999", "9" * 5000])
def test_numbers_no_float_holds_are_refused_with_the_parameter_named(tmp_path, number):
    payload = json.loads(saved_text(small_model(1), tmp_path))
    payload["parameters"]["layers.0.neurons.1.w.2"] = "HERE"
    text = json.dumps(payload).replace('"HERE"', number)
    message = assert_refused(tmp_path, text, ValueError, r"infinite or too large for a float")
    assert "layers.0.neurons.1.w.2 = " in message and "inf" in message


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_refused(tmp_path, literal):
    payload = json.loads(saved_text(small_model(1), tmp_path))
    payload["parameters"]["layers.1.neurons.0.b"] = "HERE"
    text = json.dumps(payload).replace('"HERE"', literal)
    assert_refused(
        tmp_path, text, ValueError, rf"{literal.lstrip('-')} is not a number JSON allows"
    )


def test_load_state_dict_with_a_huge_integer_changes_nothing():
    model = small_model(1)
    state = model.state_dict()
    before = dict(state)
    state["layers.1.neurons.0.b"] = 10**400
    with pytest.raises(ValueError, match=r"layers\.1\.neurons\.0\.b = an integer of 401 digits"):
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_a_name_given_twice_is_refused(tmp_path):
    text = saved_text(small_model(1), tmp_path)
    text = text.replace('"parameters": {', '"parameters": {"layers.1.neurons.0.b": 5.0,', 1)
    assert_refused(tmp_path, text, ValueError, r"'layers\.1\.neurons\.0\.b' appears twice")


def test_nesting_deep_enough_to_hit_recursion_is_a_clear_error(tmp_path):
    deep = "[" * 200_000 + "]" * 200_000
    text = f'{{"format": "chainrule-state-dict", "version": 1, "parameters": {{"a": {deep}}}}}'
    assert_refused(tmp_path, text, ValueError, r"not a chainrule model file \(nested too deeply\)")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_fifo_is_refused_at_once_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    model = small_model(1)
    before = model.state_dict()
    with pytest.raises(OSError, match=re.escape(f"load({str(fifo)!r}): ") + r".* is a FIFO"):
        model.load(fifo)
    assert model.state_dict() == before


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(IsADirectoryError, match=r"is a folder, not a file"):
        small_model().load(tmp_path)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk used
    with pytest.raises(ValueError, match=r"is 67,108,865 bytes, over the limit of 67,108,864"):
        small_model().load(path)


# ---- item 9: saving


def test_saving_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "real.json"
    small_model(1).save(target)
    link = tmp_path / "model.json"
    link.symlink_to(target)
    small_model(2).save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    loaded = small_model(5).load(target)
    assert loaded.state_dict() == small_model(2).state_dict()
    assert temps(tmp_path) == []


def test_saving_keeps_the_files_mode_and_gives_new_files_0644(tmp_path):
    path = tmp_path / "model.json"
    small_model(1).save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    os.chmod(path, 0o600)
    small_model(2).save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_read_only_file_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "model.json"
    small_model(1).save(path)
    old = path.read_bytes()
    os.chmod(path, 0o444)
    with pytest.raises(PermissionError, match=re.escape(f"save({str(path)!r}): ") + r".*read-only"):
        small_model(2).save(path)
    assert path.read_bytes() == old and temps(tmp_path) == []
    with pytest.raises(PermissionError, match=r"read-only"):
        write_atomic(path, "picture")  # viz's writer follows the same rule


def test_saving_into_a_missing_folder_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"the folder .*nowhere' does not exist"):
        small_model().save(tmp_path / "nowhere" / "model.json")


CHILD = textwrap.dedent(
    """
    import os, sys
    import nn

    def stop_here(*args):
        print("inside", flush=True)  # the temp file is written; the rename has not happened
        sys.stdin.read()  # wait here until the parent kills us

    setattr(os, sys.argv[2], stop_here)
    nn.MLP(3, [3, 1], rng=2).save(sys.argv[1])
    print("finished", flush=True)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")
@pytest.mark.parametrize("where", ["fsync", "replace"])
def test_kill_9_mid_save_leaves_the_old_file_and_the_next_save_cleans_up(tmp_path, where):
    path = tmp_path / "model.json"
    small_model(1).save(path)
    old = path.read_bytes()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), where],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline() == "inside\n"
        child.send_signal(signal.SIGKILL)
        assert child.wait() == -signal.SIGKILL
    finally:
        child.kill()
        child.stdin.close()
        child.stdout.close()
    left = temps(tmp_path)
    assert left == [f".model.json.chainrule-{child.pid}-{left[0].split('-')[-1]}"]
    assert path.read_bytes() == old  # the old model, whole
    assert small_model(4).load(path).state_dict() == small_model(1).state_dict()
    small_model(2).save(path)  # the next save removes the dead process's temp file
    assert temps(tmp_path) == []
    assert small_model(4).load(path).state_dict() == small_model(2).state_dict()


def test_a_temp_file_of_a_running_process_or_of_another_name_is_not_touched(tmp_path):
    with subprocess.Popen([sys.executable, "-c", "input()"], stdin=subprocess.PIPE) as alive:
        mine = tmp_path / f".model.json.chainrule-{alive.pid}-abcd1234.tmp"
        other = tmp_path / ".model.json.tmp"  # not our pattern
        for f in (mine, other):
            f.write_text("partial")
        small_model().save(tmp_path / "model.json")
        assert mine.exists() and other.exists()
        alive.communicate(b"\n")


def test_two_writers_of_one_file_at_once_both_finish(tmp_path, monkeypatch):
    """A second write of the same file starts while the first is mid-way (after its temp file
    is written, before its rename): both must succeed, as two lessons into one --out."""
    path = tmp_path / "plot.png"
    real_replace = os.replace
    nested = []

    def replace(src, dst):
        if not nested:
            nested.append(src)
            write_atomic(path, b"second")  # the other run, finishing first
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    write_atomic(path, b"first")
    assert path.read_bytes() == b"first" and temps(tmp_path) == []


def test_lessons_plots_use_unique_temp_names(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib", reason="plots need the optional matplotlib")
    from demos import plots
    from demos.common import Lesson

    def lesson():
        one = Lesson("t", "t", lambda _: None)
        one.out, one.plots, one.skipped, one.files = str(tmp_path), True, [], []
        return one

    real_replace = os.replace
    nested = []

    def replace(src, dst):
        if not nested:
            nested.append(src)
            plots.lines(lesson(), "loss.png", [0, 1], {"a": [1, 2]}, "second", what="b")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    plots.lines(lesson(), "loss.png", [0, 1], {"a": [2, 1]}, "first", what="a")
    assert nested and (tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert temps(tmp_path) == []
    assert files.NEW_FILE_MODE == stat.S_IMODE(os.stat(tmp_path / "loss.png").st_mode)
