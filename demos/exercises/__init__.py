"""The "write the derivative" exercises that `chainrule exercise op NAME FILE` grades.

One row per exercise: the op of the engine's table it asks for (None: the student's own op,
graded against the slope of their own forward alone), its formula, and the mistakes a
teacher meets most often, each with what to say. `starter(name, file)` is the file a student
fills in (`--template`), its task in the current language.
"""

import math
import re

from viz.i18n import N_, _


class Exercise:
    """One exercise: what the student writes and the wrong answers worth naming."""

    __slots__ = ("name", "op", "arity", "formula", "task", "mistakes")

    def __init__(self, name, op, arity, formula, task, mistakes=()):
        self.name, self.op, self.arity, self.formula = name, op, arity, formula
        self.task = task  # N_()-marked: what the student is asked, beyond the formula
        # (slot, wrong(a, [b,] y), hint): the student's slot-th derivative equals wrong(...)
        # at every point where it is wrong, so the hint says which mistake it is.
        self.mistakes = mistakes


def sigmoid(a):
    """σ(a), with no overflow at either end (as the engine computes it)."""
    return 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))


A_FOR_Y = N_(
    "Your formula is right, but with a in place of y: local gets the output y as well as "
    "the input a, and this formula needs y."
)
SWAPPED = N_("This is the other input's derivative: local returns (∂y/∂a, ∂y/∂b), in that order.")

# fmt: off
EXERCISES = {e.name: e for e in [
    Exercise("sigmoid", "sigmoid", 1, "y = σ(a) = 1 / (1 + e^(-a))",
             N_("The sigmoid squashes any number into (0, 1). Its local derivative is neatest "
                "written with the output y."),
             [(0, lambda a, y: a * (1 - a), A_FOR_Y),
              (0, lambda a, y: -y * y,
               N_("You took the derivative of 1/u, which is -1/u², and stopped: the chain rule "
                  "also multiplies by du/da, the derivative of u = 1 + e^(-a)."))]),
    Exercise("tanh", "tanh", 1, "y = tanh(a) = (e^a - e^(-a)) / (e^a + e^(-a))",
             N_("tanh squashes any number into (-1, 1). Its local derivative is neatest "
                "written with the output y."),
             [(0, lambda a, y: 1 - a * a, A_FOR_Y),
              (0, lambda a, y: 1 - y, N_("Nearly: the derivative of tanh has y squared in it.")),
              (0, lambda a, y: 1 + y * y, N_("Nearly: check the sign in front of y².")),
              ]),
    Exercise("softplus", "softplus", 1, "y = softplus(a) = log(1 + e^a)",
             N_("A smooth ReLU: close to 0 for a << 0, close to a for a >> 0."),
             [(0, lambda a, y: sigmoid(-a),
               N_("You took the derivative of log(u), which is 1/u, and stopped: the chain rule "
                  "also multiplies by du/da, the derivative of u = 1 + e^a.")),
              (0, lambda a, y: math.exp(a),
               N_("This is only du/da for u = 1 + e^a: the chain rule also multiplies by the "
                  "derivative of log(u), which is 1/u."))]),
    Exercise("division", "div", 2, "y = a / b",
             N_("Division has two inputs, so local returns two local derivatives. The grader "
                "never divides by 0: b is kept at least 0.1 away from it."),
             [(1, lambda a, b, y: -a / b,
               N_("Nearly: a / b = a·b⁻¹, so ∂y/∂b = -a·b⁻² = -y/b. Your answer has a where y "
                  "goes (b is missing once).")),
              (1, lambda a, b, y: -1 / (b * b),
               N_("Nearly: ∂(a·b⁻¹)/∂b = -a·b⁻². Your answer is missing the factor a.")),
              (0, lambda a, b, y: b,
               N_("This is the rule for a·b. Here a is multiplied by 1/b.")),
              (0, lambda a, b, y: -y / b, SWAPPED),
              (1, lambda a, b, y: 1 / b, SWAPPED)]),
    Exercise("own", None, None, None,
             N_("Your own op: choose any function, write it on the first line of this "
                "docstring, then its forward and local derivative. It is graded by finite "
                "differences alone: local must match the slope of your own forward. For two "
                "inputs write forward(a, b) and local(a, b, y), returning (∂y/∂a, ∂y/∂b).")),
]}
# fmt: on

# What `chainrule exercise list` says about each (shown with _()).
SUMMARIES = {
    "sigmoid": N_("the sigmoid σ(a)"),
    "tanh": N_("the hyperbolic tangent tanh(a)"),
    "softplus": N_("log(1 + e^a), a smooth ReLU"),
    "division": N_("a / b, an op with two inputs"),
    "own": N_("your own op: any function you choose, graded by finite differences"),
}


def paragraph(text, columns=88):
    """`text` as lines of at most `columns` (by display width: Chinese takes two a character),
    never broken inside `code` (`forward(a, b)` stays whole)."""
    from demos.cli import wrap  # the command line's wrapper, which knows Chinese has no spaces

    joiner = "\u2060"  # a word joiner holds a `code` span together while the lines are cut
    held = re.sub(r"`[^`]*`", lambda m: m.group().replace(" ", joiner), text)
    return "\n".join(line.replace(joiner, " ") for line in wrap(held, columns))


def starter(name, file):
    """The text of the file a student fills in for exercise `name`, saved as `file`."""
    e = EXERCISES[name]
    if e.op is None:
        # TRANSLATORS: the first line of the student's own op's file; they replace the "?".
        first = _("f(a) = ?   (write your function here, e.g. f(a) = a·exp(-a))")
        formula = ""
    else:
        # TRANSLATORS: {name} is the exercise's name (sigmoid, division): keep it as it is.
        first = _("Exercise {name}: write the forward rule and the local derivative.").format(
            name=name
        )
        formula = f"\n    {e.formula}\n"
    if e.arity == 2:
        how = _(
            "forward(a, b) returns the output y. local(a, b, y) returns the two local "
            "derivatives (∂y/∂a, ∂y/∂b): the numbers backprop multiplies by the upstream "
            "gradient."
        )
        signatures = ("a, b", "a, b, y")
        give = _("return (∂y/∂a, ∂y/∂b): a pair of numbers")
    else:
        how = _(
            "forward(a) returns the output y. local(a, y) returns the local derivative ∂y/∂a: "
            "the number backprop multiplies by the upstream gradient. It gets the output y as "
            "well as the input a, as the engine's op table does: use whichever is simpler."
        )
        signatures = ("a", "a, y")
        give = _("return ∂y/∂a: one number")
    check = _("Check your answer (this runs your file, as `python {file}` would):").format(
        file=file
    )
    returns = _("return the output y")
    task, how, check = (paragraph(text) for text in (_(e.task), how, check))
    return (
        f'"""{first}\n{formula}\n{task}\n\n{how}\n\n{check}\n\n'
        f'    chainrule exercise op {name} {file}\n"""\n\n'
        "import math\n\n\n"
        f"def forward({signatures[0]}):\n"
        f"    # {returns}\n"
        '    raise NotImplementedError("forward")\n\n\n'
        f"def local({signatures[1]}):\n"
        f"    # {give}\n"
        '    raise NotImplementedError("local")\n'
    )
