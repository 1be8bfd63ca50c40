"""`chainrule worksheet`: printable backprop exercises for a class and their answer key.

demos/worksheet.py makes the sheets; this module reads the command line and the names file,
and says what was written.
"""

import argparse
import os
import sys
import unicodedata

import viz
from viz.format import pad, width
from viz.i18n import _, ngettext

from . import worksheet
from .common import UsageError

MAX_STUDENTS = 500  # names in one file: a year group, not a school
MAX_NAME = 100  # characters in one name


def count(text):
    """A --count value: a whole number of exercises from 1 to worksheet.MAX_COUNT."""
    top = worksheet.MAX_COUNT
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= top:
        raise argparse.ArgumentTypeError(
            _("count must be a whole number from 1 to {top}, got {text}").format(
                top=top, text=repr(text)
            )
        )
    return int(text)


def add_parser(sub):
    """The `worksheet` subcommand and its options."""
    from .cli import seed  # here, not at the top: demos.cli imports this module as it loads

    p = sub.add_parser(
        "worksheet",
        help=_("write printable backprop exercises and their answer key"),
        description=_(
            "Write K exercises a sheet, one a page, as HTML that prints on A4 or Letter (and "
            "as PDF where Chromium is installed), with the answer key as key.html and "
            "key.json (for `chainrule check`). Without --students: one sheet, S01, for the "
            "whole class (print it for each student: everyone has the same numbers). With "
            "--students: one sheet per name, each with its own numbers, and one key for all."
        ),
        epilog=_(
            "A student's numbers come from --seed and their name (the first 4 bytes of "
            "SHA-256 of SEED, NAME and 0, one a line; 1, 2... instead of 0 where a sheet would "
            "repeat an earlier one), so a student keeps their sheet when the list is sorted "
            "or grows. The same command writes the same files, byte for byte."
        ),
    )
    p.add_argument(
        "--seed",
        type=seed,
        default=0,
        help=_("seed for the numbers (default 0)"),
    )
    p.add_argument(
        "--count",
        type=count,
        default=4,
        metavar="K",
        help=_("exercises on each sheet (1 to {top}; default 4)").format(top=worksheet.MAX_COUNT),
    )
    p.add_argument(
        "--level",
        type=int,
        choices=sorted(worksheet.TOPICS),
        default=1,
        help=_(
            "1 a product of two sums, 2 a value used twice (fan-out), 3 a neuron with Sigmoid "
            "or tanh, 4 a 2-2-1 network and one SGD step (default 1)"
        ),
    )
    p.add_argument(
        "--out",
        default=os.path.join("out", "worksheet"),
        metavar="DIR",
        help=_("folder for the sheets and the key (default: out/worksheet)"),
    )
    p.add_argument(
        "--students",
        metavar="NAMES.txt",
        help=_("a UTF-8 file with one student's name a line: a sheet for each"),
    )
    p.add_argument(
        "--paper",
        choices=sorted(worksheet.PAPERS),
        default="a4",
        help=_("paper size for printing (default a4)"),
    )
    p.add_argument(
        "--no-pdf", action="store_true", help=_("write HTML only, without asking Chromium for PDFs")
    )
    return p


def read_names(path):
    """The students named in `path`, one a line: UTF-8 (a byte-order mark is fine), blank
    lines skipped, spaces around and inside a name tidied, each name in NFC. A name given
    twice stays twice: two students may share one."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise UsageError(_("there is no names file {path}").format(path=repr(path))) from None
    except OSError as err:
        raise UsageError(
            _("cannot read the names file {path}: {error}").format(
                path=repr(path), error=err.strerror or err
            )
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise UsageError(
            _("{path} is not UTF-8 text (line {line}): save it as UTF-8").format(
                path=repr(path), line=line
            )
        ) from None
    names = []
    for number, line in enumerate(text.splitlines(), 1):
        name = unicodedata.normalize("NFC", " ".join(line.split()))
        if len(name) > MAX_NAME:
            raise UsageError(
                _(
                    "line {line} of {path} is {size} characters long; a name has at most {top}"
                ).format(line=number, path=repr(path), size=len(name), top=MAX_NAME)
            )
        if name:
            names.append(name)
    if not names:
        raise UsageError(
            _("{path} has no names: write one student's name a line").format(path=repr(path))
        )
    if len(names) > MAX_STUDENTS:
        raise UsageError(
            _("{path} has {size} names, more than {top}: split the class").format(
                path=repr(path), size=len(names), top=MAX_STUDENTS
            )
        )
    return names


def span(paths):
    """Files as one short item: S01.html, or S01.html … S30.html."""
    names = [p.name for p in paths]
    return names[0] if len(names) == 1 else f"{names[0]} … {names[-1]}"


def run(args):
    """Write the sheets and the key; returns the exit status."""
    students = read_names(args.students) if args.students else None
    try:
        made = worksheet.write_worksheets(
            args.out,
            level=args.level,
            count=args.count,
            seed=args.seed,
            students=students,
            paper=args.paper,
            pdf=not args.no_pdf,
        )
    except viz.GraphvizNotFoundError:
        said = _("the sheets' graphs need a layout program: pip install graphviz-pure")
        print(f"chainrule: {said}", file=sys.stderr)
        return 1
    except OSError as err:
        said = _("cannot write the worksheets: {error}").format(error=err)
        print(f"chainrule: {said}", file=sys.stderr)
        return 1
    sheets = ngettext("{n} sheet", "{n} sheets", len(made.sheets)).format(n=len(made.sheets))
    print(
        _("Wrote {sheets} of {count} exercises (level {level}) to {out}:").format(
            sheets=sheets, count=args.count, level=args.level, out=args.out
        )
    )
    rows = [(span(made.html), _("the sheets: open one in a browser to print it"))]
    if made.pdf:
        rows.append((span(made.pdf), _("the same sheets as PDF, ready to print")))
    if made.together:  # sheets.html (and sheets.pdf)
        together = ", ".join(p.name for p in made.together)
        rows.append((together, _("every sheet in one file, to print them in one go")))
    rows.append(
        (", ".join(p.name for p in made.key if p.suffix != ".json"), _("the answer key, for you"))
    )
    rows.append(("key.json", _("the key for `chainrule check key.json ANSWERS.csv`")))
    column = max(width(item) for item, _what in rows)
    for item, what in rows:
        print(f"  {pad(item, column)}  {what}")
    twice = repeated(students or [])
    for name, positions in twice.items():
        ids = ", ".join(made.sheets[i].sheet for i in positions)
        print(
            _("{name} is named {times} times: a sheet each ({sheets})").format(
                name=name, times=len(positions), sheets=ids
            )
        )
    if made.skipped:
        print(_("(skipped the PDFs: {why})").format(why=made.skipped))
    return 0


def repeated(names):
    """{name: [positions]} for each name given more than once."""
    seen = {}
    for i, name in enumerate(names):
        seen.setdefault(name, []).append(i)
    return {name: where for name, where in seen.items() if len(where) > 1}
