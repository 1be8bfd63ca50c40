"""Every row of the op table against central finite differences, with no per-op test code."""

import math

import pytest

from autograd import OPS, Value, gradcheck, local_derivatives
from autograd.value import _binary, _bound, _unary

# Constant parameters to try for the rows that take one; every other row gets None.
PARAMS = {
    "pow": [2.0, 3.0, 0.5, -1.5],
    "leaky_relu": [0.01, 0.3],
    "elu": [1.0, 0.5],
    "swish": [1.0, 2.5],
}
POINTS = [-2.3, -0.7, 0.4, 1.9]


def apply(name, param, args):
    op = OPS[name] if param is None else _bound(name, param)
    return _binary(op, *args) if op.arity == 2 else _unary(op, args[0])


def in_domain(name, param, point):
    try:
        apply(name, param, [Value(x) for x in point])
    except (ValueError, ZeroDivisionError):
        return False
    return True


def cases(params=PARAMS, skip=()):
    """(name, parameter, point) for every row but `skip`, at POINTS, where the row is defined."""
    for name, op in sorted(OPS.items()):
        if name in skip:
            continue
        if op.arity == 2:
            points = [(a, b) for a in POINTS for b in POINTS if a != b]  # no ties for max/min
        else:
            points = [(a,) for a in POINTS]
        for p in params.get(name, [None]):
            for point in points:
                if in_domain(name, p, point):
                    yield pytest.param(name, p, point, id=f"{name}[{p}]{point}")


@pytest.mark.parametrize("name,param,point", list(cases()))
def test_local_derivatives_match_finite_differences(name, param, point):
    result = gradcheck(lambda *xs: apply(name, param, xs), point, atol=1e-6, rtol=1e-5)
    assert result.ok, result.table()


def test_every_row_is_tested_at_several_points():
    tested = {c.values[0] for c in cases()}
    assert tested == set(OPS)


def test_every_op_has_a_symbol_and_a_domain_message_where_it_can_fail():
    for name, op in OPS.items():
        assert op.symbol, name
        assert op.arity in (1, 2), name
    for name in ("log", "div", "powv"):
        assert OPS[name].domain, name


@pytest.mark.parametrize(
    "expr,expected",
    [
        (lambda: Value(0.0).relu(), 0.0),
        (lambda: Value(0.0).leaky_relu(0.1), 0.1),
        (lambda: abs(Value(0.0)), 0.0),
        (lambda: Value(0.0).step(), 0.0),
        (lambda: Value(2.0).max(2.0), 1.0),
        (lambda: Value(2.0).min(2.0), 1.0),
        (lambda: Value(0.0).elu(1.0), 1.0),
    ],
    ids=["relu", "leaky_relu", "abs", "step", "max-tie", "min-tie", "elu"],
)
def test_documented_convention_at_each_kink(expr, expected):
    out = expr()
    out.backward()
    assert out.inputs[0].grad == expected


def test_step_is_heaviside_with_step_of_zero_equal_to_one():
    assert [Value(x).step().data for x in (-1.0, 0.0, 2.0)] == [0.0, 1.0, 1.0]


@pytest.mark.parametrize("x", [-800.0, -40.0, 0.0, 40.0, 800.0])
def test_sigmoid_and_softplus_do_not_overflow(x):
    s = Value(x).sigmoid().data
    assert 0.0 <= s <= 1.0
    sp = Value(x).softplus().data
    assert math.isfinite(sp) and sp >= max(x, 0.0)


def test_gelu_is_the_exact_erf_form():
    x = 0.8
    assert Value(x).gelu().data == pytest.approx(
        0.5 * x * (1 + math.erf(x / math.sqrt(2))), abs=1e-15
    )


def test_silu_is_swish_with_beta_one():
    assert (
        Value(1.3).silu().data
        == Value(1.3).swish(1.0).data
        == pytest.approx(1.3 / (1 + math.exp(-1.3)))
    )


# The rule column: each row's local derivatives written as maths, for the narration.
MATH = {  # what the rules' symbols mean, for evaluating them here
    "exp": math.exp,
    "log": math.log,
    "tanh": math.tanh,
    "sigmoid": lambda v: 1.0 / (1.0 + math.exp(-v)),
    "Phi": lambda v: 0.5 * (1.0 + math.erf(v / math.sqrt(2.0))),
    "phi": lambda v: math.exp(-0.5 * v * v) / math.sqrt(2.0 * math.pi),
    "sign": lambda v: (v > 0) - (v < 0),
}
SPELLING = {"·": "*", "²": "**2", "σ": "sigmoid", "Φ": "Phi", "φ": "phi"}


def evaluate(template, **numbers):
    """A rule with numbers for its names, computed: the rule text as Python arithmetic."""
    text = template.format(**{k: f"({v!r})" for k, v in numbers.items()})
    for symbol, python in SPELLING.items():
        text = text.replace(symbol, python)
    return eval(text, {"__builtins__": {}}, MATH)  # our own table's text, never user input


def test_every_row_writes_one_rule_per_input():
    for name, op in OPS.items():
        assert len(op.rule) == op.arity, name
        assert all(isinstance(r, str) and r for r in op.rule), name
    for name, params in PARAMS.items():
        assert _bound(name, params[0]).rule == OPS[name].rule  # fixing a parameter keeps it


@pytest.mark.parametrize("name,param,point", list(cases()))
def test_each_rule_computes_the_local_derivatives_of_its_row(name, param, point):
    out = apply(name, param, [Value(x) for x in point])
    names = {"a": point[0], "y": out.data, "n": 1}
    if len(point) > 1:
        names["b"] = point[1]
    if param is not None:
        names["p"], names["p1"] = param, param - 1
    said = [evaluate(r, **names) for r in out.op.rule]
    assert said == pytest.approx(list(local_derivatives(out)), rel=1e-12)
