"""Derivatives of derivatives: the backward pass built as a graph of Values.

`backward()` fills `.grad` with numbers, and a number cannot be differentiated again.
`grad(root, inputs, create_graph=True)` runs the same chain rule, but each local derivative
is itself a Value, so every product and sum of the sweep is a new node: the gradient is a
graph, and `grad` of it is a second derivative (d/dx of 3x² is 6x). `hessian` and `hvp`
are two uses.

The local derivatives come from the op table's own rows, built a third time (ops.py builds
them over floats and over arrays) over `ValueMath`. Its functions take and give `_Term`s:
a Value as a row sees it. Arithmetic on a term makes Value nodes, so a row's
`local(a, p, y)` returns Values made from the node's own inputs and output; comparing a
term compares its number, so a condition (`a > 0.0` in relu's row, `where` in abs's) is a
constant that passes no gradient. (Plain Values cannot play this part: they have no `>`,
and their `==` is identity, as the house style wants.) That is the kink convention: the
second derivative of relu, leaky_relu, abs, step, max and min is 0 (also at the kink
itself, where their first derivative is the table's documented choice). Where a `where`
picks between two formulas, the second derivative is the picked one's: elu''(0) = alpha,
from the a <= 0 branch. One guard is not a kink: powv's row answers 0 for d/da when the
exponent is exactly 0, so there d²(a**b)/da db comes out 0 instead of 1/a (an exponent
of 1e-9 gives the right 1/a).

A function a row calls that is a row itself becomes that row's node: σ in swish's
derivative, Φ (the `normal_cdf` row) in gelu's Φ(a) + a·φ(a). So gelu'' = (2 - a²)·φ(a)
comes from the table too, and nothing here knows a derivative of its own.

A gradient graph can be drawn (viz.draw_dot, the player) as what it is, the backward pass
with its values: the nodes the sweep makes sit in one scope, ∇f (a frame beside the forward
pass it reads from), and the gradient of each labelled node q is labelled ∂f/∂q, from the
seed ∂f/∂f = 1 to the ∂f/∂x returned. Backprop through that graph ends at f'' (d/dx of
∂f/∂x), and a third sweep names its own, ∂(∂f/∂x)/∂x in ∇(∂f/∂x).

`grad` returns the gradients instead of adding them to `.grad` (as torch.autograd.grad
and JAX's grad do): a `.grad` that is a Value would break every reader of `.grad` that
expects a number (optimisers, pictures), and `backward()`'s accumulation has no meaning
for a graph. Batches are not supported here: every node must hold one number.
"""

import numpy as np

from .backprop import local_derivatives, topological_order
from .ops import OPS, table
from .value import Value, _as_data, _batch, _fmt, _unary, scope


class _Term:
    """A Value as the Value-built rows see it: arithmetic gives Value nodes (wrapped), and
    a comparison reads the number, so conditions in a row are constants."""

    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v

    def __add__(self, o):
        return _Term(self.v + _v(o))

    def __radd__(self, o):
        return _Term(_v(o) + self.v)

    def __sub__(self, o):
        return _Term(self.v - _v(o))

    def __rsub__(self, o):
        return _Term(_v(o) - self.v)

    def __mul__(self, o):
        return _Term(self.v * _v(o))

    def __rmul__(self, o):
        return _Term(_v(o) * self.v)

    def __truediv__(self, o):
        return _Term(self.v / _v(o))

    def __rtruediv__(self, o):
        return _Term(_v(o) / self.v)

    def __neg__(self):
        return _Term(-self.v)

    def __abs__(self):
        return _Term(abs(self.v))

    def __gt__(self, o):
        return self.v.data > _n(o)

    def __lt__(self, o):
        return self.v.data < _n(o)

    def __ge__(self, o):
        return self.v.data >= _n(o)

    def __le__(self, o):
        return self.v.data <= _n(o)

    def __eq__(self, o):
        return self.v.data == _n(o)

    def __ne__(self, o):
        return self.v.data != _n(o)

    __hash__ = None


def _v(x):
    """The Value under a term; a plain number stays a number (Value ops take both)."""
    return x.v if type(x) is _Term else x


def _n(x):
    """The number under a term, for a comparison."""
    return x.v.data if type(x) is _Term else x


def _call(method):
    """A ValueMath function that applies the Value method `method` to a term."""
    return staticmethod(lambda a: _Term(getattr(a.v, method)()))


class ValueMath:
    """The math namespace over terms (see _Term): each function is the Value op of that name.

    Only the rows' local derivatives are used from this build, but the forwards work too.
    """

    exp, log, tanh, sigmoid, softplus = map(_call, ("exp", "log", "tanh", "sigmoid", "softplus"))

    @staticmethod
    def normal_cdf(a):
        return _Term(_unary(OPS["normal_cdf"], a.v))  # Φ, the row gelu's derivative is made of

    @staticmethod
    def where(cond, yes, no):
        return yes if cond else no  # the condition is a number's: no gradient through it

    @staticmethod
    def power(a, p):
        return _Term(_v(a) ** _v(p))  # a Value exponent makes powv, a number makes pow

    div = staticmethod(lambda a, b: a / b)
    pow = powv = staticmethod(lambda a, p: ValueMath.power(a, p))
    maximum = staticmethod(lambda a, b: _Term(_v(a).max(_v(b))))
    expm1 = staticmethod(lambda a: ValueMath.exp(a) - 1.0)
    total = staticmethod(lambda a: a)  # one number per node: a reduction is the identity
    ones_like = staticmethod(lambda a: 1.0)
    count = staticmethod(lambda a: 1)


VALUE_OPS = table(ValueMath)


def _value_locals(node):
    """The op table's d(node)/d(input) for each input of `node`, as Values (constants too)."""
    op = node.op
    row = VALUE_OPS[op.name]
    a = _Term(node._a)
    try:
        if op.arity == 2:
            d = row.local(a, _Term(node._b), _Term(node))
        else:
            d = row.local(a, op.param, _Term(node))
    except (ValueError, ZeroDivisionError, OverflowError) as err:
        args = ", ".join(_fmt(i.data) for i in node.inputs)
        param = "" if op.param is None else f", {_fmt(op.param)}"
        raise type(err)(
            f"grad(create_graph=True) through {op.name}({args}{param}): "
            f"local derivative failed ({err})"
        ) from None
    return tuple(x.v if type(x) is _Term else Value(float(x)) for x in d)


def grad(root, inputs, create_graph=False):
    """d(root)/d(input) for each input, returned (not added to `.grad`).

    `inputs` is a Value (one gradient back) or a sequence of Values (a tuple back). With
    create_graph=True each gradient is a Value whose graph is the backward pass itself, so
    it can be differentiated again (and drawn: see _name_gradients); otherwise each is a
    number. An input that `root` does not depend on gets 0.
    """
    single = type(inputs) is Value
    wanted = [inputs] if single else _values(inputs)
    if type(root) is not Value:
        raise TypeError(f"grad: root must be a Value, got {type(root).__name__} {root!r}")
    order = topological_order(root)
    for node in order:
        if type(node.data) is _batch:
            raise TypeError(
                f"grad: every node must hold one number, got a batch {_fmt(node.data)}"
                " (use backward() for batches)"
            )
    if not create_graph:
        grads = _sweep(order, root, 1.0, local_derivatives)
        out = tuple(grads.get(x, 0.0) for x in wanted)
    else:
        top = _name(root)
        with scope("∇" + top.replace(".", "·")):  # the backward pass's nodes, in one frame
            grads = _sweep(order, root, Value(1.0), _value_locals)
            out = tuple(grads[x] if x in grads else Value(0.0) for x in wanted)
        _name_gradients(top, order, grads, wanted, out)
    return out[0] if single else out


def _sweep(order, root, seed, local):
    """The chain rule over `order` from d(root)/d(root) = seed: {node: d(root)/d(node)}."""
    grads = {root: seed}
    for node in reversed(order):
        g = grads.get(node)
        if g is None or node._a is None:  # root does not depend on it, or a leaf
            continue
        # As in backprop.py: d(root)/d(input) += local * d(root)/d(node).
        for inp, d in zip(node.inputs, local(node)):
            old = grads.get(inp)
            grads[inp] = d * g if old is None else old + d * g
    return grads


def _name(node):
    """A node's name as it stands in ∂f/∂q: its label, bracketed when it is a formula ("f"
    for an unlabelled root)."""
    name = node.label or "f"
    return name if name.replace(".", "_").isidentifier() else f"({name})"


def _name_gradients(top, order, grads, wanted, out):
    """Label the gradient graph so a picture of it reads as the backward pass.

    Every node the sweep made sits in the scope ∇f (a frame in draw_dot, beside the
    unframed forward pass it reads from); the gradient of each labelled node is labelled
    ∂f/∂q (f: the root's label). A node of the forward pass keeps its label.
    """
    for node in order:
        if node.label and node in grads:
            grads[node].label = f"∂{top}/∂{_name(node)}"
    for x, g in zip(wanted, out):
        if x.label and not g.label:  # an input root does not depend on: its 0
            g.label = f"∂{top}/∂{_name(x)}"


def _values(inputs):
    try:
        wanted = list(inputs)
    except TypeError:
        raise TypeError(
            f"grad: inputs must be a Value or a sequence of Values, got {type(inputs).__name__}"
        ) from None
    for x in wanted:
        if type(x) is not Value:
            raise TypeError(f"grad: each input must be a Value, got {type(x).__name__} {x!r}")
    return wanted


def _point(fn_name, xs):
    """Values at the numbers `xs` (a non-empty sequence of reals), checked for `fn_name`."""
    try:
        xs = list(xs)
    except TypeError:
        raise TypeError(
            f"{fn_name}: inputs must be a sequence of numbers, got {type(xs).__name__} {xs!r}"
        ) from None
    if not xs:
        raise ValueError(f"{fn_name}: inputs must not be empty")
    point = [_as_data(x, fn_name) for x in xs]
    for x in point:
        if type(x) is _batch:
            raise TypeError(f"{fn_name}: each input must be one number, got {_fmt(x)}")
    return [Value(x) for x in point]


def _gradient_graph(fn_name, f, inputs):
    """The inputs as Values and the gradient of f at them, built as Values."""
    xs = _point(fn_name, inputs)
    y = f(*xs)
    if type(y) is not Value or type(y.data) is _batch:
        raise TypeError(f"{fn_name}: f must return a Value holding one number, got {y!r}")
    return xs, grad(y, xs, create_graph=True)


def hessian(f, inputs):
    """The matrix of second derivatives d²f/dx_i dx_j at the point `inputs`.

    f takes one Value per input and returns a Value. Row i is the gradient of df/dx_i:
    one backward pass through the gradient graph per input.
    """
    xs, g = _gradient_graph("hessian", f, inputs)
    return np.array([grad(gi, xs) for gi in g], dtype=float)


def hvp(f, inputs, v):
    """The Hessian of f at `inputs` times the vector v, without building the Hessian.

    d/dx (∇f · v) = H v: one gradient graph, one backward pass through it.
    """
    xs, g = _gradient_graph("hvp", f, inputs)
    vs = [_as_data(x, "hvp") for x in _seq("hvp", v)]
    if len(vs) != len(xs):
        raise ValueError(f"hvp: v has {len(vs)} numbers, inputs have {len(xs)}")
    gv = g[0] * vs[0]
    for gi, vi in zip(g[1:], vs[1:]):
        gv = gv + gi * vi
    return np.array(grad(gv, xs), dtype=float)


def _seq(fn_name, v):
    try:
        return list(v)
    except TypeError:
        raise TypeError(f"{fn_name}: v must be a sequence of numbers, got {v!r}") from None
