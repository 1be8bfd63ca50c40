"""The classroom server as pages meet it: over a real WebSocket to uvicorn on 127.0.0.1.

A question asked, answered and revealed; each kind of mistake named for the student who made
it; and every message a page should not send (malformed, oversized, a wrong join code, a
student trying the teacher's controls) refused with one error and one log line.
"""

import logging
import re
import xml.etree.ElementTree as ET

import httpx
import pytest

from .conftest import Page, serving, student, teacher

pytestmark = pytest.mark.serve


def ask(served, t, name, what="grad"):
    """The teacher asks the room `name`'s gradient (or value); the question they get back."""
    t.send({"type": "ask", "step": served.room.graph.step_of(name, what)})
    return t.next("question")


def test_a_question_asked_answered_and_revealed(served):
    t = teacher(served)
    assert t.welcome["role"] == "teacher" and t.welcome["code"] == served.code
    pages = [student(served, name) for name in ("Wang Fang", "Li Lei", "Zhang Wei")]
    question = ask(served, t, "x")
    assert question["ask"] == "∂f/∂x" and question["what"] == "grad"
    for page in pages:
        assert page.next("question")["id"] == question["id"]
    # f = (x + y)·z at x = -2, y = 5, z = -4: ∂f/∂x = z = -4 (the article's numbers)
    for page, typed in zip(pages, ("−４", "4", "-4.0")):
        page.send({"type": "answer", "question": question["id"], "text": typed})
        assert page.next("received")["text"] == typed
    count = t.next("count")
    while count["answers"] < 3:
        count = t.next("count")
    assert count == {"type": "count", "question": question["id"], "answers": 3, "students": 3}
    t.send({"type": "reveal"})
    results = t.next("results")
    assert results["right"] == "-4" and results["answers"] == 3
    assert results["distribution"][0] == {"answer": "-4", "count": 2, "kind": "right",
                                          "label": "right"}  # fmt: skip
    assert results["distribution"][1]["answer"] == "4"
    assert results["kinds"] == [{"kind": "sign", "label": "sign flipped", "count": 1}]
    verdicts = [page.next("verdict") for page in pages]
    assert [v["right"] for v in verdicts] == [True, False, True]
    assert "sign" in verdicts[1]["hint"] and verdicts[1]["typed"] == "4"
    for page in pages:  # then the picture with ∂f/∂x filled in, for everyone
        revealed = page.next("revealed")
        assert revealed["question"] == question["id"]
        assert cell(revealed["picture"], "v0-grad") == "-4"
        assert cell(question["picture"], "v0-grad") == "?"


def cell(svg, name):
    """The text of a picture's cell (v0-grad: x's gradient)."""
    found = next(el for el in ET.fromstring(svg).iter() if el.get("id") == name)
    return "".join(found.itertext()).strip()


def test_the_csv_holds_every_answer_and_needs_the_token(served):
    t = teacher(served)
    a, b, c = (student(served, name) for name in ("A", "=HYPERLINK(1)", "C"))
    question = ask(served, t, "z")
    for page, typed in ((a, "3"), (b, "-3")):  # ∂f/∂z = q = x + y = 3; C does not answer
        page.send({"type": "answer", "question": question["id"], "text": typed})
        page.next("received")
    t.send({"type": "reveal"})
    t.next("results")
    assert httpx.get(served.base + "/api/results.csv").status_code == 403
    bad = {"Authorization": "Bearer not-the-token"}
    assert httpx.get(served.base + "/api/results.csv", headers=bad).status_code == 403
    got = httpx.get(served.base + "/api/results.csv",
                    headers={"Authorization": f"Bearer {served.token}"})  # fmt: skip
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = [line.split(",") for line in got.text.lstrip("\ufeff").splitlines()]
    assert rows[0][:9] == ["student", "question", "step", "asked", "answer", "value", "right",
                           "kind", "mistake"]  # fmt: skip
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["A"][4:8] == ["3", "3.0", "yes", "right"]
    # a name that a spreadsheet would run as a formula is kept as text
    assert by_name["'=HYPERLINK(1)"][4:9] == ["-3", "-3.0", "no", "sign", "sign flipped"]
    assert by_name["C"][4:8] == ["", "", "", ""]  # no answer: a row all the same


# Each kind of mistake, on f = (x·y)·(x + y) at x = 2, y = 3, where x fans out to two uses.
# By hand: a = x·y = 6, b = x + y = 5, f = a·b = 30; ∂f/∂a = b = 5, ∂f/∂b = a = 6;
# ∂f/∂x = ∂f/∂a·∂a/∂x + ∂f/∂b·∂b/∂x = 5·3 + 6·1 = 21.
SLIPS = [
    ("21", "right"),
    ("-21", "sign"),  # the sign flipped
    ("15", "fan-out"),  # only the use through a = x·y: 5·3
    ("6", "fan-out"),  # only the use through b = x + y: 6·1
    ("3", "local"),  # ∂a/∂x = y alone, not times ∂f/∂a
    ("2", "value"),  # x's value
    ("90", "multiplied"),  # 15·6: the two uses multiplied, not added
    ("7", "other"),
]


@pytest.fixture
def fan_out():
    from classroom.graph import ClassGraph

    graph = ClassGraph.from_expression("(x * y) * (x + y)", at="x=2,y=3")
    with serving(graph) as s:
        yield s


def test_each_kind_of_mistake_is_named_for_the_student_who_made_it(fan_out):
    t = teacher(fan_out)
    pages = [student(fan_out, f"student {k}") for k in range(len(SLIPS))]
    question = ask(fan_out, t, "x")
    for page, (typed, _kind) in zip(pages, SLIPS):
        page.send({"type": "answer", "question": question["id"], "text": typed})
        page.next("received")
    t.send({"type": "reveal"})
    results = t.next("results")
    for page, (typed, kind) in zip(pages, SLIPS):
        verdict = page.next("verdict")
        assert (verdict["typed"], verdict["kind"]) == (typed, kind)
        assert verdict["right"] == (kind == "right")
        assert verdict["hint"]
    counts = {k["kind"]: k["count"] for k in results["kinds"]}
    assert counts == {"sign": 1, "fan-out": 2, "local": 1, "value": 1, "multiplied": 1,
                      "other": 1}  # fmt: skip


def test_value_questions_name_plus_and_times_swapped(fan_out):
    t = teacher(fan_out)
    plus, times = student(fan_out, "P"), student(fan_out, "T")
    walk = fan_out.room.graph.walk
    # b = x + y = 5: typing 6 is x·y; a = x·y = 6: typing 5 is x + y
    for name, typed, page, kind in (("5", "6", plus, "multiplied"), ("6", "5", times, "added")):
        step = next(s for s, st in enumerate(walk.steps) if st["phase"] == "forward"
                    and walk.rows[st["node"]].node.data == float(name)
                    and walk.rows[st["node"]].node.op is not None)  # fmt: skip
        t.send({"type": "ask", "step": step})
        asked = t.next("question")["id"]
        question = page.next("question")
        while question["id"] != asked:  # the first question reached both pages
            question = page.next("question")
        assert question["what"] == "value"
        page.send({"type": "answer", "question": question["id"], "text": typed})
        page.next("received")
        t.send({"type": "reveal"})
        t.next("results")
        assert page.next("verdict")["kind"] == kind


def test_a_student_may_change_their_answer_until_the_reveal(served):
    t, s = teacher(served), student(served)
    question = ask(served, t, "x")
    for typed in ("4", "-4"):
        s.send({"type": "answer", "question": question["id"], "text": typed})
        s.next("received")
    t.send({"type": "reveal"})
    assert t.next("results")["answers"] == 1
    assert s.next("verdict")["right"] is True
    s.send({"type": "answer", "question": question["id"], "text": "4"})
    assert s.next("error")["error"] == "That question is closed."


def test_unreadable_answers_are_refused_with_the_quiz_sentence(served):
    t, s = teacher(served), student(served)
    question = ask(served, t, "x")
    for typed, said in (("1,000", "comma"), ("__import__('os')", "Type a number"),
                        ("9" * 65, "Type a number")):  # fmt: skip
        s.send({"type": "answer", "question": question["id"], "text": typed})
        error = s.next("error")
        assert said in error["error"] and error["question"] == question["id"]
    assert served.room.open.answers == {}


def test_rejoining_with_the_key_keeps_the_student(served):
    t, s = teacher(served), student(served, "Wang Fang")
    key, sid = s.welcome["key"], s.welcome["id"]
    question = ask(served, t, "x")
    s.send({"type": "answer", "question": question["id"], "text": "-4"})
    s.next("received")
    s.close()
    again = student(served, "someone else", key=key)
    assert (again.welcome["id"], again.welcome["name"]) == (sid, "Wang Fang")
    assert again.welcome["state"]["answered"] == "-4"
    assert again.welcome["state"]["question"]["id"] == question["id"]
    assert len(served.room.students) == 1


def test_a_student_leaving_mid_question_does_not_disturb_the_lesson(served):
    t = teacher(served)
    stays, leaves = student(served, "stays"), student(served, "leaves")
    while t.next("roster")["here"] < 2:  # both joined
        pass
    question = ask(served, t, "x")
    leaves.send({"type": "answer", "question": question["id"], "text": "4"})
    leaves.next("received")
    leaves.close()
    assert t.next("roster") | {"names": None} == {
        "type": "roster",
        "students": 2,
        "names": None,
        "here": 1,
    }
    stays.next("question")
    stays.send({"type": "answer", "question": question["id"], "text": "-4"})
    stays.next("received")
    t.send({"type": "reveal"})
    results = t.next("results")
    assert results["answers"] == 2  # the one who left still counts, as in the CSV
    assert stays.next("verdict")["right"] is True


def test_editing_a_value_recomputes_with_the_engine_and_the_nudge_agrees(served):
    t = teacher(served)
    leaves = {leaf["name"]: leaf["index"] for leaf in t.welcome["state"]["graph"]["leaves"]}
    assert sorted(leaves) == ["x", "y", "z"]
    t.send({"type": "set", "leaf": leaves["z"], "value": 2})
    graph = t.next("graph")
    assert graph["version"] == 1
    assert {leaf["name"]: leaf["value"] for leaf in graph["leaves"]}["z"] == 2.0
    assert served.room.graph.root.data == (-2 + 5) * 2
    player = httpx.get(served.base + "/api/player",
                       headers={"Authorization": f"Bearer {served.token}"})  # fmt: skip
    assert player.status_code == 200 and "backprop" in player.text.lower()
    # f = (x + y)·z is a straight line in x: the nudge's two sides agree exactly
    t.send({"type": "nudge", "leaf": leaves["x"], "h": 0.5})
    nudged = t.next("nudged")
    assert nudged["change"] == pytest.approx(nudged["predicted"]) == 2 * 0.5
    assert nudged["lines"][0] == "f(x + h) - f(x) = 7 - 6 = 1"


def test_a_value_the_graph_cannot_take_is_refused_and_nothing_changes():
    from classroom.graph import ClassGraph

    with serving(ClassGraph.from_expression("log(x) * y", at="x=2,y=3")) as served:
        t = teacher(served)
        before = [node.data for node in served.room.graph.nodes()]
        t.send({"type": "set", "leaf": 0, "value": -1})
        error = t.next("error")["error"]
        assert "x = -1" in error and "log" in error
        assert [node.data for node in served.room.graph.nodes()] == before


MALFORMED = [
    ("not json", "not JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"type": "fly"}', "unknown type"),
    ('{"type": "answer", "question": 1}', "missing field 'text'"),
    ('{"type": "answer", "question": "1", "text": "4"}', "wrong type"),
    ('{"type": "answer", "question": true, "text": "4"}', "wrong type"),
    ('{"type": "answer", "question": 1, "text": "4", "extra": 1}', "unknown field"),
    ('{"type": "set", "leaf": 0, "value": NaN}', "not JSON"),
    ('{"type": "hello", "role": "student"}', "already"),
    ("x" * 5000, "longer than 4096 bytes"),
]


def test_malformed_and_oversized_messages_are_refused_and_logged(served, caplog):
    s = student(served)
    caplog.set_level(logging.WARNING, logger="chainrule.serve")
    for text, said in MALFORMED:
        s.send(text)
        assert said in s.next("error")["error"], text
    refused = [r for r in caplog.records if r.name == "chainrule.serve" and "refused" in r.message]
    assert len(refused) == len(MALFORMED)
    assert all(s.welcome["id"] in r.message for r in refused)


def test_a_student_cannot_use_the_teachers_controls(served, caplog):
    caplog.set_level(logging.WARNING, logger="chainrule.serve")
    s = student(served)
    controls = [
        {"type": "ask", "step": 0}, {"type": "reveal"}, {"type": "end"},
        {"type": "set", "leaf": 0, "value": 1}, {"type": "train", "task": "xor"},
    ]  # fmt: skip
    for message in controls:
        s.send(message)
        assert s.next("error")["error"] == f"{message['type']}: only the teacher can do this"
    assert served.room.open is None and served.room.graph.version == 0
    assert served.hub.trainer is None and not served.room.ended
    assert sum("only the teacher" in r.message for r in caplog.records) == 5


def test_a_wrong_teacher_token_is_refused_and_closed(served, caplog):
    caplog.set_level(logging.WARNING, logger="chainrule.serve")
    page = Page(served, {"type": "hello", "role": "teacher", "token": "guess"})
    assert page.welcome == {"type": "error", "error": "hello: wrong teacher token"}
    with pytest.raises(Exception):  # noqa: B017 (the server closed it: any recv fails)
        page.next("welcome", timeout=5)
    assert any("wrong teacher token" in r.message for r in caplog.records)


def test_the_join_code_is_required_on_the_lan(caplog):
    caplog.set_level(logging.WARNING, logger="chainrule.serve")
    with serving(lan=True) as served:
        for code in ("", "ZZZZ"):
            page = student(served, code=code)
            assert page.welcome["type"] == "error" and "join code" in page.welcome["error"]
        assert served.room.students == {}
        assert sum("join code" in r.message for r in caplog.records) == 2
        ok = student(served, code=served.code.lower())
        assert ok.welcome["type"] == "welcome"
        assert httpx.get(served.base + "/api/room").json()["code_required"] is True


def test_a_socket_from_another_site_is_refused(served):
    with pytest.raises(Exception):  # noqa: B017 (the handshake fails: closed before accept)
        Page(served, {"type": "hello", "role": "student"}, origin="http://evil.example")
    assert served.hub.refusals == 1


def test_a_request_for_another_host_name_is_refused(served):
    # DNS rebinding: evil.example pointed at 127.0.0.1 sends its own name as the Host
    evil = {"Host": f"evil.example:{served.port}"}
    assert httpx.get(served.base + "/api/room", headers=evil).status_code == 403
    assert httpx.get(served.base + "/api/room").status_code == 200
    host = {"Host": f"localhost:{served.port}"}
    assert httpx.get(served.base + "/api/room", headers=host).status_code == 200
    import socket

    from websockets.sync.client import connect

    wire = socket.create_connection(("127.0.0.1", served.port))  # the URI names evil.example
    with pytest.raises(Exception):  # noqa: B017 (closed before the handshake completes)
        connect(f"ws://evil.example:{served.port}/ws", sock=wire).__enter__()
    assert served.hub.refusals == 2


def test_a_flood_is_cut_to_the_rate_and_then_closed(served):
    s = student(served)
    for _ in range(200):
        s.send({"type": "answer", "question": 99, "text": "1"})
    errors = []
    with pytest.raises(Exception):  # noqa: B017 (closed by the server after MAX_REFUSED)
        while True:
            errors.append(s.next("error", timeout=10)["error"])
    assert any("too many messages" in e for e in errors)
    assert errors[-1] == "too many refused messages: closing"


def test_pages_and_static_files(served):
    for path, kind in (("/", "text/html"), ("/teacher", "text/html"),
                       ("/static/student.js", "text/javascript")):  # fmt: skip
        got = httpx.get(served.base + path)
        assert got.status_code == 200 and got.headers["content-type"].startswith(kind)
        policy = got.headers["content-security-policy"]
        if path == "/teacher":  # /static scripts, and the player's own by its hash alone
            scripts = policy.split(";")[0]
            assert re.fullmatch(r"script-src 'self' 'sha256-[\w+/=]+'", scripts), scripts
        else:
            assert "script-src" not in policy  # default-src 'self': /static scripts only
    for path in ("/static/../room.py", "/static/room.py", "/api/player"):
        assert httpx.get(served.base + path).status_code in (403, 404)
    assert httpx.get(served.base + "/api/qr.svg").text.lstrip().startswith("<")
