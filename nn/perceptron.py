"""Rosenblatt's perceptron: a step of a weighted sum, trained by its error, not by gradients.

The learning rule w += lr * (y - y_hat) * x only moves when a prediction is wrong. It finds a
separating line whenever one exists (AND, OR, NOT) and never settles when none does (XOR).
"""

from autograd import Value, no_grad

from .layers import _check_size
from .module import Module


class PerceptronReport:
    """What fit() found: whether an epoch passed with no mistake, and mistakes per epoch.

    `repeats_from` is the epoch whose starting weights came back (None if none did): the
    rule is deterministic, so from there it cycles forever and can never converge.
    """

    def __init__(self, converged, errors, repeats_from=None):
        self.converged = converged
        self.errors = errors  # mistakes in each epoch
        self.repeats_from = repeats_from

    @property
    def epochs(self):
        """How many epochs fit() ran."""
        return len(self.errors)

    def __bool__(self):
        return self.converged

    def __str__(self):
        if self.converged:
            return f"converged after {self.epochs} epochs: every example classified correctly"
        if self.repeats_from is not None:
            return (
                f"cannot converge: epoch {self.epochs} ended with the weights that began epoch "
                f"{self.repeats_from}, so its {self.errors[-1]} mistakes come back forever "
                "(no straight line separates the classes)"
            )
        return (
            f"did not converge in {self.epochs} epochs: the last still misclassified "
            f"{self.errors[-1]} examples (no straight line separates the classes?)"
        )

    def __repr__(self):
        return f"PerceptronReport(converged={self.converged}, epochs={self.epochs})"


class Perceptron(Module):
    """y = step(w . x + b), 1 where w . x + b >= 0 else 0; weights start at 0."""

    def __init__(self, nin, lr=1.0):
        _check_size("Perceptron: nin", nin)
        self.w = [Value(0.0, f"w{i}") for i in range(nin)]
        self.b = Value(0.0, "b")
        if not isinstance(lr, (int, float)) or isinstance(lr, bool) or not lr > 0:
            raise ValueError(f"Perceptron: lr must be a number > 0, got {lr!r}")
        self.lr = lr

    def forward(self, x):
        """step(w . x + b) for one example (a list of numbers) or a batch (a Value per input)."""
        if len(x) != len(self.w):
            raise ValueError(f"Perceptron: expected {len(self.w)} inputs, got {len(x)}")
        out = self.b
        for wi, xi in zip(self.w, x):
            out = out + wi * xi
        return out.step()

    def update(self, x, target):
        """The perceptron rule on one example; returns the error target - prediction (0: right)."""
        with no_grad():
            error = float(target) - self(x).data
        if error:
            for wi, xi in zip(self.w, x):
                wi.data += self.lr * error * float(xi)
            self.b.data += self.lr * error
        return error

    def fit(self, X, y, max_epochs=100):
        """Sweep the examples until an epoch makes no mistake, the weights cycle, or max_epochs."""
        _check_size("Perceptron.fit: max_epochs", max_epochs)
        if len(X) != len(y):
            raise ValueError(f"Perceptron.fit: {len(X)} inputs but {len(y)} targets")
        errors, seen = [], {}
        for epoch in range(1, max_epochs + 1):
            seen[tuple(p.data for p in self.parameters())] = epoch
            errors.append(sum(1 for x, t in zip(X, y) if self.update(x, t)))
            if errors[-1] == 0:
                return PerceptronReport(True, errors)
            start = seen.get(tuple(p.data for p in self.parameters()))
            if start is not None:
                return PerceptronReport(False, errors, repeats_from=start)
        return PerceptronReport(False, errors)

    def __repr__(self):
        return f"Perceptron({len(self.w)})"
