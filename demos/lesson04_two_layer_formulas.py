"""Lesson 4: the two-layer formulas: a weight's gradient is a product along its path.

Run it:  chainrule run two-layer-formulas
Look at: the network of lesson 3. The path from the loss down to w2_00 crosses three named
steps (y, u2, then the weight), so ∂L/∂w2_00 = ∂L/∂y · ∂y/∂u2 · ∂u2/∂w2_00; the path to
w1_00 crosses two more (h0, u0). Each factor is the product of the local derivatives on
its stretch of the path, and the whole product equals what backward() computed.
path_w1_00.svg and path_w2_00.svg draw each path with the local derivative on every edge.
"""

from autograd import topological_order
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
    lesson.say("The 2-2-1 sigmoid network of lesson 3 (loss L = (y - 1)^2), after backward().")
    weights = [n for n in topological_order(loss) if n.label and n.label[0] in "wb"]
    checks = {}
    for weight, slides in WEIGHTS.items():
        found = viz.find_paths(loss, weight)
        (path,) = found.paths  # one path each: no weight here feeds two places
        steps = factors(path)
        lesson.say("")
        lesson.say(f"{partial('L', weight)}: {len(path.locals)} edges from L down to {weight}:")
        for upper, lower, local in zip(path.nodes, path.nodes[1:], path.locals):
            lesson.say(f"    {shown(upper):>8} -> {shown(lower):<8} local {num(local)}")
        lesson.say("  grouped at the named nodes, as the slides write it:")
        for upper, lower, product in steps:
            lesson.say(f"    {partial(upper, lower)} = {num(product)}")
        chain = " · ".join(partial(u, w) for u, w, _ in steps)
        numbers = " · ".join(paren(num(p)) for _, _, p in steps)
        lesson.say(f"  {chain}")
        lesson.say(f"    = {numbers} = {num(found.total)}")
        lesson.say(f"  backward() gave {weight}.grad = {num(found.node.grad)}")
        lesson.say(f"  (the slides: {partial('Loss', weight)} = {slides})")
        checks[weight] = {
            "product": found.total,
            "grad": found.node.grad,
            "factors": [p for _, _, p in steps],
            "names": [(u, w) for u, w, _ in steps],
        }
        try:
            path_svg = lesson.path(f"path_{weight}.svg")
            viz.save(viz.draw_path(loss, weight, params=weights), path_svg)
            lesson.wrote(path_svg, f"the path from L to {weight}: multiply the edge labels")
        except viz.GraphvizNotFoundError:
            lesson.skipped.append(f"path_{weight}.svg (Graphviz missing)")
    y = loss.inputs[0].inputs[0]  # L = (y - 1)**2
    lesson.say("")
    lesson.say(
        f"Both products start with ∂L/∂y = 2(y - 1) = {num(2 * (y.data - 1))} and ∂y/∂u2 ="
        f" y(1 - y) = {num(y.data * (1 - y.data))}:"
    )
    lesson.say("backprop computes those shared factors once and hands them down both paths.")
    lesson.record(paths=checks)
    lesson.pictures(loss, params=weights)
    lesson.look_for("the edge labels on each path multiply to the gradient in its box")
    lesson.look_for("both paths share their first edges: the common factors ∂L/∂y, ∂y/∂u2")


LESSON = Lesson(
    "two-layer-formulas",
    "the path from the loss to w1_00 and w2_00, product = gradient",
    run,
    build,
    title="4. Two-layer paths",
)
