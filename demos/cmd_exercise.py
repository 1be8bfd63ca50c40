"""`chainrule exercise op NAME FILE`: grade a student's forward rule and local derivative.

The student writes an op as two small functions in a Python file (`--template` writes one to
fill in): `forward(a)` and `local(a, y)`, or for two inputs `forward(a, b)` and
`local(a, b, y)` returning (∂y/∂a, ∂y/∂b). Grading runs the file, as `python FILE` would (it
is the student's own code), then, at a fixed set of points (small, large, near 0 and near
the corners at 0 and ±1): forward against the engine's op, and local against central finite
differences of the engine's forward, with gradcheck's step and tolerance. The student's own
op (`own`) is checked against the slopes of their own forward. At a corner (the slopes on
the left and the right differ) any slope between the two is right; where the forward jumps
there is no derivative and the point is skipped.

It says what a teacher would: the first few points where an answer is wrong, expected beside
given, a hint where the mistake has a known shape, and a verdict. An exception in the
student's code is one line naming the line of THEIR file. Exit status: 0 passed, 1 not passed
yet (a wrong answer or an error in the file: the student's work, not a usage mistake) or a
file cannot be read or written, 2 a usage mistake.
"""

import argparse
import importlib.util
import inspect
import itertools
import math
import numbers
import os
import random
import sys
import traceback

from autograd.files import write_atomic
from autograd.ops import OPS
from viz.format import fmt, pad
from viz.i18n import _, language, ngettext, resolve
from viz.notation import partial

from .common import UsageError
from .exercises import EXERCISES, SUMMARIES, paragraph, starter

H, ATOL, RTOL = 1e-6, 1e-5, 1e-4  # gradcheck's step h·max(1, |x|) and its default tolerance
FORWARD_ATOL, FORWARD_RTOL = 1e-8, 1e-6  # another way to write the same function rounds apart
SHOWN = 3  # wrong points listed per function
SEED = 17  # the random points are the same in every run: a grade must not change by itself

# The points, first those a student checks by hand (the report lists the first wrong ones),
# then near 0 and the corners at ±1 (where a ReLU or a clip bends), then large, then random.
_rng = random.Random(SEED)
UNARY_POINTS = list(
    dict.fromkeys(
        [(x,) for x in (0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, -3.0, 0.1, -0.1, 5.0, -5.0)]
        + [(x,) for x in (0.001, -0.001, 0.01, -0.01, 0.999, -0.999, 1.001, -1.001)]
        + [(x,) for x in (8.0, -8.0, 15.0, -15.0, 30.0, -30.0)]
        + [(round(_rng.uniform(-6, 6), 2),) for _ in range(13)]
    )
)
# Two inputs: a grid and random pairs, with |b| >= 0.1 (b is a divisor: never 0 or close).
_GRID = [(a, b) for a in (1.0, -3.0, 2.0, 0.0, 0.5, 10.0) for b in (2.0, 0.5, -1.0, 3.0, -4.0, 0.1)]
BINARY_POINTS = list(
    dict.fromkeys(
        _GRID
        + [(a, -0.1) for a in (1.0, -3.0)]
        + [
            (round(_rng.uniform(-5, 5), 2), _rng.choice((1, -1)) * round(_rng.uniform(0.25, 5), 2))
            for _ in range(12)
        ]
    )
)
_modules = itertools.count()


class StudentError(Exception):
    """The student's file cannot be graded as it stands; the message is the one line to show."""


class NotWritten(StudentError):
    """The function still raises the template's NotImplementedError."""


class Skip(Exception):
    """The student's own forward has no value (or no slope) at this point: it is not graded."""


# ---- Running the student's file -------------------------------------------------------------


def where_in(err, path):
    """The line of `path` where `err` was raised (the innermost frame in that file)."""
    lines = [f.lineno for f in traceback.extract_tb(err.__traceback__) if f.filename == path]
    return lines[-1] if lines else "?"


def said(err):
    """An exception as one line: `ZeroDivisionError: float division by zero`."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


def load(path):
    """Run the student's file in a fresh module, as `python FILE` would; returns the module."""
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as err:
        raise OSError(_("cannot read {file}: {error}").format(file=path, error=err)) from None
    name = f"chainrule_exercise_{next(_modules)}"
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader=None))
    module.__file__ = path
    sys.modules[name] = module  # as an import has it (dataclasses look their module up there)
    try:
        exec(compile(source, path, "exec"), module.__dict__)  # no .pyc: every run reads FILE
    except SyntaxError as err:
        raise StudentError(
            _("{file} has a syntax error at line {line}: {error}").format(
                file=os.path.basename(path), line=err.lineno, error=err.msg
            )
        ) from None
    except (Exception, SystemExit) as err:  # anything their code raises is theirs to fix
        raise StudentError(
            _("{file} stopped at line {line} while it was loading: {error}").format(
                file=os.path.basename(path), line=where_in(err, path), error=said(err)
            )
        ) from None
    finally:
        del sys.modules[name]
    return module


def function(module, name, wanted, path):
    """The student's function `name`, checked to take `wanted` inputs (a tuple of names)."""
    fn = getattr(module, name, None)
    signature = f"def {name}({', '.join(wanted)}):"
    if not callable(fn):
        raise StudentError(
            _("{file} has no function {name}: the exercise needs `{signature}`").format(
                file=os.path.basename(path), name=name, signature=signature
            )
        )
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin with no signature: calling it will tell
        return fn
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    needed = [p for p in positional if p.default is p.empty]
    if not any(p.kind == p.VAR_POSITIONAL for p in params) and not (
        len(needed) <= len(wanted) <= len(positional)
    ):
        raise StudentError(
            _(
                "{name} takes {given}, but the exercise gives it {count}: write `{signature}`"
            ).format(
                name=name,
                given=f"({', '.join(p.name for p in positional)})",
                count=len(wanted),
                signature=signature,
            )
        )
    return fn


def inputs_of(fn):
    """How many inputs the student's own forward takes: 2 if it needs two, else 1."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # not a function (function() says so) or no signature
        return 1
    needed = [p for p in params if p.default is p.empty and p.kind != p.VAR_POSITIONAL]
    return 2 if len(needed) == 2 else 1


def point_text(xs):
    """`a = 0.5` or `a = 0.5, b = -2`."""
    return ", ".join(f"{n} = {fmt(x)}" for n, x in zip("ab", xs))


def call(fn, args, xs, path, count):
    """fn(*args) as `count` numbers; the student's exceptions and odd returns as StudentError."""
    name = fn.__name__ if hasattr(fn, "__name__") else "?"
    try:
        got = fn(*args)
    except NotImplementedError as err:
        raise NotWritten(
            _(
                "{name} is not written yet (line {line}): replace the `raise` with your formula."
            ).format(name=name, line=where_in(err, path))
        ) from None
    except (Exception, SystemExit) as err:  # their code, their error: one line, their line
        raise StudentError(
            _(
                "{name} stopped with an error at line {line} of {file}, with {point}: {error}"
            ).format(
                name=name,
                error=said(err),
                line=where_in(err, path),
                file=os.path.basename(path),
                point=point_text(xs),
            )
        ) from None
    if got is None:
        raise StudentError(
            _("{name} returned `None` with {point}: did you forget `return`?").format(
                name=name, point=point_text(xs)
            )
        )
    values = list(got) if isinstance(got, (tuple, list)) else [got]
    if len(values) != count:
        if count == 1:
            text = _("{name} must return one number; it returned {shown}")
        else:
            text = _("{name} must return two numbers, (∂y/∂a, ∂y/∂b); it returned {shown}")
        raise StudentError(text.format(name=name, shown=repr(got)[:60]))
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise StudentError(
                _("{name} returned {shown} with {point}: it must be a number").format(
                    name=name, shown=repr(v)[:60], point=point_text(xs)
                )
            )
    return [float(v) for v in values]


# ---- Slopes: what the answer should be ------------------------------------------------------


def slope(f, xs, i):
    """What ∂f/∂(input i) should be at xs: ("slope", s), or ("corner", low, high) where the
    slopes on the left and the right differ (any slope between them is right).

    Central differences with gradcheck's step; where the one-sided slopes disagree they are
    taken again with a step 10 times smaller: a smooth function's gap shrinks with the step,
    a corner's stays, and a jump's grows (no derivative there: Skip).
    """

    def sides(step):
        at = lambda t: f(*xs[:i], t, *xs[i + 1 :])  # noqa: E731
        mid = at(xs[i])
        return (mid - at(xs[i] - step)) / step, (at(xs[i] + step) - mid) / step

    step = H * max(1.0, abs(xs[i]))
    left, right = sides(step)
    central = (left + right) / 2
    gap = abs(right - left)
    if not gap > 1e-3 * max(1.0, abs(central)):  # also a nan gap: smooth as far as we can see
        return ("slope", central)
    left2, right2 = sides(step / 10)
    if abs(right2 - left2) < gap / 3:
        return ("slope", central)
    if abs(right2 - left2) > 3 * gap:
        raise Skip()
    return ("corner", min(left, right), max(left, right))


def close(given, expected):
    """gradcheck's test: |given - expected| <= atol + rtol·|expected| (a corner: in between)."""
    if expected[0] == "corner":
        low, high = expected[1], expected[2]
        return low - ATOL - RTOL * abs(low) <= given <= high + ATOL + RTOL * abs(high)
    return abs(given - expected[1]) <= ATOL + RTOL * abs(expected[1])


def expected_text(expected):
    """What a slope should be, as the report says it: `0.25`, or `0 to 1 (a corner)`."""
    if expected[0] == "corner":
        # TRANSLATORS: the expected slope at a corner of the function: any value in between.
        return _("{low} to {high} (a corner)").format(low=fmt(expected[1]), high=fmt(expected[2]))
    return fmt(expected[1])


def distinct(expected, given):
    """Both numbers with enough digits to see that they differ (4, or up to 10)."""
    for digits in range(4, 11):
        if fmt(expected, digits) != fmt(given, digits):
            break
    return fmt(expected, digits), fmt(given, digits)


# ---- Hints: the shape of a mistake ----------------------------------------------------------


def hint(exercise, slot, wrong):
    """What to say about the wrong points `wrong` of derivative `slot`, or None.

    wrong: (xs, y, expected, given) at each point where the answer is wrong."""
    if any(math.isnan(g) for _xs, _y, _e, g in wrong):
        return _(
            "nan means not a number: look for 0/0, inf - inf or inf·0 in your formula, "
            "or a nan it returns on purpose."
        )
    smooth = [(xs, y, e[1], g) for xs, y, e, g in wrong if e[0] == "slope"]
    if exercise.op is not None:  # a known op: its usual mistakes, each with what to say
        for s, formula, text in exercise.mistakes:
            if (
                s == slot
                and smooth
                and all(close(g, ("slope", formula(*xs, y))) for xs, y, _e, g in smooth)
            ):
                return _(text)
    if not smooth:
        return _(
            "It is right except at the corners of the function, where the slopes on "
            "the left and the right differ: any slope between the two is right there."
        )
    ratios = [g / e for _xs, _y, e, g in smooth if abs(e) > 1e-3]
    # A constant factor c (-1: the sign) makes the answer right at every wrong point, 0s too;
    # two points at least, or any one wrong number would be "a factor off".
    if (
        len(ratios) > 1
        and ratios[0] != 0
        and all(close(g, ("slope", ratios[0] * e)) for _xs, _y, e, g in smooth)
    ):
        if close(-1.0, ("slope", ratios[0])):
            return _(
                "Right size, wrong sign: look for a minus sign that went missing (or one too many)."
            )
        return _(
            "At every point where it is wrong, your answer is {factor} times the right "
            "one: a constant factor is off."
        ).format(factor=fmt(ratios[0], 3))
    if len(wrong[0][0]) == 1:
        for spot in (0.0, 1.0, -1.0):
            if all(abs(xs[0] - spot) <= 0.01 for xs, _y, _e, _g in wrong):
                return _(
                    "It is right everywhere except close to a = {spot}: look at what your "
                    "code does at and just around that value."
                ).format(spot=fmt(spot))
    return None


# ---- Grading ---------------------------------------------------------------------------------


def first_line(module):
    """The first line of the student's docstring: their own op names its function there."""
    doc = (getattr(module, "__doc__", None) or "").strip()
    return doc.splitlines()[0].strip() if doc else None


def grade(name, path, lang=None):
    """Grade the file at `path` for exercise `name`; returns (passed, lines of the report)."""
    lang = resolve(lang, where="grade")
    if name not in EXERCISES:
        raise ValueError(f"grade: no exercise {name!r}; choose one of {', '.join(EXERCISES)}")
    with language(lang):
        return _grade(EXERCISES[name], os.fspath(path))


def _grade(exercise, path):
    lines = []
    try:
        module = load(path)
        arity = exercise.arity
        if arity is None:  # the student's own op: as many inputs as their forward takes
            arity = inputs_of(getattr(module, "forward", None))
        names = ("a", "b")[:arity]
        forward = function(module, "forward", names, path)
        local = function(module, "local", (*names, "y"), path)
    except StudentError as err:
        return False, [str(err), _("Not yet: fix this, then run the check again.")]
    points = UNARY_POINTS if arity == 1 else BINARY_POINTS
    if exercise.op is None:
        formula = first_line(module) or _("(your file's docstring does not name the function)")

        def reference(*xs):  # their forward: where it is nan or infinite, nothing to grade
            (y,) = call(forward, xs, xs, path, 1)
            if not math.isfinite(y):
                raise Skip()
            return y

        # TRANSLATORS: {formula} is the first line of the student's own file's docstring.
        lines.append(
            _("Your own op, {formula}: checked at {n} points.").format(
                formula=formula, n=len(points)
            )
        )
    else:
        op = OPS[exercise.op]
        reference = op.forward if arity == 2 else (lambda a: op.forward(a, None))
        lines.append(
            _("Exercise {name}, {formula}: checked at {n} points.").format(
                name=exercise.name, formula=exercise.formula, n=len(points)
            )
        )
    # What the answers should be, point by point (the student's own forward may raise here).
    rows, skipped = [], 0
    try:
        for xs in points:
            try:
                y = reference(*xs)
                rows.append((xs, y, [slope(reference, list(xs), i) for i in range(arity)]))
            except Skip:
                skipped += 1
            except StudentError:
                if exercise.op is not None or not domain_error(forward, xs):
                    raise
                skipped += 1
        if not rows:
            raise StudentError(
                _("forward has no value at any of the points: it raises everywhere.")
            )
    except StudentError as err:
        return False, [*lines, str(err), _("Not yet: fix this, then run the check again.")]
    if skipped:
        lines.append(
            ngettext(
                "({n} point skipped: your forward has no value or no slope there.)",
                "({n} points skipped: your forward has no value or no slope there.)",
                skipped,
            ).format(n=skipped)
        )
    failed = {}
    if exercise.op is not None:
        failed["forward"] = check_forward(forward, rows, path, lines)
    failed["local"] = check_local(exercise, local, rows, path, lines, arity)
    lines.append(verdict(exercise, failed, len(rows)))
    return not any(failed.values()), lines


def domain_error(forward, xs):
    """Whether the student's own forward raises a math error (no value) at or beside xs."""
    step = H * max(1.0, *map(abs, xs))
    for shift in (0.0, step, -step, step / 10, -step / 10):
        for i in range(len(xs)):
            moved = [*xs[:i], xs[i] + shift, *xs[i + 1 :]]
            try:
                forward(*moved)
            except (ArithmeticError, ValueError):
                return True
            except Exception:  # another error is a bug to report, not a domain's edge
                return False
    return False


def check_forward(forward, rows, path, lines):
    """Compare the student's forward with the engine's at every point: False if it passed,
    else True, or "not written" (the template's `raise` is still there)."""
    try:
        wrong = []
        for xs, y, _expected in rows:
            (given,) = call(forward, xs, xs, path, 1)
            if not abs(given - y) <= FORWARD_ATOL + FORWARD_RTOL * abs(y):
                wrong.append((xs, y, given))
    except StudentError as err:
        lines.append(str(err))
        return "not written" if isinstance(err, NotWritten) else True
    listed = [(xs, *distinct(y, given)) for xs, y, given in wrong]
    lines.extend(summary("forward", len(wrong), len(rows), listed))
    return bool(wrong)


def check_local(exercise, local, rows, path, lines, arity):
    """Compare the student's local with the slopes at every point: False, True or "not
    written", as check_forward."""
    wrong = [[] for _ in range(arity)]
    try:
        for xs, y, expected in rows:
            given = call(local, (*xs, y), xs, path, arity)
            for i in range(arity):
                if not close(given[i], expected[i]):  # nan is never close: it lands here
                    wrong[i].append((xs, y, expected[i], given[i]))
    except StudentError as err:
        lines.append(str(err))
        return "not written" if isinstance(err, NotWritten) else True
    for i in range(arity):
        label = "local" if arity == 1 else f"local {partial('y', 'ab'[i])}"
        listed = []
        for xs, _y, e, g in wrong[i]:
            shown = distinct(e[1], g) if e[0] == "slope" else (expected_text(e), fmt(g))
            listed.append((xs, *shown))
        lines.extend(summary(label, len(wrong[i]), len(rows), listed))
        if wrong[i]:
            said_hint = hint(exercise, i, wrong[i])
            if said_hint:
                lines.extend(indented(_("Hint: {hint}").format(hint=said_hint)))
    return any(wrong)


def indented(text, columns=88):
    """`text` wrapped to `columns` (by display width), each line indented by two spaces."""
    return ["  " + line for line in paragraph(text, columns - 2).splitlines()]


def summary(label, bad, total, listed):
    """`forward: right at all 40 points.` or the count and the first few wrong points."""
    if not bad:
        return [_("{label}: right at all {n} points.").format(label=label, n=total)]
    if bad <= SHOWN:
        lines = [_("{label}: wrong at {bad} of {n} points:").format(label=label, bad=bad, n=total)]
    else:
        lines = [
            _("{label}: wrong at {bad} of {n} points; the first {shown}:").format(
                label=label, bad=bad, n=total, shown=SHOWN
            )
        ]
    column = max(len(point_text(xs)) for xs, *_rest in listed[:SHOWN])
    for xs, expected, given in listed[:SHOWN]:
        lines.append(
            "  "
            + pad(point_text(xs), column)
            + "   "
            + _("expected {expected}, you gave {given}").format(expected=expected, given=given)
        )
    return lines


def verdict(exercise, failed, n):
    """The last line: passed, or which function to look at again."""
    if not any(failed.values()):
        if exercise.op is None:
            return _(
                "Passed: your local derivative matches the slope of your forward at all "
                "{n} points. Well done!"
            ).format(n=n)
        return _(
            "Passed: forward and the local derivative are right at all {n} points. Well done!"
        ).format(n=n)
    if set(failed.values()) <= {"not written", False}:
        return _("Not yet: write what the template leaves to you, then run the check again.")
    if failed.get("forward") and failed["local"]:
        return _("Not yet: forward and local both need another look; start with forward.")
    if failed.get("forward"):
        return _("Not yet: your local derivative is right; forward needs another look.")
    if exercise.op is None:
        return _("Not yet: local does not match the slope of your forward; have another look.")
    return _("Not yet: your forward is right; the local derivative needs another look.")


# ---- The command line ------------------------------------------------------------------------


def add_parser(sub):
    """`chainrule exercise list` and `chainrule exercise op ...`."""
    from .cli import with_lang  # here, not at the top: cli imports this module as it loads

    p = sub.add_parser(
        "exercise",
        help=_("grade a student's forward rule and local derivative"),
        description=_(
            "Write an op's forward rule and local derivative as Python functions and have them "
            "graded at many points. Grading runs your file, as `python FILE` would."
        ),
    )
    kinds = p.add_subparsers(dest="kind", metavar="{list,op}")
    listing = kinds.add_parser("list", help=_("name every exercise"))
    op = kinds.add_parser(
        "op",
        help=_("grade FILE for exercise NAME, or write a starter file"),
        description=_(
            "Grade FILE (your forward and local functions) for exercise NAME. This runs FILE, "
            "as `python FILE` would. Exit status: 0 passed, 1 not yet (or a file cannot be "
            "read or written), 2 a usage mistake."
        ),
    )
    op.add_argument("name", nargs="?", metavar="NAME", help=_("an exercise from --list"))
    op.add_argument("file", nargs="?", metavar="FILE", help=_("your Python file to grade"))
    op.add_argument("--list", action="store_true", help=_("name every exercise"))
    op.add_argument(
        "--template", action="store_true", help=_("write a starter file NAME.py to fill in")
    )
    op.add_argument(
        "--out", metavar="DIR", help=_("folder for the starter file (default: this folder)")
    )
    for each in (listing, op):
        with_lang(each, argparse.SUPPRESS)
    return p


def names():
    """Every exercise with its summary, one a line."""
    column = max(map(len, EXERCISES))
    return [f"{pad(n, column)}  {_(SUMMARIES[n])}" for n in EXERCISES]


def run(args):
    """Carry out `chainrule exercise ...`; returns the exit status."""
    kind = getattr(args, "kind", None)
    if kind == "list" or (kind == "op" and args.list):
        print("\n".join(names()))
        return 0
    if kind is None:
        raise UsageError(
            _("say what to do: `chainrule exercise list`, or `chainrule exercise op NAME FILE`")
        )
    if args.name is None:
        raise UsageError(_("name an exercise: `chainrule exercise op NAME FILE` (see --list)"))
    if args.name not in EXERCISES:
        raise UsageError(
            _("no exercise named {name}; choose one of: {names}").format(
                name=repr(args.name), names=", ".join(EXERCISES)
            )
        )
    if args.template:
        if args.file is not None:
            raise UsageError(_("--template writes a file: give no FILE (use --out DIR)"))
        return write_template(args.name, args.out)
    if args.out is not None:
        raise UsageError(_("--out is for --template only"))
    if args.file is None:
        raise UsageError(
            _("give the file to grade: `chainrule exercise op {name} FILE`").format(name=args.name)
        )
    try:
        passed, lines = grade(args.name, args.file)
    except OSError as err:  # load() words it: cannot read FILE
        print(f"chainrule: {err}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0 if passed else 1


def write_template(name, out):
    """Write out/NAME.py, never over a file that is there (it may be the student's work)."""
    path = f"{name}.py" if out is None else os.path.join(out, f"{name}.py")
    if os.path.exists(path):
        print(
            "chainrule: "
            + _("{path} is there already; it may be your work, so it stays: use --out DIR").format(
                path=path
            ),
            file=sys.stderr,
        )
        return 1
    try:
        os.makedirs(out or ".", exist_ok=True)
        write_atomic(path, starter(name, f"{name}.py"))
    except OSError as err:
        print(
            "chainrule: " + _("cannot write {path}: {error}").format(path=path, error=err),
            file=sys.stderr,
        )
        return 1
    print(_("Wrote {path}: fill in forward and local, then run").format(path=path))
    print(f"    chainrule exercise op {name} {path}")
    return 0
