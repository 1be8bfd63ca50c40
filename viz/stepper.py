"""The terminal stepper: the forward pass, then backprop one node at a time, read aloud
(mode="forward": forward mode, each value with its tangent; "both": one sweep, then the other).

`chainrule step NAME` calls `step_terminal`. On a terminal it waits for a key between steps
(Enter: next, b: back, q: quit); piped or with pause=False it prints every step straight through.
"""

import os
import sys

from .format import width
from .i18n import _, language, resolve
from .narrate import Story, paren
from .notation import partial
from .tangent import TangentStory, aligned

QUIT_KEYS = (b"q", b"Q", b"\x04", b"")  # q, Ctrl-D, end of input
BACK_KEYS = (b"b", b"B", b"\x1b[D", b"\x1bOD")  # b, the left arrow (both encodings)
MODES = ("reverse", "forward", "both")  # backprop, forward mode (viz.tangent), one then the other


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
        tty.setcbreak(fd, termios.TCSANOW)  # not the default TCSAFLUSH: keep keys typed ahead
        key = os.read(fd, 8)  # 8: an arrow key arrives as one short escape sequence
        return key if key.startswith(b"\x1b") else key[:1]  # "bb" typed fast: one b
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def step_terminal(
    root,
    pause=True,
    *,
    out=None,
    keys=None,
    color=None,
    precision=4,
    params=None,
    example=None,
    lang=None,
    mode="reverse",
    wrt=None,
):
    """Print the forward pass, then each backward step; returns how many steps were shown.

    pause: wait for a key between steps when both `keys` (default stdin) and `out` (default
    stdout) are terminals; Enter (or any key) steps, b or the left arrow shows the step before
    again, q quits. Ctrl-C ends the line cleanly and raises KeyboardInterrupt (the command
    exits 130). color: None decides from the terminal and NO_COLOR; True or False forces it.
    example: which example of a batch to tell (see `Story`). lang: the language it speaks,
    "en" or "zh-CN" (None: the current one).
    mode: "reverse" (backprop, as above), "forward" (forward mode for the input `wrt`, a leaf
    Value or its label: each node's value with its tangent) or "both" (forward mode, then the
    backward steps, then what each mode costs for this graph).
    """
    lang = resolve(lang, where="step_terminal")
    if mode not in MODES:
        raise ValueError(
            f"step_terminal: mode={mode!r}; choose one of {', '.join(map(repr, MODES))}"
        )
    if mode == "reverse" and wrt is not None:
        raise ValueError(
            f"step_terminal: wrt={wrt!r} is for mode='forward' or 'both', not 'reverse'"
        )
    if mode != "reverse" and wrt is None:
        raise ValueError(f"step_terminal: mode={mode!r} needs wrt=, the input forward mode follows")
    with language(lang):
        if mode == "reverse":
            story = Story(root, precision, "step_terminal", params=params, example=example)
        else:  # a bad wrt is refused here, before anything is printed
            story = TangentStory(root, wrt, precision, "step_terminal", params=params,
                                 example=example)  # fmt: skip
        return walk_through(story, mode, pause, out, keys, color)


def walk_through(story, mode, pause, out, keys, color):
    """step_terminal in the language in force: forward mode's steps, backprop's, or both."""
    out = sys.stdout if out is None else out
    keys = sys.stdin if keys is None else keys
    paint = Paint(colour_supported(out) if color is None else bool(color))
    waiting = bool(pause) and is_terminal(out) and is_terminal(keys)

    def say(text=""):
        out.write(text + "\n")

    def tangent_step(n, again):
        show_tangent(story, n, paint, say, again)

    def backward_step(n, again):
        show(story, n, paint, say, again)

    shown = 0
    if mode != "reverse":
        total = len(story.rows)
        say(paint("head", story.heading()))
        say(paint("dim", f"  {story.rule_line()}"))
        if story.batch_note():
            say(paint("dim", f"  {story.batch_note()}"))
        shown = pace(total, tangent_step, out, keys, paint, waiting)
        if shown < total:
            return shown
        say("")
        # TRANSLATORS: the colon after the heading "Done", before the list of gradients
        say(paint("head", _("Done")) + _(":"))
        say(paint("grad", f"  {story.result()}"))
        if mode == "forward":
            out.flush()
            return shown
        say("")
    f = story.root_name
    if mode == "reverse":
        # TRANSLATORS: printed after the heading "Forward pass" (the colon is the heading's)
        rest = _(": each value from its inputs, inputs first")
        say(paint("head", _("Forward pass")) + paint("dim", rest))
        if story.batch_note():
            say(paint("dim", f"  {story.batch_note()}"))
        for line in story.forward:
            say(f"  {line}")
        say("")
    # TRANSLATORS: printed after the heading "Backward pass"; {each} is ∂f/∂(each node)
    rest = _(": {each}, from {root} back to the inputs").format(each=story.per_node(), root=f)
    say(paint("head", _("Backward pass")) + paint("dim", rest))
    total = len(story.backward)
    n = pace(total, backward_step, out, keys, paint, waiting)
    if n < total:
        return shown + n
    say("")
    leaves = [e for e in reversed(story.backward) if story.rows[e.index].node.op is None]
    named = [e for e in leaves if story.rows[e.index].node.label]  # constants say little
    # TRANSLATORS: the colon after the heading "Done", before the list of gradients
    say(paint("head", _("Done")) + _(":"))
    for e in named or leaves:
        say(f"  {partial(f, e.name)} = {story.num(e.grad)}")
    if mode == "both":
        say("")
        costs = story.costs_lines()
        say(paint("head", costs[0]))
        for line in costs[1:]:
            say(line if line.startswith("  ") else paint("dim", line))
        say("")
        say(paint("grad", story.agreement()))
    out.flush()
    return shown + total


def pace(total, show_step, out, keys, paint, waiting):
    """Show steps 1..total (show_step(n, again)), waiting for a key before each when `waiting`;
    returns how many were shown (fewer than total: the reader quit)."""

    def say(text=""):
        out.write(text + "\n")

    n = seen = 0  # the step on screen last, and the furthest shown (0: none yet)
    try:
        while n < total:
            if waiting:
                # TRANSLATORS: the keys the stepper waits for; keep [Enter], [b], [q] as they are
                out.write(paint("dim", _("  [Enter] next step   [b] back   [q] quit ")))
                out.flush()
                key = read_key(keys)
                out.write("\r\033[K")  # wipe the prompt line: the transcript stays clean
                if key in QUIT_KEYS:
                    said = _("(stopped before step {n}/{total})").format(n=n + 1, total=total)
                    say(paint("dim", said))
                    out.flush()
                    return n
                if key in BACK_KEYS:
                    n = max(n - 1, 1) if n else 0
                    if n:
                        show_step(n, True)
                    continue
            n += 1
            show_step(n, n <= seen)
            seen = max(seen, n)
            out.flush()
    except KeyboardInterrupt:  # Ctrl-C: end on a fresh line; the caller decides the exit
        out.write("\r\033[K" if waiting else "\n")
        say(paint("dim", _("(interrupted at step {n}/{total})").format(n=n, total=total)))
        out.flush()
        raise
    return n


def show_tangent(story, n, paint, say, again=False):
    """Print forward-mode step n (from 1): the node's value, then its tangent line."""
    i = n - 1
    step = story.step(i)
    say("")
    # TRANSLATORS: after a step's heading when that step is shown a second time
    say(paint("bold", step.heading) + (paint("dim", _("  (again)")) if again else ""))
    say(f"  {story.forward[i]}")
    lines = aligned(story.dotted(i), step)
    notes = [line.startswith(("(", "（")) for line in lines]  # a bracketed reason: dimmed
    result = max(k for k, note in enumerate(notes) if not note)  # the tangent's own line
    for k, line in enumerate(lines):
        say(
            "  "
            + (paint("dim", line) if notes[k] else paint("grad", line) if k == result else line)
        )
    if story.rows[i].inputs:
        say(paint("dim", f"  {step.sentence}"))


def show(story, n, paint, say, again=False):
    """Print backward step n (from 1) of the story, marked when it is shown a second time."""
    explanation = story.backward[n - 1]
    heading = _("Step {n}/{total}: {name}").format(
        n=n, total=len(story.backward), name=story.describe(story.rows[explanation.index])
    )
    say("")
    # TRANSLATORS: after a step's heading when that step is shown a second time
    say(paint("bold", heading) + (paint("dim", _("  (again)")) if again else ""))
    for line in step_lines(story, explanation, paint):
        say(f"  {line}")


def step_lines(story, explanation, paint):
    """The lines of one backward step: each use with its numbers, then the chain-rule sentence."""
    f, num = story.root_name, story.num
    lines = []
    several = len(explanation.terms) > 1
    for t in explanation.terms:
        q = t.consumer
        slot = ""
        if q.node.inputs.count(q.node.inputs[t.slot]) > 1:  # a * a: say which input
            # TRANSLATORS: after "from q = a * a" when a node is both inputs of one op
            slot = _(" (input {k})").format(k=t.slot + 1)
        if t.total is None:
            # TRANSLATORS: one use of the node: where it goes, the upstream gradient, the
            # local derivative, and their product
            line = _("from {name} = {formula}{slot}: upstream {upstream} = {grad}, "
                     "local {local}, contributes {product}")  # fmt: skip
            added = f"{num(t.upstream)} · {paren(num(t.local))} = {num(t.contribution)}"
        else:  # a weight met by a batch: the narrated example's share, then every example's
            line = _("from {name} = {formula}{slot}: upstream {upstream} = {grad}, "
                     "local {local}, {share}")  # fmt: skip
            added = story.share_line(t)
        line = line.format(
            name=story.name(q), formula=story.formula(q), slot=slot,
            upstream=partial(f, story.name(q)), grad=paint("grad", num(t.upstream)),
            local=story.local_line(t), product=added, share=added,
        )  # fmt: skip
        if several:
            line = _("{use}; running sum {total}").format(use=line, total=num(t.running))
        lines.append(line)
    indent = " " * width(partial(f, explanation.name))  # under the "=": CJK names count two
    if explanation.terms:
        lines.append(explanation.symbolic)
        if explanation.substituted:
            lines.append(f"{indent} {explanation.substituted}")
        lines.append(paint("grad", f"{indent} {explanation.numeric}"))
    else:  # the root (= 1) or no path (= 0): one line says it all
        lines.append(paint("grad", explanation.symbolic))
    if explanation.why:
        lines.append(paint("dim", _("({reason})").format(reason=explanation.why)))
    return lines
