"""Recurrent cells, which carry a hidden state from one time step to the next, and `unroll`.

RNNCell, GRUCell and LSTMCell follow torch.nn's equations, gate order, parameter names and
layout (weight_ih, weight_hh, bias_ih, bias_hh: each a flat, row-major list with the gates
stacked), so weights copy to and from torch in a few lines. `unroll(cell, sequence)` runs a
cell along a sequence, each time step in its own scope ("t1", "t2", ...) and with the SAME
weight Values at every step: backprop through time is plain backprop through this unrolled
graph, and a weight's gradient is the sum of one contribution per time step (fan-out).
"""

import math
import numbers

import numpy as np

from autograd import Value, scope

from .init import as_rng
from .layers import _check_size
from .module import Module

NONLINEARITIES = ("tanh", "relu")


class _Cell(Module):
    """What the three cells share: checked sizes, torch's parameters, W v + b per gate."""

    GATES = ("h",)  # the stacked gates, in torch's order; they name the weights: w_ir, b_hz

    def __init__(self, input_size, hidden_size, bias=True, rng=None):
        where = type(self).__name__
        _check_size(f"{where}: input_size", input_size)
        _check_size(f"{where}: hidden_size", hidden_size)
        rng = as_rng(rng)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bool(bias)
        k = 1.0 / math.sqrt(hidden_size)  # torch's default: every parameter from U(-k, k)

        def matrix(side, columns):
            return [
                Value(rng.uniform(-k, k), f"w_{side}{gate}{self._index(unit, col, columns)}")
                for gate in self.GATES
                for unit in range(hidden_size)
                for col in range(columns)
            ]

        def vector(side):
            return [
                Value(rng.uniform(-k, k), f"b_{side}{gate}{self._index(unit)}")
                for gate in self.GATES
                for unit in range(hidden_size)
            ]

        self.weight_ih = matrix("i", input_size)
        self.weight_hh = matrix("h", hidden_size)
        self.bias_ih = vector("i") if self.bias else []
        self.bias_hh = vector("h") if self.bias else []
        self.tag_parameters()

    def _index(self, unit, col=None, columns=1):
        """A label's index: the unit, then the column, each left out where there is only one
        (w_hh for a 1x1 matrix, w_ih1_0 for row 1, column 0)."""
        parts = [unit] if self.hidden_size > 1 else []
        parts += [col] if col is not None and columns > 1 else []
        return "_".join(map(str, parts))

    def _label(self, node, name, unit):
        """Label a gate or state node: r, h (r_0, r_1, ... with more than one unit)."""
        node.label = name if self.hidden_size == 1 else f"{name}_{unit}"
        return node

    def _gates(self, weights, biases, v):
        """W v + b for every stacked gate: a list per gate, one Value per hidden unit."""
        n, rows = len(v), len(weights) // len(v)
        out = []
        for r in range(rows):
            total = biases[r] if biases else None  # b + w0 v0 + w1 v1 + ..., as a Neuron sums
            for w, x in zip(weights[r * n : (r + 1) * n], v):
                total = w * x if total is None else total + w * x
            out.append(total)
        H = self.hidden_size
        return [out[g * H : (g + 1) * H] for g in range(len(self.GATES))]

    def _features(self, v, n, what):
        """`v` as a list of n numbers/Values; a bare one is allowed when n == 1."""
        where = type(self).__name__
        if n == 1 and _is_feature(v):
            return [v]
        if not isinstance(v, (list, tuple)):
            raise TypeError(f"{where}: {what} must be a list of {n} numbers or Values, got {v!r}")
        if len(v) != n:
            size = "input_size" if what == "x" else "hidden_size"
            raise ValueError(f"{where}: {what} has {len(v)} values, expected {n} ({size})")
        for i, item in enumerate(v):
            if not _is_feature(item):
                raise TypeError(
                    f"{where}: {what}[{i}] must be a number or a Value, "
                    f"got {type(item).__name__} {item!r}"
                )
        return list(v)

    def zero_state(self):
        """The state before the first step, all 0 as in torch: h0 (an LSTM: (h0, c0))."""
        return _zeros("h0", self.hidden_size)

    def __repr__(self):
        tail = "" if self.bias else ", bias=False"
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size}{tail})"


class RNNCell(_Cell):
    """Elman's cell: h' = tanh(W_ih x + b_ih + W_hh h + b_hh), as torch.nn.RNNCell.

    x: a list of input_size numbers or Values (a bare one when input_size == 1); h: a list of
    hidden_size, or None for zeros. Returns h' as a list. nonlinearity "relu" uses ReLU.
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", rng=None):
        if nonlinearity not in NONLINEARITIES:
            allowed = " or ".join(repr(n) for n in NONLINEARITIES)
            raise ValueError(f"RNNCell: nonlinearity must be {allowed}, got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, rng)

    def forward(self, x, h=None):
        """The next hidden state from input x and hidden state h."""
        x = self._features(x, self.input_size, "x")
        h = self.zero_state() if h is None else self._features(h, self.hidden_size, "h")
        (ih,) = self._gates(self.weight_ih, self.bias_ih, x)
        (hh,) = self._gates(self.weight_hh, self.bias_hh, h)
        act = Value.tanh if self.nonlinearity == "tanh" else Value.relu
        return [self._label(act(a + b), "h", j) for j, (a, b) in enumerate(zip(ih, hh))]

    def __repr__(self):
        tail = "" if self.nonlinearity == "tanh" else ", nonlinearity='relu'"
        return super().__repr__()[:-1] + tail + ")"


class GRUCell(_Cell):
    """The gated recurrent unit, as torch.nn.GRUCell (gates r, z, n in that order):

        r = σ(W_ir x + b_ir + W_hr h + b_hr)        reset gate
        z = σ(W_iz x + b_iz + W_hz h + b_hz)        update gate
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    x and h as RNNCell's; returns h' as a list.
    """

    GATES = ("r", "z", "n")

    def forward(self, x, h=None):
        """The next hidden state from input x and hidden state h."""
        x = self._features(x, self.input_size, "x")
        h = self.zero_state() if h is None else self._features(h, self.hidden_size, "h")
        ir, iz, i_n = self._gates(self.weight_ih, self.bias_ih, x)
        hr, hz, hn = self._gates(self.weight_hh, self.bias_hh, h)
        out = []
        for j in range(self.hidden_size):
            r = self._label((ir[j] + hr[j]).sigmoid(), "r", j)
            z = self._label((iz[j] + hz[j]).sigmoid(), "z", j)
            n = self._label((i_n[j] + r * hn[j]).tanh(), "n", j)
            out.append(self._label((1.0 - z) * n + z * h[j], "h", j))
        return out


class LSTMCell(_Cell):
    """Long short-term memory, as torch.nn.LSTMCell (gates i, f, g, o in that order):

        i = σ(W_ii x + b_ii + W_hi h + b_hi)    input gate
        f = σ(W_if x + b_if + W_hf h + b_hf)    forget gate
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)
        o = σ(W_io x + b_io + W_ho h + b_ho)    output gate
        c' = f * c + i * g,  h' = o * tanh(c')

    forward(x, (h, c)) -> (h', c'), each a list of hidden_size; the state None means zeros.
    """

    GATES = ("i", "f", "g", "o")

    def zero_state(self):
        """(h0, c0), all 0 as in torch."""
        return _zeros("h0", self.hidden_size), _zeros("c0", self.hidden_size)

    def forward(self, x, state=None):
        """The next (h, c) from input x and the state (h, c)."""
        x = self._features(x, self.input_size, "x")
        if state is None:
            state = self.zero_state()
        if not isinstance(state, (list, tuple)) or len(state) != 2:
            raise TypeError(f"LSTMCell: the state must be a pair (h, c), got {state!r}")
        h = self._features(state[0], self.hidden_size, "h")
        c = self._features(state[1], self.hidden_size, "c")
        gates = zip(
            *self._gates(self.weight_ih, self.bias_ih, x),
            *self._gates(self.weight_hh, self.bias_hh, h),
        )
        h_out, c_out = [], []
        for j, (ii, if_, ig, io, hi, hf, hg, ho) in enumerate(gates):
            i = self._label((ii + hi).sigmoid(), "i", j)
            f = self._label((if_ + hf).sigmoid(), "f", j)
            g = self._label((ig + hg).tanh(), "g", j)
            o = self._label((io + ho).sigmoid(), "o", j)
            c_out.append(self._label(f * c[j] + i * g, "c", j))
            h_out.append(self._label(o * c_out[j].tanh(), "h", j))
        return h_out, c_out


def unroll(cell, sequence, state=None):
    """Run `cell` along `sequence`: (the hidden state after each time step, the last state).

    sequence: a list over time steps, each a list of input_size features (numbers or Values,
    each holding one number or a batch); with input_size == 1 a flat list of numbers/Values.
    state: the state before step 1 (h, or (h, c) for an LSTMCell); None: zeros, drawn as
    leaves h0 (and c0). Step t's nodes carry scope "t<t>" (inside any scope already in force),
    so collapse= folds the picture to one box per time step; its outputs are labelled h<t>
    (h<t>_<unit> for more than one unit), and c<t> for an LSTM. As torch.nn.RNN/GRU/LSTM
    return (output, h_n): the outputs are the h's, and the last state is what step T made.
    """
    if not isinstance(cell, _Cell):
        raise TypeError(f"unroll: cell must be an RNNCell, GRUCell or LSTMCell, got {cell!r}")
    if not isinstance(sequence, (list, tuple)) or not sequence:
        raise ValueError(
            f"unroll: sequence must be a non-empty list of time steps, got {sequence!r}"
        )
    for t, x in enumerate(sequence, 1):  # every step checked before any node is made
        try:
            cell._features(x, cell.input_size, "x")
        except (TypeError, ValueError) as err:
            raise type(err)(f"unroll: time step {t}: {err}") from None
    lstm = isinstance(cell, LSTMCell)
    if state is None:
        state = cell.zero_state()
    outputs = []
    for t, x in enumerate(sequence, 1):
        with scope(f"t{t}"):
            state = cell(x, state)
        for name, values in zip("hc", state if lstm else (state,)):
            for j, v in enumerate(values):
                v.label = f"{name}{t}" + ("" if len(values) == 1 else f"_{j}")
        outputs.append(state[0] if lstm else state)
    return outputs, state


def _zeros(name, n):
    """n zero Values labelled name (name_0, name_1, ... when n > 1): a state of all 0."""
    return [Value(0.0, name if n == 1 else f"{name}_{j}") for j in range(n)]


def _is_feature(v):
    """A Value, a real number, or a 1-D array of numbers (a batch, one per example)."""
    if isinstance(v, (Value, np.ndarray)):
        return True
    return isinstance(v, numbers.Real) and not isinstance(v, bool)
