"""Issue 12, item 15: the installed `chainrule` command under every input and every stdout.

Each test runs the real command in a subprocess: seeds outside numpy's range or not written
in plain digits, a pipe whose reader has left, /dev/full, a closed stdout. Whatever goes
wrong is one line on stderr, never a traceback: exit 0 done (or the reader left), 1 failed,
2 a usage mistake.
"""

import os
import subprocess
import sys

import pytest

from demos import cli

CHAINRULE = os.path.join(os.path.dirname(sys.executable), "chainrule")  # the venv's script
COMMANDS = {  # one of each kind, all writing to stdout; `run` writes files under ./out too
    "list": ["list"],
    "run": ["run", "moons", "--no-plots"],
    "step": ["step", "chain-rule", "--no-pause"],
    "help": ["run", "--help"],
}


def chainrule(*args, cwd, stdout=subprocess.PIPE, env=None):
    """Run the installed command in `cwd`; stdout and stderr come back as text."""
    return subprocess.run(
        [CHAINRULE, *args], cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, text=True, env=env,
        timeout=300,
    )  # fmt: skip


def shell(script, *args, cwd):
    """Run `script` in bash, with $0 the installed command and $@ `args`."""
    return subprocess.run(
        ["bash", "-c", script, CHAINRULE, *args], cwd=cwd, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


def one_line(stderr):
    """The complaint, after checking it is exactly one line with no traceback."""
    assert stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    assert "Traceback" not in stderr
    return stderr.rstrip("\n")


@pytest.mark.parametrize(
    "text, says",
    [
        ("4294967296", "at most 4294967295"),
        ("99999999999999999999999999999", "at most 4294967295"),
        ("1" * 5000, "at most 4294967295"),  # past int()'s digit limit: still one line
        (" 7 ", "whole number >= 0, got ' 7 '"),
        ("\u0667", "whole number >= 0, got '\u0667'"),  # ARABIC-INDIC DIGIT SEVEN
        ("\uff17", "whole number >= 0, got '\uff17'"),  # FULLWIDTH DIGIT SEVEN
        ("+7", "whole number >= 0, got '+7'"),
        ("-3", "whole number >= 0, got '-3'"),
        ("7.0", "whole number >= 0, got '7.0'"),
        ("", "whole number >= 0, got ''"),
    ],
)
def test_a_seed_outside_plain_digits_0_to_2_32_is_a_usage_error_before_anything_runs(
    tmp_path, text, says
):
    done = chainrule("run", "moons", "--seed", text, cwd=tmp_path)
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert line.startswith("chainrule run: argument --seed: seed must be") and says in line
    assert done.stdout == "" and not (tmp_path / "out").exists()  # nothing ran


def test_the_top_seed_runs_every_lesson_and_leading_zeros_read_as_decimal(tmp_path):
    # The lessons that derive seeds (regularisation draws with seed + 1, seed + 2) stay valid.
    top = {
        name: subprocess.Popen(
            [CHAINRULE, "run", name, "--no-plots", "--seed", "4294967295"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for name in cli.LESSONS
    }
    failed = {name: p.communicate(timeout=300)[1] for name, p in top.items() if p.wait(300)}
    assert failed == {}
    seven, zero_zero_seven = (
        chainrule("run", "moons", "--no-plots", "--seed", s, cwd=tmp_path) for s in ("7", "007")
    )
    assert seven.returncode == zero_zero_seven.returncode == 0
    assert seven.stdout == zero_zero_seven.stdout  # the same seed, so the same numbers
    assert seven.stdout != chainrule("run", "moons", "--no-plots", cwd=tmp_path).stdout


@pytest.mark.parametrize("kind", COMMANDS)
def test_a_pipe_whose_reader_has_left_ends_quietly_with_exit_zero(tmp_path, kind):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte: every write meets EPIPE
    try:
        done = chainrule(*COMMANDS[kind], cwd=tmp_path, stdout=write_end)
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.parametrize("kind", ["list", "run", "step"])
def test_head_one_takes_the_first_line_and_the_command_ends_quietly(tmp_path, kind):
    done = shell('set -o pipefail; "$0" "$@" | head -1', *COMMANDS[kind], cwd=tmp_path)
    assert (done.returncode, done.stderr, done.stdout.count("\n")) == (0, "", 1)
    first = {"list": " 1. car-tax", "run": "Two moons: 100 points", "step": "Forward pass"}[kind]
    assert done.stdout.startswith(first)


@pytest.mark.parametrize("kind", COMMANDS)
def test_a_full_disk_under_stdout_is_an_error_about_the_output_exit_one(tmp_path, kind):
    with open("/dev/full", "w") as full:
        done = chainrule(*COMMANDS[kind], cwd=tmp_path, stdout=full)
    assert done.returncode == 1
    assert one_line(done.stderr) == (
        "chainrule: cannot write the output: [Errno 28] No space left on device"
    )


@pytest.mark.parametrize("kind", COMMANDS)
def test_a_closed_stdout_is_one_line_and_exit_one_before_anything_runs(tmp_path, kind):
    done = shell('exec "$0" "$@" >&-', *COMMANDS[kind], cwd=tmp_path)
    assert done.returncode == 1
    assert one_line(done.stderr) == "chainrule: cannot write the output: standard output is closed"
    assert not (tmp_path / "out").exists()


def test_an_output_encoding_that_cannot_show_the_maths_says_so_in_one_line(tmp_path):
    ascii_only = {**os.environ, "PYTHONIOENCODING": "ascii"}
    done = chainrule("step", "chain-rule", "--no-pause", cwd=tmp_path, env=ascii_only)
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert "cannot write the output: its encoding, ascii, cannot show" in line
    assert done.stdout.startswith("Forward pass")  # the lines before the first '∂' still show


def test_a_folder_that_cannot_hold_the_files_is_still_told_apart_from_the_output(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    done = chainrule("run", "chain-rule", "--out", "a-file/sub", cwd=tmp_path)
    assert done.returncode == 1
    assert one_line(done.stderr).startswith("chainrule: cannot write the lesson's files: ")


@pytest.mark.parametrize(
    "args, says",
    [
        (
            ["bogus"],
            "chainrule: argument "
            "{list,run,step,doctor,draw,worksheet,check,exercise,export,serve}: "
            "invalid choice: 'bogus'",
        ),
        (["run"], "chainrule run: the following arguments are required: name"),
        (["run", "moons", "--sed", "1"], "chainrule: unrecognized arguments: --sed 1"),
        (["step", "no-such-lesson"], "chainrule: no lesson named 'no-such-lesson'"),
        (["step", "learning-rate"], "chainrule: 'learning-rate' trains many graphs"),
    ],
)
def test_usage_mistakes_are_one_line_and_exit_two(tmp_path, args, says):
    done = chainrule(*args, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert one_line(done.stderr).startswith(says)


def test_with_stderr_closed_a_mistake_still_exits_two_and_prints_nothing(tmp_path):
    done = shell('exec "$0" "$@" 2>&-', "step", "no-such-lesson", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", "")


@pytest.mark.parametrize(
    "args", [["--help"], ["list", "--help"], ["run", "-h"], ["step", "-h"], ["doctor", "-h"]]
)
def test_help_works_for_every_command(tmp_path, args):
    done = chainrule(*args, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("usage: chainrule")
    if args[0] == "run":
        assert "--seed SEED  seed for every random choice (0 to 4294967295)" in done.stdout
