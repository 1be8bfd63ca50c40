"""A teacher's own example, typed as ordinary maths: "(x + y) * z" read into Values.

    e = viz.expression("tanh(w1*x1 + w2*x2 + b)", at="w1=0.5,x1=2,w2=-1,x2=1,b=0.1",
                       params="w1,w2,b")
    e.root.backward();  e["w1"].grad;  viz.draw_dot(e.root, params=e.params)

Python's own `ast` reads the text; the graph is then built from an allow-list, one node type
at a time, and nothing is ever eval'd or run: numbers, names given values in `at`,
+ - * / **, unary - and +, brackets, and calls of the op table's functions by name. Numbers
combine as Python combines them (2*3*x is 6 * x), so the graph is the one the same line of
Python makes with Values: each leaf labelled with its name, each function a node of its own.
Anything else is an ExpressionError that says what is wrong and where (its column).
"""

import ast
import itertools
import math
import numbers
import re
import unicodedata
import warnings

from autograd import Value
from autograd.ops import SCALAR
from autograd.value import finite

from .format import read_number as read_typed
from .format import visible, width
from .i18n import N_, _, language, ngettext, resolve

MAX_LENGTH = 500  # characters: a 2-2-1 network written out is about 80
MAX_DEPTH = 100  # how deeply operations may nest (the reader below recurses that far)
MAX_EXPONENT = 100  # |p| in a ** p: 9**9**9 stops at its outer **, before it is computed

# name -> (the Value method, how many Value inputs, the optional constant parameter's name)
FUNCTIONS = {
    "exp": (Value.exp, 1, None),
    "log": (Value.log, 1, None),
    "tanh": (Value.tanh, 1, None),
    "sigmoid": (Value.sigmoid, 1, None),
    "relu": (Value.relu, 1, None),
    "leaky_relu": (Value.leaky_relu, 1, "alpha"),
    "elu": (Value.elu, 1, "alpha"),
    "gelu": (Value.gelu, 1, None),
    "swish": (Value.swish, 1, "beta"),
    "silu": (Value.silu, 1, None),
    "softplus": (Value.softplus, 1, None),
    "abs": (Value.__abs__, 1, None),
    "step": (Value.step, 1, None),
    "max": (Value.max, 2, None),
    "min": (Value.min, 2, None),
}
OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
REFUSED_OPERATORS = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|",
    ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>", ast.Invert: "~", ast.Not: "not",
}  # fmt: skip
# What the student wrote, for "... is not allowed" (ast's node type -> its name in words)
REFUSED = {
    ast.Attribute: N_("an attribute"),
    ast.Subscript: N_("indexing with [ ]"),
    ast.Lambda: N_("a lambda"),
    ast.ListComp: N_("a comprehension"),
    ast.SetComp: N_("a comprehension"),
    ast.DictComp: N_("a comprehension"),
    ast.GeneratorExp: N_("a comprehension"),
    ast.JoinedStr: N_("a string"),
    ast.Compare: N_("a comparison"),
    ast.BoolOp: N_("a logical operator (and, or)"),
    ast.IfExp: N_("an if-else expression"),
    ast.NamedExpr: N_("an assignment (:=)"),
    ast.Starred: N_("unpacking with *"),
    ast.List: N_("a list, tuple, set or dict"),
    ast.Tuple: N_("a list, tuple, set or dict"),
    ast.Set: N_("a list, tuple, set or dict"),
    ast.Dict: N_("a list, tuple, set or dict"),
}
# Typed maths that Python spells otherwise: the minus sign, times and divide (U+2212, ×, ·, ÷).
# NFKC does the rest: full-width （ｘ＋２） from a Chinese input method is (x+2).
SPELLINGS = {"\u2212": "-", "\u2012": "-", "\u2013": "-", "\ufe63": "-", "\u00d7": "*",
             "\u00b7": "*", "\u22c5": "*", "\u00f7": "/", "\u3002": "."}  # fmt: skip

# What each kind of mistake says; the details fill the placeholders (ExpressionError.say).
MESSAGES = {
    "empty": N_("the expression is empty: write one, like (x + y) * z"),
    "too_long": N_("the expression has {length} characters; the most is {limit}"),
    "character": N_("the character {char} cannot be part of an expression"),
    "syntax": N_("Python cannot read this as an expression ({reason})"),
    "cannot_read": N_("Python cannot read this as an expression: is something missing here?"),
    "ends_early": N_("the expression ends too early: something is missing after this"),
    "unclosed": N_("this bracket is never closed"),
    "unmatched": N_("this bracket closes nothing"),
    "too_deep": N_("operations nest more than {limit} deep here"),
    "not_allowed": N_(
        "{what} is not allowed: write numbers, names, + - * / **, brackets and functions "
        "such as tanh(x)"
    ),
    "operator": N_("the operator {op} is not allowed: use + - * / and **"),
    "not_a_number": N_("{value} is not a number"),
    "not_a_function": N_("{name} is not a function here; the functions are: {functions}"),
    "not_callable": N_("only a function's name can be called, like tanh(x)"),
    "keyword": N_("keyword arguments are not allowed: write {form}"),
    "constant": N_("{param} of {name} must be a number, like {form}"),
    "no_value": N_("{name} has no value in {option} (missing: {missing}; given: {given})"),
    "no_values": N_("{name} has no value: give every name one in {option}, like {example}"),
    "exponent": N_("the exponent {value} is too large: at most {limit} either way"),
    "overflow": N_("this gives {value}: too large for a number (about 1.8e308 at most)"),
    "zero_division": N_("this divides by zero"),
    "log_domain": N_("log needs an input > 0; here it gets {value}"),
    "fractional_power": N_("a negative number to a fractional power has no real value: {power}"),
    "power_base": N_("a power whose exponent holds a name needs a base > 0; here it is {value}"),
    "item": N_("{item} is not name=value; write them like {example}"),
    "name": N_("{name} is not a name: letters, digits and _, not starting with a digit"),
    "number": N_("{value} is not a number (for {name}); write one like -2, 0.5 or 1/3"),
    "infinite": N_("{name} = {value}: a value must be a finite number"),
    "twice": N_("{name} is given twice"),
    "function_name": N_("{name} is a function's name; give the value another name"),
    "unused": N_("the expression has no {names}: mistyped?"),
}
# Where the Python API and the command line take the values and the parameters.
OPTIONS = {"at": "at", "params": "params"}


class ExpressionError(ValueError):
    """A mistake in an expression (or in its values): what, and where.

    kind: a key of MESSAGES; details: its placeholders; span: (start, end), the characters
    of `text` it is about (None: not in the text, e.g. a value in `at`). str() is English;
    say(lang) says it in another language, as the command line does.
    """

    def __init__(self, kind, text="", span=None, **details):
        self.kind, self.text, self.span, self.details = kind, text, span, details
        super().__init__(self.say("en"))

    @property
    def column(self):
        """The first character it is about, counting from 1 (None: not in the text)."""
        return None if self.span is None else self.span[0] + 1

    def say(self, lang=None, options=OPTIONS):
        """The one-line message in `lang`; `options` names where values come from
        ({"at": "--at", "params": "--param"} on the command line)."""
        lang = resolve(lang, where="ExpressionError.say")
        with language(lang):
            details = dict(self.details)
            if "option" in details:
                details["option"] = options[details["option"]]
            if "what" in details:
                details["what"] = _(details["what"])
            if self.kind == "arity":
                count = details["count"]
                line = ngettext(
                    "{name} takes {form}, not {count} argument",
                    "{name} takes {form}, not {count} arguments",
                    count,
                )
            else:
                line = _(MESSAGES[self.kind])
            line = line.format(**details)
            if self.span is None:
                return line if "option" not in details else f"{details['option']}: {line}"
            # TRANSLATORS: {span} is the part of the expression the problem is about
            return _("at column {column}, {span}: {problem}").format(
                column=self.column, span=f"`{shown(self.text[slice(*self.span)])}`", problem=line
            )

    def pointer(self):
        """The expression and, under it, a caret line marking the part this is about."""
        if self.span is None:
            return ""
        line = visible(" ".join(self.text.split("\n")))
        start, end = self.span
        before = width(visible(self.text[:start]))
        under = max(width(visible(self.text[start:end])), 1)
        return f"{line}\n{' ' * before}{'^' * under}"


def shown(part, most=40):
    """A part of the expression as a message quotes it: one line, at most `most` characters."""
    part = visible(" ".join(part.split()))
    return part if len(part) <= most else part[: most - 1] + "…"


class Expression:
    """An expression read into Values: `root`, its leaves by name, which are parameters.

    leaves: {name: Value} in the order the names first appear in the text; e["x"] is one.
    params: the leaves named in `params=`, for draw_dot(..., params=e.params).
    """

    __slots__ = ("text", "root", "leaves", "params")

    def __init__(self, text, root, leaves, params):
        self.text, self.root, self.leaves, self.params = text, root, leaves, params

    def __getitem__(self, name):
        return self.leaves[name]

    def __repr__(self):
        return f"Expression({self.text!r}, root={self.root!r})"


def expression(text, at=None, params=None):
    """Read `text` ("(x + y) * z") into Values; returns an Expression (.root, e["x"], .params).

    at: the names' values, {"x": -2, "y": 5} or "x=-2,y=5" (as --at takes them). params: the
    names that are parameters, ["w1", "b"] or "w1,b". The root is labelled f (else g, h, f1...
    where a name is f) unless it is a leaf itself. Nothing is differentiated: call root.backward().
    Any mistake is an ExpressionError (a ValueError) saying what is wrong and where.
    """
    if not isinstance(text, str):
        raise TypeError(f"expression: text must be a string, got {type(text).__name__}")
    values = read_values(at)
    wanted = read_names(params, "params")
    tree, plain, columns = parse(text)
    names = check(tree, text, plain, columns, values)
    leaves = {name: Value(values[name], name) for name in names}
    root = Reader(text, plain, columns, leaves).read(tree.body)
    for option, given in (("at", values), ("params", wanted)):  # a typing mistake, likely
        unused = [n for n in given if n not in leaves]
        if unused:
            raise ExpressionError("unused", text, names=", ".join(unused), option=option)
    if not isinstance(root, Value):  # the whole expression is numbers: one constant
        root = Value(root)
    if root.op is not None or not root.label:
        names = itertools.chain(("f", "g", "h"), (f"f{i}" for i in itertools.count(1)))
        root.label = next(n for n in names if n not in leaves)
    return Expression(text, root, leaves, [leaves[n] for n in wanted])


def normalise(text):
    """`text` as Python reads it (NFKC, SPELLINGS, every space a plain one), and for each of
    its characters the position of the character of `text` it came from."""
    out, where = [], []
    for i, c in enumerate(text):
        c = " " if c.isspace() else SPELLINGS.get(c) or unicodedata.normalize("NFKC", c)
        out.append(c)
        where.extend([i] * len(c))
    return "".join(out), where + [len(text)]


def parse(text):
    """Python's tree of `text` (mode "eval"); mistakes it finds come back as ExpressionErrors."""
    if len(text) > MAX_LENGTH:  # before any work on it
        raise ExpressionError("too_long", text, length=len(text), limit=MAX_LENGTH)
    if not text.strip():
        raise ExpressionError("empty", text)
    plain, columns = normalise(text)
    lead = len(plain) - len(plain.lstrip())  # Python reads leading spaces as an indent
    plain, columns = plain[lead:], columns[lead:]
    for i, c in enumerate(plain):
        if unicodedata.category(c)[0] == "C":  # NUL, ESC, bidi overrides: never in maths
            raise ExpressionError("character", text, (columns[i], columns[i] + 1), char=repr(c))
    try:
        with warnings.catch_warnings():  # Python's SyntaxWarnings would print on stderr
            warnings.simplefilter("ignore")
            tree = ast.parse(plain, mode="eval")
    except SyntaxError as err:
        raise syntax_error(err, text, plain, columns) from None
    except (ValueError, MemoryError, RecursionError) as err:  # too complex for Python's parser
        raise ExpressionError("syntax", text, reason=str(err).split(";")[0]) from None
    return tree, plain, columns


def syntax_error(err, text, plain, columns):
    """Python's SyntaxError said as an ExpressionError, pointing where Python points."""
    at = (err.offset or 0) - 1  # a character offset, from 1 (0: no place)
    if at < 0 or at >= len(plain.rstrip()):  # "x +": Python points past the end
        last = columns[len(plain.rstrip()) - 1]
        return ExpressionError("ends_early", text, (last, last + 1))
    span = (columns[at], columns[at] + 1)
    if "never closed" in err.msg:
        return ExpressionError("unclosed", text, span)
    if "unmatched" in err.msg or "does not match" in err.msg:
        return ExpressionError("unmatched", text, span)
    reason = err.msg.split(".")[0].split(";")[0]  # "invalid syntax. Perhaps you forgot a comma?"
    if reason == "invalid syntax":  # Python's most common words, said in ours
        return ExpressionError("cannot_read", text, span)
    return ExpressionError("syntax", text, span, reason=reason)


def span_of(node, plain, columns):
    """The characters of the original text that `node` came from: (start, end)."""
    raw = plain.encode("utf-8")  # ast counts columns in UTF-8 bytes
    start = len(raw[: node.col_offset].decode("utf-8", "replace"))
    end = len(raw[: node.end_col_offset].decode("utf-8", "replace"))
    return columns[start], columns[max(end - 1, start)] + 1


def check(tree, text, plain, columns, values):
    """Every node of `tree` on the allow-list, nested at most MAX_DEPTH deep, every name given
    a value; returns the names in the order they first appear. Iterative: any depth is safe.
    """

    def refuse(kind, node, **details):
        return ExpressionError(kind, text, span_of(node, plain, columns), **details)

    names = {}
    stack = [(tree.body, 1)]
    while stack:  # depth first, left to right: the first mistake in reading order is reported
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise refuse("too_deep", node, limit=MAX_DEPTH)
        inner = []
        if isinstance(node, ast.Constant):
            if type(node.value) not in (int, float):
                raise refuse("not_a_number", node, value=shown(ast.get_source_segment(plain, node)))
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise refuse("function_name", node, name=node.id)
            if node.id not in values:
                missing = [n.id for n in names_in(tree) if n.id not in values]
                missing = list(dict.fromkeys(missing))
                if values:
                    given = ", ".join(values)
                    raise refuse("no_value", node, name=node.id, option="at",
                                 missing=", ".join(missing), given=given)  # fmt: skip
                example = ",".join(f"{n}=1" for n in missing)
                raise refuse("no_values", node, name=node.id, option="at", example=example)
            names.setdefault(node.id, None)
        elif isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            inner = [node.left, node.right]
        elif isinstance(node, ast.UnaryOp) and type(node.op) in (ast.USub, ast.UAdd):
            inner = [node.operand]
        elif isinstance(node, (ast.BinOp, ast.UnaryOp)):
            raise refuse("operator", node, op=REFUSED_OPERATORS[type(node.op)])
        elif isinstance(node, ast.Call):
            inner = check_call(node, refuse)
        else:
            raise refuse(
                "not_allowed", node, what=REFUSED.get(type(node), N_("this kind of expression"))
            )
        stack.extend((child, depth + 1) for child in reversed(inner))
    return list(names)


def names_in(tree):
    """The names of values in `tree` (not those of called functions), in reading order."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called]
    return sorted(found, key=lambda n: (n.col_offset, n.end_col_offset))


def check_call(node, refuse):
    """A call of one of FUNCTIONS with the right number of plain arguments; returns them."""
    if not isinstance(node.func, ast.Name):
        if type(node.func) in REFUSED:  # (lambda: 1)(), x.y(): what it calls is the mistake
            raise refuse("not_allowed", node.func, what=REFUSED[type(node.func)])
        raise refuse("not_callable", node.func)
    name = node.func.id
    if name not in FUNCTIONS:
        raise refuse("not_a_function", node.func, name=name, functions=", ".join(FUNCTIONS))
    _method, inputs, param = FUNCTIONS[name]
    short, long = form(name, inputs, None), form(name, inputs, param)
    if node.keywords:
        raise refuse("keyword", node.keywords[0].value, form=long)
    starred = [a for a in node.args if isinstance(a, ast.Starred)]
    if starred:
        raise refuse("not_allowed", starred[0], what=REFUSED[ast.Starred])
    if not inputs <= len(node.args) <= inputs + (param is not None):
        shown_forms = short if param is None else f"{short} | {long}"
        raise refuse("arity", node, name=name, form=shown_forms, count=len(node.args))
    return node.args


def form(name, inputs, param):
    """How a function is written: tanh(x), max(a, b), leaky_relu(x, alpha)."""
    args = ["x"] if inputs == 1 else ["a", "b"]
    return f"{name}({', '.join(args + ([param] if param else []))})"


class Reader:
    """Builds the Values of a checked tree. It recurses, at most MAX_DEPTH deep (check)."""

    def __init__(self, text, plain, columns, leaves):
        self.text, self.plain, self.columns, self.leaves = text, plain, columns, leaves

    def refuse(self, kind, node, **details):
        return ExpressionError(kind, self.text, span_of(node, self.plain, self.columns), **details)

    def read(self, node):
        """The Value (or, for numbers alone, the float) that `node` stands for."""
        if isinstance(node, ast.Constant):
            return self.literal(node, node.value)
        if isinstance(node, ast.Name):
            return self.leaves[node.id]
        if isinstance(node, ast.UnaryOp):
            a = self.read(node.operand)
            return self.settle(node, lambda: -a if isinstance(node.op, ast.USub) else +a)
        if isinstance(node, ast.BinOp):
            a, b = self.read(node.left), self.read(node.right)
            return self.settle(node, lambda: self.arithmetic(node, a, b), a, b)
        return self.call(node)

    def literal(self, node, value):
        """A literal as a float; 1e999 or a 400-digit integer is refused, not made inf."""
        try:
            x = float(value)
        except OverflowError:
            x = math.inf
        if not math.isfinite(x):
            raise self.refuse("overflow", node, value="inf")
        return x

    def arithmetic(self, node, a, b):
        """a op b as Python computes it: Values make nodes; two numbers give a number, with
        the engine's own rules (real powers only, IEEE overflow, caught by `settle`)."""
        op = OPERATORS[type(node.op)]
        both_numbers = not isinstance(a, Value) and not isinstance(b, Value)
        if op == "**":
            p = b.data if isinstance(b, Value) else b
            if abs(p) > MAX_EXPONENT:  # bound it before computing a ** p
                raise self.refuse("exponent", node.right, value=number(p), limit=MAX_EXPONENT)
            return SCALAR.pow(a, b) if both_numbers else a**b
        if op == "/" and both_numbers:
            return SCALAR.div(a, b)  # 1 / 0 is a ZeroDivisionError, as the engine's x / 0
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b}[
            op
        ]()

    def call(self, node):
        """A function of the op table: Value inputs (a number becomes a constant leaf first,
        as Value(2).tanh() in Python), then its constant parameter, if any."""
        name = node.func.id
        method, inputs, param = FUNCTIONS[name]
        args = [self.read(a) for a in node.args]
        values = [a if isinstance(a, Value) else Value(a) for a in args[:inputs]]
        extra = args[inputs:]
        if extra and isinstance(extra[0], Value):  # alpha, beta: a constant, not a node
            raise self.refuse(
                "constant", node.args[inputs], name=name, param=param, form=f"{name}(x, 0.1)"
            )
        return self.settle(node, lambda: method(*values, *extra), *values)

    def settle(self, node, compute, a=None, b=None):
        """compute(), with the engine's domain errors and any overflow said at `node`
        (a and b: its inputs, for the message)."""
        try:
            y = compute()
        except ExpressionError:  # a ValueError too: an exponent refused before computing
            raise
        except ZeroDivisionError:
            raise self.refuse("zero_division", node) from None
        except ValueError:  # log(x <= 0), (-8) ** 0.5, (-2) ** y: the only ones the rows raise
            x, p = (v.data if isinstance(v, Value) else v for v in (a, b))
            if isinstance(node, ast.Call):
                raise self.refuse("log_domain", node, value=number(x)) from None
            if isinstance(b, Value):
                raise self.refuse("power_base", node, value=number(x)) from None
            raise self.refuse(
                "fractional_power", node, power=f"({number(x)}) ** {number(p)}"
            ) from None
        data = y.data if isinstance(y, Value) else y
        if not finite(data):
            raise self.refuse("overflow", node, value=number(data))
        return y


def number(x):
    """A number in a message: whole numbers whole (387420489), others to 6 digits (0.5)."""
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}" if math.isfinite(x) else str(x)


def read_values(at):
    """`at` as {name: float}: a dict, or text such as "x=-2, y=5" ("ｘ＝－２" too); None: {}."""
    if at is None:
        return {}
    if isinstance(at, str):
        return dict(read_items(at))
    if not isinstance(at, dict):
        raise TypeError(f"expression: at must be a dict or a string, got {type(at).__name__}")
    values = {}
    for name, value in at.items():
        key = unicodedata.normalize("NFKC", name) if isinstance(name, str) else name
        check_name(key, "at")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):  # numpy's too
            raise TypeError(f"expression: at[{name!r}] must be a number, got {value!r}")
        if key in values:
            raise ExpressionError("twice", name=key, option="at")
        values[key] = finite_value(key, value, repr(value))
    return values


def read_items(text):
    """(name, value) pairs from "x=-2,y=5" (commas or spaces between, spaces anywhere)."""
    plain = normalise(text)[0]
    items = [i for part in plain.split(",") for i in re.split(r"\s+(?=[^\s=]+\s*=)", part.strip())]
    seen = {}
    for item in items:
        if not item.strip() and len(items) == 1:
            return []
        name, eq, typed = item.partition("=")
        name, typed = name.strip(), typed.strip()
        if not eq or not name:
            raise ExpressionError("item", item=repr(item.strip()), example="x=-2,y=5", option="at")
        check_name(name, "at")
        if name in seen:
            raise ExpressionError("twice", name=name, option="at")
        seen[name] = finite_value(name, read_number(name, typed), typed)
    return list(seen.items())


def read_number(name, typed):
    """A value as the player's quiz reads one (viz.format.read_number): -4, 0.5, .5, 1e-3, 1/3."""
    value = read_typed(typed)
    if value is None:
        raise ExpressionError("number", value=repr(typed), name=name, option="at")
    return value


def finite_value(name, value, typed):
    try:
        x = float(value)
    except OverflowError:
        x = math.inf
    if not math.isfinite(x):
        raise ExpressionError("infinite", name=name, value=typed, option="at")
    return x


def check_name(name, option):
    """A name as Python reads one (x, w1, b_2); an op's name (exp, max) cannot be a value."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ExpressionError("name", name=repr(name), option=option)
    if name in FUNCTIONS:
        raise ExpressionError("function_name", name=name, option=option)


def read_names(names, option):
    """Parameter names: a list, or text such as "w1,w2,b" (spaces or full-width commas too)."""
    if names is None:
        return []
    if isinstance(names, str):
        names = [n for n in re.split(r"[,\s]+", normalise(names)[0]) if n]
    else:
        names = [unicodedata.normalize("NFKC", n) if isinstance(n, str) else n for n in names]
    for name in names:
        check_name(name, option)
    return list(dict.fromkeys(names))
