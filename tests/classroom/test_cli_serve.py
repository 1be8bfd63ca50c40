"""`chainrule serve` as a teacher meets it: the real command in a subprocess, its help in both
languages, its mistakes in one line, the URLs it prints served for real, and Ctrl+C.

A running server is read line by line from its stdout, each line waited for with a deadline
(a thread reads the pipe), never with a sleep.
"""

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from classroom import lan

pytestmark = pytest.mark.serve
CHAINRULE = os.path.join(os.path.dirname(sys.executable), "chainrule")  # the venv's script
DEADLINE = 60  # seconds for the server to say a line: starting imports numpy and the engine
TEACHER = re.compile(r"(http://127\.0\.0\.1:(\d+))/teacher#token=([A-Za-z0-9_-]{32})$")
CJK = re.compile(r"[\u3400-\u9fff]")


def environment(lang=None):
    """The environment of a run: English (tests/conftest.py pins it) or LANG=`lang`."""
    if lang is None:
        return dict(os.environ)
    return {**os.environ, "LANGUAGE": "", "LC_ALL": "", "LANG": lang}


def chainrule(*args, cwd, lang=None):
    """Run `chainrule serve ARGS` to its end (a mistake, a help); stdout and stderr as text."""
    return subprocess.run(
        [CHAINRULE, "serve", *args], cwd=cwd, capture_output=True, text=True,
        env=environment(lang), timeout=120,
    )  # fmt: skip


def one_line(stderr):
    """The complaint, after checking it is exactly one line with no traceback."""
    assert stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    assert "Traceback" not in stderr
    return stderr.rstrip("\n")


class Running:
    """`chainrule serve ARGS` running: its lines as they come, then its end."""

    def __init__(self, *args, cwd, lang=None):
        self.process = subprocess.Popen(
            [CHAINRULE, "serve", "--no-browser", *args], cwd=cwd, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=environment(lang),
        )  # fmt: skip
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.seen = []

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)  # the end of its output

    def line(self, pattern):
        """The first line from now on that `pattern` matches (a re.Match), within DEADLINE."""
        end = time.monotonic() + DEADLINE
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, end - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"no line matching {pattern!r} in {DEADLINE}s: {self.seen}"
                ) from None
            if line is None:
                raise AssertionError(f"ended before {pattern!r}: {self.seen} {self.stderr()}")
            self.seen.append(line)
            found = re.search(pattern, line)
            if found:
                return found

    def stop(self, how=signal.SIGINT):
        """Send `how` (Ctrl+C's SIGINT), wait for the end; returns the lines after it."""
        self.process.send_signal(how)
        status = self.process.wait(timeout=DEADLINE)
        rest = []
        while (line := self.lines.get(timeout=DEADLINE)) is not None:
            rest.append(line)
        return status, rest

    def stderr(self):
        return self.process.stderr.read() if self.process.poll() is not None else ""

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()


@pytest.fixture
def serve(tmp_path):
    """Start `chainrule serve --no-browser ARGS` in tmp_path; killed at the end if still up."""
    started = []

    def start(*args, lang=None):
        started.append(Running(*args, cwd=tmp_path, lang=lang))
        return started[-1]

    yield start
    for each in started:
        each.close()


def get(url, **kwargs):
    import httpx

    return httpx.get(url, timeout=DEADLINE, **kwargs)


def test_help_says_what_serve_does_and_lists_its_options(tmp_path):
    done = chainrule("--help", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("usage: chainrule serve [-h]")
    text = " ".join(done.stdout.split())  # as read, whatever the terminal's width wrapped
    for words in ("--expr EXPR", "--at x=-2,y=5", "--lan", "--port N", "--no-browser",
                  "--out DIR", "--lang LANG", "(default: 8765; 0: any free port)",
                  "(default: chain-rule)"):  # fmt: skip
        assert words in text


def test_help_in_chinese_is_chinese_with_its_options_kept(tmp_path):
    done = chainrule("--help", "--lang", "zh-CN", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("用法：chainrule serve [-h]")
    for words in (
        "--port N",
        "（默认：8765；0：任意空闲端口）",
        "开始一堂现场课",
        "局域网",
        "二维码",
    ):
        assert words in done.stdout
    # no English sentence is left: outside options, metavars and code, no Latin words but names
    plain = re.sub(r"`[^`]*`|--[\w-]+|\"[^\"]*\"|\S*/\S*", " ", done.stdout)
    kept = {"usage", "chainrule", "serve", "lesson", "expr", "lang", "dir", "chain-rule", "csv",
            "ctrl", "lan", "zh-cn"}  # fmt: skip
    words = re.findall(r"[A-Za-z][A-Za-z_-]{2,}", plain)
    assert [w for w in words if w.lower() not in kept] == []


@pytest.mark.parametrize(
    "args, says",
    [
        (["no-such-lesson"], "chainrule: no lesson with a graph named 'no-such-lesson'; try: "),
        (["learning-rate"], "chainrule: no lesson with a graph named 'learning-rate'"),
        (["--expr", "(x + y"], "chainrule: at column 1, `(`: this bracket is never closed"),
        (["--expr", "x * y", "--at", "x=1"], "chainrule: at column 5, `y`: y has no value in --at"),
        (["--at", "x=1"], "chainrule: --at and --param give the values of an expression"),
        (["moons", "--expr", "x * y"], "chainrule: give a lesson or --expr, not both"),
        (["--port", "65536"], "chainrule serve: argument --port: the port must be a whole"),
        (["--port", "-1"], "chainrule serve: argument --port: the port must be a whole"),
    ],
)
def test_a_bad_lesson_expression_or_port_is_one_line_and_exit_two_before_serving(
    tmp_path, args, says
):
    done = chainrule("--no-browser", *args, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert one_line(done.stderr).startswith(says)


def test_a_port_in_use_is_one_line_naming_it_and_port_and_exit_one(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = chainrule("--no-browser", "--port", str(port), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    line = one_line(done.stderr)
    assert (
        line == f"chainrule: port {port} is in use (another server?); choose another with --port N"
    )


def test_without_the_serve_extra_it_says_what_to_install_and_exits_three(tmp_path):
    # As on an install without starlette: the import fails as a missing package's would.
    script = (
        "import sys; sys.modules['starlette'] = None; from demos import cli; "
        "sys.exit(cli.main(['serve', '--no-browser']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stdout) == (3, "")
    assert (
        one_line(done.stderr)
        == "chainrule: `serve` needs starlette: pip install 'chainrule[serve]'"
    )


def test_it_serves_on_loopback_prints_the_real_port_and_stops_cleanly_on_ctrl_c(serve):
    server = serve("--port", "0")
    teacher = server.line(TEACHER)
    base, port = teacher.group(1), int(teacher.group(2))
    assert port != 0
    join = server.line(r"join at (\S+);")
    assert join.group(1) == f"{base}/"
    server.line(r"^Nothing is kept after the server stops: .* --out DIR\.$")
    server.line(r"^Ctrl\+C stops the server\.$")
    page = get(f"{base}/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    room = get(f"{base}/api/room").json()
    assert (room["lang"], room["code_required"]) == ("en", False)
    # the teacher's controls want the token the link carries
    player = f"{base}/api/player"
    assert get(player).status_code == 403
    token = teacher.group(3)
    assert get(player, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    address = lan.lan_address()  # 127.0.0.1 only: this machine's other address is closed
    if address != "127.0.0.1":
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address, port), timeout=DEADLINE).close()
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{port}/ws", open_timeout=DEADLINE) as teacher_page:
        teacher_page.send(json.dumps({"type": "hello", "role": "teacher", "token": token}))
        assert json.loads(teacher_page.recv(timeout=DEADLINE))["type"] == "welcome"
        status, rest = server.stop()  # with the teacher's page still connected
        with pytest.raises(ConnectionClosed) as closed:
            while True:  # the messages sent before the close, then the close
                teacher_page.recv(timeout=DEADLINE)
    assert closed.value.rcvd.code == 1012  # "service restart": the page knows to reconnect
    assert status == 0
    assert rest == ["Stopped. Nothing was kept: the answers went with the server."]
    assert "Traceback" not in server.stderr() and server.stderr() == ""


def test_with_lan_it_prints_a_join_code_the_join_url_and_its_qr_code(serve):
    server = serve("--lan", "--port", "0")
    base = server.line(TEACHER).group(1)
    join = server.line(
        r"^Students join at (http://([\d.]+):(\d+)/\?code=(\w+)) with the code (\w+)"
    )
    url, address, port, code = join.group(1, 2, 3, 4)
    assert code == join.group(5) and len(code) == 4 and set(code) <= set(lan.CODE_ALPHABET)
    assert address == lan.lan_address() and f"http://127.0.0.1:{port}" == base
    qr = [server.line(r"^[█▀▄ ]+$").group(0)]
    while len(qr) < len(lan.qr_terminal(url, colour=False).splitlines()):
        qr.append(server.line(r"^[█▀▄ ]+$").group(0))
    assert "\n".join(qr) + "\n" == lan.qr_terminal(url, colour=False)  # a pipe: no colours
    server.line(r"^Ctrl\+C stops the server\.$")
    assert get(f"{base}/api/room").json()["code_required"] is True
    assert get(f"http://{address}:{port}/").status_code == 200  # the network's address serves
    assert get(f"{base}/api/qr.svg").text == lan.qr_svg(url)  # the page shows the same code
    status, _ = server.stop()
    assert status == 0


def test_with_out_the_results_csv_is_written_when_it_stops_and_it_says_where(serve, tmp_path):
    server = serve("--port", "0", "--out", "results")
    server.line(r"^The results CSV is saved in results at the end of the lesson")
    server.line(r"^Ctrl\+C stops the server\.$")
    status, rest = server.stop(signal.SIGTERM)  # `kill` stops it as Ctrl+C does
    assert status == 0
    assert rest == [f"Stopped. The results are in {os.path.join('results', 'results.csv')}."]
    csv = (tmp_path / "results" / "results.csv").read_text(encoding="utf-8-sig")
    assert csv.splitlines()[0].startswith("student,question,step,asked,answer")


def test_in_chinese_every_line_it_prints_is_chinese_and_the_room_speaks_it(serve):
    server = serve("--port", "0", lang="zh_CN.UTF-8")
    teacher = server.line(TEACHER)
    base = teacher.group(1)
    server.line(r"^按 Ctrl\+C")
    assert get(f"{base}/api/room").json()["lang"] == "zh-CN"
    status, rest = server.stop()
    assert status == 0
    for line in [*server.seen, *rest]:
        assert CJK.search(line), line


def test_lang_after_lan_is_the_language_not_an_abbreviation_of_it(serve):
    # --lan is serve's own option: the early look for --lang must not read it as `--lang`
    server = serve("--port", "0", "--lan", "--lang", "zh-CN")
    server.line(TEACHER)
    server.line(r"^按 Ctrl\+C")
    assert server.stop()[0] == 0
    assert all(CJK.search(line) for line in server.seen if not set(line) <= set("█▀▄ \n"))
