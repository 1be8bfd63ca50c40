"""Normalisation layers: BatchNorm1d and LayerNorm, as in PyTorch, built from Values.

Both subtract a mean, divide by sqrt(variance + eps), then scale by gamma and shift by beta.
BatchNorm1d takes the mean and variance of each feature over the batch, so every example's
output (and gradient) depends on every other example's; LayerNorm takes them over one
example's features. The statistics are graph nodes, so backward() sends each example's
gradient through them as well (the fan-out rule): no derivative is written here.
"""

import math
import numbers
from functools import reduce
from operator import add

import numpy as np

from autograd import Value, scope

from .module import Module


def _size(where, n):
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{where} must be a whole number >= 1, got {n!r}")
    return n


def _eps(where, eps):
    if not isinstance(eps, numbers.Real) or isinstance(eps, bool) or not 0 < eps < math.inf:
        raise ValueError(f"{where}: eps must be a number > 0, got {eps!r}")
    return float(eps)


def _flag(where, name, value):
    if not isinstance(value, bool):
        raise TypeError(f"{where}: {name} must be True or False, got {value!r}")
    return value


def _scale_and_shift(n, affine):
    """gamma (ones) and beta (zeros), one of each per feature, labelled gamma1, beta1, ..."""
    if not affine:
        return [], []
    gamma = [Value(1.0, f"gamma{j + 1}") for j in range(n)]
    beta = [Value(0.0, f"beta{j + 1}") for j in range(n)]
    return gamma, beta


def _is_batch(v):
    return isinstance(v, Value) and isinstance(v.data, np.ndarray)


def _as_value(x, where):
    """A Value holding one number: a number becomes a leaf, a batch is refused."""
    if isinstance(x, Value):
        if isinstance(x.data, np.ndarray):
            raise TypeError(f"{where}: expected numbers or Values of one number, got {x!r}")
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return Value(x)
    raise TypeError(f"{where}: expected numbers or Values, got {type(x).__name__} {x!r}")


def _normalise(xs, mean, eps, gamma, beta):
    """(x - mean) / sqrt(variance + eps) for each x of `xs`, then gamma_i * . + beta_i.

    `mean(values)` averages a list of values (or reduces one batch Value): the statistics are
    built from ops, inside the scopes "mean" and "variance", so pictures fold each to a box.
    Returns the outputs, the mean and the (biased) variance.
    """
    with scope("mean"):
        mu = mean(xs)
    centred = [x - mu for x in xs]
    with scope("variance"):
        var = mean([d**2 for d in centred])
    inv = (var + Value(eps, "eps")) ** -0.5  # 1 / sqrt(variance + eps): there is no sqrt op
    out = [d * inv for d in centred]
    if gamma:
        out = [g * y + b for g, y, b in zip(gamma, out, beta)]
    return out, mu, var


def _average(xs):
    """The mean of a list of values, as ops: (x1 + x2 + ... + xn) / n."""
    return reduce(add, xs) / Value(float(len(xs)), "n")  # a named leaf, so pictures say "n"


def _batch_mean(xs):
    """The mean over the examples of the one batch Value in `xs` (the engine's reduction)."""
    (x,) = xs
    return x.mean()


class BatchNorm1d(Module):
    """Normalise each feature over the batch, then scale by gamma and shift by beta (torch's).

    In training the batch's mean and biased variance normalise, and the running statistics
    move towards the batch's: running = (1 - momentum) * running + momentum * batch, with the
    unbiased variance (n / (n - 1) times the biased), as torch. momentum=None keeps their
    plain average over all batches so far. In eval mode the running statistics normalise
    (with track_running_stats=False, the batch's always). They are plain floats, not
    parameters: running_mean, running_var, num_batches_tracked, the module's buffers, which
    state_dict(), save() and load() keep with gamma and beta, as torch does.

    Input, as torch's (N, C): a list of N examples, each a list of C numbers or Values
    (returns that shape); or a list of C Values each holding an array over the examples,
    what nn.fit(batched=True) feeds (returns C such Values). With C == 1 a single batch
    Value (what Linear(n, 1) gives in batched mode) is taken too, and one Value returned.
    """

    buffers = ("running_mean", "running_var", "num_batches_tracked")

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
        where = "BatchNorm1d"
        self.num_features = _size(f"{where}: num_features", num_features)
        self.eps = _eps(where, eps)
        if momentum is not None and (
            not isinstance(momentum, numbers.Real)
            or isinstance(momentum, bool)
            or not 0.0 <= momentum <= 1.0
        ):
            raise ValueError(f"{where}: momentum must be in [0, 1] or None, got {momentum!r}")
        self.momentum = None if momentum is None else float(momentum)
        self.affine = _flag(where, "affine", affine)
        self.track_running_stats = _flag(where, "track_running_stats", track_running_stats)
        self.gamma, self.beta = _scale_and_shift(num_features, affine)  # torch's weight, bias
        if track_running_stats:
            self.running_mean = [0.0] * num_features
            self.running_var = [1.0] * num_features
            self.num_batches_tracked = 0
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None
        self.tag_parameters()

    def forward(self, x):
        """The batch normalised per feature: batch statistics in training, running in eval."""
        columns, n, shape = self._columns(x)
        batch_stats = self.training or not self.track_running_stats
        if batch_stats and n == 1:
            raise ValueError(
                "BatchNorm1d: a batch of 1 example has no variance to normalise by "
                "(torch refuses it too): pass 2 or more examples, or call eval() first"
            )
        mean = _average if shape == "examples" else _batch_mean
        out = []
        for j, column in enumerate(columns):
            gamma = self.gamma[j : j + 1] * len(column)  # feature j's, for each of its values
            beta = self.beta[j : j + 1] * len(column)
            if batch_stats:
                ys, mu, var = _normalise(column, mean, self.eps, gamma, beta)
                if self.training and self.track_running_stats:
                    self._track(j, mu.data, var.data, n)
            else:  # the running statistics are constants: the examples no longer interact
                mu = Value(self.running_mean[j], f"running_mean{j + 1}")
                var = Value(self.running_var[j], f"running_var{j + 1}")
                inv = (var + Value(self.eps, "eps")) ** -0.5
                ys = [(c - mu) * inv for c in column]
                if gamma:
                    ys = [g * y + b for g, y, b in zip(gamma, ys, beta)]
            out.append(ys)
        if self.training and self.track_running_stats:
            self.num_batches_tracked += 1
        if shape == "examples":
            return [list(example) for example in zip(*out)]  # back to N lists of C
        outputs = [ys[0] for ys in out]
        return outputs[0] if shape == "one" else outputs

    def _track(self, j, mu, var, n):
        """Move feature j's running mean and (unbiased) variance towards this batch's."""
        done = self.num_batches_tracked + 1
        m = 1.0 / done if self.momentum is None else self.momentum
        self.running_mean[j] = (1.0 - m) * self.running_mean[j] + m * float(mu)
        self.running_var[j] = (1.0 - m) * self.running_var[j] + m * float(var) * n / (n - 1)

    def _columns(self, x):
        """Per feature, the values to normalise together; the batch size; the input's shape:
        "examples" (N lists of C), "features" (C batch Values) or "one" (a batch Value)."""
        where, c = "BatchNorm1d", self.num_features
        if _is_batch(x):
            if c != 1:
                raise ValueError(
                    f"{where}: got one batch Value, expected a list of {c} (one per feature)"
                )
            return [[x]], x.data.size, "one"
        if not isinstance(x, (list, tuple)) or not x:
            raise TypeError(
                f"{where}: expected a list of examples (each a list of {c} features) or a "
                f"list of {c} batch Values, got {type(x).__name__} {x!r}"[:300]
            )
        if any(_is_batch(v) for v in x):  # batched: one Value per feature
            if len(x) != c:
                raise ValueError(f"{where}: expected {c} features, got {len(x)}")
            sizes = [v.data.size if _is_batch(v) else None for v in x]
            if None in sizes or len(set(sizes)) > 1:
                raise ValueError(
                    f"{where}: in batched mode every feature must be a Value holding an "
                    f"array of the same length, got {', '.join(map(str, sizes))}"
                )
            return [[v] for v in x], sizes[0], "features"
        if not all(isinstance(e, (list, tuple)) for e in x):
            raise ValueError(
                f"{where}: expected a batch (a list of examples, each a list of {c} features), "
                f"got a flat list of {len(x)} numbers: one example? Put it in a list"
            )
        for i, example in enumerate(x):
            if len(example) != c:
                raise ValueError(f"{where}: example {i} has {len(example)} features, expected {c}")
        rows = [[_as_value(v, where) for v in example] for example in x]
        return [list(column) for column in zip(*rows)], len(rows), "examples"

    def __repr__(self):
        return (
            f"BatchNorm1d({self.num_features}, eps={self.eps:g}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats})"
        )


class LayerNorm(Module):
    """Normalise one example's features (torch's LayerNorm over the last dimension).

    normalized_shape: the number of features. Input: one example, a list of that many
    numbers or Values (each may hold a batch: every example is normalised on its own), or a
    sequence, a list of positions each such a list, normalised position by position.
    The variance is the biased one; gamma (ones) and beta (zeros) per feature, as torch.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True):
        where = "LayerNorm"
        self.normalized_shape = _size(f"{where}: normalized_shape", normalized_shape)
        self.eps = _eps(where, eps)
        self.elementwise_affine = _flag(where, "elementwise_affine", elementwise_affine)
        self.gamma, self.beta = _scale_and_shift(normalized_shape, elementwise_affine)
        self.tag_parameters()

    def forward(self, x):
        """x normalised over its features; a sequence position by position."""
        where, c = "LayerNorm", self.normalized_shape
        if not isinstance(x, (list, tuple)) or not x:
            raise TypeError(
                f"{where}: expected a list of {c} features or a sequence of such lists, "
                f"got {type(x).__name__} {x!r}"[:300]
            )
        sequence = isinstance(x[0], (list, tuple))
        positions = x if sequence else [x]
        for t, features in enumerate(positions):
            if not isinstance(features, (list, tuple)) or len(features) != c:
                got = len(features) if isinstance(features, (list, tuple)) else repr(features)
                at = f" at position {t}" if sequence else ""
                raise ValueError(f"{where}: expected {c} features{at}, got {got}")
            for v in features:
                if not isinstance(v, Value) and (
                    not isinstance(v, numbers.Real) or isinstance(v, bool)
                ):
                    raise TypeError(f"{where}: expected numbers or Values, got {v!r}")
        out = [self._one(features) for features in positions]
        return out if sequence else out[0]

    def _one(self, features):
        xs = [v if isinstance(v, Value) else Value(v) for v in features]
        return _normalise(xs, _average, self.eps, self.gamma, self.beta)[0]

    def __repr__(self):
        return (
            f"LayerNorm({self.normalized_shape}, eps={self.eps:g}, "
            f"elementwise_affine={self.elementwise_affine})"
        )
