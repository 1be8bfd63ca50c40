"""1-D convolution and pooling over short sequences, built from Values: PyTorch's Conv1d,
MaxPool1d and AvgPool1d, one output position at a time.

A kernel slides along the sequence and the SAME weights are used at every position, so each
weight fans out to every output; backprop adds up what comes back from each use (the fan-out
rule), and nothing here writes a derivative. Pooling has no weights: max pooling routes the
gradient to each window's largest input, average pooling shares it equally.

Shapes (as the rest of nn's sequence modules): a sequence is a list over positions, each a
list of channel values (numbers or Values; Values may hold a batch, one number per example).
With one channel a flat list of numbers or Values is accepted too: the output is then flat as
well (for Conv1d: when out_channels is also 1), otherwise it is a list over output positions
of lists over channels. Output length, as torch: (length + 2·padding - kernel_size) // stride + 1.
"""

import math
import numbers

import numpy as np

from autograd import Value
from autograd.value import call_in_scope

from .init import as_rng, get_init
from .module import Module


def torch_uniform(fan_in, fan_out, rng):
    """PyTorch's default for Conv1d and Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    (kaiming_uniform_ with a = sqrt(5): the gain sqrt(1/3) times sqrt(3 / fan_in).)
    """
    bound = 1.0 / math.sqrt(fan_in)
    return rng.uniform(-bound, bound)


def _whole(where, n, least):
    """n as a whole number >= least, or a ValueError naming `where` (bool is not a number)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < least:
        raise ValueError(f"{where} must be a whole number >= {least}, got {n!r}")
    return n


def _positions(where, x, channels=None):
    """The sequence x as (rows, flat): rows[t][c] a Value, flat when x was a flat list.

    Checks everything before any node is made. A plain number (or a numpy batch) becomes one
    constant leaf, shared by every window that reads it. `channels` None: any count, the same
    at every position.
    """
    if not isinstance(x, (list, tuple)) or not x:
        shown = f"{type(x).__name__} {x!r}" if not isinstance(x, (list, tuple)) else repr(x)
        raise TypeError(
            f"{where}: expected a sequence (a non-empty list over positions), got {shown}"
        )
    nested = [isinstance(p, (list, tuple)) for p in x]
    if any(nested) and not all(nested):
        t = nested.index(not nested[0])
        raise TypeError(
            f"{where}: position 0 is {'a list' if nested[0] else 'one value'} but position {t} "
            f"is {'a list' if nested[t] else 'one value'}; give every position a list of "
            "channels, or (one channel) a flat list"
        )
    flat = not nested[0]
    rows = [[p] for p in x] if flat else [list(p) for p in x]
    want = channels if channels is not None else len(rows[0])
    if want < 1:
        raise ValueError(f"{where}: position 0 has no channels (an empty list)")
    if flat and want != 1:
        raise ValueError(
            f"{where}: expected {want} channels at each position, got a flat list "
            "(a flat list is one channel)"
        )
    for t, row in enumerate(rows):
        if len(row) != want:
            raise ValueError(
                f"{where}: expected {want} channels at each position, "
                f"got {len(row)} at position {t}"
            )
        for c, v in enumerate(row):
            if type(v) is Value:
                continue
            if isinstance(v, bool) or not isinstance(v, (numbers.Real, np.ndarray)):
                raise TypeError(
                    f"{where}: position {t}, channel {c}: expected a number or Value, "
                    f"got {type(v).__name__} {v!r}"
                )
    try:
        return [[v if type(v) is Value else Value(v) for v in row] for row in rows], flat
    except TypeError as err:  # a numpy array that is not a batch (2-D, empty, of strings)
        raise TypeError(f"{where}: {err}") from None


def _out_length(where, length, kernel_size, stride, padding):
    """How many windows fit: (length + 2·padding - kernel_size) // stride + 1, as torch."""
    padded = length + 2 * padding
    if kernel_size > padded:
        raise ValueError(
            f"{where}: kernel_size {kernel_size} is longer than the padded input "
            f"({length} positions + 2 · padding {padding} = {padded})"
        )
    return (padded - kernel_size) // stride + 1


class Conv1d(Module):
    """torch.nn.Conv1d: out[t][o] = b_o + sum over i, k of w[o][i][k] · x[t·stride + k - pad][i].

    A cross-correlation (the kernel is not flipped), zero padding on both ends. `weight` is a
    flat list in torch's (out_channels, in_channels, kernel_size) order, labelled w{o}_{i}_{k}
    (w{k} with one input and one output channel); `bias` one Value per output channel (b{o},
    or b), or empty with bias=False. Weights from `init` (default torch's U(-1/sqrt(fan_in),
    1/sqrt(fan_in)), fan_in = in_channels · kernel_size); biases always from torch's uniform.

    Each output position is computed in its own scope "pos{t}", so collapse=True draws one
    box per position with the shared weights, outside them, fanning out to every box; named
    (a container names it, or set .name and call tag_parameters()) it folds to one box.
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        bias=True,
        init=torch_uniform,
        rng=None,
    ):
        self.in_channels = _whole("Conv1d: in_channels", in_channels, 1)
        self.out_channels = _whole("Conv1d: out_channels", out_channels, 1)
        self.kernel_size = _whole("Conv1d: kernel_size", kernel_size, 1)
        self.stride = _whole("Conv1d: stride", stride, 1)
        self.padding = _whole("Conv1d: padding", padding, 0)
        if not isinstance(bias, bool):
            raise TypeError(f"Conv1d: bias must be True or False, got {bias!r}")
        rng, draw = as_rng(rng), get_init(init)
        fan_in, fan_out = in_channels * kernel_size, out_channels * kernel_size
        one = in_channels == 1 and out_channels == 1
        self.weight = [
            Value(draw(fan_in, fan_out, rng), f"w{k}" if one else f"w{o}_{i}_{k}")
            for o in range(out_channels)
            for i in range(in_channels)
            for k in range(kernel_size)
        ]
        self.bias = [
            Value(torch_uniform(fan_in, fan_out, rng), "b" if out_channels == 1 else f"b{o}")
            for o in range(out_channels)
        ] if bias else []  # fmt: skip
        self.tag_parameters()

    def w(self, o, i, k):
        """The weight from input channel i to output channel o at tap k: torch's weight[o, i, k]."""
        return self.weight[(o * self.in_channels + i) * self.kernel_size + k]

    def forward(self, x):
        """The output sequence: one list of out_channels Values per window (flat: see module)."""
        where = "Conv1d"
        rows, flat = _positions(where, x, self.in_channels)
        n = _out_length(where, len(rows), self.kernel_size, self.stride, self.padding)
        out = [call_in_scope(f"pos{t}", self._position, rows, t) for t in range(n)]
        return [y[0] for y in out] if flat and self.out_channels == 1 else out

    def _position(self, rows, t):
        """The out_channels sums at output position t; padded inputs are 0, so they are skipped."""
        start, length = t * self.stride - self.padding, len(rows)
        taps = [(k, start + k) for k in range(self.kernel_size) if 0 <= start + k < length]
        ys = []
        for o in range(self.out_channels):
            total = self.bias[o] if self.bias else None  # b + w·x + w·x ..., as a Neuron adds
            for i in range(self.in_channels):
                for k, s in taps:
                    term = self.w(o, i, k) * rows[s][i]
                    total = term if total is None else total + term
            ys.append(total if total is not None else Value(0.0))  # a window of padding only
        return ys

    def __repr__(self):
        return (
            f"Conv1d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, bias={bool(self.bias)})"
        )


class _Pool1d(Module):
    """What max and average pooling share: the window, its checks and the walk over windows."""

    kind = ""  # the class name, for messages
    part = ""  # each window's scope: "max0", "avg0"

    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel_size = _whole(f"{self.kind}: kernel_size", kernel_size, 1)
        self.stride = kernel_size if stride is None else _whole(f"{self.kind}: stride", stride, 1)
        self.padding = _whole(f"{self.kind}: padding", padding, 0)
        if 2 * padding > kernel_size:  # torch's rule: so no window is padding only
            raise ValueError(
                f"{self.kind}: padding must be at most half of kernel_size, "
                f"got padding={padding} and kernel_size={kernel_size}"
            )

    def forward(self, x):
        """The pooled sequence, channel by channel; the same shape as x (flat stays flat)."""
        rows, flat = _positions(self.kind, x)
        n = _out_length(self.kind, len(rows), self.kernel_size, self.stride, self.padding)
        out = [call_in_scope(f"{self.part}{t}", self._window, rows, t) for t in range(n)]
        return [y[0] for y in out] if flat else out

    def _window(self, rows, t):
        start = t * self.stride - self.padding
        inside = [rows[s] for s in range(start, start + self.kernel_size) if 0 <= s < len(rows)]
        return [self.pool([row[c] for row in inside]) for c in range(len(rows[0]))]

    def __repr__(self):
        return (
            f"{self.kind}(kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding})"
        )


class MaxPool1d(_Pool1d):
    """torch.nn.MaxPool1d: the largest value of each window, channel by channel.

    stride defaults to kernel_size; padding counts as -inf (it never wins), and must be at most
    half the kernel, as torch requires. The gradient goes only to each window's largest input.
    On a tie the engine's max op sends all of it to the first (leftmost) of the tied inputs;
    torch 2.13 on the CPU does the same (its kernel keeps the first maximum), but torch does
    not promise it on every device, so the tests compare with torch on inputs without ties.
    """

    kind, part = "MaxPool1d", "max"

    def pool(self, window):
        """max(window), left to right: ties keep the leftmost."""
        best = window[0]
        for v in window[1:]:
            best = best.max(v)
        return best


class AvgPool1d(_Pool1d):
    """torch.nn.AvgPool1d: each window's sum divided by kernel_size, channel by channel.

    stride defaults to kernel_size; padding counts as zeros and is included in the count
    (torch's default count_include_pad=True): a window half over the edge is still divided by
    kernel_size. Each input of a window gets upstream / kernel_size of its gradient.
    """

    kind, part = "AvgPool1d", "avg"

    def pool(self, window):
        """sum(window) / kernel_size (the padding's zeros add nothing but count)."""
        total = window[0]
        for v in window[1:]:
            total = total + v
        return total / self.kernel_size
