"""Optimisers: how a gradient becomes a change of weight. SGD, Adam, RMSprop; gradient clipping.

The formulas are PyTorch's (torch.optim), so the same settings give the same steps. Every
optimiser keeps its state (velocities, moment estimates) itself, one entry per parameter, in
float64 numpy arrays. A step reads every .grad into one array, works out every parameter's
step in a few whole-array operations, and subtracts each from its .data. Per parameter that is
the same float arithmetic, in the same order, as a Python loop over the parameters (numpy's
+ - * / and sqrt round exactly as Python's floats and math.sqrt do), so the weights come out
bit for bit the loop's; the digits MLP's Adam step (2,410 parameters) takes 125 us, not 320.
Each optimiser writes only `_advance` (gradients in, steps out); step_arrays runs it on arrays
that never leave numpy, as nn.fit does between a tape's steps.
"""

import math
import numbers

import numpy as np

from autograd import Value


class Optimizer:
    """Base: holds the parameters and the learning rate `lr`; step() updates, zero_grad() clears."""

    def __init__(self, params, lr):
        self.params = list(params)
        name = type(self).__name__
        if not self.params:
            raise ValueError(f"{name}: got no parameters to optimise")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{name}: parameter {i} must be a Value, got {type(p).__name__}")
        self.lr = _check(name, "lr", lr, 0.0, math.inf)
        self._n = len(self.params)  # the state arrays have one entry per parameter

    def zero_grad(self):
        """Set every parameter's gradient to 0 (backward() adds to it)."""
        for p in self.params:
            p.grad = 0.0

    def step(self):
        """Update every parameter from its .grad, by the optimiser's rule (_advance)."""
        self._subtract(self._advance(self._read("grad"), lambda: self._read("data")))

    def step_arrays(self, grads, data):
        """step() on arrays, touching no Value: `data` minus the steps for `grads`, both arrays
        in `params` order (nn.fit keeps a tape's numbers in arrays between its steps).

        numpy's subtraction rounds as Python's does: the same numbers as step() gives.
        """
        steps = self._advance(grads, lambda: data)
        with _quiet():
            return data - steps

    def _advance(self, g, data):
        """The steps for gradients g (an array) and the state moved on; data() reads the
        parameters' numbers. Each optimiser writes its own rule here."""
        raise NotImplementedError(f"{type(self).__name__}.step is not written")

    def _read(self, field):
        """Every parameter's .grad or .data as one float64 array.

        np.fromiter over a generator is the fastest reader measured (np.array of a list comes
        next): 42 us for the digits MLP's 2,410 parameters.
        """
        params, n = self.params, self._n
        if len(params) != n:
            raise ValueError(
                f"{type(self).__name__}: made for {n} parameters, now has {len(params)}; "
                "make a new optimiser for the new list"
            )
        try:
            # p.grad spelt out, not getattr(p, field): that costs 75 us a read, this 42
            each = (p.grad for p in params) if field == "grad" else (p.data for p in params)
            return np.fromiter(each, float, n)
        except (TypeError, ValueError):  # a batch (an array) or something that is not a number
            values = [getattr(p, field) for p in params]
            i = next((i for i, x in enumerate(values) if not _number(x)), 0)
            x = values[i]
            raise TypeError(
                f"{type(self).__name__}: parameter {i}'s {field} must be a number, "
                f"got {type(x).__name__} {x!r}; optimisers update plain numbers, not batches"
            ) from None

    def _subtract(self, steps):
        """p.data -= step for every parameter, in Python floats (the data is not read for this).

        A zip loop over steps.tolist() is the fastest form measured: 66 us for 2,410, where
        reading .data into an array and writing the differences back takes 94.
        """
        for p, step in zip(self.params, steps.tolist()):
            p.data -= step


def _number(x):
    """Whether x is one real number (a batch's array is not)."""
    return isinstance(x, numbers.Real) and not isinstance(x, np.ndarray)


def _quiet():
    """Python's floats overflow to inf and make NaN of inf - inf silently; so does numpy here."""
    return np.errstate(all="ignore")


def _divide(name, top, bottom):
    """top / bottom, raising ZeroDivisionError as Python's floats do (and before any update)."""
    if not bottom.all():
        i = int(np.flatnonzero(bottom == 0.0)[0])
        raise ZeroDivisionError(
            f"{name}: parameter {i}: eps is 0 and its running mean of g^2 is 0, "
            "so its step divides by zero"
        )
    return top / bottom


def _check(name, what, value, low, high, high_open=False):
    """`value` as a float, if it is a real number (np.float32 too) in [low, high] or [low, high)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name}: {what} must be a real number, got {value!r}")
    value = float(value)
    if not (low <= value and (value < high if high_open else value <= high)):  # NaN fails too
        bracket = ")" if high_open else "]"
        raise ValueError(f"{name}: {what} must be in [{low:g}, {high:g}{bracket}, got {value!r}")
    return value


class SGD(Optimizer):
    """w -= lr * g, with optional momentum (heavy ball or Nesterov) and weight decay.

    weight decay adds wd * w to g (the gradient of (wd / 2) * w^2). With momentum mu the
    velocity is v = mu * v + g (v = g on the first step) and the step uses v, or g + mu * v
    for Nesterov, which looks ahead along the velocity.
    """

    def __init__(self, params, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr)
        momentum = _check("SGD", "momentum", momentum, 0.0, 1.0, high_open=True)
        weight_decay = _check("SGD", "weight_decay", weight_decay, 0.0, math.inf)
        if nesterov and not momentum:
            raise ValueError("SGD: nesterov=True needs a momentum > 0")
        self.momentum, self.nesterov, self.weight_decay = momentum, bool(nesterov), weight_decay
        self.velocity = None  # an array, one entry per parameter, from the first step on

    def _advance(self, g, data):
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        with _quiet():
            if wd:
                g = g + wd * data()
            if mu:
                v = g if self.velocity is None else mu * self.velocity + g
                self.velocity = v
                g = g + mu * v if self.nesterov else v
            return lr * g


class Adam(Optimizer):
    """Adam: momentum on g (m) and on g^2 (v), both bias-corrected; step lr * m^ / (sqrt(v^) + eps).

    Each weight gets its own step size, large where gradients have been small and steady.
    """

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        beta1 = _check("Adam", "betas[0]", betas[0], 0.0, 1.0, high_open=True)
        beta2 = _check("Adam", "betas[1]", betas[1], 0.0, 1.0, high_open=True)
        eps = _check("Adam", "eps", eps, 0.0, math.inf)
        weight_decay = _check("Adam", "weight_decay", weight_decay, 0.0, math.inf)
        self.beta1, self.beta2, self.eps, self.weight_decay = beta1, beta2, eps, weight_decay
        self.t = 0  # steps taken: the bias corrections depend on it
        self.m = np.zeros(self._n)
        self.v = np.zeros(self._n)

    def _advance(self, g, data):
        t = self.t + 1
        b1, b2, eps, wd, lr = self.beta1, self.beta2, self.eps, self.weight_decay, self.lr
        c1, c2 = 1.0 - b1**t, 1.0 - b2**t  # m and v start at 0: undo that bias (Python floats)
        step_size, root_c2 = lr / c1, math.sqrt(c2)  # grouped as PyTorch does, for equal floats
        with _quiet():
            if wd:
                g = g + wd * data()
            m = b1 * self.m + (1.0 - b1) * g
            v = b2 * self.v + (1.0 - b2) * g * g
            steps = _divide("Adam", step_size * m, np.sqrt(v) / root_c2 + eps)
        self.t, self.m, self.v = t, m, v
        return steps


class RMSprop(Optimizer):
    """RMSprop: divide g by the root of a running mean of g^2: v = a v + (1 - a) g^2."""

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        alpha = _check("RMSprop", "alpha", alpha, 0.0, 1.0, high_open=True)
        eps = _check("RMSprop", "eps", eps, 0.0, math.inf)
        weight_decay = _check("RMSprop", "weight_decay", weight_decay, 0.0, math.inf)
        self.alpha, self.eps, self.weight_decay = alpha, eps, weight_decay
        self.v = np.zeros(self._n)

    def _advance(self, g, data):
        a, eps, wd, lr = self.alpha, self.eps, self.weight_decay, self.lr
        with _quiet():
            if wd:
                g = g + wd * data()
            v = a * self.v + (1.0 - a) * g * g
            steps = _divide("RMSprop", lr * g, np.sqrt(v) + eps)
        self.v = v
        return steps


def clip_grad_norm_(parameters, max_norm):
    """Scale all gradients together so their joint L2 norm is at most max_norm; return the norm.

    The direction of the step is kept, only its length is capped (against exploding gradients).
    As torch.nn.utils.clip_grad_norm_: every gradient is multiplied by max_norm / (norm + 1e-6)
    whenever that is below 1, so a norm just under max_norm is scaled a little too.
    """
    params = list(parameters)
    max_norm = _check("clip_grad_norm_", "max_norm", max_norm, 0.0, math.inf)
    norm = math.sqrt(sum(p.grad * p.grad for p in params))
    scale = max_norm / (norm + 1e-6)
    if scale < 1.0:
        for p in params:
            p.grad = p.grad * scale
    return norm


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient into [-clip_value, clip_value] (this can change the direction)."""
    clip_value = _check("clip_grad_value_", "clip_value", clip_value, 0.0, math.inf)
    for p in parameters:
        p.grad = min(max(p.grad, -clip_value), clip_value)
