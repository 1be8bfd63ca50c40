"""Lesson 3: a 2-2-1 sigmoid network predicts a part's lifetime, then learns from one error.

Run it:  chainrule run part-lifetime
Look at: the forward pass reproduces the article's 0.867; the loss (y - 1)^2; every
gradient, output layer first (∂L/∂y, then s(1 - s), then the weights); one SGD step at
learning rate 0.5; and the second forward pass, whose loss is lower.
"""

from autograd import Value, scope
from viz.i18n import N_, _, pgettext
from viz.narrate import paren
from viz.notation import partial

from .common import Lesson

X = [0.1, 0.2]  # length, width
W1 = [[0.1, 0.2], [0.3, 0.4]]  # row i = input feature i, column j = hidden unit j
B1 = [0.1, 0.2]
W2 = [1.5, 1.5]
B2 = 0.2
TARGET = 1.0
LR = 0.5


def make_parameters():
    """Named Values for every weight and bias, as in the article's W1, b1, W2, b2."""
    w1 = [[Value(W1[i][j], f"w1_{i}{j}") for j in range(2)] for i in range(2)]
    b1 = [Value(B1[j], f"b1_{j}") for j in range(2)]
    w2 = [Value(W2[j], f"w2_{j}0") for j in range(2)]
    b2 = Value(B2, "b2")
    return w1, b1, w2, b2


def inputs():
    """The part's length and width as labelled inputs x0, x1 (the picture names them)."""
    return [Value(v, f"x{i}") for i, v in enumerate(X)]


def forward(params, x=None):
    """Hidden = sigmoid(x . W1 + b1); output = sigmoid(hidden . W2 + b2)."""
    w1, b1, w2, b2 = params
    x = x or inputs()
    hidden = []
    for j in range(2):
        with scope(f"hidden{j}"):
            u = x[0] * w1[0][j] + x[1] * w1[1][j] + b1[j]
            u.label = f"u{j}"
            h = u.sigmoid()
            h.label = f"h{j}"
        hidden.append(h)
    with scope("output"):
        u2 = hidden[0] * w2[0] + hidden[1] * w2[1] + b2
        u2.label = "u2"
        y = u2.sigmoid()
        y.label = "y"
    return y, hidden


def loss_of(y):
    """Mean squared error over the one example: (y - target)^2."""
    loss = (y - Value(TARGET, pgettext("node label", "target"))) ** 2
    loss.label = "L"
    return loss


def build():
    """The loss graph at the article's parameters (what the pictures show)."""
    params = make_parameters()
    return loss_of(forward(params)[0])


def d(node):
    """∂L/∂node, as every lesson writes a gradient."""
    return partial("L", node)


def run(lesson):
    num = lesson.num
    params = make_parameters()
    w1, b1, w2, b2 = params
    y, hidden = forward(params)
    loss = loss_of(y)
    lesson.say(_("Forward pass:"))
    for j, h in enumerate(hidden):
        u = h.inputs[0]
        lesson.say(
            f"  u{j} = {X[0]}*{W1[0][j]} + {X[1]}*{W1[1][j]} + {B1[j]} = {num(u.data)},"
            f"  h{j} = sigmoid(u{j}) = {num(h.data)}"
        )
    u2 = y.inputs[0]
    lesson.say(
        f"  u2 = h0*{W2[0]} + h1*{W2[1]} + {B2} = {num(u2.data)},  y = sigmoid(u2) = {num(y.data)}"
    )
    said = _("predicted lifetime {y} years; the real one is {target}")
    lesson.say("  " + said.format(y=f"{y.data:.3f}", target=f"{TARGET:g}"))
    said = _("loss L = (y - {target})^2 = {loss}")
    lesson.say("  " + said.format(target=f"{TARGET:g}", loss=num(loss.data)))
    loss.backward()
    lesson.say("")
    lesson.say(_("Backward pass, output layer first (each last factor is a local derivative):"))
    lesson.say(f"  {d('y')} = 2(y - 1) = {num(y.grad)}")
    said = _("local {derivative} = σ(u2)·(1 - σ(u2)) = y(1 - y) = {value}")
    lesson.say(
        "  " + said.format(derivative=partial("σ(u2)", "u2"), value=num(y.data * (1 - y.data)))
    )
    lesson.say(f"  {d('u2')} = {d('y')} · y(1 - y) = {num(u2.grad)}")
    for j in range(2):
        lesson.say(f"  {d(f'w2_{j}0')} = {d('u2')} · h{j} = {num(w2[j].grad)}")
    lesson.say(f"  {d('b2')} = {d('u2')} · 1 = {num(b2.grad)}")
    for j in range(2):
        h = hidden[j]
        lesson.say(
            f"  {d(f'h{j}')} = {d('u2')} · w2_{j}0 = {num(h.grad)};"
            f"  {d(f'u{j}')} = {d(f'h{j}')} · h{j}(1 - h{j}) = {num(h.inputs[0].grad)}"
        )
    for i in range(2):
        for j in range(2):
            lesson.say(f"  {d(f'w1_{i}{j}')} = {d(f'u{j}')} · x{i} = {num(w1[i][j].grad)}")
    for j in range(2):
        lesson.say(f"  {d(f'b1_{j}')} = {d(f'u{j}')} · 1 = {num(b1[j].grad)}")
    every = [w for row in w1 for w in row] + b1 + w2 + [b2]
    lesson.say("")
    lesson.say(_("One SGD step, learning rate {lr}: parameter -= {lr} · gradient").format(lr=LR))
    for p in every:
        new = p.data - LR * p.grad
        lesson.say(f"  {p.label:>6}: {num(p.data)} - {LR} · {paren(num(p.grad))} = {num(new)}")
        p.data = new
    y_after = forward(params)[0]
    loss_after = loss_of(y_after)
    lesson.say("")
    said = _("Second forward pass: y = {y}, loss {before} -> {after} (lower)")
    lesson.say(said.format(y=num(y_after.data), before=num(loss.data), after=num(loss_after.data)))
    lesson.record(
        y=y.data, loss=loss.data, y_after=y_after.data, loss_after=loss_after.data, d_b2=b2.grad
    )
    # The pictures show the graph at the article's parameters, before the step, backpropagated.
    start = make_parameters()
    drawn = loss_of(forward(start)[0])
    drawn.backward()
    w1, b1, w2, b2 = start
    lesson.pictures(drawn, params=[w for row in w1 for w in row] + b1 + w2 + [b2])
    lesson.look_for(_("the output's 0.867 and, in graph.svg, each weight's gradient in its box"))
    lesson.look_for(_("x0 and x1 (blue: inputs) feed both hidden units; ∂L/∂w1_00 = ∂L/∂u0 · x0"))
    lesson.look_for(_("∂L/∂u2 = ∂L/∂y · y(1 - y): the sigmoid's local derivative, on its edge"))
    lesson.look_for(_("after one step at learning rate 0.5 the loss is lower: gradient descent"))


LESSON = Lesson(
    "part-lifetime",
    N_("a 2-2-1 sigmoid network: 0.867, MSE, every gradient, one SGD step"),
    run,
    build,
    title=N_("3. Part lifetime"),
)
