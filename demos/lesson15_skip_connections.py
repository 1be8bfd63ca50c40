"""Lesson 15: skip connections: y = x + f(x) keeps a path of 1s from the loss to the input.

Run it:  chainrule run skip-connections
Look at: two stacks of 20 sigmoid layers with the same weights. In the plain one the
gradient norm shrinks about 4.5x per layer towards the input (about 13 orders of magnitude in
all); wrapped in residual connections, every layer's norm stays within a small factor of the
others. Why: a residual block has ∂y/∂x = 1 + ∂f/∂x, and the 1 is the add's local
derivative. A chain of three 1-unit blocks, each sigmoid at its steepest (σ' = 0.25), gives
∂h3/∂x = 1.25 · 1.25 · 1.25 = 1.953125; multiplied out, that is the sum over the 8 paths
from h3 to x, one of which goes along the skips only: 1 · 1 · 1 = 1. path.svg draws those
paths from the loss; graph.svg draws the chain with each f folded to one box.
"""

from collections import namedtuple

import numpy as np

from autograd import Value
from nn.diagnostics import grad_norms
from nn.layers import Layer
from nn.losses import mse_loss
from nn.residual import Residual, deep_stack
from viz.format import fmt
from viz.i18n import N_, _, ngettext
from viz.narrate import paren
from viz.notation import partial

from . import plots
from .common import Lesson, parameters_of

WIDTH, DEPTH, EXAMPLES = 8, 20, 32
# The pictured chain: x = 1, every weight 1, and each bias minus its block's input
# (h0 = 1, h1 = 1.5, h2 = 2), so every sigmoid reads 0, where its slope is largest: 0.25.
X0, TARGET = 1.0, 2.0
BIASES = (-1.0, -1.5, -2.0)
BLOCKS = len(BIASES)

STACKS = {N_("plain"): False, N_("residual"): True}  # the results' key -> residual=
# One block of the chain: its input x, u = w·x + b, s = sigmoid(u), output h = x + s.
Block = namedtuple("Block", "x u s h w b")


def exact(x):
    """A number with all the digits it has (1.953125), up to 10: the chain's are exact."""
    return fmt(x, precision=10)


def chain():
    """The pictured chain's Blocks and L = (h3 - t)^2, not yet backpropagated.

    Each block is Residual(Layer(1, 1)), the layer named f1, f2, f3 and the block unnamed, so
    collapse=True folds each f to one box (in a frame of its own) and leaves the adds drawn.
    """
    h, blocks = [Value(X0, "x")], []
    for i, bias in enumerate(BIASES, 1):
        f = Layer(1, 1, activation="sigmoid", rng=0)
        f.name = f"f{i}"
        w, b = f.neurons[0].w[0], f.neurons[0].b
        w.data, b.data, w.label, b.label = 1.0, bias, f"w{i}", f"b{i}"
        x = h[0]
        h = Residual(f)(h)  # [x + sigmoid(b + w x)]
        s = h[0].inputs[1]
        s.inputs[0].label, s.label, h[0].label = f"u{i}", f"s{i}", f"h{i}"
        blocks.append(Block(x, s.inputs[0], s, h[0], w, b))
    d = h[0] - Value(TARGET, "t")
    d.label = "d"
    loss = d**2
    loss.label = "L"
    return blocks, loss


def build():
    """Three 1-unit residual sigmoid blocks from x = 1, L = (h3 - t)^2, backpropagated."""
    _blocks, loss = chain()
    loss.backward()
    return loss


def stacks(lesson):
    """The plain and the residual stack on the same data: their per-layer gradient norms."""
    rng = np.random.default_rng(lesson.seed)
    X, Y = rng.standard_normal((EXAMPLES, WIDTH)), rng.standard_normal((EXAMPLES, WIDTH))
    lesson.say(
        _(
            "Two stacks of {depth} sigmoid layers, {width} units each, with the same weights\n"
            "(Xavier init); {n} random examples, MSE. The residual stack wraps every layer in\n"
            "a skip connection: h = x + f(x)."
        ).format(depth=DEPTH, width=WIDTH, n=EXAMPLES)
    )
    said = _("Gradient norm of each layer's parameters, layer 1 (next to the input) to {depth}:")
    lesson.say(said.format(depth=DEPTH))
    norms, ratios = {}, {}
    half = DEPTH // 2
    for name, residual in STACKS.items():
        model = deep_stack(WIDTH, DEPTH, residual=residual, rng=lesson.seed)
        loss = mse_loss(model([Value(column) for column in X.T]), Y.T)
        model.zero_grad()
        loss.backward()
        each = list(grad_norms(model).values())  # layer1 (next to the input) first
        norms[name], ratios[name] = each, each[0] / each[-1]
        lesson.say(_("  {name} (loss {loss:.3g}):").format(name=_(name), loss=loss.data))
        for lo, hi in ((1, half), (half + 1, DEPTH)):
            row = " ".join(f"{n:.1e}" for n in each[lo - 1 : hi])
            lesson.say(_("    layers {lo}-{hi}: {norms}").format(lo=lo, hi=hi, norms=row))
        # the geometric mean of the 19 ratios between neighbouring layers
        factor = ratios[name] ** (1 / (DEPTH - 1))
        said = _("    layer 1 / layer {depth} = {ratio:.1e}: on average ×{factor:.2f} per layer")
        lesson.say(said.format(depth=DEPTH, ratio=ratios[name], factor=factor))
    lesson.say(
        _(
            "Each residual block adds a sigmoid (between 0 and 1) to its input, so that stack's\n"
            "outputs, loss and norms are larger: compare how each row changes from layer {depth}\n"
            "down to layer 1, not how high it is."
        ).format(depth=DEPTH)
    )
    lesson.record(norms=norms, ratios=ratios)
    return norms


def blocks_by_hand(lesson):
    """The pictured chain, every number by hand: ∂h/∂x = 1 + ∂f/∂x per block, then the paths."""
    import viz  # the path view lives with the other pictures

    blocks, loss = chain()
    loss.backward()
    lesson.say("")
    said = _("Why: a residual block h = x + f(x) has {d} = 1 + {df}; the 1 is the add's.")
    lesson.say(said.format(d=partial("h", "x"), df=partial("f", "x")))
    said = _("{n} blocks of one unit from x = {x}; block i computes (with {first}):")
    lesson.say(said.format(n=BLOCKS, x=exact(X0), first="h0 = x"))
    lesson.say("    u_i = w_i·h_(i-1) + b_i,  s_i = σ(u_i),  h_i = h_(i-1) + s_i")
    lesson.say(
        _(
            "Every {w} = 1 and {b} = {minus}, so every sigmoid reads 0, where its slope\n"
            "s(1 - s) is largest: 0.25."
        ).format(w="w_i", b="b_i", minus="-h_(i-1)")
    )
    local = []  # ∂h_i/∂h_(i-1) = 1 + w_i s_i (1 - s_i), block by block
    for i, k in enumerate(blocks, 1):
        slope = k.s.data * (1.0 - k.s.data)
        local.append(1.0 + k.w.data * slope)
        said = _(
            "  block {i}: {u} = {w}·{x} + {b} = {wv} · {xv} + {bv} = {uv}, "
            "{s} = σ({uv}) = {sv}, {h} = {x} + {s} = {hv}"
        )
        lesson.say(
            said.format(
                i=i,
                u=k.u.label,
                w=k.w.label,
                x=k.x.label,
                b=k.b.label,
                wv=exact(k.w.data),
                xv=exact(k.x.data),
                bv=paren(exact(k.b.data)),
                uv=exact(k.u.data),
                s=k.s.label,
                sv=exact(k.s.data),
                h=k.h.label,
                hv=exact(k.h.data),
            )
        )
        d, w, s = partial(k.h.label, k.x.label), k.w.label, k.s.label  # pure maths: not translated
        numbers = f"1 + {exact(k.w.data)} · {exact(slope)} = {exact(local[-1])}"
        shown = f"{d} = 1 + {w}·{s}(1 - {s}) = {numbers}"
        lesson.say(f"           {shown}")
    top, x = blocks[-1].h, blocks[0].x
    product = float(np.prod(local))
    factors = " · ".join(partial(k.h.label, k.x.label) for k in blocks[::-1])
    numbers = " · ".join(exact(v) for v in local[::-1])
    lesson.say(f"  {partial(top.label, x.label)} = {factors} = {numbers} = {exact(product)}")

    # The same number as the path view finds it: at each block, the skip or the way through f.
    found = viz.find_paths(top, x)
    groups = {}  # how many f's a path goes through -> those paths
    for path in found.paths:
        through = sum(1 for n in path.nodes if n.op is not None and n.op.name == "sigmoid")
        groups.setdefault(through, []).append(path)
    lesson.say(
        _(
            "Multiplied out, that is the sum over the {n} paths from {top} back to x (at each\n"
            "block the gradient takes the skip, local derivative 1, or goes through f):"
        ).format(n=len(found), top=top.label)
    )
    sums = []
    for k in sorted(groups):
        products = [path.product for path in groups[k]]
        sums.append(sum(products))
        if k == 0:  # one path: along every skip
            ones = " · ".join(exact(d) for d in groups[0][0].locals)
            said = _("    the identity path (every skip): {ones} = {product}")
            lesson.say(said.format(ones=ones, product=exact(products[0])))
            continue
        terms = " + ".join(exact(p) for p in products)
        if len(products) > 1:
            terms = f"{terms} = {exact(sums[-1])}"
        said = ngettext(
            "    through {k} f: {n} path, {sums}",
            "    through {k} f: {n} paths, {sums}",
            len(products),
        )
        lesson.say(said.format(k=k, n=len(products), sums=terms))
    said = _("    sum: {terms} = {total}")
    lesson.say(said.format(terms=" + ".join(exact(t) for t in sums), total=exact(found.total)))
    plain = float(np.prod([k.w.data * k.s.data * (1 - k.s.data) for k in blocks]))
    lesson.say(
        _(
            "Without the skips only the path through every f is left: a chain of {n} sigmoids\n"
            "with weights 1 passes at most {factors} = {product}."
        ).format(n=BLOCKS, factors=" · ".join(["0.25"] * BLOCKS), product=exact(0.25**BLOCKS))
    )
    said = _("L = (h3 - t)^2 = ({h} - {t})^2 = {loss}, so {dl} = 2(h3 - t) = {dh}.")
    lesson.say(
        said.format(
            h=exact(top.data),
            t=exact(TARGET),
            loss=exact(loss.data),
            dl=partial("L", top.label),
            dh=exact(top.grad),
        )
    )
    outputs = [k.h for k in blocks[::-1]] + [x]  # h3, h2, h1, x: towards the input
    lesson.say(_("The gradient grows on its way to the input instead of fading:"))
    lesson.say("  " + ", ".join(f"{partial('L', n.label)} = {exact(n.grad)}" for n in outputs))
    said = _("backward() gave {attribute} = {value}")
    lesson.say(said.format(attribute="x.grad", value=exact(x.grad)))
    lesson.record(
        chain={
            "local": local,
            "product": product,
            "paths": len(found),
            "groups": {k: sum(p.product for p in paths) for k, paths in groups.items()},
            "total": found.total,
            "plain": plain,
            "loss": loss.data,
            "grads": {n.label: n.grad for n in outputs},
        }
    )
    return loss


def run(lesson):
    import viz

    norms = stacks(lesson)
    loss = blocks_by_hand(lesson)
    plots.bars(
        lesson,
        "gradient_norms.png",
        {_(name): {f"{i}": n for i, n in enumerate(each, 1)} for name, each in norms.items()},
        _("Gradient norm per layer, {depth} sigmoid layers (1 = next to the input)").format(
            depth=DEPTH
        ),
        _("gradient norm (log scale)"),
        what=_(
            "the plain stack's bars fall towards layer 1; the residual ones stay close together"
        ),
    )
    params = parameters_of(loss)
    try:
        found = viz.find_paths(loss, "x", params=params)
        ones = next(n for n, p in enumerate(found.paths, 1) if all(d == 1 for d in p.locals))
        # TRANSLATORS: the heading of path.svg; {n} is the number of the all-1s path
        title = _("{count} paths from L back to x; path {n}, along the skips, is all 1s")
        title = title.format(count=len(found), n=ones)
        path = lesson.path("path.svg")
        viz.save(
            viz.draw_path(loss, "x", params=params, precision=7, context=False, title=title), path
        )
        lesson.wrote(path, _("every path from L back to x; the one along the skips is all 1s"))
    except viz.GraphvizNotFoundError:
        lesson.skipped.append(_("{filename} (Graphviz missing)").format(filename="path.svg"))
    lesson.pictures(
        loss,
        params=params,
        collapse=True,
        what=_("the chain, each f folded to one box; the skips arc over them into each +"),
    )
    lesson.look_for(
        _("the numbers: the plain stack's norms fall by orders of magnitude, the residual's do not")
    )
    lesson.look_for(_("path.svg: the straight path along the adds carries local 1 on every edge"))
    lesson.look_for(
        _("backprop.html: at each +, both inputs receive the same gradient as its output")
    )


LESSON = Lesson(
    "skip-connections",
    N_("y = x + f(x): 20 sigmoid layers, plain vs residual; the identity path of 1s"),
    run,
    build,
    title=N_("15. Skip connections"),
)
