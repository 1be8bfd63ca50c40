"""Losses: one number that says how wrong the predictions are, and penalties on the weights.

A loss takes predictions (Values) and targets (numbers or Values) in matching shapes: one
prediction, a list of them (one per example), or a Value holding a whole batch; it returns
the mean over all of them as one Value, ready for backward().
"""

from functools import reduce
from operator import add

import numpy as np

from autograd import Value

from .activations import _values, log_softmax
from .module import Module

_SEQUENCES = (list, tuple, np.ndarray)


def _pairs(pred, target, where):
    """Matching (prediction, target) leaves of two nested lists, predictions made Values."""
    if isinstance(pred, (list, tuple)):
        if not isinstance(target, _SEQUENCES) or len(target) != len(pred):
            got = f"{len(target)} targets" if isinstance(target, _SEQUENCES) else repr(target)
            raise ValueError(f"{where}: {len(pred)} predictions but {got}")
        for p, t in zip(pred, target):
            yield from _pairs(p, t, where)
    else:
        if isinstance(target, (list, tuple)):  # one target per example of a batched prediction
            target = np.asarray(target, dtype=float)
        yield (pred if isinstance(pred, Value) else Value(pred)), target


def _mean(terms, where):
    """The mean of per-prediction terms; each may hold a batch, whose mean is taken too."""
    if not terms:
        raise ValueError(f"{where}: no predictions")
    total = reduce(add, terms)
    if len(terms) > 1:
        total = total * (1.0 / len(terms))
    return total.mean()  # over the examples of a batch; a single number stays as it is


def mse_loss(pred, target):
    """MSE = 1/n sum (y - y')^2 over every output of every example, as the lessons define it."""
    return _mean([(p - t) ** 2 for p, t in _pairs(pred, target, "mse_loss")], "mse_loss")


def l1_loss(pred, target):
    """Mean absolute error 1/n sum |y - y'|: less swayed by outliers than MSE."""
    return _mean([abs(p - t) for p, t in _pairs(pred, target, "l1_loss")], "l1_loss")


def binary_cross_entropy(pred, target, eps=1e-7):
    """-[y ln p + (1 - y) ln(1 - p)] for probabilities p, clipped into [eps, 1 - eps].

    The clip keeps log away from 0, and it has a price: a confidently wrong prediction sits
    on the flat part of the clip. sigmoid(17) = 1 - 4.1e-8 lies beyond 1 - 1e-7, so for
    target 0 the loss is -ln(1e-7) = 16.1 (not 17) and the gradient is exactly 0: that
    example teaches nothing. With a sigmoid output prefer binary_cross_entropy_with_logits
    on the logit (loss 17, gradient sigmoid(17) - 0 = 1).
    """
    terms = []
    for p, t in _pairs(pred, target, "binary_cross_entropy"):
        q = p.max(eps).min(1.0 - eps)  # log(0) is -inf: the seed clips at 1e-15, PyTorch clamps
        terms.append(-(t * q.log() + (1.0 - t) * (1.0 - q).log()))
    return _mean(terms, "binary_cross_entropy")


def binary_cross_entropy_with_logits(pred, target):
    """BCE of sigmoid(z) from the logit z, stably: softplus(z) - y z (no log of 0, ever)."""
    pairs = _pairs(pred, target, "binary_cross_entropy_with_logits")
    return _mean([z.softplus() - t * z for z, t in pairs], "binary_cross_entropy_with_logits")


def hinge_loss(pred, target):
    """max(0, 1 - y s) for scores s and labels y = -1 or +1: micrograd's moons loss."""
    return _mean(
        [(1.0 - t * s).relu() for s, t in _pairs(pred, target, "hinge_loss")], "hinge_loss"
    )


def cross_entropy(logits, target):
    """-sum_k y_k log softmax(z)_k from logits z (a stable log-softmax), averaged over examples.

    `logits` is one example's list of class scores (each may hold a batch) or a list of such
    lists; `target` a class index (an int array for a batch) or a list of class probabilities.
    """
    return _categorical(logits, target, log_softmax, "cross_entropy")


def categorical_cross_entropy(probs, target, eps=1e-15):
    """-sum_k y_k ln p_k from probabilities p (a softmax's output), clipped into [eps, 1 - eps].

    The source tutorial's form; prefer cross_entropy on logits, which never takes log of 0.
    Shapes as for cross_entropy.
    """

    def log_clipped(ps):
        return [p.max(eps).min(1.0 - eps).log() for p in _values(ps, "categorical_cross_entropy")]

    return _categorical(probs, target, log_clipped, "categorical_cross_entropy")


def _categorical(outputs, target, to_log_probs, where):
    if len(outputs) and isinstance(outputs[0], _SEQUENCES):  # a list of examples
        if not isinstance(target, _SEQUENCES) or len(target) != len(outputs):
            raise ValueError(f"{where}: {len(outputs)} examples but targets {target!r}")
        terms = [_nll(to_log_probs(z), t, where) for z, t in zip(outputs, target)]
    else:
        terms = [_nll(to_log_probs(outputs), target, where)]
    return _mean(terms, where)


def _nll(logp, target, where):
    """-sum_k y_k logp_k for one example (or one batch): the target picks or weighs the classes."""
    k = len(logp)
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        if not 0 <= target < k:
            raise ValueError(f"{where}: class {target!r} is out of range for {k} classes")
        return -logp[target]
    if isinstance(target, np.ndarray) and target.dtype.kind in "iu":  # a batch of classes
        if target.size and not (0 <= target.min() and target.max() < k):
            raise ValueError(f"{where}: classes must be in 0..{k - 1}, got {target!r}")
        weights = [(target == j) * 1.0 for j in range(k)]  # one-hot, one column per class
    elif isinstance(target, _SEQUENCES) and len(target) == k:
        weights = list(target)
    else:
        raise ValueError(
            f"{where}: target must be a class index or {k} probabilities, got {target!r}"
        )
    # A plain 0 adds nothing: leave it out, so a one-hot target gives a one-term graph.
    terms = [w * lp for w, lp in zip(weights, logp) if isinstance(w, (Value, np.ndarray)) or w]
    if not terms:
        raise ValueError(f"{where}: the target's probabilities are all 0: {target!r}")
    return -reduce(add, terms)


def l2_penalty(parameters):
    """sum p^2 over the parameters; add lambda times it to the loss (weight decay)."""
    return reduce(add, [p * p for p in parameters])


def l1_penalty(parameters):
    """sum |p| over the parameters; pushes small weights to exactly 0 (sparsity)."""
    return reduce(add, [abs(p) for p in parameters])


class MSELoss(Module):
    """mse_loss as a module."""

    def forward(self, pred, target):
        return mse_loss(pred, target)


class BCELoss(Module):
    """binary_cross_entropy as a module."""

    def forward(self, pred, target):
        return binary_cross_entropy(pred, target)


class BCEWithLogitsLoss(Module):
    """binary_cross_entropy_with_logits as a module."""

    def forward(self, pred, target):
        return binary_cross_entropy_with_logits(pred, target)


class L1Loss(Module):
    """l1_loss as a module."""

    def forward(self, pred, target):
        return l1_loss(pred, target)


class CrossEntropyLoss(Module):
    """cross_entropy as a module: takes logits, so the model's last layer stays linear."""

    def forward(self, logits, target):
        return cross_entropy(logits, target)


class HingeLoss(Module):
    """hinge_loss as a module."""

    def forward(self, pred, target):
        return hinge_loss(pred, target)
