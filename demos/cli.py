"""The `chainrule` command: list the lessons, run one, or step through its backprop."""

import argparse
import importlib
import os
import pkgutil
import sys

import viz

from .common import MissingExtra, parameters_of

# Every demos/lessonNN_*.py, in the order of its number: a new lesson file is found by itself.
MODULES = [
    importlib.import_module(f"{__package__}.{name}")
    for name in sorted(m.name for m in pkgutil.iter_modules([os.path.dirname(__file__)]))
    if name.startswith("lesson")
]
LESSONS = {m.LESSON.name: m.LESSON for m in MODULES}


class UsageError(Exception):
    """A mistake on the command line: one line on stderr, exit status 2."""


def seed(text):
    """A --seed value: a whole number >= 0 (numpy's generators refuse negative seeds)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"seed must be a whole number >= 0, got {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"seed must be a whole number >= 0, got {text!r}")
    return value


def parser():
    p = argparse.ArgumentParser(prog="chainrule", description="Lessons in backpropagation.")
    sub = p.add_subparsers(dest="command", metavar="{list,run,step}")
    sub.add_parser("list", help="name every lesson with a one-line summary")
    run = sub.add_parser("run", help="run a lesson and write its pictures")
    run.add_argument("name", help="a lesson name from `chainrule list`")
    run.add_argument("--out", help="folder for its files (default: out/NAME)")
    run.add_argument("--seed", type=seed, default=0, help="seed for every random choice (>= 0)")
    run.add_argument("--no-plots", action="store_true", help="skip matplotlib plots")
    step = sub.add_parser("step", help="step through a lesson's backprop in the terminal")
    step.add_argument("name")
    step.add_argument("--no-pause", action="store_true", help="print every step without waiting")
    return p


def lesson_named(name):
    if name not in LESSONS:
        raise UsageError(f"no lesson named {name!r}; `chainrule list` shows: {', '.join(LESSONS)}")
    return LESSONS[name]


def main(argv=None):
    p = parser()
    args = p.parse_args(argv)
    try:
        if args.command == "list" or args.command is None:
            width = max(map(len, LESSONS))
            for i, (name, lesson) in enumerate(LESSONS.items(), 1):
                print(f"{i:>2}. {name:<{width}}  {lesson.summary}")
            return 0
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
            except BrokenPipeError:  # `chainrule step NAME | head`: the reader left; stop quietly
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except KeyboardInterrupt:  # Ctrl-C: the stepper has ended its line already
                return 130
            return 0
    except UsageError as err:
        print(f"chainrule: {err}", file=sys.stderr)
        return 2
    except MissingExtra as err:
        print(f"chainrule: {err}", file=sys.stderr)
        return 3
    except OSError as err:  # an --out that cannot be written to, a full disk
        print(f"chainrule: cannot write the lesson's files: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C: end the "^C" line, so the shell's prompt starts fresh
        print(file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
