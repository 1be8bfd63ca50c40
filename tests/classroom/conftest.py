"""The classroom's tests serve a real room: uvicorn in a thread on a free port of 127.0.0.1.

`serving(...)` starts one (a context manager); the `served` fixture is the chain-rule lesson's
room. `talk(served, ...)` is a page without a browser: a WebSocket client that says hello as
the teacher or a student and reads messages by type, as the pages do.
"""

import asyncio
import contextlib
import json
import socket
import threading
import time

import pytest

DEADLINE = 20.0  # seconds a message may take to arrive before a test fails (never a sleep)


class Served:
    """A running room: its URLs, secrets, the Room and the app's hub (app.state.classroom)."""

    def __init__(self, room, app, port):
        self.room, self.app, self.port = room, app, port
        self.hub = app.state.classroom
        self.base = f"http://127.0.0.1:{port}"
        self.ws = f"ws://127.0.0.1:{port}/ws"
        self.token, self.code = room.token, room.code
        self.teacher_url = f"{self.base}/teacher#token={room.token}"
        self.student_url = f"{self.base}/?code={room.code}"


@contextlib.contextmanager
def serving(graph=None, *, lan=False, lang="en", out=None):
    import uvicorn

    from classroom.app import MAX_FRAME, make_app
    from classroom.graph import ClassGraph
    from classroom.lan import join_code, teacher_token
    from classroom.room import Room
    from demos.cmd_serve import announcing_server

    graph = graph or ClassGraph.from_lesson("chain-rule", lang=lang)
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    code = join_code()
    room = Room(graph, lang=lang, code=code, token=teacher_token(), lan=lan, out=out,
                join_url=f"http://127.0.0.1:{port}/?code={code}")  # fmt: skip
    app = make_app(room)
    config = uvicorn.Config(
        app, log_level="warning", ws="websockets-sansio", ws_max_size=4 * MAX_FRAME, lifespan="off"
    )
    up = threading.Event()
    server = announcing_server()(config, up.set)  # chainrule serve's: ready() once it listens
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    if not up.wait(DEADLINE):
        raise RuntimeError("the classroom server did not start")
    try:
        yield Served(room, app, port)
    finally:
        server.should_exit = True
        thread.join(DEADLINE)
        listening.close()


@pytest.fixture
def served():
    with serving() as s:
        yield s


def run_async(main, timeout=60):
    """asyncio.run(main()), in a thread of its own: the browser tests' Playwright (sync API) keeps
    an event loop running in the main thread for the rest of the session."""
    outcome = {}

    def target():
        try:
            outcome["value"] = asyncio.run(main())
        except BaseException as error:  # an assertion inside main, handed to the test
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class Page:
    """A page without a browser: one WebSocket, messages read by type."""

    def __init__(self, served, hello, origin=None):
        from websockets.sync.client import connect

        headers = {"Origin": origin} if origin else None
        # entered as a context manager (websockets 17), closed by close() or the server
        self.socket = connect(served.ws, additional_headers=headers, max_size=None).__enter__()
        self.seen = []  # every message received, in order
        if hello is not None:
            self.send(hello)
            self.welcome = self.next("welcome", "error")

    def send(self, message):
        self.socket.send(message if isinstance(message, str) else json.dumps(message))

    def next(self, *types, timeout=DEADLINE):
        """The next message of one of `types` (others are kept in .seen and skipped)."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {types} message within {timeout} s; saw {self.seen[-5:]}")
            message = json.loads(self.socket.recv(timeout=left))
            self.seen.append(message)
            if message["type"] in types:
                return message

    def close(self):
        self.socket.close()


def teacher(served):
    return Page(served, {"type": "hello", "role": "teacher", "token": served.token})


def student(served, name="Wang Fang", code=None, key=None):
    hello = {"type": "hello", "role": "student", "code": served.code if code is None else code,
             "name": name, "key": key}  # fmt: skip
    return Page(served, hello)
