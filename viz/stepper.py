"""The terminal stepper: the forward pass, then backprop one node at a time, read aloud.

`chainrule step NAME` calls `step_terminal`. On a terminal it waits for a key between steps
(Enter: next, q: quit); piped or with pause=False it prints every step straight through.
"""

import os
import sys

from .narrate import Story, paren

QUIT_KEYS = (b"q", b"Q", b"\x04", b"")  # q, Ctrl-D, end of input


class Paint:
    """ANSI styles when colour is on, plain text when it is off."""

    CODES = {"bold": "1", "dim": "2", "value": "36", "grad": "1;33", "head": "1;35"}

    def __init__(self, enabled):
        self.enabled = enabled

    def __call__(self, style, text):
        if not self.enabled:
            return text
        return f"\033[{self.CODES[style]}m{text}\033[0m"


def colour_supported(stream):
    """Colour only on a terminal that can show it, and never when NO_COLOR is set."""
    if os.environ.get("NO_COLOR", "") != "" or os.environ.get("TERM", "") == "dumb":
        return False
    return is_terminal(stream)


def is_terminal(stream):
    """Whether `stream` is an interactive terminal."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def read_key(stream):
    """One key press from the terminal `stream` (no Enter needed where termios exists)."""
    try:
        import termios
        import tty
    except ImportError:  # Windows: fall back to a whole line
        return stream.readline().strip().encode()[:1] or b"\n"
    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        return os.read(fd, 8)  # 8: an arrow key arrives as one short escape sequence
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def step_terminal(root, pause=True, *, out=None, keys=None, color=None, precision=4):
    """Print the forward pass, then each backward step; returns how many steps were shown.

    pause: wait for a key between steps when both `keys` (default stdin) and `out` (default
    stdout) are terminals; Enter (or any key) steps, q quits. color: None decides from the
    terminal and NO_COLOR; True or False forces it.
    """
    out = sys.stdout if out is None else out
    keys = sys.stdin if keys is None else keys
    story = Story(root, precision, "step_terminal")
    paint = Paint(colour_supported(out) if color is None else bool(color))
    waiting = bool(pause) and is_terminal(out) and is_terminal(keys)

    def say(text=""):
        out.write(text + "\n")

    f = story.root_name
    say(paint("head", "Forward pass") + paint("dim", ": each value from its inputs, inputs first"))
    for line in story.forward:
        say(f"  {line}")
    say("")
    say(
        paint("head", "Backward pass")
        + paint("dim", f": {story.per_node()} for every node, from {f} back to the inputs")
    )
    total = len(story.backward)
    for n, explanation in enumerate(story.backward, 1):
        if waiting:
            out.write(paint("dim", "  [Enter] next step   [q] quit "))
            out.flush()
            key = read_key(keys)
            out.write("\r\033[K")  # wipe the prompt line: the transcript stays clean
            if key in QUIT_KEYS:
                say(paint("dim", f"(stopped before step {n}/{total})"))
                out.flush()
                return n - 1
        say("")
        say(paint("bold", f"Step {n}/{total}: {explanation.name}"))
        for line in step_lines(story, explanation, paint):
            say(f"  {line}")
        out.flush()
    say("")
    leaves = [e for e in reversed(story.backward) if story.rows[e.index].node.op is None]
    named = [e for e in leaves if story.rows[e.index].node.label]  # constants say little
    shown = ", ".join(f"{story.d(f, e.name)} = {story.num(e.grad)}" for e in named or leaves)
    say(paint("head", "Done") + f": {shown}")
    out.flush()
    return total


def step_lines(story, explanation, paint):
    """The lines of one backward step: each use with its numbers, then the chain-rule sentence."""
    f, x, num = story.root_name, explanation.name, story.num
    lines = []
    several = len(explanation.terms) > 1
    for t in explanation.terms:
        q = t.consumer
        slot = f" (input {t.slot + 1})" if q.node.inputs.count(q.node.inputs[t.slot]) > 1 else ""
        line = (
            f"from {q.name()} = {story.formula(q)}{slot}: upstream {story.d(f, q.name())} = "
            f"{paint('grad', num(t.upstream))}, local {story.d(q.name(), x)} = {num(t.local)}, "
            f"contributes {num(t.upstream)} · {paren(num(t.local))} = {num(t.contribution)}"
        )
        if several:
            line += f"; running sum {num(t.running)}"
        lines.append(line)
    pad = " " * len(story.d(f, x))
    if explanation.substituted:
        lines.append(explanation.symbolic)
        lines.append(f"{pad} {explanation.substituted}")
        lines.append(paint("grad", f"{pad} {explanation.numeric}"))
    else:  # the root (= 1) or no path (= 0): one line says it all
        lines.append(paint("grad", explanation.symbolic))
    if explanation.why:
        lines.append(paint("dim", f"({explanation.why})"))
    return lines
