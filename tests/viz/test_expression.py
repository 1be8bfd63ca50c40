"""viz.expression: a typed expression becomes the graph the same line of Python makes with
Values (structure, values, every gradient), and everything off the allow-list is refused
with a one-line ExpressionError pointing at the column where it is."""

import ast
import builtins
import random
import re

import pytest

import viz
from autograd import Value, topological_order
from viz.expression import MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, ExpressionError

AT = {"x": -2.0, "y": 5.0, "z": -4.0, "a": 0.5, "b": 3.0, "w1": 0.5, "x1": 2.0, "w2": -1.0,
      "x2": 1.0, "c": 0.1}  # fmt: skip


def shape(root):
    """The graph under `root` as plain data: per node (op label, value, leaf label, the
    positions of its inputs); equal graphs give equal shapes."""
    order = topological_order(root)
    where = {id(n): i for i, n in enumerate(order)}
    return [
        (n.op.label if n.op else None, n.data, n.label if n.op is None else "",
         tuple(where[id(i)] for i in n.inputs))
        for n in order
    ]  # fmt: skip


def same_graph(text, python, at):
    """Parse `text`; build `python(leaves)` with the same leaves' values; compare both graphs
    and, after backward() on each, every gradient."""
    typed = viz.expression(text, at=at)
    leaves = {name: Value(value, name) for name, value in at.items()}
    root = python(leaves)
    root = root if isinstance(root, Value) else Value(root)
    if root.label not in leaves:  # the typed root is named f; Python's has no name
        root.label = "f"
    assert shape(typed.root) == shape(root)
    typed.root.backward()
    root.backward()
    assert [n.grad for n in topological_order(typed.root)] == [
        n.grad for n in topological_order(root)
    ]
    return typed


# Every allowed form, beside the line of Python it means.
ALLOWED = [
    ("(x + y) * z", lambda v: (v["x"] + v["y"]) * v["z"]),
    ("x - y / z", lambda v: v["x"] - v["y"] / v["z"]),
    ("x * x", lambda v: v["x"] * v["x"]),  # fan-out: one leaf, two edges
    ("x ** 2", lambda v: v["x"] ** 2),
    ("x ** -1", lambda v: v["x"] ** -1),
    ("b ** (1/3)", lambda v: v["b"] ** (1 / 3)),
    ("2 ** x", lambda v: 2 ** v["x"]),
    ("b ** a", lambda v: v["b"] ** v["a"]),
    ("-x", lambda v: -v["x"]),
    ("+x", lambda v: +v["x"]),
    ("-(x * y)", lambda v: -(v["x"] * v["y"])),
    ("2 * 3 * x", lambda v: 2 * 3 * v["x"]),  # numbers combine first, as in Python
    ("x * 2 * 3", lambda v: v["x"] * 2 * 3),
    ("-2 * x", lambda v: -2 * v["x"]),
    ("1 / x + 0.5", lambda v: 1 / v["x"] + 0.5),
    ("1.5e-1 * x + 0x10", lambda v: 1.5e-1 * v["x"] + 0x10),
    ("((x))", lambda v: v["x"]),
    ("exp(a)", lambda v: v["a"].exp()),
    ("log(b)", lambda v: v["b"].log()),
    ("tanh(x)", lambda v: v["x"].tanh()),
    ("sigmoid(x)", lambda v: v["x"].sigmoid()),
    ("relu(x) + relu(y)", lambda v: v["x"].relu() + v["y"].relu()),
    ("leaky_relu(x)", lambda v: v["x"].leaky_relu()),
    ("leaky_relu(x, 0.2)", lambda v: v["x"].leaky_relu(0.2)),
    ("elu(x)", lambda v: v["x"].elu()),
    ("elu(x, 0.5)", lambda v: v["x"].elu(0.5)),
    ("gelu(x)", lambda v: v["x"].gelu()),
    ("swish(x)", lambda v: v["x"].swish()),
    ("swish(x, 2)", lambda v: v["x"].swish(2)),
    ("silu(a)", lambda v: v["a"].silu()),
    ("softplus(x)", lambda v: v["x"].softplus()),
    ("abs(x)", lambda v: abs(v["x"])),
    ("step(x) * y", lambda v: v["x"].step() * v["y"]),
    ("max(x, y)", lambda v: v["x"].max(v["y"])),
    ("min(x, 2)", lambda v: v["x"].min(2)),
    ("max(2, x)", lambda v: Value(2).max(v["x"])),  # a function's number is a constant leaf
    ("tanh(2) * x", lambda v: Value(2).tanh() * v["x"]),
    ("sigmoid(a)**2 + log(b)", lambda v: v["a"].sigmoid() ** 2 + v["b"].log()),
    ("tanh(w1*x1 + w2*x2 + c)", lambda v: (v["w1"] * v["x1"] + v["w2"] * v["x2"] + v["c"]).tanh()),
    ("2 * 3", lambda v: 2 * 3),  # numbers alone: one constant
]


@pytest.mark.parametrize("text, python", ALLOWED, ids=[t for t, _ in ALLOWED])
def test_each_allowed_form_is_the_graph_python_makes_with_values(text, python):
    same_graph(text, python, {n: AT[n] for n in names_in(text)})


def names_in(text):
    """The names of values in `text`, as the leaves are ordered: first appearance."""
    found = re.findall(r"[A-Za-z_]\w*(?!\w*\()", text)
    return list(dict.fromkeys(n for n in found if n in AT))


def test_every_leaf_is_labelled_by_its_name_and_the_root_is_f():
    e = viz.expression("(x + y) * z", at="x=-2,y=5,z=-4")
    assert list(e.leaves) == ["x", "y", "z"]
    assert [e[n].label for n in e.leaves] == ["x", "y", "z"]
    assert e.root.label == "f" and e.root.data == -12.0
    e.root.backward()
    assert (e["x"].grad, e["y"].grad, e["z"].grad) == (-4.0, -4.0, 3.0)


def test_the_root_takes_another_name_when_f_is_an_input_and_a_lone_name_keeps_its_own():
    assert viz.expression("f * g", at="f=1,g=2").root.label == "h"
    assert viz.expression("f * g * h", at="f=1,g=2,h=3").root.label == "f1"
    e = viz.expression("x", at="x=3")
    assert e.root is e["x"] and e.root.label == "x"


def test_params_are_the_named_leaves_and_nothing_else():
    e = viz.expression("tanh(w1*x1 + w2*x2 + b)", at="w1=0.5,x1=2,w2=-1,x2=1,b=0.1",
                       params="w1, w2，b")  # fmt: skip
    assert e.params == [e["w1"], e["w2"], e["b"]]
    assert viz.expression("x * w", at={"x": 1, "w": 2}, params=["w"]).params[0].label == "w"


def random_expression(rng, depth):
    """(text, python) for a random expression over x, y, z that stays finite and in domain."""
    if depth == 0 or rng.random() < 0.2:
        if rng.random() < 0.25:
            n = rng.choice([0.5, 2, 3, 1.5])
            return str(n), lambda v, n=n: n
        name = rng.choice("xyz")
        return name, lambda v, name=name: v[name]
    kind = rng.choice(["+", "-", "*", "/", "**", "-u", "f", "max"])
    a_text, a = random_expression(rng, depth - 1)
    if kind == "-u":
        return f"-({a_text})", lambda v: -a(v)
    if kind == "f":
        name = rng.choice(["tanh", "sigmoid", "relu", "abs", "softplus", "gelu", "swish"])
        lift = lambda u: u if isinstance(u, Value) else Value(u)  # noqa: E731
        return f"{name}({a_text})", lambda v: getattr(lift(a(v)), name)() if name != "abs" \
            else abs(lift(a(v)))  # fmt: skip
    if kind == "**":
        p = rng.choice([2, 3])
        return (
            f"tanh({a_text}) ** {p}",
            lambda v: (a(v) if isinstance(a(v), Value) else Value(a(v))).tanh() ** p,
        )
    b_text, b = random_expression(rng, depth - 1)
    if kind == "max":
        lift = lambda u: u if isinstance(u, Value) else Value(u)  # noqa: E731
        return f"max({a_text}, {b_text})", lambda v: lift(a(v)).max(b(v))
    if kind == "/":  # a divisor that is never 0: 2 + sigmoid(...)
        lift = lambda u: u if isinstance(u, Value) else Value(u)  # noqa: E731
        return f"({a_text}) / (2 + sigmoid({b_text}))", lambda v: a(v) / (2 + lift(b(v)).sigmoid())
    ops = {"+": lambda p, q: p + q, "-": lambda p, q: p - q, "*": lambda p, q: p * q}
    return f"({a_text}) {kind} ({b_text})", lambda v: ops[kind](a(v), b(v))


@pytest.mark.parametrize("seed", range(40))
def test_random_expressions_are_the_graphs_python_makes(seed):
    rng = random.Random(seed)
    text, python = random_expression(rng, 4)
    at = {n: round(rng.uniform(-3, 3), 1) for n in names_in(text)}
    same_graph(text, python, at)


def test_typed_maths_from_a_chinese_keyboard_reads_as_ascii():
    plain = shape(viz.expression("(x + y) * z - x / y", at=AT_XYZ()).root)
    for typed in ["（ｘ＋ｙ）＊ｚ－ｘ／ｙ", "(x + y) × z − x ÷ y", "(x + y)·z - x / y"]:
        assert shape(viz.expression(typed, at=AT_XYZ()).root) == plain


def AT_XYZ():
    return {"x": -2, "y": 5, "z": -4}


@pytest.mark.parametrize(
    "at",
    ["x=-2,y=5,z=-4", "x = -2, y = 5, z = -4", "x=−2 y=5 z=−4", "ｘ＝－２，ｙ＝５，ｚ＝－４",
     " x=-2 , y=+5,z=-4 "],
)  # fmt: skip
def test_values_are_read_as_the_players_quiz_reads_numbers(at):
    e = viz.expression("(x + y) * z", at=at)
    assert {n: v.data for n, v in e.leaves.items()} == {"x": -2.0, "y": 5.0, "z": -4.0}


@pytest.mark.parametrize(
    "typed, value", [("1/2", 0.5), (".5", 0.5), ("1e-3", 0.001), ("- 2", -2.0)]
)
def test_a_value_may_be_a_fraction_or_in_e_notation(typed, value):
    assert viz.expression("x", at=f"x={typed}")["x"].data == value


# The refused forms: (text, at, kind, column where it points, words the message has)
REFUSED = [
    ("__import__('os')", {}, "not_a_function", 1, "__import__ is not a function here"),
    ("__import__('os').system('ls')", {}, "not_allowed", 1, "an attribute is not allowed"),
    ("eval('1')", {}, "not_a_function", 1, "eval is not a function"),
    ("open('f')", {}, "not_a_function", 1, "open is not a function"),
    ("x + print(x)", {"x": 1}, "not_a_function", 5, "print is not a function"),
    ("x.y", {"x": 1}, "not_allowed", 1, "an attribute"),
    ("2 * x.__class__", {"x": 1}, "not_allowed", 5, "an attribute"),
    ("x[0]", {"x": 1}, "not_allowed", 1, "indexing"),
    ("(lambda: 1)()", {}, "not_allowed", 2, "a lambda"),
    ("[x for x in y]", {}, "not_allowed", 1, "a comprehension"),
    ("sum(x for x in y)", {}, "not_a_function", 1, "sum is not a function"),
    ("'abc'", {}, "not_a_number", 1, "'abc' is not a number"),
    ("x + f'{x}'", {"x": 1}, "not_allowed", 5, "a string"),
    ("True * x", {"x": 1}, "not_a_number", 1, "True is not a number"),
    ("2j", {}, "not_a_number", 1, "2j is not a number"),
    ("x < 2", {"x": 1}, "not_allowed", 1, "a comparison"),
    ("x and 2", {"x": 1}, "not_allowed", 1, "a logical operator"),
    ("x if x else 2", {"x": 1}, "not_allowed", 1, "if-else"),
    ("(x, 2)", {"x": 1}, "not_allowed", 1, "a list, tuple"),
    ("x // 2", {"x": 1}, "operator", 1, "the operator //"),
    ("x % 2", {"x": 1}, "operator", 1, "the operator %"),
    ("~x", {"x": 1}, "operator", 1, "the operator ~"),
    ("x + y", {"x": 1}, "no_value", 5, "y has no value in at (missing: y; given: x)"),
    ("y * z", {}, "no_values", 1, "give every name one in at, like y=1,z=1"),
    ("tanh(x, 2)", {"x": 1}, "arity", 1, "tanh takes tanh(x), not 2 arguments"),
    ("max(x)", {"x": 1}, "arity", 1, "max takes max(a, b), not 1 argument"),
    ("leaky_relu(x, alpha=0.1)", {"x": 1}, "keyword", 21, "keyword arguments"),
    ("leaky_relu(x, x)", {"x": 1}, "constant", 15, "alpha of leaky_relu must be a number"),
    ("max(*x)", {"x": 1}, "not_allowed", 5, "unpacking"),
    ("x(2)", {"x": 1}, "not_a_function", 1, "x is not a function"),
    ("2(3)", {}, "not_callable", 1, "only a function's name can be called"),
    ("exp + 1", {}, "function_name", 1, "exp is a function's name"),
    ("9**9**9", {}, "exponent", 4, f"the exponent 387420489 is too large: at most {MAX_EXPONENT}"),
    ("x ** 101", {"x": 2}, "exponent", 6, "the exponent 101"),
    ("2 ** x", {"x": 200}, "exponent", 6, "the exponent 200"),
    ("1e300 ** 2", {}, "overflow", 1, "this gives inf"),
    ("exp(x)", {"x": 800}, "overflow", 1, "this gives inf"),
    ("1e999", {}, "overflow", 1, "this gives inf"),
    ("x / 0", {"x": 1}, "zero_division", 1, "divides by zero"),
    ("1 / (x - 1)", {"x": 1}, "zero_division", 1, "divides by zero"),
    ("log(x)", {"x": -2}, "log_domain", 1, "log needs an input > 0; here it gets -2"),
    ("(-8) ** 0.5", {}, "fractional_power", 1, "(-8) ** 0.5"),
    ("x ** y", {"x": -2, "y": 1}, "power_base", 1, "needs a base > 0; here it is -2"),
    ("x +", {"x": 1}, "ends_early", 3, "ends too early"),
    ("(x + 1", {"x": 1}, "unclosed", 1, "never closed"),
    ("x + 1)", {"x": 1}, "unmatched", 6, "closes nothing"),
    ("x y", {"x": 1, "y": 1}, "cannot_read", 3, "cannot read this as an expression"),
    ("x + 'a", {"x": 1}, "syntax", 5, "(unterminated string literal"),
    ("  x + 1)", {"x": 1}, "unmatched", 8, "closes nothing"),  # leading spaces are no indent
    ("x\x1b[2J", {"x": 1}, "character", 2, "'\\x1b' cannot be part"),
    (
        "-(" * 110 + "x" + ")" * 110,
        {"x": 1},
        "too_deep",
        2 * MAX_DEPTH + 1,  # the 101st "-"
        f"more than {MAX_DEPTH}",
    ),
]


@pytest.mark.parametrize("text, at, kind, column, says", REFUSED, ids=[r[0][:30] for r in REFUSED])
def test_each_refused_form_is_one_line_pointing_at_its_column(text, at, kind, column, says):
    with pytest.raises(ExpressionError) as caught:
        viz.expression(text, at=at)
    err = caught.value
    assert isinstance(err, ValueError)
    assert (err.kind, err.column) == (kind, column)
    message = str(err)
    assert "\n" not in message and message.startswith(f"at column {column}, `")
    assert says in message
    if text.isprintable():  # the caret line sits under the part it is about
        line, carets = err.pointer().split("\n")
        start, end = err.span
        assert (line, carets) == (text, " " * start + "^" * (end - start))


def test_the_column_counts_characters_and_the_caret_columns_of_the_screen():
    with pytest.raises(ExpressionError) as caught:
        viz.expression("总价 + ｘ．ｙ", at={"总价": 1, "x": 2})
    err = caught.value
    assert (err.kind, err.column) == ("not_allowed", 6)  # 总, 价, space, +, space: then ｘ
    assert err.pointer().split("\n")[1] == " " * 7 + "^" * 6  # 总价 and ｘ．ｙ: 2 columns each


def test_a_very_long_input_is_refused_before_any_work_and_says_the_limit(monkeypatch):
    def unread(*args, **kwargs):
        raise AssertionError("the text was parsed before its length was checked")

    monkeypatch.setattr(ast, "parse", unread)  # viz.expression reads text with ast.parse
    with pytest.raises(ExpressionError) as caught:
        viz.expression("x+" * 5000, at={"x": 1})
    assert caught.value.kind == "too_long"
    assert str(caught.value) == f"the expression has 10000 characters; the most is {MAX_LENGTH}"


def test_a_chain_of_powers_is_refused_before_it_is_computed(monkeypatch):
    def unbuilt(*args, **kwargs):
        raise AssertionError("a Value was made before the exponent was checked")

    monkeypatch.setattr(Value, "__init__", unbuilt)  # computing 9**9**9**9 would never end
    for text in ["9**9**9**9", "10**10**10", "2**2**2**2**2**2"]:
        with pytest.raises(ExpressionError, match="exponent"):
            viz.expression(text)


def test_nothing_is_evaluated(monkeypatch, tmp_path):
    def boom(*args, **kwargs):
        raise AssertionError("eval/exec was called")

    monkeypatch.setattr(builtins, "eval", boom)
    monkeypatch.setattr(builtins, "exec", boom)
    assert viz.expression("tanh(x) * 2", at="x=1").root.data == pytest.approx(1.5231883)
    target = tmp_path / "made"
    with pytest.raises(ExpressionError):
        viz.expression(f"__import__('os').system('touch {target}')")
    assert not target.exists()


@pytest.mark.parametrize(
    "at, kind, says",
    [
        ("x=abc", "number", "at: 'abc' is not a number (for x)"),
        ("x=1,x=2", "twice", "at: x is given twice"),
        ("x", "item", "at: 'x' is not name=value"),
        ("x=1,,y=2", "item", "is not name=value"),
        ("2x=1", "name", "at: '2x' is not a name"),
        ("x=inf", "infinite", "at: x = inf: a value must be a finite number"),
        ("x=1/0", "infinite", "a value must be a finite number"),
        ("x=1e999", "infinite", "a value must be a finite number"),
        ("x=1,000", "item", "'000' is not name=value"),
        ("exp=1", "function_name", "at: exp is a function's name"),
        ("x=1,q=2", "unused", "at: the expression has no q: mistyped?"),
    ],
)
def test_bad_values_are_refused_naming_the_value(at, kind, says):
    with pytest.raises(ExpressionError) as caught:
        viz.expression("x * 2", at=at)
    assert caught.value.kind == kind and caught.value.column is None
    assert says in str(caught.value)


def test_a_parameter_not_in_the_expression_is_refused():
    with pytest.raises(ExpressionError, match="params: the expression has no w3"):
        viz.expression("w1 * x", at="w1=1,x=2", params="w1,w3")


def test_wrong_types_are_type_errors():
    with pytest.raises(TypeError, match="text must be a string"):
        viz.expression(3)
    with pytest.raises(TypeError, match="at must be a dict or a string"):
        viz.expression("x", at=[1])
    with pytest.raises(TypeError, match=r"at\['x'\] must be a number"):
        viz.expression("x", at={"x": "1"})


def test_an_error_says_itself_in_chinese_with_the_command_lines_options():
    with pytest.raises(ExpressionError) as caught:
        viz.expression("x + y", at={"x": 1})
    said = caught.value.say("zh-CN", options={"at": "--at", "params": "--param"})
    assert said == "第 5 列 `y`：--at 没有给 y 赋值（缺少：y；已给出：x）"
    assert str(caught.value) == "at column 5, `y`: y has no value in at (missing: y; given: x)"
    with pytest.raises(ValueError, match="lang='fr'"):
        caught.value.say("fr")


def test_values_may_be_numpy_numbers():
    np = pytest.importorskip("numpy")
    e = viz.expression("x * y", at={"x": np.int64(2), "y": np.float32(1.5)})
    assert e.root.data == 3.0 and type(e["x"].data) is float
