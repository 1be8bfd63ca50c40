"""Lesson 2: the chain rule on f = (x + y) * z at x = -2, y = 5, z = -4.

Run it:  chainrule run chain-rule   (make demo runs this one)
Look at: the forward values (q = 3, f = -12), then each backward step: ∂f/∂x is the gradient
arriving at q, ∂f/∂q = -4, times the local derivative ∂(x + y)/∂x = 1. In graph.svg the same
numbers sit on the edges; backprop.html steps through them.
"""

from autograd import Value
from viz.i18n import N_, _

from .common import Lesson, print_backward, print_forward


def build():
    """The expression, labelled as the source document writes it."""
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f


def run(lesson):
    """Print the forward pass and every backward step; write the pictures."""
    f = build()
    print_forward(lesson, f)
    steps = print_backward(lesson, f)
    grads = {s.node.label: s.grad for s in steps}
    lesson.record(
        q=f.inputs[0].data, f=f.data, dx=grads["x"], dy=grads["y"], dz=grads["z"], dq=grads["q"]
    )
    lesson.pictures(f)
    lesson.look_for(_("in graph.svg: ∂f/∂x = (q's grad -4) · (local 1 on x's edge) = -4"))
    lesson.look_for(_("z's gradient is q's value, 3: the local ∂(q * z)/∂z is q"))
    lesson.look_for(
        _("backprop.html: press Q, then try to say each gradient before it is revealed")
    )


LESSON = Lesson(
    "chain-rule",
    N_("f = (x + y)·z at (-2, 5, -4): f = -12, ∂f/∂x = ∂f/∂y = -4, ∂f/∂z = 3"),
    run,
    build,
    title=N_("2. f = (x + y)·z"),
)
