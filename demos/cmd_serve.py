"""`chainrule serve [LESSON | --expr EXPR --at x=-2,y=5]`: the live classroom on the teacher's
laptop. The teacher steps through the graph on their page and asks the room; every student
answers on their own phone or laptop, and the misconceptions show as the answers come in.

    chainrule serve                                  # chain-rule, on this computer only
    chainrule serve --expr "(x + y) * z" --at x=-2,y=5,z=-4 --lan    # the local network too

It binds 127.0.0.1 unless --lan, which serves the local network and prints the join code, the
join URL and its QR code. The teacher's URL carries the teacher's token after its `#`, so it is
never sent to the server nor logged; it is the only way to the teacher's controls. The web app
is classroom.app (Starlette on uvicorn, the `serve` extra); this module reads the command line,
opens the port and says where to go.
"""

import argparse
import errno
import html
import os
import pathlib
import shutil
import signal
import socket
import sys
import tempfile
import threading
import webbrowser

from viz import i18n
from viz.i18n import _

from . import cmd_draw
from .common import MissingExtra, UsageError, complain

DEFAULT_LESSON = "chain-rule"
DEFAULT_PORT = 8765
LOOPBACK = "127.0.0.1"
EVERYWHERE = "0.0.0.0"  # every interface: the local network, and this computer too
EXTRA = ("starlette", "uvicorn", "websockets", "segno")  # what pip install 'chainrule[serve]' adds
INSTALL = "pip install 'chainrule[serve]'"
STOP_KEYS = "Ctrl+C"


def add_parser(sub):
    """The `serve` command's options."""
    p = sub.add_parser(
        "serve",
        help=_("teach live: you step through the graph, every student answers on their own device"),
        description=_(
            "Start the live classroom: a web page for you, the teacher, where you step through "
            "the graph and ask the room, and one for each student, who answers on their own "
            "phone or laptop. You see the answers as they come in, and which mistake each "
            "wrong one shows."
        ),
        epilog=_(
            "Only this computer can join unless you give {lan}. The answers live in memory: "
            "nothing is kept after the server stops unless you give {out} or download the "
            "CSV on your page. {keys} stops the server."
        ).format(lan="--lan", out="--out DIR", keys=STOP_KEYS),
    )
    p.add_argument(
        "lesson",
        nargs="?",
        metavar="LESSON",
        help=_("a lesson with a graph, as `chainrule step` takes (default: {name})").format(
            name=DEFAULT_LESSON
        ),
    )
    p.add_argument(
        "--expr",
        metavar="EXPR",
        help=_("your own expression instead of a lesson, like {example}, with --at").format(
            example='"(x + y) * z"'
        ),
    )
    cmd_draw.expression_options(p)
    p.add_argument(
        "--lan",
        action="store_true",
        help=_("serve the local network too: students join with a code, a link or a QR code"),
    )
    p.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        metavar="N",
        help=_("the port to serve on (default: {port}; 0: any free port)").format(
            port=DEFAULT_PORT
        ),
    )
    from .cli import seed  # here, not at the top: demos.cli imports this module as it loads

    p.add_argument(
        "--seed",
        type=seed,
        default=0,
        metavar="N",
        help=_("seed for the live training's data and starting weights (default 0)"),
    )
    p.add_argument(
        "--no-browser",
        action="store_true",
        help=_("do not open the teacher's page in a browser (its link is printed)"),
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help=_(
            "also save the results CSV in {folder} at the end of the lesson and when it stops"
        ).format(folder="DIR"),
    )
    return p


def port_number(text):
    """A --port value: plain digits, 0 (any free port) to 65535."""
    if not (text.isascii() and text.isdigit()) or len(text) > 5 or int(text) > 65535:
        raise argparse.ArgumentTypeError(
            _("the port must be a whole number from 0 to 65535, got {text}").format(text=repr(text))
        )
    return int(text)


def the_graph(args, lang):
    """The lesson's graph (classroom.graph.ClassGraph): LESSON's, or the expression's."""
    from classroom.graph import ClassGraph

    if args.expr is None:
        if args.at is not None or args.param is not None:
            raise UsageError(
                _("{at} and {param} give the values of an expression: add {expr}").format(
                    at="--at", param="--param", expr="--expr EXPR"
                )
            )
        try:
            return ClassGraph.from_lesson(args.lesson or DEFAULT_LESSON, lang=lang)
        except ValueError as err:
            raise UsageError(err) from None
    if args.lesson is not None:
        raise UsageError(
            _("give a lesson or {expr}, not both (got {name})").format(
                expr="--expr", name=repr(args.lesson)
            )
        )
    # Read as `chainrule draw` reads it first, so a mistake names --at and --param.
    cmd_draw.read(args.expr, args.at, args.param)
    return ClassGraph.from_expression(args.expr, args.at, args.param, lang=lang)


def check_extra():
    """The web packages, imported here: a chainrule without the `serve` extra runs every other
    command, and this one says what to install."""
    try:
        import segno  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
        import websockets  # noqa: F401
    except ImportError as err:
        if err.name not in EXTRA:  # a broken install of something else: not ours to explain
            raise
        raise MissingExtra(
            _("`serve` needs {package}: {install}").format(package=err.name, install=INSTALL)
        ) from None


def listen(host, port):
    """A socket listening on `host`:`port`, bound here so a port in use is said before
    anything starts, and --port 0 tells the port the kernel chose."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        sock.bind((host, port))
        sock.listen(2048)  # uvicorn's backlog: a room joining at once waits, none is refused
    except OSError:
        sock.close()
        raise
    return sock


def run(args):
    """Serve the lesson in `args` until Ctrl+C; returns the exit status."""
    lang = i18n.current()
    graph = the_graph(args, lang)  # a usage mistake is said before any port is opened
    check_extra()
    import uvicorn

    from classroom import lan
    from classroom.app import MAX_FRAME, make_app, save_results
    from classroom.room import Room

    if args.out is not None:
        try:  # a folder that cannot be made is said now, not once the lesson's answers are in
            os.makedirs(args.out, exist_ok=True)
        except OSError as err:
            return complain(1, _("cannot make the results folder: {error}").format(error=err))
    try:
        sock = listen(EVERYWHERE if args.lan else LOOPBACK, args.port)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            return complain(
                1,
                _("port {port} is in use (another server?); choose another with {option}").format(
                    port=args.port, option="--port N"
                ),
            )
        return complain(
            1, _("cannot listen on port {port}: {error}").format(port=args.port, error=err)
        )
    port = sock.getsockname()[1]  # the real one, when --port 0 let the kernel choose
    code, token = (lan.join_code() if args.lan else ""), lan.teacher_token()
    address = lan.lan_address() if args.lan else LOOPBACK
    join_url = f"http://{address}:{port}/" + (f"?code={code}" if args.lan else "")
    teacher_url = f"http://{LOOPBACK}:{port}/teacher#token={token}"
    room = Room(
        graph, lang=lang, code=code, token=token, lan=args.lan, join_url=join_url, out=args.out,
        seed=args.seed,
    )  # fmt: skip
    config = uvicorn.Config(
        make_app(room),
        host=sock.getsockname()[0],
        port=port,
        log_level="warning",
        ws="websockets-sansio",  # the websockets package's own protocol ("websockets" warns)
        ws_max_size=4 * MAX_FRAME,  # a bigger frame is never read into memory at all
    )
    opened = []  # the redirect page, once the server is up

    def ready():
        """Say where to go once the server answers and Ctrl+C is uvicorn's to handle: a
        line read (or a Ctrl+C pressed) before then would meet a server not yet there."""
        announce(args, graph, teacher_url, join_url, code, address, lan)
        if not args.no_browser:  # in a thread, as Jupyter does: a slow browser holds up nothing
            opened.append(redirect_file(teacher_url))
            threading.Thread(
                target=webbrowser.open, args=(opened[0].as_uri(),), daemon=True
            ).start()

    server = announcing_server()(config, ready)
    stopped = signal.signal(signal.SIGTERM, interrupt)  # `kill` stops it as Ctrl+C does
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn has shut down cleanly, then passed Ctrl+C on
        pass
    finally:
        signal.signal(signal.SIGTERM, stopped)
        sock.close()
        for page in opened:
            shutil.rmtree(page.parent, ignore_errors=True)
    if sys.stdout.isatty():  # after the "^C" the terminal echoed
        print()
    if room.out is None:
        print(_("Stopped. Nothing was kept: the answers went with the server."), flush=True)
        return 0
    try:
        path = save_results(room)
    except OSError as err:
        return complain(1, _("stopped, but cannot write the results: {error}").format(error=err))
    print(_("Stopped. The results are in {path}.").format(path=path), flush=True)
    return 0


def announcing_server():
    """uvicorn's Server, calling `ready()` once it has started (uvicorn, the `serve` extra, is
    imported only here, when serving)."""
    import uvicorn

    class Announcing(uvicorn.Server):
        def __init__(self, config, ready):
            super().__init__(config)
            self.ready = ready

        async def startup(self, sockets=None):
            await super().startup(sockets=sockets)
            if not self.should_exit:
                self.ready()

    return Announcing


def redirect_file(url):
    """A page only this user can read that sends the browser on to `url`: opened instead of
    the URL itself, so the teacher's token never sits on a browser's command line, where
    `ps` shows it to every user of the machine (Jupyter opens its server the same way)."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="chainrule-serve-"))  # mode 0700
    page = folder / "open.html"
    quoted = html.escape(url, quote=True)
    page.write_text(
        f'<!DOCTYPE html><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0; url={quoted}"><a href="{quoted}">{quoted}</a>\n',
        encoding="utf-8",
    )
    page.chmod(0o600)
    return page


def interrupt(signum, frame):
    """SIGTERM's handler: stop as Ctrl+C does (uvicorn passes the signal on once it is done)."""
    raise KeyboardInterrupt


def announce(args, graph, teacher_url, join_url, code, address, lan):
    """Say where the teacher and the students go, and what is kept; flushed line by line, so a
    terminal or a pipe has each at once."""

    def say(text):
        print(text, flush=True)

    say(_("Serving: {title}").format(title=graph.title))
    # TRANSLATORS: the teacher's page; its link carries the teacher's secret token
    line = _("Your page (keep this link to yourself: it holds your controls): {url}")
    say(line.format(url=teacher_url))
    if args.lan:
        if address == LOOPBACK:  # a warning on stderr: the lesson still starts
            complain(
                0,
                _(
                    "found no address on a local network, so only this computer can join; "
                    "connect to the classroom's network and start again"
                ),
            )
        line = _("Students join at {url} with the code {code}, or scan:")
        say(line.format(url=join_url, code=code))
        say(lan.qr_terminal(join_url, colour=sys.stdout.isatty()).rstrip("\n"))
    else:
        line = _(
            "Students on this computer join at {url}; {option} lets every device in the room join."
        )
        say(line.format(url=join_url, option="--lan"))
    if args.out is None:
        line = _(
            "Nothing is kept after the server stops: download the CSV on your page, or start "
            "with {option}."
        )
        say(line.format(option="--out DIR"))
    else:
        line = _(
            "The results CSV is saved in {folder} at the end of the lesson and when the server "
            "stops."
        )
        say(line.format(folder=args.out))
    say(_("{keys} stops the server.").format(keys=STOP_KEYS))
