"""The `Value` node: a number that remembers the op and the inputs that made it.

Every arithmetic on Values records one node of a directed acyclic graph. `backward()` (in
backprop.py) walks that graph with the op table's local derivatives. A Value holds no
closures, so building a graph creates no reference cycles for the garbage collector.
"""

import contextvars
import functools
import math
import numbers
import os
import sys
import threading
import types

import numpy as np

from .ops import OPS


class _Mode:
    """What one thread's new nodes get: the dotted `scope` they carry, whether ops `record`
    their inputs (off in no_grad), whether `anomaly` checks are on (detect_anomaly). `plain`
    is `record and not anomaly`, the one test the hot path makes."""

    __slots__ = ("scope", "record", "anomaly", "plain", "saved", "thread")

    def __init__(self, thread=None):
        self.scope, self.record, self.anomaly, self.plain = "", True, False, True
        self.saved = []  # the settings each block entered will restore, innermost last
        self.thread = thread


# Per thread, as PyTorch's grad mode is. A thread inside a block (end of this file) has a
# _Mode of its own; everywhere else reads _TOP, which never changes. The hot path finds the
# thread's mode through a ContextVar (get() costs ~8 ns, a threading.local attribute ~40),
# and only while some thread is inside a block: while `_busy` is empty, all have _TOP.
_TOP = _Mode()
_modes = contextvars.ContextVar("chainrule_mode", default=_TOP)
_mode = _modes.get
_busy = []  # the modes of the threads inside a block now (list append and remove are atomic)
_ident = threading.get_ident


def _own(mode):
    """`mode` if it is this thread's; _TOP for one seen through a context copied from another
    thread (asyncio.to_thread): that thread's no_grad or anomaly mode is not this one's."""
    return mode if mode.thread == _ident() else _TOP


_new = object.__new__
_batch = np.ndarray  # data of this exact type is a batch: one number per example
_ADD, _SUB, _MUL, _DIV, _POWV = OPS["add"], OPS["sub"], OPS["mul"], OPS["div"], OPS["powv"]
_MAX, _MIN, _NEG = OPS["max"], OPS["min"], OPS["neg"]
_EXP, _LOG, _TANH, _SIGMOID, _RELU = (
    OPS["exp"],
    OPS["log"],
    OPS["tanh"],
    OPS["sigmoid"],
    OPS["relu"],
)
_GELU, _SOFTPLUS, _ABS, _STEP = OPS["gelu"], OPS["softplus"], OPS["abs"], OPS["step"]
_SUM, _MEAN = OPS["sum"], OPS["mean"]
_BOUND = {}  # (op name, parameter) -> bound row, so x**2 everywhere shares one Op object


_PARAM = {"pow": "the exponent", "leaky_relu": "alpha", "elu": "alpha", "swish": "beta"}


def _bound(name, x):
    """The row `name` with its parameter x checked (_param) and fixed; one Op per value."""
    op = _BOUND.get((name, x)) if type(x) is float or type(x) is int else None  # seen before
    if op is None:
        p = _param(x, name, _PARAM[name])
        op = _BOUND.get((name, p)) or _BOUND.setdefault((name, p), OPS[name].bind(p))
    return op


def _fmt(x):
    """A number as people read it: 6 significant digits, floats keep their point (-12.0)."""
    if isinstance(x, np.ndarray):
        shown = ", ".join(_fmt(float(v)) for v in x[:3])
        return f"[{shown}{', ...' if x.size > 3 else ''}] ({x.size} examples)"
    if not isinstance(x, float):
        return repr(x)
    s = f"{x:.6g}"
    return s + ".0" if s.lstrip("-").isdigit() else s


def _exact(x):
    """A number as an error message shows it: every digit (repr), a batch's first few."""
    return _fmt(x) if type(x) is _batch else repr(float(x))


def _domain_error(op, args, err):
    """Re-raise a math error from a forward rule with the op and its inputs in the message."""
    shown = ", ".join(_exact(a) for a in args)
    if op.param is not None:
        shown += f", {_exact(op.param)}"
    # An array row's own message names the first bad example; a float row's domain is enough.
    reason = str(err) if op.array is None else (op.domain or str(err))
    kind = ZeroDivisionError if isinstance(err, ZeroDivisionError) else ValueError
    return kind(f"{op.name}({shown}): {reason}")


def _as_data(x, where):
    """Check and convert a plain number for `where`; anything else is a TypeError."""
    if type(x) is float:
        return x
    if type(x) is int or isinstance(x, float):  # numpy's float64 is a float subclass
        try:
            return float(x)
        except OverflowError:
            raise _too_large(x, where) from None
    if isinstance(x, np.ndarray):
        return _as_batch(x, where)
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        try:
            return float(x)
        except OverflowError:
            raise _too_large(x, where) from None
    raise TypeError(f"{where}: expected a real number or Value, got {type(x).__name__} {x!r}")


def _too_large(x, where):
    digits = int(x.bit_length() * math.log10(2)) + 1 if type(x) is int else 0
    what = f"an integer of about {digits} digits" if digits else repr(x)
    return ValueError(f"{where}: {what} is too large for a float (the largest is about 1.8e308)")


def _param(x, where, name):
    """An op's constant parameter (an exponent, a slope): one finite plain number."""
    p = _as_data(x, where)
    if type(p) is _batch:
        raise TypeError(
            f"{where}: {name} must be one number, got an array of {p.size} numbers"
            + (" (one exponent per example: x ** Value(array), x > 0)" if where == "pow" else "")
        )
    if not math.isfinite(p):
        raise ValueError(f"{where}: {name} must be finite, got {p!r}")
    return p


def _as_batch(x, where):
    """A 1-D numpy array of reals is a batch: one number per example."""
    if x.ndim == 0:
        return _as_data(x.item(), where)
    if x.ndim != 1 or x.size == 0 or x.dtype.kind not in "biuf":
        raise TypeError(
            f"{where}: a batch must be a non-empty 1-D array of real numbers, "
            f"got shape {x.shape} of {x.dtype}"
        )
    return np.array(x, dtype=np.float64)  # a copy, and a plain ndarray (never a subclass)


def finite(x):
    """Whether a number, or every number of a batch, is neither NaN nor infinite."""
    return bool(np.isfinite(x).all()) if type(x) is _batch else math.isfinite(x)


class _Made(str):
    """A node's scope that also says where user code made the node (`.site`, detect_anomaly).

    It sits in the node's own `scope` slot, so it dies with the node: a dict from node to
    site would keep every node alive, and a new slot would cost every node 8 bytes.
    """


def _special(v, inputs, op, mode):
    """no_grad drops the record; detect_anomaly checks the value and notes where it was made."""
    mode = _own(mode)
    if mode.record:
        v._a = inputs[0] if inputs else None
        v._b = inputs[1] if len(inputs) == 2 else None
        v.op = op
    else:
        v._a, v._b, v.op = None, None, None
    if mode.anomaly:
        site = user_site()
        if not finite(v.data):
            what = f"{op.name}({', '.join(_fmt(i.data) for i in inputs)})" if op else "a constant"
            raise FloatingPointError(f"detect_anomaly: {what} gave {v.data} at {site}")
        v.scope = _Made(v.scope)
        v.scope.site = site


# The two functions below are the hot path of every forward pass: they build the output node
# field by field (no __init__ call) and check nothing the op table does not check.
def _apply(a, b, op):
    """a <op> b as a new node; a plain number b becomes a constant leaf first."""
    if type(b) is not Value:
        b = _lift(b, op.name)
    try:
        y = op.forward(a.data, b.data)  # + - * take floats and arrays alike (_binary_row)
    except (ValueError, ZeroDivisionError, OverflowError) as err:
        raise _domain_error(op, (a.data, b.data), err) from None
    v = _new(Value)
    v.data = y
    v.grad = 0.0
    v.label = ""
    if not _busy:  # no thread is inside a block: the default mode, nothing to look up
        v.scope = ""
        v._a = a
        v._b = b
        v.op = op
        return v
    mode = _mode()
    v.scope = mode.scope
    if mode.plain:
        v._a = a
        v._b = b
        v.op = op
    else:
        _special(v, (a, b), op, mode)
    return v


def _binary_row(op, a, b):
    """_binary with the array row when a or b holds a batch: / max min ** need it (a check,
    `where`). + - * skip this test: their float rows are Python's operators, fine on arrays."""
    if type(a.data) is _batch or type(b.data) is _batch:
        op = op.array
    return _apply(a, b, op)


def _binary(op, a, b):
    """_apply with the row first, as _unary takes it (for code that picks the row itself)."""
    return _apply(a, b, op)


def _operator(op):
    """Value's method for a + b (or -, *): _apply's own code with `op` as its default third
    argument, so each + runs one Python function instead of a method calling _apply. A
    forward pass is mostly + and *: this is ~10% of making each node (measured)."""
    method = types.FunctionType(_apply.__code__, globals(), f"__{op.name}__", (op,))
    method.__qualname__ = f"Value.__{op.name}__"
    return method


def _unary(op, a):
    if type(a.data) is _batch:  # the same row, built over numpy arrays
        op = op.array
    try:
        y = op.forward(a.data, op.param)
    except (ValueError, ZeroDivisionError, OverflowError) as err:
        raise _domain_error(op, (a.data,), err) from None
    v = _new(Value)
    v.data = y
    v.grad = 0.0
    v.label = ""
    if not _busy:  # no thread is inside a block: the default mode, nothing to look up
        v.scope = ""
        v._a = a
        v._b = None
        v.op = op
        return v
    mode = _mode()
    v.scope = mode.scope
    if mode.plain:
        v._a = a
        v._b = None
        v.op = op
    else:
        _special(v, (a,), op, mode)
    return v


def _lift(x, where):
    """A plain number met in an op becomes a constant leaf node."""
    if type(x) is Value:
        return x
    v = _new(Value)
    v.data = x if type(x) is float else _as_data(x, where)
    mode = _mode() if _busy else _TOP
    v.grad, v.label, v.scope = 0.0, "", mode.scope
    if mode.plain:
        v._a, v._b, v.op = None, None, None
    else:
        _special(v, (), None, mode)
    return v


class Value:
    """A scalar in the computation graph: `data`, `grad`, the `inputs` and `op` that made it."""

    # The inputs sit in two slots, not a tuple: 112 bytes a node instead of 160 (measured
    # with tracemalloc). `inputs` gives them as the ordered tuple (a*a has two inputs).
    __slots__ = ("data", "grad", "op", "label", "scope", "_a", "_b")
    __array_ufunc__ = None  # numpy scalars defer to us: np.float64(2) * v calls v.__rmul__

    def __init__(self, data, label=""):
        if type(data) is not float:
            data = _as_data(data, "Value")
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a string, got {type(label).__name__} {label!r}")
        mode = _mode() if _busy else _TOP
        if mode.anomaly and _own(mode).anomaly and not finite(data):
            raise FloatingPointError(f"detect_anomaly: Value({data}) made at {user_site()}")
        self.data = data
        self.grad = 0.0
        self._a = self._b = self.op = None
        self.label = label
        self.scope = mode.scope

    @property
    def inputs(self):
        """The Values this one was computed from, in order: () for a leaf, (a,) or (a, b)."""
        a = self._a
        if a is None:
            return ()
        b = self._b
        return (a,) if b is None else (a, b)

    def __repr__(self):
        extra = f", label={self.label!r}" if self.label else ""
        return f"Value(data={_fmt(self.data)}, grad={_fmt(self.grad)}{extra})"

    # Binary operators (+ - * are _apply itself, see _operator); the reflected forms put the
    # plain number first.
    __add__ = _operator(_ADD)

    def __radd__(self, other):
        return _apply(_lift(other, "add"), self, _ADD)

    __sub__ = _operator(_SUB)

    def __rsub__(self, other):
        return _apply(_lift(other, "sub"), self, _SUB)

    __mul__ = _operator(_MUL)

    def __rmul__(self, other):
        return _apply(_lift(other, "mul"), self, _MUL)

    def __truediv__(self, other):
        return _binary_row(_DIV, self, _lift(other, "div"))

    def __rtruediv__(self, other):
        return _binary_row(_DIV, _lift(other, "div"), self)

    def __pow__(self, other):
        """x ** 2 is the one-input op `**2`; x ** y with y a Value is `powv` (needs x > 0)."""
        if type(other) is Value:
            return _binary_row(_POWV, self, other)
        return _unary(_bound("pow", other), self)

    def __rpow__(self, other):
        return _binary_row(_POWV, _lift(other, "powv"), self)

    def __neg__(self):
        return _unary(_NEG, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _unary(_ABS, self)

    # Named functions. Where the op has a parameter it is a constant, not a graph node.
    def exp(self):
        """e ** self."""
        return _unary(_EXP, self)

    def log(self):
        """Natural logarithm; the input must be > 0."""
        return _unary(_LOG, self)

    def tanh(self):
        """Hyperbolic tangent."""
        return _unary(_TANH, self)

    def sigmoid(self):
        """1 / (1 + e ** -self), computed without overflow."""
        return _unary(_SIGMOID, self)

    def relu(self):
        """max(self, 0)."""
        return _unary(_RELU, self)

    def leaky_relu(self, alpha=0.01):
        """self where positive, alpha * self elsewhere."""
        return _unary(_bound("leaky_relu", alpha), self)

    def elu(self, alpha=1.0):
        """self where positive, alpha * (e ** self - 1) elsewhere."""
        return _unary(_bound("elu", alpha), self)

    def gelu(self):
        """Exact GELU: self * Phi(self), with Phi the standard normal CDF (through erf)."""
        return _unary(_GELU, self)

    def swish(self, beta=1.0):
        """self * sigmoid(beta * self); beta = 1 is SiLU."""
        return _unary(_bound("swish", beta), self)

    def silu(self):
        """swish with beta = 1."""
        return self.swish(1.0)

    def softplus(self):
        """log(1 + e ** self), computed without overflow."""
        return _unary(_SOFTPLUS, self)

    def step(self):
        """Heaviside step: 1 where self >= 0, else 0. Its derivative is 0 everywhere."""
        return _unary(_STEP, self)

    def max(self, other):
        """The larger of self and other (ties go to self)."""
        return _binary_row(_MAX, self, _lift(other, "max"))

    def min(self, other):
        """The smaller of self and other (ties go to self)."""
        return _binary_row(_MIN, self, _lift(other, "min"))

    def sum(self):
        """Add up a batch (one number per example) into one number; a plain number is itself."""
        return _unary(_SUM, self)

    def mean(self):
        """The average over a batch; a plain number is itself."""
        return _unary(_MEAN, self)

    def detach(self):
        """A new leaf with the same number and label: gradients stop here."""
        return Value(self.data, self.label)

    def backward(self):
        """Add d(self)/d(node) to every node's `.grad` (see backprop.backward)."""
        _backward(self)


def _enter():
    """This thread's mode, its settings saved for the block being entered to restore."""
    mode = _mode()
    if mode.thread != _ident():  # _TOP, or another thread's (a copied context): make its own
        mode = _Mode(_ident())
        _modes.set(mode)
    if not mode.saved:
        _busy.append(mode)
    mode.saved.append((mode.scope, mode.record, mode.anomaly))
    return mode


class _Block:
    """Base of the three blocks below: entering changes this thread's mode, leaving restores it.

    What to restore is kept in the thread's mode, never on the block object, so one object may
    be entered again (nested or later) or by several threads at once. A block is also a
    decorator, as in PyTorch: `@no_grad()` runs each call of the function inside it.
    """

    __slots__ = ()

    def __exit__(self, *exc):
        mode = _mode()
        mode.scope, mode.record, mode.anomaly = mode.saved.pop()
        mode.plain = mode.record and not mode.anomaly
        if not mode.saved:  # the thread's outermost block: its mode is _TOP's again
            _busy.remove(mode)

    def __call__(self, fn):
        @functools.wraps(fn)
        def inside(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return inside


class no_grad(_Block):
    """Inside, ops compute numbers but record no graph (for updates and evaluation)."""

    __slots__ = ()

    def __enter__(self):
        mode = _enter()
        mode.record = mode.plain = False
        return self


class scope(_Block):
    """Inside `with scope(name):` new nodes carry `name` in `.scope` (nesting joins with dots)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = str(name)

    def __enter__(self):
        mode = _enter()
        outer = mode.scope
        mode.scope = f"{outer}.{self.name}" if outer else self.name
        return self


def call_in_scope(name, fn, *args):
    """fn(*args) inside `scope(name)`: the same tags, cheaper inside another block.

    nn's modules call this once per neuron per example (3,700 times in the moons step). When
    this thread is already inside a block (the model's own call, or a no_grad), only the
    scope string changes, and back after (also on an error): the blocks fn may enter save
    and restore the mode as always. ~4x cheaper than a `with scope(name):` block.
    """
    mode = _mode()
    if mode.thread != _ident() or not mode.saved:  # in no block yet: a block of its own
        with scope(name):
            return fn(*args)
    outer = mode.scope
    mode.scope = f"{outer}.{name}" if outer else str(name)
    try:
        return fn(*args)
    finally:
        mode.scope = outer


class detect_anomaly(_Block):
    """Inside, the first NaN or infinity in forward or backward raises, naming op and line."""

    __slots__ = ()

    def __enter__(self):
        mode = _enter()
        mode.anomaly, mode.plain = True, False
        return self


def anomaly_mode():
    """Whether detect_anomaly is on in this thread."""
    return _own(_mode()).anomaly


def anomaly_site(node):
    """Where user code made `node`, if detect_anomaly was on then; else None."""
    return getattr(node.scope, "site", None)


_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LIBRARY = tuple(os.path.join(_ROOT, pkg) + os.sep for pkg in ("autograd", "nn", "viz"))


def user_site():
    """The first stack frame outside chainrule's library packages, as 'file:line'."""
    f = sys._getframe(1)
    while f is not None:
        name = f.f_code.co_filename
        if not name.startswith(_LIBRARY) and not name.endswith("contextlib.py"):
            return f"{name}:{f.f_lineno}"
        f = f.f_back
    return "<unknown>"


from .backprop import backward as _backward  # noqa: E402  (backprop imports this module)
