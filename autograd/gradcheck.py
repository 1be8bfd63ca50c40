"""Checking backprop against arithmetic: central finite differences.

numerical_grad estimates each partial derivative as (f(x + h) - f(x - h)) / 2h;
gradcheck compares that with what backward() gives and reports every input.
"""

from .backprop import backward
from .value import Value, _as_data, _fmt, no_grad


class GradcheckError(AssertionError):
    """Backprop and finite differences disagree; the message is a table of the mismatches."""


class GradcheckResult:
    """One row per input: the analytic and numerical gradient and whether they agree."""

    def __init__(self, rows):
        self.rows = rows  # list of (index, analytic, numeric, ok)

    @property
    def ok(self):
        return all(row[3] for row in self.rows)

    def __bool__(self):
        return self.ok

    def table(self):
        """The rows as aligned text."""
        head = (
            f"{'input':>5}  {'backprop':>14}  {'numerical':>14}  {'abs diff':>10}  {'rel diff':>10}"
        )
        lines = [head + "  ok"]
        for i, a, n, ok in self.rows:
            rel = abs(a - n) / max(abs(a), abs(n)) if a != n else 0.0
            lines.append(
                f"{i:>5}  {a:>14.8g}  {n:>14.8g}  {abs(a - n):>10.2e}  {rel:>10.2e}"
                f"  {'yes' if ok else 'NO'}"
            )
        return "\n".join(lines)

    def __repr__(self):
        return f"GradcheckResult(ok={self.ok})\n{self.table()}"


def _evaluate(f, xs):
    with no_grad():
        out = f(*[Value(x) for x in xs])
    if type(out) is not Value:
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    return out.data


def numerical_grad(f, inputs, h=1e-6):
    """Central-difference estimate of d f(*inputs) / d input for each input (numbers or Values)."""
    xs = [x.data if type(x) is Value else _as_data(x, "numerical_grad") for x in inputs]
    grads = []
    for i, x in enumerate(xs):
        step = h * max(1.0, abs(x))
        up = xs[:i] + [x + step] + xs[i + 1 :]
        down = xs[:i] + [x - step] + xs[i + 1 :]
        grads.append((_evaluate(f, up) - _evaluate(f, down)) / (2 * step))
    return grads


def gradcheck(f, inputs, h=1e-6, atol=None, rtol=1e-4, relative=False, raise_on_error=False):
    """Compare backprop's gradients of f at `inputs` with finite differences, input by input.

    By default (absolute) an input passes when |backprop - numerical| <= atol + rtol·|numerical|
    with atol = 1e-5: right for gradients of size 1 or so, blind to a 10x error in a gradient
    of 1e-6. `relative=True` scales by the larger of the two instead, with atol = 0 unless
    given: |backprop - numerical| <= atol + rtol·max(|backprop|, |numerical|), so an error
    is caught at any size (finite differences carry noise near 1e-10·|f| / |gradient|: a
    tiny gradient of a large f may need a larger rtol).
    """
    if atol is None:
        atol = 0.0 if relative else 1e-5
    xs = [Value(x.data if type(x) is Value else _as_data(x, "gradcheck")) for x in inputs]
    out = f(*xs)
    if type(out) is not Value:
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    backward(out)
    numeric = numerical_grad(f, xs, h)
    rows = []
    for i, (x, n) in enumerate(zip(xs, numeric)):
        scale = max(abs(x.grad), abs(n)) if relative else abs(n)
        rows.append((i, x.grad, n, abs(x.grad - n) <= atol + rtol * scale))
    result = GradcheckResult(rows)
    if raise_on_error and not result.ok:
        at = ", ".join(_fmt(x.data) for x in xs)
        raise GradcheckError(f"gradcheck failed at ({at}):\n{result.table()}")
    return result
