"""How every output writes a derivative: the stepper, the player, the frames, the path view,
the lessons and the LaTeX all call these, so one lesson never shows two notations.
"""

import re

PLAIN = re.compile(r"[^\W\d][\w.]*")  # x, w1_00, layer1.neuron3.w0, 总价: no brackets needed


def term(name):
    """A name as it stands in a derivative: in brackets when it has spaces or operators."""
    return name if PLAIN.fullmatch(name) else f"({name})"


def partial(top, bottom):
    """The derivative of `top` by `bottom` as text: ∂f/∂x, ∂y/∂(w.x + b)."""
    return f"∂{term(top)}/∂{term(bottom)}"
