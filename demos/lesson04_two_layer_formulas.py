"""Lesson 4: the two-layer formulas: a weight's gradient is a product along its path.

Run it:  chainrule run two-layer-formulas
Look at: the network of lesson 3. The path from the loss down to w2_00 crosses three named
steps (y, u2, then the weight), so ∂L/∂w2_00 = ∂L/∂y · ∂y/∂u2 · ∂u2/∂w2_00; the path to
w1_00 crosses two more (h0, u0). Each factor is the product of the local derivatives on
its stretch of the path, and the whole product equals what backward() computed.
path_w1_00.svg and path_w2_00.svg draw each path with the local derivative on every edge.
"""

from autograd import topological_order
from viz.format import pad, rpad
from viz.i18n import N_, _, ngettext
from viz.narrate import paren
from viz.notation import partial

from .common import Lesson
from .lesson03_part_lifetime import build as build_network

WEIGHTS = {  # the slides' names: g is the output's activation, f the hidden one
    "w2_00": "∂Loss/∂g(u2) · ∂g/∂u2 · ∂u2/∂w2_00",
    "w1_00": "∂Loss/∂g(u2) · ∂g/∂u2 · ∂u2/∂f(u0) · ∂f/∂u0 · ∂u0/∂w1_00",
}


def build():
    """Lesson 3's loss graph, backpropagated."""
    loss = build_network()
    loss.backward()
    return loss


def factors(path):
    """Split a path at its labelled nodes: [(upper, lower, product of the locals between)]."""
    out, upper, product = [], path.nodes[0], 1.0
    for local, node in zip(path.locals, path.nodes[1:]):
        product *= local
        if node.label:
            out.append((upper.label, node.label, product))
            upper, product = node, 1.0
    return out


def shown(node):
    """A node's label, or [op] for an unnamed intermediate (the + that sums a neuron's inputs)."""
    return node.label or f"[{node.op.label}]"


def run(lesson):
    import viz  # the path view lives with the other pictures

    num = lesson.num
    loss = build()
    lesson.say(_("The 2-2-1 sigmoid network of lesson 3 (loss L = (y - 1)^2), after backward()."))
    weights = [n for n in topological_order(loss) if n.label and n.label[0] in "wb"]
    checks = {}
    for weight, slides in WEIGHTS.items():
        found = viz.find_paths(loss, weight)
        (path,) = found.paths  # one path each: no weight here feeds two places
        steps = factors(path)
        lesson.say("")
        n = len(path.locals)
        said = ngettext(
            "{derivative}: {n} edge from L down to {w}:",
            "{derivative}: {n} edges from L down to {w}:",
            n,
        )
        lesson.say(said.format(derivative=partial("L", weight), n=n, w=weight))
        for upper, lower, local in zip(path.nodes, path.nodes[1:], path.locals):
            said = _("{upper} -> {lower} local {value}")  # local: the edge's local derivative
            row = said.format(
                upper=rpad(shown(upper), 8), lower=pad(shown(lower), 8), value=num(local)
            )
            lesson.say(f"    {row}")
        lesson.say("  " + _("grouped at the named nodes, as the slides write it:"))
        for upper, lower, product in steps:
            lesson.say(f"    {partial(upper, lower)} = {num(product)}")
        chain = " · ".join(partial(u, w) for u, w, _ in steps)
        numbers = " · ".join(paren(num(p)) for _, _, p in steps)
        lesson.say(f"  {chain}")
        lesson.say(f"    = {numbers} = {num(found.total)}")
        said = _("backward() gave {attribute} = {value}")
        lesson.say("  " + said.format(attribute=f"{weight}.grad", value=num(found.node.grad)))
        said = _("(the slides: {derivative} = {formula})")
        lesson.say("  " + said.format(derivative=partial("Loss", weight), formula=slides))
        checks[weight] = {
            "product": found.total,
            "grad": found.node.grad,
            "factors": [p for _, _, p in steps],
            "names": [(u, w) for u, w, _ in steps],
        }
        try:
            path_svg = lesson.path(f"path_{weight}.svg")
            viz.save(viz.draw_path(loss, weight, params=weights), path_svg)
            said = _("the path from L to {w}: multiply the edge labels")
            lesson.wrote(path_svg, said.format(w=weight))
        except viz.GraphvizNotFoundError:
            said = _("{filename} (Graphviz missing)")
            lesson.skipped.append(said.format(filename=f"path_{weight}.svg"))
    y = loss.inputs[0].inputs[0]  # L = (y - 1)**2
    lesson.say("")
    said = _(
        "Both products start with ∂L/∂y = 2(y - 1) = {dy} and ∂y/∂u2 = y(1 - y) = {du2}:\n"
        "backprop computes those shared factors once and hands them down both paths."
    )
    for line in said.format(dy=num(2 * (y.data - 1)), du2=num(y.data * (1 - y.data))).splitlines():
        lesson.say(line)
    lesson.record(paths=checks)
    lesson.pictures(loss, params=weights)
    lesson.look_for(_("the edge labels on each path multiply to the gradient in its box"))
    lesson.look_for(_("both paths share their first edges: the common factors ∂L/∂y, ∂y/∂u2"))


LESSON = Lesson(
    "two-layer-formulas",
    N_("the path from the loss to w1_00 and w2_00, product = gradient"),
    run,
    build,
    title=N_("4. Two-layer paths"),
)
