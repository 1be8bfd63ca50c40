"""Learning-rate schedules: the step size as a function of the epoch, PyTorch's formulas.

Call `scheduler.step()` once per epoch, after the optimiser's steps; it sets `optimizer.lr`.
`lr_at(t)` gives the rate for epoch t directly, from the closed-form formula.
"""

import math
import numbers


class LRScheduler:
    """Base: remembers the optimiser's starting lr and sets optimizer.lr = lr_at(epoch)."""

    def __init__(self, optimizer):
        if not hasattr(optimizer, "lr"):
            raise TypeError(
                f"{type(self).__name__}: expected an optimiser with .lr, got {optimizer!r}"
            )
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        optimizer.lr = self.lr_at(0)

    def lr_at(self, t):
        """The learning rate for epoch t (each schedule writes its formula)."""
        raise NotImplementedError(f"{type(self).__name__}.lr_at is not written")

    def step(self):
        """Move to the next epoch and set the optimiser's learning rate for it."""
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def get_last_lr(self):
        """The learning rate now in use."""
        return self.optimizer.lr


def _positive(name, what, value):
    """`value` as a float if it is a real number (np.float32 too) above 0."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name}: {what} must be a real number, got {value!r}")
    if not value > 0:  # NaN fails too
        raise ValueError(f"{name}: {what} must be > 0, got {value!r}")
    return float(value)


class StepLR(LRScheduler):
    """Step decay: lr0 * gamma ** floor(t / step_size) (drop by gamma every step_size epochs)."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        _positive("StepLR", "step_size", step_size)
        self.step_size, self.gamma = int(step_size), _positive("StepLR", "gamma", gamma)
        super().__init__(optimizer)

    def lr_at(self, t):
        """lr0 * gamma ** (t // step_size)."""
        return self.base_lr * self.gamma ** (t // self.step_size)


class ExponentialLR(LRScheduler):
    """Exponential decay: lr0 * gamma ** t."""

    def __init__(self, optimizer, gamma):
        self.gamma = _positive("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer)

    def lr_at(self, t):
        """lr0 * gamma ** t."""
        return self.base_lr * self.gamma**t


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing: eta_min + (lr0 - eta_min) * (1 + cos(pi t / T_max)) / 2."""

    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = _positive("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = eta_min
        super().__init__(optimizer)

    def lr_at(self, t):
        """From lr0 at t = 0 down to eta_min at t = T_max along half a cosine."""
        cos = math.cos(math.pi * t / self.T_max)
        return self.eta_min + (self.base_lr - self.eta_min) * (1.0 + cos) / 2.0


class LinearLR(LRScheduler):
    """lr0 times a factor going linearly from start_factor to end_factor over total_iters epochs.

    micrograd's demo schedule lr = 1.0 - 0.9 * k / 100 is LinearLR(SGD(..., lr=1.0), 1.0, 0.1, 100).
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
        self.start = _positive("LinearLR", "start_factor", start_factor)
        self.total = _positive("LinearLR", "total_iters", total_iters)
        self.end = end_factor
        super().__init__(optimizer)

    def lr_at(self, t):
        """lr0 * (start + (end - start) * min(t, total_iters) / total_iters)."""
        return self.base_lr * (
            self.start + (self.end - self.start) * min(t, self.total) / self.total
        )
