"""Diagnostics the lessons need: how large each layer's gradient is, and which ReLUs are dead.

A gradient norm that shrinks layer by layer towards the input is the vanishing-gradient
problem; one that grows is the exploding one. A ReLU that outputs 0 for every example passes
no gradient back, so its weights never change again: it is dead.
"""

import math

import numpy as np

from autograd import Value, no_grad

from .activations import ReLU, relu


def grad_norms(model):
    """{layer: L2 norm of its parameters' gradients}, grouped by the scope tag (layer1, ...)."""
    squares = {}
    for p in model.parameters():
        layer = p.scope.split(".")[0]
        squares[layer] = squares.get(layer, 0.0) + float(np.sum(np.square(p.grad)))
    return {layer: math.sqrt(total) for layer, total in squares.items()}


def _is_relu(unit):
    act = getattr(unit, "act", None)
    return act is relu or act is Value.relu or isinstance(act, ReLU)


def dead_relus(model, X):
    """{layer: number of its ReLU units that output 0 for every example in X}.

    Works on models with a `.layers` list (MLP, Sequential): hidden ReLU neurons, and the
    outputs of a ReLU module placed after a layer. Runs in evaluation mode, recording no graph.
    """
    layers = getattr(model, "layers", None)
    if not isinstance(layers, list):
        raise TypeError(f"dead_relus: expected a model with a .layers list, got {model!r}")
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"dead_relus: X must be a non-empty 2-D array, got shape {X.shape}")
    was_training = model.training
    model.eval()
    counts = {}
    try:
        with no_grad():
            x = [Value(column) for column in X.T]
            for i, layer in enumerate(layers):
                x = layer(x)
                outs = x if isinstance(x, list) else [x]
                units = getattr(layer, "neurons", None)
                if isinstance(layer, ReLU):
                    relus = outs
                elif units is not None:
                    relus = [v for v, unit in zip(outs, units) if _is_relu(unit)]
                else:
                    continue
                if relus:
                    name = layer.name or f"layer{i + 1}"
                    counts[name] = sum(1 for v in relus if not np.any(np.asarray(v.data) > 0))
    finally:
        model.train(was_training)
    return counts
