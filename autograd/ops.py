"""The op table: every derivative in chainrule is on this page.

Each row names an op, the symbol graphs draw, its forward rule and its local derivatives
d(out)/d(input), one per input, as plain numbers. The backprop module multiplies them by
the upstream gradient (the chain rule) and nothing else in the project knows any calculus.

Binary rows take (a, b) (the arithmetic ones are Python's own `operator` functions) and
give local derivatives from (a, b, y), where y is the output. Unary rows take (a, p), where
p is the op's constant parameter (an exponent, a slope) or None, and give their derivative
from (a, p, y). Rows are written once, against a small math namespace `M`, and built twice:
`OPS` over plain floats and `ARRAY_OPS` over numpy arrays that hold one number per example
(a batch). `(a > 0.0) * 1.0` is an indicator (1.0 or 0.0) for both.

The rule column (`op.rule`) says the same derivatives in symbols, for the narration
(`∂(q * z)/∂z = q = 3`): one template per input, with {a} and {b} for the inputs' names,
{y} for the output's, {p} for the parameter ({p1} for p - 1) and {n} for the number of
examples a reduction sees. They read as maths (· times, ² squared, Φ and φ the standard normal's distribution and
density) and are never evaluated here; a test checks each against the numbers on its left.

Conventions at kinks (the derivative a subgradient picks where the function has a corner):
relu'(0) = 0, leaky_relu'(0) = alpha, abs'(0) = 0, step'(x) = 0 everywhere (including 0),
max and min send the whole gradient to the first input on a tie.

NaN and the edges of floating point, the same in both builds of every row:
- A domain error raises, naming the op and the value (for a batch, the first bad example):
  ZeroDivisionError for a division by zero (x / 0, 0 ** -1), ValueError for an input where
  the function has no real value (log of a number <= 0, a negative base to a fractional
  power, powv with a base <= 0). Forward rules raise; local derivatives never do.
- Overflow is not an error: results and local derivatives follow IEEE 754 (exp(800) = inf,
  (1e200) ** 3 = inf and its slope inf, the slope of x ** 0.5 at 0 is inf).
- NaN in gives NaN out, never an error (detect_anomaly catches it). max and min propagate a
  NaN from either side, as numpy's maximum does, and send the gradient to the NaN.
- Derivatives are written to keep their digits at large |x|: elu' = alpha·exp(x), not
  y + alpha; tanh' = 1 - tanh² and σ' = σ(1 - σ) computed from e^-|x| (1 - y cancels when
  y rounds to 1); Φ through erfc (1 + erf cancels for x << 0).
"""

import math
import operator

import numpy as np

SQRT2 = math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class Op:
    """One row of the table: how to compute an op and its local derivatives."""

    __slots__ = (
        "name", "symbol", "forward", "local", "rule", "arity", "domain", "param", "array"
    )  # fmt: skip

    def __init__(self, name, symbol, arity, forward, local, rule=(), domain="", param=None):
        self.name, self.symbol, self.arity = name, symbol, arity
        self.forward, self.local, self.domain, self.param = forward, local, domain, param
        self.rule = rule  # the local derivatives as text, one per input (module docstring)
        self.array = None  # the same row built over numpy arrays (see ARRAY_OPS)

    def bind(self, param):
        """This op with its constant parameter fixed (x**2, leaky_relu with alpha=0.1)."""
        op = Op(
            self.name, self.symbol, self.arity, self.forward, self.local, self.rule, self.domain,
            param,
        )  # fmt: skip
        if self.array is not None:
            op.array = self.array.bind(param)
        return op

    @property
    def label(self):
        """The text a graph shows for this op, parameter included: `**2`, `leaky_relu(0.1)`."""
        if self.param is None:
            return self.symbol
        p = f"{self.param:g}"
        if float(p) != self.param:  # 6 digits would round it: x**1.0000001 is not x**1
            p = repr(self.param)
        return f"**{p}" if self.name == "pow" else f"{self.symbol}({p})"

    def __repr__(self):
        return f"Op({self.label!r})"


def table(M):
    """Build the rows over the math namespace M (floats or arrays: the calculus is the same)."""
    exp, log, tanh, normal_cdf, where, sigmoid, power = (
        M.exp, M.log, M.tanh, M.normal_cdf, M.where, M.sigmoid, M.power
    )  # fmt: skip

    def sigmoid_slope(z):  # σ'(z) = σ(z)·σ(-z) = e/(1 + e)² with e = exp(-|z|): no 1 - σ
        e = exp(-abs(z))
        return e / ((1.0 + e) * (1.0 + e))

    def swish_local(a, beta, y):
        return (sigmoid(beta * a) + beta * a * sigmoid_slope(beta * a),)

    def tanh_local(a, p, y):  # 1 - tanh² = 4e/(1 + e)² with e = exp(-2|a|): no 1 - y²
        e = exp(-2.0 * abs(a))
        return (4.0 * e / ((1.0 + e) * (1.0 + e)),)

    def takes_a(a, b, wins):  # max, min: a where it wins or ties, or is NaN (NaN propagates)
        return wins(a, b) | (a != a)

    def to_taken(first):  # max, min: the whole gradient to the input taken
        return (first * 1.0, 1.0 - first)

    def pow_local(a, p, y):  # x ** 0 is the constant 1: slope 0 even where 0 * x ** -1 is nan
        return (0.0 if p == 0.0 else p * power(a, p - 1.0),)

    def powv_local(a, b, y):
        return (where(b == 0.0, 0.0, b * power(a, b - 1.0)), y * log(a))

    def normal_pdf(a):  # φ(a) = exp(-a²/2)/√(2π), the slope of Φ (the standard normal's density)
        return exp(-0.5 * a * a) * INV_SQRT_2PI

    ge, le = operator.ge, operator.le
    # fmt: off
    rows = [
        # name         symbol     n  forward                                   local derivatives d(out)/d(input)                      the same as text (op.rule)                            domain
        Op("add",        "+",       2, operator.add,                             lambda a, b, y: (1.0, 1.0),                          ("1", "1")),
        Op("sub",        "-",       2, operator.sub,                             lambda a, b, y: (1.0, -1.0),                         ("1", "-1")),
        Op("mul",        "*",       2, operator.mul,                             lambda a, b, y: (b, a),                              ("{b}", "{a}")),
        Op("div",        "/",       2, M.div,                                    lambda a, b, y: (1.0 / b, -y / b),                   ("1/{b}", "-{a}/{b}²"),                                "divisor must not be 0"),
        Op("powv",       "**",      2, M.powv,                                   powv_local,                                          ("{b}·{a}**({b} - 1)", "{a}**{b}·log({a})"),           "base must be > 0 when the exponent is a Value"),
        Op("max",        "max",     2, lambda a, b: where(takes_a(a, b, ge), a, b), lambda a, b, y: to_taken(takes_a(a, b, ge)), ("1 if {a} >= {b} else 0", "1 if {a} < {b} else 0")),
        Op("min",        "min",     2, lambda a, b: where(takes_a(a, b, le), a, b), lambda a, b, y: to_taken(takes_a(a, b, le)), ("1 if {a} <= {b} else 0", "1 if {a} > {b} else 0")),
        Op("neg",        "neg",     1, lambda a, p: -a,                          lambda a, p, y: (-1.0,),                             ("-1",)),
        Op("pow",        "**",      1, M.pow,                                    pow_local,                                           ("{p}·{a}**{p1}",)   ),
        Op("exp",        "exp",     1, lambda a, p: exp(a),                      lambda a, p, y: (y,),                                ("exp({a})",)),
        Op("log",        "log",     1, lambda a, p: log(a),                      lambda a, p, y: (1.0 / a,),                          ("1/{a}",),                                            "input must be > 0"),
        Op("tanh",       "tanh",    1, lambda a, p: tanh(a),                     tanh_local,                                          ("1 - tanh({a})²",)),
        Op("sigmoid",    "σ",       1, lambda a, p: sigmoid(a),                  lambda a, p, y: (sigmoid_slope(a),),                 ("σ({a})·(1 - σ({a}))",)),
        Op("relu",       "ReLU",    1, lambda a, p: M.maximum(a, 0.0),           lambda a, p, y: ((a > 0.0) * 1.0,),                  ("1 if {a} > 0 else 0",)),
        Op("leaky_relu", "LReLU",   1, lambda a, p: where(a > 0.0, a, p * a),    lambda a, p, y: (where(a > 0.0, 1.0, p),),           ("1 if {a} > 0 else {p}",)),
        Op("elu",        "ELU",     1, lambda a, p: where(a > 0.0, a, p * M.expm1(a)), lambda a, p, y: (where(a > 0.0, 1.0, p * exp(a)),), ("1 if {a} > 0 else {p}·exp({a})",)),
        # Φ is a row of its own so that gelu's local derivative is made of rows: built over Values
        # (higher.py), it is a graph, and gelu has a second derivative.
        Op("normal_cdf", "Φ",       1, lambda a, p: normal_cdf(a),               lambda a, p, y: (normal_pdf(a),),                    ("φ({a})",)),
        Op("gelu",       "GELU",    1, lambda a, p: a * normal_cdf(a),           lambda a, p, y: (normal_cdf(a) + a * normal_pdf(a),), ("Φ({a}) + {a}·φ({a})",)),
        Op("swish",      "swish",   1, lambda a, p: a * sigmoid(p * a),          swish_local,                                         ("σ({p}·{a}) + {p}·{y}·(1 - σ({p}·{a}))",)),
        Op("softplus",   "softplus", 1, lambda a, p: M.softplus(a),              lambda a, p, y: (sigmoid(a),),                       ("σ({a})",)),
        Op("abs",        "abs",     1, lambda a, p: abs(a),                      lambda a, p, y: (where(a > 0.0, 1.0, where(a < 0.0, -1.0, 0.0)),), ("sign({a})",)),
        Op("step",       "step",    1, lambda a, p: (a >= 0.0) * 1.0,            lambda a, p, y: (0.0,),                              ("0",)),
        # Batch reductions: a batch of per-example numbers to one number (on a float: itself).
        Op("sum",        "Σ",       1, lambda a, p: M.total(a),                  lambda a, p, y: (M.ones_like(a),),                   ("1",)),
        Op("mean",       "mean",    1, lambda a, p: M.total(a) / M.count(a),     lambda a, p, y: (M.ones_like(a) / M.count(a),),      ("1/{n}",)),
    ]
    # fmt: on
    return {row.name: row for row in rows}


class _ScalarMath:
    """The math namespace for plain floats: IEEE results where Python would raise on overflow."""

    tanh, log = staticmethod(math.tanh), staticmethod(math.log)
    div = staticmethod(operator.truediv)  # 1.0 / 0.0 raises ZeroDivisionError: a domain error
    maximum = staticmethod(max)  # max(nan, 0.0) is nan, as numpy's maximum

    @staticmethod
    def total(a):
        return a

    @staticmethod
    def ones_like(a):
        return 1.0

    @staticmethod
    def count(a):
        return 1

    @staticmethod
    def where(cond, yes, no):
        return yes if cond else no

    @staticmethod
    def normal_cdf(a):
        # Φ(a) = erfc(-a/√2)/2: keeps its digits far below 0, where 1 + erf(a/√2) is 0.
        return 0.5 * math.erfc(-a / SQRT2)

    @staticmethod
    def exp(a):
        try:
            return math.exp(a)
        except OverflowError:  # IEEE: exp of a large number is +inf, not an exception
            return math.inf

    @staticmethod
    def expm1(a):
        try:
            return math.expm1(a)
        except OverflowError:
            return math.inf

    @staticmethod
    def sigmoid(a):
        # Two forms so that neither exp can overflow: 1/(1+e^-a) for a >= 0, e^a/(1+e^a) below.
        if a >= 0.0:
            return 1.0 / (1.0 + math.exp(-a))
        e = math.exp(a)
        return e / (1.0 + e)

    @staticmethod
    def softplus(a):
        # log(1 + e^a) = max(a, 0) + log1p(e^-|a|): stable for large |a|.
        return max(a, 0.0) + math.log1p(math.exp(-abs(a)))

    @staticmethod
    def power(a, p):
        """a ** p as IEEE 754 has it: +-inf where Python raises on overflow or on 0 ** -p."""
        try:
            return a**p
        except (OverflowError, ZeroDivisionError):
            return _infinite_power(a, p)

    @staticmethod
    def pow(a, p):
        if a <= 0.0:  # a NaN base passes: nan ** p is nan (and nan ** 0 is 1)
            if a < 0.0 and not p.is_integer():  # Python would answer with a complex number
                raise ValueError("a negative base needs a whole-number exponent")
            if a == 0.0 and p < 0.0:
                raise ZeroDivisionError("0 cannot be raised to a negative power")
        try:
            return a**p
        except OverflowError:
            return _infinite_power(a, p)

    @staticmethod
    def powv(a, b):
        if a <= 0.0:
            raise ValueError("base must be > 0")
        return _ScalarMath.power(a, b)


def _infinite_power(a, p):
    """The IEEE infinity for a ** p past the largest float, or for 0 ** -p."""
    # Only an odd whole exponent keeps the base's sign: (-1e200) ** 3, (-0.0) ** -1.
    return math.copysign(math.inf, a) if p % 2.0 == 1.0 else math.inf


def _refuse(bad, x, kind, message):
    """Raise kind(message) if `bad` holds anywhere, naming the first example where it does.

    Arrays are one number per example (eager), or a row per node and a column per example
    (the Tape); x is the array (or number) whose value is bad there.
    """
    bad = np.asarray(bad)
    if bad.any():
        if bad.ndim == 0:  # a plain-number operand, bad for every example
            raise kind(message)
        i = int(np.argmax(bad))
        example = np.unravel_index(i, bad.shape)[-1]
        value = float(np.broadcast_to(x, bad.shape).flat[i])
        raise kind(f"{message} (example {example} is {value!r})")


class _ArrayMath:
    """The math namespace for numpy arrays of per-example numbers: the same names, elementwise.

    Domain errors raise as they do for floats (naming the first bad example); overflow
    gives IEEE infinities, as numpy does.
    """

    exp, expm1, tanh, maximum, where = np.exp, np.expm1, np.tanh, np.maximum, np.where
    ones_like, power = np.ones_like, staticmethod(np.power)

    @staticmethod
    def total(a):
        return float(a.sum())  # a plain float: the reduced value is no longer a batch

    _erfc = np.frompyfunc(math.erfc, 1, 1)  # numpy has no erfc; math's, example by example

    @staticmethod
    def normal_cdf(a):
        return 0.5 * _ArrayMath._erfc(-a / SQRT2).astype(float)  # as _ScalarMath's, elementwise

    @staticmethod
    def count(a):
        return a.size

    @staticmethod
    def div(a, b):
        _refuse(b == 0.0, b, ZeroDivisionError, "divisor must not be 0")
        return a / b

    @staticmethod
    def log(a):
        _refuse(a <= 0.0, a, ValueError, "input must be > 0")  # NaN passes: log(nan) is nan
        return np.log(a)

    @staticmethod
    def sigmoid(a):
        e = np.exp(-np.abs(a))  # never overflows; pick the stable form by sign
        return np.where(a >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))

    @staticmethod
    def softplus(a):
        return np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a)))

    @staticmethod
    def pow(a, p):
        if not p.is_integer():
            _refuse(a < 0.0, a, ValueError, "a negative base needs a whole-number exponent")
        if p < 0.0:
            _refuse(a == 0.0, a, ZeroDivisionError, "0 cannot be raised to a negative power")
        return a**p

    @staticmethod
    def powv(a, b):
        _refuse(a <= 0.0, a, ValueError, "base must be > 0")
        return np.power(a, b)


SCALAR, ARRAY = _ScalarMath, _ArrayMath
OPS = table(SCALAR)
ARRAY_OPS = table(ARRAY)
for _name, _row in OPS.items():
    _row.array = ARRAY_OPS[_name]
