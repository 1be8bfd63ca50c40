"""A full lecture hall: 200 simulated students answer within two seconds of each other, over
real sockets to the server on 127.0.0.1, and nothing is lost: every answer gets its receipt,
the teacher's count reaches 200, every student gets a verdict and the CSV has every answer.
The figures (answers per second, latency, memory) are benchmarks/classroom.py's to print."""

import pytest

from benchmarks.classroom import crowd

from .conftest import run_async, serving

pytestmark = pytest.mark.serve

STUDENTS = 200


def test_two_hundred_students_answer_and_none_is_lost():
    with serving() as served:
        step = served.room.graph.step_of("x")
        got = run_async(lambda: crowd(served.ws, served.token, served.code, step, STUDENTS, 2.0))
        assert got["received"] == got["counted"] == STUDENTS
        assert got["results"]["answers"] == STUDENTS
        assert got["results"]["distribution"] == [
            {"answer": "-4", "count": STUDENTS, "kind": "right", "label": "right"}
        ]
        assert [v["right"] for v in got["verdicts"]] == [True] * STUDENTS
        rows = served.room.csv().splitlines()[1:]
        assert len(rows) == STUDENTS and all(",-4,-4.0,yes,right," in row for row in rows)
        assert served.hub.refusals == 0
