"""Activation functions: the non-linearity after each weighted sum, as functions and modules.

Every one is built from the engine's ops, so its derivative comes from the op table and the
graph shows it. Each works on a Value holding one number or one number per example (a batch).
"""

import copy
from functools import reduce

from autograd import Value, no_grad

from .module import Module


def sigmoid(x):
    """1 / (1 + e^-x): squashes into (0, 1); saturates, so its gradient vanishes far from 0."""
    return x.sigmoid()


def tanh(x):
    """(e^x - e^-x) / (e^x + e^-x): zero-centred in (-1, 1); saturates like sigmoid."""
    return x.tanh()


def relu(x):
    """max(0, x): gradient 1 for x > 0 and 0 below (a unit stuck below 0 is a dead ReLU)."""
    return x.relu()


def leaky_relu(x, alpha=0.01):
    """x for x > 0, alpha * x below: a small slope keeps the gradient alive."""
    return x.leaky_relu(alpha)


def prelu(x, alpha):
    """Leaky ReLU with a learnable slope (a Value): max(x, 0) + alpha * min(x, 0)."""
    return x.relu() + alpha * x.min(0.0)


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (e^x - 1) below: smooth, and its outputs average nearer 0."""
    return x.elu(alpha)


def swish(x, beta=1.0):
    """x * sigmoid(beta * x); beta may be a number or a learnable Value (beta = 1 is SiLU)."""
    if isinstance(beta, Value):  # the op's parameter is a constant: build it from ops instead
        return x * (beta * x).sigmoid()
    return x.swish(beta)


def silu(x):
    """x * sigmoid(x): swish with beta = 1."""
    return x.silu()


def softplus(x):
    """ln(1 + e^x): a smooth ReLU whose derivative is sigmoid(x); computed without overflow."""
    return x.softplus()


def gelu(x):
    """x * Phi(x), Phi the standard normal CDF: the Transformers' default."""
    return x.gelu()


def step(x):
    """The perceptron's step: 1 where x >= 0, else 0 (its gradient is 0: nothing learns)."""
    return x.step()


def _values(xs, where):
    xs = list(xs)
    if not xs:
        raise ValueError(f"{where}: needs at least one value")
    return [x if isinstance(x, Value) else Value(x) for x in xs]


def _shift(xs):
    """xs minus their maximum (a constant: the result does not depend on it, the floats do)."""
    with no_grad():  # a leaf, one per example in a batch; e^(x - max) <= 1 cannot overflow
        top = reduce(Value.max, xs)
    top.label = "max"
    return [x - top for x in xs]


def softmax(xs):
    """e^x_i / sum_j e^x_j over a list of values: probabilities summing to 1, computed stably."""
    exps = [s.exp() for s in _shift(_values(xs, "softmax"))]
    total = reduce(Value.__add__, exps)
    return [e / total for e in exps]


def log_softmax(xs):
    """log softmax(x)_i = (x_i - max) - log sum_j e^(x_j - max): no overflow, no log(0)."""
    shifted = _shift(_values(xs, "log_softmax"))
    log_total = reduce(Value.__add__, [s.exp() for s in shifted]).log()
    return [s - log_total for s in shifted]


def maxout(pieces):
    """The largest of k values (k affine pieces of the input): a learned piecewise-linear unit."""
    return reduce(Value.max, _values(pieces, "maxout"))


def _each(f, x):
    """f on a Value, or on each value of a list (a layer's outputs)."""
    return [f(v) for v in x] if isinstance(x, (list, tuple)) else f(x)


class Sigmoid(Module):
    """sigmoid as a module."""

    def forward(self, x):
        return _each(sigmoid, x)


class Tanh(Module):
    """tanh as a module."""

    def forward(self, x):
        return _each(tanh, x)


class ReLU(Module):
    """relu as a module."""

    def forward(self, x):
        return _each(relu, x)


class SiLU(Module):
    """silu as a module."""

    def forward(self, x):
        return _each(silu, x)


class GELU(Module):
    """gelu as a module."""

    def forward(self, x):
        return _each(gelu, x)


class Softplus(Module):
    """softplus as a module."""

    def forward(self, x):
        return _each(softplus, x)


class Step(Module):
    """step as a module."""

    def forward(self, x):
        return _each(step, x)


class LeakyReLU(Module):
    """leaky_relu with a fixed slope `alpha` (PyTorch calls it negative_slope)."""

    def __init__(self, alpha=0.01):
        self.alpha = float(alpha)

    def forward(self, x):
        return _each(lambda v: v.leaky_relu(self.alpha), x)


class ELU(Module):
    """elu with a fixed `alpha`."""

    def __init__(self, alpha=1.0):
        self.alpha = float(alpha)

    def forward(self, x):
        return _each(lambda v: v.elu(self.alpha), x)


class PReLU(Module):
    """Leaky ReLU with a learnable slope `alpha` (a parameter, starting at 0.25 as in PyTorch)."""

    def __init__(self, alpha=0.25):
        self.alpha = Value(float(alpha), "alpha")

    def forward(self, x):
        return _each(lambda v: prelu(v, self.alpha), x)


class Swish(Module):
    """swish with a constant beta, or a learnable one (a parameter) when `learnable=True`."""

    def __init__(self, beta=1.0, learnable=False):
        self.beta = Value(float(beta), "beta") if learnable else float(beta)

    def forward(self, x):
        return _each(lambda v: swish(v, self.beta), x)


class Softmax(Module):
    """softmax over a list of values (a layer's outputs)."""

    def forward(self, xs):
        return softmax(xs)


# By name, for MLP(activation=...): a function of one Value, or a Module class made per neuron.
# "softmax" and "maxout" act on a whole layer (see layers.Layer), "linear" means none.
ACTIVATIONS = {
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "prelu": PReLU,
    "elu": elu,
    "swish": swish,
    "silu": silu,
    "gelu": gelu,
    "softplus": softplus,
    "step": step,
    "softmax": None,
    "maxout": None,
    "linear": None,
}
LAYER_ACTIVATIONS = ("softmax", "maxout")


def make_activation(spec):
    """One neuron's activation from a name, None, a function, a Module class or a Module.

    A Module instance is copied, so learnable parameters (PReLU's alpha) belong to one neuron.
    """
    if spec is None or spec == "linear":
        return None
    if isinstance(spec, str):
        if spec not in ACTIVATIONS or spec in LAYER_ACTIVATIONS:
            allowed = ", ".join(repr(k) for k in ACTIVATIONS if k not in LAYER_ACTIVATIONS)
            hint = " (a whole layer's, see Layer)" if spec in LAYER_ACTIVATIONS else ""
            raise ValueError(f"unknown neuron activation {spec!r}{hint}; choose one of {allowed}")
        spec = ACTIVATIONS[spec]
    if isinstance(spec, type) and issubclass(spec, Module):
        return spec()
    if isinstance(spec, Module):
        return copy.deepcopy(spec)
    if callable(spec):
        return spec
    allowed = ", ".join(repr(k) for k in ACTIVATIONS)
    raise TypeError(
        f"activation must be a name ({allowed}), None, a function, or a Module; got {spec!r}"
    )
