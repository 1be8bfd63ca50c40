"""The classroom's web app: Starlette on uvicorn, one WebSocket per page.

Why this stack: Starlette is small, typed, well kept and async, so one process holds the whole
room's sockets without a thread each; uvicorn is its standard server, and the `websockets`
package it uses is the reference implementation of the protocol. A WebSocket (not server-sent
events) because both sides talk: students send answers, the teacher sends controls.

Every message is checked before the room sees it (app.Client.receive): a text frame of at most
MAX_FRAME bytes, JSON holding one object whose "type" is known, with exactly the fields that
type takes, each of the right JSON type (no NaN). A client may send RATE messages a second
(a burst of BURST); beyond it, and for anything malformed, it gets one error and a log line; after
MAX_REFUSED refusals it is closed. What the server sends a client waits in a queue of at most
QUEUE messages: a page that stops reading is dropped instead of filling the memory, and a slow
phone never holds up the rest of the room.
"""

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import logging
import math
import time
from importlib.resources import files
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocketDisconnect

from viz.player import asset as player_asset

from .room import Refused

log = logging.getLogger("chainrule.serve")

MAX_FRAME = 4096  # bytes in one message from a page (uvicorn closes on 4 × this: ws_max_size)
RATE, BURST = 20.0, 20  # messages a second per client, and the burst it may send at once
MAX_REFUSED = 50  # refusals before a client is closed
QUEUE = 256  # messages waiting to be sent to one client
COUNT_EVERY = 0.1  # seconds: the teacher's live count, at most ten times a second
STUDENT_FRAME_EVERY = 1.0  # seconds: training frames to students (the teacher gets every one)
CLOSE_POLICY = 1008  # the WebSocket close code for "policy violation"

TEACHER_ONLY = ("ask", "reveal", "cancel", "set", "nudge", "train", "training", "lr", "end")
NUMBER = (int, float)
# Each message type: its fields, their JSON types, and which may be left out.
FIELDS = {
    "hello": (
        {"role": str},
        {"token": str, "code": str, "name": (str, type(None)), "key": (str, type(None))},
    ),  # fmt: skip
    "answer": ({"question": int, "text": str}, {}),
    "ask": ({"step": int}, {}),
    "reveal": ({}, {}),
    "cancel": ({}, {}),
    "set": ({"leaf": int, "value": NUMBER}, {}),
    "nudge": ({"leaf": int, "h": NUMBER}, {}),
    "train": ({"task": str}, {}),
    "training": ({"action": str}, {}),
    "lr": ({"value": NUMBER}, {}),
    "end": ({}, {}),
}
STATIC = {  # the files /static/ serves, and nothing else
    name: kind
    for names, kind in (
        (("teacher.js", "student.js", "training.js"), "text/javascript"),
        (("teacher.css", "student.css", "training.css"), "text/css"),
    )
    for name in names
}
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "style-src 'self' 'unsafe-inline'; frame-src 'self'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def read_message(text):
    """The message in a text frame as a dict, or Refused saying what is wrong with it."""
    if len(text.encode("utf-8")) > MAX_FRAME:
        raise Refused(f"message: longer than {MAX_FRAME} bytes")
    try:
        data = json.loads(text, parse_constant=refuse_constant)
    except (ValueError, RecursionError):
        raise Refused("message: not JSON") from None
    if not isinstance(data, dict):
        raise Refused(f"message: expected a JSON object, got {type(data).__name__}")
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in FIELDS:
        raise Refused(f"message: unknown type {str(kind)[:40]!r}")
    needed, optional = FIELDS[kind]
    for name in data:
        if name != "type" and name not in needed and name not in optional:
            raise Refused(f"{kind}: unknown field {name[:40]!r}")
    for name, types in needed.items() | optional.items():
        if name not in data:
            if name in needed:
                raise Refused(f"{kind}: missing field {name!r}")
            continue
        value = data[name]
        if isinstance(value, bool) or not isinstance(value, types):
            raise Refused(f"{kind}: field {name!r} has the wrong type ({type(value).__name__})")
        if isinstance(value, float) and not math.isfinite(value):
            raise Refused(f"{kind}: field {name!r} is not a finite number")
    return data


def as_json(message):
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


class Bucket:
    """A token bucket: RATE messages a second on average, BURST at once."""

    def __init__(self, rate=RATE, burst=BURST, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.at = float(burst), clock()

    def take(self):
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Client:
    """One page's socket: what it is (teacher, student or not yet known) and its send queue."""

    def __init__(self, socket, number):
        self.socket, self.id = socket, f"c{number}"
        self.role, self.student = None, None
        self.queue = asyncio.Queue(QUEUE)
        self.bucket = Bucket()
        self.refused = 0
        self.closing = False

    @property
    def who(self):
        if self.student is not None:
            return f"{self.id} (student {self.student.id} {self.student.name!r})"
        return f"{self.id} ({self.role or 'before hello'})"

    def send(self, message, text=None):
        """Queue `message` (or its JSON `text`, made once for a whole room); a client too far
        behind is closed, not waited for."""
        if self.closing:
            return
        try:
            self.queue.put_nowait(text or as_json(message))
        except asyncio.QueueFull:
            log.warning("closed %s: %d messages unread", self.who, QUEUE)
            self.queue = asyncio.Queue(1)  # what was waiting is dropped: the page is gone
            self.close_soon()

    def close_soon(self):
        """Close once what is queued has been sent (a refusal's error goes first)."""
        if not self.closing:
            self.closing = True
            if self.queue.full():  # make room for the close: the page is too far behind
                self.queue.get_nowait()
            self.queue.put_nowait(None)

    async def pump(self):
        while True:
            text = await self.queue.get()
            if text is None:
                await self.socket.close(CLOSE_POLICY)
                return
            await self.socket.send_text(text)


class Classroom:
    """The room and every socket in it: routes messages to the room and sends its answers."""

    def __init__(self, room):
        self.room = room
        self.clients = set()
        self.numbers = itertools.count(1)
        self.lock = asyncio.Lock()  # the teacher's actions, one at a time
        self.count_due = None  # the live count's pending send, if any
        self.count_at = 0.0
        self.trainer = self.training_task = None
        self.student_frame_at = 0.0  # the students' training frames: when the last was sent,
        self.student_frame = self.frame_due = self.student_status = None  # the latest, ...
        self.refusals = 0  # every refusal since the start, for the log and the tests
        self.player = (None, None)  # (graph version, its page): laid out once per version

    # ---- Sending ----------------------------------------------------------------------------
    def teachers(self):
        return [c for c in self.clients if c.role == "teacher"]

    def students(self):
        return [c for c in self.clients if c.role == "student"]

    def to_teachers(self, message):
        text = as_json(message)
        for client in self.teachers():
            client.send(message, text)

    def to_students(self, message):
        text = as_json(message)  # once: 200 phones share one string, not 200 copies
        for client in self.students():
            client.send(message, text)

    def roster(self):
        here = {c.student.id for c in self.students()}
        message = self.room.roster() | {"here": len(here)}
        self.to_teachers(message)

    def count_soon(self):
        """The teacher's live count, sent at most every COUNT_EVERY seconds (the last always)."""
        if self.count_due is not None:
            return
        wait = max(0.0, self.count_at + COUNT_EVERY - time.monotonic())
        self.count_due = asyncio.get_running_loop().call_later(wait, self.send_count)

    def send_count(self):
        self.count_due, self.count_at = None, time.monotonic()
        self.to_teachers(self.room.count())

    def refuse(self, client, reason, **extra):
        client.refused += 1
        self.refusals += 1
        log.warning("refused %s: %s", client.who, reason)
        client.send({"type": "error", "error": reason} | extra)
        if client.refused >= MAX_REFUSED:
            log.warning("closed %s: %d refusals", client.who, client.refused)
            client.send({"type": "error", "error": "too many refused messages: closing"})
            client.close_soon()

    # ---- One connection ---------------------------------------------------------------------
    async def serve(self, socket):
        origin, host = socket.headers.get("origin"), socket.headers.get("host", "")
        if origin is not None and origin.split("://", 1)[-1] != host:
            log.warning("refused a socket from another site: origin %r, host %r", origin, host)
            self.refusals += 1
            await socket.close(CLOSE_POLICY)
            return
        await socket.accept()
        client = Client(socket, next(self.numbers))
        self.clients.add(client)
        pump = asyncio.create_task(client.pump())
        try:
            while not pump.done():
                frame = await socket.receive()
                if frame["type"] == "websocket.disconnect":
                    break
                await self.receive(client, frame)
        except WebSocketDisconnect:
            pass
        finally:
            self.clients.discard(client)
            pump.cancel()
            if client.role == "student":
                self.roster()

    async def receive(self, client, frame):
        if not client.bucket.take():
            return self.refuse(client, "too many messages: at most 20 a second")
        text = frame.get("text")
        if text is None:
            return self.refuse(client, "message: binary frames are not accepted")
        message = {}
        try:
            message = read_message(text)
            if client.role is None:
                return self.hello(client, message)
            if message["type"] == "hello":
                raise Refused("hello: already said")
            if message["type"] in TEACHER_ONLY:
                if client.role != "teacher":
                    raise Refused(f"{message['type']}: only the teacher can do this")
                async with self.lock:
                    await self.teacher(client, message)
            else:
                self.student(client, message)
        except Refused as err:
            extra = {"question": message["question"]} if "question" in message else {}
            self.refuse(client, str(err), **extra)

    def hello(self, client, message):
        room = self.room
        if message["type"] != "hello":
            raise Refused("message: say hello first")
        if message["role"] == "teacher":
            if not hmac.compare_digest(message.get("token", ""), room.token):
                self.close(client, "hello: wrong teacher token")
                return
            client.role = "teacher"
            client.send({
                "type": "welcome", "role": "teacher", "lang": room.lang, "code": room.code,
                "join_url": room.join_url, "lan": room.lan, "messages": room.words(),
                "state": room.state() | {"training": self.trainer is not None},
            })  # fmt: skip
            self.to_teachers(self.room.count())
            self.last_frame(client)
            return
        if message["role"] != "student":
            raise Refused(f"hello: role must be teacher or student, got {message['role'][:20]!r}")
        try:
            room.check_code(message.get("code", ""))
        except Refused as err:
            self.close(client, str(err))
            return
        student = room.join(message.get("name"), message.get("key"))
        client.role, client.student = "student", student
        client.send({
            "type": "welcome", "role": "student", "id": student.id, "name": student.name,
            "key": student.key, "lang": room.lang, "messages": room.words(),
            "state": room.state(student) | {"training": self.trainer is not None},
        })  # fmt: skip
        self.roster()
        self.last_frame(client)
        if room.open is not None:
            self.count_soon()

    def close(self, client, reason):
        """Refuse and close: a wrong token or join code gets no second try on this socket."""
        self.refuse(client, reason)
        client.close_soon()

    def student(self, client, message):
        if message["type"] != "answer":
            raise Refused(f"{message['type']}: students send answers only")
        value = self.room.answer(client.student, message["question"], message["text"])
        client.send({
            "type": "received", "question": message["question"],
            "text": message["text"].strip(), "value": value if value == value else "nan",
        })  # fmt: skip
        self.count_soon()

    # ---- The teacher's controls -------------------------------------------------------------
    async def teacher(self, client, message):
        room, kind = self.room, message["type"]
        if kind == "ask":
            asked = await asyncio.to_thread(room.ask, message["step"])
            self.to_students(room.question_message(asked))
            self.to_teachers(room.question_message(asked) | {"step": asked.step})
            self.to_teachers(room.count())
        elif kind == "reveal":
            results, verdicts = await asyncio.to_thread(room.reveal)
            for other in self.students():
                other.send(verdicts[other.student.id])
            self.to_teachers(results)
            asked = room.questions[-1]
            self.to_students(await asyncio.to_thread(room.revealed_message, asked))
        elif kind == "cancel":
            closed = room.cancel()
            self.to_students(closed)
            self.to_teachers(closed)
        elif kind in ("set", "nudge"):
            if kind == "set" and room.open is not None:
                raise Refused("set: a question is open; reveal or cancel it first")
            act = room.graph.set if kind == "set" else room.graph.nudge
            try:
                done = await asyncio.to_thread(
                    act, message["leaf"], message.get("value", message.get("h"))
                )
            except ValueError as err:
                raise Refused(str(err)) from None
            if kind == "set":
                self.to_teachers({"type": "graph", "version": room.graph.version,
                                  "leaves": done})  # fmt: skip
            else:
                client.send({"type": "nudged", "leaf": message["leaf"], "h": message["h"]} | done)
        elif kind in ("train", "training", "lr"):
            await self.training(message)
        elif kind == "end":
            scores = room.end()
            for other in self.students():
                other.send(scores[other.student.id])
            self.to_teachers({"type": "ended"})
            if room.out is not None:
                await asyncio.to_thread(save_results, room)

    async def training(self, message):
        from .training import Trainer, Training

        kind = message["type"]
        if kind == "train":
            try:
                training = Training(message["task"], seed=self.room.seed)
            except ValueError as err:
                raise Refused(str(err)) from None
            await self.stop_training()
            self.trainer = Trainer(training, self.send_frame)
            self.training_task = asyncio.create_task(self.trainer.run())
            return
        if self.trainer is None:
            raise Refused(f"{kind}: no training is running; start one with Train")
        if kind == "lr":
            try:
                self.trainer.set_lr(message["value"])
            except ValueError as err:
                raise Refused(str(err)) from None
            return
        actions = {"pause": self.trainer.pause, "resume": self.trainer.resume,
                   "step": self.trainer.step_once}  # fmt: skip
        if message["action"] == "stop":
            await self.stop_training()
        elif message["action"] in actions:
            done = actions[message["action"]]()
            if asyncio.iscoroutine(done):
                await done
        else:
            raise Refused(f"training: action must be pause, resume, step or stop, got "
                          f"{message['action'][:20]!r}")  # fmt: skip

    async def stop_training(self):
        if self.trainer is not None:
            self.trainer.stop()
            try:
                await asyncio.wait_for(self.training_task, 5)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                self.training_task.cancel()
            self.trainer = self.training_task = None
            self.to_teachers({"type": "training_stopped"})
            self.to_students({"type": "training_stopped"})

    async def send_frame(self, frame):
        """A training frame: to the teacher every one; to students at most one a second, the
        latest kept for the end of that second, and a change of status (paused) at once."""
        self.to_teachers(frame)
        self.student_frame = frame
        changed = frame.get("status") != self.student_status
        if changed or time.monotonic() - self.student_frame_at >= STUDENT_FRAME_EVERY:
            self.frame_to_students()
        elif self.frame_due is None:
            wait = self.student_frame_at + STUDENT_FRAME_EVERY - time.monotonic()
            self.frame_due = asyncio.get_running_loop().call_later(wait, self.frame_to_students)

    def frame_to_students(self):
        if self.frame_due is not None:
            self.frame_due.cancel()
        self.frame_due, self.student_frame_at = None, time.monotonic()
        self.student_status = self.student_frame.get("status")
        self.to_students(self.student_frame)

    def last_frame(self, client):
        """A page joining while a network trains sees where it is (the trainer's last frame)."""
        frame = getattr(self.trainer, "last_frame", None)
        if frame is not None:
            client.send(frame)

    # ---- Pages ------------------------------------------------------------------------------
    def teacher_asks(self, request):
        """Whether the request carries the teacher's token (Authorization: Bearer ...)."""
        given = request.headers.get("authorization", "")
        ok = given.startswith("Bearer ") and hmac.compare_digest(given[7:], self.room.token)
        if not ok:
            self.refusals += 1
            log.warning("refused %s %s: no teacher token", request.method, request.url.path)
        return ok

    async def player_page(self, request):
        if not self.teacher_asks(request):
            return forbidden()
        version, page = self.player
        if version != self.room.graph.version:
            version = self.room.graph.version
            page = await asyncio.to_thread(self.room.graph.player_html)
            self.player = (version, page)
        return HTMLResponse(page, headers=HEADERS)

    async def results_csv(self, request):
        if not self.teacher_asks(request):
            return forbidden()
        name = "chainrule-results.csv"
        return Response(
            self.room.csv(),
            media_type="text/csv; charset=utf-8",
            headers=HEADERS | {"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def room_info(self, request):
        room = self.room
        return JSONResponse({"lang": room.lang, "code_required": room.lan,
                             "messages": room.words()}, headers=HEADERS)  # fmt: skip

    async def qr(self, request):
        from .lan import qr_svg

        svg = await asyncio.to_thread(qr_svg, self.room.join_url)
        return Response(svg, media_type="image/svg+xml", headers=HEADERS)


def forbidden(why="the teacher's token is needed\n"):
    return Response(why, status_code=403, headers=HEADERS)


def asset(name):
    return files("classroom").joinpath("static", name).read_text(encoding="utf-8")


def player_hash():
    """The CSP source that allows the player's one inline script (viz/player.js, put into the
    page verbatim) and nothing else inline: the player runs in an <iframe srcdoc> on the
    teacher's page, and such a frame lives under its parent's policy."""
    digest = hashlib.sha256(player_asset("player.js").encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def page(name, scripts=""):
    headers = HEADERS
    if scripts:
        policy = HEADERS["Content-Security-Policy"]
        headers = HEADERS | {"Content-Security-Policy": f"script-src 'self' {scripts}; {policy}"}

    async def serve(request):
        return HTMLResponse(asset(name), headers=headers)

    return serve


async def static(request):
    name = request.path_params["name"]
    if name not in STATIC:
        return Response("not found\n", status_code=404, headers=HEADERS)
    return Response(asset(name), media_type=STATIC[name], headers=HEADERS)


def save_results(room):
    """The CSV into the --out folder, atomically (the teacher asked to keep it)."""
    from pathlib import Path

    from autograd.files import write_atomic

    path = Path(room.out) / "results.csv"
    write_atomic(path, room.csv(), where="serve")
    log.info("wrote %s", path)
    return path


class KnownHosts:
    """Answer only requests addressed to this machine by a name it was given (127.0.0.1,
    localhost, the join link's address). A web page elsewhere can point its own name at
    127.0.0.1 ("DNS rebinding") and then talk to a local server as if it were its own site;
    its requests carry that name as their Host, and are refused here."""

    def __init__(self, app, hosts, hub):
        self.app, self.hosts, self.hub = app, {h.lower() for h in hosts}, hub

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1").lower()
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name not in self.hosts:
                log.warning("refused a request for host %r", host[:80])
                self.hub.refusals += 1
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": CLOSE_POLICY})
                else:
                    await forbidden("unknown host\n")(scope, receive, send)
                return
        await self.app(scope, receive, send)


def make_app(room):
    """The app serving `room` (a classroom.room.Room). `app.state.classroom` is its hub."""
    hub = Classroom(room)
    app = Starlette(routes=[
        Route("/", page("student.html")),
        Route("/teacher", page("teacher.html", player_hash())),
        Route("/static/{name}", static),
        Route("/api/room", hub.room_info),
        Route("/api/player", hub.player_page),
        Route("/api/results.csv", hub.results_csv),
        Route("/api/qr.svg", hub.qr),
        WebSocketRoute("/ws", hub.serve),
    ])  # fmt: skip
    app.state.classroom = hub
    joined = urlsplit(room.join_url).hostname if room.join_url else None
    app.add_middleware(KnownHosts, hosts={"127.0.0.1", "localhost", joined or "127.0.0.1"},
                       hub=hub)  # fmt: skip
    return app
