"""Pictures of the computation graph: draw_dot builds a graphviz.Digraph, render lays it out
(with the system's Graphviz dot, else graphviz-pure from pip).

g = viz.draw_dot(loss, params=model)   # shows inline in Jupyter; g.source is DOT text
viz.save(g, "out/loss.svg")            # .svg, .png or .pdf, from the suffix
viz.set_renderer("graphviz-pure")      # or "dot", or "auto" (the default)
"""

from .dot import draw_dot
from .path import Path, Paths, draw_path, find_paths
from .render import GraphvizNotFoundError, save, set_renderer, to_svg
from .text import to_json, to_text

__all__ = [
    "GraphvizNotFoundError",
    "Path",
    "Paths",
    "draw_dot",
    "draw_path",
    "find_paths",
    "save",
    "set_renderer",
    "to_json",
    "to_svg",
    "to_text",
]

# The backprop stepper and player (issue 4).
from .frames import backprop_frames  # noqa: E402
from .narrate import backprop_story, narrate  # noqa: E402
from .player import backprop_html  # noqa: E402
from .stepper import step_terminal  # noqa: E402

__all__ += ["backprop_frames", "backprop_html", "backprop_story", "narrate", "step_terminal"]

# A teacher's own example typed as maths, read into Values (issue 17).
from .expression import ExpressionError, expression  # noqa: E402

__all__ += ["ExpressionError", "expression"]

# Forward mode told node by node, as backprop_story tells reverse mode (issue 18).
from .tangent import TangentStory, forward_story  # noqa: E402

__all__ += ["TangentStory", "forward_story"]

# The same graph checked against torch.autograd, leaf by leaf (issue 19; torch only when called).
from .compare import Comparison, compare_torch  # noqa: E402

__all__ += ["Comparison", "compare_torch"]
