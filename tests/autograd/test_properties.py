"""Property-based: random expression graphs agree with finite differences."""

from hypothesis import given
from hypothesis import strategies as st

from autograd import gradcheck

UNARY = ["tanh", "sigmoid", "exp_small", "square", "softplus", "gelu", "neg"]
BINARY = ["add", "sub", "mul", "div_safe"]


def apply_unary(name, x):
    return {
        "tanh": lambda: x.tanh(),
        "sigmoid": lambda: x.sigmoid(),
        "exp_small": lambda: (x * 0.1).exp(),
        "square": lambda: x**2,
        "softplus": lambda: x.softplus(),
        "gelu": lambda: x.gelu(),
        "neg": lambda: -x,
    }[name]()


def apply_binary(name, a, b):
    return {
        "add": lambda: a + b,
        "sub": lambda: a - b,
        "mul": lambda: a * b,
        "div_safe": lambda: a / (b * b + 1.0),
    }[name]()


program = st.lists(
    st.one_of(
        st.tuples(st.just("u"), st.sampled_from(UNARY), st.integers(0, 99)),
        st.tuples(st.just("b"), st.sampled_from(BINARY), st.integers(0, 99), st.integers(0, 99)),
    ),
    min_size=1,
    max_size=25,
)
inputs = st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4)


def run(prog, xs):
    nodes = list(xs)
    for instr in prog:
        if instr[0] == "u":
            nodes.append(apply_unary(instr[1], nodes[instr[2] % len(nodes)]))
        else:
            nodes.append(
                apply_binary(instr[1], nodes[instr[2] % len(nodes)], nodes[instr[3] % len(nodes)])
            )
    out = nodes[-1]
    for n in nodes[len(xs) : -1]:  # every intermediate reaches the output: fan-out everywhere
        out = out + n * 0.5
    return out


@given(program, inputs)
def test_random_graphs_match_finite_differences(prog, xs):
    result = gradcheck(lambda *vs: run(prog, vs), xs, atol=1e-4, rtol=1e-3)
    assert result.ok, result.table()
