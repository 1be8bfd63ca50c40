"""The `chainrule` command: list the lessons, run one, step through its backprop, or ask the
doctor what is installed here and what each missing piece costs.

Exit status: 0 done (or the reader of a pipe left early), 1 failed, 2 a usage mistake,
3 an optional package is missing, 130 Ctrl-C. Every complaint is one line on stderr.
"""

import argparse
import contextlib
import importlib
import os
import pkgutil
import sys

import viz

from . import doctor
from .common import SEEDS, MissingExtra, parameters_of

# Every demos/lessonNN_*.py, in the order of its number: a new lesson file is found by itself.
MODULES = [
    importlib.import_module(f"{__package__}.{name}")
    for name in sorted(m.name for m in pkgutil.iter_modules([os.path.dirname(__file__)]))
    if name.startswith("lesson")
]
LESSONS = {m.LESSON.name: m.LESSON for m in MODULES}


class UsageError(Exception):
    """A mistake on the command line: one line on stderr, exit status 2."""


class OutputError(Exception):
    """Standard output could not be written; its __cause__ says why (BrokenPipeError: the
    reader left, as `chainrule list | head -1` does)."""


class Output:
    """Standard output, with its failures raised as OutputError: so a full disk under `>`
    is never mistaken for one that cannot take the lesson's files."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        try:
            return self.stream.write(text)
        except UnicodeEncodeError as err:  # e.g. PYTHONIOENCODING=ascii: '·' and '∂' cannot go
            shown = err.object[err.start]
            raise OutputError(
                f"its encoding, {err.encoding}, cannot show {shown!r}; set PYTHONIOENCODING=utf-8"
            ) from err
        except OSError as err:
            raise OutputError(err) from err

    def flush(self):
        try:
            self.stream.flush()
        except OSError as err:
            raise OutputError(err) from err

    def isatty(self):
        return self.stream.isatty()


class Parser(argparse.ArgumentParser):
    """argparse, with its complaints on one line (it prints the usage above them)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message}; see `{self.prog} --help`\n")


def seed(text):
    """A --seed value: plain digits 0-9, from 0 to SEEDS - 1 (numpy's RandomState's range)."""
    if not (text.isascii() and text.isdigit()):  # refuses ' 7 ', '+7', '-3' and '٧' alike
        raise argparse.ArgumentTypeError(
            f"seed must be a whole number >= 0, got {text!r} (digits 0-9 alone)"
        )
    if len(text.lstrip("0")) > len(str(SEEDS - 1)) or int(text) >= SEEDS:  # int() of no giant
        raise argparse.ArgumentTypeError(
            f"seed must be at most {SEEDS - 1} (numpy's seeds are 32-bit), got {text!r}"
        )
    return int(text)


def parser():
    p = Parser(prog="chainrule", description="Lessons in backpropagation.")
    sub = p.add_subparsers(dest="command", metavar="{list,run,step,doctor}")
    sub.add_parser("list", help="name every lesson with a one-line summary")
    run = sub.add_parser("run", help="run a lesson and write its pictures")
    run.add_argument("name", help="a lesson name from `chainrule list`")
    run.add_argument("--out", help="folder for its files (default: out/NAME)")
    run.add_argument(
        "--seed", type=seed, default=0, help=f"seed for every random choice (0 to {SEEDS - 1})"
    )
    run.add_argument("--no-plots", action="store_true", help="skip matplotlib plots")
    step = sub.add_parser("step", help="step through a lesson's backprop in the terminal")
    step.add_argument("name")
    step.add_argument("--no-pause", action="store_true", help="print every step without waiting")
    check = sub.add_parser("doctor", help="say what is installed and what each missing piece costs")
    check.add_argument("--json", action="store_true", help="the same facts, as JSON")
    return p


def lesson_named(name):
    if name not in LESSONS:
        raise UsageError(f"no lesson named {name!r}; `chainrule list` shows: {', '.join(LESSONS)}")
    return LESSONS[name]


def complain(status, text):
    """Say `text` as one line on stderr (when there is one); returns the exit status."""
    if sys.stderr is not None:  # `2>&-`: print(file=None) would write to stdout instead
        print(f"chainrule: {text}", file=sys.stderr)
    return status


def main(argv=None):
    """Run the command line `argv` (default: sys.argv[1:]); returns the exit status."""
    if sys.stdout is None:  # started with `>&-`: nothing it prints could be seen, so do nothing
        return complain(1, "cannot write the output: standard output is closed")
    out = Output(sys.stdout)
    try:
        with contextlib.redirect_stdout(out):  # print, argparse's --help and the stepper
            try:
                return command(parser().parse_args(argv))
            finally:
                out.flush()  # here, not at exit: a full disk is reported like any other failure
    except OutputError as err:
        try:
            out.stream.flush()  # what was written before a bad character still goes out
        except OSError:  # the interpreter's own last flush would fail too, with a traceback
            os.dup2(os.open(os.devnull, os.O_WRONLY), out.stream.fileno())
        if isinstance(err.__cause__, BrokenPipeError):  # `| head`: the reader has enough
            return 0
        return complain(1, f"cannot write the output: {err}")


def command(args):
    """Carry out parsed `args`; returns the exit status."""
    try:
        if args.command == "list" or args.command is None:
            width = max(map(len, LESSONS))
            for i, (name, lesson) in enumerate(LESSONS.items(), 1):
                print(f"{i:>2}. {name:<{width}}  {lesson.summary}")
            return 0
        if args.command == "doctor":
            try:
                return doctor.run(MODULES, as_json=args.json)
            except ValueError as err:  # $CHAINRULE_RENDERER names no renderer (read first)
                raise UsageError(err) from None
        lesson = lesson_named(args.name)
        if args.command == "run":
            lesson(out=args.out, seed=args.seed, plots=not args.no_plots)
            lesson.finish()
            return 0
        if args.command == "step":
            if lesson.build is None:
                small = ", ".join(n for n, each in LESSONS.items() if each.build is not None)
                raise UsageError(f"{args.name!r} trains many graphs, none to step; try: {small}")
            root = lesson.build()
            try:
                viz.step_terminal(root, pause=not args.no_pause, params=parameters_of(root))
            except KeyboardInterrupt:  # Ctrl-C: the stepper has ended its line already
                return 130
            return 0
    except UsageError as err:
        return complain(2, err)
    except MissingExtra as err:
        return complain(3, err)
    except OSError as err:  # an --out that cannot be written to, a full disk
        return complain(1, f"cannot write the lesson's files: {err}")
    except KeyboardInterrupt:  # Ctrl-C: end the "^C" line, so the shell's prompt starts fresh
        print(file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
