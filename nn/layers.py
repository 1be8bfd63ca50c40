"""Neurons, layers and the multi-layer perceptron, micrograd-compatible.

`MLP(2, [16, 16, 1])` has ReLU hidden layers and a linear output, as in micrograd's demo.
"""

import random

from autograd import Value

from .module import Module

ACTIVATIONS = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,
}


def get_activation(activation):
    """An activation by name, a callable, or None (linear)."""
    if activation is None or callable(activation):
        return activation
    try:
        return ACTIVATIONS[activation]
    except (KeyError, TypeError):
        allowed = ", ".join(repr(k) for k in ACTIVATIONS)
        raise ValueError(f"unknown activation {activation!r}; choose one of {allowed}") from None


class Neuron(Module):
    """act(w . x + b), with weights drawn uniformly from [-1, 1] as in micrograd."""

    def __init__(self, nin, nonlin=True, activation="relu", rng=None):
        rng = rng or random
        self.w = [Value(rng.uniform(-1, 1), f"w{i}") for i in range(nin)]
        self.b = Value(0.0, "b")
        self.act = get_activation(activation) if nonlin else None

    def forward(self, x):
        out = self.b
        for wi, xi in zip(self.w, x):
            out = out + wi * xi
        return self.act(out) if self.act is not None else out

    def __repr__(self):
        kind = getattr(self.act, "__name__", "linear") if self.act else "linear"
        return f"Neuron({len(self.w)}, {kind})"


class Layer(Module):
    """`nout` neurons reading the same inputs; returns a list (or the value when nout == 1)."""

    def __init__(self, nin, nout, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]
        for j, n in enumerate(self.neurons):
            n.name = f"neuron{j + 1}"

    def forward(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def __repr__(self):
        return f"Layer of [{', '.join(map(repr, self.neurons))}]"


class MLP(Module):
    """Layers in sequence: hidden layers use `activation`, the last `output_activation`."""

    def __init__(self, nin, nouts, activation="relu", output_activation=None, rng=None):
        sizes = [nin] + list(nouts)
        last = len(nouts) - 1
        self.layers = []
        for i in range(len(nouts)):
            act = activation if i < last else output_activation
            layer = Layer(sizes[i], sizes[i + 1], activation=act, nonlin=act is not None, rng=rng)
            layer.name = f"layer{i + 1}"
            self.layers.append(layer)
        self.tag_parameters()

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __repr__(self):
        return f"MLP of [{', '.join(map(repr, self.layers))}]"
