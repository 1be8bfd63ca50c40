"""A one-line progress bar for training, with no dependency: `12/100 [##----] 1.2s  loss 0.31`.

It redraws one line of a terminal (carriage return, never a newline until the end) and is
silent when its stream is not a terminal, unless asked, so logs and tests see nothing.
"""

import os
import shutil
import sys
import time


class ProgressBar:
    """Redraws one line with a bar, the count, the time and `key value` pairs from update()."""

    def __init__(self, total, stream=None, enabled=None, width=20, min_interval=0.1):
        self.total = max(int(total), 1)
        self.stream = sys.stderr if stream is None else stream
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled, self.width, self.min_interval = bool(enabled), width, min_interval
        self.count, self.fields = 0, {}
        self.start = time.perf_counter()
        self.last_draw = -float("inf")  # the first update draws at once
        self.last_len = 0

    def update(self, n=1, **fields):
        """Advance by n and set the shown fields; redraws at most every min_interval seconds."""
        self.count += n
        self.fields.update(fields)
        now = time.perf_counter()
        if self.enabled and (now - self.last_draw >= self.min_interval or self.count >= self.total):
            self.last_draw = now
            self._draw(now)

    def close(self):
        """Draw the final state and end the line."""
        if self.enabled:
            self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()
            self.enabled = False  # a second close writes nothing

    def line(self, now):
        """The text of the bar as it stands (without the carriage return)."""
        done = min(self.count, self.total)
        filled = self.width * done // self.total
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = now - self.start
        timing = f"{elapsed:.1f}s"
        if 0 < done < self.total:
            timing += f" eta {elapsed / done * (self.total - done):.1f}s"
        shown = "  ".join(f"{k} {v}" for k, v in self.fields.items())
        return f"{done}/{self.total} [{bar}] {timing}  {shown}".rstrip()

    def _draw(self, now):
        # One column short of the terminal: a full-width line wraps in some terminals, and a
        # wrapped line cannot be redrawn with a carriage return.
        text = self.line(now)[: self._columns() - 1]
        pad = " " * max(self.last_len - len(text), 0)  # wipe what a longer line left behind
        self.last_len = len(text)
        self.stream.write("\r" + text + pad)
        self.stream.flush()

    def _columns(self):
        try:
            return os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):  # no fileno, or not a terminal
            return shutil.get_terminal_size().columns
