"""`chainrule check KEY ANSWERS.csv`: mark a class's returned answers against a worksheet's key.

The key is the key.json `chainrule worksheet` writes; ANSWERS.csv is what a teacher types in,
a spreadsheet exports, or the player's quiz downloads (one or several files: one per student
is fine). An answer is read as the player's quiz reads it (-4, −4, －４, 1/3, 1e-3; a comma is
refused, as 1,000 is a thousand to some and one to others) and is right when it is within the
key's tolerance of the key's answer. Every answer gets one verdict: right, wrong, missing
(no row, or a blank answer), malformed (not a number; kept as written) or unknown (a sheet or
question the key does not have: reported, never dropped).

Writes results.csv (one row per student and question; its header and verdicts stay English
words, so a spreadsheet or a script can read them in any language; text a spreadsheet would
run as a formula starts with ') and results.html, and
prints a table per student (the score) and one per question (which one the class found hard).
Exit status: 0 marked, 1 a file cannot be read or written or is not what it should be (one
line naming the file and what is wrong, before anything is written), 2 a usage mistake.
"""

import csv
import html
import io
import json
import math
import os
import unicodedata
from dataclasses import dataclass, field

from viz.format import fmt, pad, read_number, rpad, visible, width
from viz.i18n import _, current, ngettext, pgettext
from viz.render import write_atomic

from .common import complain

FORMAT, VERSION = "chainrule-worksheet-key", 1  # what key.json says it is (HW.md's format)
COLUMNS = ("student", "sheet", "question", "answer")  # ANSWERS.csv's header, in any order
RESULT_COLUMNS = ("student", "sheet", "question", "asks", "given", "expected", "verdict")
VERDICTS = ("right", "wrong", "missing", "malformed", "unknown")  # results.csv's words
SLACK = 1e-9  # added to the tolerance: -4.01 is within 0.01 of -4, whatever the rounding


class BadFile(Exception):
    """A key or answers file that cannot be used; the message is the one line to show."""


def within(value, expected, tolerance):
    """Whether `value` is within `tolerance` of `expected` (absolute, as the sheet says)."""
    return math.isfinite(value) and abs(value - expected) <= tolerance + SLACK


# ---- The key ------------------------------------------------------------------------------
@dataclass
class Question:
    id: str
    asks: str
    answer: float


@dataclass
class Sheet:
    id: str
    student: str | None
    questions: list = field(default_factory=list)


@dataclass
class Key:
    path: str
    tolerance: float
    sheets: dict  # casefolded sheet id -> Sheet, in the key's order


def shown(x):
    """A value from a file as JSON writes it: "S01", null, 3.5."""
    return json.dumps(x, ensure_ascii=False)


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def read_text(path):
    """The text of `path` (UTF-8, with or without a BOM), or BadFile saying why not."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as err:
        raise BadFile(
            _("cannot read {file}: {error}").format(file=path, error=err.strerror)
        ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise BadFile(
            _("{file} is not UTF-8 text (byte {at}); save it as UTF-8 (CSV UTF-8)").format(
                file=path, at=err.start
            )
        ) from None


def read_key(path):
    """The answer key in `path` (key.json), checked field by field; BadFile if it is wrong."""
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise BadFile(
            _("{file} is not JSON (line {line}, column {column}: {error})").format(
                file=path, line=err.lineno, column=err.colno, error=err.msg
            )
        ) from None
    got = data.get("format") if isinstance(data, dict) else None
    if got != FORMAT:
        raise BadFile(
            _("{file} is not a chainrule answer key: its format is {got}, not {want}").format(
                file=path, got=shown(got), want=json.dumps(FORMAT)
            )
        )
    if data.get("version") != VERSION:
        raise BadFile(
            _("{file} is a version {got} key; this chainrule reads version {want}").format(
                file=path, got=json.dumps(data.get("version")), want=VERSION
            )
        )

    def need(ok, where, problem):
        """Go on if `ok`, else stop at `where` in the file (sheets[0].sheet, say)."""
        if not ok:
            # TRANSLATORS: {file} is a file name, {where} a place in it such as sheets[0].sheet.
            raise BadFile(
                _("{file}: {where} {problem}").format(file=path, where=where, problem=problem)
            )

    tol, sheets = data.get("tolerance"), data.get("sheets")
    need(
        is_number(tol) and tol >= 0,
        "tolerance",
        _("must be a number >= 0, got {got}").format(got=shown(tol)),
    )
    need(isinstance(sheets, list) and sheets, "sheets", _("must be a list of sheets"))
    key = Key(path, float(tol), {})
    for s, sheet in enumerate(sheets):
        here = f"sheets[{s}]"
        need(isinstance(sheet, dict), here, _("must be an object"))
        name, student, exercises = (sheet.get(k) for k in ("sheet", "student", "exercises"))
        need(
            isinstance(name, str) and name.strip(),
            f"{here}.sheet",
            _("must be the sheet's name, got {got}").format(got=shown(name)),
        )
        need(
            name.strip().casefold() not in key.sheets,
            f"{here}.sheet",
            _("{got} is there twice").format(got=shown(name)),
        )
        need(
            student is None or isinstance(student, str),
            f"{here}.student",
            _("must be a name or null, got {got}").format(got=shown(student)),
        )
        need(isinstance(exercises, list), f"{here}.exercises", _("must be a list"))
        own = Sheet(name.strip(), tidy(student) if student else None)
        for e, exercise in enumerate(exercises):
            questions = exercise.get("questions") if isinstance(exercise, dict) else None
            need(
                isinstance(questions, list), f"{here}.exercises[{e}].questions", _("must be a list")
            )
            for q, question in enumerate(questions):
                at = f"{here}.exercises[{e}].questions[{q}]"
                need(isinstance(question, dict), at, _("must be an object"))
                qid, asks, answer = (question.get(k) for k in ("id", "asks", "answer"))
                need(
                    isinstance(qid, str) and qid.strip(),
                    f"{at}.id",
                    _("must be the question's name, got {got}").format(got=shown(qid)),
                )
                need(
                    all(qid.strip().casefold() != x.id.casefold() for x in own.questions),
                    f"{at}.id",
                    _("{got} is there twice").format(got=shown(qid)),
                )
                need(
                    isinstance(asks, str),
                    f"{at}.asks",
                    _("must be text, got {got}").format(got=shown(asks)),
                )
                need(
                    is_number(answer),
                    f"{at}.answer",
                    _("must be a number, got {got}").format(got=shown(answer)),
                )
                own.questions.append(Question(qid.strip(), asks, float(answer)))
        need(own.questions, f"{here}.exercises", _("ask no questions"))
        key.sheets[own.id.casefold()] = own
    return key


# ---- The answers --------------------------------------------------------------------------
@dataclass
class Row:
    where: str  # "answers.csv line 3"
    student: str
    sheet: str
    question: str
    answer: str
    spilled: bool = False  # more fields than the header: an unquoted decimal comma, say


def tidy(text):
    """A name or id as typed, compared as meant: NFC, spaces trimmed and single."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def read_answers(path):
    """The rows of ANSWERS.csv `path` (its header names the columns); BadFile if it has none.

    A spreadsheet set to a language with a decimal comma exports `;` between the fields:
    the header line says which separator the file uses."""
    text = read_text(path)
    first = text.split("\n", 1)[0]
    delimiter = next((d for d in ",;\t" if d in first), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:  # (line, fields): the line a record starts on, as an editor numbers it
        records, start = [], 1
        for fields in reader:
            records.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as err:  # a field of over 128 KiB, say
        raise BadFile(
            _("{file} line {n} is not CSV: {error}").format(file=path, n=start, error=err)
        ) from None
    header = [tidy(name).lower() for name in records[0][1]] if records else []
    if not all(name in header for name in COLUMNS):
        raise BadFile(
            _("{file} has no header row {columns} (its first line is {first})").format(
                file=path, columns=",".join(COLUMNS), first=shown(first)
            )
        )
    at = {name: header.index(name) for name in COLUMNS}
    rows = []
    for number, fields in records[1:]:
        if not any(f.strip() for f in fields):
            continue  # a blank line between classes, or at the end
        spilled = len(fields) > len(header)
        if spilled and at["answer"] == len(header) - 1:  # -4,5 unquoted: keep all of it
            fields[at["answer"]] = delimiter.join(fields[at["answer"] :])
        fields += [""] * (len(header) - len(fields))
        cells = {name: fields[i] for name, i in at.items()}
        where = _("{file} line {n}").format(file=path, n=number)
        rows.append(
            Row(
                where,
                tidy(cells["student"]),
                tidy(cells["sheet"]),
                tidy(cells["question"]),
                cells["answer"].strip(),
                spilled,
            )
        )
    return rows


# ---- Marking ------------------------------------------------------------------------------
@dataclass
class Result:
    student: str
    sheet: str
    question: str
    asks: str
    given: str
    expected: float | None
    verdict: str  # one of VERDICTS


def find_question(sheet, asked):
    """The question of `sheet` named `asked` (its id, or what it asks when only one asks
    that, as the player's export names it), else (None, why)."""
    by_id = [q for q in sheet.questions if q.id.casefold() == asked.casefold()]
    if by_id:
        return by_id[0], None
    plain = asked.replace(" ", "")
    by_asks = [q for q in sheet.questions if q.asks.replace(" ", "") == plain]
    if len(by_asks) == 1:
        return by_asks[0], None
    if by_asks:
        ids = ", ".join(q.id for q in by_asks)
        return None, _("{asked} is asked by questions {ids}: write the question's id").format(
            asked=asked, ids=ids
        )
    return None, _("sheet {sheet} has no question {asked}").format(sheet=sheet.id, asked=asked)


def mark(key, rows):
    """(results, problems): every answer marked in the key's order, student by student, and
    one line per thing a teacher should know (unknown ids, a row given twice, a swapped sheet).
    """
    given, order, problems, unknown = {}, [], [], []
    for row in rows:
        sheet = key.sheets.get(row.sheet.casefold())
        why = None
        if not row.student:
            why = _("no student named")
        elif sheet is None:
            why = _("the key has no sheet {sheet}").format(sheet=shown(row.sheet))
        else:
            question, why = find_question(sheet, row.question)
        if why:
            problems.append(_("{where}: {why}").format(where=row.where, why=why))
            unknown.append(
                Result(row.student, row.sheet, row.question, "", row.answer, None, "unknown")
            )
            continue
        if sheet.student and sheet.student != row.student:
            problems.append(
                _("{where}: sheet {sheet} is {owner}'s, answered by {student}").format(
                    where=row.where, sheet=sheet.id, owner=sheet.student, student=row.student
                )
            )
        pair, slot = (row.student, sheet.id.casefold()), question.id
        if pair not in given:
            given[pair] = {}
            order.append(pair)
        if slot in given[pair]:
            problems.append(
                _(
                    "{where}: {student} gave {sheet} {question} twice ({earlier}): this row counts"
                ).format(
                    where=row.where,
                    student=row.student,
                    sheet=sheet.id,
                    question=question.id,
                    earlier=given[pair][slot].where,
                )
            )
        given[pair][slot] = row
    # A named sheet nobody handed in: its student gets every question missing.
    for sheet in key.sheets.values():
        if sheet.student and not any(p[1] == sheet.id.casefold() for p in order):
            order.append((sheet.student, sheet.id.casefold()))
            given[order[-1]] = {}
    results = []
    for pair in order:
        sheet = key.sheets[pair[1]]
        for question in sheet.questions:
            row = given[pair].get(question.id)
            typed = row.answer if row else ""
            results.append(
                Result(
                    pair[0],
                    sheet.id,
                    question.id,
                    question.asks,
                    typed,
                    question.answer,
                    verdict(row, question, key.tolerance),
                )
            )
    return results + unknown, problems


def verdict(row, question, tolerance):
    if row is None or not row.answer:
        return "missing"
    value = None if row.spilled else read_number(row.answer)
    if value is None:
        return "malformed"
    return "right" if within(value, question.answer, tolerance) else "wrong"


# ---- What the teacher reads ---------------------------------------------------------------
def number(x):
    """The key's answer as results.csv writes it: exactly, -4 rather than -4.0."""
    return "" if x is None else str(int(x)) if x == int(x) else repr(x)


def by_student(results):
    """[(student, sheet, {verdict: count})] in the order the students came."""
    table = {}
    for r in results:
        if r.verdict != "unknown":
            counts = table.setdefault((r.student, r.sheet), dict.fromkeys(VERDICTS, 0))
            counts[r.verdict] += 1
    return [(student, sheet, counts) for (student, sheet), counts in table.items()]


def by_question(results):
    """[(question, asks, right, answered by)] in the key's order: which one the class found hard.
    Sheets made per student share their question ids (1a is exercise 1's first question)."""
    table = {}
    for r in results:
        if r.verdict != "unknown":
            entry = table.setdefault(r.question, [set(), 0, 0])
            entry[0].add(r.asks)
            entry[1] += r.verdict == "right"
            entry[2] += 1
    return [
        (q, asks.pop() if len(asks) == 1 else "", right, n) for q, (asks, right, n) in table.items()
    ]


def said(verdict):
    """A verdict as the tables and results.html say it (results.csv keeps the English word)."""
    return {
        "right": pgettext("verdict", "right"),
        "wrong": pgettext("verdict", "wrong"),
        "missing": pgettext("verdict", "missing"),
        "malformed": pgettext("verdict", "not a number"),
        "unknown": pgettext("verdict", "not in the key"),
    }[verdict]


def score(counts):
    return f"{counts['right']}/{sum(counts.values())}"


def text_table(header, rows, right_aligned=()):
    """Lines of a table, columns padded by display width (Chinese takes two columns)."""
    widths = [max(map(width, col)) for col in zip(header, *rows)]
    lines = []
    for cells in [header, *rows]:
        parts = [
            rpad(c, w) if k in right_aligned else pad(c, w)
            for k, (c, w) in enumerate(zip(cells, widths))
        ]
        lines.append("  ".join(parts).rstrip())
    return lines


def student_rows(results):
    return [
        [student, sheet, score(c)] + [str(c[v]) for v in VERDICTS[:4]]
        for student, sheet, c in by_student(results)
    ]


def student_header():
    return [
        pgettext("column", "Student"),
        pgettext("column", "Sheet"),
        _("Score"),
        pgettext("column", "Right"),
        pgettext("column", "Wrong"),
        pgettext("column", "Missing"),
        pgettext("column", "Not a number"),
    ]


def question_rows(results):
    return [[q, asks, f"{right}/{n}"] for q, asks, right, n in by_question(results)]


def question_header():
    # TRANSLATORS: the column of how many students got the question right, e.g. 12/30.
    return [pgettext("column", "Question"), pgettext("column", "Asks"), _("Got it right")]


def question_columns(results):
    """(header, rows) of how many got each question right. The Asks column only where some
    question asks one thing on every sheet (students' own variants ask different things under
    one id, and an empty column says nothing)."""
    header, rows = question_header(), question_rows(results)
    if not any(row[1] for row in rows):
        return [header[0], header[2]], [[row[0], row[2]] for row in rows]
    return header, rows


def question_table(results):
    header, rows = question_columns(results)
    return text_table(header, rows, right_aligned=(len(header) - 1,))


def report(key, results, problems):
    """The lines `chainrule check` prints."""
    students = len(by_student(results))
    questions = sum(len(s.questions) for s in key.sheets.values())
    lines = [
        _(
            "Marked {students} against {key}: {questions} on {sheets}, tolerance {tolerance}."
        ).format(
            students=ngettext("{n} student's answers", "{n} students' answers", students).format(
                n=students
            ),
            key=key.path,
            questions=ngettext("{n} question", "{n} questions", questions).format(n=questions),
            sheets=ngettext("{n} sheet", "{n} sheets", len(key.sheets)).format(n=len(key.sheets)),
            tolerance=fmt(key.tolerance, 6),
        ),
        "",
        *text_table(student_header(), student_rows(results), right_aligned=range(2, 7)),
        "",
        *question_table(results),
    ]
    if problems:
        lines += [
            "",
            _("To look at (these rows are in results.csv, as {verdict}):").format(
                verdict="unknown"
            ),
        ]
        lines += [f"  {p}" for p in problems]
    return lines


def inert(text):
    """`text` as a spreadsheet cell that cannot run: a student's answer "=HYPERLINK(...)"
    would be a formula in the teacher's spreadsheet, so text starting with = + - @ (that is
    not a number, as -4 is) gets a leading ', which spreadsheets read as "this is text"."""
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and read_number(text) is None:
        return "'" + text
    return text


def results_csv(results):
    """results.csv: English column names and verdicts, so any spreadsheet or script reads it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(RESULT_COLUMNS)
    for r in results:
        cells = [r.student, r.sheet, r.question, r.asks, r.given]
        writer.writerow([*map(inert, cells), number(r.expected), r.verdict])
    return "\ufeff" + out.getvalue()  # the BOM: so Excel shows 王芳 as 王芳, not mojibake


def html_table(header, rows, classes=None):
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join(
        f'<tr class="{classes[k] if classes else ""}">'
        + "".join(f"<td>{e(c)}</td>" for c in row)
        + "</tr>"
        for k, row in enumerate(rows)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = """body { font: 16px/1.4 system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
  margin: 2em auto; max-width: 60em; padding: 0 1em; color: #1a1a1a; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #bbb; padding: 3px 10px; text-align: left; }
th { background: #f0f0ec; }
tr.right td:last-child { color: #007A59; }
tr.wrong td:last-child { color: #B2182B; font-weight: 700; }
tr.missing td:last-child, tr.malformed td:last-child, tr.unknown td:last-child { color: #8a5a00; }
li { margin: 0.2em 0; }"""


def results_html(key, results, problems):
    """results.html: the same tables as printed, and every answer, for a browser."""
    e = html.escape
    title = _("Results for {key}").format(key=os.path.basename(key.path))
    every = [
        [
            r.student,
            r.sheet,
            r.question,
            r.asks,
            r.given,
            "" if r.expected is None else fmt(r.expected, 6),
            said(r.verdict),
        ]
        for r in results
    ]
    heads = [e(_("Students")), e(_("Questions")), e(_("To look at")), e(_("Every answer"))]
    parts = [
        f"<h1>{e(title)}</h1>",
        f"<h2>{heads[0]}</h2>",
        html_table(student_header(), student_rows(results)),
        f"<h2>{heads[1]}</h2>",
        html_table(*question_columns(results)),
    ]
    if problems:
        parts += [f"<h2>{heads[2]}</h2>", "<ul>"]
        parts += [f"<li>{e(p)}</li>" for p in problems] + ["</ul>"]
    parts += [
        f"<h2>{heads[3]}</h2>",
        html_table(
            student_header()[:2]
            + question_header()[:2]
            + [_("Given"), _("Expected"), _("Verdict")],
            every,
            [r.verdict for r in results],
        ),
    ]
    return (
        f'<!DOCTYPE html>\n<html lang="{current()}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(parts)
        + "\n</body>\n</html>\n"
    )


# ---- The command --------------------------------------------------------------------------
def add_parser(sub):
    p = sub.add_parser(
        "check",
        help=_("mark returned answers against a worksheet's key"),
        description=_(
            "Mark every answer in ANSWERS.csv (columns `student,sheet,question,answer`) against "
            "the key.json that `chainrule worksheet` wrote, with the tolerance it states. "
            "Writes results.csv and results.html; prints a table per student and per question."
        ),
    )
    p.add_argument("key", metavar="KEY", help=_("the answer key, key.json"))
    p.add_argument(
        "answers",
        metavar="ANSWERS.csv",
        nargs="+",
        help=_("the answers: one file, or several (one per student, say)"),
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help=_("folder for results.csv and results.html (default: the answers' folder)"),
    )
    return p


def run(args):
    """Mark args.answers against args.key; returns the exit status."""
    try:
        key = read_key(args.key)
        rows = [row for path in args.answers for row in read_answers(path)]
    except BadFile as err:
        return complain(1, err)
    results, problems = mark(key, rows)
    out = args.out or os.path.dirname(os.path.abspath(args.answers[0]))
    written = [os.path.join(out, "results.csv"), os.path.join(out, "results.html")]
    try:
        write_atomic(written[0], results_csv(results))
        write_atomic(written[1], results_html(key, results, problems))
    except OSError as err:
        return complain(1, _("cannot write the results: {error}").format(error=err))
    for line in report(key, results, problems):
        print(visible(line))  # a name holding ESC cannot clear the screen
    print()
    print(_("Wrote {csv} and {html}").format(csv=written[0], html=written[1]))
    return 0
