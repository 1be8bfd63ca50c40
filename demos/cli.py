"""The `chainrule` command: list the lessons, run one, step through its backprop, or ask the
doctor what is installed here and what each missing piece costs.

Exit status: 0 done (or the reader of a pipe left early), 1 failed, 2 a usage mistake,
3 an optional package is missing, 130 Ctrl-C. Every complaint is one line on stderr.

It speaks English or Chinese: `--lang zh-CN`, else the environment (LANG=zh_CN.UTF-8), and
the whole run, the lesson's lines and pictures too, happens in that language.
"""

import argparse
import contextlib
import importlib
import os
import pkgutil
import re
import sys

import viz
from viz import i18n, render
from viz.format import pad, width
from viz.i18n import _

from . import cmd_check, cmd_draw, cmd_exercise, cmd_export, cmd_serve, cmd_worksheet, doctor
from .common import SEEDS, MissingExtra, UsageError, complain, parameters_of

# Every demos/lessonNN_*.py, in the order of its number: a new lesson file is found by itself.
MODULES = [
    importlib.import_module(f"{__package__}.{name}")
    for name in sorted(m.name for m in pkgutil.iter_modules([os.path.dirname(__file__)]))
    if name.startswith("lesson")
]
LESSONS = {m.LESSON.name: m.LESSON for m in MODULES}
# The teacher's commands beside the lessons: demos/cmd_NAME.py gives add_parser(sub), which
# adds and returns its subparser, and run(args), which returns the exit status.
COMMANDS = {
    "draw": cmd_draw,
    "worksheet": cmd_worksheet,
    "check": cmd_check,
    "exercise": cmd_exercise,
    "export": cmd_export,
    "serve": cmd_serve,
}


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
                _("its encoding, {encoding}, cannot show {shown}; set {setting}").format(
                    encoding=err.encoding, shown=repr(shown), setting="PYTHONIOENCODING=utf-8"
                )
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


WIDE = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"  # CJK characters and punctuation
OPENING, CLOSING = "（「", "，。；：、！？）」"  # a line never ends, or starts, with these
# What a line may end after: a run of Latin text, or one wide character, each with the opening
# punctuation before it, the closing after it and its spaces (Chinese needs no space to break).
PIECE = re.compile(rf"[{OPENING}]*(?:[^\s{WIDE}]+|[{WIDE}])[{CLOSING}]*\s*")


def wrap(text, columns):
    """`text` in lines of at most `columns` terminal columns (CJK characters take two)."""
    lines, line = [], ""
    for piece in PIECE.findall(text):
        if line and width((line + piece).rstrip()) > columns:
            lines.append(line.rstrip())
            line = ""
        line += piece
    return [*lines, line.rstrip()] if line.strip() else lines


class Formatter(argparse.HelpFormatter):
    """argparse's help, laid out by display width where the text is Chinese (argparse counts
    len(), and a CJK character takes two columns); English keeps argparse's own layout."""

    def _format_usage(self, usage, actions, groups, prefix):
        shown = _("usage: ") if prefix is None else prefix
        shift = width(shown) - len(shown)  # the columns its wide characters add
        self._width -= shift  # so the first line, prefix included, still fits
        try:
            first, *rest = super()._format_usage(usage, actions, groups, prefix).split("\n")
        finally:
            self._width += shift
        # the continuation lines move right with the words of the first line
        return "\n".join([first, *(" " * shift + line if line else line for line in rest)])

    def _split_lines(self, text, columns):
        if width(text) == len(text):
            return super()._split_lines(text, columns)
        return wrap(self._whitespace_matcher.sub(" ", text).strip(), columns)

    def _fill_text(self, text, columns, indent):
        if width(text) == len(text):
            return super()._fill_text(text, columns, indent)
        lines = wrap(self._whitespace_matcher.sub(" ", text).strip(), columns - len(indent))
        return "\n".join(indent + line for line in lines)

    def format_help(self):
        # a Chinese section title ends with a Chinese colon ("选项：", not "选项:")
        return re.sub(rf"^([^\s].*[{WIDE}]):$", r"\1：", super().format_help(), flags=re.M)


class Parser(argparse.ArgumentParser):
    """argparse, with its complaints on one line (it prints the usage above them)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message):
        # TRANSLATORS: {message} is argparse's complaint, already translated; keep `{prog} --help`.
        line = _("{prog}: {message}; see `{prog} --help`").format(prog=self.prog, message=message)
        self.exit(2, line + "\n")


class Early(argparse.ArgumentParser):
    """A parser that only looks for --lang, and never complains (the real parser will)."""

    def error(self, message):
        raise UsageError(message)


@contextlib.contextmanager
def argparse_speaking():
    """argparse's own words (usage:, options, its complaints) in the current language.

    argparse looks up its module's `_` and `ngettext` each time it says something, so one
    swap reaches every message it has, with no copy of its code; put back on the way out,
    and only around building and parsing, so nothing else meets the swap."""
    saved = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = i18n._, i18n.ngettext
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


def language_asked(argv):
    """The language `--lang` names in `argv`, read before the parser is built (its help and
    complaints are made in that language); None when it is absent or unknown. No
    abbreviations: `serve --lan --lang zh-CN` has a --lan of its own, which is no --lang."""
    early = Early(add_help=False, allow_abbrev=False)
    early.add_argument("--lang")
    try:
        asked = early.parse_known_args(argv)[0].lang
    except UsageError:  # `--lang` with no value: the real parser says so
        return None
    return None if asked is None else i18n.normalise(asked)


def language_tag(text):
    """A --lang value: any spelling viz.i18n reads (zh, zh_CN, zh-CN, en), as its tag."""
    found = i18n.normalise(text)
    if found is None:
        raise argparse.ArgumentTypeError(
            _("unknown language {value}; choose {en} or {zh}").format(
                value=repr(text), en="en", zh="zh-CN"
            )
        )
    return found


def seed(text):
    """A --seed value: plain digits 0-9, from 0 to SEEDS - 1 (numpy's RandomState's range)."""
    if not (text.isascii() and text.isdigit()):  # refuses ' 7 ', '+7', '-3' and '٧' alike
        raise argparse.ArgumentTypeError(
            _("seed must be a whole number >= 0, got {text} (digits 0-9 alone)").format(
                text=repr(text)
            )
        )
    if len(text.lstrip("0")) > len(str(SEEDS - 1)) or int(text) >= SEEDS:  # int() of no giant
        raise argparse.ArgumentTypeError(
            _("seed must be at most {top} (numpy's seeds are 32-bit), got {text}").format(
                top=SEEDS - 1, text=repr(text)
            )
        )
    return int(text)


def with_lang(p, default):
    """Give parser `p` the --lang option. A subcommand's default is SUPPRESS: argparse would
    otherwise overwrite `chainrule --lang zh run ...` with the subcommand's own default."""
    p.add_argument(
        "--lang",
        type=language_tag,
        default=default,
        metavar="LANG",
        help=_("output language: {en} or {zh} (default: from LANG)").format(en="en", zh="zh-CN"),
    )


def parser():
    """The command line, its help in the current language (build it where argparse speaks)."""
    p = Parser(prog="chainrule", description=_("Lessons in backpropagation."))
    with_lang(p, None)
    sub = p.add_subparsers(
        dest="command", metavar="{" + ",".join(["list", "run", "step", "doctor", *COMMANDS]) + "}"
    )
    listing = sub.add_parser("list", help=_("name every lesson with a one-line summary"))
    run = sub.add_parser("run", help=_("run a lesson and write its pictures"))
    run.add_argument("name", help=_("a lesson name from `chainrule list`"))
    run.add_argument("--out", help=_("folder for its files (default: out/NAME)"))
    run.add_argument(
        "--seed",
        type=seed,
        default=0,
        help=_("seed for every random choice (0 to {top})").format(top=SEEDS - 1),
    )
    run.add_argument("--no-plots", action="store_true", help=_("skip matplotlib plots"))
    step = sub.add_parser(
        "step", help=_("step through a lesson's or an expression's backprop in the terminal")
    )
    step.add_argument("name")  # a lesson, or an expression with --at (cmd_draw.stepped)
    step.add_argument("--no-pause", action="store_true", help=_("print every step without waiting"))
    cmd_draw.expression_options(step)
    step.add_argument(
        "--forward",
        metavar="NAME",
        help=_(
            "step forward mode for the input NAME first, then backprop, and compare their costs"
        ),
    )
    check = sub.add_parser(
        "doctor", help=_("say what is installed and what each missing piece costs")
    )
    check.add_argument("--json", action="store_true", help=_("the same facts, as JSON"))
    commands = [listing, run, step, check]
    for module in COMMANDS.values():  # the teacher's commands, each in its own module
        commands.append(module.add_parser(sub))
        commands[-1].set_defaults(handler=module.run)
    for each in commands:
        with_lang(each, argparse.SUPPRESS)
    return p


def parse(argv):
    """`argv` parsed, argparse speaking the current language (its --help prints here)."""
    with argparse_speaking():
        return parser().parse_args(argv)


def lesson_named(name):
    if name not in LESSONS:
        raise UsageError(
            _("no lesson named {name}; `chainrule list` shows: {names}").format(
                name=repr(name), names=", ".join(LESSONS)
            )
        )
    return LESSONS[name]


def check_renderer():
    """$CHAINRULE_RENDERER, read before anything runs: a name that is no renderer is a
    usage mistake, said in the student's language (viz.render's own error is English)."""
    try:
        render.choice()
    except ValueError:
        raise UsageError(
            _("{variable}={value} is not a renderer; use one of {choices}").format(
                variable=render.ENVIRONMENT,
                value=repr(os.environ.get(render.ENVIRONMENT, "").strip()),
                choices=", ".join(("auto", *render.RENDERERS)),
            )
        ) from None


def main(argv=None):
    """Run the command line `argv` (default: sys.argv[1:]); returns the exit status."""
    with i18n.language(language_asked(argv)):  # None: the environment's language
        try:
            return speak(argv)
        except i18n.CatalogError as err:  # an install without its compiled Chinese: English
            return complain(1, err)


def speak(argv):
    """main's work, in the language chosen: parse `argv`, carry it out, report failures."""
    if sys.stdout is None:  # started with `>&-`: nothing it prints could be seen, so do nothing
        return complain(1, _("cannot write the output: standard output is closed"))
    out = Output(sys.stdout)
    try:
        with contextlib.redirect_stdout(out):  # print, argparse's --help and the stepper
            try:
                return command(parse(argv))
            finally:
                out.flush()  # here, not at exit: a full disk is reported like any other failure
    except OutputError as err:
        try:
            out.stream.flush()  # what was written before a bad character still goes out
        except OSError:  # the interpreter's own last flush would fail too, with a traceback
            os.dup2(os.open(os.devnull, os.O_WRONLY), out.stream.fileno())
        if isinstance(err.__cause__, BrokenPipeError):  # `| head`: the reader has enough
            return 0
        return complain(1, _("cannot write the output: {error}").format(error=err))


def command(args):
    """Carry out parsed `args`; returns the exit status."""
    try:
        if args.command == "list" or args.command is None:
            column = max(map(width, LESSONS))  # display width, as every table here
            for i, (name, lesson) in enumerate(LESSONS.items(), 1):
                print(f"{i:>2}. {pad(name, column)}  {lesson.summary}")
            return 0
        if args.command == "doctor":
            check_renderer()
            return doctor.run(MODULES, as_json=args.json)
        if getattr(args, "handler", None) is not None:
            check_renderer()
            return args.handler(args)
        if args.command == "step":
            typed = cmd_draw.stepped(args, LESSONS)  # a teacher's own expression, or None
            if typed is None:
                lesson = lesson_named(args.name)
                if lesson.build is None:
                    small = ", ".join(n for n, each in LESSONS.items() if each.build is not None)
                    raise UsageError(
                        _("{name} trains many graphs, none to step; try: {names}").format(
                            name=repr(args.name), names=small
                        )
                    )
                root = lesson.build()
                params = parameters_of(root)
            else:
                root, params = typed.root, typed.params
            wrt = cmd_draw.forward_input(args.forward, root)  # None: backprop alone
            modes = {} if wrt is None else {"mode": "both", "wrt": wrt}
            try:
                viz.step_terminal(root, pause=not args.no_pause, params=params, **modes)
            except KeyboardInterrupt:  # Ctrl-C: the stepper has ended its line already
                return 130
            return 0
        lesson = lesson_named(args.name)
        if args.command == "run":
            check_renderer()
            lesson(out=args.out, seed=args.seed, plots=not args.no_plots)
            lesson.finish()
            return 0
    except UsageError as err:
        return complain(2, err)
    except MissingExtra as err:
        return complain(3, err)
    except OSError as err:  # an --out that cannot be written to, a full disk
        return complain(1, _("cannot write the lesson's files: {error}").format(error=err))
    except KeyboardInterrupt:  # Ctrl-C: end the "^C" line, so the shell's prompt starts fresh
        print(file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
