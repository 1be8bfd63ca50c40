"""Lesson 11: vanishing and exploding gradients, layer by layer, and two remedies.

Run it:  chainrule run vanishing
Look at: the gradient norm of each layer of a 10-hidden-layer network. With sigmoid it
shrinks about 4x per layer towards the input (sigmoid' <= 0.25), so the first layers barely
learn; ReLU with He initialisation keeps every layer within about one order of magnitude;
ReLU with weights twice too large makes every layer's gradient explode (roughly a million
times He's: each layer doubles the signal), and a few steps of SGD throw the loss up by
orders of magnitude (dozens, or to inf, on most seeds). Clipping the gradient norm keeps that run
learning. graph.svg: a chain of sigmoids, one box per layer, coloured by gradient: the
colour fades towards the input.
"""

import math

import numpy as np

from autograd import Value, scope, topological_order
from nn.diagnostics import grad_norms
from nn.layers import MLP
from nn.losses import mse_loss
from nn.optim import SGD
from nn.train import DivergedError, fit
from viz.format import pad, width
from viz.i18n import N_, _
from viz.notation import partial

from . import plots
from .common import Lesson

WIDTH, DEPTH = 8, 10
CHAIN = 6  # sigmoid units in the pictured chain
LR = 0.03


def too_large(fan_in, fan_out, rng):
    """He's normal initialisation with twice its standard deviation: activations grow."""
    return rng.gauss(0.0, 2.0 * math.sqrt(2.0 / fan_in))


# name (the results' key; _(name) is shown) -> (activation, initialisation)
NETWORKS = {
    N_("sigmoid, Xavier init"): ("sigmoid", "xavier_normal"),
    N_("ReLU, He init"): ("relu", "he_normal"),
    N_("ReLU, init 2x too large"): ("relu", too_large),
}


def layer_norms(model, X, Y):
    """The loss and, per layer, the L2 norm of the gradient of all its weights and biases."""
    loss = mse_loss(model([Value(column) for column in X.T]), Y)
    model.zero_grad()
    loss.backward()
    return loss.data, list(grad_norms(model).values())  # layer1 (next to the input) first


def train(X, Y, seed, clip, steps):
    """Full-batch SGD on the too-large ReLU network: (loss per step, step it overflowed or None)."""
    model = MLP(WIDTH, [WIDTH] * DEPTH + [1], activation="relu", init=too_large, rng=seed)
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is the point; we report it
            history = fit(
                model,
                X,
                Y,
                loss="mse",
                optimizer=SGD(model.parameters(), lr=LR),
                epochs=steps,
                clip_grad_norm=clip,
                metric=None,
                batched=True,
                verbose=False,
            )
    except DivergedError as err:  # the loss became inf or NaN: keep the losses before it
        return err.history.loss, err.step
    return history.loss, None


def describe(losses, overflowed):
    """'loss 3.3e+06 -> highest 5.8e+57 -> 1e+57', or where it overflowed."""
    if overflowed is not None:
        return _("loss {first:.3g} -> overflowed to inf at step {step}").format(
            first=losses[0], step=overflowed
        )
    return _("loss {first:.3g} -> highest {highest:.3g} -> last {last:.3g}").format(
        first=losses[0], highest=max(losses), last=losses[-1]
    )


def build():
    """A chain of sigmoid units, h_i = sigmoid(w_i h_(i-1) + b_i); loss (h_6 - 1)^2."""
    h = Value(1.0, "x")
    for i in range(1, CHAIN + 1):
        with scope(f"layer{i}"):
            w, b = Value(1.0, f"w{i}"), Value(0.0, f"b{i}")
            u = w * h + b
            u.label = f"u{i}"
            h = u.sigmoid()
            h.label = f"h{i}"
    loss = (h - Value(1.0, "target")) ** 2
    loss.label = "L"
    loss.backward()
    return loss


def run(lesson):
    rng = np.random.default_rng(lesson.seed)
    X, Y = rng.standard_normal((32, WIDTH)), rng.standard_normal(32)
    lesson.say(
        _("{depth} hidden layers of {width} units, one output; 32 random examples, MSE.").format(
            depth=DEPTH, width=WIDTH
        )
    )
    lesson.say(_("Gradient norm of each layer's parameters, from the input side to the output:"))
    groups, per_layer = {}, {}
    for name, (activation, init) in NETWORKS.items():
        model = MLP(WIDTH, [WIDTH] * DEPTH + [1], activation=activation, init=init, rng=lesson.seed)
        loss, norms = layer_norms(model, X, Y)
        groups[_(name)] = {f"{i + 1}": n for i, n in enumerate(norms)}  # the plot's legend
        per_layer[name] = norms
        lesson.say(_("  {name} (loss {loss:.3g}):").format(name=_(name), loss=loss))
        lesson.say("    " + " ".join(f"{n:.1e}" for n in norms))
        lesson.say(_("    first / last layer: {ratio:.1e}").format(ratio=norms[0] / norms[-1]))
    lesson.record(norms=per_layer)

    steps = 10 if lesson.small else 30
    plain, overflowed = train(X, Y, lesson.seed, None, steps)
    clipped, _step = train(X, Y, lesson.seed, 1.0, steps)  # clipped, it does not overflow
    lesson.say("")
    lesson.say(
        _("Training the exploding network {steps} steps, SGD lr {lr:g}:").format(steps=steps, lr=LR)
    )
    rows = {_("no clipping:"): describe(plain, overflowed)}
    rows[_("gradient norm <= 1:")] = describe(clipped, None)
    column = max(width(head) for head in rows) + 2
    for head, said in rows.items():
        lesson.say(f"  {pad(head, column)}{said}")
    lesson.say(
        _(
            "Clipping rescales the whole gradient to length 1 (its direction is kept), so one\n"
            "huge gradient can no longer throw the weights far away."
        )
    )
    lesson.record(plain=plain, overflowed=overflowed, clipped=clipped)

    chain = build()
    grads = {node.label: node.grad for node in topological_order(chain) if not node.inputs}
    ws = [grads[f"w{i}"] for i in range(1, CHAIN + 1)]
    lesson.say("")
    lesson.say(
        _("A chain of {n} sigmoid units, every weight 1: {d_w} from the input side:").format(
            n=CHAIN, d_w=partial("L", "w_i")
        )
    )
    lesson.say("  " + "  ".join(f"w{i + 1}: {g:.1e}" for i, g in enumerate(ws)))
    lesson.record(chain=ws)

    plots.bars(
        lesson,
        "gradient_norms.png",
        groups,
        _("Gradient norm per layer (1 = next to the input)"),
        _("gradient norm (log scale)"),
        what=_(
            "sigmoid's bars fall to the left; ReLU+He within about 10x; too-large init: all huge"
        ),
    )
    if overflowed:
        seen = _(
            "unclipped, the loss climbs {orders:.0f} orders of magnitude, then overflows;"
            " clipped, it falls"
        )
    else:
        seen = _("unclipped, the loss climbs {orders:.0f} orders of magnitude; clipped, it falls")
    plots.curves(
        lesson,
        "clipping.png",
        {_("no clipping"): plain, "clip_grad_norm 1.0": clipped},
        _("The exploding network trained, with and without clipping"),
        xlabel=_("step"),
        log=True,
        what=seen.format(orders=math.log10(max(plain) / plain[0])),
    )
    lesson.pictures(
        chain,
        params=[n for n in topological_order(chain) if n.label[:1] in ("w", "b")],
        color="grad",
        collapse=True,
        what=_("the sigmoid chain, one box per layer, coloured by gradient"),
    )
    lesson.look_for(_("graph.svg: the boxes pale from right to left as the gradient fades"))
    lesson.look_for(_("backprop.html: step through the chain; each sigmoid multiplies by <= 0.25"))


LESSON = Lesson(
    "vanishing",
    N_("per-layer gradient norms: sigmoid fades, ReLU+He holds, clipping tames"),
    run,
    build,
    title=N_("11. Sigmoid chain"),
)
