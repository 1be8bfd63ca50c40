"""One live lesson: who is in the room, the questions asked, every answer and what it shows.

Pure Python, no web: classroom/app.py turns messages into calls here and sends back what they
return. Everything lives in memory and is gone when the server stops, unless the teacher saves
the CSV (or the command was given --out). Memory is bounded: at most MAX_STUDENTS students,
MAX_QUESTIONS questions, one answer per student per question (a changed answer replaces it),
and every text kept is short (a name MAX_NAME characters, an answer MAX_ANSWER).

A student's answer is text: viz.format.read_number reads it (full-width digits, U+2212, 1/3),
exactly as the offline quiz does; nothing a student sends is ever evaluated.
"""

import csv
import io
import itertools
import re
import secrets
import unicodedata

from viz.format import fmt, read_number
from viz.i18n import _, language, messages
from viz.misconceptions import KINDS, labels

from .picture import picture  # the graph around the asked node, what is unknown as "?"

MAX_STUDENTS = 500
MAX_QUESTIONS = 1000
MAX_NAME = 40  # characters, after NFKC and collapsing spaces
MAX_ANSWER = 64  # characters typed into the answer box
COLUMNS = (
    "student", "question", "step", "asked", "answer", "value", "right", "kind", "mistake",
    "counted",
)  # fmt: skip


class Refused(ValueError):
    """A message the room will not act on; its text is the one sentence the sender reads."""


class Student:
    __slots__ = ("id", "key", "name", "answers", "verdicts")

    def __init__(self, number, name):
        self.id, self.name = f"s{number}", name
        self.key = secrets.token_urlsafe(16)  # rejoins as this student (kept by their browser)
        self.answers = {}  # question id -> (text, value)
        self.verdicts = {}  # question id -> Verdict, after the reveal


class Asked:
    """A question put to the room: step `step` of the player, Question `question`."""

    def __init__(self, number, step, question, record, shown):
        self.id, self.step, self.question, self.record = number, step, question, record
        self.what = question.what
        self.ask = record.get("ask") or question.name  # ∂f/∂x, or a value's name: q
        self.picture = shown  # the SVG the students see
        self.answers = {}  # student id -> (text, value), the last one sent
        self.state = "open"  # then "revealed" or "cancelled"


class Room:
    """The lesson's state. `graph`: a classroom.graph.ClassGraph. code: the join code (needed
    when `lan`); token: the teacher's secret. join_url: what the QR code and the page show.
    out: a folder the results CSV is saved in at the end; seed: the live training's."""

    def __init__(
        self, graph, *, lang="en", code="", token="", lan=False, join_url="", out=None, seed=0
    ):
        self.graph, self.lang, self.code, self.token = graph, lang, code, token
        self.lan, self.join_url, self.out, self.seed = lan, join_url, out, seed
        self.students = {}  # id -> Student
        self.keys = {}  # key -> Student
        self.questions = []  # every Asked, in order
        self.ended = False
        self.numbers = itertools.count(1)

    # ---- Joining ----------------------------------------------------------------------------
    def check_code(self, code):
        """A join code must be this room's: on the LAN always, on 127.0.0.1 only if given."""
        given = isinstance(code, str) and code.strip() != ""
        if (self.lan or given) and (not given or code.strip().upper() != self.code):
            with language(self.lang):
                raise Refused(_("That join code is not this room's: check the code on the board."))

    def join(self, name, key=None):
        """The student joining (or rejoining with the key their browser kept)."""
        if isinstance(key, str) and key in self.keys:
            return self.keys[key]
        if len(self.students) >= MAX_STUDENTS:
            with language(self.lang):
                raise Refused(_("The room is full."))
        number = next(self.numbers)
        name = clean_name(name, self.lang) or self.anonymous(number)
        student = Student(number, name)
        self.students[student.id] = student
        self.keys[student.key] = student
        return student

    def anonymous(self, number):
        with language(self.lang):
            # TRANSLATORS: a student who gave no name, numbered as they joined
            return _("anonymous {n}").format(n=number)

    # ---- Questions --------------------------------------------------------------------------
    @property
    def open(self):
        """The question the room is answering now, or None."""
        if self.questions and self.questions[-1].state == "open":
            return self.questions[-1]
        return None

    def ask(self, step):
        """Put step `step`'s question to the room; returns the Asked."""
        if self.open is not None:
            raise Refused("ask: a question is open; reveal or cancel it first")
        if len(self.questions) >= MAX_QUESTIONS:
            raise Refused(f"ask: this lesson has asked {MAX_QUESTIONS} questions, the most")
        try:
            question, record = self.graph.question(step)
        except ValueError as err:
            raise Refused(str(err)) from None
        asked = Asked(len(self.questions) + 1, step, question, record,
                      picture(self.graph.walk, step))  # fmt: skip
        self.questions.append(asked)
        return asked

    def answer(self, student, question, text):
        """A student's answer to the open question; returns the number read."""
        asked = self.open
        with language(self.lang):
            if asked is None or question != asked.id:
                raise Refused(_("That question is closed."))
            if not isinstance(text, str) or len(text) > MAX_ANSWER:
                raise Refused(_("Type a number, like -4, 0.5, 1/3 or 1e-3."))
            value = read_number(text)
            if value is None:
                if re.search("[,\u3001\uff0c]", text):
                    raise Refused(
                        _(
                            "A comma is ambiguous (is 1,000 a thousand or one?): write the "
                            "number with a point, like 1000 or -4.0."
                        )
                    )
                raise Refused(_("Type a number, like -4, 0.5, 1/3 or 1e-3."))
        asked.answers[student.id] = (text.strip(), value)
        student.answers[asked.id] = (text.strip(), value)
        return value

    def classify(self, asked):
        """Each answer's Verdict (a nan answer is "other": no slip gives nan)."""
        verdicts = {}
        for sid, (_text, value) in asked.answers.items():
            if value != value:
                verdicts[sid] = None
            else:
                verdicts[sid] = asked.question.classify(value)
        return verdicts

    def reveal(self):
        """Close the open question and judge it: (the teacher's results, {student: verdict})."""
        asked = self.open
        if asked is None:
            raise Refused("reveal: no question is open")
        asked.state = "revealed"
        verdicts = self.classify(asked)
        for sid, verdict in verdicts.items():
            self.students[sid].verdicts[asked.id] = verdict
        to_students = {sid: self.verdict_message(asked, sid, verdicts) for sid in self.students}
        return self.results(asked, verdicts), to_students

    def revealed_message(self, asked):
        """For every student after the reveal: the picture with the asked number filled in."""
        shown = picture(self.graph.walk, asked.step, revealed=True)
        return {"type": "revealed", "question": asked.id, "picture": shown}

    def cancel(self):
        asked = self.open
        if asked is None:
            raise Refused("cancel: no question is open")
        asked.state = "cancelled"
        return {"type": "closed", "question": asked.id}

    # ---- What is sent -----------------------------------------------------------------------
    def question_message(self, asked):
        return {
            "type": "question", "id": asked.id, "ask": asked.ask, "what": asked.what,
            "heading": asked.record["heading"], "picture": asked.picture,
        }  # fmt: skip

    def count(self):
        asked = self.open
        return {
            "type": "count", "question": asked.id if asked else None,
            "answers": len(asked.answers) if asked else 0, "students": len(self.students),
        }  # fmt: skip

    def results(self, asked, verdicts):
        """The distribution: the right answer first, then each wrong one by how many gave it."""
        with language(self.lang):
            names = labels()
            right = asked.question.right
            groups = {}
            for sid, (_text, value) in asked.answers.items():
                verdict = verdicts[sid]
                kind = "other" if verdict is None else verdict.kind
                shown = fmt(value) if value == value else "nan"
                key = "right" if kind == "right" else shown
                group = groups.setdefault(key, {"answer": fmt(right) if kind == "right" else
                                                shown, "count": 0, "kind": kind})  # fmt: skip
                group["count"] += 1
            for group in groups.values():
                group["label"] = names[group["kind"]]
            ordered = sorted(groups.values(), key=lambda g: (g["kind"] != "right", -g["count"]))
            kinds = {}
            for group in ordered:
                if group["kind"] != "right":
                    kinds[group["kind"]] = kinds.get(group["kind"], 0) + group["count"]
            return {
                "type": "results", "question": asked.id, "ask": asked.ask, "right": fmt(right),
                "answers": len(asked.answers), "students": len(self.students),
                "distribution": ordered,
                "kinds": [
                    {"kind": k, "label": names[k], "count": kinds[k]} for k in KINDS if k in kinds
                ],
            }  # fmt: skip

    def verdict_message(self, asked, sid, verdicts):
        """What student `sid` reads after the reveal: right or not, the slip, the hint."""
        message = {
            "type": "verdict", "question": asked.id, "ask": asked.ask,
            "answer": fmt(asked.question.right), "right": False, "kind": None, "label": None,
            "hint": None, "typed": None,
        }  # fmt: skip
        if sid not in asked.answers:  # they did not answer: only the answer
            return message
        verdict = verdicts[sid]
        message["typed"] = asked.answers[sid][0]
        if verdict is None:  # nan: no slip explains it
            return message | {"kind": "other", "label": labels_in(self.lang)["other"]}
        return message | {
            "right": verdict.kind == "right", "kind": verdict.kind,
            "label": verdict.label(self.lang), "hint": verdict.hint(self.lang),
        }  # fmt: skip

    def score(self, student):
        asked = [q for q in self.questions if q.state == "revealed"]
        right = sum(
            1 for q in asked if (v := student.verdicts.get(q.id)) is not None and v.kind == "right"
        )
        answered = sum(1 for q in asked if q.id in student.answers)
        return {"type": "score", "right": right, "asked": len(asked), "answered": answered}

    def state(self, student=None):
        """What a page shows when it (re)connects."""
        asked = self.open
        state = {"question": self.question_message(asked) if asked else None,
                 "ended": self.ended, "students": len(self.students)}  # fmt: skip
        if student is not None:
            state["score"] = self.score(student)
            if asked and student.id in asked.answers:
                state["answered"] = asked.answers[student.id][0]
        else:
            if asked:  # the teacher's page hides the asked number on the projector again
                state["question"] |= {"step": asked.step}
            state["graph"] = {"version": self.graph.version, "leaves": self.graph.leaves()}
            state["roster"] = self.roster()
        return state

    def roster(self):
        return {"type": "roster", "students": len(self.students),
                "names": [s.name for s in self.students.values()]}  # fmt: skip

    def words(self):
        """The pages' words in the lesson's language ({} in English)."""
        with language(self.lang):
            return messages("classroom")

    def end(self):
        """The lesson is over: every student's score."""
        self.ended = True
        return {sid: self.score(s) for sid, s in self.students.items()}

    # ---- The results file -------------------------------------------------------------------
    def csv(self):
        """Every answer: one row per student and question (a blank answer: none was sent)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        names = labels_in(self.lang)
        for asked in self.questions:
            verdicts = self.classify(asked)  # a cancelled question's answers are kept too
            for student in self.students.values():
                text, value = asked.answers.get(student.id, ("", None))
                verdict = verdicts.get(student.id)
                kind = "" if value is None else ("other" if verdict is None else verdict.kind)
                writer.writerow([
                    safe_cell(student.name), asked.id, asked.step + 1, asked.ask, text,
                    "" if value is None else repr(value),
                    "" if value is None else ("yes" if kind == "right" else "no"),
                    kind, names.get(kind, ""), "yes" if asked.state == "revealed" else "no",
                ])  # fmt: skip
        return "\ufeff" + out.getvalue()  # the BOM: a spreadsheet reads 王芳 as UTF-8


def labels_in(lang):
    with language(lang):
        return labels()


def clean_name(name, lang):
    """A student's name as shown: NFKC, spaces collapsed, at most MAX_NAME characters."""
    if name is None:
        return ""
    with language(lang):
        if not isinstance(name, str):
            raise Refused(_("A name is text."))
        name = " ".join(unicodedata.normalize("NFKC", name).split())
        if any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs") for c in name):
            raise Refused(_("A name cannot hold control characters."))
        if len(name) > MAX_NAME:
            raise Refused(_("A name is at most {n} characters.").format(n=MAX_NAME))
    return name


def safe_cell(text):
    """Text a spreadsheet will not run as a formula (=, +, -, @ first): quoted with '."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
