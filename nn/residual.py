"""Residual (skip) connections, y = x + f(x): how deep networks keep their gradients.

∂y/∂x = 1 + ∂f/∂x. However small f's derivative gets, the add passes the gradient back
unchanged along the identity, so a stack of residual blocks has a path from the loss to the
input whose local derivatives are all 1. `deep_stack` builds lesson 15's plain and residual
stacks of sigmoid layers, with the same weights, to compare their gradients layer by layer.
"""

from .init import as_rng
from .layers import Layer, _check_size
from .module import Module, Sequential

_LISTS = (list, tuple)


class Residual(Module):
    """x + module(x), elementwise: for one value, a list of features, or a sequence of them.

    A sequence is a list over positions, each a list of features (what the Transformer block
    feeds it). The wrapped module keeps its own name, or is named "f"; the add is made in
    Residual's own scope, so a picture can fold f alone (the identity path and the add stay
    drawn: collapse at the depth of f) or the whole block. A module that returns one value for
    a one-feature input (Layer(1, 1) does) counts as returning a list of one.
    """

    def __init__(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"Residual: module must be a Module, got {type(module).__name__}")
        module.name = module.name or "f"
        self.f = module
        self.tag_parameters()

    def forward(self, x):
        """x + f(x), feature by feature; the output has x's shape (a list stays a list)."""
        fx = self.f(x)
        if _is_features(x) and len(x) == 1 and not isinstance(fx, _LISTS):
            fx = [fx]  # Layer(1, 1)'s one value for a one-feature list
        if not _same_shape(x, fx):
            raise ValueError(
                f"Residual: x has shape {_shape(x)} but {self.f.name}(x) has shape "
                f"{_shape(fx)}; y = x + f(x) needs the same shape"
            )
        return _add(x, fx)

    def __repr__(self):
        return f"Residual({self.f!r})"


def deep_stack(width, depth, activation="sigmoid", residual=False, init="xavier_normal", rng=None):
    """`depth` layers of `width` units (width in, width out), named layer1, layer2, ...

    residual=True wraps each layer in Residual. The same rng (a seed) gives the plain and the
    residual stack the same weights, so the only difference is the skip connections.
    nn.diagnostics.grad_norms gives one gradient norm per layer of either.
    """
    _check_size("deep_stack: width", width)
    _check_size("deep_stack: depth", depth)
    rng = as_rng(rng)
    layers = [Layer(width, width, activation=activation, init=init, rng=rng) for _ in range(depth)]
    return Sequential(*(Residual(layer) if residual else layer for layer in layers))


def _is_features(x):
    """A list of features: a list whose items are single values (numbers or Values)."""
    return isinstance(x, _LISTS) and not any(isinstance(v, _LISTS) for v in x)


def _same_shape(a, b):
    if isinstance(a, _LISTS) or isinstance(b, _LISTS):
        if not (isinstance(a, _LISTS) and isinstance(b, _LISTS)) or len(a) != len(b):
            return False
        return all(_same_shape(u, v) for u, v in zip(a, b))
    return True


def _shape(x):
    """(4, 2) for 4 positions of 2 features, (3,) for 3 features, () for one value; ? if ragged."""
    if not isinstance(x, _LISTS):
        return "()"
    inner = {_shape(v) for v in x}
    if not inner:
        return f"({len(x)},)"
    if len(inner) > 1:
        return f"({len(x)}, ?)"
    rest = inner.pop().strip("(),")
    return f"({len(x)}, {rest})" if rest else f"({len(x)},)"


def _add(x, fx):
    if isinstance(x, _LISTS):
        return [_add(u, v) for u, v in zip(x, fx)]
    return x + fx
