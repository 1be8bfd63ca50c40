"""Neurons, layers and the multi-layer perceptron, micrograd-compatible; dropout.

`MLP(2, [16, 16, 1])` has ReLU hidden layers and a linear output, as in micrograd's demo, and
with `random.seed(1337)` first it draws the same weights micrograd does.
"""

import numbers

import numpy as np

from autograd import Value

from .activations import LAYER_ACTIVATIONS, make_activation, maxout, softmax
from .init import as_rng, get_init
from .module import Module


def _check_size(what, n):
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{what} must be a whole number >= 1, got {n!r}")


class Neuron(Module):
    """act(w . x + b); weights from `init` (default micrograd's U(-1, 1)), bias 0."""

    def __init__(self, nin, nonlin=True, activation="relu", init="uniform", fan_out=1, rng=None):
        _check_size("Neuron: nin", nin)
        rng, draw = as_rng(rng), get_init(init)
        self.w = [Value(draw(nin, fan_out, rng), f"w{i}") for i in range(nin)]
        self.b = Value(0.0, "b")
        self.act = make_activation(activation) if nonlin else None

    def forward(self, x):
        """b + sum w_i x_i, then the activation; x holds numbers or Values (one or a batch)."""
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: expected {len(self.w)} inputs, got {len(x)}")
        out = self.b
        for wi, xi in zip(self.w, x):
            out = out + wi * xi
        return self.act(out) if self.act is not None else out

    def __repr__(self):
        act = self.act
        kind = "linear" if act is None else getattr(act, "__name__", type(act).__name__)
        return f"Neuron({len(self.w)}, {kind})"


class MaxoutNeuron(Module):
    """The largest of `pieces` affine functions of the input: max_k (w_k . x + b_k)."""

    def __init__(self, nin, pieces=2, init="uniform", fan_out=1, rng=None):
        _check_size("MaxoutNeuron: pieces", pieces)
        rng = as_rng(rng)
        self.pieces = [
            Neuron(nin, False, init=init, fan_out=fan_out, rng=rng) for _ in range(pieces)
        ]
        for k, piece in enumerate(self.pieces):
            piece.name = f"piece{k + 1}"

    def forward(self, x):
        """The largest piece at x."""
        return maxout([piece(x) for piece in self.pieces])

    def __repr__(self):
        return f"MaxoutNeuron({len(self.pieces[0].w)}, pieces={len(self.pieces)})"


class Layer(Module):
    """`nout` neurons reading the same inputs; returns a list (or the value when nout == 1).

    `activation` is applied per neuron, except "softmax" (over the layer's outputs) and
    "maxout" (each neuron the max of `pieces` affine pieces).
    """

    def __init__(
        self, nin, nout, nonlin=True, activation="relu", init="uniform", rng=None, pieces=2
    ):
        _check_size("Layer: nout", nout)
        rng = as_rng(rng)
        if not nonlin:
            activation = None
        whole = (
            activation if isinstance(activation, str) and activation in LAYER_ACTIVATIONS else None
        )
        if whole == "maxout":
            self.neurons = [MaxoutNeuron(nin, pieces, init, nout, rng) for _ in range(nout)]
        else:
            act = None if whole else activation
            self.neurons = [
                Neuron(nin, act is not None, act, init=init, fan_out=nout, rng=rng)
                for _ in range(nout)
            ]
        self.softmax = whole == "softmax"
        for j, n in enumerate(self.neurons):
            n.name = f"neuron{j + 1}"
        self.tag_parameters()

    def forward(self, x):
        """Each neuron on the same x (then softmax over them, for a softmax layer)."""
        if not isinstance(x, (list, tuple)):  # one value: what a layer of one neuron returns
            x = [x]
        out = [n(x) for n in self.neurons]
        if self.softmax:
            out = softmax(out)
        return out[0] if len(out) == 1 else out

    def __repr__(self):
        tail = ", softmax" if self.softmax else ""
        return f"Layer of [{', '.join(map(repr, self.neurons))}{tail}]"


class Linear(Layer):
    """`nout` weighted sums w . x + b with no activation, as PyTorch's nn.Linear(nin, nout)."""

    def __init__(self, nin, nout, init="uniform", rng=None):
        super().__init__(nin, nout, nonlin=False, init=init, rng=rng)


class Maxout(Layer):
    """A layer of `nout` maxout units, each the max of `pieces` affine functions."""

    def __init__(self, nin, nout, pieces=2, init="uniform", rng=None):
        super().__init__(nin, nout, activation="maxout", init=init, rng=rng, pieces=pieces)


class Dropout(Module):
    """In training, zero each value with probability p and scale the rest by 1/(1-p); else pass.

    The scaling keeps each value's expected size, so evaluation needs no change. In a batch
    each example gets its own coin. Seeded through `rng` (a seed or a random.Random).
    """

    def __init__(self, p=0.5, rng=None):
        if not isinstance(p, numbers.Real) or isinstance(p, bool) or not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng = as_rng(rng)

    def forward(self, x):
        """x with dropout applied in training mode; x itself in evaluation mode."""
        if not self.training or self.p == 0.0:
            return x
        if isinstance(x, (list, tuple)):
            return [v * self._mask(v) for v in x]
        return x * self._mask(x)

    def _mask(self, v):
        """0 or 1/(1-p) for one number; an array of them for a batch (one per example)."""
        random, p, keep = self.rng.random, self.p, 1.0 / (1.0 - self.p)
        n = getattr(v.data, "size", None)  # None: a plain number
        if n is None:
            return keep if random() >= p else 0.0
        return np.fromiter((keep if random() >= p else 0.0 for _ in range(n)), float, n)

    def __repr__(self):
        return f"Dropout(p={self.p:g})"


class MLP(Module):
    """Layers in sequence: hidden layers use `activation`, the last `output_activation`.

    `init` names the weight initialiser (see nn.init); `dropout` > 0 adds dropout after each
    hidden layer; `rng` (a seed or random.Random; default Python's global one) seeds both.
    """

    def __init__(
        self,
        nin,
        nouts,
        activation="relu",
        output_activation=None,
        init="uniform",
        dropout=0.0,
        rng=None,
        pieces=2,
    ):
        _check_size("MLP: nin", nin)
        nouts = list(nouts)
        if not nouts:
            raise ValueError("MLP: nouts must list at least one layer size, got []")
        rng = as_rng(rng)
        sizes = [nin] + nouts
        last = len(nouts) - 1
        self.layers = []
        for i in range(len(nouts)):
            act = activation if i < last else output_activation
            layer = Layer(
                sizes[i], sizes[i + 1], act is not None, act, init=init, rng=rng, pieces=pieces
            )
            layer.name = f"layer{i + 1}"
            self.layers.append(layer)
        self.dropout = Dropout(dropout, rng) if dropout else None
        if self.dropout is not None:
            self.dropout.name = "dropout"
        self.tag_parameters()

    def forward(self, x):
        """The layers in order, with dropout between hidden layers when asked for."""
        layers, dropout = self.layers, self.dropout
        for layer in layers[:-1]:
            x = layer(x)
            if dropout is not None:
                x = dropout(x)
        return layers[-1](x)

    def __repr__(self):
        return f"MLP of [{', '.join(map(repr, self.layers))}]"
